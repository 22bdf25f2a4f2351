"""Test-data builders for the parts tests (rows and events, no mocks)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlmodel import col, select

from services.parts.models import Part, PartCategory, Reservation, StockItem
from shared.contracts import events
from shared.contracts.envelope import Envelope
from shared.tables import OutboxMessage
from shared.testing import ServiceHarness

BRAKE_PADS = "1K0698151A"


async def add_stock(
    harness: ServiceHarness,
    station_id: str,
    part_no: str = BRAKE_PADS,
    *,
    on_hand: str | int = 10,
    reserved: str | int = 0,
    reorder_point: str | int = 0,
    reorder_quantity: str | int = 0,
    supersedes: str | None = None,
) -> StockItem:
    """A part on the shelf of a station (the catalogue entry is added when missing)."""
    async with harness.runtime.db.transaction() as session:
        if await session.get(Part, part_no) is None:
            session.add(
                Part(
                    part_no=part_no,
                    description=f"test part {part_no}",
                    category=PartCategory.BRAKE,
                    unit="set",
                    list_price=Decimal("480.00"),
                    warranty_price=Decimal("408.00"),
                    supersedes=supersedes,
                )
            )
            await session.flush()
        item = StockItem(
            station_id=station_id,
            part_no=part_no,
            on_hand=Decimal(on_hand),
            reserved=Decimal(reserved),
            reorder_point=Decimal(reorder_point),
            reorder_quantity=Decimal(reorder_quantity),
            bin_location="A-01-01",
        )
        session.add(item)
    return item


def item_requested(
    part_no: str = BRAKE_PADS,
    quantity: str | int = 1,
    *,
    request_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
    job_id: uuid.UUID | None = None,
) -> events.ItemRequested:
    """The workshop asks for a part for a job (new ids unless given)."""
    return events.ItemRequested(
        request_id=request_id or uuid.uuid4(),
        order_id=order_id or uuid.uuid4(),
        job_id=job_id or uuid.uuid4(),
        part_no=part_no,
        quantity=Decimal(quantity),
    )


async def stock_of(
    harness: ServiceHarness, station_id: str, part_no: str = BRAKE_PADS
) -> StockItem:
    async with harness.runtime.db.read() as session:
        return (
            await session.exec(
                select(StockItem).where(
                    StockItem.station_id == station_id, StockItem.part_no == part_no
                )
            )
        ).one()


async def reservations(harness: ServiceHarness) -> list[Reservation]:
    async with harness.runtime.db.read() as session:
        return list((await session.exec(select(Reservation))).all())


async def emitted(harness: ServiceHarness, event_type: str | None = None) -> list[Envelope]:
    """Events the service staged in its outbox, oldest first."""
    async with harness.runtime.db.read() as session:
        query = select(OutboxMessage).order_by(col(OutboxMessage.id))
        if event_type is not None:
            query = query.where(OutboxMessage.event_type == event_type)
        rows = (await session.exec(query)).all()
    return [Envelope.from_bytes(row.value) for row in rows]
