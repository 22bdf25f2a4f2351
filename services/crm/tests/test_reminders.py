"""§8 reminders: next service by date and mileage, sent ahead, a call when due and not
booked, declined work reminded later, nothing to customers who withdrew consent."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlmodel import select

from services.crm import domain
from services.crm.models import FollowUp, FollowUpKind, ReminderState, ServiceReminder
from services.crm.tests.helpers import emitted, manual_clock, run_due
from services.crm.tests.test_customer_files import (
    CUSTOMER_ID,
    VIN,
    customer_ref,
    order_created,
    vehicle_delivered,
    vehicle_ref,
)
from shared.contracts import events
from shared.testing import auth_headers

DELIVERED = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
NEXT_SERVICE = date(2027, 5, 23)
AGENT = auth_headers("crm.bj01")


async def deliver_with_next_service(crm, **next_service: object) -> uuid.UUID:
    order = order_created()
    await crm.publish(order)
    await crm.publish(vehicle_delivered(order.order_id, DELIVERED, **next_service))
    return order.order_id


async def reminder(crm) -> ServiceReminder:
    async with crm.runtime.db.read() as session:
        return (await session.exec(select(ServiceReminder))).one()


async def reminder_calls(crm) -> list[FollowUp]:
    async with crm.runtime.db.read() as session:
        query = select(FollowUp).where(FollowUp.kind == FollowUpKind.SERVICE_DUE)
        return list((await session.exec(query)).all())


async def test_reminder_due_is_sent_two_weeks_ahead_of_the_next_service_date(crm) -> None:
    with manual_clock(DELIVERED) as now:
        await deliver_with_next_service(crm, next_service_date=NEXT_SERVICE)
        planned = await reminder(crm)
        assert planned.due_on == NEXT_SERVICE
        ahead = datetime(2027, 5, 9, 9, 0, tzinfo=domain.STATION_TIMEZONE)
        assert planned.remind_at == ahead
        now.set(ahead - timedelta(minutes=1))
        await run_due(crm)
        assert await emitted(crm, "reminder.due") == []
        now.set(ahead)
        await run_due(crm)
        sent = await emitted(crm, "reminder.due")
        assert [(s["vin"], s["due_on"], s["customer_id"]) for s in sent] == [
            (VIN, "2027-05-23", str(CUSTOMER_ID))
        ]
        assert (await reminder(crm)).state == ReminderState.SENT


async def test_next_service_by_mileage_uses_the_vehicles_average_km_per_day(crm) -> None:
    with manual_clock(DELIVERED - timedelta(days=100)) as now:
        await crm.publish(order_created(vehicle=vehicle_ref(mileage_km=38000)))
        now.set(DELIVERED)
        order = order_created(vehicle=vehicle_ref(mileage_km=42000))  # 40 km a day
        await crm.publish(order)
        await crm.publish(vehicle_delivered(order.order_id, DELIVERED, next_service_km=50000))
        planned = await reminder(crm)
        assert planned.due_km == 50000
        assert planned.due_on == date(2026, 11, 23) + timedelta(days=200)  # 8000 km / 40


async def test_customer_who_withdrew_consent_gets_no_reminders(crm) -> None:
    with manual_clock(DELIVERED) as now:
        await deliver_with_next_service(crm, next_service_date=NEXT_SERVICE)
        withdrawn = await crm.client.patch(
            f"/customers/{CUSTOMER_ID}", json={"consent_to_contact": False}, headers=AGENT
        )
        assert withdrawn.status_code == 200, withdrawn.text
        now.set(datetime(2027, 6, 30, tzinfo=UTC))
        await run_due(crm)
        assert await emitted(crm, "reminder.due") == []
        assert (await reminder(crm)).state == ReminderState.WITHHELD
        assert await reminder_calls(crm) == []


async def test_due_and_not_booked_puts_a_reminder_call_in_the_queue_at_office_hours(
    crm,
) -> None:
    with manual_clock(DELIVERED) as now:
        order_id = await deliver_with_next_service(crm, next_service_date=NEXT_SERVICE)
        # due + 7 days is Sunday 30 May: the call waits for Monday's office hours (08:30)
        now.set(datetime(2027, 5, 31, 0, 29, tzinfo=UTC))
        await run_due(crm)
        assert await reminder_calls(crm) == []
        now.advance(timedelta(minutes=1))
        await run_due(crm)
        (call,) = await reminder_calls(crm)
        assert (call.order_id, call.status.value, call.vin) == (order_id, "open", VIN)
        announced = await emitted(crm, "followup.due")
        assert announced[-1]["kind"] == "service_due"
        booking = [r for r in await emitted(crm, "reminder.due") if r["kind"] == "booking_call"]
        assert [(r["vin"], r["due_on"]) for r in booking] == [(VIN, "2027-05-23")]


async def test_a_booking_cancels_the_not_booked_call(crm) -> None:
    with manual_clock(DELIVERED) as now:
        await deliver_with_next_service(crm, next_service_date=NEXT_SERVICE)
        now.set(datetime(2027, 5, 1, tzinfo=UTC))
        await crm.publish(
            events.AppointmentBooked(
                appointment_id=uuid.uuid4(),
                customer=customer_ref(),
                vehicle=vehicle_ref(),
                starts_at=datetime(2027, 5, 20, 1, 0, tzinfo=UTC),
                requested_work="保养",
                estimated_hours=Decimal("1.5"),
            )
        )
        now.set(datetime(2027, 7, 1, 2, 0, tzinfo=UTC))  # 10:00, office hours
        await run_due(crm)
        assert await reminder_calls(crm) == []
        assert await emitted(crm, "reminder.due") == []  # booked before the reminder
        assert (await reminder(crm)).state == ReminderState.BOOKED


async def test_declined_work_is_in_the_file_and_reminded_after_thirty_days(crm) -> None:
    with manual_clock(DELIVERED) as now:
        order = order_created()
        await crm.publish(order)
        finding = uuid.uuid4()
        await crm.publish(
            events.WorkAdditionalFound(
                finding_id=finding,
                order_id=order.order_id,
                job_id=uuid.uuid4(),
                description="后刹车片剩余 3 mm",
                safety_relevant=True,
                reported_by="tech.bj01",
            )
        )
        await crm.publish(
            events.WorkAdditionalDeclined(
                finding_id=finding,
                order_id=order.order_id,
                safety_relevant=True,
                declined_at=DELIVERED,
                recorded_by="advisor.bj01",
            )
        )
        file = await crm.client.get(f"/customers/{CUSTOMER_ID}", headers=AGENT)
        (visit,) = file.json()["visits"]
        assert [d["description"] for d in visit["declined_work"]] == ["后刹车片剩余 3 mm"]
        now.advance(timedelta(days=30) - timedelta(seconds=1))  # CRM_DECLINED_WORK_…_DAYS
        await run_due(crm)
        assert await emitted(crm, "reminder.due") == []
        now.advance(timedelta(seconds=1))
        await run_due(crm)
        (sent,) = await emitted(crm, "reminder.due")
        assert sent["reason"] == "declined work: 后刹车片剩余 3 mm"
        assert sent["vin"] == VIN


async def test_a_new_visit_supersedes_the_earlier_reminder_so_none_is_sent_twice(crm) -> None:
    with manual_clock(DELIVERED) as now:
        first = await deliver_with_next_service(crm, next_service_date=NEXT_SERVICE)
        now.set(datetime(2027, 3, 1, 2, 0, tzinfo=UTC))
        second = order_created()  # the customer came in early for a repair
        await crm.publish(second)
        await crm.publish(
            vehicle_delivered(second.order_id, now.now(), next_service_date=date(2027, 9, 1))
        )
        now.set(datetime(2027, 12, 31, 2, 0, tzinfo=UTC))  # 10:00, office hours
        await run_due(crm)
        sent = await emitted(crm, "reminder.due")
        # only the latest visit's: its reminder ahead, then the call when it was not booked
        assert [(s["kind"], s["due_on"]) for s in sent] == [
            ("maintenance", "2027-09-01"),
            ("booking_call", "2027-09-01"),
        ]
        async with crm.runtime.db.read() as session:
            states = {
                r.order_id: r.state for r in (await session.exec(select(ServiceReminder))).all()
            }
        assert states == {first: ReminderState.SUPERSEDED, second.order_id: ReminderState.SENT}
        calls = await reminder_calls(crm)
        assert [c.order_id for c in calls] == [second.order_id]  # not booked after the 2nd


async def test_a_cancelled_booking_brings_back_the_reminder_and_the_not_booked_call(crm) -> None:
    with manual_clock(DELIVERED) as now:
        order_id = await deliver_with_next_service(crm, next_service_date=NEXT_SERVICE)
        appointment_id = uuid.uuid4()
        now.set(datetime(2027, 5, 1, tzinfo=UTC))
        await crm.publish(
            events.AppointmentBooked(
                appointment_id=appointment_id,
                customer=customer_ref(),
                vehicle=vehicle_ref(),
                starts_at=datetime(2027, 5, 20, 1, 0, tzinfo=UTC),
                requested_work="保养",
            )
        )
        assert (await reminder(crm)).state == ReminderState.BOOKED
        now.set(datetime(2027, 5, 20, 3, 0, tzinfo=UTC))
        await crm.publish(
            events.AppointmentCancelled(appointment_id=appointment_id, reason="", no_show=True)
        )
        assert (await reminder(crm)).state == ReminderState.PLANNED
        now.set(datetime(2027, 6, 1, 2, 0, tzinfo=UTC))  # 10:00, a Tuesday
        await run_due(crm)
        kinds = [r["kind"] for r in await emitted(crm, "reminder.due")]
        assert kinds == ["maintenance", "booking_call"]  # the customer has still not come
        (call,) = await reminder_calls(crm)
        assert call.order_id == order_id
