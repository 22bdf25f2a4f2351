"""CRM's business rules: plain functions, no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from shared.calendar import StationCalendar

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
    #: a call not made by then is closed as expired (counted from the delivery)
    expires_after_days: int = 7

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
        if self.expires_after_days < 1:
            raise ValueError("a follow-up expires at the earliest one day after the delivery")


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


# --- the station calendar: official working days, office hours, public holidays -----------


def is_office_time(calendar: StationCalendar, moment: datetime) -> bool:
    """Within office hours of an official working day (calls are made only then)."""
    local = calendar.local(moment)
    return (
        calendar.is_official_workday(local.date())
        and calendar.hours.opens <= local.time() < calendar.hours.closes
    )


def next_office_moment(calendar: StationCalendar, moment: datetime) -> datetime:
    """``moment`` if it is office time, else the next opening on an official working day.

    The workshop may open at weekends; the follow-up desk keeps the official calendar
    (public holidays off, make-up Saturdays and Sundays, 调休, worked).
    """
    day = calendar.local_day(moment)
    for _ in range(400):
        if calendar.is_official_workday(day):
            opens = calendar.at(day, calendar.hours.opens)
            if moment < opens:
                return opens
            if moment < calendar.at(day, calendar.hours.closes):
                return moment
        day += timedelta(days=1)
    raise ValueError(f"station {calendar.station_id} has no official working day in a year")


def end_of_office_day(calendar: StationCalendar, day: date) -> datetime:
    return calendar.at(day, calendar.hours.closes)


#: messages (reminders) go out at this local time when they were moved off a holiday
MESSAGE_TIME = time(9)


def message_time(calendar: StationCalendar, moment: datetime) -> datetime:
    """Reminders are not sent on public holidays: one falling on a holiday goes out on the
    first day after it, at 09:00 local."""
    day = calendar.local_day(moment)
    if not calendar.is_public_holiday(day):
        return moment
    while calendar.is_public_holiday(day):
        day += timedelta(days=1)
    return calendar.at(day, MESSAGE_TIME)


#: an appointment reminder held back by a public holiday must still reach the customer at
#: least this long before the appointment starts; otherwise it goes out at once
APPOINTMENT_REMINDER_LEAD = timedelta(hours=2)


def appointment_reminder_time(
    calendar: StationCalendar, now: datetime, starts_at: datetime
) -> tuple[datetime | None, str | None]:
    """When to remind the customer of an appointment, and a note on how.

    At once, except on a public holiday: then at 09:00 on the first day after it, provided
    that is still at least APPOINTMENT_REMINDER_LEAD before the start; if not, at once anyway
    (a reminder must go out before the appointment). ``None`` when the appointment has begun.
    """
    if starts_at <= now:
        return None, "not sent: the appointment had begun when the reminder was due"
    later = message_time(calendar, now)
    if later == now:
        return now, None
    if later <= starts_at - APPOINTMENT_REMINDER_LEAD:
        return later, None
    return now, "sent on a public holiday: after it would be too close to the appointment"


def is_working_day(day: date, calendar: StationCalendar | None = None) -> bool:
    """An official working day: Monday to Friday without the public holidays, plus the
    make-up days (调休) when a calendar is given."""
    if calendar is not None:
        return calendar.is_official_workday(day)
    return day.weekday() < 5


def end_of_working_days(after: date, count: int, calendar: StationCalendar | None = None) -> date:
    """The Nth working day after ``after`` (the day itself does not count)."""
    day = after
    remaining = count
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day, calendar):
            remaining -= 1
    return day


#: however long holidays push the first call back, it stays callable this many working days
MIN_CALLABLE_WORKING_DAYS = 2


def followup_window(
    delivered_at: datetime, policy: FollowUpPolicy, calendar: StationCalendar
) -> tuple[datetime, datetime]:
    """(opens_at, due_at) of the first follow-up call, both aware UTC.

    The call opens at office hours of the next official working day after the delivery day
    (or later, ``opens_after_hours``); a public holiday or a weekend never opens it. The due
    time is not moved: 72 hours stay 72 hours, so a delivery before a long holiday may leave
    no working day inside the window (the KPI shows it). A deadline in working days counts
    official working days and ends at the local midnight that ends the last one.
    """
    delivered_at = _aware(delivered_at).astimezone(UTC)
    local_day = calendar.local_day(delivered_at)
    earliest = calendar.at(calendar.next_official_workday(local_day), calendar.hours.opens)
    if policy.opens_after_hours is not None:
        earliest = max(earliest, delivered_at + timedelta(hours=policy.opens_after_hours))
    opens_at = next_office_moment(calendar, earliest)
    if policy.due_within_hours is not None:
        due_at = delivered_at + timedelta(hours=policy.due_within_hours)
    else:
        assert policy.due_within_working_days is not None
        last_day = end_of_working_days(local_day, policy.due_within_working_days, calendar)
        due_at = _local_midnight_utc(last_day + timedelta(days=1), calendar.zone)
    return opens_at, due_at


def second_followup_window(
    delivered_at: datetime, calendar: StationCalendar
) -> tuple[datetime, datetime]:
    """(opens_at, due_at) of the follow-up two weeks after delivery (at office hours)."""
    two_weeks = _aware(delivered_at).astimezone(UTC) + SECOND_FOLLOWUP_OPENS_AFTER
    opens_at = next_office_moment(calendar, two_weeks)
    return opens_at, opens_at + SECOND_FOLLOWUP_DUE_WITHIN


def last_mileage(known_km: int | None, reported_km: int | None) -> int | None:
    """The vehicle file keeps the highest odometer reading: a lower one is a typo or old."""
    readings = [km for km in (known_km, reported_km) if km is not None]
    return max(readings) if readings else None


def followup_expiry(
    delivered_at: datetime,
    policy: FollowUpPolicy,
    calendar: StationCalendar | None = None,
    opens_at: datetime | None = None,
) -> datetime:
    """When the first call, if not made, is closed as expired (default: day 7), but never
    before it was callable for MIN_CALLABLE_WORKING_DAYS working days (a long holiday)."""
    expires = _aware(delivered_at).astimezone(UTC) + timedelta(days=policy.expires_after_days)
    if calendar is None or opens_at is None:
        return expires
    first_day = calendar.local_day(opens_at)
    last_day = first_day
    if MIN_CALLABLE_WORKING_DAYS > 1:
        last_day = end_of_working_days(first_day, MIN_CALLABLE_WORKING_DAYS - 1, calendar)
    return max(expires, end_of_office_day(calendar, last_day))


def second_followup_expiry(
    delivered_at: datetime, policy: FollowUpPolicy, calendar: StationCalendar
) -> datetime:
    """The two-week call expires as long after it opens as the first after delivery."""
    opens_at, _ = second_followup_window(delivered_at, calendar)
    return opens_at + timedelta(days=policy.expires_after_days)


# --- call outcomes and retries ------------------------------------------------------------

#: a customer not reached is called again after a pause, at most this many attempts in all
MAX_CALL_ATTEMPTS = 3
RETRY_AFTER = timedelta(hours=4)


#: a call closed without being made because the customer refused to be contacted
NO_CONSENT = "no_consent"


def can_record_outcome(
    status: str, opens_at: datetime, now: datetime, calendar: StationCalendar | None = None
) -> str | None:
    """Why an outcome cannot be recorded now (None when it can)."""
    if status == NO_CONSENT:
        return "the customer withdrew consent to be contacted: this call is not made"
    if status in {"done", "unreachable", "expired"}:
        return f"this call is already {status}: its outcome cannot be recorded twice"
    if now < opens_at:
        return f"this call opens at {opens_at.isoformat()} (§8: not before the next day)"
    if calendar is not None and not is_office_time(calendar, now):
        hours = calendar.hours
        return (
            f"calls are made on official working days, {hours.opens:%H:%M}–{hours.closes:%H:%M}"
            f" station time; next: {next_office_moment(calendar, now).isoformat()}"
        )
    return None


def after_not_reached(
    attempts: int, now: datetime, expires_at: datetime, calendar: StationCalendar | None = None
) -> tuple[bool, datetime | None]:
    """(given up?, next attempt) after ``attempts`` unanswered calls; the next attempt is at
    office time of an official working day."""
    next_attempt = now + RETRY_AFTER
    if calendar is not None:
        next_attempt = next_office_moment(calendar, next_attempt)
    if attempts >= MAX_CALL_ATTEMPTS or next_attempt >= expires_at:
        return True, None
    return False, next_attempt


def dissatisfied_is_escalated(outcome: str) -> bool:
    """A dissatisfied customer goes to the service manager at once (§8)."""
    return outcome == "dissatisfied"


def check_call_window(start: time | None, end: time | None) -> str | None:
    """Why a customer's preferred call window is unusable (None when it is fine)."""
    if start is not None and end is not None and end <= start:
        return "the time that suits the customer must end after it starts"
    return None


def may_call_about_service_quality(consent_to_contact: bool) -> bool:
    """The follow-up call is the dealer's service-quality duty, but a customer who refused
    contact is not called: the call is closed as "not contacted: no consent" instead."""
    return consent_to_contact


# --- complaints ----------------------------------------------------------------------------

#: when the answer is promised if the desk states none (serious ones sooner)
ANSWER_WITHIN = {"minor": timedelta(hours=48), "serious": timedelta(hours=24)}
#: no complaint waits longer than this for its answer
LONGEST_PROMISE = timedelta(days=30)


def promised_answer_time(
    opened_at: datetime, severity: str, stated: datetime | None = None
) -> datetime:
    """The stated answer time, or the default for the severity; never in the past."""
    if stated is not None:
        if stated.tzinfo is None:
            raise ValueError("the promised answer time needs a time zone")
        if stated <= opened_at:
            raise ValueError("the promised answer time must be in the future")
        if stated - opened_at > LONGEST_PROMISE:
            raise ValueError("promise the answer within 30 days")
        return stated.astimezone(UTC)
    return opened_at + ANSWER_WITHIN[severity]


def complaint_escalated_at_once(severity: str, manufacturer_involved: bool) -> str | None:
    """Serious complaints go to the manager at once, with the manufacturer when involved (§9)."""
    if severity == "serious":
        return "serious complaint" + (" (manufacturer involved)" if manufacturer_involved else "")
    return None


#: who an escalation goes to, lowest first
ESCALATION_LEVELS = ("service_manager", "group", "manufacturer")
#: complaint categories that are about the product, not the dealer's service
PRODUCT_QUALITY_CATEGORIES = frozenset(
    {"product quality", "product_quality", "product", "quality defect", "产品质量", "质量问题"}
)


def involves_product_quality(category: str, manufacturer_involved: bool) -> bool:
    """The manufacturer is involved: flagged so, or the complaint is about product quality."""
    return manufacturer_involved or category.strip().lower() in PRODUCT_QUALITY_CATEGORIES


def level_at_once(severity: str, category: str, manufacturer_involved: bool) -> str | None:
    """The level a new complaint is escalated to at once (§9), or None.

    A serious complaint goes to the service manager; a serious one about product quality
    goes to the manufacturer (the service manager's inbox shows it as well), so it is one
    escalation, not two.
    """
    if severity != "serious":
        return None
    if involves_product_quality(category, manufacturer_involved):
        return "manufacturer"
    return "service_manager"


def next_level(reached: Iterable[str]) -> str | None:
    """Where an overdue or refused answer goes: the service manager first; once the manager
    has it (or the manufacturer has it), the group; nothing above the group."""
    levels = set(reached)
    if not levels:
        return "service_manager"
    if "group" in levels:
        return None
    return "group"


# --- contact details ------------------------------------------------------------------------

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0[1-9]\d{8,10}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def normalise_phone(raw: str) -> str:
    """A Chinese phone number in one form, +86 and the digits (mobiles and landlines)."""
    digits = re.sub(r"[\s\-()]", "", raw)
    international = True
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    else:
        international = False
    if _MOBILE.match(digits):
        return "+86" + digits
    if _LANDLINE.match(digits):
        return "+86" + digits[1:]
    # written internationally, a landline drops its leading 0 (+86 21 …)
    if international and _LANDLINE.match("0" + digits):
        return "+86" + digits
    raise ValueError(f"{raw!r} is not a Chinese mobile (11 digits, 1…) or landline (0…)")


def normalise_email(raw: str) -> str:
    value = raw.strip().lower()
    if not _EMAIL.match(value):
        raise ValueError(f"{raw!r} is not an e-mail address")
    return value


# --- maintenance reminders ------------------------------------------------------------------

#: the customer is reminded this long before the next service is due
REMIND_AHEAD = timedelta(days=14)
#: a "due and not booked" reminder call is due this long after it opens
REMINDER_CALL_DUE_WITHIN = timedelta(days=3)


def average_km_per_day(readings: Iterable[tuple[datetime, int]]) -> Decimal | None:
    """Average km driven per day between the first and the last odometer reading."""
    ordered = sorted(readings)
    if len(ordered) < 2:
        return None
    (first_at, first_km), (last_at, last_km) = ordered[0], ordered[-1]
    days = (last_at - first_at).total_seconds() / 86400
    if days < 1 or last_km <= first_km:
        return None
    return (Decimal(last_km - first_km) / Decimal(str(days))).quantize(Decimal("0.1"))


def next_service_due(
    delivered_on: date,
    *,
    next_service_date: date | None,
    next_service_km: int | None,
    current_km: int | None,
    km_per_day: Decimal | None,
) -> date | None:
    """The day the next service falls due: the earlier of the date and the day the mileage
    is reached at the vehicle's average km per day (None when neither is known)."""
    candidates: list[date] = []
    if next_service_date is not None:
        candidates.append(next_service_date)
    if next_service_km is not None and current_km is not None and km_per_day:
        remaining = max(next_service_km - current_km, 0)
        days = int((Decimal(remaining) / km_per_day).to_integral_value(ROUND_HALF_UP))
        candidates.append(delivered_on + timedelta(days=days))
    return min(candidates) if candidates else None


def reminder_time(
    due_on: date,
    now: datetime,
    zone: ZoneInfo = STATION_TIMEZONE,
    calendar: StationCalendar | None = None,
) -> datetime:
    """09:00 local, REMIND_AHEAD before the due day (at once if that has passed); with a
    calendar, never on a public holiday."""
    if calendar is not None:
        zone = calendar.zone
    at = datetime.combine(due_on - REMIND_AHEAD, MESSAGE_TIME, tzinfo=zone).astimezone(UTC)
    at = max(at, now)
    return message_time(calendar, at) if calendar is not None else at


def may_be_contacted(consent_to_contact: bool) -> bool:
    """A customer who withdrew consent gets no reminders."""
    return consent_to_contact


# --- satisfaction (CSI) -------------------------------------------------------------------

#: the short survey: every question scored 1 (poor) to 10 (excellent)
CSI_QUESTIONS = ("overall", "advisor", "quality", "on_time", "value")
CSI_SCORES = range(1, 11)


def check_csi_answers(scores: dict[str, int]) -> None:
    unknown = sorted(set(scores) - set(CSI_QUESTIONS))
    if unknown:
        raise ValueError(f"unknown questions {unknown}; the survey asks {list(CSI_QUESTIONS)}")
    if not scores:
        raise ValueError("a survey needs at least one score")
    for question, score in scores.items():
        if score not in CSI_SCORES:
            raise ValueError(f"{question}: scores run from 1 to 10")


def csi_index(scores: Sequence[int]) -> Decimal | None:
    """The CSI of a set of scores, 0–100 (the mean of 1–10 scores times ten)."""
    if not scores:
        return None
    return (Decimal(sum(scores)) * 10 / len(scores)).quantize(Decimal("0.1"))


# --- contact plan and churn ------------------------------------------------------------------

#: a customer with no visit within this long of the last one counts as lost (churned)
EXPECTED_VISIT_INTERVAL = timedelta(days=365)
CHURN_TARGET = Decimal("0.05")


def segment_of(kind: str, is_vip: bool) -> str:
    """The contact plan's segments."""
    if is_vip:
        return "vip"
    return "fleet" if kind == "company" else "private"


def month_start(moment: datetime, zone: ZoneInfo = STATION_TIMEZONE) -> datetime:
    local = moment.astimezone(zone)
    return datetime(local.year, local.month, 1, tzinfo=zone).astimezone(UTC)


def quarter_bounds(quarter: str) -> tuple[datetime, datetime]:
    """'2026Q4' → its first instant and the first instant of the next quarter (UTC)."""
    match = re.fullmatch(r"(\d{4})Q([1-4])", quarter)
    if match is None:
        raise ValueError("a quarter is written like 2026Q4")
    year, q = int(match[1]), int(match[2])
    start = datetime(year, 3 * q - 2, 1, tzinfo=STATION_TIMEZONE)
    end = datetime(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1, tzinfo=STATION_TIMEZONE)
    return start.astimezone(UTC), end.astimezone(UTC)


def quarter_label(moment: datetime, zone: ZoneInfo = STATION_TIMEZONE) -> str:
    """'2026Q4': the station-calendar quarter ``moment`` falls in."""
    local = moment.astimezone(zone)
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


def lost_in(last_visit_at: datetime, start: datetime, end: datetime) -> bool:
    """Lost in [start, end): the expected interval since the last visit ran out then."""
    return start <= last_visit_at + EXPECTED_VISIT_INTERVAL < end


def churn_rate(lost: int, base: int) -> Decimal | None:
    if base == 0:
        return None
    return (Decimal(lost) / base).quantize(Decimal("0.0001"))


#: km per day assumed for a car with too few odometer readings (a group-wide typical figure)
DEFAULT_KM_PER_DAY = Decimal("40")


def month_label(moment: datetime, zone: ZoneInfo = STATION_TIMEZONE) -> str:
    """'2026-11': the station-calendar month ``moment`` falls in."""
    return moment.astimezone(zone).strftime("%Y-%m")


def month_bounds(label: str, zone: ZoneInfo = STATION_TIMEZONE) -> tuple[datetime, datetime]:
    """'2026-11' → its first instant and the next month's (UTC)."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", label)
    if match is None or not 1 <= int(match[2]) <= 12:
        raise ValueError("a month is written like 2026-11")
    year, month = int(match[1]), int(match[2])
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + (month == 12), 1 if month == 12 else month + 1, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def completion_rate(done: int, due: int) -> Decimal | None:
    """Share of follow-up calls done within their window (KPI: completion within 72 h)."""
    if due == 0:
        return None
    return (Decimal(done) / due).quantize(Decimal("0.0001"))
