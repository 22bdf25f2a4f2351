"""A replica under more load than it can serve answers 503 with Retry-After, at once, instead
of queueing every request until all of them time out (chaos with two replicas showed
requests waiting 30 s for a database connection and then failing with 500)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from shared.pytest_plugin import temporary_postgres_database
from shared.testing import auth_headers, run_service
from tests.platform.probe_service import definition


async def test_requests_beyond_the_limit_are_shed_and_probes_still_answer(
    tmp_path: Path,
) -> None:
    async with run_service(definition, tmp_path, max_requests_in_flight=1) as probe:
        release = asyncio.Event()
        entered = asyncio.Event()

        async def slow() -> dict[str, str]:
            entered.set()
            await release.wait()
            return {"done": "yes"}

        probe.app.add_api_route("/slow", slow, methods=["GET"])
        first = asyncio.create_task(probe.client.get("/slow"))
        await asyncio.wait_for(entered.wait(), 5)

        shed = await probe.client.get("/slow")
        assert shed.status_code == 503
        assert shed.headers["retry-after"] == "1"
        assert shed.json()["detail"][0]["type"] == "busy"
        assert (await probe.client.get("/health")).status_code == 200
        metrics = (await probe.client.get("/metrics")).text
        assert 'aftersales_http_requests_shed_total{service="probe"}' in metrics

        release.set()
        assert (await first).json() == {"done": "yes"}
        # the slot is free again
        assert (await probe.client.get("/slow")).status_code == 200


async def test_no_free_database_connection_is_503_not_500(tmp_path: Path) -> None:
    async with (
        temporary_postgres_database() as url,
        run_service(
            definition,
            tmp_path,
            database_url=url,
            db_pool_size=1,
            db_max_overflow=0,
            db_pool_timeout=0.3,
            relay=False,
            scheduler=False,
        ) as probe,
    ):
        async with probe.runtime.db.engine.connect():  # the pool's only connection, held
            busy = await probe.client.get("/admin/dead-letters", headers=auth_headers("ops"))
        assert busy.status_code == 503
        assert busy.headers["retry-after"] == "1"
        assert busy.json()["detail"][0]["type"] == "busy"
        # the connection back in the pool: the same request is served
        again = await probe.client.get("/admin/dead-letters", headers=auth_headers("ops"))
        assert again.status_code == 200
