"""Process §3 diagnosis report and fee, §7 invoice / receipt and the hand-over at pickup, and
"Signed documents are archived by month and their custody recorded" — through the HTTP API
(test broker, SQLite)."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from services.reception import archive
from services.reception.settings import reception_settings
from services.reception.tests.test_desk import (
    ADVISOR,
    CASHIER,
    FOREMAN,
    MANAGER,
    PRICING,
    T0,
    appointment_body,
    check_in_body,
    complete,
    find_more,
    open_order,
)
from shared import clock
from shared.testing import ServiceHarness, auth_headers

SH_ADVISOR = auth_headers("advisor.sh01")
SH_CASHIER = auth_headers("cashier.sh01")
COMPANY = {"type": "company", "name": "北京某某物流有限公司", "tax_id": "91110105MA01ABCD2X"}


async def pdf_text(reception: ServiceHarness, url: str, headers: Any = ADVISOR) -> str:
    response = await reception.client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


async def check_in(reception: ServiceHarness, **overrides: Any) -> dict[str, Any]:
    response = await reception.client.post(
        "/check-ins", json=check_in_body(**overrides), headers=ADVISOR
    )
    assert response.status_code == 201, response.text
    sheet: dict[str, Any] = response.json()
    return sheet


def diagnosis_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "complaint": "起步时变速箱冲击",
        "findings": "变速箱油温偏高，换挡冲击，阀体磨损",
        "fault_codes": [{"code": "P0730", "description": "传动比错误"}],
        "technician_id": "tech.bj01",
        "technician_name": "赵师傅",
        "road_test": True,
        "recommended_work": [
            {"description": "更换变速箱阀体", "code": "GBX-110", "estimated_price": "4800"},
            {"description": "更换变速箱油", "estimated_price": "650.50", "safety_relevant": False},
        ],
    }
    body.update(overrides)
    return body


async def diagnose(reception: ServiceHarness, **overrides: Any) -> dict[str, Any]:
    response = await reception.client.post(
        "/diagnoses", json=diagnosis_body(**overrides), headers=ADVISOR
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


# --- diagnosis report and fee (process §3) ------------------------------------------------


async def test_diagnosis_report_records_findings_fault_codes_technician_and_work_and_prints(
    reception: ServiceHarness,
) -> None:
    sheet = await check_in(reception)
    report = await diagnose(reception, check_in_id=sheet["id"])
    assert report["diagnosis_no"].startswith("DG-BJ01-20261201-")
    assert report["vin"] == sheet["vin"] and report["customer_name"] == "张三"
    assert report["mileage_km"] == 43000 and report["technician_name"] == "赵师傅"
    assert report["fault_codes"] == [{"code": "P0730", "description": "传动比错误"}]
    assert Decimal(report["estimated_total"]) == Decimal("5450.50")
    assert report["fee_kind"] is None and Decimal(report["fee_balance"]) == 0

    html = await reception.client.get(f"/diagnoses/{report['id']}/document", headers=ADVISOR)
    assert "检测诊断单" in html.text and "P0730" in html.text and "阀体磨损" in html.text
    text = await pdf_text(reception, f"/diagnoses/{report['id']}/documents/diagnosis-report.pdf")
    assert "检测诊断单" in text and "Diagnosis report" in text and report["diagnosis_no"] in text
    assert "P0730" in text and "GBX-110" in text and "¥5,450.50" in text

    listed = (
        await reception.client.get(f"/diagnoses?check_in_id={sheet['id']}", headers=ADVISOR)
    ).json()
    assert [d["id"] for d in listed["data"]] == [report["id"]]
    elsewhere = await reception.client.get(f"/diagnoses/{report['id']}", headers=SH_ADVISOR)
    assert elsewhere.status_code == 404
    foreign_sheet = await reception.client.post(
        "/diagnoses", json=diagnosis_body(check_in_id=sheet["id"]), headers=SH_ADVISOR
    )
    assert foreign_sheet.status_code == 404


async def test_a_diagnosis_needs_the_visit_findings_and_a_technician(
    reception: ServiceHarness,
) -> None:
    nothing = await reception.client.post("/diagnoses", json=diagnosis_body(), headers=ADVISOR)
    assert nothing.status_code == 422 and nothing.json()["detail"][0]["loc"][-1] == "check_in_id"
    desk = await reception.client.post(
        "/diagnoses",
        json=diagnosis_body(
            customer={"name": "李四", "phone": "13900000002"},
            vehicle={"vin": "LFV2A21K7G3000001", "plate": "京A12345"},
        ),
        headers=ADVISOR,
    )
    assert desk.status_code == 201, desk.text
    for field, value in (("findings", ""), ("technician_id", ""), ("fault_codes", [{"code": "!"}])):
        bad = await reception.client.post(
            "/diagnoses",
            json=diagnosis_body(check_in_id=str(uuid.uuid4()), **{field: value}),
            headers=ADVISOR,
        )
        assert bad.status_code == 422 and field in bad.json()["detail"][0]["loc"], bad.text
    negative = await reception.client.post(
        "/diagnoses",
        json=diagnosis_body(
            recommended_work=[{"description": "x", "estimated_price": "-1"}],
            check_in_id=str(uuid.uuid4()),
        ),
        headers=ADVISOR,
    )
    assert negative.status_code == 422


async def test_a_diagnosis_fee_is_charged_only_when_the_customer_leaves_without_an_order(
    reception: ServiceHarness,
) -> None:
    sheet = await check_in(reception)
    report = await diagnose(reception, check_in_id=sheet["id"])
    order = await open_order(reception, check_in_id=sheet["id"], mileage_km=43000)
    url = f"/diagnoses/{report['id']}/fee"
    fee = {"kind": "diagnosis", "amount": "200.00", "reason": "客户不修，离店"}
    refused = await reception.client.post(url, json=fee, headers=ADVISOR)
    assert refused.status_code == 409 and refused.json()["detail"][0]["loc"][-1] == "order_id"
    cancelled = await reception.client.post(
        f"/repair-orders/{order['id']}/cancellation",
        json={"reason": "客户决定不修，车辆开走", "version": order["version"]},
        headers=ADVISOR,
    )
    assert cancelled.status_code == 200, cancelled.text
    by_cashier = await reception.client.post(url, json=fee, headers=CASHIER)
    assert by_cashier.status_code == 403
    charged = await reception.client.post(url, json=fee, headers=ADVISOR)
    assert charged.status_code == 200, charged.text
    assert charged.json()["fee_kind"] == "diagnosis" and Decimal(charged.json()["fee"]) == 200
    zero = await reception.client.post(url, json={**fee, "amount": "0"}, headers=ADVISOR)
    assert zero.status_code == 422 and zero.json()["detail"][0]["loc"][-1] == "amount"


async def test_the_cashier_takes_the_diagnosis_fee_and_issues_its_receipt(
    reception: ServiceHarness,
) -> None:
    sheet = await check_in(reception)
    report = await diagnose(reception, check_in_id=sheet["id"])
    pay_url = f"/diagnoses/{report['id']}/fee/payments"
    nothing_due = await reception.client.post(
        pay_url, json={"method": "cash", "amount": "10"}, headers=CASHIER
    )
    assert nothing_due.status_code == 409
    charged = await reception.client.post(
        f"/diagnoses/{report['id']}/fee",
        json={"kind": "estimate", "amount": "150.00"},
        headers=ADVISOR,
    )
    assert charged.status_code == 200, charged.text
    by_advisor = await reception.client.post(
        pay_url, json={"method": "cash", "amount": "50"}, headers=ADVISOR
    )
    assert by_advisor.status_code == 403
    part = await reception.client.post(
        pay_url, json={"method": "cash", "amount": "50"}, headers=CASHIER
    )
    assert part.status_code == 201 and Decimal(part.json()["fee_balance"]) == 100
    too_much = await reception.client.post(
        pay_url, json={"method": "cash", "amount": "100.01"}, headers=CASHIER
    )
    assert too_much.status_code == 422 and too_much.json()["detail"][0]["loc"][-1] == "amount"
    rest = await reception.client.post(
        pay_url,
        json={"method": "wechat", "amount": "100", "document": {"kind": "receipt"}},
        headers=CASHIER,
    )
    assert rest.status_code == 201, rest.text
    paid = rest.json()
    assert Decimal(paid["fee_balance"]) == 0 and Decimal(paid["fee_paid"]) == 150
    [receipt] = paid["documents"]
    assert receipt["document_no"] == "SJ-BJ01-2026-000001"
    assert Decimal(receipt["amount"]) == 150 and receipt["buyer_name"] == "张三"
    assert receipt["lines"][0]["description"] == "估价费 estimate fee"
    assert all(p["document_id"] == receipt["id"] for p in paid["payments"])
    text = await pdf_text(reception, f"/invoices/{receipt['id']}/document.pdf", CASHIER)
    assert "收据" in text and "SJ-BJ01-2026-000001" in text and "¥150.00" in text
    changed = await reception.client.post(
        f"/diagnoses/{report['id']}/fee",
        json={"kind": "diagnosis", "amount": "300"},
        headers=ADVISOR,
    )
    assert changed.status_code == 409


# --- invoice or receipt (process §7) ------------------------------------------------------


async def completed_order(reception: ServiceHarness, **overrides: Any) -> dict[str, Any]:
    order = await open_order(reception, **overrides)
    await complete(reception, order)
    return order


async def test_invoices_and_receipts_are_numbered_per_station_and_year_without_gaps(
    reception: ServiceHarness,
) -> None:
    first = await completed_order(reception)
    paid = await reception.client.post(
        f"/repair-orders/{first['id']}/payments",
        json={"method": "cash", "amount": "840.00", "document": {"kind": "receipt"}},
        headers=CASHIER,
    )
    assert paid.status_code == 201, paid.text
    [receipt] = paid.json()["documents"]
    assert receipt["document_no"] == "SJ-BJ01-2026-000001" and receipt["serial"] == 1
    # tax split as the settlement computes it: 13 % VAT inside the amount
    assert Decimal(receipt["amount"]) == Decimal("840.00")
    assert Decimal(receipt["tax"]) == Decimal("96.64") and Decimal(receipt["net"]) == Decimal(
        "743.36"
    )
    assert Decimal(paid.json()["undocumented_paid"]) == 0
    # nothing left to document: refused, and the refusal takes no number
    again = await reception.client.post(
        f"/repair-orders/{first['id']}/invoices", json={"kind": "receipt"}, headers=CASHIER
    )
    assert again.status_code == 409

    second = await completed_order(reception)
    for amount in ("500.00", "340.00"):
        part = await reception.client.post(
            f"/repair-orders/{second['id']}/payments",
            json={"method": "card", "amount": amount},
            headers=CASHIER,
        )
        assert part.status_code == 201
    no_tax_id = await reception.client.post(
        f"/repair-orders/{second['id']}/invoices",
        json={"kind": "invoice", "buyer": {"type": "company", "name": "北京某某物流有限公司"}},
        headers=CASHIER,
    )
    assert no_tax_id.status_code == 422
    assert no_tax_id.json()["detail"][0]["loc"][-2:] == ["buyer", "tax_id"]
    by_advisor = await reception.client.post(
        f"/repair-orders/{second['id']}/invoices",
        json={"kind": "invoice", "buyer": COMPANY},
        headers=ADVISOR,
    )
    assert by_advisor.status_code == 403
    invoice = await reception.client.post(
        f"/repair-orders/{second['id']}/invoices",
        json={"kind": "invoice", "buyer": COMPANY},
        headers=CASHIER,
    )
    assert invoice.status_code == 201, invoice.text
    body = invoice.json()
    assert (
        body["document_no"] == "FP-BJ01-2026-000001" and body["buyer_tax_id"] == COMPANY["tax_id"]
    )
    assert Decimal(body["amount"]) == Decimal("840.00") and len(body["payments"]) == 2
    # the items are the customer's settlement lines: labour ¥360 and brake pads ¥480
    assert sum(Decimal(line["amount"]) for line in body["lines"]) == Decimal("840.00")
    assert {line["kind"] for line in body["lines"]} == {"labour", "part"}

    third = await completed_order(reception)
    third_paid = await reception.client.post(
        f"/repair-orders/{third['id']}/payments",
        json={"method": "wechat", "amount": "840.00", "document": {"kind": "receipt"}},
        headers=CASHIER,
    )
    assert third_paid.json()["documents"][0]["document_no"] == "SJ-BJ01-2026-000002"

    books = (await reception.client.get("/invoices?kind=receipt", headers=CASHIER)).json()
    assert [d["serial"] for d in books["data"]] == [1, 2]
    assert (await reception.client.get("/invoices", headers=SH_CASHIER)).json()["count"] == 0

    documents = (
        await reception.client.get(f"/repair-orders/{second['id']}/documents", headers=CASHIER)
    ).json()
    listed = {d["kind"]: d for d in documents["data"]}
    assert listed["invoice"]["number"] == "FP-BJ01-2026-000001" and listed["invoice"]["available"]
    assert listed["exit-pass"]["available"] and not listed["delivery-acceptance"]["available"]
    text = await pdf_text(reception, listed["invoice"]["url"], CASHIER)
    assert "发票" in text and "FP-BJ01-2026-000001" in text and COMPANY["tax_id"] in text
    assert "¥96.64" in text and "¥743.36" in text
    html = await reception.client.get(f"/invoices/{body['id']}/document", headers=CASHIER)
    assert "FP-BJ01-2026-000001" in html.text
    foreign = await reception.client.get(f"/invoices/{body['id']}", headers=SH_CASHIER)
    assert foreign.status_code == 404


async def test_amounts_on_account_are_invoiced_to_the_fleet_or_insurer_as_a_company_invoice(
    reception: ServiceHarness,
) -> None:
    order = await completed_order(reception)
    url = f"/repair-orders/{order['id']}"
    booked = await reception.client.post(
        f"{url}/payments", json={"method": "on_account", "amount": "840.00"}, headers=CASHIER
    )
    assert booked.status_code == 201 and booked.json()["exit_pass_no"]
    assert Decimal(booked.json()["undocumented_on_account"]) == Decimal("840.00")
    not_paid = await reception.client.post(
        f"{url}/invoices", json={"kind": "receipt"}, headers=CASHIER
    )
    assert not_paid.status_code == 409  # nothing was paid: the account holder is invoiced
    receipt = await reception.client.post(
        f"{url}/invoices", json={"kind": "receipt", "on_account": True}, headers=CASHIER
    )
    assert receipt.status_code == 422 and receipt.json()["detail"][0]["loc"][-1] == "on_account"
    invoice = await reception.client.post(
        f"{url}/invoices",
        json={"kind": "invoice", "buyer": COMPANY, "on_account": True},
        headers=CASHIER,
    )
    assert invoice.status_code == 201, invoice.text
    assert invoice.json()["on_account"] is True and invoice.json()["document_no"].startswith("FP-")
    settlement = (await reception.client.get(f"{url}/settlement", headers=CASHIER)).json()
    assert Decimal(settlement["undocumented_on_account"]) == 0


# --- delivery (process §7 last two bullets) ----------------------------------------------


async def settled_order(reception: ServiceHarness, **overrides: Any) -> dict[str, Any]:
    order = await completed_order(reception, **overrides)
    paid = await reception.client.post(
        f"/repair-orders/{order['id']}/payments",
        json={"method": "cash", "amount": "840.00"},
        headers=CASHIER,
    )
    assert paid.status_code == 201 and paid.json()["exit_pass_no"], paid.text
    return order


HAND_OVER = {
    "customer_accepted": True,
    "signature": {"name": "张三", "typed_confirmation": "车辆、物品已检查无误"},
    "belongings_checked": True,
    "bodywork_checked": True,
    "covers_removed": True,
    "work_explained": True,
    "documents_returned": True,
    "keys_returned": True,
    "next_service_told": True,
    "follow_up_call_announced": True,
    "next_service_km": 52000,
}


async def test_at_pickup_the_customer_checks_the_car_and_signs_and_the_checklist_is_recorded(
    reception: ServiceHarness,
) -> None:
    order = await settled_order(reception)
    booked = await reception.client.post(
        "/appointments", json=appointment_body(T0 + timedelta(days=180)), headers=ADVISOR
    )
    assert booked.status_code == 201, booked.text
    delivered = await reception.client.post(
        f"/repair-orders/{order['id']}/delivery",
        json={**HAND_OVER, "next_appointment_id": booked.json()["id"]},
        headers=ADVISOR,
    )
    assert delivered.status_code == 200, delivered.text
    hand_over = delivered.json()["delivery"]
    assert hand_over["signature_captured"] is True and hand_over["signature_name"] == "张三"
    assert hand_over["belongings_checked"] and hand_over["bodywork_checked"]
    assert hand_over["covers_removed"] and hand_over["work_explained"]
    assert hand_over["documents_returned"] and hand_over["keys_returned"]
    assert hand_over["next_service_told"] and hand_over["follow_up_call_announced"]
    assert hand_over["next_booking_suggested"] is True
    assert hand_over["next_appointment_id"] == booked.json()["id"]
    text = await pdf_text(
        reception, f"/repair-orders/{order['id']}/documents/delivery-acceptance.pdf"
    )
    assert "交车确认单" in text and "Delivery acceptance" in text and "车辆、物品已检查无误" in text
    assert "52000 km" in text
    history = (
        await reception.client.get(f"/repair-orders/{order['id']}/history", headers=ADVISOR)
    ).json()
    [handed] = [e for e in history["data"] if e["event"] == "delivered"]
    assert handed["by"] == "advisor.bj01" and handed["detail"] == "accepted by 张三"


async def test_delivery_refused_unless_belongings_bodywork_documents_and_keys_are_checked(
    reception: ServiceHarness,
) -> None:
    order = await settled_order(reception)
    url = f"/repair-orders/{order['id']}/delivery"
    early = await reception.client.get(
        f"/repair-orders/{order['id']}/documents/delivery-acceptance.pdf", headers=ADVISOR
    )
    assert early.status_code == 409
    for field in ("belongings_checked", "bodywork_checked", "documents_returned", "keys_returned"):
        refused = await reception.client.post(
            url, json={**HAND_OVER, field: False}, headers=ADVISOR
        )
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == field
    other_vin = await reception.client.post(
        "/appointments",
        json=appointment_body(
            T0 + timedelta(days=30), vehicle={"vin": "LSGPC52U26F123456", "plate": "京C1"}
        ),
        headers=ADVISOR,
    )
    assert other_vin.status_code == 201, other_vin.text
    wrong = await reception.client.post(
        url, json={**HAND_OVER, "next_appointment_id": other_vin.json()["id"]}, headers=ADVISOR
    )
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["loc"][-1] == "next_appointment_id"
    unsigned = await reception.client.post(
        url, json={**HAND_OVER, "signature": {"name": "张三"}}, headers=ADVISOR
    )
    assert unsigned.status_code == 422


async def test_delivery_without_the_acceptance_signature_is_refused(
    reception: ServiceHarness,
) -> None:
    """At pickup the customer signs to accept the car (process §7)."""
    order = await settled_order(reception)
    url = f"/repair-orders/{order['id']}/delivery"
    refused = await reception.client.post(url, json={"customer_accepted": True}, headers=ADVISOR)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "signature"
    signed = await reception.client.post(url, json=HAND_OVER, headers=ADVISOR)
    assert signed.status_code == 200, signed.text


async def test_a_station_on_paper_records_the_advisors_tick_as_no_captured_signature(
    reception: ServiceHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With RECEPTION_DELIVERY_SIGNATURE_REQUIRED=false the advisor's tick is accepted, and
    the record says plainly that no signature was captured."""
    order = await settled_order(reception)
    monkeypatch.setenv("RECEPTION_DELIVERY_SIGNATURE_REQUIRED", "false")
    reception_settings.cache_clear()
    try:
        delivered = await reception.client.post(
            f"/repair-orders/{order['id']}/delivery",
            json={"customer_accepted": True, "next_service_km": 52000},
            headers=ADVISOR,
        )
    finally:
        monkeypatch.delenv("RECEPTION_DELIVERY_SIGNATURE_REQUIRED")
        reception_settings.cache_clear()
    assert delivered.status_code == 200, delivered.text
    hand_over = delivered.json()["delivery"]
    assert hand_over["signature_captured"] is False and hand_over["signature_name"] == "张三"
    assert hand_over["belongings_checked"] and hand_over["bodywork_checked"]
    assert hand_over["covers_removed"] is None and hand_over["keys_returned"] is None


# --- archive of signed documents ----------------------------------------------------------


def test_the_archive_month_is_the_stations_local_month() -> None:
    # 2026-11-30 17:30 UTC is 2026-12-01 01:30 in Beijing
    assert archive.archive_month(datetime(2026, 11, 30, 17, 30, tzinfo=UTC)) == "2026-12"
    assert archive.archive_month(datetime(2026, 11, 30, 15, 59, tzinfo=UTC)) == "2026-11"


async def test_signed_documents_are_archived_by_month_and_their_custody_recorded(
    reception: ServiceHarness, manual_clock: clock.ManualClock
) -> None:
    sheet = await check_in(reception)
    order = await open_order(reception, check_in_id=sheet["id"], mileage_km=43000)
    finding = await find_more(reception, order)
    priced = await reception.client.post(
        f"/additional-work/{finding}/pricing", json=PRICING, headers=ADVISOR
    )
    assert priced.status_code == 200
    declined = await reception.client.post(
        f"/additional-work/{finding}/decision", json={"approved": False}, headers=ADVISOR
    )
    assert declined.status_code == 200
    await complete(reception, order)
    paid = await reception.client.post(
        f"/repair-orders/{order['id']}/payments",
        json={"method": "cash", "amount": "840.00", "document": {"kind": "receipt"}},
        headers=CASHIER,
    )
    assert paid.status_code == 201, paid.text
    delivered = await reception.client.post(
        f"/repair-orders/{order['id']}/delivery", json=HAND_OVER, headers=ADVISOR
    )
    assert delivered.status_code == 200, delivered.text

    month = (await reception.client.get("/archive?month=2026-12", headers=ADVISOR)).json()
    kinds = {entry["document_kind"]: entry for entry in month["data"]}
    assert set(kinds) == {
        "check-in-sheet",
        "repair-order",
        "recommended-work",
        "settlement",
        "exit-pass",
        "receipt",
        "delivery-acceptance",
    }
    assert kinds["repair-order"]["document_no"] == order["order_no"]
    assert kinds["exit-pass"]["document_no"] == paid.json()["exit_pass_no"]
    assert kinds["receipt"]["document_no"] == "SJ-BJ01-2026-000001"
    assert kinds["receipt"]["custodian"] == "cashier.bj01"
    assert kinds["delivery-acceptance"]["signed_by"] == "张三"
    assert all(entry["archive_month"] == "2026-12" for entry in month["data"])
    assert (await reception.client.get("/archive?month=2026-11", headers=ADVISOR)).json()[
        "count"
    ] == 0
    assert (await reception.client.get("/archive?month=2026-12", headers=SH_ADVISOR)).json()[
        "count"
    ] == 0

    entry = kinds["repair-order"]
    url = f"/archive/{entry['id']}/custody"
    manual_clock.advance(timedelta(hours=2))
    future = await reception.client.post(
        url,
        json={
            "custodian": "档案室 王芳",
            "handed_at": (clock.now() + timedelta(hours=1)).isoformat(),
        },
        headers=ADVISOR,
    )
    assert future.status_code == 422 and future.json()["detail"][0]["loc"][-1] == "handed_at"
    before_signing = await reception.client.post(
        url,
        json={"custodian": "档案室 王芳", "handed_at": (T0 - timedelta(hours=1)).isoformat()},
        headers=ADVISOR,
    )
    assert before_signing.status_code == 422
    by_foreman = await reception.client.post(url, json={"custodian": "x"}, headers=FOREMAN)
    assert by_foreman.status_code == 403
    foreign = await reception.client.post(url, json={"custodian": "x"}, headers=SH_ADVISOR)
    assert foreign.status_code == 404
    same = await reception.client.post(url, json={"custodian": "advisor.bj01"}, headers=ADVISOR)
    assert same.status_code == 422 and same.json()["detail"][0]["loc"][-1] == "custodian"
    handed = await reception.client.post(
        url,
        json={
            "custodian": "档案室 王芳",
            "location": "2026-12 / 盒 B03 / 架 2",
            "note": "月末归档",
            "version": entry["version"],
        },
        headers=ADVISOR,
    )
    assert handed.status_code == 200, handed.text
    after = handed.json()
    assert after["custodian"] == "档案室 王芳" and after["location"] == "2026-12 / 盒 B03 / 架 2"
    assert [(c["from_custodian"], c["to_custodian"]) for c in after["custody"]] == [
        (None, "advisor.bj01"),
        ("advisor.bj01", "档案室 王芳"),
    ]
    stale = await reception.client.post(
        url, json={"custodian": "站长", "version": entry["version"]}, headers=MANAGER
    )
    assert stale.status_code == 409
    to_manager = await reception.client.post(
        url, json={"custodian": "站长", "version": after["version"]}, headers=MANAGER
    )
    assert to_manager.status_code == 200 and to_manager.json()["location"] == after["location"]

    register = await pdf_text(reception, "/archive/register.pdf?month=2026-12", ADVISOR)
    assert "归档登记表" in register and "Archive register" in register
    assert order["order_no"] in register and "B03" in register
    html = await reception.client.get("/archive/register?month=2026-12", headers=ADVISOR)
    assert "档案室 王芳" in html.text and "SJ-BJ01-2026-000001" in html.text
    bad_month = await reception.client.get("/archive?month=2026-13", headers=ADVISOR)
    assert bad_month.status_code == 422
