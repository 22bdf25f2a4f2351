"""The parts counter: issue to jobs, returns, write-offs and releases, each on the ledger."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlmodel import select

from services.parts.models import ReservationStatus, StockMovement
from services.parts.tests.builders import (
    BRAKE_PADS,
    add_stock,
    add_supplier,
    assert_invariant,
    emitted,
    item_requested,
    reservations,
    stock_of,
)
from shared.contracts import events
from shared.contracts.envelope import Envelope
from shared.db import utcnow
from shared.tables import DeadLetter
from shared.testing import ServiceHarness, auth_headers

CLERK = auth_headers("parts.bj01")


async def _reserve(parts: ServiceHarness, quantity: int = 2, **kw: object) -> dict:
    request = item_requested(quantity=quantity, **kw)  # type: ignore[arg-type]
    await parts.publish(request, station_id="bj01")
    response = await parts.client.get(
        "/reservations", params={"order_id": str(request.order_id)}, headers=CLERK
    )
    [reservation] = response.json()["data"]
    return reservation


async def test_issuing_reserved_parts_lowers_on_hand_and_reserved_and_emits_item_issued(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=5)
    reservation = await _reserve(parts, 2)

    response = await parts.client.post(
        f"/reservations/{reservation['id']}/issues", json={"quantity": "2"}, headers=CLERK
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "issued"
    assert Decimal(body["quantity_issued"]) == 2 and Decimal(body["quantity_reserved"]) == 0
    stock = await stock_of(parts, "bj01")
    assert (stock.on_hand, stock.reserved) == (Decimal(3), Decimal(0))

    [envelope] = await emitted(parts, "item.issued")
    payload = envelope.open()
    assert isinstance(payload, events.ItemIssued)
    assert str(payload.reservation_id) == reservation["id"]
    assert payload.quantity == 2 and payload.unit_price == Decimal("480.00")
    assert envelope.key() == reservation["order_id"]
    # the issue slip (领料单) is the ledger row of the issue
    async with parts.runtime.db.read() as session:
        slip = await session.get(StockMovement, payload.issue_id)
    assert slip is not None
    assert (slip.kind, slip.on_hand_change) == ("issue", Decimal(-2))
    assert str(slip.reservation_id) == reservation["id"]

    async with parts.runtime.db.read() as session:
        issue = (
            await session.exec(select(StockMovement).where(StockMovement.kind == "issue"))
        ).one()
    assert issue.actor == "parts.bj01"
    assert str(issue.order_id) == reservation["order_id"]
    assert (issue.on_hand_change, issue.reserved_change) == (Decimal(-2), Decimal(-2))
    await assert_invariant(parts)


async def test_issuing_more_than_is_reserved_is_refused_and_nothing_is_posted(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=5)
    reservation = await _reserve(parts, 2)
    url = f"/reservations/{reservation['id']}/issues"

    too_many = await parts.client.post(url, json={"quantity": "3"}, headers=CLERK)
    assert too_many.status_code == 422
    assert too_many.json()["detail"][0]["loc"] == ["body", "quantity"]
    assert "only 2" in too_many.json()["detail"][0]["msg"]
    for bad in ("-1", "0", "1.5"):
        response = await parts.client.post(url, json={"quantity": bad}, headers=CLERK)
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"][-1] == "quantity"
    stock = await stock_of(parts, "bj01")
    assert (stock.on_hand, stock.reserved) == (Decimal(5), Decimal(2))
    assert await emitted(parts, "item.issued") == []
    await assert_invariant(parts)


async def test_issuing_at_another_station_is_404_and_needs_a_storekeeper(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=5)
    reservation = await _reserve(parts, 1)
    url = f"/reservations/{reservation['id']}/issues"
    other = await parts.client.post(url, json={"quantity": "1"}, headers=auth_headers("parts.sh01"))
    assert other.status_code == 404
    advisor = await parts.client.post(
        url, json={"quantity": "1"}, headers=auth_headers("advisor.bj01")
    )
    assert advisor.status_code == 403
    assert (await stock_of(parts, "bj01")).on_hand == Decimal(5)


async def test_unused_parts_returned_go_back_on_the_shelf_and_at_most_what_was_issued(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=5)
    reservation = await _reserve(parts, 2)
    await parts.client.post(
        f"/reservations/{reservation['id']}/issues", json={"quantity": "2"}, headers=CLERK
    )
    url = f"/reservations/{reservation['id']}/returns"
    response = await parts.client.post(
        url, json={"quantity": "1", "reason": "only one pad worn"}, headers=CLERK
    )
    assert response.status_code == 201, response.text
    assert Decimal(response.json()["quantity_returned"]) == 1
    assert (await stock_of(parts, "bj01")).on_hand == Decimal(4)
    [envelope] = await emitted(parts, "item.returned")
    payload = envelope.open()
    assert isinstance(payload, events.ItemReturned) and payload.quantity == 1

    too_many = await parts.client.post(url, json={"quantity": "2"}, headers=CLERK)
    assert too_many.status_code == 422
    assert too_many.json()["detail"][0]["loc"] == ["body", "quantity"]
    assert (await stock_of(parts, "bj01")).on_hand == Decimal(4)
    await assert_invariant(parts)


async def test_returned_parts_serve_a_request_waiting_for_them(parts: ServiceHarness) -> None:
    await add_stock(parts, "bj01", on_hand=1)
    first = await _reserve(parts, 1)
    await parts.client.post(
        f"/reservations/{first['id']}/issues", json={"quantity": "1"}, headers=CLERK
    )
    waiting = await _reserve(parts, 1)
    assert waiting["status"] == "backordered"

    await parts.client.post(
        f"/reservations/{first['id']}/returns", json={"quantity": "1"}, headers=CLERK
    )
    served = await parts.client.get(f"/reservations/{waiting['id']}", headers=CLERK)
    assert served.json()["status"] == "reserved"
    [reserved] = [
        e
        for e in await emitted(parts, "item.reserved")
        if str(e.open().reservation_id) == waiting["id"]  # type: ignore[attr-defined]
    ]
    assert reserved.station_id == "bj01"
    await assert_invariant(parts)


async def test_losses_and_damage_are_written_off_with_a_reason(parts: ServiceHarness) -> None:
    await add_stock(parts, "bj01", on_hand=5, reserved=2, reorder_point=3)
    url = f"/stock/{BRAKE_PADS}/write-offs"
    response = await parts.client.post(
        url, json={"quantity": "1", "kind": "damage", "reason": "dropped, cracked"}, headers=CLERK
    )
    assert response.status_code == 201, response.text
    assert Decimal(response.json()["on_hand"]) == 4
    [low] = await emitted(parts, "stock.low")  # available went from 3 to 2, under 3
    assert isinstance(low.open(), events.StockLow)

    reserved_ones = await parts.client.post(
        url, json={"quantity": "3", "kind": "loss", "reason": "missing"}, headers=CLERK
    )
    assert reserved_ones.status_code == 409  # two of the four are reserved for jobs
    no_reason = await parts.client.post(url, json={"quantity": "1", "kind": "loss"}, headers=CLERK)
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"][0]["loc"] == ["body", "reason"]
    unknown = await parts.client.post(
        "/stock/NO-SUCH/write-offs",
        json={"quantity": "1", "kind": "loss", "reason": "missing"},
        headers=CLERK,
    )
    assert unknown.status_code == 404

    ledger = await parts.client.get(
        "/stock-movements", params={"part_no": BRAKE_PADS}, headers=CLERK
    )
    newest = ledger.json()["data"][0]
    assert (newest["kind"], newest["reason"], newest["actor"]) == (
        "damage",
        "dropped, cracked",
        "parts.bj01",
    )
    assert (await stock_of(parts, "bj01")).on_hand == Decimal(4)
    await assert_invariant(parts)


async def test_order_cancelled_releases_its_reservations_and_emits_item_released(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=3)
    order_id = uuid.uuid4()
    await parts.publish(item_requested(quantity=2, order_id=order_id), station_id="bj01")
    await parts.publish(item_requested(quantity=4, order_id=order_id), station_id="bj01")
    assert (await stock_of(parts, "bj01")).reserved == Decimal(3)

    await parts.publish(events.OrderCancelled(order_id=order_id, reason="customer left"))
    assert (await stock_of(parts, "bj01")).reserved == Decimal(0)
    assert {r.status for r in await reservations(parts)} == {ReservationStatus.RELEASED}
    released = sorted(
        e.open().quantity  # type: ignore[attr-defined]
        for e in await emitted(parts, "item.released")
    )
    assert released == [Decimal(1), Decimal(2)]
    await assert_invariant(parts)


async def test_a_released_reservation_serves_the_oldest_request_waiting(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=2)
    cancelled = uuid.uuid4()
    await parts.publish(item_requested(quantity=2, order_id=cancelled), station_id="bj01")
    waiting = await _reserve(parts, 2)
    assert waiting["status"] == "backordered"
    await parts.publish(events.OrderCancelled(order_id=cancelled, reason="no show"))
    served = await parts.client.get(f"/reservations/{waiting['id']}", headers=CLERK)
    assert served.json()["status"] == "reserved"
    await assert_invariant(parts)


async def test_declined_additional_work_releases_the_parts_requested_for_that_finding(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=5)
    order_id, finding_id = uuid.uuid4(), uuid.uuid4()
    await parts.publish(item_requested(quantity=1, order_id=order_id), station_id="bj01")
    # the workshop names the finding a request is for (item.requested.finding_id)
    await parts.publish(
        item_requested(quantity=2, order_id=order_id, finding_id=finding_id), station_id="bj01"
    )
    assert (await stock_of(parts, "bj01")).reserved == Decimal(3)

    await parts.publish(
        events.WorkAdditionalDeclined(
            finding_id=finding_id, order_id=order_id, declined_at=utcnow(), recorded_by="advisor"
        )
    )
    assert (await stock_of(parts, "bj01")).reserved == Decimal(1)  # the agreed job keeps its part
    [released] = await emitted(parts, "item.released")
    payload = released.open()
    assert isinstance(payload, events.ItemReleased) and payload.quantity == 2
    await assert_invariant(parts)


async def test_a_fractional_quantity_of_a_part_counted_in_pieces_is_dead_lettered(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=5)
    bad = await parts.publish(item_requested(quantity="1.5"), station_id="bj01")
    async with parts.runtime.db.read() as session:
        [letter] = (await session.exec(select(DeadLetter))).all()
    assert letter.event_id == bad.event_id and letter.reason == "rejected"
    assert "whole number" in letter.error
    assert await reservations(parts) == []
    assert (await stock_of(parts, "bj01")).reserved == Decimal(0)


async def test_a_request_naming_a_malformed_finding_is_dead_lettered_and_reserves_nothing(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=5)
    envelope = Envelope.wrap(item_requested(quantity=1), station_id="bj01", producer="test")
    broken = envelope.model_copy(
        update={"payload": {**envelope.payload, "finding_id": "not-a-finding"}}
    )
    await parts.publish_envelope(broken)
    async with parts.runtime.db.read() as session:
        [letter] = (await session.exec(select(DeadLetter))).all()
    assert letter.event_id == broken.event_id
    assert "finding_id" in letter.error
    assert await reservations(parts) == []
    assert (await stock_of(parts, "bj01")).reserved == Decimal(0)


async def test_litres_may_be_reserved_in_fractions(parts: ServiceHarness) -> None:
    await add_stock(parts, "bj01", "OIL-BULK", on_hand=20, unit="L")
    await parts.publish(item_requested("OIL-BULK", quantity="4.5"), station_id="bj01")
    assert (await stock_of(parts, "bj01", "OIL-BULK")).reserved == Decimal("4.5")


async def test_the_ledger_shows_only_the_users_station_and_filters_by_order(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=5)
    await add_stock(parts, "sh01", on_hand=5)
    request = item_requested(quantity=1)
    await parts.publish(request, station_id="bj01")

    mine = await parts.client.get("/stock-movements", headers=CLERK)
    assert {row["station_id"] for row in mine.json()["data"]} == {"bj01"}
    by_order = await parts.client.get(
        "/stock-movements", params={"order_id": str(request.order_id)}, headers=CLERK
    )
    [reservation] = by_order.json()["data"]
    assert reservation["kind"] == "reservation"
    assert reservation["actor"].startswith("event:item.requested:")
    theirs = await parts.client.get(
        "/stock-movements", params={"station_id": "bj01"}, headers=auth_headers("parts.sh01")
    )
    assert theirs.json() == {"data": [], "count": 0}


async def test_a_goods_receipt_serves_the_oldest_waiting_request_first(
    parts: ServiceHarness,
) -> None:
    supplier = await add_supplier(parts)
    await add_stock(parts, "bj01", on_hand=0, supplier_id=supplier.id)
    oldest, newer = item_requested(quantity=1), item_requested(quantity=1)
    await parts.publish(oldest, station_id="bj01")
    await parts.publish(newer, station_id="bj01")
    response = await parts.client.post(
        f"/stock/{BRAKE_PADS}/receipts", json={"quantity": "1"}, headers=CLERK
    )
    assert response.status_code == 201, response.text
    [reserved] = [e.open() for e in await emitted(parts, "item.reserved")]
    assert reserved.request_id == oldest.request_id  # type: ignore[attr-defined]
    await assert_invariant(parts)
