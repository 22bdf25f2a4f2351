"""The console in headless Chromium against the running stack, as its users work.

An advisor opens a repair order through the form; the foreman dispatches both jobs on the
board and completes one; the technician clocks on the other on the tablet view and finishes
it; the inspector passes the brake work; the cashier takes payment; the advisor hands the car
over while the order's timeline, open in another window, updates itself; the CRM agent logs
the follow-up call in one click; the parts and warranty desks show the order; the group
manager switches station; another station's advisor cannot see the order; a VIN with a wrong
check digit is refused next to the VIN field. Each desk is photographed to
``reports/screenshots/``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from deploy.run import Stack
from shared.testing import auth_headers

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is missing (install Debian's chromium: apt-get install chromium)",
    ),
]

VIN = "LFV2A21K7G3000001"  # demo vehicle of bj01 (张伟), valid check digit
BAD_VIN = "LFV2A21K0G3000001"  # the same with a wrong check digit
WAIT_S = 60.0


def sign_in(browser: Browser, console_url: str, username: str, lang: str = "zh") -> Page:
    """A fresh browser window (own cookies) with ``username`` signed in."""
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{console_url}/login")
    if lang == "en":
        page.get_by_role("button", name="English").click()
    page.fill("#username", username)
    page.fill("#password", "demo")
    page.locator("form.stack button[type=submit]").click()
    expect(page.locator("header .user")).to_be_visible()
    return page


def until(page: Page, check: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
    """Reload ``page`` until ``check`` holds (events take a moment to travel)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.5)
        page.reload()


def open_the_call(stack: Stack, order_id: str) -> None:
    """Move CRM's clock to half an hour after the order's 72-hour call opens (the next day, in
    office hours of an official working day; the test stack runs with CLOCK_CONTROL)."""
    calls = httpx.get(
        f"{stack.url('crm')}/follow-ups",
        params={"limit": 200},
        headers=auth_headers("crm.bj01"),
        timeout=30,
    ).json()["data"]
    call = next(c for c in calls if c["order_id"] == order_id)
    opens_at = datetime.fromisoformat(call["opens_at"].replace("Z", "+00:00"))
    wait = (opens_at - datetime.now(UTC)).total_seconds() + 1800
    moved = httpx.post(
        f"{stack.url('crm')}/admin/clock",
        params={"advance_seconds": max(int(wait), 1)},
        headers=auth_headers("ops"),
        timeout=30,
    )
    assert moved.status_code == 200, moved.text


def fill_order(page: Page, vin: str) -> None:
    """The order form as an advisor types it: VIN first (it has the focus), then onwards."""
    expect(page.locator('[name="vehicle.vin"]')).to_be_focused()  # focused when it opens
    page.keyboard.type(vin)
    page.fill('[name="vehicle.plate"]', "京A12345")
    page.fill('[name="mileage_km"]', "42000")
    page.fill('[name="customer.name"]', "张伟")
    page.fill('[name="customer.phone"]', "13800000001")
    page.select_option('[name="category"]', "warranty")
    page.fill('[name="complaint"]', "刹车时有异响")
    # line 1: warranty labour; line 2: its brake pads; line 3: the car wash, paid by the customer
    page.select_option('[name="lines.0.kind"]', "labour")
    page.fill('[name="lines.0.code"]', "BRK-020")
    page.fill('[name="lines.0.description"]', "检查并更换前制动片")
    page.fill('[name="lines.0.hours"]', "1.5")
    page.fill('[name="lines.0.unit_price"]', "320")
    page.select_option('[name="lines.0.pay_type"]', "warranty")
    page.select_option('[name="lines.1.kind"]', "part")
    page.fill('[name="lines.1.code"]', "1K0698151A")
    page.fill('[name="lines.1.description"]', "前制动片")
    page.fill('[name="lines.1.unit_price"]', "480")
    page.select_option('[name="lines.1.pay_type"]', "warranty")
    page.fill('[name="lines.1.labour_ref"]', "1")
    page.select_option('[name="lines.2.kind"]', "labour")
    page.fill('[name="lines.2.code"]', "WSH-001")
    page.fill('[name="lines.2.description"]', "洗车")
    page.fill('[name="lines.2.hours"]', "0.3")
    page.fill('[name="lines.2.unit_price"]', "100")
    page.check('[name="signature.signed"]')


@pytest.fixture(scope="module")
def order_id(browser: Browser, console_url: str, screenshots: Path) -> Iterator[str]:
    """An advisor of bj01 opens a repair order through the form."""
    page = sign_in(browser, console_url, "advisor.bj01")
    expect(page).to_have_url(re.compile(r"/advisor"))
    page.goto(f"{console_url}/advisor/orders/new")
    fill_order(page, VIN)
    expect(page.locator("#avail-1")).to_contain_text("bj01")  # live stock under the part no.
    page.locator("#estimate").click()  # reception prices it; the form keeps what was typed
    expect(page.locator("#estimate-total")).to_contain_text("¥")
    expect(page.locator('[name="lines.1.code"]')).to_have_value("1K0698151A")
    page.screenshot(path=screenshots / "advisor-new-order.png", full_page=True)
    page.locator("#submit-order").click()
    expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    expect(page.locator("h1")).to_contain_text("委托书号")
    page.screenshot(path=screenshots / "advisor-order.png", full_page=True)
    found = page.url.rsplit("/", 1)[1]
    printed = page.context.new_page()
    refused: list[str] = []
    printed.on("console", lambda message: refused.append(message.text))
    answer = printed.goto(f"{console_url}/orders/{found}/document")
    assert answer is not None and answer.status == 200
    printed.evaluate("window.print = () => console.log('printed')")  # no dialog in a test
    printed.get_by_role("button", name="Print").click()
    printed.wait_for_timeout(300)
    assert "printed" in refused, f"the print button must work under the CSP: {refused}"
    printed.screenshot(path=screenshots / "printed-order.png", full_page=True)
    printed.close()
    page.goto(f"{console_url}/advisor/today")
    expect(page.locator('[data-list="in-workshop"]')).to_contain_text("张伟")
    page.screenshot(path=screenshots / "advisor-today.png", full_page=True)
    page.goto(f"{console_url}/advisor")
    expect(page.locator(f'tr[data-order-id="{found}"]')).to_be_visible()
    page.screenshot(path=screenshots / "advisor-desk.png", full_page=True)
    page.context.close()
    yield found


def test_sign_in_page_is_chinese_by_default_and_switches_to_english(
    browser: Browser, console_url: str, screenshots: Path
) -> None:
    page = browser.new_page()
    page.goto(console_url)
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("h1")).to_have_text("登录")
    page.screenshot(path=screenshots / "sign-in.png")
    page.fill("#username", "advisor.bj01")
    page.fill("#password", "wrong")
    page.locator("form.stack button[type=submit]").click()
    expect(page.locator("#login-error")).to_have_text("用户名或密码错误")
    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_have_text("Sign in")
    page.close()


def test_a_bad_vin_is_shown_next_to_the_vin_field(
    browser: Browser, console_url: str, screenshots: Path
) -> None:
    page = sign_in(browser, console_url, "advisor.bj01")
    page.goto(f"{console_url}/advisor/orders/new")
    fill_order(page, BAD_VIN)
    page.locator("#submit-order").click()
    error = page.locator('[data-field="vehicle.vin"]')
    expect(error).to_be_visible()
    expect(error).to_contain_text(re.compile("check digit|校验", re.I))
    expect(page.locator('[name="vehicle.vin"]')).to_have_attribute("aria-invalid", "true")
    # what the advisor typed is still there, ready to be corrected
    expect(page.locator('[name="complaint"]')).to_have_value("刹车时有异响")
    expect(page.locator('[name="lines.1.code"]')).to_have_value("1K0698151A")
    page.screenshot(path=screenshots / "advisor-bad-vin.png", full_page=True)
    page.context.close()


def test_an_order_from_the_form_to_the_follow_up_call(
    browser: Browser, console_url: str, console_stack: Stack, screenshots: Path, order_id: str
) -> None:
    # the foreman sees both jobs become ready (parts reserved the pads) and dispatches them
    foreman = sign_in(browser, console_url, "foreman.bj01")
    foreman.goto(f"{console_url}/workshop")
    ready = foreman.locator(f'[data-column="ready"] [data-order-id="{order_id}"]')
    until(foreman, lambda: ready.count() == 2, "both jobs ready on the board")
    foreman.screenshot(path=screenshots / "workshop-board.png", full_page=True)
    for _ in range(2):
        card = ready.first
        card.locator('select[name="technician_id"]').select_option("tech.bj01")
        card.locator("form.dispatch button").click()
        expect(foreman.locator(".flash")).to_be_visible()
    dispatched = foreman.locator(f'[data-column="dispatched"] [data-order-id="{order_id}"]')
    expect(dispatched).to_have_count(2)
    # the foreman completes one for the technician, with hours worked off the clock
    first = dispatched.first
    job_id = first.get_attribute("data-job-id")
    first.locator('input[name="clocked_hours"]').fill("1.4")
    first.locator("form.complete button").click()
    expect(foreman.locator(".flash")).to_be_visible()
    # brake work waits for the final inspection; either way the hours are on the card
    expect(foreman.locator(f'[data-job-id="{job_id}"] .clocked')).to_have_text("1.4")
    foreman.screenshot(path=screenshots / "workshop-board-dispatched.png", full_page=True)
    foreman.context.close()

    # the advisor keeps the timeline open; it must update by itself
    watcher = sign_in(browser, console_url, "advisor.bj01")
    watcher.goto(f"{console_url}/orders/{order_id}/timeline")
    expect(watcher.locator('#timeline li[data-source="workshop"]').first).to_be_visible()

    # the technician clocks on the other one on the tablet view, with big buttons, and finishes
    tech = sign_in(browser, console_url, "tech.bj01")
    expect(tech).to_have_url(re.compile(r"/technician"))
    tech.set_viewport_size({"width": 1024, "height": 768})
    card = tech.locator(f'.tech-job[data-order-id="{order_id}"]')
    expect(card).to_have_count(1)
    button = card.locator("button.clock-on")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 56, "a technician's button is finger-sized"
    button.click()
    expect(card).to_have_attribute("data-status", "in_progress")
    tech.screenshot(path=screenshots / "technician.png", full_page=True)
    card.locator("button.complete").click()
    expect(tech.locator(".flash")).to_be_visible()
    expect(tech.locator(f'.tech-job[data-order-id="{order_id}"]')).to_have_count(0)
    tech.context.close()

    # the inspector passes the order's brake work (checklist ticked, road test done)
    inspector = sign_in(browser, console_url, "inspector.bj01")
    expect(inspector).to_have_url(re.compile(r"/workshop"))
    waiting = inspector.locator(f'[data-column="in_inspection"] [data-order-id="{order_id}"]')
    until(inspector, lambda: waiting.count() > 0, "the order's jobs waiting for inspection")
    waiting.first.get_by_role("link", name="质检").click()
    inspector.check('[name="road_test"]')
    inspector.fill('[name="road_test_note"]', "制动有效，无异响")
    inspector.screenshot(path=screenshots / "inspection.png", full_page=True)
    inspector.locator("#inspect").click()
    expect(inspector.locator(".flash")).to_be_visible()
    expect(
        inspector.locator(f'[data-column="in_inspection"] [data-order-id="{order_id}"]')
    ).to_have_count(0)
    inspector.context.close()

    # vehicle.completed reaches reception: the advisor may not hand over before payment
    advisor = sign_in(browser, console_url, "advisor.bj01")
    advisor.goto(f"{console_url}/orders/{order_id}")
    until(advisor, lambda: advisor.locator("#delivery-form").count() == 1, "order completed")
    expect(advisor.locator("#not-settled")).to_be_visible()
    expect(advisor.locator("#payment-form")).to_have_count(0)  # the cashier's job

    # the cashier takes the balance (the wash; the brake work is the maker's)
    cashier = sign_in(browser, console_url, "cashier.bj01")
    cashier.goto(f"{console_url}/orders/{order_id}")
    expect(cashier.locator("#settlement")).to_be_visible()
    cashier.select_option("#f-method", "wechat")
    cashier.locator("#pay").click()
    expect(cashier.locator(".flash")).to_be_visible()
    expect(cashier.locator("#exit-pass")).to_be_visible()
    cashier.screenshot(path=screenshots / "cashier-settlement.png", full_page=True)
    # the customer's company wants an invoice: without its tax id reception names the field
    cashier.select_option("#f-kind", "invoice")
    cashier.select_option('[name="buyer.type"]', "company")
    cashier.fill('[name="buyer.name"]', "北京某某物流有限公司")
    cashier.locator("#issue-invoice").click()
    expect(cashier.locator('[data-field="buyer.tax_id"]')).to_be_visible()
    expect(cashier.locator('[name="buyer.name"]')).to_have_value("北京某某物流有限公司")
    cashier.fill('[name="buyer.tax_id"]', "91110105MA01ABCD2X")
    cashier.locator("#issue-invoice").click()
    expect(cashier.locator(".flash")).to_be_visible()
    invoice = cashier.locator('#order-documents tr[data-kind="invoice"]')
    expect(invoice).to_have_count(1)
    expect(invoice).to_contain_text(re.compile(r"FP-BJ01-\d{4}-\d{6}"))
    expect(cashier.locator("#invoice-form")).to_have_count(0)  # nothing left to document
    html_link = invoice.locator("a.html").get_attribute("href")
    pdf_link = invoice.locator("a.pdf").get_attribute("href")
    assert html_link and pdf_link
    printed_invoice = cashier.request.get(f"{console_url}{html_link}")
    assert printed_invoice.status == 200 and "北京某某物流有限公司" in printed_invoice.text()
    invoice_pdf = cashier.request.get(f"{console_url}{pdf_link}")
    assert invoice_pdf.status == 200 and invoice_pdf.body().startswith(b"%PDF")
    cashier.screenshot(path=screenshots / "cashier-invoice.png", full_page=True)
    cashier.context.close()

    # the hand-over: the signature is always sent, so a missing typed confirmation is named
    # next to its field (reception's 422 on ``signature``), and the form keeps what was ticked
    advisor.reload()
    expect(advisor.locator('[name="signature.name"]')).to_have_value("张伟")
    advisor.locator("#f-customer_accepted").check()
    for name in ("belongings_checked", "bodywork_checked", "documents_returned", "covers_removed"):
        advisor.locator(f"#f-{name}").check()
    advisor.locator("#deliver").click()  # forgot the customer's confirmation
    expect(advisor.locator('[data-field="signature"]')).to_be_visible()
    expect(advisor.locator("#f-belongings_checked")).to_be_checked()
    # the confirmation typed, but the keys not ticked as handed back: reception names them
    advisor.fill('[name="signature.typed_confirmation"]', "车辆、物品已检查无误")
    advisor.locator("#deliver").click()
    expect(advisor.locator('[data-field="keys_returned"]')).to_be_visible()
    for name in (
        "keys_returned",
        "work_explained",
        "next_service_told",
        "follow_up_call_announced",
    ):
        advisor.locator(f"#f-{name}").check()
    advisor.fill('[name="next_service_km"]', "52000")
    # (no full-page screenshot here: on a page that answered a POST it swallows the next click)
    advisor.locator("#deliver").click()
    expect(advisor.locator(".flash")).to_be_visible()
    expect(advisor.locator(".badge.delivered")).to_be_visible()
    record = advisor.locator("#delivery-record")
    expect(record).to_contain_text("车辆、物品已检查无误")
    expect(record.locator(".badge.overdue")).to_have_count(0)  # the signature was captured
    expect(record.locator('[data-check="keys_returned"]')).to_have_text("✓")
    acceptance = advisor.locator('#order-documents tr[data-kind="delivery-acceptance"]')
    expect(acceptance).to_have_attribute("data-available", "yes")
    pdf = advisor.request.get(f"{console_url}/orders/{order_id}/documents/delivery-acceptance.pdf")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    advisor.screenshot(path=screenshots / "advisor-handed-over.png", full_page=True)
    # the signed delivery acceptance is filed in this month's archive; it goes to the archive
    # room (a hand-over dated in the future is refused next to its field)
    order_no = advisor.locator("h1").inner_text().split()[-1]
    advisor.goto(f"{console_url}/advisor")
    advisor.locator("#archive-link").click()
    filed = advisor.locator('#archive tr[data-kind="delivery-acceptance"]').filter(
        has_text=order_no
    )
    expect(filed).to_have_count(1)
    filed.locator("summary").click()
    filed.locator('[name="custodian"]').fill("档案室 王芳")
    filed.locator('[name="handed_at"]').fill("2030-01-01T09:00")
    filed.locator("form.custody button").click()
    filed = advisor.locator('#archive tr[data-kind="delivery-acceptance"]').filter(
        has_text=order_no
    )
    expect(filed.locator('[data-field="handed_at"]')).to_be_visible()
    filed.locator('[name="handed_at"]').fill("")
    filed.locator('[name="location"]').fill("盒 B03 / 架 2")
    filed.locator("form.custody button").click()
    expect(advisor.locator(".flash")).to_be_visible()
    filed = advisor.locator('#archive tr[data-kind="delivery-acceptance"]').filter(
        has_text=order_no
    )
    expect(filed.locator(".custodian")).to_contain_text("档案室 王芳")
    expect(filed.locator(".location")).to_have_text("盒 B03 / 架 2")
    advisor.context.close()

    # the timeline, never reloaded, now shows the hand-over (htmx polling)
    expect(watcher.locator("#timeline")).to_contain_text("交车", timeout=WAIT_S * 1000)
    # follow-up calls are the CRM team's: the advisor's timeline says so instead of failing
    expect(watcher.locator('#timeline [data-gap="crm"]')).to_be_visible()
    watcher.screenshot(path=screenshots / "timeline.png", full_page=True)
    watcher.context.close()

    # the CRM agent sees the call planned for the next day; a day passes and it opens
    crm = sign_in(browser, console_url, "crm.bj01")
    expect(crm).to_have_url(re.compile(r"/crm"))
    crm.goto(f"{console_url}/crm?status=scheduled")
    until(
        crm,
        lambda: crm.locator(f'#follow-ups tr[data-order-id="{order_id}"]').count() > 0,
        "the follow-up call planned",
    )
    expect(crm.locator(f'#follow-ups tr[data-order-id="{order_id}"] form')).to_have_count(0)
    open_the_call(console_stack, order_id)
    crm.goto(f"{console_url}/crm")
    until(
        crm,
        lambda: crm.locator(f'#follow-ups tr[data-order-id="{order_id}"]').count() > 0,
        "the follow-up call open",
    )
    expect(crm.locator(f'#follow-ups tr[data-order-id="{order_id}"]').first).to_contain_text(VIN)
    crm.screenshot(path=screenshots / "crm-queue.png", full_page=True)
    row = crm.locator(f'#follow-ups tr[data-order-id="{order_id}"]').first
    row.locator('input[name="content"]').fill("车况良好，对服务满意")
    row.locator('button[value="satisfied"]').click()  # one click logs the call
    expect(crm.locator(".flash")).to_be_visible()
    expect(crm.locator(f'#follow-ups tr[data-order-id="{order_id}"]')).to_have_count(0)
    crm.goto(f"{console_url}/crm/complaints?status=all")
    expect(crm.locator("h1")).to_contain_text("客户投诉")
    crm.goto(f"{console_url}/crm?status=all")
    crm.locator(f'#follow-ups tr[data-order-id="{order_id}"] a').first.click()
    expect(crm.locator("#visits")).to_contain_text(VIN)
    crm.screenshot(path=screenshots / "crm-customer.png", full_page=True)
    crm.context.close()


def test_warranty_and_parts_desks_show_the_order(
    browser: Browser, console_url: str, screenshots: Path, order_id: str
) -> None:
    parts = sign_in(browser, console_url, "parts.bj01")
    parts.goto(f"{console_url}/parts?q=1K0698151A&order={order_id}")
    expect(parts.locator('[data-part="1K0698151A"]')).to_contain_text("北京朝阳服务站")
    expect(parts.locator("#reservations")).to_be_visible()
    expect(parts.locator("#low-stock")).to_be_visible()
    expect(parts.get_by_text("1K0698151A").first).to_be_visible()
    parts.screenshot(path=screenshots / "parts-counter.png", full_page=True)
    parts.context.close()

    warranty = sign_in(browser, console_url, "warranty.bj01")
    until(warranty, lambda: warranty.locator("#claims").count() > 0, "a draft claim")
    warranty.locator("#claims a").first.click()
    expect(warranty.locator("h1")).to_contain_text("索赔单号")
    warranty.fill("#f-cause", "前制动片磨损异常，制动时异响")
    warranty.fill("#f-correction", "更换前制动片")
    warranty.select_option("#f-causal_line_id", index=1)
    warranty.fill('[name="fault_codes"]', "C1234")
    warranty.locator("#submit-claim").click()
    expect(warranty.locator(".flash")).to_be_visible()
    expect(warranty.locator("h1 + .badge, .badge.submitted").first).to_be_visible()
    warranty.screenshot(path=screenshots / "warranty-claim.png", full_page=True)
    warranty.context.close()


def test_station_switch_and_station_scoping(
    browser: Browser, console_url: str, screenshots: Path, order_id: str
) -> None:
    manager = sign_in(browser, console_url, "group.manager")
    manager.goto(f"{console_url}/advisor?status=all")
    row = manager.locator(f'tr[data-order-id="{order_id}"]')
    expect(row).to_be_visible()
    manager.select_option("#station-select", "sh01")
    manager.locator("#station-switcher button").click()
    expect(manager.locator(".flash")).to_be_visible()
    expect(manager.locator("#station-select")).to_have_value("sh01")
    expect(row).to_have_count(0)
    manager.select_option("#station-select", "bj01")
    manager.locator("#station-switcher button").click()
    expect(row).to_be_visible()
    manager.screenshot(path=screenshots / "group-manager.png", full_page=True)
    # the dashboard of the station looked at: each service's measures
    manager.goto(f"{console_url}/dashboard")
    expect(manager.locator('[data-source="workshop:bj01"] table').first).to_be_visible()
    expect(manager.locator('[data-source="workshop:sh01"]')).to_have_count(0)
    expect(manager.locator('[data-source="parts"]')).to_be_visible()
    manager.screenshot(path=screenshots / "dashboard.png", full_page=True)
    manager.context.close()

    other = sign_in(browser, console_url, "advisor.sh01", lang="en")
    other.goto(f"{console_url}/advisor?status=all")
    expect(other.locator(f'tr[data-order-id="{order_id}"]')).to_have_count(0)
    response = other.goto(f"{console_url}/orders/{order_id}")
    assert response is not None and response.status == 404
    expect(other.locator("h1")).to_contain_text("Not found")
    other.screenshot(path=screenshots / "other-station-404.png")
    other.context.close()


def test_additional_work_is_approved_by_the_customer_through_the_link(
    browser: Browser, console_url: str, screenshots: Path
) -> None:
    # a one-line order: the car wash, dispatched straight to the technician
    advisor = sign_in(browser, console_url, "advisor.bj01")
    advisor.goto(f"{console_url}/advisor/orders/new")
    expect(advisor.locator('[name="vehicle.vin"]')).to_be_focused()
    advisor.keyboard.type("LFV2A21K9G3000002")
    advisor.fill('[name="mileage_km"]', "87500")
    advisor.fill('[name="customer.name"]', "刘洋")
    advisor.fill('[name="complaint"]', "洗车")
    advisor.fill('[name="lines.0.code"]', "WSH-001")
    advisor.fill('[name="lines.0.description"]', "洗车")
    advisor.fill('[name="lines.0.hours"]', "0.3")
    advisor.fill('[name="lines.0.unit_price"]', "100")
    advisor.check('[name="signature.signed"]')
    advisor.locator("#submit-order").click()
    expect(advisor).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    order = advisor.url.rsplit("/", 1)[1]

    foreman = sign_in(browser, console_url, "foreman.bj01")
    foreman.goto(f"{console_url}/workshop")
    ready = foreman.locator(f'[data-column="ready"] [data-order-id="{order}"]')
    until(foreman, lambda: ready.count() == 1, "the wash job ready")
    ready.locator('select[name="technician_id"]').select_option("tech.bj01")
    ready.locator("form.dispatch button").click()
    expect(foreman.locator(".flash")).to_be_visible()

    # the technician finds worn wiper blades and reports them with a suggested line
    tech = sign_in(browser, console_url, "tech.bj01")
    card = tech.locator(f'.tech-job[data-order-id="{order}"]')
    card.locator("button.clock-on").click()
    card.locator("details.finding summary").click()
    card.locator('textarea[name="description"]').fill("雨刮片老化，刮水不净")
    card.locator('input[name="line.code"]').fill("WIP-001")
    card.locator('input[name="line.description"]').fill("更换雨刮片")
    card.locator('input[name="line.hours"]').fill("0.2")
    card.locator("button.report-finding").click()
    expect(tech.locator(".flash")).to_be_visible()
    tech.context.close()

    # the advisor prices it and sends the customer a link
    advisor.goto(f"{console_url}/orders/{order}")
    finding = advisor.locator("section.finding").first
    until(advisor, lambda: finding.count() == 1, "the finding at reception")
    finding.locator('input[name="lines.0.unit_price"]').fill("60")
    finding.locator("button.price-finding").click()
    expect(advisor.locator("section.finding").first).to_have_attribute("data-status", "priced")
    advisor.locator("button.link-finding").click()
    link = advisor.locator("#approval-link a")
    expect(link).to_be_visible()
    url = link.get_attribute("href")
    assert url is not None
    advisor.screenshot(path=screenshots / "advisor-additional-work.png", full_page=True)

    # the customer opens it on a phone, without an account, and approves
    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    phone.goto(url)
    expect(phone.locator("#approval")).to_contain_text("雨刮片老化")
    phone.screenshot(path=screenshots / "customer-approval.png", full_page=True)
    phone.locator("#approve").click()
    expect(phone.locator("#approval-answer")).to_be_visible()
    phone.goto(url)  # the link works once
    expect(phone.locator("#approval-gone")).to_be_visible()
    phone.context.close()

    advisor.reload()
    expect(advisor.locator("section.finding").first).to_have_attribute("data-status", "approved")
    advisor.context.close()
    # the approved line becomes a new job on the foreman's board
    foreman.goto(f"{console_url}/workshop")
    jobs = foreman.locator(f'[data-order-id="{order}"]')
    until(foreman, lambda: jobs.count() >= 2, "the approved line as a job")
    foreman.context.close()


def test_an_advisor_books_moves_and_cancels_an_appointment(
    browser: Browser, console_url: str, screenshots: Path
) -> None:
    from datetime import date, timedelta

    day = (date.today() + timedelta(days=3)).isoformat()
    page = sign_in(browser, console_url, "advisor.bj01")
    page.goto(f"{console_url}/advisor/appointments?day={day}")
    page.fill('[name="customer.name"]', "陈静")
    page.fill('[name="customer.phone"]', "13800000009")
    page.fill('[name="vehicle.vin"]', "LFV2A21K0G3000001")  # wrong check digit
    page.fill('[name="starts_at"]', f"{day}T10:00")
    page.fill('[name="requested_work"]', "小保养")
    page.locator("#book").click()
    expect(page.locator('[data-field="vehicle.vin"]')).to_be_visible()
    page.fill('[name="vehicle.vin"]', "LFV2A21K7G3000001")
    page.locator("#book").click()
    expect(page.locator(".flash")).to_be_visible()
    row = page.locator("#appointments tr[data-appointment-id]").filter(has_text="陈静")
    expect(row).to_have_count(1)
    row.locator('input[name="starts_at"]').fill(f"{day}T11:00")
    row.locator("button.move").click()
    expect(page.locator(".flash")).to_be_visible()
    expect(row).to_contain_text("11:00")
    page.screenshot(path=screenshots / "advisor-appointments.png", full_page=True)
    row.locator('input[name="reason"]').fill("客户改约")
    row.locator("button.cancel").click()
    expect(page.locator(".flash")).to_be_visible()
    expect(row.locator(".badge.cancelled")).to_be_visible()
    page.context.close()
