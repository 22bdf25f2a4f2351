"""Test-data builders and probes shared by the crm tests."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from shared import clock
from shared.tables import OutboxMessage
from shared.testing import ServiceHarness


async def emitted(crm: ServiceHarness, event_type: str) -> list[dict[str, Any]]:
    """The payloads of ``event_type`` staged in crm's outbox, oldest first."""
    async with crm.runtime.db.read() as session:
        rows = (
            await session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.event_type == event_type)
                .order_by(col(OutboxMessage.id))
            )
        ).all()
    return [json.loads(row.value)["payload"] for row in rows]


async def run_due(crm: ServiceHarness) -> int:
    assert crm.runtime.scheduler is not None
    return await crm.runtime.scheduler.run_due()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


@contextlib.contextmanager
def manual_clock(start: datetime) -> Iterator[clock.ManualClock]:
    """Drive every time rule from ``start`` (typed: the test moves it with set/advance)."""
    driven = clock.ManualClock(start)
    with clock.driven(driven):
        yield driven
