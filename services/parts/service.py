"""Parts' use cases: each one state change plus its events, in one unit of work."""

from __future__ import annotations

import uuid

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.parts import domain
from services.parts.models import (
    GoodsReceiptCreate,
    Part,
    PartAvailabilityPublic,
    PartCategory,
    PartPublic,
    PartsPublic,
    Reservation,
    ReservationPublic,
    ReservationsPublic,
    ReservationStatus,
    StationAvailability,
    StockItem,
    StockItemPublic,
    StockItemsPublic,
)
from shared.auth import Principal
from shared.contracts import events
from shared.db import utcnow
from shared.errors import DomainError, NotFound
from shared.outbox import UnitOfWork
from shared.scoping import at_visible_stations, count_rows

# --- reacting to the workshop ------------------------------------------------------------


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
    stock = (
        await session.exec(
            select(StockItem)
            .where(StockItem.station_id == station_id, StockItem.part_no == part.part_no)
            .with_for_update()
        )
    ).first()
    before = domain.available(stock.on_hand, stock.reserved) if stock else domain.ZERO
    allocation = domain.allocate(event.quantity, before)
    if stock is not None and allocation.reserved > 0:
        stock.reserved += allocation.reserved
        session.add(stock)

    reservation = Reservation(
        request_id=event.request_id,
        station_id=station_id,
        order_id=event.order_id,
        job_id=event.job_id,
        part_no=part.part_no,
        quantity_requested=allocation.requested,
        quantity_reserved=allocation.reserved,
        status=_status_of(allocation),
        created_at=utcnow(),
    )
    session.add(reservation)

    if allocation.complete:
        uow.emit(
            events.ItemReserved(
                reservation_id=reservation.id,
                request_id=event.request_id,
                order_id=event.order_id,
                job_id=event.job_id,
                part_no=part.part_no,
                quantity=allocation.reserved,
            )
        )
    else:
        uow.emit(
            events.ItemBackordered(
                request_id=event.request_id,
                order_id=event.order_id,
                job_id=event.job_id,
                part_no=part.part_no,
                quantity_reserved=allocation.reserved,
                quantity_short=allocation.short,
                expected_on=domain.expected_on(utcnow().date()),
                other_stations=await _other_stations(session, part.part_no, station_id),
            )
        )

    if stock is not None:
        after = domain.available(stock.on_hand, stock.reserved)
        if domain.falls_below_reorder_point(before, after, stock.reorder_point):
            uow.emit(
                events.StockLow(
                    part_no=part.part_no,
                    available=after,
                    reorder_point=stock.reorder_point,
                    suggested_quantity=domain.suggested_reorder_quantity(
                        after, stock.reorder_point, stock.reorder_quantity, short=allocation.short
                    ),
                ),
                station_id=station_id,
            )
    return reservation


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


# --- goods receipt ------------------------------------------------------------------------


async def receive_goods(
    uow: UnitOfWork, user: Principal, part_no: str, data: GoodsReceiptCreate
) -> StockItem:
    """Parts delivered and shelved at a station: on hand goes up (入库)."""
    station_id = user.acting_station(data.station_id)
    part = await uow.session.get(Part, part_no)
    if part is None:
        raise NotFound("part")
    stock = (
        await uow.session.exec(
            select(StockItem)
            .where(StockItem.station_id == station_id, StockItem.part_no == part.part_no)
            .with_for_update()
        )
    ).first()
    if stock is None:
        stock = StockItem(station_id=station_id, part_no=part.part_no)
    stock.on_hand += data.quantity
    uow.session.add(stock)
    await uow.session.flush()
    return stock


# --- reading ------------------------------------------------------------------------------


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
    return StockItemsPublic(data=[stock_public(item) for item in items], count=count)


async def part_availability(
    session: AsyncSession, user: Principal, part_no: str
) -> PartAvailabilityPublic:
    """Where in the group the part can be had, as far as the user may see."""
    part = await session.get(Part, part_no)
    if part is None:
        raise NotFound("part")
    query = select(StockItem).where(StockItem.part_no == part.part_no)
    query = at_visible_stations(query, StockItem.station_id, user)
    items = (await session.exec(query.order_by(col(StockItem.station_id)))).all()
    rows = [
        StationAvailability(
            station_id=item.station_id,
            on_hand=item.on_hand,
            reserved=item.reserved,
            available=domain.available(item.on_hand, item.reserved),
            bin_location=item.bin_location,
        )
        for item in items
    ]
    return PartAvailabilityPublic(
        part_no=part.part_no,
        description=part.description,
        unit=part.unit,
        total_available=sum((max(row.available, domain.ZERO) for row in rows), domain.ZERO),
        stations=rows,
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
    return ReservationsPublic(
        data=[ReservationPublic.model_validate(r.model_dump()) for r in rows], count=count
    )


async def get_reservation(
    session: AsyncSession, user: Principal, reservation_id: uuid.UUID
) -> ReservationPublic:
    reservation = await session.get(Reservation, reservation_id)
    if reservation is None or not user.can_see(reservation.station_id):
        raise NotFound("reservation")
    return ReservationPublic.model_validate(reservation.model_dump())


def stock_public(item: StockItem) -> StockItemPublic:
    available = domain.available(item.on_hand, item.reserved)
    return StockItemPublic.model_validate(
        {
            **item.model_dump(),
            "available": available,
            "below_reorder_point": domain.below_reorder_point(available, item.reorder_point),
        }
    )
