"""Parts' rules on their own: no database, no broker."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from services.parts import domain
from shared.auth import Role
from shared.errors import DomainError

D = Decimal


def test_available_is_on_hand_less_reserved() -> None:
    assert domain.available(D("10"), D("3")) == D("7")
    assert domain.available(D("2.5"), D("2.5")) == D("0")


def test_a_request_within_available_stock_is_reserved_in_full() -> None:
    allocation = domain.allocate(D("2"), available_now=D("5"))
    assert allocation.reserved == D("2")
    assert allocation.short == D("0")
    assert allocation.complete


def test_a_request_beyond_available_stock_reserves_what_is_there() -> None:
    allocation = domain.allocate(D("4"), available_now=D("1.5"))
    assert allocation.reserved == D("1.5")
    assert allocation.short == D("2.5")
    assert not allocation.complete


def test_reserving_never_takes_stock_below_zero() -> None:
    assert domain.allocate(D("3"), available_now=D("0")).reserved == D("0")
    assert domain.allocate(D("3"), available_now=D("-2")).reserved == D("0")


def test_a_request_is_for_a_positive_quantity() -> None:
    with pytest.raises(ValueError):
        domain.allocate(D("0"), available_now=D("5"))


def test_below_reorder_point_means_strictly_under_it() -> None:
    assert domain.below_reorder_point(D("2"), D("3"))
    assert not domain.below_reorder_point(D("3"), D("3"))
    assert not domain.below_reorder_point(D("0"), D("0"))


def test_stock_low_alert_fires_only_when_the_reorder_point_is_crossed() -> None:
    assert domain.falls_below_reorder_point(D("4"), D("2"), reorder_point=D("3"))
    assert domain.falls_below_reorder_point(D("3"), D("2.9"), reorder_point=D("3"))
    assert not domain.falls_below_reorder_point(D("2"), D("1"), reorder_point=D("3"))
    assert not domain.falls_below_reorder_point(D("8"), D("5"), reorder_point=D("3"))


def test_suggested_reorder_is_one_lot_when_one_lot_restores_the_reorder_point() -> None:
    assert domain.suggested_reorder_quantity(D("2"), D("3"), D("6")) == D("6")


def test_suggested_reorder_is_whole_lots_covering_the_gap_and_the_shortfall() -> None:
    # 5 below the reorder point plus 4 that jobs wait for: 9, i.e. two lots of 6
    assert domain.suggested_reorder_quantity(D("0"), D("5"), D("6"), short=D("4")) == D("12")


def test_suggested_reorder_without_a_lot_size_is_exactly_the_gap() -> None:
    assert domain.suggested_reorder_quantity(D("1"), D("4"), D("0")) == D("3")


def test_parts_ordered_today_are_expected_after_the_supplier_lead_time() -> None:
    assert domain.expected_on(date(2025, 3, 30)) == date(2025, 4, 2)
    assert domain.SUPPLIER_LEAD_TIME.days == 3


def test_transfer_candidates_are_other_stations_with_stock_most_first() -> None:
    stock = [("bj01", D("5")), ("sh01", D("2")), ("gz01", D("0")), ("sz01", D("7"))]
    assert domain.transfer_candidates(stock, excluding="bj01") == [
        ("sz01", D("7")),
        ("sh01", D("2")),
    ]


# --- the rules added with the ledger, purchasing, stocktake and KPIs -----------------------


def test_a_backorder_expects_the_earliest_open_purchase_order_else_the_lead_time() -> None:
    today = date(2026, 11, 23)
    open_orders = [date(2026, 11, 27), None, date(2026, 11, 25), date(2026, 11, 1)]
    assert domain.expected_on(today, open_deliveries=open_orders) == date(2026, 11, 25)
    assert domain.expected_on(today, lead_time_days=7) == date(2026, 11, 30)


def test_parts_counted_in_pieces_take_whole_positive_quantities_only() -> None:
    assert domain.check_quantity(D("2"), "pc") == D("2")
    assert domain.check_quantity(D("2.5"), "L") == D("2.5")
    for bad, unit in ((D("1.5"), "set"), (D("0"), "L"), (D("-1"), "pc")):
        with pytest.raises(DomainError) as refused:
            domain.check_quantity(bad, unit)
        assert refused.value.field == "quantity"


def test_stock_invariant_nothing_negative_and_reserved_within_on_hand() -> None:
    assert domain.stock_invariant_violation(D("5"), D("5"), D("0")) is None
    assert domain.stock_invariant_violation(D("-1"), D("0"), D("0")) is not None
    assert domain.stock_invariant_violation(D("2"), D("3"), D("4")) is not None
    assert domain.stock_invariant_violation(D("2"), D("-1"), D("0")) is not None
    assert domain.stock_invariant_violation(D("2"), D("0"), D("-1")) is not None


def test_reservation_status_follows_what_is_held_issued_and_short() -> None:
    assert domain.reservation_status(D("2"), D("2"), D("0")) == "reserved"
    assert domain.reservation_status(D("3"), D("1"), D("0")) == "partly_reserved"
    assert domain.reservation_status(D("3"), D("0"), D("0")) == "backordered"
    assert domain.reservation_status(D("3"), D("0"), D("1")) == "partly_reserved"
    assert domain.reservation_status(D("2"), D("0"), D("2")) == "issued"
    assert domain.reservation_status(D("2"), D("2"), D("0"), released=True) == "released"


def test_receiving_fills_backorders_oldest_first_while_stock_lasts() -> None:
    waiting = [("oldest", D("2")), ("middle", D("3")), ("newest", D("1"))]
    assert domain.fill_oldest_first(D("4"), waiting) == [("oldest", D("2")), ("middle", D("2"))]
    assert domain.fill_oldest_first(D("0"), waiting) == []


def test_a_count_short_of_reservations_takes_back_from_the_newest_first() -> None:
    held = [("newest", D("1")), ("older", D("2"))]
    assert domain.take_back_newest_first(D("2"), held) == [("newest", D("1")), ("older", D("1"))]


def test_purchase_order_approval_by_amount() -> None:
    assert domain.approval_needed_from(D("5000")) is None
    assert domain.approval_needed_from(D("5000.01")) == Role.SERVICE_MANAGER
    assert domain.approval_needed_from(D("50000.01")) == Role.GROUP_MANAGER
    assert domain.may_approve(Role.SERVICE_MANAGER, D("50000"))
    assert not domain.may_approve(Role.SERVICE_MANAGER, D("50000.01"))
    assert domain.may_approve(Role.GROUP_MANAGER, D("1000000"))
    assert not domain.may_approve(Role.PARTS_CLERK, D("10"))


def test_receiving_more_than_ordered_needs_an_over_receipt_note() -> None:
    assert domain.split_receipt(D("4"), D("3"), None) == (D("3"), D("0"))
    assert domain.split_receipt(D("2"), D("3"), "packs of three") == (D("2"), D("1"))
    with pytest.raises(DomainError):
        domain.split_receipt(D("2"), D("3"), None)


def test_price_build_up_list_and_warranty_price_from_cost_and_margins() -> None:
    assert domain.build_price(D("340"), D("0.5"), D("0.275")) == (D("510.00"), D("433.50"))
    assert domain.build_price(D("373.33"), D("0.5"), D("0")) == (D("560.00"), D("373.33"))


def test_stocktake_variance_and_stock_value_at_cost() -> None:
    assert domain.count_variance(D("8"), D("10")) == D("-2")
    assert domain.stock_value([(D("3"), D("320")), (D("5"), D("40")), (D("2"), None)]) == D(
        "1160.00"
    )


def test_parts_kpis_fill_rate_days_of_supply_turnover_and_dead_stock() -> None:
    assert domain.fill_rate(1, 2) == D("0.5")
    assert domain.fill_rate(0, 0) is None
    assert domain.days_of_supply(D("520"), D("640"), 30) == D("24.4")
    assert domain.days_of_supply(D("520"), D("0"), 30) is None
    assert domain.turnover(D("640"), D("520"), 30) == D("14.97")
    now = datetime(2026, 11, 23, tzinfo=UTC)
    assert domain.is_dead_stock(D("1"), None, now)
    assert domain.is_dead_stock(D("1"), now - timedelta(days=181), now)
    assert not domain.is_dead_stock(D("1"), now - timedelta(days=10), now)
    assert not domain.is_dead_stock(D("0"), None, now)


def test_counter_sales_weeks_run_monday_to_sunday_and_are_measured_against_the_target() -> None:
    assert domain.week_start(date(2026, 12, 6)) == date(2026, 11, 30)  # a Sunday
    assert domain.week_start(date(2026, 11, 30)) == date(2026, 11, 30)  # the Monday itself
    assert domain.target_achieved(Decimal("1500"), Decimal("2000")) == Decimal("0.75")
    assert domain.target_achieved(Decimal("1500"), None) is None
    assert domain.target_achieved(Decimal("1500"), Decimal("0")) is None
