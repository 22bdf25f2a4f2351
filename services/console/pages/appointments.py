"""Advisor desk: the appointment register of a day — book, move, cancel (a full slot is
refused by reception with the next free slots, shown to the advisor)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.console.clients import ApiError
from services.console.desks import OPEN_ORDER
from services.console.web import Caller, CsrfChecked, Forbidden, desk, redirect, render

router = APIRouter()

BOOK_FIELDS = (
    "customer.name",
    "customer.phone",
    "vehicle.vin",
    "vehicle.plate",
    "starts_at",
    "requested_work",
    "estimated_hours",
    "channel",
    "station_id",
)
CHANNELS = ("phone", "desk", "web")


def _aware(value: str, zone: ZoneInfo) -> str:
    """A ``datetime-local`` value in the station's time zone, as ISO (unchanged if it is not
    a time, so reception names the problem)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return moment.replace(tzinfo=moment.tzinfo or zone).isoformat()


async def _page(
    request: Request,
    who: Caller,
    day: str = "",
    status_code: int = 200,
    values: dict[str, str] | None = None,
    error: ApiError | None = None,
    failed: str = "",
) -> Response:
    zone = ZoneInfo(request.app.state.settings.timezone)
    try:
        the_day = date.fromisoformat(day) if day else datetime.now(zone).date()
    except ValueError:
        the_day = datetime.now(zone).date()
    answer = await who.api.reception.get("/appointments", day=the_day.isoformat(), limit=200)
    stations = (
        list(who.user.stations) if (who.user.all_stations or len(who.user.stations) > 1) else []
    )
    return render(
        request,
        "advisor/appointments.html",
        status_code,
        day=the_day.isoformat(),
        appointments=sorted(who.only_shown(answer["data"]), key=lambda a: a["starts_at"]),
        may_book=who.may(OPEN_ORDER),
        values=values
        or {"channel": "phone", "estimated_hours": "1", "station_id": who.station or ""},
        errors=error.fields if error and not failed else {},
        general=error.messages if error and not failed else [],
        failed=failed,
        failed_messages=error.messages + list(error.fields.values()) if error and failed else [],
        channels=CHANNELS,
        stations=stations,
    )


@router.get("/advisor/appointments")
async def register(request: Request, who: Caller = desk("advisor"), day: str = "") -> Response:
    """The appointments of one day (today by default), in time order."""
    return await _page(request, who, day)


@router.post("/advisor/appointments", dependencies=[CsrfChecked])
async def book(request: Request, who: Caller = desk("advisor")) -> Response:
    """Book an appointment; a full slot comes back with reception's alternatives."""
    if not who.may(OPEN_ORDER):
        raise Forbidden()
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in BOOK_FIELDS}
    zone = ZoneInfo(request.app.state.settings.timezone)
    body: dict[str, Any] = {
        "customer": {"name": values["customer.name"]},
        "vehicle": {"vin": values["vehicle.vin"]},
        "requested_work": values["requested_work"],
        "estimated_hours": values["estimated_hours"],
        "channel": values["channel"] or "phone",
    }
    if values["customer.phone"]:
        body["customer"]["phone"] = values["customer.phone"]
    if values["vehicle.plate"]:
        body["vehicle"]["plate"] = values["vehicle.plate"]
    if values["starts_at"]:
        body["starts_at"] = _aware(values["starts_at"], zone)
    if values["station_id"]:
        body["station_id"] = values["station_id"]
    day = values["starts_at"][:10]
    try:
        await who.api.reception.post("/appointments", body)
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        return await _page(request, who, day, exc.status, values, exc)
    who.session.add_flash("flash.appointment_booked")
    return redirect(f"/advisor/appointments?day={day}")


@router.post("/advisor/appointments/{appointment_id}/move", dependencies=[CsrfChecked])
async def move(
    request: Request, appointment_id: uuid.UUID, who: Caller = desk("advisor")
) -> Response:
    """Move an appointment to another time (the same capacity rule applies)."""
    if not who.may(OPEN_ORDER):
        raise Forbidden()
    form = await request.form()
    zone = ZoneInfo(request.app.state.settings.timezone)
    starts_at = str(form.get("starts_at", "")).strip()
    day = str(form.get("day", ""))
    body = {
        "version": int(str(form.get("version", "1")) or 1),
        "starts_at": _aware(starts_at, zone),
    }
    try:
        await who.api.reception.post(f"/appointments/{appointment_id}/move", body)
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        return await _page(request, who, day, exc.status, None, exc, str(appointment_id))
    who.session.add_flash("flash.appointment_moved")
    return redirect(f"/advisor/appointments?day={starts_at[:10] or day}")


@router.post("/advisor/appointments/{appointment_id}/cancellation", dependencies=[CsrfChecked])
async def cancel(
    request: Request, appointment_id: uuid.UUID, who: Caller = desk("advisor")
) -> Response:
    """Cancel with the reason (recorded and announced)."""
    if not who.may(OPEN_ORDER):
        raise Forbidden()
    form = await request.form()
    day = str(form.get("day", ""))
    body = {"reason": str(form.get("reason", "")).strip()}
    try:
        await who.api.reception.post(f"/appointments/{appointment_id}/cancellation", body)
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        return await _page(request, who, day, exc.status, None, exc, str(appointment_id))
    who.session.add_flash("flash.appointment_cancelled")
    return redirect(f"/advisor/appointments?day={day}")


@router.post("/advisor/appointments/{appointment_id}/no-show", dependencies=[CsrfChecked])
async def no_show(
    request: Request, appointment_id: uuid.UUID, who: Caller = desk("advisor")
) -> Response:
    """The customer did not come (reception accepts it only after the appointment time)."""
    if not who.may(OPEN_ORDER):
        raise Forbidden()
    form = await request.form()
    day = str(form.get("day", ""))
    body = {"reason": str(form.get("no_show_reason", "")).strip() or "no-show"}
    try:
        await who.api.reception.post(f"/appointments/{appointment_id}/no-show", body)
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        return await _page(request, who, day, exc.status, None, exc, str(appointment_id))
    who.session.add_flash("flash.appointment_no_show")
    return redirect(f"/advisor/appointments?day={day}")
