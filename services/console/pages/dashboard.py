"""Managers' dashboard: each service's KPIs for a date range, per station, as charts.

The services compute their own measures (workshop: efficiency, first-time fix, on-time; parts:
fill rate, stock; warranty: rejection rate; CRM: CSI and 72-hour follow-up completion); the
console draws the process document's KPIs as bar charts per station (server-rendered inline
SVG: nothing loaded from elsewhere) and lists everything else a service answers, generically,
so a measure a service adds appears without a console change. The appointment share is the
one figure no service computes: the share of the period's repair orders (reception's list)
that came from an appointment.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

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
    today = datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()  # stations' day
    try:
        last = date.fromisoformat(until) if until else today
        first = date.fromisoformat(since) if since else last - timedelta(days=30)
    except ValueError:
        last, first = today, today - timedelta(days=30)
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
    window = {
        "since": f"{first.isoformat()}T00:00:00+08:00",
        "until": f"{(last + timedelta(days=1)).isoformat()}T00:00:00+08:00",
    }
    followups, orders = await asyncio.gather(
        _fetch(api.crm.get("/follow-ups/summary", **window)),
        _fetch(api.reception.get("/repair-orders", limit=200)),
    )
    charts = kpi_charts(
        stations,
        workshop=[answer for answer, _ in workshop],
        parts=parts[0],
        warranty=warranty[0],
        csi=csi[0],
        followups=followups[0],
        orders=orders[0],
        window=(window["since"], window["until"]),
    )
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
        charts=charts,
        since=first.isoformat(),
        until=last.isoformat(),
        is_rate=_is_rate,
    )


#: the process document's KPIs: key, scale ("rate": 0–1 shown as %, "ratio": x.xx, "score":
#: 0–100), and whether higher is better
KPIS: tuple[tuple[str, str, bool], ...] = (
    ("first_time_fix", "rate", True),
    ("efficiency", "ratio", True),
    ("followup_72h", "rate", True),
    ("csi", "score", True),
    ("fill_rate", "rate", True),
    ("claim_rejection", "rate", False),
    ("appointment_share", "rate", True),
    ("on_time_delivery", "rate", True),
)
BAR_MAX_PX = 220
ROW_PX = 26


def _number(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _by_station(rows: Any, key: str, value: str) -> dict[str, float | None]:
    if not isinstance(rows, list):
        return {}
    return {str(r.get(key)): _number(r.get(value)) for r in rows if isinstance(r, dict)}


def _appointment_share(orders: Any, window: tuple[str, str]) -> dict[str, float | None]:
    """Per station: orders opened in the window that came from an appointment / all."""
    if not isinstance(orders, dict):
        return {}
    since, until = (_instant(v) for v in window)
    counts: dict[str, list[int]] = {}
    for order in orders.get("data", []):
        created = _instant(str(order.get("created_at", "")))
        if created is None or since is None or until is None or not since <= created < until:
            continue
        seen = counts.setdefault(str(order["station_id"]), [0, 0])
        seen[1] += 1
        seen[0] += 1 if order.get("appointment_id") else 0
    return {
        station: (booked / total if total else None) for station, (booked, total) in counts.items()
    }


def _instant(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def kpi_charts(
    stations: list[str],
    *,
    workshop: list[Any],
    parts: Any,
    warranty: Any,
    csi: Any,
    followups: Any,
    orders: Any,
    window: tuple[str, str],
) -> list[dict[str, Any]]:
    """One bar chart per KPI, a bar per station (None: the service had no figure)."""
    shop = {
        station: answer
        for station, answer in zip(stations, workshop, strict=True)
        if isinstance(answer, dict)
    }
    series: dict[str, dict[str, float | None]] = {
        "first_time_fix": {s: _number(a.get("first_time_fix_rate")) for s, a in shop.items()},
        "efficiency": {s: _number(a.get("efficiency")) for s, a in shop.items()},
        "on_time_delivery": {s: _number(a.get("on_time_rate")) for s, a in shop.items()},
        "fill_rate": _by_station(
            parts.get("data") if isinstance(parts, dict) else None, "station_id", "fill_rate"
        ),
        "claim_rejection": _by_station(
            warranty.get("stations") if isinstance(warranty, dict) else None,
            "scope",
            "rejection_rate",
        ),
        "csi": _by_station(csi.get("data") if isinstance(csi, dict) else None, "key", "csi"),
        "followup_72h": _by_station(
            followups.get("data") if isinstance(followups, dict) else None,
            "station_id",
            "completion_in_time",
        ),
        "appointment_share": _appointment_share(orders, window),
    }
    charts = []
    for key, scale, higher_better in KPIS:
        values = series.get(key, {})
        shown = [(station, values.get(station)) for station in stations]
        top = {"rate": 1.0, "score": 100.0}.get(scale) or max(
            [1.0, *(v for _, v in shown if v is not None)]
        )
        bars = []
        for index, (station, value) in enumerate(shown):
            width = 0 if value is None else round(min(value / top, 1.0) * BAR_MAX_PX, 1)
            if value is None:
                text = "–"
            elif scale == "rate":
                text = f"{value * 100:.1f}%"
            elif scale == "score":
                text = f"{value:.1f}"
            else:
                text = f"{value:.2f}"
            bars.append(
                {
                    "station": station,
                    "value": value,
                    "text": text,
                    "width": width,
                    "y": 8 + index * ROW_PX,
                }
            )
        charts.append(
            {
                "key": key,
                "scale": scale,
                "higher_better": higher_better,
                "bars": bars,
                "height": 16 + len(bars) * ROW_PX,
                "bar_max": BAR_MAX_PX,
                "has_data": any(b["value"] is not None for b in bars),
            }
        )
    return charts
