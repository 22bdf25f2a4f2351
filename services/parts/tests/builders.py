"""Test-data builders for the parts tests (rows and events, no mocks)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.parts import domain
from services.parts.models import (
    MovementKind,
    Part,
    PartCategory,
    Reservation,
    ReservationStatus,
    StockItem,
    StockMovement,
    Supplier,
)
from services.parts.service import post
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
    unit: str = "set",
    cost: str | int = 320,
    supplier_id: uuid.UUID | None = None,
) -> StockItem:
    """A part on the shelf of a station (the catalogue entry is added when missing); the
    opening figures are ledger rows, as every stock change is."""
    async with harness.runtime.db.transaction() as session:
        await add_part(
            session, part_no, supersedes=supersedes, unit=unit, cost=cost, supplier_id=supplier_id
        )
        item = StockItem(
            station_id=station_id,
            part_no=part_no,
            reorder_point=Decimal(reorder_point),
            reorder_quantity=Decimal(reorder_quantity),
            bin_location="A-01-01",
        )
        session.add(item)
        await session.flush()
        post(
            session,
            item,
            MovementKind.ADJUSTMENT,
            actor="test",
            reason="opening balance",
            on_hand=Decimal(on_hand),
        )
        if Decimal(reserved):
            post(
                session,
                item,
                MovementKind.RESERVATION,
                actor="test",
                reason="held for a test",
                reserved=Decimal(reserved),
            )
    return item


async def add_part(
    session: AsyncSession,
    part_no: str = BRAKE_PADS,
    *,
    supersedes: str | None = None,
    unit: str = "set",
    cost: str | int = 320,
    supplier_id: uuid.UUID | None = None,
) -> Part:
    part = await session.get(Part, part_no)
    if part is None:
        part = Part(
            part_no=part_no,
            description=f"test part {part_no}",
            category=PartCategory.BRAKE,
            unit=unit,
            list_price=Decimal("480.00"),
            warranty_price=Decimal("408.00"),
            supersedes=supersedes,
            cost=Decimal(cost),
            margin=Decimal("0.5"),
            warranty_margin=Decimal("0.275"),
            supplier_id=supplier_id,
        )
        session.add(part)
        await session.flush()
    return part


async def add_supplier(
    harness: ServiceHarness, *, registered: bool = True, lead_time_days: int = 3
) -> Supplier:
    supplier = Supplier(
        code=f"S{uuid.uuid4().hex[:8]}",
        name="test supplier",
        registered=registered,
        lead_time_days=lead_time_days,
    )
    async with harness.runtime.db.transaction() as session:
        session.add(supplier)
    return supplier


#: the kinds of movement that may change on hand: received - issued + returned - losses
#: +- adjustments +- transfers; reservations, releases and orders never do
MOVES_ON_HAND = frozenset(
    {
        MovementKind.RECEIPT,
        MovementKind.ISSUE,
        MovementKind.RETURN,
        MovementKind.LOSS,
        MovementKind.DAMAGE,
        MovementKind.ADJUSTMENT,
        MovementKind.TRANSFER_OUT,
        MovementKind.TRANSFER_IN,
        MovementKind.SALE,
    }
)


async def ledger_discrepancies(session: AsyncSession) -> list[str]:
    """THE INVARIANT, checked on a whole database: every stock row equals the sum of its
    ledger rows, on hand = received - issued + returned +- adjustments +- transfers, nothing
    negative, reserved <= on hand + on order, and reserved equals what the live reservations
    hold. Returns what is wrong (empty when all is right)."""
    problems: list[str] = []
    sums = {
        (row[0], row[1]): row[2:]
        for row in (
            await session.exec(
                select(  # type: ignore[call-overload]
                    StockMovement.station_id,
                    StockMovement.part_no,
                    func.sum(StockMovement.on_hand_change),
                    func.sum(StockMovement.reserved_change),
                    func.sum(StockMovement.on_order_change),
                ).group_by(StockMovement.station_id, StockMovement.part_no)
            )
        ).all()
    }
    by_kind: dict[tuple[str, str], Decimal] = {}
    for station_id, part_no, kind, change in (
        await session.exec(
            select(  # type: ignore[call-overload]
                StockMovement.station_id,
                StockMovement.part_no,
                StockMovement.kind,
                func.sum(StockMovement.on_hand_change),
            ).group_by(StockMovement.station_id, StockMovement.part_no, StockMovement.kind)
        )
    ).all():
        if MovementKind(kind) not in MOVES_ON_HAND and change != 0:
            problems.append(f"{station_id}/{part_no}: {kind} moved on hand by {change}")
        by_kind[(station_id, part_no)] = by_kind.get((station_id, part_no), Decimal(0)) + change
    held = {
        (row[0], row[1]): row[2]
        for row in (
            await session.exec(
                select(  # type: ignore[call-overload]
                    Reservation.station_id,
                    Reservation.part_no,
                    func.sum(Reservation.quantity_reserved),
                )
                .where(col(Reservation.status) != ReservationStatus.RELEASED)
                .group_by(Reservation.station_id, Reservation.part_no)
            )
        ).all()
    }
    for item in (await session.exec(select(StockItem))).all():
        key = (item.station_id, item.part_no)
        on_hand, reserved, on_order = sums.get(key, (Decimal(0), Decimal(0), Decimal(0)))
        if (item.on_hand, item.reserved, item.on_order) != (on_hand, reserved, on_order):
            problems.append(
                f"{key}: row {item.on_hand}/{item.reserved}/{item.on_order} "
                f"but ledger {on_hand}/{reserved}/{on_order}"
            )
        if by_kind.get(key, Decimal(0)) != item.on_hand:
            problems.append(f"{key}: movements by kind do not add up to on hand")
        problem = domain.stock_invariant_violation(item.on_hand, item.reserved, item.on_order)
        if problem:
            problems.append(f"{key}: {problem}")
        if item.reserved > item.on_hand + item.on_order:
            problems.append(f"{key}: reserved above on hand + on order")
        if key in held and held[key] != item.reserved:
            problems.append(f"{key}: reservations hold {held[key]}, the row says {item.reserved}")
    return problems


async def assert_invariant(harness: ServiceHarness) -> None:
    async with harness.runtime.db.read() as session:
        assert await ledger_discrepancies(session) == []


def item_requested(
    part_no: str = BRAKE_PADS,
    quantity: str | int = 1,
    *,
    request_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
    job_id: uuid.UUID | None = None,
    finding_id: uuid.UUID | None = None,
) -> events.ItemRequested:
    """The workshop asks for a part for a job (new ids unless given), for an additional
    finding when ``finding_id`` is given."""
    return events.ItemRequested(
        request_id=request_id or uuid.uuid4(),
        order_id=order_id or uuid.uuid4(),
        job_id=job_id or uuid.uuid4(),
        part_no=part_no,
        quantity=Decimal(quantity),
        finding_id=finding_id,
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


async def level_events(harness: ServiceHarness) -> list[tuple[str, events.StockLevelChanged]]:
    """(station, payload) of every ``stock.level_changed`` staged so far, oldest first."""
    found = []
    for envelope in await emitted(harness, "stock.level_changed"):
        payload = envelope.open()
        assert isinstance(payload, events.StockLevelChanged)
        found.append((envelope.station_id, payload))
    return found


async def assert_levels_published_since(
    harness: ServiceHarness, seen: int, *, expected: set[tuple[str, str]]
) -> int:
    """The level events published after the first ``seen``: exactly one for each (station,
    part) expected, each with the stock row's figures now. Returns the new count."""
    published = (await level_events(harness))[seen:]
    keys = [(station, payload.part_no) for station, payload in published]
    assert sorted(keys) == sorted(expected), keys
    for station, payload in published:
        stock = await stock_of(harness, station, payload.part_no)
        assert (payload.on_hand, payload.reserved, payload.on_order) == (
            stock.on_hand,
            stock.reserved,
            stock.on_order,
        )
        assert payload.available == stock.on_hand - stock.reserved
    return seen + len(published)
