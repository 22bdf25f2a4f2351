"""The platform's own tables, present in every service's database.

- ``outbox_message``: events written in the business transaction, published by the relay
  (after dotnet/eShop's IntegrationEventLog: id, type, content, state, send count).
- ``outbox_lane``: one row per lane; a relay replica claims a lane with
  ``FOR UPDATE SKIP LOCKED`` and publishes that lane's rows in order, so replicas never
  publish the same row and one aggregate's events keep their order.
- ``processed_event``: the inbox; an event id recorded here was handled by this service.
- ``dead_letter``: messages this service could not handle, kept for listing and re-drive.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Integer, LargeBinary, Text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.db import enum_column, utc_column


class PlatformTable(SQLModel, registry=registry()):
    """Base of the platform tables: their own metadata, migrated in every service."""


OUTBOX_LANES = 8


class OutboxState(StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"


class OutboxMessage(PlatformTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "outbox_message"

    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    event_id: uuid.UUID = Field(unique=True)
    event_type: str = Field(max_length=120)
    topic: str = Field(max_length=200)
    key: str = Field(max_length=200)
    lane: int = Field(index=True)
    value: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    headers: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    state: OutboxState = Field(
        default=OutboxState.PENDING, sa_column=enum_column(OutboxState, index=True)
    )
    created_at: datetime = Field(sa_column=utc_column())
    published_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class OutboxLane(PlatformTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "outbox_lane"

    lane: int = Field(primary_key=True)


class ProcessedEvent(PlatformTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "processed_event"

    event_id: uuid.UUID = Field(primary_key=True)
    event_type: str = Field(max_length=120)
    processed_at: datetime = Field(sa_column=utc_column())


class DeadLetterState(StrEnum):
    DEAD = "dead"
    REDRIVEN = "redriven"


class DeadLetter(PlatformTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "dead_letter"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    topic: str = Field(max_length=200, index=True)
    partition: int | None = None
    offset: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    key: str | None = Field(default=None, max_length=200)
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    reason: str = Field(max_length=40, description="parse | contract | handler")
    error: str = Field(sa_column=Column(Text, nullable=False))
    event_id: uuid.UUID | None = None
    event_type: str | None = Field(default=None, max_length=120)
    attempts: int = 0
    state: DeadLetterState = Field(
        default=DeadLetterState.DEAD, sa_column=enum_column(DeadLetterState, index=True)
    )
    failed_at: datetime = Field(sa_column=utc_column())
    redriven_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class TaskState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ScheduledTask(PlatformTable, table=True):  # type: ignore[call-arg]
    """Work a service must do at a time (a follow-up opening, a reminder, an expiry).

    Persisted, so a restart loses nothing; claimed with ``FOR UPDATE SKIP LOCKED``, so of
    several replicas exactly one runs it; ``key`` makes scheduling the same thing twice a no-op.
    """

    __tablename__ = "scheduled_task"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(max_length=80)
    key: str = Field(max_length=200, unique=True)
    station_id: str | None = Field(default=None, max_length=20)
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    due_at: datetime = Field(sa_column=utc_column(index=True))
    state: TaskState = Field(
        default=TaskState.PENDING, sa_column=enum_column(TaskState, index=True)
    )
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(sa_column=utc_column())
    done_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
