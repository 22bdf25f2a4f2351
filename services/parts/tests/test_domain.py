"""Parts' rules on their own: no database, no broker."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.parts import domain

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
