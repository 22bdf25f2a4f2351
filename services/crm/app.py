"""CRM service assembly: the follow-up agents' desk and the customer files."""

from __future__ import annotations

from pathlib import Path

from services.crm.api import routers
from services.crm.handlers import consumer
from services.crm.models import CrmTable
from services.crm.seed import seed_demo
from services.crm.tasks import plan_contact_months, scheduler
from shared.app import ServiceDefinition, create_app
from shared.contracts import events

definition = ServiceDefinition(
    name="crm",
    port=8005,
    title="CRM — customer files, follow-up calls, reminders, complaints, CSI, campaigns",
    metadata=CrmTable.metadata,
    migrations=Path(__file__).parent / "migrations" / "versions",
    routers=routers,
    consumer=consumer,
    publishes=[
        events.FollowUpDue,
        events.FollowUpEscalated,
        events.ReminderDue,
        events.ComplaintOpened,
        events.ComplaintEscalated,
        events.CampaignLaunched,
    ],
    seed=seed_demo,
    scheduler=scheduler,
    on_startup=[plan_contact_months],
)


def app():  # type: ignore[no-untyped-def]
    """ASGI factory: ``uvicorn --factory services.crm.app:app``."""
    return create_app(definition)
