"""Fixtures of the crm tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.crm.app import definition
from shared.testing import run_service


@pytest.fixture
async def crm(tmp_path: Path):
    """CRM in-process on the test broker and SQLite; its scheduler runs when a test says so
    (``run_due``), on the test's driven clock."""
    async with run_service(definition, tmp_path, scheduler=False) as harness:
        yield harness
