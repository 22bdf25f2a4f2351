"""No station leaks, in-process over every GET of every service's OpenAPI (so documents,
KPIs, registers, sub-resources and searches are covered the day they appear), with bj01
records made for real (demo data, a repair order, an ``order.created`` delivered):

- a bj01 record under any path that takes one id (the record, its document, its settlement,
  its clockings…) answers 403/404 to every sh01 user, never 200;
- any GET taking ``station_id`` (KPIs, boards, registers, price lists, PDFs), asked for bj01 by
  a sh01 user, is refused (403/404) or shows nothing of bj01 (no bj01 row, and not bj01's
  answer where it differs from that of a station without data);
- a search for a bj01 record's id or VIN by a sh01 user finds nothing.

Each check runs only where the group manager gets a 200 for the same request (so a refusal
is about the station, not a malformed request); how many ran is asserted per service. The
running-stack version for lists and records is tests/e2e/test_access.py."""

from __future__ import annotations

import asyncio
import importlib
import re
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from shared.contracts import events
from shared.demo import USERS
from shared.testing import ServiceHarness, an_order_created, auth_headers, run_service
from tests.e2e.flow import warranty_brake_order

SH01_USERS = sorted(name for name, user in USERS.items() if user.stations == ("sh01",))
SKIP = {"/health", "/metrics", "/asyncapi.json", "/auth/me", "/openapi.json"}
#: ids of station records; part numbers and VINs are group-wide keys (the catalogue, a car's
#: recalls), not a station's data, so they are not used as "another station's record"
ID_KEYS = re.compile(r"^(id|.*_id)$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SEARCH_PARAMS = re.compile(r"^(q|query|search|.*_id)$")
#: the least each service must have checked (records by id, station-scoped reads)
MINIMUM = {"reception": 5, "workshop": 5, "parts": 5, "warranty": 2, "crm": 3}


async def make_bj01_records(service: str, harness: ServiceHarness) -> set[str]:
    """A repair order at bj01 (reception), or its ``order.created`` delivered (the others);
    returns the order's id (records listed nowhere are still checked by id)."""
    if service == "reception":
        created = await harness.client.post(
            "/repair-orders", json=warranty_brake_order(), headers=auth_headers("advisor.bj01")
        )
        assert created.status_code == 201, created.text
        return {created.json()["id"]}
    event = an_order_created(category=events.OrderCategory.WARRANTY)
    await harness.publish(event, station_id="bj01")
    await asyncio.sleep(0.5)
    return {str(event.order_id)}


def get_operations(spec: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    return [
        (path, operations["get"].get("parameters", []))
        for path, operations in spec["paths"].items()
        if "get" in operations and path not in SKIP and not path.startswith("/admin")
    ]


def bj01_values(body: Any) -> set[str]:
    """Identifiers of the bj01 rows in a list answer."""
    rows = body.get("data", []) if isinstance(body, dict) else body
    found: set[str] = set()
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and (
            row.get("station_id") == "bj01" or row.get("station_ids") == ["bj01"]
        ):
            found |= {
                str(v)
                for k, v in row.items()
                if ID_KEYS.match(k) and isinstance(v, str) and UUID.match(v)
            }
    return found


def shows_bj01(response: Any, values: set[str]) -> bool:
    text = response.text
    return '"bj01"' in text or any(value in text for value in values)


@pytest.mark.parametrize("service", ["reception", "workshop", "parts", "warranty", "crm"])
async def test_no_read_shows_another_stations_records(service: str, tmp_path: Path) -> None:
    definition = importlib.import_module(f"services.{service}.app").definition
    async with run_service(definition, tmp_path, seed_demo_data=True) as harness:
        values = await make_bj01_records(service, harness)
        client = harness.client
        group = auth_headers("group.manager")
        operations = get_operations(harness.app.openapi())

        for path, _params in operations:
            if "{" not in path:
                response = await client.get(path, headers=group)
                if response.status_code == 200 and "json" in response.headers["content-type"]:
                    values |= bj01_values(response.json())
        assert values, f"{service}: no bj01 record to check"

        leaks: list[str] = []
        checked: dict[str, int] = {"by id": 0, "station_id": 0, "search": 0}

        async def check(url: str, params: dict[str, str], kind: str) -> None:
            control = await client.get(url, params=params, headers=group)
            if control.status_code != 200:
                return
            if kind == "search" and not shows_bj01(control, values):
                return  # the search finds nothing of bj01 even for the group: proves nothing
            empty = b""
            if kind == "station_id":
                # a KPI need not name the station to leak its figures: a sh01 user shown
                # exactly bj01's answer, where it differs from a station without data, is a leak
                nowhere = {**params, "station_id": "zz99"}
                empty = (await client.get(url, params=nowhere, headers=group)).content
            checked[kind] += 1
            for user in SH01_USERS:
                response = await client.get(url, params=params, headers=auth_headers(user))
                if response.status_code in (403, 404, 422):
                    continue
                leaked = (
                    kind == "by id"
                    or shows_bj01(response, values)
                    or (kind == "station_id" and response.content == control.content != empty)
                )
                if leaked:
                    leaks.append(f"{user} GET {url} {params}: {response.status_code}")

        for path, params in operations:
            names = {p["name"] for p in params if p.get("in") == "query"}
            slots = re.findall(r"\{[^}]+\}", path)
            if len(slots) == 1:
                hits = 0
                unknown = path.replace(slots[0], str(uuid.uuid4()))
                if (await client.get(unknown, headers=group)).status_code != 404:
                    continue  # not a record lookup (a VIN's campaigns answer for any VIN)
                for value in sorted(values):
                    if hits >= 2:
                        break
                    before = checked["by id"]
                    await check(path.replace(slots[0], value), {}, "by id")
                    hits += checked["by id"] - before
            elif not slots:
                if "station_id" in names:
                    extra = {"day": date.today().isoformat()} if "day" in names else {}
                    await check(path, {"station_id": "bj01", **extra}, "station_id")
                for name in sorted(n for n in names if SEARCH_PARAMS.match(n)):
                    before = checked["search"]
                    for value in sorted(values):
                        if checked["search"] - before >= 2:
                            break
                        await check(path, {name: value}, "search")

        assert not leaks, "\n".join(leaks)
        assert sum(checked.values()) >= MINIMUM[service], (service, checked)
