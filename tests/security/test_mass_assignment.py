"""Fields a caller does not own cannot be set through a write (mass assignment), proven on
real writes: one representative create per service, run in-process on SQLite.

For each field the system owns (ids, status, totals, who created it and when, versions,
numbers it gives out) the write either answers 422 naming that field and stores nothing, or
stores the record with the server's value, never the caller's. A station user naming another
station is refused (403) and nothing is stored; the record is stored at the user's station,
under the user's name. The schema-level check over every body (unknown and owned fields
refused) is in test_access_rules.py."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shared.testing import ServiceHarness, auth_headers, run_service
from tests.e2e.flow import warranty_brake_order

#: what a caller might try to set, and the value it tries (never the server's)
OWNED_ATTEMPTS: dict[str, Any] = {
    "id": "00000000-0000-4000-8000-000000000001",
    "status": "closed",
    "state": "closed",
    "version": 99,
    "created_at": "2020-01-01T00:00:00Z",
    "updated_at": "2020-01-01T00:00:00Z",
    "created_by": "somebody.else",
    "recorded_by": "somebody.else",
    "registered_by": "somebody.else",
    "advisor_id": "somebody.else",
    "owner_id": "somebody.else",
    "total": "0.01",
    "totals": {"customer": "0.01"},
    "order_no": "RO-FAKE-0001",
    "complaint_no": "C-FAKE-0001",
    "published_at": "2020-01-01T00:00:00Z",
}


@dataclass
class Write:
    """One representative write: who makes it, the body, how to count what is stored."""

    service: str
    path: str
    user: str
    body: Callable[[ServiceHarness], Awaitable[dict[str, Any]]]
    listing: str
    #: fields of the stored record and the value the server must have given them
    server_values: dict[str, Any]
    #: owned fields this body legitimately carries (not tried as an attack)
    legitimate: frozenset[str] = frozenset()


async def _static(body: dict[str, Any]) -> dict[str, Any]:
    return body


async def _complaint(harness: ServiceHarness) -> dict[str, Any]:
    enquiry = await harness.client.post(
        "/enquiries",
        json={"channel": "phone", "name": "王芳", "phone": "13700000007", "text": "投诉等待时间"},
        headers=auth_headers("crm.bj01"),
    )
    assert enquiry.status_code == 201, enquiry.text
    return {
        "customer_id": enquiry.json()["customer_id"],
        "channel": "phone",
        "category": "waiting time",
        "severity": "minor",
        "summary": "车辆比承诺时间晚两小时交付",
    }


def _technician(_harness: ServiceHarness) -> Awaitable[dict[str, Any]]:
    return _static(
        {
            "technician_id": f"tech.bj01.{uuid.uuid4().hex[:6]}",
            "name": "陈 电工技师",
            "skills": ["mechanical"],
        }
    )


WRITES = [
    Write(
        "reception",
        "/repair-orders",
        "advisor.bj01",
        lambda _h: _static(warranty_brake_order()),
        "/repair-orders",
        {"station_id": "bj01", "advisor_id": "advisor.bj01"},
    ),
    Write(
        "workshop",
        "/technicians",
        "foreman.bj01",
        _technician,
        "/technicians",
        {"station_id": "bj01"},
    ),
    Write(
        "parts",
        "/counter-customers",
        "parts.bj01",
        lambda _h: _static({"kind": "person", "name": "王伟", "phone": "13900000001"}),
        "/counter-customers",
        {"station_id": "bj01", "registered_by": "parts.bj01", "active": True},
    ),
    Write(
        "crm",
        "/complaints",
        "crm.bj01",
        _complaint,
        "/complaints",
        {"station_id": "bj01"},
        legitimate=frozenset({"owner_id"}),
    ),
]


async def count(harness: ServiceHarness, write: Write) -> int:
    response = await harness.client.get(write.listing, headers=auth_headers("group.manager"))
    assert response.status_code == 200, response.text
    return int(response.json()["count"])


def names_field(response: Any, name: str) -> bool:
    detail = response.json().get("detail")
    return isinstance(detail, list) and any(name in map(str, d.get("loc", [])) for d in detail)


@pytest.mark.parametrize("write", WRITES, ids=lambda w: f"{w.service} POST {w.path}")
async def test_a_write_never_takes_a_field_the_caller_does_not_own(
    write: Write, tmp_path: Path
) -> None:
    definition = importlib.import_module(f"services.{write.service}.app").definition
    async with run_service(definition, tmp_path, seed_demo_data=True) as harness:
        headers = auth_headers(write.user)
        before = await count(harness, write)

        # the honest write works and the stored record carries the server's values
        created = await harness.client.post(
            write.path, json=await write.body(harness), headers=headers
        )
        assert created.status_code == 201, created.text
        record = created.json()
        for name, value in write.server_values.items():
            assert record[name] == value, (name, record[name])
        stored = before + 1
        assert await count(harness, write) == stored

        problems = []
        for name, value in OWNED_ATTEMPTS.items():
            if name in write.legitimate:
                continue
            body = {**(await write.body(harness)), name: value}
            response = await harness.client.post(write.path, json=body, headers=headers)
            if response.status_code == 422 and names_field(response, name):
                continue
            if response.status_code == 201:
                stored += 1
                if response.json().get(name) == value:
                    problems.append(f"{name}: the caller's {value!r} was stored")
                continue
            problems.append(f"{name}: {response.status_code} {response.text[:200]}")
        assert not problems, problems
        assert await count(harness, write) == stored, "a refused write stored something"

        # another station's id in the body: refused, nothing stored
        other = {**(await write.body(harness)), "station_id": "sh01"}
        response = await harness.client.post(write.path, json=other, headers=headers)
        assert response.status_code == 403, response.text
        assert "sh01" in response.text
        assert await count(harness, write) == stored


async def test_a_policy_version_is_given_out_by_the_server(tmp_path: Path) -> None:
    """Warranty: the policy's version number is the server's, never the caller's."""
    definition = importlib.import_module("services.warranty.app").definition
    async with run_service(definition, tmp_path, seed_demo_data=True) as harness:
        spec = harness.app.openapi()
        schema = spec["components"]["schemas"]["PolicyCreate"]
        body = dict(schema["examples"][0])
        headers = auth_headers("warranty.bj01")
        for name in ("version", "id", "created_at", "created_by"):
            response = await harness.client.post(
                "/policies", json={**body, name: OWNED_ATTEMPTS.get(name, 99)}, headers=headers
            )
            assert response.status_code == 422 and names_field(response, name), response.text
        first = await harness.client.post("/policies", json=body, headers=headers)
        later = {**body, "valid_from": f"{int(body['valid_from'][:4]) + 1}{body['valid_from'][4:]}"}
        second = await harness.client.post("/policies", json=later, headers=headers)
        assert first.status_code == second.status_code == 201, second.text
        assert second.json()["version"] == first.json()["version"] + 1
