"""Alembic environment shared by every service.

The service passes its connection and metadata in ``config.attributes``; versions live in
``shared/alembic/versions`` (platform tables, branch ``platform``) and in each service's
``migrations/versions`` (its own branch, depending on the platform's).
"""

from typing import Any, Literal

from alembic import context

from shared.db import StrEnumType, UtcDateTime

config = context.config
target_metadata = config.attributes.get("target_metadata")
connection = config.attributes.get("connection")

if connection is None:
    raise RuntimeError(
        "run migrations through shared.db.migrate (or `aftersales migrate SERVICE`), "
        "which hands alembic the service's connection"
    )


def render_item(kind: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Migrations store plain portable types: enums as strings, UTC times as ours."""
    if kind == "type" and isinstance(obj, StrEnumType):
        return "sa.String(30)"
    if kind == "type" and isinstance(obj, UtcDateTime):
        autogen_context.imports.add("import shared.db")
        return "shared.db.UtcDateTime()"
    return False


context.configure(
    connection=connection,
    render_item=render_item,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
