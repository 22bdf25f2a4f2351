"""THE INVARIANT, on PostgreSQL, under random sequences of everything that moves stock.

For every part and station: on hand = received - issued + returned +- adjustments +-
transfers, never negative; reserved <= on hand + on order; every change is a ledger row.
Hypothesis drives reservations, issues, returns, write-offs, purchase orders and their
receipts, transfers, stocktake counts, cancellations and two orders racing for the last unit,
and the ledger is checked after every step. A refused step must leave no trace.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from services.parts import service
from services.parts.app import definition
from services.parts.models import (
    IssueCreate,
    PartsTable,
    PurchaseOrderCreate,
    PurchaseOrderLineCreate,
    PurchaseReceiptCreate,
    PurchaseReceiptLine,
    Reservation,
    ReservationStatus,
    ReturnCreate,
    StockItem,
    StockMovement,
    StocktakeCount,
    StocktakeCountsCreate,
    StocktakeCreate,
    Supplier,
    TransferCreate,
    VersionedAction,
    WriteOffCreate,
    WriteOffKind,
)
from services.parts.tests.builders import add_part, item_requested, ledger_discrepancies
from shared.auth import Principal, Role
from shared.contracts import events
from shared.contracts.envelope import Envelope, Payload
from shared.db import Database, create_engine, migrate
from shared.errors import DomainError
from shared.outbox import UnitOfWork
from shared.tables import PlatformTable

PART = "HYP-PC-1"  # counted in pieces
D = Decimal


@pytest.fixture
async def parts_db(postgres_url: str) -> AsyncIterator[tuple[Database, uuid.UUID]]:
    """The parts schema on a fresh PostgreSQL database, one part and one supplier."""
    db = Database(create_engine(postgres_url))
    await migrate(db, [definition.migrations], [PlatformTable.metadata, PartsTable.metadata])
    supplier = Supplier(code="HYP", name="hypothesis supplier", lead_time_days=2)
    async with db.transaction() as session:
        session.add(supplier)
        await session.flush()
        await add_part(session, PART, unit="pc", cost=10, supplier_id=supplier.id)
    yield db, supplier.id
    await db.dispose()


@dataclass
class World:
    """The two stations of one example (fresh ids, so examples never meet) and what the
    steps have made so far."""

    db: Database
    supplier_id: uuid.UUID
    stations: tuple[str, str]
    reservations: list[uuid.UUID] = field(default_factory=list)
    orders: list[uuid.UUID] = field(default_factory=list)
    purchase_orders: list[uuid.UUID] = field(default_factory=list)
    transfers: list[uuid.UUID] = field(default_factory=list)

    def clerk(self, station: str) -> Principal:
        return Principal(f"clerk.{station}", "clerk", Role.PARTS_CLERK, (station,))

    def group(self) -> Principal:
        return Principal("group", "group", Role.GROUP_MANAGER, self.stations, all_stations=True)

    def manager(self, station: str) -> Principal:
        return Principal(f"manager.{station}", "manager", Role.SERVICE_MANAGER, (station,))

    async def by_event(self, station: str, payload: Payload, use_case: Any) -> Any:
        envelope = Envelope.wrap(payload, station_id=station, producer="test")
        async with self.db.transaction() as session:
            return await use_case(UnitOfWork(session, "parts", causation=envelope), payload)

    async def by_user(self, use_case: Any, *args: Any) -> Any:
        async with self.db.transaction() as session:
            return await use_case(UnitOfWork(session, "parts"), *args)


def pick(items: list[uuid.UUID], index: int) -> uuid.UUID | None:
    return items[index % len(items)] if items else None


async def request(world: World, station: int, quantity: int) -> None:
    order_id = uuid.uuid4()
    world.orders.append(order_id)
    reservation = await world.by_event(
        world.stations[station],
        item_requested(PART, quantity, order_id=order_id),
        service.reserve_item,
    )
    world.reservations.append(reservation.id)


async def race_for_the_last_units(world: World, station: int) -> None:
    """Two orders ask at the same moment; the row lock makes one wait for the other."""
    await asyncio.gather(request(world, station, 1), request(world, station, 1))


async def issue(world: World, index: int, quantity: int) -> None:
    reservation_id = pick(world.reservations, index)
    if reservation_id is not None:
        async with world.db.read() as session:
            reservation = await session.get(Reservation, reservation_id)
        assert reservation is not None
        await world.by_user(
            service.issue_parts,
            world.clerk(reservation.station_id),
            reservation_id,
            IssueCreate(quantity=D(quantity)),
        )


async def give_back(world: World, index: int, quantity: int) -> None:
    reservation_id = pick(world.reservations, index)
    if reservation_id is not None:
        async with world.db.read() as session:
            reservation = await session.get(Reservation, reservation_id)
        assert reservation is not None
        await world.by_user(
            service.return_parts,
            world.clerk(reservation.station_id),
            reservation_id,
            ReturnCreate(quantity=D(quantity)),
        )


async def write_off(world: World, station: int, quantity: int) -> None:
    clerk = world.clerk(world.stations[station])
    data = WriteOffCreate(quantity=D(quantity), kind=WriteOffKind.LOSS, reason="lost")
    await world.by_user(service.write_off, clerk, PART, data)


async def order_and_send(world: World, station: int, quantity: int) -> None:
    clerk = world.clerk(world.stations[station])
    data = PurchaseOrderCreate(
        supplier_id=world.supplier_id,
        lines=[PurchaseOrderLineCreate(part_no=PART, quantity=D(quantity))],
    )
    order = await world.by_user(service.create_purchase_order, clerk, data)
    await world.by_user(service.send_purchase_order, clerk, order.id, VersionedAction())
    world.purchase_orders.append(order.id)


async def receive(world: World, index: int, quantity: int, over: bool) -> None:
    order_id = pick(world.purchase_orders, index)
    if order_id is not None:
        async with world.db.read() as session:
            order = await service.get_purchase_order(
                session,
                world.manager(world.stations[0]).__class__(
                    "group", "group", Role.GROUP_MANAGER, world.stations, all_stations=True
                ),
                order_id,
            )
        line = PurchaseReceiptLine(
            part_no=PART, quantity=D(quantity), over_receipt_note="extra sent" if over else None
        )
        await world.by_user(
            service.receive_purchase_order,
            world.clerk(order.station_id),
            order_id,
            PurchaseReceiptCreate(lines=[line]),
        )


async def transfer(world: World, source: int, quantity: int) -> None:
    to_station, from_station = world.stations[1 - source], world.stations[source]
    data = TransferCreate(part_no=PART, from_station_id=from_station, quantity=D(quantity))
    moved = await world.by_user(service.request_transfer, world.clerk(to_station), data)
    world.transfers.append(moved.id)
    await world.by_user(
        service.ship_transfer, world.clerk(from_station), moved.id, VersionedAction()
    )


async def receive_transfer(world: World, index: int) -> None:
    transfer_id = pick(world.transfers, index)
    if transfer_id is not None:
        async with world.db.read() as session:
            moved = await service.get_transfer(session, world.group(), transfer_id)
        await world.by_user(
            service.receive_transfer,
            world.clerk(moved.to_station_id),
            transfer_id,
            VersionedAction(),
        )


async def count(world: World, station: int, difference: int) -> None:
    """A stocktake that finds ``difference`` more or fewer than the books (never below 0)."""
    station_id = world.stations[station]
    async with world.db.read() as session:
        stock = (
            await session.exec(
                select(StockItem).where(
                    StockItem.station_id == station_id, StockItem.part_no == PART
                )
            )
        ).first()
    if stock is None:
        return
    sheet = await world.by_user(
        service.open_stocktake, world.clerk(station_id), StocktakeCreate(station_id=station_id)
    )
    counted = max(stock.on_hand + difference, D(0))
    counts = StocktakeCountsCreate(lines=[StocktakeCount(part_no=PART, counted_quantity=counted)])
    await world.by_user(service.record_counts, world.clerk(station_id), sheet.id, counts)
    await world.by_user(
        service.approve_stocktake, world.manager(station_id), sheet.id, VersionedAction()
    )


async def cancel(world: World, index: int) -> None:
    order_id = pick(world.orders, index)
    if order_id is not None:
        async with world.db.read() as session:
            reservation = (
                await session.exec(select(Reservation).where(Reservation.order_id == order_id))
            ).first()
        assert reservation is not None
        await world.by_event(
            reservation.station_id,
            events.OrderCancelled(order_id=order_id, reason="customer cancelled"),
            service.release_order,
        )


station = st.integers(0, 1)
quantity = st.integers(1, 4)
index = st.integers(0, 50)
STEPS = st.one_of(
    st.tuples(st.just(request), station, quantity),
    st.tuples(st.just(race_for_the_last_units), station),
    st.tuples(st.just(issue), index, quantity),
    st.tuples(st.just(give_back), index, quantity),
    st.tuples(st.just(write_off), station, quantity),
    st.tuples(st.just(order_and_send), station, st.integers(1, 6)),
    st.tuples(st.just(receive), index, quantity, st.booleans()),
    st.tuples(st.just(transfer), station, quantity),
    st.tuples(st.just(receive_transfer), index),
    st.tuples(st.just(count), station, st.integers(-3, 3)),
    st.tuples(st.just(cancel), index),
)


async def snapshot(db: Database, stations: tuple[str, ...]) -> tuple[Any, ...]:
    async with db.read() as session:
        rows = (
            await session.exec(
                select(StockItem)
                .where(col_in(StockItem.station_id, stations))
                .order_by(StockItem.station_id)
            )
        ).all()
        movements = (
            await session.exec(
                select(func.count())
                .select_from(StockMovement)
                .where(col_in(StockMovement.station_id, stations))
            )
        ).one()
    return tuple((r.station_id, r.on_hand, r.reserved, r.on_order) for r in rows), movements


def col_in(column: Any, values: tuple[Any, ...]) -> Any:
    from sqlmodel import col

    return col(column).in_(values)


@settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEPS, min_size=3, max_size=16))
async def test_stock_invariant_holds_after_every_step_on_postgres(
    parts_db: tuple[Database, uuid.UUID], steps: list[tuple[Any, ...]]
) -> None:
    db, supplier_id = parts_db
    tag = uuid.uuid4().hex[:6]
    world = World(db, supplier_id, (f"a{tag}", f"b{tag}"))
    # both stations start with a little stock, as a receipt on the ledger
    for number in range(len(world.stations)):
        await order_and_send(world, number, 3)
        await receive(world, number, 3, False)

    for step, *args in steps:
        before = await snapshot(db, world.stations)
        try:
            await step(world, *args)
            event(f"{step.__name__}: done")
        except DomainError:
            event(f"{step.__name__}: refused")
            # a refused step (more than reserved, more than free, a stale state ...) must
            # leave no trace: no figure changed and no ledger row written
            assert await snapshot(db, world.stations) == before, step.__name__
        async with db.read() as session:
            assert await ledger_discrepancies(session) == [], (step.__name__, args)


async def test_two_orders_racing_for_the_last_unit_get_it_once_on_postgres(
    parts_db: tuple[Database, uuid.UUID],
) -> None:
    db, supplier_id = parts_db
    world = World(db, supplier_id, ("race1", "race2"))
    await order_and_send(world, 0, 1)
    await receive(world, 0, 1, False)

    for round_ in range(3):  # the race is decided by the row lock, whoever comes first
        await race_for_the_last_units(world, 0)
        async with db.read() as session:
            stock = (
                await session.exec(select(StockItem).where(StockItem.station_id == "race1"))
            ).one()
            latest = (
                await session.exec(
                    select(Reservation).where(
                        col_in(Reservation.id, tuple(world.reservations[-2:]))
                    )
                )
            ).all()
            assert await ledger_discrepancies(session) == []
        assert stock.reserved <= stock.on_hand
        served = [r for r in latest if r.status == ReservationStatus.RESERVED]
        if round_ == 0:
            # one unit on the shelf: exactly one of the two orders gets it
            assert len(served) == 1
            assert stock.reserved == 1
            assert sorted(r.status for r in latest) == ["backordered", "reserved"]
        else:
            assert served == []  # nothing left
