"""Reception against a real Kafka-protocol broker (embedded Tansu unless configured)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.reception.app import definition
from services.reception.models import OrderStatus, RepairOrder
from services.reception.tests.test_repair_orders import VIN, order_body
from shared.contracts import events
from shared.testing import auth_headers, eventually, read_topic, run_service

pytestmark = pytest.mark.realbroker


async def test_order_round_trip_on_a_real_broker(tmp_path: Path, kafka_bootstrap: str) -> None:
    async with run_service(definition, tmp_path, real_broker=kafka_bootstrap) as reception:
        created = await reception.client.post(
            "/repair-orders", json=order_body(), headers=auth_headers("advisor.bj01")
        )
        assert created.status_code == 201, created.text
        order_id = created.json()["id"]

        records = await read_topic(
            kafka_bootstrap,
            "order.created",
            until=lambda r: json.loads(r.value)["payload"]["order_id"] == order_id,
        )
        bodies = [json.loads(r.value) for r in records]
        assert order_id in [b["payload"]["order_id"] for b in bodies]
        mine = next(r for r in records if json.loads(r.value)["payload"]["order_id"] == order_id)
        assert mine.key.decode() == order_id  # keyed by the aggregate id

        await reception.publish(
            events.VehicleCompleted(
                order_id=uuid.UUID(order_id), vin=VIN, completed_at=datetime.now(UTC)
            )
        )

        async def completed() -> bool:
            async with reception.runtime.db.read() as session:
                order = await session.get(RepairOrder, uuid.UUID(order_id))
            return order is not None and order.status == OrderStatus.COMPLETED

        await eventually(completed, timeout=30, what="reception to consume vehicle.completed")
