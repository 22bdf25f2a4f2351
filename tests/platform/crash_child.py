"""Child process for the kill -9 test: commits events one by one while its relay publishes.

Prints each event id after its transaction committed, so the parent knows what must survive.
"""

from __future__ import annotations

import asyncio
import sys
import uuid

from shared.contracts import events
from shared.db import Database, create_engine, migrate
from shared.messaging import broker_publisher, make_broker
from shared.outbox import OutboxRelay, UnitOfWork
from shared.tables import PlatformTable
from tests.platform.probe_service import ProbeTable, definition


async def main(db_url: str, bootstrap: str) -> None:
    db = Database(create_engine(db_url))
    await migrate(db, [definition.migrations], [PlatformTable.metadata, ProbeTable.metadata])
    broker = make_broker(bootstrap, client_id="crash-child")
    await broker.start()
    relay = OutboxRelay(db, broker_publisher(broker), poll_seconds=0.01)
    db.on_commit(relay.wake)
    relay.start()
    order_id = uuid.uuid4()
    seq = 0
    while True:
        async with db.transaction() as session:
            envelope = UnitOfWork(session, "probe").emit(
                events.JobCompleted(
                    job_id=uuid.uuid4(), order_id=order_id, sold_hours=seq, clocked_hours=seq
                ),
                station_id="bj01",
            )
        print(envelope.event_id, flush=True)
        seq += 1
        await asyncio.sleep(0.002)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
