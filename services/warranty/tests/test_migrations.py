"""Warranty's migrations build exactly the tables its models declare."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.warranty.app import definition
from services.warranty.models import WarrantyTable
from shared.testing import run_service


async def test_migrations_match_the_models(tmp_path: Path) -> None:
    async with run_service(definition, tmp_path) as warranty:
        async with warranty.runtime.db.engine.connect() as connection:

            def diff(sync_connection: Any) -> list[Any]:
                context = MigrationContext.configure(
                    sync_connection, opts={"include_name": _warranty_tables_only}
                )
                return list(compare_metadata(context, WarrantyTable.metadata))

            changes = await connection.run_sync(diff)
    assert changes == [], "models changed: regenerate with `python -m shared.cli revision warranty`"


def _warranty_tables_only(name: str | None, type_: str, _parents: Any) -> bool:
    """The platform's tables share the database; they are not warranty's to declare."""
    return type_ != "table" or name in WarrantyTable.metadata.tables
