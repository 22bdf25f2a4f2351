"""Stock, catalogue, reservations and goods receipts over HTTP, scoped by station."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import func, select

from services.parts.app import definition
from services.parts.models import Part, StockItem
from services.parts.tests.builders import (
    BRAKE_PADS,
    add_stock,
    add_supplier,
    emitted,
    item_requested,
    stock_of,
)
from shared.contracts import events
from shared.testing import ServiceHarness, auth_headers

OIL_FILTER = "06J115403Q"


async def test_stock_list_shows_available_and_only_the_users_station(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=5, reserved=2, reorder_point=4)
    await add_stock(parts, "sh01", on_hand=9)

    response = await parts.client.get("/stock", headers=auth_headers("parts.bj01"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == 1
    [item] = body["data"]
    assert item["station_id"] == "bj01"
    assert Decimal(item["on_hand"]) == 5
    assert Decimal(item["reserved"]) == 2
    assert Decimal(item["available"]) == 3
    assert Decimal(item["reorder_point"]) == 4
    assert item["below_reorder_point"] is True

    group = await parts.client.get("/stock", headers=auth_headers("group.manager"))
    assert {row["station_id"] for row in group.json()["data"]} == {"bj01", "sh01"}


async def test_another_stations_stock_is_not_listed_even_when_asked_for(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "sh01", on_hand=9)
    response = await parts.client.get(
        "/stock", params={"station_id": "sh01"}, headers=auth_headers("parts.bj01")
    )
    assert response.status_code == 200
    assert response.json() == {"data": [], "count": 0}


async def test_stock_list_filters_parts_below_reorder_point(parts: ServiceHarness) -> None:
    await add_stock(parts, "bj01", BRAKE_PADS, on_hand=2, reorder_point=3)
    await add_stock(parts, "bj01", OIL_FILTER, on_hand=40, reorder_point=15)
    headers = auth_headers("parts.bj01")

    low = await parts.client.get("/stock", params={"below_reorder_point": True}, headers=headers)
    assert [row["part_no"] for row in low.json()["data"]] == [BRAKE_PADS]
    fine = await parts.client.get("/stock", params={"below_reorder_point": False}, headers=headers)
    assert [row["part_no"] for row in fine.json()["data"]] == [OIL_FILTER]
    one = await parts.client.get("/stock", params={"part_no": OIL_FILTER}, headers=headers)
    assert one.json()["count"] == 1


async def test_availability_lists_only_the_stations_the_user_may_see(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=1, reserved=1)
    await add_stock(parts, "sh01", on_hand=6, reserved=2)

    group = await parts.client.get(
        f"/stock/{BRAKE_PADS}/availability", headers=auth_headers("group.manager")
    )
    assert group.status_code == 200, group.text
    body = group.json()
    assert [(s["station_id"], Decimal(s["available"])) for s in body["stations"]] == [
        ("bj01", Decimal("0")),
        ("sh01", Decimal("4")),
    ]
    assert Decimal(body["total_available"]) == 4

    clerk = await parts.client.get(
        f"/stock/{BRAKE_PADS}/availability", headers=auth_headers("parts.sh01")
    )
    assert [s["station_id"] for s in clerk.json()["stations"]] == ["sh01"]


async def test_availability_of_an_unknown_part_is_404(parts: ServiceHarness) -> None:
    response = await parts.client.get(
        "/stock/NO-SUCH-PART/availability", headers=auth_headers("group.manager")
    )
    assert response.status_code == 404


async def test_reservation_of_another_station_is_404_and_not_listed(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=5)
    request = item_requested(quantity=1)
    await parts.publish(request, station_id="bj01")

    mine = await parts.client.get(
        "/reservations",
        params={"order_id": str(request.order_id)},
        headers=auth_headers("parts.bj01"),
    )
    assert mine.status_code == 200, mine.text
    [reservation] = mine.json()["data"]
    assert reservation["request_id"] == str(request.request_id)
    assert reservation["status"] == "reserved"

    theirs = await parts.client.get(
        "/reservations",
        params={"order_id": str(request.order_id)},
        headers=auth_headers("parts.sh01"),
    )
    assert theirs.json() == {"data": [], "count": 0}
    other = await parts.client.get(
        f"/reservations/{reservation['id']}", headers=auth_headers("parts.sh01")
    )
    assert other.status_code == 404
    group = await parts.client.get(
        f"/reservations/{reservation['id']}", headers=auth_headers("group.manager")
    )
    assert group.status_code == 200


async def test_reservations_are_filtered_by_order(parts: ServiceHarness) -> None:
    await add_stock(parts, "bj01", on_hand=5)
    first, second = item_requested(), item_requested()
    await parts.publish(first, station_id="bj01")
    await parts.publish(second, station_id="bj01")
    response = await parts.client.get(
        "/reservations",
        params={"order_id": str(second.order_id)},
        headers=auth_headers("manager.bj01"),
    )
    assert [r["order_id"] for r in response.json()["data"]] == [str(second.order_id)]
    everything = await parts.client.get("/reservations", headers=auth_headers("manager.bj01"))
    assert everything.json()["count"] == 2


async def test_a_delivery_without_an_order_is_booked_on_a_purchase_order_from_a_registered_supplier(
    parts: ServiceHarness,
) -> None:
    """防止外购外销: even a delivery that came without a prior order comes in only from a
    registered supplier and only on a purchase order (made, sent and received at once)."""
    supplier = await add_supplier(parts)
    await add_stock(parts, "bj01", on_hand=2, reserved=1, supplier_id=supplier.id)
    response = await parts.client.post(
        f"/stock/{BRAKE_PADS}/receipts",
        json={"quantity": "6", "delivery_note": "DN-77"},
        headers=auth_headers("parts.bj01"),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["station_id"] == "bj01"
    assert Decimal(body["on_hand"]) == 8
    assert Decimal(body["available"]) == 7
    assert Decimal(body["on_order"]) == 0
    assert (await stock_of(parts, "bj01")).on_hand == Decimal("8")

    order = await parts.client.get(
        f"/purchase-orders/{body['purchase_order_id']}", headers=auth_headers("parts.bj01")
    )
    assert order.status_code == 200, order.text
    order_body = order.json()
    assert order_body["status"] == "received"
    assert order_body["supplier_id"] == str(supplier.id)
    assert Decimal(order_body["total"]) == Decimal("1920.00")  # 6 x ¥320 cost
    assert "DN-77" in order_body["note"]
    [line] = order_body["lines"]
    assert Decimal(line["quantity_received"]) == 6
    ledger = await parts.client.get(
        "/stock-movements", params={"part_no": BRAKE_PADS}, headers=auth_headers("parts.bj01")
    )
    on_the_order = [
        row for row in ledger.json()["data"] if row["reference_id"] == body["purchase_order_id"]
    ]
    assert sorted(row["kind"] for row in on_the_order) == ["ordered", "receipt"]


async def test_goods_receipt_opens_the_shelf_of_a_station_without_stock(
    parts: ServiceHarness,
) -> None:
    supplier = await add_supplier(parts)
    await add_stock(parts, "bj01", on_hand=2, supplier_id=supplier.id)
    response = await parts.client.post(
        f"/stock/{BRAKE_PADS}/receipts",
        json={"station_id": "sh01", "quantity": "4"},
        headers=auth_headers("manager.sh01"),
    )
    assert response.status_code == 201, response.text
    assert (await stock_of(parts, "sh01")).on_hand == Decimal("4")


async def test_goods_are_received_only_from_a_registered_supplier(parts: ServiceHarness) -> None:
    """No supplier (the part has none and none is named) or an unregistered one: 422 on
    supplier_id, and nothing is booked: no stock, no purchase order."""
    await add_stock(parts, "bj01", on_hand=2)  # a part with no supplier in the catalogue
    grey = await add_supplier(parts, registered=False)
    headers = auth_headers("parts.bj01")
    for body in ({"quantity": "1"}, {"quantity": "1", "supplier_id": str(grey.id)}):
        response = await parts.client.post(
            f"/stock/{BRAKE_PADS}/receipts", json=body, headers=headers
        )
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"][-1] == "supplier_id"
    assert (await stock_of(parts, "bj01")).on_hand == Decimal("2")
    orders = await parts.client.get("/purchase-orders", headers=headers)
    assert orders.json()["count"] == 0


async def test_a_delivery_over_the_clerks_purchase_limit_needs_an_approved_purchase_order(
    parts: ServiceHarness,
) -> None:
    """The one-step receipt cannot get round the approval flow: over ¥5,000 it is refused."""
    supplier = await add_supplier(parts)
    await add_stock(parts, "bj01", on_hand=0, supplier_id=supplier.id)
    response = await parts.client.post(
        f"/stock/{BRAKE_PADS}/receipts",
        json={"quantity": "20"},  # 20 x ¥320 = ¥6,400
        headers=auth_headers("manager.bj01"),
    )
    assert response.status_code == 409, response.text
    assert "service_manager" in response.json()["detail"][0]["msg"]
    assert (await stock_of(parts, "bj01")).on_hand == Decimal("0")
    orders = await parts.client.get("/purchase-orders", headers=auth_headers("manager.bj01"))
    assert orders.json()["count"] == 0


async def test_bad_goods_receipt_is_a_422_naming_the_field(parts: ServiceHarness) -> None:
    await add_stock(parts, "bj01", on_hand=2)
    headers = auth_headers("parts.bj01")
    for quantity in ("0", "-3", "lots"):
        response = await parts.client.post(
            f"/stock/{BRAKE_PADS}/receipts", json={"quantity": quantity}, headers=headers
        )
        assert response.status_code == 422, quantity
        assert response.json()["detail"][0]["loc"][-1] == "quantity"
    missing = await parts.client.post(f"/stock/{BRAKE_PADS}/receipts", json={}, headers=headers)
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "quantity"]
    assert (await stock_of(parts, "bj01")).on_hand == Decimal("2")


async def test_goods_receipt_of_an_unknown_part_is_404(parts: ServiceHarness) -> None:
    response = await parts.client.post(
        "/stock/NO-SUCH-PART/receipts",
        json={"quantity": "1"},
        headers=auth_headers("parts.bj01"),
    )
    assert response.status_code == 404


async def test_goods_receipt_needs_a_parts_clerk_or_service_manager(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=2)
    advisor = await parts.client.post(
        f"/stock/{BRAKE_PADS}/receipts",
        json={"quantity": "1"},
        headers=auth_headers("advisor.bj01"),
    )
    assert advisor.status_code == 403
    other_station = await parts.client.post(
        f"/stock/{BRAKE_PADS}/receipts",
        json={"station_id": "sh01", "quantity": "1"},
        headers=auth_headers("parts.bj01"),
    )
    assert other_station.status_code == 403
    anonymous = await parts.client.post(f"/stock/{BRAKE_PADS}/receipts", json={"quantity": "1"})
    assert anonymous.status_code == 401


async def test_catalogue_is_open_to_every_signed_in_user(parts: ServiceHarness) -> None:
    assert definition.seed is not None
    await definition.seed(parts.runtime)
    response = await parts.client.get("/parts", headers=auth_headers("tech.sh01"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 10
    pads = next(p for p in body["data"] if p["part_no"] == BRAKE_PADS)
    assert Decimal(pads["list_price"]) == Decimal("480")
    assert pads["category"] == "brake"
    filters = await parts.client.get(
        "/parts", params={"category": "filter"}, headers=auth_headers("tech.sh01")
    )
    assert filters.json()["count"] == 3
    search = await parts.client.get(
        "/parts", params={"q": "oil"}, headers=auth_headers("tech.sh01")
    )
    assert OIL_FILTER in [p["part_no"] for p in search.json()["data"]]
    assert (await parts.client.get("/parts")).status_code == 401


async def test_demo_seed_is_idempotent_and_offers_a_transfer_for_a_shortage(
    parts: ServiceHarness,
) -> None:
    assert definition.seed is not None
    await definition.seed(parts.runtime)
    await definition.seed(parts.runtime)
    async with parts.runtime.db.read() as session:
        assert (await session.exec(select(func.count()).select_from(Part))).one() == 10
        assert (await session.exec(select(func.count()).select_from(StockItem))).one() == 20

    shortages = []
    for part_no in ("1K0615301AA", "3C1998002"):
        availability = await parts.client.get(
            f"/stock/{part_no}/availability", headers=auth_headers("group.manager")
        )
        shortages.append(
            {s["station_id"]: Decimal(s["available"]) for s in availability.json()["stations"]}
        )
    assert shortages == [{"bj01": 0, "sh01": 6}, {"bj01": 8, "sh01": 0}]


async def test_a_station_sets_min_level_reorder_point_and_lot_and_is_alerted_below_it(
    parts: ServiceHarness,
) -> None:
    """库存预警: the reorder point sits at or above the minimum level; a point that available
    stock is already under raises stock.low (with a suggested order) at once."""
    await add_stock(parts, "bj01", on_hand=4, reserved=1)
    headers = auth_headers("parts.bj01")
    response = await parts.client.put(
        f"/stock/{BRAKE_PADS}/policy",
        json={
            "min_level": "2",
            "reorder_point": "5",
            "reorder_quantity": "6",
            "bin_location": "B-1",
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [Decimal(body[k]) for k in ("min_level", "reorder_point", "reorder_quantity")] == [
        Decimal(2),
        Decimal(5),
        Decimal(6),
    ]
    assert body["bin_location"] == "B-1" and body["below_reorder_point"] is True
    [low] = [e.open() for e in await emitted(parts, "stock.low")]
    assert isinstance(low, events.StockLow)
    assert (low.available, low.reorder_point, low.suggested_quantity) == (
        Decimal(3),
        Decimal(5),
        Decimal(6),
    )
    again = await parts.client.put(
        f"/stock/{BRAKE_PADS}/policy",
        json={"min_level": "2", "reorder_point": "6", "reorder_quantity": "6"},
        headers=headers,
    )
    assert again.status_code == 200
    assert len(await emitted(parts, "stock.low")) == 1  # still below: no second alert


async def test_bad_stock_policies_are_4xx_naming_the_field(parts: ServiceHarness) -> None:
    await add_stock(parts, "bj01", on_hand=4)
    headers = auth_headers("parts.bj01")
    cases = (
        ({"min_level": "5", "reorder_point": "3", "reorder_quantity": "6"}, 422, "min_level"),
        ({"min_level": "1", "reorder_point": "2.5", "reorder_quantity": "6"}, 422, "reorder_point"),
        ({"min_level": "-1", "reorder_point": "3", "reorder_quantity": "6"}, 422, "min_level"),
    )
    for body, status, field in cases:
        response = await parts.client.put(f"/stock/{BRAKE_PADS}/policy", json=body, headers=headers)
        assert response.status_code == status, body
        assert response.json()["detail"][0]["loc"][-1] == field
    policy = {"min_level": "1", "reorder_point": "2", "reorder_quantity": "6"}
    other = await parts.client.put(
        f"/stock/{BRAKE_PADS}/policy", json={**policy, "station_id": "sh01"}, headers=headers
    )
    assert other.status_code == 403
    advisor = await parts.client.put(
        f"/stock/{BRAKE_PADS}/policy", json=policy, headers=auth_headers("advisor.bj01")
    )
    assert advisor.status_code == 403
    unknown = await parts.client.put("/stock/NOPE/policy", json=policy, headers=headers)
    assert unknown.status_code == 404
    assert (await stock_of(parts, "bj01")).reorder_point == Decimal(0)
