"""Parts counter, the back office: issue and return against a job, purchase orders (draft →
approve → send → receive), transfers between stations (request → ship → receive) and the
stocktake (count sheet → variance approval). Every rule is the parts service's; a refusal
comes back next to the field or on the record it concerns."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.console.clients import ApiError
from services.console.desks import MANAGERS
from services.console.web import Caller, CsrfChecked, Forbidden, desk, redirect, render
from shared.auth import Role

router = APIRouter()

#: who books stock in and out (parts: the clerk and the service manager)
STOREKEEPER = frozenset({Role.PARTS_CLERK, Role.SERVICE_MANAGER})
#: who approves purchase orders and stocktake variances
APPROVER = MANAGERS
PO_ROWS = 4
PO_ACTIONS = {"approval": APPROVER, "sending": STOREKEEPER, "cancellation": STOREKEEPER}
TRANSFER_ACTIONS = ("shipment", "receipt", "cancellation")
REFUSED = (400, 409, 422)


def _values(form: Any, names: tuple[str, ...]) -> dict[str, str]:
    return {name: str(form.get(name, "")).strip() for name in names}


def _failure(exc: ApiError, form: str, values: dict[str, str] | None = None) -> dict[str, Any]:
    if exc.status not in REFUSED:
        raise exc
    return {
        "form": form,
        "values": values or {},
        "errors": exc.fields,
        "general": exc.messages,
        "status": exc.status,
    }


def _no_failure() -> dict[str, Any]:
    return {"form": "", "values": {}, "errors": {}, "general": [], "status": 200}


# --- issue / return against a job ----------------------------------------------------------


@router.post("/parts/reservations/{reservation_id}/{action}", dependencies=[CsrfChecked])
async def issue_or_return(
    request: Request, reservation_id: uuid.UUID, action: str, who: Caller = desk("parts")
) -> Response:
    """领料 / 退料: hand reserved parts to the job, or take unused ones back."""
    if action not in ("issues", "returns") or not who.may(STOREKEEPER):
        raise Forbidden()
    form = await request.form()
    values = _values(form, ("quantity", "reason", "order"))
    body: dict[str, Any] = {"quantity": values["quantity"]}
    if action == "returns" and values["reason"]:
        body["reason"] = values["reason"]
    back = f"/parts?order={values['order']}#reservations" if values["order"] else "/parts"
    try:
        await who.api.parts.post(f"/reservations/{reservation_id}/{action}", body)
    except ApiError as exc:
        failure = _failure(exc, f"{action}:{reservation_id}", values)
        from services.console.pages.parts import counter

        return await counter(request, who, "", values["order"], failure=failure)
    who.session.add_flash("flash.parts_issued" if action == "issues" else "flash.parts_returned")
    return redirect(back)


# --- purchase orders -----------------------------------------------------------------------


async def _purchase_page(
    request: Request, who: Caller, status: str = "", failure: dict[str, Any] | None = None
) -> Response:
    failure = failure or _no_failure()
    orders, suppliers, suggestions = await asyncio.gather(
        who.api.parts.get("/purchase-orders", status=status or None, limit=100),
        who.api.parts.get("/suppliers"),
        who.api.parts.get("/replenishment/suggestions", station_id=who.station),
    )
    values = failure["values"] if failure["form"] == "new" else {}
    rows = [
        {name: values.get(f"lines.{i}.{name}", "") for name in ("part_no", "quantity", "unit_cost")}
        for i in range(PO_ROWS)
    ]
    return render(
        request,
        "parts/purchase_orders.html",
        failure["status"],
        orders=who.only_shown(orders["data"]),
        suppliers={s["id"]: s for s in suppliers["data"]},
        registered=[s for s in suppliers["data"] if s["registered"]],
        suggestions=who.only_shown(suggestions["data"]),
        status=status,
        rows=rows,
        failure=failure,
        values=values,
        may_store=who.may(STOREKEEPER),
        may_approve=who.may(APPROVER),
        tab="purchase-orders",
    )


@router.get("/parts/purchase-orders")
async def purchase_orders(
    request: Request, who: Caller = desk("parts"), status: str = ""
) -> Response:
    """Purchase orders, newest first; suggested lines for parts below their reorder point."""
    return await _purchase_page(request, who, status)


@router.post("/parts/purchase-orders", dependencies=[CsrfChecked])
async def draft_purchase_order(request: Request, who: Caller = desk("parts")) -> Response:
    """Draft a purchase order to a registered supplier."""
    if not who.may(STOREKEEPER):
        raise Forbidden()
    form = await request.form()
    line_names = tuple(
        f"lines.{i}.{name}" for i in range(PO_ROWS) for name in ("part_no", "quantity", "unit_cost")
    )
    names = ("supplier_id", "note", *line_names)
    values = _values(form, names)
    sent_rows = [i for i in range(PO_ROWS) if values[f"lines.{i}.part_no"]]
    lines = []
    for i in sent_rows:
        line = {"part_no": values[f"lines.{i}.part_no"], "quantity": values[f"lines.{i}.quantity"]}
        if values[f"lines.{i}.unit_cost"]:
            line["unit_cost"] = values[f"lines.{i}.unit_cost"]
        lines.append(line)
    body: dict[str, Any] = {"supplier_id": values["supplier_id"], "lines": lines}
    if values["note"]:
        body["note"] = values["note"]
    if who.station:
        body["station_id"] = who.station
    try:
        created = await who.api.parts.post("/purchase-orders", body)
    except ApiError as exc:
        # the service numbers the lines it got; the form numbers its rows
        exc.fields = {_row_field(k, sent_rows): v for k, v in exc.fields.items()}
        return await _purchase_page(request, who, failure=_failure(exc, "new", values))
    who.session.add_flash("flash.po_drafted")
    return redirect(f"/parts/purchase-orders#po-{created['id']}")


def _row_field(name: str, rows: list[int]) -> str:
    parts = name.split(".")
    if len(parts) >= 3 and parts[0] == "lines" and parts[1].isdigit():
        sent = int(parts[1])
        parts[1] = str(rows[sent] if sent < len(rows) else sent)
    return ".".join(parts)


@router.post("/parts/purchase-orders/{po_id}/{action}", dependencies=[CsrfChecked])
async def purchase_order_action(
    request: Request, po_id: uuid.UUID, action: str, who: Caller = desk("parts")
) -> Response:
    """Approve, send or cancel a purchase order; receive what arrived against it."""
    form = await request.form()
    version = str(form.get("version", "")) or None
    if action == "receipts":
        if not who.may(STOREKEEPER):
            raise Forbidden()
        count = int(str(form.get("line_count", "0")) or 0)
        values = _values(
            form,
            tuple(
                f"lines.{i}.{name}"
                for i in range(count)
                for name in ("part_no", "quantity", "over_receipt_note")
            ),
        )
        sent_rows = [i for i in range(count) if values[f"lines.{i}.quantity"]]
        lines = []
        for i in sent_rows:
            line = {
                "part_no": values[f"lines.{i}.part_no"],
                "quantity": values[f"lines.{i}.quantity"],
            }
            if values[f"lines.{i}.over_receipt_note"]:
                line["over_receipt_note"] = values[f"lines.{i}.over_receipt_note"]
            lines.append(line)
        body: dict[str, Any] = {"version": version, "lines": lines}
    else:
        roles = PO_ACTIONS.get(action)
        if roles is None or not who.may(roles):
            raise Forbidden()
        values, sent_rows, body = {}, [], {"version": version}
    try:
        await who.api.parts.post(f"/purchase-orders/{po_id}/{action}", body)
    except ApiError as exc:
        exc.fields = {_row_field(k, sent_rows): v for k, v in exc.fields.items()}
        failure = _failure(exc, f"po:{po_id}", values)
        return await _purchase_page(request, who, failure=failure)
    who.session.add_flash(f"flash.po_{action}")
    return redirect(f"/parts/purchase-orders#po-{po_id}")


# --- transfers -----------------------------------------------------------------------------


async def _transfer_page(
    request: Request, who: Caller, failure: dict[str, Any] | None = None
) -> Response:
    failure = failure or _no_failure()
    answer = await who.api.parts.get("/transfers", limit=100)
    mine = set(who.user.stations) if not who.user.all_stations else None
    return render(
        request,
        "parts/transfers.html",
        failure["status"],
        transfers=[
            t
            for t in answer["data"]
            if who.shows(t["from_station_id"]) or who.shows(t["to_station_id"])
        ],
        own=lambda station: mine is None or station in mine,
        failure=failure,
        values=failure["values"] if failure["form"] == "new" else {},
        may_store=who.may(STOREKEEPER),
        other_stations=[s for s in _group_stations() if s not in who.user.stations],
        tab="transfers",
    )


def _group_stations() -> list[str]:
    from services.console.web import STATION_NAMES

    return list(STATION_NAMES)


@router.get("/parts/transfers")
async def transfers(request: Request, who: Caller = desk("parts")) -> Response:
    """Transfers from and to the user's stations; what is in transit."""
    return await _transfer_page(request, who)


@router.post("/parts/transfers", dependencies=[CsrfChecked])
async def request_transfer(request: Request, who: Caller = desk("parts")) -> Response:
    """Ask another station of the group for parts (调拨)."""
    if not who.may(STOREKEEPER):
        raise Forbidden()
    form = await request.form()
    values = _values(form, ("part_no", "from_station_id", "quantity", "note"))
    body: dict[str, Any] = {k: v for k, v in values.items() if v}
    if who.station:
        body["to_station_id"] = who.station
    try:
        await who.api.parts.post("/transfers", body)
    except ApiError as exc:
        return await _transfer_page(request, who, _failure(exc, "new", values))
    who.session.add_flash("flash.transfer_requested")
    return redirect("/parts/transfers")


@router.post("/parts/transfers/{transfer_id}/{action}", dependencies=[CsrfChecked])
async def transfer_action(
    request: Request, transfer_id: uuid.UUID, action: str, who: Caller = desk("parts")
) -> Response:
    """Ship (the sending station), receive (the asking station) or withdraw a transfer."""
    if action not in TRANSFER_ACTIONS or not who.may(STOREKEEPER):
        raise Forbidden()
    form = await request.form()
    body = {"version": str(form.get("version", "")) or None}
    try:
        await who.api.parts.post(f"/transfers/{transfer_id}/{action}", body)
    except ApiError as exc:
        return await _transfer_page(request, who, _failure(exc, f"transfer:{transfer_id}"))
    who.session.add_flash(f"flash.transfer_{action}")
    return redirect(f"/parts/transfers#transfer-{transfer_id}")


# --- stocktake -----------------------------------------------------------------------------


@router.get("/parts/stocktakes")
async def stocktakes(request: Request, who: Caller = desk("parts")) -> Response:
    """Count sheets, open and approved."""
    return await _stocktakes_page(request, who)


async def _stocktakes_page(
    request: Request, who: Caller, failure: dict[str, Any] | None = None
) -> Response:
    failure = failure or _no_failure()
    answer = await who.api.parts.get("/stocktakes", limit=100)
    return render(
        request,
        "parts/stocktakes.html",
        failure["status"],
        stocktakes=who.only_shown(answer["data"]),
        failure=failure,
        values=failure["values"],
        may_store=who.may(STOREKEEPER),
        tab="stocktakes",
    )


@router.post("/parts/stocktakes", dependencies=[CsrfChecked])
async def open_stocktake(request: Request, who: Caller = desk("parts")) -> Response:
    """Open count sheets for the bins named (every bin when none)."""
    if not who.may(STOREKEEPER):
        raise Forbidden()
    form = await request.form()
    values = _values(form, ("bins",))
    body: dict[str, Any] = {}
    bins = [b.strip() for b in values["bins"].replace("，", ",").split(",") if b.strip()]
    if bins:
        body["bins"] = bins
    if who.station:
        body["station_id"] = who.station
    try:
        created = await who.api.parts.post("/stocktakes", body)
    except ApiError as exc:
        return await _stocktakes_page(request, who, _failure(exc, "new", values))
    who.session.add_flash("flash.stocktake_opened")
    return redirect(f"/parts/stocktakes/{created['id']}")


async def _sheet_page(
    request: Request, who: Caller, stocktake_id: uuid.UUID, failure: dict[str, Any] | None = None
) -> Response:
    failure = failure or _no_failure()
    sheet = await who.api.parts.get(f"/stocktakes/{stocktake_id}")
    return render(
        request,
        "parts/stocktake.html",
        failure["status"],
        sheet=sheet,
        failure=failure,
        values=failure["values"],
        may_store=who.may(STOREKEEPER),
        may_approve=who.may(APPROVER),
        tab="stocktakes",
    )


@router.get("/parts/stocktakes/{stocktake_id}")
async def stocktake(
    request: Request, stocktake_id: uuid.UUID, who: Caller = desk("parts")
) -> Response:
    """The count sheet: book quantity, what was counted, the variance and its value."""
    return await _sheet_page(request, who, stocktake_id)


@router.post("/parts/stocktakes/{stocktake_id}/counts", dependencies=[CsrfChecked])
async def record_counts(
    request: Request, stocktake_id: uuid.UUID, who: Caller = desk("parts")
) -> Response:
    """Enter what was found on the shelf (blank rows are not counted yet)."""
    if not who.may(STOREKEEPER):
        raise Forbidden()
    form = await request.form()
    count = int(str(form.get("line_count", "0")) or 0)
    values = _values(
        form, tuple(f"lines.{i}.{n}" for i in range(count) for n in ("part_no", "counted"))
    )
    sent_rows = [i for i in range(count) if values[f"lines.{i}.counted"]]
    body = {
        "lines": [
            {
                "part_no": values[f"lines.{i}.part_no"],
                "counted_quantity": values[f"lines.{i}.counted"],
            }
            for i in sent_rows
        ]
    }
    try:
        await who.api.parts.post(f"/stocktakes/{stocktake_id}/counts", body)
    except ApiError as exc:
        exc.fields = {
            _row_field(k, sent_rows).replace("counted_quantity", "counted"): v
            for k, v in exc.fields.items()
        }
        return await _sheet_page(request, who, stocktake_id, _failure(exc, "counts", values))
    who.session.add_flash("flash.counts_recorded")
    return redirect(f"/parts/stocktakes/{stocktake_id}")


@router.post("/parts/stocktakes/{stocktake_id}/approval", dependencies=[CsrfChecked])
async def approve_stocktake(
    request: Request, stocktake_id: uuid.UUID, who: Caller = desk("parts")
) -> Response:
    """The manager approves: the variances post as stock adjustments."""
    if not who.may(APPROVER):
        raise Forbidden()
    form = await request.form()
    body = {"version": str(form.get("version", "")) or None}
    try:
        await who.api.parts.post(f"/stocktakes/{stocktake_id}/approval", body)
    except ApiError as exc:
        return await _sheet_page(request, who, stocktake_id, _failure(exc, "approval"))
    who.session.add_flash("flash.stocktake_approved")
    return redirect(f"/parts/stocktakes/{stocktake_id}")
