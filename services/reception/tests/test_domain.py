"""Unit tests of reception's rules, each named after the process rule it checks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from services.reception import domain
from services.reception.domain import EstimateMethod, ReceptionCategory, ReminderAction
from shared.contracts.events import OrderCategory, PayType

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


@dataclass
class Line:
    kind: str
    code: str
    quantity: Decimal = Decimal("1")
    hours: Decimal | None = None
    unit_price: Decimal = Decimal("0")
    pay_type: str = "customer"
    description: str = "x"
    customer_supplied: bool = False
    non_original: bool = False
    major_system: str | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)


def test_vin_has_17_characters_without_i_o_q_and_a_valid_check_digit() -> None:
    assert domain.vin_problem("LFV2A21K7G3000001") is None
    assert "17 characters" in (domain.vin_problem("LFV2A21K7G300001") or "")
    assert "I, O or Q" in (domain.vin_problem("LFV2A21K7G30000O1") or "")
    assert "check digit" in (domain.vin_problem("LFV2A21K8G3000001") or "")


def test_mileage_may_not_go_below_the_last_known_without_a_correction_note() -> None:
    assert domain.mileage_problem(41000, 42000, None) is not None
    assert domain.mileage_problem(41000, 42000, "  ") is not None
    assert domain.mileage_problem(41000, 42000, "odometer replaced 2026-10") is None
    assert domain.mileage_problem(42000, 42000, None) is None
    assert domain.mileage_problem(100, None, None) is None


def test_orders_over_10000_or_of_vip_customers_involve_the_service_manager() -> None:
    assert domain.needs_manager(Decimal("10000.01"), vip=False)
    assert not domain.needs_manager(Decimal("10000"), vip=False)
    assert domain.needs_manager(Decimal("10"), vip=True)


def test_symptom_estimate_includes_a_risk_margin() -> None:
    assert domain.with_risk_margin(Decimal("300"), EstimateMethod.SYMPTOM) == Decimal("345.00")
    assert domain.with_risk_margin(Decimal("300"), EstimateMethod.SYSTEM) == Decimal("300.00")
    assert domain.with_risk_margin(Decimal("300"), EstimateMethod.ITEM) == Decimal("300.00")


def test_item_estimate_tells_the_customer_quality_cannot_always_be_guaranteed() -> None:
    assert "cannot always be guaranteed" in (domain.item_estimate_note(EstimateMethod.ITEM) or "")
    assert domain.item_estimate_note(EstimateMethod.SYSTEM) is None


def test_no_guarantee_for_customer_supplied_or_non_original_critical_parts() -> None:
    supplied = Line("part", "OWN-1", customer_supplied=True)
    non_original_brake = Line("part", "AFT-2", non_original=True, major_system="brakes")
    non_original_wiper = Line("part", "AFT-3", non_original=True, major_system=None)
    note = domain.no_guarantee_note([supplied, non_original_brake, non_original_wiper])
    assert note is not None and "OWN-1" in note and "AFT-2" in note and "AFT-3" not in note
    assert domain.no_guarantee_note([non_original_wiper]) is None


def test_category_chosen_first_sets_the_default_pay_type() -> None:
    assert domain.default_pay_type(ReceptionCategory.WARRANTY) == PayType.WARRANTY
    assert domain.default_pay_type(ReceptionCategory.ACCIDENT) == PayType.INSURANCE
    assert domain.default_pay_type(ReceptionCategory.PRE_DELIVERY) == PayType.INTERNAL
    assert domain.default_pay_type(ReceptionCategory.REPAIR) == PayType.CUSTOMER
    assert domain.contract_category(ReceptionCategory.ROADSIDE) == OrderCategory.REPAIR


def test_taxes_are_shown_inside_the_tax_inclusive_total() -> None:
    assert domain.tax_included(Decimal("1130.00")) == Decimal("130.00")


def test_promised_time_counts_workshop_load_margin_and_parts_lead_time() -> None:
    alone = domain.promised_completion(
        T0, labour_hours=Decimal("2"), queue_hours=Decimal("0"), technicians=4
    )
    assert alone == T0 + timedelta(hours=2, minutes=30)  # 2 h + 20 % → 2:24, rounded up to 15'
    loaded = domain.promised_completion(
        T0, labour_hours=Decimal("2"), queue_hours=Decimal("8"), technicians=4
    )
    assert loaded > alone
    waiting = domain.promised_completion(
        T0,
        labour_hours=Decimal("2"),
        queue_hours=Decimal("0"),
        technicians=4,
        parts_ready_at=T0 + timedelta(days=2),
    )
    assert waiting >= T0 + timedelta(days=2, hours=2)


def test_deposit_of_at_least_half_the_price_of_expensive_parts_ordered() -> None:
    assert domain.deposit_required(
        [(Decimal("1"), Decimal("3000")), (Decimal("2"), Decimal("50"))]
    ) == Decimal("1500.00")
    assert domain.deposit_required([(Decimal("1"), Decimal("999"))]) == Decimal("0.00")


def test_full_slot_refused_and_next_free_slots_offered() -> None:
    slot = T0
    assert not domain.slot_has_room(Decimal("4"), Decimal("3"), Decimal("2"))
    free = domain.next_free_slots(
        slot,
        Decimal("2"),
        {slot + timedelta(hours=1): Decimal("1")},
        {},
        default_capacity=Decimal("4"),
        opening_hours=range(0, 10),
    )
    assert free == [slot + timedelta(hours=2), slot + timedelta(hours=3), slot + timedelta(hours=4)]


def test_reminder_half_a_day_to_a_day_before_the_appointment() -> None:
    starts = T0 + timedelta(days=3)
    assert domain.reminder_due_at(starts) == starts - timedelta(days=1)
    assert domain.reminder_action(T0, starts) == ReminderAction.SCHEDULE
    assert domain.reminder_action(starts - timedelta(hours=20), starts) == ReminderAction.SEND_NOW


def test_progress_check_due_at_70_to_80_percent_of_the_estimated_duration() -> None:
    opens, closes = domain.progress_check_window(T0, T0 + timedelta(hours=10))
    assert opens == T0 + timedelta(hours=7) and closes == T0 + timedelta(hours=8)


def test_ready_notice_1_h_before_for_a_job_under_two_days() -> None:
    promised = T0 + timedelta(hours=30)
    assert domain.ready_notice_at(T0, promised) == promised - timedelta(hours=1)


def test_ready_notice_4_h_before_for_a_two_day_job() -> None:
    promised = T0 + timedelta(days=2)
    assert domain.ready_notice_at(T0, promised) == promised - timedelta(hours=4)


def test_late_risk_flagged_past_promised_time_or_unconfirmed_near_it() -> None:
    promised = T0 + timedelta(hours=5)
    assert domain.late_risk(promised, promised, progress_confirmed=True)
    assert domain.late_risk(promised - timedelta(minutes=30), promised, progress_confirmed=False)
    assert not domain.late_risk(promised - timedelta(minutes=30), promised, progress_confirmed=True)


def test_settlement_from_lines_actually_done_with_free_items_and_differences() -> None:
    labour = Line(
        "labour", "BRK-010", hours=Decimal("1.2"), unit_price=Decimal("300"), id=uuid.uuid4()
    )
    idle = Line(
        "labour", "STR-ALIGN", hours=Decimal("0.8"), unit_price=Decimal("300"), id=uuid.uuid4()
    )
    pads = Line("part", "PADS", quantity=Decimal("2"), unit_price=Decimal("100"), id=uuid.uuid4())
    wash = Line("labour", "WASH", hours=Decimal("0.3"), unit_price=Decimal("0"), id=uuid.uuid4())
    settled = domain.settle(
        [labour, idle, pads, wash],
        labour_done=[
            domain.Done(labour.id, "BRK-010", Decimal("1.2")),
            domain.Done(None, "WASH", Decimal("0.3")),
        ],
        parts_used=[domain.Done(None, "PADS", Decimal("1"))],
        free_codes=["WASH"],
    )
    by_code = {line.code: line for line in settled.lines}
    assert by_code["BRK-010"].amount == Decimal("360.00")
    assert by_code["STR-ALIGN"].amount == 0 and "not done" in (
        by_code["STR-ALIGN"].difference_note or ""
    )
    assert by_code["PADS"].amount == Decimal("100.00") and "1 issued instead of 2" in (
        by_code["PADS"].difference_note or ""
    )
    assert by_code["WASH"].free and by_code["WASH"].amount == 0
    assert settled.gross == Decimal("460.00") and settled.estimated == Decimal("800.00")


def test_settlement_without_workshop_lists_charges_the_agreed_lines() -> None:
    labour = Line("labour", "BRK-010", hours=Decimal("1.2"), unit_price=Decimal("300"))
    settled = domain.settle([labour], labour_done=None, parts_used=None)
    assert settled.gross == Decimal("360.00") and settled.lines[0].difference_note is None


def test_discount_above_the_advisors_allowance_goes_to_the_supervisor() -> None:
    allowance = Decimal("0.05")
    assert not domain.discount_needs_manager(Decimal("50"), Decimal("1000"), allowance)
    assert domain.discount_needs_manager(Decimal("50.01"), Decimal("1000"), allowance)


def test_due_maintenance_recommended_when_the_next_service_is_reached() -> None:
    today = T0.date()
    assert domain.maintenance_due(46000, today, 45000, None) is not None
    assert domain.maintenance_due(44000, today, 45000, today) is not None
    assert domain.maintenance_due(44000, today, 45000, today + timedelta(days=1)) is None


def test_reception_wait_is_measured_from_arrival_to_check_in_start() -> None:
    assert domain.wait_minutes(T0, T0 + timedelta(seconds=90)) == Decimal("1.50")
    assert domain.wait_minutes(T0, T0) == 0
