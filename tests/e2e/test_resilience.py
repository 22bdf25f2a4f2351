"""The running system under faults: poison messages, a service killed mid-flow."""

from __future__ import annotations

import asyncio
import json
import re
import signal

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from deploy.run import Stack
from shared.cli import main as cli
from shared.testing import auth_headers, read_topic
from tests.e2e.flow import get, stock_brake_pads, wait_for, warranty_brake_order

pytestmark = pytest.mark.e2e


async def _produce(bootstrap: str, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=b"poison")
    finally:
        await producer.stop()


def test_a_poison_message_is_dead_lettered_listed_and_the_service_carries_on(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert stack.bootstrap
    asyncio.run(_produce(stack.bootstrap, "item.requested", b'{"type": "item.requested"'))

    def listed() -> list[dict]:
        capsys.readouterr()
        assert cli(["dlq", "list", "--service", "parts", "--url", stack.url("parts")]) == 0
        return [r for r in json.loads(capsys.readouterr().out) if r["raw"].startswith('{"type"')]

    [letter] = wait_for(listed, "the parts service to dead-letter the poison message")
    assert letter["reason"] == "parse" and letter["topic"] == "item.requested"
    # ... and it is on the dead-letter topic: original bytes as value, the error in headers
    dlq = asyncio.run(
        read_topic(
            stack.bootstrap,
            "item.requested.dlq",
            timeout=20,
            until=lambda r: r.value.startswith(b'{"type"'),
        )
    )
    poisoned = [r for r in dlq if r.value == b'{"type": "item.requested"']
    assert poisoned, "the poison message is not on item.requested.dlq"
    headers = {k: v.decode() for k, v in poisoned[0].headers}
    assert headers["dlq_reason"] == "parse" and headers["dlq_consumer_group"] == "parts"

    # the next order's part request is still served by parts
    created = httpx.post(
        f"{stack.url('reception')}/repair-orders",
        json=_stocked_order(stack),
        headers=auth_headers("advisor.bj01"),
        timeout=10,
    )
    order_id = created.json()["id"]
    wait_for(
        lambda: get(stack, "parts", "/reservations", "parts.bj01", order_id=order_id)["data"],
        "parts to reserve after the poison message",
    )


def test_a_service_killed_mid_flow_catches_up_without_double_effects(stack: Stack) -> None:
    stack.kill_service("workshop", signal.SIGKILL)
    created = httpx.post(
        f"{stack.url('reception')}/repair-orders",
        json=_stocked_order(stack),
        headers=auth_headers("advisor.bj01"),
        timeout=10,
    )
    assert created.status_code == 201
    order_id = created.json()["id"]
    stack.start_service("workshop")
    stack.wait_healthy(["workshop"])
    jobs = wait_for(
        lambda: (
            len(
                ready := [
                    j
                    for j in get(stack, "workshop", "/jobs", "foreman.bj01", order_id=order_id)[
                        "data"
                    ]
                    if j["status"] == "ready"
                ]
            )
            == 2
            and ready
        ),
        "the restarted workshop to create and ready the jobs",
    )
    assert len(jobs) == 2
    everything = get(stack, "workshop", "/jobs", "foreman.bj01", order_id=order_id)
    assert everything["count"] == 2  # order.created handled once, not once per delivery


def test_replaying_a_topic_into_a_service_changes_nothing_it_already_has(
    stack: Stack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    created = httpx.post(
        f"{stack.url('reception')}/repair-orders",
        json=_stocked_order(stack),
        headers=auth_headers("advisor.bj01"),
        timeout=10,
    )
    order_id = created.json()["id"]
    wait_for(
        lambda: get(stack, "workshop", "/jobs", "foreman.bj01", order_id=order_id)["data"],
        "the workshop's jobs",
    )
    before = get(stack, "workshop", "/jobs", "foreman.bj01")["count"]
    import os

    os.environ["KAFKA_BOOTSTRAP_SERVERS"] = stack.bootstrap or ""
    try:
        assert (
            cli(
                ["replay", "order.created", "--service", "workshop", "--url", stack.url("workshop")]
            )
            == 0
        )
    finally:
        del os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    report = json.loads(capsys.readouterr().out)
    assert report["outcomes"].get("duplicate", 0) >= 1
    assert report["outcomes"].get("handled", 0) == 0
    assert get(stack, "workshop", "/jobs", "foreman.bj01")["count"] == before


def test_a_read_model_is_rebuilt_from_its_topic(
    stack: Stack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reception's copy of the workshop's capacity is emptied and rebuilt from the topic."""
    from datetime import date

    from tests.e2e.flow import post

    post(
        stack,
        "workshop",
        "/capacity/publications",
        "foreman.bj01",
        {"day": date.today().isoformat()},
    )

    def consumed() -> float:
        text = httpx.get(f"{stack.url('reception')}/metrics", timeout=10).text
        match = re.search(
            r'aftersales_events_consumed_total\{outcome="handled",service="reception",'
            r'topic="capacity.published"\} ([0-9.]+)',
            text,
        )
        return float(match.group(1)) if match else 0.0

    wait_for(lambda: consumed() >= 1, "reception to take the capacity in")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", stack.bootstrap or "")
    capsys.readouterr()
    assert cli(["rebuild", "reception", "--url", stack.url("reception")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["deleted"]["day_capacity"] >= 1
    assert report["replayed"]["capacity.published"].get("handled", 0) >= 1


def _stocked_order(stack: Stack) -> dict[str, object]:
    stock_brake_pads(stack)
    return warranty_brake_order()
