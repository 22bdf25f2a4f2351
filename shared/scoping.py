"""Station scoping and paging for queries: the same rules in every service."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Query
from sqlalchemy import inspect as sa_inspect
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from shared.auth import Principal
from shared.errors import NotFound

T = TypeVar("T")


def at_visible_stations(
    query: SelectOfScalar[T], station_column: Any, user: Principal
) -> SelectOfScalar[T]:
    """Only the rows of the stations ``user`` may see (all of them for group users)."""
    stations = user.visible_stations()
    return query if stations is None else query.where(col(station_column).in_(stations))


async def count_rows(session: AsyncSession, query: SelectOfScalar[Any]) -> int:
    """How many rows ``query`` matches, before paging."""
    return int((await session.exec(select(func.count()).select_from(query.subquery()))).one())


async def get_visible(
    session: AsyncSession, model: type[T], record_id: Any, user: Principal, what: str
) -> T:
    """The record, or 404 when it does not exist *or* belongs to a station the user may not
    see (the answer is the same, so a station user learns nothing of other stations)."""
    record = await session.get(model, record_id)
    if record is None or not user.can_see(getattr(record, "station_id")):  # noqa: B009
        raise NotFound(what)
    return record


#: paging parameters of every list endpoint: a clear 422 for nonsense, never a 500
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="rows to skip")]
Limit = Annotated[int, Query(ge=1, le=200, description="rows to return (at most 200)")]


async def get_visible_for_update(
    session: AsyncSession, model: type[T], record_id: Any, user: Principal, what: str
) -> T:
    """Like ``get_visible``, but locked for the rest of the transaction (``FOR UPDATE`` on
    PostgreSQL; SQLite's writer lock already serialises) and read afresh, so a writer that
    waited for the lock sees what the one before it committed."""
    (key,) = sa_inspect(model).primary_key
    record = (
        await session.exec(
            select(model)
            .where(key == record_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).first()
    if record is None or not user.can_see(getattr(record, "station_id")):  # noqa: B009
        raise NotFound(what)
    return record
