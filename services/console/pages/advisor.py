"""Advisor desk: repair orders (list, new order form, detail) and handing the car over."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from services.console.clients import ApiError
from services.console.desks import (
    DELIVER,
    DISPATCH_JOB,
    MANAGERS,
    OPEN_ORDER,
    READ_SETTLEMENT,
    TAKE_PAYMENT,
)
from services.console.pages.documents import DOCUMENT_CSP, order_pdfs
from services.console.pages.workshop import dispatch_body, teams_of
from services.console.web import (
    Caller,
    CallerDep,
    CsrfChecked,
    Forbidden,
    desk,
    redirect,
    render,
)
from shared.auth import Role

router = APIRouter()

ORDER_STATUSES = ("open", "completed", "delivered", "cancelled")
CATEGORIES = (
    "repair",
    "maintenance",
    "warranty",
    "accident",
    "internal",
    "pre_delivery",
    "roadside",
)
PAYMENT_METHODS = ("cash", "card", "wechat", "alipay", "transfer", "on_account")
OLD_PARTS = ("dispose", "take_away", "warranty_return")
PAY_TYPES = ("customer", "warranty", "internal", "insurance")
LINE_FIELDS = (
    "kind",
    "code",
    "description",
    "hours",
    "quantity",
    "unit_price",
    "pay_type",
    "major_system",
    "labour_ref",
)
ORDER_FIELDS = (
    "station_id",
    "category",
    "customer.name",
    "customer.phone",
    "customer.is_vip",
    "vehicle.vin",
    "vehicle.plate",
    "vehicle.make",
    "vehicle.model",
    "mileage_km",
    "complaint",
    "promised_at",
    "inspection_required",
    "car_wash",
    "payment_method",
    "old_parts",
    "signature",
    "signature.name",
    "signature.signed",
    "lines",
    "check_in_id",
    "packages",
)
NEW_FORM_ROWS = 3
SIGNED_AT_DESK = "客户已在委托书上签字 / signed by the customer at the desk"


@router.get("/advisor")
async def orders(request: Request, who: Caller = desk("advisor"), status: str = "open") -> Response:
    """The station's repair orders, newest first, by status."""
    wanted = status if status in ORDER_STATUSES else None
    answer = await who.api.reception.get("/repair-orders", status=wanted, limit=200)
    rows = who.only_shown(answer["data"])
    return render(
        request,
        "advisor/orders.html",
        orders=rows,
        status=wanted or "",
        statuses=ORDER_STATUSES,
        may_open=who.may(OPEN_ORDER),
    )


BOARD_LISTS = ("arrivals", "progress-checks", "ready-notices", "in-workshop", "ready-for-pickup")


@router.get("/advisor/today")
async def today(request: Request, who: Caller = desk("advisor")) -> Response:
    """Today's lists: arrivals, progress checks due, ready notices due, cars in the workshop
    (late risk first) and cars ready for pickup."""

    async def one(which: str) -> tuple[str, list[dict[str, Any]], str]:
        try:
            answer = await who.api.reception.get(f"/board/{which}")
        except ApiError as exc:
            return which, [], exc.summary()
        return which, who.only_shown(answer["data"]), ""

    lists = await asyncio.gather(*(one(which) for which in BOARD_LISTS))
    return render(request, "advisor/today.html", lists=lists)


@router.get("/orders/{order_id}/document")
async def order_document(request: Request, order_id: uuid.UUID, who: CallerDep) -> Response:
    """The printable repair order (任务委托书), as reception renders it."""
    html = await who.api.reception.get_text(f"/repair-orders/{order_id}/document")
    return HTMLResponse(html, headers={"Content-Security-Policy": DOCUMENT_CSP})


@router.get("/orders/{order_id}/settlement/document")
async def settlement_document(request: Request, order_id: uuid.UUID, who: CallerDep) -> Response:
    """The printable settlement (结算单), as reception renders it."""
    html = await who.api.reception.get_text(f"/repair-orders/{order_id}/settlement/document")
    return HTMLResponse(html, headers={"Content-Security-Policy": DOCUMENT_CSP})


def _blank_line(index: int) -> dict[str, str]:
    return {
        "kind": "labour" if index == 0 else "part",
        "pay_type": "customer",
        "quantity": "1",
        **{name: "" for name in ("code", "description", "hours", "unit_price", "major_system")},
        "labour_ref": "",
    }


def _form_values(form: FormData) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The order form as the user typed it: plain fields and the line rows."""
    values = {name: str(form.get(name, "")).strip() for name in ORDER_FIELDS}
    values["packages"] = ",".join(str(code) for code in form.getlist("packages"))
    count = min(int(str(form.get("line_count", NEW_FORM_ROWS)) or NEW_FORM_ROWS), 40)
    lines = [
        {name: str(form.get(f"lines.{i}.{name}", "")).strip() for name in LINE_FIELDS}
        for i in range(count)
    ]
    return values, lines


def _line_is_blank(line: dict[str, str]) -> bool:
    return not any(line[name] for name in ("code", "description", "hours", "unit_price"))


def _order_body(
    values: dict[str, str], lines: list[dict[str, str]], zone: ZoneInfo
) -> tuple[dict[str, Any], list[int]]:
    """The JSON reception expects, and which form row each line sent came from."""

    def text(name: str) -> str | None:
        return values.get(name) or None

    rows = [i for i, line in enumerate(lines) if not _line_is_blank(line)]
    body_lines: list[dict[str, Any]] = []
    for i in rows:
        line = lines[i]
        item: dict[str, Any] = {"ref": str(i + 1), "kind": line["kind"] or "labour"}
        for name in ("code", "description", "hours", "quantity", "unit_price", "pay_type"):
            if line[name]:
                item[name] = line[name]
        if line["major_system"]:
            item["major_system"] = line["major_system"]
        if line["labour_ref"]:
            item["labour_ref"] = line["labour_ref"]
        body_lines.append(item)
    body: dict[str, Any] = {
        "category": values.get("category") or "repair",
        "customer": {
            "name": values.get("customer.name", ""),
            "is_vip": values.get("customer.is_vip") == "on",
        },
        "vehicle": {"vin": values.get("vehicle.vin", "")},
        "complaint": values.get("complaint", ""),
        "lines": body_lines,
        "inspection_required": values.get("inspection_required") == "on",
        "car_wash": values.get("car_wash") == "on",
        "payment_method": values.get("payment_method") or "cash",
        "old_parts": values.get("old_parts") or "dispose",
        "signature": {"name": values.get("signature.name") or values.get("customer.name", "")},
    }
    if values.get("signature.signed") == "on":
        # the customer signed the printed order at the desk; the advisor confirms it here
        body["signature"]["typed_confirmation"] = SIGNED_AT_DESK
    if text("station_id"):
        body["station_id"] = values["station_id"]
    if text("check_in_id"):
        body["check_in_id"] = values["check_in_id"]
    if text("packages"):
        body["packages"] = values["packages"].split(",")
    if text("customer.phone"):
        body["customer"]["phone"] = values["customer.phone"]
    for name in ("plate", "make", "model"):
        if text(f"vehicle.{name}"):
            body["vehicle"][name] = values[f"vehicle.{name}"]
    if text("mileage_km"):
        body["mileage_km"] = values["mileage_km"]
    if text("promised_at"):
        try:
            promised = datetime.fromisoformat(values["promised_at"])
            body["promised_at"] = promised.replace(tzinfo=promised.tzinfo or zone).isoformat()
        except ValueError:
            body["promised_at"] = values["promised_at"]  # the service names the problem
    return body, rows


def _form_errors(error: ApiError, rows: list[int]) -> tuple[dict[str, str], list[str]]:
    """Field messages keyed by the form's own field names; the rest as general messages."""
    fields: dict[str, str] = {}
    general = list(error.messages)
    for name, message in error.fields.items():
        parts = name.split(".")
        if len(parts) >= 3 and parts[0] == "lines" and parts[1].isdigit():
            sent = int(parts[1])
            row = rows[sent] if sent < len(rows) else sent
            key = f"lines.{row}.{parts[2]}"
        else:
            key = name
        known = key in ORDER_FIELDS or (key.startswith("lines.") and key.count(".") == 2)
        if known:
            fields.setdefault(key, message)
        else:
            general.append(f"{name}: {message}")
    return fields, general


async def _render_form(
    request: Request,
    who: Caller,
    values: dict[str, str],
    lines: list[dict[str, str]],
    errors: dict[str, str] | None = None,
    general: list[str] | None = None,
    status_code: int = 200,
    estimate: dict[str, Any] | None = None,
) -> Response:
    stations = (
        list(who.user.stations) if (who.user.all_stations or len(who.user.stations) > 1) else []
    )
    try:
        prices = await who.api.reception.get(
            "/estimates/price-list", station_id=values.get("station_id") or who.station
        )
        packages = prices.get("packages", [])
    except ApiError:
        packages = []  # the form still works with typed lines
    return render(
        request,
        "advisor/new_order.html",
        status_code,
        packages=packages,
        chosen_packages=[c for c in values.get("packages", "").split(",") if c],
        values=values,
        lines=lines,
        errors=errors or {},
        general=general or [],
        categories=CATEGORIES,
        payment_methods=PAYMENT_METHODS,
        old_parts=OLD_PARTS,
        estimate=estimate,
        pay_types=PAY_TYPES,
        stations=stations,
    )


#: the part of the order form reception prices (an estimate stores nothing)
ESTIMATE_KEYS = ("station_id", "category", "lines", "car_wash", "packages")


async def _estimate(
    request: Request,
    who: Caller,
    values: dict[str, str],
    lines: list[dict[str, str]],
    body: dict[str, Any],
    rows: list[int],
) -> Response:
    """Price the lines as typed (price list, station rate, availability) and show the
    totals under the form, which keeps what the advisor typed."""
    try:
        estimate = await who.api.reception.post(
            "/estimates", {key: body[key] for key in ESTIMATE_KEYS if key in body}
        )
    except ApiError as exc:
        if exc.status not in (400, 403, 409, 422):
            raise
        errors, general = _form_errors(exc, rows)
        return await _render_form(request, who, values, lines, errors, general, exc.status)
    return await _render_form(request, who, values, lines, estimate=estimate)


@router.get("/advisor/orders/new")
async def new_order_form(
    request: Request, who: Caller = desk("advisor"), check_in: str = ""
) -> Response:
    """The repair order form, empty (the station preset to the one being looked at); from a
    check-in sheet: its car, customer and mileage filled in and the sheet referred to."""
    if not who.may(OPEN_ORDER):
        raise Forbidden()
    values = {name: "" for name in ORDER_FIELDS}
    values["category"] = "repair"
    values["payment_method"] = "cash"
    values["old_parts"] = "dispose"
    values["station_id"] = who.station or ""
    if check_in:
        try:
            sheet = await who.api.reception.get(f"/check-ins/{uuid.UUID(check_in)}")
        except (ValueError, ApiError):
            sheet = None
        if sheet:
            values.update(
                {
                    "check_in_id": str(sheet["id"]),
                    "station_id": sheet["station_id"],
                    "vehicle.vin": sheet["vin"],
                    "vehicle.plate": sheet.get("plate") or "",
                    "mileage_km": str(sheet["mileage_km"]),
                    "customer.name": sheet["customer_name"],
                    "customer.phone": sheet.get("customer_phone") or "",
                    "signature.name": sheet.get("signature_name") or "",
                }
            )
    return await _render_form(request, who, values, [_blank_line(i) for i in range(NEW_FORM_ROWS)])


@router.post("/advisor/orders/new", dependencies=[CsrfChecked])
async def open_order(request: Request, who: Caller = desk("advisor")) -> Response:
    """Open the order at reception; its refusal is shown next to the fields concerned."""
    if not who.may(OPEN_ORDER):
        raise Forbidden()
    form = await request.form()
    values, lines = _form_values(form)
    if form.get("action") == "add_line":
        lines.append(_blank_line(len(lines)))
        return await _render_form(request, who, values, lines)
    zone = ZoneInfo(request.app.state.settings.timezone)
    body, rows = _order_body(values, lines, zone)
    if form.get("action") == "estimate":
        return await _estimate(request, who, values, lines, body, rows)
    try:
        order = await who.api.reception.post("/repair-orders", body)
    except ApiError as exc:
        if exc.status not in (400, 403, 409, 422):
            raise
        errors, general = _form_errors(exc, rows)
        return await _render_form(request, who, values, lines, errors, general, exc.status)
    return redirect(f"/orders/{order['id']}")


FISCAL_KINDS = ("invoice", "receipt")


def _console_link(document: dict[str, Any]) -> dict[str, Any]:
    """Reception's document row with the console's own link to it (reception's paths need
    the user's token, which only the console holds)."""
    url = str(document.get("url", ""))
    link = ""
    if url.startswith("/repair-orders/"):
        link = "/orders/" + url.removeprefix("/repair-orders/")
    elif url.startswith("/invoices/"):
        link = url
    return {**document, "link": link}


async def _order_page(
    request: Request,
    who: Caller,
    order_id: uuid.UUID,
    status_code: int = 200,
    form: str = "",
    values: dict[str, str] | None = None,
    error: ApiError | None = None,
    approval_link: str = "",
) -> Response:
    """The order page; ``form`` names the form (delivery, payment, finding id) whose refusal
    to show."""
    order = await who.api.reception.get(f"/repair-orders/{order_id}")
    settlement: dict[str, Any] | None = None
    settlement_error = ""
    findings: list[dict[str, Any]] = []
    if who.may(READ_SETTLEMENT):
        try:
            answer = await who.api.reception.get("/additional-work", order_id=str(order_id))
            findings = answer["data"]
        except ApiError:
            findings = []  # an older reception without additional work: nothing to show
    if order["status"] in ("completed", "delivered") and who.may(READ_SETTLEMENT):
        try:
            settlement = await who.api.reception.get(f"/repair-orders/{order_id}/settlement")
        except ApiError as exc:
            settlement_error = exc.summary()
    jobs: list[dict[str, Any]] = []
    teams: list[dict[str, Any]] = []
    advisor_dispatches = who.user.role == Role.SERVICE_ADVISOR and who.may(DISPATCH_JOB)
    if advisor_dispatches and order["status"] == "open":
        try:
            answer = await who.api.workshop.get("/jobs", order_id=str(order_id), limit=50)
            jobs = answer["data"]
        except ApiError:
            jobs = []  # the workshop does not answer: the order page still shows
        if any(job["status"] == "ready" for job in jobs):
            teams = await teams_of(who)
    diagnoses: list[dict[str, Any]] = []
    if who.may(READ_SETTLEMENT):
        try:
            answer = await who.api.reception.get("/diagnoses", order_id=str(order_id))
            diagnoses = answer["data"]
        except ApiError:
            diagnoses = []
    documents: list[dict[str, Any]] = []
    if who.may(READ_SETTLEMENT):
        try:
            answer = await who.api.reception.get(f"/repair-orders/{order_id}/documents")
            documents = [_console_link(doc) for doc in answer["data"]]
        except ApiError:
            documents = []  # the PDF links above still work
    return render(
        request,
        "advisor/order.html",
        status_code,
        order=order,
        pdf_kinds=order_pdfs(str(order["status"])),
        settlement=settlement,
        settlement_error=settlement_error,
        may_deliver=who.may(DELIVER),
        delivery_checks=DELIVERY_CHECKS,
        jobs=jobs,
        teams=teams,
        diagnoses=diagnoses,
        diagnosis_rows=DIAGNOSIS_ROWS,
        may_sign_off=who.may(MANAGERS),
        documents=documents,
        fiscal_kinds=FISCAL_KINDS,
        may_pay=who.may(TAKE_PAYMENT),
        may_discount=who.may(OPEN_ORDER),
        may_cancel=who.may(OPEN_ORDER),
        may_decide_discount=who.may(MANAGERS),
        findings=findings,
        may_price=who.may(OPEN_ORDER),
        approval_link=approval_link,
        pay_types=PAY_TYPES,
        payment_methods=PAYMENT_METHODS,
        form=form,
        values=values or {},
        errors=error.fields if error else {},
        general=error.messages if error else [],
    )


@router.get("/orders/{order_id}")
async def order_detail(request: Request, order_id: uuid.UUID, who: CallerDep) -> Response:
    """One repair order with its lines; settlement, payment and hand-over once completed."""
    return await _order_page(request, who, order_id)


@router.post("/orders/{order_id}/payments", dependencies=[CsrfChecked])
async def take_payment(request: Request, order_id: uuid.UUID, who: CallerDep) -> Response:
    """The cashier records a payment; at a zero balance reception issues the exit pass."""
    if not who.may(TAKE_PAYMENT):
        raise Forbidden()
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in ("method", "amount", "reference")}
    body: dict[str, Any] = {"method": values["method"], "amount": values["amount"]}
    if values["reference"]:
        body["reference"] = values["reference"]
    try:
        await who.api.reception.post(f"/repair-orders/{order_id}/payments", body)
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        return await _order_page(request, who, order_id, exc.status, "payment", values, exc)
    who.session.add_flash("flash.paid")
    return redirect(f"/orders/{order_id}")


#: the hand-over checklist (process §7) as reception takes it; an unticked box is sent as
#: ``false`` (reception refuses the delivery for belongings, bodywork, documents and keys)
DELIVERY_CHECKS = (
    "belongings_checked",
    "bodywork_checked",
    "covers_removed",
    "work_explained",
    "documents_returned",
    "keys_returned",
    "next_service_told",
    "next_booking_suggested",
    "follow_up_call_announced",
)
DELIVERY_FIELDS = (
    "customer_accepted",
    *DELIVERY_CHECKS,
    "signature.name",
    "signature.typed_confirmation",
    "next_service_km",
    "next_service_date",
    "note",
)


def delivery_body(values: dict[str, str], customer_name: str, zone: ZoneInfo) -> dict[str, Any]:
    """The hand-over as reception expects it. The customer's acceptance signature is always
    sent (name, by default the order's customer, and the typed confirmation), so reception
    names a missing confirmation next to its field instead of refusing a missing signature."""
    body: dict[str, Any] = {
        "customer_accepted": values.get("customer_accepted") == "on",
        "signature": {"name": values.get("signature.name") or customer_name},
    }
    for name in DELIVERY_CHECKS:
        body[name] = values.get(name) == "on"
    if values.get("signature.typed_confirmation"):
        body["signature"]["typed_confirmation"] = values["signature.typed_confirmation"]
    if values.get("next_service_km"):
        body["next_service_km"] = values["next_service_km"]
    if values.get("note"):
        body["note"] = values["note"]
    if values.get("next_service_date"):
        try:
            day = datetime.fromisoformat(values["next_service_date"]).replace(tzinfo=zone)
            body["next_service_date"] = day.date().isoformat()
        except ValueError:
            body["next_service_date"] = values["next_service_date"]  # reception names it
    return body


def split_errors(error: ApiError, known: tuple[str, ...]) -> ApiError:
    """The refusal with only the form's own fields as field messages; the rest (such as
    reception's ``manager_sign_off``) becomes a general message, so nothing goes unshown."""
    fields: dict[str, str] = {}
    general = list(error.messages)
    for name, message in error.fields.items():
        if name in known:
            fields[name] = message
        else:
            general.append(f"{name}: {message}" if name else message)
    return ApiError(error.service, error.status, general, fields)


@router.post("/orders/{order_id}/delivery", dependencies=[CsrfChecked])
async def deliver(request: Request, order_id: uuid.UUID, who: CallerDep) -> Response:
    """Hand the car over with the checklist and the customer's acceptance signature;
    reception's objections appear next to the fields."""
    if not who.may(DELIVER):
        raise Forbidden()
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in DELIVERY_FIELDS}
    customer = str(form.get("customer_name", "")).strip()
    zone = ZoneInfo(request.app.state.settings.timezone)
    body = delivery_body(values, customer, zone)
    try:
        await who.api.reception.post(f"/repair-orders/{order_id}/delivery", body)
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        shown = split_errors(exc, (*DELIVERY_FIELDS, "signature"))
        return await _order_page(request, who, order_id, exc.status, "delivery", values, shown)
    who.session.add_flash("flash.delivered")
    return redirect(f"/orders/{order_id}")


@router.post("/orders/{order_id}/findings/{finding_id}/pricing", dependencies=[CsrfChecked])
async def price_finding(
    request: Request, order_id: uuid.UUID, finding_id: uuid.UUID, who: CallerDep
) -> Response:
    """The advisor prices the technician's finding before calling the customer."""
    if not who.may(OPEN_ORDER):
        raise Forbidden()
    form = await request.form()
    lines: list[dict[str, Any]] = []
    for i in range(int(str(form.get("line_count", "0")) or 0)):
        row = {
            name: str(form.get(f"lines.{i}.{name}", "")).strip()
            for name in (
                "kind",
                "code",
                "description",
                "hours",
                "quantity",
                "unit_price",
                "pay_type",
            )
        }
        if not row["code"]:
            continue
        lines.append({name: value for name, value in row.items() if value})
    try:
        await who.api.reception.post(f"/additional-work/{finding_id}/pricing", {"lines": lines})
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        return await _order_page(request, who, order_id, exc.status, str(finding_id), {}, exc)
    who.session.add_flash("flash.finding_priced")
    return redirect(f"/orders/{order_id}#findings")


@router.post("/orders/{order_id}/findings/{finding_id}/decision", dependencies=[CsrfChecked])
async def decide_finding(
    request: Request, order_id: uuid.UUID, finding_id: uuid.UUID, who: CallerDep
) -> Response:
    """The customer's answer on the phone, recorded by the advisor who called."""
    if not who.may(OPEN_ORDER):
        raise Forbidden()
    form = await request.form()
    body: dict[str, Any] = {"approved": form.get("approved") == "yes"}
    told = str(form.get("workshop_told", "")).strip()
    if told:
        body["workshop_told"] = told
    try:
        await who.api.reception.post(f"/additional-work/{finding_id}/decision", body)
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        return await _order_page(request, who, order_id, exc.status, str(finding_id), {}, exc)
    who.session.add_flash("flash.finding_decided")
    return redirect(f"/orders/{order_id}#findings")


@router.post("/orders/{order_id}/findings/{finding_id}/link", dependencies=[CsrfChecked])
async def approval_link(
    request: Request, order_id: uuid.UUID, finding_id: uuid.UUID, who: CallerDep
) -> Response:
    """A one-time link for the customer to approve or decline on their phone."""
    if not who.may(OPEN_ORDER):
        raise Forbidden()
    try:
        link = await who.api.reception.post(f"/additional-work/{finding_id}/approval-link", {})
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        return await _order_page(request, who, order_id, exc.status, str(finding_id), {}, exc)
    url = str(request.base_url).rstrip("/") + f"/approve/{link['token']}"
    return await _order_page(request, who, order_id, approval_link=url)


@router.post("/orders/{order_id}/discount", dependencies=[CsrfChecked])
async def request_discount(request: Request, order_id: uuid.UUID, who: CallerDep) -> Response:
    """The advisor grants a discount within the allowance; above it, it waits for the
    service manager (reception decides which)."""
    if not who.may(OPEN_ORDER):
        raise Forbidden()
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in ("amount", "reason", "version")}
    body = {"amount": values["amount"], "reason": values["reason"], "version": values["version"]}
    try:
        await who.api.reception.post(f"/repair-orders/{order_id}/settlement/discount", body)
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        return await _order_page(request, who, order_id, exc.status, "discount", values, exc)
    who.session.add_flash("flash.discount_requested")
    return redirect(f"/orders/{order_id}#discount")


@router.post("/orders/{order_id}/discount/decision", dependencies=[CsrfChecked])
async def decide_discount(request: Request, order_id: uuid.UUID, who: CallerDep) -> Response:
    """The service manager approves or refuses a discount above the advisor's allowance."""
    if not who.may(MANAGERS):
        raise Forbidden()
    form = await request.form()
    body = {"approved": form.get("approved") == "yes", "version": str(form.get("version", ""))}
    try:
        await who.api.reception.post(
            f"/repair-orders/{order_id}/settlement/discount/decision", body
        )
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        return await _order_page(request, who, order_id, exc.status, "discount", {}, exc)
    who.session.add_flash("flash.discount_decided")
    return redirect(f"/orders/{order_id}#discount")


@router.post("/orders/{order_id}/cancellation", dependencies=[CsrfChecked])
async def cancel_order(request: Request, order_id: uuid.UUID, who: CallerDep) -> Response:
    """Cancel an order the workshop has not completed, with the reason (reception tells the
    workshop and parts)."""
    if not who.may(OPEN_ORDER):
        raise Forbidden()
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in ("reason", "version")}
    try:
        await who.api.reception.post(f"/repair-orders/{order_id}/cancellation", values)
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        return await _order_page(request, who, order_id, exc.status, "cancel", values, exc)
    who.session.add_flash("flash.order_cancelled")
    return redirect(f"/orders/{order_id}")


@router.post("/orders/{order_id}/manager-sign-off", dependencies=[CsrfChecked])
async def manager_sign_off(request: Request, order_id: uuid.UUID, who: CallerDep) -> Response:
    """The service manager signs off an order flagged for them (over ¥10,000 or a VIP
    customer) with a note; until then reception issues no exit pass and refuses delivery."""
    if not who.may(MANAGERS):
        raise Forbidden()
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in ("note", "version")}
    try:
        await who.api.reception.post(f"/repair-orders/{order_id}/manager-sign-off", values)
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        shown = split_errors(exc, ("note",))
        return await _order_page(request, who, order_id, exc.status, "sign_off", values, shown)
    who.session.add_flash("flash.signed_off")
    return redirect(f"/orders/{order_id}")


@router.get("/sign-offs")
async def awaiting_sign_off(request: Request, who: Caller = desk("sign_offs")) -> Response:
    """The orders flagged for the service manager and not yet signed off, of the station
    looked at (every station the manager may see when none is chosen)."""
    answer = await who.api.reception.get(
        "/repair-orders/awaiting-sign-off", station_id=who.station, limit=200
    )
    return render(request, "advisor/sign_offs.html", orders=who.only_shown(answer["data"]))


INVOICE_FIELDS = ("kind", "buyer.type", "buyer.name", "buyer.tax_id", "on_account")


def invoice_body(values: dict[str, str]) -> dict[str, Any]:
    """The invoice or receipt request: the customer as buyer unless a company (or another
    person) is named; a company's tax id is sent as typed (reception checks it)."""
    body: dict[str, Any] = {"kind": values.get("kind") or "receipt"}
    company = values.get("buyer.type") == "company"
    if company or values.get("buyer.name"):
        buyer: dict[str, Any] = {
            "type": "company" if company else "person",
            "name": values.get("buyer.name", ""),
        }
        if values.get("buyer.tax_id"):
            buyer["tax_id"] = values["buyer.tax_id"].upper()
        body["buyer"] = buyer
    if values.get("on_account") == "on":
        body["on_account"] = True
    return body


@router.post("/orders/{order_id}/invoices", dependencies=[CsrfChecked])
async def issue_invoice(request: Request, order_id: uuid.UUID, who: CallerDep) -> Response:
    """The cashier issues the invoice (发票) or receipt (收据) for the payments not yet on
    one; a company invoice needs the buyer's name and tax id (reception names what is
    missing)."""
    if not who.may(TAKE_PAYMENT):
        raise Forbidden()
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in INVOICE_FIELDS}
    try:
        document = await who.api.reception.post(
            f"/repair-orders/{order_id}/invoices", invoice_body(values)
        )
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        shown = split_errors(exc, (*INVOICE_FIELDS, "buyer"))
        return await _order_page(request, who, order_id, exc.status, "invoice", values, shown)
    who.session.add_flash("flash.invoice_issued")
    return redirect(f"/orders/{order_id}#doc-{document['id']}")


@router.post("/orders/{order_id}/jobs/{job_id}/dispatch", dependencies=[CsrfChecked])
async def advisor_dispatch(
    request: Request, order_id: uuid.UUID, job_id: uuid.UUID, who: CallerDep
) -> Response:
    """The advisor dispatches a job of a single-team order to that team (or one of its
    members); for any other order the workshop answers 403 with the reason (the teams each
    skill falls to), shown on the order page."""
    if not who.may(DISPATCH_JOB):
        raise Forbidden()
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in ("team_id", "technician_id")}
    teams = await teams_of(who)
    body = dispatch_body(values["technician_id"], values["team_id"], teams)
    version = str(form.get("version", ""))
    if version.isdigit():
        body["version"] = int(version)
    try:
        await who.api.workshop.post(f"/jobs/{job_id}/dispatch", body)
    except ApiError as exc:
        if exc.status not in (403, 409, 422):
            raise
        shown = split_errors(exc, ("team_id", "technician_id"))
        return await _order_page(
            request, who, order_id, exc.status, f"dispatch.{job_id}", values, shown
        )
    who.session.add_flash("flash.job_dispatched")
    return redirect(f"/orders/{order_id}#jobs")


DIAGNOSIS_FIELDS = ("findings", "fault_codes", "technician_id", "technician_name", "road_test")
DIAGNOSIS_ROWS = 2
RECOMMENDED_FIELDS = ("description", "code", "estimated_price")


def diagnosis_body(order_id: str, values: dict[str, str]) -> dict[str, Any]:
    """The diagnosis report of the order's visit: fault codes typed one per ``;`` as
    ``P0730 description``, recommended work from the filled rows."""
    codes: list[dict[str, str]] = []
    for part in values.get("fault_codes", "").replace("；", ";").split(";"):
        code, _, description = part.strip().partition(" ")
        if code:
            codes.append(
                {
                    "code": code,
                    **({"description": description.strip()} if description.strip() else {}),
                }
            )
    work: list[dict[str, Any]] = []
    for i in range(DIAGNOSIS_ROWS):
        row = {name: values.get(f"rec.{i}.{name}", "") for name in RECOMMENDED_FIELDS}
        if not any(row.values()):
            continue
        work.append({name: value for name, value in row.items() if value})
    body: dict[str, Any] = {
        "order_id": order_id,
        "findings": values.get("findings", ""),
        "technician_id": values.get("technician_id", ""),
        "road_test": values.get("road_test") == "on",
        "fault_codes": codes,
        "recommended_work": work,
    }
    if values.get("technician_name"):
        body["technician_name"] = values["technician_name"]
    return body


def _diagnosis_errors(error: ApiError) -> ApiError:
    """Reception's field names as the form's: ``recommended_work.0.estimated_price`` ->
    ``rec.0.estimated_price``, any fault code's problem on the fault codes field."""
    fields: dict[str, str] = {}
    general = list(error.messages)
    for name, message in error.fields.items():
        key = name.replace("recommended_work.", "rec.")
        if key.startswith("fault_codes"):
            key = "fault_codes"
        if key in DIAGNOSIS_FIELDS or (key.startswith("rec.") and key.count(".") == 2):
            fields.setdefault(key, message)
        else:
            general.append(f"{name}: {message}")
    return ApiError(error.service, error.status, general, fields)


@router.post("/orders/{order_id}/diagnoses", dependencies=[CsrfChecked])
async def record_diagnosis(request: Request, order_id: uuid.UUID, who: CallerDep) -> Response:
    """The advisor records the diagnosis report (诊断书) of the order's visit: what the
    technician found, fault codes, road test and recommended work with estimated prices."""
    if not who.may(OPEN_ORDER):
        raise Forbidden()
    form = await request.form()
    names = [*DIAGNOSIS_FIELDS] + [
        f"rec.{i}.{name}" for i in range(DIAGNOSIS_ROWS) for name in RECOMMENDED_FIELDS
    ]
    values = {name: str(form.get(name, "")).strip() for name in names}
    try:
        report = await who.api.reception.post("/diagnoses", diagnosis_body(str(order_id), values))
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        shown = _diagnosis_errors(exc)
        return await _order_page(request, who, order_id, exc.status, "diagnosis", values, shown)
    who.session.add_flash("flash.diagnosis_recorded")
    return redirect(f"/orders/{order_id}#diagnosis-{report['id']}")
