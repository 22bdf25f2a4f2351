"""Managers' dashboard: each service's KPIs for a date range, per station.

The services compute their own measures (workshop: efficiency, first-time fix, on-time; parts:
fill rate, stock; warranty: rejection rate; CRM: CSI); the console shows what they answer,
generically, so a measure a service adds appears without a console change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.console.clients import ApiError
from services.console.web import Caller, desk, render

router = APIRouter()

#: fields shown as a percentage with a bar
RATE_SUFFIXES = ("_rate", "efficiency", "productivity")


async def _fetch(call: Awaitable[Any]) -> tuple[Any, str | None]:
    try:
        return await call, None
    except ApiError as exc:
        return None, ("forbidden" if exc.forbidden else exc.summary())


def _is_rate(key: str) -> bool:
    return key.endswith(RATE_SUFFIXES)


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def panels_of(answer: Any) -> list[dict[str, Any]]:
    """A service's KPI answer as tables: scalar fields as one table, lists of rows as others."""
    if answer is None:
        return []
    items = answer if isinstance(answer, list) else [answer]
    panels: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        facts = [(k, v) for k, v in item.items() if _scalar(v)]
        if facts:
            panels.append({"kind": "facts", "rows": facts})
        for key, value in item.items():
            if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
                columns = [k for k, v in value[0].items() if _scalar(v)]
                panels.append({"kind": "table", "title": key, "columns": columns, "rows": value})
    return panels


@router.get("/dashboard")
async def dashboard(
    request: Request, who: Caller = desk("dashboard"), since: str = "", until: str = ""
) -> Response:
    """KPIs per station for the chosen dates (default: the last 30 days)."""
    try:
        last = date.fromisoformat(until) if until else date.today()
        first = date.fromisoformat(since) if since else last - timedelta(days=30)
    except ValueError:
        last, first = date.today(), date.today() - timedelta(days=30)
    if first > last:
        first, last = last, first
    stations = [who.station] if who.station else list(who.user.stations)
    api = who.api
    workshop_calls = [
        _fetch(api.workshop.get("/kpis", day=last.isoformat(), period="month", station_id=station))
        for station in stations
    ]
    results = await asyncio.gather(
        *workshop_calls,
        _fetch(api.parts.get("/kpis", station_id=who.station, days=(last - first).days or 1)),
        _fetch(api.warranty.get("/kpis", **{"from": first.isoformat(), "to": last.isoformat()})),
        _fetch(
            api.crm.get(
                "/csi",
                group_by="station",
                since=f"{first.isoformat()}T00:00:00+08:00",
                until=f"{(last + timedelta(days=1)).isoformat()}T00:00:00+08:00",
            )
        ),
    )
    workshop = results[: len(stations)]
    parts, warranty, csi = results[len(stations) :]
    sources = [
        (f"workshop:{station}", answer, error)
        for station, (answer, error) in zip(stations, workshop, strict=True)
    ] + [("parts", *parts), ("warranty", *warranty), ("crm", *csi)]
    return render(
        request,
        "dashboard.html",
        sources=[
            {"name": name, "panels": panels_of(answer), "error": error}
            for name, answer, error in sources
        ],
        since=first.isoformat(),
        until=last.isoformat(),
        is_rate=_is_rate,
    )
