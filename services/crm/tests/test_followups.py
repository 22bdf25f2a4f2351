"""§8 follow-up calls on the driven clock: opening, outcomes, retries, expiry, escalation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlmodel import select

from services.crm import domain, settings
from services.crm.models import Complaint, FollowUp, FollowUpKind, FollowUpStatus
from services.crm.tests.helpers import emitted, manual_clock, run_due
from services.crm.tests.test_customer_files import order_created, vehicle_delivered
from shared.testing import auth_headers

DELIVERED = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # 15:30 in Beijing
NEXT_DAY = datetime(2026, 11, 24, 0, 30, tzinfo=UTC)  # 08:30 on Tue 24th: the office opens
AGENT = auth_headers("crm.bj01")


async def delivered_order(crm, station_id: str = "bj01") -> uuid.UUID:
    order = order_created()
    await crm.publish(order, station_id=station_id)
    await crm.publish(vehicle_delivered(order.order_id, DELIVERED), station_id=station_id)
    return order.order_id


async def call_of(crm, order_id: uuid.UUID, kind: FollowUpKind = FollowUpKind.FIRST) -> FollowUp:
    async with crm.runtime.db.read() as session:
        query = select(FollowUp).where(FollowUp.order_id == order_id, FollowUp.kind == kind)
        return (await session.exec(query)).one()


async def outcome(crm, followup_id: uuid.UUID, headers=AGENT, **body):
    return await crm.client.post(f"/follow-ups/{followup_id}/outcome", json=body, headers=headers)


async def test_first_call_opens_at_office_hours_the_next_working_day_and_is_announced_then(
    crm,
) -> None:
    with manual_clock(DELIVERED) as now:
        order_id = await delivered_order(crm)
        call = await call_of(crm, order_id)
        assert call.status == FollowUpStatus.SCHEDULED
        await run_due(crm)
        assert await emitted(crm, "followup.due") == []
        early = await outcome(crm, call.id, outcome="satisfied")
        assert early.status_code == 409, early.text  # not before the next day
        assert "not before the next day" in early.json()["detail"][0]["msg"]

        now.set(NEXT_DAY - timedelta(seconds=1))
        await run_due(crm)
        assert (await call_of(crm, order_id)).status == FollowUpStatus.SCHEDULED
        now.set(NEXT_DAY)
        await run_due(crm)
        assert (await call_of(crm, order_id)).status == FollowUpStatus.OPEN
        announced = await emitted(crm, "followup.due")
        assert [(a["kind"], a["followup_id"]) for a in announced] == [("72h", str(call.id))]
        assert datetime.fromisoformat(announced[0]["due_at"]) == DELIVERED + timedelta(hours=72)


async def test_second_call_opens_two_weeks_after_delivery(crm) -> None:
    with manual_clock(DELIVERED) as now:
        order_id = await delivered_order(crm)
        now.advance(timedelta(days=14) - timedelta(minutes=1))
        await run_due(crm)
        assert (await call_of(crm, order_id, FollowUpKind.SECOND)).status == (
            FollowUpStatus.SCHEDULED
        )
        now.advance(timedelta(minutes=1))
        await run_due(crm)
        assert (await call_of(crm, order_id, FollowUpKind.SECOND)).status == FollowUpStatus.OPEN
        assert [a["kind"] for a in await emitted(crm, "followup.due")] == ["72h", "2w"]


async def test_call_not_made_expires_on_day_seven(crm) -> None:
    with manual_clock(DELIVERED) as now:
        order_id = await delivered_order(crm)
        call = await call_of(crm, order_id)
        assert call.expires_at == DELIVERED + timedelta(days=7)
        now.advance(timedelta(days=7) - timedelta(seconds=1))
        await run_due(crm)
        assert (await call_of(crm, order_id)).status == FollowUpStatus.OPEN
        now.advance(timedelta(seconds=1))
        await run_due(crm)
        assert (await call_of(crm, order_id)).status == FollowUpStatus.EXPIRED
        late = await outcome(crm, call.id, outcome="satisfied")
        assert late.status_code == 409


async def test_outcome_is_logged_with_date_time_content_and_cannot_be_recorded_twice(
    crm,
) -> None:
    with manual_clock(DELIVERED) as now:
        order_id = await delivered_order(crm)
        now.set(NEXT_DAY + timedelta(hours=2))
        await run_due(crm)
        call = await call_of(crm, order_id)
        done = await outcome(
            crm, call.id, outcome="satisfied", content="车况良好；提醒 51000 km 保养"
        )
        assert done.status_code == 200, done.text
        body = done.json()
        assert (body["status"], body["outcome"], body["agent_id"]) == (
            "done",
            "satisfied",
            "crm.bj01",
        )
        assert body["calls"] == [
            {
                "attempt": 1,
                "called_at": (NEXT_DAY + timedelta(hours=2)).isoformat().replace("+00:00", "Z"),
                "agent_id": "crm.bj01",
                "outcome": "satisfied",
                "content": "车况良好；提醒 51000 km 保养",
            }
        ]
        again = await outcome(crm, call.id, outcome="dissatisfied", reason="changed my mind")
        assert again.status_code == 409
        assert again.json()["detail"][0]["loc"][-1] == "outcome"
        assert (await call_of(crm, order_id)).outcome == "satisfied"


async def test_not_reached_is_retried_after_four_hours_and_closed_after_three_attempts(
    crm,
) -> None:
    with manual_clock(DELIVERED) as now:
        order_id = await delivered_order(crm)
        now.set(NEXT_DAY + timedelta(hours=1))
        await run_due(crm)
        call = await call_of(crm, order_id)
        first = await outcome(crm, call.id, outcome="not_reached", content="无人接听")
        assert first.json()["status"] == "open"
        assert first.json()["next_attempt_at"] == (
            (NEXT_DAY + timedelta(hours=5)).isoformat().replace("+00:00", "Z")
        )
        now.advance(timedelta(hours=4))
        second = await outcome(crm, call.id, outcome="not_reached")
        assert (second.json()["status"], second.json()["attempts"]) == ("open", 2)
        now.advance(timedelta(hours=4))
        third = await outcome(crm, call.id, outcome="not_reached")
        assert (third.json()["status"], third.json()["attempts"]) == ("unreachable", 3)
        assert [c["attempt"] for c in third.json()["calls"]] == [1, 2, 3]
        assert (await outcome(crm, call.id, outcome="reached")).status_code == 409


async def test_dissatisfied_customer_is_escalated_to_the_service_manager_at_once(crm) -> None:
    with manual_clock(DELIVERED) as now:
        order_id = await delivered_order(crm)
        now.set(NEXT_DAY + timedelta(hours=1))
        await run_due(crm)
        call = await call_of(crm, order_id)
        no_reason = await outcome(crm, call.id, outcome="dissatisfied")
        assert no_reason.status_code == 422
        assert no_reason.json()["detail"][0]["loc"][-1] == "reason"

        unhappy = await outcome(
            crm, call.id, outcome="dissatisfied", reason="等待时间太长", content="..."
        )
        assert unhappy.status_code == 200, unhappy.text
        assert unhappy.json()["escalated_at"] is not None
        assert unhappy.json()["complaint_id"] is None  # not a complaint: no complaint.opened
        assert await emitted(crm, "complaint.opened") == []
        managers = await crm.client.get(
            "/follow-ups", params={"escalated": "true"}, headers=auth_headers("manager.bj01")
        )
        assert [f["id"] for f in managers.json()["data"]] == [str(call.id)]
        elsewhere = await crm.client.get(
            "/follow-ups", params={"escalated": "true"}, headers=auth_headers("manager.sh01")
        )
        assert elsewhere.json()["count"] == 0


async def test_dissatisfied_with_a_complaint_opens_it_and_publishes_complaint_opened(crm) -> None:
    with manual_clock(DELIVERED) as now:
        order_id = await delivered_order(crm)
        now.set(NEXT_DAY + timedelta(hours=1))
        await run_due(crm)
        call = await call_of(crm, order_id)
        response = await outcome(
            crm,
            call.id,
            outcome="dissatisfied",
            reason="刹车仍有异响",
            complaint=True,
            severity="serious",
            category="repair quality",
        )
        assert response.status_code == 200, response.text
        async with crm.runtime.db.read() as session:
            complaint = (await session.exec(select(Complaint))).one()
        assert response.json()["complaint_id"] == str(complaint.id)
        assert (complaint.order_id, complaint.advisor_id, complaint.channel.value) == (
            order_id,
            "advisor.bj01",
            "follow_up",
        )
        assert complaint.escalated_at is not None
        opened = await emitted(crm, "complaint.opened")
        assert [(o["complaint_id"], o["severity"], o["channel"]) for o in opened] == [
            (str(complaint.id), "serious", "follow_up")
        ]


async def test_queue_per_agent_oldest_due_first(crm) -> None:
    with manual_clock(DELIVERED) as now:
        first = await delivered_order(crm)
        now.advance(timedelta(hours=1))
        second = await delivered_order(crm)
        calls = [await call_of(crm, first), await call_of(crm, second)]
        for call in reversed(calls):
            taken = await crm.client.post(
                f"/follow-ups/{call.id}/assignment", json={}, headers=AGENT
            )
            assert taken.status_code == 200, taken.text
        other = await crm.client.post(
            f"/follow-ups/{calls[0].id}/assignment",
            json={"agent_id": "crm.bj02"},
            headers=auth_headers("manager.bj01"),
        )
        assert other.json()["agent_id"] == "crm.bj02"
        mine = await crm.client.get("/follow-ups", params={"mine": "true"}, headers=AGENT)
        assert [f["id"] for f in mine.json()["data"]] == [str(calls[1].id)]
        theirs = await crm.client.get(
            "/follow-ups", params={"agent_id": "crm.bj02"}, headers=auth_headers("manager.bj01")
        )
        assert [f["id"] for f in theirs.json()["data"]] == [str(calls[0].id)]


async def test_another_stations_call_is_404(crm) -> None:
    with manual_clock(DELIVERED) as now:
        order_id = await delivered_order(crm)
        now.set(NEXT_DAY)
        await run_due(crm)
        call = await call_of(crm, order_id)
        other = await outcome(crm, call.id, headers=auth_headers("crm.sh01"), outcome="reached")
        assert other.status_code == 404
        detail = await crm.client.get(f"/follow-ups/{call.id}", headers=auth_headers("crm.sh01"))
        assert detail.status_code == 404
        bad = await outcome(crm, call.id, outcome="maybe")
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"][-1] == "outcome"


async def test_followup_window_and_expiry_are_configurable_per_station(crm, monkeypatch) -> None:
    monkeypatch.setenv(
        "CRM_FOLLOWUP_POLICIES",
        '{"bj01": {"opens_after_hours": 24, "due_within_working_days": 3,'
        ' "expires_after_days": 5}}',
    )
    monkeypatch.setenv("CRM_FOLLOWUP_EXPIRES_AFTER_DAYS", "6")
    settings.crm_settings.cache_clear()
    try:
        assert settings.followup_policy("sh01").expires_after_days == 6
        with manual_clock(DELIVERED):
            order_id = await delivered_order(crm)
            call = await call_of(crm, order_id)
        assert call.opens_at == DELIVERED + timedelta(hours=24)
        assert call.expires_at == DELIVERED + timedelta(days=5)
        assert call.due_at == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)  # end of Thu, Beijing

        monkeypatch.setenv("CRM_FOLLOWUP_POLICIES", '{"bj01": {"due_within_hours": 0}}')
        settings.crm_settings.cache_clear()
        with pytest.raises(ValidationError):
            settings.check_followup_policies()
        monkeypatch.setenv("CRM_FOLLOWUP_POLICIES", '{"bj01": {"opens_after_hours": 80}}')
        settings.crm_settings.cache_clear()
        with pytest.raises(ValueError, match="bj01"):
            settings.check_followup_policies()
    finally:
        monkeypatch.delenv("CRM_FOLLOWUP_POLICIES")
        monkeypatch.delenv("CRM_FOLLOWUP_EXPIRES_AFTER_DAYS")
        settings.crm_settings.cache_clear()


async def test_weekly_summary_gives_completion_within_72_hours_per_station(crm) -> None:
    with manual_clock(DELIVERED) as now:
        on_time, late, unhappy = [await delivered_order(crm) for _ in range(3)]
        now.set(NEXT_DAY + timedelta(hours=1))
        await run_due(crm)
        await outcome(crm, (await call_of(crm, on_time)).id, outcome="satisfied")
        await outcome(
            crm, (await call_of(crm, unhappy)).id, outcome="dissatisfied", reason="价格太贵"
        )
        now.set(DELIVERED + timedelta(hours=73))
        await outcome(crm, (await call_of(crm, late)).id, outcome="reached")  # too late
        now.set(DELIVERED + timedelta(days=7))
        summary = await crm.client.get("/follow-ups/summary", headers=auth_headers("manager.bj01"))
        assert summary.status_code == 200, summary.text
        (row,) = summary.json()["data"]
        # the satisfied and the dissatisfied call were made in time, the third one was not
        assert (row["station_id"], row["first_calls_due"], row["done_in_time"]) == ("bj01", 3, 2)
        assert (row["completion_in_time"], row["satisfied"], row["dissatisfied"]) == (
            "0.6667",
            1,
            1,
        )
        assert row["escalated"] == 1
        other = await crm.client.get("/follow-ups/summary", headers=auth_headers("manager.sh01"))
        assert other.json()["data"] == []
        agent = await crm.client.get("/follow-ups/summary", headers=AGENT)
        assert agent.status_code == 403


async def test_callable_queue_hides_a_call_until_its_retry_pause_is_over(crm) -> None:
    with manual_clock(DELIVERED) as now:
        order_id = await delivered_order(crm)
        now.set(NEXT_DAY + timedelta(hours=1))
        await run_due(crm)
        call = await call_of(crm, order_id)
        query = {"callable_now": "true", "kind": "72h"}
        ready = await crm.client.get("/follow-ups", params=query, headers=AGENT)
        assert [f["id"] for f in ready.json()["data"]] == [str(call.id)]
        await outcome(crm, call.id, outcome="not_reached")
        paused = await crm.client.get("/follow-ups", params=query, headers=AGENT)
        assert paused.json()["count"] == 0
        now.advance(domain.RETRY_AFTER)
        again = await crm.client.get("/follow-ups", params=query, headers=AGENT)
        assert [f["id"] for f in again.json()["data"]] == [str(call.id)]


async def test_a_need_for_further_work_found_by_the_call_is_listed_for_the_supervisor(
    crm,
) -> None:
    with manual_clock(DELIVERED) as now:
        order_id = await delivered_order(crm)
        await delivered_order(crm)
        now.set(NEXT_DAY + timedelta(hours=1))
        await run_due(crm)
        call = await call_of(crm, order_id)
        await outcome(
            crm,
            call.id,
            outcome="satisfied",
            content="提醒下次保养；介绍冬季检测优惠",
            further_work="左后轮胎磨损，客户想更换",
        )
        listed = await crm.client.get(
            "/follow-ups", params={"further_work": "true"}, headers=auth_headers("manager.bj01")
        )
        assert [(f["id"], f["further_work"]) for f in listed.json()["data"]] == [
            (str(call.id), "左后轮胎磨损，客户想更换")
        ]


async def test_planned_calls_survive_a_restart_and_open_on_time(tmp_path) -> None:
    from services.crm.app import definition
    from shared.testing import run_service

    with manual_clock(DELIVERED) as now:
        async with run_service(definition, tmp_path, scheduler=False) as before:
            order_id = await delivered_order(before)
        # the process is gone; the next one finds the calls in the database, not in memory
        now.set(NEXT_DAY)
        async with run_service(definition, tmp_path, scheduler=False) as after:
            await run_due(after)
            assert (await call_of(after, order_id)).status == FollowUpStatus.OPEN
            assert [a["order_id"] for a in await emitted(after, "followup.due")] == [str(order_id)]


async def test_the_callable_queue_keeps_to_a_time_that_suits_the_customer(crm) -> None:
    with manual_clock(DELIVERED) as now:
        order_id = await delivered_order(crm)
        call = await call_of(crm, order_id)
        afternoons = await crm.client.patch(
            f"/customers/{call.customer_id}",
            json={"call_from": "14:00", "call_until": "17:00"},
            headers=AGENT,
        )
        assert afternoons.status_code == 200, afternoons.text
        assert (afternoons.json()["call_from"], afternoons.json()["call_until"]) == (
            "14:00:00",
            "17:00:00",
        )
        query = {"callable_now": "true", "kind": "72h"}
        now.set(NEXT_DAY + timedelta(hours=1))  # 09:30 Beijing
        await run_due(crm)
        morning = await crm.client.get("/follow-ups", params=query, headers=AGENT)
        assert morning.json()["count"] == 0
        now.set(NEXT_DAY + timedelta(hours=6))  # 14:30 Beijing
        afternoon = await crm.client.get("/follow-ups", params=query, headers=AGENT)
        assert [f["id"] for f in afternoon.json()["data"]] == [str(call.id)]
        now.set(NEXT_DAY + timedelta(hours=8, minutes=30))  # 17:00: the window has closed
        late = await crm.client.get("/follow-ups", params=query, headers=AGENT)
        assert late.json()["count"] == 0

        backwards = await crm.client.patch(
            f"/customers/{call.customer_id}", json={"call_until": "13:00"}, headers=AGENT
        )
        assert backwards.status_code == 422
        assert backwards.json()["detail"][0]["loc"][-1] == "call_until"


async def test_customer_needs_found_by_the_calls_are_listed_per_month(crm) -> None:
    with manual_clock(DELIVERED) as now:
        november = await delivered_order(crm)
        now.set(NEXT_DAY + timedelta(hours=1))
        await run_due(crm)
        await outcome(
            crm,
            (await call_of(crm, november)).id,
            outcome="satisfied",
            further_work="想加装倒车雷达",
        )
        now.set(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))  # Tuesday 1 December, 09:00
        order = order_created()
        await crm.publish(order)
        await crm.publish(vehicle_delivered(order.order_id, now.now()))
        december = order.order_id
        now.set(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
        await run_due(crm)
        await outcome(
            crm, (await call_of(crm, december)).id, outcome="satisfied", further_work="更换雨刮"
        )
        manager = auth_headers("manager.bj01")
        for month, need in (("2026-11", "想加装倒车雷达"), ("2026-12", "更换雨刮")):
            listed = await crm.client.get(
                "/follow-ups", params={"further_work": "true", "month": month}, headers=manager
            )
            assert [f["further_work"] for f in listed.json()["data"]] == [need]
        bad = await crm.client.get("/follow-ups", params={"month": "2026-13"}, headers=manager)
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"][-1] == "month"
