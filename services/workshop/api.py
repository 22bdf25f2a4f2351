"""Workshop's HTTP routes: thin, they translate and call a use case."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from services.workshop import service
from services.workshop.models import (
    JobCompletion,
    JobPublic,
    JobsPublic,
    JobStatus,
    TechniciansPublic,
)
from shared.app import RuntimeDep
from shared.auth import CurrentUser, Principal, Role, require_role

router = APIRouter(prefix="/jobs", tags=["jobs"])
technicians_router = APIRouter(prefix="/technicians", tags=["technicians"])

workshop_staff = require_role(Role.TECHNICIAN, Role.FOREMAN, Role.INSPECTOR, Role.SERVICE_MANAGER)


@router.get("", response_model=JobsPublic)
async def list_jobs(
    runtime: RuntimeDep,
    user: CurrentUser,
    order_id: uuid.UUID | None = None,
    status: JobStatus | None = None,
    offset: int = 0,
    limit: int = 50,
) -> JobsPublic:
    async with runtime.db.read() as session:
        return await service.list_jobs(
            session, user, order_id=order_id, status=status, offset=offset, limit=min(limit, 200)
        )


@router.get("/{job_id}", response_model=JobPublic)
async def get_job(runtime: RuntimeDep, job_id: uuid.UUID, user: CurrentUser) -> JobPublic:
    async with runtime.db.read() as session:
        return await service.get_job(session, user, job_id)


@router.post("/{job_id}/completion", response_model=JobPublic)
async def complete_job(
    runtime: RuntimeDep,
    job_id: uuid.UUID,
    data: JobCompletion,
    user: Principal = Depends(workshop_staff),
) -> JobPublic:
    """Finish a job; announces ``job.completed``, and ``vehicle.completed`` after the last."""
    async with runtime.unit_of_work() as uow:
        await service.complete_job(uow, user, job_id, data)
    async with runtime.db.read() as session:
        return await service.get_job(session, user, job_id)


@technicians_router.get("", response_model=TechniciansPublic)
async def list_technicians(
    runtime: RuntimeDep, user: CurrentUser, active: bool | None = None
) -> TechniciansPublic:
    async with runtime.db.read() as session:
        return await service.list_technicians(session, user, active=active)
