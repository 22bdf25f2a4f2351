"""The workshop on PostgreSQL: the whole job lifecycle, and the races its locks settle."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.workshop.app import definition
from services.workshop.models import JobStatus
from services.workshop.tests.builders import labour_line, order_created, part_line
from services.workshop.tests.flow import (
    clock_on,
    complete,
    dispatch,
    finish_dispatched,
    inspect,
    jobs_of,
    outbox,
    reserve_all,
)
from shared.testing import ServiceHarness, run_service


@pytest.fixture
async def workshop_pg(tmp_path: Path, postgres_url: str) -> AsyncIterator[ServiceHarness]:
    async with run_service(
        definition, tmp_path, database_url=postgres_url, seed_demo_data=True
    ) as harness:
        yield harness


async def test_order_goes_from_created_to_vehicle_completed_on_postgres(workshop_pg) -> None:
    brakes = labour_line("BRK-010", "1.2")
    event = order_created(brakes, part_line(labour=brakes))
    await workshop_pg.publish(event)
    await reserve_all(workshop_pg, event.order_id)
    [job] = await jobs_of(workshop_pg, event.order_id)
    assert job.status == JobStatus.READY
    await finish_dispatched(workshop_pg, job.id)
    assert (await inspect(workshop_pg, event.order_id)).status_code == 201
    [vehicle] = await outbox(workshop_pg, "vehicle.completed")
    assert vehicle["payload"]["labour_done"][0]["job_id"] == str(job.id)


async def test_one_technician_clocking_onto_two_jobs_at_once_gets_one(workshop_pg) -> None:
    event = order_created(
        labour_line("DIAG-01", "0.5", major_system=None),
        labour_line("DIAG-02", "0.5", major_system=None),
    )
    await workshop_pg.publish(event)
    first, second = await jobs_of(workshop_pg, event.order_id)
    await dispatch(workshop_pg, first.id)
    await dispatch(workshop_pg, second.id)
    answers = await asyncio.gather(
        clock_on(workshop_pg, first.id), clock_on(workshop_pg, second.id)
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    running = [j for j in await jobs_of(workshop_pg, event.order_id) if j.status == "in_progress"]
    assert len(running) == 1


async def test_two_foremen_dispatching_the_same_version_one_wins(workshop_pg) -> None:
    event = order_created(labour_line("DIAG-01", "0.5", major_system=None))
    await workshop_pg.publish(event)
    [job] = await jobs_of(workshop_pg, event.order_id)
    answers = await asyncio.gather(
        dispatch(workshop_pg, job.id, "tech.bj01", version=job.version),
        dispatch(workshop_pg, job.id, "tech.bj01.2", version=job.version),
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    assert len(await outbox(workshop_pg, "job.dispatched")) == 1


async def test_last_two_jobs_finished_at_once_complete_the_vehicle_once(workshop_pg) -> None:
    event = order_created(
        labour_line("DIAG-01", "0.5", major_system=None),
        labour_line("WIP-001", "0.2", major_system=None),
    )
    await workshop_pg.publish(event)
    first, second = await jobs_of(workshop_pg, event.order_id)
    await dispatch(workshop_pg, first.id, "tech.bj01")
    await dispatch(workshop_pg, second.id, "tech.bj01.2")
    answers = await asyncio.gather(
        complete(workshop_pg, first.id, "0.5"),
        complete(workshop_pg, second.id, "0.2", user="tech.bj01.2"),
    )
    assert [a.status_code for a in answers] == [200, 200]
    assert len(await outbox(workshop_pg, "vehicle.completed")) == 1


async def test_a_technician_put_into_two_teams_at_once_ends_up_in_one(workshop_pg) -> None:
    """Two foremen's screens form two teams with the same technician at the same moment: one
    of them gets the technician, the other a 409 (a technician is in one team at a time)."""
    from shared.testing import auth_headers

    added = await workshop_pg.client.post(
        "/technicians",
        json={"technician_id": "tech.bj01.5", "name": "王 技师", "skills": ["mechanical"]},
        headers=auth_headers("foreman.bj01"),
    )
    assert added.status_code == 201, added.text

    async def form(name: str):
        return await workshop_pg.client.post(
            "/teams",
            json={
                "name": name,
                "skills": ["mechanical"],
                "leader_id": "tech.bj01.5",
                "member_ids": ["tech.bj01.5"],
            },
            headers=auth_headers("foreman.bj01"),
        )

    answers = await asyncio.gather(form("快修一班"), form("快修二班"))
    assert sorted(a.status_code for a in answers) == [201, 409]
    teams = (await workshop_pg.client.get("/teams", headers=auth_headers("foreman.bj01"))).json()
    holding = [t["name"] for t in teams["data"] if "tech.bj01.5" in t["member_ids"]]
    assert len(holding) == 1
