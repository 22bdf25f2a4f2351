"""No station leaks on the running system: a user of station sh01 sees nothing of bj01 in any
list or search, and a bj01 record by id is 404 for them — over every GET endpoint each service
publishes in its OpenAPI (so new endpoints are covered when they appear)."""

from __future__ import annotations

import re

import httpx
import pytest

from deploy.run import Stack
from shared.demo import USERS
from shared.testing import auth_headers
from tests.e2e.flow import stock_brake_pads, wait_for, warranty_brake_order

pytestmark = pytest.mark.e2e

SH01_USERS = sorted(u for u, user in USERS.items() if user.stations == ("sh01",))
SKIP = {"/health", "/metrics", "/asyncapi.json", "/auth/me"}


def get_paths(stack: Stack, service: str) -> tuple[list[str], list[str]]:
    spec = httpx.get(f"{stack.url(service)}/openapi.json", timeout=10).json()
    lists, items = [], []
    for path, operations in spec["paths"].items():
        if "get" not in operations or path in SKIP or path.startswith("/admin"):
            continue
        params = re.findall(r"\{[^}]+\}", path)
        if not params:
            lists.append(path)
        elif len(params) == 1 and path.endswith(params[0]):
            items.append(path)
    return lists, items


@pytest.fixture(scope="module")
def bj01_order(stack: Stack) -> str:
    created = httpx.post(
        f"{stack.url('reception')}/repair-orders",
        json=_stocked_order(stack),
        headers=auth_headers("advisor.bj01"),
        timeout=10,
    )
    assert created.status_code == 201, created.text
    order_id: str = created.json()["id"]
    wait_for(
        lambda: httpx.get(
            f"{stack.url('parts')}/reservations",
            params={"order_id": order_id},
            headers=auth_headers("parts.bj01"),
            timeout=10,
        ).json()["data"],
        "the order to reach parts",
    )
    return order_id


@pytest.mark.parametrize("service", ["reception", "workshop", "parts", "warranty", "crm"])
def test_no_list_shows_another_stations_records(
    stack: Stack, bj01_order: str, service: str
) -> None:
    lists, _ = get_paths(stack, service)
    leaks = []
    for path in lists:
        for user in SH01_USERS:
            response = httpx.get(
                f"{stack.url(service)}{path}", headers=auth_headers(user), timeout=10
            )
            if response.status_code == 200 and (
                "bj01" in response.text or bj01_order in response.text
            ):
                leaks.append((user, path))
    assert not leaks, leaks


@pytest.mark.parametrize("service", ["reception", "workshop", "parts", "warranty", "crm"])
def test_a_record_of_another_station_is_404(stack: Stack, bj01_order: str, service: str) -> None:
    lists, items = get_paths(stack, service)
    checked = 0
    for item in items:
        collection = item.rsplit("/", 1)[0]
        if collection not in lists:
            continue
        listing = httpx.get(
            f"{stack.url(service)}{collection}", headers=auth_headers("group.manager"), timeout=10
        )
        if listing.status_code != 200 or not isinstance(listing.json(), dict):
            continue
        rows = [r for r in listing.json().get("data", []) if r.get("station_id") == "bj01"]
        for row in rows[:3]:
            key = next((v for k, v in row.items() if k in ("id", "part_no", "vin")), None)
            if key is None:
                continue
            for user in SH01_USERS:
                response = httpx.get(
                    f"{stack.url(service)}{collection}/{key}",
                    headers=auth_headers(user),
                    timeout=10,
                )
                assert response.status_code in (403, 404), (user, collection, key, response.text)
                checked += 1
    if service in ("reception", "workshop"):
        assert checked > 0, f"no bj01 record of {service} was checked"


def _stocked_order(stack: Stack) -> dict[str, object]:
    stock_brake_pads(stack)
    return warranty_brake_order()
