"""Station time: time zone, opening hours, public holidays and make-up working days (调休).

Every rule that speaks of "the next working day", "opening hours" or "not on a holiday" asks a
``StationCalendar``. Times are stored in UTC everywhere; a calendar turns them into the
station's local time to decide.

The public holidays of mainland China are published each year by the State Council
(国务院办公厅关于部分节假日安排的通知), including weekend days that become working days.
The years below are built in; ``STATION_CALENDAR_FILE`` (JSON) adds or overrides years and
station hours without a release::

    {"holidays": {"2027": ["2027-01-01", ...]}, "workdays": {"2027": ["2027-02-07"]},
     "stations": {"bj01": {"opens": "08:00", "closes": "18:30", "open_on_holidays": false}}}
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo


def _days(first: str, last: str) -> list[date]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


#: 国务院办公厅关于2026年部分节假日安排的通知
HOLIDAYS: dict[int, frozenset[date]] = {
    2026: frozenset(
        [
            *_days("2026-01-01", "2026-01-03"),  # 元旦
            *_days("2026-02-15", "2026-02-23"),  # 春节
            *_days("2026-04-04", "2026-04-06"),  # 清明节
            *_days("2026-05-01", "2026-05-05"),  # 劳动节
            *_days("2026-06-19", "2026-06-21"),  # 端午节
            *_days("2026-09-25", "2026-09-27"),  # 中秋节
            *_days("2026-10-01", "2026-10-07"),  # 国庆节
        ]
    ),
}

#: weekend days that are working days in exchange (调休上班)
MAKE_UP_WORKDAYS: dict[int, frozenset[date]] = {
    2026: frozenset(
        date.fromisoformat(d)
        for d in (
            "2026-01-04",
            "2026-02-14",
            "2026-02-28",
            "2026-05-09",
            "2026-09-20",
            "2026-10-10",
        )
    ),
}


@dataclass(frozen=True)
class StationHours:
    timezone: str = "Asia/Shanghai"
    opens: time = time(8, 30)
    closes: time = time(18, 0)
    #: dealer workshops open at weekends; offices (CRM calls) follow the official calendar
    open_on_weekends: bool = True
    open_on_holidays: bool = False


@dataclass(frozen=True)
class StationCalendar:
    station_id: str
    hours: StationHours = StationHours()
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.hours.timezone)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def local_day(self, moment: datetime) -> date:
        return self.local(moment).date()

    def is_public_holiday(self, day: date) -> bool:
        return day in self.holidays

    def is_official_workday(self, day: date) -> bool:
        """A working day in the official calendar: Mon–Fri or a make-up day, not a holiday."""
        if day in self.holidays:
            return False
        return day.weekday() < 5 or day in self.workdays

    def is_open(self, day: date) -> bool:
        """Whether the station (reception and workshop) works on ``day``."""
        if day in self.holidays:
            return self.hours.open_on_holidays
        if day.weekday() >= 5 and day not in self.workdays:
            return self.hours.open_on_weekends
        return True

    def at(self, day: date, clock_time: time) -> datetime:
        """The UTC moment of a local wall-clock time on ``day``."""
        return datetime.combine(day, clock_time, self.zone).astimezone(UTC)

    def next_open_moment(self, moment: datetime) -> datetime:
        """``moment`` if the station is open then, else the next opening time."""
        local = self.local(moment)
        day = local.date()
        for _ in range(400):
            if self.is_open(day):
                opens, closes = self.at(day, self.hours.opens), self.at(day, self.hours.closes)
                if moment < opens:
                    return opens
                if moment < closes:
                    return moment
            day += timedelta(days=1)
        raise ValueError(f"station {self.station_id} is never open")

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """When ``duration`` of working time has passed from ``start``, counting opening hours."""
        moment = self.next_open_moment(start)
        remaining = duration
        while True:
            closes = self.at(self.local_day(moment), self.hours.closes)
            if moment + remaining <= closes:
                return moment + remaining
            remaining -= closes - moment
            moment = self.next_open_moment(closes + timedelta(seconds=1))
            moment = self.at(self.local_day(moment), self.hours.opens)

    def next_official_workday(self, day: date) -> date:
        """The first official working day after ``day`` (for office work such as calls)."""
        nxt = day + timedelta(days=1)
        while not self.is_official_workday(nxt):
            nxt += timedelta(days=1)
        return nxt

    def open_days(self, first: date, last: date) -> Iterable[date]:
        day = first
        while day <= last:
            if self.is_open(day):
                yield day
            day += timedelta(days=1)


@lru_cache(maxsize=1)
def _overrides() -> dict[str, dict]:
    path = os.environ.get("STATION_CALENDAR_FILE")
    if not path:
        return {}
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return data


def calendar_for(station_id: str) -> StationCalendar:
    """The calendar of one station: built-in years, then ``STATION_CALENDAR_FILE``."""
    data = _overrides()
    holidays = {year: set(days) for year, days in HOLIDAYS.items()}
    workdays = {year: set(days) for year, days in MAKE_UP_WORKDAYS.items()}
    for key, target in (("holidays", holidays), ("workdays", workdays)):
        for year, days in (data.get(key) or {}).items():
            target[int(year)] = {date.fromisoformat(d) for d in days}
    hours = StationHours()
    spec = (data.get("stations") or {}).get(station_id) or {}
    if spec:
        hours = replace(
            hours,
            timezone=spec.get("timezone", hours.timezone),
            opens=time.fromisoformat(spec["opens"]) if "opens" in spec else hours.opens,
            closes=time.fromisoformat(spec["closes"]) if "closes" in spec else hours.closes,
            open_on_weekends=spec.get("open_on_weekends", hours.open_on_weekends),
            open_on_holidays=spec.get("open_on_holidays", hours.open_on_holidays),
        )
    if hours.closes <= hours.opens:
        raise ValueError(f"station {station_id}: closes must be after opens")
    return StationCalendar(
        station_id,
        hours,
        frozenset(d for days in holidays.values() for d in days),
        frozenset(d for days in workdays.values() for d in days),
    )
