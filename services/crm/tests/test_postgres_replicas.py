"""On PostgreSQL, two replicas' schedulers share the due tasks: each reminder and each
follow-up call is announced exactly once (tasks claimed with FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from services.crm.app import definition
from services.crm.models import FollowUp, FollowUpCall, FollowUpKind
from services.crm.tasks import scheduler
from services.crm.tests.helpers import emitted, manual_clock
from services.crm.tests.test_customer_files import (
    customer_ref,
    order_created,
    vehicle_delivered,
    vehicle_ref,
)
from shared.contracts import events
from shared.db import Database, create_engine
from shared.scheduler import TaskScheduler
from shared.testing import auth_headers, run_service

DELIVERED = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
CUSTOMERS = 12


async def test_two_replicas_send_each_reminder_and_open_each_call_once(
    tmp_path: Path, postgres_url: str
) -> None:
    async with run_service(definition, tmp_path, scheduler=False, database_url=postgres_url) as crm:
        with manual_clock(DELIVERED) as now:
            for i in range(CUSTOMERS):
                order = order_created(
                    customer=customer_ref(customer_id=uuid.uuid4(), phone=f"139000000{i:02d}"),
                    vehicle=vehicle_ref(vin=f"LSGZJ5350HS1000{i:02d}"),
                )
                await crm.publish(order)
                await crm.publish(
                    vehicle_delivered(
                        order.order_id,
                        DELIVERED,
                        customer=order.customer,
                        vehicle=order.vehicle,
                        next_service_date=date(2027, 5, 23),
                    )
                )
            now.set(datetime(2027, 7, 1, 2, 0, tzinfo=UTC))  # everything is due (10:00 local)
            replica_db = Database(create_engine(postgres_url))
            replica = TaskScheduler("crm")
            replica._handlers = dict(scheduler._handlers)
            replica.bind(replica_db)
            try:
                assert crm.runtime.scheduler is not None
                counts = await asyncio.gather(
                    crm.runtime.scheduler.run_due(limit=1000), replica.run_due(limit=1000)
                )
            finally:
                await replica_db.dispose()

        # per customer at least: 2 calls opened and expired, 1 reminder, 1 "not booked" call
        # (plus the monthly contact-plan closings caught up on the way)
        assert sum(counts) >= CUSTOMERS * 6
        reminders = await emitted(crm, "reminder.due")
        for kind in ("maintenance", "booking_call"):  # ahead, then due and not booked
            sent = [r for r in reminders if r["kind"] == kind]
            assert len(sent) == CUSTOMERS
            assert set(Counter(r["vin"] for r in sent).values()) == {1}
        calls = await emitted(crm, "followup.due")
        assert len(calls) == CUSTOMERS * 3
        assert set(Counter(c["followup_id"] for c in calls).values()) == {1}


async def test_an_outcome_saved_twice_at_once_is_recorded_once(
    tmp_path: Path, postgres_url: str
) -> None:
    async with run_service(definition, tmp_path, scheduler=False, database_url=postgres_url) as crm:
        with manual_clock(DELIVERED) as now:
            order = order_created()
            await crm.publish(order)
            await crm.publish(vehicle_delivered(order.order_id, DELIVERED))
            now.set(DELIVERED + timedelta(days=1))
            assert crm.runtime.scheduler is not None
            await crm.runtime.scheduler.run_due()
            async with crm.runtime.db.read() as session:
                call = (
                    await session.exec(
                        select(FollowUp).where(
                            FollowUp.order_id == order.order_id,
                            FollowUp.kind == FollowUpKind.FIRST,
                        )
                    )
                ).one()
            answers = await asyncio.gather(
                *(
                    crm.client.post(
                        f"/follow-ups/{call.id}/outcome",
                        json={"outcome": outcome, "reason": "x"},
                        headers=auth_headers(agent),
                    )
                    for outcome, agent in (
                        ("satisfied", "crm.bj01"),
                        ("dissatisfied", "manager.bj01"),
                    )
                )
            )
        assert sorted(a.status_code for a in answers) == [200, 409]
        async with crm.runtime.db.read() as session:
            calls = (
                await session.exec(select(FollowUpCall).where(FollowUpCall.followup_id == call.id))
            ).all()
        assert len(calls) == 1
        # escalated once if the dissatisfied save won, not at all if the satisfied one did
        escalated = await emitted(crm, "followup.escalated")
        assert len(escalated) == (1 if calls[0].outcome == "dissatisfied" else 0)


async def test_two_replicas_and_the_desk_escalate_each_complaint_once_per_level(
    tmp_path: Path, postgres_url: str
) -> None:
    start = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 Beijing
    async with run_service(definition, tmp_path, scheduler=False, database_url=postgres_url) as crm:
        with manual_clock(start) as now:
            await crm.publish(order_created())
            ids = []
            for _ in range(CUSTOMERS):
                created = await crm.client.post(
                    "/complaints",
                    json={
                        "customer_id": str(customer_ref().customer_id),
                        "channel": "phone",
                        "category": "waiting time",
                        "severity": "minor",
                        "summary": "等待太久",
                        "promised_answer_by": (start + timedelta(hours=1)).isoformat(),
                    },
                    headers=auth_headers("crm.bj01"),
                )
                assert created.status_code == 201, created.text
                ids.append(created.json()["id"])
            now.set(start + timedelta(hours=2))
            replica_db = Database(create_engine(postgres_url))
            replica = TaskScheduler("crm")
            replica._handlers = dict(scheduler._handlers)
            replica.bind(replica_db)
            refusals = [
                crm.client.post(
                    f"/complaints/{complaint_id}/answer",
                    json={"answer": "不能补偿", "customer_accepted": False},
                    headers=auth_headers("crm.bj01"),
                )
                for complaint_id in ids[::2]
            ]
            try:
                assert crm.runtime.scheduler is not None
                ran = await asyncio.gather(
                    crm.runtime.scheduler.run_due(limit=1000),
                    replica.run_due(limit=1000),
                    *refusals,
                )
            finally:
                await replica_db.dispose()
        statuses = [getattr(answer, "status_code", None) for answer in ran[2:]]
        assert statuses == [200] * len(refusals)  # no deadlock, no 500

        escalations = await emitted(crm, "complaint.escalated")
        per_level = Counter((e["complaint_id"], e["level"]) for e in escalations)
        assert set(per_level.values()) == {1}  # never the same complaint and level twice
        assert {c for c, level in per_level if level == "service_manager"} == set(ids)
        # a refusal after the overdue escalation goes to the group; before it, to the manager
        assert {c for c, level in per_level if level == "group"} <= set(ids[::2])
        inbox = await crm.client.get(
            "/escalations", params={"limit": 200}, headers=auth_headers("group.manager")
        )
        assert inbox.json()["count"] == len(escalations)


async def test_two_replicas_send_each_appointment_reminder_held_by_a_holiday_once(
    tmp_path: Path, postgres_url: str
) -> None:
    holiday = datetime(2026, 10, 7, 6, 0, tzinfo=UTC)  # 14:00 Beijing, National Day
    starts = holiday + timedelta(days=1)
    async with run_service(definition, tmp_path, scheduler=False, database_url=postgres_url) as crm:
        with manual_clock(holiday) as now:
            appointments = [uuid.uuid4() for _ in range(CUSTOMERS)]
            for i, appointment_id in enumerate(appointments):
                await crm.publish(
                    events.AppointmentReminderDue(
                        appointment_id=appointment_id,
                        customer=customer_ref(customer_id=uuid.uuid4()),
                        vehicle=vehicle_ref(vin=f"LSGZJ5350HS1000{i:02d}"),
                        starts_at=starts,
                    )
                )
            assert await emitted(crm, "reminder.due") == []  # held back to the day after
            now.set(datetime(2026, 10, 8, 1, 0, tzinfo=UTC))  # 09:00 Beijing
            replica_db = Database(create_engine(postgres_url))
            replica = TaskScheduler("crm")
            replica._handlers = dict(scheduler._handlers)
            replica.bind(replica_db)
            try:
                assert crm.runtime.scheduler is not None
                await asyncio.gather(
                    crm.runtime.scheduler.run_due(limit=1000), replica.run_due(limit=1000)
                )
            finally:
                await replica_db.dispose()
        sent = [r for r in await emitted(crm, "reminder.due") if r["kind"] == "appointment"]
        assert len(sent) == CUSTOMERS
        assert set(Counter(r["reminder_id"] for r in sent).values()) == {1}
