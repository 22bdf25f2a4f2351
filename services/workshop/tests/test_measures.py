"""Resources, capacity, comebacks and the workshop KPIs (process §5, §6 and "Measures")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.workshop.models import JobStatus, WorkshopOrder
from services.workshop.settings import workshop_settings
from services.workshop.tests.builders import labour_line, order_created
from services.workshop.tests.flow import (
    clock_on,
    complete,
    dispatch,
    finish_dispatched,
    inspect,
    jobs_of,
    outbox,
)
from shared import clock
from shared.testing import auth_headers

MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def manual_clock() -> Iterator[clock.ManualClock]:
    with clock.driven(clock.ManualClock(MONDAY)) as driven:
        assert isinstance(driven, clock.ManualClock)
        yield driven


def light_job(code: str = "DIAG-01", hours: str = "0.5"):
    return labour_line(code, hours, major_system=None)


async def order_of(workshop, order_id) -> WorkshopOrder:
    async with workshop.runtime.db.read() as session:
        order = await session.get(WorkshopOrder, order_id)
    assert order is not None
    return order


async def finish_order(workshop, complaint: str, technician: str = "tech.bj01.2"):
    event = order_created(light_job()).model_copy(update={"complaint": complaint})
    await workshop.publish(event)
    for job in await jobs_of(workshop, event.order_id):
        await finish_dispatched(workshop, job.id, technician)
    return event


# --- resources and capacity -------------------------------------------------------------


async def test_foreman_adds_a_technician_with_skills_level_and_hours(workshop) -> None:
    headers = auth_headers("foreman.bj01")
    body = {
        "technician_id": "tech.bj01.3",
        "name": "陈 电工技师",
        "skills": ["electrical", "diagnosis"],
        "certification_level": 3,
        "daily_hours": "7.5",
        "working_days": [5, 1, 2, 3, 4],
    }
    created = await workshop.client.post("/technicians", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["station_id"] == "bj01"
    assert created.json()["id"] == "tech.bj01.3"
    assert created.json()["working_days"] == [1, 2, 3, 4, 5]
    assert (await workshop.client.post("/technicians", json=body, headers=headers)).status_code == (
        409
    )
    bad = await workshop.client.post(
        "/technicians", json={**body, "technician_id": "x", "skills": ["juggling"]}, headers=headers
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][1] == "skills"
    denied = await workshop.client.post(
        "/technicians", json={**body, "technician_id": "y"}, headers=auth_headers("tech.bj01")
    )
    assert denied.status_code == 403
    reversed_days = await workshop.client.post(
        "/technicians/tech.bj01/absences",
        json={"first_day": "2026-11-25", "last_day": "2026-11-24", "reason": "leave"},
        headers=headers,
    )
    assert reversed_days.status_code == 422
    other_station = await workshop.client.post(
        "/technicians/tech.sh01/absences",
        json={"first_day": "2026-11-24", "last_day": "2026-11-24", "reason": "leave"},
        headers=headers,
    )
    assert other_station.status_code == 404


async def test_capacity_is_the_present_technicians_hours_and_is_published(
    workshop, manual_clock
) -> None:
    headers = auth_headers("foreman.bj01")
    await workshop.client.post(
        "/technicians/tech.bj01.2/absences",
        json={"first_day": "2026-11-23", "last_day": "2026-11-24", "reason": "training"},
        headers=headers,
    )
    promised = order_created(labour_line("BRK-010", "1.2")).model_copy(
        update={"promised_at": MONDAY + timedelta(hours=8)}
    )
    await workshop.publish(promised)
    monday = (
        await workshop.client.get("/capacity", params={"day": "2026-11-23"}, headers=headers)
    ).json()
    assert Decimal(monday["available_hours"]) == Decimal("24")  # 3 of 4 technicians, 8 h each
    assert monday["technicians"] == 3
    assert monday["bays"] == 6
    assert Decimal(monday["booked_hours"]) == Decimal("1.2")
    sunday = (
        await workshop.client.get("/capacity", params={"day": "2026-11-29"}, headers=headers)
    ).json()
    assert Decimal(sunday["available_hours"]) == Decimal("0")

    published = await workshop.client.post(
        "/capacity/publications", json={"day": "2026-11-25"}, headers=headers
    )
    assert published.status_code == 201, published.text
    # the absence republished its two days at once; the foreman's publication follows
    absence_days, message = (
        (await outbox(workshop, "capacity.published"))[:2],
        (await outbox(workshop, "capacity.published"))[-1],
    )
    assert [m["payload"]["station_day"] for m in absence_days] == [
        "bj01:2026-11-23",
        "bj01:2026-11-24",
    ]
    assert Decimal(absence_days[0]["payload"]["available_hours"]) == Decimal("24")
    assert message["payload"]["station_day"] == "bj01:2026-11-25"
    assert Decimal(message["payload"]["available_hours"]) == Decimal("32")
    assert message["payload"]["technicians"] == 4
    assert message["station_id"] == "bj01"
    denied = await workshop.client.post(
        "/capacity/publications", json={"day": "2026-11-25"}, headers=auth_headers("tech.bj01")
    )
    assert denied.status_code == 403
    bad_day = await workshop.client.post(
        "/capacity/publications", json={"day": "someday"}, headers=headers
    )
    assert bad_day.json()["detail"][0]["loc"][-1] == "day"


# --- comebacks --------------------------------------------------------------------------


async def test_comeback_within_the_window_is_linked_to_the_original_order_and_technician(
    workshop, manual_clock
) -> None:
    first = await finish_order(workshop, "刹车时有异响")
    manual_clock.advance(timedelta(days=10))
    back = order_created(light_job()).model_copy(update={"complaint": "刹车异响又出现了"})
    await workshop.publish(back)
    linked = await order_of(workshop, back.order_id)
    assert linked.comeback_of == first.order_id
    assert linked.comeback_technician_id == "tech.bj01.2"
    shown = await workshop.client.get(
        f"/orders/{back.order_id}", headers=auth_headers("foreman.bj01")
    )
    assert shown.json()["comeback_of"] == str(first.order_id)
    for job in await jobs_of(workshop, back.order_id):
        await finish_dispatched(workshop, job.id, "tech.bj01.2")
    together = await inspect_comeback(workshop, back.order_id, technical_lead="tech.bj01")
    assert together.status_code == 201, together.text
    vehicles = await outbox(workshop, "vehicle.completed")
    assert [v["payload"]["comeback"] for v in vehicles] == [False, True]

    other_fault = order_created(light_job()).model_copy(update={"complaint": "空调不制冷"})
    await workshop.publish(other_fault)
    assert (await order_of(workshop, other_fault.order_id)).comeback_of is None


async def test_a_comeback_repair_is_inspected_in_full_with_the_technical_lead_recorded(
    workshop, manual_clock
) -> None:
    await finish_order(workshop, "刹车时有异响")
    manual_clock.advance(timedelta(days=5))
    back = order_created(light_job()).model_copy(update={"complaint": "刹车异响又出现了"})
    await workshop.publish(back)
    [job] = await jobs_of(workshop, back.order_id)
    assert job.inspection_required  # light work, but a comeback: all of it is inspected
    await finish_dispatched(workshop, job.id, "tech.bj01.2")
    [waiting] = await jobs_of(workshop, back.order_id)
    assert waiting.status == JobStatus.IN_INSPECTION
    assert len(await outbox(workshop, "vehicle.completed")) == 1  # the original's only
    together = await inspect_comeback(workshop, back.order_id, technical_lead="tech.bj01")
    assert together.status_code == 201, together.text
    assert together.json()["technical_lead_id"] == "tech.bj01"
    assert len(await outbox(workshop, "vehicle.completed")) == 2


async def inspect_comeback(workshop, order_id, technical_lead: str | None):
    body = {
        "checklist": [{"item": "complaint fixed", "ok": True}],
        "road_test": True,
        "technical_lead_id": technical_lead,
    }
    return await workshop.client.post(
        f"/orders/{order_id}/inspections", json=body, headers=auth_headers("inspector.bj01")
    )


async def test_a_car_back_after_the_window_is_not_a_comeback(workshop, manual_clock) -> None:
    await finish_order(workshop, "刹车时有异响")
    manual_clock.advance(timedelta(days=31))
    back = order_created(light_job()).model_copy(update={"complaint": "刹车异响"})
    await workshop.publish(back)
    assert (await order_of(workshop, back.order_id)).comeback_of is None


async def test_comeback_window_is_configurable(
    workshop, manual_clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKSHOP_COMEBACK_WINDOW_DAYS", "60")
    workshop_settings.cache_clear()
    try:
        first = await finish_order(workshop, "刹车时有异响")
        manual_clock.advance(timedelta(days=45))
        back = order_created(light_job()).model_copy(update={"complaint": "刹车异响"})
        await workshop.publish(back)
        assert (await order_of(workshop, back.order_id)).comeback_of == first.order_id
    finally:
        monkeypatch.delenv("WORKSHOP_COMEBACK_WINDOW_DAYS")
        workshop_settings.cache_clear()


# --- KPIs -------------------------------------------------------------------------------


async def test_kpis_give_efficiency_productivity_on_time_first_time_fix_and_rework(
    workshop, manual_clock
) -> None:
    event = order_created(light_job("DIAG-01", "0.5"), light_job("WIP-001", "1.0")).model_copy(
        update={"promised_at": MONDAY + timedelta(hours=8)}
    )
    await workshop.publish(event)
    diag, wipers = await jobs_of(workshop, event.order_id)
    await dispatch(workshop, diag.id, "tech.bj01")
    await dispatch(workshop, wipers.id, "tech.bj01.2")
    await clock_on(workshop, diag.id, "tech.bj01")
    await clock_on(workshop, wipers.id, "tech.bj01.2")
    manual_clock.advance(timedelta(minutes=30))
    await complete(workshop, wipers.id, user="tech.bj01.2")  # 1.0 sold in 0.5 clocked
    manual_clock.advance(timedelta(minutes=30))
    await complete(workshop, diag.id, user="tech.bj01")  # 0.5 sold in 1.0 clocked

    # another fault of the same car: not a comeback of the first order
    brakes = order_created(labour_line("BRK-010", "1.2")).model_copy(
        update={"complaint": "方向盘抖动"}
    )
    await workshop.publish(brakes)
    [brake_job] = await jobs_of(workshop, brakes.order_id)
    await finish_dispatched(workshop, brake_job.id, "tech.bj01")
    await inspect(workshop, brakes.order_id, failed=[(brake_job.id, "pads squeal")])

    response = await workshop.client.get(
        "/kpis", params={"day": "2026-11-23", "period": "day"}, headers=auth_headers("manager.bj01")
    )
    assert response.status_code == 200, response.text
    kpis = response.json()
    assert kpis["first_day"] == kpis["last_day"] == "2026-11-23"
    assert Decimal(kpis["sold_hours"]) == Decimal("1.5")
    assert Decimal(kpis["clocked_hours"]) == Decimal("1.5")
    assert Decimal(kpis["efficiency"]) == Decimal("1")
    assert Decimal(kpis["available_hours"]) == Decimal("32")
    assert Decimal(kpis["productivity"]) == Decimal("0.0469")
    assert kpis["orders_completed"] == 1
    assert kpis["on_time"] == 1
    assert Decimal(kpis["on_time_rate"]) == Decimal("1")
    assert Decimal(kpis["first_time_fix_rate"]) == Decimal("1")
    assert kpis["rework_count"] == 1
    by_technician = {t["technician_id"]: t for t in kpis["technicians"]}
    assert Decimal(by_technician["tech.bj01"]["efficiency"]) == Decimal("0.5")
    assert Decimal(by_technician["tech.bj01.2"]["efficiency"]) == Decimal("2")
    assert by_technician["tech.bj01"]["rework"] == 1

    month = await workshop.client.get(
        "/kpis", params={"day": "2026-11-23"}, headers=auth_headers("foreman.bj01")
    )
    assert (month.json()["first_day"], month.json()["last_day"]) == ("2026-11-01", "2026-11-30")


async def test_comeback_counts_against_first_time_fix_of_the_original(
    workshop, manual_clock
) -> None:
    await finish_order(workshop, "刹车时有异响")
    await finish_order(workshop, "空调不制冷")
    manual_clock.advance(timedelta(days=3))
    back = order_created(light_job()).model_copy(update={"complaint": "刹车异响"})
    await workshop.publish(back)
    kpis = (
        await workshop.client.get(
            "/kpis",
            params={"day": "2026-11-23", "period": "day"},
            headers=auth_headers("manager.bj01"),
        )
    ).json()
    assert kpis["orders_completed"] == 2
    assert Decimal(kpis["first_time_fix_rate"]) == Decimal("0.5")
    later = (
        await workshop.client.get(
            "/kpis",
            params={"day": "2026-11-26", "period": "day"},
            headers=auth_headers("manager.bj01"),
        )
    ).json()
    assert later["comebacks"] == 1
    by_technician = {t["technician_id"]: t for t in later["technicians"]}
    assert by_technician["tech.bj01.2"]["comebacks"] == 1


async def test_kpis_are_for_managers_and_the_foreman_of_their_station(workshop) -> None:
    params = {"day": "2026-11-23"}
    assert (
        await workshop.client.get("/kpis", params=params, headers=auth_headers("tech.bj01"))
    ).status_code == 403
    other = await workshop.client.get(
        "/kpis", params={**params, "station_id": "sh01"}, headers=auth_headers("manager.bj01")
    )
    assert other.status_code == 404
    group = await workshop.client.get(
        "/kpis", params={**params, "station_id": "sh01"}, headers=auth_headers("group.manager")
    )
    assert group.status_code == 200
    bad = await workshop.client.get(
        "/kpis",
        params={"day": "2026-11-23", "period": "year"},
        headers=auth_headers("manager.bj01"),
    )
    assert bad.status_code == 422


async def test_a_day_the_station_is_closed_has_no_capacity_to_sell(workshop) -> None:
    """National Day (1 October) is a public holiday of the station's calendar: nobody can be
    booked in, whatever the technicians' weekly pattern says."""
    headers = auth_headers("foreman.bj01")
    holiday = (
        await workshop.client.get("/capacity", params={"day": "2026-10-01"}, headers=headers)
    ).json()
    assert Decimal(holiday["available_hours"]) == Decimal("0")
    assert holiday["technicians"] == 0
    assert holiday["bays"] == 0
    after = (
        await workshop.client.get("/capacity", params={"day": "2026-10-08"}, headers=headers)
    ).json()
    assert Decimal(after["available_hours"]) == Decimal("32")
    published = await workshop.client.post(
        "/capacity/publications", json={"day": "2026-10-01"}, headers=headers
    )
    assert published.status_code == 201
    [message] = await outbox(workshop, "capacity.published")
    assert Decimal(message["payload"]["available_hours"]) == Decimal("0")
    assert message["payload"]["technicians"] == 0


async def test_available_hours_of_the_kpis_leave_out_days_the_station_is_closed(workshop) -> None:
    headers = auth_headers("manager.bj01")
    holiday = (
        await workshop.client.get(
            "/kpis", params={"day": "2026-10-01", "period": "day"}, headers=headers
        )
    ).json()
    assert Decimal(holiday["available_hours"]) == Decimal("0")
    workday = (
        await workshop.client.get(
            "/kpis", params={"day": "2026-10-08", "period": "day"}, headers=headers
        )
    ).json()
    assert Decimal(workday["available_hours"]) == Decimal("32")
