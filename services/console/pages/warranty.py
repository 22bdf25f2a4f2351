"""Warranty desk: claims by state, one claim with its lines and what blocks submission."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.console.web import Caller, desk, render

router = APIRouter()

CLAIM_STATUSES = ("draft", "submitted", "approved", "rejected")


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


@router.get("/warranty/claims/{claim_id}")
async def claim(request: Request, claim_id: uuid.UUID, who: Caller = desk("warranty")) -> Response:
    """One claim: lines, amount, and the problems to fix before it goes to the maker."""
    found = await who.api.warranty.get(f"/claims/{claim_id}")
    return render(request, "warranty/claim.html", claim=found)
