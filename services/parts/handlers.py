"""Parts' event handlers: thin; the inbox, retries and DLQ are the platform's."""

from __future__ import annotations

from services.parts import service
from shared.contracts import events
from shared.messaging import EventConsumer
from shared.outbox import UnitOfWork

consumer = EventConsumer("parts")


@consumer.handles(events.ItemRequested)
async def on_item_requested(uow: UnitOfWork, event: events.ItemRequested) -> None:
    await service.reserve_item(uow, event)
