"""Purchase orders to registered suppliers, the approval flow by amount, and receiving that
fills backorders oldest first."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from services.parts.app import definition
from services.parts.seed import OPEN_ORDER_ID
from services.parts.tests.builders import (
    BRAKE_PADS,
    add_stock,
    add_supplier,
    assert_invariant,
    emitted,
    item_requested,
    stock_of,
)
from shared.contracts import events
from shared.db import utcnow
from shared.testing import ServiceHarness, auth_headers

CLERK = auth_headers("parts.bj01")
MANAGER = auth_headers("manager.bj01")


async def _draft(
    parts: ServiceHarness, quantity: str = "4", *, headers: dict[str, str] = CLERK, **kw: Any
) -> dict[str, Any]:
    supplier = await add_supplier(parts, lead_time_days=kw.pop("lead_time_days", 3))
    response = await parts.client.post(
        "/purchase-orders",
        json={
            "supplier_id": str(supplier.id),
            "lines": [{"part_no": BRAKE_PADS, "quantity": quantity}],
            **kw,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _send(parts: ServiceHarness, order: dict[str, Any]) -> dict[str, Any]:
    response = await parts.client.post(
        f"/purchase-orders/{order['id']}/sending", json={"version": order["version"]}, headers=CLERK
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _receive(
    parts: ServiceHarness, order: dict[str, Any], quantity: str, note: str | None = None
) -> Any:
    line: dict[str, Any] = {"part_no": BRAKE_PADS, "quantity": quantity}
    if note:
        line["over_receipt_note"] = note
    return await parts.client.post(
        f"/purchase-orders/{order['id']}/receipts", json={"lines": [line]}, headers=CLERK
    )


async def test_a_draft_purchase_order_totals_its_lines_at_cost(parts: ServiceHarness) -> None:
    await add_stock(parts, "bj01", on_hand=0)
    order = await _draft(parts, "4")
    assert order["status"] == "draft" and order["station_id"] == "bj01"
    assert Decimal(order["total"]) == Decimal("1280.00")  # 4 x ¥320
    assert order["approval_needed_from"] is None
    assert order["version"] == 1
    assert (await stock_of(parts, "bj01")).on_order == 0  # a draft is not on order yet


async def test_purchases_only_from_registered_suppliers(parts: ServiceHarness) -> None:
    await add_stock(parts, "bj01", on_hand=0)
    grey = await add_supplier(parts, registered=False)
    response = await parts.client.post(
        "/purchase-orders",
        json={"supplier_id": str(grey.id), "lines": [{"part_no": BRAKE_PADS, "quantity": "1"}]},
        headers=CLERK,
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "supplier_id"]


async def test_bad_purchase_order_lines_are_422_naming_the_line(parts: ServiceHarness) -> None:
    await add_stock(parts, "bj01", on_hand=0)
    supplier = await add_supplier(parts)
    for line, field in (
        ({"part_no": "NO-SUCH", "quantity": "1"}, ["body", "lines", "0", "part_no"]),
        ({"part_no": BRAKE_PADS, "quantity": "1.5"}, ["body", "lines", "0", "quantity"]),
        ({"part_no": BRAKE_PADS, "quantity": "-1"}, ["body", "lines", 0, "quantity"]),
    ):
        response = await parts.client.post(
            "/purchase-orders",
            json={"supplier_id": str(supplier.id), "lines": [line]},
            headers=CLERK,
        )
        assert response.status_code == 422, line
        assert response.json()["detail"][0]["loc"] == field
    listed = await parts.client.get("/purchase-orders", headers=CLERK)
    assert listed.json()["count"] == 0  # nothing half-written


async def test_sending_puts_the_quantities_on_order_with_the_expected_date(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=0)
    order = await _send(parts, await _draft(parts, "4", lead_time_days=5))
    assert order["status"] == "sent" and order["version"] == 2
    assert order["expected_on"] == str(utcnow().date() + timedelta(days=5))
    assert (await stock_of(parts, "bj01")).on_order == Decimal(4)
    await assert_invariant(parts)


async def test_purchase_order_approval_by_amount(parts: ServiceHarness) -> None:
    """Up to ¥5,000 the clerk sends; up to ¥50,000 the service manager approves first;
    above that only the group manager."""
    await add_stock(parts, "bj01", on_hand=0)
    mid = await _draft(parts, "20")  # ¥6,400
    assert mid["approval_needed_from"] == "service_manager"
    unapproved = await parts.client.post(
        f"/purchase-orders/{mid['id']}/sending", json={}, headers=CLERK
    )
    assert unapproved.status_code == 409
    clerk = await parts.client.post(
        f"/purchase-orders/{mid['id']}/approval", json={}, headers=CLERK
    )
    assert clerk.status_code == 403
    approved = await parts.client.post(
        f"/purchase-orders/{mid['id']}/approval", json={"version": 1}, headers=MANAGER
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["approved_by"] == "manager.bj01"
    assert (await _send(parts, approved.json()))["status"] == "sent"

    big = await _draft(parts, "200")  # ¥64,000
    assert big["approval_needed_from"] == "group_manager"
    too_much = await parts.client.post(
        f"/purchase-orders/{big['id']}/approval", json={}, headers=MANAGER
    )
    assert too_much.status_code == 403
    group = await parts.client.post(
        f"/purchase-orders/{big['id']}/approval", json={}, headers=auth_headers("group.manager")
    )
    assert group.status_code == 200
    other = await parts.client.get(
        f"/purchase-orders/{big['id']}", headers=auth_headers("parts.sh01")
    )
    assert other.status_code == 404


async def test_a_manager_does_not_approve_an_order_they_drafted(parts: ServiceHarness) -> None:
    await add_stock(parts, "bj01", on_hand=0)
    own = await _draft(parts, "20", headers=MANAGER)
    response = await parts.client.post(
        f"/purchase-orders/{own['id']}/approval", json={}, headers=MANAGER
    )
    assert response.status_code == 403
    assert "someone other" in response.json()["detail"][0]["msg"]


async def test_a_stale_version_is_409(parts: ServiceHarness) -> None:
    await add_stock(parts, "bj01", on_hand=0)
    order = await _send(parts, await _draft(parts, "2"))
    stale = await parts.client.post(
        f"/purchase-orders/{order['id']}/cancellation", json={"version": 1}, headers=CLERK
    )
    assert stale.status_code == 409
    assert stale.json()["detail"][0]["loc"] == ["body", "version"]
    cancelled = await parts.client.post(
        f"/purchase-orders/{order['id']}/cancellation", json={"version": 2}, headers=CLERK
    )
    assert cancelled.json()["status"] == "cancelled"
    assert (await stock_of(parts, "bj01")).on_order == 0
    await assert_invariant(parts)


async def test_receiving_part_then_rest_moves_on_order_to_on_hand(parts: ServiceHarness) -> None:
    await add_stock(parts, "bj01", on_hand=1)
    order = await _send(parts, await _draft(parts, "4"))
    first = await _receive(parts, order, "3")
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "partly_received"
    stock = await stock_of(parts, "bj01")
    assert (stock.on_hand, stock.on_order) == (Decimal(4), Decimal(1))
    rest = await _receive(parts, order, "1")
    assert rest.json()["status"] == "received"
    again = await _receive(parts, order, "1")
    assert again.status_code == 409  # a received order takes nothing more
    await assert_invariant(parts)


async def test_receiving_more_than_ordered_needs_an_over_receipt_note(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=0)
    order = await _send(parts, await _draft(parts, "2"))
    refused = await _receive(parts, order, "3")
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "lines", "0", "over_receipt_note"]
    stock = await stock_of(parts, "bj01")
    assert (stock.on_hand, stock.on_order) == (Decimal(0), Decimal(2))  # nothing half-posted

    accepted = await _receive(parts, order, "3", note="supplier packs in threes")
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["status"] == "received"
    assert body["lines"][0]["over_receipt_note"] == "supplier packs in threes"
    stock = await stock_of(parts, "bj01")
    assert (stock.on_hand, stock.on_order) == (Decimal(3), Decimal(0))
    await assert_invariant(parts)


async def test_a_part_not_on_the_order_cannot_be_received_against_it(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=0)
    await add_stock(parts, "bj01", "06J115403Q", on_hand=0)
    order = await _send(parts, await _draft(parts, "2"))
    response = await parts.client.post(
        f"/purchase-orders/{order['id']}/receipts",
        json={"lines": [{"part_no": "06J115403Q", "quantity": "1"}]},
        headers=CLERK,
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "lines", "0", "part_no"]


async def test_backorder_expects_the_open_purchase_order_and_is_reserved_when_it_arrives(
    parts: ServiceHarness,
) -> None:
    """Done when: a backordered part is reserved automatically when its order is received,
    the oldest waiting request first."""
    await add_stock(parts, "bj01", on_hand=1)
    order = await _send(parts, await _draft(parts, "4", lead_time_days=6))

    oldest = item_requested(quantity=3)
    newer = item_requested(quantity=2)
    await parts.publish(oldest, station_id="bj01")
    await parts.publish(newer, station_id="bj01")
    backordered = [e.open() for e in await emitted(parts, "item.backordered")]
    assert [b.quantity_short for b in backordered] == [Decimal(2), Decimal(2)]  # type: ignore[attr-defined]
    assert backordered[0].expected_on == utcnow().date() + timedelta(days=6)  # type: ignore[attr-defined]

    response = await _receive(parts, order, "3")  # enough for the oldest, one for the next
    assert response.status_code == 200, response.text

    [reserved] = [e.open() for e in await emitted(parts, "item.reserved")]
    assert isinstance(reserved, events.ItemReserved)
    assert reserved.request_id == oldest.request_id
    assert reserved.quantity == Decimal(3)
    still_short = (await emitted(parts, "item.backordered"))[-1].open()
    assert isinstance(still_short, events.ItemBackordered)
    assert still_short.request_id == newer.request_id
    assert (still_short.quantity_reserved, still_short.quantity_short) == (Decimal(1), Decimal(1))
    stock = await stock_of(parts, "bj01")
    assert (stock.on_hand, stock.reserved, stock.on_order) == (Decimal(4), Decimal(4), Decimal(1))

    listed = await parts.client.get(
        "/reservations", params={"order_id": str(oldest.order_id)}, headers=CLERK
    )
    assert listed.json()["data"][0]["status"] == "reserved"
    await assert_invariant(parts)


async def test_reorder_suggestions_count_what_is_already_on_order(parts: ServiceHarness) -> None:
    await add_stock(parts, "bj01", on_hand=1, reorder_point=3, reorder_quantity=6)
    [suggestion] = (await parts.client.get("/replenishment/suggestions", headers=CLERK)).json()[
        "data"
    ]
    assert suggestion["part_no"] == BRAKE_PADS
    assert Decimal(suggestion["suggested_quantity"]) == 6
    await _send(parts, await _draft(parts, "6"))
    after = await parts.client.get("/replenishment/suggestions", headers=CLERK)
    assert after.json()["count"] == 0


async def test_the_demo_open_purchase_order_fills_the_demo_backorder(
    parts: ServiceHarness,
) -> None:
    assert definition.seed is not None
    await definition.seed(parts.runtime)
    await definition.seed(parts.runtime)  # idempotent: the order is on order once
    disc = "1K0615301AA"
    assert (await stock_of(parts, "bj01", disc)).on_order == Decimal(4)
    request = item_requested(disc, quantity=2)
    await parts.publish(request, station_id="bj01")
    order = (await parts.client.get(f"/purchase-orders/{OPEN_ORDER_ID}", headers=CLERK)).json()
    response = await parts.client.post(
        f"/purchase-orders/{OPEN_ORDER_ID}/receipts",
        json={"version": order["version"], "lines": [{"part_no": disc, "quantity": "4"}]},
        headers=CLERK,
    )
    assert response.status_code == 200, response.text
    [reserved] = [e.open() for e in await emitted(parts, "item.reserved")]
    assert reserved.request_id == request.request_id  # type: ignore[attr-defined]
    await assert_invariant(parts)


async def test_jobs_waiting_for_a_part_hear_the_expected_date_when_an_order_is_sent(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=0)
    request = item_requested(quantity=1)
    await parts.publish(request, station_id="bj01")
    await _send(parts, await _draft(parts, "2", lead_time_days=9))
    latest = (await emitted(parts, "item.backordered"))[-1].open()
    assert isinstance(latest, events.ItemBackordered)
    assert latest.request_id == request.request_id
    assert latest.expected_on == utcnow().date() + timedelta(days=9)
