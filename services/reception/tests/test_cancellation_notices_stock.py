"""Order cancellation, the working-time promise, campaign / maintenance notices at check-in and
live parts availability in estimates, through the HTTP API (test broker, SQLite)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from services.reception.tests.conftest import ACCEPTED
from services.reception.tests.test_desk import (
    ADVISOR,
    PRICING,
    T0,
    check_in_body,
    complete,
    emitted,
    find_more,
    open_order,
)
from services.reception.tests.test_repair_orders import VIN, order_body
from shared import clock
from shared.calendar import calendar_for
from shared.contracts import events
from shared.testing import ServiceHarness, auth_headers

BJ = calendar_for("bj01")
SH_ADVISOR = auth_headers("advisor.sh01")


async def cancel(
    reception: ServiceHarness, order: dict[str, Any], **body: Any
) -> Any:  # the response
    payload = {"reason": "客户决定不修", "version": order["version"], **body}
    return await reception.client.post(
        f"/repair-orders/{order['id']}/cancellation", json=payload, headers=ADVISOR
    )


# --- cancellation (process §4) ----------------------------------------------------------


async def test_advisor_cancels_an_open_order_with_a_reason_announced_and_in_its_history(
    reception: ServiceHarness,
) -> None:
    booked = (
        await reception.client.post(
            "/appointments",
            json={
                "customer": {"name": "张三", "phone": "13800000001"},
                "vehicle": {"vin": VIN},
                "starts_at": (T0 + timedelta(hours=1)).isoformat(),
                "requested_work": "刹车异响",
                "estimated_hours": "1.5",
            },
            headers=ADVISOR,
        )
    ).json()
    order = await open_order(reception, appointment_id=booked["id"])
    finding = await find_more(reception, order)
    await reception.client.post(
        f"/additional-work/{finding}/pricing", json=PRICING, headers=ADVISOR
    )
    link = (
        await reception.client.post(f"/additional-work/{finding}/approval-link", headers=ADVISOR)
    ).json()

    response = await cancel(reception, order, reason="客户决定不修，车辆开走")
    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert cancelled["status"] == "cancelled" and cancelled["version"] == order["version"] + 1
    assert cancelled["cancel_reason"] == "客户决定不修，车辆开走"
    assert cancelled["cancelled_by"] == "advisor.bj01" and cancelled["cancelled_at"]
    [event] = await emitted(reception, "order.cancelled")
    assert event == {"order_id": order["id"], "reason": "客户决定不修，车辆开走"}
    appointment = (
        await reception.client.get(f"/appointments/{booked['id']}", headers=ADVISOR)
    ).json()
    assert (
        appointment["status"] == "cancelled" and order["order_no"] in appointment["cancel_reason"]
    )
    # the customer's approval link dies with the order
    assert (await reception.client.get(link["url"])).status_code == 410
    history = (
        await reception.client.get(f"/repair-orders/{order['id']}/history", headers=ADVISOR)
    ).json()
    assert [entry["event"] for entry in history["data"]] == [
        "created",
        "additional_work_found",
        "cancelled",
    ]
    assert history["data"][-1]["detail"] == "客户决定不修，车辆开走"
    assert history["data"][-1]["by"] == "advisor.bj01"
    listed = (await reception.client.get("/repair-orders?status=cancelled", headers=ADVISOR)).json()
    assert [o["id"] for o in listed["data"]] == [order["id"]]
    in_workshop = (await reception.client.get("/board/in-workshop", headers=ADVISOR)).json()
    assert in_workshop["count"] == 0


async def test_a_completed_settled_or_delivered_order_cannot_be_cancelled(
    reception: ServiceHarness,
) -> None:
    order = await open_order(reception)
    await complete(reception, order)
    current = (await reception.client.get(f"/repair-orders/{order['id']}", headers=ADVISOR)).json()
    response = await cancel(reception, current)
    assert response.status_code == 409
    assert "completed" in response.json()["detail"][0]["msg"]
    assert await emitted(reception, "order.cancelled") == []
    again = await open_order(reception)
    assert (await cancel(reception, again)).status_code == 200
    twice = await cancel(reception, {**again, "version": again["version"] + 1})
    assert twice.status_code == 409 and "already cancelled" in twice.json()["detail"][0]["msg"]


async def test_cancellation_needs_a_reason_the_version_read_and_the_own_station(
    reception: ServiceHarness,
) -> None:
    order = await open_order(reception)
    no_reason = await reception.client.post(
        f"/repair-orders/{order['id']}/cancellation", json={"version": 1}, headers=ADVISOR
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"][0]["loc"][-1] == "reason"
    stale = await cancel(reception, {**order, "version": 7})
    assert stale.status_code == 409 and stale.json()["detail"][0]["loc"][-1] == "version"
    other = await reception.client.post(
        f"/repair-orders/{order['id']}/cancellation",
        json={"reason": "test", "version": 1},
        headers=SH_ADVISOR,
    )
    assert other.status_code == 404
    cashier = await reception.client.post(
        f"/repair-orders/{order['id']}/cancellation",
        json={"reason": "test", "version": 1},
        headers=auth_headers("cashier.bj01"),
    )
    assert cashier.status_code == 403
    still = (await reception.client.get(f"/repair-orders/{order['id']}", headers=ADVISOR)).json()
    assert still["status"] == "open" and await emitted(reception, "order.cancelled") == []


# --- promised time in working time (process §3) -----------------------------------------


async def test_an_order_opened_at_22_00_is_promised_in_the_next_mornings_opening_hours(
    reception: ServiceHarness, manual_clock: clock.ManualClock
) -> None:
    manual_clock.set(datetime(2026, 12, 1, 14, 0, tzinfo=UTC))  # 22:00 in Beijing
    order = await open_order(reception)
    promised = BJ.local(datetime.fromisoformat(order["promised_at"]))
    assert promised.date() == date(2026, 12, 2)
    assert BJ.hours.opens <= promised.time() <= BJ.hours.closes
    [created] = await emitted(reception, "order.created")
    assert datetime.fromisoformat(created["promised_at"]) == datetime.fromisoformat(
        order["promised_at"]
    )


async def test_a_promised_time_typed_for_the_night_or_a_holiday_is_refused(
    reception: ServiceHarness,
) -> None:
    night = BJ.at(date(2026, 12, 1), datetime.min.time().replace(hour=23))
    response = await reception.client.post(
        "/repair-orders", json=order_body(promised_at=night.isoformat()), headers=ADVISOR
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "promised_at"
    order = await open_order(reception)
    later = await reception.client.patch(
        f"/repair-orders/{order['id']}",
        json={"version": 1, "promised_at": night.isoformat(), "delay_reason": "零件晚到"},
        headers=ADVISOR,
    )
    assert later.status_code == 422 and later.json()["detail"][0]["loc"][-1] == "promised_at"


async def test_no_appointment_on_a_public_holiday_and_free_slots_skip_it(
    reception: ServiceHarness, manual_clock: clock.ManualClock
) -> None:
    manual_clock.set(datetime(2026, 9, 28, 1, 0, tzinfo=UTC))
    holiday = BJ.at(date(2026, 10, 2), datetime.min.time().replace(hour=10))
    body = {
        "customer": {"name": "李四", "phone": "13900000002"},
        "vehicle": {"vin": VIN},
        "requested_work": "小保养",
        "estimated_hours": "2",
    }
    refused = await reception.client.post(
        "/appointments", json={**body, "starts_at": holiday.isoformat()}, headers=ADVISOR
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "starts_at"
    assert "2026-10-02" in refused.json()["detail"][0]["msg"]
    # the last slot before the holiday is full: the alternatives start after the holiday
    last = BJ.at(date(2026, 9, 30), datetime.min.time().replace(hour=17))
    foreman = auth_headers("foreman.bj01")
    await reception.client.put(
        f"/capacity/bj01/{last.isoformat()}", json={"hours": "2"}, headers=foreman
    )
    first = await reception.client.post(
        "/appointments", json={**body, "starts_at": last.isoformat()}, headers=ADVISOR
    )
    assert first.status_code == 201, first.text
    full = await reception.client.post(
        "/appointments", json={**body, "starts_at": last.isoformat()}, headers=ADVISOR
    )
    assert full.status_code == 409
    message = full.json()["detail"][0]["msg"]
    offered = [
        datetime.fromisoformat(part.strip()) for part in message.split("slots: ")[1].split(",")
    ]
    assert offered and all(BJ.local_day(slot) >= date(2026, 10, 8) for slot in offered)


# --- open campaigns and due maintenance at check-in (process §2) ------------------------


async def launch(reception: ServiceHarness, code: str = "RC-2026-07", **kw: Any) -> uuid.UUID:
    campaign_id = uuid.uuid4()
    await reception.publish(
        events.CampaignLaunched(
            campaign_id=campaign_id,
            code=code,
            title="转向机支架加固召回",
            kind="recall",
            vins=[VIN, "LSVAA4182E2000001"],
            **kw,
        ),
        station_id="hq",
    )
    return campaign_id


async def test_check_in_shows_open_recalls_until_an_order_line_carries_the_campaign_code(
    reception: ServiceHarness,
) -> None:
    await launch(reception)
    notices = (await reception.client.get(f"/vehicles/{VIN}/notices", headers=ADVISOR)).json()
    assert [(c["code"], c["kind"]) for c in notices["open_campaigns"]] == [("RC-2026-07", "recall")]
    # a recall is the manufacturer's: any station sees it
    elsewhere = (await reception.client.get(f"/vehicles/{VIN}/notices", headers=SH_ADVISOR)).json()
    assert len(elsewhere["open_campaigns"]) == 1

    sheet = (
        await reception.client.post("/check-ins", json=check_in_body(), headers=ADVISOR)
    ).json()
    assert [c["code"] for c in sheet["open_campaigns"]] == ["RC-2026-07"]
    assert any("RC-2026-07" in r for r in sheet["recommendations"])

    # an order without the campaign's line leaves it open
    await open_order(reception, mileage_km=43000)
    still = (await reception.client.get(f"/vehicles/{VIN}/notices", headers=ADVISOR)).json()
    assert len(still["open_campaigns"]) == 1
    lines = [
        *order_body()["lines"],  # type: ignore[misc]
        {
            "kind": "labour",
            "code": "RC-2026-07",
            "description": "召回",
            "hours": "1",
            "unit_price": "0",
            "pay_type": "warranty",
        },
    ]
    recall_order = await open_order(reception, mileage_km=43000, lines=lines)
    closed = (await reception.client.get(f"/vehicles/{VIN}/notices", headers=ADVISOR)).json()
    assert closed["open_campaigns"] == []
    # the check-in sheet of this visit still shows what was recommended
    printed = (await reception.client.get(f"/check-ins/{sheet['id']}", headers=ADVISOR)).json()
    assert [c["code"] for c in printed["open_campaigns"]] == ["RC-2026-07"]
    # the other VIN of the campaign is untouched
    other = (
        await reception.client.get("/vehicles/LSVAA4182E2000001/notices", headers=ADVISOR)
    ).json()
    assert len(other["open_campaigns"]) == 1
    # cancelling the order that carried it reopens the campaign
    assert (await cancel(reception, recall_order)).status_code == 200
    reopened = (await reception.client.get(f"/vehicles/{VIN}/notices", headers=ADVISOR)).json()
    assert [c["code"] for c in reopened["open_campaigns"]] == ["RC-2026-07"]


async def test_a_campaign_launched_after_its_order_line_is_already_closed(
    reception: ServiceHarness,
) -> None:
    lines = [{"kind": "labour", "code": "SC-11", "description": "服务活动", "hours": "0.5"}]
    await open_order(reception, lines=lines)
    await launch(reception, code="SC-11")
    notices = (await reception.client.get(f"/vehicles/{VIN}/notices", headers=ADVISOR)).json()
    assert notices["open_campaigns"] == []


async def test_check_in_shows_due_maintenance_from_crm_reminders_of_the_own_station(
    reception: ServiceHarness,
) -> None:
    await reception.publish(
        events.ReminderDue(
            reminder_id=uuid.uuid4(),
            customer_id=uuid.uuid4(),
            vin=VIN,
            reason="保养到期：50000 km 更换机油和滤清器",
            due_km=50000,
            due_on=date(2026, 12, 10),
        )
    )
    notices = (await reception.client.get(f"/vehicles/{VIN}/notices", headers=ADVISOR)).json()
    [due] = notices["due_maintenance"]
    assert due["due_km"] == 50000 and due["kind"] == "maintenance" and due["station_id"] == "bj01"
    other = (await reception.client.get(f"/vehicles/{VIN}/notices", headers=SH_ADVISOR)).json()
    assert other["due_maintenance"] == []
    sheet = (
        await reception.client.post("/check-ins", json=check_in_body(), headers=ADVISOR)
    ).json()
    assert any("50000 km" in r for r in sheet["recommendations"])
    assert len(sheet["due_maintenance"]) == 1
    await open_order(reception, mileage_km=43000)
    after = (await reception.client.get(f"/vehicles/{VIN}/notices", headers=ADVISOR)).json()
    assert after["due_maintenance"] == []


async def test_an_appointment_reminder_is_not_shown_as_due_maintenance(
    reception: ServiceHarness,
) -> None:
    await reception.publish(
        events.ReminderDue(
            reminder_id=uuid.uuid4(),
            customer_id=uuid.uuid4(),
            vin=VIN,
            reason="appointment on 2026-12-10 09:00",
            due_on=date(2026, 12, 10),
            kind="appointment",
        )
    )
    notices = (await reception.client.get(f"/vehicles/{VIN}/notices", headers=ADVISOR)).json()
    assert notices["due_maintenance"] == []


async def test_vehicle_notices_need_a_17_character_vin(reception: ServiceHarness) -> None:
    response = await reception.client.get("/vehicles/SHORT/notices", headers=ADVISOR)
    assert response.status_code == 422


# --- live parts availability (process §3) -----------------------------------------------


async def stock(reception: ServiceHarness, part_no: str, **kw: Any) -> None:
    values: dict[str, Any] = {
        "part_no": part_no,
        "description": "前刹车盘",
        "on_hand": Decimal("0"),
        "reserved": Decimal("0"),
        "available": Decimal("0"),
        "list_price": Decimal("900"),
        **kw,
    }
    await reception.publish(events.StockLevelChanged(**values), occurred_at=clock.now())


DISC = {"kind": "part", "code": "5Q0615301", "quantity": "2"}
BRAKE_JOB = [{"kind": "labour", "code": "BRK-020"}]


async def test_estimate_parts_show_live_availability_and_the_list_price(
    reception: ServiceHarness,
) -> None:
    await stock(reception, "5Q0615301", on_hand=Decimal("5"), available=Decimal("3"))
    level = (await reception.client.get("/estimates/stock/5Q0615301", headers=ADVISOR)).json()
    assert Decimal(level["available"]) == 3 and Decimal(level["list_price"]) == 900
    sh = await reception.client.get("/estimates/stock/5Q0615301", headers=SH_ADVISOR)
    assert sh.status_code == 404  # another station's stock was never reported
    estimate = (
        await reception.client.post(
            "/estimates", json={"category": "repair", "lines": [*BRAKE_JOB, DISC]}, headers=ADVISOR
        )
    ).json()
    disc = next(line for line in estimate["lines"] if line["code"] == "5Q0615301")
    assert disc["availability"] == "in_stock" and Decimal(disc["available"]) == 3
    assert disc["description"] == "前刹车盘" and Decimal(disc["unit_price"]) == 900
    unknown = (
        await reception.client.post(
            "/estimates",
            json={
                "category": "repair",
                "lines": [{**DISC, "code": "X-1", "unit_price": "5", "description": "螺栓"}],
            },
            headers=ADVISOR,
        )
    ).json()
    assert unknown["lines"][0]["availability"] == "unknown" and unknown["lines"][0]["in_stock"]


async def test_a_short_part_needs_the_customers_choice_before_the_order_is_signed(
    reception: ServiceHarness,
) -> None:
    await stock(reception, "5Q0615301", on_hand=Decimal("1"), available=Decimal("1"))
    body = order_body(lines=[*BRAKE_JOB, DISC])
    refused = await reception.client.post("/repair-orders", json=body, headers=ADVISOR)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-3:] == ["lines", "1", "customer_choice"]
    assert "not in stock" in refused.json()["detail"][0]["msg"]
    assert await emitted(reception, "order.created") == []
    dropped = await open_order(reception, lines=[*BRAKE_JOB, {**DISC, "customer_choice": "drop"}])
    assert "5Q0615301" not in [line["code"] for line in dropped["lines"]]


async def test_waiting_for_a_short_part_promises_after_its_expected_date(
    reception: ServiceHarness,
) -> None:
    expected = date(2026, 12, 4)
    await stock(
        reception,
        "5Q0615301",
        on_order=Decimal("4"),
        expected_on=expected,
    )
    estimate = (
        await reception.client.post(
            "/estimates",
            json={"category": "repair", "lines": [*BRAKE_JOB, {**DISC, "customer_choice": "wait"}]},
            headers=ADVISOR,
        )
    ).json()
    disc = next(line for line in estimate["lines"] if line["code"] == "5Q0615301")
    assert disc["availability"] == "short" and disc["expected_on"] == "2026-12-04"
    assert Decimal(disc["on_order"]) == 4 and disc["customer_choice"] == "wait"
    promised = datetime.fromisoformat(estimate["promised_at"])
    assert promised > BJ.at(expected, BJ.hours.opens)
    assert BJ.local(promised).date() == expected
    order = await open_order(reception, lines=[*BRAKE_JOB, {**DISC, "customer_choice": "wait"}])
    assert datetime.fromisoformat(order["promised_at"]) == promised
    part_line = next(line for line in order["lines"] if line["code"] == "5Q0615301")
    assert part_line["customer_choice"] == "wait"


async def test_an_older_stock_report_never_overwrites_a_newer_one(
    reception: ServiceHarness, manual_clock: clock.ManualClock
) -> None:
    await stock(reception, "5Q0615301", available=Decimal("6"), on_hand=Decimal("6"))
    await reception.publish(
        events.StockLevelChanged(
            part_no="5Q0615301",
            on_hand=Decimal("1"),
            reserved=Decimal("0"),
            available=Decimal("1"),
        ),
        occurred_at=T0 - timedelta(minutes=5),
    )
    level = (await reception.client.get("/estimates/stock/5Q0615301", headers=ADVISOR)).json()
    assert Decimal(level["available"]) == 6


async def test_order_history_lists_completion_payment_exit_pass_and_delivery(
    reception: ServiceHarness, manual_clock: clock.ManualClock
) -> None:
    order = await open_order(reception)
    manual_clock.set(T0 + timedelta(hours=2))
    await complete(reception, order)
    manual_clock.set(T0 + timedelta(hours=3))
    paid = await reception.client.post(
        f"/repair-orders/{order['id']}/payments",
        json={"method": "card", "amount": "840.00"},
        headers=auth_headers("cashier.bj01"),
    )
    assert paid.status_code == 201, paid.text
    manual_clock.set(T0 + timedelta(hours=4))
    delivered = await reception.client.post(
        f"/repair-orders/{order['id']}/delivery", json=ACCEPTED, headers=ADVISOR
    )
    assert delivered.status_code == 200, delivered.text
    history = (
        await reception.client.get(f"/repair-orders/{order['id']}/history", headers=ADVISOR)
    ).json()
    assert [entry["event"] for entry in history["data"]] == [
        "created",
        "completed",
        "payment",
        "exit_pass",
        "delivered",
    ]
    assert history["data"][2]["detail"] == "¥840.00 card"
    assert (await cancel(reception, delivered.json())).status_code == 409
    other = await reception.client.get(f"/repair-orders/{order['id']}/history", headers=SH_ADVISOR)
    assert other.status_code == 404


async def test_an_appointment_is_agreed_for_a_time_the_ordered_part_can_make(
    reception: ServiceHarness,
) -> None:
    await stock(reception, "5Q0615301", on_order=Decimal("2"), expected_on=date(2026, 12, 5))
    body = {
        "customer": {"name": "李四", "phone": "13900000002"},
        "vehicle": {"vin": VIN},
        "requested_work": "更换前刹车盘",
        "estimated_hours": "2",
        "parts_to_order": [
            {
                "part_no": "5Q0615301",
                "description": "前刹车盘",
                "quantity": "2",
                "unit_price": "900",
            }
        ],
        "deposit_paid": "900",
    }
    too_early = BJ.at(date(2026, 12, 3), datetime.min.time().replace(hour=10))
    refused = await reception.client.post(
        "/appointments", json={**body, "starts_at": too_early.isoformat()}, headers=ADVISOR
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-2:] == ["parts_to_order", "0"]
    assert "2026-12-05" in refused.json()["detail"][0]["msg"]
    assert await emitted(reception, "appointment.booked") == []
    in_time = BJ.at(date(2026, 12, 5), datetime.min.time().replace(hour=10))
    booked = await reception.client.post(
        "/appointments", json={**body, "starts_at": in_time.isoformat()}, headers=ADVISOR
    )
    assert booked.status_code == 201, booked.text
    [part] = booked.json()["parts_to_order"]
    assert part["availability"] == "short" and part["expected_on"] == "2026-12-05"
    moved = await reception.client.post(
        f"/appointments/{booked.json()['id']}/move",
        json={"version": 1, "starts_at": too_early.isoformat()},
        headers=ADVISOR,
    )
    assert moved.status_code == 422 and moved.json()["detail"][0]["loc"][-1] == "starts_at"


async def test_delivery_needs_the_customer_to_check_the_car_and_accept_it(
    reception: ServiceHarness,
) -> None:
    order = await open_order(reception)
    await complete(reception, order)
    await reception.client.post(
        f"/repair-orders/{order['id']}/payments",
        json={"method": "cash", "amount": "840.00"},
        headers=auth_headers("cashier.bj01"),
    )
    refused = await reception.client.post(
        f"/repair-orders/{order['id']}/delivery", json={"customer_accepted": False}, headers=ADVISOR
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "customer_accepted"
    assert await emitted(reception, "vehicle.delivered") == []
