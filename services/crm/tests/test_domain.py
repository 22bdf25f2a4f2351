"""CRM's rules as plain functions (§8 follow-up windows, §12 vehicle file)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.crm import domain
from services.crm.domain import FollowUpPolicy, followup_window, second_followup_window

SHANGHAI = domain.STATION_TIMEZONE


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time at the station, as aware UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def test_followup_opens_at_the_start_of_the_next_day_in_station_time() -> None:
    delivered = local(2026, 11, 23, 18, 0)  # Monday 18:00 in Beijing = 10:00 UTC
    opens_at, _ = followup_window(delivered, domain.DEFAULT_POLICY)
    assert opens_at == local(2026, 11, 24)  # Tuesday 00:00 Beijing
    assert opens_at == datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    assert opens_at.tzinfo == UTC


def test_next_day_is_the_station_calendar_day_not_the_utc_one() -> None:
    # 01:30 on the 24th in Beijing is still the 23rd in UTC: the call opens on the 25th local
    delivered = datetime(2026, 11, 23, 17, 30, tzinfo=UTC)
    opens_at, _ = followup_window(delivered, domain.DEFAULT_POLICY)
    assert opens_at == local(2026, 11, 25)


def test_faw_vw_followup_is_due_within_72_hours_of_delivery() -> None:
    delivered = local(2026, 11, 23, 15, 20)
    opens_at, due_at = followup_window(delivered, domain.policy_for("bj01"))
    assert due_at - delivered == timedelta(hours=72)
    assert opens_at == local(2026, 11, 24)


def test_buick_followup_is_due_within_three_working_days_over_a_weekend() -> None:
    delivered = local(2026, 11, 27, 15, 0)  # Friday afternoon
    opens_at, due_at = followup_window(delivered, domain.policy_for("sh01"))
    assert opens_at == local(2026, 11, 28)  # Saturday: the call may be made
    # Mon 30th, Tue 1st, Wed 2nd are the three working days: due by the end of Wednesday
    assert due_at == local(2026, 12, 3)
    assert due_at == datetime(2026, 12, 2, 16, 0, tzinfo=UTC)


def test_working_days_of_a_midweek_delivery_are_the_next_three_days() -> None:
    _, due_at = followup_window(local(2026, 11, 23, 9, 0), domain.policy_for("sh01"))  # Monday
    assert due_at == local(2026, 11, 27)  # end of Thursday


def test_a_saturday_delivery_counts_from_monday() -> None:
    _, due_at = followup_window(local(2026, 11, 28, 11, 0), domain.policy_for("sh01"))
    assert due_at == local(2026, 12, 3)  # Mon, Tue, Wed


def test_a_policy_may_open_hours_after_delivery() -> None:
    delivered = local(2026, 11, 23, 10, 0)
    opens_at, due_at = followup_window(
        delivered, FollowUpPolicy(opens_after_hours=24, due_within_hours=168)
    )
    assert opens_at == delivered + timedelta(hours=24)
    assert due_at == delivered + timedelta(days=7)


def test_a_station_without_its_own_setting_gets_next_day_and_72_hours() -> None:
    assert domain.policy_for("gz01") == domain.DEFAULT_POLICY
    assert domain.DEFAULT_POLICY.opens_after_hours is None
    assert domain.DEFAULT_POLICY.due_within_hours == 72


def test_second_followup_opens_two_weeks_after_delivery_and_is_due_three_days_later() -> None:
    delivered = local(2026, 11, 23, 15, 0)
    opens_at, due_at = second_followup_window(delivered)
    assert opens_at == delivered + timedelta(days=14)
    assert due_at == opens_at + timedelta(days=3)


def test_followup_window_refuses_a_naive_delivery_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        followup_window(datetime(2026, 11, 23, 10, 0), domain.DEFAULT_POLICY)


def test_a_policy_is_due_by_hours_or_by_working_days() -> None:
    with pytest.raises(ValueError):
        FollowUpPolicy(due_within_hours=72, due_within_working_days=3)
    with pytest.raises(ValueError):
        FollowUpPolicy(opens_after_hours=80, due_within_hours=72)


def test_vehicle_file_keeps_the_highest_mileage() -> None:
    assert domain.last_mileage(42000, 43500) == 43500
    assert domain.last_mileage(42000, 4200) == 42000  # a typo does not roll the odometer back
    assert domain.last_mileage(None, 100) == 100
    assert domain.last_mileage(42000, None) == 42000
