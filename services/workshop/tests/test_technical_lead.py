"""A comeback repair is checked together with the technical lead (process §6: 返修, 一次修复):
its final inspection passes only with a lead technician of the station who is neither the
inspector nor one who worked on the repair."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.workshop.models import JobStatus
from services.workshop.tests.builders import labour_line, order_created
from services.workshop.tests.flow import clock_off, clock_on, dispatch, finish_dispatched, outbox
from services.workshop.tests.flow import jobs_of as jobs
from shared import clock
from shared.testing import auth_headers

MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def manual_clock():
    with clock.driven(clock.ManualClock(MONDAY)) as driven:
        yield driven


def light_job(code: str = "DIAG-01"):
    return labour_line(code, "0.5", major_system=None)


async def comeback_waiting_for_inspection(workshop, manual_clock, technician: str = "tech.bj01.2"):
    """刹车异响: repaired by tech.bj01.2, back five days later, repaired again by
    ``technician``; the comeback's work waits for the final inspection."""
    first = order_created(light_job()).model_copy(update={"complaint": "刹车时有异响"})
    await workshop.publish(first)
    for job in await jobs(workshop, first.order_id):
        await finish_dispatched(workshop, job.id, "tech.bj01.2")
    manual_clock.advance(timedelta(days=5))
    back = order_created(light_job()).model_copy(update={"complaint": "刹车异响又出现了"})
    await workshop.publish(back)
    for job in await jobs(workshop, back.order_id):
        await finish_dispatched(workshop, job.id, technician)
    shown = await workshop.client.get(
        f"/orders/{back.order_id}", headers=auth_headers("inspector.bj01")
    )
    assert shown.json()["comeback_of"] == str(first.order_id)
    return back


async def inspect(workshop, order_id, lead: str | None = None, **extra: Any):
    body: dict[str, Any] = {"checklist": [{"item": "complaint fixed", "ok": True}], **extra}
    if lead is not None:
        body["technical_lead_id"] = lead
    return await workshop.client.post(
        f"/orders/{order_id}/inspections", json=body, headers=auth_headers("inspector.bj01")
    )


async def test_a_comeback_repair_does_not_pass_without_the_technical_lead(
    workshop, manual_clock
) -> None:
    back = await comeback_waiting_for_inspection(workshop, manual_clock)
    refused = await inspect(workshop, back.order_id)
    assert refused.status_code == 422
    [detail] = refused.json()["detail"]
    assert detail["loc"][-1] == "technical_lead_id"
    assert "technical lead" in detail["msg"]
    assert await outbox(workshop, "inspection.passed") == []
    assert [j.status for j in await jobs(workshop, back.order_id)] == [JobStatus.IN_INSPECTION]
    assert len(await outbox(workshop, "vehicle.completed")) == 1  # the original's only

    together = await inspect(workshop, back.order_id, lead="tech.bj01")
    assert together.status_code == 201, together.text
    assert together.json()["technical_lead_id"] == "tech.bj01"
    [passed] = await outbox(workshop, "inspection.passed")
    assert passed["payload"]["order_id"] == str(back.order_id)
    assert passed["payload"]["technical_lead_id"] == "tech.bj01"
    assert [v["payload"]["comeback"] for v in await outbox(workshop, "vehicle.completed")] == [
        False,
        True,
    ]


async def test_a_comeback_sent_back_to_its_technician_needs_no_technical_lead(
    workshop, manual_clock
) -> None:
    back = await comeback_waiting_for_inspection(workshop, manual_clock)
    [job] = await jobs(workshop, back.order_id)
    failed = await inspect(
        workshop,
        back.order_id,
        checklist=[{"item": "complaint fixed", "ok": False}],
        failed_jobs=[{"job_id": str(job.id), "reason": "still squeals"}],
    )
    assert failed.status_code == 201, failed.text
    assert failed.json()["passed"] is False
    assert len(await outbox(workshop, "inspection.failed")) == 1


async def test_the_technical_lead_is_not_one_who_worked_on_the_repair(
    workshop, manual_clock
) -> None:
    # tech.bj01 (level 3, a lead) did the comeback repair himself: he cannot check it
    back = await comeback_waiting_for_inspection(workshop, manual_clock, technician="tech.bj01")
    own_work = await inspect(workshop, back.order_id, lead="tech.bj01")
    assert own_work.status_code == 422
    assert own_work.json()["detail"][0]["loc"][-1] == "technical_lead_id"
    assert "worked on this repair" in own_work.json()["detail"][0]["msg"]
    assert await outbox(workshop, "inspection.passed") == []


async def test_a_lead_who_clocked_on_the_comeback_job_did_work_on_it(
    workshop, manual_clock
) -> None:
    """A lead who clocked some time on the job (helping out) worked on it too, even if the
    job was dispatched to someone else."""
    first = order_created(light_job()).model_copy(update={"complaint": "刹车时有异响"})
    await workshop.publish(first)
    for job in await jobs(workshop, first.order_id):
        await finish_dispatched(workshop, job.id, "tech.bj01.2")
    manual_clock.advance(timedelta(days=5))
    back = order_created(light_job()).model_copy(update={"complaint": "刹车异响"})
    await workshop.publish(back)
    [job] = await jobs(workshop, back.order_id)
    await dispatch(workshop, job.id, "tech.bj01")
    await clock_on(workshop, job.id, "tech.bj01")
    await clock_off(workshop, job.id, "handed on", user="tech.bj01")
    await finish_dispatched(workshop, job.id, "tech.bj01.2")
    helped = await inspect(workshop, back.order_id, lead="tech.bj01")
    assert helped.status_code == 422
    assert "worked on this repair" in helped.json()["detail"][0]["msg"]


async def test_the_technical_lead_is_a_lead_technician_of_the_station_not_the_inspector(
    workshop, manual_clock
) -> None:
    back = await comeback_waiting_for_inspection(workshop, manual_clock)
    foreman = auth_headers("foreman.bj01")
    for technician_id, level in (("tech.bj01.junior", 2), ("inspector.bj01", 4)):
        added = await workshop.client.post(
            "/technicians",
            json={
                "technician_id": technician_id,
                "name": technician_id,
                "skills": ["mechanical"],
                "certification_level": level,
            },
            headers=foreman,
        )
        assert added.status_code == 201, added.text
    refusals = {
        "tech.bj01.junior": "level 3 or above",  # level 2: not a lead
        "tech.bj01.body": "level 3 or above",  # level 2 body technician
        "tech.sh01": "not an active technician of station bj01",  # another station's lead
        "nobody.bj01": "not an active technician of station bj01",
        "inspector.bj01": "another person than the inspector",
    }
    for lead, reason in refusals.items():
        refused = await inspect(workshop, back.order_id, lead=lead)
        assert refused.status_code == 422, (lead, refused.text)
        assert refused.json()["detail"][0]["loc"][-1] == "technical_lead_id"
        assert reason in refused.json()["detail"][0]["msg"], (lead, refused.text)
    assert await outbox(workshop, "inspection.passed") == []
    assert (await inspect(workshop, back.order_id, lead="tech.bj01")).status_code == 201


async def test_an_order_that_is_no_comeback_passes_with_the_inspector_alone(workshop) -> None:
    event = order_created(labour_line("BRK-010", "1.2"))
    await workshop.publish(event)
    [job] = await jobs(workshop, event.order_id)
    await finish_dispatched(workshop, job.id)
    alone = await inspect(workshop, event.order_id)
    assert alone.status_code == 201, alone.text
    assert alone.json()["technical_lead_id"] is None
