"""Answers of the manufacturer adapter (the submission / polling path) that do not fit the
claim are dead letters like the webhook's: the same store and reason shape, listed for the
administrator, re-driven or dismissed — never silently ignored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.warranty.manufacturer import Behaviour, Plan
from services.warranty.tests.test_claims import (
    ADMIN,
    claim_events,
    completed_claim,
    paid_claim,
    read_claim,
    run_due,
    submit,
)
from services.warranty.tests.test_manufacturer_answers import SECRET, push
from shared.testing import ServiceHarness, auth_headers


@pytest.fixture(autouse=True)
def manufacturer_secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("WARRANTY_MANUFACTURER_SECRET", SECRET)
    yield SECRET


async def dead_letters(harness: ServiceHarness, headers: Any = ADMIN) -> list[Any]:
    response = await harness.client.get(
        "/manufacturer/answers", headers=headers, params={"state": "dead_lettered"}
    )
    assert response.status_code == 200, response.text
    data: list[Any] = response.json()["data"]
    return data


async def history(harness: ServiceHarness, claim: Any) -> Any:
    response = await harness.client.get(f"/claims/{claim['id']}/history", headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


async def test_adapter_answer_the_claim_state_does_not_allow_is_dead_lettered_and_redriven(
    warranty, simulator, driven
) -> None:
    claim = await completed_claim(warranty)
    simulator.plan(
        claim["claim_no"],
        Plan(Behaviour.APPROVE, delay=timedelta(days=1)),  # approved, paid a day later
        Plan(Behaviour.APPROVE, delay=timedelta(days=365)),
    )
    await submit(warranty, claim)
    await run_due(warranty)  # sent: the adapter's answers are due in 1 and 2 days
    asked = await push(
        warranty,
        message_id="FAW-Q-1",
        claim_no=claim["claim_no"],
        kind="info_requested",
        question="请补充故障件批次号照片",
    )
    assert asked.json()["state"] == "applied"

    driven.advance(timedelta(days=1))
    await run_due(warranty)  # the adapter's approval arrives while the question is open
    [letter] = await dead_letters(warranty)
    assert (letter["source"], letter["kind"], letter["claim_no"], letter["station_id"]) == (
        "adapter",
        "approved",
        claim["claim_no"],
        "bj01",
    )
    assert letter["dead_reason"] == "the claim is info_requested: a 'approved' answer does not fit"
    assert (await read_claim(warranty, claim))["status"] == "info_requested"
    assert "claim.approved" not in await claim_events(warranty)
    answers = (await history(warranty, claim))["answers"]
    assert [a["state"] for a in answers if a["kind"] == "approved"] == ["dead_lettered"]
    assert await dead_letters(warranty, auth_headers("warranty.sh01")) == []

    await run_due(warranty)  # the scheduler again (or a replay): no second letter
    assert len(await dead_letters(warranty)) == 1

    current = await read_claim(warranty, claim)
    await submit(warranty, current, info_answer="照片已上传: dms://photos/batch.jpg")
    await run_due(warranty)
    redriven = await warranty.client.post(
        f"/manufacturer/answers/{letter['id']}/redrive", headers=ADMIN, json={}
    )
    assert redriven.status_code == 200, redriven.text
    assert (redriven.json()["state"], redriven.json()["attempts"]) == ("applied", 2)
    assert (await read_claim(warranty, claim))["status"] == "approved"

    driven.advance(timedelta(days=1))
    await run_due(warranty)  # the payment answered the first submission, sent again since
    [paid] = await dead_letters(warranty)
    assert (paid["kind"], paid["dead_reason"]) == (
        "paid",
        "answers submission 1; the claim was sent again as submission 2",
    )
    applied = await warranty.client.post(
        f"/manufacturer/answers/{paid['id']}/redrive", headers=ADMIN, json={}
    )
    assert applied.json()["state"] == "applied", applied.text
    assert (await read_claim(warranty, claim))["status"] == "paid"
    assert await dead_letters(warranty) == []


async def test_adapter_charge_back_after_the_administrators_is_dead_lettered_and_dismissed(
    warranty, simulator, driven
) -> None:
    simulator.default = Plan(charge_back_after=timedelta(days=2))
    paid = await paid_claim(warranty, driven)
    recorded = await warranty.client.post(
        f"/claims/{paid['id']}/charge-back",
        headers=ADMIN,
        json={
            "version": paid["version"],
            "amount": "480.00",
            "reason_code": "part_not_returned_in_time",
            "reason": "旧件未按期返回 (notice by letter)",
        },
    )
    assert recorded.status_code == 200, recorded.text
    driven.advance(timedelta(days=2))
    await run_due(warranty)  # the same charge-back, now through the adapter
    [letter] = await dead_letters(warranty)
    assert (letter["source"], letter["kind"], letter["dead_reason"]) == (
        "adapter",
        "charged_back",
        "the claim is charged_back: a 'charged_back' answer does not fit",
    )
    url = f"/manufacturer/answers/{letter['id']}/dismissal"
    empty = await warranty.client.post(url, headers=ADMIN, json={"reason": ""})
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["loc"] == ["body", "reason"]
    advisor = await warranty.client.post(
        url, headers=auth_headers("advisor.bj01"), json={"reason": "x"}
    )
    assert advisor.status_code == 403
    elsewhere = await warranty.client.post(
        url, headers=auth_headers("warranty.sh01"), json={"reason": "x"}
    )
    assert elsewhere.status_code == 404

    dismissed = await warranty.client.post(
        url, headers=ADMIN, json={"reason": "same charge-back as the letter recorded on 4 March"}
    )
    assert dismissed.status_code == 200, dismissed.text
    body = dismissed.json()
    assert (body["state"], body["dismissed_by"], body["dismiss_note"]) == (
        "dismissed",
        "warranty.bj01",
        "same charge-back as the letter recorded on 4 March",
    )
    assert body["dismissed_at"] is not None
    assert await dead_letters(warranty) == []
    assert (await warranty.client.post(url, headers=ADMIN, json={"reason": "x"})).status_code == 409
    redrive = await warranty.client.post(
        f"/manufacturer/answers/{letter['id']}/redrive", headers=ADMIN, json={}
    )
    assert redrive.status_code == 409
    claim = await read_claim(warranty, paid)
    assert claim["status"] == "charged_back"
    assert Decimal(claim["charged_back_amount"]) == Decimal("480.00")


async def test_webhook_dead_letters_are_dismissed_the_same_way(warranty) -> None:
    letter = await push(
        warranty, message_id="FAW-X-9", claim_no="WC-BJ01-20260303-NOSUCH", kind="paid"
    )
    assert letter.json()["state"] == "dead_lettered"
    dismissed = await warranty.client.post(
        f"/manufacturer/answers/{letter.json()['id']}/dismissal",
        headers=ADMIN,
        json={"reason": "test message of the manufacturer's IT"},
    )
    assert dismissed.status_code == 200, dismissed.text
    assert (dismissed.json()["state"], dismissed.json()["source"]) == ("dismissed", "webhook")
    listed = await warranty.client.get(
        "/manufacturer/answers", headers=ADMIN, params={"state": "dismissed"}
    )
    assert listed.json()["count"] == 1
