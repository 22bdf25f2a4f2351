"""Reception on PostgreSQL: the migration, and concurrent edits of one order detected.

Runs when TEST_POSTGRES_URL is set (CI sets it); skipped otherwise.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from services.reception.app import definition
from services.reception.tests.test_repair_orders import VIN, order_body
from shared.contracts import events
from shared.testing import ServiceHarness, auth_headers, run_service

ADVISOR = auth_headers("advisor.bj01")
CASHIER = auth_headers("cashier.bj01")


@pytest.fixture
async def reception_pg(tmp_path: Path, postgres_url: str) -> AsyncIterator[ServiceHarness]:
    async with run_service(definition, tmp_path, database_url=postgres_url) as harness:
        yield harness


async def test_concurrent_edits_of_the_same_order_are_detected_not_overwritten(
    reception_pg: ServiceHarness,
) -> None:
    created = await reception_pg.client.post("/repair-orders", json=order_body(), headers=ADVISOR)
    assert created.status_code == 201, created.text
    url = f"/repair-orders/{created.json()['id']}"
    answers = await asyncio.gather(
        reception_pg.client.patch(
            url, json={"version": 1, "progress_confirmed": True}, headers=ADVISOR
        ),
        reception_pg.client.patch(
            url, json={"version": 1, "ready_notified": True}, headers=ADVISOR
        ),
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    final = (await reception_pg.client.get(url, headers=ADVISOR)).json()
    assert final["version"] == 2


async def test_concurrent_payments_never_take_more_than_the_balance(
    reception_pg: ServiceHarness,
) -> None:
    created = (
        await reception_pg.client.post("/repair-orders", json=order_body(), headers=ADVISOR)
    ).json()
    await reception_pg.publish(
        events.VehicleCompleted(
            order_id=uuid.UUID(created["id"]), vin=VIN, completed_at=datetime.now(UTC)
        )
    )
    url = f"/repair-orders/{created['id']}/payments"
    answers = await asyncio.gather(
        *(
            reception_pg.client.post(url, json={"method": "cash", "amount": "500"}, headers=CASHIER)
            for _ in range(2)
        )
    )
    assert sorted(a.status_code for a in answers) == [201, 422]  # ¥840 due: one ¥500 fits
    settlement = (
        await reception_pg.client.get(f"/repair-orders/{created['id']}/settlement", headers=CASHIER)
    ).json()
    assert Decimal(settlement["paid"]) == Decimal("500") and Decimal(
        settlement["balance"]
    ) == Decimal("340")


async def test_concurrent_cashiers_get_consecutive_receipt_numbers_without_gaps(
    reception_pg: ServiceHarness,
) -> None:
    orders = []
    for _ in range(4):
        created = (
            await reception_pg.client.post("/repair-orders", json=order_body(), headers=ADVISOR)
        ).json()
        await reception_pg.publish(
            events.VehicleCompleted(
                order_id=uuid.UUID(created["id"]), vin=VIN, completed_at=datetime.now(UTC)
            )
        )
        orders.append(created["id"])
    # the first receipt of the year creates the counter row: all four race for it
    answers = await asyncio.gather(
        *(
            reception_pg.client.post(
                f"/repair-orders/{order_id}/payments",
                json={"method": "cash", "amount": "840.00", "document": {"kind": "receipt"}},
                headers=CASHIER,
            )
            for order_id in orders
        )
    )
    assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers]
    numbers = sorted(a.json()["documents"][0]["serial"] for a in answers)
    assert numbers == [1, 2, 3, 4]
    books = (await reception_pg.client.get("/invoices?kind=receipt", headers=CASHIER)).json()
    assert [d["document_no"][-6:] for d in books["data"]] == [
        "000001",
        "000002",
        "000003",
        "000004",
    ]
