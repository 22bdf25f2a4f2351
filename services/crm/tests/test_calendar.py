"""§8 time rules on the station calendar (shared.calendar, 2026 State Council holidays):
the first call not before the next official working day, calls only on official working
days within office hours, no reminders on public holidays; 72 hours stay 72 hours."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from services.crm import domain
from services.crm.models import FollowUpKind, FollowUpStatus
from services.crm.tests.helpers import emitted, manual_clock, run_due
from services.crm.tests.test_customer_files import order_created, vehicle_delivered
from services.crm.tests.test_followups import AGENT, call_of, outcome
from shared.calendar import calendar_for
from shared.contracts import events

BJ01 = calendar_for("bj01")


def beijing(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=domain.STATION_TIMEZONE).astimezone(UTC)


async def deliver(crm, delivered_at: datetime, **next_service: object) -> uuid.UUID:
    order = order_created()
    await crm.publish(order)
    await crm.publish(vehicle_delivered(order.order_id, delivered_at, **next_service))
    return order.order_id


# --- National Day (国庆节, 1–7 October 2026; Saturday 10 October worked) ------------------


async def test_call_after_a_national_day_delivery_opens_after_the_holiday_and_72h_stay_72h(
    crm,
) -> None:
    delivered = beijing(2026, 9, 30, 15)  # Wednesday before the holiday
    with manual_clock(delivered) as now:
        order_id = await deliver(crm, delivered)
        call = await call_of(crm, order_id)
        assert call.opens_at == beijing(2026, 10, 8, 8, 30)  # Thursday after the holiday
        assert call.due_at == delivered + timedelta(hours=72)  # not moved: the KPI shows it
        # never closed before it could be made: open for two working days (8th and 9th)
        assert call.expires_at == beijing(2026, 10, 9, 18)

        now.set(beijing(2026, 10, 8, 8, 29))
        await run_due(crm)
        assert (await call_of(crm, order_id)).status == FollowUpStatus.SCHEDULED
        assert await emitted(crm, "followup.due") == []
        now.set(beijing(2026, 10, 8, 8, 30))
        await run_due(crm)
        assert (await call_of(crm, order_id)).status == FollowUpStatus.OPEN
        assert [a["kind"] for a in await emitted(crm, "followup.due")] == ["72h"]


async def test_two_week_call_falling_in_national_day_opens_on_the_make_up_saturday(crm) -> None:
    delivered = beijing(2026, 9, 26, 11)  # Saturday: two weeks later is Saturday 10 Oct
    with manual_clock(delivered):
        order_id = await deliver(crm, delivered)
        second = await call_of(crm, order_id, FollowUpKind.SECOND)
    # 10 October 2026 is a Saturday worked in exchange (调休): an official working day
    assert second.opens_at == beijing(2026, 10, 10, 11)


async def test_calls_are_made_only_on_official_working_days_within_office_hours(crm) -> None:
    delivered = beijing(2026, 9, 28, 15)  # Monday
    with manual_clock(delivered) as now:
        order_id = await deliver(crm, delivered)
        now.set(beijing(2026, 9, 29, 16))
        await run_due(crm)
        call = await call_of(crm, order_id)
        first = await outcome(crm, call.id, outcome="not_reached")
        assert first.status_code == 200, first.text
        # four hours later is 20:00: the retry waits for the office to open the next day
        assert first.json()["next_attempt_at"] == "2026-09-30T00:30:00Z"

        now.set(beijing(2026, 9, 30, 18, 30))  # after office hours
        evening = await outcome(crm, call.id, outcome="satisfied")
        assert evening.status_code == 409
        assert "official working days" in evening.json()["detail"][0]["msg"]

        now.set(beijing(2026, 10, 3, 10))  # a Saturday inside National Day
        holiday = await outcome(crm, call.id, outcome="satisfied")
        assert holiday.status_code == 409
        queue = await crm.client.get("/follow-ups", params={"callable_now": "true"}, headers=AGENT)
        assert queue.json()["count"] == 0

        now.set(beijing(2026, 10, 10, 9))  # the make-up Saturday is worked
        queue = await crm.client.get("/follow-ups", params={"callable_now": "true"}, headers=AGENT)
        assert [f["id"] for f in queue.json()["data"]] == [str(call.id)]


async def test_maintenance_reminder_falling_on_national_day_is_sent_after_the_holiday(
    crm,
) -> None:
    delivered = beijing(2026, 9, 1, 15)
    with manual_clock(delivered) as now:
        # due 16 October: two weeks ahead is 2 October, a public holiday
        await deliver(crm, delivered, next_service_date=date(2026, 10, 16))
        now.set(beijing(2026, 10, 7, 23, 59))
        await run_due(crm)
        assert await emitted(crm, "reminder.due") == []
        now.set(beijing(2026, 10, 8, 9))
        await run_due(crm)
        (sent,) = await emitted(crm, "reminder.due")
        assert (sent["kind"], sent["due_on"]) == ("maintenance", "2026-10-16")


# --- Spring Festival (春节, 15–23 February 2026; Saturdays 14 and 28 February worked) ------


async def test_spring_festival_make_up_saturday_is_a_working_day_for_the_first_call(crm) -> None:
    delivered = beijing(2026, 2, 13, 15)  # Friday
    with manual_clock(delivered):
        order_id = await deliver(crm, delivered)
        call = await call_of(crm, order_id)
    assert call.opens_at == beijing(2026, 2, 14, 8, 30)  # Saturday, worked in exchange
    assert call.due_at == delivered + timedelta(hours=72)


async def test_a_delivery_on_the_make_up_saturday_is_called_after_spring_festival(crm) -> None:
    delivered = beijing(2026, 2, 14, 11)
    with manual_clock(delivered):
        order_id = await deliver(crm, delivered)
        call = await call_of(crm, order_id)
    assert call.opens_at == beijing(2026, 2, 24, 8, 30)  # the first working day after it
    assert call.due_at == delivered + timedelta(hours=72)
    assert call.expires_at == beijing(2026, 2, 25, 18)


async def test_declined_work_reminder_is_not_sent_during_spring_festival(crm) -> None:
    declined = beijing(2026, 1, 17, 10)  # thirty days later is 16 February, a holiday
    with manual_clock(declined) as now:
        order = order_created()
        await crm.publish(order)
        await crm.publish(
            events.WorkAdditionalDeclined(
                finding_id=uuid.uuid4(),
                order_id=order.order_id,
                declined_at=declined,
                recorded_by="advisor.bj01",
            )
        )
        now.set(beijing(2026, 2, 23, 23, 59))
        await run_due(crm)
        assert await emitted(crm, "reminder.due") == []
        now.set(beijing(2026, 2, 24, 9))
        await run_due(crm)
        (sent,) = await emitted(crm, "reminder.due")
        assert sent["kind"] == "declined_work"


def test_office_time_follows_the_official_calendar_not_the_workshops() -> None:
    assert not domain.is_office_time(BJ01, beijing(2026, 10, 1, 10))  # National Day
    assert domain.is_office_time(BJ01, beijing(2026, 2, 28, 10))  # make-up Saturday
    assert not domain.is_office_time(BJ01, beijing(2026, 3, 1, 10))  # an ordinary Sunday
    assert BJ01.is_open(date(2026, 3, 1))  # although the workshop is open
    assert domain.next_office_moment(BJ01, beijing(2026, 2, 15, 12)) == beijing(2026, 2, 24, 8, 30)


def test_messages_move_off_public_holidays_to_nine_the_day_after() -> None:
    assert domain.message_time(BJ01, beijing(2026, 10, 2, 9)) == beijing(2026, 10, 8, 9)
    assert domain.message_time(BJ01, beijing(2026, 2, 16, 14)) == beijing(2026, 2, 24, 9)
    ordinary_sunday = beijing(2026, 3, 1, 14)
    assert domain.message_time(BJ01, ordinary_sunday) == ordinary_sunday
