"""Warranty against a real Kafka-protocol broker (embedded Tansu unless configured)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from services.warranty.app import definition
from services.warranty.models import WarrantyClaim, WarrantyOrder
from services.warranty.tests.test_claims import completed, order_created
from shared.tables import OutboxMessage, OutboxState
from shared.testing import eventually, run_service

pytestmark = pytest.mark.realbroker


async def test_claim_is_drafted_from_events_on_a_real_broker(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    async with run_service(definition, tmp_path, real_broker=kafka_bootstrap) as warranty:
        order = order_created()
        await warranty.publish(order, station_id="bj01")

        async def recorded() -> bool:
            async with warranty.runtime.db.read() as session:
                return await session.get(WarrantyOrder, order.order_id) is not None

        # the two topics are not ordered with each other: complete only a recorded order
        await eventually(recorded, timeout=30, what="warranty to consume order.created")
        await warranty.publish(completed(order), station_id="bj01")

        async def claim() -> WarrantyClaim | None:
            async with warranty.runtime.db.read() as session:
                query = select(WarrantyClaim).where(WarrantyClaim.order_id == order.order_id)
                return (await session.exec(query)).first()

        drafted = await eventually(claim, timeout=30, what="warranty to draft the claim")
        assert drafted.station_id == "bj01"
        assert drafted.amount == Decimal("840.00")

        async def coverage_sent() -> bool:
            async with warranty.runtime.db.read() as session:
                row = (await session.exec(select(OutboxMessage))).first()
            return row is not None and row.state == OutboxState.PUBLISHED

        await eventually(coverage_sent, timeout=30, what="coverage.checked to reach the broker")
