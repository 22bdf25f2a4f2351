"""CRM service tests on faststream's test broker and SQLite."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlmodel import col, select

from services.crm import domain
from services.crm.app import definition
from services.crm.models import (
    AuditAction,
    AuditEntry,
    Customer,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    Vehicle,
    Visit,
)
from services.crm.seed import demo_customer_id, seed_demo
from shared import clock
from shared.contracts import events
from shared.tables import OutboxMessage
from shared.testing import auth_headers, run_service

VIN = "LFV2A21K7G3000001"
PHONE = "13800000001"
CUSTOMER_ID = uuid.uuid5(uuid.NAMESPACE_URL, f"customer:{PHONE}")  # as reception derives it


def customer_ref(**overrides: object) -> events.CustomerRef:
    values: dict[str, object] = {"customer_id": CUSTOMER_ID, "name": "张伟", "phone": PHONE}
    values.update(overrides)
    return events.CustomerRef.model_validate(values)


def vehicle_ref(**overrides: object) -> events.VehicleRef:
    values: dict[str, object] = {
        "vin": VIN,
        "plate": "京A12345",
        "make": "FAW-VW",
        "model": "Sagitar",
        "mileage_km": 42000,
    }
    values.update(overrides)
    return events.VehicleRef.model_validate(values)


def order_created(order_id: uuid.UUID | None = None, **overrides: object) -> events.OrderCreated:
    values: dict[str, object] = {
        "order_id": order_id or uuid.uuid4(),
        "order_no": "RO-BJ01-20261123-A1B2C3",
        "category": events.OrderCategory.REPAIR,
        "customer": customer_ref(),
        "vehicle": vehicle_ref(),
        "complaint": "刹车时有异响",
        "lines": [
            events.OrderLine(
                line_id=uuid.uuid4(),
                kind=events.LineKind.LABOUR,
                code="BRK-010",
                description="更换前刹车片",
                hours=Decimal("1.2"),
                unit_price=Decimal("300"),
            )
        ],
        "advisor_id": "advisor.bj01",
    }
    values.update(overrides)
    return events.OrderCreated.model_validate(values)


def vehicle_delivered(
    order_id: uuid.UUID, delivered_at: datetime, **overrides: object
) -> events.VehicleDelivered:
    values: dict[str, object] = {
        "order_id": order_id,
        "customer": customer_ref(),
        "vehicle": vehicle_ref(),
        "delivered_at": delivered_at,
        "advisor_id": "advisor.bj01",
        "total": Decimal("840.00"),
    }
    values.update(overrides)
    return events.VehicleDelivered.model_validate(values)


async def followups_of(crm, order_id: uuid.UUID) -> list[FollowUp]:
    async with crm.runtime.db.read() as session:
        query = select(FollowUp).where(FollowUp.order_id == order_id)
        return list((await session.exec(query.order_by(col(FollowUp.due_at)))).all())


async def outbox_payloads(crm) -> list[dict]:
    async with crm.runtime.db.read() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    return [{"type": row.event_type, **json.loads(row.value)} for row in rows]


# --- §12 customer and vehicle files ------------------------------------------------------


async def test_order_created_opens_the_customer_and_vehicle_file_and_records_the_visit(
    crm,
) -> None:
    event = order_created()
    envelope = await crm.publish(event, station_id="bj01")
    async with crm.runtime.db.read() as session:
        customer = await session.get(Customer, CUSTOMER_ID)
        vehicle = await session.get(Vehicle, VIN)
        visit = (await session.exec(select(Visit))).one()
    assert customer is not None
    assert (customer.name, customer.phone, customer.home_station_id) == (
        "张伟",
        "+86" + PHONE,  # normalised
        "bj01",
    )
    assert customer.created_at == envelope.occurred_at  # opened the same day as the visit
    assert vehicle is not None
    assert (vehicle.customer_id, vehicle.plate, vehicle.last_mileage_km) == (
        CUSTOMER_ID,
        "京A12345",
        42000,
    )
    assert (visit.order_id, visit.station_id, visit.vin) == (event.order_id, "bj01", VIN)
    assert visit.complaint == "刹车时有异响"
    assert visit.delivered_at is None and visit.total is None


async def test_a_later_visit_refreshes_the_files_and_keeps_the_highest_mileage(crm) -> None:
    await crm.publish(order_created(vehicle=vehicle_ref(mileage_km=42000)))
    renamed = customer_ref(name="张伟 (Zhang Wei)")
    await crm.publish(
        order_created(customer=renamed, vehicle=vehicle_ref(mileage_km=4200))  # a typo
    )
    await crm.publish(
        order_created(customer=renamed, vehicle=vehicle_ref(mileage_km=47800)), station_id="sh01"
    )
    async with crm.runtime.db.read() as session:
        customer = await session.get(Customer, CUSTOMER_ID)
        vehicle = await session.get(Vehicle, VIN)
        visits = (await session.exec(select(Visit))).all()
    assert customer is not None and customer.name == "张伟 (Zhang Wei)"
    assert customer.home_station_id == "bj01"  # the station of the first visit
    assert vehicle is not None and vehicle.last_mileage_km == 47800
    assert len(visits) == 3


# --- §8 follow-up calls -------------------------------------------------------------------


async def test_vehicle_delivered_creates_both_followups_and_announces_each_when_it_opens(
    crm,
) -> None:
    order = order_created()
    await crm.publish(order)
    delivered_at = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # 15:30 in Beijing
    await crm.publish(vehicle_delivered(order.order_id, delivered_at))

    async with crm.runtime.db.read() as session:
        visit = (await session.exec(select(Visit))).one()
    assert visit.delivered_at == delivered_at
    assert visit.total == Decimal("840.00")

    first, second = await followups_of(crm, order.order_id)
    assert first.kind == FollowUpKind.FIRST and first.status == FollowUpStatus.SCHEDULED
    # the next official working day, when the office opens (08:30 Beijing)
    assert first.opens_at == datetime(2026, 11, 24, 0, 30, tzinfo=UTC)
    assert first.due_at == delivered_at + timedelta(hours=72)
    assert second.kind == FollowUpKind.SECOND
    assert second.opens_at == delivered_at + timedelta(days=14)
    assert second.due_at == delivered_at + timedelta(days=17)
    assert {f.station_id for f in (first, second)} == {"bj01"}
    assert [e for e in await outbox_payloads(crm) if e["type"] == "followup.due"] == []

    with clock.driven(clock.ManualClock(second.opens_at)):
        await crm.runtime.scheduler.run_due()
    announced = [e for e in await outbox_payloads(crm) if e["type"] == "followup.due"]
    assert len(announced) == 2
    by_kind = {e["payload"]["kind"]: e for e in announced}
    assert set(by_kind) == {"72h", "2w"}
    assert by_kind["72h"]["payload"]["followup_id"] == str(first.id)
    assert by_kind["72h"]["payload"]["customer_id"] == str(CUSTOMER_ID)
    assert by_kind["72h"]["station_id"] == "bj01"  # the station of the delivery
    assert datetime.fromisoformat(by_kind["72h"]["payload"]["due_at"]) == first.due_at
    assert datetime.fromisoformat(by_kind["2w"]["payload"]["opens_at"]) == second.opens_at


async def test_buick_station_followup_is_due_within_three_working_days(crm) -> None:
    order = order_created()
    await crm.publish(order, station_id="sh01")
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=domain.STATION_TIMEZONE)
    await crm.publish(vehicle_delivered(order.order_id, friday), station_id="sh01")
    first, _ = await followups_of(crm, order.order_id)
    assert first.due_at == datetime(2026, 12, 3, tzinfo=domain.STATION_TIMEZONE)  # end of Wed


async def test_redelivered_vehicle_delivered_creates_no_duplicate_followups(crm) -> None:
    order = order_created()
    await crm.publish(order)
    delivered = vehicle_delivered(order.order_id, datetime.now(UTC))
    envelope = await crm.publish(delivered)
    await crm.publish_envelope(envelope)  # the broker delivers it again: the inbox skips it
    await crm.publish(delivered)  # the same delivery announced again under a new event id
    assert crm.runtime.consumer.counts["duplicate"] == 1
    assert crm.runtime.consumer.counts["dead_lettered"] == 0
    assert len(await followups_of(crm, order.order_id)) == 2
    with clock.driven(clock.ManualClock(datetime.now(UTC) + timedelta(days=15))):
        await crm.runtime.scheduler.run_due()
    announced = [e for e in await outbox_payloads(crm) if e["type"] == "followup.due"]
    assert len(announced) == 2


async def test_delivery_read_before_the_order_still_opens_the_file_and_followups(crm) -> None:
    order = order_created()
    await crm.publish(vehicle_delivered(order.order_id, datetime.now(UTC)))
    await crm.publish(order)  # order.created is on another topic: it may come second
    async with crm.runtime.db.read() as session:
        visit = (await session.exec(select(Visit))).one()
        customer = await session.get(Customer, CUSTOMER_ID)
    assert customer is not None
    assert visit.delivered_at is not None and visit.complaint == "刹车时有异响"
    assert len(await followups_of(crm, order.order_id)) == 2


async def test_followup_queue_is_oldest_due_first_and_station_scoped(crm) -> None:
    late, early, other = order_created(), order_created(), order_created()
    for order in (late, early):
        await crm.publish(order)
    await crm.publish(other, station_id="sh01")
    # delivered in this order on purpose: the queue is by deadline, not by arrival
    # (Friday and Thursday: two weeks later are working days, so the 2w calls differ too)
    await crm.publish(vehicle_delivered(late.order_id, datetime(2026, 11, 20, 3, tzinfo=UTC)))
    await crm.publish(vehicle_delivered(early.order_id, datetime(2026, 11, 19, 3, tzinfo=UTC)))
    await crm.publish(
        vehicle_delivered(other.order_id, datetime(2026, 11, 16, 3, tzinfo=UTC)),
        station_id="sh01",
    )

    response = await crm.client.get("/follow-ups", headers=auth_headers("crm.bj01"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == 4
    assert [(f["order_id"], f["kind"]) for f in body["data"]] == [
        (str(early.order_id), "72h"),
        (str(late.order_id), "72h"),
        (str(early.order_id), "2w"),
        (str(late.order_id), "2w"),
    ]
    dues = [datetime.fromisoformat(f["due_at"]) for f in body["data"]]
    assert dues == sorted(dues)

    group = await crm.client.get("/follow-ups", headers=auth_headers("group.manager"))
    assert group.json()["count"] == 6
    assert group.json()["data"][0]["order_id"] == str(other.order_id)  # oldest across stations


async def test_followup_queue_is_for_crm_agents_and_managers(crm) -> None:
    advisor = await crm.client.get("/follow-ups", headers=auth_headers("advisor.bj01"))
    assert advisor.status_code == 403
    manager = await crm.client.get("/follow-ups", headers=auth_headers("manager.sh01"))
    assert manager.status_code == 200
    bad = await crm.client.get(
        "/follow-ups", params={"status": "closed"}, headers=auth_headers("crm.bj01")
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-1] == "status"


# --- station scoping and the audit of customer data ------------------------------------


async def test_customer_of_another_station_is_404(crm) -> None:
    await crm.publish(order_created(), station_id="bj01")
    other = await crm.client.get(f"/customers/{CUSTOMER_ID}", headers=auth_headers("crm.sh01"))
    assert other.status_code == 404
    own = await crm.client.get(f"/customers/{CUSTOMER_ID}", headers=auth_headers("crm.bj01"))
    assert own.status_code == 200
    group = await crm.client.get(f"/customers/{CUSTOMER_ID}", headers=auth_headers("group.manager"))
    assert group.status_code == 200
    missing = await crm.client.get(f"/customers/{uuid.uuid4()}", headers=auth_headers("crm.bj01"))
    assert missing.status_code == 404


async def test_customer_who_visited_a_station_shows_there_the_full_visit_history(crm) -> None:
    bj_order = order_created()
    await crm.publish(bj_order, station_id="bj01")
    sh_order = order_created(complaint="空调不凉")
    await crm.publish(sh_order, station_id="sh01")
    response = await crm.client.get(f"/customers/{CUSTOMER_ID}", headers=auth_headers("crm.sh01"))
    assert response.status_code == 200
    body = response.json()
    assert body["home_station_id"] == "bj01"
    # one file for the group: the visits at every station are the basis of the next visit
    assert {(v["order_id"], v["station_id"]) for v in body["visits"]} == {
        (str(bj_order.order_id), "bj01"),
        (str(sh_order.order_id), "sh01"),
    }
    assert [v["vin"] for v in body["vehicles"]] == [VIN]
    stranger = order_created(customer=customer_ref(customer_id=uuid.uuid4(), phone="13900000123"))
    await crm.publish(stranger, station_id="bj01")
    hidden = await crm.client.get(
        f"/customers/{stranger.customer.customer_id}", headers=auth_headers("crm.sh01")
    )
    assert hidden.status_code == 404  # never a customer of sh01


async def test_reading_a_customer_writes_an_audit_entry(crm) -> None:
    await crm.publish(order_created())
    response = await crm.client.get(f"/customers/{CUSTOMER_ID}", headers=auth_headers("crm.bj01"))
    assert response.status_code == 200
    async with crm.runtime.db.read() as session:
        entries = (await session.exec(select(AuditEntry))).all()
    assert [(e.user_id, e.action, e.entity, e.entity_id) for e in entries] == [
        ("crm.bj01", AuditAction.READ, "customer", str(CUSTOMER_ID))
    ]

    log = await crm.client.get("/audit", headers=auth_headers("manager.bj01"))
    assert log.status_code == 200
    assert log.json()["data"][0]["user_id"] == "crm.bj01"
    elsewhere = await crm.client.get("/audit", headers=auth_headers("manager.sh01"))
    assert elsewhere.json()["count"] == 0  # another station's customers
    agent = await crm.client.get("/audit", headers=auth_headers("crm.bj01"))
    assert agent.status_code == 403


async def test_a_refused_read_writes_no_audit_entry(crm) -> None:
    await crm.publish(order_created())
    response = await crm.client.get(f"/customers/{CUSTOMER_ID}", headers=auth_headers("crm.sh01"))
    assert response.status_code == 404
    async with crm.runtime.db.read() as session:
        assert (await session.exec(select(AuditEntry))).all() == []


async def test_customer_search_is_station_scoped_and_each_file_shown_is_audited(crm) -> None:
    await crm.publish(order_created())
    await crm.publish(
        order_created(
            customer=customer_ref(customer_id=uuid.uuid4(), name="陈静", phone="13900000001"),
            vehicle=vehicle_ref(vin="LSGZJ5350HS100001", plate="沪A13579"),
        ),
        station_id="sh01",
    )
    bj = await crm.client.get("/customers", headers=auth_headers("crm.bj01"))
    assert [c["name"] for c in bj.json()["data"]] == ["张伟"]
    by_phone = await crm.client.get(
        "/customers", params={"phone": "0000001"}, headers=auth_headers("group.manager")
    )
    assert by_phone.json()["count"] == 2
    by_vin = await crm.client.get(
        "/customers", params={"vin": "lsgzj5350hs100001"}, headers=auth_headers("group.manager")
    )
    assert [c["name"] for c in by_vin.json()["data"]] == ["陈静"]
    by_name = await crm.client.get(
        "/customers", params={"name": "张"}, headers=auth_headers("crm.sh01")
    )
    assert by_name.json()["count"] == 0  # not a customer of sh01
    async with crm.runtime.db.read() as session:
        reads = (await session.exec(select(AuditEntry))).all()
    assert len(reads) == 1 + 2 + 1  # one entry per file shown


async def test_changing_a_customer_is_audited_and_bad_input_names_the_field(crm) -> None:
    await crm.publish(order_created())
    changed = await crm.client.patch(
        f"/customers/{CUSTOMER_ID}",
        json={"phone": "138-1111-2222"},
        headers=auth_headers("crm.bj01"),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["phone"] == "+8613811112222"
    async with crm.runtime.db.read() as session:
        entries = (await session.exec(select(AuditEntry))).all()
    assert [e.action for e in entries] == [AuditAction.CHANGE]

    bad = await crm.client.patch(
        f"/customers/{CUSTOMER_ID}", json={"phone": "call me"}, headers=auth_headers("crm.bj01")
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-1] == "phone"
    no_name = await crm.client.patch(
        f"/customers/{CUSTOMER_ID}", json={"name": None}, headers=auth_headers("crm.bj01")
    )
    assert no_name.status_code == 422
    assert no_name.json()["detail"][0]["loc"][-1] == "name"
    advisor = await crm.client.patch(
        f"/customers/{CUSTOMER_ID}", json={"name": "X"}, headers=auth_headers("advisor.bj01")
    )
    assert advisor.status_code == 403
    other = await crm.client.patch(
        f"/customers/{CUSTOMER_ID}", json={"name": "X"}, headers=auth_headers("crm.sh01")
    )
    assert other.status_code == 404


# --- demo data ----------------------------------------------------------------------------


async def test_demo_seed_opens_the_demo_files_once(tmp_path: Path) -> None:
    async with run_service(definition, tmp_path, seed_demo_data=True) as crm:
        await seed_demo(crm.runtime)  # a second start must not duplicate anything
        async with crm.runtime.db.read() as session:
            customers = (await session.exec(select(Customer))).all()
            vehicles = (await session.exec(select(Vehicle))).all()
            zhang = await session.get(Customer, demo_customer_id(PHONE))
        desk = await crm.client.get(
            f"/vehicles/{VIN}/open-campaigns", headers=auth_headers("advisor.bj01")
        )
    assert len(customers) == 5 and len(vehicles) == 5
    assert [c["code"] for c in desk.json()["data"]] == ["DEMO-RC-2026-01"]
    assert zhang is not None and zhang.id == CUSTOMER_ID and zhang.home_station_id == "bj01"


async def test_company_customer_and_email_from_the_order_are_kept_on_the_file(crm) -> None:
    fleet = customer_ref(name="北京顺达物流有限公司", kind="company", email=" Fleet@ShunDa.cn ")
    await crm.publish(order_created(customer=fleet))
    file = await crm.client.get(f"/customers/{CUSTOMER_ID}", headers=auth_headers("crm.bj01"))
    assert (file.json()["kind"], file.json()["email"]) == ("company", "fleet@shunda.cn")

    # a later order without an e-mail keeps the one on the file
    await crm.publish(order_created(customer=customer_ref(name="北京顺达物流有限公司")))
    # an unusable e-mail is not stored over a good one
    await crm.publish(order_created(customer=customer_ref(email="not-an-address")))
    file = await crm.client.get(f"/customers/{CUSTOMER_ID}", headers=auth_headers("crm.bj01"))
    assert (file.json()["kind"], file.json()["email"]) == ("company", "fleet@shunda.cn")
    plan = await crm.client.get(
        "/contact-plan", params={"segment": "fleet"}, headers=auth_headers("crm.bj01")
    )
    assert [r["customer_id"] for r in plan.json()["data"]] == [str(CUSTOMER_ID)]

    # "person" is the contract's default, sent by producers that do not know: only CRM
    # itself turns a company file back into a person's
    await crm.publish(order_created(customer=customer_ref(kind="person")))
    file = await crm.client.get(f"/customers/{CUSTOMER_ID}", headers=auth_headers("crm.bj01"))
    assert file.json()["kind"] == "company"
