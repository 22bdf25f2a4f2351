"""Workshop against a real Kafka-protocol broker (embedded Tansu unless configured)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from services.workshop.app import definition
from services.workshop.models import Job, JobStatus
from services.workshop.tests.builders import labour_line, order_created, part_line
from services.workshop.tests.flow import (
    clock_on,
    dispatch,
    finish_dispatched,
    inspect,
    jobs_of,
    reserve_all,
)
from shared.contracts import events
from shared.testing import auth_headers, eventually, read_topic, run_service

pytestmark = pytest.mark.realbroker


async def test_order_created_on_a_real_broker_requests_its_parts(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    event = order_created()
    async with run_service(definition, tmp_path, real_broker=kafka_bootstrap) as workshop:
        await workshop.publish(event, station_id="bj01")

        async def jobs() -> list[Job]:
            async with workshop.runtime.db.read() as session:
                return list(
                    (await session.exec(select(Job).where(Job.order_id == event.order_id))).all()
                )

        [job] = await eventually(jobs, timeout=30, what="workshop to consume order.created")
        assert job.status == JobStatus.WAITING_FOR_PARTS

        async def requested() -> list[dict]:
            # the topic may hold other tests' requests: read what is there, keep this order's
            records = await read_topic(kafka_bootstrap, "item.requested", count=10_000, timeout=3)
            bodies = [json.loads(r.value) for r in records]
            return [b for b in bodies if b["payload"]["order_id"] == str(event.order_id)]

        [request] = await eventually(
            requested, timeout=30, interval=0.5, what="item.requested on the topic"
        )
        assert request["payload"]["job_id"] == str(job.id)
        assert request["payload"]["part_no"] == "1K0698151A"
        assert request["station_id"] == "bj01"
        assert uuid.UUID(request["payload"]["request_id"])


async def test_order_reaches_vehicle_completed_through_dispatch_and_inspection_on_a_real_broker(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    event = order_created()  # brake pads: the brake job needs final inspection
    async with run_service(
        definition, tmp_path, real_broker=kafka_bootstrap, seed_demo_data=True
    ) as workshop:
        await workshop.publish(event, station_id="bj01")

        async def job_waiting() -> list[Job]:
            return [
                j for j in await jobs_of(workshop, event.order_id) if j.status != JobStatus.READY
            ]

        await eventually(job_waiting, timeout=30, what="workshop to consume order.created")
        await reserve_all(workshop, event.order_id)

        async def ready() -> list[Job]:
            return [j for j in await jobs_of(workshop, event.order_id) if j.status == "ready"]

        [job] = await eventually(ready, timeout=30, what="item.reserved to ready the job")
        await finish_dispatched(workshop, job.id)
        assert (await inspect(workshop, event.order_id)).status_code == 201

        async def completed() -> list[dict]:
            records = await read_topic(
                kafka_bootstrap, "vehicle.completed", count=10_000, timeout=3
            )
            bodies = [json.loads(r.value) for r in records]
            return [b for b in bodies if b["payload"]["order_id"] == str(event.order_id)]

        [vehicle] = await eventually(
            completed, timeout=30, interval=0.5, what="vehicle.completed on the topic"
        )
        assert vehicle["payload"]["labour_done"][0]["technician_id"] == "tech.bj01"
        assert vehicle["payload"]["inspection_id"] is not None


async def test_finding_waits_for_approval_and_becomes_a_job_on_a_real_broker(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    event = order_created(labour_line("DIAG-01", "0.5", major_system=None))
    async with run_service(
        definition, tmp_path, real_broker=kafka_bootstrap, seed_demo_data=True
    ) as workshop:
        await workshop.publish(event, station_id="bj01")
        [job] = await eventually(
            lambda: jobs_of(workshop, event.order_id), timeout=30, what="the job"
        )
        await dispatch(workshop, job.id)
        await clock_on(workshop, job.id)
        reported = await workshop.client.post(
            f"/jobs/{job.id}/findings",
            json={"description": "rear discs worn", "safety_relevant": True},
            headers=auth_headers("tech.bj01"),
        )
        finding_id = reported.json()["id"]

        async def found() -> list[dict]:
            records = await read_topic(
                kafka_bootstrap, "work.additional_found", count=10_000, timeout=3
            )
            bodies = [json.loads(r.value) for r in records]
            return [b for b in bodies if b["payload"]["finding_id"] == finding_id]

        await eventually(found, timeout=30, interval=0.5, what="work.additional_found")
        discs = labour_line("BRK-020", "1.5")
        await workshop.publish(
            events.WorkAdditionalApproved(
                finding_id=uuid.UUID(finding_id),
                order_id=event.order_id,
                lines=[discs, part_line("5Q0615601A", "2", labour=discs)],
                approved_at=datetime.now(UTC),
            )
        )

        async def two_jobs() -> list[Job]:
            jobs = await jobs_of(workshop, event.order_id)
            return jobs if len(jobs) == 2 else []

        new_job, original = await eventually(two_jobs, timeout=30, what="the approved job")
        assert new_job.operation_code == "BRK-020"
        assert original.status == JobStatus.PAUSED
