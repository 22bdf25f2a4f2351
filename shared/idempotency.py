"""Idempotency keys: a write sent twice (a double click, a retry after a lost answer, a
desk that reloads) changes things once, and the second request gets the first answer.

A client sends ``Idempotency-Key: <up to 100 printable characters>`` on a POST, PUT, PATCH or
DELETE. The key (per signed-in user) is stored in the same transaction as the write it
guards, so the key and the effect commit together or not at all:
- a key seen before, for the same method and path: the stored answer is returned with
  ``Idempotent-Replayed: true`` (409 if the first request's answer could not be kept);
- the same key for another request: 422;
- two requests with one key at the same time: one writes, the other gets 409;
- a request that wrote nothing (refused, failed) leaves no key: it may be sent again.
"""

from __future__ import annotations

import contextvars
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Column, Text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db import Database, utc_column, utcnow
from shared.tables import PlatformTable

HEADER = "idempotency-key"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class IdempotencyKey(PlatformTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "idempotency_key"

    principal: str = Field(primary_key=True, max_length=80)
    key: str = Field(primary_key=True, max_length=100)
    method: str = Field(max_length=10)
    path: str = Field(max_length=500)
    created_at: datetime = Field(sa_column=utc_column(index=True))
    status_code: int | None = None
    response: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


@dataclass
class Claim:
    principal: str
    key: str
    method: str
    path: str
    claimed: bool = False


CURRENT: contextvars.ContextVar[Claim | None] = contextvars.ContextVar(
    "idempotency_claim", default=None
)


async def claim_before_commit(session: AsyncSession) -> None:
    """Database hook: the request's key joins the first transaction that commits."""
    claim = CURRENT.get()
    if claim is None or claim.claimed:
        return
    session.add(
        IdempotencyKey(
            principal=claim.principal,
            key=claim.key,
            method=claim.method,
            path=claim.path,
            created_at=utcnow(),
        )
    )
    claim.claimed = True
    await session.flush()


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        content={"detail": [{"msg": message, "type": "idempotency", "loc": ["header", HEADER]}]},
    )


def middleware(
    database: Callable[[Request], Database], principal_of: Callable[[Request], str | None]
) -> Callable[[Request, Any], Awaitable[Response]]:
    async def idempotent(request: Request, call_next: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None or request.method not in WRITES:
            return await call_next(request)
        if not 1 <= len(key) <= 100 or not key.isprintable():
            return _problem(422, "Idempotency-Key: 1 to 100 printable characters")
        principal = principal_of(request)
        if principal is None:
            return await call_next(request)  # not signed in: answered 401 as usual
        db = database(request)
        async with db.read() as session:
            seen = await session.get(IdempotencyKey, (principal, key))
        if seen is not None:
            if (seen.method, seen.path) != (request.method, request.url.path):
                return _problem(422, "this Idempotency-Key was used for another request")
            if seen.response is None or seen.status_code is None:
                return _problem(409, "this request was already carried out")
            return Response(
                seen.response,
                status_code=seen.status_code,
                media_type="application/json",
                headers={"Idempotent-Replayed": "true"},
            )
        claim = Claim(principal, key, request.method, request.url.path)
        token = CURRENT.set(claim)
        try:
            response: Response = await call_next(request)
        except IntegrityError:
            if claim.claimed:
                return _problem(409, "a request with this Idempotency-Key is being carried out")
            raise
        finally:
            CURRENT.reset(token)
        if not claim.claimed or not 200 <= response.status_code < 300:
            return response
        body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
        try:
            async with db.transaction() as session:
                row = await session.get(IdempotencyKey, (principal, key))
                if row is not None:
                    row.status_code = response.status_code
                    row.response = body.decode("utf-8", errors="replace")
                    session.add(row)
        except Exception:  # the write is done; only the replayed answer is lost (409 then)
            pass
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(body, status_code=response.status_code, headers=headers)

    return idempotent


def token_fingerprint(request: Request) -> str | None:
    """Fallback principal: a hash of the bearer token (used when it cannot be decoded)."""
    auth = request.headers.get("authorization")
    return hashlib.sha256(auth.encode()).hexdigest()[:40] if auth else None
