"""The daily shortage log (缺货记录表, process §10): pre-authorisations and parts orders
tallied per station and day."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from services.warranty.tests.test_claims import ADMIN, SIGNED_AT, deliver, order_created
from shared.contracts import events
from shared.testing import ServiceHarness, auth_headers

#: 1 March 2026 at 09:00 UTC is 17:00 in Beijing: still the station's 1 March
DAY = date(2026, 3, 1)


def backordered(
    order_id: uuid.UUID, part_no: str = "06H121026DD", short: str = "1", **kw: object
) -> events.ItemBackordered:
    return events.ItemBackordered.model_validate(
        {
            "request_id": uuid.uuid4(),
            "order_id": order_id,
            "job_id": uuid.uuid4(),
            "part_no": part_no,
            "quantity_reserved": "0",
            "quantity_short": short,
            "expected_on": "2026-03-04",
            **kw,
        }
    )


async def shortage_log(harness: ServiceHarness, user: str = "warranty.bj01", **query: str):
    response = await harness.client.get(
        "/shortage-log", headers=auth_headers(user), params={"day": DAY.isoformat(), **query}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def pre_authorise(harness: ServiceHarness, order: events.OrderCreated) -> None:
    lines = (await harness.client.get(f"/orders/{order.order_id}", headers=ADMIN)).json()["lines"]
    base = f"/orders/{order.order_id}/lines"
    approved = await harness.client.post(
        f"{base}/{lines[0]['line_id']}/pre-authorisation",
        headers=ADMIN,
        json={"approved": True, "authorisation_no": "PA-000123"},
    )
    assert approved.status_code == 200, approved.text
    refused = await harness.client.post(
        f"{base}/{lines[1]['line_id']}/pre-authorisation",
        headers=ADMIN,
        json={"approved": False, "reason": "modified cooling system"},
    )
    assert refused.status_code == 200, refused.text


async def test_pre_authorisations_asked_and_answered_are_tallied_on_the_days_shortage_log(
    warranty, driven
) -> None:
    order = order_created(warranty_start=None)  # both lines need the manufacturer's approval
    await deliver(warranty, order)
    driven.set(datetime(2026, 3, 1, 10, tzinfo=UTC))
    await pre_authorise(warranty, order)

    [log] = (await shortage_log(warranty))["stations"]
    assert log["station_id"] == "bj01"
    tally = log["tally"]
    assert (
        tally["pre_authorisations_requested"],
        tally["pre_authorisations_authorised"],
        tally["pre_authorisations_refused"],
    ) == (2, 1, 1)
    answered = [e for e in log["entries"] if e["outcome"] != "requested"]
    assert sorted((e["code"], e["outcome"], e["note"]) for e in answered) == [
        ("06H121026DD", "refused", "modified cooling system"),
        ("ENG-120", "authorised", "PA-000123"),
    ]
    assert {e["order_no"] for e in log["entries"]} == {order.order_no}


async def test_parts_short_for_repair_orders_are_tallied_as_parts_orders_of_the_day(
    warranty,
) -> None:
    order = order_created()
    await deliver(warranty, order)
    first = backordered(order.order_id, short="2")
    other_order = backordered(uuid.uuid4(), part_no="1K0698151A", short="4")
    await deliver(warranty, first, other_order)
    # parts announces the same request again, still short: its line is updated, not doubled
    await deliver(warranty, first.model_copy(update={"quantity_short": Decimal("1")}))
    await warranty.publish(backordered(uuid.uuid4()), station_id="sh01", occurred_at=SIGNED_AT)

    [log] = (await shortage_log(warranty))["stations"]
    assert log["tally"]["parts_orders"] == 2
    assert {k: Decimal(v) for k, v in log["tally"]["parts_short"].items()} == {
        "06H121026DD": Decimal("1"),
        "1K0698151A": Decimal("4"),
    }
    pump = next(e for e in log["entries"] if e["code"] == "06H121026DD")
    assert (pump["order_no"], pump["warranty"], pump["description"]) == (
        order.order_no,
        True,
        "水泵",
    )
    assert pump["expected_on"] == "2026-03-04"
    pads = next(e for e in log["entries"] if e["code"] == "1K0698151A")
    assert (pads["order_no"], pads["warranty"]) == (None, False)

    sh01 = (await shortage_log(warranty, "warranty.sh01"))["stations"]
    assert [s["tally"]["parts_orders"] for s in sh01] == [1]
    group = (await shortage_log(warranty, "group.manager"))["stations"]
    assert {s["station_id"]: s["tally"]["parts_orders"] for s in group} == {"bj01": 2, "sh01": 1}


async def test_shortage_log_day_is_the_stations_local_day(warranty) -> None:
    order = order_created()
    await deliver(warranty, order)
    # 17:00 UTC is 01:00 the next morning in Beijing
    late = datetime(2026, 3, 1, 17, tzinfo=UTC)
    await warranty.publish(backordered(order.order_id), station_id="bj01", occurred_at=late)
    assert (await shortage_log(warranty))["stations"][0]["tally"]["parts_orders"] == 0
    [next_day] = (await shortage_log(warranty, day="2026-03-02"))["stations"]
    assert next_day["tally"]["parts_orders"] == 1


async def test_shortage_log_exports_as_csv_for_printing(warranty) -> None:
    order = order_created()
    await deliver(warranty, order, backordered(order.order_id, short="2"))
    response = await warranty.client.get(
        "/shortage-log.csv", headers=ADMIN, params={"day": DAY.isoformat()}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="shortage-log-2026-03-01.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [
        (r["station"], r["kind"], r["code"], r["description"], r["quantity"]) for r in rows
    ] == [("bj01", "parts_order", "06H121026DD", "水泵", "2")]
    assert rows[0]["recorded_at"] == "2026-03-01 17:00"  # the station's time


async def test_shortage_log_is_scoped_and_refuses_bad_input_naming_the_parameter(
    warranty,
) -> None:
    other = await warranty.client.get("/shortage-log?station_id=sh01", headers=ADMIN)
    assert other.status_code == 404
    tech = await warranty.client.get("/shortage-log", headers=auth_headers("tech.bj01"))
    assert tech.status_code == 403
    bad = await warranty.client.get("/shortage-log?day=yesterday", headers=ADMIN)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "day"]
