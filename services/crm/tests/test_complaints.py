"""§9 complaints: any channel, promised answer time, escalation when serious or overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.crm.tests.helpers import emitted, manual_clock, run_due
from services.crm.tests.test_customer_files import CUSTOMER_ID, order_created, vehicle_delivered
from shared.testing import auth_headers

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
AGENT = auth_headers("crm.bj01")


def a_complaint(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "customer_id": str(CUSTOMER_ID),
        "channel": "phone",
        "category": "waiting time",
        "severity": "minor",
        "summary": "车辆比承诺时间晚两小时交付",
    }
    body.update(overrides)
    return body


async def test_complaint_from_any_channel_is_linked_to_order_and_advisor_and_published(
    crm,
) -> None:
    with manual_clock(NOW):
        order = order_created()
        await crm.publish(order)
        for channel in ("phone", "desk", "manufacturer"):
            response = await crm.client.post(
                "/complaints",
                json=a_complaint(channel=channel, order_id=str(order.order_id)),
                headers=AGENT,
            )
            assert response.status_code == 201, response.text
        body = response.json()
        assert (body["advisor_id"], body["station_id"], body["owner_id"]) == (
            "advisor.bj01",
            "bj01",
            "crm.bj01",
        )
        assert body["promised_answer_by"] == "2026-11-25T02:00:00Z"  # minor: within 48 h
        assert body["escalated_at"] is None
        opened = await emitted(crm, "complaint.opened")
        assert [o["channel"] for o in opened] == ["phone", "desk", "manufacturer"]
        assert {o["order_id"] for o in opened} == {str(order.order_id)}
        await crm.client.post("/complaints", json=a_complaint(), headers=AGENT)  # no order
        file = (await crm.client.get(f"/customers/{CUSTOMER_ID}", headers=AGENT)).json()
        assert len(file["complaints"]) == 4  # the customer file holds every complaint
        assert len(file["visits"][0]["complaints"]) == 3  # and the visit its own


async def test_serious_complaint_is_escalated_to_the_manager_at_once(crm) -> None:
    with manual_clock(NOW):
        await crm.publish(order_created())
        response = await crm.client.post(
            "/complaints",
            json=a_complaint(severity="serious", manufacturer_involved=True),
            headers=AGENT,
        )
        body = response.json()
        assert body["escalated_at"] == "2026-11-23T02:00:00Z"
        assert body["escalation_reason"] == "serious complaint (manufacturer involved)"
        assert body["promised_answer_by"] == "2026-11-24T02:00:00Z"  # serious: within 24 h
        escalated = await crm.client.get(
            "/complaints", params={"escalated": "true"}, headers=auth_headers("manager.bj01")
        )
        assert [c["id"] for c in escalated.json()["data"]] == [body["id"]]


async def test_complaint_not_answered_by_the_promised_time_is_escalated(crm) -> None:
    with manual_clock(NOW) as now:
        await crm.publish(order_created())
        promised = NOW + timedelta(hours=4)
        response = await crm.client.post(
            "/complaints",
            json=a_complaint(promised_answer_by=promised.isoformat()),
            headers=AGENT,
        )
        complaint_id = response.json()["id"]
        now.advance(timedelta(hours=4) - timedelta(seconds=1))
        await run_due(crm)
        before = await crm.client.get(f"/complaints/{complaint_id}", headers=AGENT)
        assert before.json()["escalated_at"] is None
        now.advance(timedelta(seconds=1))
        await run_due(crm)
        after = await crm.client.get(f"/complaints/{complaint_id}", headers=AGENT)
        assert after.json()["escalation_reason"] == "answer overdue"


async def test_answer_and_whether_the_customer_accepted_it_are_recorded_once(crm) -> None:
    with manual_clock(NOW) as now:
        await crm.publish(order_created())
        first = (await crm.client.post("/complaints", json=a_complaint(), headers=AGENT)).json()
        answered = await crm.client.post(
            f"/complaints/{first['id']}/answer",
            json={"answer": "道歉并赠送一次免费洗车", "customer_accepted": True},
            headers=AGENT,
        )
        assert answered.status_code == 200, answered.text
        assert (answered.json()["status"], answered.json()["customer_accepted"]) == (
            "answered",
            True,
        )
        twice = await crm.client.post(
            f"/complaints/{first['id']}/answer",
            json={"answer": "x", "customer_accepted": False},
            headers=AGENT,
        )
        assert twice.status_code == 409
        now.advance(timedelta(days=3))
        await run_due(crm)  # the overdue check finds the complaint answered
        again = await crm.client.get(f"/complaints/{first['id']}", headers=AGENT)
        assert again.json()["escalated_at"] is None

        second = (await crm.client.post("/complaints", json=a_complaint(), headers=AGENT)).json()
        refused = await crm.client.post(
            f"/complaints/{second['id']}/answer",
            json={"answer": "按规定不能补偿", "customer_accepted": False},
            headers=AGENT,
        )
        assert refused.json()["escalation_reason"] == "the customer did not accept the answer"


async def test_complaint_bad_input_names_the_field_and_other_stations_see_nothing(crm) -> None:
    with manual_clock(NOW):
        order = order_created()
        await crm.publish(order)
        await crm.publish(vehicle_delivered(order.order_id, NOW))
        bad_channel = await crm.client.post(
            "/complaints", json=a_complaint(channel="pigeon"), headers=AGENT
        )
        assert bad_channel.status_code == 422
        assert bad_channel.json()["detail"][0]["loc"][-1] == "channel"
        past = await crm.client.post(
            "/complaints",
            json=a_complaint(promised_answer_by=(NOW - timedelta(hours=1)).isoformat()),
            headers=AGENT,
        )
        assert past.status_code == 422
        assert past.json()["detail"][0]["loc"][-1] == "promised_answer_by"
        other = await crm.client.post(
            "/complaints", json=a_complaint(), headers=auth_headers("crm.sh01")
        )
        assert other.status_code == 404
        assert other.json()["detail"][0]["loc"][-1] == "customer_id"
        mine = (await crm.client.post("/complaints", json=a_complaint(), headers=AGENT)).json()
        hidden = await crm.client.get(f"/complaints/{mine['id']}", headers=auth_headers("crm.sh01"))
        assert hidden.status_code == 404
        advisor = await crm.client.post(
            "/complaints", json=a_complaint(), headers=auth_headers("advisor.bj01")
        )
        assert advisor.status_code == 403
        assert len(await emitted(crm, "complaint.opened")) == 1  # nothing half-written


async def test_reading_and_answering_a_complaint_is_audited(crm) -> None:
    with manual_clock(NOW):
        await crm.publish(order_created())
        created = (await crm.client.post("/complaints", json=a_complaint(), headers=AGENT)).json()
        await crm.client.get(f"/complaints/{created['id']}", headers=AGENT)
        await crm.client.get("/complaints", headers=auth_headers("manager.bj01"))
        await crm.client.post(
            f"/complaints/{created['id']}/answer",
            json={"answer": "已处理", "customer_accepted": True},
            headers=AGENT,
        )
        log = await crm.client.get(
            "/audit", params={"entity_id": created["id"]}, headers=auth_headers("manager.bj01")
        )
    assert sorted((e["user_id"], e["action"]) for e in log.json()["data"]) == [
        ("crm.bj01", "change"),
        ("crm.bj01", "read"),
        ("manager.bj01", "read"),
    ]


async def test_complaint_answered_at_once_is_closed_and_never_escalated(crm) -> None:
    with manual_clock(NOW) as now:
        await crm.publish(order_created())
        logged = (await crm.client.post("/complaints", json=a_complaint(), headers=AGENT)).json()
        answered = await crm.client.post(
            f"/complaints/{logged['id']}/answer",
            json={"answer": "当场解释并致歉，客户接受", "customer_accepted": True},
            headers=AGENT,
        )
        assert answered.json()["answered_at"] == answered.json()["opened_at"]
        now.advance(timedelta(days=30))
        await run_due(crm)
        assert await emitted(crm, "complaint.escalated") == []
        inbox = await crm.client.get("/escalations", headers=auth_headers("manager.bj01"))
        assert inbox.json()["count"] == 0
