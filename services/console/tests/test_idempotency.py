"""A double click or a browser resubmit never writes twice: every console form carries an
idempotency key made when it was rendered, and the console sends it (derived per write) as
the ``Idempotency-Key`` header; the service answers a repeat with the first answer."""

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
from services.console.clients import ServiceClient
from services.console.settings import ConsoleSettings
from shared.demo import USERS

GOOD_VIN = "LFV2A21K7G3000001"


class FakeReception:
    """Reception's order opening with the idempotency contract of shared/idempotency.py:
    a key seen before for the same method and path gets the stored answer again, with
    ``Idempotent-Replayed: true``."""

    def __init__(self) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.keys: dict[str, tuple[str, dict[str, Any]]] = {}
        self.keys_received: list[str | None] = []
        self.replayed = 0
        self.app = self._build()

    def _build(self) -> FastAPI:
        app = FastAPI()

        def user_of(authorization: str | None) -> Any:
            token = (authorization or "").removeprefix("Bearer ")
            if token not in USERS:
                raise HTTPException(401, "invalid token")
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

        @app.get("/estimates/price-list")
        async def price_list() -> dict[str, Any]:
            return {"packages": []}

        @app.get("/repair-orders")
        async def orders() -> dict[str, Any]:
            data = list(self.orders.values())
            return {"data": data, "count": len(data)}

        @app.post("/repair-orders")
        async def create(
            body: dict[str, Any],
            authorization: Annotated[str | None, Header()] = None,
            idempotency_key: Annotated[str | None, Header()] = None,
        ) -> JSONResponse:
            user = user_of(authorization)
            self.keys_received.append(idempotency_key)
            if idempotency_key and idempotency_key in self.keys:
                path, answer = self.keys[idempotency_key]
                assert path == "/repair-orders"
                self.replayed += 1
                return JSONResponse(answer, 201, headers={"Idempotent-Replayed": "true"})
            order_id = str(uuid.uuid4())
            order = {
                "id": order_id,
                "station_id": user.stations[0],
                "vin": body["vehicle"]["vin"],
                "complaint": body["complaint"],
            }
            self.orders[order_id] = order
            if idempotency_key:
                self.keys[idempotency_key] = ("/repair-orders", order)
            return JSONResponse(order, 201)

        return app


@pytest.fixture
def reception() -> FakeReception:
    return FakeReception()


@pytest.fixture
def console(reception: FakeReception) -> Iterator[TestClient]:
    app = create_app(ConsoleSettings(), transport=httpx.ASGITransport(app=reception.app))
    with TestClient(app) as client:
        yield client


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert found, f"the page has no {name} field"
    return found.group(1)


def sign_in(client: TestClient, username: str) -> None:
    token = hidden(client.get("/login").text, "csrf_token")
    answer = client.post(
        "/login", data={"username": username, "password": "demo", "csrf_token": token}
    )
    assert answer.status_code == 200, answer.text


def order_form(page: str) -> dict[str, str]:
    return {
        "csrf_token": hidden(page, "csrf_token"),
        "idempotency_key": hidden(page, "idempotency_key"),
        "vehicle.vin": GOOD_VIN,
        "customer.name": "张伟",
        "complaint": "刹车异响",
        "line_count": "3",
        "lines.0.code": "BRK-010",
    }


def test_the_same_order_form_sent_twice_opens_one_order(
    console: TestClient, reception: FakeReception
) -> None:
    sign_in(console, "advisor.bj01")
    form = order_form(console.get("/advisor/orders/new").text)

    first = console.post("/advisor/orders/new", data=form, follow_redirects=False)
    again = console.post("/advisor/orders/new", data=form, follow_redirects=False)

    assert first.status_code == again.status_code == 303
    assert len(reception.orders) == 1
    (order_id,) = reception.orders
    assert first.headers["location"] == again.headers["location"] == f"/orders/{order_id}"
    assert reception.replayed == 1
    assert reception.keys_received[0] is not None
    assert reception.keys_received[0] == reception.keys_received[1]
    assert reception.keys_received[0].startswith(form["idempotency_key"])


def test_each_rendering_of_a_form_has_its_own_key_so_two_orders_are_two_orders(
    console: TestClient, reception: FakeReception
) -> None:
    sign_in(console, "advisor.bj01")
    one = order_form(console.get("/advisor/orders/new").text)
    two = order_form(console.get("/advisor/orders/new").text)
    assert one["idempotency_key"] != two["idempotency_key"]

    console.post("/advisor/orders/new", data=one, follow_redirects=False)
    console.post("/advisor/orders/new", data=two, follow_redirects=False)

    assert len(reception.orders) == 2
    assert reception.replayed == 0


def test_a_form_without_a_key_still_writes_but_sends_no_key(
    console: TestClient, reception: FakeReception
) -> None:
    sign_in(console, "advisor.bj01")
    form = order_form(console.get("/advisor/orders/new").text)
    del form["idempotency_key"]

    answer = console.post("/advisor/orders/new", data=form, follow_redirects=False)

    assert answer.status_code == 303
    assert reception.keys_received == [None]


async def test_a_twin_still_being_carried_out_is_asked_again_until_it_is_replayed() -> None:
    calls: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.headers.get("Idempotency-Key"))
        if len(calls) == 1:
            detail = [
                {
                    "msg": "a request with this Idempotency-Key is being carried out",
                    "type": "idempotency",
                    "loc": ["header", "idempotency-key"],
                }
            ]
            return httpx.Response(409, json={"detail": detail})
        return httpx.Response(201, json={"id": "o1"}, headers={"Idempotent-Replayed": "true"})

    client = ServiceClient("reception", "http://reception", transport=httpx.MockTransport(answer))
    try:
        result = await client.request(
            "POST", "/repair-orders", token="t", json={}, idempotency_key="k" * 20
        )
    finally:
        await client.aclose()

    assert result == {"id": "o1"}
    assert calls == ["k" * 20, "k" * 20]
