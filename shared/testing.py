"""Test helpers shared by every service's tests (fakes and builders, not mocks)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from faststream.kafka import KafkaBroker, TestKafkaBroker

from shared.app import Runtime, ServiceDefinition, create_app
from shared.auth import issue_token
from shared.contracts.envelope import Envelope, Payload
from shared.demo import USERS
from shared.messaging import make_broker
from shared.settings import ServiceSettings

T = TypeVar("T")


def auth_headers(username: str, secret: str | None = None) -> dict[str, str]:
    """Headers of a signed-in demo user (see shared/demo.py)."""
    user = USERS[username]
    token = issue_token(
        secret or ServiceSettings().auth_secret,
        user_id=user.username,
        name=user.name,
        role=user.role,
        stations=user.stations,
        all_stations=user.all_stations,
    )
    return {"Authorization": f"Bearer {token}"}


def settings_for_tests(
    definition: ServiceDefinition, data_dir: Path, **overrides: Any
) -> ServiceSettings:
    values: dict[str, Any] = {
        "service_name": definition.name,
        "http_port": definition.port,
        "data_dir": data_dir,
        "database_url": f"sqlite+aiosqlite:///{data_dir / (definition.name + '.db')}",
        "relay_poll_seconds": 0.02,
        "handler_backoff_seconds": 0.01,
        "handler_max_attempts": 3,
    }
    values.update(overrides)
    return ServiceSettings(**values)


@dataclass
class ServiceHarness:
    """A service running in-process: its HTTP client, runtime and broker."""

    client: httpx.AsyncClient
    runtime: Runtime
    broker: KafkaBroker
    app: Any = None

    async def publish(self, payload: Payload, *, station_id: str = "bj01", **kw: Any) -> Envelope:
        """Deliver an event as another service would (envelope on its topic, keyed)."""
        envelope = Envelope.wrap(payload, station_id=station_id, producer="test", **kw)
        await self.publish_envelope(envelope)
        return envelope

    async def publish_envelope(self, envelope: Envelope) -> None:
        try:
            key = envelope.key()
        except ValueError:  # a deliberately broken payload has no usable key
            key = str(envelope.event_id)
        await self.broker.publish(envelope.to_bytes(), topic=envelope.type, key=key.encode())

    async def drain(self) -> None:
        """Publish everything the outbox holds now."""
        await self.runtime.relay.run_once()


@contextlib.asynccontextmanager
async def run_service(
    definition: ServiceDefinition,
    data_dir: Path,
    *,
    real_broker: str | None = None,
    **overrides: Any,
) -> AsyncIterator[ServiceHarness]:
    """Start a service in-process on faststream's test broker (or a real one)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if real_broker:
        from shared.contracts.topics import all_topics_with_dlq
        from shared.messaging import ensure_topics

        await ensure_topics(real_broker, all_topics_with_dlq(), partitions=3)
    settings = settings_for_tests(definition, data_dir, **overrides)
    broker = make_broker(real_broker or "127.0.0.1:9092", client_id=definition.name)
    app = create_app(definition, settings, broker=broker)
    runtime: Runtime = app.state.runtime
    test_broker = contextlib.nullcontext(broker) if real_broker else TestKafkaBroker(broker)
    async with test_broker, app.router.lifespan_context(app):
        await runtime.consumers_ready()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield ServiceHarness(client, runtime, broker, app)


async def eventually(
    probe: Callable[[], Awaitable[T | None]],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
    what: str = "condition",
) -> T:
    """Poll ``probe`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


async def read_topic(
    bootstrap: str,
    topic: str,
    *,
    count: int = 10**9,
    timeout: float = 20.0,
    until: Callable[[Any], bool] | None = None,
) -> list[Any]:
    """Read records from the start of ``topic`` on a real broker: ``count`` of them, or
    until one satisfies ``until`` (other tests may have written to the topic before)."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[Any] = []
    try:
        deadline = time.monotonic() + timeout
        while len(records) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                records.extend(messages)
            if until is not None and any(until(record) for record in records):
                break
    finally:
        await consumer.stop()
    return records


def an_order_created(**overrides: Any) -> Any:
    """Test-data builder: a signed brake repair order at bj01 (override any field)."""
    import uuid as _uuid
    from decimal import Decimal

    from shared.contracts import events

    labour = _uuid.uuid4()
    values: dict[str, Any] = {
        "order_id": _uuid.uuid4(),
        "order_no": "RO-BJ01-20261123-TEST01",
        "category": events.OrderCategory.REPAIR,
        "customer": events.CustomerRef(customer_id=_uuid.uuid4(), name="张伟", phone="13800000001"),
        "vehicle": events.VehicleRef(vin="LFV2A21K7G3000001", plate="京A12345", mileage_km=42000),
        "complaint": "刹车时有异响",
        "lines": [
            events.OrderLine(
                line_id=labour,
                kind=events.LineKind.LABOUR,
                code="BRK-010",
                description="更换前刹车片",
                hours=Decimal("1.2"),
                unit_price=Decimal("300"),
                skill="mechanical",
                major_system="brakes",
            ),
            events.OrderLine(
                line_id=_uuid.uuid4(),
                kind=events.LineKind.PART,
                code="1K0698151A",
                description="前刹车片",
                quantity=Decimal("1"),
                unit_price=Decimal("480"),
                labour_line_id=labour,
            ),
        ],
        "advisor_id": "advisor.bj01",
    }
    values.update(overrides)
    return events.OrderCreated(**values)


def postgres_databases_for(services: list[str], *, prefix: str) -> tuple[dict[str, str], list[str]]:
    """One fresh PostgreSQL database per service on TEST_POSTGRES_URL (none when unset):
    ({service: async URL}, [database names to drop afterwards])."""
    import os
    import uuid as _uuid

    base = os.environ.get("TEST_POSTGRES_URL")
    if not base:
        return {}, []
    plain = base.replace("postgresql+asyncpg://", "postgresql://")
    server = plain.split("://", 1)[1].rsplit("/", 1)[0]
    names = {name: f"{prefix}_{name}_{_uuid.uuid4().hex[:8]}" for name in services}
    asyncio.run(_execute(plain, [f'CREATE DATABASE "{db}"' for db in names.values()]))
    urls = {name: f"postgresql+asyncpg://{server}/{db}" for name, db in names.items()}
    return urls, list(names.values())


def drop_postgres_databases(databases: list[str]) -> None:
    import os

    if not databases:
        return
    plain = os.environ["TEST_POSTGRES_URL"].replace("postgresql+asyncpg://", "postgresql://")
    asyncio.run(
        _execute(plain, [f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)' for db in databases])
    )


async def _execute(url: str, statements: list[str]) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()
