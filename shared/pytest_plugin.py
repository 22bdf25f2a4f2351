"""Pytest fixtures shared by all services' tests."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from shared.broker import kafka_for_tests


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """A real Kafka-protocol broker (env, testcontainers or the embedded Tansu)."""
    with kafka_for_tests() as servers:
        yield servers


@contextlib.asynccontextmanager
async def temporary_postgres_database() -> AsyncIterator[str]:
    """A fresh PostgreSQL database on TEST_POSTGRES_URL, dropped afterwards.

    Skips the test when TEST_POSTGRES_URL is unset. CI (.ci/run) always sets it, so there
    these tests run; a local run without PostgreSQL reports them as skipped.
    """
    import asyncpg

    base = os.environ.get("TEST_POSTGRES_URL")
    if not base:
        pytest.skip("TEST_POSTGRES_URL is not set")
    plain = base.replace("postgresql+asyncpg://", "postgresql://")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(plain)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    server = plain.split("://", 1)[1].rsplit("/", 1)[0]
    try:
        yield f"postgresql+asyncpg://{server}/{name}"
    finally:
        admin = await asyncpg.connect(plain)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    async with temporary_postgres_database() as url:
        yield url
