"""The console's pages against a fake reception (an in-process stand-in, no network):
sign-in, CSRF, escaping, field errors, station switch, expired sessions."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI, Form, Header, HTTPException
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from services.console.app import create_app
from services.console.settings import ConsoleSettings
from shared.demo import USERS

GOOD_VIN = "LFV2A21K7G3000001"
BJ01_ORDER = str(uuid.uuid4())
SH01_ORDER = str(uuid.uuid4())
#: tokens the fake reception no longer accepts (as if they had expired)
REVOKED: set[str] = set()


def _order(order_id: str, station: str, customer: str) -> dict[str, Any]:
    return {
        "id": order_id,
        "order_no": f"RO-{station}-{order_id[:4]}",
        "station_id": station,
        "status": "open",
        "category": "repair",
        "customer_id": str(uuid.uuid4()),
        "customer_name": customer,
        "vin": GOOD_VIN,
        "plate": None,
        "mileage_km": 1,
        "complaint": "noise",
        "advisor_id": "advisor",
        "total": "100.00",
        "flagged_for_manager": False,
        "inspection_required": False,
        "promised_at": None,
        "created_at": "2026-11-23T08:00:00Z",
        "completed_at": None,
        "delivered_at": None,
        "lines": [],
    }


ORDERS = {
    BJ01_ORDER: _order(BJ01_ORDER, "bj01", "<script>alert('x')</script>"),
    SH01_ORDER: _order(SH01_ORDER, "sh01", "陈静"),
}


def fake_reception() -> FastAPI:
    """Just enough of reception's API; the token is the user name ("expired" is refused)."""
    app = FastAPI()

    def user_of(authorization: str | None) -> Any:
        token = (authorization or "").removeprefix("Bearer ")
        if token not in USERS or token in REVOKED:
            raise HTTPException(401, "invalid or expired token")
        return USERS[token]

    @app.post("/auth/token")
    async def token(
        username: Annotated[str, Form()], password: Annotated[str, Form()]
    ) -> dict[str, str]:
        if username not in USERS or password != "demo":
            raise HTTPException(401, "unknown user or wrong password")
        return {"access_token": username, "token_type": "bearer"}

    @app.get("/auth/me")
    async def me(authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
        user = user_of(authorization)
        return {
            "user_id": user.username,
            "name": user.name,
            "role": user.role.value,
            "stations": list(user.stations),
            "all_stations": user.all_stations,
        }

    @app.get("/repair-orders")
    async def orders(authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
        user = user_of(authorization)
        data = [o for o in ORDERS.values() if user.all_stations or o["station_id"] in user.stations]
        return {"data": data, "count": len(data)}

    @app.get("/repair-orders/{order_id}")
    async def order(
        order_id: str, authorization: Annotated[str | None, Header()] = None
    ) -> JSONResponse:
        user = user_of(authorization)
        found = ORDERS.get(order_id)
        if found is None or not (user.all_stations or found["station_id"] in user.stations):
            return JSONResponse({"detail": [{"msg": "not found", "type": "not_found"}]}, 404)
        return JSONResponse(found)

    @app.post("/repair-orders")
    async def create(
        body: dict[str, Any], authorization: Annotated[str | None, Header()] = None
    ) -> JSONResponse:
        user_of(authorization)
        if body["vehicle"]["vin"] != GOOD_VIN:
            detail = [
                {
                    "loc": ["body", "vehicle", "vin"],
                    "msg": "Value error, VIN check digit is wrong",
                    "type": "value_error",
                }
            ]
            return JSONResponse({"detail": detail}, 422)
        return JSONResponse(ORDERS[BJ01_ORDER], 201)

    return app


@pytest.fixture
def console() -> Iterator[TestClient]:
    transport = httpx.ASGITransport(app=fake_reception())
    app = create_app(ConsoleSettings(), transport=transport)
    with TestClient(app) as client:
        yield client


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: TestClient, username: str) -> None:
    token = csrf(client.get("/login").text)
    answer = client.post(
        "/login", data={"username": username, "password": "demo", "csrf_token": token}
    )
    assert answer.status_code == 200, answer.text


def test_the_session_cookie_is_httponly_strict_and_pages_are_not_cached(
    console: TestClient,
) -> None:
    page = console.get("/login")
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert page.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_a_form_without_the_csrf_token_is_refused(console: TestClient) -> None:
    console.get("/login")
    answer = console.post("/login", data={"username": "advisor.bj01", "password": "demo"})
    assert answer.status_code == 403
    assert "表单已过期" in answer.text


def test_what_a_service_returns_is_escaped(console: TestClient) -> None:
    sign_in(console, "advisor.bj01")
    page = console.get("/advisor?status=all").text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page


def test_a_refused_vin_is_shown_next_to_the_vin_field(console: TestClient) -> None:
    sign_in(console, "advisor.bj01")
    token = csrf(console.get("/advisor/orders/new").text)
    answer = console.post(
        "/advisor/orders/new",
        data={
            "csrf_token": token,
            "vehicle.vin": "LFV2A21K0G3000001",
            "complaint": "异响",
            "line_count": "3",
            "lines.0.code": "BRK-010",
        },
    )
    assert answer.status_code == 422
    assert re.search(r'data-field="vehicle.vin"[^>]*>VIN check digit is wrong<', answer.text)
    assert ">异响</textarea>" in answer.text


def test_the_group_manager_switches_station_and_a_station_user_cannot(
    console: TestClient,
) -> None:
    sign_in(console, "group.manager")
    page = console.get("/advisor?status=all").text
    assert BJ01_ORDER in page and SH01_ORDER in page
    console.post("/session/station", data={"station": "sh01", "csrf_token": csrf(page)})
    page = console.get("/advisor?status=all").text
    assert BJ01_ORDER not in page and SH01_ORDER in page

    console.cookies.clear()
    sign_in(console, "advisor.sh01")
    page = console.get("/advisor?status=all").text
    assert "station-switcher" not in page
    assert console.get(f"/orders/{BJ01_ORDER}").status_code == 404


def test_an_expired_token_sends_the_user_back_to_sign_in(console: TestClient) -> None:
    sign_in(console, "advisor.bj01")
    REVOKED.add("advisor.bj01")
    try:
        answer = console.get("/advisor", follow_redirects=False)
    finally:
        REVOKED.clear()
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")
    assert "登录已过期" in console.get(answer.headers["location"]).text


def test_an_order_page_shows_the_order(console: TestClient) -> None:
    sign_in(console, "advisor.bj01")
    page = console.get(f"/orders/{BJ01_ORDER}")
    assert page.status_code == 200
    assert ORDERS[BJ01_ORDER]["order_no"] in page.text
    assert f"/orders/{BJ01_ORDER}/timeline" in page.text
