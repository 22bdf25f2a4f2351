"""Observability, the same in every service: JSON logs with the correlation id, Prometheus
metrics, and OpenTelemetry traces that follow a repair order across services.

- The correlation id is the repair order's id where there is one: an HTTP caller may send
  ``X-Correlation-ID``; a consumer takes it from the envelope. It is in every log line.
- Trace context travels in the Kafka headers (``traceparent``): ``stage()`` writes the
  current context into the outbox row, the relay publishes it, the consumer continues the
  trace. So one trace runs from the advisor's HTTP request through every service's handler.
- Spans are exported over OTLP/HTTP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, printed with
  ``OTEL_TRACES_EXPORTER=console``, and otherwise only carried (ids in logs and headers).
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from prometheus_client import Counter, Gauge, Histogram
from starlette.requests import Request
from starlette.responses import Response

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None
)

# --- metrics (process-wide; labelled by service) ------------------------------------------

HTTP_REQUESTS = Counter(
    "aftersales_http_requests_total", "HTTP requests", ["service", "method", "route", "status"]
)
HTTP_SECONDS = Histogram(
    "aftersales_http_request_seconds", "HTTP request duration", ["service", "route"]
)
EVENTS_CONSUMED = Counter(
    "aftersales_events_consumed_total", "Events consumed", ["service", "topic", "outcome"]
)
HANDLER_SECONDS = Histogram(
    "aftersales_event_handler_seconds", "Event handling duration", ["service", "topic"]
)
EVENT_HOP_SECONDS = Histogram(
    "aftersales_event_hop_seconds",
    "From the producing transaction (occurred_at) to the consuming commit",
    ["service", "topic"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.175, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
EVENTS_PUBLISHED = Counter(
    "aftersales_events_published_total", "Events published by the outbox", ["service", "topic"]
)
OUTBOX_BACKLOG = Gauge("aftersales_outbox_backlog", "Outbox rows not yet published", ["service"])
DEAD_LETTERS = Gauge("aftersales_dead_letters", "Dead letters not re-driven", ["service"])
SCHEDULED_PENDING = Gauge("aftersales_scheduled_tasks_pending", "Tasks planned", ["service"])
REQUESTS_SHED = Counter(
    "aftersales_http_requests_shed_total",
    "HTTP requests answered 503 at once because the process had too many in flight",
    ["service"],
)
CONSUMER_LAG = Gauge(
    "aftersales_consumer_lag", "Messages behind the log end", ["service", "topic", "partition"]
)

# --- tracing ---------------------------------------------------------------------------

_tracing_configured = False


def configure_tracing(service: str) -> None:
    """A real tracer provider (once per process), so trace context exists and propagates."""
    global _tracing_configured
    if _tracing_configured:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    elif os.environ.get("OTEL_TRACES_EXPORTER") == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    _tracing_configured = True


def tracer() -> trace.Tracer:
    return trace.get_tracer("aftersales")


def trace_headers() -> dict[str, str]:
    """The current trace context as headers (``traceparent``), for the outbox row."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


@contextmanager
def consuming(
    service: str, topic: str, headers: Mapping[str, str], correlation: str | None
) -> Iterator[None]:
    """Continue the producer's trace and set the correlation id while handling a message."""
    token = otel_context.attach(propagate.extract(dict(headers)))
    cid = correlation_id.set(correlation)
    started = time.perf_counter()
    try:
        with tracer().start_as_current_span(
            f"consume {topic}",
            kind=trace.SpanKind.CONSUMER,
            attributes={"messaging.destination.name": topic, "aftersales.service": service},
        ):
            yield
    finally:
        HANDLER_SECONDS.labels(service, topic).observe(time.perf_counter() - started)
        correlation_id.reset(cid)
        otel_context.detach(token)


def http_middleware(service: str) -> Callable[[Request, Any], Awaitable[Response]]:
    """Correlation id, a server span and request metrics for every HTTP request."""

    async def middleware(request: Request, call_next: Any) -> Response:
        cid = correlation_id.set(request.headers.get("x-correlation-id"))
        started = time.perf_counter()
        status = 500
        try:
            with tracer().start_as_current_span(
                f"{request.method} {request.url.path}", kind=trace.SpanKind.SERVER
            ):
                response: Response = await call_next(request)
                status = response.status_code
                if correlation_id.get():
                    response.headers["X-Correlation-ID"] = str(correlation_id.get())
                return response
        finally:
            route = request.scope.get("route")
            path = getattr(route, "path", "unmatched")
            HTTP_REQUESTS.labels(service, request.method, path, str(status)).inc()
            HTTP_SECONDS.labels(service, path).observe(time.perf_counter() - started)
            correlation_id.reset(cid)

    return middleware


# --- logs ------------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if correlation_id.get():
            entry["correlation_id"] = correlation_id.get()
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            entry["trace_id"] = f"{span.trace_id:032x}"
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(service: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
