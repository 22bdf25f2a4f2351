"""Idempotency keys: a write sent twice changes things once; the repeat gets the first answer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from services.workshop.app import definition as workshop
from shared.testing import auth_headers, run_service


@pytest.fixture
async def desk(tmp_path: Path):
    async with run_service(workshop, tmp_path) as harness:
        yield harness


def technician(suffix: str) -> dict[str, object]:
    return {"technician_id": f"tech.bj01.idem{suffix}", "name": "陈 技师", "skills": ["body"]}


def headers(key: str, user: str = "foreman.bj01") -> dict[str, str]:
    return {**auth_headers(user), "Idempotency-Key": key}


async def team(desk) -> list[str]:
    response = await desk.client.get("/technicians", headers=auth_headers("foreman.bj01"))
    rows = response.json()
    rows = rows["data"] if isinstance(rows, dict) else rows
    return [row["id"] for row in rows if "idem" in row["id"]]


async def test_a_repeated_write_is_carried_out_once_and_answered_the_same(desk) -> None:
    first = await desk.client.post("/technicians", json=technician("1"), headers=headers("k-1"))
    again = await desk.client.post("/technicians", json=technician("1"), headers=headers("k-1"))
    assert first.status_code == 201, first.text
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert await team(desk) == ["tech.bj01.idem1"]


async def test_the_same_key_for_another_request_is_refused(desk) -> None:
    await desk.client.post("/technicians", json=technician("1"), headers=headers("k-2"))
    other = await desk.client.post(
        "/technicians/tech.bj01.idem1/absences",
        json={"first_day": "2026-12-07", "last_day": "2026-12-08", "reason": "leave"},
        headers=headers("k-2"),
    )
    assert other.status_code == 422
    assert other.json()["detail"][0]["loc"] == ["header", "idempotency-key"]


async def test_a_refused_write_leaves_no_key_so_the_corrected_one_goes_through(desk) -> None:
    refused = await desk.client.post(
        "/technicians", json={**technician("3"), "skills": []}, headers=headers("k-3")
    )
    assert refused.status_code == 422
    fixed = await desk.client.post("/technicians", json=technician("3"), headers=headers("k-3"))
    assert fixed.status_code == 201, fixed.text


async def test_keys_belong_to_their_user(desk) -> None:
    mine = await desk.client.post("/technicians", json=technician("4"), headers=headers("k-4"))
    theirs = await desk.client.post(
        "/technicians", json=technician("5"), headers=headers("k-4", user="foreman.sh01")
    )
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert theirs.headers.get("idempotent-replayed") is None


async def test_two_requests_with_one_key_at_once_write_once(desk) -> None:
    answers = await asyncio.gather(
        desk.client.post("/technicians", json=technician("6"), headers=headers("k-6")),
        desk.client.post("/technicians", json=technician("7"), headers=headers("k-6")),
    )
    assert sorted(a.status_code for a in answers) in ([201, 201], [201, 409])
    assert len(await team(desk)) == 1  # one of them, never both


async def test_a_key_longer_than_100_characters_is_refused(desk) -> None:
    response = await desk.client.post(
        "/technicians", json=technician("8"), headers=headers("x" * 101)
    )
    assert response.status_code == 422
    assert await team(desk) == []
