"""One way to assemble and start a service.

A service describes itself with a ``ServiceDefinition`` (name, port, its tables, its
migrations, its routers, its event handlers, the events it publishes); ``create_app`` turns
that into a FastAPI app with: settings from the environment, its own database (migrated on
start), a faststream ``KafkaBroker`` started in the lifespan, the outbox relay, the
consumer (inbox + retries + DLQ), ``/health``, ``/docs``, ``/asyncapi.json``, ``/auth/token``
(demo logins) and ``/admin`` (dead letters, outbox).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, create_model
from sqlalchemy import MetaData, func
from sqlalchemy import delete as sa_delete
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import col, select
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared import clock, idempotency
from shared.auth import CurrentUser, Principal, Role, decode_token, issue_token, require_role
from shared.clock import OffsetClock
from shared.contracts.envelope import Envelope, Payload
from shared.db import Database, create_engine, migrate, wait_for_database
from shared.demo import DEMO_PASSWORD, USERS
from shared.errors import DomainError
from shared.messaging import EventConsumer, Incoming, broker_publisher, make_broker
from shared.observability import (
    CONSUMER_LAG,
    DEAD_LETTERS,
    OUTBOX_BACKLOG,
    REQUESTS_SHED,
    SCHEDULED_PENDING,
    configure_tracing,
    http_middleware,
)
from shared.outbox import OutboxRelay, UnitOfWork
from shared.scheduler import TaskScheduler
from shared.settings import ServiceSettings, load_settings
from shared.tables import DeadLetter, DeadLetterState, PlatformTable, ProcessedEvent

log = logging.getLogger("aftersales.app")


@dataclass
class ServiceDefinition:
    """What makes one service different from the others; everything else is shared."""

    name: str
    port: int
    title: str
    metadata: MetaData
    migrations: Path
    routers: list[APIRouter]
    consumer: EventConsumer
    publishes: list[type[Payload]] = field(default_factory=list)
    on_startup: list[Callable[[Runtime], Awaitable[None]]] = field(default_factory=list)
    #: tables that are pure projections of other services' events (rebuildable from topics)
    read_models: list[Any] = field(default_factory=list)
    #: the topics those read models are built from
    read_model_topics: list[str] = field(default_factory=list)
    #: the service's scheduled-task handlers (follow-ups, reminders, expiries)
    scheduler: TaskScheduler | None = None
    #: loads the demo data (idempotent); run on start when SEED_DEMO_DATA=true
    seed: Callable[[Runtime], Awaitable[None]] | None = None


class Runtime:
    """The live parts of one running service, shared by its routes and handlers."""

    def __init__(
        self, definition: ServiceDefinition, settings: ServiceSettings, broker: KafkaBroker
    ) -> None:
        self.definition = definition
        self.settings = settings
        self.broker = broker
        self.db = Database(
            create_engine(
                settings.resolved_database_url(),
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
                pool_timeout=settings.db_pool_timeout,
            )
        )
        self.consumer = definition.consumer
        self.consumer.max_attempts = settings.handler_max_attempts
        self.consumer.backoff_seconds = settings.handler_backoff_seconds
        self.consumer.bind(self.db)
        self.relay = OutboxRelay(
            self.db,
            broker_publisher(broker),
            poll_seconds=settings.relay_poll_seconds,
            batch_size=settings.relay_batch_size,
            service=definition.name,
        )
        self.db.on_commit(self.relay.wake)
        self.scheduler = definition.scheduler
        if self.scheduler is not None:
            self.scheduler.bind(self.db)
        self._previous_clock: clock.Clock | None = None
        if settings.clock_control and not isinstance(clock.current(), OffsetClock):
            self._previous_clock = clock.install(OffsetClock())
        self.producer_connected = False
        #: "joining" | "joined" | "failed": the consumers join their groups after start-up
        self.consumers = "joining"
        self._joining: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def unit_of_work(self, causation: Envelope | None = None) -> AsyncIterator[UnitOfWork]:
        """One use case: state change and the events it raises commit together."""
        async with self.db.transaction() as session:
            yield UnitOfWork(session, self.settings.service_name, causation=causation)

    async def start(self) -> None:
        await wait_for_database(self.db)
        if self.settings.run_migrations:
            await migrate(
                self.db,
                [self.definition.migrations],
                [PlatformTable.metadata, self.definition.metadata],
            )
        for hook in self.definition.on_startup:
            await hook(self)
        if self.settings.seed_demo_data and self.definition.seed is not None:
            await self.definition.seed(self)
        await self._with_retries(self.broker.connect)
        self.producer_connected = True
        self.consumer.offsets.start()
        if self.settings.relay:
            self.relay.start()
        if self.scheduler is not None and self.settings.scheduler:
            self.scheduler.start(self.settings.scheduler_poll_seconds)
        # Joining the consumer groups waits for the group's rebalance (3 s on a quiet broker,
        # a session timeout when a member died): the API and the relay need only the
        # producer, so they serve meanwhile (a restarted replica answers seconds sooner).
        self._joining = asyncio.create_task(self._join_consumer_groups())

    async def _join_consumer_groups(self) -> None:
        try:
            await self._with_retries(self.broker.start)
            self.consumers = "joined"
        except Exception:
            log.exception("the consumers could not join their groups; /health says so")
            self.consumers = "failed"

    async def consumers_ready(self) -> None:
        """Wait until the consumers have joined their groups (tests; the API need not)."""
        if self._joining is not None:
            await asyncio.shield(self._joining)

    async def _with_retries(self, step: Callable[[], Awaitable[Any]]) -> None:
        for attempt in range(1, 31):
            try:
                await step()
                return
            except Exception as exc:
                if attempt == 30:
                    raise
                log.warning("broker not reachable yet (%r), retrying", exc)
                await asyncio.sleep(min(attempt, 5))

    async def stop(self) -> None:
        if self._joining is not None and not self._joining.done():
            self._joining.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._joining
        if self.scheduler is not None:
            await self.scheduler.stop()
        await self.relay.stop()
        await self.consumer.offsets.stop()
        if self.producer_connected:
            await self.broker.stop()
        await self.db.dispose()
        if self._previous_clock is not None:
            clock.install(self._previous_clock)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def documented_envelope(payload: type[Payload]) -> type[BaseModel]:
    """The envelope with this payload's schema, for AsyncAPI and the contract snapshot."""
    model: type[BaseModel] = create_model(
        f"{payload.__name__}Event",
        __base__=Envelope,
        __doc__=payload.__doc__ or payload.event_type,
        payload=(payload, ...),
    )
    return model


def _platform_router(definition: ServiceDefinition) -> APIRouter:
    router = APIRouter()

    @router.get("/health", tags=["platform"], summary="database and broker reachability")
    async def health(runtime: RuntimeDep) -> JSONResponse:
        checks: dict[str, Any] = {"service": definition.name}
        healthy = True
        try:
            await runtime.db.ping()
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"down: {exc}"
            healthy = False
        try:
            ok = runtime.producer_connected and await runtime.broker.ping(timeout=3.0)
            checks["broker"] = "ok" if ok else "down"
            healthy = healthy and bool(ok)
        except Exception as exc:
            checks["broker"] = f"down: {exc}"
            healthy = False
        # the API serves while the consumers join; a consumer that could not join at all
        # makes the replica unhealthy (restart it)
        checks["consumers"] = runtime.consumers
        healthy = healthy and runtime.consumers != "failed"
        if checks["database"] == "ok":
            checks["outbox_backlog"] = await runtime.relay.backlog()
        checks["status"] = "ok" if healthy else "degraded"
        return JSONResponse(checks, status_code=200 if healthy else 503)

    @router.get("/metrics", tags=["platform"], include_in_schema=False)
    async def metrics(runtime: RuntimeDep) -> Response:
        name = definition.name
        try:
            OUTBOX_BACKLOG.labels(name).set(await runtime.relay.backlog())
            DEAD_LETTERS.labels(name).set(len(await runtime.consumer.dead_letters()))
            if runtime.scheduler is not None:
                SCHEDULED_PENDING.labels(name).set(await runtime.scheduler.pending())
        except Exception as exc:  # metrics must answer even when the database does not
            log.warning("metrics: database figures unavailable: %r", exc)
        # only the partitions assigned now: one handed to another replica by a rebalance
        # must not keep reporting the lag it had here
        lags = await consumer_lag(runtime.broker)
        CONSUMER_LAG.clear()
        for topic, partition, lag in lags:
            CONSUMER_LAG.labels(name, topic, str(partition)).set(lag)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @router.get("/asyncapi.json", tags=["platform"], summary="AsyncAPI of this service's topics")
    async def asyncapi(runtime: RuntimeDep) -> JSONResponse:
        spec = AsyncAPI(runtime.broker, title=definition.title, version="1.0.0").to_specification()
        return JSONResponse(spec.to_jsonable())

    @router.post("/auth/token", tags=["platform"], summary="demo sign-in (password: demo)")
    async def token(
        runtime: RuntimeDep,
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
    ) -> dict[str, str]:
        import os

        if os.environ.get("DEMO_LOGINS", "true").lower() in ("0", "false", "no"):
            raise HTTPException(status.HTTP_404_NOT_FOUND, "demo sign-in is switched off")
        user = USERS.get(username)
        if user is None or password != DEMO_PASSWORD:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown user or wrong password")
        return {
            "access_token": issue_token(
                runtime.settings.auth_secret,
                user_id=user.username,
                name=user.name,
                role=user.role,
                stations=user.stations,
                all_stations=user.all_stations,
            ),
            "token_type": "bearer",
            "role": user.role.value,
        }

    @router.get("/auth/me", tags=["platform"])
    async def me(user: CurrentUser) -> dict[str, Any]:
        return {
            "user_id": user.user_id,
            "name": user.name,
            "role": user.role.value,
            "stations": list(user.stations),
            "all_stations": user.all_stations,
        }

    operator = Depends(require_role(Role.OPERATOR, Role.GROUP_MANAGER))

    @router.get("/admin/dead-letters", tags=["operations"], dependencies=[operator])
    async def list_dead_letters(
        runtime: RuntimeDep, include_redriven: bool = False
    ) -> list[dict[str, Any]]:
        letters = await runtime.consumer.dead_letters(include_redriven=include_redriven)
        return [
            {
                "id": str(letter.id),
                "topic": letter.topic,
                "partition": letter.partition,
                "offset": letter.offset,
                "reason": letter.reason,
                "error": letter.error,
                "event_id": str(letter.event_id) if letter.event_id else None,
                "event_type": letter.event_type,
                "attempts": letter.attempts,
                "state": letter.state.value,
                "failed_at": letter.failed_at.isoformat(),
                "raw": letter.raw.decode(errors="replace")[:2000],
            }
            for letter in letters
        ]

    @router.post(
        "/admin/dead-letters/{letter_id}/redrive", tags=["operations"], dependencies=[operator]
    )
    async def redrive(runtime: RuntimeDep, letter_id: uuid.UUID) -> dict[str, str]:
        try:
            outcome = await runtime.consumer.redrive(letter_id)
        except LookupError as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
        return {"id": str(letter_id), "outcome": outcome.value}

    @router.post("/admin/replay", tags=["operations"], dependencies=[operator])
    async def replay(
        runtime: RuntimeDep,
        request: Request,
        topic: str,
        partition: int | None = None,
        offset: int | None = None,
        rebuilding: bool = False,
    ) -> dict[str, str]:
        """Hand one message (the request body, as it was on the topic) to this service's
        consumer: the inbox skips what was already handled (used by `aftersales replay`).
        ``rebuilding``: state is re-derived but no event is raised again."""
        if topic not in runtime.consumer.topics:
            raise HTTPException(
                422,
                f"{definition.name} does not consume {topic} "
                f"(it consumes: {', '.join(runtime.consumer.topics)})",
            )
        outcome = await runtime.consumer.process(
            Incoming(topic=topic, value=await request.body(), partition=partition, offset=offset),
            rebuilding=rebuilding,
        )
        return {"outcome": outcome.value}

    @router.post("/admin/read-models/reset", tags=["operations"], dependencies=[operator])
    async def reset_read_models(runtime: RuntimeDep) -> dict[str, Any]:
        """Empty this service's read models and forget that it handled their topics, so a
        replay from the start rebuilds them (`aftersales rebuild <service>`)."""
        if not definition.read_models:
            raise HTTPException(422, f"{definition.name} declares no rebuildable read model")
        deleted: dict[str, int] = {}
        async with runtime.db.transaction() as session:
            for table in reversed(definition.read_models):
                result = await session.exec(sa_delete(table))
                deleted[table.__tablename__] = int(getattr(result, "rowcount", 0) or 0)
            await session.exec(
                sa_delete(ProcessedEvent).where(
                    col(ProcessedEvent.event_type).in_(definition.read_model_topics)
                )
            )
        return {"deleted": deleted, "topics": definition.read_model_topics}

    @router.get("/admin/outbox", tags=["operations"], dependencies=[operator])
    async def outbox(runtime: RuntimeDep) -> dict[str, Any]:
        async with runtime.db.read() as session:
            dead = (
                await session.exec(
                    select(func.count())
                    .select_from(DeadLetter)
                    .where(DeadLetter.state == DeadLetterState.DEAD)
                )
            ).one()
        return {
            "service": definition.name,
            "backlog": await runtime.relay.backlog(),
            "published_by_this_process": runtime.relay.published_total,
            "failed_sends_by_this_process": runtime.relay.failed_total,
            "dead_letters": int(dead),
            "consumed": runtime.consumer.counts,
            "scheduled_pending": (
                await runtime.scheduler.pending() if runtime.scheduler is not None else 0
            ),
        }

    @router.post("/admin/clock", tags=["operations"], dependencies=[operator])
    async def advance_clock(runtime: RuntimeDep, advance_seconds: float) -> dict[str, str]:
        """Move this service's time forward (only with CLOCK_CONTROL=true: test stacks)."""
        current = clock.current()
        if not runtime.settings.clock_control or not isinstance(current, OffsetClock):
            raise HTTPException(status.HTTP_404_NOT_FOUND, "clock control is off")
        try:
            current.advance(timedelta(seconds=advance_seconds))
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        if runtime.scheduler is not None:
            await runtime.scheduler.run_due()
        return {"now": clock.now().isoformat()}

    return router


async def consumer_lag(broker: KafkaBroker) -> list[tuple[str, int, int]]:
    """(topic, partition, messages behind the log end) for this process's assignments."""
    lags: list[tuple[str, int, int]] = []
    for subscriber in getattr(broker, "subscribers", []):
        consumer = getattr(subscriber, "consumer", None)
        if consumer is None or not hasattr(consumer, "assignment"):
            continue
        try:
            assigned = list(consumer.assignment())
        except Exception as exc:  # rebalancing: nothing is known
            log.debug("consumer lag unavailable: %r", exc)
            continue
        for tp in assigned:
            try:
                end = consumer.highwater(tp)  # asserts the partition is still assigned
                if end is None:
                    continue
                # position() waits while a rebalanced partition's offset is being fetched
                position = await asyncio.wait_for(consumer.position(tp), timeout=1.0)
            except Exception as exc:  # rebalancing: report what is known
                log.debug("consumer lag of %s unavailable: %r", tp, exc)
                continue
            lags.append((tp.topic, tp.partition, max(0, end - position)))
    return lags


def _database(request: Request) -> Database:
    runtime: Runtime = request.app.state.runtime
    return runtime.db


def _principal_id(request: Request) -> str | None:
    """Who sends an idempotent write: the token's user, if the token is good."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    runtime: Runtime = request.app.state.runtime
    try:
        return decode_token(runtime.settings.auth_secret, token).user_id[:80]
    except HTTPException:
        return None


class _AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped: a lone surrogate echoed from the input stays encodable."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False).encode("ascii")


def _validation_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """422 for a body or query that does not fit the model (FastAPI's shape, always
    encodable: the default handler fails with 500 when the input holds a lone surrogate)."""
    assert isinstance(exc, RequestValidationError)
    return _AsciiJSONResponse(status_code=422, content={"detail": jsonable_encoder(exc.errors())})


def _domain_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    detail: dict[str, Any] = {"msg": exc.message, "type": exc.code}
    if exc.field:
        detail["loc"] = ["body", *exc.field.split(".")]
    return JSONResponse({"detail": [detail]}, status_code=exc.status)


BUSY_MESSAGE = "the service is busy: try again in a moment"


def _busy() -> JSONResponse:
    return JSONResponse(
        {"detail": [{"msg": BUSY_MESSAGE, "type": "busy"}]},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": "1"},
    )


def _pool_timeout_handler(_request: Request, exc: Exception) -> JSONResponse:
    """No database connection came free in time: the caller may try again (nothing was
    written: the request's transaction never began)."""
    log.warning("answered 503: %s", exc)
    return _busy()


#: always answered, even when the process sheds load (probes, scrapes)
UNLIMITED_PATHS = frozenset({"/health", "/metrics"})


def load_shedding(service: str, limit: int) -> Callable[[Request, Any], Awaitable[Response]]:
    """At most ``limit`` requests in flight; beyond that 503 with Retry-After at once."""
    in_flight = 0

    async def shed(request: Request, call_next: Any) -> Response:
        nonlocal in_flight
        if request.url.path in UNLIMITED_PATHS:
            response: Response = await call_next(request)
            return response
        if in_flight >= limit:
            REQUESTS_SHED.labels(service).inc()
            return _busy()
        in_flight += 1
        try:
            response = await call_next(request)
            return response
        except PoolTimeout as exc:  # raised in a middleware (a route's has its handler)
            return _pool_timeout_handler(request, exc)
        finally:
            in_flight -= 1

    return shed


class ErrorDetail(BaseModel):
    msg: str
    type: str
    loc: list[str | int] | None = None


class ErrorAnswer(BaseModel):
    """Every refusal: a message (401/403/404 from the platform) or the reasons, each with
    the field it concerns where there is one (422 validation and business rules, 409, 410)."""

    detail: str | list[ErrorDetail]


#: the refusals any route may answer, declared in every service's OpenAPI
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    # refusals are JSON also on routes that answer HTML or PDF when they succeed
    status_code: {
        "model": ErrorAnswer,
        "description": description,
        "content": {"application/json": {}},
    }
    for status_code, description in (
        (400, "malformed request"),
        (401, "no valid token"),
        (403, "the role or station may not do this"),
        (404, "not found, or at a station the caller may not see"),
        (409, "the record's state or version does not allow it"),
        (410, "gone (an expired link)"),
        (422, "invalid input or a business rule refused it"),
        (503, "busy: try again after Retry-After seconds"),
    )
}


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    """405 with the methods the OpenAPI document gives the path (Starlette names only those
    of the first route that matched the path)."""
    from fastapi.exception_handlers import http_exception_handler

    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code != 405:
        return await http_exception_handler(request, exc)
    template = _template_of(request)
    documented = _documented_methods(request.app)
    allowed = sorted(documented[template]) if template is not None else []
    return JSONResponse(
        {"detail": "Method Not Allowed"}, status_code=405, headers={"Allow": ", ".join(allowed)}
    )


def _documented_methods(app: FastAPI) -> dict[re.Pattern[str], set[str]]:
    cached: dict[re.Pattern[str], set[str]] | None = getattr(app.state, "path_methods", None)
    if cached is None:
        cached = {}
        for path, operations in app.openapi().get("paths", {}).items():
            pattern = re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(path)) + "$")
            cached[pattern] = {method.upper() for method in operations}
        app.state.path_methods = cached
    return cached


def _template_of(request: Request) -> re.Pattern[str] | None:
    """The documented path the request's path is (a literal segment beats a parameter)."""
    matching = [p for p in _documented_methods(request.app) if p.match(request.url.path)]
    return min(matching, key=lambda p: p.pattern.count("[^/]+"), default=None)


def create_app(
    definition: ServiceDefinition,
    settings: ServiceSettings | None = None,
    broker: KafkaBroker | None = None,
) -> FastAPI:
    """Assemble a service. Tests pass their own settings and (test) broker."""
    settings = settings or load_settings(definition.name, definition.port)
    configure_tracing(definition.name)
    broker = broker or make_broker(settings.kafka_bootstrap_servers, client_id=definition.name)
    runtime = Runtime(definition, settings, broker)
    if settings.consume:
        definition.consumer.subscribe(
            broker,
            settings.kafka_group_prefix + definition.name,
            instance_id=settings.kafka_instance_id,
        )
    for payload in definition.publishes:
        # declared publishers document the topics in AsyncAPI; sends go through the outbox
        broker.publisher(
            payload.event_type,
            title=f"{definition.name}:{payload.event_type}",
            schema=documented_envelope(payload),
            description=payload.__doc__,
        )

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title=definition.title,
        version="1.0.0",
        lifespan=lifespan,
        description=f"{definition.title}. Events: /asyncapi.json. Sign in: POST /auth/token.",
    )
    app.state.runtime = runtime
    app.add_exception_handler(DomainError, _domain_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, _method_not_allowed)
    app.add_exception_handler(PoolTimeout, _pool_timeout_handler)
    runtime.db.before_commit(idempotency.claim_before_commit)
    app.middleware("http")(idempotency.middleware(_database, _principal_id))
    app.middleware("http")(load_shedding(definition.name, settings.max_requests_in_flight))
    app.middleware("http")(http_middleware(definition.name))
    app.include_router(_platform_router(definition), responses=ERROR_RESPONSES)
    for router in definition.routers:
        app.include_router(router, responses=ERROR_RESPONSES)
    return app


def serve(definition: ServiceDefinition) -> None:
    """Entry point of ``python -m services.<name>``: settings from env, uvicorn."""
    import uvicorn

    from shared.observability import configure_logging

    configure_logging(definition.name)
    settings = load_settings(definition.name, definition.port)
    uvicorn.run(
        create_app(definition, settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
    )


__all__ = [
    "CurrentUser",
    "Principal",
    "Runtime",
    "RuntimeDep",
    "ServiceDefinition",
    "create_app",
    "documented_envelope",
    "serve",
]
