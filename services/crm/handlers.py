"""CRM's event handlers: thin; the inbox, retries and DLQ are the platform's."""

from __future__ import annotations

from services.crm import service
from shared.contracts import events
from shared.messaging import EventConsumer
from shared.outbox import UnitOfWork

consumer = EventConsumer("crm")


@consumer.handles(events.OrderCreated)
async def on_order_created(uow: UnitOfWork, event: events.OrderCreated) -> None:
    await service.order_created(uow, event)


@consumer.handles(events.VehicleDelivered)
async def on_vehicle_delivered(uow: UnitOfWork, event: events.VehicleDelivered) -> None:
    await service.vehicle_delivered(uow, event)


@consumer.handles(events.AppointmentBooked)
async def on_appointment_booked(uow: UnitOfWork, event: events.AppointmentBooked) -> None:
    await service.appointment_booked(uow, event)


@consumer.handles(events.AppointmentCancelled)
async def on_appointment_cancelled(uow: UnitOfWork, event: events.AppointmentCancelled) -> None:
    await service.appointment_cancelled(uow, event)


@consumer.handles(events.WorkAdditionalFound)
async def on_work_found(uow: UnitOfWork, event: events.WorkAdditionalFound) -> None:
    await service.work_found(uow, event)


@consumer.handles(events.WorkAdditionalDeclined)
async def on_work_declined(uow: UnitOfWork, event: events.WorkAdditionalDeclined) -> None:
    await service.work_declined(uow, event)


@consumer.handles(events.AppointmentReminderDue)
async def on_appointment_reminder_due(
    uow: UnitOfWork, event: events.AppointmentReminderDue
) -> None:
    await service.appointment_reminder_due(uow, event)
