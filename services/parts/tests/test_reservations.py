"""Reserving parts for the workshop's requests (item.requested) on the test broker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlmodel import select

from services.parts.models import ReservationStatus
from services.parts.tests.builders import (
    BRAKE_PADS,
    add_stock,
    emitted,
    item_requested,
    reservations,
    stock_of,
)
from shared.contracts import events
from shared.tables import DeadLetter
from shared.testing import ServiceHarness


async def test_full_reservation_emits_item_reserved_and_reduces_available(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=5)
    request = item_requested(quantity=2)
    envelope = await parts.publish(request, station_id="bj01")

    stock = await stock_of(parts, "bj01")
    assert stock.reserved == Decimal("2")
    assert stock.on_hand - stock.reserved == Decimal("3")

    [reservation] = await reservations(parts)
    assert reservation.status == ReservationStatus.RESERVED
    assert reservation.station_id == "bj01"
    assert reservation.quantity_reserved == Decimal("2")

    [reserved] = await emitted(parts, "item.reserved")
    payload = reserved.open()
    assert isinstance(payload, events.ItemReserved)
    assert payload.reservation_id == reservation.id
    assert payload.request_id == request.request_id
    assert payload.order_id == request.order_id and payload.job_id == request.job_id
    assert payload.quantity == Decimal("2")
    assert reserved.station_id == "bj01"  # the station of the request
    assert reserved.causation_id == envelope.event_id
    assert await emitted(parts, "item.backordered") == []


async def test_short_stock_is_backordered_with_quantity_short_and_other_station_stock(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=1)
    await add_stock(parts, "sh01", on_hand=6, reserved=2)
    request = item_requested(quantity=3)
    await parts.publish(request, station_id="bj01")

    [envelope] = await emitted(parts, "item.backordered")
    payload = envelope.open()
    assert isinstance(payload, events.ItemBackordered)
    assert payload.request_id == request.request_id
    assert payload.quantity_reserved == Decimal("1")
    assert payload.quantity_short == Decimal("2")
    assert payload.expected_on == datetime.now(UTC).date() + timedelta(days=3)
    assert payload.other_stations == [
        events.OtherStationStock(station_id="sh01", available=Decimal("4"))
    ]
    assert await emitted(parts, "item.reserved") == []

    [reservation] = await reservations(parts)
    assert reservation.status == ReservationStatus.PARTLY_RESERVED
    assert (await stock_of(parts, "bj01")).reserved == Decimal("1")  # what there was is held
    assert (await stock_of(parts, "sh01")).reserved == Decimal("2")  # nothing taken elsewhere


async def test_no_stock_row_at_the_station_is_zero_stock_and_backordered(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "sh01", on_hand=3)
    await parts.publish(item_requested(quantity=1), station_id="bj01")

    [envelope] = await emitted(parts, "item.backordered")
    payload = envelope.open()
    assert isinstance(payload, events.ItemBackordered)
    assert payload.quantity_reserved == Decimal("0")
    assert payload.quantity_short == Decimal("1")
    assert [s.station_id for s in payload.other_stations] == ["sh01"]
    [reservation] = await reservations(parts)
    assert reservation.status == ReservationStatus.BACKORDERED


async def test_reservation_falling_below_reorder_point_emits_stock_low(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=6, reorder_point=3, reorder_quantity=6)
    await parts.publish(item_requested(quantity=2), station_id="bj01")
    assert await emitted(parts, "stock.low") == []  # 4 left: not yet under 3

    await parts.publish(item_requested(quantity=2), station_id="bj01")
    [envelope] = await emitted(parts, "stock.low")
    payload = envelope.open()
    assert isinstance(payload, events.StockLow)
    assert payload.part_no == BRAKE_PADS
    assert payload.available == Decimal("2")
    assert payload.reorder_point == Decimal("3")
    assert payload.suggested_quantity == Decimal("6")
    assert envelope.station_id == "bj01"
    assert envelope.key() == BRAKE_PADS


async def test_stock_low_is_not_repeated_while_stock_stays_below_reorder_point(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=4, reorder_point=3, reorder_quantity=6)
    await parts.publish(item_requested(quantity=2), station_id="bj01")
    await parts.publish(item_requested(quantity=1), station_id="bj01")
    assert len(await emitted(parts, "stock.low")) == 1


async def test_short_reservation_suggests_reordering_the_shortfall_too(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=3, reorder_point=2, reorder_quantity=4)
    await parts.publish(item_requested(quantity=8), station_id="bj01")
    [envelope] = await emitted(parts, "stock.low")
    payload = envelope.open()
    assert isinstance(payload, events.StockLow)
    assert payload.available == Decimal("0")
    assert payload.suggested_quantity == Decimal("8")  # 2 to the reorder point + 5 short: 2 lots


async def test_unknown_part_goes_to_the_dead_letters_and_the_next_request_is_handled(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=5)
    bad = await parts.publish(item_requested("NO-SUCH-PART"), station_id="bj01")
    await parts.publish(item_requested(quantity=1), station_id="bj01")

    async with parts.runtime.db.read() as session:
        [letter] = (await session.exec(select(DeadLetter))).all()
    assert letter.event_id == bad.event_id
    assert letter.reason == "rejected"  # a DomainError: permanent, no retries
    assert "NO-SUCH-PART" in letter.error
    assert [r.part_no for r in await reservations(parts)] == [BRAKE_PADS]
    [copy] = await emitted(parts, "item.requested.dlq")  # the original, for the operators
    assert copy.event_id == bad.event_id
    assert parts.runtime.consumer.counts["dead_lettered"] == 1
    assert parts.runtime.consumer.counts["handled"] == 1


async def test_a_superseded_part_number_reserves_the_part_that_replaced_it(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", BRAKE_PADS, on_hand=5, supersedes="1K0698151")
    await parts.publish(item_requested("1K0698151", quantity=1), station_id="bj01")

    [envelope] = await emitted(parts, "item.reserved")
    payload = envelope.open()
    assert isinstance(payload, events.ItemReserved)
    assert payload.part_no == BRAKE_PADS
    assert (await stock_of(parts, "bj01")).reserved == Decimal("1")


async def test_redelivered_item_requested_reserves_once(parts: ServiceHarness) -> None:
    await add_stock(parts, "bj01", on_hand=5)
    envelope = await parts.publish(item_requested(quantity=2), station_id="bj01")
    await parts.publish_envelope(envelope)

    assert len(await reservations(parts)) == 1
    assert (await stock_of(parts, "bj01")).reserved == Decimal("2")
    assert len(await emitted(parts, "item.reserved")) == 1
    assert parts.runtime.consumer.counts["duplicate"] == 1


async def test_same_request_in_a_new_event_reserves_once(parts: ServiceHarness) -> None:
    """A producer that re-sends a request under a new event id is caught by the request id."""
    await add_stock(parts, "bj01", on_hand=5)
    first = item_requested(quantity=2)
    again = item_requested(
        quantity=2, request_id=first.request_id, order_id=first.order_id, job_id=first.job_id
    )
    await parts.publish(first, station_id="bj01")
    await parts.publish(again, station_id="bj01")

    assert len(await reservations(parts)) == 1
    assert (await stock_of(parts, "bj01")).reserved == Decimal("2")
    assert len(await emitted(parts, "item.reserved")) == 1
    assert parts.runtime.consumer.counts["handled"] == 2


async def test_request_reserves_at_the_station_of_the_event(parts: ServiceHarness) -> None:
    await add_stock(parts, "bj01", on_hand=5)
    await add_stock(parts, "sh01", on_hand=5)
    await parts.publish(item_requested(quantity=1), station_id="sh01")

    assert (await stock_of(parts, "sh01")).reserved == Decimal("1")
    assert (await stock_of(parts, "bj01")).reserved == Decimal("0")
    [envelope] = await emitted(parts, "item.reserved")
    assert envelope.station_id == "sh01"
