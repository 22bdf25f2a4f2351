"""三包 fault classes (the 60-day / 3,000 km and serious-safety rules) and the warnings
warranty announces to reception (``sanbao.threshold_approached``), once per (VIN, rule,
fault, reached)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from services.warranty import domain
from services.warranty.tests.test_claims import (
    ADMIN,
    SIGNED_AT,
    completed,
    deliver,
    labour,
    order_created,
    outbox,
    part,
)
from shared.contracts import events
from shared.testing import ServiceHarness, auth_headers

VIN = "LFV2A21K7G3000042"
#: delivered (invoiced) 28 days before the repair order is signed
RECENT = date(2026, 2, 1)


async def warnings_sent(harness: ServiceHarness) -> list[events.SanbaoThresholdApproached]:
    found = []
    for envelope in await outbox(harness):
        if envelope.type == "sanbao.threshold_approached":
            payload = envelope.open()
            assert isinstance(payload, events.SanbaoThresholdApproached)
            found.append(payload)
    return found


def states(sent: list[events.SanbaoThresholdApproached]) -> list[tuple[str, str | None, bool]]:
    return [(w.rule.value, w.fault, w.reached) for w in sent]


async def record(harness: ServiceHarness, vin: str = VIN) -> Any:
    response = await harness.client.get(f"/vehicles/{vin}/sanbao", headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


async def warranty_order(harness: ServiceHarness, order_id: Any) -> Any:
    response = await harness.client.get(f"/orders/{order_id}", headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


def repair(description: str, *, system: str | None = None, **vehicle: Any) -> Any:
    """A warranty repair order whose labour line says what failed."""
    line = labour(code="GEN-100", description=description, major_system=system)
    return order_created(
        line,
        part(description="燃油管", code="1K0201"),
        vin=vehicle.pop("vin", VIN),
        warranty_start=vehicle.pop("warranty_start", RECENT),
        mileage_km=vehicle.pop("mileage_km", 1_500),
    )


# --- fault classes ----------------------------------------------------------------------


def test_pre_check_classifies_only_unambiguous_wordings_of_a_fault() -> None:
    assert domain.pre_check_fault_class("燃油泄漏检修") == domain.FaultClass.FUEL_LEAK
    assert domain.pre_check_fault_class("Brake failure on motorway") == "brake_failure"
    assert domain.pre_check_fault_class("动力电池起火后更换") == "battery_fire"
    assert domain.pre_check_fault_class("车身开裂焊接") == "body_cracking"
    assert domain.pre_check_fault_class("转向失灵") == "steering_failure"
    assert domain.pre_check_fault_class("更换刹车片") is None  # a brake job is no failure
    assert domain.pre_check_fault_class("燃油泄漏 and brake failure") is None  # two: ask


async def test_pre_check_marks_a_fuel_leak_on_the_line_with_its_source(warranty) -> None:
    order = repair("燃油泄漏检修")
    await deliver(warranty, order)
    [line, spare] = (await warranty_order(warranty, order.order_id))["lines"]
    assert (line["fault_class"], line["fault_class_source"]) == ("fuel_leak", "pre_check")
    assert line["fault_classified_by"] == "pre-check"
    assert spare["fault_class"] is None  # "燃油管" names a part, not a fault


async def test_60_day_rule_a_fuel_leak_within_60_days_and_3000_km_allows_free_replacement_or_return(
    warranty,
) -> None:
    order = repair("燃油泄漏检修", mileage_km=1_500)
    await deliver(warranty, order, completed(order))
    sent = await warnings_sent(warranty)
    assert ("sixty_day_serious_fault", "fuel_leak", True) in states(sent)
    [sixty] = [w for w in sent if w.rule == events.SanbaoRule.SIXTY_DAY_SERIOUS_FAULT]
    assert (sixty.count, sixty.threshold, sixty.remedy, sixty.order_id) == (
        1,
        1,
        "free replacement or return",
        order.order_id,
    )
    warnings = (await record(warranty))["warnings"]
    assert any("fuel_leak within 60 days / 3,000 km" in w for w in warnings)


async def test_60_day_rule_does_not_apply_after_60_days_or_over_3000_km(warranty) -> None:
    late = repair("燃油泄漏检修", vin="LFV2A21K7G3000043", warranty_start=date(2025, 12, 30))
    far = repair("燃油泄漏检修", vin="LFV2A21K7G3000044", mileage_km=3_001)
    await deliver(warranty, late, completed(late), far, completed(far))
    sent = await warnings_sent(warranty)
    assert not [w for w in sent if w.rule == events.SanbaoRule.SIXTY_DAY_SERIOUS_FAULT]
    # still a serious safety fault repaired once: one step short of the twice rule
    assert sorted(states(sent)) == [
        ("serious_safety_fault_twice", "fuel_leak", False),
        ("serious_safety_fault_twice", "fuel_leak", False),
    ]


async def test_60_day_rule_body_cracking_counts_once_the_administrator_classifies_it(
    warranty,
) -> None:
    order = repair("车身钣金修复", system="body")
    await deliver(warranty, order)
    [line, _] = (await warranty_order(warranty, order.order_id))["lines"]
    assert line["fault_class"] is None  # the wording says nothing certain
    assert await warnings_sent(warranty) == []

    url = f"/orders/{order.order_id}/lines/{line['line_id']}/fault-classification"
    classified = await warranty.client.post(
        url, headers=ADMIN, json={"fault_class": "body_cracking", "note": "A柱下方开裂, 照片3张"}
    )
    assert classified.status_code == 200, classified.text
    [line, _] = classified.json()["lines"]
    assert (line["fault_class"], line["fault_class_source"], line["fault_classified_by"]) == (
        "body_cracking",
        "administrator",
        "warranty.bj01",
    )
    assert line["fault_classified_at"] is not None
    assert line["fault_class_note"] == "A柱下方开裂, 照片3张"
    assert sorted(states(await warnings_sent(warranty))) == [
        ("serious_safety_fault_twice", "body_cracking", False),
        ("sixty_day_serious_fault", "body_cracking", True),
    ]
    # classified again the same: nothing new to announce
    again = await warranty.client.post(url, headers=ADMIN, json={"fault_class": "body_cracking"})
    assert again.status_code == 200
    assert len(await warnings_sent(warranty)) == 2


async def test_an_unclassified_brake_repair_within_60_days_asks_for_the_class_then_reaches(
    warranty,
) -> None:
    order = repair("制动系统检修", system="brakes")
    await deliver(warranty, order)
    assert ("sixty_day_serious_fault", "brakes", False) in states(await warnings_sent(warranty))
    [line, _] = (await warranty_order(warranty, order.order_id))["lines"]
    url = f"/orders/{order.order_id}/lines/{line['line_id']}/fault-classification"
    response = await warranty.client.post(url, headers=ADMIN, json={"fault_class": "brake_failure"})
    assert response.status_code == 200, response.text
    assert ("sixty_day_serious_fault", "brake_failure", True) in states(
        await warnings_sent(warranty)
    )


async def test_fault_classification_is_validated_roled_and_station_scoped(warranty) -> None:
    order = repair("车身钣金修复")
    other = repair("车身钣金修复", vin="LFV2A21K7G3000045")
    await deliver(warranty, order, other)
    [line, _] = (await warranty_order(warranty, order.order_id))["lines"]
    url = f"/orders/{order.order_id}/lines/{line['line_id']}/fault-classification"
    unknown = await warranty.client.post(url, headers=ADMIN, json={"fault_class": "rattle"})
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "fault_class"]
    empty_note = await warranty.client.post(
        url, headers=ADMIN, json={"fault_class": "fuel_leak", "note": ""}
    )
    assert empty_note.status_code == 422
    assert empty_note.json()["detail"][0]["loc"] == ["body", "note"]
    body = {"fault_class": "fuel_leak"}
    advisor = await warranty.client.post(url, headers=auth_headers("advisor.bj01"), json=body)
    assert advisor.status_code == 403
    elsewhere = await warranty.client.post(url, headers=auth_headers("warranty.sh01"), json=body)
    assert elsewhere.status_code == 404
    wrong_order = f"/orders/{other.order_id}/lines/{line['line_id']}/fault-classification"
    assert (await warranty.client.post(wrong_order, headers=ADMIN, json=body)).status_code == 404


async def test_serious_safety_rule_a_battery_fire_repaired_twice_allows_replacement_or_return(
    warranty,
) -> None:
    for _ in range(2):  # beyond the 60 days: only the twice rule
        order = repair("动力电池起火检修", warranty_start=date(2025, 6, 1), mileage_km=20_000)
        await deliver(warranty, order, completed(order))
    sent = await warnings_sent(warranty)
    assert states(sent) == [
        ("serious_safety_fault_twice", "battery_fire", False),  # the first repair warns
        ("serious_safety_fault_twice", "battery_fire", True),
    ]
    assert (sent[1].count, sent[1].threshold) == (2, 2)
    warnings = (await record(warranty))["warnings"]
    assert any("serious safety fault battery_fire repaired 2 times" in w for w in warnings)


async def test_seven_day_rule_a_gearbox_failure_within_7_days_allows_replacement_or_return(
    warranty,
) -> None:
    order = repair("变速器异响", system="gearbox", warranty_start=date(2026, 2, 25))
    await deliver(warranty, order)
    assert states(await warnings_sent(warranty)) == [("seven_day_major_part", "gearbox", False)]
    [line, _] = (await warranty_order(warranty, order.order_id))["lines"]
    url = f"/orders/{order.order_id}/lines/{line['line_id']}/fault-classification"
    response = await warranty.client.post(
        url, headers=ADMIN, json={"fault_class": "gearbox_failure"}
    )
    assert response.status_code == 200, response.text
    assert states(await warnings_sent(warranty))[-1] == ("seven_day_major_part", "gearbox", True)


# --- warnings announced once (sanbao.threshold_approached) --------------------------------


async def test_the_4th_repair_of_the_same_fault_warns_and_the_5th_reaches_each_once(
    warranty,
) -> None:
    orders = [
        order_created(vin=VIN, warranty_start=date(2025, 1, 10), mileage_km=20_000)
        for _ in range(5)
    ]
    for order in orders[:3]:
        await deliver(warranty, order, completed(order))
    assert await warnings_sent(warranty) == []
    await deliver(warranty, orders[3], completed(orders[3]))
    [fourth] = await warnings_sent(warranty)
    assert (fourth.rule, fourth.fault, fourth.reached, fourth.count, fourth.threshold) == (
        events.SanbaoRule.SAME_FAULT_OVER_4,
        "engine",
        False,
        4,
        5,
    )
    assert fourth.vin == VIN
    await deliver(warranty, orders[4], completed(orders[4]))
    assert states(await warnings_sent(warranty)) == [
        ("same_fault_over_4", "engine", False),
        ("same_fault_over_4", "engine", True),
    ]
    # every event delivered again (redelivery, or a replay of the log): nothing new
    for order in orders:
        await deliver(warranty, order, completed(order))
    assert len(await warnings_sent(warranty)) == 2


async def test_repair_days_from_25_of_30_warn_and_over_30_reach(warranty) -> None:
    first = order_created(vin=VIN, warranty_start=date(2025, 1, 10), mileage_km=20_000)
    await deliver(warranty, first, completed(first, at=SIGNED_AT + timedelta(days=25)))
    sent = states(await warnings_sent(warranty))
    assert ("repair_days_over_30", None, False) in sent
    assert ("single_repair_over_5_days", first.order_no, True) in sent  # courtesy car
    second = order_created(
        labour(code="GBX-210", major_system="gearbox"),
        vin=VIN,
        warranty_start=date(2025, 1, 10),
        mileage_km=20_100,
    )
    await deliver(warranty, second, completed(second, at=SIGNED_AT + timedelta(days=6)))
    days = [w for w in await warnings_sent(warranty) if w.rule == "repair_days_over_30"]
    assert [(w.reached, w.count, w.threshold) for w in days] == [(False, 25, 31), (True, 31, 31)]


async def test_a_repair_in_its_5th_day_warns_of_the_courtesy_car(warranty, driven) -> None:
    order = order_created(vin=VIN, warranty_start=date(2025, 1, 10), mileage_km=20_000)
    await deliver(warranty, order)
    assert warranty.runtime.scheduler is not None
    driven.set(SIGNED_AT + timedelta(days=5))  # the check: in its 5th day, still in
    await warranty.runtime.scheduler.run_due()
    sent = await warnings_sent(warranty)
    assert states(sent) == [("single_repair_over_5_days", order.order_no, False)]
    assert (sent[0].count, sent[0].threshold, sent[0].remedy) == (
        5,
        6,
        "courtesy car or transport allowance",
    )


async def test_first_replacement_of_a_main_part_warns_and_the_second_reaches(warranty) -> None:
    def crankshaft() -> Any:
        return order_created(
            labour(code="ENG-300", description="更换曲轴"),
            part(code="06H105021", description="曲轴", major_system="engine"),
            vin=VIN,
            warranty_start=date(2025, 1, 10),
            mileage_km=20_000,
        )

    first = crankshaft()
    await deliver(warranty, first, completed(first))
    assert states(await warnings_sent(warranty)) == [
        ("main_part_replaced_twice", "engine:曲轴", False)
    ]
    second = crankshaft()
    await deliver(warranty, second, completed(second))
    assert states(await warnings_sent(warranty))[-1] == (
        "main_part_replaced_twice",
        "engine:曲轴",
        True,
    )


async def test_first_replacement_of_an_engine_assembly_warns(warranty) -> None:
    order = order_created(
        labour(code="ENG-900", description="更换发动机"),
        part(code="06H100033", description="发动机总成"),
        vin=VIN,
        warranty_start=date(2025, 1, 10),
        mileage_km=20_000,
    )
    await deliver(warranty, order, completed(order))
    assert ("major_assembly_replaced_twice", "engine", False) in states(
        await warnings_sent(warranty)
    )


async def test_warranty_administrator_sees_the_warnings_of_the_stations_it_serves(
    warranty,
) -> None:
    orders = [
        order_created(vin=VIN, warranty_start=date(2025, 1, 10), mileage_km=20_000)
        for _ in range(4)
    ]
    for order in orders:
        await deliver(warranty, order, completed(order))
    listed = await warranty.client.get("/sanbao-warnings", headers=ADMIN, params={"vin": VIN})
    assert listed.status_code == 200, listed.text
    [warning] = listed.json()["data"]
    assert (warning["rule"], warning["reached"], warning["station_id"]) == (
        "same_fault_over_4",
        False,
        "bj01",
    )
    reached = await warranty.client.get("/sanbao-warnings", headers=ADMIN, params={"reached": True})
    assert reached.json()["count"] == 0
    other = await warranty.client.get("/sanbao-warnings", headers=auth_headers("warranty.sh01"))
    assert other.json()["count"] == 0
    bad = await warranty.client.get("/sanbao-warnings", headers=ADMIN, params={"vin": "X"})
    assert bad.status_code == 422
    signals = (await record(warranty))["signals"]
    assert [(s["rule"], s["reached"]) for s in signals] == [("same_fault_over_4", False)]


def test_sanbao_signals_count_against_the_thresholds() -> None:
    def facts(n: int, **kw: Any) -> domain.SanbaoFacts:
        values: dict[str, Any] = {
            "order_id": f"o{n}",
            "order_no": f"RO-{n}",
            "fault": "engine",
            "days": 1,
            "open": False,
            "started_on": date(2026, 3, n),
        }
        return domain.SanbaoFacts(**{**values, **kw})

    assert domain.sanbao_signals([facts(1), facts(2), facts(3)]) == []
    [four] = domain.sanbao_signals([facts(i) for i in range(1, 5)])
    assert (four.rule, four.count, four.threshold, four.reached) == (
        events.SanbaoRule.SAME_FAULT_OVER_4,
        4,
        5,
        False,
    )
    [days] = domain.sanbao_signals([facts(i, days=5, fault=f"f{i}") for i in range(1, 6)])
    assert (days.rule, days.count, days.reached) == ("repair_days_over_30", 25, False)
    fire = domain.sanbao_signals(
        [facts(1, classes=frozenset({"battery_fire"}), delivered_on=date(2026, 2, 1))]
    )
    assert {(s.rule, s.reached) for s in fire} == {
        ("sixty_day_serious_fault", True),
        ("serious_safety_fault_twice", False),
    }


async def test_a_classified_fuel_leak_shows_on_the_claim_line_and_is_reported_at_once(
    warranty,
) -> None:
    order = repair("燃油泄漏检修", warranty_start=date(2025, 6, 1), mileage_km=20_000)
    await deliver(warranty, order, completed(order))
    claims = await warranty.client.get("/claims", headers=ADMIN)
    [listed] = claims.json()["data"]
    claim = (await warranty.client.get(f"/claims/{listed['id']}", headers=ADMIN)).json()
    assert [line["fault_class"] for line in claim["lines"]] == ["fuel_leak", None]
    report = await warranty.client.get("/quality-reports", headers=ADMIN)
    [serious] = report.json()["serious"]
    assert (serious["claim_no"], serious["system"]) == (claim["claim_no"], "fuel_leak")
