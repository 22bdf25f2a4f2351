"""Missed maintenance (未按规定保养) at claim time: the vehicle's maintenance history from the
group's maintenance orders and from stamped booklets, judged by the policy's schedule."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from services.warranty import domain
from services.warranty.domain import MaintenanceDone, MaintenanceSchedule
from services.warranty.tests.test_claims import (
    ADMIN,
    VIN,
    deliver,
    drafted_claim,
    order_created,
    read_claim,
)
from shared.contracts import events
from shared.contracts.events import LineKind, PayType
from shared.testing import ServiceHarness, auth_headers

#: FAW-VW from 2026: first service within 6 months / 7,500 km, then every 12 months /
#: 10,000 km, 30 days / 1,000 km tolerance
SCHEDULE = {
    "first_months": 6,
    "first_km": 7500,
    "months": 12,
    "km": 10000,
    "grace_days": 30,
    "grace_km": 1000,
}
SCHEDULE_OF = MaintenanceSchedule(6, 7_500, 12, 10_000, 30, 1_000)
START = date(2024, 5, 1)


async def require_maintenance(harness: ServiceHarness) -> None:
    response = await harness.client.post(
        "/policies",
        headers=ADMIN,
        json={
            "make": "FAW-VW",
            "valid_from": "2026-01-01",
            "terms": {"basic": {"months": 36, "km": 100000}},
            "maintenance": SCHEDULE,
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["maintenance"]["first_km"] == 7500


def service_order(mileage_km: int) -> events.OrderCreated:
    """A customer-paid maintenance order (保养) of a station of the group."""
    oil = events.OrderLine(
        line_id=uuid.uuid4(),
        kind=LineKind.LABOUR,
        code="MNT-010",
        description="常规保养",
        hours="1.0",
        unit_price="200",
        pay_type=PayType.CUSTOMER,
    )
    return order_created(oil, category=events.OrderCategory.MAINTENANCE, mileage_km=mileage_km)


async def maintained(harness: ServiceHarness, on: date, mileage_km: int, *, how: str) -> Any:
    order = service_order(mileage_km)
    at = datetime(on.year, on.month, on.day, 10, tzinfo=UTC)
    await harness.publish(order, station_id="bj01", occurred_at=at)
    if how == "completed":
        done = events.VehicleCompleted(order_id=order.order_id, vin=VIN, completed_at=at)
        await harness.publish(done, station_id="bj01", occurred_at=at)
    elif how == "delivered":
        delivered = events.VehicleDelivered(
            order_id=order.order_id,
            customer=order.customer,
            vehicle=order.vehicle,
            delivered_at=at,
            advisor_id="advisor.bj01",
            total="200",
        )
        await harness.publish(delivered, station_id="bj01", occurred_at=at)
    return order


async def booklet(harness: ServiceHarness, headers: Any = ADMIN, **body: Any) -> Any:
    return await harness.client.post(
        f"/vehicles/{VIN}/maintenance",
        headers=headers,
        json={
            "done_on": "2025-09-20",
            "mileage_km": 15500,
            "workshop": "天津滨海一汽-大众特约服务站",
            "evidence_note": "保养手册第3页盖章, 发票 No. 0451",
            **body,
        },
    )


async def completed_3c(harness: ServiceHarness, claim: Any) -> Any:
    response = await harness.client.patch(
        f"/claims/{claim['id']}",
        headers=ADMIN,
        json={"version": claim["version"], "cause": "水泵轴承磨损", "correction": "更换水泵"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def missed(claim: Any) -> list[str]:
    return [p for p in claim["problems"] if p.startswith("missed maintenance")]


# --- the rule ---------------------------------------------------------------------------


def test_missed_maintenance_first_service_later_than_6_months_and_the_tolerance() -> None:
    in_time = [MaintenanceDone(date(2024, 11, 20), 6_000)]
    assert domain.missed_maintenance(SCHEDULE_OF, START, in_time, date(2025, 6, 1), 14_000) is None
    late = [MaintenanceDone(date(2024, 12, 5), 6_000)]  # due by 1 Nov + 30 days
    why = domain.missed_maintenance(SCHEDULE_OF, START, late, date(2025, 6, 1), 14_000)
    assert why == (
        "first maintenance due by 2024-12-01 or 8,500 km was not done "
        "(next service 2024-12-05 at 6,000 km)"
    )


def test_missed_maintenance_by_mileage_whichever_comes_first() -> None:
    history = [MaintenanceDone(date(2024, 9, 1), 7_000)]
    why = domain.missed_maintenance(SCHEDULE_OF, START, history, date(2025, 3, 1), 18_500)
    assert why == (
        "maintenance due by 2025-10-01 or 18,000 km was not done: no maintenance since 2024-09-01"
    )
    assert domain.missed_maintenance(SCHEDULE_OF, START, history, date(2025, 3, 1), 17_900) is None


def test_missed_maintenance_is_not_judged_without_a_schedule_or_a_warranty_start() -> None:
    assert domain.missed_maintenance(None, START, [], date(2026, 3, 2), 42_000) is None
    assert domain.missed_maintenance(SCHEDULE_OF, None, [], date(2026, 3, 2), 42_000) is None


def test_maintenance_after_the_repair_does_not_excuse_a_missed_one() -> None:
    after = [MaintenanceDone(date(2026, 4, 1), 31_000)]
    why = domain.missed_maintenance(SCHEDULE_OF, START, after, date(2026, 3, 2), 30_000)
    assert why is not None and "no maintenance since the warranty start" in why


# --- claims -----------------------------------------------------------------------------


async def test_claim_is_refused_when_the_vehicle_missed_the_required_maintenance(
    warranty,
) -> None:
    await require_maintenance(warranty)
    claim = await completed_3c(warranty, await drafted_claim(warranty))
    [problem] = missed(claim)
    assert problem == (
        "missed maintenance [missed_maintenance]: first maintenance due by 2024-12-01 or "
        "8,500 km was not done: no maintenance since the warranty start: the policy excludes "
        "the damage"
    )
    refused = await warranty.client.post(
        f"/claims/{claim['id']}/submission", headers=ADMIN, json={"version": claim["version"]}
    )
    assert refused.status_code == 422
    [detail] = refused.json()["detail"]
    assert detail["loc"] == ["body", "problems"]
    assert "[missed_maintenance]" in detail["msg"]


async def test_claim_passes_when_the_group_and_the_booklet_show_every_service(warranty) -> None:
    await require_maintenance(warranty)
    await maintained(warranty, date(2024, 10, 15), 6_000, how="completed")
    await maintained(warranty, date(2026, 2, 1), 25_000, how="delivered")
    claim = await completed_3c(
        warranty, await drafted_claim(warranty, order_created(mileage_km=30_000))
    )
    [problem] = missed(claim)
    assert "maintenance due by 2025-11-14 or 17,000 km was not done" in problem
    assert "(next service 2026-02-01 at 25,000 km)" in problem

    recorded = await booklet(warranty)  # the service in between, done elsewhere
    assert recorded.status_code == 201, recorded.text
    assert (recorded.json()["source"], recorded.json()["recorded_by"]) == (
        "booklet",
        "warranty.bj01",
    )
    claim = await read_claim(warranty, claim)
    assert missed(claim) == []
    submitted = await warranty.client.post(
        f"/claims/{claim['id']}/submission", headers=ADMIN, json={"version": claim["version"]}
    )
    assert submitted.status_code == 200, submitted.text

    history = await warranty.client.get(f"/vehicles/{VIN}/maintenance", headers=ADMIN)
    assert [(r["source"], r["done_on"], r["mileage_km"]) for r in history.json()["data"]] == [
        ("service_order", "2024-10-15", 6000),
        ("booklet", "2025-09-20", 15500),
        ("service_order", "2026-02-01", 25000),
    ]


async def test_an_open_or_cancelled_maintenance_order_is_no_maintenance_done(warranty) -> None:
    await require_maintenance(warranty)
    opened = await maintained(warranty, date(2024, 10, 15), 6_000, how="open")
    cancelled = await maintained(warranty, date(2024, 10, 20), 6_100, how="open")
    await deliver(warranty, events.OrderCancelled(order_id=cancelled.order_id, reason="改期"))
    history = (await warranty.client.get(f"/vehicles/{VIN}/maintenance", headers=ADMIN)).json()
    assert [(r["order_id"], r["done_on"]) for r in history["data"]] == [
        (str(opened.order_id), None)
    ]
    claim = await drafted_claim(warranty)
    assert missed(claim) != []


async def test_booklet_maintenance_is_validated_roled_and_station_scoped(warranty) -> None:
    future = await booklet(warranty, done_on="2026-03-04")  # the clock says 3 March
    assert future.status_code == 422
    assert future.json()["detail"][0]["loc"] == ["body", "done_on"]
    no_evidence = await booklet(warranty, evidence_note="")
    assert no_evidence.status_code == 422
    assert no_evidence.json()["detail"][0]["loc"] == ["body", "evidence_note"]
    short_vin = await warranty.client.post(
        "/vehicles/LFV2/maintenance",
        headers=ADMIN,
        json={"done_on": "2025-01-01", "workshop": "x", "evidence_note": "y"},
    )
    assert short_vin.status_code == 422
    advisor = await booklet(warranty, headers=auth_headers("advisor.bj01"))
    assert advisor.status_code == 403
    other_station = await booklet(warranty, station_id="sh01")
    assert other_station.status_code == 403  # the platform's answer for acting elsewhere
    assert (await booklet(warranty)).status_code == 201
    seen_elsewhere = await warranty.client.get(
        f"/vehicles/{VIN}/maintenance", headers=auth_headers("warranty.sh01")
    )
    assert (seen_elsewhere.json()["data"], seen_elsewhere.json()["at_other_stations"]) == ([], 1)


async def test_check_in_pre_check_judges_missed_maintenance_from_the_history(warranty) -> None:
    await require_maintenance(warranty)
    body = {
        "vin": VIN,
        "make": "FAW-VW",
        "mileage_km": 42000,
        "warranty_start": "2024-05-01",
        "lines": [{"kind": "labour", "code": "ENG-120", "major_system": "engine"}],
    }
    check = await warranty.client.post("/coverage-checks", headers=ADMIN, json=body)
    assert check.status_code == 200, check.text
    [line] = check.json()["lines"]
    assert (line["verdict"], line["reason"]) == ("not_covered", domain.MISSED_MAINTENANCE)
