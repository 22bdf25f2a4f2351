"""Final inspection before the vehicle is completed (process §6: 竣工检验, 路试, 返工)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from services.workshop.models import JobStatus, WorkshopOrder, WorkshopOrderStatus
from services.workshop.tests.builders import labour_line, order_created, part_line
from services.workshop.tests.flow import (
    clock_on,
    complete,
    dispatch,
    finish_dispatched,
    inspect,
    jobs_of,
    outbox,
    reserve_all,
)
from shared.contracts import events
from shared.testing import auth_headers


async def brake_order_finished(workshop) -> tuple[events.OrderCreated, uuid.UUID, uuid.UUID]:
    """A brake job (inspected) and a wiper job (not), both finished by tech.bj01."""
    brakes = labour_line("BRK-010", "1.2")
    wipers = labour_line("WIP-001", "0.2", major_system=None)
    event = order_created(brakes, part_line("1K0698151A", labour=brakes), wipers)
    await workshop.publish(event)
    await reserve_all(workshop, event.order_id)
    brake_job, wiper_job = await jobs_of(workshop, event.order_id)
    await finish_dispatched(workshop, brake_job.id)
    await finish_dispatched(workshop, wiper_job.id)
    return event, brake_job.id, wiper_job.id


async def test_brake_work_waits_for_final_inspection_before_vehicle_completed(workshop) -> None:
    event, brake_id, wiper_id = await brake_order_finished(workshop)
    brake_job, wiper_job = await jobs_of(workshop, event.order_id)
    assert brake_job.status == JobStatus.IN_INSPECTION
    assert brake_job.waiting_reason == "waiting for final inspection"
    assert wiper_job.status == JobStatus.DONE
    assert len(await outbox(workshop, "job.completed")) == 2
    assert await outbox(workshop, "vehicle.completed") == []

    response = await inspect(workshop, event.order_id)
    assert response.status_code == 201, response.text
    assert response.json()["passed"] is True
    assert response.json()["road_test"] is True

    [passed] = await outbox(workshop, "inspection.passed")
    assert passed["payload"]["order_id"] == str(event.order_id)
    assert passed["payload"]["inspector_id"] == "inspector.bj01"
    assert passed["payload"]["road_test"] is True
    [vehicle] = await outbox(workshop, "vehicle.completed")
    assert vehicle["payload"]["inspection_id"] == passed["payload"]["inspection_id"]
    assert {d["job_id"] for d in vehicle["payload"]["labour_done"]} == {
        str(brake_id),
        str(wiper_id),
    }
    assert all(d["technician_id"] == "tech.bj01" for d in vehicle["payload"]["labour_done"])
    assert [j.status for j in await jobs_of(workshop, event.order_id)] == [JobStatus.DONE] * 2


async def test_order_that_asks_for_inspection_gets_it_for_every_job(workshop) -> None:
    event = order_created(labour_line("WIP-001", "0.2", major_system=None)).model_copy(
        update={"inspection_required": True}
    )
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    assert job.inspection_required
    await finish_dispatched(workshop, job.id)
    assert (await jobs_of(workshop, event.order_id))[0].status == JobStatus.IN_INSPECTION
    assert await outbox(workshop, "vehicle.completed") == []


async def test_failed_inspection_sends_the_job_back_to_its_technician_as_rework(workshop) -> None:
    event, brake_id, _ = await brake_order_finished(workshop)
    failed = await inspect(workshop, event.order_id, failed=[(brake_id, "pads squeal")])
    assert failed.status_code == 201, failed.text
    assert failed.json()["passed"] is False
    [message] = await outbox(workshop, "inspection.failed")
    assert message["payload"]["job_id"] == str(brake_id)
    assert message["payload"]["reason"] == "pads squeal"
    brake_job, _ = await jobs_of(workshop, event.order_id)
    assert brake_job.status == JobStatus.DISPATCHED
    assert brake_job.technician_id == "tech.bj01"
    assert brake_job.rework_count == 1
    assert "pads squeal" in (brake_job.waiting_reason or "")
    assert await outbox(workshop, "vehicle.completed") == []

    # the technician reworks it, the inspector passes it: now the vehicle is complete
    assert (await clock_on(workshop, brake_id)).status_code == 200
    assert (await complete(workshop, brake_id, "0.3")).json()["status"] == "in_inspection"
    assert (await inspect(workshop, event.order_id)).status_code == 201
    assert len(await outbox(workshop, "vehicle.completed")) == 1
    history = await workshop.client.get(
        f"/orders/{event.order_id}/inspections", headers=auth_headers("foreman.bj01")
    )
    assert [i["passed"] for i in history.json()] == [False, True]


async def test_inspection_of_unfinished_work_is_409(workshop) -> None:
    brakes = labour_line("BRK-010", "1.2")
    wipers = labour_line("WIP-001", "0.2", major_system=None)
    event = order_created(brakes, wipers)
    await workshop.publish(event)
    brake_job, wiper_job = await jobs_of(workshop, event.order_id)
    nothing = await inspect(workshop, event.order_id)
    assert nothing.status_code == 409
    await finish_dispatched(workshop, brake_job.id)
    await dispatch(workshop, wiper_job.id)
    unfinished = await inspect(workshop, event.order_id)
    assert unfinished.status_code == 409
    assert "WIP-001 (dispatched)" in unfinished.json()["detail"][0]["msg"]
    assert await outbox(workshop, "inspection.passed") == []


async def test_inspection_bad_input_is_422_naming_the_field(workshop) -> None:
    event, _, wiper_id = await brake_order_finished(workshop)
    not_waiting = await inspect(workshop, event.order_id, failed=[(wiper_id, "dirty")])
    assert not_waiting.status_code == 422
    assert not_waiting.json()["detail"][0]["loc"][-3:] == ["failed_jobs", "0", "job_id"]
    headers = auth_headers("inspector.bj01")
    url = f"/orders/{event.order_id}/inspections"
    not_ok = await workshop.client.post(
        url, json={"checklist": [{"item": "brakes", "ok": False}]}, headers=headers
    )
    assert not_ok.status_code == 422
    assert not_ok.json()["detail"][0]["loc"][-3:] == ["checklist", "0", "ok"]
    empty = await workshop.client.post(url, json={"checklist": []}, headers=headers)
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["loc"][-1] == "checklist"
    assert await outbox(workshop, "inspection.passed") == []
    assert await outbox(workshop, "inspection.failed") == []


async def test_only_the_inspector_inspects_and_only_at_their_station(workshop) -> None:
    event, _, _ = await brake_order_finished(workshop)
    assert (await inspect(workshop, event.order_id, user="tech.bj01")).status_code == 403
    assert (await inspect(workshop, event.order_id, user="inspector.sh01")).status_code == 404


async def test_vehicle_completed_lists_the_parts_drawn_less_returned(workshop) -> None:
    brakes = labour_line("BRK-010", "1.2")
    pads = part_line("1K0698151A", "2", labour=brakes)
    event = order_created(brakes, pads)
    await workshop.publish(event)
    await reserve_all(workshop, event.order_id)
    [job] = await jobs_of(workshop, event.order_id)
    reservation = uuid.uuid4()
    for payload in (
        events.ItemIssued(
            reservation_id=reservation,
            order_id=event.order_id,
            job_id=job.id,
            part_no="1K0698151A",
            quantity=Decimal("2"),
            unit_price=Decimal("480"),
        ),
        events.ItemReturned(
            reservation_id=reservation,
            order_id=event.order_id,
            job_id=job.id,
            part_no="1K0698151A",
            quantity=Decimal("1"),
        ),
    ):
        await workshop.publish(payload)
    shown = (await workshop.client.get(f"/jobs/{job.id}", headers=auth_headers("tech.bj01"))).json()
    assert [(p["part_no"], Decimal(p["quantity"])) for p in shown["parts_used"]] == [
        ("1K0698151A", Decimal("1"))
    ]
    await finish_dispatched(workshop, job.id)
    await inspect(workshop, event.order_id)
    [vehicle] = await outbox(workshop, "vehicle.completed")
    [used] = vehicle["payload"]["parts_used"]
    assert used["part_no"] == "1K0698151A"
    assert Decimal(used["quantity"]) == Decimal("1")
    assert used["job_id"] == str(job.id)
    assert used["line_id"] == str(pads.line_id)
    [labour] = vehicle["payload"]["labour_done"]
    assert labour["line_id"] == str(brakes.line_id)
    async with workshop.runtime.db.read() as session:
        order = await session.get(WorkshopOrder, event.order_id)
    assert order is not None and order.status == WorkshopOrderStatus.COMPLETED


async def test_part_issued_for_an_unknown_job_is_dead_lettered(workshop) -> None:
    await workshop.publish(
        events.ItemIssued(
            reservation_id=uuid.uuid4(),
            order_id=uuid.uuid4(),
            job_id=uuid.uuid4(),
            part_no="1K0698151A",
            quantity=Decimal("1"),
        )
    )
    [letter] = await workshop.runtime.consumer.dead_letters()
    assert "no job" in letter.error


async def test_order_goes_from_ready_to_vehicle_completed_by_dispatch_completion_inspection(
    workshop,
) -> None:
    """The HTTP calls the cross-service lifecycle makes: foreman dispatches each ready job,
    the technician completes it (declaring hours, no clock terminal), the inspector passes."""
    brakes = labour_line("BRK-020", "1.5")
    wash = labour_line("WSH-001", "0.3", skill=None, major_system=None)
    event = order_created(brakes, part_line("1K0698151A", labour=brakes), wash)
    await workshop.publish(event)
    await reserve_all(workshop, event.order_id)
    listed = await workshop.client.get(
        "/jobs", params={"order_id": str(event.order_id)}, headers=auth_headers("foreman.bj01")
    )
    assert [j["status"] for j in listed.json()["data"]] == ["ready", "ready"]
    for job in listed.json()["data"]:
        dispatched = await workshop.client.post(
            f"/jobs/{job['id']}/dispatch",
            json={"technician_id": "tech.bj01", "received_by": "tech.bj01"},
            headers=auth_headers("foreman.bj01"),
        )
        assert dispatched.status_code == 200, dispatched.text
        done = await workshop.client.post(
            f"/jobs/{job['id']}/completion",
            json={"clocked_hours": "1.0"},
            headers=auth_headers("tech.bj01"),
        )
        assert done.status_code == 200, done.text
    assert await outbox(workshop, "vehicle.completed") == []
    inspected = await workshop.client.post(
        f"/orders/{event.order_id}/inspections",
        json={"checklist": [{"item": "brakes", "ok": True}], "road_test": True},
        headers=auth_headers("inspector.bj01"),
    )
    assert inspected.status_code == 201, inspected.text
    [vehicle] = await outbox(workshop, "vehicle.completed")
    assert Decimal(vehicle["payload"]["clocked_hours"]) == Decimal("2.0")
    assert len(vehicle["payload"]["labour_done"]) == 2


async def test_pre_delivery_inspection_order_is_inspection_work_for_every_job(workshop) -> None:
    """A new car's PDI (pre_delivery): every job ends at the inspector, whatever its system,
    and a PDI is never a comeback of an earlier order."""
    earlier = order_created(labour_line("WIP-001", "0.2", major_system=None))
    await workshop.publish(earlier)
    [earlier_job] = await jobs_of(workshop, earlier.order_id)
    await finish_dispatched(workshop, earlier_job.id)
    assert len(await outbox(workshop, "vehicle.completed")) == 1
    pdi = order_created(
        labour_line("PDI-001", "1.0", description="新车交车前检查", major_system=None),
        labour_line("WASH-01", "0.3", description="新车清洗", skill=None, major_system=None),
    ).model_copy(update={"category": events.OrderCategory.PRE_DELIVERY})
    assert pdi.complaint == earlier.complaint and pdi.vehicle.vin == earlier.vehicle.vin
    await workshop.publish(pdi)
    jobs = await jobs_of(workshop, pdi.order_id)
    assert [j.inspection_required for j in jobs] == [True, True]
    for job in jobs:
        await finish_dispatched(workshop, job.id)
    assert {j.status for j in await jobs_of(workshop, pdi.order_id)} == {JobStatus.IN_INSPECTION}
    assert (await inspect(workshop, pdi.order_id)).status_code == 201
    _, completed = await outbox(workshop, "vehicle.completed")
    assert completed["payload"]["comeback"] is False
    order = (
        await workshop.client.get(f"/orders/{pdi.order_id}", headers=auth_headers("foreman.bj01"))
    ).json()
    assert order["category"] == "pre_delivery"
    assert order["comeback_of"] is None
