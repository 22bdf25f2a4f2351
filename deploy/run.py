"""The embedded stack: broker, topics, the five services with demo data, one command.

    python -m deploy.run            (what `make up` runs)

Starts Tansu on 127.0.0.1:9092 (unless KAFKA_BOOTSTRAP_SERVERS points elsewhere), creates
every topic and its dead-letter topic, starts each service as its own process with its own
SQLite file under DATA_DIR (or the database in ``<SERVICE>_DATABASE_URL``), waits until all
report healthy, prints where to go, and on Ctrl-C stops everything in reverse order.
The cross-service tests start the same ``Stack`` on other ports.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.broker import EmbeddedBroker, port_open
from shared.contracts.topics import all_topics_with_dlq
from shared.demo import STATIONS, USERS
from shared.messaging import ensure_topics

ROOT = Path(__file__).resolve().parents[1]
SERVICES = {"reception": 8001, "workshop": 8002, "parts": 8003, "warranty": 8004, "crm": 8005}


@dataclass
class Stack:
    data_dir: Path
    ports: dict[str, int] = field(default_factory=lambda: dict(SERVICES))
    kafka_port: int = 9092
    bootstrap: str | None = None
    database_urls: dict[str, str] = field(default_factory=dict)
    seed: bool = True
    partitions: int = 6
    extra_env: dict[str, str] = field(default_factory=dict)
    #: the web console's port (None: no console)
    console_port: int | None = None
    broker: EmbeddedBroker | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        if service == "console":
            return f"http://127.0.0.1:{self.console_port}"
        return f"http://127.0.0.1:{self.ports[service]}"

    def start_broker(self) -> str:
        if self.bootstrap:
            return self.bootstrap
        if port_open("127.0.0.1", self.kafka_port):
            print(f"a broker already listens on 127.0.0.1:{self.kafka_port}; using it")
        else:
            self.broker = EmbeddedBroker(
                self.kafka_port, log_file=self.data_dir / "logs" / "broker.log"
            ).start()
        self.bootstrap = f"127.0.0.1:{self.kafka_port}"
        return self.bootstrap

    def service_env(self, name: str) -> dict[str, str]:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap or "",
            "DATA_DIR": str(self.data_dir),
            f"{name.upper()}_PORT": str(
                self.console_port if name == "console" else self.ports[name]
            ),
            # where the services are (the console calls them)
            **{f"{other.upper()}_URL": self.url(other) for other in self.ports},
            "SEED_DEMO_DATA": "true" if self.seed else "false",
            **self.extra_env,
        }
        if name in self.database_urls:
            env[f"{name.upper()}_DATABASE_URL"] = self.database_urls[name]
        return env

    def start_service(self, name: str) -> None:
        logs = self.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = open(logs / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"],
            cwd=ROOT,
            env=self.service_env(name),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill_service(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop(name)
        process.send_signal(sig)
        process.wait(timeout=30)

    def wait_healthy(self, names: list[str] | None = None, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        pending = set(names or self.processes)
        while pending and time.monotonic() < deadline:
            for name in sorted(pending):
                process = self.processes[name]
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with {process.returncode}; see "
                        f"{self.data_dir / 'logs' / (name + '.log')}"
                    )
                try:
                    if httpx.get(f"{self.url(name)}/health", timeout=2).status_code == 200:
                        pending.discard(name)
                except httpx.HTTPError:
                    pass
            time.sleep(0.3)
        if pending:
            raise TimeoutError(f"not healthy after {timeout}s: {sorted(pending)}")

    def start(self) -> Stack:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        bootstrap = self.start_broker()
        asyncio.run(ensure_topics(bootstrap, all_topics_with_dlq(), self.partitions))
        for name in self.ports:
            self.start_service(name)
        self.wait_healthy()
        if self.console_port is not None:
            self.start_service("console")
            self.wait_healthy(["console"])
        return self

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()
        if self.broker is not None:
            self.broker.stop()
            self.broker = None


def banner(stack: Stack) -> str:
    lines = ["", "aftersales is up. Services (OpenAPI at /docs, events at /asyncapi.json):"]
    if stack.console_port is not None:
        lines.append(f"  console    {stack.url('console')}   <- start here: sign in as a demo user")
    lines += [f"  {name:<10} {stack.url(name)}/docs" for name in stack.ports]
    lines += [
        f"  broker     {stack.bootstrap} (embedded Tansu, topics in memory)",
        f"  data       {stack.data_dir} (SQLite files, logs/)",
        "",
        "Demo sign-ins (password 'demo'):",
    ]
    for station in STATIONS:
        staff = sorted(
            u
            for u, user in USERS.items()
            if station.station_id in user.stations and not user.all_stations
        )
        lines.append(f"  {station.station_id} {station.name}: {', '.join(staff)}")
    lines += [
        "  group: group.manager, ops (operator)",
        "Token: make token LOGIN=advisor.bj01   ·   Stop: Ctrl-C",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    data_dir = Path(os.environ.get("DATA_DIR", ROOT / "data")).resolve()
    stack = Stack(
        data_dir=data_dir,
        console_port=int(os.environ.get("CONSOLE_PORT", "8000")),
        bootstrap=os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None,
        database_urls={
            name: os.environ[f"{name.upper()}_DATABASE_URL"]
            for name in SERVICES
            if os.environ.get(f"{name.upper()}_DATABASE_URL")
        },
    )
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        stack.start()
        print(banner(stack), flush=True)
        while not stopping:
            for name, process in list(stack.processes.items()):
                if process.poll() is not None:
                    print(f"{name} stopped (exit {process.returncode}); restarting", flush=True)
                    stack.start_service(name)
            time.sleep(1)
    finally:
        print("stopping ...", flush=True)
        stack.stop()
        print("stopped.", flush=True)


if __name__ == "__main__":
    main()
