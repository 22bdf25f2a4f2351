"""Stock that comes from no supplier (opening balance, parts found) only with a reason and a
manager's approval; over-the-counter sales only to registered counter customers (防止外购外销)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import func, select

from services.parts import domain
from services.parts.models import CounterSale, StockItem, StockMovement
from services.parts.tests.builders import (
    BRAKE_PADS,
    add_stock,
    assert_invariant,
    emitted,
    item_requested,
    stock_of,
)
from shared.calendar import calendar_for
from shared.contracts import events
from shared.db import utcnow
from shared.testing import ServiceHarness, auth_headers

CLERK = auth_headers("parts.bj01")
MANAGER = auth_headers("manager.bj01")
OTHER_MANAGER = auth_headers("group.manager")
OIL_FILTER = "06J115403Q"


async def _adjust(
    parts: ServiceHarness,
    kind: str = "found",
    quantity: str = "2",
    *,
    headers: dict[str, str] = CLERK,
    **body: Any,
) -> Any:
    return await parts.client.post(
        f"/stock/{BRAKE_PADS}/adjustments",
        json={"quantity": quantity, "kind": kind, "reason": "found behind bin A-01-02", **body},
        headers=headers,
    )


async def _movements(parts: ServiceHarness, station_id: str) -> int:
    async with parts.runtime.db.read() as session:
        return (
            await session.exec(
                select(func.count())
                .select_from(StockMovement)
                .where(StockMovement.station_id == station_id)
            )
        ).one()


# --- approved adjustments -----------------------------------------------------------------


async def test_an_opening_balance_is_posted_only_once_another_manager_approves_it(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=1)  # the part is in the catalogue; sh01 never had it
    asked = await _adjust(
        parts, "opening_balance", "5", station_id="sh01", headers=auth_headers("parts.sh01")
    )
    assert asked.status_code == 201, asked.text
    adjustment = asked.json()
    assert adjustment["status"] == "requested" and adjustment["requested_by"] == "parts.sh01"
    assert await _movements(parts, "sh01") == 0  # asking moves nothing

    clerk = await parts.client.post(
        f"/stock-adjustments/{adjustment['id']}/approval",
        json={},
        headers=auth_headers("parts.sh01"),
    )
    assert clerk.status_code == 403  # a clerk does not approve
    approved = await parts.client.post(
        f"/stock-adjustments/{adjustment['id']}/approval",
        json={"version": 1, "note": "go-live count"},
        headers=auth_headers("manager.sh01"),
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["decided_by"] == "manager.sh01"
    assert (await stock_of(parts, "sh01")).on_hand == Decimal(5)
    async with parts.runtime.db.read() as session:
        [row] = (
            await session.exec(select(StockMovement).where(StockMovement.station_id == "sh01"))
        ).all()
    assert row.kind == "adjustment" and row.actor == "manager.sh01"
    assert str(row.reference_id) == adjustment["id"]
    assert row.reason.startswith("opening balance: ")

    again = await parts.client.post(
        f"/stock-adjustments/{adjustment['id']}/approval",
        json={},
        headers=auth_headers("manager.sh01"),
    )
    assert again.status_code == 409  # posted once
    await assert_invariant(parts)


async def test_whoever_asks_for_an_adjustment_does_not_approve_it(parts: ServiceHarness) -> None:
    await add_stock(parts, "bj01", on_hand=1)
    own = (await _adjust(parts, headers=MANAGER)).json()
    response = await parts.client.post(
        f"/stock-adjustments/{own['id']}/approval", json={}, headers=MANAGER
    )
    assert response.status_code == 403
    assert "someone other" in response.json()["detail"][0]["msg"]
    assert (await stock_of(parts, "bj01")).on_hand == Decimal(1)
    by_group = await parts.client.post(
        f"/stock-adjustments/{own['id']}/approval", json={}, headers=OTHER_MANAGER
    )
    assert by_group.status_code == 200, by_group.text
    assert (await stock_of(parts, "bj01")).on_hand == Decimal(3)


async def test_an_opening_balance_only_for_a_part_without_history_at_the_station(
    parts: ServiceHarness,
) -> None:
    """Stock a station already booked comes in as parts found (or through a stocktake), so
    an opening balance cannot be used to book stock in without a trace of why."""
    await add_stock(parts, "bj01", on_hand=1)
    response = await _adjust(parts, "opening_balance")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "kind"
    found = await _adjust(parts, "found")
    assert found.status_code == 201, found.text

    sh = auth_headers("parts.sh01")
    first = await _adjust(parts, "opening_balance", station_id="sh01", headers=sh)
    assert first.status_code == 201, first.text
    second = await _adjust(parts, "opening_balance", station_id="sh01", headers=sh)
    assert second.status_code == 422  # one opening balance at a time
    # stock booked at sh01 meanwhile (parts found, approved): the opening balance is stale
    booked = (await _adjust(parts, "found", station_id="sh01", headers=sh)).json()
    await parts.client.post(
        f"/stock-adjustments/{booked['id']}/approval", json={}, headers=auth_headers("manager.sh01")
    )
    stale = await parts.client.post(
        f"/stock-adjustments/{first.json()['id']}/approval",
        json={},
        headers=auth_headers("manager.sh01"),
    )
    assert stale.status_code == 409, stale.text
    assert (await stock_of(parts, "sh01")).on_hand == Decimal(2)  # only what was found


async def test_a_rejected_adjustment_posts_nothing(parts: ServiceHarness) -> None:
    await add_stock(parts, "bj01", on_hand=1)
    adjustment = (await _adjust(parts)).json()
    before = await _movements(parts, "bj01")
    rejected = await parts.client.post(
        f"/stock-adjustments/{adjustment['id']}/rejection",
        json={"note": "counted twice"},
        headers=MANAGER,
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert await _movements(parts, "bj01") == before
    late = await parts.client.post(
        f"/stock-adjustments/{adjustment['id']}/approval", json={}, headers=MANAGER
    )
    assert late.status_code == 409
    assert (await stock_of(parts, "bj01")).on_hand == Decimal(1)


async def test_bad_adjustments_are_4xx_naming_the_field_and_other_stations_are_404(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=1)
    no_reason = await parts.client.post(
        f"/stock/{BRAKE_PADS}/adjustments", json={"quantity": "1", "kind": "found"}, headers=CLERK
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"][0]["loc"][-1] == "reason"
    fraction = await _adjust(parts, quantity="1.5")
    assert fraction.status_code == 422
    assert fraction.json()["detail"][0]["loc"][-1] == "quantity"
    unknown_kind = await _adjust(parts, "gift")
    assert unknown_kind.status_code == 422
    unknown_part = await parts.client.post(
        "/stock/NO-SUCH-PART/adjustments",
        json={"quantity": "1", "kind": "found", "reason": "found it"},
        headers=CLERK,
    )
    assert unknown_part.status_code == 404
    advisor = await _adjust(parts, headers=auth_headers("advisor.bj01"))
    assert advisor.status_code == 403

    mine = (await _adjust(parts)).json()
    theirs = await parts.client.post(
        f"/stock-adjustments/{mine['id']}/approval", json={}, headers=auth_headers("manager.sh01")
    )
    assert theirs.status_code == 404
    listed = await parts.client.get("/stock-adjustments", headers=auth_headers("parts.sh01"))
    assert listed.json() == {"data": [], "count": 0}
    assert (await stock_of(parts, "bj01")).on_hand == Decimal(1)


async def test_parts_found_serve_the_oldest_request_waiting_for_them(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=0)
    waiting = item_requested(quantity=1)
    await parts.publish(waiting, station_id="bj01")
    adjustment = (await _adjust(parts, quantity="1")).json()
    await parts.client.post(
        f"/stock-adjustments/{adjustment['id']}/approval", json={}, headers=MANAGER
    )
    [reserved] = [e.open() for e in await emitted(parts, "item.reserved")]
    assert isinstance(reserved, events.ItemReserved)
    assert reserved.request_id == waiting.request_id
    await assert_invariant(parts)


# --- over-the-counter sales ---------------------------------------------------------------


async def _customer(
    parts: ServiceHarness, headers: dict[str, str] = CLERK, **body: Any
) -> dict[str, Any]:
    response = await parts.client.post(
        "/counter-customers",
        json={"name": "王伟", "phone": "13900000001", **body},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _sell(parts: ServiceHarness, customer_id: str, quantity: str = "1") -> Any:
    return await parts.client.post(
        "/counter-sales",
        json={"customer_id": customer_id, "lines": [{"part_no": BRAKE_PADS, "quantity": quantity}]},
        headers=CLERK,
    )


async def test_parts_are_sold_over_the_counter_only_to_registered_customers(
    parts: ServiceHarness,
) -> None:
    """防止外购外销: an unknown buyer, or one registered at another station's counter, is
    refused (422 on customer_id) and nothing leaves the shelf."""
    await add_stock(parts, "bj01", on_hand=5)
    unknown = await _sell(parts, str(uuid.uuid4()))
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["detail"][0]["loc"][-1] == "customer_id"
    elsewhere = await _customer(parts, auth_headers("parts.sh01"))
    not_here = await _sell(parts, elsewhere["id"])
    assert not_here.status_code == 422
    assert (await stock_of(parts, "bj01")).on_hand == Decimal(5)
    async with parts.runtime.db.read() as session:
        assert (await session.exec(select(func.count()).select_from(CounterSale))).one() == 0

    registered = await _customer(parts)
    sold = await _sell(parts, registered["id"], "2")
    assert sold.status_code == 201, sold.text
    sale = sold.json()
    assert sale["customer_id"] == registered["id"] and sale["sold_by"] == "parts.bj01"
    assert Decimal(sale["total"]) == Decimal("960.00")  # 2 x ¥480 list price
    assert [Decimal(line["unit_price"]) for line in sale["lines"]] == [Decimal("480.00")]
    assert (await stock_of(parts, "bj01")).on_hand == Decimal(3)
    ledger = await parts.client.get(
        "/stock-movements", params={"part_no": BRAKE_PADS}, headers=CLERK
    )
    [sale_row] = [row for row in ledger.json()["data"] if row["kind"] == "sale"]
    assert Decimal(sale_row["on_hand_change"]) == -2 and sale_row["reference_id"] == sale["id"]
    await assert_invariant(parts)


async def test_a_counter_sale_takes_only_stock_not_reserved_for_jobs(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=3, reserved=2)
    customer = await _customer(parts)
    too_many = await _sell(parts, customer["id"], "2")
    assert too_many.status_code == 409, too_many.text
    assert too_many.json()["detail"][0]["loc"] == ["body", "lines", "0", "quantity"]
    stock = await stock_of(parts, "bj01")
    assert (stock.on_hand, stock.reserved) == (Decimal(3), Decimal(2))
    async with parts.runtime.db.read() as session:
        assert (await session.exec(select(func.count()).select_from(CounterSale))).one() == 0
    assert (await _sell(parts, customer["id"], "1")).status_code == 201


async def test_a_counter_sale_below_the_reorder_point_raises_stock_low(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=4, reorder_point=3, reorder_quantity=6)
    customer = await _customer(parts)
    assert (await _sell(parts, customer["id"], "2")).status_code == 201
    [low] = [e.open() for e in await emitted(parts, "stock.low")]
    assert isinstance(low, events.StockLow) and low.available == Decimal(2)


async def test_bad_counter_customers_and_sales_are_4xx_and_other_stations_sales_404(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=5)
    bad_phone = await parts.client.post(
        "/counter-customers", json={"name": "王伟", "phone": "call me"}, headers=CLERK
    )
    assert bad_phone.status_code == 422
    assert bad_phone.json()["detail"][0]["loc"][-1] == "phone"
    advisor = await parts.client.post(
        "/counter-customers",
        json={"name": "王伟", "phone": "13900000001"},
        headers=auth_headers("advisor.bj01"),
    )
    assert advisor.status_code == 403
    customer = await _customer(parts)
    unknown_part = await parts.client.post(
        "/counter-sales",
        json={"customer_id": customer["id"], "lines": [{"part_no": "NOPE", "quantity": "1"}]},
        headers=CLERK,
    )
    assert unknown_part.status_code == 422
    assert unknown_part.json()["detail"][0]["loc"] == ["body", "lines", "0", "part_no"]
    fraction = await _sell(parts, customer["id"], "0.5")
    assert fraction.status_code == 422
    assert fraction.json()["detail"][0]["loc"] == ["body", "lines", "0", "quantity"]
    assert (await stock_of(parts, "bj01")).on_hand == Decimal(5)

    sale = (await _sell(parts, customer["id"])).json()
    theirs = await parts.client.get(
        f"/counter-sales/{sale['id']}", headers=auth_headers("parts.sh01")
    )
    assert theirs.status_code == 404
    listed = await parts.client.get("/counter-customers", headers=auth_headers("parts.sh01"))
    assert listed.json() == {"data": [], "count": 0}
    mine = await parts.client.get("/counter-sales", headers=CLERK)
    assert [row["id"] for row in mine.json()["data"]] == [sale["id"]]
    async with parts.runtime.db.read() as session:
        assert (await session.exec(select(func.count()).select_from(StockItem))).one() == 1


# --- weekly sales targets and analysis -----------------------------------------------------


async def test_weekly_counter_sales_are_shown_against_the_weeks_target(
    parts: ServiceHarness,
) -> None:
    """配件销售 with weekly targets: the manager sets the week's target, the week's sales
    are totalled against it with the best sellers; other stations see none of it."""
    await add_stock(parts, "bj01", on_hand=10)
    await add_stock(parts, "bj01", OIL_FILTER, on_hand=10, cost=40)
    this_week = domain.week_start(calendar_for("bj01").local_day(utcnow()))
    clerk_target = await parts.client.put(
        f"/counter-sales/targets/{this_week.isoformat()}", json={"amount": "2000"}, headers=CLERK
    )
    assert clerk_target.status_code == 403  # the manager sets targets
    target = await parts.client.put(
        f"/counter-sales/targets/{this_week.isoformat()}", json={"amount": "2000"}, headers=MANAGER
    )
    assert target.status_code == 200, target.text
    assert target.json()["set_by"] == "manager.bj01"
    tuesday = this_week + timedelta(days=1)
    not_monday = await parts.client.put(
        f"/counter-sales/targets/{tuesday.isoformat()}", json={"amount": "1"}, headers=MANAGER
    )
    assert not_monday.status_code == 422
    assert not_monday.json()["detail"][0]["loc"][-1] == "week_start"

    customer = await _customer(parts)
    assert (await _sell(parts, customer["id"], "2")).status_code == 201  # 2 x ¥480
    oil = await parts.client.post(
        "/counter-sales",
        json={"customer_id": customer["id"], "lines": [{"part_no": OIL_FILTER, "quantity": "1"}]},
        headers=CLERK,
    )
    assert oil.status_code == 201, oil.text

    weekly = await parts.client.get("/counter-sales/weekly", params={"weeks": 2}, headers=MANAGER)
    assert weekly.status_code == 200, weekly.text
    current, previous = weekly.json()["data"]
    assert current["week_start"] == this_week.isoformat()
    assert current["sales"] == 2
    assert Decimal(current["total"]) == Decimal("1440.00")  # 960 + 480
    assert Decimal(current["target"]) == Decimal("2000")
    assert Decimal(current["achieved"]) == Decimal("0.72")
    assert [p["part_no"] for p in current["top_parts"]] == [BRAKE_PADS, OIL_FILTER]
    assert previous["sales"] == 0 and previous["target"] is None
    theirs = await parts.client.get(
        "/counter-sales/weekly", params={"station_id": "bj01"}, headers=auth_headers("parts.sh01")
    )
    assert theirs.status_code == 404
