"""The archive of signed documents (签字单据归档): a month's check-in sheets, repair orders,
settlements, exit passes, invoices / receipts and delivery acceptances of a station, where
each is kept and by whom, and the hand-over of their custody."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.console.clients import ApiError
from services.console.pages.documents import pdf_response
from services.console.web import Caller, CsrfChecked, desk, redirect, render

router = APIRouter()

MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
CUSTODY_FIELDS = ("custodian", "location", "handed_at", "note", "version")


def _month(request: Request, month: str) -> str:
    if MONTH.match(month):
        return month
    zone = ZoneInfo(request.app.state.settings.timezone)
    return datetime.now(zone).strftime("%Y-%m")


async def _page(
    request: Request,
    who: Caller,
    month: str,
    status_code: int = 200,
    entry_id: str = "",
    values: dict[str, str] | None = None,
    error: ApiError | None = None,
) -> Response:
    answer = await who.api.reception.get("/archive", month=month, station_id=who.station)
    errors: dict[str, str] = {}
    general: list[str] = []
    if error is not None:
        general = list(error.messages)
        for name, message in error.fields.items():
            if name in CUSTODY_FIELDS:
                errors[name] = message
            else:
                general.append(f"{name}: {message}")
    return render(
        request,
        "advisor/archive.html",
        status_code,
        month=month,
        entries=who.only_shown(answer["data"]),
        entry_id=entry_id,
        values=values or {},
        errors=errors,
        general=general,
    )


@router.get("/advisor/archive")
async def archive_month(
    request: Request, who: Caller = desk("advisor"), month: str = ""
) -> Response:
    """The month's signed documents of the station looked at, with custodian and place."""
    return await _page(request, who, _month(request, month))


@router.get("/advisor/archive/register.pdf")
async def archive_register(who: Caller = desk("advisor"), month: str = "") -> Response:
    """The month's archive register (签字单据归档登记表) as PDF."""
    month = month if MONTH.match(month) else ""
    query = "&".join(
        f"{name}={value}"
        for name, value in (("month", month), ("station_id", who.station))
        if value
    )
    return await pdf_response(who, "/archive/register.pdf" + (f"?{query}" if query else ""))


@router.post("/advisor/archive/{entry_id}/custody", dependencies=[CsrfChecked])
async def hand_over(
    request: Request, entry_id: uuid.UUID, who: Caller = desk("advisor")
) -> Response:
    """Record that a signed document changed hands (or place); reception's objections
    (a time in the future or before the last hand-over, the same custodian and place, a
    stale version) appear next to the entry."""
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in CUSTODY_FIELDS}
    month = _month(request, str(form.get("month", "")))
    body: dict[str, Any] = {"custodian": values["custodian"]}
    for name in ("location", "note"):
        if values[name]:
            body[name] = values[name]
    if values["version"].isdigit():
        body["version"] = int(values["version"])
    if values["handed_at"]:
        zone = ZoneInfo(request.app.state.settings.timezone)
        try:
            moment = datetime.fromisoformat(values["handed_at"])
            body["handed_at"] = moment.replace(tzinfo=moment.tzinfo or zone).isoformat()
        except ValueError:
            body["handed_at"] = values["handed_at"]  # reception names the problem
    try:
        await who.api.reception.post(f"/archive/{entry_id}/custody", body)
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        return await _page(request, who, month, exc.status, str(entry_id), values, exc)
    who.session.add_flash("flash.custody_recorded")
    return redirect(f"/advisor/archive?month={month}#entry-{entry_id}")
