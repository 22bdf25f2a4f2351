"""Reception's event handlers: thin; the inbox, retries and DLQ are the platform's."""

from __future__ import annotations

from services.reception import service
from shared.contracts import events
from shared.messaging import EventConsumer
from shared.outbox import UnitOfWork

consumer = EventConsumer("reception")


@consumer.handles(events.VehicleCompleted)
async def on_vehicle_completed(uow: UnitOfWork, event: events.VehicleCompleted) -> None:
    await service.vehicle_completed(uow, event)
