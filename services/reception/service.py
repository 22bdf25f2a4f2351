"""Reception's use cases: each one state change plus its events, in one unit of work."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reception import catalogue, domain, fiscal, pdf
from services.reception.archive import ArchivedKind, file_document
from services.reception.domain import CustomerChoice, ReminderAction
from services.reception.models import (
    AdditionalWork,
    Appointment,
    AppointmentCancel,
    AppointmentCreate,
    AppointmentMove,
    AppointmentPublic,
    AppointmentsPublic,
    AppointmentStatus,
    ApprovalLinkPublic,
    BoardEntry,
    BoardPublic,
    CampaignNoticePublic,
    CapacityPublic,
    CapacitySet,
    CapacitySlot,
    CheckIn,
    CheckInCreate,
    CheckInPublic,
    CustomerFindingView,
    CustomerIn,
    DamageMark,
    DamageMarkPublic,
    DayCapacity,
    DeliveryCreate,
    DeliveryRecord,
    DeliveryRecordPublic,
    DiscountDecision,
    DiscountRequest,
    DiscountStatus,
    DueMaintenancePublic,
    EstimateIn,
    EstimateLineIn,
    EstimatePublic,
    FindingDecision,
    FindingPricing,
    FindingPublic,
    FindingsPublic,
    FindingStatus,
    FiscalDocumentRequest,
    LabourOperationPublic,
    MaintenanceReminder,
    ManagerSignOff,
    OrderCancel,
    OrderChange,
    OrderDocumentPublic,
    OrderDocumentsPublic,
    OrderHistoryEntry,
    OrderHistoryPublic,
    OrderLinePublic,
    OrderStatus,
    Payment,
    PaymentCreate,
    PaymentMethod,
    PaymentPublic,
    PricedLinePublic,
    PriceListPublic,
    RepairOrder,
    RepairOrderCreate,
    RepairOrderLine,
    RepairOrderPublic,
    RepairOrdersPublic,
    SanbaoWarning,
    SanbaoWarningPublic,
    ServicePackagePublic,
    SettlementPublic,
    SettlementRecord,
    StationWaitPublic,
    StockLevel,
    StockLevelPublic,
    VehicleCampaign,
    VehicleNoticesPublic,
    WaitTimesPublic,
)
from services.reception.settings import reception_settings
from shared.auth import MANAGERS, Principal
from shared.calendar import calendar_for
from shared.contracts import events
from shared.contracts.events import LineKind, PayType
from shared.db import utcnow
from shared.errors import Conflict, DomainError, NotFound
from shared.outbox import UnitOfWork
from shared.pricing import line_amount
from shared.scheduler import cancel as cancel_task
from shared.scheduler import schedule
from shared.scoping import at_visible_stations, count_rows, get_visible, get_visible_for_update

#: both demo stations are in China; "today" and opening hours are station-local
STATION_TZ = timezone(timedelta(hours=8))
#: appointment slots are sold 08:00–18:00 station time
OPENING_HOURS_LOCAL = range(8, 18)
DEFAULT_TECHNICIANS = 4
#: how far ahead an appointment can be booked
BOOKING_HORIZON = timedelta(days=180)
#: how far back a recorded time (arrival, customer told) may lie
RECORDING_WINDOW = timedelta(days=7)
#: next service when the advisor does not say (maintenance interval of the demo brands)
NEXT_SERVICE_KM = 10000
NEXT_SERVICE_DAYS = 365
PHOTO_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
MAX_PHOTO_BYTES = 10 * 1024 * 1024

TASK_APPOINTMENT_REMINDER = "appointment.reminder"


class Gone(DomainError):
    """The link expired or was already used."""

    status = 410


# --- small helpers ----------------------------------------------------------------------


def customer_ref(
    customer_id: uuid.UUID, name: str, phone: str | None, vip: bool
) -> events.CustomerRef:
    return events.CustomerRef(customer_id=customer_id, name=name, phone=phone, is_vip=vip)


def customer_id_of(customer: CustomerIn) -> uuid.UUID:
    """A stable id for a customer without a CRM id yet (by phone, else name)."""
    return customer.customer_id or uuid.uuid5(
        uuid.NAMESPACE_URL, f"customer:{customer.phone or customer.name}"
    )


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    if not date(2000, 1, 1) <= day <= date(2999, 12, 31):
        raise DomainError("the day is out of range", field="day")
    start = datetime.combine(day, time(0), STATION_TZ)
    return start, start + timedelta(days=1)


def _check_promise(station_id: str, promised_at: datetime, now: datetime) -> None:
    if not now < promised_at <= now + BOOKING_HORIZON:
        raise DomainError(
            "the promised time must be in the future (within 180 days)", field="promised_at"
        )
    problem = domain.promise_problem(promised_at, calendar_for(station_id))
    if problem:
        raise DomainError(problem, field="promised_at")


def _check_version(current: int, given: int | None, what: str) -> None:
    if given is not None and given != current:
        raise Conflict(
            f"the {what} was changed by someone else (version {current}, you read {given}): "
            "reload it and try again",
            field="version",
        )


# --- estimate (process §3) --------------------------------------------------------------


@dataclass
class PricedEstimate:
    lines: list[PricedLinePublic]
    dropped: list[PricedLinePublic]
    public: EstimatePublic


async def workshop_load(session: AsyncSession, station_id: str) -> tuple[Decimal, int]:
    """Hours still to do on open orders at the station, and the technicians to share them."""
    queue = (
        await session.exec(
            select(func.coalesce(func.sum(RepairOrder.estimated_hours), 0)).where(
                RepairOrder.station_id == station_id, RepairOrder.status == OrderStatus.OPEN
            )
        )
    ).one()
    today = utcnow().astimezone(STATION_TZ).date().isoformat()
    day = await session.get(DayCapacity, (station_id, today))
    technicians = (
        day.technicians if day is not None and day.technicians > 0 else DEFAULT_TECHNICIANS
    )
    return Decimal(str(queue)), technicians


async def stock_levels(
    session: AsyncSession, station_id: str, part_nos: Sequence[str]
) -> dict[str, StockLevel]:
    """Live availability of the parts an estimate names, at the station."""
    if not part_nos:
        return {}
    rows = (
        await session.exec(
            select(StockLevel).where(
                StockLevel.station_id == station_id, col(StockLevel.part_no).in_(set(part_nos))
            )
        )
    ).all()
    return {row.part_no: row for row in rows}


def estimate_part_nos(data: EstimateIn) -> list[str]:
    codes = [line.code for line in data.lines if line.kind == LineKind.PART]
    for code in data.packages:
        package = catalogue.SERVICE_PACKAGES.get(code)
        if package is not None:
            codes.extend(part.part_no for part in package.parts)
    return codes


def price_estimate(
    station_id: str,
    data: EstimateIn,
    *,
    queue_hours: Decimal,
    technicians: int,
    now: datetime,
    stock: dict[str, StockLevel] | None = None,
) -> PricedEstimate:
    """Price the estimate from the labour-time price list, the station's labour rate and the
    service packages; a symptom estimate carries its risk margin; parts show their live
    availability, and a short part follows the customer's choice (wait / rebook / drop); the
    promised time counts the station's working time and the waited-for parts' arrival."""
    stock = stock or {}
    calendar = calendar_for(station_id)
    rate = catalogue.labour_rate(station_id)
    pay_default = domain.default_pay_type(data.category)
    requested: list[tuple[str, Any]] = []
    for p_index, code in enumerate(data.packages):
        package = catalogue.SERVICE_PACKAGES.get(code)
        if package is None:
            raise DomainError(
                f"no service package {code!r}; known: "
                + ", ".join(sorted(catalogue.SERVICE_PACKAGES)),
                field=f"packages.{p_index}",
            )
        for op_code in package.operations:
            requested.append(
                ("package", {"kind": LineKind.LABOUR, "code": op_code, "ref": f"{code}:{op_code}"})
            )
        for part in package.parts:
            requested.append(
                (
                    "package",
                    {
                        "kind": LineKind.PART,
                        "code": part.part_no,
                        "description": part.description,
                        "quantity": part.quantity,
                        "unit_price": part.unit_price,
                        "labour_ref": f"{code}:{package.operations[0]}",
                    },
                )
            )
    for l_index, given in enumerate(data.lines):
        spec = given.model_dump(exclude_unset=False)
        spec["in_stock_stated"] = "in_stock" in given.model_fields_set
        requested.append((f"lines.{l_index}", spec))
    if data.car_wash:
        requested.append(
            (
                "car_wash",
                {"kind": LineKind.LABOUR, "code": "WASH", "unit_price": Decimal("0"), "free": True},
            )
        )
    if not requested:
        raise DomainError("an estimate needs at least one line or package", field="lines")

    priced: list[PricedLinePublic] = []
    dropped: list[PricedLinePublic] = []
    notes: list[str] = []
    parts_ready_at: datetime | None = None
    refs = {spec.get("ref") for _, spec in requested if spec.get("ref")}
    for where, spec in requested:
        kind = LineKind(spec["kind"])
        code = spec["code"]
        hours = spec.get("hours")
        unit_price = spec.get("unit_price")
        description = spec.get("description")
        skill, major = spec.get("skill"), spec.get("major_system")
        if kind == LineKind.LABOUR:
            operation = catalogue.LABOUR_OPERATIONS.get(code)
            if operation is not None:
                hours = hours or operation.hours
                description = description or operation.description
                skill, major = skill or operation.skill, major or operation.major_system
                if unit_price is None:
                    unit_price = domain.with_risk_margin(rate, data.estimate_method)
            if hours is None:
                raise DomainError(
                    f"operation {code!r} is not in the labour-time price list: give its hours",
                    field=f"{where}.hours",
                )
            if unit_price is None:
                unit_price = domain.with_risk_margin(rate, data.estimate_method)
        level = stock.get(code) if kind == LineKind.PART else None
        if kind == LineKind.PART:
            if level is not None:
                description = description or level.description
                if unit_price is None and not spec.get("customer_supplied"):
                    unit_price = level.list_price
            if unit_price is None:
                raise DomainError("a part line needs its unit price", field=f"{where}.unit_price")
        if description is None:
            raise DomainError("the line needs a description", field=f"{where}.description")
        if spec.get("labour_ref") and spec["labour_ref"] not in refs:
            raise DomainError(
                f"labour_ref {spec['labour_ref']!r} names no labour line of this estimate",
                field=f"{where}.labour_ref",
            )
        line = PricedLinePublic(
            ref=spec.get("ref"),
            kind=kind,
            code=code,
            description=description,
            quantity=Decimal(spec.get("quantity") or 1),
            hours=hours if kind == LineKind.LABOUR else None,
            unit_price=unit_price,
            amount=Decimal("0"),
            pay_type=spec.get("pay_type") or pay_default,
            skill=skill,
            major_system=major,
            labour_ref=spec.get("labour_ref"),
            customer_supplied=bool(spec.get("customer_supplied")),
            non_original=bool(spec.get("non_original")),
            free=bool(spec.get("free")),
            in_stock=spec.get("in_stock", True),
            lead_days=spec.get("lead_days"),
            customer_choice=spec.get("customer_choice"),
        )
        line.amount = line_amount(line)
        if kind == LineKind.PART and not line.customer_supplied:
            state = domain.availability(line.quantity, level.available if level else None)
            line.availability = state.value
            if level is not None:
                line.available, line.on_order = level.available, level.on_order
                line.expected_on = level.expected_on
                if line.lead_days is None and level.expected_on is None:
                    line.lead_days = level.lead_time_days
            if not spec.get("in_stock_stated") and state != domain.StockAvailability.UNKNOWN:
                # the live stock decides unless the advisor states it (counter confirmed)
                line.in_stock = state == domain.StockAvailability.IN_STOCK
        if kind == LineKind.PART and not line.in_stock:
            if line.customer_choice is None:
                raise DomainError(
                    f"part {code} is not in stock: record whether the customer waits, rebooks "
                    "or drops the line",
                    field=f"{where}.customer_choice",
                )
            if line.customer_choice == CustomerChoice.DROP:
                dropped.append(line)
                continue
            if line.customer_choice == CustomerChoice.WAIT:
                arrives = domain.part_arrives_at(
                    now,
                    expected_on=line.expected_on,
                    lead_days=line.lead_days,
                    day_start=lambda day: calendar.at(day, calendar.hours.opens),
                )
                if arrives is None:
                    raise DomainError(
                        "the customer waits for the part: give its lead time in days "
                        "(the parts service reports no expected date)",
                        field=f"{where}.lead_days",
                    )
                parts_ready_at = max(parts_ready_at or arrives, arrives)
            else:
                notes.append(f"part {code} not in stock: the customer rebooks when it arrives")
        priced.append(line)
    labour_hours = sum(
        (ln.hours or Decimal("0") for ln in priced if ln.kind == LineKind.LABOUR), Decimal("0")
    )
    labour_total = sum((ln.amount for ln in priced if ln.kind == LineKind.LABOUR), Decimal("0.00"))
    parts_total = sum((ln.amount for ln in priced if ln.kind == LineKind.PART), Decimal("0.00"))
    total = labour_total + parts_total
    item_note = domain.item_estimate_note(data.estimate_method)
    if item_note:
        notes.append(item_note)
    guarantee = domain.no_guarantee_note(priced)  # type: ignore[arg-type]
    if guarantee:
        notes.append(guarantee)
    public = EstimatePublic(
        category=data.category,
        estimate_method=data.estimate_method,
        risk_margin=domain.risk_margin(data.estimate_method),
        labour_rate=rate,
        lines=priced,
        dropped_lines=dropped,
        labour_total=labour_total,
        parts_total=parts_total,
        total=total,
        tax_included=domain.tax_included(total),
        totals_by_pay_type=domain.totals_by_pay_type(priced),  # type: ignore[arg-type]
        estimated_hours=labour_hours,
        promised_at=domain.promised_completion(
            now,
            labour_hours=labour_hours,
            queue_hours=queue_hours,
            technicians=technicians,
            calendar=calendar,
            parts_ready_at=parts_ready_at,
        ),
        notes=notes,
    )
    return PricedEstimate(priced, dropped, public)


def price_list(user: Principal, station_id: str | None) -> PriceListPublic:
    """The labour-time price list at the station's rate, and the service packages."""
    station = user.acting_station(station_id)
    rate = catalogue.labour_rate(station)
    return PriceListPublic(
        station_id=station,
        labour_rate=rate,
        operations=[
            LabourOperationPublic(
                code=op.code,
                description=op.description,
                hours=op.hours,
                skill=op.skill,
                major_system=op.major_system,
                price=(op.hours * rate).quantize(Decimal("0.01")),
            )
            for op in catalogue.LABOUR_OPERATIONS.values()
        ],
        packages=[
            ServicePackagePublic(
                code=pkg.code,
                name=pkg.name,
                operations=list(pkg.operations),
                parts=[
                    {
                        "part_no": p.part_no,
                        "description": p.description,
                        "quantity": str(p.quantity),
                        "unit_price": str(p.unit_price),
                    }
                    for p in pkg.parts
                ],
            )
            for pkg in catalogue.SERVICE_PACKAGES.values()
        ],
    )


async def estimate(session: AsyncSession, user: Principal, data: EstimateIn) -> EstimatePublic:
    station_id = user.acting_station(data.station_id)
    queue, technicians = await workshop_load(session, station_id)
    stock = await stock_levels(session, station_id, estimate_part_nos(data))
    return price_estimate(
        station_id, data, queue_hours=queue, technicians=technicians, now=utcnow(), stock=stock
    ).public


# --- repair order (process §4) ----------------------------------------------------------


async def last_known_mileage(
    session: AsyncSession, vin: str, station_ids: Sequence[str] | None = None
) -> int | None:
    """The highest mileage reception has recorded for the VIN (orders and check-ins)."""
    from_orders = (
        await session.exec(select(func.max(RepairOrder.mileage_km)).where(RepairOrder.vin == vin))
    ).one()
    from_checkins = (
        await session.exec(select(func.max(CheckIn.mileage_km)).where(CheckIn.vin == vin))
    ).one()
    known = [m for m in (from_orders, from_checkins) if m is not None]
    return max(known) if known else None


async def create_order(uow: UnitOfWork, user: Principal, data: RepairOrderCreate) -> RepairOrder:
    """The customer signed the repair order: store it and announce ``order.created``."""
    station_id = user.acting_station(data.station_id)
    session = uow.session
    now = utcnow()
    queue, technicians = await workshop_load(session, station_id)
    stock = await stock_levels(session, station_id, estimate_part_nos(data))
    priced = price_estimate(
        station_id, data, queue_hours=queue, technicians=technicians, now=now, stock=stock
    )
    for index, line in enumerate(priced.lines):
        if line.customer_choice == CustomerChoice.REBOOK:
            raise DomainError(
                f"part {line.code} is not in stock and the customer rebooks: book an "
                "appointment instead of opening the order, or drop the line",
                field=f"lines.{index}.customer_choice",
            )

    fuel_level = None
    priority = False
    mileage = data.mileage_km
    check_in: CheckIn | None = None
    if data.check_in_id is not None:
        check_in = await get_visible(session, CheckIn, data.check_in_id, user, "check-in sheet")
        if check_in.vin != data.vehicle.vin:
            raise DomainError("the check-in sheet is for another VIN", field="check_in_id")
        fuel_level, priority = check_in.fuel_level, check_in.priority
        mileage = mileage if mileage is not None else check_in.mileage_km
    if mileage is None:
        raise DomainError("give the mileage or the check-in sheet", field="mileage_km")
    if check_in is None or mileage != check_in.mileage_km:
        problem = domain.mileage_problem(
            mileage, await last_known_mileage(session, data.vehicle.vin), None
        )
        if problem:
            raise DomainError(problem + " (on the check-in sheet)", field="mileage_km")
    if data.appointment_id is not None:
        appointment = await get_visible_for_update(
            session, Appointment, data.appointment_id, user, "appointment"
        )
        priority = True
        if appointment.status == AppointmentStatus.BOOKED:
            appointment.status = AppointmentStatus.ARRIVED
            appointment.arrived_at = now
            session.add(appointment)
    if data.promised_at is not None:
        _check_promise(station_id, data.promised_at, now)

    order_id = uuid.uuid4()
    line_ids = {line.ref: uuid.uuid4() for line in priced.lines if line.ref}
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
            customer_supplied=line.customer_supplied,
            non_original=line.non_original,
            free=line.free,
            customer_choice=line.customer_choice,
        )
        for index, line in enumerate(priced.lines)
    ]
    total = priced.public.total
    order = RepairOrder(
        id=order_id,
        order_no=domain.order_number(station_id, now, order_id.hex[:6]),
        station_id=station_id,
        category=data.category,
        customer_id=customer_id_of(data.customer),
        customer_name=data.customer.name,
        customer_phone=data.customer.phone,
        customer_vip=data.customer.is_vip,
        vin=data.vehicle.vin,
        plate=data.vehicle.plate,
        make=data.vehicle.make,
        model=data.vehicle.model,
        mileage_km=mileage,
        fuel_level=fuel_level,
        check_in_id=data.check_in_id,
        appointment_id=data.appointment_id,
        priority=priority,
        complaint=data.complaint,
        advisor_id=user.user_id,
        estimate_method=data.estimate_method,
        payment_method=data.payment_method,
        old_parts=data.old_parts,
        car_wash=data.car_wash,
        no_guarantee_note=domain.no_guarantee_note(rows),
        estimate_note=domain.item_estimate_note(data.estimate_method),
        estimated_total=total,
        total=total,
        estimated_hours=priced.public.estimated_hours,
        flagged_for_manager=domain.needs_manager(total, vip=data.customer.is_vip),
        inspection_required=domain.needs_final_inspection(rows, asked=data.inspection_required),
        signed_by=data.signature.name,
        signed_at=now,
        promised_at=data.promised_at or priced.public.promised_at,
        created_at=now,
        customer_waiting=data.customer_waiting,
    )
    session.add(order)
    session.add_all(rows)
    await file_document(
        session,
        station_id=station_id,
        kind=ArchivedKind.REPAIR_ORDER,
        document_no=order.order_no,
        signed_at=now,
        custodian=user.user_id,
        signed_by=order.signed_by,
        order_id=order.id,
    )
    await close_campaigns(session, order, rows, now)
    await address_reminders(session, order)
    uow.emit(
        events.OrderCreated(
            order_id=order.id,
            order_no=order.order_no,
            category=domain.contract_category(order.category),
            customer=customer_ref(
                order.customer_id, order.customer_name, order.customer_phone, order.customer_vip
            ),
            vehicle=events.VehicleRef(
                vin=order.vin,
                plate=order.plate,
                make=order.make,
                model=order.model,
                mileage_km=order.mileage_km,
            ),
            complaint=order.complaint,
            lines=[contract_line(row) for row in rows],
            promised_at=order.promised_at,
            advisor_id=order.advisor_id,
            inspection_required=order.inspection_required,
            car_wash=order.car_wash,
            old_parts=order.old_parts,
            flagged_for_manager=order.flagged_for_manager,
            appointment_id=order.appointment_id,
            payment_method=order.payment_method.value,
            estimate_method=order.estimate_method.value,
            no_guarantee_note=order.no_guarantee_note,
            fuel_level=order.fuel_level.value if order.fuel_level else None,
            check_in_id=order.check_in_id,
        ),
        station_id=station_id,
        correlation_id=order.id,
    )
    return order


def contract_line(row: RepairOrderLine) -> events.OrderLine:
    return events.OrderLine(
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
        customer_supplied=row.customer_supplied,
        non_original=row.non_original,
    )


async def change_order(
    uow: UnitOfWork, user: Principal, order_id: uuid.UUID, data: OrderChange
) -> RepairOrder:
    """Record a delay (new promised time with the reason told to the customer), the
    workshop's progress confirmation or the ready notice. Lines never change here."""
    order: RepairOrder = await get_visible_for_update(
        uow.session, RepairOrder, order_id, user, "repair order"
    )
    _check_version(order.version, data.version, "repair order")
    if order.status not in (OrderStatus.OPEN, OrderStatus.COMPLETED):
        raise Conflict(f"order {order.order_no} is {order.status.value}")
    now = utcnow()
    if data.promised_at is not None and data.promised_at != order.promised_at:
        _check_promise(order.station_id, data.promised_at, now)
        if (
            order.promised_at is not None
            and data.promised_at > order.promised_at
            and not data.delay_reason
        ):
            raise DomainError(
                "a later promised time needs the reason the customer was told", field="delay_reason"
            )
        order.promised_at = data.promised_at
        order.delay_reason = data.delay_reason
    if data.progress_confirmed:
        order.progress_confirmed_at = now
    if data.ready_notified:
        order.ready_notified_at = now
    order.version += 1
    uow.session.add(order)
    return order


async def cancel_order(
    uow: UnitOfWork, user: Principal, order_id: uuid.UUID, data: OrderCancel
) -> RepairOrder:
    """The advisor cancels an order whose car the workshop has not completed: recorded with
    the reason, its appointment marked cancelled, pending approval links voided, campaigns it
    would have closed reopened, and ``order.cancelled`` tells the workshop and parts."""
    session = uow.session
    order: RepairOrder = await get_visible_for_update(
        session, RepairOrder, order_id, user, "repair order"
    )
    _check_version(order.version, data.version, "repair order")
    problem = domain.cancellation_problem(order.status.value)
    if problem:
        raise Conflict(f"order {order.order_no} cannot be cancelled: {problem}", field="status")
    now = utcnow()
    order.status = OrderStatus.CANCELLED
    order.cancelled_at, order.cancelled_by, order.cancel_reason = now, user.user_id, data.reason
    order.version += 1
    session.add(order)
    if order.appointment_id is not None:
        appointment = await session.get(Appointment, order.appointment_id)
        if appointment is not None and appointment.status in (
            AppointmentStatus.BOOKED,
            AppointmentStatus.ARRIVED,
        ):
            appointment.status = AppointmentStatus.CANCELLED
            appointment.cancel_reason = f"order {order.order_no} cancelled: {data.reason}"[:500]
            appointment.version += 1
            session.add(appointment)
            await cancel_task(session, _reminder_key(appointment))
    pending = (
        await session.exec(
            select(AdditionalWork).where(
                AdditionalWork.order_id == order.id,
                col(AdditionalWork.status).in_([FindingStatus.FOUND, FindingStatus.PRICED]),
            )
        )
    ).all()
    for finding in pending:
        finding.link_token_hash, finding.link_expires_at = None, None
        session.add(finding)
    for campaign in (
        await session.exec(
            select(VehicleCampaign).where(VehicleCampaign.closed_by_order_id == order.id)
        )
    ).all():
        campaign.closed_at, campaign.closed_by_order_id = None, None
        session.add(campaign)
    uow.emit(
        events.OrderCancelled(order_id=order.id, reason=data.reason),
        station_id=order.station_id,
        correlation_id=order.id,
    )
    return order


def _yuan(amount: Decimal | None) -> str:
    return "" if amount is None else str(amount.quantize(Decimal("0.01")))


async def order_history(
    session: AsyncSession, user: Principal, order_id: uuid.UUID
) -> OrderHistoryPublic:
    """The order's history, oldest first: signed, additional work, progress, completion,
    payments, exit pass, delivery or cancellation."""
    order = await _visible_order(session, user, order_id)
    entries = [
        OrderHistoryEntry(
            at=order.created_at,
            event="created",
            by=order.advisor_id,
            detail=f"signed by {order.signed_by}; total ¥{_yuan(order.estimated_total)}",
        )
    ]
    findings = (
        await session.exec(select(AdditionalWork).where(AdditionalWork.order_id == order.id))
    ).all()
    for finding in findings:
        entries.append(
            OrderHistoryEntry(
                at=finding.found_at,
                event="additional_work_found",
                by=finding.reported_by,
                detail=finding.description[:200],
            )
        )
        if finding.decided_at is not None and finding.status in (
            FindingStatus.APPROVED,
            FindingStatus.DECLINED,
        ):
            entries.append(
                OrderHistoryEntry(
                    at=finding.decided_at,
                    event=f"additional_work_{finding.status.value}",
                    by=finding.customer_told_by,
                    detail=f"¥{_yuan(finding.price)} via {finding.decided_via}",
                )
            )
    if order.progress_confirmed_at is not None:
        entries.append(
            OrderHistoryEntry(
                at=order.progress_confirmed_at,
                event="progress_confirmed",
                detail=f"promised {order.promised_at.isoformat() if order.promised_at else ''}"
                + (f"; delay: {order.delay_reason}" if order.delay_reason else ""),
            )
        )
    if order.ready_notified_at is not None:
        entries.append(OrderHistoryEntry(at=order.ready_notified_at, event="ready_notified"))
    if order.manager_signed_off_at is not None:
        entries.append(
            OrderHistoryEntry(
                at=order.manager_signed_off_at,
                event="manager_signed_off",
                by=order.manager_signed_off_by,
                detail=order.manager_sign_off_note,
            )
        )
    if order.completed_at is not None:
        entries.append(OrderHistoryEntry(at=order.completed_at, event="completed"))
    for payment in (await session.exec(select(Payment).where(Payment.order_id == order.id))).all():
        entries.append(
            OrderHistoryEntry(
                at=payment.received_at,
                event="payment",
                by=payment.received_by,
                detail=f"¥{_yuan(payment.amount)} {payment.method.value}",
            )
        )
    record = (
        await session.exec(select(SettlementRecord).where(SettlementRecord.order_id == order.id))
    ).first()
    if record is not None and record.exit_pass_at is not None:
        entries.append(
            OrderHistoryEntry(at=record.exit_pass_at, event="exit_pass", detail=record.exit_pass_no)
        )
    for document in await fiscal.documents_of(session, order_id=order.id):
        entries.append(
            OrderHistoryEntry(
                at=document.issued_at,
                event=document.kind.value,
                by=document.issued_by,
                detail=f"{document.document_no} ¥{_yuan(document.amount)} {document.buyer_name}",
            )
        )
    if order.delivered_at is not None:
        delivery = await session.get(DeliveryRecord, order.id)
        entries.append(
            OrderHistoryEntry(
                at=order.delivered_at,
                event="delivered",
                by=delivery.delivered_by if delivery else None,
                detail=(
                    f"accepted by {delivery.signature_name}"
                    + ("" if delivery.signature_captured else " (no signature captured)")
                )
                if delivery
                else None,
            )
        )
    if order.cancelled_at is not None:
        entries.append(
            OrderHistoryEntry(
                at=order.cancelled_at,
                event="cancelled",
                by=order.cancelled_by,
                detail=order.cancel_reason,
            )
        )
    entries.sort(key=lambda entry: entry.at)
    return OrderHistoryPublic(
        order_id=order.id,
        order_no=order.order_no,
        status=order.status,
        data=entries,
        count=len(entries),
    )


async def _visible_order(
    session: AsyncSession, user: Principal, order_id: uuid.UUID
) -> RepairOrder:
    return await get_visible(session, RepairOrder, order_id, user, "repair order")


async def order_lines(session: AsyncSession, order_id: uuid.UUID) -> Sequence[RepairOrderLine]:
    return (
        await session.exec(
            select(RepairOrderLine)
            .where(RepairOrderLine.order_id == order_id)
            .order_by(col(RepairOrderLine.position))
        )
    ).all()


async def get_order(
    session: AsyncSession, user: Principal, order_id: uuid.UUID
) -> RepairOrderPublic:
    order = await _visible_order(session, user, order_id)
    public = to_public(
        order, await order_lines(session, order.id), await sanbao_warnings(session, order.vin)
    )
    delivery = await session.get(DeliveryRecord, order.id)
    if delivery is not None:
        public.delivery = DeliveryRecordPublic.model_validate(delivery.model_dump())
    return public


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


def awaiting_sign_off(order: RepairOrder) -> bool:
    """Flagged (over ¥10,000 or VIP: process §4) and the service manager has not signed off."""
    return order.flagged_for_manager and order.manager_signed_off_at is None


def to_public(
    order: RepairOrder,
    lines: Sequence[RepairOrderLine],
    warnings: Sequence[SanbaoWarningPublic] = (),
) -> RepairOrderPublic:
    return RepairOrderPublic.model_validate(
        {
            **order.model_dump(),
            "lines": [OrderLinePublic.model_validate(line.model_dump()) for line in lines],
            "awaiting_manager_sign_off": awaiting_sign_off(order),
            "sanbao_warnings": list(warnings),
        }
    )


# --- check-in (process §2) --------------------------------------------------------------


async def create_check_in(uow: UnitOfWork, user: Principal, data: CheckInCreate) -> CheckIn:
    """The check-in sheet, signed by the customer. An appointment customer is flagged for
    priority and the appointment marked arrived."""
    station_id = user.acting_station(data.station_id)
    session = uow.session
    now = utcnow()
    problem = domain.mileage_problem(
        data.mileage_km,
        await last_known_mileage(session, data.vehicle.vin),
        data.mileage_correction_note,
    )
    if problem:
        raise DomainError(problem, field="mileage_km")
    priority = False
    if data.appointment_id is not None:
        appointment = await get_visible_for_update(
            session, Appointment, data.appointment_id, user, "appointment"
        )
        if appointment.station_id != station_id:
            raise DomainError("the appointment is at another station", field="appointment_id")
        if appointment.status in (AppointmentStatus.CANCELLED,):
            raise Conflict("the appointment was cancelled", field="appointment_id")
        appointment.status = AppointmentStatus.ARRIVED
        appointment.arrived_at = data.arrived_at or now
        session.add(appointment)
        priority = True
    if data.arrived_at is not None and not now - RECORDING_WINDOW <= data.arrived_at <= now:
        raise DomainError(
            "the arrival time cannot be in the future or more than 7 days ago", field="arrived_at"
        )
    check_in = CheckIn(
        station_id=station_id,
        appointment_id=data.appointment_id,
        priority=priority,
        customer_name=data.customer.name,
        customer_phone=data.customer.phone,
        vin=data.vehicle.vin,
        plate=data.vehicle.plate,
        make=data.vehicle.make,
        model=data.vehicle.model,
        mileage_km=data.mileage_km,
        mileage_correction_note=data.mileage_correction_note,
        fuel_level=data.fuel_level,
        arrived_at=data.arrived_at or now,
        started_at=now,
        belongings=data.belongings,
        documents=data.documents,
        key_tag=data.key_tag,
        signature_name=data.signature.name,
        signature_image=data.signature.image,
        signature_typed=data.signature.typed_confirmation,
        signed_at=now,
        advisor_id=user.user_id,
        covers_fitted=data.covers_fitted,
        valuables_reminded=data.valuables_reminded,
    )
    session.add(check_in)
    await session.flush()
    await file_document(
        session,
        station_id=station_id,
        kind=ArchivedKind.CHECK_IN_SHEET,
        document_no=str(check_in.id)[:8].upper(),
        signed_at=now,
        custodian=user.user_id,
        signed_by=check_in.signature_name,
        check_in_id=check_in.id,
    )
    for mark in data.damage_marks:
        session.add(
            DamageMark(
                check_in_id=check_in.id, position=mark.position, kind=mark.kind, note=mark.note
            )
        )
    return check_in


async def get_check_in(
    session: AsyncSession, user: Principal, check_in_id: uuid.UUID
) -> CheckInPublic:
    """The sheet, with the vehicle's earlier visits and the maintenance now due."""
    check_in = await get_visible(session, CheckIn, check_in_id, user, "check-in sheet")
    marks = (
        await session.exec(select(DamageMark).where(DamageMark.check_in_id == check_in.id))
    ).all()
    earlier = (
        await session.exec(
            select(RepairOrder)
            .where(
                RepairOrder.vin == check_in.vin,
                col(RepairOrder.created_at) <= check_in.started_at,
            )
            .order_by(col(RepairOrder.created_at).desc())
        )
    ).all()
    history = [
        f"{o.created_at.astimezone(STATION_TZ).date().isoformat()} {o.order_no} "
        f"{o.mileage_km} km: {o.complaint}"
        for o in earlier
    ]
    last_delivered = next((o for o in earlier if o.status == OrderStatus.DELIVERED), None)
    recommendations = []
    if last_delivered is not None:
        due = domain.maintenance_due(
            check_in.mileage_km,
            check_in.started_at.astimezone(STATION_TZ).date(),
            last_delivered.next_service_km,
            last_delivered.next_service_date,
        )
        if due:
            recommendations.append(due)
    notices = await vehicle_notices(session, user, check_in.vin, as_of=check_in.started_at)
    recommendations.extend(f"{c.kind} {c.code}: {c.title}" for c in notices.open_campaigns)
    recommendations.extend(f"{r.kind}: {r.reason}" for r in notices.due_maintenance)
    return CheckInPublic.model_validate(
        {
            **check_in.model_dump(),
            "damage_marks": [DamageMarkPublic.model_validate(m.model_dump()) for m in marks],
            "last_known_mileage_km": max((o.mileage_km for o in earlier), default=None),
            "history": history,
            "recommendations": recommendations,
            "open_campaigns": notices.open_campaigns,
            "due_maintenance": notices.due_maintenance,
            "sanbao_warnings": notices.sanbao_warnings,
        }
    )


async def wait_times(session: AsyncSession, user: Principal, day: date) -> WaitTimesPublic:
    """Reception wait time per station on a station-local day (arrival to check-in start)."""
    start, end = local_day_bounds(day)
    query = at_visible_stations(select(CheckIn), CheckIn.station_id, user).where(
        col(CheckIn.arrived_at) >= start, col(CheckIn.arrived_at) < end
    )
    waits: dict[str, list[Decimal]] = {}
    for row in (await session.exec(query)).all():
        waits.setdefault(row.station_id, []).append(
            domain.wait_minutes(row.arrived_at, row.started_at)
        )
    data = [
        StationWaitPublic(
            station_id=station,
            check_ins=len(values),
            average_wait_minutes=(sum(values, Decimal("0")) / len(values)).quantize(
                Decimal("0.01")
            ),
            longest_wait_minutes=max(values),
            over_one_minute=sum(1 for v in values if v > 1),
        )
        for station, values in sorted(waits.items())
    ]
    return WaitTimesPublic(day=day, data=data, count=len(data))


async def add_damage_photo(
    uow: UnitOfWork,
    user: Principal,
    check_in_id: uuid.UUID,
    mark_id: uuid.UUID,
    *,
    content_type: str,
    content: bytes,
    photo_dir: Path,
) -> DamageMark:
    """Attach a photo to a damage mark; the file goes under DATA_DIR, the name on the mark."""
    check_in = await get_visible(uow.session, CheckIn, check_in_id, user, "check-in sheet")
    mark = await uow.session.get(DamageMark, mark_id)
    if mark is None or mark.check_in_id != check_in.id:
        raise NotFound("damage mark")
    suffix = PHOTO_TYPES.get(content_type)
    if suffix is None:
        raise DomainError(f"a photo is JPEG, PNG or WebP, not {content_type}", field="file")
    if not content:
        raise DomainError("the photo is empty", field="file")
    if len(content) > MAX_PHOTO_BYTES:
        raise DomainError("a photo is at most 10 MB", field="file")
    folder = photo_dir / str(check_in.id)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}{suffix}"
    (folder / name).write_bytes(content)
    mark.photos = [*mark.photos, name]
    uow.session.add(mark)
    return mark


async def photo_path(
    session: AsyncSession, user: Principal, check_in_id: uuid.UUID, name: str, photo_dir: Path
) -> Path:
    check_in = await get_visible(session, CheckIn, check_in_id, user, "check-in sheet")
    marks = (
        await session.exec(select(DamageMark).where(DamageMark.check_in_id == check_in.id))
    ).all()
    if not any(name in m.photos for m in marks):
        raise NotFound("photo")
    return photo_dir / str(check_in.id) / name


# --- appointments (process §1) ----------------------------------------------------------


async def _slot_capacity(session: AsyncSession, station_id: str, slot: datetime) -> Decimal:
    setting = await session.get(CapacitySlot, (station_id, slot))
    if setting is not None:
        return setting.hours
    day = await session.get(
        DayCapacity, (station_id, slot.astimezone(STATION_TZ).date().isoformat())
    )
    if day is not None:
        free = max(day.available_hours - day.booked_hours, Decimal("0"))
        return (free / len(OPENING_HOURS_LOCAL)).quantize(Decimal("0.01"))
    return reception_settings().default_slot_hours


async def _booked(
    session: AsyncSession,
    station_id: str,
    start: datetime,
    end: datetime,
    exclude: uuid.UUID | None = None,
) -> dict[datetime, Decimal]:
    rows = (
        await session.exec(
            select(Appointment).where(
                Appointment.station_id == station_id,
                col(Appointment.status).in_([AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED]),
                col(Appointment.starts_at) >= start,
                col(Appointment.starts_at) < end,
            )
        )
    ).all()
    booked: dict[datetime, Decimal] = {}
    for row in rows:
        if row.id == exclude:
            continue
        slot = domain.slot_of(row.starts_at)
        booked[slot] = booked.get(slot, Decimal("0")) + row.estimated_hours
    return booked


def is_open_slot(slot: datetime, station_id: str | None = None) -> bool:
    """A bookable hour: within the booking hours, on a day the station is open (not on a
    public holiday; 调休 make-up days are working days)."""
    if slot.astimezone(STATION_TZ).hour not in OPENING_HOURS_LOCAL:
        return False
    if station_id is None:
        return True
    calendar = calendar_for(station_id)
    return calendar.is_open(calendar.local_day(slot))


async def _check_slot(
    session: AsyncSession,
    station_id: str,
    starts_at: datetime,
    hours: Decimal,
    exclude: uuid.UUID | None = None,
) -> None:
    """A full slot is refused with the next free slots."""
    slot = domain.slot_of(starts_at)
    if not is_open_slot(slot):
        raise DomainError(
            "the station books appointments 08:00–18:00 local time", field="starts_at"
        )
    if not is_open_slot(slot, station_id):
        raise DomainError(
            f"the station is closed on {calendar_for(station_id).local_day(slot).isoformat()} "
            "(public holiday): choose another day",
            field="starts_at",
        )
    horizon = timedelta(days=14)
    booked = await _booked(session, station_id, slot, slot + horizon, exclude)
    capacity = await _slot_capacity(session, station_id, slot)
    if domain.slot_has_room(capacity, booked.get(slot, Decimal("0")), hours):
        return
    capacities: dict[datetime, Decimal] = {}
    candidate = slot
    while candidate < slot + horizon:
        if is_open_slot(candidate, station_id):
            capacities[candidate] = await _slot_capacity(session, station_id, candidate)
        candidate += domain.SLOT
    free = domain.next_free_slots(
        slot,
        hours,
        capacities,
        booked,
        # only the open slots listed above can take a booking (closed hours and holidays: 0)
        default_capacity=Decimal("0"),
        opening_hours=range(0, 24),
    )
    raise Conflict(
        f"the slot at {slot.isoformat()} is full; next free slots: "
        + (", ".join(s.isoformat() for s in free) or "none in the next two weeks"),
        field="starts_at",
        code="slot_full",
    )


def _appointment_public(row: Appointment) -> AppointmentPublic:
    return AppointmentPublic.model_validate(row.model_dump())


async def _remind_or_schedule(uow: UnitOfWork, appointment: Appointment) -> None:
    now = utcnow()
    if domain.reminder_action(now, appointment.starts_at) == ReminderAction.SEND_NOW:
        send_reminder(uow, appointment)
    else:
        await schedule(
            uow.session,
            kind=TASK_APPOINTMENT_REMINDER,
            key=_reminder_key(appointment),
            due_at=domain.reminder_due_at(appointment.starts_at),
            payload={"appointment_id": str(appointment.id)},
            station_id=appointment.station_id,
        )


def _reminder_key(appointment: Appointment) -> str:
    return f"appointment-reminder:{appointment.id}:{appointment.starts_at.isoformat()}"


def send_reminder(uow: UnitOfWork, appointment: Appointment) -> None:
    appointment.reminder_sent_at = utcnow()
    uow.session.add(appointment)
    uow.emit(
        events.AppointmentReminderDue(
            appointment_id=appointment.id,
            customer=customer_ref(
                appointment.customer_id,
                appointment.customer_name,
                appointment.customer_phone,
                False,
            ),
            vehicle=events.VehicleRef(vin=appointment.vin, plate=appointment.plate),
            starts_at=appointment.starts_at,
        ),
        station_id=appointment.station_id,
        correlation_id=appointment.id,
    )


async def reminder_task(uow: UnitOfWork, appointment_id: uuid.UUID) -> None:
    """The scheduler's call: remind if the appointment still stands and was not reminded."""
    appointment = await uow.session.get(Appointment, appointment_id)
    if appointment is None or appointment.status != AppointmentStatus.BOOKED:
        return
    if appointment.reminder_sent_at is None:
        send_reminder(uow, appointment)


def _announce_booking(uow: UnitOfWork, appointment: Appointment) -> None:
    uow.emit(
        events.AppointmentBooked(
            appointment_id=appointment.id,
            customer=customer_ref(
                appointment.customer_id,
                appointment.customer_name,
                appointment.customer_phone,
                False,
            ),
            vehicle=events.VehicleRef(vin=appointment.vin, plate=appointment.plate),
            starts_at=appointment.starts_at,
            requested_work=appointment.requested_work,
            estimated_hours=appointment.estimated_hours,
        ),
        station_id=appointment.station_id,
        correlation_id=appointment.id,
    )


def _check_booking_time(starts_at: datetime, now: datetime) -> None:
    if starts_at <= now:
        raise DomainError("the appointment must be in the future", field="starts_at")
    if starts_at > now + BOOKING_HORIZON:
        raise DomainError("appointments are booked at most 180 days ahead", field="starts_at")


async def _check_parts_in_time(
    session: AsyncSession,
    station_id: str,
    starts_at: datetime,
    parts: list[dict[str, Any]],
    field: str,
) -> None:
    """Note each ordered part's live availability on it; refuse a time before a short part
    is expected (a part with no expected date yet is ordered and may come in time)."""
    stock = await stock_levels(session, station_id, [str(p["part_no"]) for p in parts])
    day = calendar_for(station_id).local_day(starts_at)
    for index, part in enumerate(parts):
        level = stock.get(str(part["part_no"]))
        quantity = Decimal(str(part.get("quantity", "1")))
        available = level.available if level else None
        expected_on = level.expected_on if level else None
        part["availability"] = domain.availability(quantity, available).value
        part["expected_on"] = expected_on.isoformat() if expected_on else None
        if domain.part_arrives_too_late(day, quantity, available, expected_on):
            assert expected_on is not None
            raise DomainError(
                f"part {part['part_no']} is short and expected on {expected_on.isoformat()}, "
                f"after the appointment on {day.isoformat()}: agree a time from that day",
                field=field if field == "starts_at" else f"{field}.{index}",
            )


async def book_appointment(
    uow: UnitOfWork, user: Principal, data: AppointmentCreate
) -> Appointment:
    """Book: the slot must have room; expensive parts ordered need a deposit of at least
    half their price; the workshop is told (``appointment.booked``); the reminder is sent
    now when its window is already open, else scheduled."""
    station_id = user.acting_station(data.station_id)
    now = utcnow()
    _check_booking_time(data.starts_at, now)
    required = domain.deposit_required((p.quantity, p.unit_price) for p in data.parts_to_order)
    if data.deposit_paid < required:
        raise DomainError(
            "expensive parts are ordered for this appointment: "
            f"a deposit of at least ¥{required} is due",
            field="deposit_paid",
        )
    await _check_slot(uow.session, station_id, data.starts_at, data.estimated_hours)
    parts = [p.model_dump(mode="json") for p in data.parts_to_order]
    await _check_parts_in_time(uow.session, station_id, data.starts_at, parts, "parts_to_order")
    appointment = Appointment(
        station_id=station_id,
        customer_id=customer_id_of(data.customer),
        customer_name=data.customer.name,
        customer_phone=data.customer.phone,
        vin=data.vehicle.vin,
        plate=data.vehicle.plate,
        starts_at=data.starts_at,
        estimated_hours=data.estimated_hours,
        requested_work=data.requested_work,
        channel=data.channel,
        parts_to_order=parts,
        deposit_required=required,
        deposit_paid=data.deposit_paid,
        booked_by=user.user_id,
        created_at=now,
    )
    uow.session.add(appointment)
    _announce_booking(uow, appointment)
    await _remind_or_schedule(uow, appointment)
    return appointment


async def move_appointment(
    uow: UnitOfWork, user: Principal, appointment_id: uuid.UUID, data: AppointmentMove
) -> Appointment:
    """Move to another time (same capacity rule); ``appointment.moved`` carries the previous
    and the new time, and the reminder follows the new time."""
    appointment: Appointment = await get_visible_for_update(
        uow.session, Appointment, appointment_id, user, "appointment"
    )
    _check_version(appointment.version, data.version, "appointment")
    if appointment.status != AppointmentStatus.BOOKED:
        raise Conflict(f"the appointment is {appointment.status.value}")
    _check_booking_time(data.starts_at, utcnow())
    await _check_slot(
        uow.session,
        appointment.station_id,
        data.starts_at,
        appointment.estimated_hours,
        exclude=appointment.id,
    )
    await _check_parts_in_time(
        uow.session,
        appointment.station_id,
        data.starts_at,
        [dict(part) for part in appointment.parts_to_order],
        "starts_at",
    )
    await cancel_task(uow.session, _reminder_key(appointment))
    previous = appointment.starts_at
    appointment.starts_at = data.starts_at
    appointment.reminder_sent_at = None
    appointment.version += 1
    uow.session.add(appointment)
    uow.emit(
        events.AppointmentMoved(
            appointment_id=appointment.id,
            starts_at=appointment.starts_at,
            previous_starts_at=previous,
            estimated_hours=appointment.estimated_hours,
            reason=data.reason,
        ),
        station_id=appointment.station_id,
        correlation_id=appointment.id,
    )
    await _remind_or_schedule(uow, appointment)
    return appointment


async def end_appointment(
    uow: UnitOfWork,
    user: Principal,
    appointment_id: uuid.UUID,
    data: AppointmentCancel,
    *,
    no_show: bool,
) -> Appointment:
    """Cancellation or no-show, recorded and announced (the workshop frees the bay)."""
    appointment: Appointment = await get_visible_for_update(
        uow.session, Appointment, appointment_id, user, "appointment"
    )
    if appointment.status != AppointmentStatus.BOOKED:
        raise Conflict(f"the appointment is {appointment.status.value}")
    if no_show and utcnow() < appointment.starts_at:
        raise Conflict("a no-show is recorded only after the appointment time", field="starts_at")
    appointment.status = AppointmentStatus.NO_SHOW if no_show else AppointmentStatus.CANCELLED
    appointment.cancel_reason = data.reason
    appointment.version += 1
    uow.session.add(appointment)
    await cancel_task(uow.session, _reminder_key(appointment))
    uow.emit(
        events.AppointmentCancelled(
            appointment_id=appointment.id, reason=data.reason, no_show=no_show
        ),
        station_id=appointment.station_id,
        correlation_id=appointment.id,
    )
    return appointment


async def list_appointments(
    session: AsyncSession,
    user: Principal,
    *,
    day: date | None,
    status: AppointmentStatus | None,
    offset: int,
    limit: int,
) -> AppointmentsPublic:
    query = at_visible_stations(select(Appointment), Appointment.station_id, user)
    if day is not None:
        start, end = local_day_bounds(day)
        query = query.where(col(Appointment.starts_at) >= start, col(Appointment.starts_at) < end)
    if status is not None:
        query = query.where(Appointment.status == status)
    count = await count_rows(session, query)
    rows = (
        await session.exec(query.order_by(col(Appointment.starts_at)).offset(offset).limit(limit))
    ).all()
    return AppointmentsPublic(data=[_appointment_public(r) for r in rows], count=count)


async def appointment_register(
    session: AsyncSession, user: Principal, station_id: str, day: date
) -> list[AppointmentPublic]:
    """Every appointment of the station-local day at one station, whatever became of it."""
    user.check_station(station_id, "station")
    start, end = local_day_bounds(day)
    rows = (
        await session.exec(
            select(Appointment)
            .where(
                Appointment.station_id == station_id,
                col(Appointment.starts_at) >= start,
                col(Appointment.starts_at) < end,
            )
            .order_by(col(Appointment.starts_at))
        )
    ).all()
    return [_appointment_public(row) for row in rows]


async def get_appointment(
    session: AsyncSession, user: Principal, appointment_id: uuid.UUID
) -> AppointmentPublic:
    return _appointment_public(
        await get_visible(session, Appointment, appointment_id, user, "appointment")
    )


async def set_capacity(
    uow: UnitOfWork, user: Principal, station_id: str, slot_start: datetime, data: CapacitySet
) -> CapacityPublic:
    user.check_station(station_id, "station")
    slot = domain.slot_of(slot_start.astimezone(UTC))
    if slot != slot_start:
        raise DomainError("a slot starts on the whole hour", field="slot_start")
    now = utcnow()
    if not now - timedelta(days=1) <= slot <= now + BOOKING_HORIZON:
        raise DomainError("set capacity for the next 180 days", field="slot_start")
    setting = await uow.session.get(CapacitySlot, (station_id, slot))
    if setting is None:
        setting = CapacitySlot(
            station_id=station_id, slot_start=slot, hours=data.hours, bays=data.bays
        )
    setting.hours, setting.bays = data.hours, data.bays
    uow.session.add(setting)
    booked = await _booked(uow.session, station_id, slot, slot + domain.SLOT)
    return CapacityPublic(
        station_id=station_id,
        slot_start=slot,
        hours=data.hours,
        bays=data.bays,
        booked_hours=booked.get(slot, Decimal("0")),
    )


async def capacity_published(uow: UnitOfWork, event: events.CapacityPublished) -> None:
    """Keep the workshop's sellable hours per day (the default per-slot capacity)."""
    station_id = uow.event.station_id
    row = await uow.session.get(DayCapacity, (station_id, event.day.isoformat()))
    if row is None:
        row = DayCapacity(
            station_id=station_id,
            day=event.day.isoformat(),
            available_hours=event.available_hours,
            booked_hours=event.booked_hours,
        )
    row.available_hours, row.booked_hours, row.technicians = (
        event.available_hours,
        event.booked_hours,
        event.technicians,
    )
    uow.session.add(row)


# --- additional work (process §5) -------------------------------------------------------


async def additional_found(uow: UnitOfWork, event: events.WorkAdditionalFound) -> None:
    """A technician's finding: kept for the advisor to price and put to the customer."""
    order = await uow.session.get(RepairOrder, event.order_id)
    if order is None:
        raise DomainError(f"work.additional_found for unknown order {event.order_id}")
    if await uow.session.get(AdditionalWork, event.finding_id) is not None:
        return
    uow.session.add(
        AdditionalWork(
            id=event.finding_id,
            order_id=order.id,
            station_id=order.station_id,
            job_id=event.job_id,
            description=event.description,
            safety_relevant=event.safety_relevant,
            suggested_lines=[line.model_dump(mode="json") for line in event.suggested_lines],
            estimated_delay_minutes=event.estimated_delay_minutes,
            reported_by=event.reported_by,
            found_at=uow.event.occurred_at,
        )
    )


def _finding_public(row: AdditionalWork) -> FindingPublic:
    return FindingPublic.model_validate(
        {**row.model_dump(), "link_expires_at": row.link_expires_at}
    )


async def list_findings(
    session: AsyncSession,
    user: Principal,
    *,
    order_id: uuid.UUID | None,
    status: FindingStatus | None,
) -> FindingsPublic:
    query = at_visible_stations(select(AdditionalWork), AdditionalWork.station_id, user)
    if order_id is not None:
        query = query.where(AdditionalWork.order_id == order_id)
    if status is not None:
        query = query.where(AdditionalWork.status == status)
    count = await count_rows(session, query)
    rows = (await session.exec(query.order_by(col(AdditionalWork.found_at)))).all()
    return FindingsPublic(data=[_finding_public(r) for r in rows], count=count)


async def get_finding(
    session: AsyncSession, user: Principal, finding_id: uuid.UUID
) -> FindingPublic:
    return _finding_public(await get_visible(session, AdditionalWork, finding_id, user, "finding"))


async def price_finding(
    uow: UnitOfWork, user: Principal, finding_id: uuid.UUID, data: FindingPricing
) -> AdditionalWork:
    """The advisor prices the finding from the price list before calling the customer."""
    finding: AdditionalWork = await get_visible_for_update(
        uow.session, AdditionalWork, finding_id, user, "finding"
    )
    if finding.status not in (FindingStatus.FOUND, FindingStatus.PRICED):
        raise Conflict(f"the finding is already {finding.status.value}")
    order = await uow.session.get(RepairOrder, finding.order_id)
    assert order is not None
    estimate_in = EstimateIn(
        category=order.category,
        estimate_method=order.estimate_method,
        lines=[EstimateLineIn(**line.model_dump(exclude_none=True)) for line in data.lines],
    )
    priced = price_estimate(
        order.station_id,
        estimate_in,
        queue_hours=Decimal("0"),
        technicians=1,
        now=utcnow(),
    )
    finding.priced_lines = [line.model_dump(mode="json") for line in priced.lines]
    finding.price = priced.public.total
    finding.priced_by = user.user_id
    finding.status = FindingStatus.PRICED
    uow.session.add(finding)
    return finding


async def decide_finding(
    uow: UnitOfWork,
    finding: AdditionalWork,
    *,
    approved: bool,
    recorded_by: str,
    via: str,
    told_at: datetime | None = None,
    workshop_told: str | None = None,
    order_version: int | None = None,
) -> AdditionalWork:
    """Approved: the lines join the order (its version moves on) and the workshop is told;
    declined: recorded with who told whom and when, kept as declined work for CRM."""
    if finding.status == FindingStatus.FOUND:
        raise Conflict("price the finding before asking the customer", field="status")
    if finding.status != FindingStatus.PRICED:
        raise Conflict(f"the finding is already {finding.status.value}")
    order: RepairOrder | None = (
        await uow.session.exec(
            select(RepairOrder).where(RepairOrder.id == finding.order_id).with_for_update()
        )
    ).first()
    assert order is not None
    _check_version(order.version, order_version, "repair order")
    if order.status != OrderStatus.OPEN:
        raise Conflict(f"order {order.order_no} is {order.status.value}: no work can be added")
    now = utcnow()
    finding.decided_at = now
    finding.decided_via = via
    finding.customer_told_by = recorded_by
    finding.customer_told_at = told_at or now
    finding.workshop_told = workshop_told
    finding.link_token_hash = None
    if approved:
        existing = await order_lines(uow.session, order.id)
        position = len(existing)
        rows = []
        for index, line in enumerate(finding.priced_lines):
            rows.append(
                RepairOrderLine(
                    order_id=order.id,
                    position=position + index,
                    kind=LineKind(line["kind"]),
                    code=line["code"],
                    description=line["description"],
                    quantity=Decimal(line["quantity"]),
                    hours=Decimal(line["hours"]) if line.get("hours") is not None else None,
                    unit_price=Decimal(line["unit_price"]),
                    pay_type=PayType(line["pay_type"]),
                    skill=line.get("skill"),
                    major_system=line.get("major_system"),
                    finding_id=finding.id,
                )
            )
        uow.session.add_all(rows)
        await close_campaigns(uow.session, order, rows, now)
        order.total = domain.order_total([*existing, *rows])
        order.flagged_for_manager = order.flagged_for_manager or domain.needs_manager(
            order.total, vip=order.customer_vip
        )
        if order.promised_at is not None and finding.estimated_delay_minutes:
            order.promised_at = domain.delayed_promise(
                order.promised_at,
                timedelta(minutes=finding.estimated_delay_minutes),
                calendar_for(order.station_id),
            )
        order.version += 1
        uow.session.add(order)
        finding.status = FindingStatus.APPROVED
        uow.emit(
            events.WorkAdditionalApproved(
                finding_id=finding.id,
                order_id=order.id,
                lines=[contract_line(r) for r in rows],
                approved_at=now,
                approved_via=via,
            ),
            station_id=order.station_id,
            correlation_id=order.id,
        )
    else:
        finding.status = FindingStatus.DECLINED
        # the recommended-work sheet (建议项目表) the customer signs: one per order
        await file_document(
            uow.session,
            station_id=order.station_id,
            kind=ArchivedKind.RECOMMENDED_WORK,
            document_no=order.order_no,
            signed_at=now,
            custodian=order.advisor_id if via == "link" else recorded_by,
            signed_by=order.customer_name,
            order_id=order.id,
        )
        uow.emit(
            events.WorkAdditionalDeclined(
                finding_id=finding.id,
                order_id=order.id,
                safety_relevant=finding.safety_relevant,
                declined_at=finding.customer_told_at,
                recorded_by=recorded_by,
                workshop_told=workshop_told,
            ),
            station_id=order.station_id,
            correlation_id=order.id,
        )
    uow.session.add(finding)
    return finding


async def record_decision(
    uow: UnitOfWork, user: Principal, finding_id: uuid.UUID, data: FindingDecision
) -> AdditionalWork:
    finding: AdditionalWork = await get_visible_for_update(
        uow.session, AdditionalWork, finding_id, user, "finding"
    )
    now = utcnow()
    if data.told_at is not None and not now - RECORDING_WINDOW <= data.told_at <= now:
        raise DomainError(
            "the customer was told in the last 7 days, not in the future", field="told_at"
        )
    return await decide_finding(
        uow,
        finding,
        approved=data.approved,
        recorded_by=user.user_id,
        via="phone",
        told_at=data.told_at,
        workshop_told=data.workshop_told,
        order_version=data.order_version,
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def approval_link(
    uow: UnitOfWork, user: Principal, finding_id: uuid.UUID
) -> ApprovalLinkPublic:
    """A link the customer opens without an account; only its hash is stored; it expires."""
    finding: AdditionalWork = await get_visible_for_update(
        uow.session, AdditionalWork, finding_id, user, "finding"
    )
    if finding.status != FindingStatus.PRICED:
        raise Conflict("only a priced, undecided finding can be sent to the customer")
    token = secrets.token_urlsafe(32)
    finding.link_token_hash = _token_hash(token)
    finding.link_expires_at = utcnow() + timedelta(hours=reception_settings().approval_link_hours)
    uow.session.add(finding)
    return ApprovalLinkPublic(
        token=token, url=f"/approvals/{token}", expires_at=finding.link_expires_at
    )


async def _finding_by_token(
    session: AsyncSession, token: str, *, lock: bool = False
) -> AdditionalWork:
    query = select(AdditionalWork).where(AdditionalWork.link_token_hash == _token_hash(token))
    finding = (await session.exec(query.with_for_update() if lock else query)).first()
    if finding is None:
        raise Gone("this link is no longer valid: it was used or replaced", code="link_invalid")
    if finding.link_expires_at is None or finding.link_expires_at <= utcnow():
        raise Gone(
            "this link has expired: ask your service advisor for a new one", code="link_expired"
        )
    return finding


async def customer_view(session: AsyncSession, token: str) -> CustomerFindingView:
    finding = await _finding_by_token(session, token)
    order = await session.get(RepairOrder, finding.order_id)
    assert order is not None and finding.link_expires_at is not None
    return CustomerFindingView(
        order_no=order.order_no,
        vehicle=" ".join(filter(None, [order.make, order.model, order.plate])) or order.vin,
        description=finding.description,
        safety_relevant=finding.safety_relevant,
        lines=[
            {k: line[k] for k in ("description", "quantity", "hours", "unit_price", "amount")}
            for line in finding.priced_lines
        ],
        price=finding.price or Decimal("0"),
        delay_minutes=finding.estimated_delay_minutes,
        status=finding.status,
        expires_at=finding.link_expires_at,
    )


async def decide_by_link(uow: UnitOfWork, token: str, approved: bool) -> AdditionalWork:
    finding = await _finding_by_token(uow.session, token, lock=True)
    return await decide_finding(
        uow, finding, approved=approved, recorded_by="customer (link)", via="link"
    )


# --- settlement and delivery (process §7) -----------------------------------------------


async def vehicle_completed(uow: UnitOfWork, event: events.VehicleCompleted) -> None:
    """The workshop passed the car: draw up the settlement from the lines actually done."""
    order = await uow.session.get(RepairOrder, event.order_id)
    if order is None:
        raise DomainError(f"vehicle.completed for unknown order {event.order_id}")
    if order.status != OrderStatus.OPEN:
        return
    order.status = OrderStatus.COMPLETED
    order.completed_at = event.completed_at
    order.version += 1
    uow.session.add(order)
    lines = await order_lines(uow.session, order.id)
    labour = [
        domain.Done(d.line_id, d.operation_code, d.sold_hours) for d in event.labour_done
    ] or None
    parts = [domain.Done(p.line_id, p.part_no, p.quantity) for p in event.parts_used] or None
    settled = domain.settle(
        lines, labour_done=labour, parts_used=parts, free_codes=[ln.code for ln in lines if ln.free]
    )
    customer_gross = settled.total_for(PayType.CUSTOMER.value)
    record = SettlementRecord(
        order_id=order.id,
        station_id=order.station_id,
        lines=[
            {
                **vars(line),
                "quantity": str(line.quantity),
                "hours": None if line.hours is None else str(line.hours),
                "unit_price": str(line.unit_price),
                "amount": str(line.amount),
                "estimated_amount": str(line.estimated_amount),
            }
            for line in settled.lines
        ],
        gross=settled.gross,
        estimated=settled.estimated,
        customer_gross=customer_gross,
        discount=Decimal("0"),
        discount_requested=Decimal("0"),
        tax_included=domain.tax_included(customer_gross),
        paid=Decimal("0"),
        on_account=Decimal("0"),
        created_at=utcnow(),
    )
    await _maybe_issue_exit_pass(uow.session, order, record, order.advisor_id)
    uow.session.add(record)


def _customer_due(record: SettlementRecord) -> Decimal:
    return record.customer_gross - record.discount


def _balance(record: SettlementRecord) -> Decimal:
    return domain.balance_due(_customer_due(record), [record.paid, record.on_account])


async def _maybe_issue_exit_pass(
    session: AsyncSession, order: RepairOrder, record: SettlementRecord, by: str
) -> None:
    """Settled in full (paid or on account) and, for a flagged order, signed off by the
    service manager: the exit pass (出厂通知单) is issued."""
    if (
        record.exit_pass_no is None
        and record.discount_status != DiscountStatus.PENDING_MANAGER
        and not awaiting_sign_off(order)
        and _balance(record) <= 0
    ):
        record.exit_pass_no = f"EP-{order.order_no[3:]}"
        record.exit_pass_at = utcnow()
        # settled: the settlement and the exit pass are signed and go to the archive
        for kind, number in (
            (ArchivedKind.SETTLEMENT, order.order_no),
            (ArchivedKind.EXIT_PASS, record.exit_pass_no),
        ):
            await file_document(
                session,
                station_id=order.station_id,
                kind=kind,
                document_no=number,
                signed_at=record.exit_pass_at,
                custodian=by,
                signed_by=order.customer_name,
                order_id=order.id,
            )


async def _settlement(
    session: AsyncSession, user: Principal, order_id: uuid.UUID, *, lock: bool = False
) -> tuple[RepairOrder, SettlementRecord]:
    order = await _visible_order(session, user, order_id)
    query = select(SettlementRecord).where(SettlementRecord.order_id == order.id)
    record = (await session.exec(query.with_for_update() if lock else query)).first()
    if record is None:
        raise Conflict(
            f"order {order.order_no} has no settlement yet: the workshop has not completed it"
        )
    return order, record


async def get_settlement(
    session: AsyncSession, user: Principal, order_id: uuid.UUID
) -> SettlementPublic:
    order, record = await _settlement(session, user, order_id)
    payments = (
        await session.exec(
            select(Payment).where(Payment.order_id == order.id).order_by(col(Payment.received_at))
        )
    ).all()
    public = settlement_public(order, record, payments)
    public.documents = await fiscal.documents_of(session, order_id=order.id)
    public.undocumented_paid, public.undocumented_on_account = fiscal.undocumented(payments)
    return public


def settlement_public(
    order: RepairOrder, record: SettlementRecord, payments: Sequence[Payment]
) -> SettlementPublic:
    differences = [
        f"{line['description']}: {line['difference_note']}"
        for line in record.lines
        if line.get("difference_note")
    ]
    if order.total != order.estimated_total:
        differences.append(
            f"additional work approved by the customer: +¥{order.total - order.estimated_total}"
        )
    return SettlementPublic(
        order_id=order.id,
        order_no=order.order_no,
        station_id=order.station_id,
        lines=record.lines,
        gross=record.gross,
        estimated=order.estimated_total,
        difference=record.gross - order.estimated_total,
        differences=differences,
        customer_gross=record.customer_gross,
        discount=record.discount,
        discount_reason=record.discount_reason,
        discount_status=record.discount_status,
        discount_requested=record.discount_requested,
        tax_included=record.tax_included,
        customer_due=_customer_due(record),
        paid=record.paid,
        on_account=record.on_account,
        balance=_balance(record),
        payments=[PaymentPublic.model_validate(p.model_dump()) for p in payments],
        exit_pass_no=record.exit_pass_no,
        exit_pass_at=record.exit_pass_at,
        version=record.version,
        awaiting_manager_sign_off=awaiting_sign_off(order),
    )


async def request_discount(
    uow: UnitOfWork, user: Principal, order_id: uuid.UUID, data: DiscountRequest
) -> None:
    """Within the advisor's allowance it is granted; above it the supervisor decides."""
    order, record = await _settlement(uow.session, user, order_id, lock=True)
    _check_version(record.version, data.version, "settlement")
    if record.exit_pass_no is not None or record.paid > 0 or record.on_account > 0:
        raise Conflict("payment has started: a discount can no longer be given")
    if data.amount > record.customer_gross:
        raise DomainError(
            f"the discount cannot exceed the customer's share ¥{record.customer_gross}",
            field="amount",
        )
    record.discount_reason = data.reason
    record.discount_requested = data.amount
    record.discount_requested_by = user.user_id
    allowance = reception_settings().advisor_discount_limit
    if user.role in MANAGERS or not domain.discount_needs_manager(
        data.amount, record.customer_gross, allowance
    ):
        record.discount, record.discount_status = data.amount, DiscountStatus.GRANTED
        record.discount_approved_by = user.user_id
    else:
        record.discount, record.discount_status = Decimal("0"), DiscountStatus.PENDING_MANAGER
    record.version += 1
    await _maybe_issue_exit_pass(uow.session, order, record, user.user_id)
    uow.session.add(record)


async def decide_discount(
    uow: UnitOfWork, user: Principal, order_id: uuid.UUID, data: DiscountDecision
) -> None:
    order, record = await _settlement(uow.session, user, order_id, lock=True)
    _check_version(record.version, data.version, "settlement")
    if record.discount_status != DiscountStatus.PENDING_MANAGER:
        raise Conflict("no discount is waiting for a decision")
    if data.approved:
        record.discount, record.discount_status = record.discount_requested, DiscountStatus.GRANTED
    else:
        record.discount, record.discount_status = Decimal("0"), DiscountStatus.REFUSED
    record.discount_approved_by = user.user_id
    record.version += 1
    await _maybe_issue_exit_pass(uow.session, order, record, user.user_id)
    uow.session.add(record)


async def take_payment(
    uow: UnitOfWork, user: Principal, order_id: uuid.UUID, data: PaymentCreate
) -> None:
    """The cashier takes a payment (partial ones too) or books the rest on account; when the
    balance reaches zero the exit pass is issued."""
    order, record = await _settlement(uow.session, user, order_id, lock=True)
    if record.discount_status == DiscountStatus.PENDING_MANAGER:
        raise Conflict("a discount is waiting for the supervisor's decision")
    balance = _balance(record)
    if data.amount > balance:
        raise DomainError(f"the amount exceeds the balance due ¥{balance}", field="amount")
    if data.document is not None:
        fiscal.check_request(data.document, "document.")
        if data.document.on_account != (data.method == PaymentMethod.ON_ACCOUNT):
            raise DomainError(
                "the document's on_account must match the payment method",
                field="document.on_account",
            )
    if data.method == PaymentMethod.ON_ACCOUNT:
        record.on_account += data.amount
    else:
        record.paid += data.amount
    uow.session.add(
        Payment(
            order_id=order.id,
            station_id=order.station_id,
            method=data.method,
            amount=data.amount,
            reference=data.reference,
            received_by=user.user_id,
            received_at=utcnow(),
        )
    )
    record.version += 1
    await _maybe_issue_exit_pass(uow.session, order, record, user.user_id)
    uow.session.add(record)
    if data.document is not None:
        await uow.session.flush()
        await issue_order_document(uow, user, order, record, data.document)


def _invoice_lines(record: SettlementRecord) -> list[dict[str, Any]]:
    """What the customer pays for, as on the settlement: the customer's lines (free ones
    left out) and the discount."""
    lines: list[dict[str, Any]] = [
        {"description": line["description"], "kind": line["kind"], "amount": line["amount"]}
        for line in record.lines
        if line.get("pay_type") == PayType.CUSTOMER.value and not line.get("free")
    ]
    if record.discount:
        lines.append(
            {
                "description": f"优惠 discount {record.discount_reason or ''}".strip(),
                "kind": "discount",
                "amount": str(-record.discount),
            }
        )
    return lines


async def issue_order_document(
    uow: UnitOfWork,
    user: Principal,
    order: RepairOrder,
    record: SettlementRecord,
    request: FiscalDocumentRequest,
) -> uuid.UUID:
    """The cashier issues the invoice or receipt for the order's payments not yet on one."""
    payments = (await uow.session.exec(select(Payment).where(Payment.order_id == order.id))).all()
    document = await fiscal.issue(
        uow.session,
        station_id=order.station_id,
        request=request,
        payments=payments,
        reference_no=order.order_no,
        customer_name=order.customer_name,
        lines=_invoice_lines(record),
        issued_by=user.user_id,
        order_id=order.id,
    )
    return document.id


async def issue_document_for_order(
    uow: UnitOfWork, user: Principal, order_id: uuid.UUID, request: FiscalDocumentRequest
) -> uuid.UUID:
    order, record = await _settlement(uow.session, user, order_id, lock=True)
    return await issue_order_document(uow, user, order, record, request)


def next_service(
    order: RepairOrder, data: DeliveryCreate, delivered_at: datetime
) -> tuple[date, int]:
    when = data.next_service_date or (delivered_at + timedelta(days=NEXT_SERVICE_DAYS)).date()
    km = (
        data.next_service_km
        if data.next_service_km is not None
        else order.mileage_km + NEXT_SERVICE_KM
    )
    return when, km


async def deliver(
    uow: UnitOfWork, user: Principal, order_id: uuid.UUID, data: DeliveryCreate
) -> RepairOrder:
    """Hand the car over (交车): settled with an exit pass, and the customer has checked it
    against the check-in sheet and signed."""
    order: RepairOrder = await get_visible_for_update(
        uow.session, RepairOrder, order_id, user, "repair order"
    )
    if order.status != OrderStatus.COMPLETED:
        raise Conflict(f"order {order.order_no} is {order.status.value}, not completed")
    if awaiting_sign_off(order):
        raise Conflict(
            f"order {order.order_no} is flagged for the service manager (over ¥10,000 or a VIP "
            "customer): the manager signs it off before the car is delivered",
            field="manager_sign_off",
        )
    _, record = await _settlement(uow.session, user, order_id)
    if record.exit_pass_no is None:
        raise Conflict(
            f"order {order.order_no} is not settled: balance ¥{_balance(record)} at the cashier"
        )
    if not data.customer_accepted:
        raise DomainError(
            "the customer must check the car and sign before delivery", field="customer_accepted"
        )
    for name in ("belongings_checked", "bodywork_checked"):
        if getattr(data, name) is False:
            raise DomainError(
                "the customer checks belongings and bodywork against the check-in sheet "
                "before accepting the car",
                field=name,
            )
    for name in ("documents_returned", "keys_returned"):
        if getattr(data, name) is False:
            raise DomainError(
                "the vehicle's documents and keys are handed back at delivery", field=name
            )
    if data.signature is None and reception_settings().delivery_signature_required:
        raise DomainError(
            "the customer signs to accept the car: give the acceptance signature",
            field="signature",
        )
    now = utcnow()
    if data.next_service_km is not None and data.next_service_km <= order.mileage_km:
        raise DomainError("the next service mileage must be above today's", field="next_service_km")
    if data.next_service_date is not None and data.next_service_date <= now.date():
        raise DomainError("the next service date must be in the future", field="next_service_date")
    if data.next_appointment_id is not None:
        booked = await uow.session.get(Appointment, data.next_appointment_id)
        if (
            booked is None
            or booked.station_id != order.station_id
            or booked.vin != order.vin
            or booked.status != AppointmentStatus.BOOKED
            or booked.starts_at <= now
        ):
            raise DomainError(
                "the next appointment must be a booked future appointment for this vehicle at "
                "this station",
                field="next_appointment_id",
            )
    signature = data.signature
    uow.session.add(
        DeliveryRecord(
            order_id=order.id,
            station_id=order.station_id,
            belongings_checked=True,
            bodywork_checked=True,
            signature_name=signature.name if signature else order.customer_name,
            signature_image=signature.image if signature else None,
            signature_typed=signature.typed_confirmation if signature else None,
            signature_captured=signature is not None,
            covers_removed=data.covers_removed,
            work_explained=data.work_explained,
            documents_returned=data.documents_returned,
            keys_returned=data.keys_returned,
            next_service_told=data.next_service_told,
            next_booking_suggested=(
                True if data.next_appointment_id is not None else data.next_booking_suggested
            ),
            next_appointment_id=data.next_appointment_id,
            follow_up_call_announced=data.follow_up_call_announced,
            note=data.note,
            delivered_by=user.user_id,
            accepted_at=now,
        )
    )
    await file_document(
        uow.session,
        station_id=order.station_id,
        kind=ArchivedKind.DELIVERY_ACCEPTANCE,
        document_no=order.order_no,
        signed_at=now,
        custodian=user.user_id,
        signed_by=signature.name if signature else order.customer_name,
        order_id=order.id,
    )
    when, km = next_service(order, data, now)
    order.status = OrderStatus.DELIVERED
    order.delivered_at = now
    order.next_service_km, order.next_service_date = km, when
    order.version += 1
    uow.session.add(order)
    uow.emit(
        events.VehicleDelivered(
            order_id=order.id,
            customer=customer_ref(
                order.customer_id, order.customer_name, order.customer_phone, order.customer_vip
            ),
            vehicle=events.VehicleRef(
                vin=order.vin,
                plate=order.plate,
                make=order.make,
                model=order.model,
                mileage_km=order.mileage_km,
            ),
            delivered_at=now,
            advisor_id=order.advisor_id,
            total=record.gross - record.discount,
            next_service_date=when,
            next_service_km=km,
        ),
        station_id=order.station_id,
        correlation_id=order.id,
    )
    return order


# --- the service manager's sign-off (process §4) ---------------------------------------


async def sign_off(
    uow: UnitOfWork, user: Principal, order_id: uuid.UUID, data: ManagerSignOff
) -> RepairOrder:
    """The service manager took part in a flagged order (over ¥10,000 or VIP): recorded with
    who, when and the note. Until then the order gets no exit pass and is not delivered; if
    it is already settled in full, the exit pass is issued now."""
    session = uow.session
    order: RepairOrder = await get_visible_for_update(
        session, RepairOrder, order_id, user, "repair order"
    )
    _check_version(order.version, data.version, "repair order")
    if not order.flagged_for_manager:
        raise Conflict(
            f"order {order.order_no} is not flagged for the service manager (¥10,000 or less, "
            "not a VIP customer)",
            field="flagged_for_manager",
        )
    if order.manager_signed_off_at is not None:
        raise Conflict(
            f"order {order.order_no} was signed off by {order.manager_signed_off_by}",
            field="manager_sign_off",
        )
    if order.status not in (OrderStatus.OPEN, OrderStatus.COMPLETED):
        raise Conflict(f"order {order.order_no} is {order.status.value}", field="status")
    order.manager_signed_off_by = user.user_id
    order.manager_signed_off_at = utcnow()
    order.manager_sign_off_note = data.note
    order.version += 1
    session.add(order)
    record = (
        await session.exec(
            select(SettlementRecord).where(SettlementRecord.order_id == order.id).with_for_update()
        )
    ).first()
    if record is not None:
        await _maybe_issue_exit_pass(session, order, record, user.user_id)
        session.add(record)
    return order


async def awaiting_sign_off_list(
    session: AsyncSession,
    user: Principal,
    station_id: str | None,
    *,
    offset: int = 0,
    limit: int = 50,
) -> RepairOrdersPublic:
    """Flagged orders (open or completed) the service manager has not signed off yet, per
    station (the stations the user sees; one of them with ``station_id``)."""
    query = at_visible_stations(select(RepairOrder), RepairOrder.station_id, user).where(
        col(RepairOrder.flagged_for_manager).is_(True),
        col(RepairOrder.manager_signed_off_at).is_(None),
        col(RepairOrder.status).in_([OrderStatus.OPEN, OrderStatus.COMPLETED]),
    )
    if station_id is not None:
        query = query.where(RepairOrder.station_id == user.acting_station(station_id))
    count = await count_rows(session, query)
    orders = (
        await session.exec(
            query.order_by(col(RepairOrder.station_id), col(RepairOrder.created_at))
            .offset(offset)
            .limit(limit)
        )
    ).all()
    return RepairOrdersPublic(data=[to_public(o, []) for o in orders], count=count)


# --- the advisor's lists (process §5, §7) -----------------------------------------------


def _order_entry(kind: str, order: RepairOrder, at: datetime | None, now: datetime) -> BoardEntry:
    return BoardEntry(
        kind=kind,
        id=order.id,
        station_id=order.station_id,
        label=order.order_no,
        customer_name=order.customer_name,
        vin=order.vin,
        plate=order.plate,
        at=at,
        status=order.status.value,
        priority=order.priority,
        late_risk=order.status == OrderStatus.OPEN
        and domain.late_risk(
            now, order.promised_at, progress_confirmed=order.progress_confirmed_at is not None
        ),
    )


async def board(session: AsyncSession, user: Principal, which: str) -> BoardPublic:
    """One of the advisor's lists, for the stations the user sees."""
    now = utcnow()
    entries: list[BoardEntry] = []
    if which == "arrivals":
        start, end = local_day_bounds(now.astimezone(STATION_TZ).date())
        query = at_visible_stations(select(Appointment), Appointment.station_id, user).where(
            col(Appointment.starts_at) >= start,
            col(Appointment.starts_at) < end,
            col(Appointment.status).in_([AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED]),
        )
        for a in (await session.exec(query.order_by(col(Appointment.starts_at)))).all():
            entries.append(
                BoardEntry(
                    kind="arrival",
                    id=a.id,
                    station_id=a.station_id,
                    label=a.requested_work[:80],
                    customer_name=a.customer_name,
                    vin=a.vin,
                    plate=a.plate,
                    at=a.starts_at,
                    status=a.status.value,
                    priority=True,
                )
            )
        return BoardPublic(data=entries, count=len(entries))
    statuses = [OrderStatus.COMPLETED] if which == "ready-for-pickup" else [OrderStatus.OPEN]
    if which == "ready-notices":
        statuses = [OrderStatus.OPEN, OrderStatus.COMPLETED]
    orders = at_visible_stations(select(RepairOrder), RepairOrder.station_id, user).where(
        col(RepairOrder.status).in_(statuses)
    )
    for order in (await session.exec(orders.order_by(col(RepairOrder.promised_at)))).all():
        if which == "in-workshop":
            entries.append(_order_entry("in_workshop", order, order.promised_at, now))
        elif which == "ready-for-pickup":
            entries.append(_order_entry("ready_for_pickup", order, order.completed_at, now))
        elif order.promised_at is None:
            continue
        elif which == "progress-checks":
            opens, _ = domain.progress_check_window(order.created_at, order.promised_at)
            if order.progress_confirmed_at is None and now >= opens:
                entries.append(_order_entry("progress_check", order, opens, now))
        elif which == "ready-notices":
            due = domain.ready_notice_at(order.created_at, order.promised_at)
            if order.ready_notified_at is None and (
                now >= due or order.status == OrderStatus.COMPLETED
            ):
                entries.append(_order_entry("ready_notice", order, due, now))
    return BoardPublic(data=entries, count=len(entries))


# --- read models: live stock, campaigns, due maintenance (process §2, §3) ---------------


async def stock_level_changed(uow: UnitOfWork, event: events.StockLevelChanged) -> None:
    """Keep the part's availability at the station; an older report never overwrites a newer."""
    station_id, occurred_at = uow.event.station_id, uow.event.occurred_at
    row = await uow.session.get(StockLevel, (station_id, event.part_no))
    if row is not None and row.as_of > occurred_at:
        return
    if row is None:
        row = StockLevel(
            station_id=station_id,
            part_no=event.part_no,
            on_hand=event.on_hand,
            reserved=event.reserved,
            available=event.available,
            on_order=event.on_order,
            as_of=occurred_at,
        )
    row.description = (event.description or row.description or "")[:200] or None
    row.on_hand, row.reserved, row.available = event.on_hand, event.reserved, event.available
    row.on_order, row.expected_on = event.on_order, event.expected_on
    row.list_price = event.list_price if event.list_price is not None else row.list_price
    row.lead_time_days = event.lead_time_days
    row.as_of = occurred_at
    uow.session.add(row)


async def get_stock_level(
    session: AsyncSession, user: Principal, part_no: str, station_id: str | None
) -> StockLevelPublic:
    station = user.acting_station(station_id)
    row = await session.get(StockLevel, (station, part_no))
    if row is None:
        raise NotFound(f"stock of part {part_no} at {station}")
    return StockLevelPublic.model_validate(row.model_dump())


async def campaign_launched(uow: UnitOfWork, event: events.CampaignLaunched) -> None:
    """A recall / service campaign: one open notice per VIN it covers, unless an order for
    the VIN already carries the campaign's code."""
    session = uow.session
    for raw_vin in dict.fromkeys(v.strip().upper() for v in event.vins):
        if not raw_vin or len(raw_vin) > 17:
            continue
        row = await session.get(VehicleCampaign, (event.campaign_id, raw_vin))
        if row is None:
            row = VehicleCampaign(
                campaign_id=event.campaign_id,
                vin=raw_vin,
                code=event.code[:40],
                title=event.title[:200],
                kind=event.kind[:20],
                ends_on=event.ends_on,
                launched_at=uow.event.occurred_at,
            )
        row.code, row.title, row.kind, row.ends_on = (
            event.code[:40],
            event.title[:200],
            event.kind[:20],
            event.ends_on,
        )
        done = (
            await session.exec(
                select(RepairOrderLine.order_id, RepairOrder.created_at)
                .join(RepairOrder, col(RepairOrder.id) == col(RepairOrderLine.order_id))
                .where(
                    RepairOrder.vin == raw_vin,
                    RepairOrderLine.code == row.code,
                    RepairOrder.status != OrderStatus.CANCELLED,
                )
            )
        ).first()
        if done is not None and row.closed_at is None:
            row.closed_by_order_id, row.closed_at = done[0], done[1]
        session.add(row)


async def close_campaigns(
    session: AsyncSession, order: RepairOrder, rows: Sequence[RepairOrderLine], now: datetime
) -> None:
    """An order line with a campaign's code closes that campaign for the order's VIN."""
    codes = {row.code for row in rows}
    if not codes:
        return
    open_ones = (
        await session.exec(
            select(VehicleCampaign).where(
                VehicleCampaign.vin == order.vin,
                col(VehicleCampaign.code).in_(codes),
                col(VehicleCampaign.closed_at).is_(None),
            )
        )
    ).all()
    for campaign in open_ones:
        campaign.closed_at, campaign.closed_by_order_id = now, order.id
        session.add(campaign)


async def reminder_due(uow: UnitOfWork, event: events.ReminderDue) -> None:
    """CRM says maintenance (or declined work, a campaign, a booking call) is due for a VIN.

    A reminder of an appointment is not work to recommend at check-in: it is not kept."""
    if event.kind == "appointment":
        return
    if await uow.session.get(MaintenanceReminder, event.reminder_id) is not None:
        return
    uow.session.add(
        MaintenanceReminder(
            reminder_id=event.reminder_id,
            station_id=uow.event.station_id,
            vin=event.vin.strip().upper()[:17],
            customer_id=event.customer_id,
            kind=event.kind[:30],
            reason=event.reason[:500],
            due_on=event.due_on,
            due_km=event.due_km,
            received_at=uow.event.occurred_at,
        )
    )


async def address_reminders(session: AsyncSession, order: RepairOrder) -> None:
    """The customer is in with a signed order: the advisor has recommended the due work."""
    for reminder in (
        await session.exec(
            select(MaintenanceReminder).where(
                MaintenanceReminder.vin == order.vin,
                col(MaintenanceReminder.addressed_by_order_id).is_(None),
            )
        )
    ).all():
        reminder.addressed_by_order_id, reminder.addressed_at = order.id, order.created_at
        session.add(reminder)


async def sanbao_threshold_approached(
    uow: UnitOfWork, event: events.SanbaoThresholdApproached
) -> None:
    """Warranty warns that a vehicle nears or reached a 三包 threshold: kept per VIN, rule
    and fault (an older report never overwrites a newer one) for the advisor."""
    vin = event.vin.strip().upper()[:17]
    fault = (event.fault or "").strip()[:200]
    occurred_at = uow.event.occurred_at
    row = await uow.session.get(SanbaoWarning, (vin, event.rule.value, fault))
    if row is not None and row.as_of > occurred_at:
        return
    if row is None:
        row = SanbaoWarning(
            vin=vin,
            rule=event.rule.value,
            fault_key=fault,
            station_id=uow.event.station_id,
            remedy="",
            message="",
            as_of=occurred_at,
        )
    row.station_id = uow.event.station_id
    row.fault = fault or None
    row.reached, row.count, row.threshold = event.reached, event.count, event.threshold
    row.remedy, row.message = event.remedy[:500], event.message[:1000]
    row.order_id, row.as_of = event.order_id, occurred_at
    uow.session.add(row)


async def sanbao_warnings(session: AsyncSession, vin: str) -> list[SanbaoWarningPublic]:
    """The 三包 thresholds the VIN nears or reached, reached ones first. They follow the
    vehicle (national rules), so every station's advisor sees them."""
    rows = (
        await session.exec(
            select(SanbaoWarning)
            .where(SanbaoWarning.vin == vin.strip().upper())
            .order_by(col(SanbaoWarning.reached).desc(), col(SanbaoWarning.as_of).desc())
        )
    ).all()
    return [SanbaoWarningPublic.model_validate(row.model_dump()) for row in rows]


async def vehicle_notices(
    session: AsyncSession, user: Principal, vin: str, *, as_of: datetime | None = None
) -> VehicleNoticesPublic:
    """Open recalls / campaigns for the VIN (the manufacturer's, any station) and the due
    maintenance CRM reported at the stations the user sees. ``as_of`` (a check-in's start)
    keeps what was open then, even if this visit's order has closed it since."""
    vin = vin.strip().upper()
    campaign_open: Any = col(VehicleCampaign.closed_at).is_(None)
    reminder_open: Any = col(MaintenanceReminder.addressed_at).is_(None)
    if as_of is not None:
        campaign_open = campaign_open | (col(VehicleCampaign.closed_at) >= as_of)
        reminder_open = reminder_open | (col(MaintenanceReminder.addressed_at) >= as_of)
    campaigns = (
        await session.exec(
            select(VehicleCampaign)
            .where(VehicleCampaign.vin == vin, campaign_open)
            .order_by(col(VehicleCampaign.launched_at))
        )
    ).all()
    reminders = (
        await session.exec(
            at_visible_stations(select(MaintenanceReminder), MaintenanceReminder.station_id, user)
            .where(MaintenanceReminder.vin == vin, reminder_open)
            .order_by(col(MaintenanceReminder.received_at))
        )
    ).all()
    return VehicleNoticesPublic(
        vin=vin,
        open_campaigns=[CampaignNoticePublic.model_validate(c.model_dump()) for c in campaigns],
        due_maintenance=[DueMaintenancePublic.model_validate(r.model_dump()) for r in reminders],
        sanbao_warnings=await sanbao_warnings(session, vin),
    )


# --- printed documents (process: "Documents the system prints") -------------------------


async def order_pdf(
    session: AsyncSession, user: Principal, order_id: uuid.UUID, kind: str
) -> tuple[bytes, str]:
    """One of the order's printed documents as PDF, and the number it carries."""
    order = await get_order(session, user, order_id)
    if kind == "quotation":
        return pdf.quotation(order), order.order_no
    if kind == "repair-order":
        return pdf.repair_order(order), order.order_no
    if kind == "recommended-work":
        declined = await list_findings(
            session, user, order_id=order.id, status=FindingStatus.DECLINED
        )
        return pdf.recommended_work(order, declined.data), order.order_no
    if kind == "delivery-acceptance":
        if order.delivery is None:
            raise Conflict(
                f"order {order.order_no} is {order.status.value}: the delivery acceptance is "
                "printed once the car is delivered",
                field="status",
            )
        return pdf.delivery_acceptance(order), order.order_no
    if kind == "quality-guarantee":
        if order.status not in (OrderStatus.COMPLETED, OrderStatus.DELIVERED):
            raise Conflict(
                f"order {order.order_no} is {order.status.value}: the quality guarantee is "
                "printed once the work is completed",
                field="status",
            )
        settled = await get_settlement(session, user, order_id)
        starts = order.delivered_at or settled.exit_pass_at or order.completed_at or utcnow()
        return pdf.quality_guarantee(order, starts), order.order_no
    settled = await get_settlement(session, user, order_id)
    if kind == "settlement":
        return pdf.settlement(settled, order), order.order_no
    if kind == "exit-pass":
        if settled.exit_pass_no is None:
            raise Conflict(
                f"order {order.order_no} is not settled (balance ¥{settled.balance}): "
                "no exit pass yet",
                field="exit_pass_no",
            )
        return pdf.exit_pass(settled, order), settled.exit_pass_no
    raise NotFound(f"document {kind}")


ORDER_DOCUMENTS = (
    ("quotation", "报价单 Quotation"),
    ("repair-order", "任务委托书 Repair order"),
    ("recommended-work", "建议项目表 Recommended work (declined)"),
    ("settlement", "结算单 Settlement"),
    ("exit-pass", "出厂通知单 Exit pass"),
    ("quality-guarantee", "质量保证书 Quality guarantee"),
    ("delivery-acceptance", "交车确认单 Delivery acceptance"),
)


async def order_documents(
    session: AsyncSession, user: Principal, order_id: uuid.UUID
) -> OrderDocumentsPublic:
    """The order's printed documents: which can be printed now (and why not yet), the
    invoices and receipts issued for it, and its diagnosis reports."""
    order = await get_order(session, user, order_id)
    record = (
        await session.exec(select(SettlementRecord).where(SettlementRecord.order_id == order.id))
    ).first()
    declined = (
        await session.exec(
            select(func.count()).where(
                AdditionalWork.order_id == order.id,
                AdditionalWork.status == FindingStatus.DECLINED,
            )
        )
    ).one()
    completed = order.status in (OrderStatus.COMPLETED, OrderStatus.DELIVERED)
    due: dict[str, tuple[str | None, str | None]] = {
        "quotation": (order.order_no, None),
        "repair-order": (order.order_no, None),
        "recommended-work": (
            (order.order_no, None) if declined else (None, "the customer declined no work")
        ),
        "settlement": (
            (order.order_no, None) if record else (None, "the workshop has not completed the car")
        ),
        "exit-pass": (
            (record.exit_pass_no, None)
            if record and record.exit_pass_no
            else (
                None,
                "not settled in full"
                + (" or not signed off" if order.awaiting_manager_sign_off else ""),
            )
        ),
        "quality-guarantee": (
            (order.order_no, None) if completed else (None, "the work is not completed")
        ),
        "delivery-acceptance": (
            (order.order_no, None) if order.delivery else (None, "not delivered")
        ),
    }
    base = f"/repair-orders/{order.id}/documents"
    data = [
        OrderDocumentPublic(
            kind=kind,
            title=title,
            number=due[kind][0],
            url=f"{base}/{kind}.pdf",
            available=due[kind][1] is None,
            reason=due[kind][1],
        )
        for kind, title in ORDER_DOCUMENTS
    ]
    for document in await fiscal.documents_of(session, order_id=order.id):
        data.append(
            OrderDocumentPublic(
                kind=document.kind.value,
                title="发票 Invoice" if document.kind.value == "invoice" else "收据 Receipt",
                number=document.document_no,
                url=f"/invoices/{document.id}/document.pdf",
                available=True,
            )
        )
    return OrderDocumentsPublic(
        order_id=order.id, order_no=order.order_no, data=data, count=len(data)
    )
