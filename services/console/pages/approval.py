"""The customer's approval page (public, from the one-time link the advisor sends).

No sign-in: the token in the link is the customer's authority, and reception checks it
(expired or used links answer 410). The page shows only what reception shows the customer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from services.console.clients import ApiError, Services
from services.console.web import CsrfChecked, render

router = APIRouter()


async def _call(request: Request, method: str, token: str, body: Any = None) -> Any:
    services: Services = request.app.state.services
    return await services.reception.request(method, f"/approvals/{token}", token=None, json=body)


def _gone(request: Request, exc: ApiError) -> Response:
    if exc.status in (404, 410):
        return render(request, "approval.html", exc.status, view=None, answered=False)
    raise exc


@router.get("/approve/{token}")
async def approval_page(request: Request, token: str) -> Response:
    """The finding, its price and the delay, with approve / decline."""
    try:
        view = await _call(request, "GET", token)
    except ApiError as exc:
        return _gone(request, exc)
    return render(request, "approval.html", view=view, token=token, answered=False)


@router.post("/approve/{token}", dependencies=[CsrfChecked])
async def answer(request: Request, token: str, decision: Annotated[str, Form()]) -> Response:
    """The customer's answer, sent to reception (the link then stops working)."""
    try:
        view = await _call(request, "POST", token, {"approved": decision == "approve"})
    except ApiError as exc:
        return _gone(request, exc)
    return render(request, "approval.html", view=view, token=token, answered=True)
