"""Parts' business rules: plain functions, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from shared.auth import Role
from shared.errors import DomainError

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


def expected_on(
    today: date,
    *,
    open_deliveries: Iterable[date | None] = (),
    lead_time_days: int | None = None,
) -> date:
    """When a short part should arrive: the earliest delivery still expected on an open
    purchase order, else today plus the supplier's lead time (default three days)."""
    upcoming = [day for day in open_deliveries if day is not None and day >= today]
    if upcoming:
        return min(upcoming)
    lead = SUPPLIER_LEAD_TIME if lead_time_days is None else timedelta(days=lead_time_days)
    return today + lead


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


# --- quantities and the stock invariant ----------------------------------------------------

#: units counted in whole pieces; anything else (litres, metres) may be fractional
COUNTED_UNITS = frozenset({"pc", "pcs", "piece", "set", "kit", "pair", "bottle", "box"})


def check_quantity(quantity: Decimal, unit: str, *, field: str = "quantity") -> Decimal:
    """A quantity of a part must be positive, and whole for parts counted in pieces."""
    if quantity <= ZERO:
        raise DomainError(f"{field} must be positive, got {quantity}", field=field)
    if unit.lower() in COUNTED_UNITS and quantity != quantity.to_integral_value():
        raise DomainError(f"{field} must be a whole number of {unit}, got {quantity}", field=field)
    return quantity


def stock_invariant_violation(on_hand: Decimal, reserved: Decimal, on_order: Decimal) -> str | None:
    """What is wrong with a stock row, or None: on hand and on order never negative,
    reserved between zero and on hand (only what is on the shelf can be set aside, so
    reserved <= on hand + on order holds a fortiori)."""
    if on_hand < ZERO:
        return f"on hand would be {on_hand}"
    if on_order < ZERO:
        return f"on order would be {on_order}"
    if reserved < ZERO:
        return f"reserved would be {reserved}"
    if reserved > on_hand:
        return f"reserved {reserved} would exceed on hand {on_hand}"
    return None


def quantity_short(requested: Decimal, held: Decimal, issued: Decimal) -> Decimal:
    """What a request still waits for: asked, less what is held and what was issued."""
    return max(requested - held - issued, ZERO)


def reservation_status(
    requested: Decimal, held: Decimal, issued: Decimal, *, released: bool = False
) -> str:
    """The state of a request from its figures (values of ``ReservationStatus``)."""
    if released:
        return "released"
    if issued >= requested:
        return "issued"
    if quantity_short(requested, held, issued) == ZERO:
        return "reserved"
    if held > ZERO or issued > ZERO:
        return "partly_reserved"
    return "backordered"


def fill_oldest_first(
    available_now: Decimal, waiting: Iterable[tuple[object, Decimal]]
) -> list[tuple[object, Decimal]]:
    """Share a delivery among the requests waiting for it, oldest first: each gets what it
    is short of while stock lasts. ``waiting`` is (request, short) in age order."""
    left = max(available_now, ZERO)
    fills: list[tuple[object, Decimal]] = []
    for request, short in waiting:
        if left <= ZERO:
            break
        take = min(short, left)
        if take > ZERO:
            fills.append((request, take))
            left -= take
    return fills


def take_back_newest_first(
    excess: Decimal, held: Iterable[tuple[object, Decimal]]
) -> list[tuple[object, Decimal]]:
    """When fewer parts are on the shelf than are reserved (a count found fewer), take the
    difference back from the newest reservations first: the oldest keep their parts.
    ``held`` is (reservation, held) newest first."""
    left = max(excess, ZERO)
    takes: list[tuple[object, Decimal]] = []
    for reservation, amount in held:
        if left <= ZERO:
            break
        take = min(amount, left)
        if take > ZERO:
            takes.append((reservation, take))
            left -= take
    return takes


# --- purchase orders -----------------------------------------------------------------------

#: up to this total a parts clerk sends a purchase order without approval (yuan)
CLERK_PURCHASE_LIMIT = Decimal("5000")
#: up to this total a service manager approves; above it the group manager does
SERVICE_MANAGER_PURCHASE_LIMIT = Decimal("50000")


def approval_needed_from(total: Decimal) -> Role | None:
    """Who must approve a purchase order of this total before it is sent (审批权限)."""
    if total <= CLERK_PURCHASE_LIMIT:
        return None
    if total <= SERVICE_MANAGER_PURCHASE_LIMIT:
        return Role.SERVICE_MANAGER
    return Role.GROUP_MANAGER


def may_approve(role: Role, total: Decimal) -> bool:
    """A group manager approves any amount, a service manager up to the limit."""
    if role == Role.GROUP_MANAGER:
        return True
    return role == Role.SERVICE_MANAGER and total <= SERVICE_MANAGER_PURCHASE_LIMIT


def split_receipt(
    outstanding: Decimal, quantity: Decimal, over_receipt_note: str | None
) -> tuple[Decimal, Decimal]:
    """(against the order, over the order) of a delivery; more than is outstanding is taken
    in only with a note saying why (the supplier sent extra, a lot size)."""
    against = min(quantity, max(outstanding, ZERO))
    over = quantity - against
    if over > ZERO and not over_receipt_note:
        raise DomainError(
            f"{quantity} received but only {outstanding} outstanding: "
            "add an over_receipt_note to take in the extra",
            field="lines.over_receipt_note",
        )
    return against, over


# --- prices --------------------------------------------------------------------------------

FEN = Decimal("0.01")


def build_price(
    cost: Decimal, margin: Decimal, warranty_margin: Decimal
) -> tuple[Decimal, Decimal]:
    """(list price, warranty price) from cost and margins, to the fen (价格构成): the build-up
    is the explanation, so anyone can redo the sum."""
    list_price = (cost * (1 + margin)).quantize(FEN, rounding=ROUND_HALF_UP)
    warranty_price = (cost * (1 + warranty_margin)).quantize(FEN, rounding=ROUND_HALF_UP)
    return list_price, warranty_price


# --- stocktake ---------------------------------------------------------------------------


def count_variance(counted: Decimal, book: Decimal) -> Decimal:
    """What the count found more (+) or fewer (-) than the books said when the sheet was
    printed; posted as an adjustment on top of what moved since (盘盈 / 盘亏)."""
    return counted - book


def stock_value(lines: Iterable[tuple[Decimal, Decimal | None]]) -> Decimal:
    """Stock at cost: sum of quantity x unit cost (a part without a cost counts nothing)."""
    return sum(
        ((quantity * (cost or ZERO)).quantize(FEN) for quantity, cost in lines), Decimal("0.00")
    )


# --- KPIs ----------------------------------------------------------------------------------

#: a part with stock and no issue for this long is dead stock (呆滞库存)
DEAD_STOCK_AFTER = timedelta(days=180)


def fill_rate(served_at_once: int, requests: int) -> Decimal | None:
    """Share of part requests served from stock in full when asked (None: no requests)."""
    if requests <= 0:
        return None
    return (Decimal(served_at_once) / Decimal(requests)).quantize(Decimal("0.0001"))


def days_of_supply(stock_value_now: Decimal, issued_value: Decimal, days: int) -> Decimal | None:
    """How many days the stock lasts at the period's pace of issues (None: nothing issued)."""
    if issued_value <= ZERO or days <= 0:
        return None
    return (stock_value_now / (issued_value / days)).quantize(Decimal("0.1"))


def turnover(issued_value: Decimal, stock_value_now: Decimal, days: int) -> Decimal | None:
    """Stock turns a year: the period's issues at cost, annualised, over the stock value."""
    if stock_value_now <= ZERO or days <= 0:
        return None
    return (issued_value * Decimal(365) / days / stock_value_now).quantize(Decimal("0.01"))


def is_dead_stock(on_hand: Decimal, last_issued: datetime | None, now: datetime) -> bool:
    """On the shelf and not issued for ``DEAD_STOCK_AFTER`` (or never)."""
    if on_hand <= ZERO:
        return False
    return last_issued is None or now - last_issued >= DEAD_STOCK_AFTER


# --- counter sales ---------------------------------------------------------------------------


def week_start(day: date) -> date:
    """The Monday of the week a day falls in (weekly sales targets run Monday to Sunday)."""
    return day - timedelta(days=day.weekday())


def target_achieved(total: Decimal, target: Decimal | None) -> Decimal | None:
    """Share of the week's sales target reached (None: no target set)."""
    if target is None or target <= ZERO:
        return None
    return (total / target).quantize(Decimal("0.0001"))
