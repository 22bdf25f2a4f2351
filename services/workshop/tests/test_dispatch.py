"""Dispatch, clocking and the foreman's board (process §5: 派工, 作业管理)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from services.workshop.models import JobStatus
from services.workshop.tests.builders import labour_line, order_created
from services.workshop.tests.flow import (
    clock_off,
    clock_on,
    complete,
    dispatch,
    jobs_of,
    outbox,
    reserve_all,
)
from shared import clock
from shared.testing import auth_headers


def diagnosis(code: str = "DIAG-01", hours: str = "0.5", skill: str | None = "mechanical"):
    return labour_line(code, hours, skill=skill, major_system=None)


# --- dispatch ---------------------------------------------------------------------------


async def test_foreman_dispatch_records_hand_over_to_ten_minutes_and_who_received(
    workshop,
) -> None:
    with clock.driven(clock.ManualClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))):
        await _dispatch_with_hand_over(workshop)


async def _dispatch_with_hand_over(workshop) -> None:
    event = order_created(diagnosis())
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    handed = datetime(2026, 11, 23, 1, 14, 40, tzinfo=UTC)
    response = await dispatch(
        workshop,
        job.id,
        "tech.bj01",
        received_by="tech.bj01.2",
        bay_id="bj01-L1",
        handed_over_at=handed.isoformat(),
        version=job.version,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "dispatched"
    assert body["technician_id"] == "tech.bj01"
    assert body["bay_id"] == "bj01-L1"
    assert body["received_by"] == "tech.bj01.2"
    assert datetime.fromisoformat(body["handed_over_at"]) == handed.replace(minute=10, second=0)
    assert body["version"] == job.version + 1
    [message] = await outbox(workshop, "job.dispatched")
    assert message["payload"]["job_id"] == str(job.id)
    assert message["payload"]["technician_id"] == "tech.bj01"
    assert message["payload"]["received_by"] == "tech.bj01.2"
    assert message["payload"]["bay_id"] == "bj01-L1"
    assert message["correlation_id"] == str(event.order_id)


async def test_dispatch_on_a_stale_version_is_409(workshop) -> None:
    event = order_created(diagnosis())
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    assert (await dispatch(workshop, job.id, version=job.version)).status_code == 200
    stale = await dispatch(workshop, job.id, "tech.bj01.2", version=job.version)
    assert stale.status_code == 409
    assert "changed since you saw it" in stale.json()["detail"][0]["msg"]
    assert len(await outbox(workshop, "job.dispatched")) == 1


async def test_foreman_reassigns_a_dispatched_job(workshop) -> None:
    event = order_created(diagnosis())
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    await dispatch(workshop, job.id, "tech.bj01")
    again = await dispatch(workshop, job.id, "tech.bj01.2")
    assert again.status_code == 200
    assert again.json()["technician_id"] == "tech.bj01.2"
    assert [m["payload"]["technician_id"] for m in await outbox(workshop, "job.dispatched")] == [
        "tech.bj01",
        "tech.bj01.2",
    ]


async def test_dispatch_bad_input_is_422_naming_the_field(workshop) -> None:
    event = order_created(diagnosis())
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    unknown = await dispatch(workshop, job.id, "tech.nobody")
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"][-1] == "technician_id"
    other_station = await dispatch(workshop, job.id, "tech.sh01")
    assert other_station.json()["detail"][0]["loc"][-1] == "technician_id"
    no_skill = await dispatch(workshop, job.id, "tech.bj01.paint")
    assert no_skill.status_code == 422
    assert "no mechanical skill" in no_skill.json()["detail"][0]["msg"]
    bay = await dispatch(workshop, job.id, bay_id="sh01-L1")
    assert bay.status_code == 422
    assert bay.json()["detail"][0]["loc"][-1] == "bay_id"
    future = await dispatch(
        workshop, job.id, handed_over_at=(datetime.now(UTC) + timedelta(hours=2)).isoformat()
    )
    assert future.json()["detail"][0]["loc"][-1] == "handed_over_at"
    end_of_time = await dispatch(workshop, job.id, handed_over_at="9999-12-31T23:59:59Z")
    assert end_of_time.json()["detail"][0]["loc"][-1] == "handed_over_at"
    missing = await workshop.client.post(
        f"/jobs/{job.id}/dispatch",
        json={"technician_id": "tech.bj01"},
        headers=auth_headers("foreman.bj01"),
    )
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"][-1] == "received_by"
    assert await outbox(workshop, "job.dispatched") == []


async def test_absent_technician_cannot_be_dispatched(workshop) -> None:
    today = datetime.now(UTC).date()
    absence = await workshop.client.post(
        "/technicians/tech.bj01.2/absences",
        json={"first_day": str(today), "last_day": str(today), "reason": "training"},
        headers=auth_headers("foreman.bj01"),
    )
    assert absence.status_code == 201, absence.text
    event = order_created(diagnosis())
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    response = await dispatch(workshop, job.id, "tech.bj01.2")
    assert response.status_code == 422
    assert "absent" in response.json()["detail"][0]["msg"]


async def test_job_waiting_for_parts_is_not_dispatched(workshop) -> None:
    event = order_created()  # brake pads requested, not reserved
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    response = await dispatch(workshop, job.id)
    assert response.status_code == 409
    assert "parts" in response.json()["detail"][0]["msg"]


async def test_advisor_dispatches_a_single_team_order_only(workshop) -> None:
    single = order_created(diagnosis("DIAG-01"), diagnosis("DIAG-02"))
    await workshop.publish(single)
    job, _ = await jobs_of(workshop, single.order_id)
    assert (await dispatch(workshop, job.id, user="advisor.bj01")).status_code == 200
    multi = order_created(diagnosis("DIAG-03"), diagnosis("BODY-01", skill="body"))
    await workshop.publish(multi)
    body_job, _ = await jobs_of(workshop, multi.order_id)
    refused = await dispatch(workshop, body_job.id, "tech.bj01.body", user="advisor.bj01")
    assert refused.status_code == 403
    assert "several teams" in refused.json()["detail"][0]["msg"]
    assert "the foreman dispatches a multi-team order" in refused.json()["detail"][0]["msg"]
    technician = await dispatch(workshop, body_job.id, "tech.bj01.body", user="tech.bj01")
    assert technician.status_code == 403


# --- clocking ---------------------------------------------------------------------------


async def test_technician_clocks_on_and_off_with_a_reason_and_hours_add_up(workshop) -> None:
    event = order_created(diagnosis())
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    await dispatch(workshop, job.id)
    on = await clock_on(workshop, job.id)
    assert on.status_code == 200, on.text
    assert on.json()["status"] == "in_progress"
    off = await clock_off(workshop, job.id, reason="waiting for the lift")
    assert off.status_code == 200
    assert off.json()["status"] == "paused"
    assert off.json()["waiting_reason"] == "paused: waiting for the lift"
    assert (await clock_on(workshop, job.id)).json()["status"] == "in_progress"
    done = await complete(workshop, job.id, "0.4")
    assert done.json()["status"] == "done"
    clockings = (
        await workshop.client.get(f"/jobs/{job.id}/clockings", headers=auth_headers("tech.bj01"))
    ).json()
    assert [c["pause_reason"] for c in clockings] == [
        "waiting for the lift",
        None,
        "hours declared at completion",
    ]
    assert all(c["ended_at"] is not None for c in clockings)
    total = sum((Decimal(c["hours"]) for c in clockings), Decimal("0"))
    assert Decimal(done.json()["clocked_hours"]) == total


async def test_pause_without_a_reason_is_422(workshop) -> None:
    event = order_created(diagnosis())
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    await dispatch(workshop, job.id)
    await clock_on(workshop, job.id)
    response = await workshop.client.post(
        f"/jobs/{job.id}/clock-off", json={"reason": ""}, headers=auth_headers("tech.bj01")
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "reason"


async def test_technician_cannot_clock_onto_two_jobs_at_once(workshop) -> None:
    event = order_created(diagnosis("DIAG-01"), diagnosis("DIAG-02"))
    await workshop.publish(event)
    first, second = await jobs_of(workshop, event.order_id)
    await dispatch(workshop, first.id)
    await dispatch(workshop, second.id)
    assert (await clock_on(workshop, first.id)).status_code == 200
    refused = await clock_on(workshop, second.id)
    assert refused.status_code == 409
    assert "clocked on job DIAG-01" in refused.json()["detail"][0]["msg"]
    await clock_off(workshop, first.id)
    assert (await clock_on(workshop, second.id)).status_code == 200


async def test_technician_cannot_clock_onto_a_job_dispatched_to_someone_else(workshop) -> None:
    event = order_created(diagnosis())
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    not_dispatched = await clock_on(workshop, job.id)
    assert not_dispatched.status_code == 409
    await dispatch(workshop, job.id, "tech.bj01.2")
    refused = await clock_on(workshop, job.id)
    assert refused.status_code == 409
    assert "tech.bj01.2" in refused.json()["detail"][0]["msg"]
    assert (await clock_on(workshop, job.id, user="foreman.bj01")).status_code == 403


async def test_finished_job_cannot_be_clocked(workshop) -> None:
    event = order_created(diagnosis())
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    await dispatch(workshop, job.id)
    await complete(workshop, job.id, "0.5")
    refused = await clock_on(workshop, job.id)
    assert refused.status_code == 409
    assert "finished" in refused.json()["detail"][0]["msg"]


async def test_clocking_off_a_job_you_are_not_on_is_409(workshop) -> None:
    event = order_created(diagnosis())
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    await dispatch(workshop, job.id)
    response = await clock_off(workshop, job.id)
    assert response.status_code == 409


# --- board ------------------------------------------------------------------------------


async def test_board_shows_open_jobs_by_state_with_a_suggested_technician(workshop) -> None:
    waiting = order_created()  # brakes: waiting for parts
    body = order_created(diagnosis("BODY-01", "2.0", skill="body"))
    two = order_created(diagnosis("DIAG-01"), diagnosis("DIAG-02"))
    for event in (waiting, body, two):
        await workshop.publish(event)
    diag1, _ = await jobs_of(workshop, two.order_id)
    await dispatch(workshop, diag1.id, "tech.bj01")
    await clock_on(workshop, diag1.id)

    response = await workshop.client.get("/board", headers=auth_headers("foreman.bj01"))
    assert response.status_code == 200, response.text
    board = response.json()
    columns = {c["status"]: c for c in board["columns"]}
    assert board["station_id"] == "bj01"
    assert "done" not in columns
    assert set(columns) >= {
        "ready",
        "dispatched",
        "in_progress",
        "paused",
        "waiting_for_parts",
        "waiting_for_approval",
        "in_inspection",
    }
    assert [j["id"] for j in columns["in_progress"]["jobs"]] == [str(diag1.id)]
    assert columns["waiting_for_parts"]["jobs"][0]["waiting_reason"] == "parts requested"
    ready = {j["operation_code"]: j for j in columns["ready"]["jobs"]}
    assert ready["BODY-01"]["suggested_technician_id"] == "tech.bj01.body"
    # tech.bj01 carries DIAG-01 already: the other mechanic is suggested
    assert ready["DIAG-02"]["suggested_technician_id"] == "tech.bj01.2"
    assert columns["in_progress"]["jobs"][0]["suggested_technician_id"] is None
    assert columns["waiting_for_parts"]["jobs"][0]["suggested_technician_id"] is None


async def test_board_is_per_station(workshop) -> None:
    await workshop.publish(order_created(diagnosis()), station_id="bj01")
    other = (await workshop.client.get("/board", headers=auth_headers("foreman.sh01"))).json()
    assert sum(c["count"] for c in other["columns"]) == 0
    hidden = await workshop.client.get(
        "/board", params={"station_id": "bj01"}, headers=auth_headers("foreman.sh01")
    )
    assert hidden.status_code == 404
    group = await workshop.client.get("/board", headers=auth_headers("group.manager"))
    assert group.status_code == 422
    assert group.json()["detail"][0]["loc"][-1] == "station_id"
    chosen = await workshop.client.get(
        "/board", params={"station_id": "bj01"}, headers=auth_headers("group.manager")
    )
    assert sum(c["count"] for c in chosen.json()["columns"]) == 1


async def test_reserved_parts_make_the_job_ready_for_dispatch(workshop) -> None:
    event = order_created()
    await workshop.publish(event)
    await reserve_all(workshop, event.order_id)
    [job] = await jobs_of(workshop, event.order_id)
    assert job.status == JobStatus.READY
    assert (await dispatch(workshop, job.id)).status_code == 200
