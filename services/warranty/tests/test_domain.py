"""Warranty's rules as plain functions (process §10)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from services.warranty import domain
from services.warranty.domain import AnswerKind, ClaimStatus, CoverageKind, Policy, Term
from shared.contracts.events import CoverageVerdict, LineKind, OrderLine, PayType
from shared.pricing import line_amount

ORDER_DAY = date(2026, 3, 1)
START = date(2024, 5, 1)

POLICY = Policy(
    make="FAW-VW",
    model=None,
    version=1,
    valid_from=date(2020, 1, 1),
    terms={
        CoverageKind.BASIC: Term(36, 100_000),
        CoverageKind.POWERTRAIN: Term(60, 150_000),
        CoverageKind.CORROSION: Term(144),
    },
    categories={"ENG-": "powertrain", "1K0698": "wear", "1K0698999": "basic"},
    labour_times={"ENG-120": Decimal("2.4")},
    goodwill_months=6,
    goodwill_km=10_000,
)


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
            "code": "06H121026DD",
            "description": "水泵",
            "quantity": quantity,
            "unit_price": price,
            "pay_type": PayType.WARRANTY,
            **kw,
        }
    )


def vehicle(mileage: int | None = 42_000, start: date | None = START, **kw: bool):
    return domain.VehicleFacts(mileage_km=mileage, warranty_start=start, **kw)


def cover(policy: Policy | None, line: OrderLine, **kw: object) -> domain.Coverage:
    return domain.line_coverage(policy, vehicle(**kw), line, on=ORDER_DAY)  # type: ignore[arg-type]


# --- national minimum: 3 years / 60,000 km, whichever first -----------------------------


def test_national_repair_warranty_covers_below_60000_km_within_3_years() -> None:
    coverage = cover(None, labour())
    assert coverage.verdict == CoverageVerdict.COVERED
    assert coverage.reason == domain.NO_POLICY


def test_national_repair_warranty_ends_at_60000_km() -> None:
    assert cover(None, labour(), mileage=59_999).verdict == CoverageVerdict.COVERED
    coverage = cover(None, labour(), mileage=60_000)
    assert coverage.verdict == CoverageVerdict.NOT_COVERED
    assert coverage.reason == "basic coverage ended: over 60,000 km"


def test_national_repair_warranty_ends_3_years_after_the_warranty_start() -> None:
    assert cover(None, labour(), start=date(2023, 3, 2)).verdict == CoverageVerdict.COVERED
    coverage = cover(None, labour(), start=date(2023, 3, 1))
    assert coverage.verdict == CoverageVerdict.NOT_COVERED
    assert coverage.reason is not None and "over 36 months" in coverage.reason


def test_manufacturer_term_shorter_than_the_national_minimum_is_raised_to_it() -> None:
    stingy = Policy("X", None, 1, date(2020, 1, 1), {CoverageKind.BASIC: Term(12, 20_000)})
    assert cover(stingy, labour(), mileage=50_000).verdict == CoverageVerdict.COVERED
    assert domain.term_for(stingy, CoverageKind.BASIC) == Term(36, 60_000)


def test_coverage_needs_approval_when_the_warranty_start_or_mileage_is_unknown() -> None:
    assert cover(POLICY, labour(), start=None) == domain.Coverage(
        CoverageVerdict.NEEDS_APPROVAL, domain.START_UNKNOWN, CoverageKind.BASIC
    )
    assert cover(POLICY, labour(), mileage=None).reason == domain.MILEAGE_UNKNOWN


def test_a_passed_limit_decides_even_when_the_other_is_unknown() -> None:
    assert cover(None, labour(), mileage=75_000, start=None).verdict == CoverageVerdict.NOT_COVERED
    coverage = cover(None, labour(), mileage=None, start=date(2020, 1, 1))
    assert coverage.verdict == CoverageVerdict.NOT_COVERED


def test_coverage_needs_approval_when_the_warranty_starts_after_the_order() -> None:
    coverage = cover(POLICY, labour(), start=date(2026, 4, 1))
    assert coverage.verdict == CoverageVerdict.NEEDS_APPROVAL
    assert coverage.reason == domain.START_AFTER_REPAIR


def test_warranty_started_on_a_leap_day_ends_on_28_february() -> None:
    assert domain.warranty_end(date(2024, 2, 29)) == date(2027, 2, 28)
    assert domain.warranty_end(date(2024, 5, 1)) == date(2027, 5, 1)
    assert domain.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


# --- manufacturer policy: coverage kinds, categories, exclusions, goodwill -------------


def test_powertrain_parts_are_covered_longer_than_basic() -> None:
    engine = labour(code="ENG-120")
    assert cover(POLICY, engine, mileage=120_000).kind == CoverageKind.POWERTRAIN
    assert cover(POLICY, engine, mileage=120_000).verdict == CoverageVerdict.COVERED
    basic = cover(POLICY, labour(), mileage=120_000)
    assert basic.verdict == CoverageVerdict.NOT_COVERED
    assert basic.reason == "basic coverage ended: over 100,000 km"


def test_engine_and_gearbox_work_is_powertrain_without_a_matching_prefix() -> None:
    assert domain.line_category(POLICY, labour(code="X-1", major_system="gearbox")) == "powertrain"
    assert domain.line_category(None, labour(code="X-1")) == "basic"


def test_the_longest_category_prefix_wins() -> None:
    assert domain.line_category(POLICY, part(code="1K0698151A")) == domain.WEAR
    assert domain.line_category(POLICY, part(code="1K0698999X")) == "basic"


def test_wear_parts_are_excluded() -> None:
    coverage = cover(POLICY, part(code="1K0698151A"))
    assert coverage.verdict == CoverageVerdict.NOT_COVERED
    assert coverage.reason == "wear part 1K0698151A is excluded"


def test_customer_supplied_parts_are_excluded() -> None:
    coverage = cover(POLICY, part(customer_supplied=True))
    assert (coverage.verdict, coverage.reason) == (
        CoverageVerdict.NOT_COVERED,
        domain.CUSTOMER_SUPPLIED,
    )


def test_accident_damage_is_excluded() -> None:
    assert cover(POLICY, labour(), accident_damage=True).reason == domain.ACCIDENT_DAMAGE
    assert domain.accident_damage("accident") and not domain.accident_damage("warranty")


def test_missed_maintenance_is_excluded() -> None:
    coverage = cover(POLICY, labour(), maintenance_missed=True)
    assert (coverage.verdict, coverage.reason) == (
        CoverageVerdict.NOT_COVERED,
        domain.MISSED_MAINTENANCE,
    )


def test_goodwill_just_past_a_term_needs_the_manufacturers_approval() -> None:
    goodwill = cover(POLICY, labour(), mileage=105_000)
    assert goodwill.verdict == CoverageVerdict.NEEDS_APPROVAL
    assert goodwill.reason == "goodwill: basic coverage ended: over 100,000 km"
    assert cover(POLICY, labour(), mileage=111_000).verdict == CoverageVerdict.NOT_COVERED


def test_corrosion_has_no_mileage_limit() -> None:
    rust = labour(code="BDY-1")
    policy = Policy(
        "FAW-VW",
        None,
        1,
        date(2020, 1, 1),
        {CoverageKind.CORROSION: Term(144)},
        {"BDY-": "corrosion"},
    )
    assert cover(policy, rust, mileage=400_000).verdict == CoverageVerdict.COVERED


def test_claim_is_judged_by_the_policy_valid_on_the_repair_date() -> None:
    v1 = Policy("FAW-VW", None, 1, date(2020, 1, 1), {})
    v2 = Policy("FAW-VW", None, 2, date(2026, 6, 1), {})
    sagitar = Policy("FAW-VW", "Sagitar", 1, date(2021, 1, 1), {})
    policies = [v1, v2, sagitar]
    assert domain.policy_in_force(policies, "FAW-VW", "Magotan", date(2026, 5, 31)) is v1
    assert domain.policy_in_force(policies, "faw-vw", "Magotan", date(2026, 6, 1)) is v2
    assert domain.policy_in_force(policies, "FAW-VW", "Sagitar", date(2026, 7, 1)) is sagitar
    assert domain.policy_in_force(policies, "FAW-VW", None, date(2019, 1, 1)) is None
    assert domain.policy_in_force(policies, "Buick", "GL8", date(2026, 1, 1)) is None


def test_sanbao_period_is_2_years_or_50000_km() -> None:
    assert domain.sanbao_period_active(START, 49_999, ORDER_DAY)
    assert not domain.sanbao_period_active(START, 50_000, ORDER_DAY)
    assert not domain.sanbao_period_active(date(2024, 3, 1), 10_000, ORDER_DAY)
    assert not domain.sanbao_period_active(None, 10_000, ORDER_DAY)


# --- which orders get a claim -----------------------------------------------------------


def test_claim_is_drafted_only_for_orders_with_a_warranty_line() -> None:
    paid_by_customer = labour(pay_type=PayType.CUSTOMER)
    assert not domain.has_warranty_work([paid_by_customer])
    assert not domain.has_warranty_work([])
    warranty = part()
    assert domain.has_warranty_work([paid_by_customer, warranty])
    assert domain.warranty_lines([paid_by_customer, warranty]) == [warranty]


# --- claim amount and validation before submission --------------------------------------


def test_claim_amount_is_labour_hours_times_rate_plus_parts_quantity_times_price() -> None:
    lines = [labour(hours="1.2", rate="300"), part(quantity="2", price="480.50")]
    assert line_amount(lines[0]) == Decimal("360.00")
    assert domain.claim_amount(lines) == Decimal("1321.00")
    assert domain.claim_amount([]) == Decimal("0.00")


@dataclass
class Line:
    kind: str
    code: str = "ENG-120"
    hours: Decimal | None = Decimal("2.4")
    causal: bool = False
    standard_hours: Decimal | None = Decimal("2.4")
    hours_note: str | None = None
    coverage: str = CoverageVerdict.COVERED
    coverage_reason: str | None = None


def test_no_causal_part_when_the_claim_has_labour_but_no_failed_part() -> None:
    assert domain.missing_causal_part([Line("labour")]) == [domain.NO_CAUSAL_PART]
    assert domain.missing_causal_part([Line("labour"), Line("part")]) == [domain.NO_CAUSAL_PART]
    assert domain.missing_causal_part([Line("labour"), Line("part", causal=True)]) == []
    assert domain.missing_causal_part([Line("part")]) == []


def test_labour_hours_above_the_standard_need_a_note() -> None:
    over = Line("labour", hours=Decimal("3.0"))
    assert domain.labour_hours_problems([over]) == [
        "labour line ENG-120: 3 h over the standard 2.4 h without a note"
    ]
    over.hours_note = "seized bolts, cut off"
    assert domain.labour_hours_problems([over]) == []
    assert domain.labour_hours_problems([Line("labour", hours=None)]) == [
        "labour line ENG-120 has no flat-rate hours"
    ]


def test_a_line_outside_coverage_is_refused_with_the_reason() -> None:
    line = Line("part", coverage=CoverageVerdict.NOT_COVERED, coverage_reason="wear part X")
    assert domain.coverage_problems([line]) == ["line ENG-120 not covered: wear part X"]


def test_complaint_cause_and_correction_are_required() -> None:
    assert domain.missing_three_c(None, "x") == [domain.NO_CAUSE]
    assert domain.missing_three_c("x", None) == [domain.NO_CORRECTION]
    assert domain.missing_three_c("x", "y") == []


def test_duplicate_claim_for_the_same_vin_and_operation_within_the_window() -> None:
    earlier = domain.EarlierClaim("WC-1", "VIN1", frozenset({"ENG-120"}), date(2026, 2, 1))
    assert domain.duplicate_claims("VIN1", ["ENG-120"], date(2026, 3, 1), [earlier], 30) == [
        "duplicate of WC-1: same VIN and operation ENG-120 within 30 days"
    ]
    assert domain.duplicate_claims("VIN1", ["ENG-120"], date(2026, 3, 4), [earlier], 30) == []
    assert domain.duplicate_claims("VIN2", ["ENG-120"], date(2026, 3, 1), [earlier], 30) == []
    assert domain.duplicate_claims("VIN1", ["GBX-210"], date(2026, 3, 1), [earlier], 30) == []


def test_claim_older_than_the_submission_deadline_is_refused() -> None:
    assert domain.too_late(date(2026, 3, 1), date(2026, 3, 31), 30) == []
    assert domain.too_late(date(2026, 3, 1), date(2026, 4, 1), 30) == [
        "submission deadline passed on 2026-03-31 (30 days after repair)"
    ]


def test_claim_number_names_station_and_day() -> None:
    created = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    assert domain.claim_number("bj01", created, "a1b2c3") == "WC-BJ01-20260301-A1B2C3"


# --- claim states -----------------------------------------------------------------------


def test_claim_states_draft_submitted_info_requested_resubmitted() -> None:
    assert domain.status_after_submission(ClaimStatus.DRAFT) == ClaimStatus.SUBMITTED
    assert domain.status_after_submission(ClaimStatus.INFO_REQUESTED) == ClaimStatus.RESUBMITTED
    assert domain.status_after_submission(ClaimStatus.REJECTED) == ClaimStatus.RESUBMITTED


def test_manufacturer_answers_fit_only_the_states_they_answer() -> None:
    after = domain.status_after_answer
    assert after(ClaimStatus.SUBMITTED, AnswerKind.APPROVED) == ClaimStatus.APPROVED
    assert after(ClaimStatus.RESUBMITTED, AnswerKind.REJECTED) == ClaimStatus.REJECTED
    assert after(ClaimStatus.SUBMITTED, AnswerKind.PARTLY_APPROVED) == ClaimStatus.PARTLY_APPROVED
    assert after(ClaimStatus.PARTLY_APPROVED, AnswerKind.PAID) == ClaimStatus.PAID
    assert after(ClaimStatus.PAID, AnswerKind.CHARGED_BACK) == ClaimStatus.CHARGED_BACK
    assert after(ClaimStatus.SUBMITTED, AnswerKind.PAID) is None  # paid before approved
    assert after(ClaimStatus.APPROVED, AnswerKind.REJECTED) is None  # late answer
    assert after(ClaimStatus.DRAFT, AnswerKind.APPROVED) is None
    assert after(ClaimStatus.APPROVED, AnswerKind.CHARGED_BACK) is None  # nothing paid yet


def test_a_charge_back_takes_back_at_most_what_was_paid() -> None:
    assert domain.charge_back_problem(Decimal("1200.00"), Decimal("1200.00")) is None
    assert domain.charge_back_problem(Decimal("1200.00"), Decimal("480.00")) is None
    assert domain.charge_back_problem(Decimal("1200.00"), Decimal("1200.01")) == (
        "a charge-back of 1200.01 is more than the 1200.00 paid"
    )
    assert domain.charge_back_problem(Decimal("1200.00"), Decimal("0")) is not None


# --- returned parts, 三包, quality, KPIs ------------------------------------------------


def test_returned_part_deadline_and_overdue() -> None:
    assert domain.return_deadline(date(2026, 3, 1), 15) == date(2026, 3, 16)
    assert not domain.return_overdue(date(2026, 3, 16), False, date(2026, 3, 16))
    assert domain.return_overdue(date(2026, 3, 16), False, date(2026, 3, 17))
    assert not domain.return_overdue(date(2026, 3, 16), True, date(2026, 3, 17))
    assert not domain.return_overdue(None, False, date(2026, 3, 17))


def test_a_single_sanbao_repair_over_5_days_needs_a_courtesy_car() -> None:
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert domain.repair_days(start, datetime(2026, 3, 1, 17, tzinfo=UTC)) == 1
    assert domain.repair_days(start, datetime(2026, 3, 6, 9, tzinfo=UTC)) == 5
    assert domain.repair_days(start, datetime(2026, 3, 6, 10, tzinfo=UTC)) == 6
    assert not domain.courtesy_car_due(5)
    assert domain.courtesy_car_due(6)


@dataclass
class Repair:
    fault: str
    days: int


def test_sanbao_warns_when_repair_days_approach_30_and_when_over() -> None:
    assert domain.sanbao_warnings([Repair("engine", 10)]) == []
    assert domain.sanbao_warnings([Repair("engine", 12), Repair("brakes", 13)]) == [
        "25 repair days: approaching 30"
    ]
    assert domain.sanbao_warnings([Repair("engine", 31)]) == [
        "31 repair days: over 30, replacement or return due"
    ]


def test_sanbao_warns_on_the_fourth_repair_of_the_same_fault_and_after_it() -> None:
    four = [Repair("engine", 1)] * 4
    assert domain.sanbao_warnings(four) == [
        "fault engine repaired 4 times: one more repair allows replacement or return"
    ]
    assert domain.sanbao_warnings([*four, Repair("engine", 1)]) == [
        "fault engine repaired 5 times: over 4, replacement or return due"
    ]


def test_same_causal_part_failing_on_several_vehicles_of_a_model_is_a_batch_problem() -> None:
    def failure(vin: str, day: int, model: str = "Sagitar", part_no: str = "06H121026DD"):
        return domain.PartFailure("FAW-VW", model, part_no, vin, date(2026, 1, 1).replace(day=day))

    failures = [
        failure("V1", 1),
        failure("V2", 10),
        failure("V3", 28),
        failure("V4", 2, model="Magotan"),
        failure("V5", 3, part_no="OTHER"),
    ]
    [problem] = domain.batch_problems(failures, window_days=30, min_vehicles=3)
    assert (problem.model, problem.part_no, problem.vehicles) == ("Sagitar", "06H121026DD", 3)
    assert problem.vins == ("V1", "V2", "V3")
    assert domain.batch_problems(failures, window_days=20, min_vehicles=3) == []
    # the same vehicle failing twice is one vehicle
    assert (
        domain.batch_problems(
            [failure("V1", 1), failure("V1", 2), failure("V2", 3)], window_days=30, min_vehicles=3
        )
        == []
    )


@dataclass
class Figures:
    status: str
    amount: Decimal
    approved_amount: Decimal | None = None
    paid_amount: Decimal | None = None
    reason_code: str | None = None
    first_submitted_at: datetime | None = datetime(2026, 3, 1, tzinfo=UTC)
    paid_at: datetime | None = None
    charged_back_amount: Decimal | None = None


def test_kpis_count_decisions_amounts_days_to_payment_and_rejection_rate() -> None:
    d = Decimal
    decision = domain.Decision
    kpis = domain.claim_kpis(
        [
            Figures("draft", d("100"), first_submitted_at=None),
            Figures("submitted", d("100")),
            Figures(
                "paid",
                d("1000"),
                d("1000"),
                d("1000"),
                paid_at=datetime(2026, 3, 11, tzinfo=UTC),
            ),
            Figures("partly_approved", d("500"), d("400")),
            Figures("rejected", d("300"), reason_code="duplicate"),
        ],
        [
            decision(AnswerKind.REJECTED, "excessive_labour_hours"),  # the paid one, at first
            decision(AnswerKind.APPROVED),
            decision(AnswerKind.PARTLY_APPROVED),
            decision(AnswerKind.REJECTED, "duplicate"),
        ],
    )
    assert (kpis.submitted, kpis.approved, kpis.partly_approved, kpis.rejected) == (4, 1, 1, 2)
    assert kpis.rejected_by_reason == {"duplicate": 1, "excessive_labour_hours": 1}
    assert kpis.claimed_amount == d("1900")
    assert kpis.approved_amount == d("1400")
    assert (kpis.paid, kpis.paid_amount) == (1, d("1000"))
    assert kpis.average_days_to_payment == d("10.0")
    assert kpis.rejection_rate == d("0.5")
    assert domain.claim_kpis([], []).rejection_rate is None


def test_kpis_count_charge_backs_and_the_amount_taken_back() -> None:
    d = Decimal
    paid_at = datetime(2026, 3, 5, tzinfo=UTC)
    kpis = domain.claim_kpis(
        [
            Figures("paid", d("1000"), d("1000"), d("1000"), paid_at=paid_at),
            Figures(
                "charged_back",
                d("1200"),
                d("1200"),
                d("1200"),
                paid_at=paid_at,
                charged_back_amount=d("480"),
            ),
        ],
        [domain.Decision(AnswerKind.APPROVED), domain.Decision(AnswerKind.APPROVED)],
    )
    assert (kpis.paid, kpis.paid_amount) == (2, d("2200"))  # both were paid
    assert (kpis.charged_back, kpis.charged_back_amount) == (1, d("480"))


def test_a_serious_safety_fault_repaired_twice_allows_replacement_or_return() -> None:
    assert domain.sanbao_warnings([Repair("brakes", 1)]) == []
    assert domain.sanbao_warnings([Repair("brakes", 1), Repair("brakes", 1)]) == [
        "serious safety fault brakes repaired 2 times: if it is still present, "
        "replacement or return is due"
    ]
    assert domain.sanbao_warnings([Repair("engine", 1), Repair("engine", 1)]) == []


def test_within_7_days_of_delivery_a_main_part_fault_allows_replacement_or_return() -> None:
    delivered = date(2026, 3, 1)
    right = domain.early_sanbao_rights("gearbox", delivered, 300, date(2026, 3, 8))
    assert right is not None and "7-day rule" in right
    assert domain.early_sanbao_rights("gearbox", delivered, 300, date(2026, 3, 9)) is None
    assert domain.early_sanbao_rights("engine", None, 300, date(2026, 3, 2)) is None


def test_within_60_days_or_3000_km_a_brake_or_steering_failure_allows_replacement_or_return() -> (
    None
):
    delivered = date(2026, 1, 1)
    right = domain.early_sanbao_rights("steering", delivered, 2_999, date(2026, 3, 2))
    assert right is not None and "60-day / 3,000 km rule" in right
    assert domain.early_sanbao_rights("steering", delivered, 2_999, date(2026, 3, 3)) is None
    assert domain.early_sanbao_rights("brakes", delivered, 3_001, date(2026, 1, 10)) is None
    assert domain.early_sanbao_rights("engine", delivered, 100, date(2026, 1, 20)) is None


def test_a_brake_or_steering_repair_is_a_serious_fault() -> None:
    assert domain.serious_fault(["engine", None, "steering"]) == "steering"
    assert domain.serious_fault(["brakes"]) == "brakes"
    assert domain.serious_fault(["engine", "gearbox", None]) is None


def test_main_parts_are_recognised_per_system_from_the_sanbao_annex() -> None:
    def name(description: str, system: str | None) -> str | None:
        found = domain.main_part(description, system)
        return None if found is None else f"{found.system}:{found.name}"

    assert name("曲轴", "engine") == "engine:曲轴"
    assert name("Crankshaft", None) == "engine:曲轴"
    assert name("连杆轴承", "engine") == "engine:连杆轴承"  # the longer word wins
    assert name("连杆", "engine") == "engine:连杆"
    assert name("后悬架连杆", "suspension") == "suspension:连杆/拉杆"
    assert name("输出轴轴承", "gearbox") == "gearbox:轴承"
    assert name("转向横拉杆", "steering") == "steering:转向拉杆"
    assert name("制动主缸", "brakes") == "brakes:制动主缸"
    assert name("后副车架", None) == "body:副车架"
    # generic words only in their system: a wheel bearing is not a gearbox bearing
    assert name("轮毂轴承", "suspension") is None
    assert name("gear", "steering") is None


def test_wear_and_unlisted_parts_are_not_main_parts() -> None:
    for description, system in [
        ("水泵", "engine"),
        ("前制动片", "brakes"),
        ("brake pad set", "brakes"),
        ("前减振器", "suspension"),  # 减振器 is not on the suspension list
        ("横拉杆球头", "steering"),  # 转向拉杆 (不含横拉杆球头)
        ("曲轴油封", "engine"),
        ("气缸盖垫片", "engine"),
        ("凸轮轴位置传感器", "engine"),
        ("机油滤清器", "engine"),
    ]:
        assert domain.main_part(description, system) is None, description


def replaced(repair: str, description: str, system: str | None = "engine"):
    return domain.QualityReplacement(repair, description, system)


def test_the_same_main_part_replaced_twice_warns_counting_each_repair_once() -> None:
    twice = [replaced("r1", "曲轴"), replaced("r2", "曲轴总成")]
    assert domain.replaced_twice_warnings(twice) == [
        "engine main part 曲轴 replaced 2 times: the same main part replaced twice for "
        "quality within the 三包 period: the customer may choose replacement or return"
    ]
    # two lines of one repair (e.g. pistons of two cylinders) are one replacement
    assert domain.replaced_twice_warnings([replaced("r1", "活塞"), replaced("r1", "活塞")]) == []


def test_two_different_main_parts_replaced_once_each_do_not_warn() -> None:
    assert domain.replaced_twice_warnings([replaced("r1", "曲轴"), replaced("r2", "凸轮轴")]) == []


def test_a_main_assembly_replaced_twice_warns() -> None:
    assert domain.replaced_twice_warnings(
        [replaced("r1", "动力电池总成", None), replaced("r2", "动力蓄电池总成", None)]
    ) == [
        "traction_battery replaced 2 times for quality within the 三包 period: if it still "
        "does not work, the customer may choose replacement or return"
    ]
    # a 12 V starter battery is not the traction battery
    assert (
        domain.replaced_twice_warnings(
            [replaced("r1", "蓄电池", None), replaced("r2", "蓄电池", None)]
        )
        == []
    )
