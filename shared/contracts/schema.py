"""JSON schemas of the event contracts, and the rule for what counts as a breaking change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared.contracts.envelope import registry


def event_schemas() -> dict[str, dict[str, Any]]:
    """``{"order.created.v1": <schema of the envelope with its payload>, ...}``."""
    from shared.app import documented_envelope

    return {
        f"{event_type}.v{version}": documented_envelope(cls).model_json_schema()
        for (event_type, version), cls in sorted(registry().items())
    }


def write_snapshots(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, schema in event_schemas().items():
        (folder / f"{name}.json").write_text(
            json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        )


def _resolve(node: Any, defs: dict[str, Any]) -> Any:
    """Inline ``$ref``s so two schemas compare by shape, not by definition names."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = defs[node["$ref"].rsplit("/", 1)[-1]]
            return _resolve(target, defs)
        return {
            k: _resolve(v, defs)
            for k, v in node.items()
            if k not in ("$defs", "title", "description", "default")
        }
    if isinstance(node, list):
        return [_resolve(item, defs) for item in node]
    return node


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What in ``new`` breaks a consumer written against ``old`` (empty when compatible).

    Breaking: a field removed, a field's type changed, a new required field, an enum value
    removed. Compatible: new optional fields, new enum values, new descriptions.
    """
    return _compare(_resolve(old, old.get("$defs", {})), _resolve(new, new.get("$defs", {})), "")


def _compare(old: Any, new: Any, path: str) -> list[str]:
    problems: list[str] = []
    if not isinstance(old, dict) or not isinstance(new, dict):
        return [] if old == new else [f"{path or 'schema'}: changed from {old!r} to {new!r}"]
    old_props, new_props = old.get("properties"), new.get("properties")
    if old_props is not None or new_props is not None:
        old_props, new_props = old_props or {}, new_props or {}
        for name in old_props:
            if name not in new_props:
                problems.append(f"{path}{name}: removed")
            else:
                problems += _compare(old_props[name], new_props[name], f"{path}{name}.")
        added_required = set(new.get("required", [])) - set(old.get("required", []))
        problems += [f"{path}{name}: became required" for name in sorted(added_required)]
        return problems
    if "enum" in old or "enum" in new:
        removed = set(old.get("enum", [])) - set(new.get("enum", []))
        return [f"{path or 'schema'}: enum values removed {sorted(removed)}"] if removed else []
    where = path.rstrip(".") or "schema"
    for key in ("type", "format", "const"):
        if old.get(key) != new.get(key):
            problems.append(f"{where}: {key} {old.get(key)!r} -> {new.get(key)!r}")
    for key in ("anyOf", "oneOf", "allOf"):
        old_variants = {json.dumps(v, sort_keys=True) for v in old.get(key, [])}
        new_variants = {json.dumps(v, sort_keys=True) for v in new.get(key, [])}
        if old_variants != new_variants:
            problems.append(f"{where}: {key} variants changed")
    if "items" in old or "items" in new:
        problems += _compare(old.get("items"), new.get("items"), f"{path}[].")
    return problems
