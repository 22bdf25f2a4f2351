"""Advisor desk: the check-in sheet (接车单) — mileage, fuel, VIN, damage marks placed on a
vehicle diagram, belongings, documents, key tag and the customer's signature; then the repair
order is opened from it (VIN, customer and mileage carried over).

A damage mark's ``position`` is the panel and where on the drawing it was placed
(``front-left-door@123,45``), so the sheet can draw it again.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from services.console.clients import ApiError
from services.console.desks import OPEN_ORDER
from services.console.pages.documents import DOCUMENT_CSP, notices_for
from services.console.web import Caller, CsrfChecked, Forbidden, desk, redirect, render

router = APIRouter()

#: the panels of the diagram: key, x, y, width, height (viewBox 0 0 380 200, front left)
REGIONS: tuple[tuple[str, int, int, int, int], ...] = (
    ("front-bumper", 6, 40, 22, 120),
    ("bonnet", 30, 50, 78, 100),
    ("windscreen", 110, 55, 28, 90),
    ("roof", 140, 55, 108, 90),
    ("rear-window", 250, 55, 28, 90),
    ("boot", 280, 50, 66, 100),
    ("rear-bumper", 348, 40, 24, 120),
    ("front-left-wing", 30, 12, 78, 36),
    ("front-left-door", 110, 12, 84, 40),
    ("rear-left-door", 196, 12, 82, 40),
    ("rear-left-quarter", 280, 12, 66, 36),
    ("front-right-wing", 30, 152, 78, 36),
    ("front-right-door", 110, 148, 84, 40),
    ("rear-right-door", 196, 148, 82, 40),
    ("rear-right-quarter", 280, 152, 66, 36),
)
REGION_KEYS = tuple(key for key, *_ in REGIONS)
DAMAGE_KINDS = ("scratch", "dent", "crack", "chip", "rust", "missing", "other")
FUEL_LEVELS = ("empty", "1/4", "1/2", "3/4", "full")
BELONGINGS = ("sunglasses", "dashcam", "child_seat", "umbrella", "charger", "cash", "spare_tyre")
DOCUMENTS = ("driving_licence", "insurance", "service_book", "spare_key", "registration")
FIELDS = (
    "station_id",
    "appointment_id",
    "customer.name",
    "customer.phone",
    "vehicle.vin",
    "vehicle.plate",
    "vehicle.make",
    "vehicle.model",
    "mileage_km",
    "mileage_correction_note",
    "fuel_level",
    "belongings_other",
    "key_tag",
    "signature.name",
    "signature.typed_confirmation",
)
_MARK_KEY = re.compile(r"^marks\.(\d+)\.(region|x|y|kind|note)$")
_POSITION = re.compile(r"^(?P<region>[a-z-]+)@(?P<x>\d+),(?P<y>\d+)$")


def _center(region: str) -> tuple[int, int]:
    for key, x, y, w, h in REGIONS:
        if key == region:
            return x + w // 2, y + h // 2
    return 190, 100


def marks_of(form: FormData) -> list[dict[str, str]]:
    """The damage marks as typed, in the order they were placed (gaps from removed rows are
    closed)."""
    found: dict[int, dict[str, str]] = {}
    for key, value in form.multi_items():
        match = _MARK_KEY.match(key)
        if match and isinstance(value, str):
            found.setdefault(int(match.group(1)), {})[match.group(2)] = value.strip()
    return [
        {name: mark.get(name, "") for name in ("region", "x", "y", "kind", "note")}
        for _, mark in sorted(found.items())
    ]


def mark_of_position(position: str) -> dict[str, str]:
    """A stored mark's position back as panel and point on the drawing."""
    match = _POSITION.match(position)
    if match:
        return match.groupdict()
    x, y = _center(position)
    return {"region": position, "x": str(x), "y": str(y)}


def _body(values: dict[str, str], marks: list[dict[str, str]], form: FormData) -> dict[str, Any]:
    belongings = [str(v) for v in form.getlist("belongings")]
    belongings += [part.strip() for part in values["belongings_other"].split(",") if part.strip()]
    body: dict[str, Any] = {
        "customer": {"name": values["customer.name"]},
        "vehicle": {"vin": values["vehicle.vin"]},
        "mileage_km": values["mileage_km"],
        "fuel_level": values["fuel_level"],
        "damage_marks": [
            {
                "position": f"{mark['region']}@{mark['x'] or 0},{mark['y'] or 0}",
                "kind": mark["kind"],
                **({"note": mark["note"]} if mark["note"] else {}),
            }
            for mark in marks
        ],
        "belongings": belongings,
        "documents": [str(v) for v in form.getlist("documents")],
        "key_tag": values["key_tag"],
        "signature": {"name": values["signature.name"] or values["customer.name"]},
    }
    if values["signature.typed_confirmation"]:
        body["signature"]["typed_confirmation"] = values["signature.typed_confirmation"]
    for name in ("phone",):
        if values[f"customer.{name}"]:
            body["customer"][name] = values[f"customer.{name}"]
    for name in ("plate", "make", "model"):
        if values[f"vehicle.{name}"]:
            body["vehicle"][name] = values[f"vehicle.{name}"]
    for name in ("station_id", "appointment_id", "mileage_correction_note"):
        if values[name]:
            body[name] = values[name]
    return body


def _errors(error: ApiError) -> tuple[dict[str, str], list[str]]:
    """Reception's field names as the form's (``damage_marks.0.kind`` -> ``marks.0.kind``)."""
    fields: dict[str, str] = {}
    general = list(error.messages)
    for name, message in error.fields.items():
        key = re.sub(r"^damage_marks\.(\d+)\.position$", r"marks.\1.region", name)
        key = key.replace("damage_marks.", "marks.")
        if key.startswith("signature."):
            key = "signature.typed_confirmation" if "typed" in key else key
        fields.setdefault(key, message)
    return fields, general


def _page(
    request: Request,
    who: Caller,
    values: dict[str, str],
    marks: list[dict[str, str]],
    checked: dict[str, list[str]],
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    general: list[str] | None = None,
) -> Response:
    stations = (
        list(who.user.stations) if (who.user.all_stations or len(who.user.stations) > 1) else []
    )
    return render(
        request,
        "advisor/check_in.html",
        status_code,
        values=values,
        marks=marks,
        checked=checked,
        errors=errors or {},
        general=general or [],
        regions=REGIONS,
        kinds=DAMAGE_KINDS,
        fuel_levels=FUEL_LEVELS,
        belongings=BELONGINGS,
        documents=DOCUMENTS,
        stations=stations,
    )


@router.get("/advisor/check-in")
async def check_in_form(
    request: Request, who: Caller = desk("advisor"), appointment: str = ""
) -> Response:
    """An empty check-in sheet (from an appointment: its customer and car filled in)."""
    if not who.may(OPEN_ORDER):
        raise Forbidden()
    values = {name: "" for name in FIELDS}
    values["station_id"] = who.station or ""
    values["fuel_level"] = "1/2"
    if appointment:
        try:
            booked = await who.api.reception.get(f"/appointments/{uuid.UUID(appointment)}")
        except (ValueError, ApiError):
            booked = None
        if booked:
            values.update(
                {
                    "appointment_id": str(booked["id"]),
                    "customer.name": booked["customer_name"],
                    "customer.phone": booked.get("customer_phone") or "",
                    "vehicle.vin": booked["vin"],
                    "vehicle.plate": booked.get("plate") or "",
                    "station_id": booked["station_id"],
                }
            )
    return _page(request, who, values, [], {"belongings": [], "documents": []})


@router.post("/advisor/check-in", dependencies=[CsrfChecked])
async def check_in(request: Request, who: Caller = desk("advisor")) -> Response:
    """Record the signed sheet at reception; its objections appear next to the fields."""
    if not who.may(OPEN_ORDER):
        raise Forbidden()
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in FIELDS}
    marks = marks_of(form)
    checked = {
        "belongings": [str(v) for v in form.getlist("belongings")],
        "documents": [str(v) for v in form.getlist("documents")],
    }
    if form.get("action") == "add_mark":  # the keyboard / no-script way: a mark per panel
        region = str(form.get("new_mark_region", ""))
        if region in REGION_KEYS:
            x, y = _center(region)
            marks.append({"region": region, "x": str(x), "y": str(y), "kind": "", "note": ""})
        return _page(request, who, values, marks, checked)
    try:
        created = await who.api.reception.post("/check-ins", _body(values, marks, form))
    except ApiError as exc:
        if exc.status not in (400, 403, 409, 422):
            raise
        errors, general = _errors(exc)
        return _page(request, who, values, marks, checked, exc.status, errors, general)
    who.session.add_flash("flash.checked_in")
    return redirect(f"/advisor/check-ins/{created['id']}")


@router.get("/advisor/check-ins/{check_in_id}")
async def check_in_sheet(
    request: Request, check_in_id: uuid.UUID, who: Caller = desk("advisor")
) -> Response:
    """The recorded sheet with its marks on the diagram; open the order from here."""
    sheet = await who.api.reception.get(f"/check-ins/{check_in_id}")
    marks = [
        {**mark_of_position(str(m["position"])), "kind": m["kind"], "note": m.get("note") or ""}
        for m in sheet.get("damage_marks", [])
    ]
    return render(
        request,
        "advisor/check_in_sheet.html",
        sheet=sheet,
        notices=await notices_for(who, str(sheet["vin"])),
        marks=marks,
        regions=REGIONS,
        may_open=who.may(OPEN_ORDER),
    )


@router.get("/advisor/check-ins/{check_in_id}/document")
async def check_in_document(
    request: Request, check_in_id: uuid.UUID, who: Caller = desk("advisor")
) -> Response:
    """The printable sheet as reception renders it (one copy is the customer's)."""
    html = await who.api.reception.get_text(f"/check-ins/{check_in_id}/document")
    return HTMLResponse(html, headers={"Content-Security-Policy": DOCUMENT_CSP})
