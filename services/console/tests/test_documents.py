"""Reception's notices for a VIN (open recalls / campaigns, due maintenance) shown where the
advisor checks the car in and opens the order, and its PDF documents streamed through the
console with the user's token."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI, Form, Header, HTTPException
from fastapi.responses import JSONResponse, Response
from fastapi.testclient import TestClient

from services.console.app import create_app
from services.console.settings import ConsoleSettings
from services.console.tests.test_pages import _order, csrf, sign_in
from shared.demo import USERS

VIN = "LFV2A21K7G3000001"
QUIET_VIN = "LFV2A21K9G3000002"
OPEN_ORDER = str(uuid.uuid4())
DONE_ORDER = str(uuid.uuid4())
CHECK_IN = str(uuid.uuid4())
APPOINTMENT = str(uuid.uuid4())
PDF = b"%PDF-1.4 fake document"
#: (path, token) of every PDF reception was asked for
ASKED: list[tuple[str, str]] = []


def fake_reception() -> FastAPI:
    app = FastAPI()
    orders = {
        OPEN_ORDER: _order(OPEN_ORDER, "bj01", "张伟"),
        DONE_ORDER: _order(DONE_ORDER, "bj01", "李娜"),
    }
    orders[DONE_ORDER]["status"] = "completed"
    orders[DONE_ORDER]["completed_at"] = "2026-11-23T10:00:00Z"

    def user_of(authorization: str | None) -> str:
        token = (authorization or "").removeprefix("Bearer ")
        if token not in USERS:
            raise HTTPException(401, "invalid token")
        return token

    @app.post("/auth/token")
    async def token(
        username: Annotated[str, Form()], password: Annotated[str, Form()]
    ) -> dict[str, str]:
        return {"access_token": username, "token_type": "bearer"}

    @app.get("/auth/me")
    async def me(authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
        user = USERS[user_of(authorization)]
        return {
            "user_id": user.username,
            "name": user.name,
            "role": user.role.value,
            "stations": list(user.stations),
            "all_stations": user.all_stations,
        }

    @app.get("/repair-orders")
    async def order_list() -> dict[str, Any]:
        return {"data": list(orders.values()), "count": len(orders)}

    @app.get("/repair-orders/{order_id}")
    async def order(order_id: str) -> dict[str, Any]:
        return orders[order_id]

    @app.get("/repair-orders/{order_id}/settlement")
    async def settlement(order_id: str) -> JSONResponse:
        return JSONResponse({"detail": "not drawn up"}, 404)

    @app.get("/additional-work")
    async def findings() -> dict[str, Any]:
        return {"data": [], "count": 0}

    @app.get("/estimates/price-list")
    async def price_list() -> dict[str, Any]:
        return {"packages": []}

    @app.get("/check-ins/{check_in_id}")
    async def sheet(check_in_id: str) -> dict[str, Any]:
        return {
            "id": check_in_id,
            "station_id": "bj01",
            "vin": VIN,
            "plate": "京A12345",
            "customer_name": "张伟",
            "customer_phone": None,
            "mileage_km": 42000,
            "mileage_correction_note": None,
            "fuel_level": "1/2",
            "key_tag": "K-017",
            "belongings": [],
            "documents": [],
            "damage_marks": [],
            "signature_name": "张伟",
            "signature_typed": None,
            "signed_at": "2026-11-23T08:00:00Z",
        }

    @app.get("/vehicles/{vin}/notices")
    async def notices(vin: str) -> dict[str, Any]:
        if vin != VIN:
            return {"vin": vin, "open_campaigns": [], "due_maintenance": []}
        return {
            "vin": vin,
            "open_campaigns": [
                {
                    "campaign_id": str(uuid.uuid4()),
                    "code": "RC-2026-07",
                    "title": "制动软管更换召回",
                    "kind": "recall",
                    "ends_on": "2027-03-31",
                    "launched_at": "2026-11-01T00:00:00Z",
                }
            ],
            "due_maintenance": [
                {
                    "reminder_id": str(uuid.uuid4()),
                    "station_id": "bj01",
                    "kind": "maintenance",
                    "reason": "45000 km 保养",
                    "due_on": "2026-12-15",
                    "due_km": 45000,
                    "received_at": "2026-11-20T00:00:00Z",
                }
            ],
        }

    def pdf(path: str, authorization: str | None) -> Response:
        ASKED.append((path, user_of(authorization)))
        return Response(
            PDF,
            media_type="application/pdf",
            headers={"Content-Disposition": 'inline; filename="doc.pdf"'},
        )

    @app.get("/repair-orders/{order_id}/documents/{kind}.pdf")
    async def order_pdf(
        order_id: str, kind: str, authorization: Annotated[str | None, Header()] = None
    ) -> Response:
        if kind == "settlement" and orders[order_id]["status"] == "open":
            return JSONResponse({"detail": "the settlement is drawn up at completion"}, 409)
        return pdf(f"/repair-orders/{order_id}/documents/{kind}.pdf", authorization)

    @app.get("/check-ins/{check_in_id}/documents/check-in-sheet.pdf")
    async def sheet_pdf(
        check_in_id: str, authorization: Annotated[str | None, Header()] = None
    ) -> Response:
        return pdf(f"/check-ins/{check_in_id}/documents/check-in-sheet.pdf", authorization)

    @app.get("/appointments/{appointment_id}/documents/appointment-slip.pdf")
    async def slip_pdf(
        appointment_id: str, authorization: Annotated[str | None, Header()] = None
    ) -> Response:
        return pdf(f"/appointments/{appointment_id}/documents/appointment-slip.pdf", authorization)

    return app


@pytest.fixture
def console() -> Iterator[TestClient]:
    ASKED.clear()
    app = create_app(ConsoleSettings(), transport=httpx.ASGITransport(app=fake_reception()))
    with TestClient(app) as client:
        sign_in(client, "advisor.bj01")
        yield client


def switch_to_english(client: TestClient) -> None:
    page = client.get("/advisor").text
    client.post("/session/language", data={"lang": "en", "csrf_token": csrf(page)})


def test_the_vin_typed_at_check_in_brings_up_its_open_recall_and_due_maintenance(
    console: TestClient,
) -> None:
    fragment = console.get("/advisor/notices", params={"vehicle.vin": VIN.lower()}).text
    assert 'data-code="RC-2026-07"' in fragment
    assert "召回" in fragment and "制动软管更换召回" in fragment
    assert "RC-2026-07" in fragment and "45000 km 保养" in fragment

    switch_to_english(console)
    fragment = console.get("/advisor/notices", params={"vin": VIN}).text
    assert "Recall" in fragment and "Add a line with code RC-2026-07" in fragment
    assert "due at 45000 km" in fragment


def test_a_vehicle_without_notices_says_so_and_no_vin_shows_nothing(
    console: TestClient,
) -> None:
    assert 'id="no-notices"' in console.get("/advisor/notices", params={"vin": QUIET_VIN}).text
    assert "notices" not in console.get("/advisor/notices", params={"vin": "short"}).text


def test_the_check_in_field_and_the_order_form_ask_for_the_notices_of_their_vin(
    console: TestClient,
) -> None:
    check_in_form = console.get("/advisor/check-in").text
    assert 'hx-get="/advisor/notices"' in check_in_form and 'id="vehicle-notices"' in check_in_form
    order_form = console.get("/advisor/orders/new", params={"check_in": CHECK_IN}).text
    assert f'hx-get="/advisor/notices?vin={VIN}" hx-trigger="load"' in order_form


def test_the_check_in_sheet_shows_the_notices_and_links_its_pdf(console: TestClient) -> None:
    page = console.get(f"/advisor/check-ins/{CHECK_IN}").text
    assert 'data-code="RC-2026-07"' in page
    link = f"/advisor/check-ins/{CHECK_IN}/documents/check-in-sheet.pdf"
    assert link in page
    answer = console.get(link)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content == PDF
    assert ASKED == [(f"/check-ins/{CHECK_IN}/documents/check-in-sheet.pdf", "advisor.bj01")]


def test_an_open_order_links_the_documents_due_and_a_completed_one_all_six(
    console: TestClient,
) -> None:
    open_page = console.get(f"/orders/{OPEN_ORDER}").text
    for kind in ("quotation", "repair-order", "recommended-work"):
        assert f"/orders/{OPEN_ORDER}/documents/{kind}.pdf" in open_page
    assert f"/orders/{OPEN_ORDER}/documents/settlement.pdf" not in open_page
    done_page = console.get(f"/orders/{DONE_ORDER}").text
    for kind in (
        "quotation",
        "repair-order",
        "recommended-work",
        "settlement",
        "exit-pass",
        "quality-guarantee",
    ):
        assert f"/orders/{DONE_ORDER}/documents/{kind}.pdf" in done_page
    assert "质量保证书" in done_page


def test_an_order_pdf_is_streamed_with_the_users_token_and_a_refusal_is_shown(
    console: TestClient,
) -> None:
    answer = console.get(f"/orders/{DONE_ORDER}/documents/exit-pass.pdf")
    assert answer.status_code == 200 and answer.content == PDF
    assert answer.headers["content-disposition"] == 'inline; filename="doc.pdf"'
    assert ASKED == [(f"/repair-orders/{DONE_ORDER}/documents/exit-pass.pdf", "advisor.bj01")]

    refused = console.get(f"/orders/{OPEN_ORDER}/documents/settlement.pdf")
    assert refused.status_code == 409
    assert "the settlement is drawn up at completion" in refused.text
    assert console.get(f"/orders/{OPEN_ORDER}/documents/invoice.pdf").status_code == 422


def test_the_appointment_slip_pdf_is_streamed(console: TestClient) -> None:
    answer = console.get(f"/advisor/appointments/{APPOINTMENT}/documents/appointment-slip.pdf")
    assert answer.status_code == 200 and answer.content == PDF
    assert ASKED == [
        (f"/appointments/{APPOINTMENT}/documents/appointment-slip.pdf", "advisor.bj01")
    ]
