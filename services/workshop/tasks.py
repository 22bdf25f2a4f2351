"""Workshop's scheduled tasks: thin; the platform persists them and runs each once, when due."""

from __future__ import annotations

from datetime import date

from services.workshop import service
from shared.outbox import UnitOfWork
from shared.scheduler import TaskScheduler, task_payload
from shared.tables import ScheduledTask

scheduler = TaskScheduler("workshop")


@scheduler.handles(service.TASK_EVENING_REPORTS)
async def evening_progress_reports(uow: UnitOfWork, task: ScheduledTask) -> None:
    payload = task_payload(task)
    await service.evening_reports_due(
        uow, str(payload["station_id"]), date.fromisoformat(payload["day"])
    )
