"""Workshop's business rules: plain functions, no I/O."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from shared.contracts.events import LineKind, OrderLine


class JobStatus(StrEnum):
    """The columns of the foreman's board (调度看板)."""

    WAITING = "waiting"
    WAITING_FOR_PARTS = "waiting_for_parts"
    #: parts are there, nobody is dispatched yet ("waiting" for the foreman)
    READY = "ready"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    WAITING_FOR_APPROVAL = "waiting_for_approval"
    IN_INSPECTION = "in_inspection"
    DONE = "done"
    #: the order was cancelled before the job was done: off the board
    CANCELLED = "cancelled"


class RoadsideStatus(StrEnum):
    """A breakdown call (外出救援) from the phone call to the car fixed or towed in."""

    RECEIVED = "received"
    DISPATCHED = "dispatched"
    ON_SITE = "on_site"
    FIXED_ON_SITE = "fixed_on_site"
    TOWED_IN = "towed_in"
    #: towed in and a repair order opened for it: the work goes on as workshop jobs
    REPAIR_ORDER = "repair_order"


class RoadsideOutcome(StrEnum):
    FIXED_ON_SITE = "fixed_on_site"
    TOWED_IN = "towed_in"


class FindingStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    #: the order was cancelled before the customer answered
    CANCELLED = "cancelled"


class OverrunStatus(StrEnum):
    """A technician's request for more time on a job (超时申请), decided by the foreman."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"
    #: the order was cancelled while the request waited
    CANCELLED = "cancelled"


class ProgressReportStatus(StrEnum):
    """The evening progress report of a car kept overnight (process §5)."""

    DUE = "due"
    REPORTED = "reported"


class TacCaseStatus(StrEnum):
    """A fault the station cannot solve, escalated to the manufacturer's TAC."""

    ESCALATED = "escalated"
    ANSWERED = "answered"
    CLOSED = "closed"


class JobPartStatus(StrEnum):
    REQUESTED = "requested"
    RESERVED = "reserved"
    BACKORDERED = "backordered"
    #: the order was cancelled before the part was drawn: the request lapses (parts releases
    #: its reservation on ``order.cancelled``)
    CANCELLED = "cancelled"
    #: the order was cancelled after the part was drawn: it goes back to the counter (退料)
    TO_RETURN = "to_return"


class WorkshopOrderStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


#: a technician finishes a job dispatched to a team, once its parts are there (§5: 派工, 领料)
COMPLETABLE = frozenset({JobStatus.DISPATCHED, JobStatus.IN_PROGRESS, JobStatus.PAUSED})
#: the foreman dispatches (or re-dispatches) a job nobody is clocked on
DISPATCHABLE = frozenset({JobStatus.READY, JobStatus.DISPATCHED, JobStatus.PAUSED})
#: a technician clocks on a job dispatched to them that is not running
CLOCKABLE = frozenset({JobStatus.DISPATCHED, JobStatus.PAUSED})
#: a finding is reported on a job being worked on
FINDING_ALLOWED = frozenset({JobStatus.DISPATCHED, JobStatus.IN_PROGRESS, JobStatus.PAUSED})
#: jobs still on the board (not done)
OPEN_STATUSES = frozenset(set(JobStatus) - {JobStatus.DONE, JobStatus.CANCELLED})
#: major systems whose work gets a final inspection (process §6: 竣工检验)
INSPECTED_SYSTEMS = frozenset({"engine", "gearbox", "brakes", "steering"})
SKILLS = ("mechanical", "electrical", "body", "paint", "diagnosis")
BAY_KINDS = ("lift", "alignment", "body", "paint", "wash", "diagnosis")
#: parts news moves only jobs nobody has started; a running or finished job keeps its state
PARTS_GATED = frozenset({JobStatus.WAITING, JobStatus.WAITING_FOR_PARTS, JobStatus.READY})
PARTS_ONLY_CODE = "PARTS"
PARTS_ONLY_DESCRIPTION = "parts only"
PARTS_REQUESTED = "parts requested"
#: part requests the parts counter's news no longer moves
PART_REQUEST_CLOSED = frozenset({JobPartStatus.CANCELLED, JobPartStatus.TO_RETURN})


def part_status_on_cancel(net_drawn: Decimal | None) -> JobPartStatus:
    """A cancelled order's part request: drawn and not returned goes back to the counter
    (退料); never drawn, the request simply lapses."""
    return JobPartStatus.TO_RETURN if net_drawn and net_drawn > 0 else JobPartStatus.CANCELLED


@dataclass
class PlannedJob:
    """One job to create from an order: its labour line (None: parts only) and its parts."""

    labour: OrderLine | None
    parts: list[OrderLine] = field(default_factory=list)


def plan_jobs(lines: Sequence[OrderLine]) -> list[PlannedJob]:
    """One job per labour line; a part goes to the job of its labour line, else to the first.

    An order of parts only gets one "parts only" job, so its parts are still drawn against a
    job and the order still completes through the workshop.
    """
    jobs = [PlannedJob(line) for line in lines if line.kind == LineKind.LABOUR]
    parts = [line for line in lines if line.kind == LineKind.PART]
    if not jobs:
        if not parts:
            return []
        jobs = [PlannedJob(None)]
    by_labour: dict[uuid.UUID, PlannedJob] = {
        job.labour.line_id: job for job in jobs if job.labour is not None
    }
    for part in parts:
        target = by_labour.get(part.labour_line_id) if part.labour_line_id else None
        (target or jobs[0]).parts.append(part)
    return jobs


def quantity_text(quantity: Decimal) -> str:
    """``2.000`` -> ``2``, ``0.500`` -> ``0.5``: quantities as a person writes them."""
    return f"{quantity.normalize():f}"


def backorder_reason(part_no: str, short: Decimal, expected_on: date | None) -> str:
    expected = f"expected {expected_on.isoformat()}" if expected_on else "no date yet"
    return f"waiting for part {part_no} (short {quantity_text(short)}, {expected})"


@dataclass(frozen=True)
class PartState:
    part_no: str
    status: JobPartStatus
    quantity_short: Decimal | None = None
    expected_on: date | None = None


def parts_wait_reason(parts: Iterable[PartState]) -> str | None:
    """Why a job still waits for its parts, or None when every part is reserved.

    Backordered parts are named (the advisor tells the customer the date); parts still being
    answered by the parts counter read "parts requested".
    """
    parts = list(parts)
    short = [
        backorder_reason(p.part_no, p.quantity_short or Decimal("0"), p.expected_on)
        for p in parts
        if p.status == JobPartStatus.BACKORDERED
    ]
    if short:
        return "; ".join(short)
    if any(p.status == JobPartStatus.REQUESTED for p in parts):
        return PARTS_REQUESTED
    return None


def status_after_parts(current: JobStatus, reason: str | None) -> JobStatus:
    """A job not yet started waits while a part is missing and is ready once all are in."""
    if current not in PARTS_GATED:
        return current
    return JobStatus.WAITING_FOR_PARTS if reason else JobStatus.READY


def can_complete(status: JobStatus) -> bool:
    return status in COMPLETABLE


def order_finished(statuses: Iterable[JobStatus]) -> bool:
    """Every job of the order is done (an order without jobs is not finished by this)."""
    statuses = list(statuses)
    return bool(statuses) and all(status == JobStatus.DONE for status in statuses)


def total_hours(hours: Iterable[Decimal]) -> Decimal:
    return sum(hours, Decimal("0"))


# --- dispatch ---------------------------------------------------------------------------


def needs_final_inspection(major_system: str | None, order_asks: bool) -> bool:
    """Engine, gearbox, brakes and steering work is inspected, and any job of an order that
    asks for it (process §6)."""
    return order_asks or (major_system or "").lower() in INSPECTED_SYSTEMS


def inspection_asked(order_flag: bool, lines: Iterable[OrderLine]) -> bool:
    """Whether the order asks for inspection of *all* its work.

    ``order.created`` carries one flag, set by reception for major-system work or on request.
    With major-system lines the flag is explained by them and only they are inspected; without
    any, the flag can only be the customer's or advisor's request, so every job is inspected."""
    has_major = any(
        (line.major_system or "").lower() in INSPECTED_SYSTEMS
        for line in lines
        if line.kind == LineKind.LABOUR
    )
    return order_flag and not has_major


def status_after_finish(needs_inspection: bool) -> JobStatus:
    """A finished job waits for the inspector when it needs one, else it is done."""
    return JobStatus.IN_INSPECTION if needs_inspection else JobStatus.DONE


def hand_over_time(at: datetime) -> datetime:
    """The hand-over is recorded to ten minutes (process §5): the ten-minute mark at or before
    the moment, so a recorded hand-over never lies in the future of the work that follows."""
    return at.replace(minute=at.minute - at.minute % 10, second=0, microsecond=0)


def single_team(skills: Iterable[str | None]) -> bool:
    """All jobs of the order need one team (one skill): the advisor may assign it directly.

    The rule of a station that has no teams (班组) recorded: each skill is a team of its own.
    A job that needs no particular skill (a wash) does not make a second team."""
    return len({skill for skill in skills if skill}) <= 1


@dataclass(frozen=True)
class TeamSkills:
    team_id: uuid.UUID
    name: str
    skills: frozenset[str]


def teams_for_order(
    skills: Iterable[str | None], teams: Sequence[TeamSkills]
) -> list[TeamSkills] | None:
    """The teams that can do every job of an order alone (process §5: a single-team order,
    which the advisor may assign directly), or None when the station records no teams and
    ``single_team`` decides. An empty list: the order needs several teams (the foreman's).

    Jobs that need no particular skill (a wash) fall to any team."""
    if not teams:
        return None
    needed = {skill for skill in skills if skill in SKILLS}
    return [team for team in teams if needed <= team.skills]


def teams_needed_text(skills: Iterable[str | None], teams: Sequence[TeamSkills]) -> str:
    """Which team does which skill of the order, for the advisor's refusal."""
    parts = []
    for skill in sorted({s for s in skills if s in SKILLS}):
        names = [t.name for t in teams if skill in t.skills]
        parts.append(f"{skill}: {', '.join(names) if names else 'no team'}")
    return "; ".join(parts)


def dispatch_refusal(status: JobStatus) -> str | None:
    """Why a job cannot be dispatched now, or None."""
    if status in DISPATCHABLE:
        return None
    if status == JobStatus.WAITING_FOR_PARTS:
        return "its parts are not all reserved yet"
    if status == JobStatus.IN_PROGRESS:
        return "a technician is clocked on it: they clock off first"
    return f"it is {status.value}"


@dataclass(frozen=True)
class JobDemand:
    """An undispatched job asking for a technician."""

    job_id: uuid.UUID
    skill: str | None
    hours: Decimal
    promised_at: datetime | None


@dataclass(frozen=True)
class TechnicianLoad:
    technician_id: str
    skills: frozenset[str]
    load_hours: Decimal
    certification_level: int = 1


def suggest_technicians(
    jobs: Sequence[JobDemand], technicians: Sequence[TechnicianLoad]
) -> dict[uuid.UUID, str | None]:
    """A technician for each job: one with the skill, the least loaded, most certified first.

    Jobs are served by promised time (earliest first, unpromised last) and each suggestion adds
    its hours to that technician's load, so the suggestions spread over the team.
    """
    loads = {t.technician_id: t.load_hours for t in technicians}
    far = datetime.max.replace(tzinfo=None)
    ordered = sorted(
        jobs,
        key=lambda j: (
            j.promised_at is None,
            j.promised_at.replace(tzinfo=None) if j.promised_at else far,
        ),
    )
    suggestions: dict[uuid.UUID, str | None] = {}
    for job in ordered:
        able = [t for t in technicians if job.skill is None or job.skill in t.skills]
        if not able:
            suggestions[job.job_id] = None
            continue
        best = min(
            able,
            key=lambda t: (loads[t.technician_id], -t.certification_level, t.technician_id),
        )
        loads[best.technician_id] += job.hours
        suggestions[job.job_id] = best.technician_id
    return suggestions


# --- clocking ---------------------------------------------------------------------------


def clock_on_refusal(
    status: JobStatus,
    dispatched_to: str | None,
    technician_id: str,
    team: str | None = None,
    team_members: Collection[str] = (),
) -> str | None:
    """Why this technician may not clock on this job, or None (process §5: 打卡).

    A job dispatched to a team (``team`` its name) is worked by its leader and members, side
    by side if they like; each of them still clocks on one job at a time."""
    on_team = team is not None and technician_id in team_members
    if status == JobStatus.WAITING_FOR_APPROVAL:
        return "the job waits for the customer's approval of a finding"
    if status in (JobStatus.DONE, JobStatus.IN_INSPECTION):
        return "the job is finished"
    if status == JobStatus.CANCELLED:
        return "the order was cancelled"
    if team is not None and not on_team:
        return f"the job is dispatched to team {team}: its leader or members clock on"
    if status == JobStatus.IN_PROGRESS and not on_team:
        return f"{dispatched_to} is clocked on it already"
    if status not in CLOCKABLE and status != JobStatus.IN_PROGRESS:
        return f"the job is {status.value}: the foreman dispatches it first"
    if team is None and dispatched_to != technician_id:
        return f"the job is dispatched to {dispatched_to}"
    return None


def status_after_clock_off(others_still_on: int) -> JobStatus:
    """A job stays in progress while another member of its team is still clocked on it."""
    return JobStatus.IN_PROGRESS if others_still_on else JobStatus.PAUSED


def clocked_hours(started_at: datetime, ended_at: datetime) -> Decimal:
    """Hours between clocking on and off, to the hundredth."""
    seconds = Decimal(str(max((ended_at - started_at).total_seconds(), 0)))
    return (seconds / 3600).quantize(Decimal("0.01"), ROUND_HALF_UP)


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """numerator / denominator to four places; None when there is nothing to divide by."""
    if denominator <= 0:
        return None
    return (numerator / denominator).quantize(Decimal("0.0001"), ROUND_HALF_UP)


# --- findings and parts -----------------------------------------------------------------


def status_after_answer(status_before: JobStatus, still_pending: int) -> JobStatus:
    """The customer answered a finding: the job resumes once no finding waits any more.

    A job that was running resumes paused (its technician clocks on again)."""
    if still_pending:
        return JobStatus.WAITING_FOR_APPROVAL
    return JobStatus.PAUSED if status_before == JobStatus.IN_PROGRESS else status_before


@dataclass(frozen=True)
class PartMove:
    job_id: uuid.UUID
    part_no: str
    quantity: Decimal  # issued positive, returned negative


def parts_used(moves: Iterable[PartMove]) -> list[tuple[uuid.UUID, str, Decimal]]:
    """Net quantity of each part drawn per job (issued minus returned), only what stays used."""
    net: dict[tuple[uuid.UUID, str], Decimal] = {}
    for move in moves:
        key = (move.job_id, move.part_no)
        net[key] = net.get(key, Decimal("0")) + move.quantity
    return [(job, part, qty) for (job, part), qty in net.items() if qty > 0]


# --- capacity, comebacks, KPIs ---------------------------------------------------------


def works_on(day: date, working_days: Iterable[int], absences: Iterable[tuple[date, date]]) -> bool:
    """A technician works a day of their week (ISO weekday) unless absent on it."""
    if day.isoweekday() not in set(working_days):
        return False
    return not any(first <= day <= last for first, last in absences)


def _bigrams(text: str) -> set[str]:
    letters = "".join(ch.lower() for ch in text if ch.isalnum())
    return {letters[i : i + 2] for i in range(len(letters) - 1)} or (
        {letters} if letters else set()
    )


def similar_complaint(first: str, second: str, threshold: Decimal = Decimal("0.3")) -> bool:
    """Two complaints are about the same fault when their character pairs overlap enough.

    Character pairs work for Chinese ("刹车异响" ~ "刹车时有异响") and for other languages."""
    a, b = _bigrams(first), _bigrams(second)
    if not a or not b:
        return False
    overlap = Decimal(len(a & b)) / Decimal(min(len(a), len(b)))
    return overlap >= threshold


def is_comeback(
    previous_completed_at: datetime | None,
    previous_complaint: str,
    now: datetime,
    complaint: str,
    window_days: int,
) -> bool:
    """Same vehicle back with a similar complaint within the window (process §6: 返修)."""
    if previous_completed_at is None:
        return False
    if now - previous_completed_at > timedelta(days=window_days):
        return False
    return similar_complaint(previous_complaint, complaint)


#: the certification level (1 junior .. 4 master) from which a technician is a technical lead
#: (技术总监 / 技术经理) who checks a comeback repair with the inspector (process §6)
TECHNICAL_LEAD_LEVEL = 3


@dataclass(frozen=True)
class LeadCandidate:
    technician_id: str
    station_id: str
    active: bool
    certification_level: int


def technical_lead_refusal(
    lead_id: str | None,
    lead: LeadCandidate | None,
    *,
    station_id: str,
    inspector_id: str,
    worked_by: Collection[str],
    comeback: bool,
    passing: bool,
) -> str | None:
    """Why the named technical lead cannot check this inspection with the inspector, or None.

    Passing a comeback's inspection needs one (process §6: a comeback repair is checked together
    with the technical lead): a lead technician of the station, another person than the
    inspector and than whoever worked on the order's jobs. A lead named elsewhere is held to
    the same rules."""
    if lead_id is None:
        if comeback and passing:
            return (
                "a comeback repair is checked together with the technical lead: "
                "name them (technical_lead_id) to pass it"
            )
        return None
    if lead is None or lead.station_id != station_id or not lead.active:
        return f"{lead_id} is not an active technician of station {station_id}"
    if lead.certification_level < TECHNICAL_LEAD_LEVEL:
        return (
            f"{lead_id} is certification level {lead.certification_level}: the technical lead "
            f"is level {TECHNICAL_LEAD_LEVEL} or above"
        )
    if lead_id == inspector_id:
        return "the technical lead checks with the inspector: another person than the inspector"
    if lead_id in worked_by:
        return f"{lead_id} worked on this repair: the technical lead checks someone else's work"
    return None


#: how far ahead a change of the team (an absence) republishes the capacity
CAPACITY_HORIZON_DAYS = 14
#: the days the workshop plans and reports on (beyond them a date is a typing error)
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def day_refusal(day: date) -> str | None:
    """Why a planning or reporting day is not believable, or None."""
    if FIRST_DAY <= day <= LAST_DAY:
        return None
    return f"{day.isoformat()} is outside {FIRST_DAY.isoformat()} .. {LAST_DAY.isoformat()}"


def period_bounds(day: date, period: str) -> tuple[date, date]:
    """First and last day of the day or month containing ``day``."""
    if period == "day":
        return day, day
    first = day.replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    return first, next_month - timedelta(days=1)


# --- roadside assistance (外出救援) ------------------------------------------------------

#: which state each step of a roadside call starts from
ROADSIDE_STEPS = {
    "dispatch": frozenset({RoadsideStatus.RECEIVED, RoadsideStatus.DISPATCHED}),
    "arrival": frozenset({RoadsideStatus.DISPATCHED}),
    "finish": frozenset({RoadsideStatus.ON_SITE}),
}


def roadside_refusal(status: RoadsideStatus, step: str) -> str | None:
    """Why this step cannot be taken on a call in this state, or None."""
    if status in ROADSIDE_STEPS[step]:
        return None
    return f"the call is {status.value}"


def roadside_match(
    call_vin: str | None, call_plate: str | None, vin: str, plate: str | None
) -> bool:
    """A towed-in car is the order's car when the VIN (or else the plate) is the same."""
    if call_vin:
        return call_vin.upper() == vin.upper()
    return bool(call_plate and plate and call_plate.replace(" ", "") == plate.replace(" ", ""))


def minutes_between(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return int((end - start).total_seconds() // 60)


# --- overruns, progress reports, technical assistance (process §5) ----------------------

#: a technician asks for more time on a job they are working on
OVERRUN_ALLOWED = frozenset({JobStatus.DISPATCHED, JobStatus.IN_PROGRESS, JobStatus.PAUSED})
#: a case is escalated to TAC from a job being worked on
TAC_ALLOWED = OVERRUN_ALLOWED
#: how far ahead a new promised or expected completion time is believable
PROMISE_HORIZON = timedelta(days=90)
TAC_WAITING_PREFIX = "waiting for the manufacturer's technical support (TAC"


def overrun_refusal(
    status: JobStatus,
    dispatched_to: str | None,
    requester: str,
    requester_is_technician: bool,
) -> str | None:
    """Why this person may not ask for more time on this job now, or None (process §5)."""
    if status not in OVERRUN_ALLOWED:
        return f"the job is {status.value}: more time is asked for a job being worked on"
    if requester_is_technician and dispatched_to != requester:
        return f"the job is dispatched to {dispatched_to}"
    return None


def new_promise_refusal(
    new_promised_at: datetime | None, current: datetime | None, now: datetime
) -> str | None:
    """A new promised time lies ahead of now and after the current promise, or is None."""
    if new_promised_at is None:
        return None
    if new_promised_at > now + PROMISE_HORIZON:
        return f"the new promised time is over {PROMISE_HORIZON.days} days ahead: a typing error?"
    if new_promised_at <= now:
        return "the new promised time must lie in the future"
    if current is not None and new_promised_at <= current:
        return f"the new promised time must be later than the current one ({current.isoformat()})"
    return None


def kept_overnight(received_at: datetime, closes_at: datetime) -> bool:
    """An open order received before the station's closing time stays overnight (one received
    after it is reported on the next evening)."""
    return received_at < closes_at


def bulletin_matches(
    make: str | None,
    model: str | None,
    symptom: str,
    fault_codes: Sequence[str],
    *,
    want_make: str | None = None,
    want_model: str | None = None,
    text: str | None = None,
    fault_code: str | None = None,
) -> bool:
    """Whether a technical bulletin answers a search: same make / model (a bulletin without a
    model covers every model of its make), a fault code it names, words of its symptom."""
    if want_make and (make or "").casefold() != want_make.casefold():
        return False
    if want_model and model and model.casefold() != want_model.casefold():
        return False
    if fault_code and fault_code.upper() not in {code.upper() for code in fault_codes}:
        return False
    if text:
        needle = text.casefold().strip()
        return needle in symptom.casefold() or similar_complaint(symptom, text)
    return True


def normalise_fault_codes(codes: Iterable[str]) -> list[str]:
    """Fault codes (DTC) as the tester prints them: upper case, no blanks, each once."""
    seen: list[str] = []
    for code in codes:
        clean = code.replace(" ", "").upper()
        if clean and clean not in seen:
            seen.append(clean)
    return seen
