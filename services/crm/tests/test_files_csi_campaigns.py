"""§12 customer files (consent, contacts, duplicates, merge, warranty start), §8 CSI,
contact plan and churn, campaigns and recalls."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlmodel import select

from services.crm import domain, service
from services.crm.models import AuditAction, AuditEntry, Customer, Vehicle
from services.crm.tests.helpers import manual_clock, run_due
from services.crm.tests.test_customer_files import (
    CUSTOMER_ID,
    VIN,
    customer_ref,
    order_created,
    vehicle_delivered,
    vehicle_ref,
)
from shared.testing import auth_headers

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
AGENT = auth_headers("crm.bj01")
MANAGER = auth_headers("manager.bj01")
OTHER_ID = uuid.UUID("00000000-0000-4000-8000-000000000002")


# --- customer files ------------------------------------------------------------------------


async def test_phone_is_normalised_to_plus_86_and_email_validated_naming_the_field(crm) -> None:
    await crm.publish(order_created(customer=customer_ref(phone="138 0000 0001")))
    changed = await crm.client.patch(
        f"/customers/{CUSTOMER_ID}",
        json={
            "phone": "010-6552 9988",
            "email": " Zhang.Wei@Example.CN ",
            "kind": "company",
            "preferred_channel": "wechat",
        },
        headers=AGENT,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["phone"], body["email"], body["kind"], body["preferred_channel"]) == (
        "+861065529988",
        "zhang.wei@example.cn",
        "company",
        "wechat",
    )
    for field, value in (("email", "zhang@"), ("phone", "12345"), ("preferred_channel", "fax")):
        bad = await crm.client.patch(
            f"/customers/{CUSTOMER_ID}", json={field: value}, headers=AGENT
        )
        assert bad.status_code == 422, (field, bad.text)
        assert bad.json()["detail"][0]["loc"][-1] == field


async def test_consent_withdrawal_is_recorded_with_its_time(crm) -> None:
    with manual_clock(NOW):
        await crm.publish(order_created())
        response = await crm.client.patch(
            f"/customers/{CUSTOMER_ID}", json={"consent_to_contact": False}, headers=AGENT
        )
    assert response.json()["consent_to_contact"] is False
    async with crm.runtime.db.read() as session:
        customer = await session.get(Customer, CUSTOMER_ID)
    assert customer is not None and customer.consent_changed_at == NOW


async def test_contacts_are_added_to_the_file_and_audited(crm) -> None:
    await crm.publish(order_created())
    added = await crm.client.post(
        f"/customers/{CUSTOMER_ID}/contacts",
        json={"name": "李强", "phone": "+86 139 1234 5678", "role": "车队经理"},
        headers=AGENT,
    )
    assert added.status_code == 201, added.text
    assert [(c["name"], c["phone"]) for c in added.json()["contacts"]] == [
        ("李强", "+8613912345678")
    ]
    bad = await crm.client.post(
        f"/customers/{CUSTOMER_ID}/contacts",
        json={"name": "X", "email": "no-at-sign"},
        headers=AGENT,
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "email"
    async with crm.runtime.db.read() as session:
        actions = [e.action for e in (await session.exec(select(AuditEntry))).all()]
    assert actions == [AuditAction.CHANGE]


async def test_vehicle_file_keeps_warranty_start_mileage_history_and_visit_work(crm) -> None:
    with manual_clock(NOW) as now:
        first = order_created(vehicle=vehicle_ref(mileage_km=30000, warranty_start="2024-03-01"))
        await crm.publish(first)
        await crm.publish(vehicle_delivered(first.order_id, NOW))
        now.advance(timedelta(days=90))
        await crm.publish(order_created(vehicle=vehicle_ref(mileage_km=33600)))
    body = (await crm.client.get(f"/customers/{CUSTOMER_ID}", headers=AGENT)).json()
    (car,) = body["vehicles"]
    assert car["warranty_start"] == "2024-03-01"
    assert [r["km"] for r in car["mileage_history"]] == [30000, 33600]
    delivered = next(v for v in body["visits"] if v["order_id"] == str(first.order_id))
    assert (delivered["work_done"], Decimal(delivered["total"]), delivered["advisor_id"]) == (
        "更换前刹车片",
        Decimal("840"),
        "advisor.bj01",
    )


async def test_duplicate_customers_by_phone_or_vin_are_found_and_merged(crm) -> None:
    await crm.publish(order_created())
    # the same person, typed in again at another desk with a new id and the same VIN
    await crm.publish(
        order_created(customer=customer_ref(customer_id=OTHER_ID, name="张 伟", phone=None))
    )
    found = await crm.client.get("/customers/duplicates", headers=AGENT)
    assert found.status_code == 200, found.text
    assert [g["reason"] for g in found.json()["data"]] == [f"VIN {VIN}"]
    assert {c["id"] for c in found.json()["data"][0]["customers"]} == {
        str(CUSTOMER_ID),
        str(OTHER_ID),
    }
    merged = await crm.client.post(
        f"/customers/{CUSTOMER_ID}/merge", json={"duplicate_id": str(OTHER_ID)}, headers=AGENT
    )
    assert merged.status_code == 200, merged.text
    assert len(merged.json()["visits"]) == 2
    assert [v["vin"] for v in merged.json()["vehicles"]] == [VIN]
    again = await crm.client.post(
        f"/customers/{CUSTOMER_ID}/merge", json={"duplicate_id": str(OTHER_ID)}, headers=AGENT
    )
    assert again.status_code == 409
    assert again.json()["detail"][0]["loc"][-1] == "duplicate_id"
    listed = await crm.client.get("/customers", headers=AGENT)
    assert [c["id"] for c in listed.json()["data"]] == [str(CUSTOMER_ID)]
    gone = await crm.client.get(f"/customers/{OTHER_ID}", headers=AGENT)
    assert gone.json()["merged_into_id"] == str(CUSTOMER_ID)
    assert (await crm.client.get("/customers/duplicates", headers=AGENT)).json()["count"] == 0
    async with crm.runtime.db.read() as session:
        car = await session.get(Vehicle, VIN)
    assert car is not None and car.customer_id == CUSTOMER_ID


async def test_duplicates_by_phone_and_merge_keeps_a_consent_withdrawal(crm) -> None:
    await crm.publish(order_created())
    await crm.publish(
        order_created(
            customer=customer_ref(customer_id=OTHER_ID, phone="+86 138-0000-0001"),
            vehicle=vehicle_ref(vin="LSGZJ5350HS100001"),
        )
    )
    await crm.client.patch(
        f"/customers/{OTHER_ID}", json={"consent_to_contact": False}, headers=AGENT
    )
    found = (await crm.client.get("/customers/duplicates", headers=AGENT)).json()
    assert [g["reason"] for g in found["data"]] == ["phone +8613800000001"]
    merged = await crm.client.post(
        f"/customers/{CUSTOMER_ID}/merge", json={"duplicate_id": str(OTHER_ID)}, headers=AGENT
    )
    assert merged.json()["consent_to_contact"] is False
    other_station = await crm.client.post(
        f"/customers/{CUSTOMER_ID}/merge",
        json={"duplicate_id": str(uuid.uuid4())},
        headers=AGENT,
    )
    assert other_station.status_code == 404


# --- CSI ---------------------------------------------------------------------------------------


async def test_csi_survey_per_delivered_order_and_csi_per_station_advisor_month(crm) -> None:
    with manual_clock(NOW):
        orders = [order_created(), order_created(advisor_id="advisor2.bj01")]
        for order in orders:
            await crm.publish(order)
            await crm.publish(vehicle_delivered(order.order_id, NOW))
        undelivered = order_created()
        await crm.publish(undelivered)
        first = await crm.client.post(
            "/csi-surveys",
            json={
                "order_id": str(orders[0].order_id),
                "scores": {"overall": 9, "advisor": 10},
                "comment": "很好",
            },
            headers=AGENT,
        )
        assert first.status_code == 201, first.text
        await crm.client.post(
            "/csi-surveys",
            json={"order_id": str(orders[1].order_id), "scores": {"overall": 6}},
            headers=AGENT,
        )
        twice = await crm.client.post(
            "/csi-surveys",
            json={"order_id": str(orders[0].order_id), "scores": {"overall": 10}},
            headers=AGENT,
        )
        assert twice.status_code == 409
        for body, field in (
            ({"order_id": str(undelivered.order_id), "scores": {"overall": 8}}, "order_id"),
            ({"order_id": str(orders[0].order_id), "scores": {"overall": 11}}, "scores"),
            ({"order_id": str(orders[0].order_id), "scores": {"mood": 5}}, "scores"),
        ):
            bad = await crm.client.post("/csi-surveys", json=body, headers=AGENT)
            assert bad.status_code in (404, 409, 422), bad.text
            assert bad.json()["detail"][0]["loc"][-1] == field

    by_station = (await crm.client.get("/csi", headers=MANAGER)).json()
    assert by_station["data"] == [{"key": "bj01", "surveys": 2, "csi": "83.3"}]
    by_advisor = (
        await crm.client.get("/csi", params={"group_by": "advisor"}, headers=MANAGER)
    ).json()
    assert [(r["key"], r["csi"]) for r in by_advisor["data"]] == [
        ("advisor.bj01", "95.0"),
        ("advisor2.bj01", "60.0"),
    ]
    by_month = (await crm.client.get("/csi", params={"group_by": "month"}, headers=MANAGER)).json()
    assert [r["key"] for r in by_month["data"]] == ["2026-11"]
    other = (await crm.client.get("/csi", headers=auth_headers("manager.sh01"))).json()
    assert other["data"] == []


# --- contact plan and churn ---------------------------------------------------------------


async def test_contact_plan_lists_who_is_not_yet_contacted_this_month_by_segment(crm) -> None:
    with manual_clock(NOW) as now:
        await crm.publish(order_created())
        await crm.publish(
            order_created(
                customer=customer_ref(
                    customer_id=OTHER_ID, name="顺达物流", phone="13900000009", is_vip=True
                ),
                vehicle=vehicle_ref(vin="LSGZJ5350HS100009"),
            )
        )
        plan = (await crm.client.get("/contact-plan", headers=AGENT)).json()
        assert {(r["name"], r["segment"]) for r in plan["data"]} == {
            ("张伟", "private"),
            ("顺达物流", "vip"),
        }
        complaint = await crm.client.post(
            "/complaints",
            json={
                "customer_id": str(CUSTOMER_ID),
                "channel": "phone",
                "category": "other",
                "severity": "minor",
                "summary": "问询",
            },
            headers=AGENT,
        )
        await crm.client.post(
            f"/complaints/{complaint.json()['id']}/answer",
            json={"answer": "已解答", "customer_accepted": True},
            headers=AGENT,
        )
        plan = (await crm.client.get("/contact-plan", headers=AGENT)).json()
        assert [r["name"] for r in plan["data"]] == ["顺达物流"]
        vip = await crm.client.get("/contact-plan", params={"segment": "private"}, headers=AGENT)
        assert vip.json()["count"] == 0
        now.set(datetime(2026, 12, 1, 0, 0, tzinfo=UTC))  # 08:00 on 1 Dec in Beijing
        plan = (await crm.client.get("/contact-plan", headers=AGENT)).json()
        assert plan["count"] == 2  # a new month: everyone is due a contact again


async def test_churn_rate_per_station_per_quarter_against_the_five_percent_target(crm) -> None:
    with manual_clock(datetime(2025, 11, 10, tzinfo=UTC)) as now:
        for i in range(3):
            await crm.publish(
                order_created(
                    customer=customer_ref(customer_id=uuid.uuid4(), phone=f"1390000000{i}"),
                    vehicle=vehicle_ref(vin=f"LSGZJ5350HS10000{i}"),
                )
            )
        now.set(datetime(2026, 10, 5, tzinfo=UTC))
        await crm.publish(order_created())  # a customer who came back within the year
    report = await crm.client.get("/churn", params={"quarter": "2026Q4"}, headers=MANAGER)
    assert report.status_code == 200, report.text
    (row,) = report.json()["data"]
    assert (row["station_id"], row["customers"], row["lost"]) == ("bj01", 4, 3)
    assert (row["churn_rate"], row["target"], row["on_target"]) == ("0.7500", "0.05", False)
    bad = await crm.client.get("/churn", params={"quarter": "Q4-2026"}, headers=MANAGER)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "quarter"
    agent = await crm.client.get("/churn", params={"quarter": "2026Q4"}, headers=AGENT)
    assert agent.status_code == 403


# --- campaigns and recalls ----------------------------------------------------------------


async def test_campaign_vehicles_are_listed_for_outreach_and_shown_at_check_in(crm) -> None:
    await crm.publish(order_created())
    created = await crm.client.post(
        "/campaigns",
        json={
            "code": "RC-2026-014",
            "title": "前排安全气囊固定螺栓检查",
            "is_recall": True,
            "vins": [VIN.lower(), "LSGZJ5350HS100001"],
        },
        headers=MANAGER,
    )
    assert created.status_code == 201, created.text
    campaign_id = created.json()["id"]
    assert created.json()["vehicles"] == 2
    outreach = (await crm.client.get(f"/campaigns/{campaign_id}/outreach", headers=AGENT)).json()
    assert [(r["vin"], r["customer_name"]) for r in outreach["data"]] == [(VIN, "张伟")]
    other = (
        await crm.client.get(f"/campaigns/{campaign_id}/outreach", headers=auth_headers("crm.sh01"))
    ).json()
    assert other["count"] == 0  # not their customer
    desk = await crm.client.get(
        f"/vehicles/{VIN}/open-campaigns", headers=auth_headers("advisor.sh01")
    )
    assert desk.status_code == 200
    assert desk.json()["data"] == [
        {
            "code": "RC-2026-014",
            "title": "前排安全气囊固定螺栓检查",
            "is_recall": True,
            "kind": "recall",
        }
    ]
    done = await crm.client.post(
        f"/campaigns/{campaign_id}/vehicles/{VIN}/done",
        json={"order_id": str(uuid.uuid4())},
        headers=auth_headers("advisor.bj01"),
    )
    assert done.status_code == 200 and done.json()["data"] == []
    again = await crm.client.post(
        f"/campaigns/{campaign_id}/vehicles/{VIN}/done", json={}, headers=AGENT
    )
    assert again.status_code == 409
    duplicate = await crm.client.post(
        "/campaigns",
        json={"code": "RC-2026-014", "title": "x", "vins": [VIN]},
        headers=MANAGER,
    )
    assert duplicate.status_code == 409
    bad_vin = await crm.client.post(
        "/campaigns", json={"code": "C2", "title": "x", "vins": ["123"]}, headers=MANAGER
    )
    assert bad_vin.status_code == 422 and bad_vin.json()["detail"][0]["loc"][-1] == "vins"
    agent = await crm.client.post(
        "/campaigns", json={"code": "C3", "title": "x", "vins": [VIN]}, headers=AGENT
    )
    assert agent.status_code == 403


# --- enquiries without a repair order ----------------------------------------------------


async def test_enquiry_without_an_order_opens_a_customer_file_once(crm) -> None:
    first = await crm.client.post(
        "/enquiries",
        json={"name": "王芳", "phone": "137 0000 0007", "text": "询问 30000 km 保养价格"},
        headers=AGENT,
    )
    assert first.status_code == 201, first.text
    assert first.json()["opened_file"] is True
    customer_id = first.json()["customer_id"]
    again = await crm.client.post(
        "/enquiries",
        json={"name": "王芳", "phone": "+8613700000007", "channel": "desk", "text": "预约"},
        headers=AGENT,
    )
    assert (again.json()["opened_file"], again.json()["customer_id"]) == (False, customer_id)
    file = (await crm.client.get(f"/customers/{customer_id}", headers=AGENT)).json()
    assert (file["phone"], file["home_station_id"]) == ("+8613700000007", "bj01")
    assert [e["channel"] for e in file["enquiries"]] == ["desk", "phone"]
    assert (
        await crm.client.get(f"/customers/{customer_id}", headers=auth_headers("crm.sh01"))
    ).status_code == 404
    for body, field in (
        ({"phone": "13700000008", "text": "x"}, "name"),
        ({"name": "X", "phone": "hello", "text": "x"}, "phone"),
        ({"name": "X", "phone": "13700000008"}, "text"),
        ({"customer_id": str(uuid.uuid4()), "text": "x"}, "customer_id"),
    ):
        bad = await crm.client.post("/enquiries", json=body, headers=AGENT)
        assert bad.status_code in (404, 422), bad.text
        assert bad.json()["detail"][0]["loc"][-1] == field
    group = await crm.client.post(
        "/enquiries",
        json={"name": "X", "phone": "13700000009", "text": "x"},
        headers=auth_headers("group.manager"),
    )
    assert group.status_code == 422 and group.json()["detail"][0]["loc"][-1] == "station_id"


async def test_monthly_contact_plan_is_closed_by_the_scheduler_and_the_next_month_planned(
    crm,
) -> None:
    with manual_clock(datetime(2027, 3, 10, tzinfo=UTC)) as now:
        async with crm.runtime.db.transaction() as session:
            await service.plan_contact_month(session)
        await crm.publish(order_created())
        await crm.publish(
            order_created(
                customer=customer_ref(customer_id=OTHER_ID, phone="13900000009"),
                vehicle=vehicle_ref(vin="LSGZJ5350HS100009"),
            )
        )
        await crm.client.post(
            "/enquiries",
            json={"customer_id": str(CUSTOMER_ID), "text": "问保养"},
            headers=AGENT,
        )
        now.set(datetime(2027, 3, 31, 15, 59, tzinfo=UTC))  # 23:59 on 31 March in Beijing
        await run_due(crm)
        months = await crm.client.get(
            "/contact-plan/months", params={"month": "2027-03"}, headers=MANAGER
        )
        assert months.json()["count"] == 0
        now.set(datetime(2027, 3, 31, 16, 0, tzinfo=UTC))
        await run_due(crm)
        months = await crm.client.get(
            "/contact-plan/months", params={"month": "2027-03"}, headers=MANAGER
        )
        assert [
            (r["station_id"], r["segment"], r["customers"], r["contacted"])
            for r in months.json()["data"]
        ] == [("bj01", "private", 2, 1)]
        now.set(datetime(2027, 4, 30, 16, 0, tzinfo=UTC))
        await run_due(crm)  # April was planned when March closed
        april = await crm.client.get(
            "/contact-plan/months", params={"month": "2027-04"}, headers=MANAGER
        )
        assert [r["contacted"] for r in april.json()["data"]] == [0]
        other = await crm.client.get("/contact-plan/months", headers=auth_headers("manager.sh01"))
        assert other.json()["count"] == 0


async def test_csi_is_measured_honestly_answers_kept_as_given_and_analysed_per_quarter(
    crm,
) -> None:
    orders = [order_created() for _ in range(2)]
    with manual_clock(NOW):
        for order in orders:
            await crm.publish(order)
            await crm.publish(vehicle_delivered(order.order_id, NOW))
        low = await crm.client.post(
            "/csi-surveys",
            json={"order_id": str(orders[0].order_id), "scores": {"overall": 2}, "comment": "差"},
            headers=AGENT,
        )
        assert low.status_code == 201 and low.json()["scores"] == {"overall": 2}
        # nothing lets a survey be weighted, excluded or adjusted after the customer spoke
        for extra in ({"weight": 0}, {"excluded": True}, {"adjusted_scores": {"overall": 9}}):
            body = {"order_id": str(orders[1].order_id), "scores": {"overall": 3}, **extra}
            refused = await crm.client.post("/csi-surveys", json=body, headers=AGENT)
            assert refused.status_code == 422, refused.text
            assert refused.json()["detail"][0]["loc"][-1] == next(iter(extra))
    report = await crm.client.get("/csi", params={"group_by": "quarter"}, headers=MANAGER)
    assert report.json()["data"] == [{"key": "2026Q4", "surveys": 1, "csi": "20.0"}]
    assert domain.quarter_label(datetime(2026, 12, 31, 16, 30, tzinfo=UTC)) == "2027Q1"
