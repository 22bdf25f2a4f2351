"""A tiny service used to test the platform itself: it notes every order it is told of."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.app import ServiceDefinition
from shared.contracts import events
from shared.errors import DomainError
from shared.messaging import EventConsumer
from shared.outbox import UnitOfWork
from shared.scheduler import TaskScheduler, task_payload
from shared.tables import ScheduledTask


class ProbeTable(SQLModel, registry=registry()):
    """The probe's tables."""


class Note(ProbeTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "note"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    order_id: uuid.UUID = Field(index=True)
    complaint: str


class Flaky:
    """How many more times the handler fails before it works (a transient fault)."""

    failures_left = 0


consumer = EventConsumer("probe")


@consumer.handles(events.OrderCreated)
async def note_order(uow: UnitOfWork, event: events.OrderCreated) -> None:
    if event.complaint == "reject me":
        raise DomainError("the probe refuses this order")
    uow.session.add(Note(order_id=event.order_id, complaint=event.complaint))
    await uow.session.flush()
    if event.complaint == "flaky" and Flaky.failures_left > 0:
        Flaky.failures_left -= 1
        raise ConnectionError("downstream blip")
    uow.emit(
        events.JobCompleted(
            job_id=uuid.uuid4(), order_id=event.order_id, sold_hours=1, clocked_hours=1
        )
    )


scheduler = TaskScheduler("probe", max_attempts=2)
RUNS: list[str] = []


@scheduler.handles("probe.note")
async def note_later(uow: UnitOfWork, task: ScheduledTask) -> None:
    data = task_payload(task)
    RUNS.append(task.key)
    uow.session.add(Note(order_id=uuid.UUID(data["order_id"]), complaint=data["complaint"]))
    uow.emit(
        events.JobCompleted(
            job_id=uuid.uuid4(),
            order_id=uuid.UUID(data["order_id"]),
            sold_hours=0,
            clocked_hours=0,
        ),
        station_id=task.station_id or "bj01",
    )


@scheduler.handles("probe.fail")
async def always_fails(uow: UnitOfWork, task: ScheduledTask) -> None:
    uow.session.add(Note(order_id=uuid.uuid4(), complaint="must be rolled back"))
    raise ConnectionError("the phone system is down")


definition = ServiceDefinition(
    name="probe",
    port=8099,
    title="probe",
    metadata=ProbeTable.metadata,
    migrations=Path(__file__).parent / "migrations" / "versions",
    routers=[],
    consumer=consumer,
    publishes=[events.JobCompleted],
    scheduler=scheduler,
    read_models=[Note],
    read_model_topics=["order.created"],
)
