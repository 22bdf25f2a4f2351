"""Reception's business rules: plain functions, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from shared.pricing import PricedLine, lines_total

#: orders above this total get the service manager involved (process §4)
MANAGER_THRESHOLD = Decimal("10000")
#: work on these systems always gets a final inspection (process §6)
MAJOR_SYSTEMS = frozenset({"engine", "gearbox", "brakes", "steering"})

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


class InspectedLine(Protocol):
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
