"""Warranty service assembly: the warranty administrator's desk (索赔专员)."""

from __future__ import annotations

from pathlib import Path

from services.warranty.api import router
from services.warranty.handlers import consumer
from services.warranty.models import WarrantyTable
from shared.app import ServiceDefinition, create_app
from shared.contracts import events

definition = ServiceDefinition(
    name="warranty",
    port=8004,
    title="Warranty — coverage of warranty lines, warranty claims",
    metadata=WarrantyTable.metadata,
    migrations=Path(__file__).parent / "migrations" / "versions",
    routers=[router],
    consumer=consumer,
    publishes=[events.CoverageChecked],
)


def app():  # type: ignore[no-untyped-def]
    """ASGI factory: ``uvicorn --factory services.warranty.app:app``."""
    return create_app(definition)
