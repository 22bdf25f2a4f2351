"""Warranty service tests on faststream's test broker and SQLite."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import col, select

from services.warranty.app import definition
from services.warranty.models import (
    ClaimLine,
    ClaimStatus,
    WarrantyClaim,
    WarrantyOrder,
    WarrantyOrderLine,
)
from shared.contracts import events
from shared.contracts.envelope import Envelope
from shared.contracts.events import LineKind, PayType
from shared.tables import OutboxMessage
from shared.testing import ServiceHarness, auth_headers, run_service

VIN = "LFV2A21K7G3000001"
#: when the repair order was signed (the envelope's occurred_at): coverage is judged then
SIGNED_AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
COMPLETED_AT = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)


def labour(pay_type: PayType = PayType.WARRANTY, **kw: object) -> events.OrderLine:
    return events.OrderLine.model_validate(
        {
            "line_id": uuid.uuid4(),
            "kind": LineKind.LABOUR,
            "code": "BRK-010",
            "description": "更换前刹车片",
            "hours": "1.2",
            "unit_price": "300",
            "pay_type": pay_type,
            "major_system": "brakes",
            **kw,
        }
    )


def part(pay_type: PayType = PayType.WARRANTY, **kw: object) -> events.OrderLine:
    return events.OrderLine.model_validate(
        {
            "line_id": uuid.uuid4(),
            "kind": LineKind.PART,
            "code": "1K0698151A",
            "description": "前刹车片",
            "quantity": "1",
            "unit_price": "480",
            "pay_type": pay_type,
            **kw,
        }
    )


def order_created(
    *lines: events.OrderLine,
    mileage_km: int | None = 42_000,
    warranty_start: date | None = date(2024, 5, 1),
) -> events.OrderCreated:
    order_id = uuid.uuid4()
    return events.OrderCreated(
        order_id=order_id,
        order_no=f"RO-BJ01-20260301-{order_id.hex[:6].upper()}",
        category=events.OrderCategory.WARRANTY,
        customer=events.CustomerRef(customer_id=uuid.uuid4(), name="张伟", phone="13800000001"),
        vehicle=events.VehicleRef(
            vin=VIN,
            plate="京A12345",
            make="FAW-VW",
            model="Sagitar",
            mileage_km=mileage_km,
            warranty_start=warranty_start,
        ),
        complaint="刹车时有异响",
        lines=list(lines) or [labour(), part()],
        advisor_id="advisor.bj01",
    )


def completed(order: events.OrderCreated) -> events.VehicleCompleted:
    return events.VehicleCompleted(order_id=order.order_id, vin=VIN, completed_at=COMPLETED_AT)


@pytest.fixture
async def warranty(tmp_path: Path):
    async with run_service(definition, tmp_path) as harness:
        yield harness


async def deliver(harness: ServiceHarness, *payloads: events.Payload) -> None:
    for payload in payloads:
        await harness.publish(payload, station_id="bj01", occurred_at=SIGNED_AT)


async def claims_of(harness: ServiceHarness, order_id: uuid.UUID) -> list[WarrantyClaim]:
    async with harness.runtime.db.read() as session:
        query = select(WarrantyClaim).where(WarrantyClaim.order_id == order_id)
        return list((await session.exec(query)).all())


async def outbox(harness: ServiceHarness) -> list[Envelope]:
    async with harness.runtime.db.read() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    return [Envelope.from_bytes(row.value) for row in rows]


# --- order.created ----------------------------------------------------------------------


async def test_warranty_lines_are_stored_and_coverage_checked_is_emitted(warranty) -> None:
    wash = labour(PayType.CUSTOMER, code="WASH", hours="0.5", major_system=None)
    order = order_created(labour(), part(), wash)
    cause = await warranty.publish(order, station_id="bj01", occurred_at=SIGNED_AT)

    async with warranty.runtime.db.read() as session:
        stored = await session.get(WarrantyOrder, order.order_id)
        lines = (await session.exec(select(WarrantyOrderLine))).all()
    assert stored is not None
    assert (stored.station_id, stored.vin, stored.mileage_km) == ("bj01", VIN, 42_000)
    assert stored.warranty_start == date(2024, 5, 1)
    assert {line.line_id for line in lines} == {order.lines[0].line_id, order.lines[1].line_id}

    [envelope] = await outbox(warranty)
    assert envelope.type == "coverage.checked"
    assert envelope.station_id == "bj01"  # the causing event's station
    assert envelope.causation_id == cause.event_id
    checked = envelope.open()
    assert isinstance(checked, events.CoverageChecked)
    assert checked.order_id == order.order_id
    assert [(c.line_id, c.verdict) for c in checked.lines] == [
        (order.lines[0].line_id, events.CoverageVerdict.COVERED),
        (order.lines[1].line_id, events.CoverageVerdict.COVERED),
    ]


async def test_unknown_warranty_start_needs_approval_and_over_60000_km_is_not_covered(
    warranty,
) -> None:
    await deliver(
        warranty,
        order_created(warranty_start=None),
        order_created(mileage_km=61_000),
    )
    unknown, over = [envelope.open() for envelope in await outbox(warranty)]
    assert isinstance(unknown, events.CoverageChecked)
    assert isinstance(over, events.CoverageChecked)
    assert {(c.verdict, c.reason) for c in unknown.lines} == {
        (events.CoverageVerdict.NEEDS_APPROVAL, "warranty start date unknown")
    }
    assert {(c.verdict, c.reason) for c in over.lines} == {
        (events.CoverageVerdict.NOT_COVERED, "over 60,000 km")
    }


async def test_order_announced_twice_is_recorded_and_answered_once(warranty) -> None:
    order = order_created()
    await deliver(warranty, order, order)  # same payload under two event ids
    assert [envelope.type for envelope in await outbox(warranty)] == ["coverage.checked"]
    assert warranty.runtime.consumer.counts["handled"] == 2


async def test_order_without_warranty_lines_gets_no_claim_after_vehicle_completed(
    warranty,
) -> None:
    order = order_created(labour(PayType.CUSTOMER), part(PayType.INSURANCE))
    await deliver(warranty, order, completed(order))

    async with warranty.runtime.db.read() as session:
        assert await session.get(WarrantyOrder, order.order_id) is None
    assert await claims_of(warranty, order.order_id) == []
    assert await outbox(warranty) == []  # no coverage to answer either
    assert warranty.runtime.consumer.counts["handled"] == 2
    assert warranty.runtime.consumer.counts["dead_lettered"] == 0


# --- vehicle.completed ------------------------------------------------------------------


async def test_vehicle_completed_drafts_a_claim_with_its_lines_and_amount(warranty) -> None:
    order = order_created(labour(), part(), labour(PayType.CUSTOMER, code="WASH"))
    await deliver(warranty, order, completed(order))

    [claim] = await claims_of(warranty, order.order_id)
    assert claim.status == ClaimStatus.DRAFT
    assert claim.station_id == "bj01"
    assert claim.claim_no.startswith("WC-BJ01-")
    assert (claim.vin, claim.mileage_km) == (VIN, 42_000)
    assert claim.repair_date == date(2026, 3, 2)
    assert claim.amount == Decimal("840.00")  # 1.2 h x 300 + 1 x 480; the wash is the customer's
    assert claim.problems == []

    response = await warranty.client.get(
        f"/claims/{claim.id}", headers=auth_headers("warranty.bj01")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert Decimal(body["amount"]) == Decimal("840.00")
    assert [(line["kind"], Decimal(line["amount"])) for line in body["lines"]] == [
        ("labour", Decimal("360.00")),
        ("part", Decimal("480.00")),
    ]
    assert [line["line_id"] for line in body["lines"]] == [
        str(order.lines[0].line_id),
        str(order.lines[1].line_id),
    ]


async def test_redelivered_vehicle_completed_creates_one_claim(warranty) -> None:
    order = order_created()
    await deliver(warranty, order)
    envelope = await warranty.publish(completed(order), station_id="bj01")
    await warranty.publish_envelope(envelope)  # the same message again (at least once)
    await warranty.publish(completed(order), station_id="bj01")  # completed again, new event

    [claim] = await claims_of(warranty, order.order_id)
    async with warranty.runtime.db.read() as session:
        lines = (await session.exec(select(ClaimLine))).all()
    assert len(lines) == 2 and {line.claim_id for line in lines} == {claim.id}
    assert warranty.runtime.consumer.counts["duplicate"] == 1
    assert warranty.runtime.consumer.counts["dead_lettered"] == 0


async def test_claim_with_labour_but_no_part_records_no_causal_part(warranty) -> None:
    order = order_created(labour(), part(PayType.CUSTOMER))
    await deliver(warranty, order, completed(order))

    [claim] = await claims_of(warranty, order.order_id)
    assert claim.problems == ["no causal part"]
    assert claim.amount == Decimal("360.00")
    response = await warranty.client.get(
        f"/claims/{claim.id}", headers=auth_headers("warranty.bj01")
    )
    assert response.json()["problems"] == ["no causal part"]


async def test_vehicle_completed_before_any_order_is_ignored(warranty) -> None:
    order = order_created()
    await deliver(warranty, completed(order))
    assert await claims_of(warranty, order.order_id) == []
    assert warranty.runtime.consumer.counts["dead_lettered"] == 0


# --- reading claims ---------------------------------------------------------------------


async def drafted_claim(harness: ServiceHarness) -> WarrantyClaim:
    order = order_created()
    await deliver(harness, order, completed(order))
    [claim] = await claims_of(harness, order.order_id)
    return claim


async def test_claim_of_another_station_is_404(warranty) -> None:
    claim = await drafted_claim(warranty)

    other = await warranty.client.get(f"/claims/{claim.id}", headers=auth_headers("warranty.sh01"))
    assert other.status_code == 404
    unknown = await warranty.client.get(
        f"/claims/{uuid.uuid4()}", headers=auth_headers("warranty.bj01")
    )
    assert unknown.status_code == 404
    assert other.json() == unknown.json()  # no hint that the claim exists
    group = await warranty.client.get(f"/claims/{claim.id}", headers=auth_headers("group.manager"))
    assert group.status_code == 200


async def test_claim_list_is_scoped_to_the_users_stations(warranty) -> None:
    claim = await drafted_claim(warranty)

    mine = await warranty.client.get("/claims", headers=auth_headers("warranty.bj01"))
    assert mine.status_code == 200
    assert mine.json()["count"] == 1
    assert mine.json()["data"][0]["id"] == str(claim.id)
    other = await warranty.client.get("/claims", headers=auth_headers("warranty.sh01"))
    assert other.json() == {"data": [], "count": 0}
    group = await warranty.client.get("/claims", headers=auth_headers("group.manager"))
    assert group.json()["count"] == 1


async def test_claim_list_filters_by_status(warranty) -> None:
    await drafted_claim(warranty)
    headers = auth_headers("manager.bj01")

    drafts = await warranty.client.get("/claims?status=draft", headers=headers)
    assert drafts.json()["count"] == 1
    submitted = await warranty.client.get("/claims?status=submitted", headers=headers)
    assert submitted.json() == {"data": [], "count": 0}
    bad = await warranty.client.get("/claims?status=paid", headers=headers)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "status"]


async def test_reading_claims_needs_a_warranty_advisor_or_manager_role(warranty) -> None:
    claim = await drafted_claim(warranty)
    for username in ("advisor.bj01", "warranty.bj01", "manager.bj01", "group.manager"):
        response = await warranty.client.get(f"/claims/{claim.id}", headers=auth_headers(username))
        assert response.status_code == 200, username
    for username in ("tech.bj01", "parts.bj01"):
        assert (
            await warranty.client.get("/claims", headers=auth_headers(username))
        ).status_code == 403
    assert (await warranty.client.get("/claims")).status_code == 401


async def test_service_documents_the_events_it_publishes_and_consumes(warranty) -> None:
    spec = (await warranty.client.get("/asyncapi.json")).json()
    assert "warranty:coverage.checked" in spec["channels"]
    consumed = " ".join(spec["channels"])
    assert "order.created" in consumed and "vehicle.completed" in consumed
