"""Process §4: orders over ¥10,000 and VIP orders involve the service manager (a recorded
sign-off before the exit pass and the delivery); process §10: the 三包 thresholds warranty
reports are shown to the advisor on the vehicle's notices, the check-in sheet and the order."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

from pypdf import PdfReader

from services.reception.tests.conftest import ACCEPTED
from services.reception.tests.test_desk import (
    ADVISOR,
    CASHIER,
    MANAGER,
    PRICING,
    check_in_body,
    complete,
    find_more,
    open_order,
)
from services.reception.tests.test_repair_orders import VIN
from shared import clock
from shared.contracts import events
from shared.testing import ServiceHarness, auth_headers

SH_MANAGER = auth_headers("manager.sh01")
SH_ADVISOR = auth_headers("advisor.sh01")

#: labour ¥360 + a ¥12,000 gearbox: over the ¥10,000 the manager takes part in
BIG_LINES: list[dict[str, Any]] = [
    {"ref": "L1", "kind": "labour", "code": "BRK-010"},
    {
        "kind": "part",
        "code": "0AM300049",
        "description": "双离合变速箱总成",
        "unit_price": "12000",
        "labour_ref": "L1",
        "in_stock": True,
    },
]


async def pay_in_full(reception: ServiceHarness, order_id: str) -> dict[str, Any]:
    url = f"/repair-orders/{order_id}"
    settlement = (await reception.client.get(f"{url}/settlement", headers=CASHIER)).json()
    paid = await reception.client.post(
        f"{url}/payments",
        json={"method": "transfer", "amount": settlement["balance"]},
        headers=CASHIER,
    )
    assert paid.status_code == 201, paid.text
    result: dict[str, Any] = paid.json()
    return result


async def test_an_order_over_10000_is_not_delivered_until_the_service_manager_signs_it_off(
    reception: ServiceHarness,
) -> None:
    order = await open_order(reception, lines=BIG_LINES)
    assert order["flagged_for_manager"] and order["awaiting_manager_sign_off"]
    url = f"/repair-orders/{order['id']}"

    waiting = (
        await reception.client.get("/repair-orders/awaiting-sign-off", headers=MANAGER)
    ).json()
    assert [o["id"] for o in waiting["data"]] == [order["id"]]
    other_station = (
        await reception.client.get("/repair-orders/awaiting-sign-off", headers=SH_MANAGER)
    ).json()
    assert other_station["count"] == 0

    await complete(reception, order)
    settled = await pay_in_full(reception, order["id"])
    assert Decimal(settled["balance"]) == 0 and settled["exit_pass_no"] is None
    assert settled["awaiting_manager_sign_off"] is True
    refused = await reception.client.post(f"{url}/delivery", json=ACCEPTED, headers=ADVISOR)
    assert refused.status_code == 409
    assert refused.json()["detail"][0]["loc"][-1] == "manager_sign_off"

    version = (await reception.client.get(url, headers=ADVISOR)).json()["version"]
    by_advisor = await reception.client.post(
        f"{url}/manager-sign-off", json={"note": "ok", "version": version}, headers=ADVISOR
    )
    assert by_advisor.status_code == 403
    elsewhere = await reception.client.post(
        f"{url}/manager-sign-off", json={"note": "ok", "version": version}, headers=SH_MANAGER
    )
    assert elsewhere.status_code == 404
    stale = await reception.client.post(
        f"{url}/manager-sign-off", json={"note": "ok", "version": version - 1}, headers=MANAGER
    )
    assert stale.status_code == 409 and stale.json()["detail"][0]["loc"][-1] == "version"
    no_note = await reception.client.post(
        f"{url}/manager-sign-off", json={"note": "", "version": version}, headers=MANAGER
    )
    assert no_note.status_code == 422 and no_note.json()["detail"][0]["loc"][-1] == "note"

    signed = await reception.client.post(
        f"{url}/manager-sign-off",
        json={"note": "变速箱更换方案已与客户确认", "version": version},
        headers=MANAGER,
    )
    assert signed.status_code == 200, signed.text
    body = signed.json()
    assert body["manager_signed_off_by"] == "manager.bj01" and body["manager_signed_off_at"]
    assert body["manager_sign_off_note"] == "变速箱更换方案已与客户确认"
    assert body["awaiting_manager_sign_off"] is False
    # settled in full before the sign-off: the exit pass comes with it
    settlement = (await reception.client.get(f"{url}/settlement", headers=CASHIER)).json()
    assert settlement["exit_pass_no"] and settlement["awaiting_manager_sign_off"] is False
    again = await reception.client.post(
        f"{url}/manager-sign-off",
        json={"note": "again", "version": body["version"]},
        headers=MANAGER,
    )
    assert again.status_code == 409
    assert (await reception.client.get("/repair-orders/awaiting-sign-off", headers=MANAGER)).json()[
        "count"
    ] == 0

    delivered = await reception.client.post(f"{url}/delivery", json=ACCEPTED, headers=ADVISOR)
    assert delivered.status_code == 200, delivered.text
    history = (await reception.client.get(f"{url}/history", headers=ADVISOR)).json()
    signed_off = next(e for e in history["data"] if e["event"] == "manager_signed_off")
    assert signed_off["by"] == "manager.bj01"


async def test_a_vip_customers_order_involves_the_service_manager_whatever_its_total(
    reception: ServiceHarness,
) -> None:
    vip = await open_order(
        reception, customer={"name": "王总", "phone": "13800000009", "is_vip": True}
    )
    assert vip["flagged_for_manager"] and vip["awaiting_manager_sign_off"]
    ordinary = await open_order(reception)
    assert not ordinary["flagged_for_manager"] and not ordinary["awaiting_manager_sign_off"]
    not_flagged = await reception.client.post(
        f"/repair-orders/{ordinary['id']}/manager-sign-off",
        json={"note": "ok", "version": ordinary["version"]},
        headers=MANAGER,
    )
    assert not_flagged.status_code == 409
    # an ordinary order is settled and delivered without the manager, as before
    await complete(reception, ordinary)
    settled = await pay_in_full(reception, ordinary["id"])
    assert settled["exit_pass_no"]
    # signed off while the car is still in the workshop: the exit pass follows payment
    signed = await reception.client.post(
        f"/repair-orders/{vip['id']}/manager-sign-off",
        json={"note": "VIP 客户，已关注", "version": vip["version"]},
        headers=MANAGER,
    )
    assert signed.status_code == 200, signed.text
    await complete(reception, vip)
    assert (await pay_in_full(reception, vip["id"]))["exit_pass_no"]


async def test_approved_additional_work_taking_an_order_over_10000_needs_the_manager(
    reception: ServiceHarness,
) -> None:
    order = await open_order(reception)
    assert not order["flagged_for_manager"]
    finding = await find_more(reception, order)
    pricing = {
        "lines": [
            *PRICING["lines"],
            {"kind": "part", "code": "0AM300049", "description": "变速箱", "unit_price": "9500"},
        ]
    }
    priced = await reception.client.post(
        f"/additional-work/{finding}/pricing", json=pricing, headers=ADVISOR
    )
    assert priced.status_code == 200, priced.text
    approved = await reception.client.post(
        f"/additional-work/{finding}/decision", json={"approved": True}, headers=ADVISOR
    )
    assert approved.status_code == 200, approved.text
    after = (await reception.client.get(f"/repair-orders/{order['id']}", headers=ADVISOR)).json()
    assert Decimal(after["total"]) > Decimal("10000")
    assert after["flagged_for_manager"] and after["awaiting_manager_sign_off"]


# --- 三包 warnings (process §10) ----------------------------------------------------------


def sanbao(**overrides: Any) -> events.SanbaoThresholdApproached:
    fields: dict[str, Any] = {
        "vin": VIN,
        "rule": events.SanbaoRule.SAME_FAULT_OVER_4,
        "reached": False,
        "count": 4,
        "threshold": 5,
        "fault": "变速箱换挡冲击",
        "remedy": "replacement or return",
        "message": "同一质量问题已修理 4 次，再修一次客户可要求换车或退车",
    }
    fields.update(overrides)
    return events.SanbaoThresholdApproached(**fields)


async def test_sanbao_threshold_warning_is_shown_on_notices_check_in_and_the_order_view(
    reception: ServiceHarness,
) -> None:
    await reception.publish(sanbao())
    notices = (await reception.client.get(f"/vehicles/{VIN}/notices", headers=ADVISOR)).json()
    [warning] = notices["sanbao_warnings"]
    assert warning["rule"] == "same_fault_over_4" and warning["count"] == 4
    assert warning["reached"] is False and "4 次" in warning["message"]
    # the national rules follow the vehicle: another station's advisor sees it too
    elsewhere = (await reception.client.get(f"/vehicles/{VIN}/notices", headers=SH_ADVISOR)).json()
    assert len(elsewhere["sanbao_warnings"]) == 1

    check_in = await reception.client.post("/check-ins", json=check_in_body(), headers=ADVISOR)
    assert check_in.status_code == 201, check_in.text
    assert check_in.json()["sanbao_warnings"][0]["fault"] == "变速箱换挡冲击"
    sheet = await reception.client.get(
        f"/check-ins/{check_in.json()['id']}/document", headers=ADVISOR
    )
    assert "三包" in sheet.text and "4 次" in sheet.text
    printed = await reception.client.get(
        f"/check-ins/{check_in.json()['id']}/documents/check-in-sheet.pdf", headers=ADVISOR
    )
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(printed.content)).pages)
    assert "三包" in text and "same_fault_over_4" in text

    order = await open_order(reception, check_in_id=check_in.json()["id"], mileage_km=43000)
    view = (await reception.client.get(f"/repair-orders/{order['id']}", headers=ADVISOR)).json()
    assert view["sanbao_warnings"][0]["rule"] == "same_fault_over_4"

    # reached now (a newer report replaces the warning of the same rule and fault)
    await reception.publish(sanbao(reached=True, count=5, message="已达三包换退车条件"))
    [now_reached] = (
        await reception.client.get(f"/vehicles/{VIN}/notices", headers=ADVISOR)
    ).json()["sanbao_warnings"]
    assert now_reached["reached"] is True and now_reached["count"] == 5


async def test_an_older_sanbao_report_never_overwrites_a_newer_one(
    reception: ServiceHarness,
) -> None:
    await reception.publish(sanbao(reached=True, count=5, message="reached"))
    await reception.publish(
        sanbao(count=3, message="older"), occurred_at=clock.now() - timedelta(hours=1)
    )
    await reception.publish(
        sanbao(rule=events.SanbaoRule.REPAIR_DAYS_OVER_30, fault=None, count=27, threshold=30)
    )
    warnings = (await reception.client.get(f"/vehicles/{VIN}/notices", headers=ADVISOR)).json()[
        "sanbao_warnings"
    ]
    by_rule = {w["rule"]: w for w in warnings}
    assert by_rule["same_fault_over_4"]["message"] == "reached"
    assert by_rule["repair_days_over_30"]["count"] == 27 and len(warnings) == 2
    # reached ones first
    assert warnings[0]["reached"] is True
