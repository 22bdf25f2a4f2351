"""Fixtures of reception's service tests: the service on the test broker and SQLite, with a
clock the test drives (T0 = 2026-12-01 09:00 in Beijing, a Tuesday)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.reception.app import definition
from shared import clock
from shared.testing import ServiceHarness, run_service

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Beijing

#: the customer's acceptance at pickup: the advisor's tick and the customer's signature
ACCEPTED = {
    "customer_accepted": True,
    "signature": {"name": "张三", "typed_confirmation": "车辆、物品已检查无误"},
}


@pytest.fixture
def manual_clock() -> Iterator[clock.ManualClock]:
    with clock.driven(clock.ManualClock(T0)) as driven:
        assert isinstance(driven, clock.ManualClock)
        yield driven


@pytest.fixture
async def reception(
    tmp_path: Path, manual_clock: clock.ManualClock
) -> AsyncIterator[ServiceHarness]:
    async with run_service(definition, tmp_path) as harness:
        yield harness
