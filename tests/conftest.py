"""Fixtures of the cross-service suites (tests/e2e, tests/fuzz).

The whole system as separate processes on a real broker (and PostgreSQL when
TEST_POSTGRES_URL is set; SQLite files otherwise) — started by the same runner as `make up`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.run import SERVICES, Stack
from shared.broker import free_port, kafka_for_tests
from shared.testing import drop_postgres_databases, postgres_databases_for


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A broker of its own (unless KAFKA_BOOTSTRAP_SERVERS names one): the topics hold only
    this stack's events, not those the service tests published earlier in the run."""
    with kafka_for_tests() as bootstrap:
        yield from _stack(tmp_path_factory, bootstrap)


def _stack(tmp_path_factory: pytest.TempPathFactory, bootstrap: str) -> Iterator[Stack]:
    urls, databases = postgres_databases_for(list(SERVICES), prefix="e2e")
    data_dir: Path = tmp_path_factory.mktemp("stack")
    running = Stack(
        data_dir=data_dir,
        ports={name: free_port() for name in SERVICES},
        bootstrap=bootstrap,
        database_urls=urls,
        partitions=3,
        # own consumer groups: other stacks of this test run may share the broker
        extra_env={
            "RELAY_POLL_SECONDS": "0.05",
            "LOG_LEVEL": "WARNING",
            "KAFKA_GROUP_PREFIX": "e2e-",
        },
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()
        drop_postgres_databases(databases)
