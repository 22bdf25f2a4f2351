"""CRM against a real Kafka-protocol broker (embedded Tansu unless configured)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from services.crm.app import definition
from services.crm.models import FollowUp, FollowUpKind, Visit
from services.crm.tests.test_customer_files import order_created, vehicle_delivered
from shared import clock
from shared.testing import auth_headers, eventually, read_topic, run_service

pytestmark = pytest.mark.realbroker


async def test_delivery_plans_followups_on_a_real_broker(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    async with run_service(
        definition, tmp_path, real_broker=kafka_bootstrap, scheduler=False
    ) as crm:
        order = order_created()
        await crm.publish(order)

        async def visit_recorded() -> bool:
            async with crm.runtime.db.read() as session:
                query = select(Visit).where(Visit.order_id == order.order_id)
                return (await session.exec(query)).first() is not None

        await eventually(visit_recorded, timeout=30, what="crm to consume order.created")
        await crm.publish(vehicle_delivered(order.order_id, datetime.now(UTC)))

        async def followups() -> list[FollowUp]:
            async with crm.runtime.db.read() as session:
                query = select(FollowUp).where(FollowUp.order_id == order.order_id)
                rows = list((await session.exec(query)).all())
            return rows if len(rows) == 2 else []

        planned = await eventually(followups, timeout=30, what="crm to plan the follow-ups")
        assert {f.kind.value for f in planned} == {"72h", "2w"}
        # both calls open on the driven clock (15 days on), and are announced then
        later = max(f.opens_at for f in planned)
        with clock.driven(clock.ManualClock(later)):
            assert crm.runtime.scheduler is not None
            await crm.runtime.scheduler.run_due()

        async def announced() -> list[dict]:
            # the topic may hold other tests' calls: read what is there, keep this order's
            records = await read_topic(kafka_bootstrap, "followup.due", count=1000, timeout=3)
            bodies = [json.loads(r.value) for r in records]
            return [b for b in bodies if b["payload"]["order_id"] == str(order.order_id)]

        mine = await eventually(announced, timeout=30, what="followup.due on the topic")
        assert {uuid.UUID(b["payload"]["followup_id"]) for b in mine} == {f.id for f in planned}


async def test_outcome_complaint_reminder_and_csi_end_to_end_on_a_real_broker(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    start = datetime.now(UTC)
    with clock.driven(clock.ManualClock(start)) as now:
        assert isinstance(now, clock.ManualClock)
        async with run_service(
            definition, tmp_path, real_broker=kafka_bootstrap, scheduler=False
        ) as crm:
            assert crm.runtime.scheduler is not None
            order = order_created()
            await crm.publish(order)
            next_service = (start + timedelta(days=20)).date()
            await crm.publish(
                vehicle_delivered(order.order_id, start, next_service_date=next_service)
            )

            async def first_call() -> FollowUp | None:
                async with crm.runtime.db.read() as session:
                    query = select(FollowUp).where(
                        FollowUp.order_id == order.order_id, FollowUp.kind == FollowUpKind.FIRST
                    )
                    return (await session.exec(query)).first()

            call = await eventually(first_call, timeout=30, what="the 72h call to be planned")
            now.set(call.opens_at + timedelta(hours=2))
            await crm.runtime.scheduler.run_due()
            unhappy = await crm.client.post(
                f"/follow-ups/{call.id}/outcome",
                json={
                    "outcome": "dissatisfied",
                    "reason": "刹车仍有异响",
                    "complaint": True,
                    "severity": "serious",
                    "category": "repair quality",
                },
                headers=auth_headers("crm.bj01"),
            )
            assert unhappy.status_code == 200, unhappy.text
            assert unhappy.json()["escalated_at"] is not None
            complaint_id = unhappy.json()["complaint_id"]

            survey = await crm.client.post(
                "/csi-surveys",
                json={"order_id": str(order.order_id), "scores": {"overall": 4}},
                headers=auth_headers("crm.bj01"),
            )
            assert survey.status_code == 201, survey.text

            now.set(start + timedelta(days=7))  # the reminder goes out two weeks ahead
            await crm.runtime.scheduler.run_due()

            async def on_topic(topic: str, field: str, value: str) -> list[dict]:
                records = await read_topic(kafka_bootstrap, topic, count=1000, timeout=3)
                bodies = [json.loads(r.value) for r in records]
                return [b for b in bodies if b["payload"][field] == value]

            async def complaint_published() -> list[dict]:
                return await on_topic("complaint.opened", "complaint_id", complaint_id)

            async def reminder_published() -> list[dict]:
                return await on_topic("reminder.due", "vin", order.vehicle.vin)

            async def escalation_published() -> list[dict]:
                return await on_topic("followup.escalated", "followup_id", str(call.id))

            (escalated,) = await eventually(
                escalation_published, timeout=30, what="followup.escalated"
            )
            assert escalated["payload"]["reason"] == "dissatisfied: 刹车仍有异响"
            (opened,) = await eventually(complaint_published, timeout=30, what="complaint.opened")
            assert opened["payload"]["order_id"] == str(order.order_id)
            assert opened["payload"]["severity"] == "serious"
            reminders = await eventually(reminder_published, timeout=30, what="reminder.due")
            assert next_service.isoformat() in {r["payload"]["due_on"] for r in reminders}
