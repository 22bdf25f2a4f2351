"""On the running stack: /metrics counters move during a lifecycle, and one trace id runs
from the advisor's HTTP request through the workshop's events."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import pytest

from deploy.run import Stack
from shared.testing import auth_headers, read_topic
from tests.e2e.flow import get, stock_brake_pads, wait_for, warranty_brake_order

pytestmark = pytest.mark.e2e


def consumed(stack: Stack, service: str, topic: str) -> float:
    text = httpx.get(f"{stack.url(service)}/metrics", timeout=10).text
    pattern = (
        r'aftersales_events_consumed_total\{outcome="handled",service="'
        + service
        + r'",topic="'
        + re.escape(topic)
        + r'"\} ([0-9.e+]+)'
    )
    match = re.search(pattern, text)
    return float(match.group(1)) if match else 0.0


def test_counters_move_and_the_trace_crosses_services(stack: Stack) -> None:
    assert stack.bootstrap
    bootstrap = stack.bootstrap
    before = consumed(stack, "workshop", "order.created")
    created = httpx.post(
        f"{stack.url('reception')}/repair-orders",
        json=_stocked_order(stack),
        headers=auth_headers("advisor.bj01"),
        timeout=10,
    )
    assert created.status_code == 201
    order_id = created.json()["id"]
    wait_for(
        lambda: get(stack, "parts", "/reservations", "parts.bj01", order_id=order_id)["data"],
        "the parts reservation",
    )
    assert consumed(stack, "workshop", "order.created") >= before + 1
    assert consumed(stack, "parts", "item.requested") >= 1

    def of_this_order(record: Any) -> bool:
        # other tests on this stack may have left malformed messages on the topic
        try:
            return bool(json.loads(record.value)["payload"]["order_id"] == order_id)
        except (ValueError, KeyError, TypeError):
            return False

    def traceparent(topic: str) -> str:
        records = asyncio.run(read_topic(bootstrap, topic, timeout=20, until=of_this_order))
        mine = [r for r in records if of_this_order(r)]
        return dict((k, v.decode()) for k, v in mine[0].headers)["traceparent"]

    order_trace = traceparent("order.created").split("-")[1]
    assert traceparent("item.requested").split("-")[1] == order_trace
    assert traceparent("item.reserved").split("-")[1] == order_trace


def _stocked_order(stack: Stack) -> dict[str, object]:
    stock_brake_pads(stack)
    return warranty_brake_order()
