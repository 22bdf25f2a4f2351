"""Warranty service assembly: the warranty administrator's desk (索赔专员)."""

from __future__ import annotations

from pathlib import Path

from services.warranty import manufacturer
from services.warranty.api import routers
from services.warranty.handlers import consumer, scheduler
from services.warranty.models import WarrantyTable
from services.warranty.seed import seed
from shared.app import Runtime, ServiceDefinition, create_app
from shared.contracts import events


async def install_manufacturer(_runtime: Runtime) -> None:
    """The demo talks to the in-process manufacturer simulator (WARRANTY_SIMULATOR=...)."""
    manufacturer.install(manufacturer.simulator_from_env())


definition = ServiceDefinition(
    name="warranty",
    port=8004,
    title="Warranty — policies, coverage checks, claims to the manufacturer, returned parts",
    metadata=WarrantyTable.metadata,
    migrations=Path(__file__).parent / "migrations" / "versions",
    routers=routers,
    consumer=consumer,
    scheduler=scheduler,
    publishes=[
        events.CoverageChecked,
        events.ClaimSubmitted,
        events.ClaimInfoRequested,
        events.ClaimApproved,
        events.ClaimRejected,
        events.ClaimPaid,
        events.ClaimChargedBack,
        events.SanbaoThresholdApproached,
    ],
    on_startup=[install_manufacturer],
    seed=seed,
)


def app():  # type: ignore[no-untyped-def]
    """ASGI factory: ``uvicorn --factory services.warranty.app:app``."""
    return create_app(definition)
