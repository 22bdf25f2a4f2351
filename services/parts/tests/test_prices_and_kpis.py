"""Price build-up with its history, the group's availability view and the parts KPIs."""

from __future__ import annotations

from decimal import Decimal

from services.parts.tests.builders import BRAKE_PADS, add_stock, item_requested
from shared.testing import ServiceHarness, auth_headers

MANAGER = auth_headers("manager.bj01")


async def test_a_price_is_built_up_from_cost_and_margins_and_the_change_recorded(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=1)
    response = await parts.client.put(
        f"/parts/{BRAKE_PADS}/price",
        json={
            "cost": "340.00",
            "margin": "0.5",
            "warranty_margin": "0.275",
            "reason": "manufacturer's 2027 price list",
        },
        headers=MANAGER,
    )
    assert response.status_code == 200, response.text
    part = response.json()
    assert Decimal(part["list_price"]) == Decimal("510.00")  # 340 x 1.5
    assert Decimal(part["warranty_price"]) == Decimal("433.50")  # 340 x 1.275

    history = await parts.client.get(
        f"/parts/{BRAKE_PADS}/price-history", headers=auth_headers("advisor.bj01")
    )
    [change] = history.json()["data"]
    assert change["changed_by"] == "manager.bj01"
    assert change["reason"] == "manufacturer's 2027 price list"
    assert (Decimal(change["cost_before"]), Decimal(change["cost_after"])) == (320, 340)
    assert Decimal(change["list_price_before"]) == Decimal("480.00")
    assert Decimal(change["list_price_after"]) == Decimal("510.00")

    one = await parts.client.get(f"/parts/{BRAKE_PADS}", headers=auth_headers("tech.bj01"))
    assert Decimal(one.json()["cost"]) == 340


async def test_price_changes_need_a_manager_a_reason_and_a_known_part(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=1)
    body = {"cost": "340", "margin": "0.5", "warranty_margin": "0.2", "reason": "new list"}
    clerk = await parts.client.put(
        f"/parts/{BRAKE_PADS}/price", json=body, headers=auth_headers("parts.bj01")
    )
    assert clerk.status_code == 403
    for field, value in (("cost", "-1"), ("margin", "-0.1"), ("reason", "")):
        bad = await parts.client.put(
            f"/parts/{BRAKE_PADS}/price", json={**body, field: value}, headers=MANAGER
        )
        assert bad.status_code == 422, field
        assert bad.json()["detail"][0]["loc"] == ["body", field]
    unknown = await parts.client.put("/parts/NO-SUCH/price", json=body, headers=MANAGER)
    assert unknown.status_code == 404
    history = await parts.client.get(f"/parts/{BRAKE_PADS}/price-history", headers=MANAGER)
    assert history.json()["count"] == 0


async def test_the_group_sees_availability_on_order_and_in_transit_at_every_station(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=2, reserved=1)
    await add_stock(parts, "sh01", on_hand=5)
    transfer = await parts.client.post(
        "/transfers",
        json={"part_no": BRAKE_PADS, "from_station_id": "sh01", "quantity": "2"},
        headers=auth_headers("parts.bj01"),
    )
    await parts.client.post(
        f"/transfers/{transfer.json()['id']}/shipment", json={}, headers=auth_headers("parts.sh01")
    )
    view = await parts.client.get(
        f"/stock/{BRAKE_PADS}/availability", headers=auth_headers("group.manager")
    )
    stations = {s["station_id"]: s for s in view.json()["stations"]}
    assert Decimal(stations["bj01"]["available"]) == 1
    assert Decimal(stations["bj01"]["in_transit"]) == 2
    assert Decimal(stations["sh01"]["on_hand"]) == 3
    assert Decimal(view.json()["total_available"]) == 4


async def test_kpis_fill_rate_stock_value_supply_turnover_and_dead_stock_per_station(
    parts: ServiceHarness,
) -> None:
    await add_stock(parts, "bj01", on_hand=3)  # ¥320 each
    await add_stock(parts, "bj01", "06J115403Q", on_hand=5, cost=40)  # never issued: dead
    await add_stock(parts, "sh01", on_hand=1)
    clerk = auth_headers("parts.bj01")
    served = item_requested(quantity=2)
    await parts.publish(served, station_id="bj01")
    await parts.publish(item_requested(quantity=4), station_id="bj01")  # short: not at once
    reservation = (
        await parts.client.get(
            "/reservations", params={"order_id": str(served.order_id)}, headers=clerk
        )
    ).json()["data"][0]
    await parts.client.post(
        f"/reservations/{reservation['id']}/issues", json={"quantity": "2"}, headers=clerk
    )

    response = await parts.client.get("/kpis", params={"days": 30}, headers=MANAGER)
    assert response.status_code == 200, response.text
    [bj01] = response.json()["data"]
    assert bj01["station_id"] == "bj01" and bj01["requests"] == 2
    assert Decimal(bj01["fill_rate"]) == Decimal("0.5")
    assert Decimal(bj01["stock_value"]) == Decimal("520.00")  # 1 x 320 + 5 x 40
    assert Decimal(bj01["issued_value"]) == Decimal("640.00")
    assert Decimal(bj01["days_of_supply"]) == Decimal("24.4")  # 520 / (640 / 30)
    assert Decimal(bj01["turnover"]) == Decimal("14.97")  # 640 x 365 / 30 / 520
    assert bj01["dead_stock_parts"] == 1
    assert Decimal(bj01["dead_stock_value"]) == Decimal("200.00")

    group = await parts.client.get("/kpis", headers=auth_headers("group.manager"))
    assert [s["station_id"] for s in group.json()["data"]] == ["bj01", "sh01"]
    assert (await parts.client.get("/kpis", headers=auth_headers("tech.bj01"))).status_code == 403
