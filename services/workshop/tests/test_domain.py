"""Workshop's rules on their own (no database, no broker)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from services.workshop import domain
from services.workshop.domain import JobPartStatus, JobStatus, PartState
from services.workshop.tests.builders import labour_line, part_line


def test_one_job_per_labour_line_with_the_parts_of_that_line() -> None:
    brakes, oil = labour_line("BRK-010"), labour_line("OIL-001")
    pads, filter_ = part_line("PADS", labour=brakes), part_line("FILTER", labour=oil)
    plan = domain.plan_jobs([brakes, oil, pads, filter_])
    assert [(j.labour, j.parts) for j in plan] == [(brakes, [pads]), (oil, [filter_])]


def test_part_of_no_or_unknown_labour_line_goes_to_the_first_job() -> None:
    brakes, oil = labour_line("BRK-010"), labour_line("OIL-001")
    loose = part_line("LOOSE")
    stray = part_line("STRAY", labour=labour_line("NOT-ON-ORDER"))
    plan = domain.plan_jobs([brakes, oil, loose, stray])
    assert plan[0].parts == [loose, stray]
    assert plan[1].parts == []


def test_parts_without_labour_make_one_parts_only_job() -> None:
    bulb = part_line("BULB")
    [job] = domain.plan_jobs([bulb])
    assert job.labour is None and job.parts == [bulb]
    assert domain.plan_jobs([]) == []


def test_waiting_reason_names_the_backordered_part_its_shortage_and_date() -> None:
    parts = [
        PartState("PADS", JobPartStatus.RESERVED),
        PartState("DISC", JobPartStatus.BACKORDERED, Decimal("2.000"), date(2026, 12, 1)),
        PartState("CLIP", JobPartStatus.BACKORDERED, Decimal("0.500")),
    ]
    assert domain.parts_wait_reason(parts) == (
        "waiting for part DISC (short 2, expected 2026-12-01); "
        "waiting for part CLIP (short 0.5, no date yet)"
    )
    assert domain.parts_wait_reason([PartState("PADS", JobPartStatus.REQUESTED)]) == (
        "parts requested"
    )
    assert domain.parts_wait_reason([PartState("PADS", JobPartStatus.RESERVED)]) is None


def test_parts_news_moves_only_jobs_nobody_started() -> None:
    assert domain.status_after_parts(JobStatus.WAITING_FOR_PARTS, None) == JobStatus.READY
    assert domain.status_after_parts(JobStatus.READY, "short") == JobStatus.WAITING_FOR_PARTS
    assert domain.status_after_parts(JobStatus.IN_PROGRESS, "short") == JobStatus.IN_PROGRESS
    assert domain.status_after_parts(JobStatus.DONE, "short") == JobStatus.DONE


def test_only_dispatched_or_started_jobs_can_be_completed() -> None:
    assert {s for s in JobStatus if domain.can_complete(s)} == {
        JobStatus.DISPATCHED,
        JobStatus.IN_PROGRESS,
        JobStatus.PAUSED,
    }


def test_order_is_finished_when_every_job_is_done() -> None:
    assert domain.order_finished([JobStatus.DONE, JobStatus.DONE])
    assert not domain.order_finished([JobStatus.DONE, JobStatus.READY])
    assert not domain.order_finished([])


# --- dispatch (process §5) --------------------------------------------------------------


def test_engine_gearbox_brakes_steering_and_orders_that_ask_get_final_inspection() -> None:
    for system in ("engine", "gearbox", "brakes", "steering", "Brakes"):
        assert domain.needs_final_inspection(system, order_asks=False)
    assert not domain.needs_final_inspection("body", order_asks=False)
    assert not domain.needs_final_inspection(None, order_asks=False)
    assert domain.needs_final_inspection(None, order_asks=True)
    assert domain.status_after_finish(True) == JobStatus.IN_INSPECTION
    assert domain.status_after_finish(False) == JobStatus.DONE


def test_order_flag_without_major_system_work_asks_inspection_of_every_job() -> None:
    brakes, wipers = labour_line("BRK-010"), labour_line("WIP-001", major_system=None)
    assert not domain.inspection_asked(True, [brakes, wipers])
    assert domain.inspection_asked(True, [wipers])
    assert not domain.inspection_asked(False, [wipers])


def test_hand_over_time_is_recorded_to_ten_minutes_never_in_the_future() -> None:
    at = datetime(2026, 11, 23, 9, 14, 59, tzinfo=UTC)
    assert domain.hand_over_time(at) == datetime(2026, 11, 23, 9, 10, tzinfo=UTC)
    assert domain.hand_over_time(at.replace(minute=15, second=0)) == at.replace(minute=10, second=0)
    late = datetime(2026, 11, 23, 9, 59, 59, tzinfo=UTC)
    assert domain.hand_over_time(late) == datetime(2026, 11, 23, 9, 50, tzinfo=UTC)
    assert domain.hand_over_time(late) <= late
    assert domain.hand_over_time(late).tzinfo is UTC


def test_advisor_may_assign_only_a_single_team_order() -> None:
    assert domain.single_team(["mechanical", "mechanical"])
    assert domain.single_team([None])
    assert domain.single_team(["mechanical", None])
    assert not domain.single_team(["mechanical", "body"])


def test_only_a_job_nobody_is_clocked_on_can_be_dispatched() -> None:
    assert domain.dispatch_refusal(JobStatus.READY) is None
    assert domain.dispatch_refusal(JobStatus.PAUSED) is None  # re-dispatch
    assert "parts" in (domain.dispatch_refusal(JobStatus.WAITING_FOR_PARTS) or "")
    assert "clocked on" in (domain.dispatch_refusal(JobStatus.IN_PROGRESS) or "")
    assert domain.dispatch_refusal(JobStatus.DONE) is not None


def test_suggested_technician_has_the_skill_and_the_least_load_earliest_promise_first() -> None:
    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    urgent, later, paint = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    jobs = [
        domain.JobDemand(later, "mechanical", Decimal("2"), now + timedelta(hours=8)),
        domain.JobDemand(urgent, "mechanical", Decimal("1"), now + timedelta(hours=2)),
        domain.JobDemand(paint, "paint", Decimal("3"), None),
    ]
    team = [
        domain.TechnicianLoad("busy", frozenset({"mechanical"}), Decimal("0.5")),
        domain.TechnicianLoad("free", frozenset({"mechanical"}), Decimal("0")),
    ]
    suggested = domain.suggest_technicians(jobs, team)
    assert suggested[urgent] == "free"  # earliest promise, least load
    assert suggested[later] == "busy"  # free now carries the urgent hour: 1 > 0.5
    assert suggested[paint] is None  # nobody paints


# --- clocking ---------------------------------------------------------------------------


def test_technician_clocks_only_onto_a_job_dispatched_to_them_that_is_not_finished() -> None:
    ok = domain.clock_on_refusal(JobStatus.DISPATCHED, "tech.a", "tech.a")
    assert ok is None
    assert domain.clock_on_refusal(JobStatus.PAUSED, "tech.a", "tech.a") is None
    assert "approval" in (domain.clock_on_refusal(JobStatus.WAITING_FOR_APPROVAL, "t", "t") or "")
    assert "finished" in (domain.clock_on_refusal(JobStatus.DONE, "t", "t") or "")
    assert "finished" in (domain.clock_on_refusal(JobStatus.IN_INSPECTION, "t", "t") or "")
    assert "dispatches" in (domain.clock_on_refusal(JobStatus.READY, None, "t") or "")
    assert "tech.b" in (domain.clock_on_refusal(JobStatus.DISPATCHED, "tech.b", "tech.a") or "")


def test_clocked_hours_are_the_time_between_clocking_on_and_off() -> None:
    on = datetime(2026, 11, 23, 9, tzinfo=UTC)
    assert domain.clocked_hours(on, on + timedelta(minutes=75)) == Decimal("1.25")
    assert domain.clocked_hours(on, on) == Decimal("0.00")


def test_efficiency_is_a_ratio_and_none_without_a_denominator() -> None:
    assert domain.ratio(Decimal("1.2"), Decimal("1.5")) == Decimal("0.8000")
    assert domain.ratio(Decimal("1"), Decimal("0")) is None


# --- findings and parts -----------------------------------------------------------------


def test_job_resumes_after_the_last_answer_to_its_findings() -> None:
    assert domain.status_after_answer(JobStatus.IN_PROGRESS, 0) == JobStatus.PAUSED
    assert domain.status_after_answer(JobStatus.DISPATCHED, 0) == JobStatus.DISPATCHED
    assert domain.status_after_answer(JobStatus.IN_PROGRESS, 1) == JobStatus.WAITING_FOR_APPROVAL


def test_parts_used_are_issued_minus_returned_per_job() -> None:
    job = uuid.uuid4()
    moves = [
        domain.PartMove(job, "PADS", Decimal("2")),
        domain.PartMove(job, "PADS", Decimal("-1")),
        domain.PartMove(job, "CLIP", Decimal("1")),
        domain.PartMove(job, "CLIP", Decimal("-1")),
    ]
    assert domain.parts_used(moves) == [(job, "PADS", Decimal("1"))]


# --- capacity, comebacks, KPIs ---------------------------------------------------------


def test_technician_works_on_their_weekdays_unless_absent() -> None:
    monday = date(2026, 11, 23)
    assert domain.works_on(monday, [1, 2, 3, 4, 5], [])
    assert not domain.works_on(monday + timedelta(days=6), [1, 2, 3, 4, 5, 6], [])
    assert not domain.works_on(monday, [1], [(monday, monday + timedelta(days=2))])


def test_comeback_is_same_vehicle_similar_complaint_within_the_window() -> None:
    done = datetime(2026, 11, 1, tzinfo=UTC)
    assert domain.is_comeback(done, "刹车时有异响", done + timedelta(days=10), "刹车异响", 30)
    assert not domain.is_comeback(done, "刹车时有异响", done + timedelta(days=31), "刹车异响", 30)
    assert not domain.is_comeback(done, "刹车时有异响", done + timedelta(days=5), "空调不制冷", 30)
    assert not domain.is_comeback(None, "刹车时有异响", done, "刹车异响", 30)
    assert domain.similar_complaint("brake noise", "Noise when braking")


def test_kpi_period_is_the_day_or_its_month() -> None:
    assert domain.period_bounds(date(2026, 11, 23), "day") == (date(2026, 11, 23),) * 2
    assert domain.period_bounds(date(2026, 12, 5), "month") == (
        date(2026, 12, 1),
        date(2026, 12, 31),
    )


# --- roadside assistance ----------------------------------------------------------------


def test_roadside_call_goes_dispatch_arrival_finish_in_that_order() -> None:
    from services.workshop.domain import RoadsideStatus

    assert domain.roadside_refusal(RoadsideStatus.RECEIVED, "dispatch") is None
    assert domain.roadside_refusal(RoadsideStatus.DISPATCHED, "dispatch") is None  # re-send
    assert domain.roadside_refusal(RoadsideStatus.DISPATCHED, "arrival") is None
    assert domain.roadside_refusal(RoadsideStatus.ON_SITE, "finish") is None
    assert domain.roadside_refusal(RoadsideStatus.RECEIVED, "finish") == "the call is received"
    assert domain.roadside_refusal(RoadsideStatus.TOWED_IN, "dispatch") is not None


def test_towed_in_car_is_matched_by_vin_else_by_plate() -> None:
    assert domain.roadside_match("lfv2a21k7g3000001", None, "LFV2A21K7G3000001", None)
    assert not domain.roadside_match(
        "LFV2A21K7G3000002", "京A12345", "LFV2A21K7G3000001", "京A12345"
    )
    assert domain.roadside_match(None, "京A 12345", "LFV2A21K7G3000001", "京A12345")
    assert not domain.roadside_match(None, None, "LFV2A21K7G3000001", None)


# --- overruns, progress reports, technical assistance, cancellation -------------------


def test_more_time_is_asked_on_a_job_being_worked_on_by_its_technician() -> None:
    for status in (JobStatus.DISPATCHED, JobStatus.IN_PROGRESS, JobStatus.PAUSED):
        assert domain.overrun_refusal(status, "tech.a", "tech.a", True) is None
    for status in (JobStatus.READY, JobStatus.DONE, JobStatus.IN_INSPECTION, JobStatus.CANCELLED):
        assert domain.overrun_refusal(status, "tech.a", "tech.a", True)
    assert "dispatched to tech.a" in (
        domain.overrun_refusal(JobStatus.IN_PROGRESS, "tech.a", "tech.b", True) or ""
    )
    # the foreman files it for the technician
    assert domain.overrun_refusal(JobStatus.IN_PROGRESS, "tech.a", "foreman", False) is None


def test_a_new_promised_time_lies_ahead_and_after_the_current_promise() -> None:
    now = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    promise = now + timedelta(hours=2)
    assert domain.new_promise_refusal(None, promise, now) is None
    assert domain.new_promise_refusal(promise + timedelta(hours=1), promise, now) is None
    assert domain.new_promise_refusal(promise, promise, now)
    assert domain.new_promise_refusal(now - timedelta(minutes=1), None, now)
    assert domain.new_promise_refusal(now + timedelta(minutes=1), None, now) is None
    assert domain.new_promise_refusal(now + timedelta(days=91), None, now)


def test_a_cancelled_orders_drawn_parts_go_back_and_the_rest_lapse() -> None:
    assert domain.part_status_on_cancel(Decimal("1")) == JobPartStatus.TO_RETURN
    assert domain.part_status_on_cancel(Decimal("0")) == JobPartStatus.CANCELLED
    assert domain.part_status_on_cancel(None) == JobPartStatus.CANCELLED


def test_an_order_received_before_closing_time_is_kept_overnight() -> None:
    closes = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert domain.kept_overnight(closes - timedelta(hours=5), closes)
    assert not domain.kept_overnight(closes + timedelta(minutes=5), closes)


def test_bulletins_match_make_model_fault_code_and_symptom() -> None:
    codes = ["P17BF"]
    match = domain.bulletin_matches
    assert match("FAW-VW", "Sagitar", "换挡冲击", codes, want_make="faw-vw")
    assert not match("FAW-VW", "Sagitar", "换挡冲击", codes, want_make="Buick")
    assert not match("FAW-VW", "Sagitar", "换挡冲击", codes, want_model="Magotan")
    assert match("FAW-VW", None, "换挡冲击", codes, want_model="Magotan")  # every model
    assert match("FAW-VW", "Sagitar", "换挡冲击", codes, fault_code="p17bf")
    assert not match("FAW-VW", "Sagitar", "换挡冲击", codes, fault_code="P0300")
    assert match("FAW-VW", "Sagitar", "起步时换挡冲击", codes, text="换挡冲击")
    assert not match("FAW-VW", "Sagitar", "换挡冲击", codes, text="空调异味")


def test_fault_codes_are_kept_as_the_tester_prints_them_once_each() -> None:
    assert domain.normalise_fault_codes([" p0300", "P0300", "u0 100", ""]) == ["P0300", "U0100"]


# --- teams (班组) and the technical lead ---------------------------------------------------


def test_a_single_team_order_is_one_whose_jobs_one_team_can_do_alone() -> None:
    mech = domain.TeamSkills(uuid.uuid4(), "机电班", frozenset({"mechanical", "electrical"}))
    body = domain.TeamSkills(uuid.uuid4(), "钣喷班", frozenset({"body", "paint"}))
    assert domain.teams_for_order(["mechanical", "electrical", None], [mech, body]) == [mech]
    assert domain.teams_for_order(["mechanical", "body"], [mech, body]) == []
    assert domain.teams_for_order([None], [mech, body]) == [mech, body]  # a wash: any team
    assert domain.teams_for_order(["mechanical"], []) is None  # no teams: one skill, one team
    assert (
        domain.teams_needed_text(["mechanical", "body", "diagnosis"], [mech, body])
        == "body: 钣喷班; diagnosis: no team; mechanical: 机电班"
    )


def test_a_team_job_is_clocked_by_its_members_each_on_one_job_at_a_time() -> None:
    crew = {"tech.lead", "tech.b"}
    refusal = domain.clock_on_refusal
    assert refusal(JobStatus.DISPATCHED, "tech.lead", "tech.b", "机电班", crew) is None
    assert refusal(JobStatus.IN_PROGRESS, "tech.lead", "tech.b", "机电班", crew) is None
    outsider = refusal(JobStatus.IN_PROGRESS, "tech.lead", "tech.x", "机电班", crew) or ""
    assert "team 机电班" in outsider
    assert "finished" in (
        refusal(JobStatus.IN_INSPECTION, "tech.lead", "tech.b", "机电班", crew) or ""
    )
    # a job dispatched to one technician stays theirs alone
    assert "clocked on it already" in (refusal(JobStatus.IN_PROGRESS, "tech.a", "tech.a") or "")
    assert domain.status_after_clock_off(1) == JobStatus.IN_PROGRESS
    assert domain.status_after_clock_off(0) == JobStatus.PAUSED


def test_a_comeback_passes_only_with_a_technical_lead_of_the_station_who_did_not_do_the_work() -> (
    None
):
    lead = domain.LeadCandidate("tech.lead", "bj01", True, domain.TECHNICAL_LEAD_LEVEL)
    rule = domain.technical_lead_refusal

    def check(lead_id, candidate, *, comeback=True, passing=True):
        return rule(
            lead_id,
            candidate,
            station_id="bj01",
            inspector_id="inspector.bj01",
            worked_by={"tech.a"},
            comeback=comeback,
            passing=passing,
        )

    assert "technical_lead_id" in (check(None, None) or "")
    assert check(None, None, passing=False) is None  # sending work back needs no lead
    assert check(None, None, comeback=False) is None  # not a comeback: the inspector alone
    assert check("tech.lead", lead) is None
    junior = domain.LeadCandidate("tech.j", "bj01", True, domain.TECHNICAL_LEAD_LEVEL - 1)
    assert "level" in (check("tech.j", junior) or "")
    elsewhere = domain.LeadCandidate("tech.lead", "sh01", True, 4)
    assert "station bj01" in (check("tech.lead", elsewhere) or "")
    assert "station bj01" in (check("nobody", None) or "")
    gone = domain.LeadCandidate("tech.lead", "bj01", False, 4)
    assert check("tech.lead", gone) is not None
    worker = domain.LeadCandidate("tech.a", "bj01", True, 4)
    assert "worked on this repair" in (check("tech.a", worker) or "")
    inspector = domain.LeadCandidate("inspector.bj01", "bj01", True, 4)
    assert "than the inspector" in (check("inspector.bj01", inspector) or "")
