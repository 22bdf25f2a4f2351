"""Answers the manufacturer pushes to the dealer (signed webhook): applied idempotently,
dead-lettered with the reason when they fit no claim, never dropped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.warranty.manufacturer import SIGNATURE_HEADER, sign
from services.warranty.tests.test_claims import (
    ADMIN,
    claim_events,
    completed_claim,
    drafted_claim,
    outbox,
    paid_claim,
    read_claim,
    run_due,
    submit,
)
from shared.contracts import events
from shared.testing import ServiceHarness, auth_headers

SECRET = "oem-webhook-secret-for-tests"


@pytest.fixture(autouse=True)
def manufacturer_secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("WARRANTY_MANUFACTURER_SECRET", SECRET)
    yield SECRET


async def push(harness: ServiceHarness, secret: str | None = SECRET, **answer: Any) -> Any:
    body = json.dumps(answer).encode()
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SIGNATURE_HEADER] = sign(secret, body)
    return await harness.client.post("/manufacturer/answers", content=body, headers=headers)


async def sent_claim(harness: ServiceHarness, simulator: Any) -> Any:
    """A claim handed to a manufacturer that answers later, by its webhook only."""
    claim = await completed_claim(harness)
    simulator.default = simulator.default.__class__(delay=timedelta(days=365))
    submitted = await submit(harness, claim)
    await run_due(harness)  # sent; the simulator's own answers are far in the future
    return submitted


async def test_manufacturer_webhook_accepts_only_calls_signed_with_its_secret(warranty) -> None:
    answer = {"message_id": "M-1", "claim_no": "WC-BJ01-20260303-ABC123", "kind": "paid"}
    unsigned = await push(warranty, secret=None, **answer)
    assert unsigned.status_code == 401
    forged = await push(warranty, secret="not-the-secret", **answer)
    assert forged.status_code == 401
    as_user = await warranty.client.post("/manufacturer/answers", headers=ADMIN, json=answer)
    assert as_user.status_code == 401  # a user's token is not the manufacturer's signature
    listed = await warranty.client.get("/manufacturer/answers", headers=ADMIN)
    assert listed.json()["count"] == 0  # nothing refused was kept as if received


async def test_manufacturer_webhook_refuses_all_calls_when_no_secret_is_configured(
    warranty, monkeypatch
) -> None:
    monkeypatch.delenv("WARRANTY_MANUFACTURER_SECRET")
    answer = {"message_id": "M-1", "claim_no": "WC-BJ01-20260303-ABC123", "kind": "paid"}
    assert (await push(warranty, secret="", **answer)).status_code == 401
    assert (await push(warranty, **answer)).status_code == 401


async def test_pushed_rejection_is_applied_to_its_claim_and_announced(warranty, simulator) -> None:
    claim = await sent_claim(warranty, simulator)
    response = await push(
        warranty,
        message_id="FAW-1",
        claim_no=claim["claim_no"].lower(),
        kind="rejected",
        reason_code="wrong_causal_part",
        reason="causal part is the thermostat",
    )
    assert response.status_code == 200, response.text
    assert (response.json()["state"], response.json()["claim_id"]) == ("applied", claim["id"])
    rejected = await read_claim(warranty, claim)
    assert (rejected["status"], rejected["reason_code"]) == ("rejected", "wrong_causal_part")
    assert await claim_events(warranty) == ["claim.submitted", "claim.rejected"]


async def test_the_same_pushed_answer_twice_is_applied_once(warranty, simulator) -> None:
    claim = await sent_claim(warranty, simulator)
    answer = {"message_id": "FAW-2", "claim_no": claim["claim_no"], "kind": "approved"}
    first = await push(warranty, **answer)
    again = await push(warranty, **answer)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert await claim_events(warranty) == ["claim.submitted", "claim.approved"]
    history = (await warranty.client.get(f"/claims/{claim['id']}/history", headers=ADMIN)).json()
    assert [a["kind"] for a in history["answers"] if a["state"] == "applied"] == ["approved"]
    reused = await push(warranty, **{**answer, "kind": "rejected", "reason_code": "duplicate"})
    assert reused.status_code == 409
    assert reused.json()["detail"][0]["loc"] == ["body", "message_id"]


async def test_answer_for_an_unknown_claim_is_dead_lettered_with_the_reason(warranty) -> None:
    response = await push(
        warranty, message_id="FAW-3", claim_no="WC-BJ01-20260101-FFFFFF", kind="approved"
    )
    assert response.status_code == 200, response.text
    letter = response.json()
    assert (letter["state"], letter["dead_reason"]) == (
        "dead_lettered",
        "unknown claim WC-BJ01-20260101-FFFFFF",
    )
    assert letter["station_id"] == "bj01"  # the station its number names
    listed = await warranty.client.get("/manufacturer/answers?state=dead_lettered", headers=ADMIN)
    assert [a["message_id"] for a in listed.json()["data"]] == ["FAW-3"]
    other = await warranty.client.get(
        "/manufacturer/answers?state=dead_lettered", headers=auth_headers("warranty.sh01")
    )
    assert other.json()["count"] == 0
    assert (
        await warranty.client.get("/manufacturer/answers", headers=auth_headers("tech.bj01"))
    ).status_code == 403


async def test_answer_a_claim_state_does_not_allow_is_dead_lettered_not_applied(
    warranty,
) -> None:
    draft = await drafted_claim(warranty)
    response = await push(warranty, message_id="FAW-4", claim_no=draft["claim_no"], kind="paid")
    assert response.json()["state"] == "dead_lettered"
    assert response.json()["dead_reason"] == "the claim is draft: a 'paid' answer does not fit"
    assert (await read_claim(warranty, draft))["status"] == "draft"
    assert await claim_events(warranty) == []


async def test_dead_lettered_answer_is_redriven_once_the_claim_is_sent(warranty, simulator) -> None:
    claim = await completed_claim(warranty)
    early = await push(warranty, message_id="FAW-5", claim_no=claim["claim_no"], kind="approved")
    assert early.json()["state"] == "dead_lettered"
    simulator.default = simulator.default.__class__(delay=timedelta(days=365))
    await submit(warranty, claim)
    await run_due(warranty)
    url = f"/manufacturer/answers/{early.json()['id']}/redrive"
    other = await warranty.client.post(url, headers=auth_headers("warranty.sh01"), json={})
    assert other.status_code == 404
    redriven = await warranty.client.post(url, headers=ADMIN, json={})
    assert redriven.status_code == 200, redriven.text
    assert (redriven.json()["state"], redriven.json()["attempts"]) == ("applied", 2)
    assert (await read_claim(warranty, claim))["status"] == "approved"
    again = await warranty.client.post(url, headers=ADMIN, json={})
    assert again.status_code == 409


async def test_dead_letter_for_a_mistyped_claim_number_is_redriven_to_the_right_claim(
    warranty, simulator
) -> None:
    claim = await sent_claim(warranty, simulator)
    typo = await push(
        warranty,
        message_id="FAW-6",
        claim_no="WC-BJ01-2026033-X",
        kind="info_requested",
        question="batch number?",
    )
    letter = typo.json()
    assert (letter["state"], letter["station_id"]) == ("dead_lettered", None)
    # a letter naming no known station is shown to every station's administrator
    seen = await warranty.client.get(
        "/manufacturer/answers?state=dead_lettered", headers=auth_headers("warranty.sh01")
    )
    assert seen.json()["count"] == 1
    sh01 = await warranty.client.post(
        f"/manufacturer/answers/{letter['id']}/redrive",
        headers=auth_headers("warranty.sh01"),
        json={"claim_no": claim["claim_no"]},
    )
    assert sh01.json()["state"] == "dead_lettered"  # another station's claim stays unknown
    assert (await read_claim(warranty, claim))["status"] == "submitted"
    fixed = await warranty.client.post(
        f"/manufacturer/answers/{letter['id']}/redrive",
        headers=ADMIN,
        json={"claim_no": claim["claim_no"]},
    )
    assert fixed.json()["state"] == "applied", fixed.text
    asked = await read_claim(warranty, claim)
    assert (asked["status"], asked["question"]) == ("info_requested", "batch number?")


async def test_pushed_charge_back_of_a_paid_claim_is_applied_and_announced(
    warranty, driven
) -> None:
    paid = await paid_claim(warranty, driven)
    more = await push(
        warranty,
        message_id="FAW-7",
        claim_no=paid["claim_no"],
        kind="charged_back",
        amount="5000.00",
        reason_code="audit_finding",
        reason="x",
    )
    assert more.json()["state"] == "dead_lettered"
    assert more.json()["dead_reason"] == "a charge-back of 5000.00 is more than the 1200.00 paid"
    response = await push(
        warranty,
        message_id="FAW-8",
        claim_no=paid["claim_no"],
        kind="charged_back",
        amount="1200.00",
        reason_code="part_not_returned_in_time",
        reason="旧件逾期未返",
    )
    assert response.json()["state"] == "applied", response.text
    charged = await read_claim(warranty, paid)
    assert (charged["status"], Decimal(charged["charged_back_amount"])) == (
        "charged_back",
        Decimal("1200.00"),
    )
    [event] = [e.open() for e in await outbox(warranty) if e.type == "claim.charged_back"]
    assert isinstance(event, events.ClaimChargedBack)
    assert event.reason_code == "part_not_returned_in_time"


@pytest.mark.parametrize(
    ("answer", "field"),
    [
        ({"kind": "rejected"}, "reason_code"),
        ({"kind": "rejected", "reason_code": "bogus"}, "reason_code"),
        ({"kind": "charged_back", "reason_code": "audit_finding"}, "amount"),
        ({"kind": "charged_back", "amount": "10", "reason_code": "bogus"}, "reason_code"),
        ({"kind": "partly_approved"}, "amount"),
        ({"kind": "info_requested"}, "question"),
        ({"kind": "bogus"}, "kind"),
    ],
)
async def test_a_pushed_answer_missing_what_its_kind_needs_is_refused_naming_the_field(
    warranty, answer, field
) -> None:
    response = await push(warranty, message_id="FAW-9", claim_no="WC-BJ01-X", **answer)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][-1] == field
    assert (await warranty.client.get("/manufacturer/answers", headers=ADMIN)).json()["count"] == 0
