"""Cars kept overnight get a progress report every evening (process §5), at the closing time
of the station's calendar: a scheduled task per station and evening."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from services.workshop.tests.builders import order_created
from services.workshop.tests.flow import finish_dispatched, jobs_of, reserve_all
from shared import clock
from shared.calendar import calendar_for
from shared.tables import ScheduledTask, TaskState
from shared.testing import ServiceHarness, auth_headers

#: Monday 23 November 2026, 10:00 in Beijing
MONDAY_MORNING = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@contextlib.contextmanager
def manual_clock(start: datetime) -> Iterator[clock.ManualClock]:
    driven = clock.ManualClock(start)
    with clock.driven(driven):
        yield driven


def closing(day: date, station: str = "bj01") -> datetime:
    calendar = calendar_for(station)
    return calendar.at(day, calendar.hours.closes)


async def run_due(workshop: ServiceHarness) -> int:
    assert workshop.runtime.scheduler is not None
    return await workshop.runtime.scheduler.run_due()


async def reports(workshop: ServiceHarness, user: str = "foreman.bj01", **params) -> dict:
    response = await workshop.client.get(
        "/progress-reports", params=params, headers=auth_headers(user)
    )
    assert response.status_code == 200, response.text
    return response.json()


async def evening_tasks(workshop: ServiceHarness) -> list[ScheduledTask]:
    async with workshop.runtime.db.read() as session:
        return list((await session.exec(select(ScheduledTask))).all())


async def test_an_order_still_open_at_closing_time_gets_a_progress_report_due(workshop) -> None:
    with manual_clock(MONDAY_MORNING) as now:
        event = order_created()
        await workshop.publish(event)
        [task] = await evening_tasks(workshop)
        assert task.due_at == closing(date(2026, 11, 23))
        assert task.station_id == "bj01"
        assert await run_due(workshop) == 0  # not evening yet
        now.set(closing(date(2026, 11, 23)) + timedelta(minutes=1))
        assert await run_due(workshop) == 1
        listed = await reports(workshop, day="2026-11-23", status="due")
        [report] = listed["data"]
        assert report["order_id"] == str(event.order_id)
        assert report["order_no"] == event.order_no
        assert report["status"] == "due"
        # the advisor reads the same list
        assert (await reports(workshop, "advisor.bj01"))["count"] == 1


async def test_the_reported_progress_is_recorded_with_done_remaining_and_expected_completion(
    workshop,
) -> None:
    with manual_clock(MONDAY_MORNING) as now:
        event = order_created()
        await workshop.publish(event)
        now.set(closing(date(2026, 11, 23)) + timedelta(minutes=1))
        await run_due(workshop)
        [report] = (await reports(workshop))["data"]
        expected = closing(date(2026, 11, 24)) - timedelta(hours=2)
        body = {
            "work_done": "前刹车片已拆下, 卡钳已清洁",
            "work_remaining": "装新刹车片, 路试",
            "expected_completion_at": expected.isoformat(),
        }
        response = await workshop.client.post(
            f"/progress-reports/{report['id']}", json=body, headers=auth_headers("foreman.bj01")
        )
        assert response.status_code == 200, response.text
        recorded = (await reports(workshop, "advisor.bj01", order_id=str(event.order_id)))["data"]
        assert recorded[0]["status"] == "reported"
        assert recorded[0]["work_done"] == body["work_done"]
        assert recorded[0]["work_remaining"] == body["work_remaining"]
        assert recorded[0]["reported_by"] == "foreman.bj01"
        assert recorded[0]["expected_completion_at"][:19] == expected.isoformat()[:19]
        # an expected completion already past is refused, naming the field
        past = {**body, "expected_completion_at": (now.now() - timedelta(hours=1)).isoformat()}
        refused = await workshop.client.post(
            f"/progress-reports/{report['id']}", json=past, headers=auth_headers("foreman.bj01")
        )
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"][-1] == "expected_completion_at"
        far = {**body, "expected_completion_at": "9999-12-31T23:00:00-14:00"}
        refused = await workshop.client.post(
            f"/progress-reports/{report['id']}", json=far, headers=auth_headers("foreman.bj01")
        )
        assert refused.status_code == 422
        # another station's foreman cannot see nor fill it
        other = await workshop.client.post(
            f"/progress-reports/{report['id']}", json=body, headers=auth_headers("foreman.sh01")
        )
        assert other.status_code == 404


async def test_a_car_finished_before_closing_time_gets_no_evening_report(workshop) -> None:
    with manual_clock(MONDAY_MORNING) as now:
        event = order_created()
        await workshop.publish(event)
        await reserve_all(workshop, event.order_id)
        [job] = await jobs_of(workshop, event.order_id)
        await finish_dispatched(workshop, job.id)
        inspected = await workshop.client.post(
            f"/orders/{event.order_id}/inspections",
            json={"checklist": [{"item": "brakes", "ok": True}], "road_test": True},
            headers=auth_headers("inspector.bj01"),
        )
        assert inspected.status_code == 201, inspected.text
        now.set(closing(date(2026, 11, 23)) + timedelta(minutes=1))
        assert await run_due(workshop) == 1
        assert (await reports(workshop))["count"] == 0
        # no car left: no next evening planned until an order comes in
        pending = [t for t in await evening_tasks(workshop) if t.state == TaskState.PENDING]
        assert pending == []


async def test_a_car_kept_several_nights_gets_a_report_every_evening_the_station_is_open(
    workshop,
) -> None:
    # Wednesday 30 September 2026: the National Day holidays (1-7 October) follow, the
    # station is closed on them, so the next evening report is due on 8 October
    with manual_clock(datetime(2026, 9, 30, 2, 0, tzinfo=UTC)) as now:
        await workshop.publish(order_created())
        now.set(closing(date(2026, 9, 30)) + timedelta(minutes=1))
        assert await run_due(workshop) == 1
        pending = [t for t in await evening_tasks(workshop) if t.state == TaskState.PENDING]
        assert [t.due_at for t in pending] == [closing(date(2026, 10, 8))]
        now.set(closing(date(2026, 10, 8)) + timedelta(minutes=1))
        assert await run_due(workshop) == 1
        days = [r["day"] for r in (await reports(workshop))["data"]]
        assert days == ["2026-10-08", "2026-09-30"]


async def test_evening_reports_fall_due_once_per_car_and_evening(workshop) -> None:
    with manual_clock(MONDAY_MORNING) as now:
        first, second = order_created(), order_created()
        await workshop.publish(first)
        await workshop.publish(second)
        # both orders planned the same evening task: one task per station and evening
        assert len(await evening_tasks(workshop)) == 1
        now.set(closing(date(2026, 11, 23)) + timedelta(minutes=1))
        assert await run_due(workshop) == 1
        assert await run_due(workshop) == 0
        listed = await reports(workshop, day="2026-11-23")
        assert sorted(r["order_id"] for r in listed["data"]) == sorted(
            [str(first.order_id), str(second.order_id)]
        )
        assert (await reports(workshop, "foreman.sh01"))["count"] == 0
