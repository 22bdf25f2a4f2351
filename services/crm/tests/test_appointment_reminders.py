"""§1/§8 appointment reminders: reception says when (``appointment.reminder_due``, ½–1 day
ahead); CRM reminds the customer once per appointment (``reminder.due`` kind "appointment"),
never without consent, not on a public holiday unless waiting would bring it too close to
the appointment, and never after it has begun. Agents see them in ``GET /reminders``."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from services.crm.tests.helpers import emitted, manual_clock, run_due
from services.crm.tests.test_calendar import beijing
from services.crm.tests.test_consent import withdraw_consent
from services.crm.tests.test_customer_files import (
    CUSTOMER_ID,
    VIN,
    customer_ref,
    order_created,
    vehicle_ref,
)
from shared.contracts import events
from shared.testing import auth_headers

AGENT = auth_headers("crm.bj01")
SH01_AGENT = auth_headers("crm.sh01")


def reminder_due(starts_at: datetime, appointment_id: uuid.UUID | None = None):
    return events.AppointmentReminderDue(
        appointment_id=appointment_id or uuid.uuid4(),
        customer=customer_ref(),
        vehicle=vehicle_ref(),
        starts_at=starts_at,
    )


async def appointment_reminders(crm, headers=AGENT, **query: str) -> list[dict]:
    response = await crm.client.get(
        "/reminders", params={"kind": "appointment", **query}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_appointment_reminder_is_sent_at_once_as_reminder_due_of_kind_appointment(
    crm,
) -> None:
    now = beijing(2026, 11, 24, 10)  # Tuesday, an ordinary working day
    starts = beijing(2026, 11, 25, 9, 30)
    with manual_clock(now):
        await crm.publish(order_created())  # the customer has a file
        event = reminder_due(starts)
        await crm.publish(event)
        sent = await emitted(crm, "reminder.due")
        assert [(s["kind"], s["vin"], s["customer_id"], s["due_on"]) for s in sent] == [
            ("appointment", VIN, str(CUSTOMER_ID), "2026-11-25")
        ]
        assert "2026-11-25 09:30" in sent[0]["reason"]
        (row,) = await appointment_reminders(crm)
        assert row["state"] == "sent"
        assert row["appointment_id"] == str(event.appointment_id)
        assert datetime.fromisoformat(row["starts_at"]) == starts
        assert datetime.fromisoformat(row["sent_at"]) == now
        assert row["order_id"] is None
        assert row["id"] == sent[0]["reminder_id"]
        # shown in the agents' reminders list among the others, and not among maintenance
        everything = (await crm.client.get("/reminders", headers=AGENT)).json()
        assert [r["kind"] for r in everything["data"]] == ["appointment"]
        maintenance = await crm.client.get(
            "/reminders", params={"kind": "maintenance"}, headers=AGENT
        )
        assert maintenance.json()["count"] == 0


async def test_one_reminder_per_appointment_even_if_reception_sends_the_event_twice(crm) -> None:
    starts = beijing(2026, 11, 25, 9, 30)
    appointment_id = uuid.uuid4()
    with manual_clock(beijing(2026, 11, 24, 10)) as now:
        first = await crm.publish(reminder_due(starts, appointment_id))
        await crm.publish_envelope(first)  # the same message redelivered (inbox)
        now.advance(timedelta(hours=2))
        await crm.publish(reminder_due(starts, appointment_id))  # a second event for it
        assert [s["kind"] for s in await emitted(crm, "reminder.due")] == ["appointment"]
        assert len(await appointment_reminders(crm, state="sent")) == 1
        other = reminder_due(starts)  # another appointment is reminded of, of course
        await crm.publish(other)
        assert len(await emitted(crm, "reminder.due")) == 2


async def test_customer_who_withdrew_consent_is_not_reminded_of_the_appointment(crm) -> None:
    with manual_clock(beijing(2026, 11, 24, 10)):
        await crm.publish(order_created())
        await withdraw_consent(crm)
        await crm.publish(reminder_due(beijing(2026, 11, 25, 9, 30)))
        assert await emitted(crm, "reminder.due") == []
        (row,) = await appointment_reminders(crm)
        assert row["state"] == "withheld"
        assert row["sent_at"] is None
        assert "consent" in row["note"]


async def test_appointment_reminder_due_on_a_public_holiday_goes_out_at_nine_the_day_after(
    crm,
) -> None:
    holiday = beijing(2026, 10, 7, 14)  # the last day of National Day
    starts = beijing(2026, 10, 8, 14)
    with manual_clock(holiday) as now:
        await crm.publish(reminder_due(starts))
        assert await emitted(crm, "reminder.due") == []
        (row,) = await appointment_reminders(crm, state="planned")
        assert datetime.fromisoformat(row["remind_at"]) == beijing(2026, 10, 8, 9)
        now.set(beijing(2026, 10, 8, 8, 59))
        await run_due(crm)
        assert await emitted(crm, "reminder.due") == []
        now.set(beijing(2026, 10, 8, 9))
        await run_due(crm)
        assert [s["kind"] for s in await emitted(crm, "reminder.due")] == ["appointment"]
        (row,) = await appointment_reminders(crm)
        assert row["state"] == "sent"


async def test_holiday_rule_never_pushes_an_appointment_reminder_past_the_appointment(
    crm,
) -> None:
    holiday_evening = beijing(2026, 10, 7, 20)
    starts = beijing(2026, 10, 8, 8, 30)  # before 09:00 the day after the holiday
    with manual_clock(holiday_evening):
        await crm.publish(reminder_due(starts))
        assert [s["kind"] for s in await emitted(crm, "reminder.due")] == ["appointment"]
        (row,) = await appointment_reminders(crm)
        assert row["state"] == "sent"
        assert datetime.fromisoformat(row["sent_at"]) == holiday_evening
        assert "public holiday" in row["note"]


async def test_cancelled_appointment_is_not_reminded_after_the_holiday(crm) -> None:
    appointment_id = uuid.uuid4()
    with manual_clock(beijing(2026, 10, 7, 14)) as now:
        await crm.publish(reminder_due(beijing(2026, 10, 8, 14), appointment_id))
        await crm.publish(events.AppointmentCancelled(appointment_id=appointment_id, reason="x"))
        now.set(beijing(2026, 10, 8, 9))
        await run_due(crm)
        assert await emitted(crm, "reminder.due") == []
        (row,) = await appointment_reminders(crm)
        assert row["state"] == "cancelled"


async def test_appointment_that_has_begun_is_not_reminded_and_the_reason_is_recorded(crm) -> None:
    with manual_clock(beijing(2026, 11, 25, 10)):
        await crm.publish(reminder_due(beijing(2026, 11, 25, 9, 30)))  # came in late
        assert await emitted(crm, "reminder.due") == []
        (row,) = await appointment_reminders(crm)
        assert row["state"] == "too_late"
        assert "begun" in row["note"]


async def test_appointment_reminders_of_another_station_are_not_shown(crm) -> None:
    with manual_clock(beijing(2026, 11, 24, 10)):
        await crm.publish(reminder_due(beijing(2026, 11, 25, 9, 30)), station_id="sh01")
        assert await appointment_reminders(crm) == []
        (row,) = await appointment_reminders(crm, headers=SH01_AGENT)
        assert row["station_id"] == "sh01"
