"""Warranty on PostgreSQL (skipped without TEST_POSTGRES_URL): concurrent edits of a claim."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from services.warranty import manufacturer
from services.warranty.app import definition
from services.warranty.manufacturer import ManufacturerSimulator
from services.warranty.models import ClaimSubmission
from services.warranty.seed import seed
from services.warranty.tests.test_claims import ADMIN, claim_events, completed_claim
from shared import clock
from shared.contracts import events
from shared.testing import ServiceHarness, run_service


@pytest.fixture
async def warranty_pg(
    tmp_path: Path, postgres_url: str, driven: clock.ManualClock
) -> AsyncIterator[ServiceHarness]:
    async with run_service(
        definition, tmp_path, database_url=postgres_url, scheduler=False
    ) as harness:
        await seed(harness.runtime)
        previous = manufacturer.install(ManufacturerSimulator())
        try:
            yield harness
        finally:
            manufacturer.install(previous)


async def test_two_submissions_of_the_same_claim_version_send_it_once(warranty_pg) -> None:
    claim = await completed_claim(warranty_pg)

    async def send() -> int:
        response = await warranty_pg.client.post(
            f"/claims/{claim['id']}/submission", headers=ADMIN, json={"version": claim["version"]}
        )
        return response.status_code

    assert sorted(await asyncio.gather(send(), send())) == [200, 409]
    async with warranty_pg.runtime.db.read() as session:
        assert len((await session.exec(select(ClaimSubmission))).all()) == 1
    assert await claim_events(warranty_pg) == ["claim.submitted"]


async def test_a_second_warranty_replica_sends_a_submission_once(warranty_pg) -> None:
    claim = await completed_claim(warranty_pg)
    simulator = ManufacturerSimulator()
    manufacturer.install(simulator)
    response = await warranty_pg.client.post(
        f"/claims/{claim['id']}/submission", headers=ADMIN, json={"version": claim["version"]}
    )
    assert response.status_code == 200
    scheduler = warranty_pg.runtime.scheduler
    assert scheduler is not None
    # two passes at once, as two replicas would: SKIP LOCKED gives the task to one of them
    await asyncio.gather(scheduler.run_due(), scheduler.run_due())
    assert len(simulator.received) == 1


async def test_an_explicit_poll_and_the_scheduler_together_send_a_submission_once(
    warranty_pg,
) -> None:
    claim = await completed_claim(warranty_pg)
    simulator = ManufacturerSimulator()
    manufacturer.install(simulator)
    submitted = await warranty_pg.client.post(
        f"/claims/{claim['id']}/submission", headers=ADMIN, json={"version": claim["version"]}
    )
    assert submitted.status_code == 200
    scheduler = warranty_pg.runtime.scheduler
    assert scheduler is not None
    poll = warranty_pg.client.post(f"/claims/{claim['id']}/poll", headers=ADMIN)
    response, _ = await asyncio.gather(poll, scheduler.run_due())
    assert response.status_code == 200, response.text
    assert len(simulator.received) == 1
    assert (await claim_events(warranty_pg)).count("claim.approved") == 1


async def test_two_deliveries_of_the_same_pushed_answer_at_once_apply_it_once(
    warranty_pg, monkeypatch
) -> None:
    from datetime import timedelta

    from services.warranty.manufacturer import SIGNATURE_HEADER, Plan, sign
    from services.warranty.tests.test_claims import run_due, submit

    monkeypatch.setenv("WARRANTY_MANUFACTURER_SECRET", "pg-secret")
    manufacturer.install(ManufacturerSimulator(default=Plan(delay=timedelta(days=365))))
    claim = await completed_claim(warranty_pg)
    await submit(warranty_pg, claim)
    await run_due(warranty_pg)
    body = json.dumps({"message_id": "PG-1", "claim_no": claim["claim_no"], "kind": "approved"})
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign("pg-secret", body.encode()),
    }

    async def deliver() -> tuple[int, dict]:
        response = await warranty_pg.client.post(
            "/manufacturer/answers", content=body, headers=headers
        )
        return response.status_code, response.json()

    first, second = await asyncio.gather(deliver(), deliver())
    assert first == second
    assert first[0] == 200 and first[1]["state"] == "applied"
    assert (await claim_events(warranty_pg)).count("claim.approved") == 1


async def test_two_administrators_classifying_a_fault_at_once_announce_each_warning_once(
    warranty_pg,
) -> None:
    from datetime import date

    from services.warranty.tests.test_claims import deliver, labour, order_created, outbox, part

    order = order_created(
        labour(code="GEN-100", description="车身钣金修复", major_system="body"),
        part(),
        warranty_start=date(2026, 2, 1),
        mileage_km=1_500,
    )
    await deliver(warranty_pg, order)
    lines = (await warranty_pg.client.get(f"/orders/{order.order_id}", headers=ADMIN)).json()
    url = f"/orders/{order.order_id}/lines/{lines['lines'][0]['line_id']}/fault-classification"

    async def classify() -> int:
        response = await warranty_pg.client.post(
            url, headers=ADMIN, json={"fault_class": "body_cracking"}
        )
        return response.status_code

    assert await asyncio.gather(classify(), classify()) == [200, 200]
    sent = sorted(
        (payload.rule.value, payload.reached)
        for payload in (e.open() for e in await outbox(warranty_pg))
        if isinstance(payload, events.SanbaoThresholdApproached)
    )
    assert sent == [("serious_safety_fault_twice", False), ("sixty_day_serious_fault", True)]


async def test_warranty_migrations_match_the_models_on_postgresql(warranty_pg) -> None:
    from typing import Any

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from services.warranty.models import WarrantyTable

    async with warranty_pg.runtime.db.engine.connect() as connection:

        def diff(sync_connection: Any) -> list[Any]:
            context = MigrationContext.configure(
                sync_connection,
                opts={
                    "include_name": lambda name, type_, _p: (
                        type_ != "table" or name in WarrantyTable.metadata.tables
                    )
                },
            )
            return list(compare_metadata(context, WarrantyTable.metadata))

        assert await connection.run_sync(diff) == []
