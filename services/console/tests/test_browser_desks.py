"""The console's back-office desks in headless Chromium against the running stack.

An advisor checks a car in, placing damage marks on the vehicle diagram with the mouse and
the keyboard, opens the order from the sheet with a service package and cancels it when the
customer changes their mind; the parts counter
drafts, sends and receives a purchase order, moves a brake disc from Shanghai to Beijing and
counts a bin, the manager approving the variance; parts are issued to a job and taken back;
the order's timeline, open in a window, receives a new entry by server-sent events without a
reload; a discount above the advisor's allowance waits for the manager; the warranty desk
answers coverage and ships a returned part; the CRM agent enters the customer's CSI survey,
the reminder is planned and the manager sees CSI per station and advisor; the dashboard
draws the KPIs as charts for the chosen dates; a dissatisfied follow-up call lands in the
manager's escalation inbox and is acknowledged with a note; an appointment the customer missed is
recorded as a no-show once its time has passed. Each desk is photographed to
``reports/screenshots/``. Calls the people at other desks make are made over HTTP
(``tests/e2e/flow.py``), the way the e2e suite makes them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, expect

from deploy.run import Stack
from services.console.tests.test_browser import CHROMIUM, WAIT_S, open_the_call, sign_in, until
from shared.testing import auth_headers
from tests.e2e.flow import VIN, get, open_order, post, wait_for, warranty_brake_order

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is missing (install Debian's chromium: apt-get install chromium)",
    ),
]

FLEET_VIN = "LFV3B28R7K1000007"  # demo fleet vehicle of bj01 (北京顺达物流), 15,300 km
MAIN_SUPPLIER = "5b0f3a52-0c55-4f43-9d0e-6f1d6c0a0001"  # 一汽-大众 配件中心 (parts seed)
BEIJING = ZoneInfo("Asia/Shanghai")


def jobs(stack: Stack, order_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = get(
        stack, "workshop", "/jobs", "foreman.bj01", order_id=order_id
    )["data"]
    return found


@pytest.fixture(scope="module")
def brake_order(console_stack: Stack) -> str:
    """刘洋's warranty brake job and car wash, opened at reception (its pad reserved)."""
    order_id = open_order(console_stack)
    wait_for(
        lambda: len([j for j in jobs(console_stack, order_id) if j["status"] == "ready"]) == 2,
        "both jobs ready (the pad reserved)",
    )
    return order_id


def finish(stack: Stack, order_id: str) -> None:
    """Foreman dispatches what is still ready, the technician finishes each job, the
    inspector passes the brake work; reception then sees the car completed."""
    for job in jobs(stack, order_id):
        if job["status"] == "ready":
            post(
                stack,
                "workshop",
                f"/jobs/{job['id']}/dispatch",
                "foreman.bj01",
                {"technician_id": "tech.bj01", "received_by": "tech.bj01"},
            )
        if job["status"] != "completed":
            post(
                stack,
                "workshop",
                f"/jobs/{job['id']}/completion",
                "tech.bj01",
                {"clocked_hours": "1.0"},
            )
    post(
        stack,
        "workshop",
        f"/orders/{order_id}/inspections",
        "inspector.bj01",
        {"checklist": [{"item": "brakes", "ok": True}], "road_test": True},
    )
    wait_for(
        lambda: (
            get(stack, "reception", f"/repair-orders/{order_id}", "advisor.bj01")["status"]
            == "completed"
        ),
        "reception to see vehicle.completed",
    )


def test_an_advisor_checks_a_car_in_on_the_damage_diagram_and_opens_its_order(
    browser: Browser, console_url: str, screenshots: Path
) -> None:
    page = sign_in(browser, console_url, "advisor.bj01")
    page.goto(f"{console_url}/advisor/check-in")
    expect(page.locator('[name="vehicle.vin"]')).to_be_focused()
    page.keyboard.type(FLEET_VIN)
    page.fill('[name="vehicle.plate"]', "京C24680")
    page.fill('[name="customer.name"]', "北京顺达物流")
    page.fill('[name="mileage_km"]', "15800")
    page.check('input[name="fuel_level"][value="3/4"]')
    expect(page.locator("[data-damage-diagram]")).to_have_attribute("data-ready", "true")
    # a click on the front left door places a mark where it was clicked ...
    page.locator('rect[data-region="front-left-door"]').click(position={"x": 20, "y": 15})
    expect(page.locator("[data-marks] tr[data-mark]")).to_have_count(1)
    expect(page.locator('[data-marks] tr[data-mark="0"]')).to_contain_text("左前门")
    # ... and the keyboard does the same on the bonnet (its middle)
    page.locator('rect[data-region="bonnet"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator("[data-marks] tr[data-mark]")).to_have_count(2)
    expect(page.locator('[name="marks.1.kind"]')).to_be_focused()
    expect(page.locator("svg.vehicle circle.mark")).to_have_count(2)
    page.select_option('[name="marks.0.kind"]', "scratch")
    page.fill('[name="marks.0.note"]', "约 10 cm 划痕")
    page.check('input[name="belongings"][value="dashcam"]')
    page.check('input[name="documents"][value="driving_licence"]')
    page.fill('[name="signature.typed_confirmation"]', "本人确认以上车况")
    # no key tag and the second mark without its kind: reception's answers at the fields
    page.locator("#submit-check-in").click()
    expect(page.locator('[data-field="key_tag"]')).to_be_visible()
    expect(page.locator('[data-field="marks.1.kind"]')).to_be_visible()
    expect(page.locator('[name="key_tag"]')).to_have_attribute("aria-invalid", "true")
    # what was typed and placed is all still there
    expect(page.locator("svg.vehicle circle.mark")).to_have_count(2)
    expect(page.locator('[name="marks.0.note"]')).to_have_value("约 10 cm 划痕")
    expect(page.locator('input[name="belongings"][value="dashcam"]')).to_be_checked()
    page.screenshot(path=screenshots / "advisor-check-in-refused.png", full_page=True)
    page.select_option('[name="marks.1.kind"]', "dent")
    page.fill('[name="key_tag"]', "K-17")
    page.locator("#submit-check-in").click()
    expect(page).to_have_url(re.compile(r"/advisor/check-ins/[0-9a-f-]{36}$"))
    expect(page.locator("#marks tr[data-mark]")).to_have_count(2)
    expect(page.locator("#marks")).to_contain_text("左前门")
    expect(page.locator("#marks")).to_contain_text("划痕")
    expect(page.locator("#marks")).to_contain_text("凹陷")
    expect(page.locator("svg.vehicle circle.mark")).to_have_count(2)
    expect(page.locator("#sheet-key-tag")).to_have_text("K-17")
    expect(page.locator("#check-in")).to_contain_text("行车记录仪")
    page.screenshot(path=screenshots / "advisor-check-in-sheet.png", full_page=True)

    # the order from the sheet: car, customer and mileage carried over; a service package
    page.locator("#open-order").click()
    expect(page.locator("#from-check-in")).to_be_visible()
    expect(page.locator('[name="vehicle.vin"]')).to_have_value(FLEET_VIN)
    expect(page.locator('[name="mileage_km"]')).to_have_value("15800")
    page.locator('[data-package="PKG-BRAKE-FRONT"] input').check()
    page.fill('[name="complaint"]', "前刹车保养")
    page.locator("#estimate").click()
    expect(page.locator("#estimate-result")).to_contain_text("BRK-010")
    expect(page.locator("#estimate-result")).to_contain_text("1K0698151A")
    expect(page.locator('[data-package="PKG-BRAKE-FRONT"] input')).to_be_checked()
    page.screenshot(path=screenshots / "advisor-estimate-package.png", full_page=True)
    page.check('[name="signature.signed"]')
    page.locator("#submit-order").click()
    expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    expect(page.locator("main")).to_contain_text("BRK-010")
    # the customer changes their mind before the workshop starts: the order is cancelled
    page.locator("#cancel-order summary").click()
    page.fill("#f-reason", "否")  # too short for reception
    page.locator("#cancel-order-button").click()
    expect(page.locator('#cancel-order [data-field="reason"]')).to_be_visible()
    page.fill("#f-reason", "客户决定改天再修")
    page.locator("#cancel-order-button").click()
    expect(page.locator(".badge.cancelled")).to_be_visible()
    expect(page.locator("#cancelled-note")).to_contain_text("客户决定改天再修")
    page.context.close()


def test_the_parts_counter_orders_transfers_and_counts_stock(
    browser: Browser, console_url: str, screenshots: Path
) -> None:
    clerk = sign_in(browser, console_url, "parts.bj01")
    clerk.goto(f"{console_url}/parts/purchase-orders")
    clerk.fill('#po-form [name="lines.0.part_no"]', "06H905601A")
    clerk.fill('#po-form [name="lines.0.quantity"]', "10")
    clerk.locator("#draft-po").click()  # no supplier chosen
    expect(clerk.locator('[data-field="supplier_id"]')).to_be_visible()
    expect(clerk.locator('#po-form [name="lines.0.part_no"]')).to_have_value("06H905601A")
    clerk.select_option("#f-supplier_id", MAIN_SUPPLIER)
    clerk.locator("#draft-po").click()
    drafted = clerk.locator('.purchase-order[data-status="draft"]').filter(has_text="06H905601A")
    expect(drafted).to_have_count(1)
    po_id = drafted.get_attribute("data-po-id")
    po = clerk.locator(f'.purchase-order[data-po-id="{po_id}"]')
    po.locator("button.po-sending").click()
    expect(clerk.locator(".flash")).to_be_visible()
    expect(po).to_have_attribute("data-status", "sent")
    po.locator('[name="lines.0.quantity"]').fill("10")
    clerk.screenshot(path=screenshots / "parts-purchase-order.png", full_page=True)
    po.locator("button.receive-po").click()
    expect(po).to_have_attribute("data-status", "received")
    expect(po.locator('tr[data-part="06H905601A"] .received')).to_have_text("10")

    # a brake disc from Shanghai: requested here, shipped there, received here
    clerk.goto(f"{console_url}/parts/transfers")
    clerk.fill('[name="part_no"]', "1K0615301AA")
    clerk.select_option("#f-from_station_id", "sh01")
    clerk.fill('[name="quantity"]', "2")
    clerk.fill('[name="note"]', "前制动盘缺货")
    clerk.locator("#request-transfer").click()
    row = clerk.locator("#transfers tr[data-transfer-id]").filter(has_text="前制动盘缺货").first
    expect(row).to_have_attribute("data-status", "requested")
    transfer_id = row.get_attribute("data-transfer-id")
    expect(row.locator("button.transfer-shipment")).to_have_count(0)  # shipping is Shanghai's
    shanghai = sign_in(browser, console_url, "parts.sh01")
    shanghai.goto(f"{console_url}/parts/transfers")
    theirs = shanghai.locator(f'tr[data-transfer-id="{transfer_id}"]')
    theirs.locator("button.transfer-shipment").click()
    expect(theirs).to_have_attribute("data-status", "shipped")
    shanghai.context.close()
    clerk.reload()
    mine = clerk.locator(f'tr[data-transfer-id="{transfer_id}"]')
    mine.locator("button.transfer-receipt").click()
    expect(mine).to_have_attribute("data-status", "received")
    clerk.screenshot(path=screenshots / "parts-transfers.png", full_page=True)

    # the spark plug bin is counted; one short; the manager approves the variance
    clerk.goto(f"{console_url}/parts/stocktakes")
    clerk.fill('[name="bins"]', "B-03-01")
    clerk.locator("#open-stocktake").click()
    expect(clerk).to_have_url(re.compile(r"/parts/stocktakes/[0-9a-f-]{36}$"))
    line = clerk.locator('#count-sheet tr[data-part="06H905601A"]')
    book = int(float(line.locator("td.num").first.inner_text()))
    line.locator("input[type=text]").fill("-1")
    clerk.locator("#record-counts").click()
    expect(clerk.locator('[data-field="lines.0.counted"]')).to_be_visible()
    line.locator("input[type=text]").fill(str(book - 1))
    clerk.locator("#record-counts").click()
    expect(line.locator(".variance")).to_have_text("-1")
    sheet_url = clerk.url
    clerk.screenshot(path=screenshots / "parts-stocktake.png", full_page=True)
    clerk.context.close()
    manager = sign_in(browser, console_url, "manager.bj01")
    manager.goto(sheet_url)
    manager.locator("#approve-stocktake").click()
    expect(manager.locator("#stocktake-values")).to_be_visible()
    expect(manager.locator(".badge.approved")).to_be_visible()
    manager.context.close()


def test_parts_are_issued_to_the_job_and_taken_back_at_the_counter(
    browser: Browser, console_url: str, screenshots: Path, brake_order: str
) -> None:
    clerk = sign_in(browser, console_url, "parts.bj01")
    clerk.goto(f"{console_url}/parts?order={brake_order}")
    row = clerk.locator('#reservations + table tr[data-reserved-part="1K0698151A"]')
    expect(row).to_have_count(1)
    row.locator("form.returns input[name=quantity]").fill("1")
    row.locator("button.return").click()  # nothing was issued yet
    expect(clerk.locator("[role=alert]").first).to_be_visible()
    row = clerk.locator('#reservations + table tr[data-reserved-part="1K0698151A"]')
    row.locator("form.issues input[name=quantity]").fill("1")
    row.locator("button.issue").click()
    expect(clerk.locator(".flash")).to_be_visible()
    expect(row.locator(".qty-issued")).to_have_text("1")
    row.locator("form.returns input[name=quantity]").fill("1")
    row.locator("form.returns input[name=reason]").fill("客户自带配件")
    row.locator("button.return").click()
    expect(row.locator(".qty-returned")).to_have_text("1")
    expect(row.locator(".qty-issued")).to_have_text("1")
    clerk.screenshot(path=screenshots / "parts-issue-return.png", full_page=True)
    clerk.context.close()


def test_the_timeline_receives_a_new_entry_by_server_sent_events(
    browser: Browser, console_url: str, console_stack: Stack, screenshots: Path, brake_order: str
) -> None:
    page = sign_in(browser, console_url, "advisor.bj01")
    page.goto(f"{console_url}/orders/{brake_order}/timeline")
    timeline = page.locator("#timeline")
    expect(timeline).to_have_attribute("data-live", "open", timeout=WAIT_S * 1000)
    expect(timeline.locator("li.arrived")).to_have_count(0)
    page.evaluate("window.__sameDocument = 'yes'")  # gone if the page were reloaded
    wash = next(j for j in jobs(console_stack, brake_order) if j["operation_code"] == "WSH-001")
    post(
        console_stack,
        "workshop",
        f"/jobs/{wash['id']}/dispatch",
        "foreman.bj01",
        {"technician_id": "tech.bj01", "received_by": "tech.bj01"},
    )
    arrived = timeline.locator('li.arrived[data-source="workshop"]').filter(has_text="WSH-001")
    expect(arrived.first).to_be_visible(timeout=WAIT_S * 1000)
    expect(arrived.first).to_contain_text("tech.bj01")
    assert page.evaluate("window.__sameDocument") == "yes", "the page must not reload"
    page.screenshot(path=screenshots / "timeline-live.png", full_page=True)
    page.context.close()


def test_a_discount_above_the_allowance_waits_for_the_manager(
    browser: Browser, console_url: str, console_stack: Stack, screenshots: Path, brake_order: str
) -> None:
    finish(console_stack, brake_order)
    advisor = sign_in(browser, console_url, "advisor.bj01")
    advisor.goto(f"{console_url}/orders/{brake_order}")
    until(advisor, lambda: advisor.locator("#discount-form").count() == 1, "the settlement")
    advisor.fill("#f-amount", "abc")
    advisor.fill("#f-reason", "老客户关怀")
    advisor.locator("#request-discount").click()
    expect(advisor.locator('#discount [data-field="amount"]')).to_be_visible()
    advisor.fill("#f-amount", "20")
    advisor.locator("#request-discount").click()
    expect(advisor.locator("#discount")).to_have_attribute(
        "data-discount-status", "pending_manager"
    )
    advisor.screenshot(path=screenshots / "advisor-discount.png", full_page=True)
    advisor.context.close()
    manager = sign_in(browser, console_url, "manager.bj01")
    manager.goto(f"{console_url}/orders/{brake_order}")
    manager.locator("#approve-discount").click()
    expect(manager.locator("#discount")).to_have_attribute("data-discount-status", "granted")
    expect(manager.locator("#settlement")).to_contain_text("¥20.00")
    manager.context.close()


def test_the_warranty_desk_answers_coverage_and_ships_a_returned_part(
    browser: Browser, console_url: str, screenshots: Path, brake_order: str
) -> None:
    desk = sign_in(browser, console_url, "warranty.bj01")
    desk.goto(f"{console_url}/warranty/coverage")
    desk.fill("#f-vin", VIN[:10])
    desk.fill("#f-mileage_km", "41000")
    desk.fill("#f-warranty_start", "2024-05-01")
    desk.fill('[name="lines.0.code"]', "BRK-020")
    desk.fill('[name="lines.0.major_system"]', "brakes")
    desk.select_option('[name="lines.1.kind"]', "labour")
    desk.fill('[name="lines.1.code"]', "WSH-001")
    desk.locator("#check-coverage").click()
    expect(desk.locator('[data-field="vin"]')).to_be_visible()
    desk.fill("#f-vin", VIN)
    desk.locator("#check-coverage").click()
    answer = desk.locator("#coverage-answer")
    expect(answer.locator("tr[data-code]")).to_have_count(2)
    verdicts = {
        row.get_attribute("data-code"): row.get_attribute("data-verdict")
        for row in answer.locator("tr[data-code]").all()
    }
    assert set(verdicts) == {"BRK-020", "WSH-001"}
    assert all(v in ("covered", "not_covered", "needs_approval") for v in verdicts.values())
    desk.screenshot(path=screenshots / "warranty-coverage.png", full_page=True)

    # the order's replaced brake pad is in the store, tagged to its claim
    desk.goto(f"{console_url}/warranty/returned-parts")
    part = desk.locator("#returned-parts tr[data-part-id]").filter(has_text="1K0698151A").first
    until(desk, lambda: part.count() > 0, "the brake pad in the returned-parts store")
    part_id = part.get_attribute("data-part-id")
    row = desk.locator(f'tr[data-part-id="{part_id}"]')
    row.locator("button.return-request").click()
    expect(row).to_have_attribute("data-status", "return_requested")
    row.locator("button.ship").click()  # without the waybill
    expect(row.locator('[data-field="waybill"]')).to_be_visible()
    row.locator('[name="waybill"]').fill("SF1234567890")
    row.locator("button.ship").click()
    expect(row).to_have_attribute("data-status", "shipped")
    expect(row).to_contain_text("SF1234567890")
    desk.screenshot(path=screenshots / "warranty-returned-parts.png", full_page=True)
    desk.context.close()


def test_crm_enters_the_csi_survey_and_the_manager_sees_csi_per_station_and_advisor(
    browser: Browser, console_url: str, console_stack: Stack, screenshots: Path, brake_order: str
) -> None:
    settlement = get(
        console_stack, "reception", f"/repair-orders/{brake_order}/settlement", "cashier.bj01"
    )
    if float(settlement["balance"]) > 0:
        post(
            console_stack,
            "reception",
            f"/repair-orders/{brake_order}/payments",
            "cashier.bj01",
            {"method": "cash", "amount": str(settlement["balance"])},
        )
    post(
        console_stack,
        "reception",
        f"/repair-orders/{brake_order}/delivery",
        "advisor.bj01",
        {
            "customer_accepted": True,
            "signature": {"name": "刘洋", "typed_confirmation": "车辆、物品已检查无误"},
            "next_service_km": 51000,
        },
    )
    crm = sign_in(browser, console_url, "crm.bj01")
    crm.goto(f"{console_url}/crm/csi")
    until(
        crm,
        lambda: crm.locator(f'#f-order_id option[value="{brake_order}"]').count() == 1,
        "the delivered order",
    )
    crm.select_option("#f-order_id", brake_order)
    crm.locator("#record-csi").click()  # no score given
    expect(crm.locator("#form-errors")).to_be_visible()
    crm.select_option("#f-order_id", brake_order)
    for question, score in (("overall", "9"), ("advisor", "10"), ("quality", "8")):
        crm.select_option(f'[name="scores.{question}"]', score)
    crm.fill("#f-comment", "接待很热情")
    crm.locator("#record-csi").click()
    expect(crm.locator(".flash")).to_be_visible()
    expect(crm.locator("#csi-by-station")).to_contain_text(re.compile("不适用|not for|无权|权限"))
    crm.goto(f"{console_url}/crm/reminders?state=all")
    reminder = crm.locator(f'#reminders tr[data-order-id="{brake_order}"]')
    until(crm, lambda: reminder.count() == 1, "the service reminder planned at delivery")
    expect(reminder).to_contain_text(VIN)
    crm.screenshot(path=screenshots / "crm-reminders.png", full_page=True)
    crm.goto(f"{console_url}/crm/escalations")
    expect(crm.locator("h1")).to_contain_text("升级")
    crm.context.close()

    manager = sign_in(browser, console_url, "manager.bj01")
    manager.goto(f"{console_url}/crm/csi")
    station = manager.locator('#csi-by-station tr[data-key="bj01"] .csi')
    expect(station).to_have_text(re.compile(r"^\d+(\.\d+)?$"))
    expect(manager.locator('#csi-by-advisor tr[data-key="advisor.bj01"]')).to_be_visible()
    manager.screenshot(path=screenshots / "crm-csi.png", full_page=True)
    manager.goto(f"{console_url}/crm/escalations")
    expect(
        manager.locator("#inbox-problem, #escalation-inbox, main .card.muted").first
    ).to_be_visible()
    manager.context.close()


def test_the_dashboard_draws_each_kpi_as_a_chart_for_the_chosen_dates(
    browser: Browser, console_url: str, screenshots: Path, brake_order: str
) -> None:
    manager = sign_in(browser, console_url, "manager.bj01")
    manager.goto(f"{console_url}/dashboard")
    charts = manager.locator("#kpi-charts figure[data-kpi]")
    expect(charts).to_have_count(8)
    for key in (
        "first_time_fix",
        "efficiency",
        "followup_72h",
        "csi",
        "fill_rate",
        "claim_rejection",
        "appointment_share",
        "on_time_delivery",
    ):
        expect(
            manager.locator(f'figure[data-kpi="{key}"] svg g.bar[data-station="bj01"]')
        ).to_have_count(1)
    csi_bar = manager.locator('figure[data-kpi="csi"] g.bar[data-station="bj01"]')
    expect(csi_bar).to_have_attribute("data-value", re.compile(r"^\d"))
    width = float(csi_bar.locator("rect").get_attribute("width") or 0)
    assert width > 0, "the CSI bar is drawn to scale"
    fill = manager.locator('figure[data-kpi="fill_rate"] g.bar[data-station="bj01"]')
    expect(fill).to_have_attribute("data-value", re.compile(r"^\d"))
    manager.screenshot(path=screenshots / "dashboard-charts.png", full_page=True)
    # a month long ago: no survey then
    manager.fill("#since", "2020-01-01")
    manager.fill("#until", "2020-01-31")
    manager.locator("form.bar button[type=submit]").first.click()
    expect(manager).to_have_url(re.compile(r"since=2020-01-01"))
    expect(csi_bar).to_have_attribute("data-value", "")
    manager.context.close()


def test_a_dissatisfied_call_reaches_the_managers_inbox_and_is_acknowledged(
    browser: Browser, console_url: str, console_stack: Stack, screenshots: Path, brake_order: str
) -> None:
    # the 72-hour call opens (CRM's clock), the customer is not happy: escalated at once
    wait_for(
        lambda: any(
            c["order_id"] == brake_order
            for c in get(console_stack, "crm", "/follow-ups", "crm.bj01", limit=200)["data"]
        ),
        "the 72-hour call planned",
    )
    open_the_call(console_stack, brake_order)
    call = next(
        c
        for c in get(console_stack, "crm", "/follow-ups", "crm.bj01", limit=200)["data"]
        if c["order_id"] == brake_order
    )
    post(
        console_stack,
        "crm",
        f"/follow-ups/{call['id']}/outcome",
        "crm.bj01",
        {"outcome": "dissatisfied", "content": "刹车仍有异响", "reason": "noise not fixed"},
    )
    manager = sign_in(browser, console_url, "manager.bj01")
    manager.goto(f"{console_url}/crm/escalations")
    inbox = manager.locator("#escalation-inbox tr[data-escalation-id]")
    until(manager, lambda: inbox.count() > 0, "the escalation in the manager's inbox")
    expect(manager.locator("#escalated-calls")).to_contain_text(VIN)
    manager.screenshot(path=screenshots / "crm-escalations.png", full_page=True)
    escalation_id = inbox.first.get_attribute("data-escalation-id")
    row = manager.locator(f'tr[data-escalation-id="{escalation_id}"]')
    row.locator('input[name="note"]').fill("已致电客户，明天上午重新检查刹车")
    row.locator("button.acknowledge").click()
    expect(manager.locator(".flash")).to_be_visible()
    expect(manager.locator(f'tr[data-escalation-id="{escalation_id}"]')).to_have_count(0)
    manager.goto(f"{console_url}/crm/escalations?acknowledged=true")
    expect(manager.locator(f'tr[data-escalation-id="{escalation_id}"]')).to_contain_text(
        "重新检查刹车"
    )
    manager.context.close()


def _next_open_morning() -> datetime:
    """10:00 station time on the next weekday after today (Beijing)."""
    day = datetime.now(BEIJING).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(10, 0), tzinfo=BEIJING)


def test_a_missed_appointment_is_recorded_as_a_no_show_once_its_time_has_passed(
    browser: Browser, console_url: str, console_stack: Stack, screenshots: Path
) -> None:
    starts = _next_open_morning()
    day = starts.date().isoformat()
    page = sign_in(browser, console_url, "advisor.bj01")
    page.goto(f"{console_url}/advisor/appointments?day={day}")
    page.fill('[name="customer.name"]', "杨帆")
    page.fill('[name="customer.phone"]', "13900000002")
    page.fill('[name="vehicle.vin"]', "LFV2A21K9G3000002")
    page.fill('[name="starts_at"]', f"{day}T10:00")
    page.fill('[name="requested_work"]', "首保")
    page.locator("#book").click()
    expect(page.locator(".flash")).to_be_visible()
    row = page.locator("#appointments tr[data-appointment-id]").filter(has_text="杨帆")
    expect(row).to_have_count(1)
    row.locator("button.no-show").click()  # too early: the customer may still come
    expect(row.locator("[role=alert]")).to_be_visible()
    expect(row.locator(".badge.booked")).to_be_visible()
    # the appointment time passes (reception's clock moved on)
    wait = (starts - datetime.now(UTC)).total_seconds() + 3600
    moved = httpx.post(
        f"{console_stack.url('reception')}/admin/clock",
        params={"advance_seconds": int(wait)},
        headers=auth_headers("ops"),
        timeout=30,
    )
    assert moved.status_code == 200, moved.text
    page.goto(f"{console_url}/advisor/appointments?day={day}")
    row.locator("button.no-show").click()
    expect(page.locator(".flash")).to_be_visible()
    expect(row.locator(".badge.no_show")).to_be_visible()
    page.screenshot(path=screenshots / "advisor-no-show.png", full_page=True)
    page.context.close()


def test_the_manager_signs_off_a_vip_order_and_the_advisor_dispatches_it_to_a_team(
    browser: Browser, console_url: str, console_stack: Stack, screenshots: Path
) -> None:
    """A VIP's order awaits the service manager's sign-off (no exit pass, no hand-over until
    then): the manager finds it in the list of orders awaiting sign-off and signs it off with
    a note. Its one job needs no skill, so one team covers it: the advisor dispatches it to
    the mechanical team from the order page and the board shows the job's team."""
    body = {**warranty_brake_order(), "category": "repair"}
    body["customer"] = {**body["customer"], "is_vip": True}
    body["lines"] = [line for line in body["lines"] if line["code"] == "WSH-001"]
    order_id = post(console_stack, "reception", "/repair-orders", "advisor.bj01", body)["id"]

    advisor = sign_in(browser, console_url, "advisor.bj01")
    advisor.goto(f"{console_url}/orders/{order_id}")
    expect(advisor.locator("#awaiting-sign-off")).to_be_visible()
    expect(advisor.locator("#sign-off-form")).to_have_count(0)  # the manager's to do

    manager = sign_in(browser, console_url, "manager.bj01")
    manager.locator("header nav").get_by_role("link", name="待站长签批").click()
    row = manager.locator(f'#awaiting-sign-off tr[data-order-id="{order_id}"]')
    expect(row).to_be_visible()
    manager.screenshot(path=screenshots / "manager-sign-offs.png", full_page=True)
    row.get_by_role("link").first.click()
    manager.locator("#sign-off-button").click()  # no note: reception names the field
    expect(manager.locator('[data-field="note"]')).to_be_visible()
    manager.fill('[name="note"]', "VIP 客户，已电话确认维修方案")
    manager.locator("#sign-off-button").click()
    expect(manager.locator(".flash")).to_be_visible()
    expect(manager.locator("#signed-off")).to_contain_text("VIP 客户，已电话确认维修方案")
    expect(manager.locator("#awaiting-sign-off")).to_have_count(0)
    manager.goto(f"{console_url}/sign-offs")
    expect(manager.locator(f'tr[data-order-id="{order_id}"]')).to_have_count(0)
    manager.context.close()

    job = advisor.locator('#order-jobs tr[data-status="ready"]')
    until(advisor, lambda: job.count() == 1, "the wash job ready on the order page")
    job.locator('select[name="team_id"]').select_option(label="机电班")
    job.locator("form.advisor-dispatch button").click()
    expect(advisor.locator(".flash")).to_be_visible()
    expect(advisor.locator('#order-jobs tr[data-status="dispatched"] .team')).to_have_text("机电班")
    advisor.screenshot(path=screenshots / "advisor-team-dispatch.png", full_page=True)
    advisor.context.close()

    foreman = sign_in(browser, console_url, "foreman.bj01")
    foreman.goto(f"{console_url}/workshop")
    card = foreman.locator(f'[data-column="dispatched"] [data-order-id="{order_id}"]')
    expect(card.locator(".team")).to_contain_text("机电班")
    expect(foreman.locator("#teams")).to_contain_text("钣喷班")
    foreman.context.close()
