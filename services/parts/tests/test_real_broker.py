"""Parts against a real Kafka-protocol broker (embedded Tansu unless configured)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from services.parts.app import definition
from services.parts.models import Reservation, ReservationStatus
from services.parts.seed import OPEN_ORDER_ID
from services.parts.tests.builders import BRAKE_PADS, item_requested
from shared.tables import OutboxMessage, OutboxState
from shared.testing import auth_headers, eventually, read_topic, run_service

pytestmark = pytest.mark.realbroker


async def test_requests_are_reserved_and_backorders_filled_on_receipt_on_a_real_broker(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    async with run_service(definition, tmp_path, real_broker=kafka_bootstrap) as parts:
        assert definition.seed is not None
        await definition.seed(parts.runtime)
        request = item_requested(BRAKE_PADS, quantity=1)
        await parts.publish(request, station_id="bj01")

        async def reserved() -> Reservation | None:
            async with parts.runtime.db.read() as session:
                return (
                    await session.exec(
                        select(Reservation).where(Reservation.request_id == request.request_id)
                    )
                ).first()

        reservation = await eventually(reserved, timeout=30, what="parts to consume the request")

        async def published() -> bool:
            async with parts.runtime.db.read() as session:
                row = (
                    await session.exec(
                        select(OutboxMessage).where(OutboxMessage.event_type == "item.reserved")
                    )
                ).first()
            return row is not None and row.state == OutboxState.PUBLISHED

        await eventually(published, timeout=30, what="the relay to publish item.reserved")

        # the topic may hold other tests' records: read what is there and find ours
        records = await read_topic(kafka_bootstrap, "item.reserved", count=1000, timeout=5)
        mine = [
            r
            for r in records
            if json.loads(r.value)["payload"]["request_id"] == str(request.request_id)
        ]
        assert len(mine) == 1
        envelope = json.loads(mine[0].value)
        assert envelope["station_id"] == "bj01"
        assert envelope["payload"]["reservation_id"] == str(reservation.id)
        assert Decimal(envelope["payload"]["quantity"]) == 1
        assert mine[0].key.decode() == str(request.order_id)  # keyed by the order

        # done when: the brake discs bj01 lacks are backordered, the demo's open purchase
        # order is received over HTTP, and item.reserved for the waiting job reaches the broker
        waiting = item_requested("1K0615301AA", quantity=2)
        await parts.publish(waiting, station_id="bj01")

        async def backordered() -> Reservation | None:
            async with parts.runtime.db.read() as session:
                return (
                    await session.exec(
                        select(Reservation).where(
                            Reservation.request_id == waiting.request_id,
                            Reservation.status == ReservationStatus.BACKORDERED,
                        )
                    )
                ).first()

        await eventually(backordered, timeout=30, what="the request to be backordered")
        response = await parts.client.post(
            f"/purchase-orders/{OPEN_ORDER_ID}/receipts",
            json={"lines": [{"part_no": "1K0615301AA", "quantity": "4"}]},
            headers=auth_headers("parts.bj01"),
        )
        assert response.status_code == 200, response.text

        def ours(record: Any) -> bool:
            return json.loads(record.value)["payload"]["request_id"] == str(waiting.request_id)

        records = await read_topic(kafka_bootstrap, "item.reserved", timeout=30, until=ours)
        [filled] = [json.loads(r.value) for r in records if ours(r)]
        assert Decimal(filled["payload"]["quantity"]) == 2
        assert filled["station_id"] == "bj01"

        # the receipt's stock.level_changed (reception's live availability) reaches the broker
        # too, keyed by the part, with the figures after the receipt
        async def level_sent() -> OutboxMessage | None:
            async with parts.runtime.db.read() as session:
                rows = (
                    await session.exec(
                        select(OutboxMessage).where(
                            OutboxMessage.event_type == "stock.level_changed"
                        )
                    )
                ).all()
            if not rows or any(row.state != OutboxState.PUBLISHED for row in rows):
                return None  # the receipt's is the newest: wait until it is out
            return max(rows, key=lambda row: row.id or 0)

        latest = await eventually(level_sent, timeout=30, what="the level to be published")

        def the_level(record: Any) -> bool:
            return json.loads(record.value)["event_id"] == str(latest.event_id)

        records = await read_topic(
            kafka_bootstrap, "stock.level_changed", timeout=30, until=the_level
        )
        [level] = [json.loads(r.value) for r in records if the_level(r)]
        assert level["station_id"] == "bj01"
        assert level["payload"]["part_no"] == "1K0615301AA"
        figures = [Decimal(level["payload"][k]) for k in ("on_hand", "reserved", "on_order")]
        assert figures == [Decimal(4), Decimal(2), Decimal(0)]
