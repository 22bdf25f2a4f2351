"""Warranty's business rules: plain functions, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol, TypeVar

from shared.contracts.events import CoverageVerdict, LineKind, PayType
from shared.pricing import lines_total

#: national repair warranty (包修期) minimum for family cars: 3 years / 60,000 km, whichever
#: limit comes first, counted from the invoice (or delivery) date (process §10, SAMR Order 43)
REPAIR_WARRANTY_KM = 60_000
REPAIR_WARRANTY_YEARS = 3

OVER_MILEAGE = f"over {REPAIR_WARRANTY_KM:,} km"
OVER_AGE = f"over {REPAIR_WARRANTY_YEARS} years since the warranty start"
START_UNKNOWN = "warranty start date unknown"
MILEAGE_UNKNOWN = "mileage unknown"
START_AFTER_REPAIR = "warranty start date is after the repair order: check the invoice date"
#: a labour claim must name the failed part it repaired, or the manufacturer rejects it
NO_CAUSAL_PART = "no causal part"


# --- coverage ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """Warranty's verdict on a vehicle's warranty work, and why when it is not ``covered``."""

    verdict: CoverageVerdict
    reason: str | None = None


def warranty_end(warranty_start: date) -> date:
    """The first day no longer in the repair warranty (a 29 February start ends on the 28th)."""
    year = warranty_start.year + REPAIR_WARRANTY_YEARS
    try:
        return warranty_start.replace(year=year)
    except ValueError:
        return warranty_start.replace(year=year, day=28)


def repair_warranty_coverage(
    mileage_km: int | None, warranty_start: date | None, *, on: date
) -> Coverage:
    """The national 3-year / 60,000 km repair warranty on the day ``on`` of the repair order.

    A limit known to be passed decides at once; a limit that cannot be checked (no mileage,
    no warranty start) leaves the decision to the warranty administrator.
    """
    if mileage_km is not None and mileage_km >= REPAIR_WARRANTY_KM:
        return Coverage(CoverageVerdict.NOT_COVERED, OVER_MILEAGE)
    if warranty_start is not None and on >= warranty_end(warranty_start):
        return Coverage(CoverageVerdict.NOT_COVERED, OVER_AGE)
    if mileage_km is None:
        return Coverage(CoverageVerdict.NEEDS_APPROVAL, MILEAGE_UNKNOWN)
    if warranty_start is None:
        return Coverage(CoverageVerdict.NEEDS_APPROVAL, START_UNKNOWN)
    if warranty_start > on:
        return Coverage(CoverageVerdict.NEEDS_APPROVAL, START_AFTER_REPAIR)
    return Coverage(CoverageVerdict.COVERED)


# --- warranty lines ---------------------------------------------------------------------


class PaidLine(Protocol):
    @property
    def pay_type(self) -> str: ...


P = TypeVar("P", bound=PaidLine)


def warranty_lines(lines: Iterable[P]) -> list[P]:
    """The lines the manufacturer pays for (付费方式 warranty); only these are claimed."""
    return [line for line in lines if line.pay_type == PayType.WARRANTY]


def has_warranty_work(lines: Iterable[PaidLine]) -> bool:
    """A claim is drafted only for an order with at least one warranty line."""
    return any(line.pay_type == PayType.WARRANTY for line in lines)


# --- claims -----------------------------------------------------------------------------


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


def claim_amount(lines: Iterable[ClaimableLine]) -> Decimal:
    """What the claim asks of the manufacturer: the sum of its lines."""
    return lines_total(lines)


def draft_problems(lines: Sequence[ClaimableLine]) -> list[str]:
    """What the warranty administrator must fix before the draft can be submitted."""
    problems: list[str] = []
    kinds = {str(line.kind) for line in lines}
    if LineKind.LABOUR in kinds and LineKind.PART not in kinds:
        problems.append(NO_CAUSAL_PART)
    problems += [
        f"labour line {line.code} has no flat-rate hours"
        for line in lines
        if line.kind == LineKind.LABOUR and line.hours is None
    ]
    return problems


def claim_number(station_id: str, created_at: datetime, serial: str) -> str:
    return f"WC-{station_id.upper()}-{created_at:%Y%m%d}-{serial.upper()}"
