"""CRM against a real Kafka-protocol broker (embedded Tansu unless configured)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from services.crm.app import definition
from services.crm.models import FollowUp, Visit
from services.crm.tests.test_customer_files import order_created, vehicle_delivered
from shared import clock
from shared.testing import eventually, read_topic, run_service

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
