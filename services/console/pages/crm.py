"""CRM queue: follow-up calls oldest deadline first; customer files."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.console.clients import ApiError
from services.console.desks import RECORD_CALL
from services.console.web import Caller, CsrfChecked, Forbidden, desk, redirect, render

router = APIRouter()

FOLLOWUP_STATUSES = ("open", "scheduled", "done", "unreachable", "expired")


async def _orders(who: Caller) -> dict[str, dict[str, Any]]:
    """Order number, customer and plate for each call (from reception's orders)."""
    try:
        answer = await who.api.reception.get("/repair-orders", limit=200)
    except ApiError:
        return {}
    return {order["id"]: order for order in answer["data"]}


OUTCOMES = ("satisfied", "reached", "not_reached", "dissatisfied")


async def _queue_page(
    request: Request,
    who: Caller,
    status: str = "open",
    status_code: int = 200,
    failed_call: str = "",
    values: dict[str, str] | None = None,
    error: ApiError | None = None,
) -> Response:
    wanted = status if status in FOLLOWUP_STATUSES else None
    answer, orders = await asyncio.gather(
        who.api.crm.get("/follow-ups", status=wanted, limit=200), _orders(who)
    )
    calls = sorted(who.only_shown(answer["data"]), key=lambda f: f["due_at"])
    return render(
        request,
        "crm/queue.html",
        calls=calls,
        orders=orders,
        status=wanted or "",
        statuses=FOLLOWUP_STATUSES,
        outcomes=OUTCOMES,
        may_record=who.may(RECORD_CALL),
        now=datetime.now(UTC).isoformat(),
        failed_call=failed_call,
        values=values or {},
        errors=error.fields if error else {},
        general=error.messages if error else [],
    )


@router.get("/crm")
async def queue(request: Request, who: Caller = desk("crm"), status: str = "open") -> Response:
    """Follow-up calls of the station, the one due soonest (or most overdue) first."""
    return await _queue_page(request, who, status)


@router.post("/crm/follow-ups/{followup_id}/outcome", dependencies=[CsrfChecked])
async def record_outcome(
    request: Request, followup_id: uuid.UUID, who: Caller = desk("crm")
) -> Response:
    """One click per call: what it gave (a dissatisfied customer needs the reason, and may
    open a complaint; CRM escalates to the manager)."""
    if not who.may(RECORD_CALL):
        raise Forbidden()
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in ("outcome", "content", "reason")}
    values["complaint"] = "on" if form.get("complaint") == "on" else ""
    body: dict[str, Any] = {"outcome": values["outcome"], "content": values["content"]}
    if values["reason"]:
        body["reason"] = values["reason"]
    if values["complaint"]:
        body["complaint"] = True
    try:
        await who.api.crm.post(f"/follow-ups/{followup_id}/outcome", body)
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        return await _queue_page(request, who, "open", exc.status, str(followup_id), values, exc)
    who.session.add_flash("flash.call_recorded")
    return redirect("/crm")


@router.get("/crm/customers")
async def customers(
    request: Request,
    who: Caller = desk("customers"),
    phone: str = "",
    name: str = "",
    vin: str = "",
) -> Response:
    """Find a customer file by phone, name or VIN (each file listed is logged as read, so
    nothing is listed before the user searches)."""
    found: list[dict[str, Any]] = []
    searched = any(v.strip() for v in (phone, name, vin))
    if searched:
        answer = await who.api.crm.get(
            "/customers", phone=phone.strip(), name=name.strip(), vin=vin.strip().upper()
        )
        found = answer["data"]
    return render(
        request,
        "crm/customers.html",
        found=found,
        searched=searched,
        values={"phone": phone, "name": name, "vin": vin},
    )


@router.get("/crm/customers/{customer_id}")
async def customer_file(
    request: Request, customer_id: uuid.UUID, who: Caller = desk("customers")
) -> Response:
    """The customer's file: vehicles and visits at every station."""
    found = await who.api.crm.get(f"/customers/{customer_id}")
    return render(request, "crm/customer.html", customer=found)


@router.get("/crm/complaints")
async def complaints(request: Request, who: Caller = desk("crm"), status: str = "open") -> Response:
    """Complaints of the station, the earliest promised answer first (each one listed is
    logged as read by CRM)."""
    wanted = status if status in ("open", "answered") else None
    answer = await who.api.crm.get("/complaints", status=wanted, limit=200)
    return render(
        request,
        "crm/complaints.html",
        complaints=who.only_shown(answer["data"]),
        status=wanted or "",
        now=datetime.now(UTC).isoformat(),
    )
