"""Database bootstrap: async engine, sessions, one unit of work, migrations on start.

Each service owns one database (SQLite file embedded, PostgreSQL in production) and declares
its tables on its own SQLModel base with its own registry (``class XTable(SQLModel,
registry=registry())``), so that no service's tables leak into another's database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Column, DateTime, Numeric, String, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator
from sqlmodel.ext.asyncio.session import AsyncSession

ALEMBIC_DIR = Path(__file__).parent / "alembic"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(
    url: str, *, pool_size: int = 5, max_overflow: int = 5, pool_timeout: float = 30.0
) -> AsyncEngine:
    """An async engine tuned for its backend.

    SQLite: WAL, a busy timeout, and ``BEGIN IMMEDIATE`` so that concurrent writers in one
    process queue up instead of failing with "database is locked" on lock upgrade.
    PostgreSQL: a bounded pool (the machine has two cores; a few connections per process).
    """
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_pre_ping=True,
        pool_recycle=1800,
    )


class Database:
    """Sessions and the unit of work of one service."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
        self._after_commit: list[Callable[[], None]] = []
        self._before_commit: list[Callable[[AsyncSession], Awaitable[None]]] = []

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def before_commit(self, hook: Callable[[AsyncSession], Awaitable[None]]) -> None:
        """Run ``hook(session)`` at the end of every unit of work, inside its transaction."""
        self._before_commit.append(hook)

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after every committed unit of work (wakes the outbox relay)."""
        self._after_commit.append(callback)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: everything inside commits together or not at all."""
        async with self.sessions() as session, session.begin():
            yield session
            for hook in self._before_commit:
                await hook(session)
        for callback in self._after_commit:
            callback()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config(version_locations: list[Path], metadata: list[Any]) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ALEMBIC_DIR))
    locations = [ALEMBIC_DIR / "versions", *version_locations]
    cfg.set_main_option("version_locations", " ".join(str(p) for p in locations))
    cfg.set_main_option("path_separator", "space")
    cfg.attributes["target_metadata"] = metadata
    return cfg


async def migrate(db: Database, version_locations: list[Path], metadata: list[Any]) -> None:
    """Bring the service's database to the newest schema (platform tables + its own).

    On PostgreSQL an advisory lock makes replicas that start together migrate one at a time.
    """
    cfg = alembic_config(version_locations, metadata)

    def _upgrade(connection: Connection) -> None:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")

    async with db.engine.connect() as conn:
        if db.dialect == "postgresql":
            await conn.execute(text("SELECT pg_advisory_lock(727274)"))
            await conn.commit()
        try:
            await conn.run_sync(_upgrade)
            await conn.commit()
        finally:
            if db.dialect == "postgresql":
                await conn.execute(text("SELECT pg_advisory_unlock(727274)"))
                await conn.commit()


async def wait_for_database(db: Database, attempts: int = 30, delay: float = 1.0) -> None:
    """Retry the first connection: in compose/k8s the database may start after us."""
    for attempt in range(attempts):
        try:
            await db.ping()
            return
        except Exception:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(delay)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC time is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_column(*, nullable: bool = False, index: bool = False) -> Column[Any]:
    """A column for a ``datetime`` field that must stay aware UTC."""
    return Column(UtcDateTime(), nullable=nullable, index=index)


def money_column(*, nullable: bool = False) -> Column[Any]:
    """Money and quantities: exact decimals (two places for yuan, three for quantities)."""
    return Column(Numeric(14, 3), nullable=nullable)


def utcnow() -> datetime:
    """Now, from the process's clock (``shared.clock``: drivable in tests)."""
    from shared import clock

    return clock.now()


class StrEnumType(TypeDecorator[Any]):
    """A StrEnum stored as its value in a plain string column (no native DB enum types:
    adding a state later must not need an ALTER TYPE)."""

    impl = String(30)
    cache_ok = True

    def __init__(self, enum: type[StrEnum]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else self.enum(value)


def enum_column(enum: type[StrEnum], *, nullable: bool = False, index: bool = False) -> Column[Any]:
    return Column(StrEnumType(enum), nullable=nullable, index=index)
