"""Persisted scheduled tasks: what a service must do later, done once, even with replicas.

``schedule()`` writes the task in the business transaction (so a follow-up is planned exactly
when the delivery is recorded); ``TaskScheduler`` runs due tasks: it claims one at a time with
``FOR UPDATE SKIP LOCKED`` (replicas never run the same task), runs its handler in the same
transaction as marking it done (nothing half-done), and on failure retries with backoff, then
marks it failed for an operator. Time comes from ``shared.clock``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db import Database, utcnow
from shared.outbox import UnitOfWork
from shared.tables import ScheduledTask, TaskState

log = logging.getLogger("aftersales.scheduler")

TaskHandler = Callable[[UnitOfWork, ScheduledTask], Awaitable[None]]


async def schedule(
    session: AsyncSession,
    *,
    kind: str,
    key: str,
    due_at: datetime,
    payload: dict[str, Any] | None = None,
    station_id: str | None = None,
) -> ScheduledTask:
    """Plan ``kind`` for ``due_at``; a task with the same ``key`` already planned wins."""
    existing = (await session.exec(select(ScheduledTask).where(ScheduledTask.key == key))).first()
    if existing is not None:
        return existing
    task = ScheduledTask(
        kind=kind,
        key=key,
        station_id=station_id,
        payload=json.dumps(payload or {}, default=str),
        due_at=due_at,
        created_at=utcnow(),
    )
    session.add(task)
    return task


async def cancel(session: AsyncSession, key: str) -> bool:
    """Cancel a pending task (e.g. the customer booked, so no 'due, not booked' call)."""
    task = (await session.exec(select(ScheduledTask).where(ScheduledTask.key == key))).first()
    if task is None or task.state != TaskState.PENDING:
        return False
    task.state = TaskState.CANCELLED
    session.add(task)
    return True


def task_payload(task: ScheduledTask) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(task.payload)
    return data


class TaskScheduler:
    """The scheduled-task handlers of one service."""

    def __init__(
        self,
        service_name: str,
        *,
        max_attempts: int = 5,
        backoff: timedelta = timedelta(seconds=30),
    ) -> None:
        self.service_name = service_name
        self.max_attempts = max_attempts
        self.backoff = backoff
        self._handlers: dict[str, TaskHandler] = {}
        self._db: Database | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.ran = 0

    def handles(self, kind: str) -> Callable[[TaskHandler], TaskHandler]:
        def register(fn: TaskHandler) -> TaskHandler:
            self._handlers[kind] = fn
            return fn

        return register

    def bind(self, db: Database) -> None:
        self._db = db
        self.ran = 0

    @property
    def db(self) -> Database:
        if self._db is None:
            raise RuntimeError("TaskScheduler.bind(db) was not called")
        return self._db

    async def run_due(self, limit: int = 100) -> int:
        """Run the tasks due now (at most ``limit``); returns how many were run."""
        ran = 0
        while ran < limit and await self._run_one():
            ran += 1
        self.ran += ran
        return ran

    async def _run_one(self) -> bool:
        now = utcnow()
        async with self.db.transaction() as session:
            task = (
                await session.exec(
                    select(ScheduledTask)
                    .where(
                        ScheduledTask.state == TaskState.PENDING,
                        col(ScheduledTask.due_at) <= now,
                    )
                    .order_by(col(ScheduledTask.due_at))
                    .limit(1)
                    .with_for_update(skip_locked=True)
                )
            ).first()
            if task is None:
                return False
            handler = self._handlers.get(task.kind)
            try:
                if handler is None:
                    raise LookupError(f"{self.service_name} has no handler for task {task.kind}")
                async with session.begin_nested():
                    await handler(UnitOfWork(session, self.service_name), task)
                    await session.flush()
                task.state = TaskState.DONE
                task.done_at = now
            except Exception as exc:
                task.attempts += 1
                task.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if task.attempts >= self.max_attempts or handler is None:
                    task.state = TaskState.FAILED
                    log.error("task %s %s failed for good: %s", task.kind, task.key, exc)
                else:
                    task.due_at = now + self.backoff * 2 ** (task.attempts - 1)
                    log.warning(
                        "task %s %s failed, retry at %s: %r", task.kind, task.key, task.due_at, exc
                    )
            session.add(task)
            return True

    async def pending(self) -> int:
        async with self.db.read() as session:
            result = await session.exec(
                select(func.count())
                .select_from(ScheduledTask)
                .where(ScheduledTask.state == TaskState.PENDING)
            )
            return int(result.one())

    async def _loop(self, poll_seconds: float) -> None:
        while not self._stopping:
            try:
                ran = await self.run_due()
            except Exception:
                log.exception("scheduler pass failed; retrying")
                ran = 0
            if ran == 0:
                await asyncio.sleep(poll_seconds)

    def start(self, poll_seconds: float = 1.0) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._loop(poll_seconds), name="scheduler")

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except TimeoutError:
                self._task.cancel()
            self._task = None
