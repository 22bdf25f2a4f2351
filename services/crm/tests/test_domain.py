"""CRM's rules as plain functions (§8 follow-up windows, §12 vehicle file)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.crm import domain
from services.crm.domain import FollowUpPolicy, followup_window, second_followup_window
from shared.calendar import calendar_for

SHANGHAI = domain.STATION_TIMEZONE
BJ01 = calendar_for("bj01")
SH01 = calendar_for("sh01")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time at the station, as aware UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def test_followup_opens_at_office_hours_of_the_next_official_working_day() -> None:
    delivered = local(2026, 11, 23, 18, 0)  # Monday 18:00 in Beijing = 10:00 UTC
    opens_at, _ = followup_window(delivered, domain.DEFAULT_POLICY, BJ01)
    assert opens_at == local(2026, 11, 24, 8, 30)  # Tuesday, when the office opens
    assert opens_at == datetime(2026, 11, 24, 0, 30, tzinfo=UTC)
    assert opens_at.tzinfo == UTC


def test_next_day_is_the_station_calendar_day_not_the_utc_one() -> None:
    # 01:30 on the 24th in Beijing is still the 23rd in UTC: the call opens on the 25th local
    delivered = datetime(2026, 11, 23, 17, 30, tzinfo=UTC)
    opens_at, _ = followup_window(delivered, domain.DEFAULT_POLICY, BJ01)
    assert opens_at == local(2026, 11, 25, 8, 30)


def test_faw_vw_followup_is_due_within_72_hours_of_delivery() -> None:
    delivered = local(2026, 11, 23, 15, 20)
    opens_at, due_at = followup_window(delivered, domain.policy_for("bj01"), BJ01)
    assert due_at - delivered == timedelta(hours=72)
    assert opens_at == local(2026, 11, 24, 8, 30)


def test_buick_followup_is_due_within_three_working_days_over_a_weekend() -> None:
    delivered = local(2026, 11, 27, 15, 0)  # Friday afternoon
    opens_at, due_at = followup_window(delivered, domain.policy_for("sh01"), SH01)
    assert opens_at == local(2026, 11, 30, 8, 30)  # not at the weekend: Monday morning
    # Mon 30th, Tue 1st, Wed 2nd are the three working days: due by the end of Wednesday
    assert due_at == local(2026, 12, 3)
    assert due_at == datetime(2026, 12, 2, 16, 0, tzinfo=UTC)


def test_working_days_of_a_midweek_delivery_are_the_next_three_days() -> None:
    _, due_at = followup_window(local(2026, 11, 23, 9, 0), domain.policy_for("sh01"), SH01)
    assert due_at == local(2026, 11, 27)  # end of Thursday


def test_a_saturday_delivery_counts_from_monday() -> None:
    _, due_at = followup_window(local(2026, 11, 28, 11, 0), domain.policy_for("sh01"), SH01)
    assert due_at == local(2026, 12, 3)  # Mon, Tue, Wed


def test_a_policy_may_open_hours_after_delivery() -> None:
    delivered = local(2026, 11, 23, 10, 0)
    opens_at, due_at = followup_window(
        delivered, FollowUpPolicy(opens_after_hours=24, due_within_hours=168), BJ01
    )
    assert opens_at == delivered + timedelta(hours=24)
    assert due_at == delivered + timedelta(days=7)


def test_a_station_without_its_own_setting_gets_next_day_and_72_hours() -> None:
    assert domain.policy_for("gz01") == domain.DEFAULT_POLICY
    assert domain.DEFAULT_POLICY.opens_after_hours is None
    assert domain.DEFAULT_POLICY.due_within_hours == 72


def test_second_followup_opens_two_weeks_after_delivery_and_is_due_three_days_later() -> None:
    delivered = local(2026, 11, 23, 15, 0)
    opens_at, due_at = second_followup_window(delivered, BJ01)
    assert opens_at == delivered + timedelta(days=14)
    assert due_at == opens_at + timedelta(days=3)


def test_followup_window_refuses_a_naive_delivery_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        followup_window(datetime(2026, 11, 23, 10, 0), domain.DEFAULT_POLICY, BJ01)


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


# --- §8 expiry, retries, escalation ------------------------------------------------------


def test_followup_expires_on_day_seven_by_default_and_the_day_is_configurable() -> None:
    delivered = local(2026, 11, 23, 10)
    assert domain.followup_expiry(delivered, domain.DEFAULT_POLICY) == delivered + timedelta(days=7)
    five = FollowUpPolicy(expires_after_days=5)
    assert domain.followup_expiry(delivered, five) == delivered + timedelta(days=5)
    with pytest.raises(ValueError):
        FollowUpPolicy(expires_after_days=0)


def test_outcome_cannot_be_recorded_before_the_call_opens_or_twice() -> None:
    opens = local(2026, 11, 24)
    assert domain.can_record_outcome("open", opens, opens) is None
    assert domain.can_record_outcome("scheduled", opens, opens - timedelta(minutes=1))
    for closed in ("done", "unreachable", "expired"):
        refusal = domain.can_record_outcome(closed, opens, opens + timedelta(hours=1))
        assert refusal is not None and "twice" in refusal


def test_not_reached_is_retried_after_a_pause_up_to_three_attempts_before_expiry() -> None:
    now = local(2026, 11, 24, 10)
    expires = now + timedelta(days=5)
    assert domain.after_not_reached(1, now, expires) == (False, now + domain.RETRY_AFTER)
    assert domain.after_not_reached(2, now, expires) == (False, now + domain.RETRY_AFTER)
    assert domain.after_not_reached(3, now, expires) == (True, None)
    assert domain.after_not_reached(1, now, now + timedelta(hours=1)) == (True, None)


def test_dissatisfied_customer_is_escalated_at_once() -> None:
    assert domain.dissatisfied_is_escalated("dissatisfied")
    assert not domain.dissatisfied_is_escalated("satisfied")


# --- §9 complaints -------------------------------------------------------------------------


def test_complaint_answer_time_is_the_stated_one_or_the_severitys_default() -> None:
    opened = local(2026, 11, 23, 10)
    assert domain.promised_answer_time(opened, "minor") == opened + timedelta(hours=48)
    assert domain.promised_answer_time(opened, "serious") == opened + timedelta(hours=24)
    stated = opened + timedelta(hours=3)
    assert domain.promised_answer_time(opened, "minor", stated) == stated
    with pytest.raises(ValueError):
        domain.promised_answer_time(opened, "minor", opened - timedelta(hours=1))


def test_serious_complaint_goes_to_the_manager_and_names_the_manufacturer() -> None:
    assert domain.complaint_escalated_at_once("minor", False) is None
    assert domain.complaint_escalated_at_once("serious", False) == "serious complaint"
    assert "manufacturer" in (domain.complaint_escalated_at_once("serious", True) or "")


# --- §12 contact details --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("13800000001", "+8613800000001"),
        ("138 0000 0001", "+8613800000001"),
        ("+86 138-0000-0001", "+8613800000001"),
        ("008613800000001", "+8613800000001"),
        ("010-65529988", "+861065529988"),
        ("+86 21 5888 1234", "+862158881234"),
    ],
)
def test_phone_numbers_are_normalised_to_plus_86(raw: str, normalised: str) -> None:
    assert domain.normalise_phone(raw) == normalised


@pytest.mark.parametrize("raw", ["12345", "call me", "23800000001", ""])
def test_a_phone_number_that_is_not_chinese_is_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        domain.normalise_phone(raw)


def test_emails_are_checked_and_lower_cased() -> None:
    assert domain.normalise_email(" Zhang.Wei@Example.CN ") == "zhang.wei@example.cn"
    for bad in ("zhang@", "@example.cn", "zhang wei@example.cn", "zhang@example"):
        with pytest.raises(ValueError):
            domain.normalise_email(bad)


# --- §8 maintenance reminders ------------------------------------------------------------


def test_average_km_per_day_from_the_mileage_history() -> None:
    start = local(2026, 1, 1)
    readings = [
        (start, 10000),
        (start + timedelta(days=50), 12000),
        (start + timedelta(days=100), 14000),
    ]
    assert domain.average_km_per_day(readings) == 40
    assert domain.average_km_per_day(readings[:1]) is None
    assert domain.average_km_per_day([(start, 10000), (start, 10100)]) is None


def test_next_service_is_due_by_date_or_by_mileage_whichever_comes_first() -> None:
    delivered = local(2026, 11, 23).date()
    by_km = domain.next_service_due(
        delivered,
        next_service_date=delivered + timedelta(days=365),
        next_service_km=50000,
        current_km=42000,
        km_per_day=domain.Decimal("40"),
    )
    assert by_km == delivered + timedelta(days=200)
    by_date = domain.next_service_due(
        delivered,
        next_service_date=delivered + timedelta(days=90),
        next_service_km=50000,
        current_km=42000,
        km_per_day=domain.Decimal("40"),
    )
    assert by_date == delivered + timedelta(days=90)
    assert (
        domain.next_service_due(
            delivered, next_service_date=None, next_service_km=None, current_km=1, km_per_day=None
        )
        is None
    )


def test_reminder_is_sent_two_weeks_ahead_at_nine_local_and_never_in_the_past() -> None:
    due = local(2027, 5, 23).astimezone(SHANGHAI).date()
    now = local(2026, 11, 23)
    assert domain.reminder_time(due, now) == local(2027, 5, 9, 9)
    late = local(2027, 5, 20)
    assert domain.reminder_time(due, late) == late


def test_customer_who_withdrew_consent_is_not_contacted() -> None:
    assert domain.may_be_contacted(True)
    assert not domain.may_be_contacted(False)


# --- §8 CSI, contact plan, churn -----------------------------------------------------------


def test_csi_is_the_mean_score_times_ten_and_answers_are_checked() -> None:
    assert domain.csi_index([9, 10, 6]) == domain.Decimal("83.3")
    assert domain.csi_index([]) is None
    domain.check_csi_answers({"overall": 1, "value": 10})
    for bad in ({}, {"overall": 0}, {"overall": 11}, {"mood": 5}):
        with pytest.raises(ValueError):
            domain.check_csi_answers(bad)


def test_contact_plan_segments() -> None:
    assert domain.segment_of("person", False) == "private"
    assert domain.segment_of("company", False) == "fleet"
    assert domain.segment_of("company", True) == "vip"


def test_month_and_quarter_are_station_calendar_periods() -> None:
    assert domain.month_start(datetime(2026, 11, 30, 17, tzinfo=UTC)) == local(2026, 12, 1)
    assert domain.quarter_bounds("2026Q4") == (local(2026, 10, 1), local(2027, 1, 1))
    with pytest.raises(ValueError):
        domain.quarter_bounds("2026Q5")


def test_customer_is_lost_when_the_expected_interval_runs_out_in_the_quarter() -> None:
    start, end = domain.quarter_bounds("2026Q4")
    assert domain.lost_in(local(2025, 11, 10), start, end)
    assert not domain.lost_in(local(2026, 2, 1), start, end)  # still within the year
    assert not domain.lost_in(local(2025, 6, 1), start, end)  # lost before the quarter
    rate = domain.churn_rate(1, 40)
    assert rate == domain.Decimal("0.0250")
    assert rate is not None and rate < domain.CHURN_TARGET
    assert domain.churn_rate(0, 0) is None


def test_contact_plan_month_is_the_station_calendar_month() -> None:
    assert domain.month_label(datetime(2026, 11, 30, 16, tzinfo=UTC)) == "2026-12"
    assert domain.month_bounds("2026-12") == (local(2026, 12, 1), local(2027, 1, 1))
    for bad in ("2026-13", "Nov 2026"):
        with pytest.raises(ValueError):
            domain.month_bounds(bad)


def test_followup_completion_within_72_hours_is_done_in_time_over_due() -> None:
    assert domain.completion_rate(2, 3) == domain.Decimal("0.6667")
    assert domain.completion_rate(0, 0) is None


def test_serious_complaints_go_to_the_manager_and_product_quality_to_the_manufacturer() -> None:
    assert domain.level_at_once("minor", "product quality", True) is None
    assert domain.level_at_once("serious", "waiting time", False) == "service_manager"
    assert domain.level_at_once("serious", "Product Quality ", False) == "manufacturer"
    assert domain.level_at_once("serious", "产品质量", False) == "manufacturer"
    assert domain.level_at_once("serious", "repair quality", True) == "manufacturer"


def test_an_overdue_or_refused_answer_goes_a_level_up_and_stops_at_the_group() -> None:
    assert domain.next_level([]) == "service_manager"
    assert domain.next_level(["service_manager"]) == "group"
    assert domain.next_level(["manufacturer"]) == "group"
    assert domain.next_level(["service_manager", "group"]) is None
