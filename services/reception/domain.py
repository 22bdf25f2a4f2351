"""Reception's business rules: plain functions, no I/O.

Each rule of ``after-sales-process.md`` §1–4 and §7 that reception owns is one named function
here, with a unit test named after the rule in ``tests/test_domain.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Protocol

from shared.contracts.events import LineKind, OrderCategory, PayType
from shared.pricing import FEN, PricedLine, line_amount, lines_total

#: orders above this total get the service manager involved (process §4)
MANAGER_THRESHOLD = Decimal("10000")
#: work on these systems always gets a final inspection (process §6); they are also the
#: "critical systems" on which non-original parts carry no guarantee (process §3)
MAJOR_SYSTEMS = frozenset({"engine", "gearbox", "brakes", "steering"})
#: a symptom estimate (现象估价) carries the risk in its price (process §3)
SYMPTOM_RISK_MARGIN = Decimal("0.15")
#: China's VAT on repair services and parts; list prices include it
VAT_RATE = Decimal("0.13")
#: a part at or above this amount, ordered for an appointment, needs a deposit (process §1)
EXPENSIVE_PART = Decimal("1000")
#: the reminder goes out half a day to one day before the appointment (process §1)
REMINDER_OPENS_BEFORE = timedelta(days=1)
REMINDER_CLOSES_BEFORE = timedelta(hours=12)
#: appointment slots are whole hours
SLOT = timedelta(hours=1)
#: margin on the promised completion time (process §3: "with a margin")
PROMISE_MARGIN = Decimal("0.20")


class ReceptionCategory(StrEnum):
    """Repair-order category, chosen first as dealer systems do (维修类别)."""

    MAINTENANCE = "maintenance"
    REPAIR = "repair"
    WARRANTY = "warranty"
    ACCIDENT = "accident"
    INTERNAL = "internal"
    PRE_DELIVERY = "pre_delivery"
    ROADSIDE = "roadside"


class EstimateMethod(StrEnum):
    """估价方式 (process §3)."""

    SYSTEM = "system"
    SYMPTOM = "symptom"
    ITEM = "item"


class CustomerChoice(StrEnum):
    """What the customer decides when a part is not in stock (process §3)."""

    WAIT = "wait"
    REBOOK = "rebook"
    DROP = "drop"


_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_check_digit(vin: str) -> str:
    """The ninth character of a VIN under ISO 3779 / GB 16735 (0-9 or X)."""
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def vin_problem(vin: str, *, check_digit: bool = True) -> str | None:
    """Why ``vin`` is not a valid VIN, or None. China (GB 16735) uses the check digit."""
    if len(vin) != 17:
        return f"a VIN has 17 characters, this one has {len(vin)}"
    bad = sorted({c for c in vin if c in "IOQ"})
    if bad:
        return f"a VIN never contains I, O or Q (found {', '.join(bad)})"
    unknown = sorted({c for c in vin if c not in _VIN_VALUES})
    if unknown:
        return f"a VIN has only digits and capital letters (found {''.join(unknown)!r})"
    if check_digit:
        expected = vin_check_digit(vin)
        if vin[8] != expected:
            return f"check digit (9th character) is {vin[8]}, expected {expected}: mistyped?"
    return None


def mileage_problem(
    mileage_km: int, last_known_km: int | None, correction_note: str | None
) -> str | None:
    """Mileage never goes below the vehicle's last known reading, unless the advisor writes
    why (odometer replaced, earlier typo) in a correction note."""
    if last_known_km is None or mileage_km >= last_known_km:
        return None
    if correction_note and correction_note.strip():
        return None
    return (
        f"mileage {mileage_km} km is below the last known {last_known_km} km; "
        "give a correction note if the odometer was replaced or the last reading was wrong"
    )


def maintenance_due(
    mileage_km: int, today: date, next_km: int | None, next_date: date | None
) -> str | None:
    """Due maintenance to recommend at check-in: the next service date or mileage given at
    the last delivery has been reached (process §2)."""
    reasons = []
    if next_km is not None and mileage_km >= next_km:
        reasons.append(f"mileage {mileage_km} km reached the next service at {next_km} km")
    if next_date is not None and today >= next_date:
        reasons.append(f"the next service was due on {next_date.isoformat()}")
    return "maintenance due: " + "; ".join(reasons) if reasons else None


#: the customer is greeted within a minute of arriving (process §2)
GREETING_WITHIN = timedelta(minutes=1)


def wait_minutes(arrived_at: datetime, started_at: datetime) -> Decimal:
    """The reception wait: from arrival to the start of the check-in, in minutes."""
    seconds = max((started_at - arrived_at).total_seconds(), 0)
    return (Decimal(str(seconds)) / 60).quantize(FEN, rounding=ROUND_HALF_UP)


class InspectedLine(Protocol):
    @property
    def major_system(self) -> str | None: ...


class GuaranteedLine(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def customer_supplied(self) -> bool: ...
    @property
    def non_original(self) -> bool: ...
    @property
    def major_system(self) -> str | None: ...


def order_total(lines: Iterable[PricedLine]) -> Decimal:
    """Labour (hours x rate) plus parts (quantity x price), see ``shared.pricing``."""
    return lines_total(lines)


def needs_manager(total: Decimal, *, vip: bool) -> bool:
    """Orders over ¥10,000 and orders of VIP customers involve the service manager."""
    return vip or total > MANAGER_THRESHOLD


def needs_final_inspection(lines: Iterable[InspectedLine], *, asked: bool) -> bool:
    """Engine, gearbox, brake and steering work gets a final inspection; or when asked."""
    return asked or any((line.major_system or "").lower() in MAJOR_SYSTEMS for line in lines)


def order_number(station_id: str, created_at: datetime, serial: str) -> str:
    return f"RO-{station_id.upper()}-{created_at:%Y%m%d}-{serial.upper()}"


def contract_category(category: ReceptionCategory) -> OrderCategory:
    """The category on ``order.created``: every reception category, pre-delivery inspection
    and roadside included, travels as itself."""
    return OrderCategory(category.value)


def default_pay_type(category: ReceptionCategory) -> PayType:
    """Who pays a line the advisor did not mark otherwise, by the order's category."""
    return {
        ReceptionCategory.WARRANTY: PayType.WARRANTY,
        ReceptionCategory.INTERNAL: PayType.INTERNAL,
        ReceptionCategory.PRE_DELIVERY: PayType.INTERNAL,
        ReceptionCategory.ACCIDENT: PayType.INSURANCE,
    }.get(category, PayType.CUSTOMER)


def no_guarantee_note(lines: Iterable[GuaranteedLine]) -> str | None:
    """Customer-supplied parts, or non-original parts on a critical system, carry no quality
    guarantee, and the order says so (process §3)."""
    codes = [
        line.code
        for line in lines
        if line.customer_supplied
        or (line.non_original and (line.major_system or "").lower() in MAJOR_SYSTEMS)
    ]
    if not codes:
        return None
    return (
        "No quality guarantee is given for the work with customer-supplied or non-original "
        f"critical parts: {', '.join(codes)} (不提供质量担保)."
    )


def item_estimate_note(method: EstimateMethod) -> str | None:
    """Priced by item: the customer is told quality cannot always be guaranteed (process §3)."""
    if method == EstimateMethod.ITEM:
        return (
            "Priced by item (项目定价): charged by the work actually done; "
            "quality cannot always be guaranteed."
        )
    return None


def risk_margin(method: EstimateMethod) -> Decimal:
    """A symptom estimate includes the risk of not finding the cause at the first try."""
    return SYMPTOM_RISK_MARGIN if method == EstimateMethod.SYMPTOM else Decimal("0")


def with_risk_margin(unit_price: Decimal, method: EstimateMethod) -> Decimal:
    """The labour rate priced with the estimate method's risk margin."""
    return (unit_price * (1 + risk_margin(method))).quantize(FEN, rounding=ROUND_HALF_UP)


def tax_included(gross: Decimal) -> Decimal:
    """The VAT inside a tax-inclusive amount."""
    return (gross - gross / (1 + VAT_RATE)).quantize(FEN, rounding=ROUND_HALF_UP)


class PayTypedLine(PricedLine, Protocol):
    @property
    def pay_type(self) -> str: ...


def totals_by_pay_type(lines: Iterable[PayTypedLine]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for line in lines:
        totals[str(line.pay_type)] = totals.get(str(line.pay_type), Decimal("0.00")) + line_amount(
            line
        )
    return totals


class WorkingCalendar(Protocol):
    """The station's opening hours, public holidays and make-up days (``shared.calendar``)."""

    def next_open_moment(self, moment: datetime) -> datetime: ...
    def add_working_time(self, start: datetime, duration: timedelta) -> datetime: ...


def _round_up_quarter(moment: datetime) -> datetime:
    exact = moment.replace(second=0, microsecond=0)
    if exact < moment:
        exact += timedelta(minutes=1)
    return exact + timedelta(minutes=(-exact.minute) % 15)


def promised_completion(
    now: datetime,
    *,
    labour_hours: Decimal,
    queue_hours: Decimal,
    technicians: int,
    calendar: WorkingCalendar,
    parts_ready_at: datetime | None = None,
) -> datetime:
    """When the car can be ready: the workshop's queue shared by its technicians, then this
    job's hours with a margin, all counted in the station's working time (opening hours, not
    on public holidays, but on 调休 make-up days); a part still to come pushes the start to
    the first working moment after it arrives (process §3)."""
    per_tech = queue_hours / max(technicians, 1)
    start = calendar.add_working_time(now, timedelta(hours=float(per_tech)))
    if parts_ready_at is not None and parts_ready_at > start:
        start = calendar.next_open_moment(parts_ready_at)
    work = labour_hours * (1 + PROMISE_MARGIN)
    return _round_up_quarter(calendar.add_working_time(start, timedelta(hours=float(work))))


def delayed_promise(promised_at: datetime, delay: timedelta, calendar: WorkingCalendar) -> datetime:
    """Approved additional work pushes the promised time by its delay in working time."""
    return _round_up_quarter(calendar.add_working_time(promised_at, delay))


def promise_problem(promised_at: datetime, calendar: WorkingCalendar) -> str | None:
    """A promised time the advisor types must fall while the station is open (the customer
    cannot collect at night or on a public holiday); closing time itself is allowed."""
    if calendar.next_open_moment(promised_at) == promised_at:
        return None
    if calendar.next_open_moment(promised_at - timedelta(seconds=1)) == promised_at - timedelta(
        seconds=1
    ):
        return None  # exactly at closing time
    return (
        "the station is closed at the promised time (outside opening hours or a public "
        f"holiday); the next opening is {calendar.next_open_moment(promised_at).isoformat()}"
    )


# --- live parts availability (process §3) ------------------------------------------------


class StockAvailability(StrEnum):
    IN_STOCK = "in_stock"
    SHORT = "short"
    UNKNOWN = "unknown"


def availability(quantity: Decimal, available: Decimal | None) -> StockAvailability:
    """Checked before promising (确认备品供应情况): short when the station has less than the
    line needs; unknown when the parts service has not reported the part."""
    if available is None:
        return StockAvailability.UNKNOWN
    return StockAvailability.IN_STOCK if available >= quantity else StockAvailability.SHORT


def part_arrives_at(
    now: datetime,
    *,
    expected_on: date | None,
    lead_days: int | None,
    day_start: Callable[[date], datetime],
) -> datetime | None:
    """When a waited-for part is there: its expected delivery date (from the morning of that
    day) or the lead time given, the later of the two; None when neither is known."""
    candidates = []
    if expected_on is not None:
        candidates.append(day_start(expected_on))
    if lead_days is not None:
        candidates.append(now + timedelta(days=lead_days))
    return max(candidates) if candidates else None


def part_arrives_too_late(
    appointment_day: date, quantity: Decimal, available: Decimal | None, expected_on: date | None
) -> bool:
    """A part the appointment needs is short and only expected after the appointment's day:
    the time agreed must allow for it (process §1: agree a time checking parts availability)."""
    if available is None or available >= quantity or expected_on is None:
        return False
    return expected_on > appointment_day


# --- cancellation (process §4) ----------------------------------------------------------


def cancellation_problem(status: str) -> str | None:
    """An order can be cancelled while the car is in the workshop; once the car is completed
    (settlement drawn up), settled or delivered the work is done and must be settled."""
    if status == "open":
        return None
    if status == "cancelled":
        return "the order is already cancelled"
    return f"the order is {status}: the work is done, settle it instead of cancelling"


# --- appointments (process §1) ----------------------------------------------------------


def deposit_required(parts_to_order: Iterable[tuple[Decimal, Decimal]]) -> Decimal:
    """At least half the price of the expensive parts ordered for the appointment
    (预交定金, 不少于原价的二分之一); ``parts_to_order`` is (quantity, unit price)."""
    expensive = sum((q * p for q, p in parts_to_order if q * p >= EXPENSIVE_PART), Decimal("0"))
    return (expensive / 2).quantize(FEN, rounding=ROUND_HALF_UP)


def slot_of(moment: datetime) -> datetime:
    """The whole-hour slot a time falls in."""
    return moment.replace(minute=0, second=0, microsecond=0)


def slot_has_room(capacity_hours: Decimal, booked_hours: Decimal, wanted_hours: Decimal) -> bool:
    """A slot takes a booking while its bays and technician hours last."""
    return booked_hours + wanted_hours <= capacity_hours


def next_free_slots(
    after: datetime,
    wanted_hours: Decimal,
    capacity: dict[datetime, Decimal],
    booked: dict[datetime, Decimal],
    *,
    default_capacity: Decimal,
    opening_hours: range,
    count: int = 3,
    horizon: timedelta = timedelta(days=14),
) -> list[datetime]:
    """The next ``count`` slots after ``after`` (within opening hours, UTC) with room."""
    found: list[datetime] = []
    slot = slot_of(after) + SLOT
    end = after + horizon
    while slot < end and len(found) < count:
        if slot.hour in opening_hours:
            cap = capacity.get(slot, default_capacity)
            if slot_has_room(cap, booked.get(slot, Decimal("0")), wanted_hours):
                found.append(slot)
        slot += SLOT
    return found


class ReminderAction(StrEnum):
    SEND_NOW = "send_now"
    SCHEDULE = "schedule"


def reminder_due_at(starts_at: datetime) -> datetime:
    """The reminder window opens one day before the appointment."""
    return starts_at - REMINDER_OPENS_BEFORE


def reminder_action(now: datetime, starts_at: datetime) -> ReminderAction:
    """Booked inside the window (or later, for a short-notice booking): remind at once;
    otherwise when the window opens."""
    return ReminderAction.SEND_NOW if now >= reminder_due_at(starts_at) else ReminderAction.SCHEDULE


# --- progress and ready notice (process §5, §7) -----------------------------------------


def progress_check_window(started_at: datetime, promised_at: datetime) -> tuple[datetime, datetime]:
    """Ask the workshop when 70–80 % of the estimated duration has passed."""
    duration = promised_at - started_at
    return started_at + duration * 0.7, started_at + duration * 0.8


def ready_notice_at(started_at: datetime, promised_at: datetime) -> datetime:
    """Tell the customer at least 1 h ahead for a job under two days, 4 h for two days or more."""
    lead = (
        timedelta(hours=4) if promised_at - started_at >= timedelta(days=2) else timedelta(hours=1)
    )
    return promised_at - lead


def late_risk(now: datetime, promised_at: datetime | None, *, progress_confirmed: bool) -> bool:
    """At risk: past the promised time, or past 80 % with no word from the workshop."""
    if promised_at is None:
        return False
    return now >= promised_at or (
        not progress_confirmed and now >= promised_at - timedelta(hours=1)
    )


# --- settlement (process §7) ------------------------------------------------------------


class SettleLine(Protocol):
    @property
    def id(self) -> object: ...
    @property
    def kind(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def hours(self) -> Decimal | None: ...
    @property
    def unit_price(self) -> Decimal: ...
    @property
    def pay_type(self) -> str: ...


@dataclass(frozen=True)
class Done:
    """What the workshop reports for one order line (absent: as agreed)."""

    line_id: object | None
    code: str
    quantity: Decimal


@dataclass
class SettledLine:
    line_id: str
    kind: str
    code: str
    description: str
    quantity: Decimal
    hours: Decimal | None
    unit_price: Decimal
    pay_type: str
    amount: Decimal
    estimated_amount: Decimal
    free: bool = False
    difference_note: str | None = None


@dataclass
class Settlement:
    lines: list[SettledLine] = field(default_factory=list)

    @property
    def gross(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def estimated(self) -> Decimal:
        return sum((line.estimated_amount for line in self.lines), Decimal("0.00"))

    def total_for(self, pay_type: str) -> Decimal:
        return sum((ln.amount for ln in self.lines if ln.pay_type == pay_type), Decimal("0.00"))


def _match(line: SettleLine, done: Sequence[Done]) -> Decimal | None:
    """Quantity (or hours) the workshop reports for this line, or None if it says nothing."""
    by_id = [d for d in done if d.line_id is not None and str(d.line_id) == str(line.id)]
    hits = by_id or [d for d in done if d.line_id is None and d.code == line.code]
    if not hits:
        return None
    return sum((d.quantity for d in hits), Decimal("0"))


def settle(
    lines: Sequence[SettleLine],
    *,
    labour_done: Sequence[Done] | None,
    parts_used: Sequence[Done] | None,
    free_codes: Iterable[str] = (),
) -> Settlement:
    """The settlement from the lines actually done (结算单): with the workshop's lists, labour
    not reported is not charged and parts are charged as issued; without them, as agreed.
    Each line differing from the estimate says why; free items are shown at zero."""
    free = set(free_codes)
    result = Settlement()
    for line in lines:
        estimated = line_amount(line)
        quantity, hours, note = line.quantity, line.hours, None
        if line.kind == LineKind.LABOUR and labour_done:
            reported = _match(line, labour_done)
            if reported is None:
                hours, note = Decimal("0"), "not done: not charged"
        elif line.kind == LineKind.PART and parts_used:
            reported = _match(line, parts_used)
            if reported is None:
                quantity, note = Decimal("0"), "not used: not charged"
            elif reported != line.quantity:
                quantity = reported
                estimated_qty = line.quantity.normalize()
                note = f"{reported.normalize()} issued instead of {estimated_qty} estimated"
        is_free = line.code in free or (line.unit_price == 0 and estimated == 0)
        amount = line_amount(_Priced(line.kind, quantity, hours, line.unit_price))
        result.lines.append(
            SettledLine(
                line_id=str(line.id),
                kind=str(line.kind),
                code=line.code,
                description=line.description,
                quantity=quantity,
                hours=hours,
                unit_price=line.unit_price,
                pay_type=str(line.pay_type),
                amount=Decimal("0.00") if is_free else amount,
                estimated_amount=estimated,
                free=is_free,
                difference_note=note,
            )
        )
    return result


@dataclass(frozen=True)
class _Priced:
    kind: str
    quantity: Decimal
    hours: Decimal | None
    unit_price: Decimal


def discount_needs_manager(discount: Decimal, gross: Decimal, allowance: Decimal) -> bool:
    """An advisor may give up to the station's small allowance (a share of the customer's
    amount); above it the service supervisor decides (process §7)."""
    return discount > (gross * allowance).quantize(FEN, rounding=ROUND_HALF_UP)


def balance_due(customer_due: Decimal, paid: Iterable[Decimal]) -> Decimal:
    return customer_due - sum(paid, Decimal("0"))


# --- quality guarantee (process §7) -----------------------------------------------------


@dataclass(frozen=True)
class GuaranteeTerms:
    """What the repair's quality guarantee (质量保证书) covers and for how long."""

    scope: str
    days: int
    km: int


#: 机动车维修管理规定 (交通运输部令) 第三十八条: the minimum guarantee per kind of work
MAJOR_UNIT_REPAIR = GuaranteeTerms(
    "整车或总成修理 major unit repair (engine / gearbox)", 100, 20000
)
SECOND_LEVEL_MAINTENANCE = GuaranteeTerms("维护 maintenance", 30, 5000)
MINOR_REPAIR = GuaranteeTerms("小修及专项修理 minor and specific repair", 10, 2000)


def guarantee_terms(category: str, lines: Iterable[InspectedLine]) -> GuaranteeTerms:
    """The guarantee period of the work on an order: engine or gearbox work is a major unit
    repair (100 days / 20,000 km); a maintenance order 30 days / 5,000 km; other repairs
    10 days / 2,000 km — whichever comes first."""
    systems = {(line.major_system or "").lower() for line in lines}
    if systems & {"engine", "gearbox"}:
        return MAJOR_UNIT_REPAIR
    if category == "maintenance":
        return SECOND_LEVEL_MAINTENANCE
    return MINOR_REPAIR
