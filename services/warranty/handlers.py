"""Warranty's event handlers: thin; the inbox, retries and DLQ are the platform's."""

from __future__ import annotations

from services.warranty import service
from shared.contracts import events
from shared.messaging import EventConsumer
from shared.outbox import UnitOfWork

consumer = EventConsumer("warranty")


@consumer.handles(events.OrderCreated)
async def on_order_created(uow: UnitOfWork, event: events.OrderCreated) -> None:
    await service.record_order(uow, event)


@consumer.handles(events.VehicleCompleted)
async def on_vehicle_completed(uow: UnitOfWork, event: events.VehicleCompleted) -> None:
    await service.draft_claim(uow, event)
