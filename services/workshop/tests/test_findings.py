"""Additional findings wait for the customer's answer (process §5: 追加维修项目)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from services.workshop.models import JobStatus
from services.workshop.tests.builders import labour_line, order_created
from services.workshop.tests.flow import (
    clock_on,
    complete,
    dispatch,
    jobs_of,
    outbox,
)
from shared.contracts import events
from shared.testing import auth_headers

FINDING = {
    "description": "rear brake discs worn below limit",
    "safety_relevant": True,
    "suggested_lines": [
        {
            "kind": "labour",
            "code": "BRK-020",
            "description": "更换后刹车盘",
            "hours": "1.5",
            "unit_price": "450",
        },
        {"kind": "part", "code": "5Q0615601A", "description": "后刹车盘", "quantity": "2"},
    ],
    "photos": ["https://photos.example/disc.jpg"],
    "estimated_delay_minutes": 90,
}


async def job_in_progress(workshop):
    event = order_created(labour_line("DIAG-01", "0.5", major_system=None))
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    await dispatch(workshop, job.id)
    await clock_on(workshop, job.id)
    return event, job


async def report(workshop, job_id, body=None, user="tech.bj01"):
    return await workshop.client.post(
        f"/jobs/{job_id}/findings", json=body or FINDING, headers=auth_headers(user)
    )


async def test_reported_finding_is_announced_and_the_job_waits_for_approval(workshop) -> None:
    event, job = await job_in_progress(workshop)
    response = await report(workshop, job.id)
    assert response.status_code == 201, response.text
    finding = response.json()
    assert finding["status"] == "pending"
    assert finding["photos"] == FINDING["photos"]
    [message] = await outbox(workshop, "work.additional_found")
    payload = message["payload"]
    assert payload["finding_id"] == finding["id"]
    assert payload["order_id"] == str(event.order_id)
    assert payload["job_id"] == str(job.id)
    assert payload["safety_relevant"] is True
    assert payload["estimated_delay_minutes"] == 90
    assert payload["reported_by"] == "tech.bj01"
    assert [line["code"] for line in payload["suggested_lines"]] == ["BRK-020", "5Q0615601A"]
    [waiting] = await jobs_of(workshop, event.order_id)
    assert waiting.status == JobStatus.WAITING_FOR_APPROVAL
    assert "rear brake discs" in (waiting.waiting_reason or "")
    # the technician was clocked off when reporting, and cannot clock on while it waits
    refused = await clock_on(workshop, job.id)
    assert refused.status_code == 409
    assert "approval" in refused.json()["detail"][0]["msg"]
    assert (await complete(workshop, job.id)).status_code == 409


async def test_approved_finding_becomes_new_jobs_with_their_parts_and_the_job_resumes(
    workshop,
) -> None:
    event, job = await job_in_progress(workshop)
    finding_id = (await report(workshop, job.id)).json()["id"]
    disc_labour = events.OrderLine(
        line_id=uuid.uuid4(),
        kind=events.LineKind.LABOUR,
        code="BRK-020",
        description="更换后刹车盘",
        hours=Decimal("1.5"),
        unit_price=Decimal("450"),
        skill="mechanical",
        major_system="brakes",
    )
    disc_part = events.OrderLine(
        line_id=uuid.uuid4(),
        kind=events.LineKind.PART,
        code="5Q0615601A",
        description="后刹车盘",
        quantity=Decimal("2"),
        unit_price=Decimal("600"),
        labour_line_id=disc_labour.line_id,
    )
    approved = events.WorkAdditionalApproved(
        finding_id=uuid.UUID(finding_id),
        order_id=event.order_id,
        lines=[disc_labour, disc_part],
        approved_at=datetime.now(UTC),
    )
    await workshop.publish(approved)
    await workshop.publish(approved)  # announced twice: one set of new jobs

    new_job, original = await jobs_of(workshop, event.order_id)  # BRK-020, DIAG-01
    assert new_job.operation_code == "BRK-020"
    assert new_job.status == JobStatus.WAITING_FOR_PARTS
    assert new_job.inspection_required
    assert original.status == JobStatus.PAUSED  # resumes: the technician clocks on again
    [request] = await outbox(workshop, "item.requested")
    assert request["payload"]["job_id"] == str(new_job.id)
    assert request["payload"]["part_no"] == "5Q0615601A"
    assert Decimal(request["payload"]["quantity"]) == Decimal("2")
    assert new_job.finding_id == uuid.UUID(finding_id)
    assert (await clock_on(workshop, original.id)).status_code == 200
    findings = await workshop.client.get(
        f"/jobs/{original.id}/findings", headers=auth_headers("foreman.bj01")
    )
    assert findings.json()[0]["status"] == "approved"


async def test_declined_finding_is_recorded_on_the_job_and_the_job_resumes(workshop) -> None:
    event, job = await job_in_progress(workshop)
    finding_id = (await report(workshop, job.id)).json()["id"]
    await workshop.publish(
        events.WorkAdditionalDeclined(
            finding_id=uuid.UUID(finding_id),
            order_id=event.order_id,
            safety_relevant=True,
            declined_at=datetime.now(UTC),
            recorded_by="advisor.bj01",
            workshop_told="foreman.bj01",
        )
    )
    [resumed] = await jobs_of(workshop, event.order_id)
    assert resumed.status == JobStatus.PAUSED
    findings = (
        await workshop.client.get(f"/jobs/{job.id}/findings", headers=auth_headers("tech.bj01"))
    ).json()
    assert findings[0]["status"] == "declined"
    assert findings[0]["answer_recorded_by"] == "advisor.bj01"
    assert findings[0]["workshop_told"] == "foreman.bj01"
    assert findings[0]["answered_at"] is not None
    assert await outbox(workshop, "item.requested") == []
    await clock_on(workshop, job.id)
    assert (await complete(workshop, job.id)).json()["status"] == "done"


async def test_finding_bad_input_is_422_and_on_an_idle_job_409(workshop) -> None:
    _, job = await job_in_progress(workshop)
    empty = await report(workshop, job.id, {"description": ""})
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["loc"][-1] == "description"
    negative = await report(workshop, job.id, {"description": "x", "estimated_delay_minutes": -5})
    assert negative.json()["detail"][0]["loc"][-1] == "estimated_delay_minutes"
    idle = order_created(labour_line("WIP-001", "0.2", major_system=None))
    await workshop.publish(idle)
    [ready] = await jobs_of(workshop, idle.order_id)
    assert (await report(workshop, ready.id)).status_code == 409
    assert (await report(workshop, job.id, user="advisor.bj01")).status_code == 403
    assert await outbox(workshop, "work.additional_found") == []


async def test_answer_to_an_unknown_finding_is_dead_lettered(workshop) -> None:
    await workshop.publish(
        events.WorkAdditionalDeclined(
            finding_id=uuid.uuid4(),
            order_id=uuid.uuid4(),
            declined_at=datetime.now(UTC),
            recorded_by="advisor.bj01",
        )
    )
    [letter] = await workshop.runtime.consumer.dead_letters()
    assert "no finding" in letter.error


async def test_parts_of_approved_additional_work_are_requested_naming_their_finding(
    workshop,
) -> None:
    """Parts releases the reservations of a finding the customer withdraws: the request must
    say which finding the part is for; the order's own parts name none."""
    event = order_created()  # brake pads with their labour
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    [own_part] = await outbox(workshop, "item.requested")
    assert own_part["payload"]["finding_id"] is None
    await workshop.publish(
        events.ItemReserved(
            reservation_id=uuid.uuid4(),
            request_id=uuid.UUID(own_part["payload"]["request_id"]),
            order_id=event.order_id,
            job_id=job.id,
            part_no="1K0698151A",
            quantity=Decimal("1"),
        )
    )
    await dispatch(workshop, job.id)
    await clock_on(workshop, job.id)
    finding_id = uuid.UUID((await report(workshop, job.id)).json()["id"])
    disc = events.OrderLine(
        line_id=uuid.uuid4(),
        kind=events.LineKind.PART,
        code="5Q0615601A",
        description="后刹车盘",
        quantity=Decimal("2"),
        unit_price=Decimal("600"),
    )
    await workshop.publish(
        events.WorkAdditionalApproved(
            finding_id=finding_id,
            order_id=event.order_id,
            lines=[disc],
            approved_at=datetime.now(UTC),
        )
    )
    _, finding_part = await outbox(workshop, "item.requested")
    assert finding_part["payload"]["part_no"] == "5Q0615601A"
    assert finding_part["payload"]["finding_id"] == str(finding_id)
