"""Benchmark (not a test): the foreman's board with 500 open jobs at one station.

Seeds one station with 500 open jobs in every board state (each with a part requested), 1,000
finished jobs and 20 technicians, then calls ``GET /board`` and prints latency percentiles.
Runs on SQLite, and on PostgreSQL too when TEST_POSTGRES_URL is set (a scratch database is
created and dropped). The target is 200 ms for the board.

    .venv/bin/python -m services.workshop.bench_board [--calls 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from services.workshop.app import definition
from services.workshop.domain import JobPartStatus, JobStatus, WorkshopOrderStatus
from services.workshop.models import Job, JobPart, Technician, WorkshopOrder
from shared.db import utcnow
from shared.testing import ServiceHarness, auth_headers, run_service

STATION = "bj01"
OPEN_JOBS = 500
DONE_JOBS = 1_000
#: how the open jobs spread over the board's columns
MIX = (
    (JobStatus.READY, 150),
    (JobStatus.WAITING_FOR_PARTS, 100),
    (JobStatus.DISPATCHED, 80),
    (JobStatus.IN_PROGRESS, 20),
    (JobStatus.PAUSED, 40),
    (JobStatus.WAITING_FOR_APPROVAL, 30),
    (JobStatus.IN_INSPECTION, 80),
)
SKILLS = ("mechanical", "electrical", "body", "paint", "diagnosis")


async def seed(workshop: ServiceHarness) -> None:
    now = utcnow()
    technicians = [
        Technician(
            id=f"bench.{STATION}.{n:02d}",
            station_id=STATION,
            name=f"bench technician {n}",
            skills=",".join({SKILLS[n % 5], SKILLS[(n + 1) % 5]}),
            certification_level=1 + n % 4,
        )
        for n in range(20)
    ]
    statuses = [status for status, count in MIX for _ in range(count)]
    assert len(statuses) == OPEN_JOBS
    statuses += [JobStatus.DONE] * DONE_JOBS
    orders: list[WorkshopOrder] = []
    jobs: list[Job] = []
    parts: list[JobPart] = []
    for index, status in enumerate(statuses):
        if index % 2 == 0:
            orders.append(
                WorkshopOrder(
                    order_id=uuid.uuid4(),
                    station_id=STATION,
                    order_no=f"RO-BENCH-{index:05d}",
                    vin=f"LFVBENCH{index:09d}"[:17],
                    complaint="bench",
                    promised_at=now + timedelta(minutes=index),
                    status=WorkshopOrderStatus.OPEN,
                    received_at=now,
                )
            )
        order = orders[-1]
        assigned = status not in (JobStatus.READY, JobStatus.WAITING_FOR_PARTS)
        job = Job(
            station_id=STATION,
            order_id=order.order_id,
            operation_code=f"OP-{index:05d}",
            description="bench operation",
            skill=SKILLS[index % 5],
            sold_hours=Decimal("1.5"),
            clocked_hours=Decimal("0.5") if assigned else Decimal("0"),
            status=status,
            waiting_reason="parts requested" if status == JobStatus.WAITING_FOR_PARTS else None,
            technician_id=technicians[index % 20].id if assigned else None,
            promised_at=order.promised_at,
            created_at=now,
            completed_at=now if status == JobStatus.DONE else None,
        )
        jobs.append(job)
        parts.append(
            JobPart(
                job_id=job.id,
                request_id=uuid.uuid4(),
                part_no=f"PN-{index % 300:04d}",
                quantity=Decimal("1"),
                status=JobPartStatus.REQUESTED
                if status == JobStatus.WAITING_FOR_PARTS
                else JobPartStatus.RESERVED,
            )
        )
    async with workshop.runtime.db.transaction() as session:
        for rows in (technicians, orders, jobs, parts):
            session.add_all(rows)
            await session.flush()


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def measure(label: str, data_dir: Path, calls: int, **overrides: Any) -> None:
    # only the HTTP side runs: no outbox relay or scheduler polling beside the measured calls
    async with run_service(
        definition, data_dir, seed_demo_data=True, relay=False, scheduler=False, **overrides
    ) as workshop:
        await seed(workshop)
        headers = auth_headers(f"foreman.{STATION}")
        first = await workshop.client.get("/board", headers=headers)
        first.raise_for_status()
        board = first.json()
        open_jobs = sum(column["count"] for column in board["columns"])
        assert open_jobs == OPEN_JOBS, open_jobs
        samples: list[float] = []
        cpu: list[float] = []  # this process's CPU time: the cost without the machine's load
        for _ in range(calls):
            started, cpu_started = time.perf_counter(), time.process_time()
            response = await workshop.client.get("/board", headers=headers)
            samples.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            response.raise_for_status()
        size = len(first.content) / 1024
        print(
            f"{label:<11} {open_jobs} open jobs, {calls} calls, {size:.0f} KiB: "
            f"p50 {percentile(samples, 0.5):.1f} ms  p90 {percentile(samples, 0.9):.1f} ms  "
            f"p95 {percentile(samples, 0.95):.1f} ms  p99 {percentile(samples, 0.99):.1f} ms  "
            f"max {max(samples):.1f} ms  mean {statistics.fmean(samples):.1f} ms  "
            f"(target p95 < 200 ms: {'met' if percentile(samples, 0.95) < 200 else 'MISSED'})\n"
            f"{'':<11} CPU per call: p50 {percentile(cpu, 0.5):.1f} ms  "
            f"p95 {percentile(cpu, 0.95):.1f} ms  (load average {os.getloadavg()[0]:.1f} "
            f"on {os.cpu_count()} cores)"
        )


async def main(calls: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        await measure("SQLite", Path(scratch) / "sqlite", calls)
        if os.environ.get("TEST_POSTGRES_URL"):
            from shared.pytest_plugin import temporary_postgres_database

            async with temporary_postgres_database() as url:
                await measure("PostgreSQL", Path(scratch) / "pg", calls, database_url=url)
        else:
            print("PostgreSQL  skipped: set TEST_POSTGRES_URL to measure it too")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=200, help="board requests to time")
    asyncio.run(main(parser.parse_args().calls))
