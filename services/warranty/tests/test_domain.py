"""Warranty's rules as plain functions (process §10)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from services.warranty import domain
from shared.contracts.events import CoverageVerdict, LineKind, OrderLine, PayType
from shared.pricing import line_amount

ORDER_DAY = date(2026, 3, 1)


def labour(hours: str | None = "1.2", rate: str = "300", **kw: object) -> OrderLine:
    return OrderLine.model_validate(
        {
            "line_id": uuid.uuid4(),
            "kind": LineKind.LABOUR,
            "code": "BRK-010",
            "description": "更换前刹车片",
            "hours": hours,
            "unit_price": rate,
            "pay_type": PayType.WARRANTY,
            **kw,
        }
    )


def part(quantity: str = "1", price: str = "480", **kw: object) -> OrderLine:
    return OrderLine.model_validate(
        {
            "line_id": uuid.uuid4(),
            "kind": LineKind.PART,
            "code": "1K0698151A",
            "description": "前刹车片",
            "quantity": quantity,
            "unit_price": price,
            "pay_type": PayType.WARRANTY,
            **kw,
        }
    )


# --- coverage: 3 years / 60,000 km, whichever first -------------------------------------


def test_coverage_is_covered_below_60000_km_within_3_years() -> None:
    coverage = domain.repair_warranty_coverage(42_000, date(2024, 5, 1), on=ORDER_DAY)
    assert coverage == domain.Coverage(CoverageVerdict.COVERED)


def test_coverage_is_not_covered_from_60000_km() -> None:
    assert (
        domain.repair_warranty_coverage(59_999, date(2024, 5, 1), on=ORDER_DAY).verdict
        == CoverageVerdict.COVERED
    )
    coverage = domain.repair_warranty_coverage(60_000, date(2024, 5, 1), on=ORDER_DAY)
    assert coverage.verdict == CoverageVerdict.NOT_COVERED
    assert coverage.reason == "over 60,000 km"


def test_coverage_is_not_covered_from_3_years_after_the_warranty_start() -> None:
    assert (
        domain.repair_warranty_coverage(10_000, date(2023, 3, 2), on=ORDER_DAY).verdict
        == CoverageVerdict.COVERED
    )
    coverage = domain.repair_warranty_coverage(10_000, date(2023, 3, 1), on=ORDER_DAY)
    assert coverage.verdict == CoverageVerdict.NOT_COVERED
    assert coverage.reason == domain.OVER_AGE


def test_coverage_needs_approval_when_the_warranty_start_is_unknown() -> None:
    coverage = domain.repair_warranty_coverage(42_000, None, on=ORDER_DAY)
    assert coverage.verdict == CoverageVerdict.NEEDS_APPROVAL
    assert coverage.reason == "warranty start date unknown"


def test_coverage_needs_approval_when_the_mileage_is_unknown() -> None:
    coverage = domain.repair_warranty_coverage(None, date(2024, 5, 1), on=ORDER_DAY)
    assert coverage.verdict == CoverageVerdict.NEEDS_APPROVAL
    assert coverage.reason == domain.MILEAGE_UNKNOWN


def test_coverage_a_passed_limit_decides_even_when_the_other_is_unknown() -> None:
    assert domain.repair_warranty_coverage(75_000, None, on=ORDER_DAY) == domain.Coverage(
        CoverageVerdict.NOT_COVERED, "over 60,000 km"
    )
    assert (
        domain.repair_warranty_coverage(None, date(2020, 1, 1), on=ORDER_DAY).verdict
        == CoverageVerdict.NOT_COVERED
    )


def test_coverage_needs_approval_when_the_warranty_starts_after_the_order() -> None:
    coverage = domain.repair_warranty_coverage(100, date(2026, 4, 1), on=ORDER_DAY)
    assert coverage.verdict == CoverageVerdict.NEEDS_APPROVAL


def test_warranty_started_on_a_leap_day_ends_on_28_february() -> None:
    assert domain.warranty_end(date(2024, 2, 29)) == date(2027, 2, 28)
    assert domain.warranty_end(date(2024, 5, 1)) == date(2027, 5, 1)


# --- which orders get a claim -----------------------------------------------------------


def test_claim_is_drafted_only_for_orders_with_a_warranty_line() -> None:
    paid_by_customer = labour(pay_type=PayType.CUSTOMER)
    assert not domain.has_warranty_work([paid_by_customer])
    assert not domain.has_warranty_work([])
    warranty = part()
    assert domain.has_warranty_work([paid_by_customer, warranty])
    assert domain.warranty_lines([paid_by_customer, warranty]) == [warranty]


# --- claim amount and draft validation --------------------------------------------------


def test_claim_amount_is_labour_hours_times_rate_plus_parts_quantity_times_price() -> None:
    lines = [labour(hours="1.2", rate="300"), part(quantity="2", price="480.50")]
    assert line_amount(lines[0]) == Decimal("360.00")
    assert line_amount(lines[1]) == Decimal("961.00")
    assert domain.claim_amount(lines) == Decimal("1321.00")
    assert domain.claim_amount([]) == Decimal("0.00")


def test_claim_amount_is_rounded_to_the_fen() -> None:
    assert line_amount(labour(hours="0.33", rate="99.99")) == Decimal("33.00")
    assert line_amount(part(quantity="0.333", price="10")) == Decimal("3.33")


def test_no_causal_part_when_the_claim_has_labour_but_no_part() -> None:
    assert domain.draft_problems([labour()]) == [domain.NO_CAUSAL_PART]
    assert domain.draft_problems([labour(), part()]) == []
    assert domain.draft_problems([part()]) == []


def test_labour_without_hours_claims_nothing_and_is_a_problem() -> None:
    line = labour(hours=None)
    assert line_amount(line) == Decimal("0.00")
    assert domain.draft_problems([line, part()]) == ["labour line BRK-010 has no flat-rate hours"]


def test_claim_number_names_station_and_day() -> None:
    created = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    assert domain.claim_number("bj01", created, "a1b2c3") == "WC-BJ01-20260301-A1B2C3"
