"""Warranty end to end on a real Kafka-protocol broker (embedded Tansu unless configured) and
on PostgreSQL when TEST_POSTGRES_URL is set (SQLite otherwise): from an order with a warranty
line to a paid claim (later charged back), and to a rejected, corrected, resubmitted and paid
one."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from services.warranty import manufacturer
from services.warranty.app import definition
from services.warranty.manufacturer import Behaviour, ManufacturerSimulator, Plan
from services.warranty.models import WarrantyClaim, WarrantyOrder
from services.warranty.seed import seed
from services.warranty.tests.test_claims import ADMIN, completed, order_created
from shared.contracts.envelope import Envelope
from shared.db import utcnow
from shared.pytest_plugin import temporary_postgres_database
from shared.tables import OutboxMessage, OutboxState
from shared.testing import ServiceHarness, eventually, read_topic, run_service

pytestmark = pytest.mark.realbroker


@contextlib.asynccontextmanager
async def database(tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    if os.environ.get("TEST_POSTGRES_URL"):
        async with temporary_postgres_database() as url:
            yield {"database_url": url}
    else:
        yield {}


async def drafted(warranty: ServiceHarness, vin: str) -> dict[str, Any]:
    order = order_created(vin=vin)
    await warranty.publish(order, station_id="bj01")

    async def recorded() -> bool:
        async with warranty.runtime.db.read() as session:
            return await session.get(WarrantyOrder, order.order_id) is not None

    # the two topics are not ordered with each other: complete only a recorded order
    await eventually(recorded, timeout=30, what="warranty to consume order.created")
    await warranty.publish(completed(order, at=utcnow()), station_id="bj01")

    async def claim() -> WarrantyClaim | None:
        async with warranty.runtime.db.read() as session:
            query = select(WarrantyClaim).where(WarrantyClaim.order_id == order.order_id)
            return (await session.exec(query)).first()

    draft = await eventually(claim, timeout=30, what="warranty to draft the claim")
    assert draft.station_id == "bj01"
    assert draft.amount == Decimal("1200.00")
    listed = await warranty.client.get(f"/claims?order_id={order.order_id}", headers=ADMIN)
    assert listed.json()["data"][0]["status"] == "draft"
    body = await edit(warranty, draft.id, version=draft.version, cause="水泵轴承磨损漏水")
    return await edit(warranty, draft.id, version=body["version"], correction="更换水泵")


async def edit(warranty: ServiceHarness, claim_id: Any, **body: Any) -> dict[str, Any]:
    response = await warranty.client.patch(f"/claims/{claim_id}", headers=ADMIN, json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def submit(warranty: ServiceHarness, claim: dict[str, Any]) -> None:
    response = await warranty.client.post(
        f"/claims/{claim['id']}/submission", headers=ADMIN, json={"version": claim["version"]}
    )
    assert response.status_code == 200, response.text


async def reaches(warranty: ServiceHarness, claim: dict[str, Any], status: str) -> Any:
    async def read() -> Any:
        body = (await warranty.client.get(f"/claims/{claim['id']}", headers=ADMIN)).json()
        return body if body["status"] == status else None

    return await eventually(read, timeout=30, what=f"claim {claim['claim_no']} to be {status}")


async def test_warranty_order_to_paid_and_rejected_then_resubmitted_claims(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    simulator = ManufacturerSimulator(default=Plan(payment_after=timedelta(0)))
    async with (
        database(tmp_path) as db,
        run_service(
            definition,
            tmp_path,
            real_broker=kafka_bootstrap,
            scheduler_poll_seconds=0.05,
            **db,
        ) as warranty,
    ):
        await seed(warranty.runtime)
        previous = manufacturer.install(simulator)
        try:
            paid = await drafted(warranty, "LFV2A21K7G3000001")
            await submit(warranty, paid)
            done = await reaches(warranty, paid, "paid")
            assert Decimal(done["paid_amount"]) == Decimal("1200.00")

            retried = await drafted(warranty, "LFV2A21K9G3000002")
            simulator.plan(
                retried["claim_no"],
                Plan(Behaviour.REJECT, payment_after=timedelta(0)),
                Plan(Behaviour.APPROVE, payment_after=timedelta(0)),
            )
            await submit(warranty, retried)
            rejected = await reaches(warranty, retried, "rejected")
            assert rejected["reason_code"] == "excessive_labour_hours"
            corrected = await edit(
                warranty,
                retried["id"],
                version=rejected["version"],
                correction="按标准工时更换水泵",
            )
            await submit(warranty, corrected)
            await reaches(warranty, retried, "paid")

            # the manufacturer takes back part of the first payment (索赔扣款)
            latest = (await warranty.client.get(f"/claims/{paid['id']}", headers=ADMIN)).json()
            charged = await warranty.client.post(
                f"/claims/{paid['id']}/charge-back",
                headers=ADMIN,
                json={
                    "version": latest["version"],
                    "amount": "480.00",
                    "reason_code": "part_not_returned_in_time",
                    "reason": "旧件逾期未返",
                },
            )
            assert charged.status_code == 200, charged.text
            assert charged.json()["status"] == "charged_back"
        finally:
            manufacturer.install(previous)

        async def all_published() -> bool:
            async with warranty.runtime.db.read() as session:
                rows = (await session.exec(select(OutboxMessage))).all()
            return bool(rows) and all(row.state == OutboxState.PUBLISHED for row in rows)

        await eventually(all_published, timeout=30, what="the claim events to reach the broker")
        records = await read_topic(
            kafka_bootstrap,
            "claim.paid",
            until=lambda r: Envelope.from_bytes(r.value).payload.get("claim_id") == retried["id"],
        )
        paid_ids = {Envelope.from_bytes(r.value).payload.get("claim_id") for r in records}
        assert {paid["id"], retried["id"]} <= paid_ids
        charge_backs = await read_topic(
            kafka_bootstrap,
            "claim.charged_back",
            until=lambda r: Envelope.from_bytes(r.value).payload.get("claim_id") == paid["id"],
        )
        [charge_back] = [
            Envelope.from_bytes(r.value).payload
            for r in charge_backs
            if Envelope.from_bytes(r.value).payload.get("claim_id") == paid["id"]
        ]
        assert Decimal(charge_back["amount"]) == Decimal("480.00")
