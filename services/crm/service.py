"""CRM's use cases: each one state change plus its events (or audit entries) in one commit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import ColumnElement, false, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from services.crm import domain
from services.crm.models import (
    AppointmentReminder,
    AuditAction,
    AuditEntriesPublic,
    AuditEntry,
    AuditEntryPublic,
    CallOutcome,
    Campaign,
    CampaignCreate,
    CampaignDone,
    CampaignPublic,
    CampaignsPublic,
    CampaignVehicle,
    CampaignVehiclesAdd,
    ChurnReport,
    ChurnRow,
    Complaint,
    ComplaintAnswer,
    ComplaintChannel,
    ComplaintCreate,
    ComplaintPublic,
    ComplaintSeverity,
    ComplaintsPublic,
    ComplaintStatus,
    ContactPerson,
    ContactPersonCreate,
    ContactPlanMonth,
    ContactPlanMonthRow,
    ContactPlanMonthsPublic,
    ContactPlanPublic,
    ContactPlanRow,
    CsiAnswer,
    CsiGroup,
    CsiReport,
    CsiRow,
    CsiSurvey,
    CsiSurveyCreate,
    CsiSurveyPublic,
    Customer,
    CustomerDetailPublic,
    CustomerKind,
    CustomerMerge,
    CustomerPublic,
    CustomersPublic,
    CustomerUpdate,
    DeclinedWork,
    DuplicateGroup,
    DuplicatesPublic,
    Enquiry,
    EnquiryCreate,
    EnquiryPublic,
    Escalation,
    EscalationAcknowledge,
    EscalationLevel,
    EscalationPublic,
    EscalationsPublic,
    EscalationSubject,
    FollowUp,
    FollowUpAssign,
    FollowUpCall,
    FollowUpCallPublic,
    FollowUpDetailPublic,
    FollowUpKind,
    FollowUpOutcome,
    FollowUpPublic,
    FollowUpsPublic,
    FollowUpStatus,
    FollowUpSummary,
    FollowUpSummaryRow,
    MileageReading,
    OpenCampaign,
    OpenCampaignsPublic,
    OutreachPublic,
    OutreachRow,
    ReminderState,
    ServiceReminder,
    ServiceReminderPublic,
    ServiceRemindersPublic,
    Vehicle,
    Visit,
)
from services.crm.settings import crm_settings, followup_policy
from shared.auth import Principal, Role
from shared.calendar import calendar_for
from shared.contracts import events
from shared.db import utcnow
from shared.errors import Conflict, DomainError, NotFound
from shared.outbox import UnitOfWork
from shared.scheduler import cancel, schedule
from shared.scoping import at_visible_stations, count_rows, get_visible


class _Forbidden(DomainError):
    """The user may see the record but this change is for another role."""

    status = 403


# --- from events: the customer file follows the repair orders ---------------------------


def _causing_event(uow: UnitOfWork) -> tuple[str, datetime]:
    """Station and time of the event being handled (CRM learns visits only from events)."""
    return uow.event.station_id, uow.event.occurred_at


def _clean_phone(raw: str | None) -> str | None:
    """Phones from other services are normalised when they can be (kept as given if not)."""
    if raw is None:
        return None
    try:
        return domain.normalise_phone(raw)
    except ValueError:
        return raw


def _clean_email(raw: str | None) -> str | None:
    """E-mails from other services are kept normalised; an unusable one is not stored."""
    if not raw:
        return None
    try:
        return domain.normalise_email(raw)
    except ValueError:
        return None


async def _open_customer_file(
    session: AsyncSession,
    customer: events.CustomerRef,
    vehicle: events.VehicleRef,
    *,
    station_id: str,
    at: datetime,
    order_id: uuid.UUID,
) -> None:
    """Open (first visit, same day) or refresh the customer's file and the vehicle's file."""
    known = await session.get(Customer, customer.customer_id)
    if known is None:
        known = Customer(
            id=customer.customer_id,
            name=customer.name,
            phone=_clean_phone(customer.phone),
            home_station_id=station_id,
            created_at=at,
            is_vip=customer.is_vip,
        )
    else:
        known.name = customer.name
        known.phone = _clean_phone(customer.phone) or known.phone
        known.is_vip = known.is_vip or customer.is_vip
    # an event without an e-mail keeps the one on file; "person" is the contract's default,
    # so only "company" is taken from events (a file is made a person's again in CRM)
    known.email = _clean_email(customer.email) or known.email
    if customer.kind == CustomerKind.COMPANY.value:
        known.kind = CustomerKind.COMPANY
    session.add(known)

    vin = vehicle.vin.upper()
    car = await session.get(Vehicle, vin)
    if car is None:
        car = Vehicle(vin=vin, customer_id=customer.customer_id, created_at=at)
    car.customer_id = customer.customer_id  # whoever brought it in last
    car.plate = vehicle.plate or car.plate
    car.make = vehicle.make or car.make
    car.model = vehicle.model or car.model
    car.warranty_start = vehicle.warranty_start or car.warranty_start
    car.last_mileage_km = domain.last_mileage(car.last_mileage_km, vehicle.mileage_km)
    session.add(car)
    if vehicle.mileage_km is not None:
        reading = (
            await session.exec(
                select(MileageReading).where(
                    MileageReading.vin == vin, MileageReading.order_id == order_id
                )
            )
        ).first()
        if reading is None:
            session.add(
                MileageReading(vin=vin, order_id=order_id, km=vehicle.mileage_km, read_at=at)
            )


async def _visit_of(session: AsyncSession, order_id: uuid.UUID) -> Visit | None:
    return (await session.exec(select(Visit).where(Visit.order_id == order_id))).first()


async def order_created(uow: UnitOfWork, event: events.OrderCreated) -> None:
    """A repair order was signed: open or refresh the files and record the visit."""
    station_id, at = _causing_event(uow)
    await _open_customer_file(
        uow.session,
        event.customer,
        event.vehicle,
        station_id=station_id,
        at=at,
        order_id=event.order_id,
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
    visit.advisor_id = event.advisor_id
    visit.work_done = "; ".join(line.description for line in event.lines)[:2000]
    uow.session.add(visit)
    await _customer_came_in(uow.session, visit.vin, event.order_id)
    await _campaign_work_ordered(uow.session, visit.vin, event, at)


async def _campaign_work_ordered(
    session: AsyncSession, vin: str, event: events.OrderCreated, at: datetime
) -> None:
    """A line whose code is an open campaign's code puts the campaign's work on the order:
    the vehicle's campaign is done (it leaves the outreach list and the check-in desk)."""
    codes = {line.code.strip() for line in event.lines}
    rows = (
        await session.exec(
            select(CampaignVehicle, Campaign)
            .where(CampaignVehicle.campaign_id == Campaign.id)  # type: ignore[arg-type]
            .where(CampaignVehicle.vin == vin, col(CampaignVehicle.done_at).is_(None))
        )
    ).all()
    for row, campaign in rows:
        if campaign.code in codes:
            row.done_at = at
            row.done_order_id = event.order_id
            # its reminder task finds the work done; not cancelled here, so this handler never
            # waits on a task row a scheduler holds while waiting on this customer's row
            session.add(row)


async def vehicle_delivered(uow: UnitOfWork, event: events.VehicleDelivered) -> None:
    """The car went back to the customer: close the visit, plan the follow-up calls (opened
    later by the scheduler) and the next maintenance reminder."""
    station_id, at = _causing_event(uow)
    session = uow.session
    await _open_customer_file(
        session,
        event.customer,
        event.vehicle,
        station_id=station_id,
        at=min(at, event.delivered_at),
        order_id=event.order_id,
    )
    visit = await _visit_of(session, event.order_id)
    if visit is None:  # order.created not read yet (it is on another topic): open it now
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
    visit.advisor_id = visit.advisor_id or event.advisor_id
    session.add(visit)

    policy = followup_policy(visit.station_id)
    calendar = calendar_for(visit.station_id)
    existing = set(
        (await session.exec(select(FollowUp.kind).where(FollowUp.order_id == event.order_id))).all()
    )
    first_opens, first_due = domain.followup_window(event.delivered_at, policy, calendar)
    second_opens, second_due = domain.second_followup_window(event.delivered_at, calendar)
    windows = {
        FollowUpKind.FIRST: (
            first_opens,
            first_due,
            domain.followup_expiry(event.delivered_at, policy, calendar, first_opens),
        ),
        FollowUpKind.SECOND: (
            second_opens,
            second_due,
            domain.second_followup_expiry(event.delivered_at, policy, calendar),
        ),
    }
    now = utcnow()
    customer = await session.get(Customer, event.customer.customer_id)
    consent = customer is not None and domain.may_call_about_service_quality(
        customer.consent_to_contact
    )
    for kind, (opens_at, due_at, expires_at) in windows.items():
        if kind in existing:
            continue  # the same delivery announced again: one call of each kind per order
        followup = FollowUp(
            station_id=visit.station_id,
            order_id=event.order_id,
            customer_id=event.customer.customer_id,
            kind=kind,
            opens_at=opens_at,
            due_at=due_at,
            expires_at=expires_at,
            vin=visit.vin,
            advisor_id=visit.advisor_id,
            created_at=now,
        )
        if not consent:  # refused contact: the call is not made, and is counted apart
            followup.status = FollowUpStatus.NO_CONSENT
            followup.closed_at = now
            session.add(followup)
            continue
        session.add(followup)
        await _plan_call(session, followup)
    await _plan_service_reminder(uow, visit, event)


async def _plan_call(session: AsyncSession, followup: FollowUp) -> None:
    """The scheduler opens the call (announcing it) and later closes it if never made."""
    payload = {"followup_id": str(followup.id)}
    base = f"followup:{followup.order_id}:{followup.kind.value}"
    await schedule(
        session,
        kind=TASK_FOLLOWUP_OPEN,
        key=f"{base}:open",
        due_at=followup.opens_at,
        payload=payload,
        station_id=followup.station_id,
    )
    await schedule(
        session,
        kind=TASK_FOLLOWUP_EXPIRE,
        key=f"{base}:expire",
        due_at=followup.expires_at,
        payload=payload,
        station_id=followup.station_id,
    )


async def _plan_service_reminder(
    uow: UnitOfWork, visit: Visit, event: events.VehicleDelivered
) -> None:
    """From the delivery's next-service data and the car's km per day (§8 reminders)."""
    session = uow.session
    if event.next_service_date is None and event.next_service_km is None:
        return
    if (
        await session.exec(
            select(ServiceReminder).where(ServiceReminder.order_id == event.order_id)
        )
    ).first() is not None:
        return
    readings = (
        await session.exec(select(MileageReading).where(MileageReading.vin == visit.vin))
    ).all()
    km_per_day = domain.average_km_per_day((r.read_at, r.km) for r in readings)
    car = await session.get(Vehicle, visit.vin)
    due_on = domain.next_service_due(
        event.delivered_at.astimezone(domain.STATION_TIMEZONE).date(),
        next_service_date=event.next_service_date,
        next_service_km=event.next_service_km,
        current_km=car.last_mileage_km if car else None,
        km_per_day=km_per_day if km_per_day else domain.DEFAULT_KM_PER_DAY,
    )
    if due_on is None:
        return
    await _customer_came_in(session, visit.vin, event.order_id)
    now = utcnow()
    reminder = ServiceReminder(
        station_id=visit.station_id,
        order_id=event.order_id,
        customer_id=visit.customer_id,
        vin=visit.vin,
        due_on=due_on,
        due_km=event.next_service_km,
        remind_at=domain.reminder_time(due_on, now, calendar=calendar_for(visit.station_id)),
        created_at=now,
    )
    session.add(reminder)
    payload = {"reminder_id": str(reminder.id)}
    await schedule(
        session,
        kind=TASK_REMINDER_SEND,
        key=_send_key(reminder),
        due_at=reminder.remind_at,
        payload=payload,
        station_id=visit.station_id,
    )
    calendar = calendar_for(visit.station_id)
    call_at = calendar.at(
        due_on + timedelta(days=crm_settings().not_booked_call_after_days), time(9)
    )
    await schedule(
        session,
        kind=TASK_REMINDER_CALL,
        key=_not_booked_key(reminder),
        due_at=domain.next_office_moment(calendar, max(call_at, now)),
        payload=payload,
        station_id=visit.station_id,
    )


def _send_key(reminder: ServiceReminder) -> str:
    return f"reminder:{reminder.order_id}:send"


def _not_booked_key(reminder: ServiceReminder) -> str:
    return f"reminder:{reminder.order_id}:call"


async def _customer_came_in(session: AsyncSession, vin: str, order_id: uuid.UUID) -> None:
    """A new visit answers the earlier reminders of the vehicle: none is sent or called
    about any more (the visit's delivery plans the next one)."""
    earlier = (
        await session.exec(
            select(ServiceReminder).where(
                ServiceReminder.vin == vin,
                ServiceReminder.order_id != order_id,
                col(ServiceReminder.state).in_([ReminderState.PLANNED, ReminderState.SENT]),
            )
        )
    ).all()
    for reminder in earlier:
        if reminder.state == ReminderState.PLANNED:
            reminder.state = ReminderState.SUPERSEDED
            await cancel(session, _send_key(reminder))
        await cancel(session, _not_booked_key(reminder))
        session.add(reminder)


async def appointment_booked(uow: UnitOfWork, event: events.AppointmentBooked) -> None:
    """The customer booked: no 'due and not booked' call for the vehicle's open reminders."""
    session = uow.session
    vin = event.vehicle.vin.upper()
    reminders = (
        await session.exec(
            select(ServiceReminder).where(
                ServiceReminder.vin == vin, col(ServiceReminder.booked_at).is_(None)
            )
        )
    ).all()
    now = utcnow()
    for reminder in reminders:
        reminder.booked_at = now
        reminder.appointment_id = event.appointment_id
        if reminder.state == ReminderState.PLANNED:
            reminder.state = ReminderState.BOOKED
        session.add(reminder)
        await cancel(session, _not_booked_key(reminder))


async def appointment_cancelled(uow: UnitOfWork, event: events.AppointmentCancelled) -> None:
    """A cancelled booking (or a no-show) is no booking: the customer is due and has not
    come, so the reminder ahead and the reminder call are planned again."""
    session = uow.session
    reminders = (
        await session.exec(
            select(ServiceReminder).where(
                ServiceReminder.appointment_id == event.appointment_id,
                col(ServiceReminder.state).in_([ReminderState.BOOKED, ReminderState.SENT]),
            )
        )
    ).all()
    now = utcnow()
    for reminder in reminders:
        reminder.booked_at = None
        reminder.appointment_id = None
        payload = {"reminder_id": str(reminder.id)}
        calendar = calendar_for(reminder.station_id)
        if reminder.state == ReminderState.BOOKED:
            reminder.state = ReminderState.PLANNED
            await schedule(
                session,
                kind=TASK_REMINDER_SEND,
                key=f"{_send_key(reminder)}:{event.appointment_id}",
                due_at=domain.message_time(calendar, max(reminder.remind_at, now)),
                payload=payload,
                station_id=reminder.station_id,
            )
        session.add(reminder)
        call_at = calendar.at(
            reminder.due_on + timedelta(days=crm_settings().not_booked_call_after_days), time(9)
        )
        await schedule(
            session,
            kind=TASK_REMINDER_CALL,
            key=f"{_not_booked_key(reminder)}:{event.appointment_id}",
            due_at=domain.next_office_moment(calendar, max(call_at, now)),
            payload=payload,
            station_id=reminder.station_id,
        )

    await _appointment_reminder_cancelled(session, event.appointment_id)


# --- appointment reminders (reception says when; CRM sends them) -----------------------------


def _appointment_send_key(appointment_id: uuid.UUID) -> str:
    return f"appointment-reminder:{appointment_id}:send"


async def _reminded_customer(session: AsyncSession, customer_id: uuid.UUID) -> Customer | None:
    """The customer's file (the one it was merged into, if it was); None when CRM has none."""
    customer = await session.get(Customer, customer_id)
    while customer is not None and customer.merged_into_id is not None:
        customer = await session.get(Customer, customer.merged_into_id)
    return customer


async def appointment_reminder_due(uow: UnitOfWork, event: events.AppointmentReminderDue) -> None:
    """Remind the customer of the appointment: once per appointment (a second event for it
    changes nothing, except the start of one not sent yet), never without consent, not on a
    public holiday unless waiting would bring it too close to the start."""
    session = uow.session
    station_id, _ = _causing_event(uow)
    now = utcnow()
    row = (
        await session.exec(
            select(AppointmentReminder).where(
                AppointmentReminder.appointment_id == event.appointment_id
            )
        )
    ).first()
    if row is not None:
        if row.state == ReminderState.PLANNED and row.starts_at != event.starts_at:
            row.starts_at = event.starts_at  # moved before it went out: the task re-checks
            session.add(row)
        return
    customer = await _reminded_customer(session, event.customer.customer_id)
    row = AppointmentReminder(
        appointment_id=event.appointment_id,
        station_id=station_id,
        customer_id=customer.id if customer is not None else event.customer.customer_id,
        vin=event.vehicle.vin.strip().upper()[:17],
        starts_at=event.starts_at,
        remind_at=now,
        created_at=now,
    )
    session.add(row)
    await _remind_of_appointment(uow, row, customer)


async def send_appointment_reminder(uow: UnitOfWork, reminder_id: uuid.UUID) -> None:
    """The appointment reminder held back by a public holiday goes out now (checked again)."""
    session = uow.session
    row = await session.get(AppointmentReminder, reminder_id)
    if row is None or row.state != ReminderState.PLANNED:
        return
    await _remind_of_appointment(uow, row, await _reminded_customer(session, row.customer_id))


async def _remind_of_appointment(
    uow: UnitOfWork, row: AppointmentReminder, customer: Customer | None
) -> None:
    session = uow.session
    now = utcnow()
    if customer is not None and not domain.may_be_contacted(customer.consent_to_contact):
        row.state = ReminderState.WITHHELD
        row.note = "not sent: the customer withdrew consent to be contacted"
        session.add(row)
        return
    send_at, note = domain.appointment_reminder_time(
        calendar_for(row.station_id), now, row.starts_at
    )
    if send_at is None:
        row.state = ReminderState.TOO_LATE
        row.note = note
        session.add(row)
        return
    if send_at > now:  # a public holiday: 09:00 the first day after it
        row.remind_at = send_at
        session.add(row)
        await schedule(
            session,
            kind=TASK_APPOINTMENT_REMINDER_SEND,
            key=f"{_appointment_send_key(row.appointment_id)}:{send_at.isoformat()}",
            due_at=send_at,
            payload={"reminder_id": str(row.id)},
            station_id=row.station_id,
        )
        return
    row.state = ReminderState.SENT
    row.sent_at = row.remind_at = now
    row.note = note
    session.add(row)
    if customer is not None:
        customer.last_contact_at = now
        session.add(customer)
    local = calendar_for(row.station_id).local(row.starts_at)
    uow.emit(
        events.ReminderDue(
            reminder_id=row.id,
            customer_id=row.customer_id,
            vin=row.vin,
            reason=f"appointment on {local:%Y-%m-%d %H:%M}",
            due_on=local.date(),
            kind="appointment",
        ),
        station_id=row.station_id,
    )


async def _appointment_reminder_cancelled(session: AsyncSession, appointment_id: uuid.UUID) -> None:
    """A cancelled appointment is not reminded of (one already sent stays sent)."""
    row = (
        await session.exec(
            select(AppointmentReminder).where(AppointmentReminder.appointment_id == appointment_id)
        )
    ).first()
    if row is None or row.state != ReminderState.PLANNED:
        return
    row.state = ReminderState.CANCELLED
    row.note = "not sent: the appointment was cancelled"
    session.add(row)


async def work_found(uow: UnitOfWork, event: events.WorkAdditionalFound) -> None:
    """Note what was found: if the customer declines it, the file says what was declined."""
    row = await _declined_row(uow.session, event.finding_id, event.order_id, uow.event.station_id)
    row.description = event.description[:2000]
    row.safety_relevant = row.safety_relevant or event.safety_relevant
    uow.session.add(row)


async def work_declined(uow: UnitOfWork, event: events.WorkAdditionalDeclined) -> None:
    """Declined work goes into the file and is reminded after a set time (建议项目)."""
    session = uow.session
    row = await _declined_row(session, event.finding_id, event.order_id, uow.event.station_id)
    row.safety_relevant = row.safety_relevant or event.safety_relevant
    row.declined_at = event.declined_at
    session.add(row)
    await schedule(
        session,
        kind=TASK_DECLINED_REMIND,
        key=f"declined:{event.finding_id}",
        due_at=domain.message_time(
            calendar_for(row.station_id),
            max(
                event.declined_at + timedelta(days=crm_settings().declined_work_remind_after_days),
                utcnow(),
            ),
        ),
        payload={"finding_id": str(event.finding_id)},
        station_id=row.station_id,
    )


async def _declined_row(
    session: AsyncSession, finding_id: uuid.UUID, order_id: uuid.UUID, station_id: str
) -> DeclinedWork:
    row = (
        await session.exec(select(DeclinedWork).where(DeclinedWork.finding_id == finding_id))
    ).first()
    if row is None:
        row = DeclinedWork(finding_id=finding_id, order_id=order_id, station_id=station_id)
    return row


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
    session: AsyncSession, user: Principal, customer_id: uuid.UUID, *, field: str | None = None
) -> Customer:
    query = select(Customer).where(Customer.id == customer_id)
    visible = _visible_customers(user)
    if visible is not None:
        query = query.where(visible)
    customer = (await session.exec(query)).first()
    if customer is None:
        error = NotFound("customer")
        error.field = field
        raise error
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
    query = select(Customer).where(col(Customer.merged_into_id).is_(None))
    visible = _visible_customers(user)
    if visible is not None:
        query = query.where(visible)
    if phone:
        digits = "".join(ch for ch in phone if ch.isdigit())
        query = query.where(col(Customer.phone).contains(digits or phone.strip()))
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
        raise DomainError("send at least one field to change", field="name")
    for required in ("name", "kind", "preferred_channel", "consent_to_contact", "is_vip"):
        if required in changes and changes[required] is None:
            raise DomainError(f"{required} cannot be emptied", field=required)
    window = (
        changes.get("call_from", customer.call_from),
        changes.get("call_until", customer.call_until),
    )
    refusal = domain.check_call_window(*window)
    if refusal is not None:
        raise DomainError(refusal, field="call_until" if "call_until" in changes else "call_from")
    if "consent_to_contact" in changes and changes["consent_to_contact"] != (
        customer.consent_to_contact
    ):
        customer.consent_changed_at = utcnow()
    for name, value in changes.items():
        setattr(customer, name, value)
    session.add(customer)
    if not customer.consent_to_contact:
        await _close_calls_without_consent(session, customer.id)
    _audit(session, user, AuditAction.CHANGE, customer)
    return await _detail(session, user, customer)


async def _close_calls_without_consent(session: AsyncSession, customer_id: uuid.UUID) -> None:
    """The customer withdrew consent: the calls not made yet are closed as "not contacted:
    no consent" (their open and expire tasks then find nothing to do)."""
    pending = (
        await session.exec(
            select(FollowUp).where(
                FollowUp.customer_id == customer_id,
                col(FollowUp.status).in_([FollowUpStatus.SCHEDULED, FollowUpStatus.OPEN]),
            )
        )
    ).all()
    now = utcnow()
    for followup in pending:
        followup.status = FollowUpStatus.NO_CONSENT
        followup.closed_at = now
        followup.next_attempt_at = None
        session.add(followup)


async def _detail(
    session: AsyncSession, user: Principal, customer: Customer
) -> CustomerDetailPublic:
    """The file: vehicles with mileage history, and the visits at the user's stations with
    what was done, the settlement total, complaints and declined work."""
    vehicles = (
        await session.exec(
            select(Vehicle).where(Vehicle.customer_id == customer.id).order_by(col(Vehicle.vin))
        )
    ).all()
    readings = (
        await session.exec(
            select(MileageReading)
            .where(col(MileageReading.vin).in_([v.vin for v in vehicles]))
            .order_by(col(MileageReading.read_at))
        )
    ).all()
    # the file is the group's: whoever may open it sees the visits at every station (§12)
    visits = (
        await session.exec(
            select(Visit)
            .where(Visit.customer_id == customer.id)
            .order_by(col(Visit.opened_at).desc())
        )
    ).all()
    order_ids = [v.order_id for v in visits]
    complaints = (
        await session.exec(
            select(Complaint)
            .where(Complaint.customer_id == customer.id)
            .order_by(col(Complaint.opened_at).desc())
        )
    ).all()
    declined = (
        await session.exec(
            select(DeclinedWork).where(
                col(DeclinedWork.order_id).in_(order_ids),
                col(DeclinedWork.declined_at).is_not(None),
            )
        )
    ).all()
    contacts = (
        await session.exec(select(ContactPerson).where(ContactPerson.customer_id == customer.id))
    ).all()
    enquiries = (
        await session.exec(
            select(Enquiry)
            .where(Enquiry.customer_id == customer.id)
            .order_by(col(Enquiry.at).desc())
        )
    ).all()
    return CustomerDetailPublic.model_validate(
        {
            **customer.model_dump(),
            "vehicles": [
                {
                    **v.model_dump(),
                    "mileage_history": [r.model_dump() for r in readings if r.vin == v.vin],
                }
                for v in vehicles
            ],
            "visits": [
                {
                    **v.model_dump(),
                    "complaints": [c.model_dump() for c in complaints if c.order_id == v.order_id],
                    "declined_work": [d.model_dump() for d in declined if d.order_id == v.order_id],
                }
                for v in visits
            ],
            "contacts": [c.model_dump() for c in contacts],
            "enquiries": [{**e.model_dump(), "opened_file": False} for e in enquiries],
            "complaints": [c.model_dump() for c in complaints],
        }
    )


async def add_contact(
    session: AsyncSession, user: Principal, customer_id: uuid.UUID, data: ContactPersonCreate
) -> CustomerDetailPublic:
    """Add someone to call for the customer (audited as a change)."""
    customer = await _visible_customer(session, user, customer_id)
    session.add(ContactPerson(customer_id=customer.id, **data.model_dump()))
    _audit(session, user, AuditAction.CHANGE, customer)
    await session.flush()
    return await _detail(session, user, customer)


async def log_enquiry(session: AsyncSession, user: Principal, data: EnquiryCreate) -> EnquiryPublic:
    """Log an enquiry without a repair order; it opens the customer's file when there is
    none yet (one file per customer: a file with the same phone is used)."""
    now = utcnow()
    opened = False
    if data.customer_id is not None:
        customer = await _visible_customer(session, user, data.customer_id, field="customer_id")
        station_id = user.acting_station(data.station_id or customer.home_station_id)
    else:
        if not data.name:
            raise DomainError("name the customer (or give customer_id)", field="name")
        if not data.phone:
            raise DomainError("a new file needs the customer's phone", field="phone")
        station_id = user.acting_station(data.station_id)
        query = select(Customer).where(
            Customer.phone == data.phone, col(Customer.merged_into_id).is_(None)
        )
        visible = _visible_customers(user)
        if visible is not None:
            query = query.where(visible)
        existing = (await session.exec(query.order_by(col(Customer.created_at)))).first()
        if existing is None:
            customer = Customer(
                id=uuid.uuid4(),
                name=data.name,
                phone=data.phone,
                email=data.email,
                kind=data.kind,
                consent_to_contact=data.consent_to_contact,
                home_station_id=station_id,
                created_at=now,
            )
            opened = True
        else:
            customer = existing
    customer.last_contact_at = now
    session.add(customer)
    enquiry = Enquiry(
        customer_id=customer.id,
        station_id=station_id,
        channel=data.channel,
        text=data.text,
        at=now,
        recorded_by=user.user_id,
    )
    session.add(enquiry)
    _audit(session, user, AuditAction.CHANGE, customer)
    return EnquiryPublic.model_validate({**enquiry.model_dump(), "opened_file": opened})


async def find_duplicates(session: AsyncSession, user: Principal) -> DuplicatesPublic:
    """Files that are probably one customer: the same phone, or the same VIN in their visits."""
    query = select(Customer).where(col(Customer.merged_into_id).is_(None))
    visible = _visible_customers(user)
    if visible is not None:
        query = query.where(visible)
    customers = {c.id: c for c in (await session.exec(query)).all()}
    groups: dict[str, set[uuid.UUID]] = {}
    for customer in customers.values():
        if customer.phone:
            groups.setdefault(f"phone {customer.phone}", set()).add(customer.id)
    visits = (
        await session.exec(
            select(Visit.vin, Visit.customer_id).where(col(Visit.customer_id).in_(list(customers)))
        )
    ).all()
    for vin, customer_id in visits:
        groups.setdefault(f"VIN {vin}", set()).add(customer_id)
    vehicles = (
        await session.exec(select(Vehicle).where(col(Vehicle.customer_id).in_(list(customers))))
    ).all()
    for car in vehicles:
        groups.setdefault(f"VIN {car.vin}", set()).add(car.customer_id)
    data = []
    for reason, ids in sorted(groups.items()):
        if len(ids) < 2:
            continue
        members = sorted((customers[i] for i in ids), key=lambda c: (c.created_at, str(c.id)))
        for member in members:
            _audit(session, user, AuditAction.READ, member)
        data.append(DuplicateGroup(reason=reason, customers=[_customer_public(c) for c in members]))
    return DuplicatesPublic(data=data, count=len(data))


async def merge_customers(
    session: AsyncSession, user: Principal, customer_id: uuid.UUID, data: CustomerMerge
) -> CustomerDetailPublic:
    """Merge the duplicate into this file: everything it holds moves here (both audited)."""
    survivor = await _visible_customer(session, user, customer_id)
    if data.duplicate_id == survivor.id:
        raise DomainError("a file cannot be merged into itself", field="duplicate_id")
    duplicate = await _visible_customer(session, user, data.duplicate_id, field="duplicate_id")
    if duplicate.merged_into_id is not None:
        raise Conflict("that file was already merged", field="duplicate_id")
    moved = (
        Vehicle,
        Visit,
        FollowUp,
        Complaint,
        ServiceReminder,
        AppointmentReminder,
        CsiSurvey,
        ContactPerson,
        Enquiry,
    )
    for model in moved:
        column = getattr(model, "customer_id")  # noqa: B009
        await session.exec(  # type: ignore[call-overload]
            update(model).where(column == duplicate.id).values(customer_id=survivor.id)
        )
    survivor.phone = survivor.phone or duplicate.phone
    survivor.email = survivor.email or duplicate.email
    survivor.is_vip = survivor.is_vip or duplicate.is_vip
    # the stricter consent wins: a withdrawal in either file is kept
    survivor.consent_to_contact = survivor.consent_to_contact and duplicate.consent_to_contact
    if duplicate.created_at < survivor.created_at:
        survivor.created_at = duplicate.created_at
        survivor.home_station_id = duplicate.home_station_id
    duplicate.merged_into_id = survivor.id
    session.add_all([survivor, duplicate])
    if not survivor.consent_to_contact:
        await session.flush()
        await _close_calls_without_consent(session, survivor.id)
    _audit(session, user, AuditAction.CHANGE, survivor)
    _audit(session, user, AuditAction.CHANGE, duplicate)
    await session.flush()
    session.expire_all()
    survivor = await _visible_customer(session, user, customer_id)
    return await _detail(session, user, survivor)


def _customer_public(customer: Customer) -> CustomerPublic:
    return CustomerPublic.model_validate(customer.model_dump())


# --- the follow-up queue and the audit log ----------------------------------------------


async def list_followups(
    session: AsyncSession,
    user: Principal,
    *,
    status: FollowUpStatus | None = None,
    agent_id: str | None = None,
    kind: FollowUpKind | None = None,
    escalated: bool | None = None,
    callable_now: bool = False,
    further_work: bool | None = None,
    month: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> FollowUpsPublic:
    """The agents' call list per station (and per agent): the oldest deadline first."""
    query = select(FollowUp)
    query = at_visible_stations(query, FollowUp.station_id, user)
    if month is not None:  # calls made (closed) in that month: e.g. the month's customer needs
        try:
            start, end = domain.month_bounds(month)
        except ValueError as exc:
            raise DomainError(str(exc), field="month") from exc
        closed = col(FollowUp.closed_at)
        query = query.where(closed >= start, closed < end)
    if status is not None:
        query = query.where(FollowUp.status == status)
    if agent_id is not None:
        query = query.where(FollowUp.agent_id == agent_id)
    if kind is not None:
        query = query.where(FollowUp.kind == kind)
    if escalated is not None:
        escalated_col = col(FollowUp.escalated_at)
        query = query.where(escalated_col.is_not(None) if escalated else escalated_col.is_(None))
    if further_work is not None:
        work = col(FollowUp.further_work)
        query = query.where(work.is_not(None) if further_work else work.is_(None))
    if callable_now:  # open, any retry pause over, and office time at the call's station
        retry_at = col(FollowUp.next_attempt_at)
        now = utcnow()
        query = query.where(
            FollowUp.status == FollowUpStatus.OPEN,
            or_(retry_at.is_(None), retry_at <= now),
        )
        open_stations = (
            await session.exec(
                select(FollowUp.station_id).where(FollowUp.status == FollowUpStatus.OPEN).distinct()
            )
        ).all()
        in_office = [
            str(station)
            for station in open_stations
            if domain.is_office_time(calendar_for(str(station)), now)
        ]
        # and at a time that suits the customer (§8), in the station's local time
        query = query.where(
            or_(
                false(),
                *(
                    (col(FollowUp.station_id) == station)
                    & col(FollowUp.customer_id).in_(
                        _customers_callable_at(calendar_for(station).local(now).time())
                    )
                    for station in in_office
                ),
            )
        )
    count = await count_rows(session, query)
    rows = (
        await session.exec(
            query.order_by(col(FollowUp.due_at), col(FollowUp.id)).offset(offset).limit(limit)
        )
    ).all()
    return FollowUpsPublic(
        data=[FollowUpPublic.model_validate(row.model_dump()) for row in rows], count=count
    )


def _customers_callable_at(moment: time) -> SelectOfScalar[uuid.UUID]:
    """Customers for whom ``moment`` (local time of day) suits a call."""
    start, end = col(Customer.call_from), col(Customer.call_until)
    return select(Customer.id).where(
        or_(start.is_(None), start <= moment), or_(end.is_(None), end > moment)
    )


async def followup_summary(
    session: AsyncSession, user: Principal, since: datetime, until: datetime
) -> FollowUpSummary:
    """The week's (or any period's) follow-up results per station for the managers (§8)."""
    if until <= since:
        raise DomainError("until must be after since", field="until")
    calls = (
        await session.exec(
            at_visible_stations(select(FollowUp), FollowUp.station_id, user).where(
                col(FollowUp.due_at) >= since, col(FollowUp.due_at) < until
            )
        )
    ).all()
    closed = (
        await session.exec(
            at_visible_stations(select(FollowUp), FollowUp.station_id, user).where(
                col(FollowUp.closed_at) >= since, col(FollowUp.closed_at) < until
            )
        )
    ).all()
    complaints = (
        await session.exec(
            at_visible_stations(select(Complaint), Complaint.station_id, user).where(
                or_(
                    (col(Complaint.opened_at) >= since) & (col(Complaint.opened_at) < until),
                    (col(Complaint.answered_at) >= since) & (col(Complaint.answered_at) < until),
                )
            )
        )
    ).all()
    stations = sorted(
        {c.station_id for c in calls}
        | {c.station_id for c in closed}
        | {c.station_id for c in complaints}
    )
    rows = []
    for station in stations:
        first = [c for c in calls if c.station_id == station and c.kind == FollowUpKind.FIRST]
        done_in_time = sum(
            1
            for c in first
            if c.status == FollowUpStatus.DONE
            and c.closed_at is not None
            and c.closed_at <= c.due_at
        )
        no_consent = sum(1 for c in first if c.status == FollowUpStatus.NO_CONSENT)
        ended = [c for c in closed if c.station_id == station]
        theirs = [c for c in complaints if c.station_id == station]
        answered = [
            c for c in theirs if c.answered_at is not None and since <= c.answered_at < until
        ]
        rows.append(
            FollowUpSummaryRow(
                station_id=station,
                first_calls_due=len(first),
                done_in_time=done_in_time,
                no_consent=no_consent,
                completion_in_time=domain.completion_rate(done_in_time, len(first) - no_consent),
                expired=sum(1 for c in ended if c.status == FollowUpStatus.EXPIRED),
                unreachable=sum(1 for c in ended if c.status == FollowUpStatus.UNREACHABLE),
                satisfied=sum(1 for c in ended if c.outcome == CallOutcome.SATISFIED),
                dissatisfied=sum(1 for c in ended if c.outcome == CallOutcome.DISSATISFIED),
                escalated=sum(1 for c in ended if c.escalated_at is not None),
                complaints_opened=sum(1 for c in theirs if since <= c.opened_at < until),
                complaints_answered=len(answered),
                complaints_accepted=sum(1 for c in answered if c.customer_accepted),
            )
        )
    return FollowUpSummary(since=since, until=until, data=rows)


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


# --- scheduled tasks (the scheduler runs them once, when due, on the driven clock) ---------

TASK_FOLLOWUP_OPEN = "followup.open"
TASK_FOLLOWUP_EXPIRE = "followup.expire"
TASK_REMINDER_SEND = "reminder.send"
TASK_REMINDER_CALL = "reminder.call_if_not_booked"
TASK_DECLINED_REMIND = "declined_work.remind"
TASK_COMPLAINT_OVERDUE = "complaint.overdue"
TASK_CONTACT_MONTH = "contact_plan.close_month"
TASK_CAMPAIGN_REMIND = "campaign.remind"
TASK_APPOINTMENT_REMINDER_SEND = "appointment_reminder.send"


def _announce(uow: UnitOfWork, followup: FollowUp) -> None:
    uow.emit(
        events.FollowUpDue(
            followup_id=followup.id,
            order_id=followup.order_id,
            customer_id=followup.customer_id,
            opens_at=followup.opens_at,
            due_at=followup.due_at,
            kind=followup.kind.value,
        ),
        station_id=followup.station_id,
    )


async def open_followup(uow: UnitOfWork, followup_id: uuid.UUID) -> None:
    """The call's window opened: it joins the agents' queue and is announced."""
    followup = await uow.session.get(FollowUp, followup_id)
    if followup is None or followup.status != FollowUpStatus.SCHEDULED:
        return  # merged away, or already closed
    customer = await uow.session.get(Customer, followup.customer_id)
    if customer is not None and not domain.may_call_about_service_quality(
        customer.consent_to_contact
    ):
        followup.status = FollowUpStatus.NO_CONSENT
        followup.closed_at = utcnow()
        uow.session.add(followup)
        return
    followup.status = FollowUpStatus.OPEN
    uow.session.add(followup)
    _announce(uow, followup)


async def expire_followup(uow: UnitOfWork, followup_id: uuid.UUID) -> None:
    """A call not made by its expiry is closed as expired (it counts against the KPI)."""
    followup = await uow.session.get(FollowUp, followup_id)
    if followup is None or followup.status not in (FollowUpStatus.SCHEDULED, FollowUpStatus.OPEN):
        return
    followup.status = FollowUpStatus.EXPIRED
    followup.closed_at = utcnow()
    uow.session.add(followup)


async def send_service_reminder(uow: UnitOfWork, reminder_id: uuid.UUID) -> None:
    """Remind the customer ahead of the next service, unless booked or consent withdrawn."""
    session = uow.session
    reminder = await session.get(ServiceReminder, reminder_id)
    if reminder is None or reminder.state != ReminderState.PLANNED:
        return
    customer = await session.get(Customer, reminder.customer_id)
    if customer is None or not domain.may_be_contacted(customer.consent_to_contact):
        reminder.state = ReminderState.WITHHELD
        session.add(reminder)
        return
    if await _deferred_off_holiday(
        uow.session,
        TASK_REMINDER_SEND,
        _send_key(reminder),
        {"reminder_id": str(reminder.id)},
        reminder.station_id,
    ):
        return
    now = utcnow()
    reminder.state = ReminderState.SENT
    reminder.sent_at = now
    customer.last_contact_at = now
    session.add_all([reminder, customer])
    uow.emit(
        events.ReminderDue(
            reminder_id=reminder.id,
            customer_id=reminder.customer_id,
            vin=reminder.vin,
            reason="next maintenance",
            due_on=reminder.due_on,
            due_km=reminder.due_km,
            kind="maintenance",
        ),
        station_id=reminder.station_id,
    )


async def _deferred_off_holiday(
    session: AsyncSession, kind: str, key: str, payload: dict[str, str], station_id: str
) -> bool:
    """A message due on a public holiday (the calendar may have changed since it was
    planned) is planned again for the first day after it; True when it was."""
    now = utcnow()
    later = domain.message_time(calendar_for(station_id), now)
    if later == now:
        return False
    await schedule(
        session,
        kind=kind,
        key=f"{key}:{later.date().isoformat()}",
        due_at=later,
        payload=payload,
        station_id=station_id,
    )
    return True


async def call_if_not_booked(uow: UnitOfWork, reminder_id: uuid.UUID) -> None:
    """Due and not booked: a reminder call joins the agents' queue (§8)."""
    session = uow.session
    reminder = await session.get(ServiceReminder, reminder_id)
    if reminder is None or reminder.booked_at is not None:
        return
    customer = await session.get(Customer, reminder.customer_id)
    if customer is None or not domain.may_be_contacted(customer.consent_to_contact):
        return
    exists = (
        await session.exec(
            select(FollowUp).where(
                FollowUp.order_id == reminder.order_id,
                FollowUp.kind == FollowUpKind.SERVICE_DUE,
            )
        )
    ).first()
    if exists is not None:
        return
    calendar = calendar_for(reminder.station_id)
    now = utcnow()
    if not domain.is_office_time(calendar, now):  # planned before a holiday was known
        await schedule(
            session,
            kind=TASK_REMINDER_CALL,
            key=f"{_not_booked_key(reminder)}:{domain.next_office_moment(calendar, now).date()}",
            due_at=domain.next_office_moment(calendar, now),
            payload={"reminder_id": str(reminder.id)},
            station_id=reminder.station_id,
        )
        return
    followup = FollowUp(
        station_id=reminder.station_id,
        order_id=reminder.order_id,
        customer_id=reminder.customer_id,
        kind=FollowUpKind.SERVICE_DUE,
        opens_at=now,
        due_at=now + domain.REMINDER_CALL_DUE_WITHIN,
        expires_at=now + timedelta(days=followup_policy(reminder.station_id).expires_after_days),
        vin=reminder.vin,
        status=FollowUpStatus.OPEN,
        created_at=now,
    )
    session.add(followup)
    await schedule(
        session,
        kind=TASK_FOLLOWUP_EXPIRE,
        key=f"followup:{followup.order_id}:{followup.kind.value}:expire",
        due_at=followup.expires_at,
        payload={"followup_id": str(followup.id)},
        station_id=followup.station_id,
    )
    _announce(uow, followup)
    uow.emit(
        events.ReminderDue(
            reminder_id=followup.id,  # the call: the maintenance reminder has its own id
            customer_id=reminder.customer_id,
            vin=reminder.vin,
            reason="due for maintenance and not booked: a reminder call",
            due_on=reminder.due_on,
            due_km=reminder.due_km,
            kind="booking_call",
        ),
        station_id=reminder.station_id,
    )


async def remind_declined_work(uow: UnitOfWork, finding_id: uuid.UUID) -> None:
    """Remind the customer of work declined a while ago (not if consent was withdrawn)."""
    session = uow.session
    row = (
        await session.exec(select(DeclinedWork).where(DeclinedWork.finding_id == finding_id))
    ).first()
    if row is None or row.reminded_at is not None or row.declined_at is None:
        return
    visit = await _visit_of(session, row.order_id)
    if visit is None:
        raise LookupError("the declined work's order is not known yet; retry")
    customer = await session.get(Customer, visit.customer_id)
    if customer is None or not domain.may_be_contacted(customer.consent_to_contact):
        return
    if await _deferred_off_holiday(
        session,
        TASK_DECLINED_REMIND,
        f"declined:{finding_id}",
        {"finding_id": str(finding_id)},
        row.station_id,
    ):
        return
    now = utcnow()
    row.reminded_at = now
    customer.last_contact_at = now
    session.add_all([row, customer])
    uow.emit(
        events.ReminderDue(
            reminder_id=row.id,
            customer_id=customer.id,
            vin=visit.vin,
            reason=f"declined work: {row.description}"[:500],
            kind="declined_work",
        ),
        station_id=row.station_id,
    )


async def complaint_overdue(uow: UnitOfWork, complaint_id: uuid.UUID) -> None:
    """Not answered by the promised time: escalated to the service manager, or to the group
    when the manager has it already."""
    complaint = await _locked_complaint(uow.session, complaint_id)
    if complaint is None or complaint.status != ComplaintStatus.OPEN:
        return
    await _escalate_complaint_further(uow, complaint, "answer overdue")


# --- escalations: the service manager's inbox (§8 dissatisfied calls, §9 complaints) --------


async def _locked_complaint(session: AsyncSession, complaint_id: uuid.UUID) -> Complaint | None:
    """The complaint, locked: an overdue check and an answer never escalate it both."""
    query = select(Complaint).where(Complaint.id == complaint_id).with_for_update()
    return (await session.exec(query)).first()


async def _escalation_exists(
    session: AsyncSession, subject: EscalationSubject, subject_id: uuid.UUID, level: str
) -> bool:
    query = select(Escalation.id).where(
        Escalation.subject == subject,
        Escalation.subject_id == subject_id,
        Escalation.level == level,
    )
    return (await session.exec(query)).first() is not None


async def _complaint_levels(session: AsyncSession, complaint_id: uuid.UUID) -> set[str]:
    """Levels a complaint has reached; a dissatisfied call that opened it already put it
    before the service manager."""
    rows = (
        await session.exec(
            select(Escalation).where(
                or_(
                    (col(Escalation.subject) == EscalationSubject.COMPLAINT)
                    & (col(Escalation.subject_id) == complaint_id),
                    col(Escalation.complaint_id) == complaint_id,
                )
            )
        )
    ).all()
    return {
        row.level.value if row.subject == EscalationSubject.COMPLAINT else "service_manager"
        for row in rows
    }


async def _escalate_complaint(
    uow: UnitOfWork, complaint: Complaint, level: str, reason: str
) -> Escalation | None:
    """Put the complaint before ``level`` (once per level) and publish complaint.escalated."""
    session = uow.session
    if await _escalation_exists(session, EscalationSubject.COMPLAINT, complaint.id, level):
        return None
    now = utcnow()
    escalation = Escalation(
        station_id=complaint.station_id,
        subject=EscalationSubject.COMPLAINT,
        subject_id=complaint.id,
        level=EscalationLevel(level),
        reason=reason[:200],
        customer_id=complaint.customer_id,
        order_id=complaint.order_id,
        complaint_id=complaint.id,
        escalated_at=now,
    )
    session.add(escalation)
    complaint.escalated_at = complaint.escalated_at or now
    complaint.escalation_reason = reason[:200]
    session.add(complaint)
    uow.emit(
        events.ComplaintEscalated(
            complaint_id=complaint.id,
            customer_id=complaint.customer_id,
            order_id=complaint.order_id,
            level=level,
            reason=reason,
            severity=complaint.severity.value,
            escalated_at=now,
        ),
        station_id=complaint.station_id,
    )
    return escalation


async def _escalate_complaint_further(
    uow: UnitOfWork, complaint: Complaint, reason: str
) -> Escalation | None:
    level = domain.next_level(await _complaint_levels(uow.session, complaint.id))
    if level is None:
        return None  # the group has it already: nobody higher inside the dealer group
    return await _escalate_complaint(uow, complaint, level, reason)


async def _escalate_followup(uow: UnitOfWork, followup: FollowUp, reason: str) -> None:
    """A dissatisfied customer goes to the service manager at once: followup.escalated."""
    session = uow.session
    level = EscalationLevel.SERVICE_MANAGER
    if await _escalation_exists(session, EscalationSubject.FOLLOW_UP, followup.id, level):
        return
    now = utcnow()
    followup.escalated_at = followup.escalated_at or now
    session.add(followup)
    session.add(
        Escalation(
            station_id=followup.station_id,
            subject=EscalationSubject.FOLLOW_UP,
            subject_id=followup.id,
            level=level,
            reason=reason[:200],
            customer_id=followup.customer_id,
            order_id=followup.order_id,
            complaint_id=followup.complaint_id,
            escalated_at=now,
        )
    )
    uow.emit(
        events.FollowUpEscalated(
            followup_id=followup.id,
            order_id=followup.order_id,
            customer_id=followup.customer_id,
            reason=reason,
            advisor_id=followup.advisor_id,
            escalated_at=now,
        ),
        station_id=followup.station_id,
    )


async def list_escalations(
    session: AsyncSession,
    user: Principal,
    *,
    acknowledged: bool = False,
    level: EscalationLevel | None = None,
    offset: int = 0,
    limit: int = 50,
) -> EscalationsPublic:
    """The manager's inbox: escalations of the user's stations, the oldest first."""
    query = at_visible_stations(select(Escalation), Escalation.station_id, user)
    done = col(Escalation.acknowledged_at)
    query = query.where(done.is_not(None) if acknowledged else done.is_(None))
    if level is not None:
        query = query.where(Escalation.level == level)
    count = await count_rows(session, query)
    rows = (
        await session.exec(
            query.order_by(col(Escalation.escalated_at), col(Escalation.id))
            .offset(offset)
            .limit(limit)
        )
    ).all()
    return EscalationsPublic(
        data=[EscalationPublic.model_validate(r.model_dump()) for r in rows], count=count
    )


async def acknowledge_escalation(
    session: AsyncSession, user: Principal, escalation_id: uuid.UUID, data: EscalationAcknowledge
) -> EscalationPublic:
    """The manager took the escalation on; it leaves the inbox. Once only (409 after)."""
    escalation = await get_visible(session, Escalation, escalation_id, user, "escalation")
    await session.refresh(escalation, with_for_update=True)
    if escalation.acknowledged_at is not None:
        raise Conflict(
            f"already acknowledged by {escalation.acknowledged_by}", field="escalation_id"
        )
    if escalation.level == EscalationLevel.GROUP and user.role != Role.GROUP_MANAGER:
        raise _Forbidden(
            "this escalation went to the group: a group manager acknowledges it",
            field="escalation_id",
        )
    escalation.acknowledged_at = utcnow()
    escalation.acknowledged_by = user.user_id
    escalation.note = data.note
    session.add(escalation)
    return EscalationPublic.model_validate(escalation.model_dump())


# --- follow-up calls: queue, assignment, outcomes -----------------------------------------


async def _visible_followup(
    session: AsyncSession, user: Principal, followup_id: uuid.UUID
) -> FollowUp:
    return await get_visible(session, FollowUp, followup_id, user, "follow-up call")


async def get_followup(
    session: AsyncSession, user: Principal, followup_id: uuid.UUID
) -> FollowUpDetailPublic:
    followup = await _visible_followup(session, user, followup_id)
    return await _followup_detail(session, followup)


async def _followup_detail(session: AsyncSession, followup: FollowUp) -> FollowUpDetailPublic:
    calls = (
        await session.exec(
            select(FollowUpCall)
            .where(FollowUpCall.followup_id == followup.id)
            .order_by(col(FollowUpCall.attempt))
        )
    ).all()
    return FollowUpDetailPublic.model_validate(
        {
            **followup.model_dump(),
            "calls": [FollowUpCallPublic.model_validate(c.model_dump()) for c in calls],
        }
    )


async def assign_followup(
    session: AsyncSession, user: Principal, followup_id: uuid.UUID, data: FollowUpAssign
) -> FollowUpDetailPublic:
    """Put a call in an agent's queue (their own when no agent is named)."""
    followup = await _visible_followup(session, user, followup_id)
    if followup.status not in (FollowUpStatus.SCHEDULED, FollowUpStatus.OPEN):
        raise Conflict(f"this call is {followup.status.value}", field="agent_id")
    followup.agent_id = data.agent_id or user.user_id
    session.add(followup)
    return await _followup_detail(session, followup)


async def record_outcome(
    uow: UnitOfWork, user: Principal, followup_id: uuid.UUID, data: FollowUpOutcome
) -> FollowUpDetailPublic:
    """Log the call (date, time, content) and what it gave; a dissatisfied customer is
    escalated to the service manager at once, and a complaint is opened when it is one."""
    session = uow.session
    followup = await _visible_followup(session, user, followup_id)
    # two agents saving the same call: the second waits here, then finds it closed (409)
    await session.refresh(followup, with_for_update=True)
    now = utcnow()
    calendar = calendar_for(followup.station_id)
    refusal = domain.can_record_outcome(followup.status.value, followup.opens_at, now, calendar)
    if refusal is not None:
        raise Conflict(refusal, field="outcome")
    customer = await session.get(Customer, followup.customer_id)
    if customer is not None and not domain.may_call_about_service_quality(
        customer.consent_to_contact
    ):
        raise Conflict(
            "the customer withdrew consent to be contacted: do not call", field="outcome"
        )
    if data.outcome == CallOutcome.DISSATISFIED and not data.reason:
        raise DomainError("say why the customer is dissatisfied", field="reason")
    followup.attempts += 1
    session.add(
        FollowUpCall(
            followup_id=followup.id,
            attempt=followup.attempts,
            called_at=now,
            agent_id=user.user_id,
            outcome=data.outcome,
            content=data.content,
        )
    )
    try:
        await session.flush()
    except IntegrityError as exc:  # the same attempt saved at once elsewhere (SQLite)
        raise Conflict("this call was just recorded by someone else", field="outcome") from exc
    followup.agent_id = followup.agent_id or user.user_id
    if data.further_work:
        followup.further_work = data.further_work
    if data.outcome == CallOutcome.NOT_REACHED:
        given_up, next_attempt = domain.after_not_reached(
            followup.attempts, now, followup.expires_at, calendar
        )
        followup.next_attempt_at = next_attempt
        if given_up:
            followup.status = FollowUpStatus.UNREACHABLE
            followup.outcome = CallOutcome.NOT_REACHED
            followup.closed_at = now
        session.add(followup)
        return await _followup_detail(session, followup)

    followup.status = FollowUpStatus.DONE
    followup.outcome = data.outcome
    followup.outcome_reason = data.reason
    followup.closed_at = now
    followup.next_attempt_at = None
    if customer is not None:
        customer.last_contact_at = now
        session.add(customer)
    if domain.dissatisfied_is_escalated(data.outcome.value):
        if data.complaint:
            complaint = await _open_complaint(
                uow,
                opened_by=user.user_id,
                station_id=followup.station_id,
                customer_id=followup.customer_id,
                order_id=followup.order_id,
                advisor_id=followup.advisor_id,
                channel=ComplaintChannel.FOLLOW_UP,
                category=data.category,
                severity=data.severity,
                summary=data.reason or data.content,
                owner_id=user.user_id,
                promised_answer_by=None,
                manufacturer_involved=False,
                escalate_reason="dissatisfied at the follow-up call",
            )
            followup.complaint_id = complaint.id
        await _escalate_followup(uow, followup, f"dissatisfied: {data.reason}")
    session.add(followup)
    await session.flush()
    return await _followup_detail(session, followup)


# --- complaints ------------------------------------------------------------------------------


async def _open_complaint(
    uow: UnitOfWork,
    *,
    opened_by: str,
    station_id: str,
    customer_id: uuid.UUID,
    order_id: uuid.UUID | None,
    advisor_id: str | None,
    channel: ComplaintChannel,
    category: str,
    severity: ComplaintSeverity,
    summary: str,
    owner_id: str,
    promised_answer_by: datetime | None,
    manufacturer_involved: bool,
    escalate_reason: str | None = None,
) -> Complaint:
    now = utcnow()
    try:
        promised = domain.promised_answer_time(now, severity.value, promised_answer_by)
    except ValueError as exc:
        raise DomainError(str(exc), field="promised_answer_by") from exc
    serious = domain.complaint_escalated_at_once(severity.value, manufacturer_involved)
    reason = escalate_reason or serious
    level = domain.level_at_once(severity.value, category, manufacturer_involved)
    complaint = Complaint(
        station_id=station_id,
        customer_id=customer_id,
        order_id=order_id,
        advisor_id=advisor_id,
        channel=channel,
        category=category,
        severity=severity,
        summary=summary[:2000],
        owner_id=owner_id,
        promised_answer_by=promised,
        manufacturer_involved=domain.involves_product_quality(category, manufacturer_involved),
        escalated_at=now if reason else None,
        escalation_reason=reason,
        opened_at=now,
        opened_by=opened_by,
    )
    uow.session.add(complaint)
    await schedule(
        uow.session,
        kind=TASK_COMPLAINT_OVERDUE,
        key=f"complaint:{complaint.id}:overdue",
        due_at=promised,
        payload={"complaint_id": str(complaint.id)},
        station_id=station_id,
    )
    uow.emit(
        events.ComplaintOpened(
            complaint_id=complaint.id,
            customer_id=customer_id,
            order_id=order_id,
            channel=channel.value,
            severity=severity.value,
            summary=complaint.summary,
        ),
        station_id=station_id,
    )
    # from a dissatisfied call the manager has it already (followup.escalated): only the
    # manufacturer is told in addition
    if level is not None and (escalate_reason is None or level == "manufacturer"):
        text = "serious complaint (manufacturer involved)" if level == "manufacturer" else serious
        await _escalate_complaint(uow, complaint, level, text or level)
    return complaint


async def open_complaint(
    uow: UnitOfWork, user: Principal, data: ComplaintCreate
) -> ComplaintPublic:
    """Log a complaint from any channel, linked to the order and its advisor when given."""
    session = uow.session
    customer = await _visible_customer(session, user, data.customer_id, field="customer_id")
    advisor_id: str | None = None
    if data.order_id is not None:
        visit = await _visit_of(session, data.order_id)
        if visit is None or not user.can_see(visit.station_id):
            raise NotFound("order")
        if visit.customer_id != customer.id:
            raise DomainError("the order is not this customer's", field="order_id")
        station_id = visit.station_id
        advisor_id = visit.advisor_id
    else:
        station_id = user.acting_station(data.station_id)
    complaint = await _open_complaint(
        uow,
        opened_by=user.user_id,
        station_id=station_id,
        customer_id=customer.id,
        order_id=data.order_id,
        advisor_id=advisor_id,
        channel=data.channel,
        category=data.category,
        severity=data.severity,
        summary=data.summary,
        owner_id=data.owner_id or user.user_id,
        promised_answer_by=data.promised_answer_by,
        manufacturer_involved=data.manufacturer_involved,
    )
    return ComplaintPublic.model_validate(complaint.model_dump())


async def answer_complaint(
    uow: UnitOfWork, user: Principal, complaint_id: uuid.UUID, data: ComplaintAnswer
) -> ComplaintPublic:
    """Record the answer and whether the customer accepted it (not accepted: escalated a
    level up, complaint.escalated)."""
    session = uow.session
    complaint = await get_visible(session, Complaint, complaint_id, user, "complaint")
    await session.refresh(complaint, with_for_update=True)
    if complaint.status != ComplaintStatus.OPEN:
        raise Conflict("this complaint is already answered", field="answer")
    now = utcnow()
    complaint.status = ComplaintStatus.ANSWERED
    complaint.answer = data.answer
    complaint.answered_at = now
    complaint.customer_accepted = data.customer_accepted
    if not data.customer_accepted:
        await _escalate_complaint_further(uow, complaint, "the customer did not accept the answer")
    session.add(complaint)
    _audit_complaint(session, user, AuditAction.CHANGE, complaint)
    # the overdue check finds the complaint answered and does nothing; it is not cancelled
    # here: a scheduler running it holds its task row and waits for this complaint's lock,
    # so updating the task while holding the complaint would deadlock
    customer = await session.get(Customer, complaint.customer_id)
    if customer is not None:
        customer.last_contact_at = now
        session.add(customer)
    return ComplaintPublic.model_validate(complaint.model_dump())


def _audit_complaint(
    session: AsyncSession, user: Principal, action: AuditAction, complaint: Complaint
) -> None:
    session.add(
        AuditEntry(
            at=utcnow(),
            user_id=user.user_id,
            action=action,
            entity="complaint",
            entity_id=str(complaint.id),
            station_id=complaint.station_id,
        )
    )


async def get_complaint(
    session: AsyncSession, user: Principal, complaint_id: uuid.UUID
) -> ComplaintPublic:
    """One complaint (personal data: the read is audited)."""
    complaint = await get_visible(session, Complaint, complaint_id, user, "complaint")
    _audit_complaint(session, user, AuditAction.READ, complaint)
    return ComplaintPublic.model_validate(complaint.model_dump())


async def list_complaints(
    session: AsyncSession,
    user: Principal,
    *,
    status: ComplaintStatus | None = None,
    escalated: bool | None = None,
    offset: int = 0,
    limit: int = 50,
) -> ComplaintsPublic:
    """Complaints of the user's stations, the earliest promised answer first."""
    query = at_visible_stations(select(Complaint), Complaint.station_id, user)
    if status is not None:
        query = query.where(Complaint.status == status)
    if escalated is not None:
        escalated_col = col(Complaint.escalated_at)
        query = query.where(escalated_col.is_not(None) if escalated else escalated_col.is_(None))
    count = await count_rows(session, query)
    rows = (
        await session.exec(
            query.order_by(col(Complaint.promised_answer_by), col(Complaint.id))
            .offset(offset)
            .limit(limit)
        )
    ).all()
    for row in rows:
        _audit_complaint(session, user, AuditAction.READ, row)
    return ComplaintsPublic(
        data=[ComplaintPublic.model_validate(r.model_dump()) for r in rows], count=count
    )


async def list_reminders(
    session: AsyncSession,
    user: Principal,
    *,
    vin: str | None = None,
    state: ReminderState | None = None,
    kind: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> ServiceRemindersPublic:
    """Maintenance and appointment reminders of the user's stations, the earliest due first
    (an appointment reminder is due on the appointment's day)."""
    maintenance = at_visible_stations(select(ServiceReminder), ServiceReminder.station_id, user)
    appointments = at_visible_stations(
        select(AppointmentReminder), AppointmentReminder.station_id, user
    )
    if vin:
        maintenance = maintenance.where(ServiceReminder.vin == vin.strip().upper())
        appointments = appointments.where(AppointmentReminder.vin == vin.strip().upper())
    if state is not None:
        maintenance = maintenance.where(ServiceReminder.state == state)
        appointments = appointments.where(AppointmentReminder.state == state)
    rows: list[ServiceReminderPublic] = []
    count = 0
    if kind in (None, "maintenance"):
        count += await count_rows(session, maintenance)
        found = await session.exec(
            maintenance.order_by(col(ServiceReminder.due_on), col(ServiceReminder.id)).limit(
                offset + limit
            )
        )
        rows += [ServiceReminderPublic.model_validate(r.model_dump()) for r in found]
    if kind in (None, "appointment"):
        count += await count_rows(session, appointments)
        found_appointments = await session.exec(
            appointments.order_by(
                col(AppointmentReminder.starts_at), col(AppointmentReminder.id)
            ).limit(offset + limit)
        )
        rows += [_appointment_reminder_public(r) for r in found_appointments]
    # each kind arrives in its own order; merged: by day, maintenance first, then start, id
    rows.sort(key=lambda r: (r.due_on, r.kind == "appointment", r.starts_at or _EPOCH, r.id))
    return ServiceRemindersPublic(data=rows[offset : offset + limit], count=count)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _appointment_reminder_public(row: AppointmentReminder) -> ServiceReminderPublic:
    return ServiceReminderPublic(
        id=row.id,
        station_id=row.station_id,
        order_id=None,
        customer_id=row.customer_id,
        vin=row.vin,
        due_on=calendar_for(row.station_id).local_day(row.starts_at),
        due_km=None,
        remind_at=row.remind_at,
        state=row.state,
        sent_at=row.sent_at,
        booked_at=None,
        kind="appointment",
        appointment_id=row.appointment_id,
        starts_at=row.starts_at,
        note=row.note,
    )


# --- satisfaction (CSI) -----------------------------------------------------------------------


async def record_csi(
    session: AsyncSession, user: Principal, data: CsiSurveyCreate
) -> CsiSurveyPublic:
    """Record the customer's scores for a delivered order, once, exactly as given."""
    visit = await _visit_of(session, data.order_id)
    if visit is None or not user.can_see(visit.station_id):
        error = NotFound("order")
        error.field = "order_id"
        raise error
    if visit.delivered_at is None:
        raise DomainError("the survey is for delivered orders only", field="order_id")
    try:
        domain.check_csi_answers(data.scores)
    except ValueError as exc:
        raise DomainError(str(exc), field="scores") from exc
    if (await session.exec(select(CsiSurvey).where(CsiSurvey.order_id == data.order_id))).first():
        raise Conflict("this order's survey is already recorded", field="order_id")
    survey = CsiSurvey(
        order_id=visit.order_id,
        station_id=visit.station_id,
        advisor_id=visit.advisor_id,
        customer_id=visit.customer_id,
        comment=data.comment,
        answered_at=utcnow(),
        recorded_by=user.user_id,
    )
    session.add(survey)
    session.add_all(
        CsiAnswer(survey_id=survey.id, question=q, score=score) for q, score in data.scores.items()
    )
    return CsiSurveyPublic.model_validate({**survey.model_dump(), "scores": data.scores})


async def csi_report(
    session: AsyncSession,
    user: Principal,
    group_by: CsiGroup,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> CsiReport:
    """CSI (0–100) per station, advisor or month (station local time) of the user's stations."""
    query = select(CsiSurvey, CsiAnswer).where(col(CsiAnswer.survey_id) == col(CsiSurvey.id))
    stations = user.visible_stations()
    if stations is not None:
        query = query.where(col(CsiSurvey.station_id).in_(stations))
    if since is not None:
        query = query.where(col(CsiSurvey.answered_at) >= since)
    if until is not None:
        query = query.where(col(CsiSurvey.answered_at) < until)
    scores: dict[str, list[int]] = {}
    surveys: dict[str, set[uuid.UUID]] = {}
    for survey, answer in (await session.exec(query)).all():
        if group_by == CsiGroup.STATION:
            key = survey.station_id
        elif group_by == CsiGroup.ADVISOR:
            key = survey.advisor_id or "(none)"
        elif group_by == CsiGroup.QUARTER:
            key = domain.quarter_label(survey.answered_at)
        else:
            key = survey.answered_at.astimezone(domain.STATION_TIMEZONE).strftime("%Y-%m")
        scores.setdefault(key, []).append(answer.score)
        surveys.setdefault(key, set()).add(survey.id)
    return CsiReport(
        group_by=group_by,
        data=[
            CsiRow(key=key, surveys=len(surveys[key]), csi=domain.csi_index(scores[key]))
            for key in sorted(scores)
        ],
    )


# --- campaigns and recalls --------------------------------------------------------------------


#: VINs per campaign.launched message (a recall of 100 000 cars is sent in parts)
VINS_PER_EVENT = 5000
#: campaigns are the group's, not one station's: their events carry this station id
GROUP_STATION = "group"


def _campaign_kind(campaign: Campaign) -> str:
    return "recall" if campaign.is_recall else "campaign"


def _campaign_remind_key(campaign_id: uuid.UUID, vin: str) -> str:
    return f"campaign:{campaign_id}:{vin}:remind"


async def create_campaign(uow: UnitOfWork, user: Principal, data: CampaignCreate) -> CampaignPublic:
    """A manufacturer's campaign or recall with the VINs it affects (group-wide): published
    as campaign.launched for reception's check-in desk, owners reminded (with consent)."""
    session = uow.session
    if (await session.exec(select(Campaign).where(Campaign.code == data.code))).first():
        raise Conflict(f"campaign {data.code} exists already", field="code")
    campaign = Campaign(
        code=data.code,
        title=data.title,
        is_recall=data.is_recall,
        created_at=utcnow(),
        created_by=user.user_id,
    )
    session.add(campaign)
    await _launch(uow, campaign, data.vins)
    return CampaignPublic.model_validate(
        {**campaign.model_dump(), "vehicles": len(data.vins), "open_vehicles": len(data.vins)}
    )


async def add_campaign_vehicles(
    uow: UnitOfWork, user: Principal, campaign_id: uuid.UUID, data: CampaignVehiclesAdd
) -> CampaignPublic:
    """More VINs for a campaign: the new ones are launched like the first (published,
    reminded); VINs it has already are left as they are."""
    session = uow.session
    campaign = (
        await session.exec(select(Campaign).where(Campaign.id == campaign_id).with_for_update())
    ).first()
    if campaign is None:
        raise NotFound("campaign")
    known: set[str] = set()
    for chunk in _chunks(data.vins, 500):
        known.update(
            (
                await session.exec(
                    select(CampaignVehicle.vin).where(
                        CampaignVehicle.campaign_id == campaign.id,
                        col(CampaignVehicle.vin).in_(chunk),
                    )
                )
            ).all()
        )
    added = [vin for vin in data.vins if vin not in known]
    if added:
        await _launch(uow, campaign, added)
    await session.flush()
    return await _campaign_public(session, campaign)


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


async def _launch(uow: UnitOfWork, campaign: Campaign, vins: list[str]) -> None:
    """Add the VINs, publish campaign.launched (in parts) and plan the owners' reminders."""
    session = uow.session
    session.add_all(CampaignVehicle(campaign_id=campaign.id, vin=vin) for vin in vins)
    for part in _chunks(vins, VINS_PER_EVENT):
        uow.emit(
            events.CampaignLaunched(
                campaign_id=campaign.id,
                code=campaign.code,
                title=campaign.title,
                kind=_campaign_kind(campaign),
                vins=part,
            ),
            station_id=GROUP_STATION,
        )
    now = utcnow()
    for chunk in _chunks(vins, 500):
        owners = (
            await session.exec(
                select(Vehicle, Customer)
                .where(col(Vehicle.vin).in_(chunk))
                .where(Vehicle.customer_id == Customer.id)  # type: ignore[arg-type]
            )
        ).all()
        for car, customer in owners:
            if not domain.may_be_contacted(customer.consent_to_contact):
                continue  # no campaign messages to a customer who refused contact
            await schedule(
                session,
                kind=TASK_CAMPAIGN_REMIND,
                key=_campaign_remind_key(campaign.id, car.vin),
                due_at=domain.message_time(calendar_for(customer.home_station_id), now),
                payload={"campaign_id": str(campaign.id), "vin": car.vin},
                station_id=customer.home_station_id,
            )


async def remind_campaign(uow: UnitOfWork, campaign_id: uuid.UUID, vin: str) -> None:
    """Tell the owner of a vehicle of an open campaign (reminder.due kind campaign), unless
    the work is done or the customer withdrew consent."""
    session = uow.session
    campaign = await session.get(Campaign, campaign_id)
    row = (
        await session.exec(
            select(CampaignVehicle).where(
                CampaignVehicle.campaign_id == campaign_id, CampaignVehicle.vin == vin
            )
        )
    ).first()
    car = await session.get(Vehicle, vin)
    if campaign is None or row is None or row.done_at is not None or car is None:
        return
    customer = await session.get(Customer, car.customer_id)
    if customer is None or not domain.may_be_contacted(customer.consent_to_contact):
        return
    payload = {"campaign_id": str(campaign_id), "vin": vin}
    key = _campaign_remind_key(campaign_id, vin)
    if await _deferred_off_holiday(
        session, TASK_CAMPAIGN_REMIND, key, payload, customer.home_station_id
    ):
        return
    customer.last_contact_at = utcnow()
    session.add(customer)
    uow.emit(
        events.ReminderDue(
            reminder_id=row.id,
            customer_id=customer.id,
            vin=vin,
            reason=f"{_campaign_kind(campaign)} {campaign.code}: {campaign.title}"[:500],
            kind="campaign",
        ),
        station_id=customer.home_station_id,
    )


async def _campaign_public(session: AsyncSession, campaign: Campaign) -> CampaignPublic:
    rows = (
        await session.exec(
            select(CampaignVehicle.done_at).where(CampaignVehicle.campaign_id == campaign.id)
        )
    ).all()
    return CampaignPublic.model_validate(
        {
            **campaign.model_dump(),
            "vehicles": len(rows),
            "open_vehicles": sum(1 for done in rows if done is None),
        }
    )


async def list_campaigns(session: AsyncSession) -> CampaignsPublic:
    campaigns = (await session.exec(select(Campaign).order_by(col(Campaign.created_at)))).all()
    rows = (await session.exec(select(CampaignVehicle))).all()
    data = []
    for campaign in campaigns:
        mine = [r for r in rows if r.campaign_id == campaign.id]
        data.append(
            CampaignPublic.model_validate(
                {
                    **campaign.model_dump(),
                    "vehicles": len(mine),
                    "open_vehicles": sum(1 for r in mine if r.done_at is None),
                }
            )
        )
    return CampaignsPublic(data=data, count=len(data))


async def campaign_outreach(
    session: AsyncSession, user: Principal, campaign_id: uuid.UUID
) -> OutreachPublic:
    """The affected vehicles still open whose owners are customers of the user's stations.

    A service campaign is marketing: owners who withdrew consent are left out. A recall is
    a safety notice the law requires (缺陷汽车产品召回管理条例): they stay on the list,
    flagged, for a written notice; no reminder message goes to them either way."""
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("campaign")
    open_vins = select(CampaignVehicle.vin).where(
        CampaignVehicle.campaign_id == campaign_id, col(CampaignVehicle.done_at).is_(None)
    )
    query = (
        select(Vehicle, Customer)
        .where(col(Vehicle.vin).in_(open_vins))
        .where(Vehicle.customer_id == Customer.id)  # type: ignore[arg-type]
    )
    visible = _visible_customers(user)
    if visible is not None:
        query = query.where(visible)
    if not campaign.is_recall:
        query = query.where(col(Customer.consent_to_contact).is_(True))
    rows = (await session.exec(query.order_by(col(Vehicle.vin)))).all()
    data = []
    for car, customer in rows:
        _audit(session, user, AuditAction.READ, customer)
        data.append(
            OutreachRow(
                vin=car.vin,
                plate=car.plate,
                customer_id=customer.id,
                customer_name=customer.name,
                phone=customer.phone,
                consent_to_contact=customer.consent_to_contact,
            )
        )
    return OutreachPublic(data=data, count=len(data))


async def open_campaigns(session: AsyncSession, vin: str) -> OpenCampaignsPublic:
    """For reception at check-in: the campaigns and recalls still open for this VIN."""
    vin = vin.strip().upper()
    rows = (
        await session.exec(
            select(Campaign)
            .where(CampaignVehicle.campaign_id == Campaign.id)  # type: ignore[arg-type]
            .where(CampaignVehicle.vin == vin, col(CampaignVehicle.done_at).is_(None))
            .order_by(col(Campaign.is_recall).desc(), col(Campaign.code))
        )
    ).all()
    return OpenCampaignsPublic(
        vin=vin,
        data=[
            OpenCampaign.model_validate({**c.model_dump(), "kind": _campaign_kind(c)}) for c in rows
        ],
    )


async def complete_campaign_vehicle(
    session: AsyncSession, campaign_id: uuid.UUID, vin: str, data: CampaignDone
) -> OpenCampaignsPublic:
    """The campaign's work was done on this vehicle: it leaves the outreach list."""
    vin = vin.strip().upper()
    row = (
        await session.exec(
            select(CampaignVehicle).where(
                CampaignVehicle.campaign_id == campaign_id, CampaignVehicle.vin == vin
            )
        )
    ).first()
    if row is None:
        raise NotFound("campaign vehicle")
    if row.done_at is not None:
        raise Conflict("already done for this vehicle", field="vin")
    row.done_at = utcnow()
    row.done_order_id = data.order_id
    session.add(row)
    await cancel(session, _campaign_remind_key(campaign_id, vin))
    await session.flush()
    return await open_campaigns(session, vin)


# --- contact plan and churn -------------------------------------------------------------------


async def contact_plan(
    session: AsyncSession,
    user: Principal,
    *,
    segment: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> ContactPlanPublic:
    """Customers of the user's stations not contacted yet this month (consent given)."""
    start = domain.month_start(utcnow())
    query = select(Customer).where(
        col(Customer.merged_into_id).is_(None),
        col(Customer.consent_to_contact).is_(True),
        or_(col(Customer.last_contact_at).is_(None), col(Customer.last_contact_at) < start),
    )
    visible = _visible_customers(user)
    if visible is not None:
        query = query.where(visible)
    customers = (await session.exec(query.order_by(col(Customer.name), col(Customer.id)))).all()
    rows = [
        ContactPlanRow(
            customer_id=c.id,
            name=c.name,
            segment=domain.segment_of(c.kind.value, c.is_vip),
            preferred_channel=c.preferred_channel,
            last_contact_at=c.last_contact_at,
        )
        for c in customers
    ]
    if segment is not None:
        rows = [r for r in rows if r.segment == segment]
    page = rows[offset : offset + limit]
    for customer in customers:
        if any(r.customer_id == customer.id for r in page):
            _audit(session, user, AuditAction.READ, customer)
    return ContactPlanPublic(month_start=start, data=page, count=len(rows))


async def plan_contact_month(session: AsyncSession, month: str | None = None) -> None:
    """Plan the closing of a month's contact plan at its end (once per month, any replica)."""
    label = month or domain.month_label(utcnow())
    _, end = domain.month_bounds(label)
    await schedule(
        session,
        kind=TASK_CONTACT_MONTH,
        key=f"contact-plan:{label}",
        due_at=end,
        payload={"month": label},
    )


async def close_contact_month(uow: UnitOfWork, month: str) -> None:
    """Record per station and segment who was contacted in the month; plan the next one."""
    session = uow.session
    start, end = domain.month_bounds(month)
    customers = (
        await session.exec(
            select(Customer).where(
                col(Customer.merged_into_id).is_(None), col(Customer.created_at) < end
            )
        )
    ).all()
    tally: dict[tuple[str, str], list[int]] = {}
    for customer in customers:
        key = (customer.home_station_id, domain.segment_of(customer.kind.value, customer.is_vip))
        counts = tally.setdefault(key, [0, 0])
        counts[0] += 1
        if customer.last_contact_at is not None and customer.last_contact_at >= start:
            counts[1] += 1
    existing = {
        (row.station_id, row.segment)
        for row in (
            await session.exec(select(ContactPlanMonth).where(ContactPlanMonth.month == month))
        ).all()
    }
    now = utcnow()
    for (station_id, segment), (total, contacted) in sorted(tally.items()):
        if (station_id, segment) not in existing:
            session.add(
                ContactPlanMonth(
                    month=month,
                    station_id=station_id,
                    segment=segment,
                    customers=total,
                    contacted=contacted,
                    recorded_at=now,
                )
            )
    await plan_contact_month(session, domain.month_label(end))


async def contact_plan_months(
    session: AsyncSession, user: Principal, month: str | None = None
) -> ContactPlanMonthsPublic:
    """Closed months: customers and how many were contacted, per station and segment."""
    query = at_visible_stations(select(ContactPlanMonth), ContactPlanMonth.station_id, user)
    if month is not None:
        query = query.where(ContactPlanMonth.month == month)
    rows = (
        await session.exec(
            query.order_by(
                col(ContactPlanMonth.month).desc(),
                col(ContactPlanMonth.station_id),
                col(ContactPlanMonth.segment),
            )
        )
    ).all()
    return ContactPlanMonthsPublic(
        data=[ContactPlanMonthRow.model_validate(r.model_dump()) for r in rows], count=len(rows)
    )


async def churn_report(session: AsyncSession, user: Principal, quarter: str) -> ChurnReport:
    """Per station: customers active at the quarter's start and those lost in it (no visit
    within the expected interval); the rate against the 5 % target."""
    try:
        start, end = domain.quarter_bounds(quarter)
    except ValueError as exc:
        raise DomainError(str(exc), field="quarter") from exc
    query = select(Visit.station_id, Visit.customer_id, Visit.opened_at)
    stations = user.visible_stations()
    if stations is not None:
        query = query.where(col(Visit.station_id).in_(stations))
    last_visit: dict[tuple[str, uuid.UUID], datetime] = {}
    for station_id, customer_id, opened_at in (await session.exec(query)).all():
        if opened_at >= end:
            continue
        key = (station_id, customer_id)
        last_visit[key] = max(last_visit.get(key, opened_at), opened_at)
    data = []
    for station in sorted({station for station, _ in last_visit}):
        lasts = [at for (s, _), at in last_visit.items() if s == station]
        base = [at for at in lasts if at + domain.EXPECTED_VISIT_INTERVAL >= start]
        lost = sum(1 for at in base if domain.lost_in(at, start, end))
        rate = domain.churn_rate(lost, len(base))
        data.append(
            ChurnRow(
                station_id=station,
                customers=len(base),
                lost=lost,
                churn_rate=rate,
                target=domain.CHURN_TARGET,
                on_target=None if rate is None else rate < domain.CHURN_TARGET,
            )
        )
    return ChurnReport(quarter=quarter, data=data)
