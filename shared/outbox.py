"""Transactional outbox: stage events in the business transaction, publish them after.

``stage`` adds the event to the session the business change is in, so both commit or
neither does. ``OutboxRelay`` publishes committed rows in order per lane (a lane is a hash
of the message key, so one aggregate's events stay in order) and marks them published.
Replicas on PostgreSQL claim lanes with ``FOR UPDATE SKIP LOCKED``: a row is published by
one relay only. A crash between publish and mark re-publishes on restart (at least once);
consumers' inbox makes that harmless.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts.envelope import Envelope, Payload
from shared.db import Database, utcnow
from shared.observability import EVENTS_PUBLISHED, trace_headers
from shared.tables import OUTBOX_LANES, OutboxLane, OutboxMessage, OutboxState

log = logging.getLogger("aftersales.outbox")

#: publish(topic, key, value, headers): enqueues the message and returns an awaitable that
#: resolves when the broker has it (or None when the send was already confirmed)
Publish = Callable[[str, bytes, bytes, list[tuple[str, bytes]]], Awaitable[Any]]


def lane_of(key: str) -> int:
    """Stable lane for a message key (crc32: the same in every process and replica)."""
    return zlib.crc32(key.encode()) % OUTBOX_LANES


def envelope_headers(envelope: Envelope) -> dict[str, str]:
    headers = {
        "event_id": str(envelope.event_id),
        "event_type": envelope.type,
        "event_version": str(envelope.version),
        "station_id": envelope.station_id,
        "producer": envelope.producer,
    }
    if envelope.correlation_id:
        headers["correlation_id"] = str(envelope.correlation_id)
    headers.update(trace_headers())  # traceparent: the trace goes on in the consumer
    return headers


def stage(
    session: AsyncSession,
    envelope: Envelope,
    *,
    topic: str | None = None,
    key: str | None = None,
) -> OutboxMessage:
    """Add ``envelope`` to the outbox inside the caller's transaction."""
    row = outbox_row(envelope, topic=topic, key=key)
    session.add(row)
    return row


def outbox_row(
    envelope: Envelope, *, topic: str | None = None, key: str | None = None
) -> OutboxMessage:
    """The outbox row of ``envelope``, not yet added to a session."""
    key = key if key is not None else envelope.key()
    return OutboxMessage(
        event_id=envelope.event_id,
        event_type=envelope.type,
        topic=topic or envelope.type,
        key=key,
        lane=lane_of(key),
        value=envelope.to_bytes(),
        headers=json.dumps(envelope_headers(envelope)),
        created_at=utcnow(),
    )


def stage_raw(
    session: AsyncSession,
    *,
    topic: str,
    key: str,
    value: bytes,
    headers: dict[str, str],
    event_id: Any,
    event_type: str,
) -> OutboxMessage:
    """Add a message that is not an envelope (a dead letter's original bytes)."""
    row = OutboxMessage(
        event_id=event_id,
        event_type=event_type,
        topic=topic,
        key=key,
        lane=lane_of(key),
        value=value,
        headers=json.dumps(headers),
        created_at=utcnow(),
    )
    session.add(row)
    return row


@dataclass
class UnitOfWork:
    """One use case's transaction, and the events it raises (staged in the same commit)."""

    session: AsyncSession
    producer: str
    causation: Envelope | None = None
    emitted: list[Envelope] = field(default_factory=list)
    #: rebuilding a read model from history: events are not raised again
    silent: bool = False
    #: batch consumption: outbox rows are collected here and inserted together at the end
    #: of the batch (one statement for all, instead of one round trip per event)
    deferred: list[Any] | None = None

    @property
    def event(self) -> Envelope:
        """The event being handled (its station and time), for use cases run by a handler."""
        if self.causation is None:
            raise RuntimeError("this use case runs only while handling an event")
        return self.causation

    def emit(
        self,
        payload: Payload,
        *,
        station_id: str | None = None,
        correlation_id: Any = None,
    ) -> Envelope:
        if station_id is None:
            if self.causation is None:
                raise ValueError("station_id is required for an event not caused by another")
            station_id = self.causation.station_id
        envelope = Envelope.wrap(
            payload,
            station_id=station_id,
            producer=self.producer,
            correlation_id=correlation_id,
            causation=self.causation,
        )
        if self.silent:
            pass
        elif self.deferred is not None:
            self.deferred.append(outbox_row(envelope))
        else:
            stage(self.session, envelope)
        self.emitted.append(envelope)
        return envelope


class OutboxRelay:
    """Publishes committed outbox rows; one per service process (several per service OK)."""

    def __init__(
        self,
        db: Database,
        publish: Publish,
        *,
        poll_seconds: float = 0.25,
        batch_size: int = 200,
        max_backoff_seconds: float = 30.0,
        retention: timedelta = timedelta(days=7),
        service: str = "service",
    ) -> None:
        self.service = service
        self.db = db
        self.publish = publish
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.max_backoff_seconds = max_backoff_seconds
        self.retention = retention
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.published_total = 0
        self.failed_total = 0

    def wake(self) -> None:
        """Called after a commit: publish now instead of at the next poll."""
        self._wake.set()

    async def pending_lanes(self) -> list[int]:
        async with self.db.read() as session:
            result = await session.exec(
                select(OutboxMessage.lane)
                .where(OutboxMessage.state == OutboxState.PENDING)
                .distinct()
            )
            return list(result.all())

    async def backlog(self) -> int:
        async with self.db.read() as session:
            result = await session.exec(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.state == OutboxState.PENDING)
            )
            return int(result.one())

    async def run_once(self) -> int:
        """Publish what is pending in every lane this relay can claim; returns the count."""
        lanes = await self.pending_lanes()
        return await self._publish_lanes(lanes) if lanes else 0

    async def _publish_lanes(self, lanes: list[int]) -> int:
        """One pass: claim the free lanes, send their oldest rows pipelined, mark the sent.

        All claimed lanes share one transaction and one wait for the broker's acks (instead
        of a round trip per lane). Order holds per lane: a lane's rows are sent in id order,
        and only the prefix before a lane's first failure is marked published.
        """
        async with self.db.sessions() as session, session.begin():
            claimed = set(
                (
                    await session.exec(
                        select(OutboxLane.lane)
                        .where(col(OutboxLane.lane).in_(lanes))
                        .with_for_update(skip_locked=True)
                    )
                ).all()
            )
            if not claimed:
                return 0  # other replicas are publishing these lanes
            rows = (
                await session.exec(
                    select(OutboxMessage)
                    .where(
                        col(OutboxMessage.lane).in_(claimed),
                        OutboxMessage.state == OutboxState.PENDING,
                    )
                    .order_by(col(OutboxMessage.id))
                    .limit(self.batch_size)
                )
            ).all()
            now = utcnow()
            waiting: set[int] = set()  # lanes whose head row is backing off after a failure
            sendable = []
            for row in rows:
                if row.lane in waiting:
                    continue
                if row.next_attempt_at and row.next_attempt_at > now:
                    waiting.add(row.lane)
                    continue
                sendable.append(row)
            if not sendable:
                return 0
            results = await self._send_all(sendable)
            failed: dict[int, tuple[OutboxMessage, BaseException]] = {}
            sent_ids: list[Any] = []
            for row, error in zip(sendable, results, strict=True):
                if row.lane in failed:
                    continue  # sent again on the next pass, after the failed one
                if error is not None:
                    failed[row.lane] = (row, error)
                    continue
                sent_ids.append(row.id)
                EVENTS_PUBLISHED.labels(self.service, row.topic).inc()
            if sent_ids:
                await session.exec(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id).in_(sent_ids))
                    .values(
                        state=OutboxState.PUBLISHED,
                        published_at=now,
                        attempts=OutboxMessage.attempts + 1,
                        last_error=None,
                    )
                )
            for lane, (row, error) in failed.items():
                attempts = row.attempts + 1
                backoff = min(self.poll_seconds * 2**attempts, self.max_backoff_seconds)
                await session.exec(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id) == row.id)
                    .values(
                        attempts=attempts,
                        last_error=repr(error)[:2000],
                        next_attempt_at=now + timedelta(seconds=backoff),
                    )
                )
                self.failed_total += 1
                log.warning(
                    "outbox lane %s: publish of %s to %s failed (attempt %s), retry in %.1fs: %r",
                    lane,
                    row.event_id,
                    row.topic,
                    attempts,
                    backoff,
                    error,
                )
            self.published_total += len(sent_ids)
            return len(sent_ids)

    async def _send_all(self, rows: Any) -> list[BaseException | None]:
        """Enqueue every row first, then wait for the broker's acks (pipelined, in order)."""
        confirmations: list[Any] = []
        for row in rows:
            headers = [(k, v.encode()) for k, v in json.loads(row.headers).items()]
            try:
                confirmations.append(
                    await self.publish(row.topic, row.key.encode(), row.value, headers)
                )
            except Exception as exc:  # the producer refused before sending
                confirmations.append(exc)
        results: list[BaseException | None] = []
        for item in confirmations:
            if isinstance(item, BaseException):
                results.append(item)
                continue
            try:
                if inspect.isawaitable(item):
                    await item
                results.append(None)
            except Exception as exc:
                results.append(exc)
        return results

    async def purge_published(self) -> int:
        """Delete rows published longer ago than the retention (the broker has them)."""
        async with self.db.transaction() as session:
            result = await session.exec(
                delete(OutboxMessage).where(
                    col(OutboxMessage.state) == OutboxState.PUBLISHED,
                    col(OutboxMessage.published_at) < utcnow() - self.retention,
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def run(self) -> None:
        polls = 0
        while not self._stopping:
            try:
                count = await self.run_once()
                polls += 1
                if polls % 2400 == 0:
                    await self.purge_published()
            except Exception:
                log.exception("outbox relay pass failed; retrying")
                count = 0
            if count == 0:
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
                except TimeoutError:
                    pass
                self._wake.clear()

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self.run(), name="outbox-relay")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except TimeoutError:
                self._task.cancel()
            self._task = None
