"""Reception's PDF documents, streamed through the console with the user's token, and the
notices for a VIN (open recalls / service campaigns, due maintenance) shown at check-in and
on the order form."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.console.clients import ApiError
from services.console.web import Caller, CallerDep, desk, render

router = APIRouter()

#: the order's printed documents, in the order the job produces them
ORDER_PDFS = (
    "quotation",
    "repair-order",
    "recommended-work",
    "settlement",
    "exit-pass",
    "quality-guarantee",
    "delivery-acceptance",
)
#: the documents reception prints only once the workshop has completed the car
AFTER_COMPLETION = frozenset({"settlement", "exit-pass", "quality-guarantee"})
OrderPdf = Literal[
    "quotation",
    "repair-order",
    "recommended-work",
    "settlement",
    "exit-pass",
    "quality-guarantee",
    "delivery-acceptance",
]
#: a printed document may style itself and run exactly its print button's handler
#: (``window.print()``, allowed by its hash), nothing else, and loads nothing
PRINT_HANDLER_HASH = base64.b64encode(hashlib.sha256(b"window.print()").digest()).decode()
DOCUMENT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    f"script-src 'unsafe-hashes' 'sha256-{PRINT_HANDLER_HASH}'"
)
VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")


def order_pdfs(status: str) -> list[str]:
    """The order's documents worth a link in this status (the rest reception refuses yet)."""
    done = status in ("completed", "delivered")
    return [
        kind
        for kind in ORDER_PDFS
        if (done or kind not in AFTER_COMPLETION)
        and (kind != "delivery-acceptance" or status == "delivered")
    ]


async def pdf_response(who: Caller, path: str) -> Response:
    """A PDF reception renders, streamed with the user's token."""
    return await _pdf(who, path)


async def _pdf(who: Caller, path: str) -> Response:
    answer = await who.api.reception.get_file(path)
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
    disposition = answer.headers.get("content-disposition")
    if disposition:
        headers["Content-Disposition"] = disposition
    return Response(answer.content, media_type="application/pdf", headers=headers)


@router.get("/orders/{order_id}/documents/{kind}.pdf")
async def order_pdf(order_id: uuid.UUID, kind: OrderPdf, who: CallerDep) -> Response:
    """One of the order's PDF documents, as reception renders it (409 while not yet due)."""
    return await _pdf(who, f"/repair-orders/{order_id}/documents/{kind}.pdf")


@router.get("/diagnoses/{diagnosis_id}/diagnosis-report.pdf")
async def diagnosis_pdf(diagnosis_id: uuid.UUID, who: CallerDep) -> Response:
    """The diagnosis report (诊断书) as PDF."""
    return await _pdf(who, f"/diagnoses/{diagnosis_id}/documents/diagnosis-report.pdf")


@router.get("/invoices/{document_id}/document.pdf")
async def invoice_pdf(document_id: uuid.UUID, who: CallerDep) -> Response:
    """An invoice (发票) or receipt (收据) as PDF, from reception's books."""
    return await _pdf(who, f"/invoices/{document_id}/document.pdf")


@router.get("/invoices/{document_id}/document")
async def invoice_document(document_id: uuid.UUID, who: CallerDep) -> Response:
    """The printable invoice or receipt (HTML), as reception renders it."""
    html = await who.api.reception.get_text(f"/invoices/{document_id}/document")
    return HTMLResponse(html, headers={"Content-Security-Policy": DOCUMENT_CSP})


@router.get("/advisor/check-ins/{check_in_id}/documents/check-in-sheet.pdf")
async def check_in_pdf(check_in_id: uuid.UUID, who: Caller = desk("advisor")) -> Response:
    """The check-in sheet (接车单) as PDF."""
    return await _pdf(who, f"/check-ins/{check_in_id}/documents/check-in-sheet.pdf")


@router.get("/advisor/appointments/{appointment_id}/documents/appointment-slip.pdf")
async def appointment_pdf(appointment_id: uuid.UUID, who: Caller = desk("advisor")) -> Response:
    """The appointment slip (预约单) as PDF."""
    return await _pdf(who, f"/appointments/{appointment_id}/documents/appointment-slip.pdf")


async def notices_for(who: Caller, vin: str) -> dict[str, Any] | None:
    """Reception's notices for the VIN; None for no (or no valid) VIN or when reception
    cannot say (the form works without them)."""
    vin = vin.strip().upper()
    if not VIN.match(vin):
        return None
    try:
        answer: dict[str, Any] = await who.api.reception.get(f"/vehicles/{vin}/notices")
    except ApiError:
        return None
    return answer


@router.get("/advisor/notices")
async def vehicle_notices(request: Request, who: Caller = desk("advisor")) -> Response:
    """The notices fragment for the VIN typed in a form (htmx, on the VIN field's change)."""
    vin = request.query_params.get("vin") or request.query_params.get("vehicle.vin") or ""
    return render(request, "advisor/_notices.html", notices=await notices_for(who, vin))
