"""Workshop days are the station's local days (shared.calendar: its time zone), not UTC days:
the KPIs of a day or month, the board's "done today" and the capacity of a day are cut at the
station's midnight (process: "Measures the managers read", per station and day/month)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.workshop import service
from services.workshop.tests.builders import labour_line, order_created
from services.workshop.tests.flow import clock_on, complete, dispatch, jobs_of
from shared import clock
from shared.calendar import StationCalendar, StationHours, calendar_for
from shared.testing import auth_headers

BEIJING = calendar_for("bj01").zone


def at_beijing(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING).astimezone(UTC)


@pytest.fixture
def manual_clock() -> Iterator[clock.ManualClock]:
    with clock.driven(clock.ManualClock(at_beijing(2026, 11, 23, 22, 0))) as driven:
        assert isinstance(driven, clock.ManualClock)
        yield driven


async def clocked_job(workshop, manual_clock, start: datetime, hours: float, code: str) -> None:
    """A technician clocks on at ``start`` and finishes ``hours`` later (1.0 sold)."""
    manual_clock.set(start)
    event = order_created(labour_line(code, "1.0", major_system=None))
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    assert (await dispatch(workshop, job.id, "tech.bj01")).status_code == 200
    assert (await clock_on(workshop, job.id, "tech.bj01")).status_code == 200
    manual_clock.advance(timedelta(hours=hours))
    response = await complete(workshop, job.id, "0")
    assert response.status_code == 200, response.text


async def kpis(workshop, day: str, period: str = "day") -> dict[str, Any]:
    response = await workshop.client.get(
        "/kpis", params={"day": day, "period": period}, headers=auth_headers("manager.bj01")
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_a_job_clocked_until_2330_local_belongs_to_that_local_day(
    workshop, manual_clock
) -> None:
    """Beijing: 22:30–23:30 on the 23rd is that evening's work (15:30 UTC, same date)."""
    await clocked_job(workshop, manual_clock, at_beijing(2026, 11, 23, 22, 30), 1, "LATE-01")
    day = await kpis(workshop, "2026-11-23")
    assert Decimal(day["sold_hours"]) == Decimal("1")
    assert Decimal(day["clocked_hours"]) == Decimal("1")
    assert day["orders_completed"] == 1
    assert Decimal((await kpis(workshop, "2026-11-24"))["sold_hours"]) == 0


async def test_a_job_clocked_until_2330_local_west_of_utc_belongs_to_that_local_day(
    workshop, manual_clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A station whose calendar is behind UTC (New York, UTC-5 in November): 23:30 local on the
    23rd is 04:30 UTC on the 24th, and still the 23rd's work at that station."""
    new_york = StationCalendar("bj01", StationHours(timezone="America/New_York"))
    monkeypatch.setattr(service, "calendar_for", lambda _station: new_york)
    start = datetime(2026, 11, 23, 22, 30, tzinfo=new_york.zone).astimezone(UTC)
    await clocked_job(workshop, manual_clock, start, 1, "LATE-01")
    assert manual_clock.now() == datetime(2026, 11, 24, 4, 30, tzinfo=UTC)
    day = await kpis(workshop, "2026-11-23")
    assert Decimal(day["sold_hours"]) == Decimal("1")
    assert Decimal(day["clocked_hours"]) == Decimal("1")
    assert Decimal(day["efficiency"]) == Decimal("1")
    assert day["orders_completed"] == 1
    next_day = await kpis(workshop, "2026-11-24")
    assert Decimal(next_day["sold_hours"]) == 0
    assert Decimal(next_day["clocked_hours"]) == 0
    assert next_day["orders_completed"] == 0


async def test_early_morning_work_in_beijing_is_that_days_not_the_utc_day_before(
    workshop, manual_clock
) -> None:
    """06:30–07:30 in Beijing on the 24th is 22:30–23:30 UTC on the 23rd: the 24th's work."""
    await clocked_job(workshop, manual_clock, at_beijing(2026, 11, 24, 6, 30), 1, "EARLY-01")
    assert manual_clock.now() == datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    assert Decimal((await kpis(workshop, "2026-11-23"))["sold_hours"]) == 0
    day = await kpis(workshop, "2026-11-24")
    assert Decimal(day["sold_hours"]) == Decimal("1")
    assert Decimal(day["clocked_hours"]) == Decimal("1")
    assert day["orders_completed"] == 1
    # the board's "done today" at 09:00 Beijing counts it (its UTC day began at 08:00 Beijing)
    manual_clock.set(at_beijing(2026, 11, 24, 9, 0))
    board = (await workshop.client.get("/board", headers=auth_headers("foreman.bj01"))).json()
    assert board["done_today"] == 1


async def test_a_kpi_month_is_cut_at_the_stations_midnight(workshop, manual_clock) -> None:
    """00:30 on 1 December in Beijing (16:30 UTC on 30 November) is December's work."""
    await clocked_job(workshop, manual_clock, at_beijing(2026, 11, 30, 23, 30), 1, "NIGHT-01")
    assert manual_clock.now() == datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
    november = await kpis(workshop, "2026-11-15", "month")
    december = await kpis(workshop, "2026-12-15", "month")
    assert (november["orders_completed"], december["orders_completed"]) == (0, 1)
    assert Decimal(december["sold_hours"]) == Decimal("1")
    assert Decimal(november["clocked_hours"]) == 0


async def test_capacity_books_a_promise_on_the_stations_local_day(workshop, manual_clock) -> None:
    """A car promised for 07:00 Beijing on the 24th (23:00 UTC on the 23rd) takes the 24th's
    hours."""
    promised = order_created(labour_line("BRK-010", "1.2")).model_copy(
        update={"promised_at": at_beijing(2026, 11, 24, 7, 0)}
    )
    await workshop.publish(promised)
    headers = auth_headers("foreman.bj01")
    booked = {}
    for day in ("2026-11-23", "2026-11-24"):
        answer = await workshop.client.get("/capacity", params={"day": day}, headers=headers)
        booked[day] = Decimal(answer.json()["booked_hours"])
    assert booked == {"2026-11-23": Decimal("0"), "2026-11-24": Decimal("1.2")}
