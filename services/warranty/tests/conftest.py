"""Fixtures of the warranty tests: a driven clock, the manufacturer simulator, the service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.warranty import manufacturer
from services.warranty.app import definition
from services.warranty.manufacturer import ManufacturerSimulator
from services.warranty.seed import seed
from shared import clock
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
    # the scheduler loop is off: tests run due tasks themselves, at the times they choose
    async with run_service(definition, tmp_path, scheduler=False) as harness:
        await seed(harness.runtime)
        previous = manufacturer.install(simulator)
        try:
            yield harness
        finally:
            manufacturer.install(previous)
