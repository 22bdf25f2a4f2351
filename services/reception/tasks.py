"""Reception's scheduled tasks: thin; the platform persists them and runs each once, when due."""

from __future__ import annotations

import uuid

from services.reception import service
from shared.outbox import UnitOfWork
from shared.scheduler import TaskScheduler, task_payload
from shared.tables import ScheduledTask

scheduler = TaskScheduler("reception")


@scheduler.handles(service.TASK_APPOINTMENT_REMINDER)
async def remind_appointment(uow: UnitOfWork, task: ScheduledTask) -> None:
    await service.reminder_task(uow, uuid.UUID(task_payload(task)["appointment_id"]))
