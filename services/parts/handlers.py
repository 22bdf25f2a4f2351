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


@consumer.handles(events.OrderCancelled)
async def on_order_cancelled(uow: UnitOfWork, event: events.OrderCancelled) -> None:
    await service.release_order(uow, event)


@consumer.handles(events.WorkAdditionalDeclined)
async def on_work_declined(uow: UnitOfWork, event: events.WorkAdditionalDeclined) -> None:
    await service.release_declined_work(uow, event)
