"""Pytest fixtures shared by all services' tests."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest

from shared.broker import kafka_for_tests


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """A real Kafka-protocol broker (env, testcontainers or the embedded Tansu)."""
    with kafka_for_tests() as servers:
        yield servers


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database per test, when TEST_POSTGRES_URL is set; else skipped.

    CI sets TEST_POSTGRES_URL, so these tests run there; locally they are reported as skipped.
    """
    import uuid

    import asyncpg

    base = os.environ.get("TEST_POSTGRES_URL")
    if not base:
        pytest.skip("TEST_POSTGRES_URL is not set")
    plain = base.replace("postgresql+asyncpg://", "postgresql://")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(plain)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    head, _, _ = plain.rpartition("/")
    try:
        yield f"postgresql+asyncpg://{head.split('://', 1)[1]}/{name}"
    finally:
        admin = await asyncpg.connect(plain)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
