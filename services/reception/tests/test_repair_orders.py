"""Reception service tests on faststream's test broker and SQLite."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from services.reception.app import definition
from services.reception.models import RepairOrder
from shared.contracts import events
from shared.tables import OutboxMessage, OutboxState
from shared.testing import auth_headers, run_service

VIN = "LFV2A21K7G3000001"


def order_body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "category": "repair",
        "customer": {"name": "张三", "phone": "13800000001"},
        "vehicle": {"vin": VIN, "plate": "京A12345", "make": "FAW-VW", "model": "Sagitar"},
        "mileage_km": 42000,
        "complaint": "刹车时有异响",
        "lines": [
            {
                "ref": "L1",
                "kind": "labour",
                "code": "BRK-010",
                "description": "更换前刹车片",
                "hours": "1.2",
                "unit_price": "300",
                "skill": "mechanical",
                "major_system": "brakes",
            },
            {
                "kind": "part",
                "code": "1K0698151A",
                "description": "前刹车片",
                "quantity": "1",
                "unit_price": "480",
                "labour_ref": "L1",
            },
        ],
        "signature": {"name": "张三", "typed_confirmation": "我同意"},
    }
    body.update(overrides)
    return body


@pytest.fixture
async def reception(tmp_path: Path):
    async with run_service(definition, tmp_path) as harness:
        yield harness


async def test_order_created_is_staged_in_the_same_transaction(reception) -> None:
    response = await reception.client.post(
        "/repair-orders", json=order_body(), headers=auth_headers("advisor.bj01")
    )
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["station_id"] == "bj01"
    assert Decimal(order["total"]) == Decimal("840.00")  # 1.2 h x 300 + 480
    assert order["inspection_required"] is True  # brake work
    async with reception.runtime.db.read() as session:
        rows = (await session.exec(select(OutboxMessage))).all()
    assert [row.event_type for row in rows] == ["order.created"]
    assert rows[0].key == order["id"]


async def test_order_created_reaches_the_topic(reception) -> None:
    received: list[dict] = []

    @reception.broker.subscriber("order.created", group_id="probe")
    async def probe(body: dict) -> None:
        received.append(body)

    await reception.broker.start()  # register the late subscriber with the test broker
    response = await reception.client.post(
        "/repair-orders", json=order_body(), headers=auth_headers("advisor.bj01")
    )
    assert response.status_code == 201
    await reception.drain()
    async with reception.runtime.db.read() as session:
        row = (await session.exec(select(OutboxMessage))).one()
    assert row.state == OutboxState.PUBLISHED
    assert len(received) == 1
    assert received[0]["type"] == "order.created"
    assert received[0]["payload"]["order_id"] == response.json()["id"]
    assert received[0]["correlation_id"] == response.json()["id"]


async def test_bad_vin_is_a_422_naming_the_field(reception) -> None:
    body = order_body(vehicle={"vin": "LFV2A21K0G30000O1"})
    response = await reception.client.post(
        "/repair-orders", json=body, headers=auth_headers("advisor.bj01")
    )
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"][-1] == "vin"
    assert "I, O or Q" in detail["msg"]


async def test_order_of_another_station_is_404(reception) -> None:
    created = await reception.client.post(
        "/repair-orders", json=order_body(), headers=auth_headers("advisor.bj01")
    )
    order_id = created.json()["id"]
    other = await reception.client.get(
        f"/repair-orders/{order_id}", headers=auth_headers("advisor.sh01")
    )
    assert other.status_code == 404
    group = await reception.client.get(
        f"/repair-orders/{order_id}", headers=auth_headers("group.manager")
    )
    assert group.status_code == 200


async def test_vehicle_completed_marks_order_and_redelivery_has_no_second_effect(reception) -> None:
    created = await reception.client.post(
        "/repair-orders", json=order_body(), headers=auth_headers("advisor.bj01")
    )
    order_id = uuid.UUID(created.json()["id"])
    envelope = await reception.publish(
        events.VehicleCompleted(order_id=order_id, vin=VIN, completed_at=datetime.now(UTC))
    )
    await reception.publish_envelope(envelope)
    async with reception.runtime.db.read() as session:
        order = await session.get(RepairOrder, order_id)
    assert order is not None and order.status == "completed"
    assert reception.runtime.consumer.counts["handled"] == 1
    assert reception.runtime.consumer.counts["duplicate"] == 1
