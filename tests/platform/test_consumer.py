"""The consumer rules: inbox, retries with backoff, dead letters, re-drive (test broker)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select

from shared.contracts.envelope import Envelope
from shared.tables import DeadLetter, DeadLetterState, OutboxMessage
from shared.testing import an_order_created, auth_headers, run_service
from tests.platform.probe_service import Flaky, Note, definition


@pytest.fixture
async def probe(tmp_path: Path):
    Flaky.failures_left = 0
    async with run_service(definition, tmp_path) as harness:
        yield harness


async def notes(probe) -> list[Note]:
    async with probe.runtime.db.read() as session:
        return list((await session.exec(select(Note))).all())


async def letters(probe) -> list[DeadLetter]:
    async with probe.runtime.db.read() as session:
        return list((await session.exec(select(DeadLetter))).all())


async def test_a_redelivered_event_has_no_second_effect(probe) -> None:
    envelope = await probe.publish(an_order_created())
    await probe.publish_envelope(envelope)
    await probe.publish_envelope(envelope)
    assert len(await notes(probe)) == 1
    assert probe.runtime.consumer.counts == {"handled": 1, "duplicate": 2, "dead_lettered": 0}
    async with probe.runtime.db.read() as session:
        staged = (await session.exec(select(OutboxMessage))).all()
    assert [row.event_type for row in staged] == ["job.completed"]


async def test_a_poison_message_is_dead_lettered_and_the_next_is_handled(probe) -> None:
    await probe.broker.publish(b"\x00not json at all", topic="order.created", key=b"k")
    await probe.publish(an_order_created())
    assert len(await notes(probe)) == 1
    [letter] = await letters(probe)
    assert letter.reason == "parse"
    assert letter.raw == b"\x00not json at all"
    assert letter.topic == "order.created"
    async with probe.runtime.db.read() as session:
        dlq = (
            await session.exec(
                select(OutboxMessage).where(OutboxMessage.topic == "order.created.dlq")
            )
        ).one()
    assert dlq.value == b"\x00not json at all"  # the original bytes
    headers = json.loads(dlq.headers)
    assert headers["dlq_reason"] == "parse"
    assert "not JSON" in headers["dlq_error"]
    assert headers["dlq_consumer_group"] == "probe"


async def test_an_invalid_payload_is_dead_lettered_as_a_contract_error(probe) -> None:
    good = Envelope.wrap(an_order_created(), station_id="bj01", producer="test")
    broken = good.model_copy(update={"payload": {**good.payload, "order_id": "not-a-uuid"}})
    await probe.publish_envelope(broken)
    [letter] = await letters(probe)
    assert letter.reason == "contract"
    assert "order_id" in letter.error
    assert letter.event_id == broken.event_id


async def test_an_unknown_version_is_dead_lettered_not_guessed(probe) -> None:
    good = Envelope.wrap(an_order_created(), station_id="bj01", producer="test")
    await probe.publish_envelope(good.model_copy(update={"version": 99}))
    [letter] = await letters(probe)
    assert letter.reason == "contract"
    assert "v99" in letter.error


async def test_a_transient_failure_is_retried_and_leaves_no_partial_effect(probe) -> None:
    Flaky.failures_left = 2  # max_attempts is 3 in tests
    await probe.publish(an_order_created(complaint="flaky"))
    assert len(await notes(probe)) == 1  # the failed attempts rolled back their note
    assert await letters(probe) == []
    assert probe.runtime.consumer.counts["handled"] == 1


async def test_a_persistent_failure_is_dead_lettered_then_redriven_after_the_fix(probe) -> None:
    Flaky.failures_left = 3
    envelope = await probe.publish(an_order_created(complaint="flaky"))
    assert await notes(probe) == []
    [letter] = await letters(probe)
    assert (letter.reason, letter.attempts, letter.event_id) == ("handler", 3, envelope.event_id)
    assert "downstream blip" in letter.error

    await probe.publish(an_order_created())  # the consumer carries on
    assert len(await notes(probe)) == 1

    Flaky.failures_left = 0  # the fault is gone
    listed = await probe.client.get("/admin/dead-letters", headers=auth_headers("ops"))
    assert [row["id"] for row in listed.json()] == [str(letter.id)]
    redriven = await probe.client.post(
        f"/admin/dead-letters/{letter.id}/redrive", headers=auth_headers("ops")
    )
    assert redriven.json()["outcome"] == "handled"
    assert len(await notes(probe)) == 2
    [after] = await letters(probe)
    assert after.state == DeadLetterState.REDRIVEN


async def test_a_business_rejection_is_dead_lettered_without_retries(probe) -> None:
    await probe.publish(an_order_created(complaint="reject me"))
    [letter] = await letters(probe)
    assert (letter.reason, letter.attempts) == ("rejected", 1)


async def test_dead_letters_are_for_operators_only(probe) -> None:
    response = await probe.client.get("/admin/dead-letters", headers=auth_headers("advisor.bj01"))
    assert response.status_code == 403
    response = await probe.client.get("/admin/dead-letters")
    assert response.status_code == 401
