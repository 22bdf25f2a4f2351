"""Load benchmark: whole repair-order lifecycles through the HTTP APIs of the running stack.

    python -m bench.lifecycle [--stations 1] [--duration 300] [--rate 0] [--concurrency 24]
                              [--sweep 1,10,100]                       (`make bench`)

Each lifecycle is what the desks do for one car: the advisor opens a signed order (check-in
data, labour + part) → the workshop makes the job and parts reserves the part → the parts
clerk issues it → the foreman dispatches → the technician clocks on and completes → the
inspector passes the car (→ ``vehicle.completed``) → reception settles, the cashier takes
payment, the advisor delivers (→ ``vehicle.delivered``) → CRM has the 72-hour call.
Lifecycles run spread over N stations (each new station is set up through the APIs the way
an onboarding would: technicians, parts bought from the registered supplier).

Reported (reports/bench-lifecycle*.json, a PNG, a table): lifecycles per minute, lifecycle
latency p50/p95/p99 and per step, HTTP latency per endpoint, events per second per service
and as a ratio to a bare faststream hop on the same broker, event hop latency (producing
commit → consuming commit, from the services' ``aftersales_event_hop_seconds``) per service,
CPU and memory per process, consumer lag and outbox backlog over time. Not a test: figures.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import re
import shutil
import string
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.events import percentiles
from shared.auth import Role, issue_token
from shared.settings import DEV_SECRET

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports"
PART = "1K0698151A"  # front brake pads, in the group catalogue

# -- identities -----------------------------------------------------------------------------


def station_ids(count: int) -> list[str]:
    demo = ["bj01", "sh01"]
    return demo[:count] + [f"st{n:03d}" for n in range(3, count + 1)]


ROLES = {
    "advisor": Role.SERVICE_ADVISOR,
    "cashier": Role.CASHIER,
    "foreman": Role.FOREMAN,
    "tech": Role.TECHNICIAN,
    "inspector": Role.INSPECTOR,
    "parts": Role.PARTS_CLERK,
    "manager": Role.SERVICE_MANAGER,
    "crm": Role.CRM_AGENT,
    "group": Role.GROUP_MANAGER,
}


class Identities:
    """Tokens for each desk of each station, signed like the group's identity provider."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self._cache: dict[tuple[str, str, str], dict[str, str]] = {}

    def headers(self, desk: str, station: str, user: str | None = None) -> dict[str, str]:
        key = (desk, station, user or "")
        if key not in self._cache:
            token = issue_token(
                self.secret,
                user_id=user or f"{desk}.{station}",
                name=f"{desk} {station}",
                role=ROLES[desk],
                stations=[station],
                all_stations=desk == "group",
            )
            self._cache[key] = {"Authorization": f"Bearer {token}"}
        return self._cache[key]


# -- VINs -----------------------------------------------------------------------------------

_TRANSLIT = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_CHARS = [c for c in string.ascii_uppercase + string.digits if c not in "IOQ"]


def make_vin(serial: int) -> str:
    """A valid 17-character VIN with its check digit (ISO 3779 / GB 16735)."""
    body = "LFV2A21K" + "_" + "G" + random.choice(_VIN_CHARS) + f"{serial % 1_000_000:06d}"
    total = sum(_TRANSLIT[c] * w for c, w in zip(body, _WEIGHTS, strict=True) if c != "_")
    check = total % 11
    return body.replace("_", "X" if check == 10 else str(check))


# -- the driver -----------------------------------------------------------------------------


@dataclass
class Figures:
    http: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    http_errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    steps: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    lifecycles: list[tuple[float, float]] = field(default_factory=list)  # (finished_at, secs)
    failures: list[str] = field(default_factory=list)
    started: int = 0


class Failed(Exception):
    pass


class Driver:
    def __init__(self, urls: dict[str, str], ids: Identities, figures: Figures) -> None:
        self.urls = urls
        self.ids = ids
        self.figures = figures
        self.client = httpx.AsyncClient(
            timeout=30, limits=httpx.Limits(max_connections=200, max_keepalive_connections=100)
        )
        self.serial = itertools.count(random.randrange(1_000_000))
        self.teams: dict[str, asyncio.Queue[str]] = {}

    async def close(self) -> None:
        await self.client.aclose()

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
        started = time.perf_counter()
        for attempt in range(3):
            try:
                response = await self.client.request(
                    method,
                    self.urls[service] + path,
                    json=body,
                    params=params,
                    headers=self.ids.headers(desk, station, user),
                )
                break
            except httpx.TransportError:
                # a kept-alive connection the server closed just as it was reused: a read,
                # or a write whose repeat is answered 409, is sent again; others are not
                # (they may have been done)
                if (method != "GET" and 409 not in expect) or attempt == 2:
                    raise
        name = f"{method} {service}{route}"
        self.figures.http[name].append(time.perf_counter() - started)
        if response.status_code not in expect:
            self.figures.http_errors[name] += 1
            raise Failed(f"{name}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    async def until(
        self,
        probe: Callable[[], Awaitable[Any]],
        what: str,
        timeout: float = 120.0,
        longest_pause: float = 0.5,
    ) -> Any:
        deadline = time.monotonic() + timeout
        delay = 0.05
        while time.monotonic() < deadline:
            found = await probe()
            if found:
                return found
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, longest_pause)
        raise Failed(f"timed out waiting for {what}")

    # -- one station's set-up ------------------------------------------------------------

    async def set_up_station(self, station: str, pads: int, technicians: int) -> None:
        """Technicians and parts for a station, through the APIs (idempotent enough).

        A technician works one job at a time, so each station gets a team as large as the
        lifecycles that may be in its workshop at once."""
        team: asyncio.Queue[str] = asyncio.Queue()
        for n in range(technicians):
            technician = f"tech.{station}.load{n}"
            await self.call(
                "POST",
                "workshop",
                "/technicians",
                "foreman",
                station,
                route="/technicians",
                body={
                    "technician_id": technician,
                    "station_id": station,
                    "name": f"技师 {n}",
                    "skills": ["mechanical", "electrical", "diagnosis"],
                },
                expect=(200, 201, 409),
            )
            team.put_nowait(technician)
        self.teams[station] = team
        suppliers = await self.call(
            "GET", "parts", "/suppliers", "parts", station, route="/suppliers"
        )
        rows = suppliers["data"] if isinstance(suppliers, dict) else suppliers
        supplier = rows[0]["id"]
        order = await self.call(
            "POST",
            "parts",
            "/purchase-orders",
            "parts",
            station,
            route="/purchase-orders",
            body={"supplier_id": supplier, "lines": [{"part_no": PART, "quantity": str(pads)}]},
        )
        po = order["id"]
        for step, desk in (("approval", "group"), ("sending", "parts")):
            order = await self.call(
                "POST",
                "parts",
                f"/purchase-orders/{po}/{step}",
                desk,
                station,
                route=f"/purchase-orders/{{id}}/{step}",
                body={"version": order.get("version")} if "version" in order else {},
                expect=(200, 201, 409),
            )
        await self.call(
            "POST",
            "parts",
            f"/purchase-orders/{po}/receipts",
            "parts",
            station,
            route="/purchase-orders/{id}/receipts",
            body={"lines": [{"part_no": PART, "quantity": str(pads)}]},
        )

    # -- one lifecycle ---------------------------------------------------------------------

    async def lifecycle(self, station: str) -> None:
        started = time.perf_counter()
        mark = started

        def step(name: str) -> None:
            nonlocal mark
            now = time.perf_counter()
            self.figures.steps[name].append(now - mark)
            mark = now

        serial = next(self.serial)
        vin = make_vin(serial)
        mileage = 30000 + serial % 50000
        order = await self.call(
            "POST",
            "reception",
            "/repair-orders",
            "advisor",
            station,
            route="/repair-orders",
            body=order_body(vin, serial),
        )
        order_id = order["id"]
        step("order")

        async def ready_job() -> Any:
            jobs = await self.call(
                "GET",
                "workshop",
                "/jobs",
                "foreman",
                station,
                route="/jobs?order_id",
                params={"order_id": order_id},
            )
            ready = [j for j in jobs["data"] if j["status"] == "ready"]
            return ready[0] if ready else None

        job = await self.until(ready_job, "the job ready (part reserved)")
        step("job ready")

        async def reservation() -> Any:
            rows = await self.call(
                "GET",
                "parts",
                "/reservations",
                "parts",
                station,
                route="/reservations?order_id",
                params={"order_id": order_id},
            )
            return rows["data"][0] if rows["data"] else None

        held = await self.until(reservation, "the reservation")
        await self.call(
            "POST",
            "parts",
            f"/reservations/{held['id']}/issues",
            "parts",
            station,
            route="/reservations/{id}/issues",
            body={"quantity": "1"},
        )
        step("part issued")
        job_path = f"/jobs/{job['id']}"
        technician = await self.teams[station].get()
        try:
            await self.call(
                "POST",
                "workshop",
                f"{job_path}/dispatch",
                "foreman",
                station,
                route="/jobs/{id}/dispatch",
                body={"technician_id": technician, "received_by": technician},
            )
            await self.call(
                "POST",
                "workshop",
                f"{job_path}/clock-on",
                "tech",
                station,
                route="/jobs/{id}/clock-on",
                user=technician,
            )
            await self.call(
                "POST",
                "workshop",
                f"{job_path}/completion",
                "tech",
                station,
                route="/jobs/{id}/completion",
                body={},
                user=technician,
            )
        finally:
            self.teams[station].put_nowait(technician)
        await self.call(
            "POST",
            "workshop",
            f"/orders/{order_id}/inspections",
            "inspector",
            station,
            route="/orders/{id}/inspections",
            body={"checklist": [{"item": "brakes", "ok": True}], "road_test": True},
        )
        step("workshop")

        async def settlement() -> Any:
            ro = await self.call(
                "GET",
                "reception",
                f"/repair-orders/{order_id}",
                "advisor",
                station,
                route="/repair-orders/{id}",
            )
            if ro["status"] != "completed":
                return None
            return await self.call(
                "GET",
                "reception",
                f"/repair-orders/{order_id}/settlement",
                "cashier",
                station,
                route="/repair-orders/{id}/settlement",
            )

        bill = await self.until(settlement, "vehicle.completed at reception")
        step("completed seen")
        if float(bill["balance"]) > 0:
            await self.call(
                "POST",
                "reception",
                f"/repair-orders/{order_id}/payments",
                "cashier",
                station,
                route="/repair-orders/{id}/payments",
                body={"method": "cash", "amount": str(bill["balance"])},
            )
        await self.call(
            "POST",
            "reception",
            f"/repair-orders/{order_id}/delivery",
            "advisor",
            station,
            route="/repair-orders/{id}/delivery",
            body={
                "customer_accepted": True,
                "signature": {"name": "客户", "typed_confirmation": "车辆、物品已检查无误"},
                "next_service_km": mileage + 10000,
            },
        )
        step("settled and delivered")

        async def follow_up() -> Any:
            rows = await self.call(
                "GET",
                "crm",
                "/follow-ups",
                "crm",
                station,
                route="/follow-ups?order_id",
                params={"order_id": order_id},
            )
            return rows["data"] if rows["data"] else None

        await self.until(follow_up, "the 72-hour follow-up call")
        step("follow-up planned")
        self.figures.lifecycles.append((time.time(), time.perf_counter() - started))


def order_body(vin: str, serial: int) -> dict[str, Any]:
    phone = f"139{serial % 100_000_000:08d}"
    return {
        "category": "repair",
        "customer": {"name": f"客户{serial}", "phone": phone},
        "vehicle": {"vin": vin, "plate": f"京Q{serial % 100000:05d}", "make": "FAW-VW"},
        "mileage_km": 30000 + serial % 50000,  # see lifecycle()
        "complaint": "制动时有异响",
        "lines": [
            {
                "ref": "brakes",
                "kind": "labour",
                "code": "BRK-020",
                "hours": "1.5",
                "description": "更换前制动片",
                "unit_price": "320",
                "pay_type": "customer",
                "skill": "mechanical",
                "major_system": "brakes",
            },
            {
                "kind": "part",
                "code": PART,
                "description": "前制动片",
                "quantity": "1",
                "unit_price": "480",
                "pay_type": "customer",
                "labour_ref": "brakes",
                "in_stock": True,  # the station was stocked up for the run
            },
        ],
        "signature": {"name": f"客户{serial}", "typed_confirmation": "同意以上维修项目和价格"},
    }


# -- sampling the services ------------------------------------------------------------------

_SAMPLE = re.compile(r"^(\w+)\{([^}]*)\} ([0-9.e+\-]+|NaN)$", re.M)


def parse_metrics(text: str) -> list[tuple[str, dict[str, str], float]]:
    rows = []
    for name, labels, value in _SAMPLE.findall(text):
        parsed = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        rows.append((name, parsed, float(value)))
    return rows


def process_usage(pid: int) -> tuple[float, float]:
    """(CPU seconds used so far, resident MiB) of a process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        cpu = (int(fields[11]) + int(fields[12])) / ticks
        rss_pages = int(fields[21])
        return cpu, rss_pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, IndexError, ValueError):
        return 0.0, 0.0


async def sample(client: httpx.AsyncClient, urls: dict[str, str]) -> dict[str, Any]:
    """Every process's figures, asked all at once (one slow process does not delay the
    others' sample)."""
    texts = await asyncio.gather(
        *(client.get(f"{url}/metrics", timeout=10) for url in urls.values()),
        return_exceptions=True,
    )
    out: dict[str, Any] = {}
    for service, answer in zip(urls, texts, strict=True):
        if not isinstance(answer, httpx.Response):
            out[service] = None
            continue
        rows = parse_metrics(answer.text)
        out[service] = {
            "handled": sum(
                v
                for n, labels, v in rows
                if n == "aftersales_events_consumed_total" and labels.get("outcome") == "handled"
            ),
            "lag": sum(v for n, _, v in rows if n == "aftersales_consumer_lag"),
            "backlog": sum(v for n, _, v in rows if n == "aftersales_outbox_backlog"),
            "hop_buckets": {
                labels["le"]: v
                for n, labels, v in _merge_buckets(rows, "aftersales_event_hop_seconds_bucket")
            },
        }
    return out


def _merge_buckets(
    rows: list[tuple[str, dict[str, str], float]], name: str
) -> list[tuple[str, dict[str, str], float]]:
    merged: dict[str, float] = defaultdict(float)
    for n, labels, v in rows:
        if n == name:
            merged[labels["le"]] += v
    return [(name, {"le": le}, v) for le, v in merged.items()]


def bucket_percentiles(before: dict[str, float], after: dict[str, float]) -> dict[str, Any]:
    """p50/p95/p99 (upper bucket bounds) of a histogram's growth between two samples."""
    bounds = sorted(
        ((float("inf") if le == "+Inf" else float(le)), le) for le in after if le in after
    )
    counts = [(b, after[le] - before.get(le, 0.0)) for b, le in bounds]
    total = counts[-1][1] if counts else 0.0
    if total <= 0:
        return {"events": 0}
    result: dict[str, Any] = {"events": int(total)}
    for q in (0.5, 0.95, 0.99):
        bound = next((b for b, c in counts if c >= q * total), float("inf"))
        result[f"p{int(q * 100)}_ms_le"] = None if bound == float("inf") else bound * 1000
    return result


# -- profiles -------------------------------------------------------------------------------


def start_profiles(
    pids: dict[str, int], directory: Path, seconds: float
) -> dict[str, tuple[subprocess.Popen[bytes], Path]]:
    """py-spy on every service process while the load runs (sampling; no code change)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        return {}
    directory.mkdir(parents=True, exist_ok=True)
    running = {}
    for name, pid in pids.items():
        if name == "broker":
            continue
        out = directory / f"profile-{name}.txt"
        running[name] = (
            subprocess.Popen(
                [
                    spy,
                    "record",
                    "--pid",
                    str(pid),
                    "--duration",
                    str(int(seconds)),
                    "--rate",
                    "50",
                    "--format",
                    "raw",
                    "--output",
                    str(out),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
            out,
        )
    return running


def finish_profiles(
    running: dict[str, tuple[subprocess.Popen[bytes], Path]],
) -> dict[str, Any]:
    """Per service: the functions the samples were in most (own time), as shares."""
    result: dict[str, Any] = {}
    for name, (process, out) in running.items():
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
        if not out.exists():
            continue
        own: dict[str, int] = defaultdict(int)
        areas: dict[str, int] = defaultdict(int)
        total = 0
        for line in out.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            total += n
            frames = stack.split(";")
            own[frames[-1]] += n
            areas[_area(frames)] += n
        if total:
            result[name] = {
                "samples": total,
                "top_own": [
                    {"frame": frame, "share": round(n / total, 3)}
                    for frame, n in sorted(own.items(), key=lambda kv: -kv[1])[:12]
                ],
                "by_area": {
                    area: round(n / total, 3)
                    for area, n in sorted(areas.items(), key=lambda kv: -kv[1])
                },
                "raw": str(out),
            }
    return result


def _area(frames: list[str]) -> str:
    """Where a sample's time went, by the innermost frame that names a known layer."""
    for frame in reversed(frames):
        for marker, area in (
            ("sqlalchemy", "SQLAlchemy ORM/core"),
            ("asyncpg", "asyncpg driver"),
            ("aiokafka", "Kafka client"),
            ("faststream", "faststream"),
            ("pydantic", "pydantic"),
            ("fastapi", "FastAPI/Starlette"),
            ("starlette", "FastAPI/Starlette"),
            ("uvicorn", "uvicorn"),
            ("opentelemetry", "tracing"),
            ("/shared/", "platform (shared/)"),
            ("/services/", "service code"),
        ):
            if marker in frame:
                return area
    return "event loop / idle"


# -- a run ----------------------------------------------------------------------------------


async def run_load(
    urls: dict[str, str],
    pids: dict[str, int],
    *,
    stations: int,
    duration: float,
    rate: float,
    concurrency: int,
    secret: str,
    profile_dir: Path | None = None,
) -> dict[str, Any]:
    figures = Figures()
    driver = Driver(urls, Identities(secret), figures)
    names = station_ids(stations)
    pads = max(50, int((rate or 900) * duration / 60 / len(names) * 1.5) + 20)
    team = max(2, -(-concurrency // len(names)) + 1)
    onboarding = asyncio.Semaphore(8)  # stations set up a few at a time, as people would

    async def set_up(station: str) -> None:
        async with onboarding:
            await driver.set_up_station(station, pads, team)

    await asyncio.gather(*(set_up(s) for s in names))
    timeline: list[dict[str, Any]] = []
    monitor = httpx.AsyncClient()
    first = await sample(monitor, urls)
    cpu_first = {name: process_usage(pid) for name, pid in pids.items()}
    profilers = start_profiles(pids, profile_dir, min(60.0, duration / 2)) if profile_dir else {}
    started = time.time()
    stop_at = time.monotonic() + duration
    station_cycle = itertools.cycle(names)
    in_flight: set[asyncio.Task[None]] = set()
    gate = asyncio.Semaphore(concurrency)

    async def one(station: str) -> None:
        try:
            await driver.lifecycle(station)
        except Failed as exc:
            figures.failures.append(str(exc))
        except httpx.HTTPError as exc:
            figures.failures.append(f"http: {exc!r}")
        finally:
            gate.release()

    async def launcher() -> None:
        interval = 60.0 / rate if rate > 0 else 0.0
        next_at = time.monotonic()
        while time.monotonic() < stop_at:
            await gate.acquire()
            if interval:
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                next_at += interval
            figures.started += 1
            task = asyncio.create_task(one(next(station_cycle)))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)

    async def watcher() -> None:
        previous = first
        while time.monotonic() < stop_at + 5:
            await asyncio.sleep(5)
            now = await sample(monitor, urls)
            row: dict[str, Any] = {
                "t": round(time.time() - started, 1),
                "completed": len(figures.lifecycles),
            }
            for service, values in now.items():
                if values and previous.get(service):
                    row[f"{service}_events_per_s"] = round(
                        (values["handled"] - previous[service]["handled"]) / 5, 1
                    )
                    row[f"{service}_lag"] = values["lag"]
                    row[f"{service}_backlog"] = values["backlog"]
            recent = [s for t, s in figures.lifecycles if t >= time.time() - 10]
            row["lifecycle_p95_ms_10s"] = percentiles(recent).get("p95_ms")
            timeline.append(row)
            previous = now

    watch = asyncio.create_task(watcher())
    await launcher()
    if in_flight:
        await asyncio.wait(in_flight, timeout=180)
    elapsed = time.time() - started
    await watch
    last = await sample(monitor, urls)
    cpu_last = {name: process_usage(pid) for name, pid in pids.items()}
    await monitor.aclose()
    await driver.close()
    completed = len(figures.lifecycles)
    profiles = finish_profiles(profilers)
    services: dict[str, Any] = {}
    for service in urls:
        if first.get(service) and last.get(service):
            handled = last[service]["handled"] - first[service]["handled"]
            services[service] = {
                "events": int(handled),
                "events_per_s": round(handled / elapsed, 1),
                "hop": bucket_percentiles(
                    first[service]["hop_buckets"], last[service]["hop_buckets"]
                ),
            }
    processes = {
        name: {
            "cpu_percent": round((cpu_last[name][0] - cpu_first[name][0]) / elapsed * 100, 1),
            "rss_mib": round(cpu_last[name][1], 1),
        }
        for name in pids
    }
    return {
        "stations": stations,
        "duration_s": round(elapsed, 1),
        "concurrency": concurrency,
        "rate_target_per_min": rate or "max",
        "started": figures.started,
        "completed": completed,
        "failed": len(figures.failures),
        "failures_sample": figures.failures[:10],
        "lifecycles_per_min": round(completed / elapsed * 60, 1),
        "lifecycle": percentiles([s for _, s in figures.lifecycles]),
        "per_station_per_min": round(completed / elapsed * 60 / stations, 2),
        "steps": {name: percentiles(v) for name, v in figures.steps.items()},
        "http": {name: percentiles(v) for name, v in sorted(figures.http.items())},
        "http_errors": dict(figures.http_errors),
        "services": services,
        "processes": processes,
        "profiles": profiles,
        "timeline": timeline,
    }


def plot(runs: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
    for run in runs:
        t = [row["t"] for row in run["timeline"]]
        done = [row["completed"] for row in run["timeline"]]
        per_min = [0.0] + [
            (b - a) / (tb - ta) * 60
            for (a, ta), (b, tb) in itertools.pairwise(zip(done, t, strict=True))
        ]
        label = f"{run['stations']} station(s)"
        axes[0].plot(t, per_min, label=label)
        axes[1].plot(t, [row.get("lifecycle_p95_ms_10s") or 0 for row in run["timeline"]])
        lag = [sum(v for k, v in row.items() if k.endswith("_lag")) for row in run["timeline"]]
        axes[2].plot(t, lag)
    axes[0].axhline(600, color="#c33", linestyle="--", label="target 600/min")
    axes[0].set_ylabel("lifecycles / min")
    axes[0].legend()
    axes[1].set_ylabel("lifecycle p95 (ms, 10 s)")
    axes[2].set_ylabel("consumer lag (msgs)")
    axes[2].set_xlabel("seconds")
    fig.tight_layout()
    fig.savefig(path)


def summary(report: dict[str, Any]) -> str:
    bare = report["bare_hop"]
    lines = [
        f"bare faststream hop: {bare['rate']} msg/s (p99 {bare.get('p99_ms')} ms) — "
        f"{report['database']}, {report['cores']} cores",
        f"{'stations':>8} {'started':>8} {'done':>6} {'failed':>6} {'per min':>8} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  target ≥ 600/min",
    ]
    for run in report["runs"]:
        life = run["lifecycle"]
        mark = "ok" if run["lifecycles_per_min"] >= 600 else "BELOW"
        lines.append(
            f"{run['stations']:>8} {run['started']:>8} {run['completed']:>6} {run['failed']:>6} "
            f"{run['lifecycles_per_min']:>8} {life.get('p50_ms', '-'):>8} "
            f"{life.get('p95_ms', '-'):>8} {life.get('p99_ms', '-'):>8}  {mark}"
        )
    lines.append(f"{'service':<10} {'events/s':>9} {'x bare':>7} {'hop p50':>8} {'hop p99':>8}")
    for run in report["runs"][:1]:
        for service, row in run["services"].items():
            ratio = round(row["events_per_s"] / bare["rate"], 3) if bare.get("rate") else None
            hop = row["hop"]
            lines.append(
                f"{service:<10} {row['events_per_s']:>9} {ratio!s:>7} "
                f"{hop.get('p50_ms_le')!s:>8} {hop.get('p99_ms_le')!s:>8}"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stations", default="1", help="one count, or a sweep: 1,10,100")
    parser.add_argument("--duration", type=float, default=300.0, help="seconds per run")
    parser.add_argument("--rate", type=float, default=0.0, help="lifecycles/min; 0 = max")
    parser.add_argument("--concurrency", type=int, default=24, help="lifecycles in flight")
    parser.add_argument("--bare-messages", type=int, default=3000)
    args = parser.parse_args()

    from bench.events import bare_hop
    from deploy.run import SERVICES, Stack
    from shared.broker import EmbeddedBroker, free_port
    from shared.testing import drop_postgres_databases, postgres_databases_for

    REPORTS.mkdir(exist_ok=True)
    counts = [int(n) for n in str(args.stations).split(",")]
    report: dict[str, Any] = {"cores": os.cpu_count(), "runs": []}
    for count in counts:
        # a fresh broker per run: the embedded broker keeps every topic in memory, and new
        # consumer groups read from the earliest offset, so on a shared broker each run
        # would first replay the previous runs' whole history into its fresh databases
        broker = EmbeddedBroker(port=free_port()).start()
        try:
            if "bare_hop" not in report:
                report["bare_hop"] = asyncio.run(
                    bare_hop(broker.bootstrap_servers, args.bare_messages)
                )
            urls_db, databases = postgres_databases_for(list(SERVICES), prefix="load")
            report["database"] = "postgresql" if urls_db else "sqlite"
            stack = Stack(
                data_dir=REPORTS / f"load-data-{count}",
                ports={n: free_port() for n in SERVICES},
                bootstrap=broker.bootstrap_servers,
                database_urls=urls_db,
                extra_env={"LOG_LEVEL": "WARNING", "KAFKA_GROUP_PREFIX": f"load{count}-"},
            )
            try:
                stack.start()
                urls = {name: stack.url(name) for name in SERVICES}
                pids = {name: p.pid for name, p in stack.processes.items()}
                if broker.process is not None:
                    pids["broker"] = broker.process.pid
                run = asyncio.run(
                    run_load(
                        urls,
                        pids,
                        stations=count,
                        duration=args.duration,
                        rate=args.rate,
                        concurrency=args.concurrency,
                        secret=os.environ.get("AUTH_SECRET", DEV_SECRET),
                        profile_dir=REPORTS / f"profiles-{count}",
                    )
                )
                report["runs"].append(run)
                # written after each run: a later run that fails keeps the earlier figures
                (REPORTS / "bench-lifecycle.json").write_text(
                    json.dumps(report, indent=2, default=str)
                )
            finally:
                stack.stop()
                drop_postgres_databases(databases)
        finally:
            broker.stop()
    name = "bench-lifecycle"
    (REPORTS / f"{name}.json").write_text(json.dumps(report, indent=2, default=str))
    plot(report["runs"], REPORTS / f"{name}.png")
    print()
    print(summary(report))
    print(f"report: {REPORTS / (name + '.json')}, plot: {REPORTS / (name + '.png')}")


if __name__ == "__main__":
    main()
