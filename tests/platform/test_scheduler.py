"""Scheduled tasks: persisted, run once when due (by one replica), retried, drivable clock."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from shared import clock
from shared.db import Database, create_engine, migrate
from shared.pytest_plugin import temporary_postgres_database
from shared.scheduler import TaskScheduler, cancel, schedule
from shared.tables import OutboxMessage, PlatformTable, ScheduledTask, TaskState
from tests.platform import probe_service
from tests.platform.probe_service import Note, ProbeTable, definition


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request, tmp_path: Path):
    async with contextlib.AsyncExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path / 'tasks.db'}"
        else:
            url = await stack.enter_async_context(temporary_postgres_database())
        db = Database(create_engine(url))
        await migrate(db, [definition.migrations], [PlatformTable.metadata, ProbeTable.metadata])
        yield db
        await db.dispose()


@pytest.fixture
def manual_clock():
    probe_service.RUNS.clear()
    with clock.driven(clock.ManualClock()) as driven:
        yield driven


def a_scheduler(db: Database) -> TaskScheduler:
    runner = TaskScheduler("probe", max_attempts=2)
    runner._handlers = dict(probe_service.scheduler._handlers)
    runner.bind(db)
    return runner


async def plan(db: Database, key: str, due_in: timedelta, kind: str = "probe.note") -> None:
    async with db.transaction() as session:
        await schedule(
            session,
            kind=kind,
            key=key,
            due_at=clock.now() + due_in,
            station_id="bj01",
            payload={"order_id": str(uuid.uuid4()), "complaint": key},
        )


async def notes(db: Database) -> list[Note]:
    async with db.read() as session:
        return list((await session.exec(select(Note))).all())


async def test_a_task_runs_when_due_not_before(database, manual_clock) -> None:
    await plan(database, "call-72h", timedelta(hours=24))
    runner = a_scheduler(database)
    assert await runner.run_due() == 0
    manual_clock.advance(timedelta(hours=23, minutes=59))
    assert await runner.run_due() == 0
    manual_clock.advance(timedelta(minutes=1))
    assert await runner.run_due() == 1
    assert [n.complaint for n in await notes(database)] == ["call-72h"]
    async with database.read() as session:
        staged = (await session.exec(select(OutboxMessage))).all()
    assert [m.event_type for m in staged] == ["job.completed"]  # its events in the same commit
    assert await runner.run_due() == 0  # done once


async def test_scheduling_the_same_thing_twice_plans_it_once(database, manual_clock) -> None:
    await plan(database, "reminder:VIN1:2026-12", timedelta(0))
    await plan(database, "reminder:VIN1:2026-12", timedelta(hours=5))
    assert await a_scheduler(database).run_due() == 1
    assert probe_service.RUNS == ["reminder:VIN1:2026-12"]


async def test_a_cancelled_task_does_not_run(database, manual_clock) -> None:
    await plan(database, "call-if-not-booked", timedelta(days=1))
    async with database.transaction() as session:
        assert await cancel(session, "call-if-not-booked")
    manual_clock.advance(timedelta(days=2))
    assert await a_scheduler(database).run_due() == 0


async def test_a_failing_task_is_retried_with_backoff_then_marked_failed(
    database, manual_clock
) -> None:
    await plan(database, "broken", timedelta(0), kind="probe.fail")
    runner = a_scheduler(database)
    assert await runner.run_due() == 1
    async with database.read() as session:
        task = (await session.exec(select(ScheduledTask))).one()
    assert (task.state, task.attempts) == (TaskState.PENDING, 1)
    assert "phone system is down" in (task.last_error or "")
    assert await notes(database) == []  # the failed attempt left nothing behind
    assert await runner.run_due() == 0  # backing off
    manual_clock.advance(timedelta(minutes=5))
    assert await runner.run_due() == 1
    async with database.read() as session:
        task = (await session.exec(select(ScheduledTask))).one()
    assert (task.state, task.attempts) == (TaskState.FAILED, 2)


async def test_tasks_survive_a_restart(database, manual_clock) -> None:
    await plan(database, "persisted", timedelta(hours=1))
    # the process that planned it is gone; a new one, with a new scheduler, runs it
    manual_clock.advance(timedelta(hours=2))
    assert await a_scheduler(database).run_due() == 1


async def test_two_replicas_never_run_the_same_task(database, manual_clock) -> None:
    for i in range(40):
        await plan(database, f"task-{i}", timedelta(0))
    replica_db = Database(create_engine(database.url))
    runners = [a_scheduler(database), a_scheduler(replica_db)]
    counts = await asyncio.gather(*(runner.run_due() for runner in runners))
    await replica_db.dispose()
    assert sum(counts) == 40
    assert sorted(probe_service.RUNS) == sorted(f"task-{i}" for i in range(40))
    assert len(await notes(database)) == 40
