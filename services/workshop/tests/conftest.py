"""The workshop on faststream's test broker and SQLite, with its demo team and bays; its
scheduler runs when a test says so (``run_due``), on the test's driven clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.workshop.app import definition
from shared.testing import run_service


@pytest.fixture
async def workshop(tmp_path: Path):
    async with run_service(definition, tmp_path, seed_demo_data=True, scheduler=False) as harness:
        yield harness
