"""Consuming events: inbox, retries, dead letters; and the Kafka broker set-up.

Every service registers typed handlers on one ``EventConsumer``. For each message it:
1. parses the envelope and the payload contract; bad bytes or an unknown/invalid contract go
   straight to ``<topic>.dlq`` (with the error in the headers and the original bytes as
   value) and to the service's ``dead_letter`` table;
2. runs the handler in one transaction together with the inbox row of the event id, so a
   redelivered event is skipped and effects + staged events + inbox commit as one;
3. retries a failing handler with exponential backoff, then dead-letters it;
4. returns, and only then is the offset committed (at least once). If even dead-lettering
   fails (database down), the message is not acknowledged and will be delivered again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from shared.contracts import topics
from shared.contracts.envelope import Envelope, Payload, UnknownEvent
from shared.db import Database, utcnow
from shared.errors import DomainError
from shared.kafka_security import security_from_env
from shared.observability import EVENT_HOP_SECONDS, EVENTS_CONSUMED, consuming
from shared.outbox import UnitOfWork, stage_raw
from shared.tables import DeadLetter, DeadLetterState, ProcessedEvent

log = logging.getLogger("aftersales.consumer")

Handler = Callable[[UnitOfWork, Any], Awaitable[None]]


class Outcome(StrEnum):
    HANDLED = "handled"
    DUPLICATE = "duplicate"
    DEAD_LETTERED = "dead_lettered"


@dataclass(frozen=True)
class Incoming:
    """A message as it came off the wire."""

    topic: str
    value: bytes
    key: str | None = None
    partition: int | None = None
    offset: int | None = None
    headers: tuple[tuple[str, str], ...] = ()


class OffsetCommitter:
    """Commits the offsets of handled messages in the background, every ``interval``.

    Committing after each message costs a broker round trip per event; committing what has
    been *handled* (never what was merely fetched) every half second keeps at least once:
    after a crash at most the last interval is read again, and the inbox skips it.
    """

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self._pending: dict[Any, dict[Any, int]] = {}
        self._task: asyncio.Task[None] | None = None

    def processed(self, consumer: Any, topic: str, partition: int, offset: int) -> None:
        if consumer is None or not hasattr(consumer, "commit"):
            return
        from aiokafka import TopicPartition

        self._pending.setdefault(consumer, {})[TopicPartition(topic, partition)] = offset + 1

    async def flush(self) -> None:
        pending, self._pending = self._pending, {}
        for consumer, offsets in pending.items():
            try:
                assigned = set(consumer.assignment()) if hasattr(consumer, "assignment") else None
                mine = {tp: o for tp, o in offsets.items() if assigned is None or tp in assigned}
                if mine:
                    await consumer.commit(mine)
            except Exception as exc:  # a rebalance: the new owner re-reads, the inbox skips
                log.info("offset commit skipped (%r); those messages may be read again", exc)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.flush()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="offset-committer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()


class EventConsumer:
    """The typed handlers of one service, and the inbox/retry/DLQ rules around them."""

    def __init__(
        self,
        service_name: str,
        *,
        max_attempts: int = 5,
        backoff_seconds: float = 0.2,
    ) -> None:
        self.service_name = service_name
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self._handlers: dict[tuple[str, int], Handler] = {}
        self._db: Database | None = None
        self.counts: dict[str, int] = {outcome.value: 0 for outcome in Outcome}
        self.offsets = OffsetCommitter()

    # -- registration -------------------------------------------------------------------

    def handles(self, *payload_types: type[Payload]) -> Callable[[Handler], Handler]:
        """Decorator: ``fn(uow, payload)`` handles these contracts (versions side by side)."""

        def register(fn: Handler) -> Handler:
            for payload_type in payload_types:
                self._handlers[(payload_type.event_type, payload_type.event_version)] = fn
            return fn

        return register

    @property
    def topics(self) -> list[str]:
        return sorted({event_type for event_type, _ in self._handlers})

    def bind(self, db: Database) -> None:
        """Attach to the running service's database (a new runtime starts fresh counts)."""
        self._db = db
        self.counts = {outcome.value: 0 for outcome in Outcome}

    @property
    def db(self) -> Database:
        if self._db is None:
            raise RuntimeError("EventConsumer.bind(db) was not called")
        return self._db

    def subscribe(
        self,
        broker: KafkaBroker,
        group_id: str | None = None,
        *,
        max_records: int = 100,
        instance_id: str | None = None,
    ) -> None:
        """One consumer-group subscription over all handled topics, read in batches.

        Up to ``max_records`` messages that are already waiting are handled in one
        transaction (``process_batch``); offsets are committed by ``self.offsets`` after the
        work, never before. ``instance_id`` makes this replica a static member of its group
        (see ``ServiceSettings.kafka_instance_id``).
        """
        if not self._handlers:
            return

        @broker.subscriber(
            *self.topics,
            group_id=group_id or self.service_name,
            ack_policy=AckPolicy.MANUAL,
            auto_offset_reset="earliest",
            batch=True,
            max_records=max_records,
            batch_timeout_ms=100,
            # the broker answers an empty fetch after this long: lower than the 500 ms
            # default, so an event that arrives just after a fetch waits less (hop latency)
            fetch_max_wait_ms=100,
            # a killed member's partitions wait for its session to expire: 6 s instead of
            # 10 s (measured on the embedded broker: a new member is assigned ~11 s after a
            # kill -9 instead of ~18 s); heartbeats run on their own task every 1.5 s
            session_timeout_ms=6000,
            heartbeat_interval_ms=1500,
            # static membership: a replica killed and restarted within the session takes
            # its own partitions back without a rebalance; the other replicas' partitions
            # never stop (measured on the embedded broker: one reassignment instead of two)
            group_instance_id=instance_id,
            title=f"{self.service_name}:{','.join(self.topics)}",
            description=f"Events {self.service_name} reacts to",
        )
        async def on_messages(message: KafkaMessage) -> None:
            raw: Any = message.raw_message
            records = tuple(raw) if isinstance(raw, (list, tuple)) else (raw,)
            if not records:
                return
            try:
                await self.process_batch([incoming_from_record(r) for r in records])
            except Exception:
                # not even dead-lettering worked (database down): read them again, later
                log.exception("%s: batch not handled; it will be read again", self.service_name)
                await message.nack()
                await asyncio.sleep(self.backoff_seconds)
                return
            consumer = getattr(message, "consumer", None)
            for record in records:
                self.offsets.processed(consumer, record.topic, record.partition, record.offset)

    # -- processing ---------------------------------------------------------------------

    async def process(
        self,
        incoming: Incoming,
        *,
        redrive_of: uuid.UUID | None = None,
        rebuilding: bool = False,
    ) -> Outcome:
        """Handle one message. ``rebuilding``: re-derive state from history without raising
        events again (a read-model rebuild must not re-announce what was announced)."""
        outcome = await self._process(incoming, redrive_of, rebuilding)
        self.counts[outcome.value] += 1
        EVENTS_CONSUMED.labels(self.service_name, incoming.topic, outcome.value).inc()
        return outcome

    async def process_batch(self, batch: list[Incoming]) -> list[Outcome]:
        """Handle messages in one transaction: one inbox query, one commit for all of them.

        Optimistic: if anything in the batch fails (a handler error, a domain rejection, a
        duplicate raced in by another replica, a message that must be dead-lettered), the
        whole transaction is rolled back and the batch is handled again message by message
        with the retry and dead-letter rules of ``process``. Order within a partition is kept
        either way.
        """
        prepared: list[tuple[Incoming, Envelope, Payload, Handler]] = []
        for incoming in batch:
            try:
                envelope = Envelope.from_bytes(incoming.value)
                handler = self._handlers[(envelope.type, envelope.version)]
                prepared.append((incoming, envelope, envelope.open(), handler))
            except (ValueError, KeyError, ValidationError, UnknownEvent):
                break  # the slow path dead-letters it with the right reason
        if len(prepared) < len(batch) or len(batch) == 1:
            return [await self.process(incoming) for incoming in batch]
        outcomes: list[Outcome] = []
        # the batch's inbox and outbox rows: inserted together after the last handler
        deferred: list[Any] = []
        try:
            async with self.db.transaction() as session:
                ids = [envelope.event_id for _, envelope, _, _ in prepared]
                seen = set(
                    (
                        await session.exec(
                            select(ProcessedEvent.event_id).where(
                                col(ProcessedEvent.event_id).in_(ids)
                            )
                        )
                    ).all()
                )
                for incoming, envelope, payload, handler in prepared:
                    if envelope.event_id in seen:
                        outcomes.append(Outcome.DUPLICATE)
                        continue
                    seen.add(envelope.event_id)
                    correlation = str(envelope.correlation_id) if envelope.correlation_id else None
                    with consuming(
                        self.service_name, incoming.topic, dict(incoming.headers), correlation
                    ):
                        await handler(
                            UnitOfWork(
                                session,
                                self.service_name,
                                causation=envelope,
                                deferred=deferred,
                            ),
                            payload,
                        )
                    deferred.append(
                        ProcessedEvent(
                            event_id=envelope.event_id,
                            event_type=envelope.type,
                            processed_at=utcnow(),
                        )
                    )
                    outcomes.append(Outcome.HANDLED)
                session.add_all(deferred)
                await session.flush()
        except Exception as exc:
            log.info(
                "%s: batch of %s rolled back (%r); handling one by one",
                self.service_name,
                len(batch),
                exc,
            )
            return [await self.process(incoming) for incoming in batch]
        committed = utcnow()
        for (incoming, envelope, _, _), outcome in zip(prepared, outcomes, strict=True):
            self.counts[outcome.value] += 1
            EVENTS_CONSUMED.labels(self.service_name, incoming.topic, outcome.value).inc()
            if outcome is Outcome.HANDLED:
                self._observe_hop(incoming.topic, envelope, committed)
        return outcomes

    def _observe_hop(self, topic: str, envelope: Envelope, committed: Any) -> None:
        hop = (committed - envelope.occurred_at).total_seconds()
        if hop >= 0:
            EVENT_HOP_SECONDS.labels(self.service_name, topic).observe(hop)

    async def _process(
        self, incoming: Incoming, redrive_of: uuid.UUID | None, rebuilding: bool = False
    ) -> Outcome:
        try:
            envelope = Envelope.from_bytes(incoming.value)
        except ValueError as exc:
            return await self._dead_letter(incoming, "parse", exc, None, 0, redrive_of)
        handler = self._handlers.get((envelope.type, envelope.version))
        if handler is None:
            error = UnknownEvent(
                f"{self.service_name} has no handler for {envelope.type} v{envelope.version}"
            )
            return await self._dead_letter(incoming, "contract", error, envelope, 0, redrive_of)
        try:
            payload = envelope.open()
        except (ValidationError, UnknownEvent) as exc:
            return await self._dead_letter(incoming, "contract", exc, envelope, 0, redrive_of)

        correlation = str(envelope.correlation_id) if envelope.correlation_id else None
        with consuming(self.service_name, incoming.topic, dict(incoming.headers), correlation):
            return await self._handle(incoming, envelope, payload, handler, redrive_of, rebuilding)

    async def _handle(
        self,
        incoming: Incoming,
        envelope: Envelope,
        payload: Payload,
        handler: Handler,
        redrive_of: uuid.UUID | None,
        rebuilding: bool = False,
    ) -> Outcome:
        last_error: Exception | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                async with self.db.transaction() as session:
                    if await session.get(ProcessedEvent, envelope.event_id) is not None:
                        return Outcome.DUPLICATE
                    uow = UnitOfWork(
                        session,
                        self.service_name,
                        causation=envelope,
                        silent=rebuilding,
                    )
                    await handler(uow, payload)
                    session.add(
                        ProcessedEvent(
                            event_id=envelope.event_id,
                            event_type=envelope.type,
                            processed_at=utcnow(),
                        )
                    )
                    await session.flush()
                if redrive_of is not None:
                    await self._mark_redriven(redrive_of)
                elif not rebuilding:
                    self._observe_hop(incoming.topic, envelope, utcnow())
                return Outcome.HANDLED
            except DomainError as exc:
                return await self._dead_letter(
                    incoming, "rejected", exc, envelope, attempt, redrive_of
                )
            except IntegrityError as exc:
                if await self._already_processed(envelope.event_id):
                    return Outcome.DUPLICATE  # a concurrent delivery won the race
                last_error = exc
            except Exception as exc:
                last_error = exc
            log.warning(
                "%s: handling %s %s failed (attempt %s/%s): %r",
                self.service_name,
                envelope.type,
                envelope.event_id,
                attempt,
                self.max_attempts,
                last_error,
            )
            if attempt < self.max_attempts:
                await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))
        assert last_error is not None
        return await self._dead_letter(
            incoming, "handler", last_error, envelope, self.max_attempts, redrive_of
        )

    async def _already_processed(self, event_id: uuid.UUID) -> bool:
        async with self.db.read() as session:
            return await session.get(ProcessedEvent, event_id) is not None

    async def _dead_letter(
        self,
        incoming: Incoming,
        reason: str,
        error: Exception,
        envelope: Envelope | None,
        attempts: int,
        redrive_of: uuid.UUID | None,
    ) -> Outcome:
        message = f"{type(error).__name__}: {error}"[:4000]
        log.error(
            "%s: dead-lettering message from %s (%s): %s",
            self.service_name,
            incoming.topic,
            reason,
            message,
        )
        async with self.db.transaction() as session:
            if redrive_of is not None:
                letter = await session.get(DeadLetter, redrive_of)
                if letter is not None:
                    letter.error = message
                    letter.reason = reason
                    letter.attempts += attempts
                    letter.failed_at = utcnow()
                    session.add(letter)
                    return Outcome.DEAD_LETTERED
            letter = DeadLetter(
                topic=incoming.topic,
                partition=incoming.partition,
                offset=incoming.offset,
                key=incoming.key,
                raw=incoming.value,
                reason=reason,
                error=message,
                event_id=envelope.event_id if envelope else None,
                event_type=envelope.type if envelope else None,
                attempts=attempts,
                failed_at=utcnow(),
            )
            session.add(letter)
            headers = {
                "dlq_reason": reason,
                "dlq_error": message,
                "dlq_topic": incoming.topic,
                "dlq_partition": str(incoming.partition),
                "dlq_offset": str(incoming.offset),
                "dlq_consumer_group": self.service_name,
                "dlq_attempts": str(attempts),
            }
            stage_raw(
                session,
                topic=topics.dlq(incoming.topic),
                key=incoming.key or str(letter.id),
                value=incoming.value,
                headers=headers,
                event_id=letter.id,
                event_type=topics.dlq(incoming.topic),
            )
        return Outcome.DEAD_LETTERED

    async def _mark_redriven(self, letter_id: uuid.UUID) -> None:
        async with self.db.transaction() as session:
            letter = await session.get(DeadLetter, letter_id)
            if letter is not None:
                letter.state = DeadLetterState.REDRIVEN
                letter.redriven_at = utcnow()
                session.add(letter)

    # -- dead letters -------------------------------------------------------------------

    async def dead_letters(self, *, include_redriven: bool = False) -> list[DeadLetter]:
        async with self.db.read() as session:
            query = select(DeadLetter).order_by(col(DeadLetter.failed_at))
            if not include_redriven:
                query = query.where(DeadLetter.state == DeadLetterState.DEAD)
            return list((await session.exec(query)).all())

    async def redrive(self, letter_id: uuid.UUID) -> Outcome:
        """Run a dead letter through the handlers again (after a fix or a new contract)."""
        async with self.db.read() as session:
            letter = await session.get(DeadLetter, letter_id)
        if letter is None or letter.state != DeadLetterState.DEAD:
            raise LookupError(f"no open dead letter {letter_id}")
        return await self.process(
            Incoming(
                topic=letter.topic,
                value=letter.raw,
                key=letter.key,
                partition=letter.partition,
                offset=letter.offset,
            ),
            redrive_of=letter.id,
        )


def incoming_from_record(record: Any) -> Incoming:
    """An ``Incoming`` from an aiokafka ``ConsumerRecord``."""
    key = getattr(record, "key", None)
    headers = tuple(
        (name, value.decode(errors="replace") if isinstance(value, bytes) else str(value))
        for name, value in (getattr(record, "headers", None) or ())
    )
    value = record.value
    return Incoming(
        topic=record.topic,
        value=value if isinstance(value, bytes) else (value or b""),
        key=key.decode(errors="replace") if isinstance(key, bytes) else key,
        partition=getattr(record, "partition", None),
        offset=getattr(record, "offset", None),
        headers=headers,
    )


def make_broker(bootstrap_servers: str, client_id: str) -> KafkaBroker:
    """The Kafka broker client every service uses.

    ``acks="all"`` so a published outbox row is durable before it is marked; no idempotent
    producer and no transactions (not needed: the outbox and inbox give at least once with
    no double effect, and the embedded broker does not offer them).
    """
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        security=security_from_env(),
        acks="all",
        enable_idempotence=False,
        request_timeout_ms=15000,
        linger_ms=2,
        graceful_timeout=10.0,
    )


def broker_publisher(broker: KafkaBroker) -> Callable[..., Awaitable[Any]]:
    """An outbox ``Publish`` that sends raw bytes through the service's broker."""

    async def publish(
        topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]
    ) -> Any:
        return await broker.publish(
            value,
            topic=topic,
            key=key,
            headers={name: raw.decode() for name, raw in headers},
            no_confirm=True,
        )

    return publish


async def ensure_topics(
    bootstrap_servers: str, names: list[str], partitions: int = 6, replication_factor: int = 1
) -> None:
    """Create the topics that do not exist yet (idempotent; safe at every start)."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **admin_security())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in names if name not in existing]
        if missing:
            try:
                await admin.create_topics(
                    [
                        NewTopic(
                            name, num_partitions=partitions, replication_factor=replication_factor
                        )
                        for name in missing
                    ]
                )
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()


def admin_security() -> dict[str, Any]:
    """aiokafka client keyword arguments for the configured security (admin/plain clients)."""
    security = security_from_env()
    if security is None:
        return {}
    kwargs: dict[str, Any] = {"ssl_context": security.ssl_context}
    username = getattr(security, "username", None)
    kwargs["security_protocol"] = (
        ("SASL_SSL" if security.use_ssl else "SASL_PLAINTEXT") if username else "SSL"
    )
    if username:
        mechanism = {"SASLScram512": "SCRAM-SHA-512", "SASLScram256": "SCRAM-SHA-256"}.get(
            type(security).__name__, "PLAIN"
        )
        kwargs.update(
            sasl_mechanism=mechanism,
            sasl_plain_username=username,
            sasl_plain_password=getattr(security, "password", None),
        )
    return kwargs
