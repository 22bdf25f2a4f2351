"""kill -9 a process that is committing and publishing; a restarted relay loses nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared.contracts.topics import all_topics_with_dlq
from shared.db import Database, create_engine
from shared.messaging import broker_publisher, ensure_topics, make_broker
from shared.outbox import OutboxRelay
from shared.testing import read_topic

pytestmark = pytest.mark.realbroker

ROOT = Path(__file__).resolve().parents[2]


async def test_events_committed_before_kill9_are_published_after_restart(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    await ensure_topics(kafka_bootstrap, all_topics_with_dlq(), partitions=3)
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.platform.crash_child", db_url, kafka_bootstrap],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    committed: list[str] = []
    deadline = time.monotonic() + 60
    while len(committed) < 150 and time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        committed.append(line.strip())
    os.kill(child.pid, signal.SIGKILL)  # no shutdown hook runs
    child.wait()
    committed += [line.strip() for line in child.stdout.read().splitlines() if line.strip()]
    assert len(committed) >= 150, "the child did not get going"

    db = Database(create_engine(db_url))
    broker = make_broker(kafka_bootstrap, client_id="restarted")
    await broker.start()
    relay = OutboxRelay(db, broker_publisher(broker))
    left_over = await relay.backlog()
    while await relay.backlog():
        await relay.run_once()
    await broker.stop()
    await db.dispose()

    wanted = set(committed)
    records = await read_topic(kafka_bootstrap, "job.completed", count=10**9, timeout=8)
    seen = [json.loads(r.value)["event_id"] for r in records]
    mine = [event_id for event_id in seen if event_id in wanted]
    assert wanted <= set(mine), f"{len(wanted - set(mine))} committed events were lost"
    duplicates = len(mine) - len(set(mine))
    # at least once: only a batch in flight at the kill may go out twice
    assert duplicates <= 200
    print(f"committed={len(wanted)} left_for_restart={left_over} duplicates={duplicates}")
