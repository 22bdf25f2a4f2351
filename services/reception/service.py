"""Reception's use cases: each one state change plus its events, in one unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reception import domain
from services.reception.models import (
    DeliveryCreate,
    OrderLinePublic,
    OrderStatus,
    RepairOrder,
    RepairOrderCreate,
    RepairOrderLine,
    RepairOrderPublic,
    RepairOrdersPublic,
)
from shared.auth import Principal
from shared.contracts import events
from shared.db import utcnow
from shared.errors import Conflict, DomainError
from shared.outbox import UnitOfWork
from shared.scoping import at_visible_stations, count_rows, get_visible


async def create_order(uow: UnitOfWork, user: Principal, data: RepairOrderCreate) -> RepairOrder:
    """The customer signed the repair order: store it and announce ``order.created``."""
    station_id = user.acting_station(data.station_id)
    refs = {line.ref: line for line in data.lines if line.ref}
    for index, line in enumerate(data.lines):
        if line.kind == events.LineKind.LABOUR and line.hours is None:
            raise DomainError(
                "a labour line needs its flat-rate hours", field=f"lines.{index}.hours"
            )
        if line.labour_ref is not None:
            target = refs.get(line.labour_ref)
            if target is None or target.kind != events.LineKind.LABOUR:
                raise DomainError(
                    f"labour_ref {line.labour_ref!r} names no labour line of this order",
                    field=f"lines.{index}.labour_ref",
                )
    now = utcnow()
    if data.promised_at is not None and data.promised_at <= now:
        raise DomainError("the promised time must be in the future", field="promised_at")

    order_id = uuid.uuid4()
    line_ids = {line.ref: uuid.uuid4() for line in data.lines if line.ref}
    rows = [
        RepairOrderLine(
            id=line_ids[line.ref] if line.ref else uuid.uuid4(),
            order_id=order_id,
            position=index,
            kind=line.kind,
            code=line.code,
            description=line.description,
            quantity=line.quantity,
            hours=line.hours,
            unit_price=line.unit_price,
            pay_type=line.pay_type,
            skill=line.skill,
            major_system=line.major_system,
            labour_line_id=line_ids.get(line.labour_ref) if line.labour_ref else None,
        )
        for index, line in enumerate(data.lines)
    ]
    total = domain.order_total(rows)
    customer_id = data.customer.customer_id or uuid.uuid5(
        uuid.NAMESPACE_URL, f"customer:{data.customer.phone or data.customer.name}"
    )
    order = RepairOrder(
        id=order_id,
        order_no=domain.order_number(station_id, now, order_id.hex[:6]),
        station_id=station_id,
        category=data.category,
        customer_id=customer_id,
        customer_name=data.customer.name,
        customer_phone=data.customer.phone,
        customer_vip=data.customer.is_vip,
        vin=data.vehicle.vin,
        plate=data.vehicle.plate,
        make=data.vehicle.make,
        model=data.vehicle.model,
        mileage_km=data.mileage_km,
        complaint=data.complaint,
        advisor_id=user.user_id,
        total=total,
        flagged_for_manager=domain.needs_manager(total, vip=data.customer.is_vip),
        inspection_required=domain.needs_final_inspection(rows, asked=data.inspection_required),
        promised_at=data.promised_at,
        created_at=now,
    )
    uow.session.add(order)
    uow.session.add_all(rows)
    uow.emit(
        events.OrderCreated(
            order_id=order.id,
            order_no=order.order_no,
            category=order.category,
            customer=events.CustomerRef(
                customer_id=customer_id,
                name=order.customer_name,
                phone=order.customer_phone,
                is_vip=order.customer_vip,
            ),
            vehicle=events.VehicleRef(
                vin=order.vin,
                plate=order.plate,
                make=order.make,
                model=order.model,
                mileage_km=order.mileage_km,
            ),
            complaint=order.complaint,
            lines=[
                events.OrderLine(
                    line_id=row.id,
                    kind=row.kind,
                    code=row.code,
                    description=row.description,
                    quantity=row.quantity,
                    hours=row.hours,
                    unit_price=row.unit_price,
                    pay_type=row.pay_type,
                    skill=row.skill,
                    labour_line_id=row.labour_line_id,
                    major_system=row.major_system,
                )
                for row in rows
            ],
            promised_at=order.promised_at,
            advisor_id=order.advisor_id,
            inspection_required=order.inspection_required,
            flagged_for_manager=order.flagged_for_manager,
        ),
        station_id=station_id,
        correlation_id=order.id,
    )
    return order


async def vehicle_completed(uow: UnitOfWork, event: events.VehicleCompleted) -> None:
    """The workshop passed the car: the order is ready for settlement and delivery."""
    order = await uow.session.get(RepairOrder, event.order_id)
    if order is None:
        raise DomainError(f"vehicle.completed for unknown order {event.order_id}")
    if order.status == OrderStatus.OPEN:
        order.status = OrderStatus.COMPLETED
        order.completed_at = event.completed_at
        uow.session.add(order)


async def deliver(
    uow: UnitOfWork, user: Principal, order_id: uuid.UUID, data: DeliveryCreate
) -> RepairOrder:
    """Hand the car over: the customer has checked it and signed (交车)."""
    order = await _visible_order(uow.session, user, order_id)
    if order.status != OrderStatus.COMPLETED:
        raise Conflict(f"order {order.order_no} is {order.status.value}, not completed")
    if not data.customer_accepted:
        raise DomainError(
            "the customer must check the car and sign before delivery", field="customer_accepted"
        )
    order.status = OrderStatus.DELIVERED
    order.delivered_at = utcnow()
    uow.session.add(order)
    uow.emit(
        events.VehicleDelivered(
            order_id=order.id,
            customer=events.CustomerRef(
                customer_id=order.customer_id,
                name=order.customer_name,
                phone=order.customer_phone,
                is_vip=order.customer_vip,
            ),
            vehicle=events.VehicleRef(
                vin=order.vin,
                plate=order.plate,
                make=order.make,
                model=order.model,
                mileage_km=order.mileage_km,
            ),
            delivered_at=order.delivered_at,
            advisor_id=order.advisor_id,
            total=order.total,
            next_service_date=data.next_service_date.date() if data.next_service_date else None,
            next_service_km=data.next_service_km,
        ),
        station_id=order.station_id,
        correlation_id=order.id,
    )
    return order


async def _visible_order(
    session: AsyncSession, user: Principal, order_id: uuid.UUID
) -> RepairOrder:
    return await get_visible(session, RepairOrder, order_id, user, "repair order")


async def get_order(
    session: AsyncSession, user: Principal, order_id: uuid.UUID
) -> RepairOrderPublic:
    order = await _visible_order(session, user, order_id)
    lines = (
        await session.exec(
            select(RepairOrderLine)
            .where(RepairOrderLine.order_id == order.id)
            .order_by(col(RepairOrderLine.position))
        )
    ).all()
    return to_public(order, lines)


async def list_orders(
    session: AsyncSession,
    user: Principal,
    *,
    status: OrderStatus | None = None,
    vin: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> RepairOrdersPublic:
    query = select(RepairOrder)
    query = at_visible_stations(query, RepairOrder.station_id, user)
    if status is not None:
        query = query.where(RepairOrder.status == status)
    if vin is not None:
        query = query.where(RepairOrder.vin == vin.upper())
    count = await count_rows(session, query)
    orders = (
        await session.exec(
            query.order_by(col(RepairOrder.created_at).desc()).offset(offset).limit(limit)
        )
    ).all()
    return RepairOrdersPublic(data=[to_public(o, []) for o in orders], count=count)


def to_public(order: RepairOrder, lines: Sequence[RepairOrderLine]) -> RepairOrderPublic:
    return RepairOrderPublic.model_validate(
        {
            **order.model_dump(),
            "lines": [OrderLinePublic.model_validate(line.model_dump()) for line in lines],
        }
    )
