"""Workshop service assembly: the foreman's board and the technicians' jobs."""

from __future__ import annotations

from pathlib import Path

from services.workshop.api import (
    board_router,
    bulletins_router,
    orders_router,
    overruns_router,
    progress_router,
    resources_router,
    roadside_router,
    router,
    tac_router,
    teams_router,
    technicians_router,
)
from services.workshop.handlers import consumer
from services.workshop.models import WorkshopTable
from services.workshop.seed import seed_demo
from services.workshop.tasks import scheduler
from shared.app import ServiceDefinition, create_app
from shared.contracts import events

definition = ServiceDefinition(
    name="workshop",
    port=8002,
    title=(
        "Workshop — dispatch board, clocking, findings, final inspection, comebacks, KPIs, "
        "roadside assistance, requests for more time, evening progress reports, bulletins, TAC"
    ),
    metadata=WorkshopTable.metadata,
    migrations=Path(__file__).parent / "migrations" / "versions",
    routers=[
        router,
        orders_router,
        board_router,
        technicians_router,
        teams_router,
        resources_router,
        roadside_router,
        overruns_router,
        progress_router,
        bulletins_router,
        tac_router,
    ],
    consumer=consumer,
    scheduler=scheduler,
    publishes=[
        events.ItemRequested,
        events.CapacityPublished,
        events.JobDispatched,
        events.JobCompleted,
        events.WorkAdditionalFound,
        events.InspectionPassed,
        events.InspectionFailed,
        events.VehicleCompleted,
    ],
    seed=seed_demo,
)


def app():  # type: ignore[no-untyped-def]
    """ASGI factory: ``uvicorn --factory services.workshop.app:app``."""
    return create_app(definition)
