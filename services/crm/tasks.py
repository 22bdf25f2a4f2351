"""CRM's scheduled tasks: thin; the platform persists them and runs each once, when due."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError

from services.crm import service
from services.crm.settings import check_followup_policies
from shared.app import Runtime
from shared.outbox import UnitOfWork
from shared.scheduler import TaskScheduler, task_payload
from shared.tables import ScheduledTask

scheduler = TaskScheduler("crm")


def _id(task: ScheduledTask, name: str) -> uuid.UUID:
    return uuid.UUID(task_payload(task)[name])


@scheduler.handles(service.TASK_FOLLOWUP_OPEN)
async def open_followup(uow: UnitOfWork, task: ScheduledTask) -> None:
    await service.open_followup(uow, _id(task, "followup_id"))


@scheduler.handles(service.TASK_FOLLOWUP_EXPIRE)
async def expire_followup(uow: UnitOfWork, task: ScheduledTask) -> None:
    await service.expire_followup(uow, _id(task, "followup_id"))


@scheduler.handles(service.TASK_REMINDER_SEND)
async def send_service_reminder(uow: UnitOfWork, task: ScheduledTask) -> None:
    await service.send_service_reminder(uow, _id(task, "reminder_id"))


@scheduler.handles(service.TASK_APPOINTMENT_REMINDER_SEND)
async def send_appointment_reminder(uow: UnitOfWork, task: ScheduledTask) -> None:
    await service.send_appointment_reminder(uow, _id(task, "reminder_id"))


@scheduler.handles(service.TASK_REMINDER_CALL)
async def call_if_not_booked(uow: UnitOfWork, task: ScheduledTask) -> None:
    await service.call_if_not_booked(uow, _id(task, "reminder_id"))


@scheduler.handles(service.TASK_DECLINED_REMIND)
async def remind_declined_work(uow: UnitOfWork, task: ScheduledTask) -> None:
    await service.remind_declined_work(uow, _id(task, "finding_id"))


@scheduler.handles(service.TASK_COMPLAINT_OVERDUE)
async def complaint_overdue(uow: UnitOfWork, task: ScheduledTask) -> None:
    await service.complaint_overdue(uow, _id(task, "complaint_id"))


@scheduler.handles(service.TASK_CAMPAIGN_REMIND)
async def remind_campaign(uow: UnitOfWork, task: ScheduledTask) -> None:
    await service.remind_campaign(uow, _id(task, "campaign_id"), str(task_payload(task)["vin"]))


@scheduler.handles(service.TASK_CONTACT_MONTH)
async def close_contact_month(uow: UnitOfWork, task: ScheduledTask) -> None:
    await service.close_contact_month(uow, str(task_payload(task)["month"]))


async def plan_contact_months(runtime: Runtime) -> None:
    """On start: check the follow-up policies, and make sure this month's contact plan will
    be closed (replicas race safely)."""
    check_followup_policies()
    try:
        async with runtime.db.transaction() as session:
            await service.plan_contact_month(session)
    except IntegrityError:
        pass  # another replica planned it in the same instant
