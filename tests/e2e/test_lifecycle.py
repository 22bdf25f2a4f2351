"""A repair order across all five services, through their HTTP APIs, on a real broker."""

from __future__ import annotations

import httpx
import pytest

from deploy.run import Stack
from shared.testing import auth_headers
from tests.e2e.flow import (
    finish_in_workshop,
    get,
    jobs_of,
    open_order,
    ready_jobs,
    settle_and_deliver,
    wait_for,
)

pytestmark = pytest.mark.e2e


def test_order_to_follow_up_across_all_five_services(stack: Stack) -> None:
    order_id = open_order(stack)

    # workshop: one job per labour operation; parts reserved the brake pads -> ready
    ready_jobs(stack, order_id)
    reservations = get(stack, "parts", "/reservations", "parts.bj01", order_id=order_id)
    assert [r["part_no"] for r in reservations["data"]] == ["1K0698151A"]

    # dispatch, work, final inspection (brake work) -> vehicle.completed
    finish_in_workshop(stack, order_id)
    assert {j["status"] for j in jobs_of(stack, order_id)} == {"done"}

    # warranty drafts a claim for the warranty lines
    claims = wait_for(
        lambda: [
            c
            for c in get(stack, "warranty", "/claims", "warranty.bj01")["data"]
            if c["order_id"] == order_id
        ],
        "a draft warranty claim",
    )
    assert claims[0]["status"] == "draft"

    # reception settles, the cashier takes payment, the advisor hands the car over
    delivered = settle_and_deliver(stack, order_id)
    assert delivered["status"] == "delivered"

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
