"""Test helpers that drive a job through the workshop as its people do, over HTTP."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import httpx
from sqlmodel import col, select

from services.workshop.models import Job, JobPart
from shared.auth import Role, issue_token
from shared.contracts import events
from shared.demo import USERS
from shared.settings import ServiceSettings
from shared.tables import OutboxMessage
from shared.testing import ServiceHarness, auth_headers


def headers(user: str) -> dict[str, str]:
    """A demo user's headers; a seeded technician without a demo sign-in gets a token too."""
    if user in USERS:
        return auth_headers(user)
    station = user.split(".")[1]
    token = issue_token(
        ServiceSettings().auth_secret,
        user_id=user,
        name=user,
        role=Role.TECHNICIAN,
        stations=[station],
    )
    return {"Authorization": f"Bearer {token}"}


async def jobs_of(workshop: ServiceHarness, order_id: uuid.UUID) -> list[Job]:
    async with workshop.runtime.db.read() as session:
        query = select(Job).where(Job.order_id == order_id).order_by(col(Job.operation_code))
        return list((await session.exec(query)).all())


async def parts_of(workshop: ServiceHarness, job_id: uuid.UUID) -> list[JobPart]:
    async with workshop.runtime.db.read() as session:
        query = select(JobPart).where(JobPart.job_id == job_id).order_by(col(JobPart.part_no))
        return list((await session.exec(query)).all())


async def outbox(workshop: ServiceHarness, event_type: str) -> list[dict]:
    """The envelopes of this type the workshop staged, oldest first."""
    async with workshop.runtime.db.read() as session:
        rows = (
            await session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.event_type == event_type)
                .order_by(col(OutboxMessage.id))
            )
        ).all()
    return [json.loads(row.value) for row in rows]


async def reserve_all(workshop: ServiceHarness, order_id: uuid.UUID) -> None:
    """The parts counter reserves every part the order's jobs asked for."""
    for job in await jobs_of(workshop, order_id):
        for part in await parts_of(workshop, job.id):
            await workshop.publish(
                events.ItemReserved(
                    reservation_id=uuid.uuid4(),
                    request_id=part.request_id,
                    order_id=order_id,
                    job_id=part.job_id,
                    part_no=part.part_no,
                    quantity=part.quantity,
                )
            )


async def dispatch(
    workshop: ServiceHarness,
    job_id: uuid.UUID,
    technician: str = "tech.bj01",
    user: str = "foreman.bj01",
    **body: Any,
) -> httpx.Response:
    payload = {"technician_id": technician, "received_by": technician, **body}
    return await workshop.client.post(
        f"/jobs/{job_id}/dispatch", json=payload, headers=headers(user)
    )


async def clock_on(
    workshop: ServiceHarness, job_id: uuid.UUID, user: str = "tech.bj01"
) -> httpx.Response:
    return await workshop.client.post(f"/jobs/{job_id}/clock-on", headers=headers(user))


async def clock_off(
    workshop: ServiceHarness, job_id: uuid.UUID, reason: str = "lunch", user: str = "tech.bj01"
) -> httpx.Response:
    return await workshop.client.post(
        f"/jobs/{job_id}/clock-off", json={"reason": reason}, headers=headers(user)
    )


async def complete(
    workshop: ServiceHarness, job_id: uuid.UUID, hours: str = "0", user: str = "tech.bj01"
) -> httpx.Response:
    return await workshop.client.post(
        f"/jobs/{job_id}/completion", json={"clocked_hours": hours}, headers=headers(user)
    )


async def inspect(
    workshop: ServiceHarness,
    order_id: uuid.UUID,
    failed: list[tuple[uuid.UUID, str]] = (),  # type: ignore[assignment]
    user: str = "inspector.bj01",
    road_test: bool = True,
) -> httpx.Response:
    body = {
        "checklist": [
            {"item": "brake pedal travel", "ok": not failed},
            {"item": "wash", "ok": True},
        ],
        "road_test": road_test,
        "road_test_note": "5 km, braking straight",
        "failed_jobs": [{"job_id": str(job), "reason": reason} for job, reason in failed],
    }
    return await workshop.client.post(
        f"/orders/{order_id}/inspections", json=body, headers=headers(user)
    )


async def finish_dispatched(
    workshop: ServiceHarness, job_id: uuid.UUID, technician: str = "tech.bj01"
) -> None:
    """Dispatch, clock on and complete a ready job: the technician's day for it."""
    assert (await dispatch(workshop, job_id, technician)).status_code == 200
    assert (await clock_on(workshop, job_id, technician)).status_code == 200
    response = await complete(workshop, job_id, "0", user=technician)
    assert response.status_code == 200, response.text


def hours(value: Any) -> Decimal:
    return Decimal(str(value))
