"""Reception service assembly: the advisor's and cashier's desk."""

from __future__ import annotations

from pathlib import Path

from services.reception.api import router
from services.reception.handlers import consumer
from services.reception.models import ReceptionTable
from shared.app import ServiceDefinition, create_app
from shared.contracts import events

definition = ServiceDefinition(
    name="reception",
    port=8001,
    title="Reception — appointments, check-in, repair orders, delivery",
    metadata=ReceptionTable.metadata,
    migrations=Path(__file__).parent / "migrations" / "versions",
    routers=[router],
    consumer=consumer,
    publishes=[events.OrderCreated, events.VehicleDelivered],
)


def app():  # type: ignore[no-untyped-def]
    """ASGI factory: ``uvicorn --factory services.reception.app:app``."""
    return create_app(definition)
