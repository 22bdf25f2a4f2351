"""Reception's business rules: plain functions, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

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


class PricedLine(Protocol):
    """What the pricing rules need of a line (an order line row or an API line)."""

    @property
    def kind(self) -> str: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def hours(self) -> Decimal | None: ...
    @property
    def unit_price(self) -> Decimal: ...
    @property
    def major_system(self) -> str | None: ...


def line_amount(line: PricedLine) -> Decimal:
    """Labour: flat-rate hours x labour rate; parts: quantity x unit price (yuan, 2 places)."""
    if line.kind == "labour":
        if line.hours is None:
            raise ValueError("a labour line needs its flat-rate hours")
        amount = line.hours * line.unit_price
    else:
        amount = line.quantity * line.unit_price
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def order_total(lines: Iterable[PricedLine]) -> Decimal:
    return sum((line_amount(line) for line in lines), Decimal("0.00"))


def needs_manager(total: Decimal, *, vip: bool) -> bool:
    """Orders over ¥10,000 and orders of VIP customers involve the service manager."""
    return vip or total > MANAGER_THRESHOLD


def needs_final_inspection(lines: Iterable[PricedLine], *, asked: bool) -> bool:
    """Engine, gearbox, brake and steering work gets a final inspection; or when asked."""
    return asked or any((line.major_system or "").lower() in MAJOR_SYSTEMS for line in lines)


def order_number(station_id: str, created_at: datetime, serial: str) -> str:
    return f"RO-{station_id.upper()}-{created_at:%Y%m%d}-{serial.upper()}"
