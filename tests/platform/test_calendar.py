"""Station calendars: opening hours, public holidays and make-up working days (调休)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from shared import calendar
from shared.calendar import calendar_for


def test_national_day_is_a_holiday_and_the_saturday_after_is_a_working_day() -> None:
    cal = calendar_for("bj01")
    assert cal.is_public_holiday(date(2026, 10, 1))
    assert not cal.is_official_workday(date(2026, 10, 5))
    assert cal.is_official_workday(date(2026, 10, 10))  # Saturday, 调休上班
    assert not cal.is_official_workday(date(2026, 10, 11))  # an ordinary Sunday


def test_the_next_official_workday_skips_the_spring_festival() -> None:
    cal = calendar_for("bj01")
    assert cal.next_official_workday(date(2026, 2, 13)) == date(2026, 2, 14)
    assert cal.next_official_workday(date(2026, 2, 14)) == date(2026, 2, 24)


def test_working_time_is_counted_in_opening_hours_only() -> None:
    cal = calendar_for("bj01")
    # 17:00 Beijing time on a Tuesday = 09:00 UTC; 3 hours of work: 1 h today, 2 h tomorrow
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    done = cal.add_working_time(start, timedelta(hours=3))
    assert cal.local(done) == datetime(2026, 11, 25, 10, 30, tzinfo=cal.zone)


def test_an_order_opened_at_night_starts_counting_at_the_next_opening() -> None:
    cal = calendar_for("bj01")
    night = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # 22:00 local
    assert cal.local(cal.next_open_moment(night)) == datetime(2026, 11, 25, 8, 30, tzinfo=cal.zone)
    assert cal.local(cal.add_working_time(night, timedelta(hours=1))).hour == 9


def test_work_does_not_run_through_a_holiday() -> None:
    cal = calendar_for("bj01")
    before = cal.at(date(2026, 9, 30), cal.hours.closes) - timedelta(hours=1)
    done = cal.add_working_time(before, timedelta(hours=2))
    assert cal.local_day(done) == date(2026, 10, 8)


def test_a_calendar_file_overrides_hours_and_adds_a_year(tmp_path, monkeypatch) -> None:
    spec = {
        "holidays": {"2027": ["2027-01-01"]},
        "stations": {"sh01": {"opens": "09:00", "closes": "17:00", "open_on_weekends": False}},
    }
    path = tmp_path / "calendar.json"
    path.write_text(json.dumps(spec))
    monkeypatch.setenv("STATION_CALENDAR_FILE", str(path))
    calendar._overrides.cache_clear()
    try:
        cal = calendar_for("sh01")
        assert cal.is_public_holiday(date(2027, 1, 1))
        assert cal.is_public_holiday(date(2026, 10, 1))  # built-in years stay
        assert not cal.is_open(date(2026, 11, 28))  # Saturday
        saturday_noon = cal.at(date(2026, 11, 28), cal.hours.opens)
        assert cal.local(cal.next_open_moment(saturday_noon)).date() == date(2026, 11, 30)
        assert calendar_for("bj01").hours.opens.hour == 8
    finally:
        calendar._overrides.cache_clear()


def test_a_station_that_closes_before_it_opens_is_refused(tmp_path, monkeypatch) -> None:
    path = tmp_path / "calendar.json"
    path.write_text(json.dumps({"stations": {"bj01": {"opens": "18:00", "closes": "08:00"}}}))
    monkeypatch.setenv("STATION_CALENDAR_FILE", str(path))
    calendar._overrides.cache_clear()
    try:
        with pytest.raises(ValueError, match="closes must be after opens"):
            calendar_for("bj01")
    finally:
        calendar._overrides.cache_clear()
