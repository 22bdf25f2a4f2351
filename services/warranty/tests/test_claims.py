"""Warranty service tests on faststream's test broker and SQLite, with a driven clock."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from services.warranty.app import definition
from services.warranty.manufacturer import Behaviour, Plan
from services.warranty.models import (
    ClaimLine,
    ClaimStatus,
    ClaimSubmission,
    WarrantyClaim,
    WarrantyOrder,
    WarrantyOrderLine,
)
from services.warranty.seed import seed
from shared.contracts import events
from shared.contracts.envelope import Envelope
from shared.contracts.events import LineKind, PayType
from shared.tables import OutboxMessage
from shared.testing import ServiceHarness, auth_headers, run_service

VIN = "LFV2A21K7G3000001"
#: when the repair order was signed (the envelope's occurred_at): coverage is judged then
SIGNED_AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
COMPLETED_AT = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)

ADMIN = auth_headers("warranty.bj01")


def labour(pay_type: PayType = PayType.WARRANTY, **kw: object) -> events.OrderLine:
    return events.OrderLine.model_validate(
        {
            "line_id": uuid.uuid4(),
            "kind": LineKind.LABOUR,
            "code": "ENG-120",
            "description": "更换水泵",
            "hours": "2.4",
            "unit_price": "300",
            "pay_type": pay_type,
            "major_system": "engine",
            **kw,
        }
    )


def part(pay_type: PayType = PayType.WARRANTY, **kw: object) -> events.OrderLine:
    return events.OrderLine.model_validate(
        {
            "line_id": uuid.uuid4(),
            "kind": LineKind.PART,
            "code": "06H121026DD",
            "description": "水泵",
            "quantity": "1",
            "unit_price": "480",
            "pay_type": pay_type,
            "causal": True,
            **kw,
        }
    )


def order_created(
    *lines: events.OrderLine,
    vin: str = VIN,
    model: str = "Sagitar",
    mileage_km: int | None = 42_000,
    warranty_start: date | None = date(2024, 5, 1),
    make: str = "FAW-VW",
    category: events.OrderCategory = events.OrderCategory.WARRANTY,
) -> events.OrderCreated:
    order_id = uuid.uuid4()
    return events.OrderCreated(
        order_id=order_id,
        order_no=f"RO-BJ01-20260301-{order_id.hex[:6].upper()}",
        category=category,
        customer=events.CustomerRef(customer_id=uuid.uuid4(), name="张伟", phone="13800000001"),
        vehicle=events.VehicleRef(
            vin=vin,
            plate="京A12345",
            make=make,
            model=model,
            mileage_km=mileage_km,
            warranty_start=warranty_start,
        ),
        complaint="发动机温度过高, 漏冷却液",
        lines=list(lines) or [labour(), part()],
        advisor_id="advisor.bj01",
    )


def completed(order: events.OrderCreated, at: datetime = COMPLETED_AT) -> events.VehicleCompleted:
    return events.VehicleCompleted(order_id=order.order_id, vin=order.vehicle.vin, completed_at=at)


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


async def claim_events(harness: ServiceHarness) -> list[str]:
    return [e.type for e in await outbox(harness) if e.type.startswith("claim.")]


async def drafted_claim(harness: ServiceHarness, order: events.OrderCreated | None = None) -> Any:
    order = order or order_created()
    await deliver(harness, order, completed(order))
    [claim] = await claims_of(harness, order.order_id)
    response = await harness.client.get(f"/claims/{claim.id}", headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


async def completed_claim(harness: ServiceHarness, **order: Any) -> Any:
    """A draft with its 3C filled in: ready to submit."""
    claim = await drafted_claim(harness, order_created(**order) if order else None)
    response = await harness.client.patch(
        f"/claims/{claim['id']}",
        headers=ADMIN,
        json={
            "version": claim["version"],
            "cause": "水泵轴承磨损漏水",
            "correction": "更换水泵, 加注冷却液",
            "fault_codes": ["P0217"],
            "photos": ["dms://photos/pump.jpg"],
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["problems"] == []
    return response.json()


async def submit(harness: ServiceHarness, claim: Any, **body: Any) -> Any:
    response = await harness.client.post(
        f"/claims/{claim['id']}/submission",
        headers=ADMIN,
        json={"version": claim["version"], **body},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def read_claim(harness: ServiceHarness, claim: Any) -> Any:
    return (await harness.client.get(f"/claims/{claim['id']}", headers=ADMIN)).json()


async def run_due(harness: ServiceHarness) -> int:
    assert harness.runtime.scheduler is not None
    return await harness.runtime.scheduler.run_due()


# --- order.created: coverage by the policy in force ------------------------------------


async def test_warranty_lines_are_stored_and_coverage_checked_is_emitted(warranty) -> None:
    wash = labour(PayType.CUSTOMER, code="WASH", hours="0.5", major_system=None)
    order = order_created(labour(), part(), wash)
    cause = await warranty.publish(order, station_id="bj01", occurred_at=SIGNED_AT)

    async with warranty.runtime.db.read() as session:
        stored = await session.get(WarrantyOrder, order.order_id)
        lines = (await session.exec(select(WarrantyOrderLine))).all()
    assert stored is not None
    assert (stored.station_id, stored.vin, stored.make, stored.model) == (
        "bj01",
        VIN,
        "FAW-VW",
        "Sagitar",
    )
    assert {line.line_id for line in lines} == {order.lines[0].line_id, order.lines[1].line_id}

    [envelope] = await outbox(warranty)
    assert envelope.type == "coverage.checked"
    assert envelope.station_id == "bj01"  # the causing event's station
    assert envelope.causation_id == cause.event_id
    checked = envelope.open()
    assert isinstance(checked, events.CoverageChecked)
    assert [(c.line_id, c.verdict) for c in checked.lines] == [
        (order.lines[0].line_id, events.CoverageVerdict.COVERED),
        (order.lines[1].line_id, events.CoverageVerdict.COVERED),
    ]


async def test_order_coverage_applies_the_policys_terms_and_exclusions(warranty) -> None:
    pads = part(code="1K0698151A", description="前刹车片", causal=False)
    await deliver(
        warranty,
        order_created(labour(), pads, mileage_km=120_000),  # powertrain 150,000 km; pads wear
        order_created(labour(code="BRK-010", major_system="brakes"), mileage_km=105_000),
        order_created(warranty_start=None),
        order_created(category=events.OrderCategory.ACCIDENT),
        order_created(make="Unknown", mileage_km=61_000),
    )
    opened = [e.open() for e in await outbox(warranty)]
    verdicts = [
        [(c.verdict.value, c.reason) for c in checked.lines]
        for checked in opened
        if isinstance(checked, events.CoverageChecked)
    ]
    assert verdicts == [
        [("covered", None), ("not_covered", "wear part 1K0698151A is excluded")],
        [("needs_approval", "goodwill: basic coverage ended: over 100,000 km")],
        [("needs_approval", "warranty start date unknown")] * 2,
        [("not_covered", "accident damage is excluded")] * 2,
        [
            ("not_covered", "powertrain coverage ended: over 60,000 km"),
            ("not_covered", "basic coverage ended: over 60,000 km"),  # national minimum
        ],
    ]


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
    assert warranty.runtime.consumer.counts["dead_lettered"] == 0


# --- coverage pre-check at check-in (HTTP) ----------------------------------------------


async def test_coverage_pre_check_at_check_in_answers_per_line(warranty) -> None:
    response = await warranty.client.post(
        "/coverage-checks",
        headers=auth_headers("advisor.bj01"),
        json={
            "vin": VIN,
            "make": "FAW-VW",
            "model": "Sagitar",
            "mileage_km": 42_000,
            "warranty_start": "2024-05-01",
            "lines": [
                {"kind": "labour", "code": "ENG-120", "major_system": "engine"},
                {"kind": "part", "code": "1K0698151A"},
                {"kind": "part", "code": "06H121026DD", "customer_supplied": True},
            ],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["policy_version"] == 1
    assert body["on"] == "2026-03-03"
    assert body["sanbao_period"] is True
    assert [(line["verdict"], line["coverage"]) for line in body["lines"]] == [
        ("covered", "powertrain"),
        ("not_covered", "wear"),
        ("not_covered", None),
    ]
    assert body["lines"][2]["reason"] == "customer-supplied part is excluded"


async def test_coverage_pre_check_refuses_bad_input_naming_the_field(warranty) -> None:
    bad = await warranty.client.post(
        "/coverage-checks",
        headers=ADMIN,
        json={"vin": "SHORT", "lines": [{"kind": "labour", "code": "X"}], "colour": "red"},
    )
    assert bad.status_code == 422
    assert {tuple(d["loc"]) for d in bad.json()["detail"]} == {
        ("body", "vin"),
        ("body", "colour"),
    }
    no_token = await warranty.client.post("/coverage-checks", json={})
    assert no_token.status_code == 401
    tech = await warranty.client.post(
        "/coverage-checks", headers=auth_headers("tech.bj01"), json={}
    )
    assert tech.status_code == 403


async def test_pre_authorisation_decides_a_line_that_needs_approval_before_work(
    warranty,
) -> None:
    order = order_created(warranty_start=None)
    await deliver(warranty, order)
    read = await warranty.client.get(f"/orders/{order.order_id}", headers=ADMIN)
    assert read.status_code == 200, read.text
    labour_line, part_line = read.json()["lines"]
    assert labour_line["coverage"] == "needs_approval"
    url = f"/orders/{order.order_id}/lines/{labour_line['line_id']}/pre-authorisation"

    no_number = await warranty.client.post(url, headers=ADMIN, json={"approved": True})
    assert no_number.status_code == 422
    assert no_number.json()["detail"][0]["loc"] == ["body", "authorisation_no"]
    approved = await warranty.client.post(
        url, headers=ADMIN, json={"approved": True, "authorisation_no": "PA-000123"}
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["lines"][0]["coverage"] == "covered"
    assert approved.json()["lines"][0]["authorisation_no"] == "PA-000123"
    again = await warranty.client.post(
        url, headers=ADMIN, json={"approved": True, "authorisation_no": "PA-000124"}
    )
    assert again.status_code == 409
    refused = await warranty.client.post(
        f"/orders/{order.order_id}/lines/{part_line['line_id']}/pre-authorisation",
        headers=ADMIN,
        json={"approved": False, "reason": "modified cooling system"},
    )
    assert refused.json()["lines"][1]["coverage"] == "not_covered"

    last = (await outbox(warranty))[-1].open()
    assert isinstance(last, events.CoverageChecked)  # reception hears every decision
    assert [(c.verdict.value, c.reason) for c in last.lines] == [
        ("covered", "pre-authorised by the manufacturer: PA-000123"),
        ("not_covered", "pre-authorisation refused: modified cooling system"),
    ]
    other = await warranty.client.post(
        url, headers=auth_headers("warranty.sh01"), json={"approved": False, "reason": "x"}
    )
    assert other.status_code == 404

    await deliver(warranty, completed(order))
    [claim] = await claims_of(warranty, order.order_id)
    body = await read_claim(warranty, {"id": str(claim.id)})
    assert [line["coverage"] for line in body["lines"]] == ["covered", "not_covered"]


# --- policies: versioned, judged by the version valid on the repair date ---------------


async def test_new_policy_version_applies_from_its_date_and_older_repairs_keep_theirs(
    warranty,
) -> None:
    new = await warranty.client.post(
        "/policies",
        headers=auth_headers("group.manager"),
        json={
            "make": "FAW-VW",
            "valid_from": "2026-03-02",
            "terms": {"basic": {"months": 24, "km": 60000}},
            "categories": {"ENG-": "basic"},
        },
    )
    assert new.status_code == 201, new.text
    assert new.json()["version"] == 2
    order = order_created(mileage_km=70_000)
    await deliver(warranty, order)  # signed 1 March: version 1 (powertrain to 150,000 km)
    [checked] = [e.open() for e in await outbox(warranty)]
    assert isinstance(checked, events.CoverageChecked)
    assert {c.verdict for c in checked.lines} == {events.CoverageVerdict.COVERED}
    await deliver(warranty, completed(order))  # repaired 2 March: the claim is under version 2
    [claim] = await claims_of(warranty, order.order_id)
    assert claim.policy_version == 2

    stale = await warranty.client.post(
        "/policies",
        headers=auth_headers("group.manager"),
        json={"make": "FAW-VW", "valid_from": "2026-01-01", "terms": {"basic": {"months": 36}}},
    )
    assert stale.status_code == 422
    assert stale.json()["detail"][0]["loc"] == ["body", "valid_from"]
    wrong = await warranty.client.post(
        "/policies",
        headers=auth_headers("group.manager"),
        json={"make": "X", "valid_from": "2026-01-01", "terms": {}, "categories": {"A": "b"}},
    )
    assert wrong.status_code == 422
    assert {d["loc"][-1] for d in wrong.json()["detail"]} == {"terms", "categories"}
    assert (
        await warranty.client.post("/policies", headers=auth_headers("advisor.bj01"), json={})
    ).status_code == 403
    sagitar = await warranty.client.post(
        "/policies",
        headers=auth_headers("group.manager"),
        json={
            "make": "faw-vw",
            "model": "Sagitar",
            "valid_from": "2026-01-01",
            "terms": {"basic": {"months": 48, "km": 120000}},
        },
    )
    assert (sagitar.json()["make"], sagitar.json()["version"]) == ("faw-vw", 1)
    magotan = await warranty.client.post(
        "/policies",
        headers=auth_headers("group.manager"),
        json={"make": "faw-vw", "valid_from": "2026-04-01", "terms": {"basic": {"months": 36}}},
    )
    assert (magotan.json()["make"], magotan.json()["version"]) == ("FAW-VW", 3)
    listed = await warranty.client.get("/policies?make=faw-vw", headers=ADMIN)
    assert [(p["model"], p["version"]) for p in listed.json()["data"]] == [
        (None, 1),
        (None, 2),
        (None, 3),
        ("Sagitar", 1),
    ]


# --- vehicle.completed: the draft -------------------------------------------------------


async def test_vehicle_completed_drafts_a_claim_with_its_lines_and_amount(warranty) -> None:
    order = order_created(labour(), part(), labour(PayType.CUSTOMER, code="WASH"))
    await deliver(warranty, order, completed(order))

    [claim] = await claims_of(warranty, order.order_id)
    assert claim.status == ClaimStatus.DRAFT
    assert claim.claim_no.startswith("WC-BJ01-")
    assert claim.repair_date == date(2026, 3, 2)
    assert claim.amount == Decimal("1200.00")  # 2.4 h x 300 + 480; the wash is the customer's
    assert claim.policy_version == 1

    body = (await warranty.client.get(f"/claims/{claim.id}", headers=ADMIN)).json()
    assert [(line["kind"], Decimal(line["amount"]), line["causal"]) for line in body["lines"]] == [
        ("labour", Decimal("720.00"), False),
        ("part", Decimal("480.00"), True),
    ]
    assert Decimal(body["lines"][0]["standard_hours"]) == Decimal("2.4")
    # complaint comes from the order; cause and correction are the administrator's to fill
    assert body["problems"] == [
        "cause missing: say what failed and why",
        "correction missing: say what was done",
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


async def test_vehicle_completed_before_any_order_is_ignored(warranty) -> None:
    order = order_created()
    await deliver(warranty, completed(order))
    assert await claims_of(warranty, order.order_id) == []
    assert warranty.runtime.consumer.counts["dead_lettered"] == 0


# --- completing and validating the draft ------------------------------------------------


async def test_missing_causal_part_is_fixed_by_naming_the_failed_part(warranty) -> None:
    claim = await drafted_claim(warranty, order_created(labour(), part(causal=False)))
    assert "no causal part" in claim["problems"]
    part_line = claim["lines"][1]
    labour_line = claim["lines"][0]

    not_a_part = await warranty.client.patch(
        f"/claims/{claim['id']}",
        headers=ADMIN,
        json={"version": claim["version"], "causal_line_id": labour_line["id"]},
    )
    assert not_a_part.status_code == 422
    assert not_a_part.json()["detail"][0]["loc"] == ["body", "causal_line_id"]

    fixed = await warranty.client.patch(
        f"/claims/{claim['id']}",
        headers=ADMIN,
        json={
            "version": claim["version"],
            "causal_line_id": part_line["id"],
            "cause": "水泵轴承磨损",
            "correction": "更换水泵",
        },
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["problems"] == []
    assert fixed.json()["version"] == claim["version"] + 1


async def test_an_edit_based_on_a_stale_version_is_refused(warranty) -> None:
    claim = await completed_claim(warranty)
    stale = await warranty.client.patch(
        f"/claims/{claim['id']}", headers=ADMIN, json={"version": 1, "cause": "x"}
    )
    assert stale.status_code == 409
    assert stale.json()["detail"][0]["loc"] == ["body", "version"]


async def test_labour_hours_over_the_standard_need_a_note_before_submission(warranty) -> None:
    claim = await drafted_claim(warranty, order_created(labour(hours="3.0"), part()))
    assert "labour line ENG-120: 3 h over the standard 2.4 h without a note" in claim["problems"]
    refused = await warranty.client.post(
        f"/claims/{claim['id']}/submission", headers=ADMIN, json={"version": claim["version"]}
    )
    assert refused.status_code == 422
    assert "over the standard" in refused.json()["detail"][0]["msg"]
    noted = await warranty.client.patch(
        f"/claims/{claim['id']}",
        headers=ADMIN,
        json={
            "version": claim["version"],
            "cause": "水泵轴承磨损",
            "correction": "更换水泵",
            "hours_notes": {claim["lines"][0]["id"]: "seized bolts had to be drilled out"},
        },
    )
    assert noted.json()["problems"] == []
    assert (await read_claim(warranty, claim))["status"] == "draft"


async def test_duplicate_claim_for_the_same_vin_and_operation_within_the_window(warranty) -> None:
    first = await completed_claim(warranty)
    second = await drafted_claim(warranty)
    assert not any(p.startswith("duplicate") for p in second["problems"])  # drafts: no block
    await submit(warranty, first)
    second = await read_claim(warranty, second)
    assert any(p.startswith(f"duplicate of {first['claim_no']}") for p in second["problems"])
    other_vin = await drafted_claim(warranty, order_created(vin="LFV2A21K9G3000002"))
    assert not any(p.startswith("duplicate") for p in other_vin["problems"])


async def test_claim_older_than_the_submission_deadline_cannot_be_submitted(
    warranty, driven
) -> None:
    claim = await completed_claim(warranty)
    driven.set(datetime(2026, 4, 2, 9, tzinfo=UTC))  # repaired 2 March, 30 days to submit
    late = await warranty.client.post(
        f"/claims/{claim['id']}/submission", headers=ADMIN, json={"version": claim["version"]}
    )
    assert late.status_code == 422
    assert late.json()["detail"][0]["loc"] == ["body", "problems"]
    assert "submission deadline passed on 2026-04-01" in late.json()["detail"][0]["msg"]
    assert (await read_claim(warranty, claim))["status"] == "draft"  # nothing half-written
    assert await claim_events(warranty) == []


async def test_a_line_outside_coverage_is_refused_with_the_reason(warranty) -> None:
    pads = part(code="1K0698151A", description="前刹车片")
    claim = await drafted_claim(warranty, order_created(labour(), pads))
    assert "line 1K0698151A not covered: wear part 1K0698151A is excluded" in claim["problems"]


# --- submission to the manufacturer, end to end -----------------------------------------


async def test_claim_goes_from_a_warranty_order_to_paid(warranty, driven, simulator) -> None:
    simulator.default = Plan(Behaviour.APPROVE, delay=timedelta(hours=4))
    claim = await completed_claim(warranty)
    submitted = await submit(warranty, claim)
    assert submitted["status"] == "submitted"
    assert await claim_events(warranty) == ["claim.submitted"]

    assert await run_due(warranty) == 1  # sent; the answers are persisted, due later
    assert len(simulator.received) == 1
    assert simulator.received[0].cause == "水泵轴承磨损漏水"
    assert simulator.received[0].lines[1].causal
    assert (await read_claim(warranty, claim))["status"] == "submitted"

    driven.advance(timedelta(hours=4))
    await run_due(warranty)
    approved = await read_claim(warranty, claim)
    assert approved["status"] == "approved"
    assert Decimal(approved["approved_amount"]) == Decimal("1200.00")

    driven.advance(timedelta(days=1))
    await run_due(warranty)
    paid = await read_claim(warranty, claim)
    assert paid["status"] == "paid"
    assert Decimal(paid["paid_amount"]) == Decimal("1200.00")
    assert await claim_events(warranty) == ["claim.submitted", "claim.approved", "claim.paid"]
    [paid_event] = [e.open() for e in await outbox(warranty) if e.type == "claim.paid"]
    assert isinstance(paid_event, events.ClaimPaid)
    assert paid_event.paid_on == date(2026, 3, 4)
    assert str(paid_event.order_id) == paid["order_id"]


async def test_rejected_claim_is_corrected_and_resubmitted(warranty, simulator) -> None:
    claim = await completed_claim(warranty)
    simulator.plan(
        claim["claim_no"],
        Plan(Behaviour.REJECT, reason="hours above the standard"),
        Plan(Behaviour.APPROVE),
    )
    await submit(warranty, claim)
    await run_due(warranty)  # sent
    await run_due(warranty)  # the rejection, due at once
    rejected = await read_claim(warranty, claim)
    assert rejected["status"] == "rejected"
    assert rejected["reason_code"] == "excessive_labour_hours"
    [event] = [e.open() for e in await outbox(warranty) if e.type == "claim.rejected"]
    assert isinstance(event, events.ClaimRejected)
    assert event.reason_code == "excessive_labour_hours"

    corrected = await warranty.client.patch(
        f"/claims/{claim['id']}",
        headers=ADMIN,
        json={"version": rejected["version"], "correction": "更换水泵 (按标准工时)"},
    )
    resubmitted = await submit(warranty, corrected.json())
    assert resubmitted["status"] == "resubmitted"
    assert resubmitted["reason_code"] is None
    await run_due(warranty)
    await run_due(warranty)
    assert (await read_claim(warranty, claim))["status"] == "approved"
    assert await claim_events(warranty) == [
        "claim.submitted",
        "claim.rejected",
        "claim.submitted",
        "claim.approved",
    ]
    history = (await warranty.client.get(f"/claims/{claim['id']}/history", headers=ADMIN)).json()
    assert [s["number"] for s in history["submissions"]] == [1, 2]
    assert [a["kind"] for a in history["answers"]] == ["rejected", "approved", "paid"]


async def test_manufacturer_asks_for_information_and_the_answer_resubmits(
    warranty, simulator
) -> None:
    claim = await completed_claim(warranty)
    simulator.plan(claim["claim_no"], Plan(Behaviour.ASK_FOR_INFO, question="batch number?"))
    await submit(warranty, claim)
    await run_due(warranty)
    await run_due(warranty)
    asked = await read_claim(warranty, claim)
    assert (asked["status"], asked["question"]) == ("info_requested", "batch number?")

    no_answer = await warranty.client.post(
        f"/claims/{claim['id']}/submission", headers=ADMIN, json={"version": asked["version"]}
    )
    assert no_answer.status_code == 422
    assert no_answer.json()["detail"][0]["loc"] == ["body", "info_answer"]
    again = await submit(warranty, asked, info_answer="批号 2025-11-A")
    assert again["status"] == "resubmitted"
    await run_due(warranty)
    assert simulator.received[-1].info_answer == "批号 2025-11-A"
    assert await claim_events(warranty) == [
        "claim.submitted",
        "claim.info_requested",
        "claim.submitted",
        "claim.approved",  # the simulator's default answer to the resubmission
    ]


async def test_partly_approved_claim_is_paid_the_approved_amount(warranty, simulator) -> None:
    claim = await completed_claim(warranty)
    simulator.plan(claim["claim_no"], Plan(Behaviour.PARTLY_APPROVE, share=Decimal("0.75")))
    await submit(warranty, claim)
    await run_due(warranty)
    await run_due(warranty)
    partly = await read_claim(warranty, claim)
    assert partly["status"] == "partly_approved"
    assert Decimal(partly["approved_amount"]) == Decimal("900.00")
    [approved] = [e.open() for e in await outbox(warranty) if e.type == "claim.approved"]
    assert isinstance(approved, events.ClaimApproved) and approved.partly


async def test_a_paid_claim_can_be_charged_back_when_the_part_was_not_returned(
    warranty, driven, simulator
) -> None:
    claim = await completed_claim(warranty)
    simulator.plan(claim["claim_no"], Plan(charge_back_after=timedelta(days=20)))
    await submit(warranty, claim)
    await run_due(warranty)
    driven.advance(timedelta(days=1))
    await run_due(warranty)
    assert (await read_claim(warranty, claim))["status"] == "paid"
    driven.advance(timedelta(days=20))
    await run_due(warranty)
    charged = await read_claim(warranty, claim)
    assert (charged["status"], charged["reason_code"]) == (
        "charged_back",
        "part_not_returned_in_time",
    )
    assert Decimal(charged["charged_back_amount"]) == Decimal("1200.00")
    assert await claim_events(warranty) == [
        "claim.submitted",
        "claim.approved",
        "claim.paid",
        "claim.charged_back",
    ]
    [event] = [e.open() for e in await outbox(warranty) if e.type == "claim.charged_back"]
    assert isinstance(event, events.ClaimChargedBack)
    assert (event.amount, event.reason_code) == (Decimal("1200.00"), "part_not_returned_in_time")


async def paid_claim(harness: ServiceHarness, driven: Any, **order: Any) -> Any:
    claim = await completed_claim(harness, **order)
    await submit(harness, claim)
    await run_due(harness)  # sent, approved at once
    driven.advance(timedelta(days=1))
    await run_due(harness)  # paid
    paid = await read_claim(harness, claim)
    assert paid["status"] == "paid"
    return paid


async def test_administrator_records_a_charge_back_of_a_paid_claim_with_reason_and_amount(
    warranty, driven
) -> None:
    paid = await paid_claim(warranty, driven)
    url = f"/claims/{paid['id']}/charge-back"
    body = {
        "version": paid["version"],
        "amount": "480.00",
        "reason_code": "returned_part_no_fault_found",
        "reason": "旧件检测无故障",
    }
    too_much = await warranty.client.post(url, headers=ADMIN, json={**body, "amount": "1200.01"})
    assert too_much.status_code == 422
    assert too_much.json()["detail"][0]["loc"] == ["body", "amount"]
    bad_code = await warranty.client.post(url, headers=ADMIN, json={**body, "reason_code": "x"})
    assert bad_code.status_code == 422
    assert bad_code.json()["detail"][0]["loc"][-1] == "reason_code"
    other = await warranty.client.post(url, headers=auth_headers("warranty.sh01"), json=body)
    assert other.status_code == 404
    manager = await warranty.client.post(url, headers=auth_headers("manager.bj01"), json=body)
    assert manager.status_code == 403

    charged = await warranty.client.post(url, headers=ADMIN, json=body)
    assert charged.status_code == 200, charged.text
    assert (charged.json()["status"], charged.json()["reason_code"]) == (
        "charged_back",
        "returned_part_no_fault_found",
    )
    assert Decimal(charged.json()["charged_back_amount"]) == Decimal("480.00")
    [event] = [e.open() for e in await outbox(warranty) if e.type == "claim.charged_back"]
    assert isinstance(event, events.ClaimChargedBack)
    assert (event.amount, event.reason) == (Decimal("480.00"), "旧件检测无故障")
    history = (await warranty.client.get(f"/claims/{paid['id']}/history", headers=ADMIN)).json()
    assert [a["kind"] for a in history["answers"]][-1] == "charged_back"

    again = await warranty.client.post(
        url, headers=ADMIN, json={**body, "version": charged.json()["version"]}
    )
    assert again.status_code == 409  # charged back once: no longer paid


async def test_only_a_paid_claim_can_be_charged_back(warranty, driven) -> None:
    claim = await completed_claim(warranty)
    submitted = await submit(warranty, claim)
    refused = await warranty.client.post(
        f"/claims/{claim['id']}/charge-back",
        headers=ADMIN,
        json={
            "version": submitted["version"],
            "amount": "100",
            "reason_code": "audit_finding",
            "reason": "x",
        },
    )
    assert refused.status_code == 409
    assert (await read_claim(warranty, claim))["status"] == "submitted"
    assert "claim.charged_back" not in await claim_events(warranty)


@pytest.mark.parametrize("failure", [Behaviour.FAIL, Behaviour.TIME_OUT])
async def test_a_failing_manufacturer_leaves_the_claim_submitted_to_be_retried(
    warranty, driven, simulator, failure
) -> None:
    simulator.default = Plan(failure)
    claim = await completed_claim(warranty)
    await submit(warranty, claim)
    await run_due(warranty)
    await run_due(warranty)  # the retry is not due yet
    assert (await read_claim(warranty, claim))["status"] == "submitted"
    async with warranty.runtime.db.read() as session:
        [submission] = (await session.exec(select(ClaimSubmission))).all()
    assert (submission.state, submission.attempts) == ("pending", 1)
    assert submission.last_error is not None

    simulator.default = Plan(Behaviour.APPROVE)
    driven.advance(timedelta(seconds=30))
    await run_due(warranty)  # the retry sends; the approval is due at once
    await run_due(warranty)
    assert (await read_claim(warranty, claim))["status"] == "approved"
    history = (await warranty.client.get(f"/claims/{claim['id']}/history", headers=ADMIN)).json()
    assert history["submissions"][0]["attempts"] == 2


async def test_poll_applies_only_the_answers_due_by_now(warranty, driven, simulator) -> None:
    simulator.default = Plan(Behaviour.APPROVE, delay=timedelta(days=2))
    claim = await completed_claim(warranty)
    await submit(warranty, claim)
    polled = await warranty.client.post(f"/claims/{claim['id']}/poll", headers=ADMIN)
    assert polled.status_code == 200, polled.text
    assert polled.json()["status"] == "submitted"  # sent by the poll, answer due in 2 days
    assert len(simulator.received) == 1
    driven.advance(timedelta(days=2))
    polled = await warranty.client.post(f"/claims/{claim['id']}/poll", headers=ADMIN)
    assert polled.json()["status"] == "approved"
    assert await run_due(warranty) == 2  # the planned tasks find nothing left to do
    assert (await read_claim(warranty, claim))["status"] == "approved"
    assert len(simulator.received) == 1
    other = await warranty.client.post(
        f"/claims/{claim['id']}/poll", headers=auth_headers("warranty.sh01")
    )
    assert other.status_code == 404


async def test_a_submitted_claim_cannot_be_changed_or_submitted_again(warranty) -> None:
    claim = await completed_claim(warranty)
    submitted = await submit(warranty, claim)
    again = await warranty.client.post(
        f"/claims/{claim['id']}/submission", headers=ADMIN, json={"version": submitted["version"]}
    )
    assert again.status_code == 409
    edit = await warranty.client.patch(
        f"/claims/{claim['id']}",
        headers=ADMIN,
        json={"version": submitted["version"], "cause": "x"},
    )
    assert edit.status_code == 409
    manager = await warranty.client.post(
        f"/claims/{claim['id']}/submission",
        headers=auth_headers("manager.bj01"),
        json={"version": submitted["version"]},
    )
    assert manager.status_code == 403  # managers read


# --- reading claims ---------------------------------------------------------------------


async def test_claim_of_another_station_is_404(warranty) -> None:
    claim = await drafted_claim(warranty)

    other = await warranty.client.get(
        f"/claims/{claim['id']}", headers=auth_headers("warranty.sh01")
    )
    assert other.status_code == 404
    unknown = await warranty.client.get(f"/claims/{uuid.uuid4()}", headers=ADMIN)
    assert unknown.status_code == 404
    assert other.json() == unknown.json()  # no hint that the claim exists
    edit = await warranty.client.patch(
        f"/claims/{claim['id']}", headers=auth_headers("warranty.sh01"), json={"version": 1}
    )
    assert edit.status_code == 404
    group = await warranty.client.get(
        f"/claims/{claim['id']}", headers=auth_headers("group.manager")
    )
    assert group.status_code == 200


async def test_claim_list_is_scoped_and_filters_by_status_and_order(warranty) -> None:
    claim = await drafted_claim(warranty)

    mine = await warranty.client.get(
        f"/claims?order_id={claim['order_id']}&status=draft", headers=ADMIN
    )
    assert mine.json()["count"] == 1
    assert mine.json()["data"][0]["id"] == claim["id"]
    other = await warranty.client.get("/claims", headers=auth_headers("warranty.sh01"))
    assert other.json() == {"data": [], "count": 0}
    group = await warranty.client.get("/claims", headers=auth_headers("group.manager"))
    assert group.json()["count"] == 1
    submitted = await warranty.client.get("/claims?status=submitted", headers=ADMIN)
    assert submitted.json() == {"data": [], "count": 0}
    bad = await warranty.client.get("/claims?status=bogus", headers=ADMIN)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "status"]


async def test_reading_claims_needs_a_warranty_advisor_or_manager_role(warranty) -> None:
    claim = await drafted_claim(warranty)
    for username in ("advisor.bj01", "warranty.bj01", "manager.bj01", "group.manager"):
        response = await warranty.client.get(
            f"/claims/{claim['id']}", headers=auth_headers(username)
        )
        assert response.status_code == 200, username
    for username in ("tech.bj01", "parts.bj01"):
        assert (
            await warranty.client.get("/claims", headers=auth_headers(username))
        ).status_code == 403
    assert (await warranty.client.get("/claims")).status_code == 401


async def test_service_documents_the_events_it_publishes_and_consumes(warranty) -> None:
    spec = (await warranty.client.get("/asyncapi.json")).json()
    for topic in (
        "coverage.checked",
        "claim.submitted",
        "claim.info_requested",
        "claim.approved",
        "claim.rejected",
        "claim.paid",
        "claim.charged_back",
    ):
        assert f"warranty:{topic}" in spec["channels"]
    consumed = " ".join(spec["channels"])
    for topic in ("order.created", "vehicle.completed", "item.backordered"):
        assert topic in consumed


async def test_demo_policies_are_seeded_once(warranty) -> None:
    await seed(warranty.runtime)  # the fixture seeded already: a restart adds nothing
    listed = (await warranty.client.get("/policies", headers=ADMIN)).json()
    assert [(p["make"], p["version"]) for p in listed["data"]] == [("Buick", 1), ("FAW-VW", 1)]


async def test_routes_are_documented_with_examples(warranty) -> None:
    spec = (await warranty.client.get("/openapi.json")).json()
    submission = spec["paths"]["/claims/{claim_id}/submission"]["post"]
    assert "Refused with the reasons" in submission["description"]
    schemas = spec["components"]["schemas"]
    for name in ("ClaimUpdate", "ClaimSubmit", "PolicyCreate", "CoverageCheckRequest"):
        assert schemas[name].get("examples"), name


async def test_service_started_with_demo_data_has_the_demo_makes_policies(
    tmp_path: Path, driven
) -> None:
    async with run_service(definition, tmp_path / "demo", seed_demo_data=True) as harness:
        listed = (await harness.client.get("/policies", headers=ADMIN)).json()
    assert {p["make"] for p in listed["data"]} == {"FAW-VW", "Buick"}
