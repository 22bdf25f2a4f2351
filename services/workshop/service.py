"""Workshop's use cases: each one state change plus its events, in one unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.workshop import domain
from services.workshop.models import (
    Job,
    JobCompletion,
    JobPart,
    JobPartPublic,
    JobPartStatus,
    JobPublic,
    JobsPublic,
    JobStatus,
    Technician,
    TechnicianPublic,
    TechniciansPublic,
    WorkshopOrder,
    WorkshopOrderStatus,
)
from shared.auth import Principal, Role
from shared.contracts import events
from shared.db import utcnow
from shared.errors import Conflict, DomainError
from shared.outbox import UnitOfWork
from shared.scoping import at_visible_stations, count_rows, get_visible

# --- reacting to other services ---------------------------------------------------------


async def order_created(uow: UnitOfWork, event: events.OrderCreated) -> WorkshopOrder:
    """A signed order reaches the workshop: one job per labour line, its parts requested."""
    existing = await uow.session.get(WorkshopOrder, event.order_id)
    if existing is not None:
        return existing  # announced again under a new event id: its jobs exist already
    for index, line in enumerate(event.lines):
        if line.kind == events.LineKind.PART and line.quantity <= 0:
            raise DomainError(
                f"part line {line.code} asks for {line.quantity}; a part needs a quantity above 0",
                field=f"lines.{index}.quantity",
            )
    now = utcnow()
    order = WorkshopOrder(
        order_id=event.order_id,
        station_id=uow.event.station_id,
        order_no=event.order_no,
        vin=event.vehicle.vin,
        inspection_required=event.inspection_required,
        received_at=now,
    )
    jobs: list[Job] = []
    parts: list[JobPart] = []
    for planned in domain.plan_jobs(event.lines):
        job = _new_job(order, planned, now)
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
    for rows in ([order], jobs, parts):
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
            )
        )
    return order


def _new_job(order: WorkshopOrder, planned: domain.PlannedJob, now: datetime) -> Job:
    labour = planned.labour
    has_parts = bool(planned.parts)
    return Job(
        station_id=order.station_id,
        order_id=order.order_id,
        labour_line_id=labour.line_id if labour else None,
        operation_code=labour.code if labour else domain.PARTS_ONLY_CODE,
        description=labour.description if labour else domain.PARTS_ONLY_DESCRIPTION,
        skill=labour.skill if labour else None,
        major_system=labour.major_system if labour else None,
        sold_hours=(labour.hours or Decimal("0")) if labour else Decimal("0"),
        status=JobStatus.WAITING_FOR_PARTS if has_parts else JobStatus.READY,
        waiting_reason=domain.PARTS_REQUESTED if has_parts else None,
        created_at=now,
    )


async def item_reserved(uow: UnitOfWork, event: events.ItemReserved) -> None:
    """The parts counter put the part aside: the job is ready once all its parts are."""
    await _part_reserved(uow.session, event.request_id)


async def item_backordered(uow: UnitOfWork, event: events.ItemBackordered) -> None:
    """Not enough stock: the job waits, and says for what and until when."""
    if event.quantity_short <= 0:
        await _part_reserved(uow.session, event.request_id)  # nothing is short after all
        return
    part = await _part_of_request(uow.session, event.request_id)
    part.status = JobPartStatus.BACKORDERED
    part.quantity_short = event.quantity_short
    part.expected_on = event.expected_on
    uow.session.add(part)
    await _follow_parts(uow.session, part.job_id)


async def _part_reserved(session: AsyncSession, request_id: uuid.UUID) -> None:
    part = await _part_of_request(session, request_id)
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
    job.status = domain.status_after_parts(job.status, reason)
    job.waiting_reason = reason
    session.add(job)


# --- the workshop's own decisions -------------------------------------------------------


async def complete_job(
    uow: UnitOfWork, user: Principal, job_id: uuid.UUID, data: JobCompletion
) -> Job:
    """The job is finished: announce ``job.completed``; the last job completes the vehicle."""
    job = await _visible_job(uow.session, user, job_id)
    # completions of one order queue up here, so exactly one of them sees the last job done
    order = (
        await uow.session.exec(
            select(WorkshopOrder).where(WorkshopOrder.order_id == job.order_id).with_for_update()
        )
    ).one()
    await uow.session.refresh(job)
    if not domain.can_complete(job.status):
        why = f" ({job.waiting_reason})" if job.waiting_reason else ""
        raise Conflict(
            f"job {job.operation_code} is {job.status.value}{why}: "
            "only a ready or started job can be completed"
        )
    now = utcnow()
    job.status = JobStatus.DONE
    job.clocked_hours = data.clocked_hours
    job.completed_at = now
    job.waiting_reason = None
    if job.technician_id is None and user.role == Role.TECHNICIAN:
        job.technician_id = user.user_id
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
    jobs = (await uow.session.exec(select(Job).where(Job.order_id == order.order_id))).all()
    if order.status == WorkshopOrderStatus.OPEN and domain.order_finished(j.status for j in jobs):
        order.status = WorkshopOrderStatus.COMPLETED
        order.completed_at = now
        uow.session.add(order)
        uow.emit(
            events.VehicleCompleted(
                order_id=order.order_id,
                vin=order.vin,
                completed_at=now,
                clocked_hours=domain.total_hours(j.clocked_hours for j in jobs),
                sold_hours=domain.total_hours(j.sold_hours for j in jobs),
            ),
            station_id=order.station_id,
            correlation_id=order.order_id,
        )
    return job


# --- reading ----------------------------------------------------------------------------


async def _visible_job(session: AsyncSession, user: Principal, job_id: uuid.UUID) -> Job:
    return await get_visible(session, Job, job_id, user, "job")


async def get_job(session: AsyncSession, user: Principal, job_id: uuid.UUID) -> JobPublic:
    job = await _visible_job(session, user, job_id)
    parts = (
        await session.exec(
            select(JobPart).where(JobPart.job_id == job.id).order_by(col(JobPart.part_no))
        )
    ).all()
    return to_public(job, parts)


async def list_jobs(
    session: AsyncSession,
    user: Principal,
    *,
    order_id: uuid.UUID | None = None,
    status: JobStatus | None = None,
    offset: int = 0,
    limit: int = 50,
) -> JobsPublic:
    query = select(Job)
    query = at_visible_stations(query, Job.station_id, user)
    if order_id is not None:
        query = query.where(Job.order_id == order_id)
    if status is not None:
        query = query.where(Job.status == status)
    count = await count_rows(session, query)
    jobs = (
        await session.exec(
            query.order_by(col(Job.created_at), col(Job.operation_code)).offset(offset).limit(limit)
        )
    ).all()
    parts = (
        await session.exec(
            select(JobPart)
            .where(col(JobPart.job_id).in_([job.id for job in jobs]))
            .order_by(col(JobPart.part_no))
        )
    ).all()
    by_job: dict[uuid.UUID, list[JobPart]] = {}
    for part in parts:
        by_job.setdefault(part.job_id, []).append(part)
    return JobsPublic(data=[to_public(job, by_job.get(job.id, [])) for job in jobs], count=count)


def to_public(job: Job, parts: Sequence[JobPart]) -> JobPublic:
    return JobPublic.model_validate(
        {
            **job.model_dump(),
            "parts": [JobPartPublic.model_validate(part.model_dump()) for part in parts],
        }
    )


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
        data=[
            TechnicianPublic(
                id=t.id,
                station_id=t.station_id,
                name=t.name,
                skills=t.skill_list(),
                active=t.active,
            )
            for t in technicians
        ],
        count=len(technicians),
    )
