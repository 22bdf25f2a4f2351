"""In-process handler rate: a service's consumer fed directly, without broker or HTTP.

    python -m bench.handlers [--service all|workshop|warranty|crm] [--events 1000]
                             [--batch 100] [--stations 1] [--profile]

The service runs in-process (``shared.testing.run_service`` on faststream's test broker,
relay and scheduler off) on PostgreSQL when TEST_POSTGRES_URL is set, else SQLite. It is fed
``order.created`` events through ``EventConsumer.process_batch`` in batches as the Kafka
subscriber would hand them over, so the figure is the handler and database cost per event,
the part of the event rate a service's own code decides. ``--profile`` writes a cProfile
of the run to ``reports/handlers-<service>.prof`` and prints the top entries.
Writes reports/bench-handlers.json. Figures only, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib
import json
import pstats
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.events import order_events
from shared.messaging import Incoming
from shared.testing import drop_postgres_databases, postgres_databases_for, run_service

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports"
#: the services that consume ``order.created``
CONSUMERS = ("workshop", "warranty", "crm")


async def measure(
    service: str, database_url: str | None, count: int, batch: int, stations: int, profile: bool
) -> dict[str, Any]:
    definition = importlib.import_module(f"services.{service}.app").definition
    overrides: dict[str, Any] = {"relay": False, "scheduler": False}
    if database_url:
        overrides["database_url"] = database_url
    envelopes = order_events(count, stations)
    incoming = [
        Incoming(topic=e.type, value=e.to_bytes(), key=e.key(), partition=0, offset=i)
        for i, e in enumerate(envelopes)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        async with run_service(definition, Path(tmp), **overrides) as harness:
            consumer = harness.runtime.consumer
            # warm-up outside the figure: first statements compile, pools fill
            warm = order_events(batch, stations)
            await consumer.process_batch(
                [Incoming(topic=e.type, value=e.to_bytes(), key=e.key()) for e in warm]
            )
            profiler = cProfile.Profile() if profile else None
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            outcomes: list[str] = []
            for start in range(0, len(incoming), batch):
                outcomes += [
                    o.value for o in await consumer.process_batch(incoming[start : start + batch])
                ]
            if profiler:
                profiler.disable()
            elapsed = time.perf_counter() - started
    if profiler:
        REPORTS.mkdir(exist_ok=True)
        path = REPORTS / f"handlers-{service}.prof"
        profiler.dump_stats(path)
        pstats.Stats(str(path)).sort_stats("cumulative").print_stats(40)
    return {
        "service": service,
        "events": count,
        "batch": batch,
        "stations": stations,
        "handled": outcomes.count("handled"),
        "seconds": round(elapsed, 2),
        "rate": round(count / elapsed, 1),
        "ms_per_event": round(elapsed / count * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--service", default="all", choices=("all", *CONSUMERS))
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--stations", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    services = CONSUMERS if args.service == "all" else (args.service,)
    results = []
    for service in services:
        urls, databases = postgres_databases_for([service], prefix="benchh")
        try:
            result = asyncio.run(
                measure(
                    service,
                    urls.get(service),
                    args.events,
                    args.batch,
                    args.stations,
                    args.profile,
                )
            )
        finally:
            drop_postgres_databases(databases)
        result["database"] = "postgresql" if urls else "sqlite"
        results.append(result)
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "bench-handlers.json").write_text(json.dumps({"runs": results}, indent=2))
    print(f"{'service':<10} {'events':>7} {'batch':>6} {'events/s':>9} {'ms/event':>9}  database")
    for r in results:
        print(
            f"{r['service']:<10} {r['events']:>7} {r['batch']:>6} {r['rate']:>9} "
            f"{r['ms_per_event']:>9}  {r['database']}"
        )


if __name__ == "__main__":
    main()
