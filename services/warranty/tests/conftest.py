"""Fixtures of the warranty tests: a driven clock, the manufacturer simulator, the service."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.warranty import manufacturer
from services.warranty.app import definition
from services.warranty.manufacturer import ManufacturerSimulator
from services.warranty.seed import seed
from shared import clock
from shared.pytest_plugin import temporary_postgres_database
from shared.testing import ServiceHarness, run_service

#: the tests' "now": the day after the demo repair (2 March 2026)
NOW = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def driven() -> Iterator[clock.ManualClock]:
    with clock.driven(clock.ManualClock(NOW)) as manual:
        assert isinstance(manual, clock.ManualClock)
        yield manual


@pytest.fixture
def simulator() -> ManufacturerSimulator:
    return ManufacturerSimulator()


@pytest.fixture
async def warranty(
    tmp_path: Path, driven: clock.ManualClock, simulator: ManufacturerSimulator
) -> AsyncIterator[ServiceHarness]:
    # the scheduler loop is off: tests run due tasks themselves, at the times they choose.
    # WARRANTY_TEST_DB=postgres (with TEST_POSTGRES_URL) runs the whole suite on PostgreSQL.
    async with contextlib.AsyncExitStack() as stack:
        database: dict[str, str] = {}
        if os.environ.get("WARRANTY_TEST_DB") == "postgres":
            url = await stack.enter_async_context(temporary_postgres_database())
            database["database_url"] = url
        harness = await stack.enter_async_context(
            run_service(definition, tmp_path, scheduler=False, **database)
        )
        await seed(harness.runtime)
        previous = manufacturer.install(simulator)
        try:
            yield harness
        finally:
            manufacturer.install(previous)
