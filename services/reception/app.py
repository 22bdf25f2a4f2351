"""Reception service assembly: the advisor's and cashier's desk."""

from __future__ import annotations

from pathlib import Path

from services.reception.api import routers
from services.reception.handlers import consumer
from services.reception.models import DayCapacity, ReceptionTable, SanbaoWarning, StockLevel
from services.reception.seed import seed_demo
from services.reception.tasks import scheduler
from shared.app import ServiceDefinition, create_app
from shared.contracts import events, topics

definition = ServiceDefinition(
    name="reception",
    port=8001,
    title="Reception — appointments, check-in, estimates, repair orders, settlement, delivery",
    metadata=ReceptionTable.metadata,
    migrations=Path(__file__).parent / "migrations" / "versions",
    routers=routers,
    consumer=consumer,
    # the workshop's published capacity, the parts service's stock levels and warranty's 三包
    # warnings are pure projections: `aftersales rebuild reception` (campaign notices are
    # not: orders close them)
    read_models=[DayCapacity, StockLevel, SanbaoWarning],
    read_model_topics=[
        topics.CAPACITY_PUBLISHED,
        topics.STOCK_LEVEL_CHANGED,
        topics.SANBAO_THRESHOLD_APPROACHED,
    ],
    publishes=[
        events.AppointmentBooked,
        events.AppointmentMoved,
        events.AppointmentCancelled,
        events.AppointmentReminderDue,
        events.OrderCreated,
        events.OrderCancelled,
        events.WorkAdditionalApproved,
        events.WorkAdditionalDeclined,
        events.VehicleDelivered,
    ],
    scheduler=scheduler,
    seed=seed_demo,
)


def app():  # type: ignore[no-untyped-def]
    """ASGI factory: ``uvicorn --factory services.reception.app:app``."""
    return create_app(definition)
