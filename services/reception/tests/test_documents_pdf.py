"""Printed documents as PDF (Chinese + English labels), read back with pypdf: appointment slip,
check-in sheet, quotation, repair order, recommended-work sheet, settlement, exit pass and
quality guarantee; station-scoped, and refused (409) before they are due."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pypdf import PdfReader

from services.reception.tests.test_cancellation_notices_stock import launch, stock
from services.reception.tests.test_desk import (
    ADVISOR,
    CASHIER,
    PRICING,
    T0,
    appointment_body,
    check_in_body,
    complete,
    find_more,
    open_order,
)
from services.reception.tests.test_repair_orders import VIN
from shared.testing import ServiceHarness, auth_headers

SH_ADVISOR = auth_headers("advisor.sh01")


async def pdf_text(reception: ServiceHarness, url: str, headers: Any = ADVISOR) -> str:
    response = await reception.client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


async def test_appointment_slip_pdf_shows_the_agreed_time_work_and_deposit(
    reception: ServiceHarness,
) -> None:
    booked = (
        await reception.client.post(
            "/appointments", json=appointment_body(T0 + timedelta(days=2)), headers=ADVISOR
        )
    ).json()
    text = await pdf_text(reception, f"/appointments/{booked['id']}/documents/appointment-slip.pdf")
    assert "预约单" in text and "Appointment slip" in text
    assert "李四" in text and "小保养" in text and VIN in text
    assert "2026-12-03 09:00" in text  # station time
    other = await reception.client.get(
        f"/appointments/{booked['id']}/documents/appointment-slip.pdf", headers=SH_ADVISOR
    )
    assert other.status_code == 404


async def test_appointment_register_pdf_lists_the_days_appointments_and_outcomes(
    reception: ServiceHarness,
) -> None:
    first = (
        await reception.client.post(
            "/appointments", json=appointment_body(T0 + timedelta(hours=2)), headers=ADVISOR
        )
    ).json()
    await reception.client.post(
        "/appointments",
        json=appointment_body(T0 + timedelta(hours=4), requested_work="更换轮胎"),
        headers=ADVISOR,
    )
    await reception.client.post(
        f"/appointments/{first['id']}/cancellation", json={"reason": "客户改期"}, headers=ADVISOR
    )
    text = await pdf_text(reception, "/appointments/register.pdf?day=2026-12-01")
    assert "预约登记表" in text and "Appointment register" in text
    assert "小保养" in text and "更换轮胎" in text and "客户改期" in text
    assert "2026-12-01 11:00" in text and "2026-12-01 13:00" in text
    other = await pdf_text(reception, "/appointments/register.pdf?day=2026-12-01", SH_ADVISOR)
    assert "小保养" not in other and "无 none" in other


async def test_check_in_sheet_pdf_lists_covers_belongings_damage_marks_and_open_recalls(
    reception: ServiceHarness,
) -> None:
    await launch(reception)
    sheet = (
        await reception.client.post(
            "/check-ins",
            json=check_in_body(
                belongings=["雨伞", "儿童座椅"], covers_fitted=True, valuables_reminded=True
            ),
            headers=ADVISOR,
        )
    ).json()
    assert sheet["covers_fitted"] is True and sheet["valuables_reminded"] is True
    text = await pdf_text(reception, f"/check-ins/{sheet['id']}/documents/check-in-sheet.pdf")
    assert "Protective covers fitted\n是 yes" in text
    assert "接车单" in text and "Check-in sheet" in text
    assert "随车物品清单" in text and "雨伞" in text and "儿童座椅" in text
    assert "外观损伤" in text and "front bumper" in text and "scratch" in text and "20 cm" in text
    assert "43000 km" in text and "K-017" in text and "行驶证" in text
    assert "RC-2026-07" in text and "转向机支架加固召回" in text
    assert "张三" in text  # the customer's signature
    assert "请带走车内贵重物品" in text  # the customer is reminded to take valuables
    other = await reception.client.get(
        f"/check-ins/{sheet['id']}/documents/check-in-sheet.pdf", headers=SH_ADVISOR
    )
    assert other.status_code == 404


async def test_quotation_and_repair_order_pdfs_carry_the_agreed_lines_total_and_waiting(
    reception: ServiceHarness,
) -> None:
    order = await open_order(reception, car_wash=True, customer_waiting=True)
    assert order["customer_waiting"] is True
    base = f"/repair-orders/{order['id']}/documents"
    quote = await pdf_text(reception, f"{base}/quotation.pdf")
    assert "报价单" in quote and "Quotation" in quote and order["order_no"] in quote
    assert "1K0698151A" in quote and "前刹车片" in quote and "¥840.00" in quote
    assert "免费 free" in quote  # the car wash
    signed = await pdf_text(reception, f"{base}/repair-order.pdf")
    assert "任务委托书" in signed and "Repair order" in signed
    assert "刹车时有异响" in signed  # the complaint in the customer's words
    assert "旧件处理" in signed and "dispose" in signed and "Car wash" in signed
    assert "waits in the lounge" in signed
    assert "¥840.00" in signed
    for kind in ("quotation", "repair-order"):
        other = await reception.client.get(f"{base}/{kind}.pdf", headers=SH_ADVISOR)
        assert other.status_code == 404
    unknown = await reception.client.get(f"{base}/invoice.pdf", headers=ADVISOR)
    assert unknown.status_code == 422


async def test_recommended_work_sheet_pdf_lists_declined_safety_items(
    reception: ServiceHarness,
) -> None:
    order = await open_order(reception)
    finding = await find_more(reception, order)
    await reception.client.post(
        f"/additional-work/{finding}/pricing", json=PRICING, headers=ADVISOR
    )
    declined = await reception.client.post(
        f"/additional-work/{finding}/decision",
        json={"approved": False, "workshop_told": "foreman.bj01"},
        headers=ADVISOR,
    )
    assert declined.status_code == 200, declined.text
    text = await pdf_text(reception, f"/repair-orders/{order['id']}/documents/recommended-work.pdf")
    assert "建议项目表" in text and "Recommended work" in text
    assert "前刹车盘磨损超限" in text and "safety relevant" in text and "foreman.bj01" in text
    assert "Safety-relevant work was declined" in text


async def test_settlement_exit_pass_and_quality_guarantee_pdfs_once_due(
    reception: ServiceHarness,
) -> None:
    order = await open_order(reception)
    base = f"/repair-orders/{order['id']}/documents"
    for kind in ("settlement", "exit-pass", "quality-guarantee"):
        early = await reception.client.get(f"{base}/{kind}.pdf", headers=ADVISOR)
        assert early.status_code == 409, kind
    await complete(reception, order)
    settlement = await pdf_text(reception, f"{base}/settlement.pdf", CASHIER)
    assert "结算单" in settlement and "Settlement" in settlement and "¥840.00" in settlement
    assert (await reception.client.get(f"{base}/exit-pass.pdf", headers=ADVISOR)).status_code == 409
    paid = await reception.client.post(
        f"/repair-orders/{order['id']}/payments",
        json={"method": "wechat", "amount": "840.00"},
        headers=CASHIER,
    )
    assert paid.status_code == 201, paid.text
    exit_pass_no = paid.json()["exit_pass_no"]
    exit_pass = await pdf_text(reception, f"{base}/exit-pass.pdf")
    assert "出厂通知单" in exit_pass and "Exit pass" in exit_pass and exit_pass_no in exit_pass
    guarantee = await pdf_text(reception, f"{base}/quality-guarantee.pdf")
    assert "质量保证书" in guarantee and "Quality guarantee" in guarantee
    # brake pads are a specific repair: 10 days or 2,000 km under 机动车维修管理规定
    assert "10 天" in guarantee and "2,000 km" in guarantee and "BRK-010" in guarantee
    other = await reception.client.get(f"{base}/settlement.pdf", headers=SH_ADVISOR)
    assert other.status_code == 404


async def test_quality_guarantee_excludes_customer_supplied_parts(
    reception: ServiceHarness,
) -> None:
    order = await open_order(
        reception,
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
    await complete(reception, order)
    text = await pdf_text(
        reception, f"/repair-orders/{order['id']}/documents/quality-guarantee.pdf"
    )
    assert "不提供质量担保" in text and "OWN-PADS" in text
    guaranteed = text.split("Guaranteed work")[1].split("Not guaranteed")[0]
    assert "BRK-010" in guaranteed and "OWN-PADS" not in guaranteed


async def test_printed_documents_are_station_scoped_for_unknown_ids(
    reception: ServiceHarness,
) -> None:
    missing = await reception.client.get(
        f"/repair-orders/{uuid.uuid4()}/documents/repair-order.pdf", headers=ADVISOR
    )
    assert missing.status_code == 404


async def test_quotation_before_signing_shows_live_stock_choices_and_dropped_lines(
    reception: ServiceHarness,
) -> None:
    await stock(reception, "5Q0615301", on_order=Decimal("2"), expected_on=date(2026, 12, 4))
    body: dict[str, Any] = {
        "category": "repair",
        "lines": [
            {"kind": "labour", "code": "BRK-020"},
            {"kind": "part", "code": "5Q0615301", "customer_choice": "wait"},
            {
                "kind": "part",
                "code": "X-9",
                "description": "刹车油",
                "unit_price": "60",
                "in_stock": False,
                "customer_choice": "drop",
            },
        ],
    }
    response = await reception.client.post("/estimates?format=pdf", json=body, headers=ADVISOR)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "报价单" in text and "Quotation" in text and "前刹车盘" in text
    assert "缺货 short" in text and "2026-12-04" in text and "wait" in text
    assert "刹车油" in text.split("Dropped by the customer")[1]
    missing = await reception.client.post(
        "/estimates?format=pdf",
        json={**body, "lines": [*body["lines"][:2], {**body["lines"][2], "customer_choice": None}]},
        headers=ADVISOR,
    )
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"][-1] == "customer_choice"


async def test_quotation_pdf_prints_whatever_text_the_advisor_typed(
    reception: ServiceHarness,
) -> None:
    line = {
        "kind": "labour",
        "code": "X-1",
        "description": "<b>&amp; 😀 项目",
        "hours": "1",
    }
    response = await reception.client.post(
        "/estimates?format=pdf", json={"category": "repair", "lines": [line]}, headers=ADVISOR
    )
    assert response.status_code == 200, response.text
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "<b>&amp;" in text and "项目" in text
