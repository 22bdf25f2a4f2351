"""Warranty's business rules: plain functions, no I/O (process §10)."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, TypeVar

from shared.contracts.events import (
    CoverageVerdict,
    LineKind,
    OrderCategory,
    PayType,
    SanbaoRule,
)
from shared.pricing import lines_total

# --- vocabulary -------------------------------------------------------------------------


class CoverageKind(StrEnum):
    """What a warranty term covers; a part category falls under one of these."""

    BASIC = "basic"
    POWERTRAIN = "powertrain"
    CORROSION = "corrosion"
    EMISSIONS = "emissions"
    EV_BATTERY = "ev_battery"


#: a part category no coverage pays for (brake pads, wiper blades, filters ...)
WEAR = "wear"


class ClaimStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    INFO_REQUESTED = "info_requested"
    RESUBMITTED = "resubmitted"
    APPROVED = "approved"
    PARTLY_APPROVED = "partly_approved"
    REJECTED = "rejected"
    PAID = "paid"
    CHARGED_BACK = "charged_back"


class AnswerKind(StrEnum):
    """What the manufacturer can answer on a submitted claim."""

    APPROVED = "approved"
    PARTLY_APPROVED = "partly_approved"
    REJECTED = "rejected"
    INFO_REQUESTED = "info_requested"
    PAID = "paid"
    CHARGED_BACK = "charged_back"


class RejectionReason(StrEnum):
    """Manufacturers' rejection codes (modelled on the industry list)."""

    WRONG_CAUSAL_PART = "wrong_causal_part"
    COVERAGE_EXPIRED = "coverage_expired"
    PART_NOT_RETURNED = "part_not_returned_in_time"
    SUBMITTED_TOO_LATE = "submitted_too_late"
    EXCESSIVE_LABOUR_HOURS = "excessive_labour_hours"
    DUPLICATE = "duplicate"
    #: the vehicle missed the maintenance the policy requires (未按规定保养)
    MISSED_MAINTENANCE = "missed_maintenance"


class ChargeBackReason(StrEnum):
    """Why a manufacturer takes back money it paid for a claim (索赔扣款), found on its
    audit of paid claims or of the returned parts."""

    PART_NOT_RETURNED = "part_not_returned_in_time"
    RETURNED_PART_NO_FAULT = "returned_part_no_fault_found"
    WRONG_CAUSAL_PART = "wrong_causal_part"
    EXCESSIVE_LABOUR_HOURS = "excessive_labour_hours"
    COVERAGE_EXPIRED = "coverage_expired"
    DUPLICATE = "duplicate"
    AUDIT_FINDING = "audit_finding"


# --- terms and the national minimums (汽车三包, SAMR Order 43) ------------------------------


@dataclass(frozen=True)
class Term:
    """A coverage period: ``months`` and ``km`` from the warranty start, whichever first
    (``km`` None: no mileage limit, e.g. corrosion)."""

    months: int
    km: int | None = None


#: repair warranty (包修期): at least 3 years / 60,000 km, whatever the manufacturer offers
REPAIR_WARRANTY = Term(36, 60_000)
#: 三包 period (三包有效期): at least 2 years / 50,000 km
SANBAO_PERIOD = Term(24, 50_000)
#: a single 三包 repair longer than this → courtesy car or transport allowance
COURTESY_CAR_AFTER_DAYS = 5
#: 三包 thresholds that entitle the customer to replacement or return
SANBAO_MAX_REPAIR_DAYS = 30
SANBAO_MAX_SAME_FAULT_REPAIRS = 4
#: warn this close to a threshold
WARN_DAYS_BEFORE = 5
#: serious safety faults among the systems repair orders name (制动, 转向)
SAFETY_SYSTEMS = frozenset({"brakes", "steering"})
SANBAO_MAX_SAFETY_REPAIRS = 2
#: engine, gearbox, traction battery, drive motor (发动机, 变速器, 动力蓄电池, 行驶驱动电机)
MAIN_SYSTEMS = frozenset({"engine", "gearbox", "traction_battery", "drive_motor"})
#: within 7 days of delivery a main part needing replacement → replacement or return
SANBAO_FIRST_DAYS = 7
#: within 60 days / 3,000 km a steering or brake failure → free replacement or return
SANBAO_EARLY_DAYS = 60
SANBAO_EARLY_KM = 3_000

START_UNKNOWN = "warranty start date unknown"
MILEAGE_UNKNOWN = "mileage unknown"
START_AFTER_REPAIR = "warranty start date is after the repair order: check the invoice date"
ACCIDENT_DAMAGE = "accident damage is excluded"
CUSTOMER_SUPPLIED = "customer-supplied part is excluded"
MISSED_MAINTENANCE = "missed maintenance: damage is excluded"
NO_POLICY = "no manufacturer policy for this make/model: national 3-year/60,000 km minimum"


def add_months(start: date, months: int) -> date:
    """``start`` plus whole months; a day the target month lacks becomes its last day."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return start.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise ValueError(f"cannot add {months} months to {start}")  # pragma: no cover


def warranty_end(warranty_start: date, months: int = REPAIR_WARRANTY.months) -> date:
    """The first day no longer covered (a 29 February start ends on the 28th)."""
    return add_months(warranty_start, months)


def at_least(term: Term, minimum: Term) -> Term:
    """The manufacturer's term raised to a national minimum (each limit separately)."""
    km = None if term.km is None or minimum.km is None else max(term.km, minimum.km)
    return Term(max(term.months, minimum.months), km)


def within(term: Term, warranty_start: date, mileage_km: int, on: date) -> bool:
    in_time = on < warranty_end(warranty_start, term.months)
    return in_time and (term.km is None or mileage_km < term.km)


def sanbao_period_active(warranty_start: date | None, mileage_km: int | None, on: date) -> bool:
    """Whether a repair on ``on`` falls in the 2-year / 50,000 km 三包 period."""
    if warranty_start is None or mileage_km is None or warranty_start > on:
        return False
    return within(SANBAO_PERIOD, warranty_start, mileage_km, on)


# --- policies ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """One version of a manufacturer's warranty policy for a make (or one of its models)."""

    make: str
    model: str | None
    version: int
    valid_from: date
    terms: Mapping[CoverageKind, Term]
    #: part-number / labour-code prefix → coverage kind or ``WEAR``
    categories: Mapping[str, str] = field(default_factory=dict)
    #: labour operation code → standard (flat-rate) hours
    labour_times: Mapping[str, Decimal] = field(default_factory=dict)
    #: past the end of a term, the manufacturer may still pay as goodwill (needs approval)
    goodwill_months: int = 0
    goodwill_km: int = 0
    submission_days: int = 30
    duplicate_days: int = 30
    part_return_days: int = 15
    #: the maintenance required for the warranty (None: no requirement)
    maintenance: MaintenanceSchedule | None = None


P = TypeVar("P", bound="PolicyLike")


class PolicyLike(Protocol):
    @property
    def make(self) -> str: ...
    @property
    def model(self) -> str | None: ...
    @property
    def version(self) -> int: ...
    @property
    def valid_from(self) -> date: ...


def policy_in_force(
    policies: Iterable[P], make: str | None, model: str | None, on: date
) -> P | None:
    """The policy a repair on ``on`` is judged by: the make's versions valid from that day
    or earlier; a model's own policy before the make-wide one; then the newest."""
    if not make:
        return None
    candidates = [
        p
        for p in policies
        if p.make.casefold() == make.casefold()
        and (p.model is None or (model is not None and p.model.casefold() == model.casefold()))
        and p.valid_from <= on
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda p: (p.model is not None, p.valid_from, p.version))


# --- coverage of one line ---------------------------------------------------------------


class CoveredLine(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def customer_supplied(self) -> bool: ...
    @property
    def major_system(self) -> str | None: ...


@dataclass(frozen=True)
class VehicleFacts:
    """What coverage depends on besides the line itself."""

    mileage_km: int | None
    warranty_start: date | None
    accident_damage: bool = False
    maintenance_missed: bool = False


@dataclass(frozen=True)
class Coverage:
    """Warranty's verdict on a line, which term judged it, and why when not ``covered``."""

    verdict: CoverageVerdict
    reason: str | None = None
    kind: str | None = None


def line_category(policy: Policy | None, line: CoveredLine) -> str:
    """The category of a part or labour operation: the policy's longest matching code
    prefix; else engine and gearbox work is powertrain; else basic."""
    if policy is not None:
        matches = [prefix for prefix in policy.categories if line.code.startswith(prefix)]
        if matches:
            return policy.categories[max(matches, key=len)]
    if line.major_system in ("engine", "gearbox"):
        return CoverageKind.POWERTRAIN
    return CoverageKind.BASIC


def term_for(policy: Policy | None, kind: CoverageKind) -> Term:
    """The manufacturer's term for ``kind`` (basic when it has none), never below the
    national repair warranty."""
    if policy is None:
        return REPAIR_WARRANTY
    term = policy.terms.get(kind) or policy.terms.get(CoverageKind.BASIC) or REPAIR_WARRANTY
    return at_least(term, REPAIR_WARRANTY)


def _expiry_reason(kind: str, term: Term, start: date, mileage_km: int, on: date) -> str:
    if term.km is not None and mileage_km >= term.km:
        return f"{kind} coverage ended: over {term.km:,} km"
    return f"{kind} coverage ended: over {term.months} months since {start.isoformat()}"


def line_coverage(
    policy: Policy | None, vehicle: VehicleFacts, line: CoveredLine, *, on: date
) -> Coverage:
    """Covered / not covered with the reason / needs the manufacturer's approval.

    Exclusions decide first; a limit known to be passed decides next; a limit that cannot
    be checked (no mileage, no warranty start) leaves it to the manufacturer.
    """
    if vehicle.accident_damage:
        return Coverage(CoverageVerdict.NOT_COVERED, ACCIDENT_DAMAGE)
    if line.customer_supplied:
        return Coverage(CoverageVerdict.NOT_COVERED, CUSTOMER_SUPPLIED)
    category = line_category(policy, line)
    if category == WEAR:
        return Coverage(CoverageVerdict.NOT_COVERED, f"wear part {line.code} is excluded", WEAR)
    if vehicle.maintenance_missed:
        return Coverage(CoverageVerdict.NOT_COVERED, MISSED_MAINTENANCE, category)
    kind = CoverageKind(category)
    term = term_for(policy, kind)
    start, mileage = vehicle.warranty_start, vehicle.mileage_km
    if mileage is not None and term.km is not None and mileage >= term.km and start is None:
        return Coverage(CoverageVerdict.NOT_COVERED, f"over {term.km:,} km", kind)
    if start is not None and on >= warranty_end(start, term.months) and mileage is None:
        return Coverage(
            CoverageVerdict.NOT_COVERED, f"over {term.months} months since the start", kind
        )
    if mileage is None:
        return Coverage(CoverageVerdict.NEEDS_APPROVAL, MILEAGE_UNKNOWN, kind)
    if start is None:
        return Coverage(CoverageVerdict.NEEDS_APPROVAL, START_UNKNOWN, kind)
    if start > on:
        return Coverage(CoverageVerdict.NEEDS_APPROVAL, START_AFTER_REPAIR, kind)
    if within(term, start, mileage, on):
        reason = NO_POLICY if policy is None else None
        return Coverage(CoverageVerdict.COVERED, reason, kind)
    reason = _expiry_reason(kind, term, start, mileage, on)
    if policy is not None and (policy.goodwill_months or policy.goodwill_km):
        goodwill = Term(
            term.months + policy.goodwill_months,
            None if term.km is None else term.km + policy.goodwill_km,
        )
        if within(goodwill, start, mileage, on):
            return Coverage(CoverageVerdict.NEEDS_APPROVAL, f"goodwill: {reason}", kind)
    return Coverage(CoverageVerdict.NOT_COVERED, reason, kind)


def accident_damage(category: str) -> bool:
    """An accident repair order (事故车) is the insurer's, never warranty's."""
    return category == OrderCategory.ACCIDENT


# --- warranty lines ---------------------------------------------------------------------


class PaidLine(Protocol):
    @property
    def pay_type(self) -> str: ...


L = TypeVar("L", bound=PaidLine)


def warranty_lines(lines: Iterable[L]) -> list[L]:
    """The lines the manufacturer pays for (付费方式 warranty); only these are claimed."""
    return [line for line in lines if line.pay_type == PayType.WARRANTY]


def has_warranty_work(lines: Iterable[PaidLine]) -> bool:
    """A claim is drafted only for an order with at least one warranty line."""
    return any(line.pay_type == PayType.WARRANTY for line in lines)


# --- claims: amount and validation before submission ------------------------------------


class ClaimableLine(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def hours(self) -> Decimal | None: ...
    @property
    def unit_price(self) -> Decimal: ...


class CheckedLine(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def hours(self) -> Decimal | None: ...
    @property
    def causal(self) -> bool: ...
    @property
    def standard_hours(self) -> Decimal | None: ...
    @property
    def hours_note(self) -> str | None: ...
    @property
    def coverage(self) -> str: ...
    @property
    def coverage_reason(self) -> str | None: ...


def claim_amount(lines: Iterable[ClaimableLine]) -> Decimal:
    """What the claim asks of the manufacturer: the sum of its lines."""
    return lines_total(lines)


NO_CAUSAL_PART = "no causal part"
NO_CAUSE = "cause missing: say what failed and why"
NO_CORRECTION = "correction missing: say what was done"


def missing_causal_part(lines: Sequence[CheckedLine]) -> list[str]:
    """A labour claim must name the failed part (causal part), or the manufacturer rejects it."""
    has_labour = any(line.kind == LineKind.LABOUR for line in lines)
    if has_labour and not any(line.kind == LineKind.PART and line.causal for line in lines):
        return [NO_CAUSAL_PART]
    return []


def _hours(value: Decimal) -> str:
    return format(value.normalize(), "f")


def labour_hours_problems(lines: Sequence[CheckedLine]) -> list[str]:
    """Labour needs flat-rate hours, not above the labour-time standard without a note."""
    problems: list[str] = []
    for line in lines:
        if line.kind != LineKind.LABOUR:
            continue
        if line.hours is None:
            problems.append(f"labour line {line.code} has no flat-rate hours")
        elif (
            line.standard_hours is not None
            and line.hours > line.standard_hours
            and not line.hours_note
        ):
            problems.append(
                f"labour line {line.code}: {_hours(line.hours)} h over the standard "
                f"{_hours(line.standard_hours)} h without a note"
            )
    return problems


def coverage_problems(lines: Sequence[CheckedLine]) -> list[str]:
    """A line outside coverage is refused with the reason the coverage check gave."""
    return [
        f"line {line.code} not covered: {line.coverage_reason or 'outside coverage'}"
        for line in lines
        if line.coverage == CoverageVerdict.NOT_COVERED
    ]


def missing_three_c(cause: str | None, correction: str | None) -> list[str]:
    """Complaint, cause and correction (3C) are all on a claim."""
    return [p for p, text in ((NO_CAUSE, cause), (NO_CORRECTION, correction)) if not text]


@dataclass(frozen=True)
class EarlierClaim:
    claim_no: str
    vin: str
    operations: frozenset[str]
    repair_date: date


def duplicate_claims(
    vin: str,
    operations: Iterable[str],
    repair_date: date,
    earlier: Iterable[EarlierClaim],
    window_days: int,
) -> list[str]:
    """The same VIN and labour operation claimed again within the window is a duplicate."""
    ops = set(operations)
    return [
        f"duplicate of {other.claim_no}: same VIN and operation "
        f"{', '.join(sorted(ops & other.operations))} within {window_days} days"
        for other in earlier
        if other.vin == vin
        and ops & other.operations
        and abs((repair_date - other.repair_date).days) <= window_days
    ]


def submission_deadline(repair_date: date, days: int) -> date:
    """The last day a claim for a repair on ``repair_date`` may be submitted."""
    return repair_date + timedelta(days=days)


def too_late(repair_date: date, today: date, days: int) -> list[str]:
    """A claim older than the manufacturer's submission deadline is not accepted."""
    deadline = submission_deadline(repair_date, days)
    if today > deadline:
        return [f"submission deadline passed on {deadline.isoformat()} ({days} days after repair)"]
    return []


def claim_problems(
    *,
    vin: str,
    repair_date: date,
    cause: str | None,
    correction: str | None,
    lines: Sequence[CheckedLine],
    earlier: Iterable[EarlierClaim],
    today: date,
    submission_days: int,
    duplicate_days: int,
) -> list[str]:
    """Everything to fix before the claim can go to the manufacturer (shown on the draft)."""
    operations = [line.code for line in lines if line.kind == LineKind.LABOUR]
    return [
        *coverage_problems(lines),
        *missing_causal_part(lines),
        *labour_hours_problems(lines),
        *missing_three_c(cause, correction),
        *duplicate_claims(vin, operations, repair_date, earlier, duplicate_days),
        *too_late(repair_date, today, submission_days),
    ]


def claim_number(station_id: str, created_at: datetime, serial: str) -> str:
    return f"WC-{station_id.upper()}-{created_at:%Y%m%d}-{serial.upper()}"


# --- claim states -----------------------------------------------------------------------

#: the warranty administrator may change a claim (and send it) only in these states
EDITABLE = frozenset({ClaimStatus.DRAFT, ClaimStatus.INFO_REQUESTED, ClaimStatus.REJECTED})
AWAITING_ANSWER = frozenset({ClaimStatus.SUBMITTED, ClaimStatus.RESUBMITTED})

_ANSWER_FROM: dict[AnswerKind, frozenset[ClaimStatus]] = {
    AnswerKind.APPROVED: AWAITING_ANSWER,
    AnswerKind.PARTLY_APPROVED: AWAITING_ANSWER,
    AnswerKind.REJECTED: AWAITING_ANSWER,
    AnswerKind.INFO_REQUESTED: AWAITING_ANSWER,
    AnswerKind.PAID: frozenset({ClaimStatus.APPROVED, ClaimStatus.PARTLY_APPROVED}),
    # only money paid can be taken back
    AnswerKind.CHARGED_BACK: frozenset({ClaimStatus.PAID}),
}


def status_after_submission(status: ClaimStatus) -> ClaimStatus:
    """draft → submitted; info requested or rejected → resubmitted."""
    return ClaimStatus.SUBMITTED if status == ClaimStatus.DRAFT else ClaimStatus.RESUBMITTED


def status_after_answer(status: ClaimStatus, answer: AnswerKind) -> ClaimStatus | None:
    """The claim's state after the manufacturer's answer, or None when the answer does not
    fit the state (a late answer to a claim already answered)."""
    if status not in _ANSWER_FROM[answer]:
        return None
    return ClaimStatus(answer.value)


def answer_misfit(status: ClaimStatus, answer: AnswerKind) -> str | None:
    """Why an answer cannot be applied to a claim in ``status`` (None: it fits)."""
    if status_after_answer(status, answer) is not None:
        return None
    return f"the claim is {status.value}: a '{answer.value}' answer does not fit"


def answer_content_problem(
    kind: AnswerKind, amount: Decimal | None, reason_code: str | None, question: str | None
) -> tuple[str, str] | None:
    """What an answer of this kind must carry: (field, message) when it lacks it. A rejection
    names an industry reason code, a charge-back its code and amount, a partial approval its
    amount, a request for information its question."""
    if kind == AnswerKind.REJECTED:
        allowed = [code.value for code in RejectionReason]
        if reason_code not in allowed:
            return "reason_code", f"a rejection needs a reason code, one of {allowed}"
    if kind == AnswerKind.CHARGED_BACK:
        allowed = [code.value for code in ChargeBackReason]
        if reason_code not in allowed:
            return "reason_code", f"a charge-back needs a reason code, one of {allowed}"
        if amount is None or amount <= 0:
            return "amount", "a charge-back needs the amount taken back"
    if kind == AnswerKind.PARTLY_APPROVED and amount is None:
        return "amount", "a partial approval needs the approved amount"
    if kind == AnswerKind.INFO_REQUESTED and not question:
        return "question", "a request for information needs the question"
    return None


_CLAIM_NUMBER = re.compile(r"^WC-([A-Z0-9]{1,20})-\d{8}-[A-Z0-9]+$")


def station_of_claim_number(claim_no: str) -> str | None:
    """The station a claim number names (``WC-BJ01-20260301-A1B2C3`` → bj01), if any."""
    match = _CLAIM_NUMBER.match(claim_no.strip().upper())
    return match.group(1).lower() if match else None


def charge_back_problem(paid_amount: Decimal | None, amount: Decimal) -> str | None:
    """A charge-back takes back at most what was paid, and something."""
    if amount <= 0:
        return "a charge-back amount must be positive"
    if paid_amount is not None and amount > paid_amount:
        return f"a charge-back of {amount:.2f} is more than the {paid_amount:.2f} paid"
    return None


# --- returned warranty parts ------------------------------------------------------------


def return_deadline(requested_on: date, days: int) -> date:
    """A part the manufacturer asks back must be shipped within ``days``."""
    return requested_on + timedelta(days=days)


def return_overdue(ship_by: date | None, shipped: bool, today: date) -> bool:
    return ship_by is not None and not shipped and today > ship_by


# --- 三包 tracking ----------------------------------------------------------------------


def repair_days(started_at: datetime, completed_at: datetime) -> int:
    """Days a repair kept the car (parts waiting included); any part of a day counts."""
    seconds = max((completed_at - started_at).total_seconds(), 0)
    return max(1, math.ceil(seconds / 86_400))


def courtesy_car_due(days: int) -> bool:
    """A single 三包 repair over 5 days → courtesy car or transport allowance."""
    return days > COURTESY_CAR_AFTER_DAYS


class SanbaoRepairLike(Protocol):
    @property
    def fault(self) -> str: ...
    @property
    def days(self) -> int: ...


def sanbao_warnings(repairs: Sequence[SanbaoRepairLike]) -> list[str]:
    """Warnings when a vehicle reaches or approaches a 三包 replacement/return threshold."""
    warnings: list[str] = []
    total = sum(repair.days for repair in repairs)
    if total > SANBAO_MAX_REPAIR_DAYS:
        warnings.append(
            f"{total} repair days: over {SANBAO_MAX_REPAIR_DAYS}, replacement or return due"
        )
    elif total >= SANBAO_MAX_REPAIR_DAYS - WARN_DAYS_BEFORE:
        warnings.append(f"{total} repair days: approaching {SANBAO_MAX_REPAIR_DAYS}")
    counts: dict[str, int] = defaultdict(int)
    for repair in repairs:
        counts[repair.fault] += 1
    for fault, count in sorted(counts.items()):
        if count > SANBAO_MAX_SAME_FAULT_REPAIRS:
            warnings.append(
                f"fault {fault} repaired {count} times: over {SANBAO_MAX_SAME_FAULT_REPAIRS}, "
                "replacement or return due"
            )
        elif count == SANBAO_MAX_SAME_FAULT_REPAIRS:
            warnings.append(
                f"fault {fault} repaired {count} times: one more repair allows replacement "
                "or return"
            )
    for fault, count in sorted(counts.items()):
        if fault in SAFETY_SYSTEMS and count >= SANBAO_MAX_SAFETY_REPAIRS:
            warnings.append(
                f"serious safety fault {fault} repaired {count} times: if it is still present, "
                "replacement or return is due"
            )
    return warnings


def early_sanbao_rights(
    fault: str, delivered_on: date | None, mileage_km: int | None, on: date
) -> str | None:
    """The rights a repair soon after delivery opens: within 7 days a main part (engine,
    gearbox, traction battery, drive motor) needing replacement, within 60 days / 3,000 km
    (whichever first) a steering or brake failure → the customer may choose replacement or
    return. None outside those windows."""
    if delivered_on is None or on < delivered_on:
        return None
    days = (on - delivered_on).days
    if fault in MAIN_SYSTEMS and days <= SANBAO_FIRST_DAYS:
        return (
            f"{fault} fault {days} days after delivery: if a main part needs replacement for "
            f"a quality problem, the customer may choose replacement or return "
            f"({SANBAO_FIRST_DAYS}-day rule)"
        )
    within_km = mileage_km is None or mileage_km <= SANBAO_EARLY_KM
    if fault in SAFETY_SYSTEMS and days <= SANBAO_EARLY_DAYS and within_km:
        return (
            f"{fault} failure {days} days after delivery: the customer may choose free "
            f"replacement or return ({SANBAO_EARLY_DAYS}-day / {SANBAO_EARLY_KM:,} km rule)"
        )
    return None


# --- 三包: main parts (主要零件) replaced twice ----------------------------------------


@dataclass(frozen=True)
class MainPart:
    """One main part (主要零件) of a system named by the 三包 rules.

    ``keywords`` are matched, case-insensitively, in the replaced part's description (the
    only thing a repair-order line says about what the part is: there is no catalogue
    category on it). A ``generic`` part (齿轮, 轴承, 弹簧 ...) is recognised only when the
    line or its repair is for ``system`` — a wheel bearing is not a gearbox bearing."""

    system: str
    name: str
    keywords: tuple[str, ...]
    generic: bool = False


def _main(system: str, name: str, *keywords: str, generic: bool = False) -> MainPart:
    return MainPart(system, name, (name, *keywords), generic)


#: The main parts per system, from the annex of the 三包 rules (2013 annex lists, carried
#: into SAMR Order 43). Shock absorbers (减振器), brake pads and discs, water pumps, filters
#: and other wear or unlisted parts are deliberately absent: they never trigger the rule.
#: The traction-battery, drive-motor and emission-control rows are this service's reading of
#: Order 43 (the 2013 annex has no such systems) and should be checked against the annex.
MAIN_PARTS: tuple[MainPart, ...] = (
    # engine (发动机)
    _main("engine", "曲轴", "crankshaft"),
    _main("engine", "主轴承", "main bearing"),
    _main("engine", "连杆", "connecting rod", "con rod", generic=True),
    _main("engine", "连杆轴承", "connecting rod bearing", "con rod bearing"),
    _main("engine", "活塞", "piston", generic=True),
    _main("engine", "活塞环", "piston ring"),
    _main("engine", "活塞销", "piston pin", "gudgeon pin", "wrist pin"),
    _main("engine", "气缸盖", "缸盖", "cylinder head"),
    _main("engine", "凸轮轴", "camshaft"),
    _main("engine", "气门", "intake valve", "exhaust valve", "valve", generic=True),
    _main("engine", "气缸体", "缸体", "cylinder block", "engine block"),
    # gearbox (变速器)
    _main("gearbox", "箱体", "变速器壳体", "变速箱壳体", "gearbox housing", "transmission case"),
    _main("gearbox", "齿轮", "gear", generic=True),
    _main("gearbox", "轴类", "输入轴", "输出轴", "中间轴", "input shaft", "output shaft"),
    _main("gearbox", "轴承", "bearing", generic=True),
    _main(
        "gearbox",
        "箱内动力传动元件",
        "离合器片",
        "同步器",
        "行星齿轮",
        "变矩器",
        "synchroniser",
        "synchronizer",
        "torque converter",
        "planetary gear",
    ),
    # traction battery (动力蓄电池)
    _main("traction_battery", "电池模组", "电芯", "电池单体", "battery module", "battery cell"),
    _main("traction_battery", "电池管理系统", "BMS", "battery management"),
    _main("traction_battery", "电池箱体", "电池包壳体", "battery pack housing"),
    # drive motor (行驶驱动电机)
    _main("drive_motor", "电机定子", "定子", "motor stator", "stator", generic=True),
    _main("drive_motor", "电机转子", "转子", "motor rotor", "rotor", generic=True),
    # steering (转向系统)
    _main("steering", "转向机总成", "转向机", "转向器", "steering gear", "steering rack"),
    _main("steering", "转向柱", "steering column"),
    _main("steering", "转向万向节", "steering universal joint", "steering u-joint"),
    _main("steering", "转向拉杆", "横拉杆", "直拉杆", "tie rod", "drag link"),
    _main("steering", "转向节", "steering knuckle"),
    # brakes (制动系统)
    _main("brakes", "制动主缸", "刹车总泵", "制动总泵", "brake master cylinder"),
    _main("brakes", "轮缸", "制动分泵", "刹车分泵", "wheel cylinder"),
    _main("brakes", "助力器", "制动助力器", "真空助力器", "brake booster"),
    _main("brakes", "制动踏板及其支架", "制动踏板", "刹车踏板", "brake pedal"),
    # suspension (悬架系统) — 减振器 (shock absorber) is not listed
    _main("suspension", "弹簧", "螺旋弹簧", "钢板弹簧", "空气弹簧", "spring", generic=True),
    _main("suspension", "控制臂", "摆臂", "control arm", "wishbone"),
    _main(
        "suspension",
        "连杆/拉杆",
        "连杆",
        "拉杆",
        "稳定杆连杆",
        "悬架拉杆",
        "suspension link",
        generic=True,
    ),
    # drivetrain (传动系统)
    _main("drivetrain", "传动轴", "半轴", "drive shaft", "propeller shaft", "half shaft"),
    _main("drivetrain", "万向节", "等速万向节", "universal joint", "cv joint"),
    _main("drivetrain", "驱动桥壳", "桥壳", "axle housing"),
    _main("drivetrain", "差速器", "differential"),
    _main("drivetrain", "主减速器", "final drive"),
    # emission control (污染控制装置)
    _main("emission_control", "三元催化器", "催化转化器", "catalytic converter"),
    _main("emission_control", "颗粒捕集器", "GPF", "DPF", "particulate filter"),
    # body (车身)
    _main("body", "车身骨架", "body frame", "body shell"),
    _main("body", "副车架", "subframe"),
    _main("body", "纵梁", "longitudinal member", "side member"),
    _main("body", "横梁", "cross member"),
    _main("body", "前后车门本体", "车门本体", "前车门", "后车门", "door shell"),
)

#: descriptions that look like a main part but are not one (the annex's exclusions, and
#: wear or service items whose names contain a main part's word)
NOT_MAIN_PARTS: tuple[str, ...] = (
    "横拉杆球头",  # 转向拉杆 (不含横拉杆球头)
    "拉杆球头",
    "tie rod end",
    "减振器",
    "减震器",
    "shock absorber",
    "气门室盖",
    "气门盖",
    "气门油封",
    "valve cover",
    "valve stem seal",
    "EGR",
    "制动片",
    "刹车片",
    "brake pad",
    "车门锁",
    "车门把手",
    "door lock",
    "door handle",
    "玻璃",
    "glass",
    "气门弹簧",
    "valve spring",
    "齿轮油",
    "gear oil",
    "油封",
    "oil seal",
    "密封",
    "seal",
    "垫片",
    "缸垫",
    "gasket",
    "传感器",
    "sensor",
)

#: a whole engine, gearbox, traction battery or drive motor (总成) replaced
ASSEMBLIES: Mapping[str, tuple[str, ...]] = {
    "engine": ("发动机总成", "engine assembly", "long block"),
    "gearbox": (
        "变速器总成",
        "变速箱总成",
        "gearbox assembly",
        "transmission assembly",
    ),
    "traction_battery": (
        "动力蓄电池总成",
        "动力电池总成",
        "动力电池包",
        "traction battery assembly",
        "traction battery pack",
        "high-voltage battery pack",
    ),
    "drive_motor": ("驱动电机总成", "行驶驱动电机总成", "drive motor assembly"),
}
SANBAO_MAX_MAIN_PART_REPLACEMENTS = 2


def _ends_at(text: str, keyword: str) -> int:
    """Where the last occurrence of ``keyword`` in ``text`` ends (-1: absent); a Latin
    keyword must stand as a word ("gear" is not "gearbox")."""
    word = keyword.casefold()
    if keyword.isascii():
        found = list(re.finditer(rf"(?<![a-z]){re.escape(word)}(?![a-z])", text))
        return found[-1].end() if found else -1
    at = text.rfind(word)
    return at + len(word) if at >= 0 else -1


def _contains(text: str, keyword: str) -> bool:
    return _ends_at(text, keyword) >= 0


def replaced_assembly(description: str) -> str | None:
    """The main system (engine, gearbox, traction battery, drive motor) a part line replaces
    as a whole assembly, if it does."""
    text = description.casefold()
    for system, keywords in ASSEMBLIES.items():
        if any(_contains(text, keyword) for keyword in keywords):
            return system
    return None


def main_part(description: str, system: str | None) -> MainPart | None:
    """The main part a replaced part is, by its description and the system it was replaced
    in. The part named last wins, as a description names its head noun last (输出轴轴承 is
    a bearing), then the longest keyword (连杆轴承 before 连杆). None for wear and unlisted
    parts (water pump, brake pads, shock absorbers, tie-rod ends ...)."""
    text = description.casefold()
    if any(_contains(text, word) for word in NOT_MAIN_PARTS):
        return None
    best: tuple[tuple[int, int], MainPart] | None = None
    for part in MAIN_PARTS:
        if part.generic and part.system != system:
            continue
        for keyword in part.keywords:
            rank = (_ends_at(text, keyword), len(keyword))
            if rank[0] >= 0 and (best is None or rank > best[0]):
                best = (rank, part)
    return best[1] if best is not None else None


@dataclass(frozen=True)
class QualityReplacement:
    """A part replaced under warranty in a 三包 repair (one repair order)."""

    repair: str
    description: str
    system: str | None


def replaced_twice_warnings(replacements: Iterable[QualityReplacement]) -> list[str]:
    """Within the 三包 period: an engine, gearbox, traction battery or drive motor replaced
    twice as a whole, or the same main part of a system replaced twice, for quality → if it
    still does not work, the customer may choose replacement or return. Counted per repair
    (four pistons in one repair are one replacement)."""
    assemblies: dict[str, set[str]] = defaultdict(set)
    parts: dict[MainPart, set[str]] = defaultdict(set)
    for item in replacements:
        assembly = replaced_assembly(item.description)
        if assembly is not None:
            assemblies[assembly].add(item.repair)
            continue
        found = main_part(item.description, item.system)
        if found is not None:
            parts[found].add(item.repair)
    warnings: list[str] = []
    for system, repairs in sorted(assemblies.items()):
        if len(repairs) >= SANBAO_MAX_MAIN_PART_REPLACEMENTS:
            warnings.append(
                f"{system} replaced {len(repairs)} times for quality within the 三包 period: "
                "if it still does not work, the customer may choose replacement or return"
            )
    for part, repairs in sorted(parts.items(), key=lambda kv: (kv[0].system, kv[0].name)):
        if len(repairs) >= SANBAO_MAX_MAIN_PART_REPLACEMENTS:
            warnings.append(
                f"{part.system} main part {part.name} replaced {len(repairs)} times: the same "
                "main part replaced twice for quality within the 三包 period: the customer "
                "may choose replacement or return"
            )
    return warnings


# --- quality reports --------------------------------------------------------------------


def serious_fault(systems: Iterable[str | None]) -> str | None:
    """The serious safety fault (brakes, steering) a repair dealt with, if any: reported to
    the manufacturer at once, not only once a batch shows up."""
    return next((s for s in systems if s in SAFETY_SYSTEMS), None)


@dataclass(frozen=True)
class PartFailure:
    make: str | None
    model: str | None
    part_no: str
    vin: str
    repair_date: date


@dataclass(frozen=True)
class BatchProblem:
    make: str | None
    model: str | None
    part_no: str
    vehicles: int
    first: date
    last: date
    vins: tuple[str, ...]


def batch_problems(
    failures: Iterable[PartFailure], *, window_days: int, min_vehicles: int
) -> list[BatchProblem]:
    """The same causal part failing on ``min_vehicles`` or more vehicles of one model within
    ``window_days`` is a possible batch problem for the manufacturer."""
    groups: dict[tuple[str | None, str | None, str], list[PartFailure]] = defaultdict(list)
    for failure in failures:
        groups[(failure.make, failure.model, failure.part_no)].append(failure)
    found: list[BatchProblem] = []
    for (make, model, part_no), group in groups.items():
        group.sort(key=lambda f: f.repair_date)
        best: list[PartFailure] = []
        for i, first in enumerate(group):
            window = [
                f for f in group[i:] if (f.repair_date - first.repair_date).days <= window_days
            ]
            if len({f.vin for f in window}) > len({f.vin for f in best}):
                best = window
        vins = tuple(sorted({f.vin for f in best}))
        if len(vins) >= min_vehicles:
            found.append(
                BatchProblem(
                    make,
                    model,
                    part_no,
                    len(vins),
                    best[0].repair_date,
                    best[-1].repair_date,
                    vins,
                )
            )
    return sorted(found, key=lambda b: (-b.vehicles, b.part_no))


# --- KPIs -------------------------------------------------------------------------------


class ClaimFigures(Protocol):
    @property
    def status(self) -> str: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def approved_amount(self) -> Decimal | None: ...
    @property
    def paid_amount(self) -> Decimal | None: ...
    @property
    def reason_code(self) -> str | None: ...
    @property
    def first_submitted_at(self) -> datetime | None: ...
    @property
    def paid_at(self) -> datetime | None: ...
    @property
    def charged_back_amount(self) -> Decimal | None: ...


@dataclass
class ClaimKpis:
    submitted: int = 0
    approved: int = 0
    partly_approved: int = 0
    rejected: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    paid: int = 0
    charged_back: int = 0
    claimed_amount: Decimal = Decimal("0.00")
    approved_amount: Decimal = Decimal("0.00")
    paid_amount: Decimal = Decimal("0.00")
    charged_back_amount: Decimal = Decimal("0.00")
    average_days_to_payment: Decimal | None = None
    rejection_rate: Decimal | None = None


@dataclass(frozen=True)
class Decision:
    """One decision of the manufacturer on a submission (a claim rejected, corrected and
    approved has two)."""

    kind: AnswerKind
    reason_code: str | None = None


def claim_kpis(claims: Iterable[ClaimFigures], decisions: Iterable[Decision]) -> ClaimKpis:
    """Claims sent to the manufacturer, how it decided, what it paid and how fast.

    Decisions count every answer (so a rejection stays counted after the claim was corrected
    and approved); rejection rate = rejections / decisions. Drafts are not counted. A claim
    paid and later charged back counts as paid and as charged back (with the amount taken).
    """
    kpis = ClaimKpis()
    for decision in decisions:
        if decision.kind == AnswerKind.APPROVED:
            kpis.approved += 1
        elif decision.kind == AnswerKind.PARTLY_APPROVED:
            kpis.partly_approved += 1
        elif decision.kind == AnswerKind.REJECTED:
            kpis.rejected += 1
            reason = decision.reason_code or "unknown"
            kpis.rejected_by_reason[reason] = kpis.rejected_by_reason.get(reason, 0) + 1
    days: list[Decimal] = []
    for claim in claims:
        if claim.first_submitted_at is None:
            continue
        status = ClaimStatus(claim.status)
        kpis.submitted += 1
        kpis.claimed_amount += claim.amount
        if claim.approved_amount is not None and status != ClaimStatus.REJECTED:
            kpis.approved_amount += claim.approved_amount
        if claim.paid_at is not None:  # paid, and possibly charged back since
            kpis.paid += 1
            kpis.paid_amount += claim.paid_amount or Decimal("0.00")
        if status == ClaimStatus.CHARGED_BACK:
            kpis.charged_back += 1
            kpis.charged_back_amount += claim.charged_back_amount or Decimal("0.00")
        if claim.paid_at is not None:
            seconds = (claim.paid_at - claim.first_submitted_at).total_seconds()
            days.append(Decimal(str(seconds / 86_400)))
    decided = kpis.approved + kpis.partly_approved + kpis.rejected
    if decided:
        kpis.rejection_rate = (Decimal(kpis.rejected) / decided).quantize(Decimal("0.0001"))
    if days:
        kpis.average_days_to_payment = (sum(days, Decimal(0)) / len(days)).quantize(Decimal("0.1"))
    return kpis


# --- 三包: fault classification (what kind of fault a repair line fixed) ----------------


class FaultClass(StrEnum):
    """What a warranty repair line fixed, as the 三包 rules (SAMR Order 43) distinguish it.
    Set by the warranty administrator, or by the pre-check from the line's description
    where the wording is unambiguous."""

    #: the 60-day / 3,000 km list (free replacement or return); all serious safety faults
    STEERING_FAILURE = "steering_failure"  # 转向系统失效
    BRAKE_FAILURE = "brake_failure"  # 制动系统失效
    BODY_CRACKING = "body_cracking"  # 车身开裂
    FUEL_LEAK = "fuel_leak"  # 燃油泄漏
    BATTERY_FIRE = "battery_fire"  # 动力蓄电池起火
    #: any other serious safety fault (严重安全性能故障: a safety device not working, a fire
    #: risk ...): repaired twice and still present → replacement or return
    SERIOUS_SAFETY = "serious_safety"
    #: the 7-day list: a main system needing replacement for a quality problem
    ENGINE_FAILURE = "engine_failure"
    GEARBOX_FAILURE = "gearbox_failure"
    TRACTION_BATTERY_FAILURE = "traction_battery_failure"
    DRIVE_MOTOR_FAILURE = "drive_motor_failure"
    #: a quality problem none of the above (counts for repair days and repeats only)
    OTHER_QUALITY_PROBLEM = "other_quality_problem"


class ClassSource(StrEnum):
    PRE_CHECK = "pre_check"
    ADMINISTRATOR = "administrator"


#: within 60 days / 3,000 km → free replacement or return
SIXTY_DAY_FAULTS = frozenset(
    {
        FaultClass.STEERING_FAILURE,
        FaultClass.BRAKE_FAILURE,
        FaultClass.BODY_CRACKING,
        FaultClass.FUEL_LEAK,
        FaultClass.BATTERY_FIRE,
    }
)
SERIOUS_SAFETY_FAULTS = SIXTY_DAY_FAULTS | {FaultClass.SERIOUS_SAFETY}
#: within 7 days → replacement or return, by the main system that failed
MAIN_SYSTEM_FAILURES: Mapping[str, str] = {
    FaultClass.ENGINE_FAILURE: "engine",
    FaultClass.GEARBOX_FAILURE: "gearbox",
    FaultClass.TRACTION_BATTERY_FAILURE: "traction_battery",
    FaultClass.DRIVE_MOTOR_FAILURE: "drive_motor",
}
#: a brake or steering failure is the same fault as an (unclassified) brakes / steering repair
_SAFETY_KEY: Mapping[str, str] = {
    FaultClass.BRAKE_FAILURE: "brakes",
    FaultClass.STEERING_FAILURE: "steering",
}

#: wordings the pre-check trusts (a line's description, Chinese or English); labour codes are
#: each manufacturer's own and say nothing reliable about a failure, so they are not read
FAULT_WORDS: Mapping[FaultClass, tuple[str, ...]] = {
    FaultClass.STEERING_FAILURE: ("转向失效", "转向失灵", "steering failure", "loss of steering"),
    FaultClass.BRAKE_FAILURE: (
        "制动失效",
        "制动失灵",
        "刹车失灵",
        "刹车失效",
        "brake failure",
        "loss of braking",
    ),
    FaultClass.BODY_CRACKING: ("车身开裂", "车身裂纹", "body crack", "body cracking"),
    FaultClass.FUEL_LEAK: ("燃油泄漏", "燃油渗漏", "漏燃油", "fuel leak", "fuel leakage"),
    FaultClass.BATTERY_FIRE: (
        "电池起火",
        "电池着火",
        "电池热失控",
        "battery fire",
        "thermal runaway",
    ),
}


def pre_check_fault_class(description: str) -> FaultClass | None:
    """The fault class a line's description states without doubt, else None (the
    administrator classifies it)."""
    text = description.casefold()
    found = {
        fault for fault, words in FAULT_WORDS.items() if any(_contains(text, w) for w in words)
    }
    return found.pop() if len(found) == 1 else None


def safety_key(fault_class: str) -> str:
    """The serious safety fault a class counts as (brake failure = a brakes fault)."""
    return _SAFETY_KEY.get(fault_class, fault_class)


# --- 三包: structured signals (warnings pushed to reception) -------------------------------


@dataclass(frozen=True)
class SanbaoFacts:
    """One 三包 repair of a vehicle, with what the thresholds count on."""

    order_id: str
    order_no: str
    fault: str
    days: int
    open: bool
    started_on: date
    delivered_on: date | None = None
    mileage_km: int | None = None
    classes: frozenset[str] = frozenset()
    assemblies: frozenset[str] = frozenset()
    main_parts: frozenset[MainPart] = frozenset()
    courtesy_car_due: bool = False


@dataclass(frozen=True)
class SanbaoSignal:
    """A vehicle at (``reached``) or one step short of a 三包 threshold."""

    rule: SanbaoRule
    reached: bool
    count: int
    threshold: int
    fault: str | None
    remedy: str
    message: str
    order_id: str | None

    @property
    def key(self) -> str:
        """Sent once per (VIN, rule, fault, reached)."""
        return self.fault or "-"


REPLACE_OR_RETURN = "replacement or return"
FREE_REPLACE_OR_RETURN = "free replacement or return"
COURTESY_CAR = "courtesy car or transport allowance"


def _within_days(facts: SanbaoFacts, days: int, km: int | None) -> bool:
    if facts.delivered_on is None or facts.started_on < facts.delivered_on:
        return False
    in_time = (facts.started_on - facts.delivered_on).days <= days
    return in_time and (km is None or facts.mileage_km is None or facts.mileage_km <= km)


def sanbao_signals(repairs: Sequence[SanbaoFacts]) -> list[SanbaoSignal]:
    """Every 三包 threshold the vehicle has reached or is one step short of, by its repairs
    at every station (oldest first): the rule, the count, the threshold, the remedy."""
    signals: list[SanbaoSignal] = []

    def add(
        rule: SanbaoRule,
        count: int,
        threshold: int,
        fault: str | None,
        remedy: str,
        message: str,
        order_id: str | None,
        *,
        reached: bool | None = None,
    ) -> None:
        done = count >= threshold if reached is None else reached
        state = "reached" if done else "approaching"
        signals.append(
            SanbaoSignal(
                rule,
                done,
                count,
                threshold,
                fault,
                remedy,
                f"{message} ({state}: {count} of {threshold})",
                order_id,
            )
        )

    ordered = sorted(repairs, key=lambda r: (r.started_on, r.order_no))
    latest = ordered[-1].order_id if ordered else None
    # repairs adding up to more than 30 days; warn from 25
    total = sum(r.days for r in ordered)
    if total >= SANBAO_MAX_REPAIR_DAYS - WARN_DAYS_BEFORE:
        add(
            SanbaoRule.REPAIR_DAYS_OVER_30,
            total,
            SANBAO_MAX_REPAIR_DAYS + 1,
            None,
            REPLACE_OR_RETURN,
            f"三包 repairs add up to {total} days: more than {SANBAO_MAX_REPAIR_DAYS} days "
            "allow replacement or return",
            latest,
        )
    # the same quality problem repaired more than 4 times; warn at the 4th
    by_fault: dict[str, list[SanbaoFacts]] = defaultdict(list)
    for repair in ordered:
        by_fault[repair.fault].append(repair)
    for fault, group in sorted(by_fault.items()):
        if len(group) >= SANBAO_MAX_SAME_FAULT_REPAIRS:
            add(
                SanbaoRule.SAME_FAULT_OVER_4,
                len(group),
                SANBAO_MAX_SAME_FAULT_REPAIRS + 1,
                fault,
                REPLACE_OR_RETURN,
                f"fault {fault} repaired {len(group)} times: more than "
                f"{SANBAO_MAX_SAME_FAULT_REPAIRS} repairs allow replacement or return",
                group[-1].order_id,
            )
    # a serious safety fault repaired twice and still present; warn at the first repair
    by_safety: dict[str, list[SanbaoFacts]] = defaultdict(list)
    for repair in ordered:
        keys = {safety_key(c) for c in repair.classes if c in SERIOUS_SAFETY_FAULTS}
        if repair.fault in SAFETY_SYSTEMS:
            keys.add(repair.fault)
        for key in keys:
            by_safety[key].append(repair)
    for key, group in sorted(by_safety.items()):
        add(
            SanbaoRule.SERIOUS_SAFETY_FAULT_TWICE,
            len(group),
            SANBAO_MAX_SAFETY_REPAIRS,
            key,
            REPLACE_OR_RETURN,
            f"serious safety fault {key} repaired {len(group)} times: repaired twice and "
            "still present allows replacement or return",
            group[-1].order_id,
        )
    # an engine, gearbox, traction battery or drive motor replaced twice; a main part twice
    by_assembly: dict[str, list[SanbaoFacts]] = defaultdict(list)
    by_part: dict[MainPart, list[SanbaoFacts]] = defaultdict(list)
    for repair in ordered:
        for system in repair.assemblies:
            by_assembly[system].append(repair)
        for main in repair.main_parts:
            by_part[main].append(repair)
    for system, group in sorted(by_assembly.items()):
        add(
            SanbaoRule.MAJOR_ASSEMBLY_REPLACED_TWICE,
            len(group),
            SANBAO_MAX_MAIN_PART_REPLACEMENTS,
            system,
            REPLACE_OR_RETURN,
            f"{system} assembly replaced {len(group)} times for quality: replaced twice and "
            "still not working allows replacement or return",
            group[-1].order_id,
        )
    for main, group in sorted(by_part.items(), key=lambda kv: (kv[0].system, kv[0].name)):
        add(
            SanbaoRule.MAIN_PART_REPLACED_TWICE,
            len(group),
            SANBAO_MAX_MAIN_PART_REPLACEMENTS,
            f"{main.system}:{main.name}",
            REPLACE_OR_RETURN,
            f"{main.system} main part {main.name} replaced {len(group)} times for quality: "
            "the same main part replaced twice and still not working allows replacement "
            "or return",
            group[-1].order_id,
        )
    for repair in ordered:
        # within 7 days of delivery: a main system needing replacement
        if _within_days(repair, SANBAO_FIRST_DAYS, None):
            failed = {MAIN_SYSTEM_FAILURES[c] for c in repair.classes if c in MAIN_SYSTEM_FAILURES}
            failed |= set(repair.assemblies)
            failed |= {p.system for p in repair.main_parts if p.system in MAIN_SYSTEMS}
            for system in sorted(failed):
                add(
                    SanbaoRule.SEVEN_DAY_MAJOR_PART,
                    1,
                    1,
                    system,
                    REPLACE_OR_RETURN,
                    f"{system} failed within {SANBAO_FIRST_DAYS} days of delivery and needs "
                    f"replacement ({repair.order_no}): the customer may choose replacement "
                    "or return",
                    repair.order_id,
                )
            if not failed and repair.fault in MAIN_SYSTEMS:
                add(
                    SanbaoRule.SEVEN_DAY_MAJOR_PART,
                    0,
                    1,
                    repair.fault,
                    REPLACE_OR_RETURN,
                    f"{repair.fault} repaired within {SANBAO_FIRST_DAYS} days of delivery "
                    f"({repair.order_no}): if a main part needs replacement, the customer may "
                    "choose replacement or return",
                    repair.order_id,
                )
        # within 60 days / 3,000 km: steering/brake failure, body cracking, fuel leak, fire
        if _within_days(repair, SANBAO_EARLY_DAYS, SANBAO_EARLY_KM):
            classes = sorted(c for c in repair.classes if c in SIXTY_DAY_FAULTS)
            for fault in classes:
                add(
                    SanbaoRule.SIXTY_DAY_SERIOUS_FAULT,
                    1,
                    1,
                    fault,
                    FREE_REPLACE_OR_RETURN,
                    f"{fault} within {SANBAO_EARLY_DAYS} days / {SANBAO_EARLY_KM:,} km of "
                    f"delivery ({repair.order_no}): the customer may choose free replacement "
                    "or return",
                    repair.order_id,
                )
            covered = {safety_key(c) for c in classes}
            if repair.fault in SAFETY_SYSTEMS and repair.fault not in covered:
                add(
                    SanbaoRule.SIXTY_DAY_SERIOUS_FAULT,
                    0,
                    1,
                    repair.fault,
                    FREE_REPLACE_OR_RETURN,
                    f"{repair.fault} repair within {SANBAO_EARLY_DAYS} days / "
                    f"{SANBAO_EARLY_KM:,} km of delivery ({repair.order_no}): classify the "
                    "fault; a failure allows free replacement or return",
                    repair.order_id,
                )
        # a single repair over 5 days: courtesy car; warn on its 5th day
        if repair.courtesy_car_due or repair.days > COURTESY_CAR_AFTER_DAYS:
            add(
                SanbaoRule.SINGLE_REPAIR_OVER_5_DAYS,
                repair.days,
                COURTESY_CAR_AFTER_DAYS + 1,
                repair.order_no,
                COURTESY_CAR,
                f"repair {repair.order_no} took {repair.days} days: over "
                f"{COURTESY_CAR_AFTER_DAYS} days owes a courtesy car or transport allowance",
                repair.order_id,
                reached=True,
            )
        elif repair.open and repair.days == COURTESY_CAR_AFTER_DAYS:
            add(
                SanbaoRule.SINGLE_REPAIR_OVER_5_DAYS,
                repair.days,
                COURTESY_CAR_AFTER_DAYS + 1,
                repair.order_no,
                COURTESY_CAR,
                f"repair {repair.order_no} is in its {repair.days}th day: one more day owes a "
                "courtesy car or transport allowance",
                repair.order_id,
            )
    return signals


# --- missed maintenance (未按规定保养) --------------------------------------------------


@dataclass(frozen=True)
class MaintenanceSchedule:
    """The maintenance a policy requires: the first service (首保) and then every interval,
    whichever of months / km comes first, with a tolerance."""

    first_months: int
    first_km: int | None
    months: int
    km: int | None
    grace_days: int = 30
    grace_km: int = 1_000


@dataclass(frozen=True)
class MaintenanceDone:
    done_on: date
    mileage_km: int | None


def missed_maintenance(
    schedule: MaintenanceSchedule | None,
    warranty_start: date | None,
    history: Iterable[MaintenanceDone],
    repair_date: date,
    repair_km: int | None,
) -> str | None:
    """Why the vehicle missed maintenance the policy requires before the repair date (None:
    it did not, or it cannot be judged without the warranty start). Each service must come
    within its interval after the previous one (the first after the warranty start), with
    the tolerance; the repair itself must come before the next service was overdue."""
    if schedule is None or warranty_start is None or warranty_start > repair_date:
        return None
    prev_on: date = warranty_start
    prev_km: int | None = 0
    first = True

    def overdue(on: date, km: int | None) -> str | None:
        months = schedule.first_months if first else schedule.months
        interval_km = schedule.first_km if first else schedule.km
        due_on = add_months(prev_on, months) + timedelta(days=schedule.grace_days)
        due_km = (
            None
            if interval_km is None or prev_km is None
            else prev_km + interval_km + schedule.grace_km
        )
        label = "first maintenance" if first else "maintenance"
        limit = f"by {due_on.isoformat()}" + (f" or {due_km:,} km" if due_km is not None else "")
        if on > due_on or (km is not None and due_km is not None and km > due_km):
            return f"{label} due {limit}"
        return None

    done = sorted((h for h in history if h.done_on <= repair_date), key=lambda h: h.done_on)
    for visit in done:
        late = overdue(visit.done_on, visit.mileage_km)
        if late is not None:
            return (
                f"{late} was not done (next service {visit.done_on.isoformat()}"
                + (f" at {visit.mileage_km:,} km" if visit.mileage_km is not None else "")
                + ")"
            )
        prev_on, first = visit.done_on, False
        prev_km = visit.mileage_km  # unknown: the next km limit cannot be judged
    late = overdue(repair_date, repair_km)
    if late is not None:
        since = "since the warranty start" if first else f"since {prev_on.isoformat()}"
        return f"{late} was not done: no maintenance {since}"
    return None
