"""§8 and §9 escalations reach people: followup.escalated and complaint.escalated are
published once per thing and level, and the service manager works them from an inbox."""

from __future__ import annotations

from datetime import timedelta

from services.crm.tests.helpers import emitted, manual_clock, run_due
from services.crm.tests.test_complaints import a_complaint
from services.crm.tests.test_customer_files import order_created
from services.crm.tests.test_followups import (
    AGENT,
    DELIVERED,
    NEXT_DAY,
    call_of,
    delivered_order,
    outcome,
)
from shared.testing import auth_headers

MANAGER = auth_headers("manager.bj01")
GROUP = auth_headers("group.manager")


async def inbox(crm, headers=MANAGER, **params: str) -> list[dict]:
    response = await crm.client.get("/escalations", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_dissatisfied_call_publishes_followup_escalated_at_once_into_the_managers_inbox(
    crm,
) -> None:
    with manual_clock(DELIVERED) as now:
        first, second = await delivered_order(crm), await delivered_order(crm)
        now.set(NEXT_DAY + timedelta(hours=1))
        await run_due(crm)
        calls = [await call_of(crm, first), await call_of(crm, second)]
        for call, reason in zip(calls, ("等待时间太长", "价格太贵"), strict=True):
            answer = await outcome(crm, call.id, outcome="dissatisfied", reason=reason)
            assert answer.status_code == 200, answer.text
            now.advance(timedelta(minutes=10))

        published = await emitted(crm, "followup.escalated")
        assert [(p["followup_id"], p["reason"], p["advisor_id"]) for p in published] == [
            (str(calls[0].id), "dissatisfied: 等待时间太长", "advisor.bj01"),
            (str(calls[1].id), "dissatisfied: 价格太贵", "advisor.bj01"),
        ]
        assert await emitted(crm, "complaint.escalated") == []

        waiting = await inbox(crm)  # the oldest first
        assert [(e["subject"], e["subject_id"], e["level"]) for e in waiting] == [
            ("follow_up", str(calls[0].id), "service_manager"),
            ("follow_up", str(calls[1].id), "service_manager"),
        ]
        assert await inbox(crm, auth_headers("manager.sh01")) == []
        agent = await crm.client.get("/escalations", headers=AGENT)
        assert agent.status_code == 403

        first_id = waiting[0]["id"]
        elsewhere = await crm.client.post(
            f"/escalations/{first_id}/acknowledgement",
            json={},
            headers=auth_headers("manager.sh01"),
        )
        assert elsewhere.status_code == 404
        taken = await crm.client.post(
            f"/escalations/{first_id}/acknowledgement",
            json={"note": "已回电客户，赠送保养券"},
            headers=MANAGER,
        )
        assert taken.status_code == 200, taken.text
        assert (taken.json()["acknowledged_by"], taken.json()["note"]) == (
            "manager.bj01",
            "已回电客户，赠送保养券",
        )
        twice = await crm.client.post(
            f"/escalations/{first_id}/acknowledgement", json={}, headers=MANAGER
        )
        assert twice.status_code == 409
        assert [e["subject_id"] for e in await inbox(crm)] == [str(calls[1].id)]
        done = await inbox(crm, acknowledged="true")
        assert [e["id"] for e in done] == [first_id]


async def test_serious_complaint_publishes_complaint_escalated_to_the_service_manager(crm) -> None:
    with manual_clock(NEXT_DAY):
        await crm.publish(order_created())
        created = await crm.client.post(
            "/complaints", json=a_complaint(severity="serious"), headers=AGENT
        )
        assert created.status_code == 201, created.text
        (escalated,) = await emitted(crm, "complaint.escalated")
        assert (escalated["complaint_id"], escalated["level"], escalated["severity"]) == (
            created.json()["id"],
            "service_manager",
            "serious",
        )
        assert escalated["reason"] == "serious complaint"
        minor = await crm.client.post("/complaints", json=a_complaint(), headers=AGENT)
        assert minor.json()["escalated_at"] is None
        assert len(await emitted(crm, "complaint.escalated")) == 1  # minor: not at once
        assert [(e["subject_id"], e["level"]) for e in await inbox(crm)] == [
            (created.json()["id"], "service_manager")
        ]


async def test_serious_product_quality_complaint_is_escalated_to_the_manufacturer(crm) -> None:
    with manual_clock(NEXT_DAY):
        await crm.publish(order_created())
        created = await crm.client.post(
            "/complaints",
            json=a_complaint(severity="serious", category="product quality"),
            headers=AGENT,
        )
        assert created.status_code == 201, created.text
        assert created.json()["manufacturer_involved"] is True
        # one escalation: the manufacturer is told, and the manager's inbox shows it
        (escalated,) = await emitted(crm, "complaint.escalated")
        assert (escalated["complaint_id"], escalated["level"]) == (
            created.json()["id"],
            "manufacturer",
        )
        assert [e["level"] for e in await inbox(crm)] == ["manufacturer"]
        flagged = await crm.client.post(
            "/complaints",
            json=a_complaint(severity="serious", manufacturer_involved=True),
            headers=AGENT,
        )
        assert [e["level"] for e in await emitted(crm, "complaint.escalated")] == [
            "manufacturer",
            "manufacturer",
        ]
        assert flagged.json()["escalation_reason"] == "serious complaint (manufacturer involved)"


async def test_overdue_complaint_goes_to_the_manager_once_then_a_refused_answer_to_the_group(
    crm,
) -> None:
    with manual_clock(NEXT_DAY) as now:
        await crm.publish(order_created())
        created = await crm.client.post(
            "/complaints",
            json=a_complaint(promised_answer_by=(NEXT_DAY + timedelta(hours=4)).isoformat()),
            headers=AGENT,
        )
        complaint_id = created.json()["id"]
        now.advance(timedelta(hours=4))
        await run_due(crm)
        now.advance(timedelta(days=2))
        await run_due(crm)  # nothing is escalated twice
        assert [(e["level"], e["reason"]) for e in await emitted(crm, "complaint.escalated")] == [
            ("service_manager", "answer overdue")
        ]
        refused = await crm.client.post(
            f"/complaints/{complaint_id}/answer",
            json={"answer": "按规定不能补偿", "customer_accepted": False},
            headers=AGENT,
        )
        assert refused.status_code == 200, refused.text
        levels = [e["level"] for e in await emitted(crm, "complaint.escalated")]
        assert levels == ["service_manager", "group"]

        (group_item,) = await inbox(crm, level="group")
        station_manager = await crm.client.post(
            f"/escalations/{group_item['id']}/acknowledgement", json={}, headers=MANAGER
        )
        assert station_manager.status_code == 403
        assert station_manager.json()["detail"][0]["loc"][-1] == "escalation_id"
        group = await crm.client.post(
            f"/escalations/{group_item['id']}/acknowledgement", json={}, headers=GROUP
        )
        assert group.status_code == 200, group.text


async def test_dissatisfied_call_opening_a_serious_complaint_is_one_escalation_for_the_manager(
    crm,
) -> None:
    with manual_clock(DELIVERED) as now:
        order_id = await delivered_order(crm)
        now.set(NEXT_DAY + timedelta(hours=1))
        await run_due(crm)
        call = await call_of(crm, order_id)
        answer = await outcome(
            crm,
            call.id,
            outcome="dissatisfied",
            reason="刹车仍有异响",
            complaint=True,
            severity="serious",
            category="repair quality",
        )
        assert answer.status_code == 200, answer.text
        complaint_id = answer.json()["complaint_id"]
        (escalated,) = await emitted(crm, "followup.escalated")
        assert escalated["followup_id"] == str(call.id)
        assert await emitted(crm, "complaint.escalated") == []  # the same thing, not twice
        (item,) = await inbox(crm)
        assert (item["subject"], item["complaint_id"]) == ("follow_up", complaint_id)

        # not answered in time: the manager has it already, so it goes to the group
        now.advance(timedelta(hours=24))
        await run_due(crm)
        assert [e["level"] for e in await emitted(crm, "complaint.escalated")] == ["group"]


async def test_dissatisfied_call_about_product_quality_tells_the_manufacturer_too(crm) -> None:
    with manual_clock(DELIVERED) as now:
        order_id = await delivered_order(crm)
        now.set(NEXT_DAY + timedelta(hours=1))
        await run_due(crm)
        call = await call_of(crm, order_id)
        await outcome(
            crm,
            call.id,
            outcome="dissatisfied",
            reason="变速箱顿挫",
            complaint=True,
            severity="serious",
            category="product quality",
        )
        assert len(await emitted(crm, "followup.escalated")) == 1
        assert [e["level"] for e in await emitted(crm, "complaint.escalated")] == ["manufacturer"]
