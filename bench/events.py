"""Event-rate benchmark: each service's consume rate against a bare faststream hop.

    python -m bench.events [--events 2000] [--stations 1]       (`make bench`)

1. Baseline: a bare faststream subscriber that republishes every message (consume → publish)
   on the same broker; its rate and hop latency percentiles.
2. Per service: the real service processes (started by the same runner as `make up`, on
   PostgreSQL when TEST_POSTGRES_URL is set) are fed N valid events of a topic they consume,
   published as fast as the producer can; the rate is N over the time until the service's own
   `aftersales_events_consumed_total{outcome="handled"}` has grown by N.
Writes reports/bench-events.json and a PNG, prints a summary table. Not a test: figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker

from shared.contracts.envelope import Envelope
from shared.testing import an_order_created

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports"


async def bare_hop(bootstrap: str, count: int) -> dict[str, Any]:
    """The ceiling: consume → publish with nothing else, on the same broker."""
    from shared.messaging import ensure_topics

    suffix = uuid.uuid4().hex[:6]
    source, sink = f"bench.in.{suffix}", f"bench.out.{suffix}"
    await ensure_topics(bootstrap, [source, sink], partitions=6)
    broker = KafkaBroker(bootstrap, enable_idempotence=False, linger_ms=2, log_level=logging.DEBUG)
    publisher = broker.publisher(sink)
    latencies: list[float] = []
    done = asyncio.Event()

    @broker.subscriber(source, group_id=f"hop-{suffix}", auto_offset_reset="earliest")
    async def hop(body: dict[str, Any]) -> None:
        await publisher.publish(body, key=str(body["i"]).encode(), no_confirm=True)

    @broker.subscriber(sink, group_id=f"sink-{suffix}", auto_offset_reset="earliest")
    async def sink_handler(body: dict[str, Any]) -> None:
        latencies.append(time.perf_counter() - body["t"])
        if len(latencies) >= count:
            done.set()

    await broker.start()
    await asyncio.sleep(3)  # group joins
    started = time.perf_counter()
    for i in range(count):
        await broker.publish(
            {"i": i, "t": time.perf_counter()}, topic=source, key=str(i).encode(), no_confirm=True
        )
    await asyncio.wait_for(done.wait(), timeout=300)
    elapsed = time.perf_counter() - started
    await broker.stop()
    return {
        "messages": count,
        "seconds": round(elapsed, 2),
        "rate": round(count / elapsed, 1),
        **percentiles(latencies),
    }


def percentiles(samples: list[float]) -> dict[str, float]:
    """Count, p50/p95/p99 and mean of durations in seconds, in milliseconds."""
    ordered = sorted(samples)
    if not ordered:
        return {"count": 0}

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {
        "count": len(ordered),
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
    }


def handled(base_url: str, service: str, topic: str) -> float:
    text = httpx.get(f"{base_url}/metrics", timeout=10).text
    match = re.search(
        r'aftersales_events_consumed_total\{outcome="handled",service="'
        + service
        + r'",topic="'
        + re.escape(topic)
        + r'"\} ([0-9.e+]+)',
        text,
    )
    return float(match.group(1)) if match else 0.0


def order_events(count: int, stations: int) -> list[Envelope]:
    from decimal import Decimal

    from shared.contracts import events

    envelopes = []
    for i in range(count):
        labour = uuid.uuid4()
        order = an_order_created(
            order_no=f"RO-BENCH-{i:06d}",
            lines=[
                events.OrderLine(
                    line_id=labour,
                    kind=events.LineKind.LABOUR,
                    code="BRK-010",
                    description="brake pads",
                    hours=Decimal("1.2"),
                    unit_price=Decimal("300"),
                    pay_type=events.PayType.WARRANTY,
                ),
                events.OrderLine(
                    line_id=uuid.uuid4(),
                    kind=events.LineKind.PART,
                    code="1K0698151A",
                    description="pads",
                    quantity=Decimal("1"),
                    unit_price=Decimal("480"),
                    labour_line_id=labour,
                ),
            ],
        )
        station = "bj01" if stations == 1 or i % stations == 0 else f"st{i % stations:03d}"
        envelopes.append(
            Envelope.wrap(
                order, station_id=station, producer="bench", correlation_id=order.order_id
            )
        )
    return envelopes


async def feed(bootstrap: str, envelopes: list[Envelope]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=False, linger_ms=5, acks="all"
    )
    await producer.start()
    try:
        pending = [
            await producer.send(e.type, e.to_bytes(), key=e.key().encode()) for e in envelopes
        ]
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


def service_rate(stack: Any, service: str, topic: str, envelopes: list[Envelope]) -> dict[str, Any]:
    url = stack.url(service)
    before = handled(url, service, topic)
    started = time.perf_counter()
    asyncio.run(feed(stack.bootstrap, envelopes))
    target = before + len(envelopes)
    deadline = started + 600
    while handled(url, service, topic) < target and time.perf_counter() < deadline:
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    done = handled(url, service, topic) - before
    return {
        "service": service,
        "topic": topic,
        "events": len(envelopes),
        "handled": int(done),
        "seconds": round(elapsed, 2),
        "rate": round(done / elapsed, 1),
    }


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ["bare hop"] + [r["service"] for r in report["services"]]
    rates = [report["bare_hop"]["rate"]] + [r["rate"] for r in report["services"]]
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.bar(names, rates, color=["#888"] + ["#2a6"] * (len(names) - 1))
    ax.axhline(report["bare_hop"]["rate"] / 2, color="#c33", linestyle="--", label="50 % target")
    ax.set_ylabel("events / s")
    ax.set_title(f"Event rate per service ({report['database']}, {report['stations']} station(s))")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--stations", type=int, default=1)
    args = parser.parse_args()

    from deploy.run import SERVICES, Stack
    from shared.broker import EmbeddedBroker, free_port
    from shared.testing import drop_postgres_databases, postgres_databases_for

    REPORTS.mkdir(exist_ok=True)
    broker = EmbeddedBroker(port=free_port()).start()
    urls, databases = postgres_databases_for(list(SERVICES), prefix="bench")
    stack = Stack(
        data_dir=REPORTS / "bench-data",
        ports={n: free_port() for n in SERVICES},
        bootstrap=broker.bootstrap_servers,
        database_urls=urls,
        extra_env={"LOG_LEVEL": "WARNING"},
    )
    report: dict[str, Any] = {
        "database": "postgresql" if urls else "sqlite",
        "stations": args.stations,
        "cores": os.cpu_count(),
    }
    try:
        report["bare_hop"] = asyncio.run(bare_hop(broker.bootstrap_servers, args.events))
        stack.start()
        report["services"] = []
        for service in ("workshop", "warranty", "crm"):
            report["services"].append(
                service_rate(
                    stack, service, "order.created", order_events(args.events, args.stations)
                )
            )
        for row in report["services"]:
            row["ratio_to_bare"] = round(row["rate"] / report["bare_hop"]["rate"], 2)
    finally:
        stack.stop()
        broker.stop()
        drop_postgres_databases(databases)
    (REPORTS / "bench-events.json").write_text(json.dumps(report, indent=2))
    plot(report, REPORTS / "bench-events.png")
    bare = report["bare_hop"]
    print(
        f"\nbare faststream hop: {bare['rate']} msg/s, p50 {bare.get('p50_ms')} ms, "
        f"p99 {bare.get('p99_ms')} ms ({report['database']}, {report['cores']} cores)"
    )
    print(f"{'service':<10} {'topic':<15} {'events':>7} {'rate/s':>8} {'x bare':>7}  target ≥ 0.5")
    for row in report["services"]:
        mark = "ok" if row["ratio_to_bare"] >= 0.5 else "BELOW"
        print(
            f"{row['service']:<10} {row['topic']:<15} {row['handled']:>7} {row['rate']:>8} "
            f"{row['ratio_to_bare']:>7}  {mark}"
        )
    print(f"report: {REPORTS / 'bench-events.json'}, plot: {REPORTS / 'bench-events.png'}")


if __name__ == "__main__":
    main()
