"""The parts service running in-process on faststream's test broker and SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.parts.app import definition
from shared.testing import ServiceHarness, run_service


@pytest.fixture
async def parts(tmp_path: Path) -> AsyncIterator[ServiceHarness]:
    async with run_service(definition, tmp_path) as harness:
        yield harness
