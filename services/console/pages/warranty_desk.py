"""Warranty desk: coverage answers at check-in (covered / not covered with the reason / needs
the manufacturer's approval, per line) and the returned-parts store (旧件库): what is kept,
what the manufacturer asked back and by when, shipped with the waybill, released for scrap."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.console.clients import ApiError
from services.console.desks import WARRANTY_ADMIN
from services.console.web import Caller, CsrfChecked, Forbidden, desk, redirect, render

router = APIRouter()

COVERAGE_ROWS = 4
COVERAGE_FIELDS = ("vin", "make", "model", "mileage_km", "warranty_start", "on")
FLAGS = ("accident_damage", "maintenance_missed")
LINE_FIELDS = ("kind", "code", "description", "major_system")
PART_STATUSES = ("in_store", "return_requested", "shipped", "scrapped")
PART_ACTIONS = ("return-request", "shipment", "scrap")
PART_FLASH = {
    "return-request": "flash.returned_part_requested",
    "shipment": "flash.returned_part_shipped",
    "scrap": "flash.returned_part_scrapped",
}


def _coverage_values(form: Any) -> tuple[dict[str, str], list[dict[str, str]]]:
    values = {name: str(form.get(name, "")).strip() for name in COVERAGE_FIELDS + FLAGS}
    lines = [
        {name: str(form.get(f"lines.{i}.{name}", "")).strip() for name in LINE_FIELDS}
        for i in range(COVERAGE_ROWS)
    ]
    return values, lines


def _blank_lines() -> list[dict[str, str]]:
    return [{"kind": "labour" if i == 0 else "part"} for i in range(COVERAGE_ROWS)]


@router.get("/warranty/coverage")
async def coverage_form(
    request: Request, who: Caller = desk("warranty"), vin: str = ""
) -> Response:
    """Ask warranty whether lines would be covered (nothing is stored)."""
    values = {name: "" for name in COVERAGE_FIELDS + FLAGS}
    values["vin"] = vin
    return render(
        request,
        "warranty/coverage.html",
        values=values,
        lines=_blank_lines(),
        errors={},
        general=[],
        answer=None,
    )


@router.post("/warranty/coverage", dependencies=[CsrfChecked])
async def coverage_check(request: Request, who: Caller = desk("warranty")) -> Response:
    """The answer per line, with the reason and the term that judged it; 三包 warnings."""
    form = await request.form()
    values, lines = _coverage_values(form)
    rows = [i for i, line in enumerate(lines) if line["code"]]
    body: dict[str, Any] = {
        "vin": values["vin"],
        "lines": [
            {k: v for k, v in lines[i].items() if v} | {"kind": lines[i]["kind"] or "labour"}
            for i in rows
        ],
    }
    for name in ("make", "model", "mileage_km", "warranty_start", "on"):
        if values[name]:
            body[name] = values[name]
    for flag in FLAGS:
        body[flag] = values[flag] == "on"
    answer: dict[str, Any] | None = None
    errors: dict[str, str] = {}
    general: list[str] = []
    status_code = 200
    try:
        answer = await who.api.warranty.post("/coverage-checks", body)
    except ApiError as exc:
        if exc.status not in (400, 409, 422):
            raise
        status_code = exc.status
        general = list(exc.messages)
        for name, message in exc.fields.items():
            parts = name.split(".")
            if len(parts) >= 2 and parts[0] == "lines" and parts[1].isdigit():
                sent = int(parts[1])
                parts[1] = str(rows[sent] if sent < len(rows) else sent)
            errors.setdefault(".".join(parts), message)
    return render(
        request,
        "warranty/coverage.html",
        status_code,
        values=values,
        lines=lines,
        errors=errors,
        general=general,
        answer=answer,
    )


async def _parts_page(
    request: Request,
    who: Caller,
    status: str = "",
    overdue: bool = False,
    failed: str = "",
    error: ApiError | None = None,
) -> Response:
    answer = await who.api.warranty.get(
        "/returned-parts", status=status or None, overdue=overdue or None
    )
    return render(
        request,
        "warranty/returned_parts.html",
        error.status if error else 200,
        parts=who.only_shown(answer["data"]),
        status=status,
        overdue=overdue,
        statuses=PART_STATUSES,
        may_act=who.may(WARRANTY_ADMIN),
        failed=failed,
        errors=error.fields if error else {},
        general=error.messages if error else [],
    )


@router.get("/warranty/returned-parts")
async def returned_parts(
    request: Request, who: Caller = desk("warranty"), status: str = "", overdue: bool = False
) -> Response:
    """The warranty-parts store: every replaced part tagged to its claim."""
    wanted = status if status in PART_STATUSES else ""
    return await _parts_page(request, who, wanted, overdue)


@router.post("/warranty/returned-parts/{part_id}/{action}", dependencies=[CsrfChecked])
async def returned_part_action(
    request: Request, part_id: uuid.UUID, action: str, who: Caller = desk("warranty")
) -> Response:
    """Record the manufacturer's request to return it, its shipment, or its release."""
    if action not in PART_ACTIONS or not who.may(WARRANTY_ADMIN):
        raise Forbidden()
    form = await request.form()
    body: dict[str, Any] = {"version": str(form.get("version", ""))}
    for name in ("ship_by", "waybill"):
        value = str(form.get(name, "")).strip()
        if value or (name == "waybill" and action == "shipment"):
            body[name] = value
    try:
        await who.api.warranty.post(f"/returned-parts/{part_id}/{action}", body)
    except ApiError as exc:
        if exc.status not in (400, 409, 422):
            raise
        return await _parts_page(request, who, failed=str(part_id), error=exc)
    who.session.add_flash(PART_FLASH[action])
    return redirect(f"/warranty/returned-parts#part-{part_id}")
