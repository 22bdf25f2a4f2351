"""Contract tests: the event schemas are pinned; an incompatible change fails here.

Refresh the snapshots after a compatible change with ``make contracts``. An incompatible
change needs a new ``event_version`` beside the old one (see shared/contracts/events.py).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from shared.contracts.schema import breaking_changes, event_schemas

SNAPSHOTS = Path(__file__).parent / "snapshots"


def snapshots() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(SNAPSHOTS.glob("*.json"))}


def test_every_event_of_the_issue_catalogue_has_a_contract() -> None:
    required = {
        "order.created",
        "item.requested",
        "item.reserved",
        "item.backordered",
        "item.issued",
        "job.dispatched",
        "job.completed",
        "work.additional_found",
        "work.additional_approved",
        "work.additional_declined",
        "inspection.passed",
        "inspection.failed",
        "vehicle.completed",
        "vehicle.delivered",
        "claim.submitted",
        "claim.approved",
        "claim.rejected",
        "followup.due",
        "complaint.opened",
    }
    declared = {name.rsplit(".v", 1)[0] for name in event_schemas()}
    assert required <= declared, required - declared


def test_no_event_version_was_removed() -> None:
    missing = set(snapshots()) - set(event_schemas())
    assert not missing, f"contracts removed while consumers may still need them: {missing}"


@pytest.mark.parametrize("name", sorted(snapshots()))
def test_no_incompatible_change(name: str) -> None:
    current = event_schemas().get(name)
    assert current is not None
    problems = breaking_changes(snapshots()[name], current)
    assert not problems, f"{name} changed incompatibly: {problems}; declare a new version"


def test_snapshots_are_current() -> None:
    stale = [
        n for n, s in event_schemas().items() if snapshots().get(n) != json.loads(json.dumps(s))
    ]
    assert not stale, f"contracts changed compatibly; refresh with `make contracts`: {stale}"


def test_the_check_catches_a_removed_field_a_retyped_field_and_a_new_required_one() -> None:
    old = event_schemas()["order.created.v1"]
    removed = copy.deepcopy(old)
    del removed["$defs"]["OrderCreated"]["properties"]["complaint"]
    retyped = copy.deepcopy(old)
    retyped["$defs"]["VehicleRef"]["properties"]["mileage_km"] = {"type": "string"}
    required = copy.deepcopy(old)
    required["$defs"]["OrderCreated"]["required"].append("car_wash")
    assert any("complaint: removed" in p for p in breaking_changes(old, removed))
    assert breaking_changes(old, retyped)
    assert any("car_wash: became required" in p for p in breaking_changes(old, required))


def test_an_added_optional_field_is_compatible() -> None:
    old = event_schemas()["order.created.v1"]
    new = copy.deepcopy(old)
    new["$defs"]["OrderCreated"]["properties"]["courtesy_car"] = {"type": "boolean"}
    assert breaking_changes(old, new) == []
