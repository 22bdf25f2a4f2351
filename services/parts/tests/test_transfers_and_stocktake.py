"""Transfers between stations of the group and stocktakes, over HTTP, on the ledger."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from services.parts.tests.builders import (
    BRAKE_PADS,
    add_stock,
    assert_invariant,
    emitted,
    item_requested,
    stock_of,
)
from shared.contracts import events
from shared.testing import ServiceHarness, auth_headers

BJ = auth_headers("parts.bj01")
SH = auth_headers("parts.sh01")


async def _request(parts: ServiceHarness, quantity: str = "2") -> dict[str, Any]:
    response = await parts.client.post(
        "/transfers",
        json={"part_no": BRAKE_PADS, "from_station_id": "sh01", "quantity": quantity},
        headers=BJ,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_transfer_moves_stock_only_on_each_sides_confirmation(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=0)
    await add_stock(parts, "sh01", on_hand=6)
    transfer = await _request(parts)
    assert transfer["status"] == "requested" and transfer["to_station_id"] == "bj01"
    assert (await stock_of(parts, "sh01")).on_hand == 6  # asking moves nothing

    not_theirs = await parts.client.post(
        f"/transfers/{transfer['id']}/shipment", json={}, headers=BJ
    )
    assert not_theirs.status_code == 403  # only the sending station ships
    shipped = await parts.client.post(
        f"/transfers/{transfer['id']}/shipment", json={"version": 1}, headers=SH
    )
    assert shipped.status_code == 200, shipped.text
    assert (await stock_of(parts, "sh01")).on_hand == 4
    assert (await stock_of(parts, "bj01")).on_hand == 0

    in_transit = await parts.client.get("/stock", params={"part_no": BRAKE_PADS}, headers=BJ)
    assert Decimal(in_transit.json()["data"][0]["in_transit"]) == 2
    listed = await parts.client.get("/transfers", params={"status": "shipped"}, headers=SH)
    assert listed.json()["count"] == 1

    early = await parts.client.post(f"/transfers/{transfer['id']}/receipt", json={}, headers=SH)
    assert early.status_code == 403
    received = await parts.client.post(
        f"/transfers/{transfer['id']}/receipt", json={"version": 2}, headers=BJ
    )
    assert received.status_code == 200, received.text
    assert received.json()["received_by"] == "parts.bj01"
    assert (await stock_of(parts, "bj01")).on_hand == 2
    after = await parts.client.get("/stock", params={"part_no": BRAKE_PADS}, headers=BJ)
    assert Decimal(after.json()["data"][0]["in_transit"]) == 0
    await assert_invariant(parts)


async def test_a_station_ships_only_stock_not_reserved_for_its_own_jobs(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "sh01", on_hand=3, reserved=2)
    transfer = await _request(parts, "2")
    refused = await parts.client.post(f"/transfers/{transfer['id']}/shipment", json={}, headers=SH)
    assert refused.status_code == 409
    assert (await stock_of(parts, "sh01")).on_hand == 3
    other = await parts.client.get(
        f"/transfers/{transfer['id']}", headers=auth_headers("tech.sh01")
    )
    assert other.status_code == 200  # both stations see it
    await assert_invariant(parts)


async def test_a_transfer_received_fills_the_backorder_that_suggested_it(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=0)
    await add_stock(parts, "sh01", on_hand=5)
    request = item_requested(quantity=2)
    await parts.publish(request, station_id="bj01")
    [backordered] = [e.open() for e in await emitted(parts, "item.backordered")]
    assert isinstance(backordered, events.ItemBackordered)
    assert [s.station_id for s in backordered.other_stations] == ["sh01"]  # the suggestion

    transfer = await _request(parts, "2")
    await parts.client.post(f"/transfers/{transfer['id']}/shipment", json={}, headers=SH)
    await parts.client.post(f"/transfers/{transfer['id']}/receipt", json={}, headers=BJ)
    [reserved] = [e.open() for e in await emitted(parts, "item.reserved")]
    assert reserved.request_id == request.request_id  # type: ignore[attr-defined]
    await assert_invariant(parts)


async def test_transfer_to_the_same_station_or_of_an_unknown_part_is_422(
    parts: ServiceHarness,
) -> None:
    same = await parts.client.post(
        "/transfers",
        json={"part_no": BRAKE_PADS, "from_station_id": "bj01", "quantity": "1"},
        headers=BJ,
    )
    assert same.status_code == 422
    assert same.json()["detail"][0]["loc"] == ["body", "from_station_id"]
    unknown = await parts.client.post(
        "/transfers",
        json={"part_no": "NO-SUCH", "from_station_id": "sh01", "quantity": "1"},
        headers=BJ,
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "part_no"]


async def _count(parts: ServiceHarness, counted: str) -> dict[str, Any]:
    sheet = await parts.client.post("/stocktakes", json={"bins": ["A-01-01"]}, headers=BJ)
    assert sheet.status_code == 201, sheet.text
    body = sheet.json()
    assert [line["part_no"] for line in body["lines"]] == [BRAKE_PADS]
    counts = await parts.client.post(
        f"/stocktakes/{body['id']}/counts",
        json={"lines": [{"part_no": BRAKE_PADS, "counted_quantity": counted}]},
        headers=BJ,
    )
    assert counts.status_code == 200, counts.text
    return counts.json()


async def test_stocktake_variance_posts_as_an_adjustment_once_a_manager_approves(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=10)
    sheet = await _count(parts, "8")
    assert Decimal(sheet["lines"][0]["variance"]) == -2
    assert Decimal(sheet["lines"][0]["variance_value"]) == -640  # 2 x ¥320
    assert (await stock_of(parts, "bj01")).on_hand == 10  # nothing posts before approval

    clerk = await parts.client.post(f"/stocktakes/{sheet['id']}/approval", json={}, headers=BJ)
    assert clerk.status_code == 403
    approved = await parts.client.post(
        f"/stocktakes/{sheet['id']}/approval",
        json={"version": sheet["version"]},
        headers=auth_headers("manager.bj01"),
    )
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["status"] == "approved" and body["approved_by"] == "manager.bj01"
    assert (Decimal(body["value_before"]), Decimal(body["value_after"])) == (3200, 2560)
    assert (await stock_of(parts, "bj01")).on_hand == 8
    ledger = await parts.client.get("/stock-movements", headers=BJ)
    assert ledger.json()["data"][0]["kind"] == "adjustment"
    await assert_invariant(parts)


async def test_a_count_below_what_is_reserved_takes_it_back_from_the_newest_reservation(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=4)
    older, newer = item_requested(quantity=2), item_requested(quantity=2)
    await parts.publish(older, station_id="bj01")
    await parts.publish(newer, station_id="bj01")
    sheet = await _count(parts, "3")
    response = await parts.client.post(
        f"/stocktakes/{sheet['id']}/approval", json={}, headers=auth_headers("manager.bj01")
    )
    assert response.status_code == 200, response.text
    stock = await stock_of(parts, "bj01")
    assert (stock.on_hand, stock.reserved) == (Decimal(3), Decimal(3))
    [short] = [e.open() for e in await emitted(parts, "item.backordered")]
    assert isinstance(short, events.ItemBackordered)
    assert short.request_id == newer.request_id and short.quantity_short == 1
    await assert_invariant(parts)


async def test_counts_for_parts_not_on_the_sheet_or_in_fractions_are_422(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=4)
    sheet = (await parts.client.post("/stocktakes", json={}, headers=BJ)).json()
    for line, loc in (
        ({"part_no": "NO-SUCH", "counted_quantity": "1"}, "part_no"),
        ({"part_no": BRAKE_PADS, "counted_quantity": "1.5"}, "counted_quantity"),
        ({"part_no": BRAKE_PADS, "counted_quantity": "-1"}, "counted_quantity"),
    ):
        response = await parts.client.post(
            f"/stocktakes/{sheet['id']}/counts", json={"lines": [line]}, headers=BJ
        )
        assert response.status_code == 422, line
        assert str(response.json()["detail"][0]["loc"][-1]) == loc
    uncounted = await parts.client.post(
        f"/stocktakes/{sheet['id']}/approval", json={}, headers=auth_headers("manager.bj01")
    )
    assert uncounted.status_code == 409
    other = await parts.client.get(f"/stocktakes/{sheet['id']}", headers=SH)
    assert other.status_code == 404


async def test_a_manager_does_not_approve_a_stocktake_they_opened(parts: ServiceHarness) -> None:
    """Variances are adjustments with approval: four eyes, as for adjustments and orders."""
    await add_stock(parts, "bj01", on_hand=5)
    manager = auth_headers("manager.bj01")
    sheet = (await parts.client.post("/stocktakes", json={}, headers=manager)).json()
    await parts.client.post(
        f"/stocktakes/{sheet['id']}/counts",
        json={"lines": [{"part_no": BRAKE_PADS, "counted_quantity": "4"}]},
        headers=manager,
    )
    own = await parts.client.post(f"/stocktakes/{sheet['id']}/approval", json={}, headers=manager)
    assert own.status_code == 403
    assert "someone other" in own.json()["detail"][0]["msg"]
    assert (await stock_of(parts, "bj01")).on_hand == Decimal(5)
    group = await parts.client.post(
        f"/stocktakes/{sheet['id']}/approval", json={}, headers=auth_headers("group.manager")
    )
    assert group.status_code == 200, group.text
    assert (await stock_of(parts, "bj01")).on_hand == Decimal(4)
