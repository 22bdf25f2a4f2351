"""Parts' use cases: each one state change plus its ledger rows and events, in one unit of work.

Every change of a stock row goes through ``post``: it takes the row locked with
``SELECT ... FOR UPDATE`` (``lock_stock``), checks the stock invariant on the new figures and
writes the ``StockMovement`` ledger row in the same transaction. So the ledger always sums to
the row. Lock order, everywhere: the document (purchase order, transfer, stocktake), then
stock rows in part-number order, then reservations; so no two use cases deadlock.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Concatenate, ParamSpec, TypeVar

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.parts import domain
from services.parts.models import (
    AdjustmentDecision,
    AdjustmentKind,
    AdjustmentStatus,
    CounterCustomer,
    CounterCustomerCreate,
    CounterCustomerPublic,
    CounterCustomersPublic,
    CounterSale,
    CounterSaleCreate,
    CounterSaleLine,
    CounterSaleLinePublic,
    CounterSalePublic,
    CounterSalesPublic,
    CounterSalesTarget,
    CounterSalesTargetSet,
    GoodsReceiptCreate,
    IssueCreate,
    KpisPublic,
    MovementKind,
    Part,
    PartAvailabilityPublic,
    PartCategory,
    PartPublic,
    PartSales,
    PartsPublic,
    PriceBuildUp,
    PriceChange,
    PriceChangePublic,
    PriceChangesPublic,
    PurchaseOrder,
    PurchaseOrderCreate,
    PurchaseOrderLine,
    PurchaseOrderLineCreate,
    PurchaseOrderLinePublic,
    PurchaseOrderPublic,
    PurchaseOrdersPublic,
    PurchaseOrderStatus,
    PurchaseReceiptCreate,
    PurchaseReceiptLine,
    ReorderSuggestion,
    ReorderSuggestionsPublic,
    Reservation,
    ReservationPublic,
    ReservationsPublic,
    ReservationStatus,
    ReturnCreate,
    StationAvailability,
    StationKpis,
    StockAdjustment,
    StockAdjustmentCreate,
    StockAdjustmentPublic,
    StockAdjustmentsPublic,
    StockItem,
    StockItemPublic,
    StockItemsPublic,
    StockMovement,
    StockMovementPublic,
    StockMovementsPublic,
    StockPolicySet,
    Stocktake,
    StocktakeCountsCreate,
    StocktakeCreate,
    StocktakeLine,
    StocktakeLinePublic,
    StocktakePublic,
    StocktakesPublic,
    StocktakeStatus,
    Supplier,
    SupplierPublic,
    SuppliersPublic,
    Transfer,
    TransferCreate,
    TransferPublic,
    TransfersPublic,
    TransferStatus,
    VersionedAction,
    WeeklyCounterSales,
    WeeklyCounterSalesPublic,
    WriteOffCreate,
    WriteOffKind,
)
from shared.auth import Principal
from shared.calendar import calendar_for
from shared.contracts import events
from shared.db import utcnow
from shared.errors import Conflict, DomainError, NotFound
from shared.outbox import UnitOfWork
from shared.scoping import at_visible_stations, count_rows, get_visible, get_visible_for_update

ZERO = domain.ZERO
OPEN_PURCHASE_ORDERS = (PurchaseOrderStatus.SENT, PurchaseOrderStatus.PARTLY_RECEIVED)
WAITING = (ReservationStatus.PARTLY_RESERVED, ReservationStatus.BACKORDERED)


class Forbidden(DomainError):
    """The user's role may not do this (for this amount)."""

    status = 403


# --- live stock levels: one stock.level_changed per part and station per transaction --------

#: session.info keys: the stock rows ``post`` changed, and how deep in use cases we are
_TOUCHED = "parts.touched_stock"
_DEPTH = "parts.use_case_depth"

P = ParamSpec("P")
R = TypeVar("R")


def moves_stock(
    use_case: Callable[Concatenate[UnitOfWork, P], Awaitable[R]],
) -> Callable[Concatenate[UnitOfWork, P], Awaitable[R]]:
    """A use case that may move stock: when it (the outermost one, if they nest) is done,
    every stock row it changed is published once as ``stock.level_changed``, in the same
    transaction, with its final figures (reception keeps live availability from these)."""

    @functools.wraps(use_case)
    async def run(uow: UnitOfWork, *args: P.args, **kwargs: P.kwargs) -> R:
        info = uow.session.info
        depth: int = info.get(_DEPTH, 0)
        if depth == 0:
            info.pop(_TOUCHED, None)
        info[_DEPTH] = depth + 1
        try:
            result = await use_case(uow, *args, **kwargs)
            if depth == 0:
                await publish_stock_levels(uow)
            return result
        finally:
            info[_DEPTH] = depth
            if depth == 0:
                info.pop(_TOUCHED, None)

    return run


def _touch(session: AsyncSession, stock: StockItem) -> None:
    touched: dict[tuple[str, str], StockItem] = session.info.setdefault(_TOUCHED, {})
    touched[(stock.station_id, stock.part_no)] = stock


async def publish_stock_levels(uow: UnitOfWork) -> list[events.StockLevelChanged]:
    """``stock.level_changed`` for each stock row changed in this unit of work (once each)."""
    session = uow.session
    touched: dict[tuple[str, str], StockItem] = session.info.pop(_TOUCHED, {})
    published: list[events.StockLevelChanged] = []
    for key in sorted(touched):
        stock = touched[key]
        part = await _part(session, stock.part_no)
        supplier = await session.get(Supplier, part.supplier_id) if part.supplier_id else None
        payload = events.StockLevelChanged(
            part_no=stock.part_no,
            description=part.description,
            on_hand=stock.on_hand,
            reserved=stock.reserved,
            available=domain.available(stock.on_hand, stock.reserved),
            on_order=stock.on_order,
            expected_on=(
                await _expected_on(session, part, stock.station_id)
                if stock.on_order > ZERO
                else None
            ),
            list_price=part.list_price,
            lead_time_days=supplier.lead_time_days if supplier else None,
        )
        uow.emit(payload, station_id=stock.station_id)
        published.append(payload)
    return published


# --- the ledger -----------------------------------------------------------------------------


async def lock_stock(
    session: AsyncSession, station_id: str, part_no: str, *, create: bool = True
) -> StockItem | None:
    """The stock row of a part at a station, locked until the transaction ends (a second
    writer waits here, then sees the first one's figures); opened at zero when missing."""
    stock = (
        await session.exec(
            select(StockItem)
            .where(StockItem.station_id == station_id, StockItem.part_no == part_no)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).first()
    if stock is None and create:
        stock = StockItem(station_id=station_id, part_no=part_no)
        session.add(stock)
        await session.flush()
    return stock


def post(
    session: AsyncSession,
    stock: StockItem,
    kind: MovementKind,
    *,
    actor: str,
    reason: str,
    on_hand: Decimal = ZERO,
    reserved: Decimal = ZERO,
    on_order: Decimal = ZERO,
    order_id: uuid.UUID | None = None,
    reservation_id: uuid.UUID | None = None,
    reference_id: uuid.UUID | None = None,
    unit_cost: Decimal | None = None,
) -> StockMovement:
    """Change a (locked) stock row and write its ledger row; refuses a change that would
    break the invariant, so nothing is half-posted (the caller's transaction rolls back)."""
    new_on_hand = stock.on_hand + on_hand
    new_reserved = stock.reserved + reserved
    new_on_order = stock.on_order + on_order
    problem = domain.stock_invariant_violation(new_on_hand, new_reserved, new_on_order)
    if problem is not None:
        raise Conflict(f"{stock.part_no} at {stock.station_id}: {problem}", field="quantity")
    stock.on_hand, stock.reserved, stock.on_order = new_on_hand, new_reserved, new_on_order
    session.add(stock)
    _touch(session, stock)
    movement = StockMovement(
        station_id=stock.station_id,
        part_no=stock.part_no,
        kind=kind,
        on_hand_change=on_hand,
        reserved_change=reserved,
        on_order_change=on_order,
        on_hand_after=new_on_hand,
        reserved_after=new_reserved,
        on_order_after=new_on_order,
        unit_cost=unit_cost,
        reason=reason[:500],
        order_id=order_id,
        reservation_id=reservation_id,
        reference_id=reference_id,
        actor=actor[:80],
        occurred_at=utcnow(),
    )
    session.add(movement)
    return movement


def _event_actor(uow: UnitOfWork) -> str:
    return f"event:{uow.event.type}:{uow.event.event_id}"


# --- reacting to the workshop ---------------------------------------------------------------


@moves_stock
async def reserve_item(uow: UnitOfWork, event: events.ItemRequested) -> Reservation:
    """A job needs a part: reserve what the station has, backorder the rest (领料)."""
    station_id = uow.event.station_id  # reserved at the station of the asking order
    session = uow.session

    existing = (
        await session.exec(select(Reservation).where(Reservation.request_id == event.request_id))
    ).first()
    if existing is not None:
        return existing  # the same request again (a new event id): reserve once

    part = await _catalogue_part(session, event.part_no)
    domain.check_quantity(event.quantity, part.unit)
    stock = await lock_stock(session, station_id, part.part_no, create=False)
    before = domain.available(stock.on_hand, stock.reserved) if stock else ZERO
    allocation = domain.allocate(event.quantity, before)
    finding_id = event.finding_id  # the additional finding, released if the customer declines
    reservation = Reservation(
        request_id=event.request_id,
        station_id=station_id,
        order_id=event.order_id,
        job_id=event.job_id,
        finding_id=finding_id,
        part_no=part.part_no,
        quantity_requested=allocation.requested,
        quantity_reserved=allocation.reserved,
        filled_at_once=allocation.complete,
        status=_status_of(allocation),
        created_at=utcnow(),
    )
    session.add(reservation)
    if stock is not None and allocation.reserved > 0:
        post(
            session,
            stock,
            MovementKind.RESERVATION,
            actor=_event_actor(uow),
            reason=f"reserved for job {event.job_id}",
            reserved=allocation.reserved,
            order_id=event.order_id,
            reservation_id=reservation.id,
        )

    if allocation.complete:
        uow.emit(_reserved_event(reservation))
    else:
        uow.emit(
            events.ItemBackordered(
                reservation_id=reservation.id,
                request_id=event.request_id,
                order_id=event.order_id,
                job_id=event.job_id,
                part_no=part.part_no,
                quantity_reserved=allocation.reserved,
                quantity_short=allocation.short,
                expected_on=await _expected_on(session, part, station_id),
                other_stations=await _other_stations(session, part.part_no, station_id),
            )
        )

    if stock is not None:
        _alert_if_low(uow, stock, before, short=allocation.short)
    return reservation


def _reserved_event(reservation: Reservation) -> events.ItemReserved:
    return events.ItemReserved(
        reservation_id=reservation.id,
        request_id=reservation.request_id,
        order_id=reservation.order_id,
        job_id=reservation.job_id,
        part_no=reservation.part_no,
        quantity=reservation.quantity_reserved + reservation.quantity_issued,
    )


def _alert_if_low(
    uow: UnitOfWork, stock: StockItem, before: Decimal, *, short: Decimal = ZERO
) -> None:
    """stock.low with a suggested reorder when this change took available stock below the
    reorder point (once per crossing, not on every later change)."""
    after = domain.available(stock.on_hand, stock.reserved)
    if domain.falls_below_reorder_point(before, after, stock.reorder_point):
        uow.emit(
            events.StockLow(
                part_no=stock.part_no,
                available=after,
                reorder_point=stock.reorder_point,
                suggested_quantity=domain.suggested_reorder_quantity(
                    after, stock.reorder_point, stock.reorder_quantity, short=short
                ),
            ),
            station_id=stock.station_id,
        )


async def _catalogue_part(session: AsyncSession, part_no: str) -> Part:
    """The part asked for, or the one that superseded it (an old number on a job card)."""
    part = await session.get(Part, part_no)
    if part is None:
        part = (await session.exec(select(Part).where(Part.supersedes == part_no))).first()
    if part is None:
        raise DomainError(f"unknown part number {part_no!r}", field="part_no")
    return part


def _status_of(allocation: domain.Allocation) -> ReservationStatus:
    if allocation.complete:
        return ReservationStatus.RESERVED
    if allocation.reserved > 0:
        return ReservationStatus.PARTLY_RESERVED
    return ReservationStatus.BACKORDERED


def _refresh_status(reservation: Reservation) -> None:
    reservation.status = ReservationStatus(
        domain.reservation_status(
            reservation.quantity_requested,
            reservation.quantity_reserved,
            reservation.quantity_issued,
            released=reservation.status == ReservationStatus.RELEASED,
        )
    )


async def _open_deliveries(
    session: AsyncSession, part_no: str, station_id: str
) -> list[date | None]:
    return list(
        (
            await session.exec(
                select(col(PurchaseOrder.expected_on))
                .join(
                    PurchaseOrderLine,
                    col(PurchaseOrderLine.purchase_order_id) == PurchaseOrder.id,
                )
                .where(
                    PurchaseOrder.station_id == station_id,
                    col(PurchaseOrder.status).in_(OPEN_PURCHASE_ORDERS),
                    PurchaseOrderLine.part_no == part_no,
                    col(PurchaseOrderLine.quantity_received)
                    < col(PurchaseOrderLine.quantity_ordered),
                )
            )
        ).all()
    )


async def _expected_on(session: AsyncSession, part: Part, station_id: str) -> date:
    """The earliest delivery of an open purchase order for the part, else the lead time."""
    deliveries = await _open_deliveries(session, part.part_no, station_id)
    supplier = await session.get(Supplier, part.supplier_id) if part.supplier_id else None
    return domain.expected_on(
        utcnow().date(),
        open_deliveries=deliveries,
        lead_time_days=supplier.lead_time_days if supplier else None,
    )


async def _other_stations(
    session: AsyncSession, part_no: str, station_id: str
) -> list[events.OtherStationStock]:
    rows = (
        await session.exec(
            select(StockItem).where(
                StockItem.part_no == part_no, StockItem.station_id != station_id
            )
        )
    ).all()
    candidates = domain.transfer_candidates(
        ((row.station_id, domain.available(row.on_hand, row.reserved)) for row in rows),
        excluding=station_id,
    )
    return [
        events.OtherStationStock(station_id=station, available=amount)
        for station, amount in candidates
    ]


async def fill_backorders(
    uow: UnitOfWork,
    stock: StockItem,
    *,
    actor: str,
    reference_id: uuid.UUID | None = None,
) -> list[Reservation]:
    """Stock arrived: serve the requests waiting for this part at this station, oldest
    first, reserving for them and telling the workshop (``item.reserved`` when a request is
    now complete, an updated ``item.backordered`` when it is still short)."""
    session = uow.session
    waiting = (
        await session.exec(
            select(Reservation)
            .where(
                Reservation.station_id == stock.station_id,
                Reservation.part_no == stock.part_no,
                col(Reservation.status).in_(WAITING),
            )
            .order_by(col(Reservation.created_at), col(Reservation.id))
            .with_for_update()
        )
    ).all()
    shorts = [
        (r, domain.quantity_short(r.quantity_requested, r.quantity_reserved, r.quantity_issued))
        for r in waiting
    ]
    filled: list[Reservation] = []
    for request, take in domain.fill_oldest_first(
        domain.available(stock.on_hand, stock.reserved), shorts
    ):
        assert isinstance(request, Reservation)
        post(
            session,
            stock,
            MovementKind.RESERVATION,
            actor=actor,
            reason=f"backorder filled for job {request.job_id}",
            reserved=take,
            order_id=request.order_id,
            reservation_id=request.id,
            reference_id=reference_id,
        )
        request.quantity_reserved += take
        _refresh_status(request)
        session.add(request)
        filled.append(request)
        short = domain.quantity_short(
            request.quantity_requested, request.quantity_reserved, request.quantity_issued
        )
        if short == ZERO:
            uow.emit(
                _reserved_event(request),
                station_id=request.station_id,
                correlation_id=request.order_id,
            )
        else:
            uow.emit(
                events.ItemBackordered(
                    reservation_id=request.id,
                    request_id=request.request_id,
                    order_id=request.order_id,
                    job_id=request.job_id,
                    part_no=request.part_no,
                    quantity_reserved=request.quantity_reserved,
                    quantity_short=short,
                    expected_on=await _expected_on(
                        session, await _part(session, request.part_no), request.station_id
                    ),
                ),
                station_id=request.station_id,
                correlation_id=request.order_id,
            )
    return filled


async def _part(session: AsyncSession, part_no: str) -> Part:
    part = await session.get(Part, part_no)
    if part is None:
        raise NotFound("part")
    return part


@moves_stock
async def release_order(uow: UnitOfWork, event: events.OrderCancelled) -> list[Reservation]:
    """The repair order was cancelled: give back everything still reserved for it."""
    return await _release(
        uow,
        select(Reservation).where(Reservation.order_id == event.order_id),
        reason=f"order cancelled: {event.reason}",
    )


@moves_stock
async def release_declined_work(
    uow: UnitOfWork, event: events.WorkAdditionalDeclined
) -> list[Reservation]:
    """The customer declined additional work: give back the parts requested for it."""
    return await _release(
        uow,
        select(Reservation).where(
            Reservation.order_id == event.order_id, Reservation.finding_id == event.finding_id
        ),
        reason=f"additional work declined (finding {event.finding_id})",
    )


async def _release(uow: UnitOfWork, query: object, *, reason: str) -> list[Reservation]:
    session = uow.session
    statement = query.where(  # type: ignore[attr-defined]
        col(Reservation.status).in_((ReservationStatus.RESERVED, *WAITING))
    ).order_by(col(Reservation.created_at), col(Reservation.id))
    # stock rows first (in a fixed order), then the reservations: the lock order of every
    # use case, so none waits in a circle with a receipt filling backorders
    keys = sorted({(r.station_id, r.part_no) for r in (await session.exec(statement)).all()})
    stocks = {key: await lock_stock(session, *key) for key in keys}
    released: list[Reservation] = []
    freed: set[tuple[str, str]] = set()
    locked = statement.with_for_update().execution_options(populate_existing=True)
    for reservation in (await session.exec(locked)).all():
        held = reservation.quantity_reserved
        if held > ZERO:
            stock = stocks.get((reservation.station_id, reservation.part_no))
            if stock is None:  # asked for after the first look: lock its row now
                stock = await lock_stock(session, reservation.station_id, reservation.part_no)
            assert stock is not None
            post(
                session,
                stock,
                MovementKind.RELEASE,
                actor=_event_actor(uow),
                reason=reason,
                reserved=-held,
                order_id=reservation.order_id,
                reservation_id=reservation.id,
            )
        reservation.quantity_reserved = ZERO
        reservation.status = ReservationStatus.RELEASED
        reservation.release_reason = reason[:500]
        session.add(reservation)
        released.append(reservation)
        uow.emit(
            events.ItemReleased(
                reservation_id=reservation.id,
                order_id=reservation.order_id,
                part_no=reservation.part_no,
                quantity=held,
                reason=reason,
            ),
            station_id=reservation.station_id,
        )
        if held > ZERO:
            freed.add((reservation.station_id, reservation.part_no))
    # only now, with all of them released: what was given back serves the oldest request
    # waiting for the same part (never one of the requests just released)
    for station_id, part_no in sorted(freed):
        stock = await lock_stock(session, station_id, part_no)
        assert stock is not None
        await fill_backorders(uow, stock, actor=_event_actor(uow))
    return released


# --- the parts counter: issue, return, write-off ---------------------------------------------


async def _locked_reservation(
    session: AsyncSession, user: Principal, reservation_id: uuid.UUID
) -> tuple[Reservation, StockItem]:
    """The reservation and its stock row, both locked: the stock row first, as everywhere
    (stock rows, then reservations), so that two use cases never wait for each other in a
    circle."""
    found = await session.get(Reservation, reservation_id)
    if found is None or not user.can_see(found.station_id):
        raise NotFound("reservation")
    stock = await lock_stock(session, found.station_id, found.part_no)
    assert stock is not None
    reservation = (
        await session.exec(
            select(Reservation)
            .where(Reservation.id == reservation_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).one()
    return reservation, stock


@moves_stock
async def issue_parts(
    uow: UnitOfWork, user: Principal, reservation_id: uuid.UUID, data: IssueCreate
) -> Reservation:
    """Hand reserved parts to the technician for the job (领料): on hand and reserved go
    down together; only what is reserved for the request can be issued."""
    session = uow.session
    reservation, stock = await _locked_reservation(session, user, reservation_id)
    if reservation.status == ReservationStatus.RELEASED:
        raise Conflict("this reservation was released; nothing can be issued against it")
    part = await _part(session, reservation.part_no)
    quantity = domain.check_quantity(data.quantity, part.unit)
    if quantity > reservation.quantity_reserved:
        raise DomainError(
            f"only {reservation.quantity_reserved} {part.unit} reserved for this request, "
            f"{quantity} asked",
            field="quantity",
        )
    issue = post(
        session,
        stock,
        MovementKind.ISSUE,
        actor=user.user_id,
        reason=f"issued to job {reservation.job_id}",
        on_hand=-quantity,
        reserved=-quantity,
        order_id=reservation.order_id,
        reservation_id=reservation.id,
        unit_cost=part.cost,
    )
    reservation.quantity_reserved -= quantity
    reservation.quantity_issued += quantity
    _refresh_status(reservation)
    session.add(reservation)
    uow.emit(
        events.ItemIssued(
            reservation_id=reservation.id,
            order_id=reservation.order_id,
            job_id=reservation.job_id,
            part_no=reservation.part_no,
            quantity=quantity,
            unit_price=part.list_price,
            issue_id=issue.id,  # the issue slip (领料单) is this ledger row
        ),
        station_id=reservation.station_id,
        correlation_id=reservation.order_id,
    )
    return reservation


@moves_stock
async def return_parts(
    uow: UnitOfWork, user: Principal, reservation_id: uuid.UUID, data: ReturnCreate
) -> Reservation:
    """Unused parts come back from the job (退料): on hand goes up; at most what was issued
    and not yet returned. The returned parts then serve any request waiting for them."""
    session = uow.session
    reservation, stock = await _locked_reservation(session, user, reservation_id)
    part = await _part(session, reservation.part_no)
    quantity = domain.check_quantity(data.quantity, part.unit)
    outstanding = reservation.quantity_issued - reservation.quantity_returned
    if quantity > outstanding:
        raise DomainError(
            f"only {outstanding} {part.unit} issued and not yet returned, {quantity} given back",
            field="quantity",
        )
    post(
        session,
        stock,
        MovementKind.RETURN,
        actor=user.user_id,
        reason=data.reason,
        on_hand=quantity,
        order_id=reservation.order_id,
        reservation_id=reservation.id,
        unit_cost=part.cost,
    )
    reservation.quantity_returned += quantity
    session.add(reservation)
    uow.emit(
        events.ItemReturned(
            reservation_id=reservation.id,
            order_id=reservation.order_id,
            job_id=reservation.job_id,
            part_no=reservation.part_no,
            quantity=quantity,
        ),
        station_id=reservation.station_id,
        correlation_id=reservation.order_id,
    )
    await fill_backorders(uow, stock, actor=user.user_id)
    return reservation


@moves_stock
async def write_off(
    uow: UnitOfWork, user: Principal, part_no: str, data: WriteOffCreate
) -> StockItem:
    """Parts lost or damaged on the shelf (报损): on hand goes down, with the reason; only
    parts not reserved for a job can be written off this way."""
    station_id = user.acting_station(data.station_id)
    session = uow.session
    part = await _part(session, part_no)
    quantity = domain.check_quantity(data.quantity, part.unit)
    stock = await lock_stock(session, station_id, part.part_no, create=False)
    free = domain.available(stock.on_hand, stock.reserved) if stock else ZERO
    if stock is None or quantity > free:
        raise Conflict(
            f"only {free} {part.unit} on the shelf are not reserved; release or issue "
            "reservations before writing off more",
            field="quantity",
        )
    kind = MovementKind.LOSS if data.kind == WriteOffKind.LOSS else MovementKind.DAMAGE
    post(
        session,
        stock,
        kind,
        actor=user.user_id,
        reason=data.reason,
        on_hand=-quantity,
        unit_cost=part.cost,
    )
    _alert_if_low(uow, stock, free)
    return stock


# --- how a station keeps a part ---------------------------------------------------------------


async def set_stock_policy(
    uow: UnitOfWork, user: Principal, part_no: str, data: StockPolicySet
) -> StockItem:
    """Set a part's minimum level, reorder point, reorder lot and bin at a station. The
    reorder point is at or above the minimum level, so the alert (库存预警, ``stock.low`` with
    a suggested order) comes before stock falls below the minimum; a new point that
    available stock is already under raises it at once."""
    station_id = user.acting_station(data.station_id)
    session = uow.session
    part = await _part(session, part_no)
    for name in ("min_level", "reorder_point", "reorder_quantity"):
        value: Decimal = getattr(data, name)
        if value > ZERO:
            domain.check_quantity(value, part.unit, field=name)
    if data.min_level > data.reorder_point:
        raise DomainError(
            f"the minimum level {data.min_level} is above the reorder point "
            f"{data.reorder_point}: reorder before stock falls below the minimum",
            field="min_level",
        )
    stock = await lock_stock(session, station_id, part.part_no)
    assert stock is not None
    available_now = domain.available(stock.on_hand, stock.reserved)
    was_below = domain.below_reorder_point(available_now, stock.reorder_point)
    stock.min_level, stock.reorder_point = data.min_level, data.reorder_point
    stock.reorder_quantity = data.reorder_quantity
    if data.bin_location is not None:
        stock.bin_location = data.bin_location
    session.add(stock)
    if not was_below and domain.below_reorder_point(available_now, stock.reorder_point):
        uow.emit(
            events.StockLow(
                part_no=stock.part_no,
                available=available_now,
                reorder_point=stock.reorder_point,
                suggested_quantity=domain.suggested_reorder_quantity(
                    available_now + stock.on_order, stock.reorder_point, stock.reorder_quantity
                ),
            ),
            station_id=station_id,
        )
    await session.flush()
    return stock


# --- a delivery without a prior order -------------------------------------------------------


@moves_stock
async def receive_goods(
    uow: UnitOfWork, user: Principal, part_no: str, data: GoodsReceiptCreate
) -> tuple[StockItem, PurchaseOrder]:
    """A registered supplier delivered without a purchase order (入库): the order is made,
    sent and received in one step, so stock still comes in only from a registered supplier
    on a purchase order (防止外购外销). Only within the clerk's purchase limit: a bigger
    delivery needs a purchase order approved by a manager first."""
    station_id = user.acting_station(data.station_id)
    session = uow.session
    part = await session.get(Part, part_no)
    if part is None:
        raise NotFound("part")
    quantity = domain.check_quantity(data.quantity, part.unit)
    supplier_id = data.supplier_id or part.supplier_id
    if supplier_id is None:
        raise DomainError(
            f"{part.part_no} has no supplier in the catalogue: give the supplier_id of the "
            "registered supplier that delivered it",
            field="supplier_id",
        )
    unit_cost = data.unit_cost if data.unit_cost is not None else part.cost
    if unit_cost is None:
        raise DomainError(
            f"{part.part_no} has no cost in the catalogue: give the unit_cost", field="unit_cost"
        )
    total = (quantity * unit_cost).quantize(domain.FEN)
    needed = domain.approval_needed_from(total)
    if needed is not None:
        raise Conflict(
            f"a delivery worth ¥{total} is over the ¥{domain.CLERK_PURCHASE_LIMIT} a clerk "
            f"buys without approval: raise a purchase order for a {needed.value} to approve",
            field="quantity",
        )
    note = "delivered without a prior order"
    if data.delivery_note:
        note += f", delivery note {data.delivery_note}"
    order = await create_purchase_order(
        uow,
        user,
        PurchaseOrderCreate(
            station_id=station_id,
            supplier_id=supplier_id,
            lines=[
                PurchaseOrderLineCreate(
                    part_no=part.part_no, quantity=quantity, unit_cost=unit_cost
                )
            ],
            note=note,
        ),
    )
    await _send(uow, user, order, tell_waiting=False)
    order.expected_on = utcnow().date()  # it is here already
    await receive_purchase_order(
        uow,
        user,
        order.id,
        PurchaseReceiptCreate(lines=[PurchaseReceiptLine(part_no=part.part_no, quantity=quantity)]),
    )
    stock = await lock_stock(session, station_id, part.part_no)
    assert stock is not None
    await session.flush()
    return stock, order


# --- purchase orders --------------------------------------------------------------------------


def _check_version(
    record: PurchaseOrder | Transfer | Stocktake | StockAdjustment, expected: int | None, what: str
) -> None:
    if expected is not None and expected != record.version:
        raise Conflict(
            f"the {what} was changed meanwhile (version {record.version}, you saw {expected}); "
            "reload it and try again",
            field="version",
        )


async def _lines(session: AsyncSession, purchase_order_id: uuid.UUID) -> list[PurchaseOrderLine]:
    return list(
        (
            await session.exec(
                select(PurchaseOrderLine)
                .where(PurchaseOrderLine.purchase_order_id == purchase_order_id)
                .order_by(col(PurchaseOrderLine.part_no))
            )
        ).all()
    )


async def create_purchase_order(
    uow: UnitOfWork, user: Principal, data: PurchaseOrderCreate
) -> PurchaseOrder:
    """A draft order to a registered supplier; parts are bought only through registered
    suppliers (防止外购外销)."""
    station_id = user.acting_station(data.station_id)
    session = uow.session
    supplier = await session.get(Supplier, data.supplier_id)
    if supplier is None or not supplier.registered:
        raise DomainError(
            "parts are bought only from registered suppliers; this one is not", field="supplier_id"
        )
    order = PurchaseOrder(
        station_id=station_id,
        supplier_id=supplier.id,
        status=PurchaseOrderStatus.DRAFT,
        note=data.note,
        created_by=user.user_id,
        created_at=utcnow(),
    )
    session.add(order)
    seen: set[str] = set()
    total = ZERO
    for index, line in enumerate(data.lines):
        part = await session.get(Part, line.part_no)
        if part is None:
            raise DomainError(
                f"unknown part number {line.part_no!r}", field=f"lines.{index}.part_no"
            )
        if part.part_no in seen:
            raise DomainError(
                f"{part.part_no} is on the order twice; put it on one line",
                field=f"lines.{index}.part_no",
            )
        seen.add(part.part_no)
        quantity = domain.check_quantity(line.quantity, part.unit, field=f"lines.{index}.quantity")
        unit_cost = line.unit_cost if line.unit_cost is not None else part.cost
        if unit_cost is None:
            raise DomainError(
                f"{part.part_no} has no cost in the catalogue: give the unit_cost",
                field=f"lines.{index}.unit_cost",
            )
        total += quantity * unit_cost
        session.add(
            PurchaseOrderLine(
                purchase_order_id=order.id,
                part_no=part.part_no,
                quantity_ordered=quantity,
                unit_cost=unit_cost,
            )
        )
    order.total = total.quantize(domain.FEN)
    await session.flush()
    return order


async def approve_purchase_order(
    uow: UnitOfWork, user: Principal, purchase_order_id: uuid.UUID, data: VersionedAction
) -> PurchaseOrder:
    """A manager approves a draft within their limit (审批): the service manager up to
    ¥50,000, the group manager any amount; never the one who drafted it (four eyes)."""
    order = await get_visible_for_update(
        uow.session, PurchaseOrder, purchase_order_id, user, "purchase order"
    )
    _check_version(order, data.version, "purchase order")
    if order.status != PurchaseOrderStatus.DRAFT:
        raise Conflict(f"only a draft can be approved; this order is {order.status.value}")
    if order.created_by == user.user_id:
        raise Forbidden("a purchase order is approved by someone other than who drafted it")
    if not domain.may_approve(user.role, order.total):
        needed = domain.approval_needed_from(order.total)
        raise Forbidden(
            f"an order of ¥{order.total} needs approval by a {needed.value if needed else '-'}"
        )
    order.status = PurchaseOrderStatus.APPROVED
    order.approved_by = user.user_id
    order.approved_at = utcnow()
    order.version += 1
    uow.session.add(order)
    return order


@moves_stock
async def send_purchase_order(
    uow: UnitOfWork, user: Principal, purchase_order_id: uuid.UUID, data: VersionedAction
) -> PurchaseOrder:
    """Send the order to the supplier: its quantities are now on order at the station, and
    the delivery is expected after the supplier's lead time."""
    session = uow.session
    order = await get_visible_for_update(
        session, PurchaseOrder, purchase_order_id, user, "purchase order"
    )
    _check_version(order, data.version, "purchase order")
    needed = domain.approval_needed_from(order.total)
    if order.status == PurchaseOrderStatus.DRAFT and needed is not None:
        raise Conflict(f"an order of ¥{order.total} must be approved by a {needed.value} first")
    if order.status not in (PurchaseOrderStatus.DRAFT, PurchaseOrderStatus.APPROVED):
        raise Conflict(f"this order is already {order.status.value}")
    await _send(uow, user, order)
    return order


async def _send(
    uow: UnitOfWork, user: Principal, order: PurchaseOrder, *, tell_waiting: bool = True
) -> None:
    """Sent: the order's quantities are on order at the station, expected after the
    supplier's lead time (the waiting jobs are told when, unless it arrives at once)."""
    session = uow.session
    supplier = await session.get(Supplier, order.supplier_id)
    if supplier is None or not supplier.registered:
        raise Conflict("the supplier is no longer registered; orders to it cannot be sent")
    now = utcnow()
    order.status = PurchaseOrderStatus.SENT
    order.sent_by = user.user_id
    order.sent_at = now
    order.expected_on = domain.expected_on(now.date(), lead_time_days=supplier.lead_time_days)
    order.version += 1
    session.add(order)
    for line in await _lines(session, order.id):
        stock = await lock_stock(session, order.station_id, line.part_no)
        assert stock is not None
        post(
            session,
            stock,
            MovementKind.ORDERED,
            actor=user.user_id,
            reason=f"purchase order sent to {supplier.code}",
            on_order=line.quantity_ordered,
            reference_id=order.id,
            unit_cost=line.unit_cost,
        )
        if tell_waiting:
            await _tell_waiting_requests_when(uow, order.station_id, line.part_no)


async def _tell_waiting_requests_when(uow: UnitOfWork, station_id: str, part_no: str) -> None:
    """A new order is on its way: the jobs waiting for the part hear the new expected date."""
    session = uow.session
    part = await _part(session, part_no)
    expected = await _expected_on(session, part, station_id)
    waiting = (
        await session.exec(
            select(Reservation)
            .where(
                Reservation.station_id == station_id,
                Reservation.part_no == part_no,
                col(Reservation.status).in_(WAITING),
            )
            .order_by(col(Reservation.created_at), col(Reservation.id))
        )
    ).all()
    for request in waiting:
        uow.emit(
            events.ItemBackordered(
                reservation_id=request.id,
                request_id=request.request_id,
                order_id=request.order_id,
                job_id=request.job_id,
                part_no=request.part_no,
                quantity_reserved=request.quantity_reserved,
                quantity_short=domain.quantity_short(
                    request.quantity_requested, request.quantity_reserved, request.quantity_issued
                ),
                expected_on=expected,
            ),
            station_id=station_id,
            correlation_id=request.order_id,
        )


@moves_stock
async def cancel_purchase_order(
    uow: UnitOfWork, user: Principal, purchase_order_id: uuid.UUID, data: VersionedAction
) -> PurchaseOrder:
    """Cancel an order; what is still outstanding on a sent order is no longer on order."""
    session = uow.session
    order = await get_visible_for_update(
        session, PurchaseOrder, purchase_order_id, user, "purchase order"
    )
    _check_version(order, data.version, "purchase order")
    if order.status in (PurchaseOrderStatus.RECEIVED, PurchaseOrderStatus.CANCELLED):
        raise Conflict(f"this order is already {order.status.value}")
    if order.status in OPEN_PURCHASE_ORDERS:
        for line in await _lines(session, order.id):
            outstanding = line.quantity_ordered - line.quantity_received
            if outstanding <= ZERO:
                continue
            stock = await lock_stock(session, order.station_id, line.part_no)
            assert stock is not None
            post(
                session,
                stock,
                MovementKind.ORDER_CANCELLED,
                actor=user.user_id,
                reason="purchase order cancelled",
                on_order=-outstanding,
                reference_id=order.id,
            )
    order.status = PurchaseOrderStatus.CANCELLED
    order.version += 1
    session.add(order)
    return order


@moves_stock
async def receive_purchase_order(
    uow: UnitOfWork, user: Principal, purchase_order_id: uuid.UUID, data: PurchaseReceiptCreate
) -> PurchaseOrder:
    """Goods arrived against the order (到货入库): on hand up, on order down, and the
    requests waiting for these parts are reserved for, oldest first."""
    session = uow.session
    order = await get_visible_for_update(
        session, PurchaseOrder, purchase_order_id, user, "purchase order"
    )
    _check_version(order, data.version, "purchase order")
    if order.status not in OPEN_PURCHASE_ORDERS:
        raise Conflict(f"goods are received only on a sent order; this one is {order.status.value}")
    lines = {line.part_no: line for line in await _lines(session, order.id)}
    seen: set[str] = set()
    # stock rows are locked in part-number order, as when the order was sent
    for index, incoming in sorted(enumerate(data.lines), key=lambda item: item[1].part_no):
        line = lines.get(incoming.part_no)
        if line is None or incoming.part_no in seen:
            raise DomainError(
                f"{incoming.part_no} is not on this order (or twice in the receipt)",
                field=f"lines.{index}.part_no",
            )
        seen.add(incoming.part_no)
        part = await _part(session, line.part_no)
        quantity = domain.check_quantity(
            incoming.quantity, part.unit, field=f"lines.{index}.quantity"
        )
        outstanding = line.quantity_ordered - line.quantity_received
        try:
            against, _over = domain.split_receipt(outstanding, quantity, incoming.over_receipt_note)
        except DomainError as exc:
            raise DomainError(exc.message, field=f"lines.{index}.over_receipt_note") from exc
        stock = await lock_stock(session, order.station_id, line.part_no)
        assert stock is not None
        post(
            session,
            stock,
            MovementKind.RECEIPT,
            actor=user.user_id,
            reason=incoming.over_receipt_note or "received against purchase order",
            on_hand=quantity,
            on_order=-against,
            reference_id=order.id,
            unit_cost=line.unit_cost,
        )
        line.quantity_received += quantity
        if incoming.over_receipt_note:
            line.over_receipt_note = incoming.over_receipt_note
        session.add(line)
        await fill_backorders(uow, stock, actor=user.user_id, reference_id=order.id)
    complete = all(line.quantity_received >= line.quantity_ordered for line in lines.values())
    order.status = PurchaseOrderStatus.RECEIVED if complete else PurchaseOrderStatus.PARTLY_RECEIVED
    order.version += 1
    session.add(order)
    return order


async def purchase_order_public(session: AsyncSession, order: PurchaseOrder) -> PurchaseOrderPublic:
    needed = domain.approval_needed_from(order.total)
    return PurchaseOrderPublic.model_validate(
        {
            **order.model_dump(),
            "approval_needed_from": needed.value if needed else None,
            "lines": [
                PurchaseOrderLinePublic.model_validate(line.model_dump())
                for line in await _lines(session, order.id)
            ],
        }
    )


async def get_purchase_order(
    session: AsyncSession, user: Principal, purchase_order_id: uuid.UUID
) -> PurchaseOrderPublic:
    order = await get_visible(session, PurchaseOrder, purchase_order_id, user, "purchase order")
    return await purchase_order_public(session, order)


async def list_purchase_orders(
    session: AsyncSession,
    user: Principal,
    *,
    status: PurchaseOrderStatus | None = None,
    offset: int = 0,
    limit: int = 50,
) -> PurchaseOrdersPublic:
    query = at_visible_stations(select(PurchaseOrder), PurchaseOrder.station_id, user)
    if status is not None:
        query = query.where(PurchaseOrder.status == status)
    count = await count_rows(session, query)
    rows = (
        await session.exec(
            query.order_by(col(PurchaseOrder.created_at).desc()).offset(offset).limit(limit)
        )
    ).all()
    return PurchaseOrdersPublic(
        data=[await purchase_order_public(session, row) for row in rows], count=count
    )


async def list_suppliers(session: AsyncSession) -> SuppliersPublic:
    rows = (await session.exec(select(Supplier).order_by(col(Supplier.code)))).all()
    return SuppliersPublic(
        data=[SupplierPublic.model_validate(row.model_dump()) for row in rows], count=len(rows)
    )


async def reorder_suggestions(
    session: AsyncSession, user: Principal, *, station_id: str | None = None
) -> ReorderSuggestionsPublic:
    """Suggested purchase order lines: parts whose available stock plus what is on order is
    under the reorder point, in whole reorder lots (计划订货)."""
    query = at_visible_stations(select(StockItem), StockItem.station_id, user)
    if station_id is not None:
        query = query.where(StockItem.station_id == station_id)
    query = query.where(
        col(StockItem.on_hand) - col(StockItem.reserved) + col(StockItem.on_order)
        < col(StockItem.reorder_point)
    )
    suggestions: list[ReorderSuggestion] = []
    for item in (
        await session.exec(query.order_by(col(StockItem.station_id), col(StockItem.part_no)))
    ).all():
        available = domain.available(item.on_hand, item.reserved)
        part = await _part(session, item.part_no)
        suggestions.append(
            ReorderSuggestion(
                station_id=item.station_id,
                part_no=item.part_no,
                available=available,
                on_order=item.on_order,
                reorder_point=item.reorder_point,
                suggested_quantity=domain.suggested_reorder_quantity(
                    available + item.on_order, item.reorder_point, item.reorder_quantity
                ),
                supplier_id=part.supplier_id,
            )
        )
    return ReorderSuggestionsPublic(data=suggestions, count=len(suggestions))


# --- transfers between stations -----------------------------------------------------------------


async def _locked_transfer(
    session: AsyncSession, user: Principal, transfer_id: uuid.UUID
) -> Transfer:
    transfer = (
        await session.exec(
            select(Transfer)
            .where(Transfer.id == transfer_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).first()
    if transfer is None or not (
        user.can_see(transfer.from_station_id) or user.can_see(transfer.to_station_id)
    ):
        raise NotFound("transfer")
    return transfer


async def request_transfer(uow: UnitOfWork, user: Principal, data: TransferCreate) -> Transfer:
    """The receiving station asks another station of the group for parts (调拨申请); nothing
    moves until the other side ships."""
    to_station = user.acting_station(data.to_station_id)
    if data.from_station_id == to_station:
        raise DomainError("a transfer is between two stations", field="from_station_id")
    part = await _part_or_422(uow.session, data.part_no)
    quantity = domain.check_quantity(data.quantity, part.unit)
    transfer = Transfer(
        part_no=part.part_no,
        from_station_id=data.from_station_id,
        to_station_id=to_station,
        quantity=quantity,
        status=TransferStatus.REQUESTED,
        note=data.note,
        requested_by=user.user_id,
        requested_at=utcnow(),
    )
    uow.session.add(transfer)
    await uow.session.flush()
    return transfer


async def _part_or_422(session: AsyncSession, part_no: str, *, field: str = "part_no") -> Part:
    part = await session.get(Part, part_no)
    if part is None:
        raise DomainError(f"unknown part number {part_no!r}", field=field)
    return part


@moves_stock
async def ship_transfer(
    uow: UnitOfWork, user: Principal, transfer_id: uuid.UUID, data: VersionedAction
) -> Transfer:
    """The sending station confirms it shipped: its on hand goes down, the parts are in
    transit. Only parts not reserved for its own jobs can leave."""
    session = uow.session
    transfer = await _locked_transfer(session, user, transfer_id)
    _check_version(transfer, data.version, "transfer")
    if not user.can_see(transfer.from_station_id):
        raise Forbidden(f"only {transfer.from_station_id} ships this transfer")
    if transfer.status != TransferStatus.REQUESTED:
        raise Conflict(f"this transfer is already {transfer.status.value}")
    stock = await lock_stock(session, transfer.from_station_id, transfer.part_no, create=False)
    free = domain.available(stock.on_hand, stock.reserved) if stock else ZERO
    if stock is None or transfer.quantity > free:
        raise Conflict(
            f"{transfer.from_station_id} has only {free} not reserved; "
            f"{transfer.quantity} cannot be shipped",
            field="quantity",
        )
    post(
        session,
        stock,
        MovementKind.TRANSFER_OUT,
        actor=user.user_id,
        reason=f"shipped to {transfer.to_station_id}",
        on_hand=-transfer.quantity,
        reference_id=transfer.id,
    )
    _alert_if_low(uow, stock, free)
    transfer.status = TransferStatus.SHIPPED
    transfer.shipped_by = user.user_id
    transfer.shipped_at = utcnow()
    transfer.version += 1
    session.add(transfer)
    return transfer


@moves_stock
async def receive_transfer(
    uow: UnitOfWork, user: Principal, transfer_id: uuid.UUID, data: VersionedAction
) -> Transfer:
    """The receiving station confirms the parts arrived: its on hand goes up and the
    requests waiting for the part there are reserved for, oldest first."""
    session = uow.session
    transfer = await _locked_transfer(session, user, transfer_id)
    _check_version(transfer, data.version, "transfer")
    if not user.can_see(transfer.to_station_id):
        raise Forbidden(f"only {transfer.to_station_id} receives this transfer")
    if transfer.status != TransferStatus.SHIPPED:
        raise Conflict(f"only a shipped transfer is received; this one is {transfer.status.value}")
    stock = await lock_stock(session, transfer.to_station_id, transfer.part_no)
    assert stock is not None
    post(
        session,
        stock,
        MovementKind.TRANSFER_IN,
        actor=user.user_id,
        reason=f"received from {transfer.from_station_id}",
        on_hand=transfer.quantity,
        reference_id=transfer.id,
    )
    transfer.status = TransferStatus.RECEIVED
    transfer.received_by = user.user_id
    transfer.received_at = utcnow()
    transfer.version += 1
    session.add(transfer)
    await fill_backorders(uow, stock, actor=user.user_id, reference_id=transfer.id)
    return transfer


async def cancel_transfer(
    uow: UnitOfWork, user: Principal, transfer_id: uuid.UUID, data: VersionedAction
) -> Transfer:
    """Either side withdraws a request that was not shipped yet."""
    transfer = await _locked_transfer(uow.session, user, transfer_id)
    _check_version(transfer, data.version, "transfer")
    if transfer.status != TransferStatus.REQUESTED:
        raise Conflict(f"only a requested transfer can be cancelled; it is {transfer.status.value}")
    transfer.status = TransferStatus.CANCELLED
    transfer.version += 1
    uow.session.add(transfer)
    return transfer


async def get_transfer(
    session: AsyncSession, user: Principal, transfer_id: uuid.UUID
) -> TransferPublic:
    transfer = await session.get(Transfer, transfer_id)
    if transfer is None or not (
        user.can_see(transfer.from_station_id) or user.can_see(transfer.to_station_id)
    ):
        raise NotFound("transfer")
    return TransferPublic.model_validate(transfer.model_dump())


async def list_transfers(
    session: AsyncSession,
    user: Principal,
    *,
    status: TransferStatus | None = None,
    offset: int = 0,
    limit: int = 50,
) -> TransfersPublic:
    """Transfers from or to the user's stations (in transit: status ``shipped``)."""
    query = select(Transfer)
    stations = user.visible_stations()
    if stations is not None:
        query = query.where(
            or_(
                col(Transfer.from_station_id).in_(stations),
                col(Transfer.to_station_id).in_(stations),
            )
        )
    if status is not None:
        query = query.where(Transfer.status == status)
    count = await count_rows(session, query)
    rows = (
        await session.exec(
            query.order_by(col(Transfer.requested_at).desc()).offset(offset).limit(limit)
        )
    ).all()
    return TransfersPublic(
        data=[TransferPublic.model_validate(row.model_dump()) for row in rows], count=count
    )


# --- stocktake ------------------------------------------------------------------------------------


async def _station_value(session: AsyncSession, station_id: str) -> Decimal:
    rows = (
        await session.exec(
            select(StockItem.on_hand, Part.cost)  # type: ignore[call-overload]
            .join(Part, col(Part.part_no) == col(StockItem.part_no))
            .where(StockItem.station_id == station_id)
        )
    ).all()
    return domain.stock_value((on_hand, cost) for on_hand, cost in rows)


async def _sheet(session: AsyncSession, stocktake_id: uuid.UUID) -> list[StocktakeLine]:
    return list(
        (
            await session.exec(
                select(StocktakeLine)
                .where(StocktakeLine.stocktake_id == stocktake_id)
                .order_by(col(StocktakeLine.bin_location), col(StocktakeLine.part_no))
            )
        ).all()
    )


async def open_stocktake(uow: UnitOfWork, user: Principal, data: StocktakeCreate) -> Stocktake:
    """Print count sheets (盘点表): one line per part in the bins, with the book quantity."""
    station_id = user.acting_station(data.station_id)
    session = uow.session
    query = select(StockItem).where(StockItem.station_id == station_id)
    if data.bins:
        query = query.where(col(StockItem.bin_location).in_(data.bins))
    items = (await session.exec(query)).all()
    if not items:
        raise DomainError("no stock in these bins at this station", field="bins")
    stocktake = Stocktake(
        station_id=station_id,
        status=StocktakeStatus.COUNTING,
        created_by=user.user_id,
        created_at=utcnow(),
    )
    session.add(stocktake)
    await session.flush()
    for item in items:
        part = await _part(session, item.part_no)
        session.add(
            StocktakeLine(
                stocktake_id=stocktake.id,
                part_no=item.part_no,
                bin_location=item.bin_location,
                book_quantity=item.on_hand,
                unit_cost=part.cost or ZERO,
            )
        )
    await session.flush()
    return stocktake


async def record_counts(
    uow: UnitOfWork, user: Principal, stocktake_id: uuid.UUID, data: StocktakeCountsCreate
) -> Stocktake:
    """Enter what was found on the shelf (a later count of a line replaces the earlier)."""
    session = uow.session
    stocktake = await get_visible_for_update(session, Stocktake, stocktake_id, user, "stocktake")
    if stocktake.status != StocktakeStatus.COUNTING:
        raise Conflict(f"this stocktake is already {stocktake.status.value}")
    lines = {line.part_no: line for line in await _sheet(session, stocktake.id)}
    for index, count in enumerate(data.lines):
        line = lines.get(count.part_no)
        if line is None:
            raise DomainError(
                f"{count.part_no} is not on this count sheet", field=f"lines.{index}.part_no"
            )
        part = await _part(session, line.part_no)
        if count.counted_quantity > 0:
            domain.check_quantity(
                count.counted_quantity, part.unit, field=f"lines.{index}.counted_quantity"
            )
        line.counted_quantity = count.counted_quantity
        session.add(line)
    stocktake.version += 1
    session.add(stocktake)
    return stocktake


@moves_stock
async def approve_stocktake(
    uow: UnitOfWork, user: Principal, stocktake_id: uuid.UUID, data: VersionedAction
) -> Stocktake:
    """A manager other than the one who opened the count approves it: each variance is
    posted as an adjustment, with the stock value before and after. Where fewer parts were
    found than are reserved, the newest reservations give theirs back first (they wait
    again: ``item.backordered``)."""
    session = uow.session
    stocktake = await get_visible_for_update(session, Stocktake, stocktake_id, user, "stocktake")
    _check_version(stocktake, data.version, "stocktake")
    if stocktake.status != StocktakeStatus.COUNTING:
        raise Conflict(f"this stocktake is already {stocktake.status.value}")
    if stocktake.created_by == user.user_id:
        raise Forbidden("a stocktake is approved by someone other than who opened it")
    lines = await _sheet(session, stocktake.id)
    uncounted = [line.part_no for line in lines if line.counted_quantity is None]
    if uncounted:
        raise Conflict(f"not counted yet: {', '.join(uncounted[:10])}")
    stocktake.value_before = await _station_value(session, stocktake.station_id)
    for line in sorted(lines, key=lambda line: line.part_no):  # the lock order
        assert line.counted_quantity is not None
        variance = domain.count_variance(line.counted_quantity, line.book_quantity)
        if variance == ZERO:
            continue
        stock = await lock_stock(session, stocktake.station_id, line.part_no)
        assert stock is not None
        before = domain.available(stock.on_hand, stock.reserved)
        excess = stock.reserved - (stock.on_hand + variance)
        if excess > ZERO:
            await _take_back_reservations(uow, stock, excess, reference_id=stocktake.id)
        post(
            session,
            stock,
            MovementKind.ADJUSTMENT,
            actor=user.user_id,
            reason=f"stocktake: counted {line.counted_quantity}, books said {line.book_quantity}",
            on_hand=variance,
            reference_id=stocktake.id,
            unit_cost=line.unit_cost,
        )
        if variance > ZERO:
            await fill_backorders(uow, stock, actor=user.user_id, reference_id=stocktake.id)
        else:
            _alert_if_low(uow, stock, before)
    stocktake.value_after = await _station_value(session, stocktake.station_id)
    stocktake.status = StocktakeStatus.APPROVED
    stocktake.approved_by = user.user_id
    stocktake.approved_at = utcnow()
    stocktake.version += 1
    session.add(stocktake)
    return stocktake


async def _take_back_reservations(
    uow: UnitOfWork, stock: StockItem, excess: Decimal, *, reference_id: uuid.UUID
) -> None:
    session = uow.session
    holding = (
        await session.exec(
            select(Reservation)
            .where(
                Reservation.station_id == stock.station_id,
                Reservation.part_no == stock.part_no,
                col(Reservation.quantity_reserved) > 0,
                col(Reservation.status) != ReservationStatus.RELEASED,
            )
            .order_by(col(Reservation.created_at).desc(), col(Reservation.id).desc())
            .with_for_update()
        )
    ).all()
    for reservation, take in domain.take_back_newest_first(
        excess, ((r, r.quantity_reserved) for r in holding)
    ):
        assert isinstance(reservation, Reservation)
        post(
            session,
            stock,
            MovementKind.RELEASE,
            actor="stocktake",
            reason="fewer found on the shelf than reserved",
            reserved=-take,
            order_id=reservation.order_id,
            reservation_id=reservation.id,
            reference_id=reference_id,
        )
        reservation.quantity_reserved -= take
        _refresh_status(reservation)
        session.add(reservation)
        uow.emit(
            events.ItemBackordered(
                reservation_id=reservation.id,
                request_id=reservation.request_id,
                order_id=reservation.order_id,
                job_id=reservation.job_id,
                part_no=reservation.part_no,
                quantity_reserved=reservation.quantity_reserved,
                quantity_short=domain.quantity_short(
                    reservation.quantity_requested,
                    reservation.quantity_reserved,
                    reservation.quantity_issued,
                ),
                expected_on=await _expected_on(
                    session, await _part(session, reservation.part_no), reservation.station_id
                ),
            ),
            station_id=reservation.station_id,
            correlation_id=reservation.order_id,
        )


async def stocktake_public(session: AsyncSession, stocktake: Stocktake) -> StocktakePublic:
    lines = []
    for line in await _sheet(session, stocktake.id):
        variance = (
            None
            if line.counted_quantity is None
            else domain.count_variance(line.counted_quantity, line.book_quantity)
        )
        lines.append(
            StocktakeLinePublic(
                part_no=line.part_no,
                bin_location=line.bin_location,
                book_quantity=line.book_quantity,
                counted_quantity=line.counted_quantity,
                variance=variance,
                variance_value=None if variance is None else (variance * line.unit_cost),
            )
        )
    return StocktakePublic.model_validate({**stocktake.model_dump(), "lines": lines})


async def get_stocktake(
    session: AsyncSession, user: Principal, stocktake_id: uuid.UUID
) -> StocktakePublic:
    stocktake = await get_visible(session, Stocktake, stocktake_id, user, "stocktake")
    return await stocktake_public(session, stocktake)


async def list_stocktakes(
    session: AsyncSession, user: Principal, *, offset: int = 0, limit: int = 50
) -> StocktakesPublic:
    query = at_visible_stations(select(Stocktake), Stocktake.station_id, user)
    count = await count_rows(session, query)
    rows = (
        await session.exec(
            query.order_by(col(Stocktake.created_at).desc()).offset(offset).limit(limit)
        )
    ).all()
    return StocktakesPublic(
        data=[await stocktake_public(session, row) for row in rows], count=count
    )


# --- approved adjustments: opening balance, parts found -------------------------------------


async def request_adjustment(
    uow: UnitOfWork, user: Principal, part_no: str, data: StockAdjustmentCreate
) -> StockAdjustment:
    """Ask to book stock in that came from no supplier, transfer or return: the opening
    balance of a part the station never booked, or parts found. Nothing moves until a
    manager other than the one asking approves it."""
    station_id = user.acting_station(data.station_id)
    session = uow.session
    part = await _part(session, part_no)
    quantity = domain.check_quantity(data.quantity, part.unit)
    if data.kind == AdjustmentKind.OPENING_BALANCE and await _has_history(
        session, station_id, part.part_no, or_waiting_opening=True
    ):
        raise DomainError(_history_message(station_id, part.part_no), field="kind")
    adjustment = StockAdjustment(
        station_id=station_id,
        part_no=part.part_no,
        kind=data.kind,
        quantity=quantity,
        unit_cost=data.unit_cost if data.unit_cost is not None else part.cost,
        reason=data.reason,
        status=AdjustmentStatus.REQUESTED,
        requested_by=user.user_id,
        requested_at=utcnow(),
    )
    session.add(adjustment)
    await session.flush()
    return adjustment


async def _has_history(
    session: AsyncSession, station_id: str, part_no: str, *, or_waiting_opening: bool
) -> bool:
    """An opening balance is the first figure of a part at a station: refused once the part
    has a ledger row there (or, when asked, while another opening balance awaits approval)."""
    moved = (
        await session.exec(
            select(StockMovement.id)  # type: ignore[call-overload]
            .where(StockMovement.station_id == station_id, StockMovement.part_no == part_no)
            .limit(1)
        )
    ).first()
    if moved is not None or not or_waiting_opening:
        return moved is not None
    waiting = (
        await session.exec(
            select(StockAdjustment.id)  # type: ignore[call-overload]
            .where(
                StockAdjustment.station_id == station_id,
                StockAdjustment.part_no == part_no,
                StockAdjustment.kind == AdjustmentKind.OPENING_BALANCE,
                StockAdjustment.status == AdjustmentStatus.REQUESTED,
            )
            .limit(1)
        )
    ).first()
    return waiting is not None


def _history_message(station_id: str, part_no: str) -> str:
    return (
        f"{part_no} already has stock history at {station_id}: book parts found as 'found', "
        "or count them in a stocktake"
    )


@moves_stock
async def approve_adjustment(
    uow: UnitOfWork, user: Principal, adjustment_id: uuid.UUID, data: AdjustmentDecision
) -> StockAdjustment:
    """A manager approves: the quantity is posted as an adjustment with the reason, and
    the requests waiting for the part are served oldest first."""
    session = uow.session
    adjustment = await _decidable_adjustment(session, user, adjustment_id, data)
    stock = await lock_stock(session, adjustment.station_id, adjustment.part_no)
    assert stock is not None
    if adjustment.kind == AdjustmentKind.OPENING_BALANCE and await _has_history(
        session, adjustment.station_id, adjustment.part_no, or_waiting_opening=False
    ):  # something was booked since it was asked for
        raise Conflict(_history_message(adjustment.station_id, adjustment.part_no), field="kind")
    post(
        session,
        stock,
        MovementKind.ADJUSTMENT,
        actor=user.user_id,
        reason=f"{adjustment.kind.value.replace('_', ' ')}: {adjustment.reason}",
        on_hand=adjustment.quantity,
        reference_id=adjustment.id,
        unit_cost=adjustment.unit_cost,
    )
    _decide(adjustment, user, AdjustmentStatus.APPROVED, data.note)
    session.add(adjustment)
    await fill_backorders(uow, stock, actor=user.user_id, reference_id=adjustment.id)
    return adjustment


async def reject_adjustment(
    uow: UnitOfWork, user: Principal, adjustment_id: uuid.UUID, data: AdjustmentDecision
) -> StockAdjustment:
    """A manager turns the request down: nothing is posted."""
    adjustment = await _decidable_adjustment(uow.session, user, adjustment_id, data)
    _decide(adjustment, user, AdjustmentStatus.REJECTED, data.note)
    uow.session.add(adjustment)
    return adjustment


async def _decidable_adjustment(
    session: AsyncSession, user: Principal, adjustment_id: uuid.UUID, data: AdjustmentDecision
) -> StockAdjustment:
    adjustment = await get_visible_for_update(
        session, StockAdjustment, adjustment_id, user, "stock adjustment"
    )
    _check_version(adjustment, data.version, "stock adjustment")
    if adjustment.status != AdjustmentStatus.REQUESTED:
        raise Conflict(f"this adjustment is already {adjustment.status.value}")
    if adjustment.requested_by == user.user_id:
        raise Forbidden("a stock adjustment is approved by someone other than who asked for it")
    return adjustment


def _decide(
    adjustment: StockAdjustment, user: Principal, status: AdjustmentStatus, note: str | None
) -> None:
    adjustment.status = status
    adjustment.decided_by = user.user_id
    adjustment.decided_at = utcnow()
    adjustment.decision_note = note
    adjustment.version += 1


async def get_adjustment(
    session: AsyncSession, user: Principal, adjustment_id: uuid.UUID
) -> StockAdjustmentPublic:
    adjustment = await get_visible(
        session, StockAdjustment, adjustment_id, user, "stock adjustment"
    )
    return StockAdjustmentPublic.model_validate(adjustment.model_dump())


async def list_adjustments(
    session: AsyncSession,
    user: Principal,
    *,
    status: AdjustmentStatus | None = None,
    offset: int = 0,
    limit: int = 50,
) -> StockAdjustmentsPublic:
    query = at_visible_stations(select(StockAdjustment), StockAdjustment.station_id, user)
    if status is not None:
        query = query.where(StockAdjustment.status == status)
    count = await count_rows(session, query)
    rows = (
        await session.exec(
            query.order_by(col(StockAdjustment.requested_at).desc()).offset(offset).limit(limit)
        )
    ).all()
    return StockAdjustmentsPublic(
        data=[StockAdjustmentPublic.model_validate(row.model_dump()) for row in rows],
        count=count,
    )


# --- over-the-counter sales to registered customers --------------------------------------------


async def register_counter_customer(
    uow: UnitOfWork, user: Principal, data: CounterCustomerCreate
) -> CounterCustomer:
    """Register a customer at the station's parts counter; only these are sold to."""
    station_id = user.acting_station(data.station_id)
    customer = CounterCustomer(
        station_id=station_id,
        kind=data.kind,
        name=data.name.strip(),
        phone=data.phone.strip(),
        id_number=data.id_number,
        registered_by=user.user_id,
        registered_at=utcnow(),
    )
    uow.session.add(customer)
    await uow.session.flush()
    return customer


async def list_counter_customers(
    session: AsyncSession,
    user: Principal,
    *,
    search: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> CounterCustomersPublic:
    query = at_visible_stations(select(CounterCustomer), CounterCustomer.station_id, user)
    if search:
        pattern = f"%{search.strip()}%"
        query = query.where(
            or_(col(CounterCustomer.name).ilike(pattern), col(CounterCustomer.phone).ilike(pattern))
        )
    count = await count_rows(session, query)
    rows = (
        await session.exec(query.order_by(col(CounterCustomer.name)).offset(offset).limit(limit))
    ).all()
    return CounterCustomersPublic(
        data=[CounterCustomerPublic.model_validate(row.model_dump()) for row in rows],
        count=count,
    )


@moves_stock
async def sell_over_counter(
    uow: UnitOfWork, user: Principal, data: CounterSaleCreate
) -> CounterSale:
    """Sell parts over the counter (配件销售) at list price, only to a customer registered
    at this station's counter (防止外购外销) and only from stock not reserved for jobs."""
    station_id = user.acting_station(data.station_id)
    session = uow.session
    customer = await session.get(CounterCustomer, data.customer_id)
    if customer is None or customer.station_id != station_id or not customer.active:
        raise DomainError(
            "parts are sold over the counter only to customers registered at this station's "
            "counter: register the customer first",
            field="customer_id",
        )
    sale = CounterSale(
        station_id=station_id,
        customer_id=customer.id,
        note=data.note,
        sold_by=user.user_id,
        sold_at=utcnow(),
    )
    session.add(sale)
    await session.flush()
    parts: dict[str, tuple[int, Part, Decimal]] = {}
    for index, line in enumerate(data.lines):
        part = await _part_or_422(session, line.part_no, field=f"lines.{index}.part_no")
        if part.part_no in parts:
            raise DomainError(
                f"{part.part_no} is on the sale twice; put it on one line",
                field=f"lines.{index}.part_no",
            )
        quantity = domain.check_quantity(line.quantity, part.unit, field=f"lines.{index}.quantity")
        parts[part.part_no] = (index, part, quantity)
    total = ZERO
    for part_no in sorted(parts):  # the lock order
        index, part, quantity = parts[part_no]
        stock = await lock_stock(session, station_id, part_no, create=False)
        free = domain.available(stock.on_hand, stock.reserved) if stock else ZERO
        if stock is None or quantity > free:
            raise Conflict(
                f"only {free} {part.unit} of {part_no} are not reserved for jobs; "
                f"{quantity} cannot be sold",
                field=f"lines.{index}.quantity",
            )
        post(
            session,
            stock,
            MovementKind.SALE,
            actor=user.user_id,
            reason=f"sold over the counter to {customer.name}",
            on_hand=-quantity,
            reference_id=sale.id,
            unit_cost=part.cost,
        )
        _alert_if_low(uow, stock, free)
        session.add(
            CounterSaleLine(
                sale_id=sale.id, part_no=part_no, quantity=quantity, unit_price=part.list_price
            )
        )
        total += quantity * part.list_price
    sale.total = total.quantize(domain.FEN)
    session.add(sale)
    await session.flush()
    return sale


async def counter_sale_public(session: AsyncSession, sale: CounterSale) -> CounterSalePublic:
    lines = (
        await session.exec(
            select(CounterSaleLine)
            .where(CounterSaleLine.sale_id == sale.id)
            .order_by(col(CounterSaleLine.part_no))
        )
    ).all()
    return CounterSalePublic.model_validate(
        {
            **sale.model_dump(),
            "lines": [CounterSaleLinePublic.model_validate(line.model_dump()) for line in lines],
        }
    )


async def get_counter_sale(
    session: AsyncSession, user: Principal, sale_id: uuid.UUID
) -> CounterSalePublic:
    sale = await get_visible(session, CounterSale, sale_id, user, "counter sale")
    return await counter_sale_public(session, sale)


async def list_counter_sales(
    session: AsyncSession,
    user: Principal,
    *,
    customer_id: uuid.UUID | None = None,
    offset: int = 0,
    limit: int = 50,
) -> CounterSalesPublic:
    query = at_visible_stations(select(CounterSale), CounterSale.station_id, user)
    if customer_id is not None:
        query = query.where(CounterSale.customer_id == customer_id)
    count = await count_rows(session, query)
    rows = (
        await session.exec(
            query.order_by(col(CounterSale.sold_at).desc()).offset(offset).limit(limit)
        )
    ).all()
    return CounterSalesPublic(
        data=[await counter_sale_public(session, row) for row in rows], count=count
    )


# --- weekly counter sales targets and analysis ------------------------------------------------


async def set_sales_target(
    uow: UnitOfWork, user: Principal, week: date, data: CounterSalesTargetSet
) -> CounterSalesTarget:
    """The manager sets (or changes) the station's counter sales target for a week."""
    station_id = user.acting_station(data.station_id)
    if week.weekday() != 0:
        raise DomainError(
            f"{week.isoformat()} is a {week.strftime('%A')}; a sales week starts on a Monday "
            f"({domain.week_start(week).isoformat()})",
            field="week_start",
        )
    session = uow.session
    target = (
        await session.exec(
            select(CounterSalesTarget)
            .where(
                CounterSalesTarget.station_id == station_id, CounterSalesTarget.week_start == week
            )
            .with_for_update()
        )
    ).first()
    if target is None:
        target = CounterSalesTarget(
            station_id=station_id,
            week_start=week,
            amount=data.amount,
            set_by=user.user_id,
            set_at=utcnow(),
        )
    target.amount, target.set_by, target.set_at = data.amount, user.user_id, utcnow()
    session.add(target)
    await session.flush()
    return target


async def weekly_counter_sales(
    session: AsyncSession, user: Principal, *, station_id: str | None = None, weeks: int = 4
) -> WeeklyCounterSalesPublic:
    """Counter sales per station and week (the station's local weeks, newest first): number
    of sales, total, the target and how much of it was reached, the best-selling parts."""
    if station_id is not None:
        user.check_station(station_id, "station")
        stations = [station_id]
    else:
        found: set[str] = set()
        for model in (CounterSale, CounterSalesTarget):
            query = at_visible_stations(
                select(model.station_id).distinct(),  # type: ignore[attr-defined]
                model.station_id,  # type: ignore[attr-defined]
                user,
            )
            found.update((await session.exec(query)).all())
        visible = user.visible_stations()
        stations = sorted(found if visible is None else found | set(visible))
    now = utcnow()
    data: list[WeeklyCounterSales] = []
    for station in stations:
        calendar = calendar_for(station)
        this_week = domain.week_start(calendar.local_day(now))
        starts = [this_week - timedelta(weeks=n) for n in range(weeks)]
        since = datetime.combine(starts[-1] - timedelta(days=1), datetime.min.time()).replace(
            tzinfo=now.tzinfo
        )
        sales = (
            await session.exec(
                select(CounterSale).where(
                    CounterSale.station_id == station, col(CounterSale.sold_at) >= since
                )
            )
        ).all()
        week_of = {sale.id: domain.week_start(calendar.local_day(sale.sold_at)) for sale in sales}
        lines = (
            (
                await session.exec(
                    select(CounterSaleLine).where(col(CounterSaleLine.sale_id).in_(list(week_of)))
                )
            ).all()
            if week_of
            else []
        )
        targets = {
            target.week_start: target.amount
            for target in (
                await session.exec(
                    select(CounterSalesTarget).where(
                        CounterSalesTarget.station_id == station,
                        col(CounterSalesTarget.week_start).in_(starts),
                    )
                )
            ).all()
        }
        for start in starts:
            in_week = [sale for sale in sales if week_of[sale.id] == start]
            by_part: dict[str, tuple[Decimal, Decimal]] = {}
            for line in lines:
                if week_of[line.sale_id] != start:
                    continue
                quantity, revenue = by_part.get(line.part_no, (ZERO, ZERO))
                by_part[line.part_no] = (
                    quantity + line.quantity,
                    revenue + (line.quantity * line.unit_price).quantize(domain.FEN),
                )
            total = sum((sale.total for sale in in_week), Decimal("0.00"))
            data.append(
                WeeklyCounterSales(
                    station_id=station,
                    week_start=start,
                    sales=len(in_week),
                    total=total,
                    target=targets.get(start),
                    achieved=domain.target_achieved(total, targets.get(start)),
                    top_parts=[
                        PartSales(part_no=part_no, quantity=quantity, revenue=revenue)
                        for part_no, (quantity, revenue) in sorted(
                            by_part.items(), key=lambda item: (-item[1][1], item[0])
                        )[:5]
                    ],
                )
            )
    return WeeklyCounterSalesPublic(data=data, count=len(data))


# --- prices ---------------------------------------------------------------------------------------


@moves_stock
async def set_price(
    uow: UnitOfWork, user: Principal, part_no: str, data: PriceBuildUp
) -> tuple[Part, PriceChange]:
    """A new price built up from cost and margins (价格构成); the change is recorded with the
    figures before and after, who made it and why."""
    session = uow.session
    part = (
        await session.exec(
            select(Part)
            .where(Part.part_no == part_no)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).first()
    if part is None:
        raise NotFound("part")
    list_price, warranty_price = domain.build_price(data.cost, data.margin, data.warranty_margin)
    change = PriceChange(
        part_no=part.part_no,
        changed_by=user.user_id,
        changed_at=utcnow(),
        reason=data.reason,
        cost_before=part.cost,
        cost_after=data.cost,
        margin=data.margin,
        warranty_margin=data.warranty_margin,
        list_price_before=part.list_price,
        list_price_after=list_price,
        warranty_price_before=part.warranty_price,
        warranty_price_after=warranty_price,
    )
    part.cost, part.margin, part.warranty_margin = data.cost, data.margin, data.warranty_margin
    part.list_price, part.warranty_price = list_price, warranty_price
    session.add(part)
    session.add(change)
    # the live availability read models carry the list price: each station hears the new one
    for stock in (
        await session.exec(
            select(StockItem)
            .where(StockItem.part_no == part.part_no)
            .order_by(col(StockItem.station_id))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).all():
        _touch(session, stock)
    return part, change


async def get_part(session: AsyncSession, part_no: str) -> PartPublic:
    return PartPublic.model_validate((await _part(session, part_no)).model_dump())


async def price_history(
    session: AsyncSession, part_no: str, *, offset: int = 0, limit: int = 50
) -> PriceChangesPublic:
    """Every price change of a part, newest first."""
    await _part(session, part_no)
    query = select(PriceChange).where(PriceChange.part_no == part_no)
    count = await count_rows(session, query)
    rows = (
        await session.exec(
            query.order_by(col(PriceChange.changed_at).desc()).offset(offset).limit(limit)
        )
    ).all()
    return PriceChangesPublic(
        data=[PriceChangePublic.model_validate(row.model_dump()) for row in rows], count=count
    )


# --- KPIs -----------------------------------------------------------------------------------------


async def station_kpis(
    session: AsyncSession, user: Principal, *, station_id: str | None = None, days: int = 90
) -> KpisPublic:
    """Fill rate, stock value, days of supply, turnover and dead stock per visible station."""
    now = utcnow()
    since = now - timedelta(days=days)
    query = at_visible_stations(
        select(StockItem.station_id).distinct(),  # type: ignore[call-overload]
        StockItem.station_id,
        user,
    )
    if station_id is not None:
        query = query.where(StockItem.station_id == station_id)
    stations = sorted((await session.exec(query)).all())
    data: list[StationKpis] = []
    for station in stations:
        requests = (
            await session.exec(
                select(Reservation.filled_at_once).where(  # type: ignore[call-overload]
                    Reservation.station_id == station, col(Reservation.created_at) >= since
                )
            )
        ).all()
        issues = (
            await session.exec(
                select(StockMovement).where(
                    StockMovement.station_id == station,
                    # a part sold over the counter is not dead stock either
                    col(StockMovement.kind).in_((MovementKind.ISSUE, MovementKind.SALE)),
                    col(StockMovement.occurred_at) >= now - domain.DEAD_STOCK_AFTER,
                )
            )
        ).all()
        last_issued: dict[str, datetime] = {}
        issued_value = ZERO
        for movement in issues:
            seen = last_issued.get(movement.part_no)
            if seen is None or movement.occurred_at > seen:
                last_issued[movement.part_no] = movement.occurred_at
            if movement.occurred_at >= since and movement.kind == MovementKind.ISSUE:
                issued_value += (-movement.on_hand_change * (movement.unit_cost or ZERO)).quantize(
                    domain.FEN
                )
        shelf = (
            await session.exec(
                select(StockItem.part_no, StockItem.on_hand, Part.cost)  # type: ignore[call-overload]
                .join(Part, col(Part.part_no) == col(StockItem.part_no))
                .where(StockItem.station_id == station)
            )
        ).all()
        value = domain.stock_value((on_hand, cost) for _part_no, on_hand, cost in shelf)
        dead = [
            (on_hand, cost)
            for part_no, on_hand, cost in shelf
            if domain.is_dead_stock(on_hand, last_issued.get(part_no), now)
        ]
        data.append(
            StationKpis(
                station_id=station,
                period_days=days,
                requests=len(requests),
                fill_rate=domain.fill_rate(sum(1 for served in requests if served), len(requests)),
                stock_value=value,
                issued_value=issued_value,
                days_of_supply=domain.days_of_supply(value, issued_value, days),
                turnover=domain.turnover(issued_value, value, days),
                dead_stock_parts=len(dead),
                dead_stock_value=domain.stock_value(dead),
            )
        )
    return KpisPublic(data=data, count=len(data))


# --- reading ----------------------------------------------------------------------------------


async def list_parts(
    session: AsyncSession,
    *,
    category: PartCategory | None = None,
    search: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> PartsPublic:
    """The catalogue is the manufacturer's and the same at every station."""
    query = select(Part)
    if category is not None:
        query = query.where(Part.category == category)
    if search:
        pattern = f"%{search.strip()}%"
        query = query.where(
            or_(col(Part.part_no).ilike(pattern), col(Part.description).ilike(pattern))
        )
    count = await count_rows(session, query)
    parts = (
        await session.exec(query.order_by(col(Part.part_no)).offset(offset).limit(limit))
    ).all()
    return PartsPublic(data=[PartPublic.model_validate(p.model_dump()) for p in parts], count=count)


async def in_transit(
    session: AsyncSession, *, part_no: str | None = None
) -> dict[tuple[str, str], Decimal]:
    """Shipped and not yet received, by (receiving station, part)."""
    query = select(Transfer).where(Transfer.status == TransferStatus.SHIPPED)
    if part_no is not None:
        query = query.where(Transfer.part_no == part_no)
    totals: dict[tuple[str, str], Decimal] = {}
    for transfer in (await session.exec(query)).all():
        key = (transfer.to_station_id, transfer.part_no)
        totals[key] = totals.get(key, ZERO) + transfer.quantity
    return totals


async def list_stock(
    session: AsyncSession,
    user: Principal,
    *,
    part_no: str | None = None,
    station_id: str | None = None,
    below_reorder_point: bool | None = None,
    offset: int = 0,
    limit: int = 50,
) -> StockItemsPublic:
    query = select(StockItem)
    query = at_visible_stations(query, StockItem.station_id, user)
    if station_id is not None:
        query = query.where(StockItem.station_id == station_id)
    if part_no is not None:
        query = query.where(StockItem.part_no == part_no)
    if below_reorder_point is not None:
        available = col(StockItem.on_hand) - col(StockItem.reserved)
        reorder_point = col(StockItem.reorder_point)
        query = query.where(
            available < reorder_point if below_reorder_point else available >= reorder_point
        )
    count = await count_rows(session, query)
    items = (
        await session.exec(
            query.order_by(col(StockItem.station_id), col(StockItem.part_no))
            .offset(offset)
            .limit(limit)
        )
    ).all()
    transit = await in_transit(session, part_no=part_no)
    return StockItemsPublic(
        data=[
            stock_public(item, transit.get((item.station_id, item.part_no), ZERO)) for item in items
        ],
        count=count,
    )


async def part_availability(
    session: AsyncSession, user: Principal, part_no: str
) -> PartAvailabilityPublic:
    """Where in the group the part can be had, as far as the user may see (group view)."""
    part = await session.get(Part, part_no)
    if part is None:
        raise NotFound("part")
    query = select(StockItem).where(StockItem.part_no == part.part_no)
    query = at_visible_stations(query, StockItem.station_id, user)
    items = (await session.exec(query.order_by(col(StockItem.station_id)))).all()
    transit = await in_transit(session, part_no=part.part_no)
    rows = [
        StationAvailability(
            station_id=item.station_id,
            on_hand=item.on_hand,
            reserved=item.reserved,
            available=domain.available(item.on_hand, item.reserved),
            on_order=item.on_order,
            in_transit=transit.get((item.station_id, item.part_no), ZERO),
            bin_location=item.bin_location,
        )
        for item in items
    ]
    return PartAvailabilityPublic(
        part_no=part.part_no,
        description=part.description,
        unit=part.unit,
        total_available=sum((max(row.available, ZERO) for row in rows), ZERO),
        stations=rows,
    )


async def list_movements(
    session: AsyncSession,
    user: Principal,
    *,
    part_no: str | None = None,
    station_id: str | None = None,
    order_id: uuid.UUID | None = None,
    offset: int = 0,
    limit: int = 50,
) -> StockMovementsPublic:
    """The stock ledger, newest first: who changed what, when, why, for which order."""
    query = at_visible_stations(select(StockMovement), StockMovement.station_id, user)
    if part_no is not None:
        query = query.where(StockMovement.part_no == part_no)
    if station_id is not None:
        query = query.where(StockMovement.station_id == station_id)
    if order_id is not None:
        query = query.where(StockMovement.order_id == order_id)
    count = await count_rows(session, query)
    rows = (
        await session.exec(
            query.order_by(col(StockMovement.occurred_at).desc(), col(StockMovement.id))
            .offset(offset)
            .limit(limit)
        )
    ).all()
    return StockMovementsPublic(
        data=[StockMovementPublic.model_validate(row.model_dump()) for row in rows], count=count
    )


async def list_reservations(
    session: AsyncSession,
    user: Principal,
    *,
    order_id: uuid.UUID | None = None,
    status: ReservationStatus | None = None,
    offset: int = 0,
    limit: int = 50,
) -> ReservationsPublic:
    query = select(Reservation)
    query = at_visible_stations(query, Reservation.station_id, user)
    if order_id is not None:
        query = query.where(Reservation.order_id == order_id)
    if status is not None:
        query = query.where(Reservation.status == status)
    count = await count_rows(session, query)
    rows = (
        await session.exec(
            query.order_by(col(Reservation.created_at).desc()).offset(offset).limit(limit)
        )
    ).all()
    return ReservationsPublic(data=[reservation_public(r) for r in rows], count=count)


async def get_reservation(
    session: AsyncSession, user: Principal, reservation_id: uuid.UUID
) -> ReservationPublic:
    reservation = await get_visible(session, Reservation, reservation_id, user, "reservation")
    return reservation_public(reservation)


def reservation_public(reservation: Reservation) -> ReservationPublic:
    short = (
        ZERO
        if reservation.status == ReservationStatus.RELEASED
        else domain.quantity_short(
            reservation.quantity_requested,
            reservation.quantity_reserved,
            reservation.quantity_issued,
        )
    )
    return ReservationPublic.model_validate({**reservation.model_dump(), "quantity_short": short})


def stock_public(item: StockItem, in_transit: Decimal = ZERO) -> StockItemPublic:
    available = domain.available(item.on_hand, item.reserved)
    return StockItemPublic.model_validate(
        {
            **item.model_dump(),
            "available": available,
            "in_transit": in_transit,
            "below_reorder_point": domain.below_reorder_point(available, item.reorder_point),
        }
    )
