"""Reception against a real Kafka-protocol broker (embedded Tansu unless configured)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.reception.app import definition
from services.reception.models import OrderStatus, RepairOrder
from services.reception.tests.conftest import ACCEPTED
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


async def test_additional_work_settlement_and_delivery_on_a_real_broker(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    advisor, cashier = auth_headers("advisor.bj01"), auth_headers("cashier.bj01")
    async with run_service(definition, tmp_path, real_broker=kafka_bootstrap) as reception:
        created = await reception.client.post("/repair-orders", json=order_body(), headers=advisor)
        order_id = created.json()["id"]
        finding_id = uuid.uuid4()
        await reception.publish(
            events.WorkAdditionalFound(
                finding_id=finding_id,
                order_id=uuid.UUID(order_id),
                job_id=uuid.uuid4(),
                description="雨刮片老化",
                reported_by="tech.bj01",
            )
        )

        async def found() -> bool:
            answer = await reception.client.get(f"/additional-work/{finding_id}", headers=advisor)
            return answer.status_code == 200

        await eventually(found, timeout=30, what="reception to consume work.additional_found")
        await reception.client.post(
            f"/additional-work/{finding_id}/pricing",
            json={
                "lines": [
                    {"kind": "part", "code": "WIPER", "description": "雨刮", "unit_price": "160"}
                ]
            },
            headers=advisor,
        )
        decided = await reception.client.post(
            f"/additional-work/{finding_id}/decision", json={"approved": True}, headers=advisor
        )
        assert decided.status_code == 200, decided.text
        approvals = await read_topic(
            kafka_bootstrap,
            "work.additional_approved",
            until=lambda r: json.loads(r.value)["payload"]["finding_id"] == str(finding_id),
        )
        assert any(json.loads(r.value)["payload"]["order_id"] == order_id for r in approvals)

        await reception.publish(
            events.VehicleCompleted(
                order_id=uuid.UUID(order_id), vin=VIN, completed_at=datetime.now(UTC)
            )
        )

        async def settled() -> bool:
            answer = await reception.client.get(
                f"/repair-orders/{order_id}/settlement", headers=cashier
            )
            return answer.status_code == 200

        await eventually(settled, timeout=30, what="the settlement on vehicle.completed")
        paid = await reception.client.post(
            f"/repair-orders/{order_id}/payments",
            json={"method": "cash", "amount": "1000"},
            headers=cashier,
        )
        assert paid.json()["exit_pass_no"], paid.text  # ¥840 + ¥160 wiper
        delivered = await reception.client.post(
            f"/repair-orders/{order_id}/delivery", json=ACCEPTED, headers=advisor
        )
        assert delivered.status_code == 200, delivered.text
        records = await read_topic(
            kafka_bootstrap,
            "vehicle.delivered",
            until=lambda r: json.loads(r.value)["payload"]["order_id"] == order_id,
        )
        mine = [json.loads(r.value)["payload"] for r in records]
        assert any(p["order_id"] == order_id and p["next_service_km"] == 52000 for p in mine)
