"""Unit tests of reception's rules, each named after the process rule it checks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from services.reception import domain
from services.reception.domain import EstimateMethod, ReceptionCategory, ReminderAction
from shared.calendar import calendar_for
from shared.contracts.events import OrderCategory, PayType

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
BJ = calendar_for("bj01")  # Asia/Shanghai, open 08:30-18:00, closed on public holidays


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
    assert domain.contract_category(ReceptionCategory.ROADSIDE) == OrderCategory.ROADSIDE
    assert domain.contract_category(ReceptionCategory.PRE_DELIVERY) == OrderCategory.PRE_DELIVERY


def test_taxes_are_shown_inside_the_tax_inclusive_total() -> None:
    assert domain.tax_included(Decimal("1130.00")) == Decimal("130.00")


def test_promised_time_counts_workshop_load_margin_and_parts_lead_time() -> None:
    alone = domain.promised_completion(
        T0, labour_hours=Decimal("2"), queue_hours=Decimal("0"), technicians=4, calendar=BJ
    )
    assert alone == T0 + timedelta(hours=2, minutes=30)  # 2 h + 20 % → 2:24, rounded up to 15'
    loaded = domain.promised_completion(
        T0, labour_hours=Decimal("2"), queue_hours=Decimal("8"), technicians=4, calendar=BJ
    )
    assert loaded > alone
    waiting = domain.promised_completion(
        T0,
        labour_hours=Decimal("2"),
        queue_hours=Decimal("0"),
        technicians=4,
        calendar=BJ,
        parts_ready_at=T0 + timedelta(days=2),
    )
    assert waiting >= T0 + timedelta(days=2, hours=2)


def test_promised_time_for_an_order_opened_at_22_00_is_within_next_days_opening_hours() -> None:
    late = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # 22:00 in Beijing, a Tuesday
    promised = domain.promised_completion(
        late, labour_hours=Decimal("2"), queue_hours=Decimal("0"), technicians=4, calendar=BJ
    )
    local = BJ.local(promised)
    # opens 08:30 on Wednesday; 2 h + 20 % = 2:24 → 10:54, rounded up to 11:00
    assert local.date().isoformat() == "2026-12-02" and (local.hour, local.minute) == (11, 0)


def test_promised_time_spills_over_closing_time_into_the_next_morning() -> None:
    afternoon = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 17:00 in Beijing
    promised = BJ.local(
        domain.promised_completion(
            afternoon,
            labour_hours=Decimal("2.5"),
            queue_hours=Decimal("0"),
            technicians=4,
            calendar=BJ,
        )
    )
    # 3 h of work: 1 h until 18:00, then 2 h from 08:30 → 10:30 next day
    assert (promised.date().isoformat(), promised.hour, promised.minute) == ("2026-12-02", 10, 30)


def test_promised_time_skips_public_holidays_and_counts_make_up_working_days() -> None:
    # 2026-09-30 20:00 Beijing: 1–7 October is the National Day holiday (国庆节)
    before_holiday = datetime(2026, 9, 30, 12, 0, tzinfo=UTC)
    promised = BJ.local(
        domain.promised_completion(
            before_holiday,
            labour_hours=Decimal("1"),
            queue_hours=Decimal("0"),
            technicians=4,
            calendar=BJ,
        )
    )
    assert promised.date().isoformat() == "2026-10-08"
    assert (promised.hour, promised.minute) == (9, 45)  # 08:30 + 1:12, rounded up
    # 2026-02-14 (a Saturday) is a 调休 make-up working day before the Spring Festival
    assert BJ.is_open(datetime(2026, 2, 14).date())
    friday_night = datetime(2026, 2, 13, 14, 0, tzinfo=UTC)  # 22:00 local
    on_make_up_day = BJ.local(
        domain.promised_completion(
            friday_night,
            labour_hours=Decimal("1"),
            queue_hours=Decimal("0"),
            technicians=4,
            calendar=BJ,
        )
    )
    assert on_make_up_day.date().isoformat() == "2026-02-14"


def test_a_typed_promised_time_must_fall_in_opening_hours() -> None:
    assert domain.promise_problem(BJ.at(T0.date(), time(17, 0)), BJ) is None
    assert domain.promise_problem(BJ.at(T0.date(), time(18, 0)), BJ) is None  # closing time
    night = domain.promise_problem(BJ.at(T0.date(), time(23, 0)), BJ)
    assert night is not None and "closed" in night
    assert domain.promise_problem(BJ.at(datetime(2026, 10, 2).date(), time(10, 0)), BJ)


def test_a_part_is_short_when_the_station_has_less_than_the_line_needs() -> None:
    assert domain.availability(Decimal("2"), Decimal("2")) == domain.StockAvailability.IN_STOCK
    assert domain.availability(Decimal("2"), Decimal("1")) == domain.StockAvailability.SHORT
    assert domain.availability(Decimal("1"), None) == domain.StockAvailability.UNKNOWN


def test_a_waited_for_part_arrives_on_its_expected_date_or_after_its_lead_time() -> None:
    def morning(day: date) -> datetime:
        return BJ.at(day, time(8, 30))

    by_date = domain.part_arrives_at(
        T0, expected_on=date(2026, 12, 4), lead_days=None, day_start=morning
    )
    assert by_date == BJ.at(date(2026, 12, 4), time(8, 30))
    later = domain.part_arrives_at(
        T0, expected_on=date(2026, 12, 2), lead_days=5, day_start=morning
    )
    assert later == T0 + timedelta(days=5)
    assert domain.part_arrives_at(T0, expected_on=None, lead_days=None, day_start=morning) is None


def test_an_order_is_cancelled_only_before_the_car_is_completed() -> None:
    assert domain.cancellation_problem("open") is None
    for status in ("completed", "delivered", "cancelled"):
        assert domain.cancellation_problem(status)


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


def test_quality_guarantee_period_follows_the_kind_of_work() -> None:
    engine = [Line("labour", "ENG-100", major_system="engine")]
    brakes = [Line("labour", "BRK-010", major_system="brakes")]
    assert domain.guarantee_terms("repair", engine) == domain.MAJOR_UNIT_REPAIR
    assert (domain.MAJOR_UNIT_REPAIR.days, domain.MAJOR_UNIT_REPAIR.km) == (100, 20000)
    assert domain.guarantee_terms("maintenance", []).days == 30
    assert domain.guarantee_terms("repair", brakes) == domain.MINOR_REPAIR


def test_an_ordered_part_expected_after_the_appointment_day_is_too_late() -> None:
    day = date(2026, 12, 3)
    assert domain.part_arrives_too_late(day, Decimal("1"), Decimal("0"), date(2026, 12, 4))
    assert not domain.part_arrives_too_late(day, Decimal("1"), Decimal("0"), day)
    assert not domain.part_arrives_too_late(day, Decimal("1"), Decimal("1"), date(2026, 12, 9))
    assert not domain.part_arrives_too_late(day, Decimal("1"), None, date(2026, 12, 9))
    assert not domain.part_arrives_too_late(day, Decimal("1"), Decimal("0"), None)
