"""The steps of a repair order's life, as the people at the desks take them, over HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx

from deploy.run import Stack
from shared.testing import auth_headers

VIN = "LFV2A21K9G3000002"  # a demo vehicle of bj01


def wait_for(probe: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; last seen: {last!r}")


def get(stack: Stack, service: str, path: str, user: str, **params: Any) -> Any:
    response = httpx.get(
        f"{stack.url(service)}{path}", params=params, headers=auth_headers(user), timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


def post(
    stack: Stack,
    service: str,
    path: str,
    user: str,
    body: Any = None,
    expect: tuple[int, ...] = (200, 201),
) -> Any:
    response = httpx.post(
        f"{stack.url(service)}{path}", json=body, headers=auth_headers(user), timeout=10
    )
    assert response.status_code in expect, f"{path}: {response.status_code} {response.text}"
    return response.json()


def warranty_brake_order() -> dict[str, Any]:
    """Brake work under warranty (needs final inspection) and a car wash the customer pays."""
    return {
        "category": "warranty",
        "customer": {"name": "刘洋", "phone": "13800000002"},
        "vehicle": {"vin": VIN, "plate": "京B67890", "make": "FAW-VW", "model": "Magotan"},
        "mileage_km": 41000,
        "complaint": "制动踏板发软",
        "lines": [
            {
                "ref": "brakes",
                "kind": "labour",
                "code": "BRK-020",
                "hours": "1.5",
                "description": "检查并更换前制动片",
                "unit_price": "320",
                "pay_type": "warranty",
                "skill": "mechanical",
                "major_system": "brakes",
            },
            {
                "kind": "part",
                "code": "1K0698151A",
                "description": "前制动片",
                "quantity": "1",
                "unit_price": "480",
                "pay_type": "warranty",
                "labour_ref": "brakes",
                # the counter just booked it in: the advisor states it (reception's live
                # figure may not have seen that receipt yet)
                "in_stock": True,
            },
            {
                "kind": "labour",
                "code": "WSH-001",
                "hours": "0.3",
                "description": "洗车",
                "unit_price": "100",
                "pay_type": "customer",
            },
        ],
        "signature": {"name": "刘洋", "typed_confirmation": "同意以上维修项目和价格"},
    }


def stock_brake_pads(stack: Stack) -> None:
    """The parts counter books in a brake pad the parts centre delivered, so the order's part
    is on the shelf whatever earlier tests (and the fuzzer) have used up. Stock comes in only
    from a registered supplier on a purchase order (防止外购外销): the receipt makes, sends and
    receives one at once, at the delivery's cost (within the clerk's purchase limit whatever
    price an earlier test set in the catalogue)."""
    receipt = post(
        stack,
        "parts",
        "/stock/1K0698151A/receipts",
        "parts.bj01",
        {"quantity": "1", "unit_cost": "320.00"},
    )
    assert receipt["purchase_order_id"], receipt


def open_order(stack: Stack) -> str:
    """The advisor opens a signed repair order (→ order.created), its part in stock."""
    stock_brake_pads(stack)
    order = post(stack, "reception", "/repair-orders", "advisor.bj01", warranty_brake_order())
    order_id: str = order["id"]
    return order_id


def jobs_of(stack: Stack, order_id: str) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = get(stack, "workshop", "/jobs", "foreman.bj01", order_id=order_id)[
        "data"
    ]
    return jobs


def ready_jobs(stack: Stack, order_id: str, count: int = 2) -> list[dict[str, Any]]:
    """Wait until the workshop made the jobs and parts reserved their parts."""
    return wait_for(
        lambda: (
            len(ready := [j for j in jobs_of(stack, order_id) if j["status"] == "ready"]) == count
            and ready
        ),
        f"{count} jobs ready (parts reserved)",
    )


def finish_in_workshop(stack: Stack, order_id: str) -> None:
    """Foreman dispatches, technician finishes each job, inspector passes the car."""
    for job in ready_jobs(stack, order_id):
        post(
            stack,
            "workshop",
            f"/jobs/{job['id']}/dispatch",
            "foreman.bj01",
            {"technician_id": "tech.bj01", "received_by": "tech.bj01"},
        )
        post(
            stack,
            "workshop",
            f"/jobs/{job['id']}/completion",
            "tech.bj01",
            {"clocked_hours": "1.0"},
        )
    post(
        stack,
        "workshop",
        f"/orders/{order_id}/inspections",
        "inspector.bj01",
        {"checklist": [{"item": "brakes", "ok": True}], "road_test": True},
    )


def settle_and_deliver(stack: Stack, order_id: str) -> dict[str, Any]:
    """Reception settles what was done, the cashier takes payment, the advisor delivers."""
    wait_for(
        lambda: (
            get(stack, "reception", f"/repair-orders/{order_id}", "advisor.bj01")["status"]
            == "completed"
        ),
        "reception to see vehicle.completed",
    )
    settlement = wait_for(
        lambda: get(stack, "reception", f"/repair-orders/{order_id}/settlement", "cashier.bj01"),
        "the settlement",
    )
    if Decimal(str(settlement["balance"])) > 0:
        post(
            stack,
            "reception",
            f"/repair-orders/{order_id}/payments",
            "cashier.bj01",
            {"method": "cash", "amount": str(settlement["balance"])},
        )
    delivered: dict[str, Any] = post(
        stack,
        "reception",
        f"/repair-orders/{order_id}/delivery",
        "advisor.bj01",
        {
            "customer_accepted": True,
            "signature": {"name": "刘洋", "typed_confirmation": "车辆、物品已检查无误"},
            "next_service_km": 51000,
        },
    )
    return delivered
