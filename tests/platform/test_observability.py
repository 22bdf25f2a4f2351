"""Metrics move and the trace follows an event from one service's handler to the next."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlmodel import select

from shared.contracts.envelope import Envelope
from shared.tables import OutboxMessage
from shared.testing import an_order_created, run_service
from tests.platform.probe_service import definition

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture
async def probe(tmp_path: Path):
    async with run_service(definition, tmp_path) as harness:
        yield harness


async def test_metrics_count_http_requests_and_consumed_events(probe) -> None:
    await probe.client.get("/health")
    await probe.publish(an_order_created())
    await probe.drain()
    text = (await probe.client.get("/metrics")).text
    assert (
        'aftersales_http_requests_total{method="GET",route="/health",service="probe",status="200"}'
        in text
    )
    assert (
        'aftersales_events_consumed_total{outcome="handled",service="probe",topic="order.created"}'
        in text
    )
    assert 'aftersales_events_published_total{service="probe",topic="job.completed"}' in text
    assert 'aftersales_outbox_backlog{service="probe"} 0.0' in text


async def test_the_trace_goes_on_in_the_events_a_handler_raises(probe) -> None:
    order = an_order_created()
    envelope = Envelope.wrap(
        order, station_id="bj01", producer="reception", correlation_id=order.order_id
    )
    await probe.broker.publish(
        envelope.to_bytes(),
        topic="order.created",
        key=envelope.key().encode(),
        headers={"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"},
    )
    async with probe.runtime.db.read() as session:
        row = (await session.exec(select(OutboxMessage))).one()
    headers = json.loads(row.headers)
    assert headers["traceparent"].split("-")[1] == TRACE_ID
    assert headers["correlation_id"] == str(order.order_id)  # carried on to the next event


async def test_an_http_caller_gets_its_correlation_id_back(probe) -> None:
    response = await probe.client.get("/health", headers={"X-Correlation-ID": "RO-BJ01-1"})
    assert response.headers["X-Correlation-ID"] == "RO-BJ01-1"


class _FakeConsumer:
    """Three partitions: one whose position is known, one whose offset is still being
    fetched, one taken away by a rebalance since ``assignment()`` was read."""

    def __init__(self) -> None:
        from aiokafka import TopicPartition

        self.known = TopicPartition("order.created", 0)
        self.fetching = TopicPartition("order.created", 1)
        self.revoked = TopicPartition("order.created", 2)

    def assignment(self) -> set:  # type: ignore[type-arg]
        return {self.known, self.fetching, self.revoked}

    def highwater(self, tp) -> int:  # type: ignore[no-untyped-def]
        if tp.partition == 2:
            raise AssertionError("Partition is not assigned")  # taken away meanwhile
        return 10

    async def position(self, tp) -> int:  # type: ignore[no-untyped-def]
        if tp == self.fetching:
            await asyncio.sleep(30)  # a rebalanced partition whose offset is not known yet
        return 7


async def test_lag_reports_what_is_known_when_one_partition_is_still_rebalancing() -> None:
    from types import SimpleNamespace

    from shared.app import consumer_lag

    broker = SimpleNamespace(subscribers=[SimpleNamespace(consumer=_FakeConsumer())])
    started = asyncio.get_running_loop().time()
    lags = await consumer_lag(broker)  # type: ignore[arg-type]
    assert lags == [("order.created", 0, 3)]
    assert asyncio.get_running_loop().time() - started < 5


async def test_metrics_forget_the_lag_of_a_partition_no_longer_assigned(probe) -> None:
    from shared.observability import CONSUMER_LAG

    # a partition this process held before a rebalance handed it to another replica
    CONSUMER_LAG.labels("probe", "order.created", "5").set(42)
    text = (await probe.client.get("/metrics")).text
    assert 'aftersales_consumer_lag{partition="5",service="probe",topic="order.created"}' not in (
        text
    )
