"""Warranty desk: claims by state, one claim with its lines and what blocks submission."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.console.clients import ApiError
from services.console.desks import WARRANTY_ADMIN
from services.console.web import Caller, CsrfChecked, Forbidden, desk, redirect, render

router = APIRouter()

CLAIM_STATUSES = (
    "draft",
    "submitted",
    "info_requested",
    "resubmitted",
    "approved",
    "partly_approved",
    "rejected",
    "paid",
    "charged_back",
)
#: claims the warranty administrator may still complete and (re)submit
EDITABLE = ("draft", "info_requested", "rejected")
CLAIM_FIELDS = ("complaint", "cause", "correction", "causal_line_id", "fault_codes")


@router.get("/warranty")
async def claims(request: Request, who: Caller = desk("warranty"), status: str = "") -> Response:
    """The station's warranty claims, newest first."""
    wanted = status if status in CLAIM_STATUSES else None
    answer = await who.api.warranty.get("/claims", status=wanted, limit=200)
    return render(
        request,
        "warranty/claims.html",
        claims=who.only_shown(answer["data"]),
        status=wanted or "",
        statuses=CLAIM_STATUSES,
    )


async def _claim_page(
    request: Request,
    who: Caller,
    claim_id: uuid.UUID,
    status_code: int = 200,
    values: dict[str, str] | None = None,
    error: ApiError | None = None,
) -> Response:
    found = await who.api.warranty.get(f"/claims/{claim_id}")
    if values is None:
        values = {
            "complaint": found.get("complaint") or "",
            "cause": found.get("cause") or "",
            "correction": found.get("correction") or "",
            "fault_codes": ", ".join(found.get("fault_codes") or []),
            "causal_line_id": "",
        }
    return render(
        request,
        "warranty/claim.html",
        status_code,
        claim=found,
        editable=who.may(WARRANTY_ADMIN) and found["status"] in EDITABLE,
        values=values,
        errors=error.fields if error else {},
        general=error.messages if error else [],
    )


@router.get("/warranty/claims/{claim_id}")
async def claim(request: Request, claim_id: uuid.UUID, who: Caller = desk("warranty")) -> Response:
    """One claim: lines, amount, and the problems to fix before it goes to the maker."""
    return await _claim_page(request, who, claim_id)


@router.post("/warranty/claims/{claim_id}", dependencies=[CsrfChecked])
async def complete_claim(
    request: Request, claim_id: uuid.UUID, who: Caller = desk("warranty")
) -> Response:
    """Save the administrator's part (3C, causal part, fault codes), or save and submit."""
    if not who.may(WARRANTY_ADMIN):
        raise Forbidden()
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in CLAIM_FIELDS}
    version = int(str(form.get("version", "0")) or 0)
    body: dict[str, Any] = {"version": version}
    for name in ("complaint", "cause", "correction", "causal_line_id"):
        if values[name]:
            body[name] = values[name]
    if values["fault_codes"]:
        body["fault_codes"] = [c.strip() for c in values["fault_codes"].split(",") if c.strip()]
    try:
        saved = await who.api.warranty.patch(f"/claims/{claim_id}", body)
        if form.get("action") == "submit":
            submission: dict[str, Any] = {"version": saved["version"]}
            answer = str(form.get("info_answer", "")).strip()
            if answer:
                submission["info_answer"] = answer
            await who.api.warranty.post(f"/claims/{claim_id}/submission", submission)
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        return await _claim_page(request, who, claim_id, exc.status, values, exc)
    who.session.add_flash(
        "flash.claim_submitted" if form.get("action") == "submit" else "flash.claim_saved"
    )
    return redirect(f"/warranty/claims/{claim_id}")
