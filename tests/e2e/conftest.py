"""The whole system as separate processes on a real broker (and PostgreSQL when
TEST_POSTGRES_URL is set; SQLite files otherwise) — started by the same runner as `make up`."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from deploy.run import SERVICES, Stack
from shared.broker import free_port

pytestmark = pytest.mark.e2e


def _postgres_databases() -> tuple[dict[str, str], list[str]]:
    base = os.environ.get("TEST_POSTGRES_URL")
    if not base:
        return {}, []
    plain = base.replace("postgresql+asyncpg://", "postgresql://")
    server = plain.split("://", 1)[1].rsplit("/", 1)[0]
    names = {name: f"e2e_{name}_{uuid.uuid4().hex[:8]}" for name in SERVICES}
    asyncio.run(_execute(plain, [f'CREATE DATABASE "{db}"' for db in names.values()]))
    urls = {name: f"postgresql+asyncpg://{server}/{db}" for name, db in names.items()}
    return urls, list(names.values())


def _drop(databases: list[str]) -> None:
    if not databases:
        return
    plain = os.environ["TEST_POSTGRES_URL"].replace("postgresql+asyncpg://", "postgresql://")
    asyncio.run(
        _execute(plain, [f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)' for db in databases])
    )


async def _execute(url: str, statements: list[str]) -> None:
    conn = await asyncpg.connect(url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap: str) -> Iterator[Stack]:
    urls, databases = _postgres_databases()
    data_dir: Path = tmp_path_factory.mktemp("stack")
    running = Stack(
        data_dir=data_dir,
        ports={name: free_port() for name in SERVICES},
        bootstrap=kafka_bootstrap,
        database_urls=urls,
        partitions=3,
        extra_env={"RELAY_POLL_SECONDS": "0.05", "LOG_LEVEL": "WARNING"},
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()
        _drop(databases)
