"""Returned warranty parts, 三包 tracking, quality reports and KPIs (service tests)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from services.warranty.manufacturer import Behaviour, Plan
from services.warranty.tests.test_claims import (
    ADMIN,
    SIGNED_AT,
    completed,
    completed_claim,
    deliver,
    drafted_claim,
    labour,
    order_created,
    paid_claim,
    part,
    run_due,
    submit,
)
from shared.contracts import events
from shared.testing import ServiceHarness, auth_headers

# --- returned warranty parts ------------------------------------------------------------


async def stored_parts(harness: ServiceHarness, claim_id: str | None = None, **query: str):
    params = {**query, **({"claim_id": claim_id} if claim_id else {})}
    response = await harness.client.get("/returned-parts", headers=ADMIN, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_replaced_warranty_parts_are_stored_tagged_to_their_claim(warranty) -> None:
    claim = await drafted_claim(warranty)
    listed = await stored_parts(warranty, claim["id"])
    assert listed["count"] == 1
    [stored] = listed["data"]
    assert (stored["claim_no"], stored["part_no"], stored["status"]) == (
        claim["claim_no"],
        "06H121026DD",
        "in_store",
    )
    assert stored["causal"] is True
    assert stored["ship_by"] is None  # kept until the manufacturer decides


async def test_part_asked_back_gets_a_deadline_and_is_overdue_when_not_shipped(
    warranty, driven
) -> None:
    claim = await drafted_claim(warranty)
    [stored] = (await stored_parts(warranty, claim["id"]))["data"]
    asked = await warranty.client.post(
        f"/returned-parts/{stored['id']}/return-request",
        headers=ADMIN,
        json={"version": stored["version"]},
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["status"] == "return_requested"
    assert asked.json()["ship_by"] == "2026-03-18"  # FAW-VW: 15 days
    assert (await stored_parts(warranty, overdue="true"))["count"] == 0

    driven.set(datetime(2026, 3, 19, 9, tzinfo=UTC))
    overdue = await stored_parts(warranty, overdue="true")
    assert [p["id"] for p in overdue["data"]] == [stored["id"]]
    assert overdue["data"][0]["overdue"] is True

    shipped = await warranty.client.post(
        f"/returned-parts/{stored['id']}/shipment",
        headers=ADMIN,
        json={"version": asked.json()["version"], "waybill": "SF1234567890"},
    )
    assert shipped.status_code == 200, shipped.text
    assert (shipped.json()["status"], shipped.json()["overdue"]) == ("shipped", False)
    assert (await stored_parts(warranty, overdue="true"))["count"] == 0


async def test_part_released_by_the_manufacturer_is_scrapped(warranty) -> None:
    claim = await drafted_claim(warranty)
    [stored] = (await stored_parts(warranty, claim["id"]))["data"]
    not_asked = await warranty.client.post(
        f"/returned-parts/{stored['id']}/shipment",
        headers=ADMIN,
        json={"version": stored["version"], "waybill": "SF1"},
    )
    assert not_asked.status_code == 409
    scrapped = await warranty.client.post(
        f"/returned-parts/{stored['id']}/scrap", headers=ADMIN, json={"version": stored["version"]}
    )
    assert scrapped.status_code == 200, scrapped.text
    assert scrapped.json()["status"] == "scrapped"
    stale = await warranty.client.post(
        f"/returned-parts/{stored['id']}/scrap", headers=ADMIN, json={"version": stored["version"]}
    )
    assert stale.status_code == 409


async def test_returned_parts_of_another_station_are_404(warranty) -> None:
    claim = await drafted_claim(warranty)
    [stored] = (await stored_parts(warranty, claim["id"]))["data"]
    other = await warranty.client.post(
        f"/returned-parts/{stored['id']}/scrap",
        headers=auth_headers("warranty.sh01"),
        json={"version": 1},
    )
    assert other.status_code == 404
    listed = await warranty.client.get("/returned-parts", headers=auth_headers("warranty.sh01"))
    assert listed.json()["count"] == 0
    past = await warranty.client.post(
        f"/returned-parts/{stored['id']}/return-request",
        headers=ADMIN,
        json={"version": 1, "ship_by": "2020-01-01"},
    )
    assert past.status_code == 422
    assert past.json()["detail"][0]["loc"] == ["body", "ship_by"]


# --- 三包 tracking ----------------------------------------------------------------------


async def sanbao(harness: ServiceHarness, vin: str = "LFV2A21K7G3000001"):
    response = await harness.client.get(f"/vehicles/{vin}/sanbao", headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_sanbao_repair_over_5_days_records_the_courtesy_car_obligation(warranty) -> None:
    order = order_created()
    await deliver(warranty, order, completed(order, at=SIGNED_AT + timedelta(days=5, hours=2)))
    record = await sanbao(warranty)
    assert record["repair_days"] == 6
    assert record["repairs_by_fault"] == {"engine": 1}
    [repair] = record["repairs"]
    assert repair["courtesy_car_due"] is True


async def test_courtesy_car_is_owed_while_a_sanbao_repair_is_still_open_after_5_days(
    warranty, driven
) -> None:
    order = order_created()
    await deliver(warranty, order)
    driven.set(datetime(2026, 3, 6, 10, tzinfo=UTC))  # signed 1 March 09:00: over 5 days
    assert await run_due(warranty) == 1
    [repair] = (await sanbao(warranty))["repairs"]
    assert repair["completed_at"] is None
    assert (repair["days"], repair["courtesy_car_due"]) == (6, True)

    await deliver(warranty, completed(order, at=datetime(2026, 3, 7, 12, tzinfo=UTC)))
    [repair] = (await sanbao(warranty))["repairs"]
    assert (repair["days"], repair["courtesy_car_due"]) == (7, True)


async def test_a_sanbao_repair_done_within_5_days_owes_no_courtesy_car(warranty, driven) -> None:
    order = order_created()
    await deliver(warranty, order, completed(order))
    driven.set(datetime(2026, 3, 10, 9, tzinfo=UTC))
    assert await run_due(warranty) == 0  # the check was cancelled when the car was done
    [repair] = (await sanbao(warranty))["repairs"]
    assert (repair["days"], repair["courtesy_car_due"]) == (2, False)


async def test_a_cancelled_order_leaves_no_sanbao_repair(warranty, driven) -> None:
    order = order_created()
    await deliver(warranty, order, events.OrderCancelled(order_id=order.order_id, reason="x"))
    driven.set(datetime(2026, 3, 10, 9, tzinfo=UTC))
    assert await run_due(warranty) == 0
    assert (await sanbao(warranty))["repairs"] == []


async def test_repairs_outside_the_sanbao_period_are_not_counted(warranty) -> None:
    order = order_created(mileage_km=55_000)  # past 50,000 km: repair warranty, not 三包
    await deliver(warranty, order, completed(order))
    assert (await sanbao(warranty))["repairs"] == []


async def test_sanbao_warns_when_a_vehicle_approaches_a_threshold(warranty) -> None:
    vin = "LFV2A21K7G3000001"
    for _ in range(4):
        order = order_created(labour(), part())
        await deliver(warranty, order, completed(order, at=SIGNED_AT + timedelta(days=6, hours=2)))
    record = await sanbao(warranty, vin)
    assert record["repair_days"] == 28
    assert record["warnings"] == [
        "28 repair days: approaching 30",
        "fault engine repaired 4 times: one more repair allows replacement or return",
    ]
    check = await warranty.client.post(
        "/coverage-checks",
        headers=auth_headers("advisor.bj01"),
        json={"vin": vin, "lines": [{"kind": "labour", "code": "ENG-120"}]},
    )
    assert check.json()["sanbao_warnings"] == record["warnings"]
    other = await warranty.client.get(
        f"/vehicles/{vin}/sanbao", headers=auth_headers("warranty.sh01")
    )
    assert other.json()["repairs"] == []


async def test_sanbao_thresholds_count_the_vehicles_repairs_at_every_station_of_the_group(
    warranty,
) -> None:
    vin = "LFV2A21K7G3000001"
    for station in ("bj01", "bj01", "sh01", "sh01"):
        order = order_created(labour(), part(), vin=vin)
        for payload in (order, completed(order, at=SIGNED_AT + timedelta(days=6, hours=2))):
            await warranty.publish(payload, station_id=station, occurred_at=SIGNED_AT)
    warnings = [
        "28 repair days: approaching 30",
        "fault engine repaired 4 times: one more repair allows replacement or return",
    ]
    for username in ("warranty.bj01", "warranty.sh01"):
        response = await warranty.client.get(
            f"/vehicles/{vin}/sanbao", headers=auth_headers(username)
        )
        record = response.json()
        # the thresholds are judged on the whole history ...
        assert (record["repair_days"], record["repairs_by_fault"]) == (28, {"engine": 4})
        assert record["warnings"] == warnings, username
        # ... while only the user's own station's repairs are shown
        station = username.split(".")[1]
        assert [r["station_id"] for r in record["repairs"]] == [station, station]
        assert record["repairs_at_other_stations"] == 2
    check = await warranty.client.post(
        "/coverage-checks",
        headers=auth_headers("advisor.sh01"),
        json={"vin": vin, "lines": [{"kind": "labour", "code": "ENG-120"}]},
    )
    assert check.json()["sanbao_warnings"] == warnings
    group = (
        await warranty.client.get(f"/vehicles/{vin}/sanbao", headers=auth_headers("group.manager"))
    ).json()
    assert (len(group["repairs"]), group["repairs_at_other_stations"]) == (4, 0)


async def test_sanbao_record_warns_of_the_rights_a_repair_soon_after_delivery_opens(
    warranty,
) -> None:
    vin = "LFV2A21K7G3000009"
    for _ in range(2):  # delivered 10 days before, 900 km: a brake failure, twice
        brakes = labour(code="BRK-020", hours="1.5", major_system="brakes")
        order = order_created(
            brakes, part(), vin=vin, warranty_start=date(2026, 2, 19), mileage_km=900
        )
        await deliver(warranty, order, completed(order))
    record = await sanbao(warranty, vin)
    assert record["warnings"] == [
        "serious safety fault brakes repaired 2 times: if it is still present, "
        "replacement or return is due",
        "brakes failure 10 days after delivery: the customer may choose free replacement "
        "or return (60-day / 3,000 km rule)",
    ]
    check = await warranty.client.post(
        "/coverage-checks",
        headers=auth_headers("advisor.bj01"),
        json={"vin": vin, "lines": [{"kind": "labour", "code": "BRK-020"}]},
    )
    assert check.json()["sanbao_warnings"] == record["warnings"]


# --- 三包: the same main part / a main assembly replaced twice --------------------------


def crankshaft() -> events.OrderLine:
    return part(code="06H105101K", description="曲轴", unit_price="3200")


SAME_MAIN_PART_TWICE = (
    "engine main part 曲轴 replaced 2 times: the same main part replaced twice for quality "
    "within the 三包 period: the customer may choose replacement or return"
)


async def replace(
    harness: ServiceHarness, *lines: events.OrderLine, station: str = "bj01", **vehicle
):
    order = order_created(*lines, **vehicle)
    for payload in (order, completed(order)):
        await harness.publish(payload, station_id=station, occurred_at=SIGNED_AT)


async def test_the_same_main_part_replaced_twice_for_quality_in_the_sanbao_period_warns(
    warranty,
) -> None:
    vin = "LFV2A21K7G3000001"
    await replace(warranty, labour(), crankshaft(), station="bj01")
    assert (await sanbao(warranty, vin))["warnings"] == []
    # the second replacement at another station of the group still counts
    await replace(warranty, labour(), crankshaft(), station="sh01")
    assert (await sanbao(warranty, vin))["warnings"] == [SAME_MAIN_PART_TWICE]
    check = await warranty.client.post(
        "/coverage-checks",
        headers=auth_headers("advisor.bj01"),
        json={"vin": vin, "lines": [{"kind": "labour", "code": "ENG-120"}]},
    )
    assert check.json()["sanbao_warnings"] == [SAME_MAIN_PART_TWICE]


async def test_two_different_main_parts_replaced_once_each_do_not_warn(warranty) -> None:
    await replace(warranty, labour(), crankshaft())
    await replace(warranty, labour(), part(code="06H109021J", description="凸轮轴"))
    assert (await sanbao(warranty))["warnings"] == []


async def test_wear_parts_and_unlisted_parts_replaced_twice_do_not_warn(warranty) -> None:
    for _ in range(2):
        await replace(warranty, labour(), part())  # 水泵: not a main part
        # brake pads: a wear part (the policy's 1K0698 category) and not a main part
        pads = part(code="1K0698151A", description="前制动片")
        await replace(warranty, labour(code="BRK-020", major_system="brakes"), pads)
        # a shock absorber is not on the suspension list
        shock = part(code="5Q0413031", description="前减振器")
        await replace(warranty, labour(code="SUS-010", major_system="suspension"), shock)
    record = await sanbao(warranty)
    assert record["repairs_by_fault"] == {"engine": 2, "brakes": 2, "suspension": 2}
    assert not [w for w in record["warnings"] if "replaced" in w], record["warnings"]


async def test_a_customer_supplied_main_part_is_no_quality_replacement(warranty) -> None:
    for _ in range(2):
        await replace(
            warranty, labour(), crankshaft().model_copy(update={"customer_supplied": True})
        )
    assert (await sanbao(warranty))["warnings"] == []


async def test_main_part_replacements_outside_the_sanbao_period_do_not_warn(warranty) -> None:
    await replace(warranty, labour(), crankshaft(), mileage_km=48_000)
    # past 50,000 km: repair warranty still pays, but the 三包 rule no longer counts
    await replace(warranty, labour(), crankshaft(), mileage_km=52_000)
    assert (await sanbao(warranty))["warnings"] == []


async def test_an_engine_assembly_replaced_twice_for_quality_in_the_sanbao_period_warns(
    warranty,
) -> None:
    for _ in range(2):
        await replace(warranty, labour(), part(code="06H100033", description="发动机总成"))
    assert (await sanbao(warranty))["warnings"] == [
        "engine replaced 2 times for quality within the 三包 period: if it still does not "
        "work, the customer may choose replacement or return"
    ]


# --- quality reports --------------------------------------------------------------------


async def test_same_causal_part_failing_on_several_vehicles_of_a_model_is_flagged(
    warranty,
) -> None:
    for vin in ("LFV2A21K7G3000001", "LFV2A21K9G3000002", "LFV3B28R7K1000007"):
        await drafted_claim(warranty, order_created(vin=vin))
    await drafted_claim(warranty, order_created(vin="LFV3B28R7K1000008", model="Magotan"))

    report = await warranty.client.get(
        "/quality-reports?window_days=30&min_vehicles=3", headers=auth_headers("manager.bj01")
    )
    assert report.status_code == 200, report.text
    [problem] = report.json()["data"]
    assert (problem["model"], problem["part_no"], problem["vehicles"]) == (
        "Sagitar",
        "06H121026DD",
        3,
    )
    other = await warranty.client.get("/quality-reports", headers=auth_headers("manager.sh01"))
    assert other.json()["data"] == []
    advisor = await warranty.client.get("/quality-reports", headers=auth_headers("advisor.bj01"))
    assert advisor.status_code == 403
    bad = await warranty.client.get("/quality-reports?min_vehicles=1", headers=ADMIN)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "min_vehicles"]


async def test_a_brake_or_steering_repair_is_reported_as_a_serious_problem_at_once(
    warranty, driven
) -> None:
    brakes = labour(code="BRK-020", hours="1.5", major_system="brakes")
    braking = await drafted_claim(warranty, order_created(brakes, part(code="1K0615301AA")))
    await drafted_claim(warranty, order_created(vin="LFV2A21K9G3000002"))  # engine: not serious

    report = await warranty.client.get("/quality-reports", headers=auth_headers("manager.bj01"))
    assert report.status_code == 200, report.text
    [serious] = report.json()["serious"]
    assert (serious["claim_no"], serious["system"], serious["causal_part"]) == (
        braking["claim_no"],
        "brakes",
        "1K0615301AA",
    )
    assert report.json()["data"] == []  # one vehicle is no batch, but is reported at once
    other = await warranty.client.get("/quality-reports", headers=auth_headers("manager.sh01"))
    assert other.json()["serious"] == []
    driven.advance(timedelta(days=31))
    later = await warranty.client.get(
        "/quality-reports?window_days=30", headers=auth_headers("manager.bj01")
    )
    assert later.json()["serious"] == []


# --- KPIs -------------------------------------------------------------------------------


async def test_kpis_per_station_and_for_the_group(warranty, driven, simulator) -> None:
    paid = await completed_claim(warranty, vin="LFV2A21K7G3000001")
    rejected = await completed_claim(warranty, vin="LFV2A21K9G3000002")
    await drafted_claim(warranty, order_created(vin="LFV3B28R7K1000007"))  # drafts not counted
    simulator.plan(rejected["claim_no"], Plan(Behaviour.REJECT))
    await submit(warranty, paid)
    await submit(warranty, rejected)
    await run_due(warranty)
    driven.advance(timedelta(days=1))
    await run_due(warranty)

    station = await warranty.client.get("/kpis", headers=auth_headers("manager.bj01"))
    assert station.status_code == 200, station.text
    body = station.json()
    assert body["group"] is None
    [bj01] = [s for s in body["stations"] if s["scope"] == "bj01"]
    assert (bj01["submitted"], bj01["approved"], bj01["rejected"], bj01["paid"]) == (2, 1, 1, 1)
    assert bj01["rejected_by_reason"] == {"excessive_labour_hours": 1}
    assert Decimal(bj01["claimed_amount"]) == Decimal("2400.00")
    assert Decimal(bj01["paid_amount"]) == Decimal("1200.00")
    assert Decimal(bj01["average_days_to_payment"]) == Decimal("1.0")
    assert Decimal(bj01["rejection_rate"]) == Decimal("0.5")

    group = (await warranty.client.get("/kpis", headers=auth_headers("group.manager"))).json()
    assert group["group"]["submitted"] == 2
    assert [s["scope"] for s in group["stations"]] == ["bj01"]  # stations with claims
    later = await warranty.client.get(
        "/kpis?from=2026-03-04", headers=auth_headers("group.manager")
    )
    assert later.json()["group"]["submitted"] == 0
    sh01 = (await warranty.client.get("/kpis", headers=auth_headers("manager.sh01"))).json()
    assert sh01["stations"] == [{**sh01["stations"][0], "scope": "sh01", "submitted": 0}]
    assert (
        await warranty.client.get("/kpis", headers=auth_headers("tech.bj01"))
    ).status_code == 403


async def test_kpis_count_charge_backs_and_the_amount_taken_back(warranty, driven) -> None:
    kept = await paid_claim(warranty, driven, vin="LFV2A21K7G3000001")
    taken = await paid_claim(warranty, driven, vin="LFV2A21K9G3000002")
    assert kept["status"] == "paid"
    response = await warranty.client.post(
        f"/claims/{taken['id']}/charge-back",
        headers=ADMIN,
        json={
            "version": taken["version"],
            "amount": "300.00",
            "reason_code": "part_not_returned_in_time",
            "reason": "旧件逾期未返",
        },
    )
    assert response.status_code == 200, response.text
    body = (await warranty.client.get("/kpis", headers=auth_headers("manager.bj01"))).json()
    [bj01] = body["stations"]
    assert (bj01["paid"], bj01["charged_back"]) == (2, 1)
    assert Decimal(bj01["paid_amount"]) == Decimal("2400.00")
    assert Decimal(bj01["charged_back_amount"]) == Decimal("300.00")


async def test_kpis_refuse_a_bad_date_naming_the_parameter(warranty) -> None:
    response = await warranty.client.get("/kpis?from=not-a-date", headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "from"]
