"""CRM's business rules: plain functions, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

#: the demo stations' local time (both are in China; one time zone, no daylight saving)
STATION_TIMEZONE = ZoneInfo("Asia/Shanghai")

#: the later follow-up: opens two weeks after delivery, due three days after it opens (§8)
SECOND_FOLLOWUP_OPENS_AFTER = timedelta(days=14)
SECOND_FOLLOWUP_DUE_WITHIN = timedelta(days=3)


@dataclass(frozen=True)
class FollowUpPolicy:
    """When a station's first follow-up call (回访) opens and by when it is due (§8).

    ``opens_after_hours=None`` means "the next day": the start of the calendar day after
    delivery in the station's local time. The deadline is either hours after delivery or the
    end of the Nth working day (Monday to Friday) after the delivery day.
    """

    opens_after_hours: int | None = None
    due_within_hours: int | None = 72
    due_within_working_days: int | None = None
    timezone: ZoneInfo = STATION_TIMEZONE

    def __post_init__(self) -> None:
        if (self.due_within_hours is None) == (self.due_within_working_days is None):
            raise ValueError("a follow-up policy is due by hours or by working days, not both")
        if self.opens_after_hours is not None and self.opens_after_hours < 0:
            raise ValueError("a follow-up cannot open before the delivery")
        if self.due_within_hours is not None and (
            self.due_within_hours <= (self.opens_after_hours or 0)
        ):
            raise ValueError("a follow-up must be due after it opens")
        if self.due_within_working_days is not None and self.due_within_working_days < 1:
            raise ValueError("a follow-up is due within at least one working day")


#: "opens the next day, due within 72 hours of delivery" (FAW-VW, and the default)
DEFAULT_POLICY = FollowUpPolicy()

#: per-station (brand) settings of the demo stations; other stations get the default
STATION_POLICIES: dict[str, FollowUpPolicy] = {
    "bj01": FollowUpPolicy(due_within_hours=72),  # FAW-VW: within 72 hours
    "sh01": FollowUpPolicy(due_within_hours=None, due_within_working_days=3),  # Buick
}


def policy_for(station_id: str) -> FollowUpPolicy:
    return STATION_POLICIES.get(station_id, DEFAULT_POLICY)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a follow-up window needs an aware delivery time (UTC)")
    return moment


def _local_midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def is_working_day(day: date) -> bool:
    """Monday to Friday (public holidays and swapped weekends, 调休, are not modelled)."""
    return day.weekday() < 5


def end_of_working_days(after: date, count: int) -> date:
    """The Nth working day after ``after`` (the day itself does not count)."""
    day = after
    remaining = count
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def followup_window(delivered_at: datetime, policy: FollowUpPolicy) -> tuple[datetime, datetime]:
    """(opens_at, due_at) of the first follow-up call, both aware UTC.

    A deadline in working days is the end of that day in local time (due_at is the local
    midnight that ends it).
    """
    delivered_at = _aware(delivered_at).astimezone(UTC)
    local_day = delivered_at.astimezone(policy.timezone).date()
    if policy.opens_after_hours is None:
        opens_at = _local_midnight_utc(local_day + timedelta(days=1), policy.timezone)
    else:
        opens_at = delivered_at + timedelta(hours=policy.opens_after_hours)
    if policy.due_within_hours is not None:
        due_at = delivered_at + timedelta(hours=policy.due_within_hours)
    else:
        assert policy.due_within_working_days is not None
        last_day = end_of_working_days(local_day, policy.due_within_working_days)
        due_at = _local_midnight_utc(last_day + timedelta(days=1), policy.timezone)
    return opens_at, max(due_at, opens_at)


def second_followup_window(delivered_at: datetime) -> tuple[datetime, datetime]:
    """(opens_at, due_at) of the follow-up two weeks after delivery."""
    opens_at = _aware(delivered_at).astimezone(UTC) + SECOND_FOLLOWUP_OPENS_AFTER
    return opens_at, opens_at + SECOND_FOLLOWUP_DUE_WITHIN


def last_mileage(known_km: int | None, reported_km: int | None) -> int | None:
    """The vehicle file keeps the highest odometer reading: a lower one is a typo or old."""
    readings = [km for km in (known_km, reported_km) if km is not None]
    return max(readings) if readings else None
