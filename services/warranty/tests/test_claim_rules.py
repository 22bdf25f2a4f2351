"""The claim rules of process §10 / issue 6 that depend on the manufacturer's policy, each by
name: rejection reason codes, the submission deadline, the duplicate window, the labour-time
standard and the returned-parts deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.warranty.domain import RejectionReason
from services.warranty.manufacturer import Behaviour, Plan
from services.warranty.tests.test_claims import (
    ADMIN,
    COMPLETED_AT,
    claim_events,
    completed,
    completed_claim,
    deliver,
    drafted_claim,
    labour,
    order_created,
    outbox,
    part,
    read_claim,
    run_due,
    submit,
)
from shared.contracts import events
from shared.testing import ServiceHarness, auth_headers

BUICK: dict[str, Any] = {"make": "Buick", "model": "Regal", "vin": "LSGGF53W8KH000001"}

# --- rejection reason codes -------------------------------------------------------------


def test_rejection_reason_codes_follow_the_industry_list() -> None:
    assert {code.value for code in RejectionReason} == {
        "wrong_causal_part",
        "coverage_expired",
        "part_not_returned_in_time",
        "submitted_too_late",
        "excessive_labour_hours",
        "duplicate",
        "missed_maintenance",  # 未按规定保养: the policy's maintenance exclusion
    }


@pytest.mark.parametrize("code", list(RejectionReason))
async def test_every_rejection_reason_code_reaches_the_claim_the_event_and_the_kpis(
    warranty, simulator, code
) -> None:
    claim = await completed_claim(warranty)
    simulator.plan(claim["claim_no"], Plan(Behaviour.REJECT, reason_code=code, reason="why"))
    await submit(warranty, claim)
    await run_due(warranty)
    await run_due(warranty)
    rejected = await read_claim(warranty, claim)
    assert (rejected["status"], rejected["reason_code"]) == ("rejected", code.value)
    [event] = [e.open() for e in await outbox(warranty) if e.type == "claim.rejected"]
    assert isinstance(event, events.ClaimRejected) and event.reason_code == code.value
    kpis = (await warranty.client.get("/kpis", headers=auth_headers("manager.bj01"))).json()
    assert kpis["stations"][0]["rejected_by_reason"] == {code.value: 1}


# --- submission deadline ----------------------------------------------------------------


async def submission_response(harness: ServiceHarness, claim: dict) -> tuple[int, str]:
    response = await harness.client.post(
        f"/claims/{claim['id']}/submission", headers=ADMIN, json={"version": claim["version"]}
    )
    detail = response.json().get("detail")
    return response.status_code, detail[0]["msg"] if isinstance(detail, list) else ""


async def test_claim_submitted_on_the_last_day_of_the_submission_deadline_is_accepted(
    warranty, driven
) -> None:
    claim = await completed_claim(warranty)  # repaired 2 March; FAW-VW: 30 days
    driven.set(datetime(2026, 4, 1, 15, tzinfo=UTC))
    assert (await submission_response(warranty, claim))[0] == 200


async def test_submission_deadline_is_the_days_of_the_makes_policy(warranty, driven) -> None:
    claim = await completed_claim(warranty, **BUICK)  # Buick: 21 days
    driven.set(datetime(2026, 3, 24, 9, tzinfo=UTC))
    status, message = await submission_response(warranty, claim)
    assert status == 422
    assert "submission deadline passed on 2026-03-23 (21 days after repair)" in message


async def test_a_rejected_claim_past_the_submission_deadline_cannot_be_resubmitted(
    warranty, driven, simulator
) -> None:
    claim = await completed_claim(warranty)
    simulator.plan(claim["claim_no"], Plan(Behaviour.REJECT))
    await submit(warranty, claim)
    await run_due(warranty)
    await run_due(warranty)
    rejected = await read_claim(warranty, claim)
    assert rejected["status"] == "rejected"
    driven.set(datetime(2026, 4, 2, 9, tzinfo=UTC))
    status, message = await submission_response(warranty, rejected)
    assert status == 422 and "submission deadline passed" in message
    assert await claim_events(warranty) == ["claim.submitted", "claim.rejected"]


# --- duplicate window -------------------------------------------------------------------


async def second_claim_after(harness: ServiceHarness, days: int) -> dict:
    order = order_created()
    await deliver(harness, order, completed(order, at=COMPLETED_AT + timedelta(days=days)))
    claims = (await harness.client.get(f"/claims?order_id={order.order_id}", headers=ADMIN)).json()
    return await read_claim(harness, claims["data"][0])


async def test_duplicate_window_is_the_days_of_the_makes_policy(warranty) -> None:
    first = await completed_claim(warranty)
    await submit(warranty, first)
    inside = await second_claim_after(warranty, 30)  # FAW-VW: 30 days
    assert any(p.startswith(f"duplicate of {first['claim_no']}") for p in inside["problems"])
    outside = await second_claim_after(warranty, 31)
    assert not any(p.startswith("duplicate") for p in outside["problems"])


async def test_a_claim_the_manufacturer_rejected_makes_no_later_claim_a_duplicate(
    warranty, simulator
) -> None:
    first = await completed_claim(warranty)
    simulator.plan(first["claim_no"], Plan(Behaviour.REJECT))
    await submit(warranty, first)
    await run_due(warranty)
    await run_due(warranty)
    assert (await read_claim(warranty, first))["status"] == "rejected"
    second = await drafted_claim(warranty)
    assert not any(p.startswith("duplicate") for p in second["problems"])


async def test_another_labour_operation_on_the_same_vehicle_is_no_duplicate(warranty) -> None:
    first = await completed_claim(warranty)
    await submit(warranty, first)
    gearbox = labour(code="GBX-210", hours="4.0", major_system="gearbox")
    other = await drafted_claim(warranty, order_created(gearbox, part()))
    assert not any(p.startswith("duplicate") for p in other["problems"])


# --- labour-time standard ---------------------------------------------------------------


async def test_labour_standard_is_the_one_of_the_makes_policy(warranty) -> None:
    buick = await drafted_claim(warranty, order_created(labour(hours="2.8"), part(), **BUICK))
    assert Decimal(buick["lines"][0]["standard_hours"]) == Decimal("2.8")
    assert not any("over the standard" in p for p in buick["problems"])
    faw = await drafted_claim(warranty, order_created(labour(hours="2.8"), part()))
    assert Decimal(faw["lines"][0]["standard_hours"]) == Decimal("2.4")
    assert "labour line ENG-120: 2.8 h over the standard 2.4 h without a note" in faw["problems"]


async def test_labour_hours_at_the_standard_need_no_note(warranty) -> None:
    claim = await drafted_claim(warranty, order_created(labour(hours="2.4"), part()))
    assert not any("over the standard" in p for p in claim["problems"])


async def test_an_operation_without_a_labour_time_standard_needs_no_note(warranty) -> None:
    unlisted = labour(code="ENG-999", hours="9.5")
    claim = await drafted_claim(warranty, order_created(unlisted, part()))
    assert claim["lines"][0]["standard_hours"] is None
    assert not any("over the standard" in p for p in claim["problems"])


async def test_labour_without_flat_rate_hours_is_a_problem_to_fix_before_submission(
    warranty,
) -> None:
    claim = await drafted_claim(warranty, order_created(labour(hours=None), part()))
    assert "labour line ENG-120 has no flat-rate hours" in claim["problems"]


# --- returned-parts deadline ------------------------------------------------------------


async def ask_back(harness: ServiceHarness, claim: dict, **body: str) -> dict:
    listed = await harness.client.get(
        "/returned-parts", headers=ADMIN, params={"claim_id": claim["id"]}
    )
    [stored] = listed.json()["data"]
    response = await harness.client.post(
        f"/returned-parts/{stored['id']}/return-request",
        headers=ADMIN,
        json={"version": stored["version"], **body},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_part_return_deadline_is_the_days_of_the_makes_policy(warranty) -> None:
    buick = await drafted_claim(warranty, order_created(**BUICK))
    assert (await ask_back(warranty, buick))["ship_by"] == "2026-03-13"  # 3 March + 10 days
    faw = await drafted_claim(warranty)
    assert (await ask_back(warranty, faw))["ship_by"] == "2026-03-18"  # 3 March + 15 days


async def test_the_manufacturers_own_return_deadline_replaces_the_policys(warranty, driven) -> None:
    claim = await drafted_claim(warranty)
    asked = await ask_back(warranty, claim, ship_by="2026-03-06")
    assert asked["ship_by"] == "2026-03-06"
    driven.set(datetime(2026, 3, 7, 9, tzinfo=UTC))
    overdue = (await warranty.client.get("/returned-parts?overdue=true", headers=ADMIN)).json()
    assert [p["id"] for p in overdue["data"]] == [asked["id"]]


async def test_a_part_is_not_overdue_on_its_deadline_day(warranty, driven) -> None:
    claim = await drafted_claim(warranty)
    asked = await ask_back(warranty, claim)
    driven.set(datetime.combine(date.fromisoformat(asked["ship_by"]), datetime.min.time(), UTC))
    driven.advance(timedelta(hours=15))
    overdue = (await warranty.client.get("/returned-parts?overdue=true", headers=ADMIN)).json()
    assert overdue["count"] == 0
