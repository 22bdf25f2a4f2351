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


@consumer.handles(events.WorkAdditionalFound)
async def on_additional_found(uow: UnitOfWork, event: events.WorkAdditionalFound) -> None:
    await service.additional_found(uow, event)


@consumer.handles(events.CapacityPublished)
async def on_capacity_published(uow: UnitOfWork, event: events.CapacityPublished) -> None:
    await service.capacity_published(uow, event)


@consumer.handles(events.StockLevelChanged)
async def on_stock_level_changed(uow: UnitOfWork, event: events.StockLevelChanged) -> None:
    await service.stock_level_changed(uow, event)


@consumer.handles(events.CampaignLaunched)
async def on_campaign_launched(uow: UnitOfWork, event: events.CampaignLaunched) -> None:
    await service.campaign_launched(uow, event)


@consumer.handles(events.ReminderDue)
async def on_reminder_due(uow: UnitOfWork, event: events.ReminderDue) -> None:
    await service.reminder_due(uow, event)


@consumer.handles(events.SanbaoThresholdApproached)
async def on_sanbao_threshold_approached(
    uow: UnitOfWork, event: events.SanbaoThresholdApproached
) -> None:
    await service.sanbao_threshold_approached(uow, event)
