"""Workshop's use cases: each one state change plus its events, in one unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.workshop import domain
from services.workshop.domain import (
    FindingStatus,
    OverrunStatus,
    ProgressReportStatus,
    RoadsideOutcome,
    RoadsideStatus,
    TacCaseStatus,
)
from services.workshop.models import (
    AbsenceCreate,
    AbsencePublic,
    Bay,
    BayPublic,
    BaysPublic,
    BoardColumn,
    BoardPublic,
    BoardTeam,
    BulletinCreate,
    BulletinPublic,
    BulletinsPublic,
    CapacityPublic,
    CapacityRequest,
    ClockEntry,
    ClockEntryPublic,
    ClockOff,
    Finding,
    FindingPublic,
    FindingReport,
    Inspection,
    InspectionPublic,
    InspectionResult,
    Job,
    JobCompletion,
    JobDispatch,
    JobPart,
    JobPartPublic,
    JobPartStatus,
    JobPublic,
    JobsPublic,
    JobStatus,
    KpisPublic,
    OverrunDecision,
    OverrunRequest,
    OverrunRequestCreate,
    OverrunRequestPublic,
    OverrunRequestsPublic,
    PartMovement,
    PartUsedPublic,
    ProgressReport,
    ProgressReportEntry,
    ProgressReportPublic,
    ProgressReportsPublic,
    RoadsideCall,
    RoadsideCallCreate,
    RoadsideCallPublic,
    RoadsideCallsPublic,
    RoadsideDispatch,
    RoadsideFinish,
    RoadsideStep,
    TacAnswer,
    TacCase,
    TacCasePublic,
    TacCasesPublic,
    TacClosing,
    TacEscalation,
    Team,
    TeamChange,
    TeamCreate,
    TeamMember,
    TeamPublic,
    TeamsPublic,
    TechnicalBulletin,
    Technician,
    TechnicianAbsence,
    TechnicianCreate,
    TechnicianHours,
    TechnicianPublic,
    TechniciansPublic,
    WorkshopOrder,
    WorkshopOrderPublic,
    WorkshopOrderStatus,
)
from services.workshop.settings import workshop_settings
from shared.auth import Principal, Role
from shared.calendar import calendar_for
from shared.contracts import events
from shared.db import utcnow
from shared.errors import Conflict, DomainError, NotFound
from shared.outbox import UnitOfWork
from shared.scheduler import schedule
from shared.scoping import at_visible_stations, count_rows, get_visible, get_visible_for_update

_M = TypeVar("_M", bound=BaseModel)


class NotYourRole(DomainError):
    """The role may act on such records, but not on this one (403, with the reason)."""

    status = 403

    def __init__(self, message: str) -> None:
        super().__init__(message, code="forbidden")


# --- reacting to other services ---------------------------------------------------------


async def order_created(uow: UnitOfWork, event: events.OrderCreated) -> WorkshopOrder:
    """A signed order reaches the workshop: one job per labour line, its parts requested.

    A car back with a similar complaint within the comeback window is linked to its earlier
    order and technician (返修, process §6)."""
    existing = await uow.session.get(WorkshopOrder, event.order_id)
    if existing is not None:
        return existing  # announced again under a new event id: its jobs exist already
    _check_part_quantities(event.lines)
    now = utcnow()
    order = WorkshopOrder(
        order_id=event.order_id,
        station_id=uow.event.station_id,
        order_no=event.order_no,
        vin=event.vehicle.vin,
        complaint=event.complaint[:1000],
        promised_at=event.promised_at,
        # a pre-delivery inspection (PDI) is inspection work: the inspector signs every job
        inspection_required=event.category == events.OrderCategory.PRE_DELIVERY
        or domain.inspection_asked(event.inspection_required, event.lines),
        received_at=now,
        category=event.category,
        make=event.vehicle.make[:40] if event.vehicle.make else None,
        model=event.vehicle.model[:60] if event.vehicle.model else None,
    )
    # a new car's pre-delivery inspection (PDI) cannot be a comeback: nothing was repaired
    if event.category != events.OrderCategory.PRE_DELIVERY:
        original = await _comeback_original(uow.session, order, now)
        if original is not None:
            order.comeback_of = original.order_id
            order.comeback_technician_id = await _main_technician(uow.session, original.order_id)
            # a comeback repair is checked with the technical lead (§6): all of it is inspected
            order.inspection_required = True
    uow.session.add(order)
    await uow.session.flush()
    await _add_jobs(uow, order, event.lines, now)
    await _continue_roadside_call(uow.session, order, event.vehicle.plate)
    await plan_evening_reports(uow.session, order.station_id, now)
    return order


async def _continue_roadside_call(
    session: AsyncSession, order: WorkshopOrder, plate: str | None
) -> None:
    """A car towed in by a roadside call continues as this repair order at the station.

    A roadside order (category ``roadside``) also takes a call whose crew has not recorded
    the end yet: the car is at the station on the tow truck, so the call ends as towed in."""
    statuses = [RoadsideStatus.TOWED_IN]
    if order.category == events.OrderCategory.ROADSIDE:
        statuses += [RoadsideStatus.DISPATCHED, RoadsideStatus.ON_SITE]
    calls = (
        await session.exec(
            select(RoadsideCall)
            .where(RoadsideCall.station_id == order.station_id)
            .where(col(RoadsideCall.status).in_(statuses))
            .order_by(col(RoadsideCall.received_at).desc())
        )
    ).all()
    # a call recorded as towed in first, then the latest call
    calls = sorted(calls, key=lambda c: c.status != RoadsideStatus.TOWED_IN)
    for call in calls:
        if domain.roadside_match(call.vin, call.plate, order.vin, plate):
            if call.status != RoadsideStatus.TOWED_IN:
                call.finished_at = order.received_at
                call.outcome_note = call.outcome_note or "towed in (repair order opened)"
            call.status = RoadsideStatus.REPAIR_ORDER
            call.order_id = order.order_id
            order.roadside_call_id = call.id
            session.add_all([call, order])
            return


def _check_part_quantities(lines: Sequence[events.OrderLine]) -> None:
    for index, line in enumerate(lines):
        if line.kind == events.LineKind.PART and line.quantity <= 0:
            raise DomainError(
                f"part line {line.code} asks for {line.quantity}; a part needs a quantity above 0",
                field=f"lines.{index}.quantity",
            )


async def _add_jobs(
    uow: UnitOfWork,
    order: WorkshopOrder,
    lines: Sequence[events.OrderLine],
    now: datetime,
    finding_id: uuid.UUID | None = None,
) -> list[Job]:
    """Jobs for these order lines, and a part request for each of their parts (naming the
    finding they were approved from, so parts releases them if that work is withdrawn)."""
    jobs: list[Job] = []
    parts: list[JobPart] = []
    for planned in domain.plan_jobs(lines):
        job = _new_job(order, planned, now)
        job.finding_id = finding_id
        jobs.append(job)
        parts += [
            JobPart(
                job_id=job.id,
                request_id=uuid.uuid4(),
                order_line_id=line.line_id,
                part_no=line.code,
                quantity=line.quantity,
            )
            for line in planned.parts
        ]
    # no relationship() between the tables: flush parents first so foreign keys hold
    for rows in (jobs, parts):
        uow.session.add_all(rows)
        await uow.session.flush()
    for part in parts:
        uow.emit(
            events.ItemRequested(
                request_id=part.request_id,
                order_id=order.order_id,
                job_id=part.job_id,
                part_no=part.part_no,
                quantity=part.quantity,
                finding_id=finding_id,
            ),
            station_id=order.station_id,
            correlation_id=order.order_id,
        )
    return jobs


def _new_job(order: WorkshopOrder, planned: domain.PlannedJob, now: datetime) -> Job:
    labour = planned.labour
    has_parts = bool(planned.parts)
    major_system = labour.major_system if labour else None
    return Job(
        station_id=order.station_id,
        order_id=order.order_id,
        labour_line_id=labour.line_id if labour else None,
        operation_code=labour.code if labour else domain.PARTS_ONLY_CODE,
        description=labour.description if labour else domain.PARTS_ONLY_DESCRIPTION,
        skill=labour.skill if labour else None,
        major_system=major_system,
        sold_hours=(labour.hours or Decimal("0")) if labour else Decimal("0"),
        status=JobStatus.WAITING_FOR_PARTS if has_parts else JobStatus.READY,
        waiting_reason=domain.PARTS_REQUESTED if has_parts else None,
        promised_at=order.promised_at,
        inspection_required=domain.needs_final_inspection(major_system, order.inspection_required),
        created_at=now,
    )


async def _comeback_original(
    session: AsyncSession, order: WorkshopOrder, now: datetime
) -> WorkshopOrder | None:
    window = workshop_settings().comeback_window_days
    earlier = (
        await session.exec(
            select(WorkshopOrder)
            .where(WorkshopOrder.vin == order.vin)
            .where(WorkshopOrder.status == WorkshopOrderStatus.COMPLETED)
            .where(col(WorkshopOrder.completed_at) >= now - timedelta(days=window))
            .order_by(col(WorkshopOrder.completed_at).desc())
        )
    ).all()
    for candidate in earlier:
        if domain.is_comeback(
            candidate.completed_at, candidate.complaint, now, order.complaint, window
        ):
            return candidate
    return None


async def _main_technician(session: AsyncSession, order_id: uuid.UUID) -> str | None:
    """The technician who did most of the order's sold hours."""
    jobs = (await session.exec(select(Job).where(Job.order_id == order_id))).all()
    hours: dict[str, Decimal] = {}
    for job in jobs:
        if job.technician_id:
            hours[job.technician_id] = hours.get(job.technician_id, Decimal("0")) + job.sold_hours
    return max(hours, key=lambda t: hours[t]) if hours else None


async def order_cancelled(uow: UnitOfWork, event: events.OrderCancelled) -> None:
    """The customer withdrew the order: its unfinished jobs leave the board, running clocks
    stop, part requests not drawn lapse (parts releases their reservations itself), parts
    drawn but unused are marked to go back to the counter (退料), and the questions still
    open on it (findings, requests for more time) are closed. Announced twice: no change."""
    order = await uow.session.get(WorkshopOrder, event.order_id)
    if order is None or order.status != WorkshopOrderStatus.OPEN:
        return  # unknown here, or completed / cancelled already
    order = await _locked_order(uow.session, order.order_id)
    if order.status != WorkshopOrderStatus.OPEN:
        return  # a concurrent delivery of the same cancellation won the lock
    now = utcnow()
    jobs = (await uow.session.exec(select(Job).where(Job.order_id == order.order_id))).all()
    open_jobs = [job for job in jobs if job.status in domain.OPEN_STATUSES]
    used = {
        (job_id, part_no): quantity
        for job_id, part_no, quantity in await _parts_used(uow.session, [j.id for j in open_jobs])
    }
    parts = (
        await uow.session.exec(
            select(JobPart).where(col(JobPart.job_id).in_([j.id for j in open_jobs]))
        )
    ).all()
    for part in parts:
        part.status = domain.part_status_on_cancel(used.get((part.job_id, part.part_no)))
        uow.session.add(part)
    for job in open_jobs:
        await _close_entries(uow.session, job, now, "order cancelled")
        job.status = JobStatus.CANCELLED
        to_return = sorted(part_no for (job_id, part_no) in used if job_id == job.id)
        back = f"; return drawn parts {', '.join(to_return)}" if to_return else ""
        job.waiting_reason = f"order cancelled: {event.reason}{back}"[:500]
        job.tac_case_id = None
        job.version += 1
        uow.session.add(job)
    for finding in (
        await uow.session.exec(
            select(Finding)
            .where(Finding.order_id == order.order_id)
            .where(Finding.status == FindingStatus.PENDING)
        )
    ).all():
        finding.status = FindingStatus.CANCELLED
        uow.session.add(finding)
    for request in (
        await uow.session.exec(
            select(OverrunRequest)
            .where(OverrunRequest.order_id == order.order_id)
            .where(OverrunRequest.status == OverrunStatus.REQUESTED)
        )
    ).all():
        request.status = OverrunStatus.CANCELLED
        request.decided_at = now
        uow.session.add(request)
    for case in (
        await uow.session.exec(
            select(TacCase)
            .where(TacCase.order_id == order.order_id)
            .where(TacCase.status != TacCaseStatus.CLOSED)
        )
    ).all():
        case.status = TacCaseStatus.CLOSED
        case.closed_at = now
        case.outcome = f"order cancelled: {event.reason}"[:2000]
        uow.session.add(case)
    order.status = WorkshopOrderStatus.CANCELLED
    uow.session.add(order)


async def item_reserved(uow: UnitOfWork, event: events.ItemReserved) -> None:
    """The parts counter put the part aside: the job is ready once all its parts are."""
    await _part_reserved(uow.session, event.request_id)


async def item_backordered(uow: UnitOfWork, event: events.ItemBackordered) -> None:
    """Not enough stock: the job waits, and says for what and until when."""
    if event.quantity_short <= 0:
        await _part_reserved(uow.session, event.request_id)  # nothing is short after all
        return
    part = await _part_of_request(uow.session, event.request_id)
    if part.status in domain.PART_REQUEST_CLOSED:
        return  # the order was cancelled: the request lapsed
    part.status = JobPartStatus.BACKORDERED
    part.quantity_short = event.quantity_short
    part.expected_on = event.expected_on
    uow.session.add(part)
    await _follow_parts(uow.session, part.job_id)


async def _part_reserved(session: AsyncSession, request_id: uuid.UUID) -> None:
    part = await _part_of_request(session, request_id)
    if part.status in domain.PART_REQUEST_CLOSED:
        return  # the order was cancelled: the request lapsed
    part.status = JobPartStatus.RESERVED
    part.quantity_short = None
    part.expected_on = None
    session.add(part)
    await _follow_parts(session, part.job_id)


async def _part_of_request(session: AsyncSession, request_id: uuid.UUID) -> JobPart:
    part = (await session.exec(select(JobPart).where(JobPart.request_id == request_id))).first()
    if part is None:
        raise DomainError(f"the workshop made no part request {request_id}", field="request_id")
    return part


async def _follow_parts(session: AsyncSession, job_id: uuid.UUID) -> None:
    """Set a job's state and waiting reason from the state of all its parts."""
    job = await session.get(Job, job_id)
    if job is None or job.status not in domain.PARTS_GATED:
        return
    parts = (await session.exec(select(JobPart).where(JobPart.job_id == job_id))).all()
    reason = domain.parts_wait_reason(
        domain.PartState(p.part_no, p.status, p.quantity_short, p.expected_on) for p in parts
    )
    status = domain.status_after_parts(job.status, reason)
    if (status, reason) != (job.status, job.waiting_reason):
        job.status = status
        job.waiting_reason = reason
        job.version += 1
        session.add(job)


async def item_issued(uow: UnitOfWork, event: events.ItemIssued) -> None:
    """A part was drawn at the parts counter against a job (领料): it counts as used."""
    await _part_moved(uow, event.job_id, event.reservation_id, event.part_no, event.quantity)


async def item_returned(uow: UnitOfWork, event: events.ItemReturned) -> None:
    """An unused part went back to the counter (退料): it no longer counts as used."""
    await _part_moved(uow, event.job_id, event.reservation_id, event.part_no, -event.quantity)


async def _part_moved(
    uow: UnitOfWork, job_id: uuid.UUID, reservation_id: uuid.UUID, part_no: str, qty: Decimal
) -> None:
    job = await uow.session.get(Job, job_id)
    if job is None:
        raise DomainError(f"the workshop has no job {job_id}", field="job_id")
    uow.session.add(
        PartMovement(
            station_id=job.station_id,
            order_id=job.order_id,
            job_id=job.id,
            reservation_id=reservation_id,
            part_no=part_no,
            quantity=qty,
            at=utcnow(),
        )
    )
    if job.status == JobStatus.CANCELLED:
        # the cancelled order's parts: returned ones are settled, drawn ones must go back
        await uow.session.flush()
        net = {(j, p): q for j, p, q in await _parts_used(uow.session, [job.id])}
        for part in (
            await uow.session.exec(
                select(JobPart).where(JobPart.job_id == job.id).where(JobPart.part_no == part_no)
            )
        ).all():
            part.status = domain.part_status_on_cancel(net.get((job.id, part_no)))
            uow.session.add(part)


async def work_approved(uow: UnitOfWork, event: events.WorkAdditionalApproved) -> None:
    """The customer approved a finding: its lines become new jobs, the job resumes."""
    finding = await _pending_finding(uow.session, event.finding_id)
    if finding is None:
        return  # answered already (the answer was announced twice)
    order = await uow.session.get(WorkshopOrder, finding.order_id)
    assert order is not None  # a finding belongs to an order (foreign key)
    _check_part_quantities(event.lines)
    finding.status = FindingStatus.APPROVED
    finding.answered_at = event.approved_at
    finding.answer_recorded_by = event.approved_via
    uow.session.add(finding)
    await _add_jobs(uow, order, event.lines, utcnow(), finding.id)
    await _resume_after_answer(uow.session, finding)


async def work_declined(uow: UnitOfWork, event: events.WorkAdditionalDeclined) -> None:
    """The customer declined a finding: recorded on the job (建议项目表), the job resumes."""
    finding = await _pending_finding(uow.session, event.finding_id)
    if finding is None:
        return
    finding.status = FindingStatus.DECLINED
    finding.answered_at = event.declined_at
    finding.answer_recorded_by = event.recorded_by
    finding.workshop_told = event.workshop_told
    uow.session.add(finding)
    await _resume_after_answer(uow.session, finding)


async def _pending_finding(session: AsyncSession, finding_id: uuid.UUID) -> Finding | None:
    finding = await session.get(Finding, finding_id)
    if finding is None:
        raise DomainError(f"the workshop reported no finding {finding_id}", field="finding_id")
    return finding if finding.status == FindingStatus.PENDING else None


async def _resume_after_answer(session: AsyncSession, finding: Finding) -> None:
    await session.flush()
    job = await session.get(Job, finding.job_id)
    assert job is not None
    pending = (
        await session.exec(
            select(func.count())
            .select_from(Finding)
            .where(Finding.job_id == job.id)
            .where(Finding.status == FindingStatus.PENDING)
        )
    ).one()
    job.status = domain.status_after_answer(finding.status_before, int(pending))
    if job.status != JobStatus.WAITING_FOR_APPROVAL:
        job.waiting_reason = None
    job.version += 1
    session.add(job)


# --- resources --------------------------------------------------------------------------


async def add_technician(uow: UnitOfWork, user: Principal, data: TechnicianCreate) -> Technician:
    """The foreman adds a technician to the station's team."""
    station = user.acting_station(data.station_id)
    if await uow.session.get(Technician, data.technician_id) is not None:
        raise Conflict(f"technician {data.technician_id} exists already")
    technician = Technician(
        id=data.technician_id,
        station_id=station,
        name=data.name,
        skills=",".join(data.skills),
        certification_level=data.certification_level,
        daily_hours=data.daily_hours,
        working_days=",".join(str(day) for day in data.working_days),
    )
    uow.session.add(technician)
    return technician


async def add_absence(
    uow: UnitOfWork, user: Principal, technician_id: str, data: AbsenceCreate
) -> AbsencePublic:
    """Leave, training or sickness: the technician is not suggested nor counted those days."""
    technician = await get_visible(uow.session, Technician, technician_id, user, "technician")
    _check_day(data.first_day, "first_day")
    _check_day(data.last_day, "last_day")
    absence = TechnicianAbsence(
        station_id=technician.station_id,
        technician_id=technician.id,
        first_day=data.first_day,
        last_day=data.last_day,
        reason=data.reason,
    )
    uow.session.add(absence)
    await uow.session.flush()
    # reception books appointments on the published capacity: tell it what the absence takes
    today = calendar_for(technician.station_id).local_day(utcnow())
    first = max(data.first_day, today)
    last = min(data.last_day, today + timedelta(days=domain.CAPACITY_HORIZON_DAYS - 1))
    for offset in range((last - first).days + 1):
        await _publish_day(uow, technician.station_id, first + timedelta(days=offset))
    return AbsencePublic.model_validate(absence.model_dump())


async def _absences(
    session: AsyncSession, station_id: str, first: date, last: date
) -> dict[str, list[tuple[date, date]]]:
    rows = (
        await session.exec(
            select(TechnicianAbsence)
            .where(TechnicianAbsence.station_id == station_id)
            .where(col(TechnicianAbsence.first_day) <= last)
            .where(col(TechnicianAbsence.last_day) >= first)
        )
    ).all()
    by_technician: dict[str, list[tuple[date, date]]] = {}
    for row in rows:
        by_technician.setdefault(row.technician_id, []).append((row.first_day, row.last_day))
    return by_technician


async def _team(session: AsyncSession, station_id: str) -> list[Technician]:
    return list(
        (
            await session.exec(
                select(Technician)
                .where(Technician.station_id == station_id)
                .where(col(Technician.active).is_(True))
                .order_by(col(Technician.id))
            )
        ).all()
    )


def _check_day(day: date, field: str = "day") -> None:
    refusal = domain.day_refusal(day)
    if refusal:
        raise DomainError(refusal, field=field)


async def capacity(session: AsyncSession, station_id: str, day: date) -> CapacityPublic:
    """Hours the station's present technicians work that day, and what is promised already."""
    _check_day(day)
    team = await _team(session, station_id)
    absences = await _absences(session, station_id, day, day)
    # a closed day (public holiday, or a weekend at a station closed at weekends) sells nothing
    calendar = calendar_for(station_id)
    is_open = calendar.is_open(day)
    present = [
        t
        for t in team
        if is_open and domain.works_on(day, t.weekday_list(), absences.get(t.id, []))
    ]
    start = calendar.at(day, time())  # the station's local day
    booked = (
        await session.exec(
            select(Job)
            .where(Job.station_id == station_id)
            .where(col(Job.status).in_(domain.OPEN_STATUSES))
            .where(col(Job.promised_at) >= start)
            .where(col(Job.promised_at) < calendar.at(day + timedelta(days=1), time()))
        )
    ).all()
    bays = (
        await session.exec(
            select(func.count())
            .select_from(Bay)
            .where(Bay.station_id == station_id)
            .where(col(Bay.active).is_(True))
        )
    ).one()
    return CapacityPublic(
        station_id=station_id,
        day=day,
        available_hours=domain.total_hours(t.daily_hours for t in present),
        booked_hours=domain.total_hours(j.sold_hours for j in booked),
        bays=int(bays) if is_open else 0,
        technicians=len(present),
    )


async def publish_capacity(
    uow: UnitOfWork, user: Principal, data: CapacityRequest
) -> CapacityPublic:
    """Announce a day's capacity for reception's appointment booking (``capacity.published``)."""
    return await _publish_day(uow, user.acting_station(data.station_id), data.day)


async def _publish_day(uow: UnitOfWork, station: str, day: date) -> CapacityPublic:
    figures = await capacity(uow.session, station, day)
    uow.emit(
        events.CapacityPublished(
            station_day=f"{station}:{day.isoformat()}",
            day=day,
            available_hours=figures.available_hours,
            booked_hours=figures.booked_hours,
            bays=figures.bays,
            technicians=figures.technicians,
        ),
        station_id=station,
    )
    return figures


# --- teams (班组) ------------------------------------------------------------------------


async def _members(
    session: AsyncSession, team_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    rows = (
        await session.exec(
            select(TeamMember)
            .where(col(TeamMember.team_id).in_(list(team_ids)))
            .order_by(col(TeamMember.technician_id))
        )
    ).all()
    members: dict[uuid.UUID, list[str]] = {team_id: [] for team_id in team_ids}
    for row in rows:
        members[row.team_id].append(row.technician_id)
    return members


def team_public(team: Team, member_ids: Sequence[str]) -> TeamPublic:
    return TeamPublic(
        id=team.id,
        station_id=team.station_id,
        name=team.name,
        skills=team.skill_list(),
        leader_id=team.leader_id,
        member_ids=list(member_ids),
        active=team.active,
        version=team.version,
        created_by=team.created_by,
        created_at=team.created_at,
        dissolved_at=team.dissolved_at,
    )


async def _station_teams(session: AsyncSession, station_id: str) -> list[Team]:
    return list(
        (
            await session.exec(
                select(Team)
                .where(Team.station_id == station_id)
                .where(col(Team.active).is_(True))
                .order_by(col(Team.name))
            )
        ).all()
    )


async def _check_team_people(
    session: AsyncSession,
    station_id: str,
    leader_id: str,
    member_ids: Sequence[str],
    team_id: uuid.UUID | None,
) -> None:
    """Members are active technicians of the station, in no other team; the leader is one."""
    for index, member in enumerate(member_ids):
        # the technician's row serialises changes of their team, so two at once cannot both
        # put them in a team
        technician = (
            await session.exec(select(Technician).where(Technician.id == member).with_for_update())
        ).first()
        if technician is None or technician.station_id != station_id or not technician.active:
            raise DomainError(
                f"{member} is not an active technician of station {station_id}",
                field=f"member_ids.{index}",
            )
        place = (
            await session.exec(select(TeamMember).where(TeamMember.technician_id == member))
        ).first()
        if place is not None and place.team_id != team_id:
            other = await session.get(Team, place.team_id)
            raise Conflict(
                f"{member} is in team {other.name if other else place.team_id} already: "
                "take them out of it first (a technician is in one team at a time)"
            )
    if leader_id not in member_ids:
        raise DomainError(
            f"the leader {leader_id} is not among the members: add them", field="leader_id"
        )


async def _check_team_name(
    session: AsyncSession, station_id: str, name: str, team_id: uuid.UUID | None
) -> None:
    same = (
        await session.exec(
            select(Team)
            .where(Team.station_id == station_id)
            .where(Team.name == name)
            .where(col(Team.id) != team_id if team_id else col(Team.id).is_not(None))
        )
    ).first()
    if same is not None:
        raise Conflict(f"station {station_id} has a team named {name} already")


async def _set_members(session: AsyncSession, team: Team, member_ids: Sequence[str]) -> None:
    current = (await session.exec(select(TeamMember).where(TeamMember.team_id == team.id))).all()
    for row in current:
        if row.technician_id not in member_ids:
            await session.delete(row)
    await session.flush()
    have = {row.technician_id for row in current}
    session.add_all(
        TeamMember(team_id=team.id, technician_id=member, station_id=team.station_id)
        for member in member_ids
        if member not in have
    )


async def add_team(uow: UnitOfWork, user: Principal, data: TeamCreate) -> TeamPublic:
    """The foreman forms a team (班组) of the station's technicians."""
    station = user.acting_station(data.station_id)
    name = data.name.strip()
    if not name:
        raise DomainError("a team has a name", field="name")
    await _check_team_name(uow.session, station, name, None)
    await _check_team_people(uow.session, station, data.leader_id, data.member_ids, None)
    team = Team(
        station_id=station,
        name=name,
        skills=",".join(sorted(set(data.skills))),
        leader_id=data.leader_id,
        created_by=user.user_id,
        created_at=utcnow(),
    )
    uow.session.add(team)
    await uow.session.flush()
    await _set_members(uow.session, team, data.member_ids)
    return team_public(team, sorted(data.member_ids))


async def _team_for_change(
    session: AsyncSession, user: Principal, team_id: uuid.UUID, version: int | None = None
) -> Team:
    team = await get_visible(session, Team, team_id, user, "team")
    locked = (await session.exec(select(Team).where(Team.id == team.id).with_for_update())).one()
    await session.refresh(locked)
    if not locked.active:
        raise Conflict(f"team {locked.name} was dissolved")
    if version is not None and version != locked.version:
        raise Conflict(
            f"team {locked.name} changed since you saw it (version {version}, "
            f"now {locked.version}): reload it"
        )
    return locked


async def change_team(
    uow: UnitOfWork, user: Principal, team_id: uuid.UUID, data: TeamChange
) -> TeamPublic:
    """Rename the team, change its skills, leader or members. Jobs already dispatched to it
    stay with it; a member taken out no longer clocks on them."""
    team = await _team_for_change(uow.session, user, team_id, data.version)
    members = data.member_ids
    if members is None:
        members = (await _members(uow.session, [team.id]))[team.id]
    leader = data.leader_id or team.leader_id
    if data.name is not None:
        name = data.name.strip()
        if not name:
            raise DomainError("a team has a name", field="name")
        await _check_team_name(uow.session, team.station_id, name, team.id)
        team.name = name
    await _check_team_people(uow.session, team.station_id, leader, members, team.id)
    if data.skills is not None:
        team.skills = ",".join(sorted(set(data.skills)))
    team.leader_id = leader
    team.version += 1
    uow.session.add(team)
    await _set_members(uow.session, team, members)
    return team_public(team, sorted(members))


async def dissolve_team(uow: UnitOfWork, user: Principal, team_id: uuid.UUID) -> TeamPublic:
    """The team is dissolved: its members are free to join another; its past jobs keep its
    name. Not while open jobs are dispatched to it (the foreman re-dispatches them first)."""
    team = await _team_for_change(uow.session, user, team_id)
    open_jobs = (
        await uow.session.exec(
            select(Job.operation_code)
            .where(Job.team_id == team.id)
            .where(col(Job.status).in_(domain.OPEN_STATUSES))
            .order_by(col(Job.operation_code))
        )
    ).all()
    if open_jobs:
        raise Conflict(
            f"team {team.name} still has open jobs ({', '.join(open_jobs)}): "
            "dispatch them elsewhere first"
        )
    await _set_members(uow.session, team, [])
    team.active = False
    team.dissolved_at = utcnow()
    team.version += 1
    uow.session.add(team)
    return team_public(team, [])


async def list_teams(session: AsyncSession, user: Principal, *, active: bool = True) -> TeamsPublic:
    query = at_visible_stations(select(Team), Team.station_id, user)
    query = query.where(Team.active == active)
    teams = (await session.exec(query.order_by(col(Team.station_id), col(Team.name)))).all()
    members = await _members(session, [t.id for t in teams])
    return TeamsPublic(data=[team_public(t, members[t.id]) for t in teams], count=len(teams))


async def get_team(session: AsyncSession, user: Principal, team_id: uuid.UUID) -> TeamPublic:
    team = await get_visible(session, Team, team_id, user, "team")
    return team_public(team, (await _members(session, [team.id]))[team.id])


async def _may_work(session: AsyncSession, job: Job, technician_id: str) -> bool:
    """The job is dispatched to this technician, or to a team they are a member of."""
    if job.technician_id == technician_id:
        return True
    if job.team_id is None:
        return False
    place = await session.get(TeamMember, (job.team_id, technician_id))
    return place is not None


async def _dispatched_to_text(session: AsyncSession, job: Job) -> str:
    if job.team_id is not None:
        team = await session.get(Team, job.team_id)
        return f"team {team.name if team else job.team_id}"
    return str(job.technician_id)


# --- dispatch ---------------------------------------------------------------------------


async def _job_for_change(
    session: AsyncSession, user: Principal, job_id: uuid.UUID, version: int | None = None
) -> Job:
    """The job, locked for this change, and still the version the caller saw."""
    job = await _visible_job(session, user, job_id)
    locked = (await session.exec(select(Job).where(Job.id == job.id).with_for_update())).one()
    await session.refresh(locked)
    if version is not None and version != locked.version:
        raise Conflict(
            f"job {locked.operation_code} changed since you saw it (version {version}, "
            f"now {locked.version}): reload it"
        )
    return locked


async def dispatch_job(
    uow: UnitOfWork, user: Principal, job_id: uuid.UUID, data: JobDispatch
) -> Job:
    """Hand a job to a technician or a team (派工): ``job.dispatched`` with the hand-over time
    and the person who received car and keys (process §5).

    The foreman dispatches any job; the advisor only the jobs of a single-team order (every
    job falls to one team), and only to that team or one of its members. A job dispatched to
    a team names its leader (or the member given) as the technician who answers for it."""
    job = await _job_for_change(uow.session, user, job_id, data.version)
    if data.technician_id is None and data.team_id is None:
        raise DomainError(
            "name the technician (technician_id) or the team (team_id) who gets the job",
            field="technician_id",
        )
    teams = await _station_teams(uow.session, job.station_id)
    members = await _members(uow.session, [t.id for t in teams])
    if user.role == Role.SERVICE_ADVISOR:
        await _check_advisor_may_dispatch(uow.session, job, data, teams, members)
    refusal = domain.dispatch_refusal(job.status)
    if refusal:
        raise Conflict(f"job {job.operation_code} cannot be dispatched: {refusal}")
    now = utcnow()
    today = calendar_for(job.station_id).local_day(now)
    absences = await _absences(uow.session, job.station_id, today, today)
    team: Team | None = None
    if data.team_id is not None:
        team = next((t for t in teams if t.id == data.team_id), None)
        if team is None:
            raise DomainError(
                f"{data.team_id} is not a team of station {job.station_id}", field="team_id"
            )
        if job.skill and job.skill in domain.SKILLS and job.skill not in team.skill_list():
            raise DomainError(
                f"team {team.name} has no {job.skill} skill that job {job.operation_code} needs",
                field="team_id",
            )
        crew = members[team.id]
        if data.technician_id is not None and data.technician_id not in crew:
            raise DomainError(
                f"{data.technician_id} is not a member of team {team.name}", field="technician_id"
            )
        present = [m for m in crew if m not in absences]
        if not present:
            raise DomainError(f"nobody of team {team.name} is here today", field="team_id")
        # the member named, else the leader, else (the leader away) the first member here
        responsible = data.technician_id or (
            team.leader_id if team.leader_id in present else present[0]
        )
    else:
        assert data.technician_id is not None
        responsible = data.technician_id
    technician = await uow.session.get(Technician, responsible)
    if technician is None or technician.station_id != job.station_id or not technician.active:
        raise DomainError(
            f"{responsible} is not an active technician of station {job.station_id}",
            field="technician_id",
        )
    if (
        team is None
        and job.skill
        and job.skill in domain.SKILLS
        and job.skill not in technician.skill_list()
    ):
        raise DomainError(
            f"{technician.id} has no {job.skill} skill that job {job.operation_code} needs",
            field="technician_id",
        )
    if technician.id in absences:
        raise DomainError(f"{technician.id} is absent today", field="technician_id")
    if data.bay_id is not None:
        bay = await uow.session.get(Bay, data.bay_id)
        if bay is None or bay.station_id != job.station_id or not bay.active:
            raise DomainError(
                f"{data.bay_id} is not a bay of station {job.station_id}", field="bay_id"
            )
    if data.handed_over_at is not None and not (
        now - timedelta(days=7) <= data.handed_over_at <= now + timedelta(minutes=10)
    ):
        raise DomainError(
            "the hand-over is recorded when it happens: not in the future nor over a week ago",
            field="handed_over_at",
        )
    handed_over = domain.hand_over_time(data.handed_over_at or now)
    job.status = JobStatus.DISPATCHED
    job.technician_id = technician.id
    job.team_id = team.id if team else None
    job.bay_id = data.bay_id
    job.handed_over_at = handed_over
    job.received_by = data.received_by
    job.dispatched_by = user.user_id
    job.version += 1
    uow.session.add(job)
    uow.emit(
        events.JobDispatched(
            job_id=job.id,
            order_id=job.order_id,
            # a team's job names the technician who answers for it (its leader, or the
            # member the foreman gave)
            technician_id=technician.id,
            bay_id=job.bay_id,
            handed_over_at=handed_over,
            received_by=data.received_by,
            team_id=team.id if team else None,
            team_name=team.name if team else None,
        ),
        station_id=job.station_id,
        correlation_id=job.order_id,
    )
    return job


async def _check_advisor_may_dispatch(
    session: AsyncSession,
    job: Job,
    data: JobDispatch,
    teams: Sequence[Team],
    members: dict[uuid.UUID, list[str]],
) -> None:
    """The advisor assigns a single-team order directly; a multi-team order is the foreman's
    (process §5). With teams recorded, the order's team is one whose skills cover all its jobs
    and the advisor assigns within it; without, one skill is one team."""
    skills = list((await session.exec(select(Job.skill).where(Job.order_id == job.order_id))).all())
    kinds = [domain.TeamSkills(t.id, t.name, frozenset(t.skill_list())) for t in teams]
    able = domain.teams_for_order(skills, kinds)
    if able is None:
        if not domain.single_team(skills):
            raise NotYourRole(
                "the order's jobs need several teams "
                f"({', '.join(sorted({s for s in skills if s}))}): the foreman dispatches a "
                "multi-team order, the advisor only a single-team one (process §5)"
            )
        return
    if not able:
        raise NotYourRole(
            f"the order's jobs need several teams ({domain.teams_needed_text(skills, kinds)}): "
            "the foreman dispatches a multi-team order, the advisor only a single-team one "
            "(process §5)"
        )
    if data.team_id is not None:
        allowed = any(t.team_id == data.team_id for t in able)
    else:
        allowed = any(data.technician_id in members[t.team_id] for t in able)
    if not allowed:
        names = ", ".join(t.name for t in able)
        raise NotYourRole(
            f"the advisor assigns a single-team order within its team ({names}); "
            "anyone else is the foreman's to dispatch (process §5)"
        )


# --- clocking ---------------------------------------------------------------------------


async def _open_entry(session: AsyncSession, technician_id: str) -> ClockEntry | None:
    return (
        await session.exec(
            select(ClockEntry)
            .where(ClockEntry.technician_id == technician_id)
            .where(col(ClockEntry.ended_at).is_(None))
        )
    ).first()


async def clock_on(uow: UnitOfWork, user: Principal, job_id: uuid.UUID) -> Job:
    """A technician starts (or resumes) work on a job dispatched to them; one job at a time."""
    job = await _visible_job(uow.session, user, job_id)  # another station's job: 404
    # the technician's row serialises their clockings, so two at once cannot both pass
    technician = (
        await uow.session.exec(
            select(Technician).where(Technician.id == user.user_id).with_for_update()
        )
    ).first()
    if technician is None or technician.station_id != job.station_id:
        raise Conflict(f"{user.user_id} is not on the technician list of {job.station_id}")
    job = await _job_for_change(uow.session, user, job_id)
    running = await _open_entry(uow.session, user.user_id)
    if running is not None:
        other = await uow.session.get(Job, running.job_id)
        code = other.operation_code if other else running.job_id
        raise Conflict(f"you are clocked on job {code}: clock off it first")
    team_name, crew = None, frozenset[str]()
    if job.team_id is not None:
        team = await uow.session.get(Team, job.team_id)
        team_name = team.name if team else str(job.team_id)
        crew = frozenset((await _members(uow.session, [job.team_id]))[job.team_id])
    refusal = domain.clock_on_refusal(job.status, job.technician_id, user.user_id, team_name, crew)
    if refusal:
        raise Conflict(f"you cannot clock on job {job.operation_code}: {refusal}")
    uow.session.add(
        ClockEntry(
            station_id=job.station_id,
            job_id=job.id,
            technician_id=user.user_id,
            started_at=utcnow(),
        )
    )
    job.status = JobStatus.IN_PROGRESS
    if job.tac_case_id is None:  # a job waiting for TAC keeps saying so while worked on
        job.waiting_reason = None
    job.version += 1
    uow.session.add(job)
    return job


async def _close_entries(
    session: AsyncSession,
    job: Job,
    now: datetime,
    reason: str | None,
    technician_id: str | None = None,
) -> int:
    """Clock everybody (or only ``technician_id``) off the job at ``now`` and total its
    clocked hours; how many stay clocked on it."""
    entries = (await session.exec(select(ClockEntry).where(ClockEntry.job_id == job.id))).all()
    still_on = 0
    for entry in entries:
        if entry.ended_at is None and technician_id not in (None, entry.technician_id):
            still_on += 1
        elif entry.ended_at is None:
            entry.ended_at = now
            entry.hours = domain.clocked_hours(entry.started_at, now)
            entry.pause_reason = reason
            session.add(entry)
    job.clocked_hours = domain.total_hours(e.hours or Decimal("0") for e in entries)
    return still_on


async def clock_off(uow: UnitOfWork, user: Principal, job_id: uuid.UUID, data: ClockOff) -> Job:
    """The technician pauses the job, saying why; its clocked hours are totalled."""
    job = await _job_for_change(uow.session, user, job_id)
    running = await _open_entry(uow.session, user.user_id)
    if running is None or running.job_id != job.id:
        raise Conflict(f"you are not clocked on job {job.operation_code}")
    # a team's job stays in progress while another member is still on it
    still_on = await _close_entries(uow.session, job, utcnow(), data.reason, user.user_id)
    job.status = domain.status_after_clock_off(still_on)
    if job.status == JobStatus.PAUSED:
        job.waiting_reason = f"paused: {data.reason}"
    job.version += 1
    uow.session.add(job)
    return job


async def complete_job(
    uow: UnitOfWork, user: Principal, job_id: uuid.UUID, data: JobCompletion
) -> Job:
    """The technician finishes the job (clocking off): ``job.completed``; it goes to final
    inspection when it needs one, else it is done and the last one completes the vehicle."""
    job = await _visible_job(uow.session, user, job_id)
    # completions of one order queue up here, so exactly one of them sees the last job done
    order = await _locked_order(uow.session, job.order_id)
    job = await _job_for_change(uow.session, user, job_id)
    if not domain.can_complete(job.status):
        why = f" ({job.waiting_reason})" if job.waiting_reason else ""
        hint = " — the foreman dispatches it first" if job.status == JobStatus.READY else ""
        raise Conflict(
            f"job {job.operation_code} is {job.status.value}{why}: "
            f"only a dispatched or started job can be completed{hint}"
        )
    if user.role == Role.TECHNICIAN and not await _may_work(uow.session, job, user.user_id):
        raise Conflict(
            f"job {job.operation_code} is dispatched to "
            f"{await _dispatched_to_text(uow.session, job)}"
        )
    now = utcnow()
    if data.clocked_hours > 0:
        uow.session.add(
            ClockEntry(
                station_id=job.station_id,
                job_id=job.id,
                # hours declared by a team member are theirs; the foreman's, the job's
                technician_id=user.user_id
                if user.role == Role.TECHNICIAN
                else job.technician_id or user.user_id,
                started_at=now,
                ended_at=now,
                hours=data.clocked_hours,
                pause_reason="hours declared at completion",
            )
        )
        await uow.session.flush()
    await _close_entries(uow.session, job, now, None)
    job.status = domain.status_after_finish(job.inspection_required)
    job.completed_at = now
    job.waiting_reason = "waiting for final inspection" if job.inspection_required else None
    job.version += 1
    uow.session.add(job)
    uow.emit(
        events.JobCompleted(
            job_id=job.id,
            order_id=job.order_id,
            sold_hours=job.sold_hours,
            clocked_hours=job.clocked_hours,
            technician_id=job.technician_id,
        ),
        station_id=job.station_id,
        correlation_id=job.order_id,
    )
    await uow.session.flush()
    await _complete_order_if_finished(uow, order, now)
    return job


async def _locked_order(session: AsyncSession, order_id: uuid.UUID) -> WorkshopOrder:
    order = (
        await session.exec(
            select(WorkshopOrder).where(WorkshopOrder.order_id == order_id).with_for_update()
        )
    ).one()
    await session.refresh(order)
    return order


async def _complete_order_if_finished(uow: UnitOfWork, order: WorkshopOrder, now: datetime) -> None:
    """All jobs done (and inspected where needed): ``vehicle.completed`` with what was done."""
    jobs = (await uow.session.exec(select(Job).where(Job.order_id == order.order_id))).all()
    if order.status != WorkshopOrderStatus.OPEN or not domain.order_finished(
        j.status for j in jobs
    ):
        return
    order.status = WorkshopOrderStatus.COMPLETED
    order.completed_at = now
    uow.session.add(order)
    used = await _parts_used(uow.session, [j.id for j in jobs])
    line_of = {
        (p.job_id, p.part_no): p.order_line_id
        for p in (
            await uow.session.exec(
                select(JobPart).where(col(JobPart.job_id).in_([j.id for j in jobs]))
            )
        ).all()
    }
    uow.emit(
        events.VehicleCompleted(
            order_id=order.order_id,
            vin=order.vin,
            completed_at=now,
            clocked_hours=domain.total_hours(j.clocked_hours for j in jobs),
            sold_hours=domain.total_hours(j.sold_hours for j in jobs),
            comeback=order.comeback_of is not None,
            labour_done=[
                events.LabourDone(
                    job_id=j.id,
                    line_id=j.labour_line_id,
                    operation_code=j.operation_code,
                    sold_hours=j.sold_hours,
                    clocked_hours=j.clocked_hours,
                    technician_id=j.technician_id,
                )
                for j in jobs
                if j.labour_line_id is not None
            ],
            parts_used=[
                events.PartUsed(
                    part_no=part_no,
                    quantity=quantity,
                    job_id=job_id,
                    line_id=line_of.get((job_id, part_no)),
                )
                for job_id, part_no, quantity in used
            ],
            inspection_id=order.inspection_id,
        ),
        station_id=order.station_id,
        correlation_id=order.order_id,
    )


async def _parts_used(
    session: AsyncSession, job_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, str, Decimal]]:
    moves = (
        await session.exec(
            select(PartMovement)
            .where(col(PartMovement.job_id).in_(job_ids))
            .order_by(col(PartMovement.at), col(PartMovement.part_no))
        )
    ).all()
    return domain.parts_used(domain.PartMove(m.job_id, m.part_no, m.quantity) for m in moves)


# --- findings ---------------------------------------------------------------------------


async def report_finding(
    uow: UnitOfWork, user: Principal, job_id: uuid.UUID, data: FindingReport
) -> Finding:
    """Additional work found (追加维修项目): ``work.additional_found``; the job waits for the
    customer's answer, its technician clocked off."""
    job = await _job_for_change(uow.session, user, job_id)
    if job.status not in domain.FINDING_ALLOWED:
        raise Conflict(
            f"job {job.operation_code} is {job.status.value}: findings are reported on a job "
            "being worked on"
        )
    now = utcnow()
    finding = Finding(
        station_id=job.station_id,
        order_id=job.order_id,
        job_id=job.id,
        description=data.description,
        safety_relevant=data.safety_relevant,
        suggested_lines=[line.model_dump(mode="json") for line in data.suggested_lines],
        photos=data.photos,
        estimated_delay_minutes=data.estimated_delay_minutes,
        reported_by=user.user_id,
        reported_at=now,
        status_before=job.status,
    )
    await _close_entries(uow.session, job, now, "finding reported")
    job.status = JobStatus.WAITING_FOR_APPROVAL
    job.waiting_reason = f"waiting for the customer's approval: {data.description}"[:500]
    job.version += 1
    uow.session.add_all([job, finding])
    uow.emit(
        events.WorkAdditionalFound(
            finding_id=finding.id,
            order_id=job.order_id,
            job_id=job.id,
            description=data.description,
            safety_relevant=data.safety_relevant,
            suggested_lines=[line.to_contract() for line in data.suggested_lines],
            estimated_delay_minutes=data.estimated_delay_minutes,
            reported_by=user.user_id,
        ),
        station_id=job.station_id,
        correlation_id=job.order_id,
    )
    return finding


# --- final inspection -------------------------------------------------------------------


async def inspect_order(
    uow: UnitOfWork, user: Principal, order_id: uuid.UUID, data: InspectionResult
) -> Inspection:
    """The inspector's verdict on an order's finished work (竣工检验, process §6).

    Passed: the inspected jobs are done (``inspection.passed``) and, all jobs done, the vehicle
    completes. Failed: each failed job goes back to its technician with the reason, counted as
    rework (``inspection.failed``)."""
    order = await get_visible(uow.session, WorkshopOrder, order_id, user, "order")
    order = await _locked_order(uow.session, order.order_id)
    jobs = {
        j.id: j for j in (await uow.session.exec(select(Job).where(Job.order_id == order_id))).all()
    }
    waiting = [j for j in jobs.values() if j.status == JobStatus.IN_INSPECTION]
    if not waiting:
        raise Conflict("no job of this order waits for final inspection")
    unfinished = [
        j for j in jobs.values() if j.status not in (JobStatus.IN_INSPECTION, JobStatus.DONE)
    ]
    if unfinished:
        names = ", ".join(f"{j.operation_code} ({j.status.value})" for j in unfinished)
        raise Conflict(f"the order's work is not finished: {names}")
    for index, failed in enumerate(data.failed_jobs):
        target = jobs.get(failed.job_id)
        if target is None or target.status != JobStatus.IN_INSPECTION:
            raise DomainError(
                f"job {failed.job_id} is not a job of this order waiting for inspection",
                field=f"failed_jobs.{index}.job_id",
            )
    passed = not data.failed_jobs
    if passed:
        for index, item in enumerate(data.checklist):
            if not item.ok:
                raise DomainError(
                    f"checklist item '{item.item}' is not ok: name the job that failed",
                    field=f"checklist.{index}.ok",
                )
    await _check_technical_lead(uow.session, user, order, list(jobs.values()), data, passed)
    now = utcnow()
    inspection = Inspection(
        station_id=order.station_id,
        order_id=order.order_id,
        inspector_id=user.user_id,
        passed=passed,
        checklist=[item.model_dump() for item in data.checklist],
        road_test=data.road_test,
        road_test_note=data.road_test_note,
        technical_lead_id=data.technical_lead_id,
        failures=[
            {
                "job_id": str(f.job_id),
                "reason": f.reason,
                "technician_id": jobs[f.job_id].technician_id,
            }
            for f in data.failed_jobs
        ],
        at=now,
    )
    uow.session.add(inspection)
    if passed:
        for job in waiting:
            job.status = JobStatus.DONE
            job.waiting_reason = None
            job.version += 1
            uow.session.add(job)
        order.inspection_id = inspection.id
        uow.session.add(order)
        uow.emit(
            events.InspectionPassed(
                inspection_id=inspection.id,
                order_id=order.order_id,
                inspector_id=user.user_id,
                road_test=data.road_test,
                technical_lead_id=data.technical_lead_id,
            ),
            station_id=order.station_id,
            correlation_id=order.order_id,
        )
        await uow.session.flush()
        await _complete_order_if_finished(uow, order, now)
        return inspection
    for failed in data.failed_jobs:
        job = jobs[failed.job_id]
        job.status = JobStatus.DISPATCHED  # back to the same technician
        job.rework_count += 1
        job.completed_at = None
        job.waiting_reason = f"rework after final inspection: {failed.reason}"[:500]
        job.version += 1
        uow.session.add(job)
        uow.emit(
            events.InspectionFailed(
                inspection_id=inspection.id,
                order_id=order.order_id,
                job_id=job.id,
                inspector_id=user.user_id,
                reason=failed.reason,
            ),
            station_id=order.station_id,
            correlation_id=order.order_id,
        )
    return inspection


async def _check_technical_lead(
    session: AsyncSession,
    user: Principal,
    order: WorkshopOrder,
    jobs: Sequence[Job],
    data: InspectionResult,
    passing: bool,
) -> None:
    """A comeback repair passes only checked together with the technical lead (process §6):
    a lead technician of the station, not the inspector, not one who worked on the repair."""
    lead = await session.get(Technician, data.technical_lead_id) if data.technical_lead_id else None
    clocked = (
        await session.exec(
            select(ClockEntry.technician_id).where(col(ClockEntry.job_id).in_([j.id for j in jobs]))
        )
    ).all()
    worked_by = {j.technician_id for j in jobs if j.technician_id} | set(clocked)
    refusal = domain.technical_lead_refusal(
        data.technical_lead_id,
        domain.LeadCandidate(lead.id, lead.station_id, lead.active, lead.certification_level)
        if lead
        else None,
        station_id=order.station_id,
        inspector_id=user.user_id,
        worked_by=worked_by,
        comeback=order.comeback_of is not None,
        passing=passing,
    )
    if refusal:
        raise DomainError(refusal, field="technical_lead_id")


async def get_order(
    session: AsyncSession, user: Principal, order_id: uuid.UUID
) -> WorkshopOrderPublic:
    order = await get_visible(session, WorkshopOrder, order_id, user, "order")
    jobs = (
        await session.exec(
            select(Job)
            .where(Job.order_id == order.order_id)
            .order_by(col(Job.created_at), col(Job.operation_code))
        )
    ).all()
    return WorkshopOrderPublic.model_validate(
        {**order.model_dump(), "jobs": await _publics(session, jobs)}
    )


async def list_inspections(
    session: AsyncSession, user: Principal, order_id: uuid.UUID
) -> list[InspectionPublic]:
    order = await get_visible(session, WorkshopOrder, order_id, user, "order")
    rows = (
        await session.exec(
            select(Inspection)
            .where(Inspection.order_id == order.order_id)
            .order_by(col(Inspection.at))
        )
    ).all()
    return [InspectionPublic.model_validate(row.model_dump()) for row in rows]


# --- reading ----------------------------------------------------------------------------


async def _visible_job(session: AsyncSession, user: Principal, job_id: uuid.UUID) -> Job:
    return await get_visible(session, Job, job_id, user, "job")


async def get_job(session: AsyncSession, user: Principal, job_id: uuid.UUID) -> JobPublic:
    job = await _visible_job(session, user, job_id)
    [public] = await _publics(session, [job])
    return public


async def job_findings(
    session: AsyncSession, user: Principal, job_id: uuid.UUID
) -> list[FindingPublic]:
    job = await _visible_job(session, user, job_id)
    rows = (
        await session.exec(
            select(Finding).where(Finding.job_id == job.id).order_by(col(Finding.reported_at))
        )
    ).all()
    return [FindingPublic.model_validate(row.model_dump()) for row in rows]


async def job_clockings(
    session: AsyncSession, user: Principal, job_id: uuid.UUID
) -> list[ClockEntryPublic]:
    job = await _visible_job(session, user, job_id)
    rows = (
        await session.exec(
            select(ClockEntry)
            .where(ClockEntry.job_id == job.id)
            .order_by(col(ClockEntry.started_at))
        )
    ).all()
    return [ClockEntryPublic.model_validate(row.model_dump()) for row in rows]


async def list_jobs(
    session: AsyncSession,
    user: Principal,
    *,
    order_id: uuid.UUID | None = None,
    status: JobStatus | None = None,
    technician_id: str | None = None,
    team_id: uuid.UUID | None = None,
    offset: int = 0,
    limit: int = 50,
) -> JobsPublic:
    query = select(Job)
    query = at_visible_stations(query, Job.station_id, user)
    if team_id is not None:
        query = query.where(Job.team_id == team_id)
    if order_id is not None:
        query = query.where(Job.order_id == order_id)
    if status is not None:
        query = query.where(Job.status == status)
    if technician_id is not None:
        query = query.where(Job.technician_id == technician_id)
    count = await count_rows(session, query)
    jobs = (
        await session.exec(
            query.order_by(col(Job.created_at), col(Job.operation_code)).offset(offset).limit(limit)
        )
    ).all()
    return JobsPublic(data=await _publics(session, jobs), count=count)


async def _publics(
    session: AsyncSession,
    jobs: Sequence[Job],
    suggestions: dict[uuid.UUID, str | None] | None = None,
) -> list[JobPublic]:
    """Jobs with their requested and drawn parts, in two queries for any number of jobs."""
    ids = [job.id for job in jobs]
    parts = (
        await session.exec(
            select(JobPart).where(col(JobPart.job_id).in_(ids)).order_by(col(JobPart.part_no))
        )
    ).all()
    by_job: dict[uuid.UUID, list[JobPart]] = {}
    for part in parts:
        by_job.setdefault(part.job_id, []).append(part)
    used: dict[uuid.UUID, list[PartUsedPublic]] = {}
    for job_id, part_no, quantity in await _parts_used(session, ids):
        used.setdefault(job_id, []).append(PartUsedPublic(part_no=part_no, quantity=quantity))
    suggestions = suggestions or {}
    names = await _team_names(session, {job.team_id for job in jobs if job.team_id})
    return [
        to_public(
            job,
            by_job.get(job.id, []),
            used.get(job.id, []),
            suggestions.get(job.id),
            names.get(job.team_id) if job.team_id else None,
        )
        for job in jobs
    ]


async def _team_names(session: AsyncSession, team_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not team_ids:
        return {}
    rows = (
        await session.exec(select(Team.id, Team.name).where(col(Team.id).in_(list(team_ids))))
    ).all()
    return dict(rows)


def to_public(
    job: Job,
    parts: Sequence[JobPart],
    used: Sequence[PartUsedPublic] = (),
    suggested: str | None = None,
    team_name: str | None = None,
) -> JobPublic:
    return JobPublic.model_validate(
        {
            **job.model_dump(),
            "parts": [JobPartPublic.model_validate(part.model_dump()) for part in parts],
            "parts_used": list(used),
            "suggested_technician_id": suggested,
            "team_name": team_name,
        }
    )


def board_station(user: Principal, station_id: str | None) -> str:
    """The station whose board to show: the asked one if visible, else the user's own."""
    if station_id is None:
        if user.all_stations or len(user.stations) != 1:
            raise DomainError(
                "station_id is required for a user of several stations", field="station_id"
            )
        return user.stations[0]
    if not user.can_see(station_id):
        raise NotFound("station")
    return station_id


async def board(session: AsyncSession, user: Principal, station_id: str | None) -> BoardPublic:
    """The foreman's board: every open job of the station by state, promised time first, with
    a suggested technician for each job not dispatched yet.

    Read as plain rows (no ORM identity map) and built without re-validation: the board of a
    busy station holds hundreds of jobs and is refreshed all day (target 200 ms for 500)."""
    station = board_station(user, station_id)
    jobs = await _open_job_rows(session, station)
    now = utcnow()
    calendar = calendar_for(station)
    today = calendar.local_day(now)
    team = await _team(session, station)
    absences = await _absences(session, station, today, today)
    loads: dict[str, Decimal] = {}
    for job in jobs:
        if job.technician_id and job.status != JobStatus.IN_INSPECTION:
            remaining = max(job.sold_hours - job.clocked_hours, Decimal("0"))
            loads[job.technician_id] = loads.get(job.technician_id, Decimal("0")) + remaining
    undispatched = (JobStatus.WAITING, JobStatus.READY)  # a job short of parts waits
    suggestions = domain.suggest_technicians(
        [
            domain.JobDemand(
                j.id, j.skill if j.skill in domain.SKILLS else None, j.sold_hours, j.promised_at
            )
            for j in jobs
            if j.status in undispatched
        ],
        [
            domain.TechnicianLoad(
                t.id,
                frozenset(t.skill_list()),
                loads.get(t.id, Decimal("0")),
                t.certification_level,
            )
            for t in team
            if t.id not in absences and today.isoweekday() in t.weekday_list()
        ],
    )
    far = datetime.max.replace(tzinfo=UTC)
    jobs.sort(key=lambda j: (j.promised_at or far, j.created_at, j.operation_code))
    columns = [
        BoardColumn.model_construct(status=status, count=0, jobs=[])
        for status in JobStatus
        if status in domain.OPEN_STATUSES
    ]
    by_status = {column.status: column for column in columns}
    teams = await _station_teams(session, station)
    names = {t.id: t.name for t in teams}
    missing = {j.team_id for j in jobs if j.team_id and j.team_id not in names}
    names.update(await _team_names(session, missing))  # dissolved since: the name stays
    team_loads: dict[uuid.UUID, Decimal] = {}
    for job in jobs:
        job.suggested_technician_id = suggestions.get(job.id)
        if job.team_id is not None:
            job.team_name = names.get(job.team_id)
            if job.status != JobStatus.IN_INSPECTION:
                remaining = max(job.sold_hours - job.clocked_hours, Decimal("0"))
                team_loads[job.team_id] = team_loads.get(job.team_id, Decimal("0")) + remaining
        column = by_status[job.status]
        column.jobs.append(job)
        column.count += 1
    working = {t.id for t in team if today.isoweekday() in t.weekday_list()} - set(absences)
    members = await _members(session, [t.id for t in teams])
    board_teams = [
        BoardTeam(
            id=t.id,
            name=t.name,
            skills=t.skill_list(),
            leader_id=t.leader_id,
            member_ids=members[t.id],
            present_ids=[m for m in members[t.id] if m in working],
            load_hours=team_loads.get(t.id, Decimal("0")),
        )
        for t in teams
    ]
    # "today" is the station's local day (a Beijing morning is the previous UTC day)
    start = calendar.at(today, time())
    done_today = (
        await session.exec(
            select(func.count())
            .select_from(Job)
            .where(Job.station_id == station)
            .where(Job.status == JobStatus.DONE)
            .where(col(Job.completed_at) >= start)
        )
    ).one()
    return BoardPublic.model_construct(
        station_id=station, columns=columns, done_today=int(done_today), teams=board_teams
    )


async def _open_job_rows(session: AsyncSession, station: str) -> list[JobPublic]:
    """The station's open jobs with their parts, from three plain-row queries.

    Only the columns the board shows are read, as tuples (a mapping lookup per value costs
    more than the query itself), and the parts' queries reuse the open-job filter in the
    database instead of sending hundreds of ids back."""
    job_table, part_table, move_table = (
        Job.__table__,  # type: ignore[attr-defined]
        JobPart.__table__,  # type: ignore[attr-defined]
        PartMovement.__table__,  # type: ignore[attr-defined]
    )
    open_ids = (
        select(job_table.c.id)
        .where(job_table.c.station_id == station)
        .where(job_table.c.status.in_(domain.OPEN_STATUSES))
    )
    connection = await session.connection()
    job_rows = (
        await connection.execute(
            select(*(job_table.c[k] for k in _BOARD_JOB_FIELDS))
            .where(job_table.c.station_id == station)
            .where(job_table.c.status.in_(domain.OPEN_STATUSES))
        )
    ).all()
    part_rows = (
        await connection.execute(
            select(part_table.c.job_id, *(part_table.c[k] for k in _BOARD_PART_FIELDS))
            .where(part_table.c.job_id.in_(open_ids))
            .order_by(part_table.c.part_no)
        )
    ).all()
    move_rows = (
        await connection.execute(
            select(move_table.c.job_id, move_table.c.part_no, move_table.c.quantity)
            .where(move_table.c.job_id.in_(open_ids))
            .order_by(move_table.c.at)
        )
    ).all()
    parts: dict[uuid.UUID, list[JobPartPublic]] = {}
    for job_id, *part_values in part_rows:
        parts.setdefault(job_id, []).append(
            _trusted(JobPartPublic, dict(zip(_BOARD_PART_FIELDS, part_values, strict=True)))
        )
    used: dict[uuid.UUID, list[PartUsedPublic]] = {}
    for job_id, part_no, quantity in domain.parts_used(
        domain.PartMove(r.job_id, r.part_no, r.quantity) for r in move_rows
    ):
        used.setdefault(job_id, []).append(
            PartUsedPublic.model_construct(part_no=part_no, quantity=quantity)
        )
    jobs: list[JobPublic] = []
    for row in job_rows:
        values: dict[str, Any] = dict(zip(_BOARD_JOB_FIELDS, row, strict=True))
        job_id = values["id"]
        values["parts"] = parts.get(job_id, [])
        values["parts_used"] = used.get(job_id, [])
        values["suggested_technician_id"] = None
        values["team_name"] = None
        jobs.append(_trusted(JobPublic, values))
    return jobs


def _trusted(model: type[_M], values: dict[str, Any]) -> _M:
    """``model.model_construct(**values)`` for a plain model (no aliases, defaults, extras or
    private attributes) given every field in order: what it sets, without its per-field
    loop, which is a fifth of the board's time at 500 jobs. ``values`` becomes the model's."""
    instance = model.__new__(model)
    object.__setattr__(instance, "__dict__", values)
    object.__setattr__(instance, "__pydantic_fields_set__", set(values))
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance


_BOARD_EXTRAS = frozenset({"parts", "parts_used", "suggested_technician_id", "team_name"})
_BOARD_JOB_FIELDS = tuple(k for k in JobPublic.model_fields if k not in _BOARD_EXTRAS)
_BOARD_PART_FIELDS = tuple(JobPartPublic.model_fields)


async def list_technicians(
    session: AsyncSession, user: Principal, *, active: bool | None = None
) -> TechniciansPublic:
    query = select(Technician)
    query = at_visible_stations(query, Technician.station_id, user)
    if active is not None:
        query = query.where(Technician.active == active)
    technicians = (
        await session.exec(query.order_by(col(Technician.station_id), col(Technician.id)))
    ).all()
    return TechniciansPublic(
        data=[technician_public(t) for t in technicians], count=len(technicians)
    )


def technician_public(t: Technician) -> TechnicianPublic:
    return TechnicianPublic(
        id=t.id,
        station_id=t.station_id,
        name=t.name,
        skills=t.skill_list(),
        certification_level=t.certification_level,
        daily_hours=t.daily_hours,
        working_days=t.weekday_list(),
        active=t.active,
    )


async def list_bays(session: AsyncSession, user: Principal) -> BaysPublic:
    query = at_visible_stations(select(Bay), Bay.station_id, user)
    bays = (await session.exec(query.order_by(col(Bay.station_id), col(Bay.id)))).all()
    return BaysPublic(
        data=[BayPublic.model_validate(b.model_dump()) for b in bays], count=len(bays)
    )


# --- KPIs -------------------------------------------------------------------------------


async def kpis(
    session: AsyncSession, user: Principal, station_id: str | None, period: str, day: date
) -> KpisPublic:
    """Efficiency, productivity, on-time, first-time-fix and rework of a station's day/month."""
    station = board_station(user, station_id)
    _check_day(day)
    first, last = domain.period_bounds(day, period)
    # days and months are the station's local ones (its calendar's time zone), not UTC's:
    # work finished at 07:30 in Beijing belongs to that Beijing day, not to the UTC day before
    calendar = calendar_for(station)
    start = calendar.at(first, time())
    end = calendar.at(last + timedelta(days=1), time())
    finished = (
        await session.exec(
            select(Job)
            .where(Job.station_id == station)
            .where(col(Job.completed_at) >= start)
            .where(col(Job.completed_at) < end)
        )
    ).all()
    entries = (
        await session.exec(
            select(ClockEntry)
            .where(ClockEntry.station_id == station)
            .where(col(ClockEntry.ended_at) >= start)
            .where(col(ClockEntry.ended_at) < end)
        )
    ).all()
    orders = (
        await session.exec(
            select(WorkshopOrder)
            .where(WorkshopOrder.station_id == station)
            .where(col(WorkshopOrder.completed_at) >= start)
            .where(col(WorkshopOrder.completed_at) < end)
        )
    ).all()
    came_back = set(
        (
            await session.exec(
                select(WorkshopOrder.comeback_of).where(
                    col(WorkshopOrder.comeback_of).in_([o.order_id for o in orders])
                )
            )
        ).all()
    )
    comebacks_received = (
        await session.exec(
            select(WorkshopOrder)
            .where(WorkshopOrder.station_id == station)
            .where(col(WorkshopOrder.comeback_of).is_not(None))
            .where(col(WorkshopOrder.received_at) >= start)
            .where(col(WorkshopOrder.received_at) < end)
        )
    ).all()
    inspections = (
        await session.exec(
            select(Inspection)
            .where(Inspection.station_id == station)
            .where(col(Inspection.at) >= start)
            .where(col(Inspection.at) < end)
        )
    ).all()
    failures = [f for i in inspections for f in i.failures]
    team = await _team(session, station)
    absences = await _absences(session, station, first, last)
    # available hours count only the days the station is open (its calendar)
    days = list(calendar.open_days(first, last))
    per_technician: list[TechnicianHours] = []
    for t in team:
        available = domain.total_hours(
            t.daily_hours
            for d in days
            if domain.works_on(d, t.weekday_list(), absences.get(t.id, []))
        )
        jobs = [j for j in finished if j.technician_id == t.id]
        sold = domain.total_hours(j.sold_hours for j in jobs)
        clocked_jobs = domain.total_hours(j.clocked_hours for j in jobs)
        clocked = domain.total_hours(
            e.hours or Decimal("0") for e in entries if e.technician_id == t.id
        )
        per_technician.append(
            TechnicianHours(
                technician_id=t.id,
                sold_hours=sold,
                clocked_hours=clocked,
                available_hours=available,
                efficiency=domain.ratio(sold, clocked_jobs),
                productivity=domain.ratio(clocked, available),
                jobs=len(jobs),
                comebacks=sum(1 for o in comebacks_received if o.comeback_technician_id == t.id),
                rework=sum(1 for f in failures if f.get("technician_id") == t.id),
            )
        )
    sold = domain.total_hours(j.sold_hours for j in finished)
    clocked_jobs = domain.total_hours(j.clocked_hours for j in finished)
    clocked = domain.total_hours(e.hours or Decimal("0") for e in entries)
    available = domain.total_hours(t.available_hours for t in per_technician)
    promised = [o for o in orders if o.promised_at is not None]
    on_time = sum(
        1 for o in promised if o.completed_at and o.promised_at and o.completed_at <= o.promised_at
    )
    fixed_first_time = sum(1 for o in orders if o.order_id not in came_back)
    return KpisPublic(
        station_id=station,
        period="day" if period == "day" else "month",
        first_day=first,
        last_day=last,
        sold_hours=sold,
        clocked_hours=clocked,
        available_hours=available,
        efficiency=domain.ratio(sold, clocked_jobs),
        productivity=domain.ratio(clocked, available),
        orders_completed=len(orders),
        on_time=on_time,
        on_time_rate=domain.ratio(Decimal(on_time), Decimal(len(promised))),
        comebacks=len(comebacks_received),
        first_time_fix_rate=domain.ratio(Decimal(fixed_first_time), Decimal(len(orders))),
        rework_count=len(failures),
        technicians=per_technician,
    )


# --- roadside assistance ----------------------------------------------------------------


async def log_roadside_call(
    uow: UnitOfWork, user: Principal, data: RoadsideCallCreate
) -> RoadsideCall:
    """A breakdown call is logged with where the car is and what it does (外出救援)."""
    call = RoadsideCall(
        station_id=user.acting_station(data.station_id),
        caller_name=data.caller_name,
        phone=data.phone,
        vin=data.vin.upper() if data.vin else None,
        plate=data.plate,
        location=data.location,
        symptom=data.symptom,
        received_by=user.user_id,
        received_at=utcnow(),
    )
    uow.session.add(call)
    return call


async def _call_for_step(
    session: AsyncSession, user: Principal, call_id: uuid.UUID, step: str
) -> RoadsideCall:
    call = await get_visible(session, RoadsideCall, call_id, user, "roadside call")
    locked = (
        await session.exec(select(RoadsideCall).where(RoadsideCall.id == call.id).with_for_update())
    ).one()
    await session.refresh(locked)
    refusal = domain.roadside_refusal(locked.status, step)
    if refusal:
        raise Conflict(f"cannot record the {step}: {refusal}")
    if step != "dispatch" and user.role == Role.TECHNICIAN and locked.technician_id != user.user_id:
        raise Conflict(f"the call was given to {locked.technician_id}")
    return locked


def _step_time(at: datetime | None, after: datetime | None) -> datetime:
    now = utcnow()
    moment = at or now
    if moment > now + timedelta(minutes=1):
        raise DomainError("the time cannot be in the future", field="at")
    if moment < now - timedelta(days=7):
        raise DomainError("the time is over a week ago", field="at")
    if after is not None and moment < after:
        raise DomainError(f"the time is before the previous step ({after.isoformat()})", field="at")
    return moment


async def dispatch_roadside(
    uow: UnitOfWork, user: Principal, call_id: uuid.UUID, data: RoadsideDispatch
) -> RoadsideCall:
    """The foreman sends a technician out with a service vehicle."""
    call = await _call_for_step(uow.session, user, call_id, "dispatch")
    technician = await uow.session.get(Technician, data.technician_id)
    if technician is None or technician.station_id != call.station_id or not technician.active:
        raise DomainError(
            f"{data.technician_id} is not an active technician of station {call.station_id}",
            field="technician_id",
        )
    running = await _open_entry(uow.session, technician.id)
    if running is not None:
        raise Conflict(f"{technician.id} is clocked on a job: they clock off before going out")
    call.technician_id = technician.id
    call.service_vehicle = data.service_vehicle
    call.dispatched_at = utcnow()
    call.status = RoadsideStatus.DISPATCHED
    uow.session.add(call)
    return call


async def roadside_arrival(
    uow: UnitOfWork, user: Principal, call_id: uuid.UUID, data: RoadsideStep
) -> RoadsideCall:
    """The technician reached the car."""
    call = await _call_for_step(uow.session, user, call_id, "arrival")
    call.arrived_at = _step_time(data.at, call.dispatched_at)
    call.status = RoadsideStatus.ON_SITE
    uow.session.add(call)
    return call


async def finish_roadside(
    uow: UnitOfWork, user: Principal, call_id: uuid.UUID, data: RoadsideFinish
) -> RoadsideCall:
    """Fixed on the spot, or towed in: the towed car continues as a repair order when reception
    opens one for it (linked on ``order.created``)."""
    call = await _call_for_step(uow.session, user, call_id, "finish")
    call.finished_at = _step_time(data.at, call.arrived_at)
    call.outcome_note = data.note
    call.status = (
        RoadsideStatus.FIXED_ON_SITE
        if data.outcome == RoadsideOutcome.FIXED_ON_SITE
        else RoadsideStatus.TOWED_IN
    )
    uow.session.add(call)
    return call


def roadside_public(call: RoadsideCall) -> RoadsideCallPublic:
    return RoadsideCallPublic.model_validate(
        {
            **call.model_dump(),
            "response_minutes": domain.minutes_between(call.received_at, call.arrived_at),
        }
    )


async def get_roadside_call(
    session: AsyncSession, user: Principal, call_id: uuid.UUID
) -> RoadsideCallPublic:
    call = await get_visible(session, RoadsideCall, call_id, user, "roadside call")
    return roadside_public(call)


async def list_roadside_calls(
    session: AsyncSession,
    user: Principal,
    *,
    status: RoadsideStatus | None = None,
    offset: int = 0,
    limit: int = 50,
) -> RoadsideCallsPublic:
    query = at_visible_stations(select(RoadsideCall), RoadsideCall.station_id, user)
    if status is not None:
        query = query.where(RoadsideCall.status == status)
    count = await count_rows(session, query)
    calls = (
        await session.exec(
            query.order_by(col(RoadsideCall.received_at).desc()).offset(offset).limit(limit)
        )
    ).all()
    return RoadsideCallsPublic(data=[roadside_public(c) for c in calls], count=count)


# --- requests for more time (超时申请, process §5) ----------------------------------------


async def request_overrun(
    uow: UnitOfWork, user: Principal, job_id: uuid.UUID, data: OverrunRequestCreate
) -> OverrunRequest:
    """The technician sees the job overrunning its sold hours or promised time and asks the
    foreman for more time at once (the foreman may file it for them); one open request per
    job, so the foreman answers one question at a time."""
    job = await _job_for_change(uow.session, user, job_id)
    works_it = await _may_work(uow.session, job, user.user_id)
    refusal = domain.overrun_refusal(
        job.status,
        job.technician_id if not works_it else user.user_id,
        user.user_id,
        user.role == Role.TECHNICIAN,
    )
    if refusal:
        raise Conflict(f"no more time can be asked on job {job.operation_code}: {refusal}")
    now = utcnow()
    refusal = domain.new_promise_refusal(data.new_promised_at, job.promised_at, now)
    if refusal:
        raise DomainError(refusal, field="new_promised_at")
    waiting = (
        await uow.session.exec(
            select(OverrunRequest)
            .where(OverrunRequest.job_id == job.id)
            .where(OverrunRequest.status == OverrunStatus.REQUESTED)
        )
    ).first()
    if waiting is not None:
        raise Conflict(
            f"job {job.operation_code} has a request for more time waiting for the foreman "
            f"({waiting.id})"
        )
    request = OverrunRequest(
        station_id=job.station_id,
        order_id=job.order_id,
        job_id=job.id,
        reason=data.reason,
        extra_hours=data.extra_hours,
        promised_before=job.promised_at,
        new_promised_at=data.new_promised_at,
        requested_by=user.user_id,
        requested_at=now,
    )
    job.version += 1  # the board shows the request: a stale dispatch must reload
    uow.session.add_all([request, job])
    return request


async def decide_overrun(
    uow: UnitOfWork, user: Principal, request_id: uuid.UUID, data: OverrunDecision
) -> OverrunRequest:
    """The foreman approves (the job's promised time moves, the advisor warns the customer)
    or refuses with a reason (the technician keeps to the sold time)."""
    request = await get_visible_for_update(
        uow.session, OverrunRequest, request_id, user, "request for more time"
    )
    if request.status != OverrunStatus.REQUESTED:
        raise Conflict(f"the request was {request.status.value} already")
    job = await _job_for_change(uow.session, user, request.job_id)
    now = utcnow()
    request.decided_by = user.user_id
    request.decided_at = now
    if data.approved:
        if request.new_promised_at is not None:
            refusal = domain.new_promise_refusal(request.new_promised_at, None, now)
            if refusal:
                raise Conflict(f"{refusal}: the technician asks again with a later time")
            job.promised_at = request.new_promised_at
        request.status = OverrunStatus.APPROVED
    else:
        request.status = OverrunStatus.REFUSED
        request.refusal_reason = data.reason
    job.version += 1
    uow.session.add_all([request, job])
    return request


async def overrun_customer_informed(
    uow: UnitOfWork, user: Principal, request_id: uuid.UUID
) -> OverrunRequest:
    """The advisor told the customer of the approved overrun (and its new promised time)."""
    request = await get_visible_for_update(
        uow.session, OverrunRequest, request_id, user, "request for more time"
    )
    if request.status != OverrunStatus.APPROVED:
        raise Conflict(
            f"the request is {request.status.value}: only approved overruns are told to the "
            "customer"
        )
    if request.customer_informed_at is None:
        request.customer_informed_at = utcnow()
        request.customer_informed_by = user.user_id
        uow.session.add(request)
    return request


async def list_overruns(
    session: AsyncSession,
    user: Principal,
    *,
    status: OverrunStatus | None = None,
    order_id: uuid.UUID | None = None,
    job_id: uuid.UUID | None = None,
    customer_informed: bool | None = None,
    offset: int = 0,
    limit: int = 50,
) -> OverrunRequestsPublic:
    """Requests for more time of the stations you see, oldest first; the advisor's list is
    ``status=approved&customer_informed=false``."""
    query = at_visible_stations(select(OverrunRequest), OverrunRequest.station_id, user)
    if status is not None:
        query = query.where(OverrunRequest.status == status)
    if order_id is not None:
        query = query.where(OverrunRequest.order_id == order_id)
    if job_id is not None:
        query = query.where(OverrunRequest.job_id == job_id)
    if customer_informed is not None:
        informed = col(OverrunRequest.customer_informed_at)
        query = query.where(informed.is_not(None) if customer_informed else informed.is_(None))
    count = await count_rows(session, query)
    rows = (
        await session.exec(
            query.order_by(col(OverrunRequest.requested_at)).offset(offset).limit(limit)
        )
    ).all()
    return OverrunRequestsPublic(
        data=[OverrunRequestPublic.model_validate(r.model_dump()) for r in rows], count=count
    )


async def get_overrun(
    session: AsyncSession, user: Principal, request_id: uuid.UUID
) -> OverrunRequestPublic:
    request = await get_visible(session, OverrunRequest, request_id, user, "request for more time")
    return OverrunRequestPublic.model_validate(request.model_dump())


# --- evening progress reports (cars kept overnight, process §5) ---------------------------

TASK_EVENING_REPORTS = "workshop.evening_progress_reports"


def next_evening(station_id: str, moment: datetime) -> tuple[date, datetime]:
    """The station's next closing time after ``moment`` (an open day of its calendar)."""
    calendar = calendar_for(station_id)
    day = calendar.local_day(moment)
    for _ in range(400):
        if calendar.is_open(day):
            closes = calendar.at(day, calendar.hours.closes)
            if closes > moment:
                return day, closes
        day += timedelta(days=1)
    raise DomainError(f"station {station_id} is never open", field="station_id")


async def plan_evening_reports(session: AsyncSession, station_id: str, moment: datetime) -> None:
    """Plan the station's next evening round of progress reports (once per station and day:
    the task key makes planning it again a no-op)."""
    day, closes = next_evening(station_id, moment)
    await schedule(
        session,
        kind=TASK_EVENING_REPORTS,
        key=f"{TASK_EVENING_REPORTS}:{station_id}:{day.isoformat()}",
        due_at=closes,
        payload={"station_id": station_id, "day": day.isoformat()},
        station_id=station_id,
    )


async def evening_reports_due(uow: UnitOfWork, station_id: str, day: date) -> int:
    """At closing time every order still open in the workshop stays overnight: a progress
    report on it is due (done, remaining, expected completion). The next evening is planned
    while cars remain. Returns how many reports fell due."""
    session = uow.session
    closes = calendar_for(station_id).at(day, calendar_for(station_id).hours.closes)
    orders = (
        await session.exec(
            select(WorkshopOrder)
            .where(WorkshopOrder.station_id == station_id)
            .where(WorkshopOrder.status == WorkshopOrderStatus.OPEN)
        )
    ).all()
    existing = set(
        (
            await session.exec(
                select(ProgressReport.order_id)
                .where(ProgressReport.station_id == station_id)
                .where(ProgressReport.day == day)
            )
        ).all()
    )
    due = 0
    for order in orders:
        if order.order_id in existing or not domain.kept_overnight(order.received_at, closes):
            continue
        session.add(
            ProgressReport(station_id=station_id, order_id=order.order_id, day=day, due_at=closes)
        )
        due += 1
    if orders:
        await plan_evening_reports(session, station_id, closes)
    return due


async def record_progress(
    uow: UnitOfWork, user: Principal, report_id: uuid.UUID, data: ProgressReportEntry
) -> ProgressReport:
    """The foreman (or technician) records the evening report; a later entry the same
    evening replaces it (the advisor reads the latest)."""
    report = await get_visible_for_update(
        uow.session, ProgressReport, report_id, user, "progress report"
    )
    now = utcnow()
    if not now < data.expected_completion_at <= now + domain.PROMISE_HORIZON:
        raise DomainError(
            "the expected completion lies ahead (the car stays overnight), within "
            f"{domain.PROMISE_HORIZON.days} days",
            field="expected_completion_at",
        )
    report.work_done = data.work_done
    report.work_remaining = data.work_remaining
    report.expected_completion_at = data.expected_completion_at
    report.reported_by = user.user_id
    report.reported_at = now
    report.status = ProgressReportStatus.REPORTED
    uow.session.add(report)
    return report


async def list_progress_reports(
    session: AsyncSession,
    user: Principal,
    *,
    day: date | None = None,
    status: ProgressReportStatus | None = None,
    order_id: uuid.UUID | None = None,
    offset: int = 0,
    limit: int = 50,
) -> ProgressReportsPublic:
    query = at_visible_stations(select(ProgressReport), ProgressReport.station_id, user)
    if day is not None:
        _check_day(day)
        query = query.where(ProgressReport.day == day)
    if status is not None:
        query = query.where(ProgressReport.status == status)
    if order_id is not None:
        query = query.where(ProgressReport.order_id == order_id)
    count = await count_rows(session, query)
    rows = (
        await session.exec(
            query.order_by(col(ProgressReport.day).desc(), col(ProgressReport.due_at))
            .offset(offset)
            .limit(limit)
        )
    ).all()
    numbers = dict(
        (
            await session.exec(
                select(WorkshopOrder.order_id, WorkshopOrder.order_no).where(
                    col(WorkshopOrder.order_id).in_([r.order_id for r in rows])
                )
            )
        ).all()
    )
    return ProgressReportsPublic(
        data=[progress_public(r, numbers.get(r.order_id)) for r in rows], count=count
    )


def progress_public(report: ProgressReport, order_no: str | None = None) -> ProgressReportPublic:
    return ProgressReportPublic.model_validate({**report.model_dump(), "order_no": order_no})


# --- technical assistance: bulletin library and TAC (process §5) ------------------------


async def add_bulletin(uow: UnitOfWork, user: Principal, data: BulletinCreate) -> TechnicalBulletin:
    """The foreman or service manager files a manufacturer's bulletin in the library."""
    bulletin = TechnicalBulletin(
        station_id=user.acting_station(data.station_id),
        number=data.number,
        title=data.title,
        make=data.make,
        model=data.model,
        symptom=data.symptom,
        fault_codes=domain.normalise_fault_codes(data.fault_codes),
        remedy=data.remedy,
        document_url=data.document_url,
        issued_on=data.issued_on,
        created_by=user.user_id,
        created_at=utcnow(),
    )
    uow.session.add(bulletin)
    return bulletin


async def search_bulletins(
    session: AsyncSession,
    user: Principal,
    *,
    make: str | None = None,
    model: str | None = None,
    symptom: str | None = None,
    fault_code: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> BulletinsPublic:
    """Bulletins of the stations you see by make, model, symptom words and fault code."""
    query = at_visible_stations(select(TechnicalBulletin), TechnicalBulletin.station_id, user)
    rows = (
        await session.exec(
            query.order_by(col(TechnicalBulletin.issued_on).desc(), col(TechnicalBulletin.number))
        )
    ).all()
    found = [
        b
        for b in rows
        if domain.bulletin_matches(
            b.make,
            b.model,
            f"{b.title} {b.symptom}",
            b.fault_codes,
            want_make=make,
            want_model=model,
            text=symptom,
            fault_code=fault_code,
        )
    ]
    return BulletinsPublic(
        data=[
            BulletinPublic.model_validate(b.model_dump()) for b in found[offset : offset + limit]
        ],
        count=len(found),
    )


async def job_bulletins(
    session: AsyncSession, user: Principal, job_id: uuid.UUID
) -> BulletinsPublic:
    """The library's bulletins for this job's car (make and model) that speak of its
    complaint or of the fault codes of its TAC cases: handed to the technician."""
    job = await _visible_job(session, user, job_id)
    order = await session.get(WorkshopOrder, job.order_id)
    assert order is not None
    codes = {
        code
        for case in (await session.exec(select(TacCase).where(TacCase.job_id == job.id))).all()
        for code in case.fault_codes
    }
    rows = (
        await session.exec(
            select(TechnicalBulletin).where(TechnicalBulletin.station_id == job.station_id)
        )
    ).all()
    found = [
        b
        for b in rows
        if domain.bulletin_matches(
            b.make, b.model, b.symptom, b.fault_codes, want_make=order.make, want_model=order.model
        )
        and (
            bool(codes & set(b.fault_codes))
            or domain.similar_complaint(b.symptom, f"{order.complaint} {job.description}")
        )
    ]
    return BulletinsPublic(
        data=[BulletinPublic.model_validate(b.model_dump()) for b in found], count=len(found)
    )


async def escalate_to_tac(
    uow: UnitOfWork, user: Principal, job_id: uuid.UUID, data: TacEscalation
) -> TacCase:
    """A fault the station cannot solve goes to the manufacturer's TAC with the case data;
    the job waits for the answer (its technician clocked off, the board says why)."""
    job = await _job_for_change(uow.session, user, job_id)
    if job.status not in domain.TAC_ALLOWED:
        raise Conflict(
            f"job {job.operation_code} is {job.status.value}: a case is escalated from a job "
            "being worked on"
        )
    if user.role == Role.TECHNICIAN and not await _may_work(uow.session, job, user.user_id):
        raise Conflict(
            f"job {job.operation_code} is dispatched to "
            f"{await _dispatched_to_text(uow.session, job)}"
        )
    if job.tac_case_id is not None:
        raise Conflict(f"job {job.operation_code} waits for TAC already (case {job.tac_case_id})")
    order = await uow.session.get(WorkshopOrder, job.order_id)
    assert order is not None
    now = utcnow()
    case = TacCase(
        station_id=job.station_id,
        order_id=job.order_id,
        job_id=job.id,
        vin=order.vin,
        symptom=data.symptom,
        tried=data.tried,
        fault_codes=domain.normalise_fault_codes(data.fault_codes),
        escalated_by=user.user_id,
        escalated_at=now,
        tac_reference=data.tac_reference,
    )
    if job.status == JobStatus.IN_PROGRESS:
        await _close_entries(uow.session, job, now, "escalated to TAC")
        job.status = JobStatus.PAUSED
    job.tac_case_id = case.id
    job.waiting_reason = f"{domain.TAC_WAITING_PREFIX} case {data.tac_reference or case.id})"
    job.version += 1
    uow.session.add_all([case, job])
    return case


async def _case_for_change(session: AsyncSession, user: Principal, case_id: uuid.UUID) -> TacCase:
    return await get_visible_for_update(session, TacCase, case_id, user, "TAC case")


async def tac_answered(
    uow: UnitOfWork, user: Principal, case_id: uuid.UUID, data: TacAnswer
) -> TacCase:
    """TAC's answer is recorded; the job no longer waits for it."""
    case = await _case_for_change(uow.session, user, case_id)
    if case.status != TacCaseStatus.ESCALATED:
        raise Conflict(f"the case is {case.status.value} already")
    case.status = TacCaseStatus.ANSWERED
    case.answer = data.answer
    case.tac_reference = data.tac_reference or case.tac_reference
    case.answered_at = utcnow()
    case.answer_recorded_by = user.user_id
    uow.session.add(case)
    await _release_job_from_tac(uow.session, case, f"TAC answered: {data.answer}")
    return case


async def close_tac_case(
    uow: UnitOfWork, user: Principal, case_id: uuid.UUID, data: TacClosing
) -> TacCase:
    """The case is closed with its outcome (fixed with TAC's help, or given up)."""
    case = await _case_for_change(uow.session, user, case_id)
    if case.status == TacCaseStatus.CLOSED:
        raise Conflict("the case is closed already")
    case.status = TacCaseStatus.CLOSED
    case.outcome = data.outcome
    case.closed_at = utcnow()
    case.closed_by = user.user_id
    uow.session.add(case)
    await _release_job_from_tac(uow.session, case, None)
    return case


async def _release_job_from_tac(session: AsyncSession, case: TacCase, reason: str | None) -> None:
    job = (
        await session.exec(
            select(Job)
            .where(Job.id == case.job_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).one()
    if job.tac_case_id != case.id:
        return
    job.tac_case_id = None
    job.waiting_reason = reason[:500] if reason else None
    job.version += 1
    session.add(job)


async def list_tac_cases(
    session: AsyncSession,
    user: Principal,
    *,
    status: TacCaseStatus | None = None,
    job_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
    offset: int = 0,
    limit: int = 50,
) -> TacCasesPublic:
    query = at_visible_stations(select(TacCase), TacCase.station_id, user)
    if status is not None:
        query = query.where(TacCase.status == status)
    if job_id is not None:
        query = query.where(TacCase.job_id == job_id)
    if order_id is not None:
        query = query.where(TacCase.order_id == order_id)
    count = await count_rows(session, query)
    rows = (
        await session.exec(query.order_by(col(TacCase.escalated_at)).offset(offset).limit(limit))
    ).all()
    return TacCasesPublic(
        data=[TacCasePublic.model_validate(r.model_dump()) for r in rows], count=count
    )


async def get_tac_case(session: AsyncSession, user: Principal, case_id: uuid.UUID) -> TacCasePublic:
    case = await get_visible(session, TacCase, case_id, user, "TAC case")
    return TacCasePublic.model_validate(case.model_dump())
