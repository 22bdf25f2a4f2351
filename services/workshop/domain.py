"""Workshop's business rules: plain functions, no I/O."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from shared.contracts.events import LineKind, OrderLine


class JobStatus(StrEnum):
    WAITING = "waiting"
    WAITING_FOR_PARTS = "waiting_for_parts"
    READY = "ready"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class JobPartStatus(StrEnum):
    REQUESTED = "requested"
    RESERVED = "reserved"
    BACKORDERED = "backordered"


class WorkshopOrderStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"


#: a technician can finish a job only once its parts are there (process §5: 领料)
COMPLETABLE = frozenset({JobStatus.READY, JobStatus.IN_PROGRESS})
#: parts news moves only jobs nobody has started; a running or finished job keeps its state
PARTS_GATED = frozenset({JobStatus.WAITING, JobStatus.WAITING_FOR_PARTS, JobStatus.READY})
PARTS_ONLY_CODE = "PARTS"
PARTS_ONLY_DESCRIPTION = "parts only"
PARTS_REQUESTED = "parts requested"


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
