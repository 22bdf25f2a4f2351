"""Parts' business rules: plain functions, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal

#: days from ordering a part at the manufacturer to having it on the shelf (process §11)
SUPPLIER_LEAD_TIME = timedelta(days=3)

ZERO = Decimal("0")


def available(on_hand: Decimal, reserved: Decimal) -> Decimal:
    """What can still be promised to a job: on the shelf and not yet reserved."""
    return on_hand - reserved


@dataclass(frozen=True)
class Allocation:
    """How much of a request is reserved now and how much has to wait for a delivery."""

    requested: Decimal
    reserved: Decimal

    @property
    def short(self) -> Decimal:
        return self.requested - self.reserved

    @property
    def complete(self) -> bool:
        return self.short == ZERO


def allocate(requested: Decimal, available_now: Decimal) -> Allocation:
    """Reserve as much as is available, never more than asked and never below zero stock."""
    if requested <= ZERO:
        raise ValueError("a request is for a positive quantity")
    return Allocation(requested=requested, reserved=min(requested, max(available_now, ZERO)))


def below_reorder_point(available_now: Decimal, reorder_point: Decimal) -> bool:
    """Time to reorder: available stock is under the reorder point (库存预警)."""
    return available_now < reorder_point


def falls_below_reorder_point(before: Decimal, after: Decimal, reorder_point: Decimal) -> bool:
    """This change crossed the reorder point: alert once, not on every later reservation."""
    return not below_reorder_point(before, reorder_point) and below_reorder_point(
        after, reorder_point
    )


def suggested_reorder_quantity(
    available_now: Decimal,
    reorder_point: Decimal,
    reorder_quantity: Decimal,
    *,
    short: Decimal = ZERO,
) -> Decimal:
    """Whole reorder lots that lift available stock, net of what jobs still wait for, back
    to the reorder point; at least one lot (a lot of zero means: order exactly the gap)."""
    needed = max(reorder_point - available_now + short, ZERO)
    if reorder_quantity <= ZERO:
        return needed
    lots = max((needed / reorder_quantity).to_integral_value(rounding=ROUND_CEILING), Decimal(1))
    return lots * reorder_quantity


def expected_on(today: date) -> date:
    """When a part ordered today from the manufacturer should arrive."""
    return today + SUPPLIER_LEAD_TIME


def transfer_candidates(
    stock_by_station: Iterable[tuple[str, Decimal]], *, excluding: str
) -> list[tuple[str, Decimal]]:
    """Other stations of the group that could lend the part: most available first."""
    candidates = [
        (station_id, amount)
        for station_id, amount in stock_by_station
        if station_id != excluding and amount > ZERO
    ]
    return sorted(candidates, key=lambda item: (-item[1], item[0]))
