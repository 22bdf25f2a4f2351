"""stock.level_changed: every stock movement publishes the part's stock at the station, once
per part and station per transaction, in the same transaction (reception's live
availability is built from these)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from services.parts.tests.builders import (
    BRAKE_PADS,
    add_stock,
    add_supplier,
    assert_levels_published_since,
    item_requested,
    level_events,
)
from shared.contracts import events
from shared.db import utcnow
from shared.testing import ServiceHarness, auth_headers

BJ = auth_headers("parts.bj01")
SH = auth_headers("parts.sh01")
MANAGER = auth_headers("manager.bj01")


async def _post(parts: ServiceHarness, path: str, body: Any, headers: dict[str, str]) -> Any:
    response = await parts.client.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), f"{path}: {response.text}"
    return response.json()


async def _reservation(parts: ServiceHarness, order_id: uuid.UUID) -> dict[str, Any]:
    response = await parts.client.get(
        "/reservations", params={"order_id": str(order_id)}, headers=BJ
    )
    [reservation] = response.json()["data"]
    return reservation


async def test_every_stock_movement_publishes_the_level_once_per_part_and_station(
    parts: ServiceHarness,
) -> None:
    """Reserve, issue, return, write off, order, receive, ship, receive a transfer, sell,
    adjust, count, cancel: each use case publishes exactly one event per stock row it
    moved, carrying the row's figures after it."""
    supplier = await add_supplier(parts)
    await add_stock(parts, "bj01", on_hand=5, supplier_id=supplier.id)
    await add_stock(parts, "sh01", on_hand=6)
    bj, sh = ("bj01", BRAKE_PADS), ("sh01", BRAKE_PADS)
    seen = len(await level_events(parts))

    order_id = uuid.uuid4()
    await parts.publish(item_requested(quantity=2, order_id=order_id), station_id="bj01")
    seen = await assert_levels_published_since(parts, seen, expected={bj})
    reservation = await _reservation(parts, order_id)

    await _post(parts, f"/reservations/{reservation['id']}/issues", {"quantity": "2"}, BJ)
    seen = await assert_levels_published_since(parts, seen, expected={bj})
    await _post(parts, f"/reservations/{reservation['id']}/returns", {"quantity": "1"}, BJ)
    seen = await assert_levels_published_since(parts, seen, expected={bj})
    await _post(
        parts,
        f"/stock/{BRAKE_PADS}/write-offs",
        {"quantity": "1", "kind": "damage", "reason": "dropped"},
        BJ,
    )
    seen = await assert_levels_published_since(parts, seen, expected={bj})

    draft = await _post(
        parts,
        "/purchase-orders",
        {"supplier_id": str(supplier.id), "lines": [{"part_no": BRAKE_PADS, "quantity": "3"}]},
        BJ,
    )
    seen = await assert_levels_published_since(parts, seen, expected=set())  # a draft moves nothing
    sent = await _post(parts, f"/purchase-orders/{draft['id']}/sending", {}, BJ)
    seen = await assert_levels_published_since(parts, seen, expected={bj})
    await _post(
        parts,
        f"/purchase-orders/{sent['id']}/receipts",
        {"lines": [{"part_no": BRAKE_PADS, "quantity": "3"}]},
        BJ,
    )
    seen = await assert_levels_published_since(parts, seen, expected={bj})
    await _post(parts, f"/stock/{BRAKE_PADS}/receipts", {"quantity": "1"}, BJ)
    seen = await assert_levels_published_since(parts, seen, expected={bj})

    transfer = await _post(
        parts, "/transfers", {"part_no": BRAKE_PADS, "from_station_id": "sh01", "quantity": "2"}, BJ
    )
    seen = await assert_levels_published_since(parts, seen, expected=set())
    await _post(parts, f"/transfers/{transfer['id']}/shipment", {}, SH)
    seen = await assert_levels_published_since(parts, seen, expected={sh})
    await _post(parts, f"/transfers/{transfer['id']}/receipt", {}, BJ)
    seen = await assert_levels_published_since(parts, seen, expected={bj})

    customer = await _post(
        parts, "/counter-customers", {"name": "王伟", "phone": "13900000001"}, BJ
    )
    await _post(
        parts,
        "/counter-sales",
        {"customer_id": customer["id"], "lines": [{"part_no": BRAKE_PADS, "quantity": "1"}]},
        BJ,
    )
    seen = await assert_levels_published_since(parts, seen, expected={bj})

    found = await _post(
        parts,
        f"/stock/{BRAKE_PADS}/adjustments",
        {"quantity": "1", "kind": "found", "reason": "behind the shelf"},
        BJ,
    )
    seen = await assert_levels_published_since(parts, seen, expected=set())  # not yet approved
    await _post(parts, f"/stock-adjustments/{found['id']}/approval", {}, MANAGER)
    seen = await assert_levels_published_since(parts, seen, expected={bj})

    sheet = await _post(parts, "/stocktakes", {}, BJ)
    await _post(
        parts,
        f"/stocktakes/{sheet['id']}/counts",
        {"lines": [{"part_no": BRAKE_PADS, "counted_quantity": "4"}]},
        BJ,
    )
    await _post(parts, f"/stocktakes/{sheet['id']}/approval", {}, MANAGER)
    seen = await assert_levels_published_since(parts, seen, expected={bj})

    cancelled = uuid.uuid4()
    await parts.publish(item_requested(quantity=1, order_id=cancelled), station_id="bj01")
    seen = await assert_levels_published_since(parts, seen, expected={bj})
    await parts.publish(events.OrderCancelled(order_id=cancelled, reason="customer left"))
    seen = await assert_levels_published_since(parts, seen, expected={bj})

    finding = uuid.uuid4()
    await parts.publish(
        item_requested(quantity=1, order_id=order_id, finding_id=finding), station_id="bj01"
    )
    seen = await assert_levels_published_since(parts, seen, expected={bj})
    await parts.publish(
        events.WorkAdditionalDeclined(
            finding_id=finding, order_id=order_id, declined_at=utcnow(), recorded_by="advisor"
        )
    )
    await assert_levels_published_since(parts, seen, expected={bj})


async def test_a_receipt_filling_several_backorders_publishes_the_level_once(
    parts: ServiceHarness,
) -> None:
    """Many ledger rows in one transaction (on order down, on hand up, three reservations
    filled) are still one event for the part at the station, with the final figures."""
    supplier = await add_supplier(parts)
    await add_stock(parts, "bj01", on_hand=0, supplier_id=supplier.id)
    for _ in range(3):
        await parts.publish(item_requested(quantity=1), station_id="bj01")
    seen = len(await level_events(parts))
    await _post(parts, f"/stock/{BRAKE_PADS}/receipts", {"quantity": "3"}, BJ)
    await assert_levels_published_since(parts, seen, expected={("bj01", BRAKE_PADS)})
    [(_station, level)] = (await level_events(parts))[seen:]
    assert (level.on_hand, level.reserved, level.available) == (Decimal(3), Decimal(3), Decimal(0))


async def test_the_level_carries_what_reception_shows_the_customer(parts: ServiceHarness) -> None:
    """Description, list price, on order with the expected date, and the supplier's lead
    time: what the advisor needs to promise a part (确认备品供应情况)."""
    supplier = await add_supplier(parts, lead_time_days=5)
    await add_stock(parts, "bj01", on_hand=1, supplier_id=supplier.id)
    draft = await _post(
        parts,
        "/purchase-orders",
        {"supplier_id": str(supplier.id), "lines": [{"part_no": BRAKE_PADS, "quantity": "2"}]},
        BJ,
    )
    sent = await _post(parts, f"/purchase-orders/{draft['id']}/sending", {}, BJ)
    station, level = (await level_events(parts))[-1]
    assert station == "bj01"
    assert level.description == f"test part {BRAKE_PADS}"
    assert level.list_price == Decimal("480.00")
    assert level.on_order == Decimal(2)
    assert level.expected_on is not None and level.expected_on.isoformat() == sent["expected_on"]
    assert level.lead_time_days == 5


async def test_a_refused_movement_publishes_nothing(parts: ServiceHarness) -> None:
    await add_stock(parts, "bj01", on_hand=2, reserved=2)
    seen = len(await level_events(parts))
    refused = await parts.client.post(
        f"/stock/{BRAKE_PADS}/write-offs",
        json={"quantity": "1", "kind": "loss", "reason": "lost"},
        headers=BJ,
    )
    assert refused.status_code == 409
    assert len(await level_events(parts)) == seen


async def test_a_price_change_tells_every_station_holding_the_part_the_new_list_price(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=2)
    await add_stock(parts, "sh01", on_hand=3)
    seen = len(await level_events(parts))
    response = await parts.client.put(
        f"/parts/{BRAKE_PADS}/price",
        json={"cost": "400", "margin": "0.5", "warranty_margin": "0.2", "reason": "new list"},
        headers=auth_headers("group.manager"),
    )
    assert response.status_code == 200, response.text
    await assert_levels_published_since(
        parts, seen, expected={("bj01", BRAKE_PADS), ("sh01", BRAKE_PADS)}
    )
    assert {level.list_price for _s, level in (await level_events(parts))[seen:]} == {
        Decimal("600.00")
    }
