"""CRM desk, beyond the call queue: service reminders, the CSI survey as the customer answers
it, CSI per station and per advisor, and the escalations (the manager's inbox, where CRM
offers one; else the escalated calls and complaints)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.console.clients import ApiError
from services.console.desks import MANAGERS, RECORD_CALL
from services.console.web import Caller, CsrfChecked, Forbidden, desk, redirect, render

router = APIRouter()

REMINDER_STATES = ("planned", "sent", "withheld", "booked", "superseded")
CSI_QUESTIONS = ("overall", "advisor", "quality", "on_time", "value")
CSI_GROUPS = ("station", "advisor")


async def _maybe(call: Awaitable[Any]) -> tuple[Any, str]:
    """The answer, or why there is none ('forbidden', 'absent' or the message)."""
    try:
        return await call, ""
    except ApiError as exc:
        if exc.forbidden:
            return None, "forbidden"
        if exc.not_found or exc.status == 405:
            return None, "absent"
        return None, exc.summary()


@router.get("/crm/reminders")
async def reminders(
    request: Request, who: Caller = desk("crm"), state: str = "planned", vin: str = ""
) -> Response:
    """Next-maintenance reminders, the earliest due first."""
    wanted = state if state in REMINDER_STATES else None
    answer = await who.api.crm.get(
        "/reminders", state=wanted, vin=vin.strip().upper() or None, limit=200
    )
    return render(
        request,
        "crm/reminders.html",
        reminders=who.only_shown(answer["data"]),
        state=wanted or "",
        states=REMINDER_STATES,
        vin=vin,
        tab="reminders",
    )


def _range(since: str, until: str, zone: ZoneInfo) -> tuple[date, date]:
    """The dates asked for; by default the 90 days up to today at the stations."""
    today = datetime.now(zone).date()
    try:
        last = date.fromisoformat(until) if until else today
        first = date.fromisoformat(since) if since else last - timedelta(days=90)
    except ValueError:
        last, first = today, today - timedelta(days=90)
    return (first, last) if first <= last else (last, first)


async def _csi_page(
    request: Request,
    who: Caller,
    since: str = "",
    until: str = "",
    status_code: int = 200,
    values: dict[str, str] | None = None,
    error: ApiError | None = None,
) -> Response:
    first, last = _range(since, until, ZoneInfo(request.app.state.settings.timezone))
    window = {
        "since": f"{first.isoformat()}T00:00:00+08:00",
        "until": f"{(last + timedelta(days=1)).isoformat()}T00:00:00+08:00",
    }
    orders, *reports = await asyncio.gather(
        _maybe(who.api.reception.get("/repair-orders", status="delivered", limit=200)),
        *(_maybe(who.api.crm.get("/csi", group_by=group, **window)) for group in CSI_GROUPS),
    )
    delivered = who.only_shown(orders[0]["data"]) if orders[0] else []
    return render(
        request,
        "crm/csi.html",
        status_code,
        delivered=delivered,
        reports=[
            {"group": group, "rows": answer["data"] if answer else [], "problem": problem}
            for group, (answer, problem) in zip(CSI_GROUPS, reports, strict=True)
        ],
        questions=CSI_QUESTIONS,
        values=values or {},
        errors=error.fields if error else {},
        general=error.messages if error else [],
        since=first.isoformat(),
        until=last.isoformat(),
        may_record=who.may(RECORD_CALL),
        tab="csi",
    )


@router.get("/crm/csi")
async def csi(
    request: Request, who: Caller = desk("crm"), since: str = "", until: str = ""
) -> Response:
    """Enter a survey as the customer answered it; CSI per station and advisor."""
    return await _csi_page(request, who, since, until)


@router.post("/crm/csi-surveys", dependencies=[CsrfChecked])
async def record_survey(request: Request, who: Caller = desk("crm")) -> Response:
    """The customer's own scores (1–10) and comment; one survey per delivered order."""
    if not who.may(RECORD_CALL):
        raise Forbidden()
    form = await request.form()
    names = ("order_id", "comment", *(f"scores.{q}" for q in CSI_QUESTIONS))
    values = {name: str(form.get(name, "")).strip() for name in names}
    scores: dict[str, Any] = {}
    for question in CSI_QUESTIONS:
        given = values[f"scores.{question}"]
        if given:
            scores[question] = int(given) if given.isdigit() else given
    body = {"order_id": values["order_id"], "scores": scores, "comment": values["comment"]}
    try:
        await who.api.crm.post("/csi-surveys", body)
    except ApiError as exc:
        if exc.status not in (400, 404, 409, 422):
            raise
        if exc.not_found:  # the order is not a delivered one CRM knows: say so at the field
            exc.fields = {"order_id": exc.summary(), **exc.fields}
            exc.messages = []
        return await _csi_page(request, who, status_code=exc.status, values=values, error=exc)
    who.session.add_flash("flash.csi_recorded")
    return redirect("/crm/csi")


@router.get("/crm/escalations")
async def escalations(
    request: Request, who: Caller = desk("crm"), acknowledged: bool = False
) -> Response:
    """What was passed up: the manager's inbox (acknowledge with a note), the escalated
    follow-up calls and the escalated complaints."""
    (inbox, inbox_problem), (calls, _), (complaints, _) = await asyncio.gather(
        _maybe(who.api.crm.get("/escalations", acknowledged=acknowledged, limit=200)),
        _maybe(who.api.crm.get("/follow-ups", escalated=True, limit=200)),
        _maybe(who.api.crm.get("/complaints", escalated=True, limit=200)),
    )
    return render(
        request,
        "crm/escalations.html",
        inbox=who.only_shown(inbox["data"]) if inbox else [],
        inbox_problem=inbox_problem,
        calls=who.only_shown(calls["data"]) if calls else [],
        complaints=who.only_shown(complaints["data"]) if complaints else [],
        acknowledged=acknowledged,
        may_acknowledge=who.may(MANAGERS),
        tab="escalations",
    )


@router.post("/crm/escalations/{escalation_id}/acknowledgement", dependencies=[CsrfChecked])
async def acknowledge(
    request: Request, escalation_id: uuid.UUID, who: Caller = desk("crm")
) -> Response:
    """The manager takes the escalation on, with what they will do."""
    if not who.may(MANAGERS):
        raise Forbidden()
    form = await request.form()
    note = str(form.get("note", "")).strip()
    await who.api.crm.post(
        f"/escalations/{escalation_id}/acknowledgement", {"note": note} if note else {}
    )
    who.session.add_flash("flash.escalation_acknowledged")
    return redirect("/crm/escalations")
