"""What every service gets from create_app: health, docs, sign-in, token checks."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from shared.auth import Role, decode_token, issue_token
from shared.db import Database, create_engine
from shared.settings import ServiceSettings
from shared.testing import auth_headers, run_service
from tests.platform.probe_service import definition


@pytest.fixture
async def probe(tmp_path: Path):
    async with run_service(definition, tmp_path) as harness:
        yield harness


async def test_health_reports_database_and_broker(probe) -> None:
    response = await probe.client.get("/health")
    body = response.json()
    assert (body["database"], body["status"], body["outbox_backlog"]) == ("ok", "ok", 0)
    assert response.status_code == 200


async def test_health_is_503_when_the_database_is_gone(probe) -> None:
    working = probe.runtime.db
    probe.runtime.db = Database(create_engine("sqlite+aiosqlite:////nonexistent/dir/x.db"))
    try:
        response = await probe.client.get("/health")
    finally:
        await probe.runtime.db.dispose()
        probe.runtime.db = working
    assert response.status_code == 503
    assert response.json()["database"].startswith("down")


async def test_asyncapi_documents_published_and_consumed_topics(probe) -> None:
    spec = (await probe.client.get("/asyncapi.json")).json()
    channels = " ".join(spec["channels"])
    assert "order.created" in channels and "job.completed" in channels


async def test_openapi_is_served(probe) -> None:
    assert (await probe.client.get("/openapi.json")).status_code == 200


async def test_demo_sign_in_gives_a_token_with_role_and_stations(probe) -> None:
    response = await probe.client.post(
        "/auth/token", data={"username": "advisor.sh01", "password": "demo"}
    )
    token = response.json()["access_token"]
    me = await probe.client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json() == {
        "user_id": "advisor.sh01",
        "name": me.json()["name"],
        "role": "service_advisor",
        "stations": ["sh01"],
        "all_stations": False,
    }


async def test_wrong_password_is_401(probe) -> None:
    response = await probe.client.post(
        "/auth/token", data={"username": "advisor.sh01", "password": "guess"}
    )
    assert response.status_code == 401


async def test_a_token_signed_with_another_secret_is_401(probe) -> None:
    forged = issue_token(
        "not-our-secret-but-long-enough-for-hs256",
        user_id="x",
        name="x",
        role=Role.GROUP_MANAGER,
        stations=[],
        all_stations=True,
    )
    response = await probe.client.get("/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_an_expired_token_is_401(probe) -> None:
    expired = issue_token(
        ServiceSettings().auth_secret,
        user_id="x",
        name="x",
        role=Role.SERVICE_ADVISOR,
        stations=["bj01"],
        ttl=timedelta(seconds=-5),
    )
    response = await probe.client.get("/auth/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_station_user_sees_only_their_station() -> None:
    user = decode_token(
        ServiceSettings().auth_secret,
        auth_headers("crm.bj01")["Authorization"].split()[1],
    )
    assert user.can_see("bj01") and not user.can_see("sh01")
    assert user.visible_stations() == ("bj01",)
    group = decode_token(
        ServiceSettings().auth_secret, auth_headers("group.manager")["Authorization"].split()[1]
    )
    assert group.can_see("sh01") and group.visible_stations() is None


async def test_a_test_stack_can_move_time_forward_and_due_tasks_run(tmp_path: Path) -> None:
    from shared import clock
    from shared.scheduler import schedule
    from tests.platform.probe_service import RUNS

    RUNS.clear()
    async with run_service(definition, tmp_path, clock_control=True, scheduler=False) as probe:
        async with probe.runtime.db.transaction() as session:
            await schedule(
                session,
                kind="probe.note",
                key="in-an-hour",
                due_at=clock.now() + timedelta(hours=1),
                payload={"order_id": "00000000-0000-4000-8000-000000000001", "complaint": "x"},
            )
        moved = await probe.client.post(
            "/admin/clock", params={"advance_seconds": 3600}, headers=auth_headers("ops")
        )
        assert moved.status_code == 200
        assert RUNS == ["in-an-hour"]
    assert type(clock.current()) is clock.Clock  # the process clock is given back


async def test_clock_control_is_off_unless_asked(probe) -> None:
    moved = await probe.client.post(
        "/admin/clock", params={"advance_seconds": 60}, headers=auth_headers("ops")
    )
    assert moved.status_code == 404


async def test_a_lone_surrogate_in_a_body_is_a_422_not_a_500(tmp_path) -> None:
    from services.crm.app import definition as crm
    from shared.testing import auth_headers, run_service

    async with run_service(crm, tmp_path) as harness:
        response = await harness.client.post(
            "/complaints",
            content=b'{"summary": "\\ud800", "channel": 12}',
            headers={**auth_headers("crm.bj01"), "content-type": "application/json"},
        )
    assert response.status_code == 422
    assert response.json()["detail"], response.text


async def test_a_wrong_method_names_every_method_of_the_path(tmp_path) -> None:
    from services.reception.app import definition as reception
    from shared.testing import auth_headers, run_service

    async with run_service(reception, tmp_path) as harness:
        response = await harness.client.delete(
            "/repair-orders", headers=auth_headers("advisor.bj01")
        )
        spec = (await harness.client.get("/openapi.json")).json()
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    # every route declares the refusals it may answer, with their shape
    responses = spec["paths"]["/repair-orders"]["post"]["responses"]
    assert {"401", "403", "404", "409", "422"} <= set(responses)
