"""THE INVARIANT, on PostgreSQL, under random sequences of everything that moves stock.

For every part and station: on hand = received - issued + returned +- adjustments +-
transfers, never negative; reserved <= on hand + on order; every change is a ledger row.
Hypothesis drives reservations, issues, returns, write-offs, purchase orders and their
receipts, deliveries without a prior order (within the clerk's limit or beyond it),
transfers, stocktake counts, approved or rejected adjustments (parts found; an opening
balance where there is history, to be refused), counter sales (to the station's registered
customer or another's, within free stock or beyond), cancellations, declined additional
work and two orders racing for the last unit, and the ledger is checked after every step.
Every use case publishes at most one ``stock.level_changed`` per part and station, and the
latest one always shows the stock row's figures. A refused step must leave no trace.
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
from sqlmodel import col, select

from services.parts import service
from services.parts.app import definition
from services.parts.models import (
    AdjustmentDecision,
    AdjustmentKind,
    CounterCustomerCreate,
    CounterSaleCreate,
    CounterSaleLineCreate,
    GoodsReceiptCreate,
    IssueCreate,
    PartsTable,
    PurchaseOrder,
    PurchaseOrderCreate,
    PurchaseOrderLineCreate,
    PurchaseReceiptCreate,
    PurchaseReceiptLine,
    Reservation,
    ReservationStatus,
    ReturnCreate,
    StockAdjustmentCreate,
    StockItem,
    StockMovement,
    StocktakeCount,
    StocktakeCountsCreate,
    StocktakeCreate,
    Supplier,
    Transfer,
    TransferCreate,
    TransferStatus,
    VersionedAction,
    WriteOffCreate,
    WriteOffKind,
)
from services.parts.tests.builders import add_part, item_requested, ledger_discrepancies
from shared.auth import Principal, Role
from shared.contracts import events
from shared.contracts.envelope import Envelope, Payload
from shared.db import Database, create_engine, migrate, utcnow
from shared.errors import DomainError
from shared.outbox import UnitOfWork
from shared.tables import OutboxMessage, PlatformTable

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
    #: (station, order, finding) of requests made for additional findings
    findings: list[tuple[str, uuid.UUID, uuid.UUID]] = field(default_factory=list)
    #: the registered counter customer of each station
    customers: list[uuid.UUID] = field(default_factory=list)
    #: outbox rows before this example (the level events checked are this example's only)
    outbox_from: int = 0

    def clerk(self, station: str) -> Principal:
        return Principal(f"clerk.{station}", "clerk", Role.PARTS_CLERK, (station,))

    def group(self) -> Principal:
        return Principal("group", "group", Role.GROUP_MANAGER, self.stations, all_stations=True)

    def manager(self, station: str) -> Principal:
        return Principal(f"manager.{station}", "manager", Role.SERVICE_MANAGER, (station,))

    async def by_event(self, station: str, payload: Payload, use_case: Any) -> Any:
        envelope = Envelope.wrap(payload, station_id=station, producer="test")
        async with self.db.transaction() as session:
            uow = UnitOfWork(session, "parts", causation=envelope)
            result = await use_case(uow, payload)
            _one_level_per_part_and_station(uow)
            return result

    async def by_user(self, use_case: Any, *args: Any) -> Any:
        async with self.db.transaction() as session:
            uow = UnitOfWork(session, "parts")
            result = await use_case(uow, *args)
            _one_level_per_part_and_station(uow)
            return result


def _one_level_per_part_and_station(uow: UnitOfWork) -> None:
    levels = [
        (envelope.station_id, envelope.payload["part_no"])
        for envelope in uow.emitted
        if envelope.type == "stock.level_changed"
    ]
    assert len(levels) == len(set(levels)), levels


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


async def _reservations(world: World, condition: Any) -> list[Reservation]:
    async with world.db.read() as session:
        return list(
            (
                await session.exec(
                    select(Reservation)
                    .where(col_in(Reservation.station_id, world.stations), condition)
                    .order_by(col(Reservation.created_at), col(Reservation.id))
                )
            ).all()
        )


async def issue(world: World, index: int, quantity: int, within: bool) -> str | None:
    """Issue from a reservation that holds parts: within what it holds, or (to be refused)
    any quantity."""
    holding = await _reservations(world, col(Reservation.quantity_reserved) > 0)
    if not holding:
        return "nothing reserved"
    reservation = holding[index % len(holding)]
    amount = min(D(quantity), reservation.quantity_reserved) if within else D(quantity)
    await world.by_user(
        service.issue_parts,
        world.clerk(reservation.station_id),
        reservation.id,
        IssueCreate(quantity=amount),
    )
    return None


async def give_back(world: World, index: int, quantity: int, within: bool) -> str | None:
    """Return parts that were issued: within what is out, or (to be refused) any quantity."""
    out = await _reservations(
        world, col(Reservation.quantity_issued) > col(Reservation.quantity_returned)
    )
    if not out:
        return "nothing issued"
    reservation = out[index % len(out)]
    outstanding = reservation.quantity_issued - reservation.quantity_returned
    amount = min(D(quantity), outstanding) if within else D(quantity)
    await world.by_user(
        service.return_parts,
        world.clerk(reservation.station_id),
        reservation.id,
        ReturnCreate(quantity=amount),
    )
    return None


async def _free(world: World, station_id: str) -> Decimal:
    async with world.db.read() as session:
        stock = (
            await session.exec(
                select(StockItem).where(
                    StockItem.station_id == station_id, StockItem.part_no == PART
                )
            )
        ).first()
    return stock.on_hand - stock.reserved if stock else D(0)


async def write_off(world: World, station: int, quantity: int, within: bool) -> str | None:
    station_id = world.stations[station]
    amount = min(D(quantity), await _free(world, station_id)) if within else D(quantity)
    if amount <= 0:
        return "nothing free"
    data = WriteOffCreate(quantity=amount, kind=WriteOffKind.LOSS, reason="lost")
    await world.by_user(service.write_off, world.clerk(station_id), PART, data)
    return None


async def order_and_send(world: World, station: int, quantity: int) -> None:
    clerk = world.clerk(world.stations[station])
    data = PurchaseOrderCreate(
        supplier_id=world.supplier_id,
        lines=[PurchaseOrderLineCreate(part_no=PART, quantity=D(quantity))],
    )
    order = await world.by_user(service.create_purchase_order, clerk, data)
    await world.by_user(service.send_purchase_order, clerk, order.id, VersionedAction())


async def receive(world: World, index: int, quantity: int, over: bool) -> str | None:
    """Goods arrive on an open order: up to what is outstanding, or more (with a note when
    ``over``; refused without one)."""
    async with world.db.read() as session:
        open_orders = [
            order
            for order in (
                await session.exec(
                    select(PurchaseOrder)
                    .where(
                        col_in(PurchaseOrder.station_id, world.stations),
                        col_in(PurchaseOrder.status, service.OPEN_PURCHASE_ORDERS),
                    )
                    .order_by(col(PurchaseOrder.created_at), col(PurchaseOrder.id))
                )
            ).all()
        ]
    if not open_orders:
        return "no open order"
    order = open_orders[index % len(open_orders)]
    line = PurchaseReceiptLine(
        part_no=PART, quantity=D(quantity), over_receipt_note="extra sent" if over else None
    )
    await world.by_user(
        service.receive_purchase_order,
        world.clerk(order.station_id),
        order.id,
        PurchaseReceiptCreate(lines=[line]),
    )
    return None


async def transfer(world: World, source: int, quantity: int, within: bool) -> str | None:
    """One station asks the other for parts and the other ships (or is refused)."""
    to_station, from_station = world.stations[1 - source], world.stations[source]
    amount = min(D(quantity), await _free(world, from_station)) if within else D(quantity)
    if amount <= 0:
        return "nothing free to ship"
    data = TransferCreate(part_no=PART, from_station_id=from_station, quantity=amount)
    moved = await world.by_user(service.request_transfer, world.clerk(to_station), data)
    await world.by_user(
        service.ship_transfer, world.clerk(from_station), moved.id, VersionedAction()
    )
    return None


async def receive_transfer(world: World, index: int) -> str | None:
    async with world.db.read() as session:
        in_transit = (
            await session.exec(
                select(Transfer)
                .where(
                    col_in(Transfer.to_station_id, world.stations),
                    Transfer.status == TransferStatus.SHIPPED,
                )
                .order_by(col(Transfer.requested_at), col(Transfer.id))
            )
        ).all()
    if not in_transit:
        return "nothing in transit"
    moved = in_transit[index % len(in_transit)]
    await world.by_user(
        service.receive_transfer, world.clerk(moved.to_station_id), moved.id, VersionedAction()
    )
    return None


async def count(world: World, station: int, difference: int) -> str | None:
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
        return "no stock row"
    sheet = await world.by_user(
        service.open_stocktake, world.clerk(station_id), StocktakeCreate(station_id=station_id)
    )
    counted = max(stock.on_hand + difference, D(0))
    counts = StocktakeCountsCreate(lines=[StocktakeCount(part_no=PART, counted_quantity=counted)])
    await world.by_user(service.record_counts, world.clerk(station_id), sheet.id, counts)
    await world.by_user(
        service.approve_stocktake, world.manager(station_id), sheet.id, VersionedAction()
    )
    return None


async def cancel(world: World, index: int) -> str | None:
    """Reception cancels an order that still has parts reserved or waiting."""
    live = await _reservations(
        world, col(Reservation.status).in_(("reserved", "partly_reserved", "backordered"))
    )
    if not live:
        return "no live reservation"
    reservation = live[index % len(live)]
    await world.by_event(
        reservation.station_id,
        events.OrderCancelled(order_id=reservation.order_id, reason="customer cancelled"),
        service.release_order,
    )
    return None


async def deliver_without_order(world: World, station: int, quantity: int, within: bool) -> None:
    """A registered supplier delivers without a prior order: booked on a purchase order
    made at once, within the clerk's limit (¥10 a piece); beyond it, to be refused."""
    station_id = world.stations[station]
    amount = D(quantity) if within else D(quantity * 600)
    await world.by_user(
        service.receive_goods, world.clerk(station_id), PART, GoodsReceiptCreate(quantity=amount)
    )


async def adjust(world: World, station: int, quantity: int, opening: bool, approve: bool) -> None:
    """Parts found, approved or rejected by the manager; an opening balance (the station
    has history from the start of every example: to be refused)."""
    station_id = world.stations[station]
    kind = AdjustmentKind.OPENING_BALANCE if opening else AdjustmentKind.FOUND
    data = StockAdjustmentCreate(quantity=D(quantity), kind=kind, reason="found on the shelf")
    adjustment = await world.by_user(
        service.request_adjustment, world.clerk(station_id), PART, data
    )
    decide = service.approve_adjustment if approve else service.reject_adjustment
    await world.by_user(decide, world.manager(station_id), adjustment.id, AdjustmentDecision())


async def sell(
    world: World, station: int, quantity: int, within: bool, registered: bool
) -> str | None:
    """A counter sale to the station's registered customer (or, to be refused, to the
    other station's), within free stock or beyond it."""
    station_id = world.stations[station]
    amount = min(D(quantity), await _free(world, station_id)) if within else D(quantity)
    if amount <= 0:
        return "nothing free"
    customer = world.customers[station if registered else 1 - station]
    data = CounterSaleCreate(
        customer_id=customer, lines=[CounterSaleLineCreate(part_no=PART, quantity=amount)]
    )
    await world.by_user(service.sell_over_counter, world.clerk(station_id), data)
    return None


async def request_for_finding(world: World, station: int, quantity: int) -> None:
    """The workshop asks for parts for an additional finding the customer has not agreed."""
    station_id = world.stations[station]
    order_id, finding_id = uuid.uuid4(), uuid.uuid4()
    world.findings.append((station_id, order_id, finding_id))
    reservation = await world.by_event(
        station_id,
        item_requested(PART, quantity, order_id=order_id, finding_id=finding_id),
        service.reserve_item,
    )
    world.reservations.append(reservation.id)


async def decline(world: World, index: int) -> str | None:
    """The customer declines the additional work: its parts are released."""
    if not world.findings:
        return "no finding"
    station_id, order_id, finding_id = world.findings[index % len(world.findings)]
    declined = events.WorkAdditionalDeclined(
        finding_id=finding_id, order_id=order_id, declined_at=utcnow(), recorded_by="advisor"
    )
    await world.by_event(station_id, declined, service.release_declined_work)
    return None


station = st.integers(0, 1)
quantity = st.integers(1, 4)
index = st.integers(0, 50)
STEPS = st.one_of(
    st.tuples(st.just(request), station, quantity),
    st.tuples(st.just(race_for_the_last_units), station),
    st.tuples(st.just(issue), index, quantity, st.booleans()),
    st.tuples(st.just(give_back), index, quantity, st.booleans()),
    st.tuples(st.just(write_off), station, quantity, st.booleans()),
    st.tuples(st.just(order_and_send), station, st.integers(1, 6)),
    st.tuples(st.just(receive), index, quantity, st.booleans()),
    st.tuples(st.just(transfer), station, quantity, st.booleans()),
    st.tuples(st.just(receive_transfer), index),
    st.tuples(st.just(count), station, st.integers(-3, 3)),
    st.tuples(st.just(cancel), index),
    st.tuples(st.just(deliver_without_order), station, quantity, st.booleans()),
    st.tuples(st.just(adjust), station, quantity, st.booleans(), st.booleans()),
    st.tuples(st.just(sell), station, quantity, st.booleans(), st.booleans()),
    st.tuples(st.just(request_for_finding), station, quantity),
    st.tuples(st.just(decline), index),
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
        levels = (
            await session.exec(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.event_type == "stock.level_changed")
            )
        ).one()
    return tuple((r.station_id, r.on_hand, r.reserved, r.on_order) for r in rows), movements, levels


async def level_discrepancies(world: World) -> list[str]:
    """The latest stock.level_changed of each stock row of the example shows its figures
    (a row that ever moved has one)."""
    async with world.db.read() as session:
        outbox = (
            await session.exec(
                select(OutboxMessage)
                .where(
                    OutboxMessage.event_type == "stock.level_changed",
                    col(OutboxMessage.id) > world.outbox_from,
                )
                .order_by(col(OutboxMessage.id))
            )
        ).all()
        rows = (
            await session.exec(
                select(StockItem).where(col_in(StockItem.station_id, world.stations))
            )
        ).all()
    latest: dict[tuple[str, str], events.StockLevelChanged] = {}
    for message in outbox:
        envelope = Envelope.from_bytes(message.value)
        payload = envelope.open()
        assert isinstance(payload, events.StockLevelChanged)
        latest[(envelope.station_id, payload.part_no)] = payload
    problems = []
    for row in rows:
        level = latest.get((row.station_id, row.part_no))
        figures = (row.on_hand, row.reserved, row.on_order)
        if level is None:
            if figures != (D(0), D(0), D(0)):
                problems.append(f"{row.station_id}: moved but no stock.level_changed")
        elif (level.on_hand, level.reserved, level.on_order) != figures or (
            level.available != row.on_hand - row.reserved
        ):
            problems.append(f"{row.station_id}: level {level} but row {figures}")
    return problems


def col_in(column: Any, values: tuple[Any, ...]) -> Any:
    return col(column).in_(values)


@settings(
    max_examples=15,
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
    async with db.read() as session:
        world.outbox_from = (await session.exec(select(func.max(OutboxMessage.id)))).one() or 0
    # every example starts with something of everything at both stations: stock received on
    # an order, another order still open, a request reserved and part of it issued, a
    # request for an additional finding, and a customer registered at the parts counter
    for number, station_id in enumerate(world.stations):
        customer = await world.by_user(
            service.register_counter_customer,
            world.clerk(station_id),
            CounterCustomerCreate(name=f"counter customer {number}", phone="13900000001"),
        )
        world.customers.append(customer.id)
        await order_and_send(world, number, 4)
        await receive(world, -1, 4, False)  # the newest open order: the one just sent
        await order_and_send(world, number, 2)
        await request(world, number, 2)
        assert await issue(world, -1, 1, True) is None
        await request_for_finding(world, number, 1)

    for step, *args in steps:
        before = await snapshot(db, world.stations)
        try:
            skipped = await step(world, *args)
            event(f"{step.__name__}: {skipped or 'done'}")
        except DomainError:
            event(f"{step.__name__}: refused")
            # a refused step (more than reserved, more than free, a stale state ...) must
            # leave no trace: no figure changed and no ledger row written
            assert await snapshot(db, world.stations) == before, step.__name__
        async with db.read() as session:
            assert await ledger_discrepancies(session) == [], (step.__name__, args)
        assert await level_discrepancies(world) == [], (step.__name__, args)


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


async def test_cancellation_receipt_and_issue_at_once_neither_deadlock_nor_break_the_ledger(
    parts_db: tuple[Database, uuid.UUID],
) -> None:
    """Three use cases touching the same stock row and reservations at the same moment:
    they take their locks in one order (stock rows, then reservations), so all finish."""
    db, supplier_id = parts_db
    world = World(db, supplier_id, ("lock1", "lock2"))
    await order_and_send(world, 0, 4)
    await receive(world, 0, 4, False)
    await order_and_send(world, 0, 3)  # stays open
    for _ in range(3):
        await request(world, 0, 2)  # 2 + 2 reserved, the third waits for 2
    cancelled = await _reservations(world, col(Reservation.status) == "reserved")
    first, second = cancelled[0], cancelled[1]

    await asyncio.gather(
        world.by_event(
            "lock1",
            events.OrderCancelled(order_id=first.order_id, reason="customer left"),
            service.release_order,
        ),
        receive(world, 0, 3, False),
        world.by_user(
            service.issue_parts, world.clerk("lock1"), second.id, IssueCreate(quantity=D(2))
        ),
    )
    async with db.read() as session:
        assert await ledger_discrepancies(session) == []
        stock = (await session.exec(select(StockItem).where(StockItem.station_id == "lock1"))).one()
    # 4 received + 3 received - 2 issued; the waiting request now holds its 2
    assert (stock.on_hand, stock.reserved, stock.on_order) == (D(5), D(2), D(0))
