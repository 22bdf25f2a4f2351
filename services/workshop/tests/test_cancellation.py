"""A cancelled order (``order.cancelled``) leaves the workshop cleanly: open jobs cancelled,
running clocks stopped, part requests not drawn lapse, drawn parts go back to the counter,
open questions closed; announced again, it changes nothing."""

from __future__ import annotations

import uuid
from decimal import Decimal

from services.workshop.models import JobPartStatus, JobStatus
from services.workshop.tests.builders import labour_line, order_created, part_line
from services.workshop.tests.flow import (
    clock_on,
    dispatch,
    jobs_of,
    outbox,
    parts_of,
    reserve_all,
)
from shared.contracts import events
from shared.testing import ServiceHarness, auth_headers


async def clockings(workshop: ServiceHarness, job_id: uuid.UUID) -> list[dict]:
    response = await workshop.client.get(
        f"/jobs/{job_id}/clockings", headers=auth_headers("foreman.bj01")
    )
    return response.json()


async def test_cancelled_order_stops_running_clocks_and_closes_open_jobs(workshop) -> None:
    event = order_created(labour_line("DIAG-01", "0.5", major_system=None))
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    await dispatch(workshop, job.id)
    assert (await clock_on(workshop, job.id)).status_code == 200
    await workshop.publish(events.OrderCancelled(order_id=event.order_id, reason="customer left"))
    [cancelled] = await jobs_of(workshop, event.order_id)
    assert cancelled.status == JobStatus.CANCELLED
    [entry] = await clockings(workshop, job.id)
    assert entry["ended_at"] is not None
    assert entry["pause_reason"] == "order cancelled"
    # the technician is free for another job
    other = order_created(labour_line("WIP-001", "0.2", major_system=None))
    await workshop.publish(other)
    [next_job] = await jobs_of(workshop, other.order_id)
    await dispatch(workshop, next_job.id)
    assert (await clock_on(workshop, next_job.id)).status_code == 200


async def test_cancelled_orders_part_requests_lapse_and_drawn_parts_are_to_be_returned(
    workshop,
) -> None:
    brakes = labour_line()
    pads, discs = part_line("PADS", labour=brakes), part_line("DISCS", "2", labour=brakes)
    event = order_created(brakes, pads, discs)
    await workshop.publish(event)
    await reserve_all(workshop, event.order_id)
    [job] = await jobs_of(workshop, event.order_id)
    # the pads were drawn at the counter; the discs not yet
    await workshop.publish(
        events.ItemIssued(
            reservation_id=uuid.uuid4(),
            order_id=event.order_id,
            job_id=job.id,
            part_no="PADS",
            quantity=Decimal("1"),
        )
    )
    await workshop.publish(events.OrderCancelled(order_id=event.order_id, reason="customer left"))
    statuses = {p.part_no: p.status for p in await parts_of(workshop, job.id)}
    assert statuses == {"DISCS": JobPartStatus.CANCELLED, "PADS": JobPartStatus.TO_RETURN}
    [cancelled] = await jobs_of(workshop, event.order_id)
    assert "return drawn parts PADS" in (cancelled.waiting_reason or "")
    # the pads come back to the counter: nothing left to return
    await workshop.publish(
        events.ItemReturned(
            reservation_id=uuid.uuid4(),
            order_id=event.order_id,
            job_id=job.id,
            part_no="PADS",
            quantity=Decimal("1"),
        )
    )
    statuses = {p.part_no: p.status for p in await parts_of(workshop, job.id)}
    assert statuses == {"DISCS": JobPartStatus.CANCELLED, "PADS": JobPartStatus.CANCELLED}


async def test_parts_news_after_the_cancellation_does_not_revive_a_lapsed_request(
    workshop,
) -> None:
    event = order_created()
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    [part] = await parts_of(workshop, job.id)
    await workshop.publish(events.OrderCancelled(order_id=event.order_id, reason="customer left"))
    await workshop.publish(
        events.ItemReserved(
            reservation_id=uuid.uuid4(),
            request_id=part.request_id,
            order_id=event.order_id,
            job_id=job.id,
            part_no=part.part_no,
            quantity=part.quantity,
        )
    )
    [still] = await parts_of(workshop, job.id)
    assert still.status == JobPartStatus.CANCELLED
    [cancelled] = await jobs_of(workshop, event.order_id)
    assert cancelled.status == JobStatus.CANCELLED


async def test_cancelled_order_closes_its_pending_findings_overrun_requests_and_tac_cases(
    workshop,
) -> None:
    diagnosis = labour_line("DIAG-01", "0.5", major_system=None)
    wipers = labour_line("WIP-001", "0.2", major_system=None)
    event = order_created(diagnosis, wipers)
    await workshop.publish(event)
    diag_job, wiper_job = await jobs_of(workshop, event.order_id)
    headers = auth_headers("tech.bj01")
    await dispatch(workshop, diag_job.id)
    await dispatch(workshop, wiper_job.id)
    finding = await workshop.client.post(
        f"/jobs/{diag_job.id}/findings", json={"description": "worn discs"}, headers=headers
    )
    assert finding.status_code == 201
    overrun = await workshop.client.post(
        f"/jobs/{wiper_job.id}/overrun-requests",
        json={"reason": "arm seized", "extra_hours": "0.5"},
        headers=headers,
    )
    assert overrun.status_code == 201
    case = await workshop.client.post(
        f"/jobs/{wiper_job.id}/tac-cases",
        json={"symptom": "wiper motor stalls", "tried": "new fuse"},
        headers=headers,
    )
    assert case.status_code == 201
    await workshop.publish(events.OrderCancelled(order_id=event.order_id, reason="customer left"))
    findings = (await workshop.client.get(f"/jobs/{diag_job.id}/findings", headers=headers)).json()
    assert findings[0]["status"] == "cancelled"
    request = (
        await workshop.client.get(f"/overrun-requests/{overrun.json()['id']}", headers=headers)
    ).json()
    assert request["status"] == "cancelled"
    tac = (await workshop.client.get(f"/tac-cases/{case.json()['id']}", headers=headers)).json()
    assert tac["status"] == "closed"
    assert "order cancelled" in tac["outcome"]


async def test_order_cancelled_announced_twice_changes_nothing_the_second_time(workshop) -> None:
    event = order_created(labour_line("DIAG-01", "0.5", major_system=None))
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    await dispatch(workshop, job.id)
    await clock_on(workshop, job.id)
    cancellation = events.OrderCancelled(order_id=event.order_id, reason="customer left")
    await workshop.publish(cancellation)
    [first] = await jobs_of(workshop, event.order_id)
    entries = await clockings(workshop, job.id)
    # the same cancellation under a new event id (a re-announcement), and the very same event
    await workshop.publish(cancellation)
    envelope = await workshop.publish(
        events.OrderCancelled(order_id=event.order_id, reason="cancelled again")
    )
    await workshop.publish_envelope(envelope)
    [second] = await jobs_of(workshop, event.order_id)
    assert second.version == first.version
    assert second.waiting_reason == "order cancelled: customer left"
    assert await clockings(workshop, job.id) == entries
    assert await workshop.runtime.consumer.dead_letters() == []
    assert await outbox(workshop, "vehicle.completed") == []
