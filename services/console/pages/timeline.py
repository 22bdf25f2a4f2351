"""Order timeline: what each service knows about one repair order, in time order, live.

Each service is asked in parallel; one that is down or does not let this role look is shown
as such, and the rest of the timeline still appears. The page stays live through server-sent
events: ``/orders/{id}/timeline/stream`` asks the services every ``LIVE_REFRESH_SECONDS`` and
pushes each entry the page has not seen yet (``event: moment``, one ``<li>``) and the order's
state when it changes (``event: state``); ``static/console.js`` subscribes with the browser's
own ``EventSource`` and files each new entry in time order, without a reload.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from services.console.clients import ApiError, ServiceUnavailable
from services.console.i18n import Translator, label, translator
from services.console.web import Caller, CallerDep, render

router = APIRouter()


#: reception history entries the order's own fields already put on the timeline
HISTORY_ON_THE_ORDER = frozenset({"created", "completed", "delivered"})


@dataclass(frozen=True)
class Moment:
    """One thing that happened (or is planned) to the order."""

    at: str
    source: str
    text: str
    future: bool = False

    @property
    def key(self) -> str:
        """The same entry on every poll (a planned one keeps its key when it comes true)."""
        return hashlib.sha1(f"{self.at}|{self.source}|{self.text}".encode()).hexdigest()[:16]


async def _fetch(call: Awaitable[Any]) -> tuple[Any, str | None]:
    """The answer, or why there is none: 'forbidden' or 'unavailable'."""
    try:
        return await call, None
    except ServiceUnavailable:
        return None, "unavailable"
    except ApiError as exc:
        if exc.forbidden:
            return None, "forbidden"
        if exc.not_found:
            return None, "not_found"
        return None, "unavailable"


def _later(moment: str | None, now: str) -> bool:
    return bool(moment) and str(moment) > now


def moments(
    order: dict[str, Any],
    jobs: list[dict[str, Any]],
    reservations: list[dict[str, Any]],
    claims: list[dict[str, Any]],
    followups: list[dict[str, Any]],
    lang: str,
    now: str,
    history: list[dict[str, Any]] | None = None,
) -> list[Moment]:
    """Everything the services know about the order, oldest first (``history``: reception's
    own record of the order, whose entries other than opening, completion and delivery —
    already on the order — are added: additional work, progress checks, ready notices,
    payments, exit pass, cancellation)."""
    t: Translator = translator(lang)
    found: list[Moment] = [
        Moment(
            order["created_at"], "reception", t("timeline.order_opened", order_no=order["order_no"])
        )
    ]
    if order.get("promised_at"):
        found.append(
            Moment(
                order["promised_at"],
                "reception",
                t("timeline.order_promised"),
                future=_later(order["promised_at"], now)
                and not order.get("completed_at")
                and order.get("status") != "cancelled",
            )
        )
    if order.get("completed_at"):
        found.append(Moment(order["completed_at"], "reception", t("timeline.order_completed")))
    if order.get("delivered_at"):
        found.append(Moment(order["delivered_at"], "reception", t("timeline.order_delivered")))
    for entry in history or []:
        event = str(entry.get("event", ""))
        if event in HISTORY_ON_THE_ORDER or not entry.get("at"):
            continue
        text = label("history", event, lang)
        if entry.get("detail"):
            text = f"{text}: {entry['detail']}"
        if entry.get("by"):
            text = f"{text} ({entry['by']})"
        found.append(Moment(str(entry["at"]), "reception", text))
    for job in jobs:
        what = f"{job['operation_code']} {job['description']}"
        found.append(Moment(job["created_at"], "workshop", t("timeline.job_created", what=what)))
        if job.get("handed_over_at"):
            found.append(
                Moment(
                    job["handed_over_at"],
                    "workshop",
                    t("timeline.job_dispatched", what=what, technician=job.get("technician_id")),
                )
            )
        if job.get("completed_at"):
            found.append(
                Moment(
                    job["completed_at"],
                    "workshop",
                    t(
                        "timeline.job_completed",
                        what=what,
                        hours=f"{Decimal(str(job['clocked_hours'])).normalize():f}",
                    ),
                )
            )
    for reservation in reservations:
        status = label("reservation_status", reservation["status"], lang)
        found.append(
            Moment(
                reservation["created_at"],
                "parts",
                t("timeline.reservation", part_no=reservation["part_no"], status=status),
            )
        )
    for claim in claims:
        status = label("claim_status", claim["status"], lang)
        found.append(
            Moment(
                claim["created_at"],
                "warranty",
                t("timeline.claim", claim_no=claim["claim_no"], status=status),
            )
        )
    for call in followups:
        kind = label("followup_kind", call["kind"], lang)
        found.append(Moment(call["created_at"], "crm", t("timeline.followup_created", kind=kind)))
        found.append(
            Moment(
                call["due_at"],
                "crm",
                t("timeline.followup_due", kind=kind),
                future=_later(call["due_at"], now) and call.get("status") == "open",
            )
        )
    return sorted(found, key=lambda m: _instant(m.at))


def _instant(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _timeline(who: Caller, order_id: uuid.UUID) -> dict[str, Any]:
    api = who.api
    oid = str(order_id)
    order = await api.reception.get(f"/repair-orders/{order_id}")  # 404 -> not found page
    (
        (jobs, jobs_err),
        (res, res_err),
        (claims, claims_err),
        (calls, calls_err),
        (history, _),
    ) = await asyncio.gather(
        _fetch(api.workshop.get("/jobs", order_id=oid, limit=200)),
        _fetch(api.parts.get("/reservations", order_id=oid, limit=200)),
        _fetch(api.warranty.get("/claims", limit=200)),
        _fetch(api.crm.get("/follow-ups", limit=200)),
        _fetch(api.reception.get(f"/repair-orders/{order_id}/history")),
    )
    now = datetime.now(UTC).isoformat()
    items = moments(
        order,
        jobs["data"] if jobs else [],
        res["data"] if res else [],
        [c for c in claims["data"] if c["order_id"] == oid] if claims else [],
        [f for f in calls["data"] if f["order_id"] == oid] if calls else [],
        who.session.lang,
        now,
        history["data"] if history else [],
    )
    gaps = {
        name: reason
        for name, reason in (
            ("workshop", jobs_err),
            ("parts", res_err),
            ("warranty", claims_err),
            ("crm", calls_err),
        )
        if reason
    }
    return {"order": order, "moments": items, "gaps": gaps, "refreshed_at": now}


@router.get("/orders/{order_id}/timeline")
async def timeline(request: Request, order_id: uuid.UUID, who: CallerDep) -> Response:
    """The order's whole story, refreshing itself."""
    return render(request, "timeline/order.html", **await _timeline(who, order_id))


@router.get("/orders/{order_id}/timeline/events")
async def timeline_events(request: Request, order_id: uuid.UUID, who: CallerDep) -> Response:
    """htmx: the list alone, polled every few seconds."""
    return render(request, "timeline/_events.html", **await _timeline(who, order_id))


#: a stream ends after this long; the browser's EventSource reconnects by itself
STREAM_SECONDS = 300.0


def _sse(event: str, html: str) -> str:
    """One server-sent event; the HTML on ``data:`` lines (a newline ends none early)."""
    lines = "".join(f"data: {line}\n" for line in html.splitlines() or [""])
    return f"event: {event}\n{lines}\n"


@router.get("/orders/{order_id}/timeline/stream")
async def timeline_stream(request: Request, order_id: uuid.UUID, who: CallerDep) -> Response:
    """Server-sent events: every entry of the order's timeline the page may not have yet,
    then each new one as the services record it."""
    templates = request.app.state.templates
    first = await _timeline(who, order_id)  # 404 before the stream starts
    seconds = max(float(request.app.state.settings.live_refresh_seconds), 0.2)
    base = {
        "t": translator(who.session.lang),
        "label": lambda group, value: label(group, value, who.session.lang),
    }

    def moment_html(moment: Moment) -> str:
        return str(templates.get_template("timeline/_moment.html").render(base, mo=moment))

    def state_html(data: dict[str, Any]) -> str:
        return str(templates.get_template("timeline/_state.html").render(base, **data))

    async def events() -> AsyncIterator[str]:
        sent: dict[str, Moment] = {}
        last_state = ""
        data = first
        loop = asyncio.get_running_loop()
        ends = loop.time() + STREAM_SECONDS
        yield "retry: 2000\n\n"
        while True:
            for moment in data["moments"]:
                if sent.get(moment.key) != moment:
                    sent[moment.key] = moment
                    yield _sse("moment", moment_html(moment))
            state = state_html(data)
            if state != last_state:
                last_state = state
                yield _sse("state", state)
            if loop.time() > ends or await request.is_disconnected():
                return
            await asyncio.sleep(seconds)
            if await request.is_disconnected():
                return
            try:
                data = await _timeline(who, order_id)
            except ApiError:
                yield ": the order could not be read; trying again\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
