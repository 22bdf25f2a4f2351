"""Warranty's event and scheduled-task handlers: thin; inbox, retries, DLQ and task claiming
are the platform's."""

from __future__ import annotations

import uuid

from services.warranty import service
from shared.contracts import events
from shared.messaging import EventConsumer
from shared.outbox import UnitOfWork
from shared.scheduler import TaskScheduler, task_payload
from shared.tables import ScheduledTask

consumer = EventConsumer("warranty")
scheduler = TaskScheduler("warranty")


@consumer.handles(events.OrderCreated)
async def on_order_created(uow: UnitOfWork, event: events.OrderCreated) -> None:
    await service.record_order(uow, event)


@consumer.handles(events.OrderCancelled)
async def on_order_cancelled(uow: UnitOfWork, event: events.OrderCancelled) -> None:
    await service.cancel_order(uow, event)


@consumer.handles(events.VehicleCompleted)
async def on_vehicle_completed(uow: UnitOfWork, event: events.VehicleCompleted) -> None:
    await service.maintenance_completed(uow.session, event.order_id, event.completed_at)
    await service.draft_claim(uow, event)


@consumer.handles(events.VehicleDelivered)
async def on_vehicle_delivered(uow: UnitOfWork, event: events.VehicleDelivered) -> None:
    await service.maintenance_completed(
        uow.session, event.order_id, event.delivered_at, event.vehicle.mileage_km
    )


@consumer.handles(events.ItemBackordered)
async def on_item_backordered(uow: UnitOfWork, event: events.ItemBackordered) -> None:
    await service.record_backorder(uow, event)


@scheduler.handles(service.SEND_CLAIM)
async def send_claim(uow: UnitOfWork, task: ScheduledTask) -> None:
    await service.send_submission(uow, uuid.UUID(task_payload(task)["submission_id"]))


@scheduler.handles(service.APPLY_ANSWER)
async def apply_answer(uow: UnitOfWork, task: ScheduledTask) -> None:
    await service.apply_answer(uow, uuid.UUID(task_payload(task)["answer_id"]))


@scheduler.handles(service.COURTESY_CAR_CHECK)
async def courtesy_car_check(uow: UnitOfWork, task: ScheduledTask) -> None:
    await service.check_courtesy_car(uow, uuid.UUID(task_payload(task)["order_id"]))
