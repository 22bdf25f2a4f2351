"""Parts counter: stock search across the group, availability per station, reservations."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.console.clients import ApiError
from services.console.web import Caller, CallerDep, desk, render
from shared.auth import Role

router = APIRouter()

#: parts looked up per search (each needs its own availability call)
SEARCH_LIMIT = 20


async def _availability(who: Caller, part_no: str) -> dict[str, Any] | None:
    try:
        answer: dict[str, Any] = await who.api.parts.get(f"/stock/{part_no}/availability")
    except ApiError as exc:
        if exc.not_found:
            return None
        raise
    return answer


@router.get("/parts")
async def counter_page(
    request: Request, who: Caller = desk("parts"), q: str = "", order: str = ""
) -> Response:
    """Search the catalogue and see where each part is in stock; an order's reservations
    (issued to the job and returned from it at the counter)."""
    return await counter(request, who, q, order)


async def counter(
    request: Request,
    who: Caller,
    q: str = "",
    order: str = "",
    failure: dict[str, Any] | None = None,
) -> Response:
    """The counter page; ``failure``: a refused issue/return to show on its reservation."""
    failure = failure or {"form": "", "values": {}, "errors": {}, "general": [], "status": 200}
    q = q.strip()
    results: list[dict[str, Any]] = []
    if q:
        found = await who.api.parts.get("/parts", q=q, limit=SEARCH_LIMIT)
        availabilities = await asyncio.gather(
            *(_availability(who, part["part_no"]) for part in found["data"])
        )
        results = [
            {"part": part, "availability": availability}
            for part, availability in zip(found["data"], availabilities, strict=True)
        ]
    order_id: uuid.UUID | None = None
    if order:
        try:
            order_id = uuid.UUID(order)
        except ValueError:
            order_id = None
    reservations, orders, low = await asyncio.gather(
        who.api.parts.get("/reservations", order_id=order_id, limit=100),
        who.api.reception.get("/repair-orders", limit=200),
        who.api.parts.get("/stock", below_reorder_point=True, station_id=who.station, limit=200),
    )
    return render(
        request,
        "parts/counter.html",
        failure["status"],
        failure=failure,
        may_store=who.may(frozenset({Role.PARTS_CLERK, Role.SERVICE_MANAGER})),
        tab="counter",
        q=q,
        results=results,
        reservations=who.only_shown(reservations["data"]),
        orders={o["id"]: o for o in orders["data"]},
        order_id=str(order_id) if order_id else "",
        low_stock=who.only_shown(low["data"]),
    )


@router.get("/parts/badge")
async def availability_badge(request: Request, who: CallerDep) -> Response:
    """htmx: "in stock" under a part number typed on the order form (nothing for a labour
    operation code, which is not in the parts catalogue)."""
    part_no = next(
        (value.strip() for key, value in request.query_params.items() if key.endswith("code")),
        "",
    )
    if not part_no:
        return HTMLResponse("")
    try:
        availability = await _availability(who, part_no)
    except ApiError:
        return HTMLResponse("")
    if availability is None:
        return HTMLResponse("")
    return render(request, "parts/_badge.html", availability=availability)
