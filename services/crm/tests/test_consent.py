"""Consent to contact: a customer who withdrew it gets no reminder messages, no campaign
outreach, and is not called for the follow-up (closed as "not contacted: no consent",
counted apart in the 72 h KPI)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from services.crm.models import FollowUpKind, FollowUpStatus
from services.crm.tests.helpers import emitted, manual_clock, run_due
from services.crm.tests.test_customer_files import (
    CUSTOMER_ID,
    VIN,
    customer_ref,
    order_created,
    vehicle_delivered,
    vehicle_ref,
)
from services.crm.tests.test_followups import (
    AGENT,
    DELIVERED,
    NEXT_DAY,
    call_of,
    delivered_order,
    outcome,
)
from shared.contracts import events
from shared.testing import auth_headers

MANAGER = auth_headers("manager.bj01")


async def withdraw_consent(crm, customer_id: uuid.UUID = CUSTOMER_ID) -> None:
    response = await crm.client.patch(
        f"/customers/{customer_id}", json={"consent_to_contact": False}, headers=AGENT
    )
    assert response.status_code == 200, response.text


async def test_customer_who_refused_contact_is_not_called_and_counted_apart_in_the_72h_kpi(
    crm,
) -> None:
    with manual_clock(DELIVERED) as now:
        called = await delivered_order(crm)
        await withdraw_consent(crm)
        refused = order_created()
        await crm.publish(refused)
        await crm.publish(vehicle_delivered(refused.order_id, DELIVERED))
        for kind in (FollowUpKind.FIRST, FollowUpKind.SECOND):
            call = await call_of(crm, refused.order_id, kind)
            assert (call.status, call.closed_at) == (FollowUpStatus.NO_CONSENT, DELIVERED)
        # the earlier delivery's calls were still to be made: closed the same way
        assert (await call_of(crm, called)).status == FollowUpStatus.NO_CONSENT

        other = order_created(customer=customer_ref(customer_id=uuid.uuid4(), phone="13900000009"))
        await crm.publish(other)
        await crm.publish(vehicle_delivered(other.order_id, DELIVERED, customer=other.customer))
        now.set(NEXT_DAY + timedelta(hours=1))
        await run_due(crm)
        announced = {a["order_id"] for a in await emitted(crm, "followup.due")}
        assert announced == {str(other.order_id)}  # nobody is asked to call the refuser
        done = await outcome(crm, (await call_of(crm, other.order_id)).id, outcome="satisfied")
        assert done.status_code == 200

        call = await call_of(crm, refused.order_id)
        blocked = await outcome(crm, call.id, outcome="satisfied")
        assert blocked.status_code == 409
        assert "consent" in blocked.json()["detail"][0]["msg"]

        now.set(DELIVERED + timedelta(days=7))
        summary = await crm.client.get("/follow-ups/summary", headers=MANAGER)
        (row,) = summary.json()["data"]
        # three 72h calls: one made in time, two not contacted for lack of consent
        assert (row["first_calls_due"], row["no_consent"], row["done_in_time"]) == (3, 2, 1)
        assert row["completion_in_time"] == "1.0000"
        listed = await crm.client.get(
            "/follow-ups", params={"status": "no_consent", "kind": "72h"}, headers=AGENT
        )
        assert listed.json()["count"] == 2


async def test_customer_who_withdrew_consent_gets_no_declined_work_reminder(crm) -> None:
    with manual_clock(DELIVERED) as now:
        order = order_created()
        await crm.publish(order)
        finding = uuid.uuid4()
        await crm.publish(
            events.WorkAdditionalDeclined(
                finding_id=finding,
                order_id=order.order_id,
                declined_at=DELIVERED,
                recorded_by="advisor.bj01",
            )
        )
        await withdraw_consent(crm)
        now.advance(timedelta(days=60))
        await run_due(crm)
        assert await emitted(crm, "reminder.due") == []


async def test_no_campaign_outreach_or_message_to_a_customer_who_refused_contact(crm) -> None:
    with manual_clock(NEXT_DAY) as now:
        willing_vin = "LSGZJ5350HS100001"
        willing = customer_ref(customer_id=uuid.uuid4(), name="李娜", phone="13900000002")
        await crm.publish(order_created())  # 张伟, VIN
        await crm.publish(order_created(customer=willing, vehicle=vehicle_ref(vin=willing_vin)))
        await withdraw_consent(crm)
        ids = {}
        for code, recall in (("SC-2026-001", False), ("RC-2026-020", True)):
            created = await crm.client.post(
                "/campaigns",
                json={"code": code, "title": code, "is_recall": recall, "vins": [VIN, willing_vin]},
                headers=MANAGER,
            )
            assert created.status_code == 201, created.text
            ids[code] = created.json()["id"]
        now.advance(timedelta(hours=1))
        await run_due(crm)
        messages = await emitted(crm, "reminder.due")
        assert sorted((m["vin"], m["kind"]) for m in messages) == [
            (willing_vin, "campaign"),
            (willing_vin, "campaign"),
        ]
        campaign = await crm.client.get(f"/campaigns/{ids['SC-2026-001']}/outreach", headers=AGENT)
        assert [r["vin"] for r in campaign.json()["data"]] == [willing_vin]
        # a recall is a safety notice the law requires: listed, flagged, never messaged
        recall = await crm.client.get(f"/campaigns/{ids['RC-2026-020']}/outreach", headers=AGENT)
        assert sorted((r["vin"], r["consent_to_contact"]) for r in recall.json()["data"]) == [
            (VIN, False),
            (willing_vin, True),
        ]


async def test_a_merge_that_keeps_a_consent_withdrawal_closes_the_pending_calls(crm) -> None:
    with manual_clock(DELIVERED):
        order_id = await delivered_order(crm)  # 张伟 consents: two calls planned
        twin = uuid.uuid4()
        await crm.publish(
            order_created(
                customer=customer_ref(customer_id=twin, phone="+86 138-0000-0001"),
                vehicle=vehicle_ref(vin="LSGZJ5350HS100001"),
            )
        )
        await withdraw_consent(crm, twin)
        assert (await call_of(crm, order_id)).status == FollowUpStatus.SCHEDULED
        merged = await crm.client.post(
            f"/customers/{CUSTOMER_ID}/merge", json={"duplicate_id": str(twin)}, headers=AGENT
        )
        assert merged.status_code == 200, merged.text
        for kind in (FollowUpKind.FIRST, FollowUpKind.SECOND):
            assert (await call_of(crm, order_id, kind)).status == FollowUpStatus.NO_CONSENT
