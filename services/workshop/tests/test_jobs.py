"""Workshop service tests on faststream's test broker and SQLite."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from services.workshop.models import (
    JobPart,
    JobPartStatus,
    JobStatus,
    WorkshopOrder,
    WorkshopOrderStatus,
)
from services.workshop.tests.builders import VIN, labour_line, order_created, part_line
from services.workshop.tests.flow import complete, dispatch, jobs_of, outbox, parts_of
from shared.contracts import events
from shared.testing import ServiceHarness, auth_headers


async def reserve(workshop: ServiceHarness, part: JobPart, order_id: uuid.UUID) -> None:
    await workshop.publish(
        events.ItemReserved(
            reservation_id=uuid.uuid4(),
            request_id=part.request_id,
            order_id=order_id,
            job_id=part.job_id,
            part_no=part.part_no,
            quantity=part.quantity,
        )
    )


# --- order.created: jobs and part requests ----------------------------------------------


async def test_order_created_makes_one_job_per_labour_line_and_requests_its_parts(workshop) -> None:
    brakes = labour_line("BRK-010", "1.2")
    oil = labour_line("OIL-001", "0.5", skill="maintenance", major_system=None)
    event = order_created(
        brakes,
        part_line("1K0698151A", "1", labour=brakes),
        oil,
        part_line("06L115562", "1", labour=oil),
        part_line("G052195M4", "4.5", labour=oil),
    )
    envelope = await workshop.publish(event, station_id="bj01")

    jobs = await jobs_of(workshop, event.order_id)
    assert [(j.operation_code, j.sold_hours, j.skill, j.major_system) for j in jobs] == [
        ("BRK-010", Decimal("1.2"), "mechanical", "brakes"),
        ("OIL-001", Decimal("0.5"), "maintenance", None),
    ]
    assert all(j.station_id == "bj01" for j in jobs)
    assert all(j.status == JobStatus.WAITING_FOR_PARTS for j in jobs)
    assert all(j.waiting_reason == "parts requested" for j in jobs)
    brake_job, oil_job = jobs
    assert [p.part_no for p in await parts_of(workshop, brake_job.id)] == ["1K0698151A"]
    oil_parts = await parts_of(workshop, oil_job.id)
    assert [(p.part_no, p.quantity) for p in oil_parts] == [
        ("06L115562", Decimal("1")),
        ("G052195M4", Decimal("4.5")),
    ]
    assert all(p.status == JobPartStatus.REQUESTED for p in oil_parts)

    requested = await outbox(workshop, "item.requested")
    assert len(requested) == 3
    by_part = {r["payload"]["part_no"]: r for r in requested}
    assert by_part["G052195M4"]["payload"]["job_id"] == str(oil_job.id)
    assert Decimal(by_part["G052195M4"]["payload"]["quantity"]) == Decimal("4.5")
    assert by_part["1K0698151A"]["payload"]["job_id"] == str(brake_job.id)
    for message in requested:
        assert message["payload"]["order_id"] == str(event.order_id)
        assert message["station_id"] == "bj01"
        assert message["causation_id"] == str(envelope.event_id)
    request_ids = {uuid.UUID(r["payload"]["request_id"]) for r in requested}
    assert request_ids == {
        p.request_id for p in [*await parts_of(workshop, brake_job.id), *oil_parts]
    }

    async with workshop.runtime.db.read() as session:
        order = await session.get(WorkshopOrder, event.order_id)
    assert order is not None
    assert (order.vin, order.station_id, order.status) == (VIN, "bj01", WorkshopOrderStatus.OPEN)
    assert order.inspection_required is False  # the brakes explain the flag: only they
    assert [j.inspection_required for j in jobs] == [True, False]


async def test_labour_job_without_parts_is_ready_at_once(workshop) -> None:
    event = order_created(labour_line("DIAG-01", "0.5", major_system=None))
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    assert job.status == JobStatus.READY
    assert job.waiting_reason is None
    assert await outbox(workshop, "item.requested") == []


async def test_part_without_labour_line_goes_to_the_first_job(workshop) -> None:
    brakes = labour_line("BRK-010")
    wipers = labour_line("WIP-001", "0.2", major_system=None)
    event = order_created(brakes, wipers, part_line("WIPER-BLADE"))
    await workshop.publish(event)
    brake_job, wiper_job = await jobs_of(workshop, event.order_id)
    assert [p.part_no for p in await parts_of(workshop, brake_job.id)] == ["WIPER-BLADE"]
    assert brake_job.status == JobStatus.WAITING_FOR_PARTS
    assert wiper_job.status == JobStatus.READY


async def test_order_of_parts_only_gets_one_parts_only_job_of_zero_hours(workshop) -> None:
    event = order_created(part_line("BULB-H7", "2"), part_line("FUSE-10A"))
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    assert job.description == "parts only"
    assert job.sold_hours == Decimal("0")
    assert job.labour_line_id is None
    assert len(await parts_of(workshop, job.id)) == 2
    assert len(await outbox(workshop, "item.requested")) == 2


async def test_redelivered_order_created_creates_no_second_set_of_jobs(workshop) -> None:
    event = order_created()
    envelope = await workshop.publish(event)
    await workshop.publish_envelope(envelope)
    assert len(await jobs_of(workshop, event.order_id)) == 1
    assert len(await outbox(workshop, "item.requested")) == 1
    assert workshop.runtime.consumer.counts["handled"] == 1
    assert workshop.runtime.consumer.counts["duplicate"] == 1


async def test_order_announced_again_under_a_new_event_id_creates_no_second_set_of_jobs(
    workshop,
) -> None:
    event = order_created()
    await workshop.publish(event)
    await workshop.publish(event)  # a second envelope (new event id) with the same order
    assert len(await jobs_of(workshop, event.order_id)) == 1
    assert len(await outbox(workshop, "item.requested")) == 1


async def test_order_with_a_part_of_no_quantity_is_dead_lettered(workshop) -> None:
    event = order_created(labour_line(), part_line(quantity="0"))
    await workshop.publish(event)
    assert await jobs_of(workshop, event.order_id) == []
    [letter] = await workshop.runtime.consumer.dead_letters()
    assert letter.reason == "rejected"
    assert "quantity above 0" in letter.error


# --- parts answers ----------------------------------------------------------------------


async def test_job_is_ready_when_all_its_parts_are_reserved(workshop) -> None:
    oil = labour_line("OIL-001", "0.5", major_system=None)
    event = order_created(oil, part_line("06L115562", labour=oil), part_line("G052195M4", "4.5"))
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    filter_part, oil_part = await parts_of(workshop, job.id)

    await reserve(workshop, filter_part, event.order_id)
    [job] = await jobs_of(workshop, event.order_id)
    assert job.status == JobStatus.WAITING_FOR_PARTS  # the oil is not reserved yet
    assert job.waiting_reason == "parts requested"

    await reserve(workshop, oil_part, event.order_id)
    [job] = await jobs_of(workshop, event.order_id)
    assert job.status == JobStatus.READY
    assert job.waiting_reason is None
    assert all(p.status == JobPartStatus.RESERVED for p in await parts_of(workshop, job.id))


async def test_backordered_part_keeps_job_waiting_with_reason(workshop) -> None:
    event = order_created()
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    [part] = await parts_of(workshop, job.id)
    await workshop.publish(
        events.ItemBackordered(
            request_id=part.request_id,
            order_id=event.order_id,
            job_id=job.id,
            part_no=part.part_no,
            quantity_reserved=Decimal("0"),
            quantity_short=Decimal("2"),
            expected_on=date(2026, 12, 1),
        )
    )
    [job] = await jobs_of(workshop, event.order_id)
    assert job.status == JobStatus.WAITING_FOR_PARTS
    assert job.waiting_reason == "waiting for part 1K0698151A (short 2, expected 2026-12-01)"
    [part] = await parts_of(workshop, job.id)
    assert part.status == JobPartStatus.BACKORDERED
    assert part.expected_on == date(2026, 12, 1)

    response = await workshop.client.get(f"/jobs/{job.id}", headers=auth_headers("foreman.bj01"))
    assert response.json()["waiting_reason"].startswith("waiting for part 1K0698151A")

    await reserve(workshop, part, event.order_id)  # the delivery came in
    [job] = await jobs_of(workshop, event.order_id)
    assert job.status == JobStatus.READY
    assert job.waiting_reason is None


async def test_backorder_with_nothing_short_counts_as_reserved(workshop) -> None:
    event = order_created()
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    [part] = await parts_of(workshop, job.id)
    await workshop.publish(
        events.ItemBackordered(
            request_id=part.request_id,
            order_id=event.order_id,
            job_id=job.id,
            part_no=part.part_no,
            quantity_reserved=part.quantity,
            quantity_short=Decimal("0"),
        )
    )
    [job] = await jobs_of(workshop, event.order_id)
    assert job.status == JobStatus.READY
    [part] = await parts_of(workshop, job.id)
    assert part.status == JobPartStatus.RESERVED


async def test_reservation_of_an_unknown_request_is_dead_lettered(workshop) -> None:
    await workshop.publish(
        events.ItemReserved(
            reservation_id=uuid.uuid4(),
            request_id=uuid.uuid4(),
            order_id=uuid.uuid4(),
            job_id=uuid.uuid4(),
            part_no="1K0698151A",
            quantity=Decimal("1"),
        )
    )
    [letter] = await workshop.runtime.consumer.dead_letters()
    assert letter.reason == "rejected"
    assert "no part request" in letter.error


# --- completion -------------------------------------------------------------------------


async def test_completion_of_last_job_emits_vehicle_completed(workshop) -> None:
    wipers = labour_line("WIP-001", "0.2", major_system=None)
    diagnosis = labour_line("DIAG-01", "0.5", major_system=None)
    event = order_created(wipers, diagnosis)
    await workshop.publish(event)
    diag_job, wiper_job = await jobs_of(workshop, event.order_id)
    for job in (diag_job, wiper_job):
        assert (await dispatch(workshop, job.id)).status_code == 200

    first = await complete(workshop, diag_job.id, "0.4")
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "done"  # no major system: no final inspection
    assert first.json()["technician_id"] == "tech.bj01"
    assert await outbox(workshop, "vehicle.completed") == []  # the wipers are not done yet

    last = await complete(workshop, wiper_job.id, "0.3", user="foreman.bj01")
    assert last.status_code == 200, last.text

    completed_jobs = await outbox(workshop, "job.completed")
    assert [m["payload"]["job_id"] for m in completed_jobs] == [str(diag_job.id), str(wiper_job.id)]
    assert completed_jobs[0]["correlation_id"] == str(event.order_id)
    assert Decimal(completed_jobs[0]["payload"]["clocked_hours"]) == Decimal("0.4")
    assert completed_jobs[1]["payload"]["technician_id"] == "tech.bj01"  # closed by the foreman
    [vehicle] = await outbox(workshop, "vehicle.completed")
    assert vehicle["station_id"] == "bj01"
    assert vehicle["correlation_id"] == str(event.order_id)
    assert vehicle["payload"]["order_id"] == str(event.order_id)
    assert vehicle["payload"]["vin"] == VIN
    assert Decimal(vehicle["payload"]["clocked_hours"]) == Decimal("0.7")
    assert Decimal(vehicle["payload"]["sold_hours"]) == Decimal("0.7")
    assert {d["operation_code"] for d in vehicle["payload"]["labour_done"]} == {
        "WIP-001",
        "DIAG-01",
    }
    assert vehicle["payload"]["comeback"] is False
    async with workshop.runtime.db.read() as session:
        order = await session.get(WorkshopOrder, event.order_id)
    assert order is not None and order.status == WorkshopOrderStatus.COMPLETED
    assert order.completed_at is not None and order.completed_at.tzinfo is not None


async def test_completing_a_job_waiting_for_parts_is_409(workshop) -> None:
    event = order_created()
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    response = await complete(workshop, job.id, "1.0", user="foreman.bj01")
    assert response.status_code == 409
    assert "waiting_for_parts" in response.json()["detail"][0]["msg"]
    assert await outbox(workshop, "job.completed") == []


async def test_completing_a_job_nobody_was_dispatched_is_409(workshop) -> None:
    event = order_created(labour_line("DIAG-01", "0.5", major_system=None))
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    response = await complete(workshop, job.id, "0.5")
    assert response.status_code == 409
    assert "dispatches it first" in response.json()["detail"][0]["msg"]


async def test_completing_a_done_job_again_is_409(workshop) -> None:
    event = order_created(labour_line("DIAG-01", "0.5", major_system=None))
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    await dispatch(workshop, job.id)
    assert (await complete(workshop, job.id, "0.5")).status_code == 200
    again = await complete(workshop, job.id, "0.5")
    assert again.status_code == 409
    assert len(await outbox(workshop, "vehicle.completed")) == 1


async def test_bad_clocked_hours_are_a_422_naming_the_field(workshop) -> None:
    event = order_created(labour_line("DIAG-01", "0.5", major_system=None))
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    await dispatch(workshop, job.id)
    for bad in ("-1", "0.125", "many"):
        response = await complete(workshop, job.id, bad)
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"][-1] == "clocked_hours"


async def test_only_the_technician_or_foreman_complete_jobs(workshop) -> None:
    event = order_created(labour_line("DIAG-01", "0.5", major_system=None))
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    await dispatch(workshop, job.id, technician="tech.bj01.2")
    assert (await complete(workshop, job.id, "0.5", user="advisor.bj01")).status_code == 403
    assert (await complete(workshop, job.id, "0.5", user="inspector.bj01")).status_code == 403
    other = await complete(workshop, job.id, "0.5", user="tech.bj01")
    assert other.status_code == 409
    assert "tech.bj01.2" in other.json()["detail"][0]["msg"]


# --- station scoping --------------------------------------------------------------------


async def test_job_of_another_station_is_404(workshop) -> None:
    event = order_created(labour_line("DIAG-01", "0.5", major_system=None))
    await workshop.publish(event, station_id="bj01")
    [job] = await jobs_of(workshop, event.order_id)

    other = await workshop.client.get(f"/jobs/{job.id}", headers=auth_headers("foreman.sh01"))
    assert other.status_code == 404
    completion = await complete(workshop, job.id, "0.5", user="tech.sh01")
    assert completion.status_code == 404
    dispatched = await dispatch(workshop, job.id, "tech.sh01", user="foreman.sh01")
    assert dispatched.status_code == 404
    clocked = await workshop.client.post(
        f"/jobs/{job.id}/clock-on", headers=auth_headers("tech.sh01")
    )
    assert clocked.status_code == 404  # not onto another station's job
    listed = await workshop.client.get("/jobs", headers=auth_headers("foreman.sh01"))
    assert listed.json() == {"data": [], "count": 0}
    group = await workshop.client.get(f"/jobs/{job.id}", headers=auth_headers("group.manager"))
    assert group.status_code == 200


async def test_job_list_filters_by_order_and_status(workshop) -> None:
    first = order_created()  # brake job waiting for its pads
    second = order_created(labour_line("DIAG-01", "0.5", major_system=None))
    await workshop.publish(first)
    await workshop.publish(second)
    headers = auth_headers("foreman.bj01")

    everything = (await workshop.client.get("/jobs", headers=headers)).json()
    assert everything["count"] == 2
    waiting = (
        await workshop.client.get("/jobs", params={"status": "waiting_for_parts"}, headers=headers)
    ).json()
    assert [j["order_id"] for j in waiting["data"]] == [str(first.order_id)]
    assert waiting["data"][0]["parts"][0]["part_no"] == "1K0698151A"
    of_second = (
        await workshop.client.get(
            "/jobs", params={"order_id": str(second.order_id)}, headers=headers
        )
    ).json()
    assert of_second["count"] == 1
    assert of_second["data"][0]["operation_code"] == "DIAG-01"
    assert of_second["data"][0]["status"] == "ready"


# --- cancellation and the order view ----------------------------------------------------


async def test_cancelled_order_takes_its_unfinished_jobs_off_the_board(workshop) -> None:
    wipers = labour_line("WIP-001", "0.2", major_system=None)
    diagnosis = labour_line("DIAG-01", "0.5", major_system=None)
    event = order_created(wipers, diagnosis)
    await workshop.publish(event)
    diag_job, wiper_job = await jobs_of(workshop, event.order_id)
    await dispatch(workshop, diag_job.id)
    assert (await complete(workshop, diag_job.id, "0.5")).status_code == 200
    await dispatch(workshop, wiper_job.id)
    await workshop.client.post(f"/jobs/{wiper_job.id}/clock-on", headers=auth_headers("tech.bj01"))
    await workshop.publish(events.OrderCancelled(order_id=event.order_id, reason="customer left"))

    done, cancelled = await jobs_of(workshop, event.order_id)
    assert done.status == JobStatus.DONE
    assert cancelled.status == JobStatus.CANCELLED
    assert cancelled.waiting_reason == "order cancelled: customer left"
    board = (await workshop.client.get("/board", headers=auth_headers("foreman.bj01"))).json()
    assert sum(c["count"] for c in board["columns"]) == 0
    refused = await workshop.client.post(
        f"/jobs/{wiper_job.id}/clock-on", headers=auth_headers("tech.bj01")
    )
    assert refused.status_code == 409
    order = await workshop.client.get(
        f"/orders/{event.order_id}", headers=auth_headers("foreman.bj01")
    )
    assert order.json()["status"] == "cancelled"
    assert await outbox(workshop, "vehicle.completed") == []


async def test_order_view_shows_its_jobs_and_is_per_station(workshop) -> None:
    event = order_created()
    await workshop.publish(event)
    own = await workshop.client.get(f"/orders/{event.order_id}", headers=auth_headers("tech.bj01"))
    assert own.status_code == 200
    assert own.json()["order_no"] == event.order_no
    assert [j["operation_code"] for j in own.json()["jobs"]] == ["BRK-010"]
    assert own.json()["comeback_of"] is None
    other = await workshop.client.get(
        f"/orders/{event.order_id}", headers=auth_headers("foreman.sh01")
    )
    assert other.status_code == 404
