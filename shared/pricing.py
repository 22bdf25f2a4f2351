"""How a repair-order line is priced — the meaning of ``OrderLine`` that every service reading
the contract shares: labour is flat-rate hours x labour rate (工时费), a part is quantity x unit
price (配件费), each rounded to the fen."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

FEN = Decimal("0.01")


class PricedLine(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def hours(self) -> Decimal | None: ...
    @property
    def unit_price(self) -> Decimal: ...


def line_amount(line: PricedLine) -> Decimal:
    """The line's amount in yuan; labour without hours is worth nothing (callers that need
    hours check for them and say so)."""
    if line.kind == "labour":
        amount = (line.hours or Decimal("0")) * line.unit_price
    else:
        amount = line.quantity * line.unit_price
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def lines_total(lines: Iterable[PricedLine]) -> Decimal:
    return sum((line_amount(line) for line in lines), Decimal("0.00"))
