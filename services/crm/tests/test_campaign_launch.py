"""Campaigns and recalls (召回 / 服务活动): launching one (or adding VINs) publishes
campaign.launched for reception's check-in desk; owners are reminded (reminder.due kind
campaign); a vehicle's campaign is done when an order for it carries the campaign's code."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from services.crm.tests.helpers import emitted, manual_clock, run_due
from services.crm.tests.test_customer_files import VIN, order_created
from services.crm.tests.test_followups import AGENT, NEXT_DAY
from shared.contracts import events
from shared.testing import auth_headers

MANAGER = auth_headers("manager.bj01")
OTHER_VIN = "LSGZJ5350HS100001"
CODE = "RC-2026-014"


async def launch(crm, **overrides: object) -> dict:
    body: dict[str, object] = {
        "code": CODE,
        "title": "前排安全气囊固定螺栓检查",
        "is_recall": True,
        "vins": [VIN],
    }
    body.update(overrides)
    response = await crm.client.post("/campaigns", json=body, headers=MANAGER)
    assert response.status_code == 201, response.text
    return response.json()


def campaign_line(code: str) -> events.OrderLine:
    return events.OrderLine(
        line_id=uuid.uuid4(),
        kind=events.LineKind.LABOUR,
        code=code,
        description="召回：检查气囊固定螺栓",
        hours=Decimal("0.5"),
        unit_price=Decimal("0"),
        pay_type=events.PayType.WARRANTY,
    )


async def test_launching_a_campaign_publishes_campaign_launched_with_kind_and_vins(crm) -> None:
    with manual_clock(NEXT_DAY):
        recall = await launch(crm, vins=[VIN.lower(), OTHER_VIN])
        service = await launch(crm, code="SC-2026-003", title="冬季免费检测", is_recall=False)
        launched = await emitted(crm, "campaign.launched")
    assert [(e["campaign_id"], e["code"], e["kind"], e["vins"]) for e in launched] == [
        (recall["id"], CODE, "recall", [VIN, OTHER_VIN]),
        (service["id"], "SC-2026-003", "campaign", [VIN]),
    ]
    assert launched[0]["title"] == "前排安全气囊固定螺栓检查"


async def test_adding_vins_publishes_only_the_new_ones(crm) -> None:
    with manual_clock(NEXT_DAY):
        campaign = await launch(crm)
        added = await crm.client.post(
            f"/campaigns/{campaign['id']}/vehicles",
            json={"vins": [VIN, OTHER_VIN]},
            headers=MANAGER,
        )
        assert added.status_code == 200, added.text
        assert (added.json()["vehicles"], added.json()["open_vehicles"]) == (2, 2)
        launched = await emitted(crm, "campaign.launched")
        assert [e["vins"] for e in launched] == [[VIN], [OTHER_VIN]]
        again = await crm.client.post(
            f"/campaigns/{campaign['id']}/vehicles", json={"vins": [OTHER_VIN]}, headers=MANAGER
        )
        assert again.status_code == 200
        assert len(await emitted(crm, "campaign.launched")) == 2  # nothing new, nothing sent

        bad = await crm.client.post(
            f"/campaigns/{campaign['id']}/vehicles", json={"vins": ["123"]}, headers=MANAGER
        )
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "vins"
        unknown = await crm.client.post(
            f"/campaigns/{uuid.uuid4()}/vehicles", json={"vins": [VIN]}, headers=MANAGER
        )
        assert unknown.status_code == 404
        agent = await crm.client.post(
            f"/campaigns/{campaign['id']}/vehicles", json={"vins": [VIN]}, headers=AGENT
        )
        assert agent.status_code == 403


async def test_an_order_line_with_the_campaign_code_completes_the_vehicles_campaign(crm) -> None:
    with manual_clock(NEXT_DAY):
        campaign = await launch(crm, vins=[VIN, OTHER_VIN])
        await crm.publish(order_created())  # an ordinary repair: the recall stays open
        desk = await crm.client.get(f"/vehicles/{VIN}/open-campaigns", headers=AGENT)
        assert [c["code"] for c in desk.json()["data"]] == [CODE]

        other_car = order_created(lines=[campaign_line(CODE)])
        other_car = other_car.model_copy(
            update={"vehicle": other_car.vehicle.model_copy(update={"vin": OTHER_VIN})}
        )
        await crm.publish(other_car)  # the code on another VIN's order does not count for VIN
        desk = await crm.client.get(f"/vehicles/{VIN}/open-campaigns", headers=AGENT)
        assert [c["code"] for c in desk.json()["data"]] == [CODE]

        work = order_created(lines=[campaign_line(CODE)])
        await crm.publish(work)
        desk = await crm.client.get(f"/vehicles/{VIN}/open-campaigns", headers=AGENT)
        assert desk.json()["data"] == []
        listed = (await crm.client.get("/campaigns", headers=AGENT)).json()["data"]
        assert [(c["id"], c["open_vehicles"]) for c in listed] == [(campaign["id"], 0)]


async def test_owner_of_a_campaign_vehicle_is_reminded_once_unless_the_work_is_done(crm) -> None:
    with manual_clock(NEXT_DAY) as now:
        await crm.publish(order_created())
        await launch(crm)
        await launch(crm, code="SC-2026-003", title="冬季免费检测", is_recall=False)
        await crm.publish(order_created(lines=[campaign_line("SC-2026-003")]))  # done first
        now.advance(timedelta(minutes=5))
        await run_due(crm)
        await run_due(crm)
        reminders = await emitted(crm, "reminder.due")
        assert [(r["vin"], r["kind"], r["reason"]) for r in reminders] == [
            (VIN, "campaign", f"recall {CODE}: 前排安全气囊固定螺栓检查")
        ]
