"""Roadside assistance (外出救援): a call, a technician sent out, times, then a repair order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from services.workshop.tests.builders import VIN, labour_line, order_created
from services.workshop.tests.flow import clock_on, dispatch, jobs_of
from shared import clock
from shared.contracts import events
from shared.testing import auth_headers

CALL = {
    "caller_name": "张伟",
    "phone": "13800000001",
    "vin": VIN,
    "plate": "京A12345",
    "location": "京承高速 K23 northbound",
    "symptom": "engine stalled, will not restart",
}
START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def manual_clock() -> Iterator[clock.ManualClock]:
    with clock.driven(clock.ManualClock(START)) as driven:
        assert isinstance(driven, clock.ManualClock)
        yield driven


async def log_call(workshop, body=None, user="advisor.bj01"):
    return await workshop.client.post(
        "/roadside-calls", json=body or CALL, headers=auth_headers(user)
    )


async def step(workshop, call_id, name, body=None, user="tech.bj01"):
    return await workshop.client.post(
        f"/roadside-calls/{call_id}/{name}", json=body or {}, headers=auth_headers(user)
    )


async def test_roadside_call_records_who_went_out_when_and_continues_as_a_repair_order(
    workshop, manual_clock
) -> None:
    logged = await log_call(workshop)
    assert logged.status_code == 201, logged.text
    call_id = logged.json()["id"]
    assert logged.json()["status"] == "received"
    sent = await step(
        workshop,
        call_id,
        "dispatch",
        {"technician_id": "tech.bj01", "service_vehicle": "京B-R0001"},
        user="foreman.bj01",
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "dispatched"
    manual_clock.advance(timedelta(minutes=35))
    arrived = await step(workshop, call_id, "arrival")
    assert arrived.json()["status"] == "on_site"
    assert arrived.json()["response_minutes"] == 35
    manual_clock.advance(timedelta(minutes=20))
    towed = await step(workshop, call_id, "finish", {"outcome": "towed_in", "note": "fuel pump"})
    assert towed.json()["status"] == "towed_in"
    assert datetime.fromisoformat(towed.json()["finished_at"]) == START + timedelta(minutes=55)

    order = order_created(labour_line("ENG-100", "2.0", major_system="engine"))
    await workshop.publish(order)
    call = (
        await workshop.client.get(
            f"/roadside-calls/{call_id}", headers=auth_headers("foreman.bj01")
        )
    ).json()
    assert call["status"] == "repair_order"
    assert call["order_id"] == str(order.order_id)
    assert len(await jobs_of(workshop, order.order_id)) == 1


async def test_roadside_steps_in_the_wrong_order_are_409(workshop) -> None:
    call_id = (await log_call(workshop)).json()["id"]
    assert (await step(workshop, call_id, "arrival")).status_code == 409
    assert (await step(workshop, call_id, "finish", {"outcome": "towed_in"})).status_code == 409
    await step(
        workshop,
        call_id,
        "dispatch",
        {"technician_id": "tech.bj01", "service_vehicle": "京B-R0001"},
        user="foreman.bj01",
    )
    assert (await step(workshop, call_id, "finish", {"outcome": "towed_in"})).status_code == 409


async def test_technician_clocked_on_a_job_is_not_sent_out(workshop) -> None:
    event = order_created(labour_line("DIAG-01", "0.5", major_system=None))
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    await dispatch(workshop, job.id)
    await clock_on(workshop, job.id)
    call_id = (await log_call(workshop)).json()["id"]
    busy = await step(
        workshop,
        call_id,
        "dispatch",
        {"technician_id": "tech.bj01", "service_vehicle": "京B-R0001"},
        user="foreman.bj01",
    )
    assert busy.status_code == 409
    assert "clock off" in busy.json()["detail"][0]["msg"]


async def test_roadside_bad_input_is_422_naming_the_field(workshop, manual_clock) -> None:
    nameless = await log_call(workshop, {**CALL, "location": ""})
    assert nameless.status_code == 422
    assert nameless.json()["detail"][0]["loc"][-1] == "location"
    short_vin = await log_call(workshop, {**CALL, "vin": "LFV"})
    assert short_vin.json()["detail"][0]["loc"][-1] == "vin"
    unknown = await log_call(workshop, {**CALL, "vin": None, "plate": None})
    assert unknown.status_code == 422
    call_id = (await log_call(workshop)).json()["id"]
    nobody = await step(
        workshop,
        call_id,
        "dispatch",
        {"technician_id": "tech.sh01", "service_vehicle": "京B-R0001"},
        user="foreman.bj01",
    )
    assert nobody.json()["detail"][0]["loc"][-1] == "technician_id"
    await step(
        workshop,
        call_id,
        "dispatch",
        {"technician_id": "tech.bj01", "service_vehicle": "京B-R0001"},
        user="foreman.bj01",
    )
    future = await step(workshop, call_id, "arrival", {"at": "2030-01-01T00:00:00Z"})
    assert future.status_code == 422
    assert future.json()["detail"][0]["loc"][-1] == "at"
    bad_outcome = await step(workshop, call_id, "finish", {"outcome": "abandoned"})
    assert bad_outcome.status_code == 422


async def test_roadside_calls_are_per_station_and_roles(workshop) -> None:
    call_id = (await log_call(workshop)).json()["id"]
    other = await workshop.client.get(
        f"/roadside-calls/{call_id}", headers=auth_headers("foreman.sh01")
    )
    assert other.status_code == 404
    assert (await log_call(workshop, user="tech.bj01")).status_code == 403
    listed = await workshop.client.get("/roadside-calls", headers=auth_headers("foreman.sh01"))
    assert listed.json()["count"] == 0
    own = await workshop.client.get(
        "/roadside-calls", params={"status": "received"}, headers=auth_headers("foreman.bj01")
    )
    assert own.json()["count"] == 1


async def test_roadside_order_links_to_the_call_whose_car_was_towed_in(
    workshop, manual_clock
) -> None:
    call_id = (await log_call(workshop)).json()["id"]
    await step(
        workshop,
        call_id,
        "dispatch",
        {"technician_id": "tech.bj01", "service_vehicle": "京B-R0001"},
        user="foreman.bj01",
    )
    manual_clock.advance(timedelta(minutes=30))
    await step(workshop, call_id, "arrival")
    manual_clock.advance(timedelta(minutes=40))
    # the tow truck is in before the crew recorded the end: the roadside order closes the call
    order = order_created(labour_line("ENG-100", "2.0", major_system="engine")).model_copy(
        update={"category": events.OrderCategory.ROADSIDE}
    )
    await workshop.publish(order)
    call = (
        await workshop.client.get(f"/roadside-calls/{call_id}", headers=auth_headers("tech.bj01"))
    ).json()
    assert call["status"] == "repair_order"
    assert call["order_id"] == str(order.order_id)
    assert datetime.fromisoformat(call["finished_at"]) == START + timedelta(minutes=70)
    seen = (
        await workshop.client.get(f"/orders/{order.order_id}", headers=auth_headers("advisor.bj01"))
    ).json()
    assert seen["category"] == "roadside"
    assert seen["roadside_call_id"] == call_id


async def test_an_ordinary_order_does_not_close_a_call_still_on_the_road(
    workshop, manual_clock
) -> None:
    call_id = (await log_call(workshop)).json()["id"]
    await step(
        workshop,
        call_id,
        "dispatch",
        {"technician_id": "tech.bj01", "service_vehicle": "京B-R0001"},
        user="foreman.bj01",
    )
    order = order_created(labour_line("OIL-001", "0.5", major_system=None))
    await workshop.publish(order)
    call = (
        await workshop.client.get(f"/roadside-calls/{call_id}", headers=auth_headers("tech.bj01"))
    ).json()
    assert call["status"] == "dispatched"
    assert call["order_id"] is None
    seen = (
        await workshop.client.get(f"/orders/{order.order_id}", headers=auth_headers("advisor.bj01"))
    ).json()
    assert seen["roadside_call_id"] is None
