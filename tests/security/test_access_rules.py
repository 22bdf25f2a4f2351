"""Access rules over every endpoint of every service, found by walking the routes (so a new
endpoint is covered the day it is added): no token, a forged, unsigned or expired token → 401;
request bodies refuse unknown fields and never let a caller set what the system owns."""

from __future__ import annotations

import importlib
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from pydantic import BaseModel

from shared.settings import ServiceSettings
from shared.testing import run_service

SERVICES = ["reception", "workshop", "parts", "warranty", "crm"]
PUBLIC = {"/health", "/metrics", "/asyncapi.json", "/auth/token"}
#: the customer's approval link works without an account: its token is the credential
PUBLIC_PREFIXES = ("/approvals/",)
#: what the system owns; a caller may never send it in a body (mass assignment)
OWNED = {
    "id",
    "status",
    "total",
    "totals",
    "created_at",
    "updated_at",
    "advisor_id",
    "published_at",
    "station_ids",
}


def definition_of(service: str) -> Any:
    return importlib.import_module(f"services.{service}.app").definition


def protected_routes(app: Any) -> list[tuple[str, str]]:
    """Every (method, path) of the service's OpenAPI, path parameters filled in."""
    routes = []
    for path, operations in app.openapi()["paths"].items():
        if path in PUBLIC or path.startswith(PUBLIC_PREFIXES):
            continue
        concrete = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
        for method in operations:
            routes.append((method.upper(), concrete))
    return routes


def claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "iss": "aftersales",
        "sub": "group.manager",
        "name": "x",
        "role": "group_manager",
        "stations": ["bj01", "sh01"],
        "all_stations": True,
        "iat": now,
        "exp": now + timedelta(hours=1),
    }
    values.update(overrides)
    return values


BAD_TOKENS = {
    "no token": None,
    "garbage": "not-a-jwt",
    "wrong secret": jwt.encode(claims(), "another-secret-that-is-long-enough-32b", "HS256"),
    "alg none": jwt.encode(claims(), key=None, algorithm="none"),
    "expired": jwt.encode(
        claims(exp=datetime.now(UTC) - timedelta(minutes=1)),
        ServiceSettings().auth_secret,
        "HS256",
    ),
    "unknown role": jwt.encode(claims(role="superuser"), ServiceSettings().auth_secret, "HS256"),
}


@pytest.mark.parametrize("service", SERVICES)
async def test_every_endpoint_refuses_missing_and_bad_tokens(service: str, tmp_path: Path) -> None:
    async with run_service(definition_of(service), tmp_path) as harness:
        routes = protected_routes(harness.app)
        assert routes, f"{service} has no protected endpoint"
        failures = []
        for method, path in routes:
            for label, token in BAD_TOKENS.items():
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                response = await harness.client.request(method, path, headers=headers, json={})
                if response.status_code != 401:
                    failures.append((label, method, path, response.status_code))
        assert not failures, failures


def body_schemas(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            if schema:
                found.append((f"{method.upper()} {path}", schema))
    return found


def resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def objects_in(
    schema: dict[str, Any], spec: dict[str, Any], seen: set[str]
) -> list[dict[str, Any]]:
    """Every object schema reachable from ``schema`` (nested models, lists, unions)."""
    if "$ref" in schema:
        name = schema["$ref"]
        if name in seen:
            return []
        seen.add(name)
    schema = resolve(schema, spec)
    found = [schema] if schema.get("type") == "object" or "properties" in schema else []
    children = list(schema.get("properties", {}).values())
    children += [schema["items"]] if isinstance(schema.get("items"), dict) else []
    for key in ("anyOf", "oneOf", "allOf"):
        children += schema.get(key, [])
    for child in children:
        found += objects_in(child, spec, seen)
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_request_bodies_refuse_unknown_fields_and_owned_fields(service: str) -> None:
    from shared.app import create_app

    spec = create_app(definition_of(service), ServiceSettings(service_name=service)).openapi()
    problems = []
    for route, schema in body_schemas(spec):
        for obj in objects_in(schema, spec, set()):
            title = obj.get("title", "?")
            if obj.get("additionalProperties") is not False and obj.get("properties"):
                problems.append(f"{route}: {title} accepts unknown fields")
            owned = set(obj.get("properties", {})) & OWNED
            if owned:
                problems.append(f"{route}: {title} lets the caller set {sorted(owned)}")
    assert not problems, problems


class Sloppy(BaseModel):
    name: str
    status: str


def test_the_body_check_catches_a_permissive_model_and_an_owned_field() -> None:
    from fastapi import FastAPI

    app = FastAPI()

    @app.post("/things")
    async def make(thing: Sloppy) -> None:
        return None

    spec = app.openapi()
    [(_route, schema)] = body_schemas(spec)
    [obj] = objects_in(schema, spec, set())
    assert obj.get("additionalProperties") is not False
    assert set(obj["properties"]) & OWNED == {"status"}
