"""CRM's use cases: each one state change plus its events (or audit entries) in one commit."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.crm import domain
from services.crm.models import (
    AuditAction,
    AuditEntriesPublic,
    AuditEntry,
    AuditEntryPublic,
    Customer,
    CustomerDetailPublic,
    CustomerPublic,
    CustomersPublic,
    CustomerUpdate,
    FollowUp,
    FollowUpKind,
    FollowUpPublic,
    FollowUpsPublic,
    FollowUpStatus,
    Vehicle,
    VehiclePublic,
    Visit,
    VisitPublic,
)
from shared.auth import Principal
from shared.contracts import events
from shared.db import utcnow
from shared.errors import DomainError, NotFound
from shared.outbox import UnitOfWork
from shared.scoping import at_visible_stations, count_rows

# --- from events: the customer file follows the repair orders ---------------------------


def _causing_event(uow: UnitOfWork) -> tuple[str, datetime]:
    """Station and time of the event being handled (CRM learns visits only from events)."""
    return uow.event.station_id, uow.event.occurred_at


async def _open_customer_file(
    session: AsyncSession,
    customer: events.CustomerRef,
    vehicle: events.VehicleRef,
    *,
    station_id: str,
    at: datetime,
) -> None:
    """Open (first visit, same day) or refresh the customer's file and the vehicle's file."""
    known = await session.get(Customer, customer.customer_id)
    if known is None:
        known = Customer(
            id=customer.customer_id,
            name=customer.name,
            phone=customer.phone,
            home_station_id=station_id,
            created_at=at,
        )
    else:
        known.name = customer.name
        known.phone = customer.phone or known.phone
    session.add(known)

    vin = vehicle.vin.upper()
    car = await session.get(Vehicle, vin)
    if car is None:
        car = Vehicle(vin=vin, customer_id=customer.customer_id, created_at=at)
    car.customer_id = customer.customer_id  # whoever brought it in last
    car.plate = vehicle.plate or car.plate
    car.make = vehicle.make or car.make
    car.model = vehicle.model or car.model
    car.last_mileage_km = domain.last_mileage(car.last_mileage_km, vehicle.mileage_km)
    session.add(car)


async def _visit_of(session: AsyncSession, order_id: uuid.UUID) -> Visit | None:
    return (await session.exec(select(Visit).where(Visit.order_id == order_id))).first()


async def order_created(uow: UnitOfWork, event: events.OrderCreated) -> None:
    """A repair order was signed: open or refresh the files and record the visit."""
    station_id, at = _causing_event(uow)
    await _open_customer_file(
        uow.session, event.customer, event.vehicle, station_id=station_id, at=at
    )
    visit = await _visit_of(uow.session, event.order_id)
    if visit is None:
        visit = Visit(
            order_id=event.order_id,
            station_id=station_id,
            customer_id=event.customer.customer_id,
            vin=event.vehicle.vin.upper(),
            opened_at=at,
        )
    # a vehicle.delivered read first (another topic) left a visit without these
    visit.mileage_km = event.vehicle.mileage_km
    visit.complaint = event.complaint
    visit.opened_at = min(visit.opened_at, at)
    uow.session.add(visit)


async def vehicle_delivered(uow: UnitOfWork, event: events.VehicleDelivered) -> None:
    """The car went back to the customer: close the visit and plan the follow-up calls."""
    station_id, at = _causing_event(uow)
    session = uow.session
    visit = await _visit_of(session, event.order_id)
    if visit is None:  # order.created not read yet (it is on another topic): open it now
        await _open_customer_file(
            session, event.customer, event.vehicle, station_id=station_id, at=at
        )
        visit = Visit(
            order_id=event.order_id,
            station_id=station_id,
            customer_id=event.customer.customer_id,
            vin=event.vehicle.vin.upper(),
            mileage_km=event.vehicle.mileage_km,
            opened_at=min(at, event.delivered_at),
        )
    visit.delivered_at = event.delivered_at
    visit.total = event.total
    session.add(visit)

    existing = set(
        (await session.exec(select(FollowUp.kind).where(FollowUp.order_id == event.order_id))).all()
    )
    windows = {
        FollowUpKind.FIRST: domain.followup_window(
            event.delivered_at, domain.policy_for(visit.station_id)
        ),
        FollowUpKind.SECOND: domain.second_followup_window(event.delivered_at),
    }
    now = utcnow()
    for kind, (opens_at, due_at) in windows.items():
        if kind in existing:
            continue  # the same delivery announced again: one call of each kind per order
        followup = FollowUp(
            station_id=visit.station_id,
            order_id=event.order_id,
            customer_id=event.customer.customer_id,
            kind=kind,
            opens_at=opens_at,
            due_at=due_at,
            created_at=now,
        )
        session.add(followup)
        uow.emit(
            events.FollowUpDue(
                followup_id=followup.id,
                order_id=followup.order_id,
                customer_id=followup.customer_id,
                opens_at=followup.opens_at,
                due_at=followup.due_at,
                kind=followup.kind.value,
            ),
            station_id=visit.station_id,
        )


# --- customer files over HTTP: every read and change is audited -------------------------


def _audit(session: AsyncSession, user: Principal, action: AuditAction, customer: Customer) -> None:
    session.add(
        AuditEntry(
            at=utcnow(),
            user_id=user.user_id,
            action=action,
            entity="customer",
            entity_id=str(customer.id),
            station_id=customer.home_station_id,
        )
    )


def _visible_customers(user: Principal) -> ColumnElement[bool] | None:
    """Customers of the user's stations: their home station, or a visit there."""
    stations = user.visible_stations()
    if stations is None:
        return None
    visited = select(Visit.customer_id).where(col(Visit.station_id).in_(stations))
    return or_(col(Customer.home_station_id).in_(stations), col(Customer.id).in_(visited))


async def _visible_customer(
    session: AsyncSession, user: Principal, customer_id: uuid.UUID
) -> Customer:
    query = select(Customer).where(Customer.id == customer_id)
    visible = _visible_customers(user)
    if visible is not None:
        query = query.where(visible)
    customer = (await session.exec(query)).first()
    if customer is None:
        raise NotFound("customer")
    return customer


async def list_customers(
    session: AsyncSession,
    user: Principal,
    *,
    phone: str | None = None,
    name: str | None = None,
    vin: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> CustomersPublic:
    """Search the customer files; each file shown is a read of personal data (audited)."""
    query = select(Customer)
    visible = _visible_customers(user)
    if visible is not None:
        query = query.where(visible)
    if phone:
        query = query.where(col(Customer.phone).contains(phone.strip()))
    if name:
        query = query.where(col(Customer.name).icontains(name.strip()))
    if vin:
        owners = select(Vehicle.customer_id).where(Vehicle.vin == vin.strip().upper())
        query = query.where(col(Customer.id).in_(owners))
    count = await count_rows(session, query)
    customers = (
        await session.exec(
            query.order_by(col(Customer.name), col(Customer.id)).offset(offset).limit(limit)
        )
    ).all()
    for customer in customers:
        _audit(session, user, AuditAction.READ, customer)
    return CustomersPublic(data=[_customer_public(c) for c in customers], count=count)


async def get_customer(
    session: AsyncSession, user: Principal, customer_id: uuid.UUID
) -> CustomerDetailPublic:
    """The customer's file: vehicles and the visits at the user's stations (audited)."""
    customer = await _visible_customer(session, user, customer_id)
    _audit(session, user, AuditAction.READ, customer)
    return await _detail(session, user, customer)


async def update_customer(
    session: AsyncSession, user: Principal, customer_id: uuid.UUID, data: CustomerUpdate
) -> CustomerDetailPublic:
    """Correct the customer's contact details (audited as a change)."""
    customer = await _visible_customer(session, user, customer_id)
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        raise DomainError("send the name or the phone to change", field="name")
    if "name" in changes:
        if changes["name"] is None:
            raise DomainError("a customer file needs a name", field="name")
        customer.name = changes["name"]
    if "phone" in changes:
        customer.phone = changes["phone"]
    session.add(customer)
    _audit(session, user, AuditAction.CHANGE, customer)
    return await _detail(session, user, customer)


async def _detail(
    session: AsyncSession, user: Principal, customer: Customer
) -> CustomerDetailPublic:
    vehicles = (
        await session.exec(
            select(Vehicle).where(Vehicle.customer_id == customer.id).order_by(col(Vehicle.vin))
        )
    ).all()
    visits_query = select(Visit).where(Visit.customer_id == customer.id)
    stations = user.visible_stations()
    if stations is not None:
        visits_query = visits_query.where(col(Visit.station_id).in_(stations))
    visits = (await session.exec(visits_query.order_by(col(Visit.opened_at).desc()))).all()
    return CustomerDetailPublic.model_validate(
        {
            **customer.model_dump(),
            "vehicles": [VehiclePublic.model_validate(v.model_dump()) for v in vehicles],
            "visits": [VisitPublic.model_validate(v.model_dump()) for v in visits],
        }
    )


def _customer_public(customer: Customer) -> CustomerPublic:
    return CustomerPublic.model_validate(customer.model_dump())


# --- the follow-up queue and the audit log ----------------------------------------------


async def list_followups(
    session: AsyncSession,
    user: Principal,
    *,
    status: FollowUpStatus | None = None,
    offset: int = 0,
    limit: int = 50,
) -> FollowUpsPublic:
    """The agents' call list: the oldest deadline first."""
    query = select(FollowUp)
    query = at_visible_stations(query, FollowUp.station_id, user)
    if status is not None:
        query = query.where(FollowUp.status == status)
    count = await count_rows(session, query)
    rows = (
        await session.exec(
            query.order_by(col(FollowUp.due_at), col(FollowUp.id)).offset(offset).limit(limit)
        )
    ).all()
    return FollowUpsPublic(
        data=[FollowUpPublic.model_validate(row.model_dump()) for row in rows], count=count
    )


async def list_audit(
    session: AsyncSession,
    user: Principal,
    *,
    entity_id: str | None = None,
    user_id: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> AuditEntriesPublic:
    """Who read or changed customer data, newest first (customers of the user's stations)."""
    query = select(AuditEntry)
    query = at_visible_stations(query, AuditEntry.station_id, user)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    if user_id is not None:
        query = query.where(AuditEntry.user_id == user_id)
    count = await count_rows(session, query)
    rows = (
        await session.exec(
            query.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id))
            .offset(offset)
            .limit(limit)
        )
    ).all()
    return AuditEntriesPublic(
        data=[AuditEntryPublic.model_validate(row.model_dump()) for row in rows], count=count
    )
