"""Batches: several waiting messages handled in one transaction, with the same guarantees.

A batch commits its effects, outbox rows and inbox rows together; anything unusual in it
(a duplicate, a poison message, a business rejection, a failing handler) makes it fall back
to one message at a time, so each message still gets exactly the rules of ``process``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import func, select

from shared.contracts.envelope import Envelope
from shared.messaging import Incoming, Outcome
from shared.tables import DeadLetter, OutboxMessage, ProcessedEvent
from shared.testing import an_order_created, run_service
from tests.platform.probe_service import Flaky, Note, definition


@pytest.fixture
async def probe(tmp_path: Path):
    Flaky.failures_left = 0
    async with run_service(definition, tmp_path) as harness:
        yield harness


def incoming(envelope: Envelope, offset: int = 0) -> Incoming:
    return Incoming(
        topic=envelope.type,
        value=envelope.to_bytes(),
        key=envelope.key(),
        partition=0,
        offset=offset,
    )


def orders(*complaints: str) -> list[Envelope]:
    return [
        Envelope.wrap(an_order_created(complaint=c), station_id="bj01", producer="test")
        for c in complaints
    ]


async def count(probe, table) -> int:
    async with probe.runtime.db.read() as session:
        return (await session.exec(select(func.count()).select_from(table))).one()


async def test_a_batch_is_handled_with_one_inbox_row_and_one_event_per_message(probe) -> None:
    batch = orders("a", "b", "c", "d")
    outcomes = await probe.runtime.consumer.process_batch([incoming(e) for e in batch])
    assert outcomes == [Outcome.HANDLED] * 4
    assert await count(probe, Note) == 4
    assert await count(probe, ProcessedEvent) == 4
    async with probe.runtime.db.read() as session:
        staged = (await session.exec(select(OutboxMessage))).all()
    assert len(staged) == 4
    # each staged event is caused by its own message, not by the batch's first
    causes = {Envelope.from_bytes(row.value).causation_id for row in staged}
    assert causes == {e.event_id for e in batch}


async def test_a_duplicate_inside_a_batch_and_one_seen_before_have_no_second_effect(
    probe,
) -> None:
    first, second = orders("a", "b")
    await probe.runtime.consumer.process_batch([incoming(first)])
    outcomes = await probe.runtime.consumer.process_batch(
        [incoming(first), incoming(second), incoming(second, offset=1)]
    )
    assert outcomes == [Outcome.DUPLICATE, Outcome.HANDLED, Outcome.DUPLICATE]
    assert await count(probe, Note) == 2
    assert probe.runtime.consumer.counts == {"handled": 2, "duplicate": 2, "dead_lettered": 0}


async def test_a_poison_message_in_a_batch_is_dead_lettered_and_the_rest_handled(probe) -> None:
    good_before, good_after = orders("a", "b")
    poison = Incoming(topic="order.created", value=b"\x00not json", key="k", partition=0)
    outcomes = await probe.runtime.consumer.process_batch(
        [incoming(good_before), poison, incoming(good_after)]
    )
    assert outcomes == [Outcome.HANDLED, Outcome.DEAD_LETTERED, Outcome.HANDLED]
    assert await count(probe, Note) == 2
    async with probe.runtime.db.read() as session:
        [letter] = (await session.exec(select(DeadLetter))).all()
    assert (letter.reason, letter.raw) == ("parse", b"\x00not json")


async def test_a_rejection_in_a_batch_rolls_back_nothing_of_the_others(probe) -> None:
    batch = orders("a", "reject me", "c")
    outcomes = await probe.runtime.consumer.process_batch([incoming(e) for e in batch])
    assert outcomes == [Outcome.HANDLED, Outcome.DEAD_LETTERED, Outcome.HANDLED]
    async with probe.runtime.db.read() as session:
        complaints = sorted(n.complaint for n in (await session.exec(select(Note))).all())
        [letter] = (await session.exec(select(DeadLetter))).all()
    assert complaints == ["a", "c"]
    assert letter.reason == "rejected"
    # no event of the rolled-back batch attempt is left behind twice
    assert await count(probe, OutboxMessage) == 3  # two job.completed + one dlq row


async def test_a_transient_failure_in_a_batch_is_retried_without_doubling_the_others(
    probe,
) -> None:
    Flaky.failures_left = 1
    batch = orders("a", "flaky", "c")
    outcomes = await probe.runtime.consumer.process_batch([incoming(e) for e in batch])
    assert outcomes == [Outcome.HANDLED] * 3
    assert await count(probe, Note) == 3
    assert await count(probe, ProcessedEvent) == 3
    assert await count(probe, OutboxMessage) == 3


async def test_batches_arrive_through_the_subscriber(probe) -> None:
    for envelope in orders("a", "b", "c"):
        await probe.publish_envelope(envelope)
    assert await count(probe, Note) == 3
    assert probe.runtime.consumer.counts["handled"] == 3
