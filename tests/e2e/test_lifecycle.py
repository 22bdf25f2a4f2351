"""A repair order across all five services, through their HTTP APIs, on a real broker."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from deploy.run import Stack
from shared.testing import auth_headers

pytestmark = pytest.mark.e2e

VIN = "LFV2A21K9G3000002"  # a demo vehicle of bj01


def wait_for(probe: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; last seen: {last!r}")


def get(stack: Stack, service: str, path: str, user: str, **params: Any) -> Any:
    response = httpx.get(
        f"{stack.url(service)}{path}", params=params, headers=auth_headers(user), timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


def warranty_brake_order() -> dict[str, Any]:
    return {
        "category": "warranty",
        "customer": {"name": "刘洋", "phone": "13800000002"},
        "vehicle": {"vin": VIN, "plate": "京B67890", "make": "FAW-VW", "model": "Magotan"},
        "mileage_km": 41000,
        "complaint": "制动踏板发软",
        "lines": [
            {
                "ref": "brakes",
                "kind": "labour",
                "code": "BRK-020",
                "hours": "1.5",
                "description": "检查并更换前制动片",
                "unit_price": "320",
                "pay_type": "warranty",
                "skill": "mechanical",
                "major_system": "brakes",
            },
            {
                "kind": "part",
                "code": "1K0698151A",
                "description": "前制动片",
                "quantity": "1",
                "unit_price": "480",
                "pay_type": "warranty",
                "labour_ref": "brakes",
            },
            {
                "kind": "labour",
                "code": "WSH-001",
                "hours": "0.3",
                "description": "洗车",
                "unit_price": "100",
                "pay_type": "customer",
            },
        ],
    }


def test_order_to_follow_up_across_all_five_services(stack: Stack) -> None:
    created = httpx.post(
        f"{stack.url('reception')}/repair-orders",
        json=warranty_brake_order(),
        headers=auth_headers("advisor.bj01"),
        timeout=10,
    )
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]

    # workshop: one job per labour operation; parts reserved the brake pads -> ready
    jobs = wait_for(
        lambda: (
            len(
                ready := [
                    j
                    for j in get(stack, "workshop", "/jobs", "foreman.bj01", order_id=order_id)[
                        "data"
                    ]
                    if j["status"] == "ready"
                ]
            )
            == 2
            and ready
        ),
        "both jobs ready (the brake pads reserved by parts)",
    )
    reservations = get(stack, "parts", "/reservations", "parts.bj01", order_id=order_id)
    reserved = reservations["data"] if isinstance(reservations, dict) else reservations
    assert [r["part_no"] for r in reserved] == ["1K0698151A"]

    for job in jobs:
        done = httpx.post(
            f"{stack.url('workshop')}/jobs/{job['id']}/completion",
            json={"clocked_hours": "1.0"},
            headers=auth_headers("tech.bj01"),
            timeout=10,
        )
        assert done.status_code == 200, done.text

    # vehicle.completed -> reception marks the order completed; warranty drafts a claim
    wait_for(
        lambda: (
            get(stack, "reception", f"/repair-orders/{order_id}", "advisor.bj01")["status"]
            == "completed"
        ),
        "reception to see vehicle.completed",
    )
    claims = wait_for(
        lambda: [
            c
            for c in get(stack, "warranty", "/claims", "warranty.bj01")["data"]
            if c["order_id"] == order_id
        ],
        "a draft warranty claim",
    )
    assert claims[0]["status"] == "draft"

    delivered = httpx.post(
        f"{stack.url('reception')}/repair-orders/{order_id}/delivery",
        json={"customer_accepted": True, "next_service_km": 51000},
        headers=auth_headers("advisor.bj01"),
        timeout=10,
    )
    assert delivered.status_code == 200, delivered.text

    followups = wait_for(
        lambda: [
            f
            for f in get(stack, "crm", "/follow-ups", "crm.bj01")["data"]
            if f["order_id"] == order_id
        ],
        "CRM follow-up calls",
    )
    assert sorted(f["kind"] for f in followups) == ["2w", "72h"]

    # another station sees none of it
    other = httpx.get(
        f"{stack.url('reception')}/repair-orders/{order_id}",
        headers=auth_headers("advisor.sh01"),
        timeout=10,
    )
    assert other.status_code == 404


def test_every_service_reports_healthy_database_and_broker(stack: Stack) -> None:
    for service in stack.ports:
        health = httpx.get(f"{stack.url(service)}/health", timeout=10).json()
        assert (health["database"], health["broker"], health["status"]) == ("ok", "ok", "ok")
