"""At least once on a real broker: an offset is committed only after the message's work."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from shared.tables import DeadLetter
from shared.testing import an_order_created, eventually, run_service
from tests.platform.probe_service import Flaky, Note, definition

pytestmark = pytest.mark.realbroker


async def test_a_message_whose_failure_could_not_be_recorded_is_delivered_again(
    tmp_path: Path, kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with run_service(definition, tmp_path, real_broker=kafka_bootstrap) as probe:
        consumer = probe.runtime.consumer
        real_dead_letter = consumer._dead_letter
        refused: list[str] = []

        async def dead_letter_store_down(*args: Any, **kwargs: Any) -> Any:
            # the first time, even recording the failure fails (database unreachable)
            monkeypatch.setattr(consumer, "_dead_letter", real_dead_letter)
            Flaky.failures_left = 0  # ... and by the redelivery the fault is gone
            refused.append("dead letter store down")
            raise ConnectionError("dead letter store unreachable")

        monkeypatch.setattr(consumer, "_dead_letter", dead_letter_store_down)
        Flaky.failures_left = 10
        order = an_order_created(complaint="flaky")
        await probe.publish(order)

        notes = await eventually(
            lambda: _notes_of(probe, order.order_id),
            timeout=30,
            what="the redelivered message to be handled",
        )
        assert len(notes) == 1
        assert refused == ["dead letter store down"]
        async with probe.runtime.db.read() as session:
            assert (await session.exec(select(DeadLetter))).all() == []


async def test_a_read_model_is_rebuilt_from_the_topic_without_raising_events_again(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    from sqlmodel import func

    from shared.tables import OutboxMessage
    from shared.testing import auth_headers, read_topic

    async with run_service(definition, tmp_path, real_broker=kafka_bootstrap) as probe:
        orders = [an_order_created(complaint=f"rebuild {i}") for i in range(3)]
        for order in orders:
            await probe.publish(order)
        mine = {str(o.order_id) for o in orders}

        async def my_notes() -> list[Note]:
            async with probe.runtime.db.read() as session:
                rows = (await session.exec(select(Note))).all()
            return [n for n in rows if str(n.order_id) in mine]

        await eventually(lambda: _at_least(my_notes, 3), timeout=30, what="three notes")
        async with probe.runtime.db.read() as session:
            staged_before = (
                await session.exec(select(func.count()).select_from(OutboxMessage))
            ).one()

        reset = await probe.client.post("/admin/read-models/reset", headers=auth_headers("ops"))
        assert reset.status_code == 200, reset.text
        assert await my_notes() == []

        seen: set[str] = set()

        def all_mine(record: Any) -> bool:
            order_id = json.loads(record.value)["payload"]["order_id"]
            if order_id in mine:
                seen.add(order_id)
            return seen == mine

        records = await read_topic(kafka_bootstrap, "order.created", timeout=20, until=all_mine)
        for record in records:
            replayed = await probe.client.post(
                "/admin/replay",
                params={"topic": "order.created", "rebuilding": True},
                content=record.value,
                headers=auth_headers("ops"),
            )
            assert replayed.status_code == 200
        assert sorted(n.complaint for n in await my_notes()) == [f"rebuild {i}" for i in range(3)]
        async with probe.runtime.db.read() as session:
            staged_after = (
                await session.exec(select(func.count()).select_from(OutboxMessage))
            ).one()
        assert staged_after == staged_before  # history re-derived, nothing re-announced


async def _at_least(probe_fn, count: int) -> bool:  # type: ignore[no-untyped-def]
    return len(await probe_fn()) >= count


async def test_a_replica_with_an_instance_id_is_a_static_member_and_consumes(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    """Static group membership (``KAFKA_INSTANCE_ID``) works on the broker: the consumer
    joins with its ``group.instance.id`` and handles what it is sent."""
    async with run_service(
        definition, tmp_path, real_broker=kafka_bootstrap, kafka_instance_id="probe-0"
    ) as probe:
        consumers = [
            getattr(subscriber, "consumer", None) for subscriber in probe.broker.subscribers
        ]
        joined = [c for c in consumers if c is not None]
        assert joined and all(c._group_instance_id == "probe-0" for c in joined)
        order = an_order_created(complaint="static member")
        await probe.publish(order)

        noted = await eventually(
            lambda: _notes_of(probe, order.order_id), timeout=30, what="the order noted"
        )
        assert len(noted) == 1


async def _notes_of(probe: Any, order_id: Any) -> list[Note]:
    async with probe.runtime.db.read() as session:
        return list((await session.exec(select(Note).where(Note.order_id == order_id))).all())
