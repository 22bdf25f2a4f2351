"""Chaos: kill -9 service processes under load, then prove nothing was lost or doubled.

    python -m bench.chaos [--duration 480] [--kills 100] [--replicas 1] [--rate 60]
                          [--kafka embedded|docker] [--broker-restarts 3]  (`make chaos`)

On PostgreSQL (TEST_POSTGRES_URL, or the local server) and the embedded broker:
1. Load: whole lifecycles through the HTTP APIs (bench.lifecycle's desks), the desks retrying
   as people do when a screen fails, each write with an Idempotency-Key kept across its
   retries (shared/idempotency.py).
2. Kills: ``--kills`` times over the run, a random process (API + relay + consumers + scheduler:
   one process per replica) gets SIGKILL and is restarted after a short pause. With
   ``--replicas 2`` every service runs twice on one database and one consumer group.
3. Drain and check, from every service's database: each started lifecycle finished exactly
   once (order delivered, one job, one reservation and one issue, one settlement paid once,
   one 72-hour call); the stock ledger adds up to every stock row and nothing is negative;
   no outbox row is left unpublished; no dead letter; consumer lag back to 0, and how long
   after the last kill.
4. Offset rewind: every consumer group reset to the earliest offset and the log replayed;
   every database's checksum must be unchanged.
5. Duplicates and poison: 10 % of the log delivered again plus malformed messages on every
   consumed topic; business tables unchanged, each malformed message in its service's dead
   letters with the reason, lag back to 0.
Writes reports/chaos*.json and prints a table.

``--kafka docker`` runs the same against Apache Kafka in a container (testcontainers) and
restarts the broker ``--broker-restarts`` times (default 3) during the load. It needs a Docker
engine; the development machine has none, so that path has not been run there. The embedded
broker is never restarted: it keeps its topics in memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.lifecycle import Driver, Failed, Figures, Identities, parse_metrics, sample, station_ids
from shared.contracts.envelope import Envelope
from shared.settings import DEV_SECRET
from shared.testing import an_order_created

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports"
RETRYABLE = (502, 503, 504)


# -- processes ------------------------------------------------------------------------------


@dataclass
class Replica:
    service: str
    index: int
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Fleet:
    """Every replica of every service, started, killed and restarted here."""

    stack: Any  # deploy.run.Stack (environment, data dir)
    replicas: list[Replica] = field(default_factory=list)
    kills: list[dict[str, Any]] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    static_membership: bool = False

    def start(self, replica: Replica) -> None:
        env = self.stack.service_env(replica.service)
        env[f"{replica.service.upper()}_PORT"] = str(replica.port)
        if self.static_membership:
            # static group membership: a restarted replica is the same member again
            env["KAFKA_INSTANCE_ID"] = f"{replica.service}-{replica.index}"
        env.update(self.extra_env)
        logs = self.stack.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = open(logs / f"{replica.service}-{replica.index}.log", "ab")
        replica.process = subprocess.Popen(
            [sys.executable, "-m", f"services.{replica.service}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_healthy(self, replicas: list[Replica], timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        pending = list(replicas)
        while pending and time.monotonic() < deadline:
            for replica in list(pending):
                if not replica.alive:
                    raise RuntimeError(f"{replica.service}-{replica.index} exited; see its log")
                try:
                    if httpx.get(f"{replica.url}/health", timeout=2).status_code == 200:
                        pending.remove(replica)
                except httpx.HTTPError:
                    pass
            time.sleep(0.3)
        if pending:
            raise TimeoutError(f"not healthy: {[(r.service, r.index) for r in pending]}")

    def kill(self, replica: Replica) -> None:
        if replica.process is not None and replica.alive:
            replica.process.send_signal(signal.SIGKILL)
            replica.process.wait(timeout=30)

    def stop_all(self) -> None:
        for replica in self.replicas:
            if replica.alive and replica.process is not None:
                replica.process.send_signal(signal.SIGTERM)
        for replica in self.replicas:
            if replica.process is not None:
                try:
                    replica.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    replica.process.kill()
                    replica.process.wait()

    def urls(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for replica in self.replicas:
            out.setdefault(replica.service, []).append(replica.url)
        return out


class ChaosDriver(Driver):
    """The desks, when a screen fails: wait, try another replica, look before re-creating."""

    def __init__(self, replicas: dict[str, list[str]], ids: Identities, figures: Figures) -> None:
        super().__init__({s: urls[0] for s, urls in replicas.items()}, ids, figures)
        self.replicas = replicas
        self.retries = 0
        self.conflicts_after_retry = 0

    async def call(
        self,
        method: str,
        service: str,
        path: str,
        desk: str,
        station: str,
        *,
        route: str,
        body: Any = None,
        params: dict[str, Any] | None = None,
        expect: tuple[int, ...] = (200, 201),
        user: str | None = None,
    ) -> Any:
        # a desk does not abandon a customer: it keeps trying while the services restart
        # (the kills end with the run; a step not done within 10 minutes fails the lifecycle)
        deadline = time.monotonic() + 600
        attempt = 0
        # one key per step, kept across its retries: a write that went through before its
        # answer was lost is answered again, not carried out twice
        headers = dict(self.ids.headers(desk, station, user))
        if method != "GET":
            headers["Idempotency-Key"] = str(uuid.uuid4())
        while True:
            attempt += 1
            url = random.choice(self.replicas[service])
            started = time.perf_counter()
            try:
                response = await self.client.request(
                    method, url + path, json=body, params=params, headers=headers
                )
            except httpx.TransportError:
                response = None
            name = f"{method} {service}{route}"
            self.figures.http[name].append(time.perf_counter() - started)
            if response is not None and response.status_code in expect:
                return response.json() if response.content else None
            retryable = response is None or response.status_code in RETRYABLE
            if (
                attempt > 1
                and response is not None
                and response.status_code == 409
                and route == "/repair-orders"
            ):
                # carried out (or still being carried out), its answer not kept: the order
                # is found by its VIN
                while time.monotonic() < deadline:
                    found = await self._order_for(station, body["vehicle"]["vin"], desk)
                    if found is not None:
                        return found
                    await asyncio.sleep(1)
                raise Failed(f"{name}: carried out, but the order is not found by its VIN")
            if attempt > 1 and response is not None and response.status_code in (409, 422):
                # the attempt that failed on the wire had gone through: the step is done
                self.conflicts_after_retry += 1
                return None
            if not retryable or time.monotonic() > deadline:
                self.figures.http_errors[name] += 1
                status = response.status_code if response is not None else "no answer"
                text = response.text[:300] if response is not None else ""
                raise Failed(f"{name}: {status} {text}")
            self.retries += 1
            # a desk tries again soon, then less often (a restart takes seconds)
            await asyncio.sleep(min(0.5 * 1.5 ** (attempt - 1), 3.0))

    async def until(
        self,
        probe: Callable[[], Awaitable[Any]],
        what: str,
        timeout: float = 600.0,
        longest_pause: float = 2.0,
    ) -> Any:
        """A desk under chaos waits longer (the consumer may be restarting) and looks again
        at most every 2 s: hundreds of desks looking twice a second while the services
        restart were a load of their own, larger than the lifecycles'."""
        return await super().until(probe, what, timeout, longest_pause)

    async def _order_for(self, station: str, vin: str, desk: str) -> Any:
        try:
            rows = await super().call(
                "GET",
                "reception",
                "/repair-orders",
                desk,
                station,
                route="/repair-orders?vin",
                params={"vin": vin},
            )
        except (Failed, httpx.HTTPError):
            return None
        return rows["data"][0] if rows["data"] else None


# -- databases ------------------------------------------------------------------------------


def dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def query(url: str, sql: str, *args: Any) -> list[Any]:
    import asyncpg

    connection = await asyncpg.connect(dsn(url))
    try:
        return list(await connection.fetch(sql, *args))
    finally:
        await connection.close()


async def checksums(url: str) -> dict[str, str]:
    tables = [
        row["table_name"]
        for row in await query(
            url,
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' "
            "AND table_name <> 'alembic_version'",
        )
    ]
    result = {}
    for table in sorted(tables):
        [row] = await query(
            url,
            f"SELECT md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), '')) "
            f'AS sum, count(*) AS n FROM "{table}" t',
        )
        result[table] = f"{row['n']}:{row['sum']}"
    return result


async def scalar(url: str, sql: str, *args: Any) -> Any:
    rows = await query(url, sql, *args)
    return rows[0][0] if rows else None


async def not_exactly_once(url: str, table: str, ids: list[uuid.UUID], where: str = "") -> int:
    """How many of the orders have not exactly one row in ``table`` (none counts too)."""
    condition = f" AND t.{where}" if where else ""
    count: int = await scalar(
        url,
        f"SELECT count(*) FROM (SELECT o FROM unnest($1::uuid[]) o LEFT JOIN {table} t "
        f"ON t.order_id = o{condition} GROUP BY o HAVING count(t.order_id) <> 1) x",
        ids,
    )
    return count


async def check_databases(urls: dict[str, str], orders: list[str]) -> dict[str, Any]:
    """Each started lifecycle exactly once, the stock ledger, empty outboxes, no dead letters."""
    ids = [uuid.UUID(o) for o in orders]
    checks: dict[str, Any] = {}

    async def record(name: str, value: Any, ok: bool) -> None:
        checks[name] = {"value": value, "ok": ok}

    reception, workshop, parts = urls["reception"], urls["workshop"], urls["parts"]
    delivered = await scalar(
        reception,
        "SELECT count(*) FROM repair_order WHERE id = ANY($1) AND status = 'delivered'",
        ids,
    )
    await record("orders delivered / started", f"{delivered}/{len(ids)}", delivered == len(ids))
    doubled = await scalar(
        reception,
        "SELECT count(*) FROM (SELECT vin FROM repair_order GROUP BY vin HAVING count(*) > 1) d",
    )
    await record("vehicles with two orders (doubled check-in)", doubled, doubled == 0)
    unpaid = await not_exactly_once(reception, "payment", ids)
    await record("orders not paid exactly once", unpaid, unpaid == 0)
    jobs = await not_exactly_once(workshop, "job", ids)
    await record("orders without exactly one job", jobs, jobs == 0)
    reservations = await not_exactly_once(parts, "reservation", ids)
    await record("orders without exactly one reservation", reservations, reservations == 0)
    issues = await not_exactly_once(parts, "stock_movement", ids, "kind = 'issue'")
    await record("orders without exactly one parts issue", issues, issues == 0)
    ledger = await scalar(
        parts,
        "SELECT count(*) FROM stock_item s LEFT JOIN ("
        " SELECT station_id, part_no, sum(on_hand_change) oh, sum(reserved_change) rs,"
        " sum(on_order_change) oo FROM stock_movement GROUP BY station_id, part_no) m"
        " ON m.station_id = s.station_id AND m.part_no = s.part_no"
        " WHERE s.on_hand <> coalesce(m.oh, 0) OR s.reserved <> coalesce(m.rs, 0)"
        " OR s.on_order <> coalesce(m.oo, 0) OR s.on_hand < 0 OR s.reserved < 0"
        " OR s.reserved > s.on_hand + s.on_order",
    )
    await record("stock rows breaking the ledger invariant", ledger, ledger == 0)
    calls = await not_exactly_once(urls["crm"], "follow_up", ids, "kind = '72h'")
    await record("delivered orders without exactly one 72-hour call", calls, calls == 0)
    for service, url in urls.items():
        pending = await scalar(url, "SELECT count(*) FROM outbox_message WHERE state = 'pending'")
        await record(f"{service}: outbox rows unpublished", pending, pending == 0)
        letters = await scalar(url, "SELECT count(*) FROM dead_letter")
        await record(f"{service}: dead letters", letters, letters == 0)
    return checks


# -- the broker -----------------------------------------------------------------------------


async def read_log(bootstrap: str, topics: list[str]) -> list[Any]:
    """Every record of the topics, from the beginning (no group)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in (consumer.partitions_for_topic(topic) or await _partitions(consumer, topic))
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[Any] = []
        while True:
            positions = [await consumer.position(tp) for tp in partitions]
            if all(pos >= ends[tp] for pos, tp in zip(positions, partitions, strict=True)):
                break
            batch = await consumer.getmany(timeout_ms=1000, max_records=2000)
            for rows in batch.values():
                records.extend(rows)
        return records
    finally:
        await consumer.stop()


async def _partitions(consumer: Any, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(topic) or set()


async def inject(
    bootstrap: str, records: list[Any], topics: dict[str, list[str]]
) -> dict[str, Any]:
    """10 % of the log again (duplicates) and malformed messages on every consumed topic."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await producer.start()
    poison: dict[str, int] = {}
    try:
        again = random.sample(records, k=max(1, len(records) // 10)) if records else []
        for record in again:
            await producer.send(
                record.topic, record.value, key=record.key, headers=list(record.headers or [])
            )
        good = Envelope.wrap(an_order_created(), station_id="bj01", producer="chaos")
        for topic in sorted({t for ts in topics.values() for t in ts}):
            bad = [
                b"\x00 not json",
                good.model_copy(update={"type": topic, "version": 99}).to_bytes(),
                json.dumps({"id": str(uuid.uuid4()), "type": topic, "version": 1}).encode(),
            ]
            for value in bad:
                await producer.send(topic, value, key=b"poison")
            poison[topic] = len(bad)
        await producer.flush()
    finally:
        await producer.stop()
    return {
        "duplicates_sent": len(again),
        "duplicate_topics": [record.topic for record in again],
        "malformed_sent": poison,
    }


# -- the run --------------------------------------------------------------------------------


async def consumed(fleet: Fleet) -> dict[str, int]:
    """Messages each service's replicas have consumed (any outcome) since they started."""
    client = httpx.AsyncClient()
    try:
        totals: dict[str, int] = {}
        for replica in fleet.replicas:
            text = (await client.get(f"{replica.url}/metrics", timeout=10)).text
            totals[replica.service] = totals.get(replica.service, 0) + int(
                sum(v for n, _, v in parse_metrics(text) if n == "aftersales_events_consumed_total")
            )
        return totals
    finally:
        await client.aclose()


async def consumed_at_least(fleet: Fleet, target: dict[str, int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            now = await consumed(fleet)
        except httpx.HTTPError:
            now = {}
        if all(now.get(s, 0) >= n for s, n in target.items()):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"consumed {now}, expected at least {target}")
        await asyncio.sleep(1)


async def drained(fleet: Fleet, timeout: float) -> float | None:
    """Seconds until every outbox is empty and every consumer has no lag (None: never)."""
    started = time.monotonic()
    client = httpx.AsyncClient()
    try:
        calm = 0
        while time.monotonic() - started < timeout:
            urls = {f"{r.service}-{r.index}": r.url for r in fleet.replicas if r.alive}
            figures = await sample(client, urls)
            busy = any(v is None or v["lag"] > 0 or v["backlog"] > 0 for v in figures.values())
            calm = 0 if busy else calm + 1
            if calm >= 3:  # three quiet samples in a row
                return round(time.monotonic() - started, 1)
            await asyncio.sleep(1)
        return None
    finally:
        await client.aclose()


async def chaos_load(
    fleet: Fleet,
    *,
    stations: int,
    duration: float,
    rate: float,
    kills: int,
    secret: str,
    broker_restarts: int = 0,
    restart_broker: Callable[[], float] | None = None,
) -> dict[str, Any]:
    figures = Figures()
    driver = ChaosDriver(fleet.urls(), Identities(secret), figures)
    names = station_ids(stations)
    pads = int(rate * duration / 60 / len(names) * 1.5) + 30
    await asyncio.gather(*(driver.set_up_station(s, pads, 12) for s in names))
    orders: list[str] = []
    original = driver.lifecycle
    stop_at = time.monotonic() + duration

    async def one(station: str) -> None:
        try:
            await original(station)
        except (Failed, httpx.HTTPError) as exc:
            figures.failures.append(str(exc))
        except Exception as exc:  # a desk bug must not end the run: it is reported
            figures.failures.append(f"driver: {exc!r}")

    async def killer() -> None:
        """``kills`` kills at random moments spread over the run; each victim restarts after
        0.2-2 s (on its own, so the next kill does not wait for it)."""
        moments = sorted(random.uniform(1.0, duration - 1.0) for _ in range(kills))
        restarts: list[asyncio.Task[None]] = []

        async def restart(victim: Replica) -> None:
            await asyncio.sleep(random.uniform(0.2, 2.0))
            fleet.start(victim)

        for moment in moments:
            await asyncio.sleep(max(0.0, began + moment - time.monotonic()))
            victim = random.choice([r for r in fleet.replicas if r.alive] or fleet.replicas)
            if not victim.alive:
                continue
            fleet.kill(victim)
            fleet.kills.append({"t": round(time.monotonic() - began, 1), "victim": victim.service})
            restarts.append(asyncio.create_task(restart(victim)))
        await asyncio.gather(*restarts)

    broker_downtimes: list[dict[str, Any]] = []

    async def broker_restarter() -> None:
        """The broker restarted at random moments (Apache Kafka in Docker only)."""
        if restart_broker is None:
            return
        for moment in sorted(random.uniform(5.0, duration - 5.0) for _ in range(broker_restarts)):
            await asyncio.sleep(max(0.0, began + moment - time.monotonic()))
            at = round(time.monotonic() - began, 1)
            seconds = await asyncio.to_thread(restart_broker)
            broker_downtimes.append({"t": at, "seconds_until_back": round(seconds, 1)})

    # remember each order the advisor opened
    create = driver.call

    async def recording_call(*args: Any, **kwargs: Any) -> Any:
        result = await create(*args, **kwargs)
        if kwargs.get("route") == "/repair-orders" and args[0] == "POST" and result:
            orders.append(result["id"])
        return result

    driver.call = recording_call  # type: ignore[method-assign]
    timeline: list[dict[str, Any]] = []
    began = time.monotonic()
    watching = True

    async def watcher() -> None:
        client = httpx.AsyncClient()
        try:
            while watching:
                alive = {f"{r.service}-{r.index}": r.url for r in fleet.replicas if r.alive}
                figures_now = await sample(client, alive)
                timeline.append(
                    {
                        "t": round(time.monotonic() - began, 1),
                        "lag": {k: v["lag"] for k, v in figures_now.items() if v},
                        "backlog": sum(v["backlog"] for v in figures_now.values() if v),
                        "answering": sum(1 for v in figures_now.values() if v),
                        "completed": len(figures.lifecycles),
                    }
                )
                await asyncio.sleep(2)
        finally:
            await client.aclose()

    watch_task = asyncio.create_task(watcher())
    kill_task = asyncio.create_task(killer())
    broker_task = asyncio.create_task(broker_restarter())
    tasks: list[asyncio.Task[None]] = []
    cycle = iter(lambda: random.choice(names), None)
    while time.monotonic() < stop_at:
        tasks.append(asyncio.create_task(one(next(cycle))))
        figures.started += 1
        await asyncio.sleep(60.0 / rate)
    await kill_task
    await broker_task
    await asyncio.gather(*tasks)
    await asyncio.to_thread(fleet.wait_healthy, [r for r in fleet.replicas])
    drain = await drained(fleet, timeout=180)
    watching = False
    await watch_task
    last_kill_t = fleet.kills[-1]["t"] if fleet.kills else 0.0
    calm = next(
        (
            row["t"]
            for row in timeline
            if row["t"] >= last_kill_t
            and row["answering"] == len(fleet.replicas)
            and not any(row["lag"].values())
        ),
        None,
    )
    await driver.close()
    return {
        "started": figures.started,
        "completed": len(figures.lifecycles),
        "failed": len(figures.failures),
        "failures_sample": figures.failures[:10],
        "orders": orders,
        "kills": len(fleet.kills),
        "broker_restarts": broker_downtimes,
        "kill_log": fleet.kills,
        "kills_by_service": {
            s: sum(1 for k in fleet.kills if k["victim"] == s) for s in fleet.urls()
        },
        "desk_retries": driver.retries,
        "steps_found_done_on_retry": driver.conflicts_after_retry,
        "timeline": timeline,
        # every replica answering and no consumer lag (the load may still run, so the outbox
        # backlog is rarely exactly 0 then: it is in the timeline)
        "lag_zero_seconds_after_last_kill": (
            None if calm is None else round(calm - last_kill_t, 1)
        ),
        "drained_seconds_after_load": drain,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    from deploy.run import SERVICES, Stack
    from shared.broker import DockerKafka, EmbeddedBroker, free_port
    from shared.contracts.topics import all_topics_with_dlq
    from shared.messaging import ensure_topics
    from shared.testing import drop_postgres_databases, postgres_databases_for

    os.environ.setdefault(
        "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    broker: Any
    broker_restarts = args.broker_restarts if args.kafka == "docker" else 0
    if args.kafka == "docker":
        broker = DockerKafka().start()
        broker_kind = "Apache Kafka (testcontainers, KRaft), restarted during the load"
    else:
        broker = EmbeddedBroker(port=free_port()).start()
        broker_kind = (
            "embedded (Tansu, in memory): not restarted, it would lose its topics; "
            "--kafka docker restarts Apache Kafka where a Docker engine exists"
        )
    urls, databases = postgres_databases_for(list(SERVICES), prefix="chaos")
    prefix = f"chaos{uuid.uuid4().hex[:4]}-"
    stack = Stack(
        data_dir=REPORTS / f"chaos-data-{args.replicas}",
        bootstrap=broker.bootstrap_servers,
        database_urls=urls,
        extra_env={"LOG_LEVEL": "WARNING", "KAFKA_GROUP_PREFIX": prefix},
    )
    fleet = Fleet(stack, static_membership=args.static_membership)
    report: dict[str, Any] = {
        "replicas": args.replicas,
        "static_membership": args.static_membership,
        "database": "postgresql",
        "broker": broker_kind,
        "broker_restarts_asked": broker_restarts,
    }
    try:
        asyncio.run(ensure_topics(broker.bootstrap_servers, all_topics_with_dlq(), 6))
        for index in range(args.replicas):
            batch = [Replica(s, index, free_port()) for s in SERVICES]
            fleet.replicas.extend(batch)
            for replica in batch:
                fleet.start(replica)
            fleet.wait_healthy(batch)
        secret = os.environ.get("AUTH_SECRET", DEV_SECRET)
        load = asyncio.run(
            chaos_load(
                fleet,
                stations=args.stations,
                duration=args.duration,
                rate=args.rate,
                kills=args.kills,
                secret=secret,
                broker_restarts=broker_restarts,
                restart_broker=getattr(broker, "restart", None),
            )
        )
        orders = load.pop("orders")
        report["load"] = load
        report["checks"] = asyncio.run(check_databases(urls, orders))
        # from here on, time-driven work (the schedulers) is off: the checksums must show
        # what replaying and duplicates do, not what a reminder falling due does
        fleet.stop_all()
        fleet.extra_env["SCHEDULER"] = "false"
        before = {s: asyncio.run(checksums(u)) for s, u in urls.items()}
        phases(report, fleet, broker, urls, before, prefix)
    finally:
        fleet.stop_all()
        broker.stop()
        drop_postgres_databases(databases)
    return report


def phases(
    report: dict[str, Any],
    fleet: Fleet,
    broker: Any,
    urls: dict[str, str],
    before: dict[str, dict[str, str]],
    prefix: str,
) -> None:
    """Offset rewind, then duplicates and poison (after the load's checks)."""
    from deploy.run import SERVICES

    try:
        # offset rewind: every group from the beginning again
        groups = {}
        for service in SERVICES:
            consumer = __import__(f"services.{service}.app", fromlist=["definition"])
            groups[prefix + service] = list(consumer.definition.consumer.topics)
        # every group back to the earliest offset: the same services under fresh group ids
        # with auto_offset_reset=earliest (committing offset 0 into the old groups needs
        # every stale member's session to have expired first, which can take minutes)
        fleet.extra_env["KAFKA_GROUP_PREFIX"] = prefix + "rewound-"
        topic_names = sorted({t for ts in groups.values() for t in ts})
        log = asyncio.run(read_log(broker.bootstrap_servers, topic_names))
        per_topic = Counter(record.topic for record in log)
        whole_log = {s: sum(per_topic[t] for t in groups[prefix + s]) for s in SERVICES}
        for replica in fleet.replicas:
            fleet.start(replica)
        fleet.wait_healthy(fleet.replicas)
        started = time.monotonic()
        # replayed: each service has read its whole log again (counted, not guessed from a
        # lag that reads 0 before a fresh group has its partitions)
        asyncio.run(consumed_at_least(fleet, whole_log, timeout=600))
        replay = round(time.monotonic() - started, 1)
        asyncio.run(drained(fleet, timeout=300))
        after = {s: asyncio.run(checksums(u)) for s, u in urls.items()}
        report["rewind"] = {
            "events_replayed": whole_log,
            "seconds_to_replay": replay,
            "changed_tables": diff(before, after),
        }

        # duplicates and poison
        topics = {prefix + s: t for s, t in ((k[len(prefix) :], v) for k, v in groups.items())}
        ids = [r.headers and dict(r.headers).get("event_id") for r in log]
        republished = len(ids) - len(set(ids))
        baseline = asyncio.run(consumed(fleet))
        injected = asyncio.run(inject(broker.bootstrap_servers, log, topics))
        sent = Counter(injected.pop("duplicate_topics"))
        sent.update(injected["malformed_sent"])
        target = {
            s: baseline.get(s, 0) + sum(sent[t] for t in groups[prefix + s]) for s in SERVICES
        }
        started = time.monotonic()
        asyncio.run(consumed_at_least(fleet, target, timeout=300))
        asyncio.run(drained(fleet, timeout=300))
        settle = round(time.monotonic() - started, 1)
        final = {s: asyncio.run(checksums(u)) for s, u in urls.items()}
        letters = {
            s: asyncio.run(
                query(u, "SELECT topic, reason, count(*) n FROM dead_letter GROUP BY topic, reason")
            )
            for s, u in urls.items()
        }
        expected = {
            s: sum(injected["malformed_sent"].get(t, 0) for t in groups[prefix + s])
            for s in SERVICES
        }
        report["injection"] = {
            **injected,
            "events_in_log": len(log),
            "events_published_more_than_once_in_log": republished,
            "seconds_to_lag_zero": settle,
            "business_tables_changed": diff(
                before, final, ignore={"dead_letter", "outbox_message", "outbox_lane"}
            ),
            "dead_letters": {
                s: {f"{row['topic']}:{row['reason']}": row["n"] for row in rows}
                for s, rows in letters.items()
            },
            "dead_letters_expected": expected,
            "every_malformed_dead_lettered": all(
                sum(row["n"] for row in letters[s]) == expected[s] for s in SERVICES
            ),
        }
    except Exception as exc:  # keep what was measured; the verdict shows the phase failed
        report["error"] = repr(exc)


def diff(
    before: dict[str, dict[str, str]],
    after: dict[str, dict[str, str]],
    ignore: set[str] | None = None,
) -> dict[str, list[str]]:
    changed: dict[str, list[str]] = {}
    for service, tables in before.items():
        names = [
            t
            for t in sorted(set(tables) | set(after[service]))
            if t not in (ignore or set()) and tables.get(t) != after[service].get(t)
        ]
        if names:
            changed[service] = names
    return changed


def verdict(report: dict[str, Any]) -> list[tuple[str, bool, Any]]:
    load = report["load"]
    rows = [(name, check["ok"], check["value"]) for name, check in report["checks"].items()]
    lag = load["lag_zero_seconds_after_last_kill"]
    rows.append(("lag 0 within 60 s of the last kill", lag is not None and lag <= 60, lag))
    rows.append(
        (
            "lifecycles finished / started",
            load["completed"] == load["started"],
            f"{load['completed']}/{load['started']}",
        )
    )
    if report.get("broker_restarts_asked"):
        done = load["broker_restarts"]
        rows.append(
            (
                "broker restarts carried out",
                len(done) == report["broker_restarts_asked"],
                [r["seconds_until_back"] for r in done],
            )
        )
    if "error" in report:
        rows.append(("rewind and injection phases ran", False, report["error"]))
        return rows
    rows.append(
        (
            "rewind: tables changed",
            not report["rewind"]["changed_tables"],
            report["rewind"]["changed_tables"] or "none",
        )
    )
    injection = report["injection"]
    rows.append(
        (
            "duplicates: business tables changed",
            not injection["business_tables_changed"],
            injection["business_tables_changed"] or "none",
        )
    )
    rows.append(
        (
            "every malformed message dead-lettered",
            injection["every_malformed_dead_lettered"],
            injection["dead_letters"],
        )
    )
    rows.append(
        (
            "lag 0 after injection",
            injection["seconds_to_lag_zero"] is not None,
            injection["seconds_to_lag_zero"],
        )
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    # 100 restarts cost about 300 CPU-seconds (imports); over 480 s that is a third of the
    # two cores, over 240 s two thirds (docs/proof.md)
    parser.add_argument("--duration", type=float, default=480.0)
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument(
        "--rate",
        type=float,
        default=60.0,
        help="lifecycles per minute (default: about half of what the stack sustains here "
        "without kills, so that the run tests the faults, not an overload)",
    )
    parser.add_argument("--stations", type=int, default=2)
    parser.add_argument(
        "--kafka",
        choices=["embedded", "docker"],
        default="embedded",
        help="embedded: Tansu (in memory, never restarted); docker: Apache Kafka in a "
        "container (testcontainers), restarted --broker-restarts times during the load",
    )
    parser.add_argument("--broker-restarts", type=int, default=3)
    parser.add_argument(
        "--static-membership",
        action="store_true",
        help="replicas join with KAFKA_INSTANCE_ID=<service>-<n> (ADR 0009)",
    )
    args = parser.parse_args()
    REPORTS.mkdir(exist_ok=True)
    report = run(args)
    rows = verdict(report)
    report["verdict"] = [{"check": n, "ok": ok, "value": v} for n, ok, v in rows]
    name = f"chaos-{args.replicas}-replica{'s' if args.replicas > 1 else ''}"
    (REPORTS / f"{name}.json").write_text(json.dumps(report, indent=2, default=str))
    load = report["load"]
    print(
        f"\nchaos, {args.replicas} replica(s): {load['kills']} kills {load['kills_by_service']}, "
        f"{load['started']} lifecycles, desk retries {load['desk_retries']}"
    )
    for check, ok, value in rows:
        print(f"{'ok ' if ok else 'BAD'} {check:<55} {value}")
    print(f"report: {REPORTS / (name + '.json')}")
    if not all(ok for _, ok, _ in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
