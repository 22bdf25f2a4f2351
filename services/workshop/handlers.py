"""Workshop's event handlers: thin; the inbox, retries and DLQ are the platform's."""

from __future__ import annotations

from services.workshop import service
from shared.contracts import events
from shared.messaging import EventConsumer
from shared.outbox import UnitOfWork

consumer = EventConsumer("workshop")


@consumer.handles(events.OrderCreated)
async def on_order_created(uow: UnitOfWork, event: events.OrderCreated) -> None:
    await service.order_created(uow, event)


@consumer.handles(events.OrderCancelled)
async def on_order_cancelled(uow: UnitOfWork, event: events.OrderCancelled) -> None:
    await service.order_cancelled(uow, event)


@consumer.handles(events.ItemReserved)
async def on_item_reserved(uow: UnitOfWork, event: events.ItemReserved) -> None:
    await service.item_reserved(uow, event)


@consumer.handles(events.ItemBackordered)
async def on_item_backordered(uow: UnitOfWork, event: events.ItemBackordered) -> None:
    await service.item_backordered(uow, event)


@consumer.handles(events.ItemIssued)
async def on_item_issued(uow: UnitOfWork, event: events.ItemIssued) -> None:
    await service.item_issued(uow, event)


@consumer.handles(events.ItemReturned)
async def on_item_returned(uow: UnitOfWork, event: events.ItemReturned) -> None:
    await service.item_returned(uow, event)


@consumer.handles(events.WorkAdditionalApproved)
async def on_work_approved(uow: UnitOfWork, event: events.WorkAdditionalApproved) -> None:
    await service.work_approved(uow, event)


@consumer.handles(events.WorkAdditionalDeclined)
async def on_work_declined(uow: UnitOfWork, event: events.WorkAdditionalDeclined) -> None:
    await service.work_declined(uow, event)
