"""The advisor's and cashier's day through the HTTP API (test broker, SQLite), one test per
process rule of after-sales-process.md §1–4 and §7."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel import select

from services.reception.app import definition
from services.reception.tests.conftest import ACCEPTED
from services.reception.tests.test_repair_orders import VIN, order_body
from shared import clock
from shared.contracts import events
from shared.tables import OutboxMessage, ScheduledTask
from shared.testing import ServiceHarness, auth_headers, run_service

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
ADVISOR = auth_headers("advisor.bj01")
CASHIER = auth_headers("cashier.bj01")
MANAGER = auth_headers("manager.bj01")
FOREMAN = auth_headers("foreman.bj01")
SIGNATURE = {"name": "张三", "typed_confirmation": "确认"}


async def emitted(reception: ServiceHarness, event_type: str) -> list[dict[str, Any]]:
    async with reception.runtime.db.read() as session:
        rows = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.event_type == event_type))
        ).all()
    return [json.loads(row.value)["payload"] for row in rows]


async def open_order(reception: ServiceHarness, **overrides: Any) -> dict[str, Any]:
    response = await reception.client.post(
        "/repair-orders", json=order_body(**overrides), headers=ADVISOR
    )
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


async def complete(reception: ServiceHarness, order: dict[str, Any], **kw: Any) -> None:
    await reception.publish(
        events.VehicleCompleted(
            order_id=uuid.UUID(order["id"]), vin=VIN, completed_at=clock.now(), **kw
        )
    )


# --- estimate ---------------------------------------------------------------------------


async def test_estimate_prices_labour_from_the_price_list_at_the_station_rate_with_packages(
    reception: ServiceHarness,
) -> None:
    response = await reception.client.post(
        "/estimates",
        json={"category": "maintenance", "packages": ["PKG-MINOR"], "car_wash": True},
        headers=ADVISOR,
    )
    assert response.status_code == 200, response.text
    estimate = response.json()
    lines = {line["code"]: line for line in estimate["lines"]}
    assert Decimal(lines["MNT-OIL"]["hours"]) == Decimal("0.5")
    assert Decimal(lines["MNT-OIL"]["unit_price"]) == Decimal("300")  # bj01's labour rate
    assert lines["WASH"]["free"] is True and Decimal(lines["WASH"]["amount"]) == 0
    # 0.5 h + 0.8 h at ¥300, filter ¥68, 4.5 l oil at ¥78
    assert Decimal(estimate["total"]) == Decimal("809.00")
    assert Decimal(estimate["tax_included"]) == Decimal("93.07")
    assert Decimal(estimate["totals_by_pay_type"]["customer"]) == Decimal("809.00")
    assert datetime.fromisoformat(estimate["promised_at"]) > T0


async def test_price_list_at_the_station_labour_rate_with_service_packages(
    reception: ServiceHarness,
) -> None:
    bj = (await reception.client.get("/estimates/price-list", headers=ADVISOR)).json()
    sh = (
        await reception.client.get("/estimates/price-list", headers=auth_headers("advisor.sh01"))
    ).json()
    brake_bj = next(op for op in bj["operations"] if op["code"] == "BRK-010")
    brake_sh = next(op for op in sh["operations"] if op["code"] == "BRK-010")
    assert Decimal(brake_bj["price"]) == Decimal("360.00") and Decimal(
        brake_sh["price"]
    ) == Decimal("384.00")
    assert {pkg["code"] for pkg in bj["packages"]} >= {"PKG-MINOR", "PKG-MAJOR"}


async def test_symptom_estimate_carries_the_risk_margin(reception: ServiceHarness) -> None:
    response = await reception.client.post(
        "/estimates",
        json={
            "category": "repair",
            "estimate_method": "symptom",
            "lines": [{"kind": "labour", "code": "ENG-DIAG"}],
        },
        headers=ADVISOR,
    )
    assert response.status_code == 200, response.text
    assert Decimal(response.json()["lines"][0]["unit_price"]) == Decimal("345.00")
    assert Decimal(response.json()["risk_margin"]) == Decimal("0.15")


async def test_part_not_in_stock_needs_the_customers_choice_wait_rebook_or_drop(
    reception: ServiceHarness,
) -> None:
    part: dict[str, Any] = {
        "kind": "part",
        "code": "5Q0615301",
        "description": "前刹车盘",
        "unit_price": "900",
        "in_stock": False,
    }
    base = {"category": "repair", "lines": [{"kind": "labour", "code": "BRK-020"}, part]}
    missing = await reception.client.post("/estimates", json=base, headers=ADVISOR)
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"][-1] == "customer_choice"

    part["customer_choice"] = "drop"
    dropped = (await reception.client.post("/estimates", json=base, headers=ADVISOR)).json()
    assert [line["code"] for line in dropped["dropped_lines"]] == ["5Q0615301"]
    assert Decimal(dropped["parts_total"]) == 0

    part["customer_choice"] = "wait"
    part["lead_days"] = 3
    waiting = (await reception.client.post("/estimates", json=base, headers=ADVISOR)).json()
    assert datetime.fromisoformat(waiting["promised_at"]) >= T0 + timedelta(days=3)

    part["customer_choice"] = "rebook"
    order = await reception.client.post(
        "/repair-orders", json=order_body(lines=base["lines"]), headers=ADVISOR
    )
    assert order.status_code == 422
    assert "appointment" in order.json()["detail"][0]["msg"]


# --- repair order -----------------------------------------------------------------------


async def test_repair_order_records_category_payment_old_parts_wash_and_no_guarantee_note(
    reception: ServiceHarness,
) -> None:
    order = await open_order(
        reception,
        category="roadside",
        payment_method="wechat",
        old_parts="take_away",
        car_wash=True,
        lines=[
            {"ref": "L1", "kind": "labour", "code": "BRK-010"},
            {
                "kind": "part",
                "code": "OWN-PADS",
                "description": "客户自带刹车片",
                "unit_price": "0",
                "customer_supplied": True,
                "labour_ref": "L1",
            },
        ],
    )
    assert order["category"] == "roadside" and order["car_wash"] is True
    assert "OWN-PADS" in order["no_guarantee_note"]
    assert order["signed_by"] == "张三" and order["version"] == 1
    assert [line["code"] for line in order["lines"]] == ["BRK-010", "OWN-PADS", "WASH"]
    [created] = await emitted(reception, "order.created")
    assert created["category"] == "roadside"
    assert created["payment_method"] == "wechat" and created["old_parts"] == "take_away"
    assert created["car_wash"] is True and "OWN-PADS" in created["no_guarantee_note"]
    assert created["lines"][1]["customer_supplied"] is True


async def test_repair_order_needs_the_customers_signature(reception: ServiceHarness) -> None:
    body = order_body()
    del body["signature"]
    response = await reception.client.post("/repair-orders", json=body, headers=ADVISOR)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "signature"


async def test_signed_order_lines_cannot_be_changed_and_a_stale_version_is_a_409(
    reception: ServiceHarness,
) -> None:
    order = await open_order(reception)
    url = f"/repair-orders/{order['id']}"
    with_lines = await reception.client.patch(
        url, json={"version": 1, "lines": []}, headers=ADVISOR
    )
    assert with_lines.status_code == 422  # lines change only through additional work

    later = (datetime.fromisoformat(order["promised_at"]) + timedelta(hours=2)).isoformat()
    no_reason = await reception.client.patch(
        url, json={"version": 1, "promised_at": later}, headers=ADVISOR
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"][0]["loc"][-1] == "delay_reason"

    delayed = await reception.client.patch(
        url, json={"version": 1, "promised_at": later, "delay_reason": "零件晚到"}, headers=ADVISOR
    )
    assert delayed.status_code == 200, delayed.text
    assert delayed.json()["version"] == 2 and delayed.json()["delay_reason"] == "零件晚到"

    stale = await reception.client.patch(
        url, json={"version": 1, "progress_confirmed": True}, headers=ADVISOR
    )
    assert stale.status_code == 409


# --- check-in ---------------------------------------------------------------------------


def check_in_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer": {"name": "张三", "phone": "13800000001"},
        "vehicle": {"vin": VIN, "plate": "京A12345"},
        "mileage_km": 43000,
        "fuel_level": "1/2",
        "damage_marks": [{"position": "front bumper", "kind": "scratch", "note": "20 cm"}],
        "belongings": ["雨伞"],
        "documents": ["行驶证", "保养手册"],
        "key_tag": "K-017",
        "signature": SIGNATURE,
    }
    body.update(overrides)
    return body


async def test_check_in_mileage_below_the_last_known_needs_a_correction_note(
    reception: ServiceHarness,
) -> None:
    await open_order(reception)  # 42,000 km known
    lower = await reception.client.post(
        "/check-ins", json=check_in_body(mileage_km=41000), headers=ADVISOR
    )
    assert lower.status_code == 422
    assert lower.json()["detail"][0]["loc"][-1] == "mileage_km"
    corrected = await reception.client.post(
        "/check-ins",
        json=check_in_body(mileage_km=41000, mileage_correction_note="仪表更换"),
        headers=ADVISOR,
    )
    assert corrected.status_code == 201, corrected.text
    assert corrected.json()["last_known_mileage_km"] == 42000


async def test_check_in_sheet_is_signed_with_an_image_or_typed_confirmation(
    reception: ServiceHarness,
) -> None:
    unsigned = await reception.client.post(
        "/check-ins", json=check_in_body(signature={"name": "张三"}), headers=ADVISOR
    )
    assert unsigned.status_code == 422
    bad_vin = await reception.client.post(
        "/check-ins", json=check_in_body(vehicle={"vin": "LFV2A21K8G3000001"}), headers=ADVISOR
    )
    assert bad_vin.status_code == 422 and "check digit" in bad_vin.json()["detail"][0]["msg"]


async def test_damage_photos_are_stored_on_disk_and_the_sheet_prints(
    reception: ServiceHarness, tmp_path: Path
) -> None:
    created = (
        await reception.client.post("/check-ins", json=check_in_body(), headers=ADVISOR)
    ).json()
    mark = created["damage_marks"][0]["id"]
    url = f"/check-ins/{created['id']}/damage-marks/{mark}/photos"
    wrong = await reception.client.post(
        url, files={"file": ("a.gif", b"GIF8", "image/gif")}, headers=ADVISOR
    )
    assert wrong.status_code == 422
    photo = await reception.client.post(
        url, files={"file": ("a.jpg", b"\xff\xd8jpeg", "image/jpeg")}, headers=ADVISOR
    )
    assert photo.status_code == 201, photo.text
    [name] = photo.json()["photos"]
    assert (tmp_path / "reception-photos" / created["id"] / name).read_bytes() == b"\xff\xd8jpeg"
    fetched = await reception.client.get(
        f"/check-ins/{created['id']}/photos/{name}", headers=ADVISOR
    )
    assert fetched.content == b"\xff\xd8jpeg"
    other = await reception.client.get(
        f"/check-ins/{created['id']}/photos/{name}", headers=auth_headers("advisor.sh01")
    )
    assert other.status_code == 404
    sheet = await reception.client.get(f"/check-ins/{created['id']}/document", headers=ADVISOR)
    assert sheet.status_code == 200 and "K-017" in sheet.text and "front bumper" in sheet.text


async def test_reception_wait_from_arrival_to_check_in_is_measured_per_station(
    reception: ServiceHarness,
) -> None:
    arrived = (T0 - timedelta(minutes=3)).isoformat()
    await reception.client.post(
        "/check-ins", json=check_in_body(arrived_at=arrived), headers=ADVISOR
    )
    await reception.client.post("/check-ins", json=check_in_body(), headers=ADVISOR)
    waits = (await reception.client.get("/check-ins/wait-times", headers=MANAGER)).json()
    [bj01] = waits["data"]
    assert bj01["station_id"] == "bj01" and bj01["check_ins"] == 2
    assert Decimal(bj01["longest_wait_minutes"]) == 3 and Decimal(
        bj01["average_wait_minutes"]
    ) == Decimal("1.5")
    assert bj01["over_one_minute"] == 1
    other = (
        await reception.client.get("/check-ins/wait-times", headers=auth_headers("advisor.sh01"))
    ).json()
    assert other["count"] == 0


async def test_order_from_the_check_in_sheet_takes_its_mileage_and_fuel(
    reception: ServiceHarness,
) -> None:
    sheet = (
        await reception.client.post("/check-ins", json=check_in_body(), headers=ADVISOR)
    ).json()
    body = order_body(check_in_id=sheet["id"])
    del body["mileage_km"]
    response = await reception.client.post("/repair-orders", json=body, headers=ADVISOR)
    assert response.status_code == 201, response.text
    assert response.json()["mileage_km"] == 43000 and response.json()["fuel_level"] == "1/2"
    [created] = await emitted(reception, "order.created")
    assert created["fuel_level"] == "1/2" and created["check_in_id"] == sheet["id"]


async def test_check_in_shows_the_service_history_and_due_maintenance(
    reception: ServiceHarness,
) -> None:
    order = await open_order(reception)
    await complete(reception, order)
    url = f"/repair-orders/{order['id']}"
    await reception.client.post(
        f"{url}/payments", json={"method": "cash", "amount": "840"}, headers=CASHIER
    )
    delivered = await reception.client.post(
        f"{url}/delivery",
        json={**ACCEPTED, "next_service_km": 45000},
        headers=ADVISOR,
    )
    assert delivered.json()["next_service_km"] == 45000
    sheet = (
        await reception.client.post(
            "/check-ins", json=check_in_body(mileage_km=46000), headers=ADVISOR
        )
    ).json()
    assert len(sheet["history"]) == 1 and order["order_no"] in sheet["history"][0]
    assert "45000" in sheet["recommendations"][0]


# --- additional work --------------------------------------------------------------------


async def find_more(reception: ServiceHarness, order: dict[str, Any], **kw: Any) -> str:
    finding_id = uuid.uuid4()
    await reception.publish(
        events.WorkAdditionalFound(
            finding_id=finding_id,
            order_id=uuid.UUID(order["id"]),
            job_id=uuid.uuid4(),
            description="前刹车盘磨损超限",
            safety_relevant=True,
            estimated_delay_minutes=60,
            reported_by="tech.bj01",
            **kw,
        )
    )
    return str(finding_id)


PRICING = {
    "lines": [
        {"kind": "labour", "code": "BRK-020"},
        {"kind": "part", "code": "5Q0615301", "description": "前刹车盘", "unit_price": "900"},
    ]
}


async def test_additional_work_approved_adds_the_lines_and_tells_the_workshop(
    reception: ServiceHarness,
) -> None:
    order = await open_order(reception)
    finding = await find_more(reception, order)
    listed = (
        await reception.client.get(f"/additional-work?order_id={order['id']}", headers=ADVISOR)
    ).json()
    assert listed["count"] == 1 and listed["data"][0]["status"] == "found"
    unpriced = await reception.client.post(
        f"/additional-work/{finding}/decision", json={"approved": True}, headers=ADVISOR
    )
    assert unpriced.status_code == 409
    priced = await reception.client.post(
        f"/additional-work/{finding}/pricing", json=PRICING, headers=ADVISOR
    )
    assert Decimal(priced.json()["price"]) == Decimal("1380.00")  # 1.6 h x 300 + 900
    approved = await reception.client.post(
        f"/additional-work/{finding}/decision",
        json={"approved": True, "order_version": 1, "workshop_told": "foreman.bj01"},
        headers=ADVISOR,
    )
    assert approved.status_code == 200, approved.text
    after = (await reception.client.get(f"/repair-orders/{order['id']}", headers=ADVISOR)).json()
    assert after["version"] == 2 and Decimal(after["total"]) == Decimal("2220.00")
    assert [line["finding_id"] for line in after["lines"]][-2:] == [finding, finding]
    [event] = await emitted(reception, "work.additional_approved")
    assert [line["code"] for line in event["lines"]] == ["BRK-020", "5Q0615301"]


async def test_additional_work_declined_records_who_was_told_and_when(
    reception: ServiceHarness,
) -> None:
    order = await open_order(reception)
    finding = await find_more(reception, order)
    await reception.client.post(
        f"/additional-work/{finding}/pricing", json=PRICING, headers=ADVISOR
    )
    told_at = (T0 - timedelta(minutes=5)).isoformat()
    declined = await reception.client.post(
        f"/additional-work/{finding}/decision",
        json={"approved": False, "told_at": told_at, "workshop_told": "foreman.bj01"},
        headers=ADVISOR,
    )
    assert declined.status_code == 200, declined.text
    assert declined.json()["customer_told_by"] == "advisor.bj01"
    [event] = await emitted(reception, "work.additional_declined")
    assert event["workshop_told"] == "foreman.bj01" and event["safety_relevant"] is True
    assert datetime.fromisoformat(event["declined_at"]) == T0 - timedelta(minutes=5)
    again = await reception.client.post(
        f"/additional-work/{finding}/decision", json={"approved": True}, headers=ADVISOR
    )
    assert again.status_code == 409


async def test_approval_with_a_stale_order_version_is_a_409(reception: ServiceHarness) -> None:
    order = await open_order(reception)
    finding = await find_more(reception, order)
    await reception.client.post(
        f"/additional-work/{finding}/pricing", json=PRICING, headers=ADVISOR
    )
    await reception.client.patch(
        f"/repair-orders/{order['id']}",
        json={"version": 1, "progress_confirmed": True},
        headers=ADVISOR,
    )
    stale = await reception.client.post(
        f"/additional-work/{finding}/decision",
        json={"approved": True, "order_version": 1},
        headers=ADVISOR,
    )
    assert stale.status_code == 409


async def test_customer_approves_through_the_link_without_an_account(
    reception: ServiceHarness,
) -> None:
    order = await open_order(reception)
    finding = await find_more(reception, order)
    await reception.client.post(
        f"/additional-work/{finding}/pricing", json=PRICING, headers=ADVISOR
    )
    link = (
        await reception.client.post(f"/additional-work/{finding}/approval-link", headers=ADVISOR)
    ).json()
    view = await reception.client.get(link["url"])
    assert view.status_code == 200, view.text
    assert (
        Decimal(view.json()["price"]) == Decimal("1380.00") and view.json()["delay_minutes"] == 60
    )
    answer = await reception.client.post(link["url"], json={"approved": True})
    assert answer.status_code == 200 and answer.json()["status"] == "approved"
    [event] = await emitted(reception, "work.additional_approved")
    assert event["approved_via"] == "link"
    used = await reception.client.get(link["url"])
    assert used.status_code == 410


async def test_approval_link_expires(
    reception: ServiceHarness, manual_clock: clock.ManualClock
) -> None:
    order = await open_order(reception)
    finding = await find_more(reception, order)
    await reception.client.post(
        f"/additional-work/{finding}/pricing", json=PRICING, headers=ADVISOR
    )
    link = (
        await reception.client.post(f"/additional-work/{finding}/approval-link", headers=ADVISOR)
    ).json()
    manual_clock.advance(timedelta(hours=4, seconds=1))
    expired = await reception.client.post(link["url"], json={"approved": True})
    assert expired.status_code == 410 and "expired" in expired.json()["detail"][0]["msg"]
    assert await emitted(reception, "work.additional_approved") == []


# --- settlement and delivery ------------------------------------------------------------


async def test_settlement_from_work_done_then_discount_payments_exit_pass_and_delivery(
    reception: ServiceHarness,
) -> None:
    order = await open_order(reception, car_wash=True)
    labour_line = order["lines"][0]["id"]
    early = await reception.client.get(f"/repair-orders/{order['id']}/settlement", headers=CASHIER)
    assert early.status_code == 409
    await complete(
        reception,
        order,
        labour_done=[
            events.LabourDone(
                job_id=uuid.uuid4(),
                line_id=uuid.UUID(labour_line),
                operation_code="BRK-010",
                sold_hours=Decimal("1.2"),
                clocked_hours=Decimal("1.0"),
            )
        ],
        parts_used=[events.PartUsed(part_no="1K0698151A", quantity=Decimal("1"))],
    )
    url = f"/repair-orders/{order['id']}"
    settlement = (await reception.client.get(f"{url}/settlement", headers=CASHIER)).json()
    wash = next(line for line in settlement["lines"] if line["code"] == "WASH")
    assert wash["free"] is True and "not done" in (wash["difference_note"] or "")
    assert Decimal(settlement["customer_due"]) == Decimal("840.00")

    not_paid = await reception.client.post(f"{url}/delivery", json=ACCEPTED, headers=ADVISOR)
    assert not_paid.status_code == 409

    big = await reception.client.post(
        f"{url}/settlement/discount",
        json={"amount": "100", "reason": "老客户", "version": 1},
        headers=ADVISOR,
    )
    assert (
        big.json()["discount_status"] == "pending_manager" and Decimal(big.json()["discount"]) == 0
    )
    blocked = await reception.client.post(
        f"{url}/payments", json={"method": "cash", "amount": "10"}, headers=CASHIER
    )
    assert blocked.status_code == 409
    by_advisor = await reception.client.post(
        f"{url}/settlement/discount/decision",
        json={"approved": True, "version": 2},
        headers=ADVISOR,
    )
    assert by_advisor.status_code == 403
    decided = await reception.client.post(
        f"{url}/settlement/discount/decision",
        json={"approved": True, "version": 2},
        headers=MANAGER,
    )
    assert Decimal(decided.json()["customer_due"]) == Decimal("740.00")

    too_much = await reception.client.post(
        f"{url}/payments", json={"method": "cash", "amount": "741"}, headers=CASHIER
    )
    assert too_much.status_code == 422 and too_much.json()["detail"][0]["loc"][-1] == "amount"
    negative = await reception.client.post(
        f"{url}/payments", json={"method": "cash", "amount": "-1"}, headers=CASHIER
    )
    assert negative.status_code == 422
    part = await reception.client.post(
        f"{url}/payments", json={"method": "card", "amount": "500"}, headers=CASHIER
    )
    assert (
        Decimal(part.json()["balance"]) == Decimal("240.00") and part.json()["exit_pass_no"] is None
    )
    rest = await reception.client.post(
        f"{url}/payments", json={"method": "wechat", "amount": "240"}, headers=CASHIER
    )
    assert rest.json()["exit_pass_no"] and Decimal(rest.json()["balance"]) == 0

    document = await reception.client.get(f"{url}/settlement/document", headers=CASHIER)
    assert "免费" in document.text and rest.json()["exit_pass_no"] in document.text
    delivered = await reception.client.post(f"{url}/delivery", json=ACCEPTED, headers=ADVISOR)
    assert delivered.status_code == 200 and delivered.json()["status"] == "delivered"
    [event] = await emitted(reception, "vehicle.delivered")
    assert event["next_service_km"] == 52000 and event["next_service_date"] == "2027-12-01"
    assert Decimal(event["total"]) == Decimal("740.00")


async def test_small_discount_within_the_advisors_allowance_and_payment_on_account(
    reception: ServiceHarness,
) -> None:
    order = await open_order(reception)
    await complete(reception, order)
    url = f"/repair-orders/{order['id']}"
    granted = await reception.client.post(
        f"{url}/settlement/discount",
        json={"amount": "40", "reason": "会员", "version": 1},
        headers=ADVISOR,
    )
    assert granted.json()["discount_status"] == "granted"
    fleet = await reception.client.post(
        f"{url}/payments", json={"method": "on_account", "amount": "800"}, headers=CASHIER
    )
    assert Decimal(fleet.json()["on_account"]) == Decimal("800") and fleet.json()["exit_pass_no"]


async def test_warranty_order_needs_no_payment_and_gets_its_exit_pass(
    reception: ServiceHarness,
) -> None:
    order = await open_order(
        reception, category="warranty", lines=[{"kind": "labour", "code": "BRK-010"}]
    )
    await complete(reception, order)
    settlement = (
        await reception.client.get(f"/repair-orders/{order['id']}/settlement", headers=CASHIER)
    ).json()
    assert Decimal(settlement["customer_due"]) == 0 and settlement["exit_pass_no"]


# --- appointments -----------------------------------------------------------------------


def appointment_body(starts_at: datetime, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer": {"name": "李四", "phone": "13900000002"},
        "vehicle": {"vin": VIN, "plate": "京A12345"},
        "starts_at": starts_at.isoformat(),
        "requested_work": "小保养",
        "estimated_hours": "2",
    }
    body.update(overrides)
    return body


async def test_a_full_slot_is_refused_with_the_next_free_slots(reception: ServiceHarness) -> None:
    slot = T0 + timedelta(days=3)
    setting = await reception.client.put(
        f"/capacity/bj01/{slot.isoformat()}", json={"hours": "3", "bays": 2}, headers=FOREMAN
    )
    assert setting.status_code == 200, setting.text
    first = await reception.client.post(
        "/appointments", json=appointment_body(slot), headers=ADVISOR
    )
    assert first.status_code == 201, first.text
    full = await reception.client.post(
        "/appointments", json=appointment_body(slot), headers=ADVISOR
    )
    assert full.status_code == 409
    message = full.json()["detail"][0]["msg"]
    assert "next free slots" in message and (slot + timedelta(hours=1)).isoformat() in message
    closed = await reception.client.post(
        "/appointments", json=appointment_body(slot + timedelta(hours=14)), headers=ADVISOR
    )
    assert closed.status_code == 422  # 23:00 in Beijing


async def test_capacity_published_by_the_workshop_sets_the_slot_capacity(
    reception: ServiceHarness,
) -> None:
    slot = T0 + timedelta(days=2)
    await reception.publish(
        events.CapacityPublished(
            station_day="bj01:2026-12-03",
            day=slot.date(),
            available_hours=Decimal("10"),
            technicians=2,
        )
    )
    too_long = await reception.client.post(
        "/appointments", json=appointment_body(slot, estimated_hours="1.5"), headers=ADVISOR
    )
    assert too_long.status_code == 409  # 10 h over 10 opening hours: 1 h per slot


async def test_deposit_of_half_the_price_for_expensive_parts_ordered(
    reception: ServiceHarness,
) -> None:
    parts = [{"part_no": "03C145702", "description": "涡轮增压器", "unit_price": "6000"}]
    slot = T0 + timedelta(days=3)
    none = await reception.client.post(
        "/appointments", json=appointment_body(slot, parts_to_order=parts), headers=ADVISOR
    )
    assert none.status_code == 422 and none.json()["detail"][0]["loc"][-1] == "deposit_paid"
    paid = await reception.client.post(
        "/appointments",
        json=appointment_body(slot, parts_to_order=parts, deposit_paid="3000"),
        headers=ADVISOR,
    )
    assert paid.status_code == 201 and Decimal(paid.json()["deposit_required"]) == Decimal("3000")


async def test_reminder_due_a_day_before_is_scheduled_and_sent_by_the_scheduler(
    reception: ServiceHarness, manual_clock: clock.ManualClock
) -> None:
    slot = T0 + timedelta(days=3)
    booked = (
        await reception.client.post("/appointments", json=appointment_body(slot), headers=ADVISOR)
    ).json()
    assert await emitted(reception, "appointment.booked")
    assert await emitted(reception, "appointment.reminder_due") == []
    async with reception.runtime.db.read() as session:
        task = (await session.exec(select(ScheduledTask))).one()
    assert task.due_at == slot - timedelta(days=1)
    manual_clock.set(slot - timedelta(hours=23))
    assert definition.scheduler is not None
    assert await definition.scheduler.run_due() == 1
    [reminder] = await emitted(reception, "appointment.reminder_due")
    assert reminder["appointment_id"] == booked["id"]


async def test_reminder_sent_at_booking_when_its_window_is_already_open(
    reception: ServiceHarness,
) -> None:
    slot = T0 + timedelta(hours=23)  # 08:00 tomorrow in Beijing
    booked = await reception.client.post(
        "/appointments", json=appointment_body(slot), headers=ADVISOR
    )
    assert booked.json()["reminder_sent_at"] is not None
    assert len(await emitted(reception, "appointment.reminder_due")) == 1


async def test_no_show_recorded_after_the_appointment_time(
    reception: ServiceHarness, manual_clock: clock.ManualClock
) -> None:
    slot = T0 + timedelta(hours=3)
    booked = (
        await reception.client.post("/appointments", json=appointment_body(slot), headers=ADVISOR)
    ).json()
    url = f"/appointments/{booked['id']}/no-show"
    early = await reception.client.post(url, json={"reason": "未到店"}, headers=ADVISOR)
    assert early.status_code == 409
    manual_clock.advance(timedelta(hours=4))
    recorded = await reception.client.post(url, json={"reason": "未到店"}, headers=ADVISOR)
    assert recorded.json()["status"] == "no_show"
    [cancelled] = await emitted(reception, "appointment.cancelled")
    assert cancelled["no_show"] is True


async def test_appointment_cancellation_is_recorded_with_its_reason_and_announced(
    reception: ServiceHarness,
) -> None:
    booked = (
        await reception.client.post(
            "/appointments", json=appointment_body(T0 + timedelta(days=2)), headers=ADVISOR
        )
    ).json()
    url = f"/appointments/{booked['id']}/cancellation"
    assert (await reception.client.post(url, json={}, headers=ADVISOR)).status_code == 422
    cancelled = await reception.client.post(url, json={"reason": "客户改期"}, headers=ADVISOR)
    assert cancelled.status_code == 200, cancelled.text
    assert (
        cancelled.json()["status"] == "cancelled"
        and cancelled.json()["cancel_reason"] == "客户改期"
    )
    [event] = await emitted(reception, "appointment.cancelled")
    assert event["reason"] == "客户改期" and event["no_show"] is False
    again = await reception.client.post(url, json={"reason": "x"}, headers=ADVISOR)
    assert again.status_code == 409


async def test_appointment_booked_by_phone_web_or_desk_and_the_workshop_told_at_once(
    reception: ServiceHarness,
) -> None:
    fax = await reception.client.post(
        "/appointments",
        json=appointment_body(T0 + timedelta(days=2), channel="fax"),
        headers=ADVISOR,
    )
    assert fax.status_code == 422 and fax.json()["detail"][0]["loc"][-1] == "channel"
    web = await reception.client.post(
        "/appointments",
        json=appointment_body(T0 + timedelta(days=2), channel="web"),
        headers=ADVISOR,
    )
    assert web.status_code == 201 and web.json()["channel"] == "web"
    [told] = await emitted(reception, "appointment.booked")
    assert told["requested_work"] == "小保养" and Decimal(told["estimated_hours"]) == 2
    assert datetime.fromisoformat(told["starts_at"]) == T0 + timedelta(days=2)


async def test_appointment_move_publishes_appointment_moved_with_a_version_check(
    reception: ServiceHarness,
) -> None:
    booked = (
        await reception.client.post(
            "/appointments", json=appointment_body(T0 + timedelta(days=3)), headers=ADVISOR
        )
    ).json()
    url = f"/appointments/{booked['id']}/move"
    moved = await reception.client.post(
        url, json={"version": 1, "starts_at": (T0 + timedelta(days=4)).isoformat()}, headers=ADVISOR
    )
    assert moved.status_code == 200 and moved.json()["version"] == 2
    [announced] = await emitted(reception, "appointment.moved")
    assert datetime.fromisoformat(announced["previous_starts_at"]) == T0 + timedelta(days=3)
    assert datetime.fromisoformat(announced["starts_at"]) == T0 + timedelta(days=4)
    assert len(await emitted(reception, "appointment.booked")) == 1  # a move is not a booking
    stale = await reception.client.post(
        url, json={"version": 1, "starts_at": (T0 + timedelta(days=5)).isoformat()}, headers=ADVISOR
    )
    assert stale.status_code == 409


async def test_appointment_customer_is_flagged_for_priority_on_arrival(
    reception: ServiceHarness,
) -> None:
    booked = (
        await reception.client.post(
            "/appointments", json=appointment_body(T0 + timedelta(hours=1)), headers=ADVISOR
        )
    ).json()
    arrivals = (await reception.client.get("/board/arrivals", headers=ADVISOR)).json()
    assert [entry["id"] for entry in arrivals["data"]] == [booked["id"]]
    sheet = await reception.client.post(
        "/check-ins", json=check_in_body(appointment_id=booked["id"]), headers=ADVISOR
    )
    assert sheet.json()["priority"] is True
    after = (await reception.client.get(f"/appointments/{booked['id']}", headers=ADVISOR)).json()
    assert after["status"] == "arrived"


# --- the advisor's lists ----------------------------------------------------------------


async def test_progress_check_listed_at_70_percent_and_ready_notice_1_h_before(
    reception: ServiceHarness, manual_clock: clock.ManualClock
) -> None:
    promised = T0 + timedelta(hours=8)  # 17:00 in Beijing, within opening hours
    order = await open_order(reception, promised_at=promised.isoformat())
    assert (await reception.client.get("/board/progress-checks", headers=ADVISOR)).json()[
        "count"
    ] == 0
    manual_clock.set(T0 + timedelta(hours=5, minutes=36))  # 70 % of 8 h
    due = (await reception.client.get("/board/progress-checks", headers=ADVISOR)).json()
    assert [entry["id"] for entry in due["data"]] == [order["id"]]
    assert (await reception.client.get("/board/ready-notices", headers=ADVISOR)).json()[
        "count"
    ] == 0
    manual_clock.set(promised - timedelta(hours=1))
    notices = (await reception.client.get("/board/ready-notices", headers=ADVISOR)).json()
    assert [entry["id"] for entry in notices["data"]] == [order["id"]]
    workshop = (await reception.client.get("/board/in-workshop", headers=ADVISOR)).json()
    assert workshop["data"][0]["late_risk"] is True  # no word from the workshop, an hour to go
    other = (
        await reception.client.get("/board/in-workshop", headers=auth_headers("advisor.sh01"))
    ).json()
    assert other["count"] == 0


async def test_ready_notice_4_h_before_for_a_two_day_job(
    reception: ServiceHarness, manual_clock: clock.ManualClock
) -> None:
    promised = T0 + timedelta(days=2)
    order = await open_order(reception, promised_at=promised.isoformat())
    manual_clock.set(promised - timedelta(hours=4, minutes=1))
    assert (await reception.client.get("/board/ready-notices", headers=ADVISOR)).json()[
        "count"
    ] == 0
    manual_clock.set(promised - timedelta(hours=4))
    notices = (await reception.client.get("/board/ready-notices", headers=ADVISOR)).json()
    assert [entry["id"] for entry in notices["data"]] == [order["id"]]


async def test_cars_ready_for_pickup_listed_after_vehicle_completed(
    reception: ServiceHarness,
) -> None:
    order = await open_order(reception)
    await complete(reception, order)
    ready = (await reception.client.get("/board/ready-for-pickup", headers=ADVISOR)).json()
    assert [entry["id"] for entry in ready["data"]] == [order["id"]]
    printed = await reception.client.get(f"/repair-orders/{order['id']}/document", headers=ADVISOR)
    assert printed.status_code == 200 and order["order_no"] in printed.text


async def test_openapi_shows_every_endpoint_with_examples(reception: ServiceHarness) -> None:
    spec = (await reception.client.get("/openapi.json")).json()
    paths = spec["paths"]
    for path in (
        "/estimates",
        "/repair-orders/{order_id}",
        "/check-ins",
        "/appointments",
        "/additional-work/{finding_id}/decision",
        "/approvals/{token}",
        "/repair-orders/{order_id}/payments",
        "/board/{which}",
        "/repair-orders/{order_id}/cancellation",
        "/repair-orders/{order_id}/history",
        "/repair-orders/{order_id}/documents/{kind}.pdf",
        "/check-ins/{check_in_id}/documents/check-in-sheet.pdf",
        "/appointments/{appointment_id}/documents/appointment-slip.pdf",
        "/vehicles/{vin}/notices",
        "/estimates/stock/{part_no}",
        "/repair-orders/{order_id}/manager-sign-off",
        "/repair-orders/awaiting-sign-off",
        "/repair-orders/{order_id}/invoices",
        "/repair-orders/{order_id}/documents",
        "/diagnoses",
        "/diagnoses/{diagnosis_id}/fee",
        "/diagnoses/{diagnosis_id}/fee/payments",
        "/diagnoses/{diagnosis_id}/documents/diagnosis-report.pdf",
        "/invoices/{invoice_id}/document.pdf",
        "/archive",
        "/archive/{entry_id}/custody",
        "/archive/register.pdf",
    ):
        assert path in paths, path
    schemas = spec["components"]["schemas"]
    for operation in (op for item in paths.values() for op in item.values()):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is None:
            continue
        name = body["schema"]["$ref"].rsplit("/", 1)[-1]
        assert schemas[name].get("examples"), f"{name} has no example"


async def test_demo_seed_books_todays_arrivals_once(
    tmp_path: Path, manual_clock: clock.ManualClock
) -> None:
    async with run_service(definition, tmp_path, seed_demo_data=True) as seeded:
        assert definition.seed is not None
        await definition.seed(seeded.runtime)  # a second run adds nothing
        arrivals = (
            await seeded.client.get("/board/arrivals", headers=auth_headers("group.manager"))
        ).json()
    assert arrivals["count"] >= 1
    assert len({entry["vin"] for entry in arrivals["data"]}) == arrivals["count"]
