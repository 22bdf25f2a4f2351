"""The workshop on faststream's test broker and SQLite, with its demo team and bays; its
scheduler runs when a test says so (``run_due``), on the test's driven clock.

``WORKSHOP_TESTS_ON_POSTGRES=1`` (with ``TEST_POSTGRES_URL``) runs every one of these tests on
a fresh PostgreSQL database instead of SQLite (``test_postgres.py`` always does)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

from services.workshop.app import definition
from shared.pytest_plugin import temporary_postgres_database
from shared.testing import run_service


@pytest.fixture
async def workshop(tmp_path: Path):
    async with contextlib.AsyncExitStack() as stack:
        database: dict[str, str] = {}
        if os.environ.get("WORKSHOP_TESTS_ON_POSTGRES") == "1":
            url = await stack.enter_async_context(temporary_postgres_database())
            database["database_url"] = url
        harness = await stack.enter_async_context(
            run_service(definition, tmp_path, seed_demo_data=True, scheduler=False, **database)
        )
        yield harness
