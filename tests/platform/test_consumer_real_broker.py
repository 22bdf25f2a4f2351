"""At least once on a real broker: an offset is committed only after the message's work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from shared.tables import DeadLetter
from shared.testing import an_order_created, eventually, run_service
from tests.platform.probe_service import Flaky, Note, definition

pytestmark = pytest.mark.realbroker


async def test_a_message_whose_failure_could_not_be_recorded_is_delivered_again(
    tmp_path: Path, kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with run_service(definition, tmp_path, real_broker=kafka_bootstrap) as probe:
        consumer = probe.runtime.consumer
        real_dead_letter = consumer._dead_letter
        refused: list[str] = []

        async def dead_letter_store_down(*args: Any, **kwargs: Any) -> Any:
            # the first time, even recording the failure fails (database unreachable)
            monkeypatch.setattr(consumer, "_dead_letter", real_dead_letter)
            Flaky.failures_left = 0  # ... and by the redelivery the fault is gone
            refused.append("dead letter store down")
            raise ConnectionError("dead letter store unreachable")

        monkeypatch.setattr(consumer, "_dead_letter", dead_letter_store_down)
        Flaky.failures_left = 10
        order = an_order_created(complaint="flaky")
        await probe.publish(order)

        async def noted() -> list[Note]:
            async with probe.runtime.db.read() as session:
                return list(
                    (await session.exec(select(Note).where(Note.order_id == order.order_id))).all()
                )

        notes = await eventually(noted, timeout=30, what="the redelivered message to be handled")
        assert len(notes) == 1
        assert refused == ["dead letter store down"]
        async with probe.runtime.db.read() as session:
            assert (await session.exec(select(DeadLetter))).all() == []
