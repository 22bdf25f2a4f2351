"""Workshop's rules on their own (no database, no broker)."""

from __future__ import annotations

from datetime import date
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


def test_only_ready_or_started_jobs_can_be_completed() -> None:
    assert {s for s in JobStatus if domain.can_complete(s)} == {
        JobStatus.READY,
        JobStatus.IN_PROGRESS,
    }


def test_order_is_finished_when_every_job_is_done() -> None:
    assert domain.order_finished([JobStatus.DONE, JobStatus.DONE])
    assert not domain.order_finished([JobStatus.DONE, JobStatus.READY])
    assert not domain.order_finished([])
