"""Parts service assembly: the parts counter and the store room."""

from __future__ import annotations

from pathlib import Path

from services.parts.api import routers
from services.parts.handlers import consumer
from services.parts.models import PartsTable
from services.parts.seed import seed_demo
from shared.app import ServiceDefinition, create_app
from shared.contracts import events

definition = ServiceDefinition(
    name="parts",
    port=8003,
    title="Parts — catalogue, stock per station, reservations, purchase orders, transfers",
    metadata=PartsTable.metadata,
    migrations=Path(__file__).parent / "migrations" / "versions",
    routers=routers,
    consumer=consumer,
    publishes=[
        events.ItemReserved,
        events.ItemBackordered,
        events.ItemIssued,
        events.ItemReturned,
        events.ItemReleased,
        events.StockLow,
        events.StockLevelChanged,
    ],
    seed=seed_demo,
)


def app():  # type: ignore[no-untyped-def]
    """ASGI factory: ``uvicorn --factory services.parts.app:app``."""
    return create_app(definition)
