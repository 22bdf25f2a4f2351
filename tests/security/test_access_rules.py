"""Access rules over every endpoint of every service, found by walking the routes (so a new
endpoint is covered the day it is added): no token, a forged, unsigned (``alg=none``, stripped
signature), tampered, expired, not-yet-valid, wrongly signed or wrong-algorithm token, one of
another issuer or audience, or without subject or role → 401;
request bodies refuse unknown fields and never let a caller set what the system owns."""

from __future__ import annotations

import base64
import importlib
import json
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


def _b64(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


SECRET = ServiceSettings().auth_secret
_valid_parts = jwt.encode(claims(role="technician", all_stations=False), SECRET, "HS256").split(".")
_now = int(datetime.now(UTC).timestamp())


def _without(name: str) -> dict[str, Any]:
    values = claims()
    del values[name]
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
    "alg None (capitalised), unsigned": f"{_b64({'alg': 'None', 'typ': 'JWT'})}.{_valid_parts[1]}.",
    "signature stripped": f"{_valid_parts[0]}.{_valid_parts[1]}.",
    "payload tampered (technician made group manager)": ".".join(
        [
            _valid_parts[0],
            _b64({**claims(iat=_now, exp=_now + 3600), "role": "group_manager"}),
            _valid_parts[2],
        ]
    ),
    "right secret, algorithm not accepted (HS384)": jwt.encode(claims(), SECRET, "HS384"),
    "wrong issuer": jwt.encode(claims(iss="another-system"), SECRET, "HS256"),
    "no issuer": jwt.encode(_without("iss"), SECRET, "HS256"),
    "audience of another system": jwt.encode(claims(aud="another-system"), SECRET, "HS256"),
    "not valid yet (nbf)": jwt.encode(
        claims(nbf=datetime.now(UTC) + timedelta(hours=1)), SECRET, "HS256"
    ),
    "issued in the future": jwt.encode(
        claims(iat=datetime.now(UTC) + timedelta(hours=1)), SECRET, "HS256"
    ),
    "no subject": jwt.encode(_without("sub"), SECRET, "HS256"),
    "no role": jwt.encode(_without("role"), SECRET, "HS256"),
    # PyJWT checks exp only when present: without one a token would never expire
    "no expiry": jwt.encode(_without("exp"), SECRET, "HS256"),
    "no issued-at": jwt.encode(_without("iat"), SECRET, "HS256"),
}
#: Authorization headers that are not a bearer token at all
BAD_HEADERS = {
    "empty bearer": "Bearer ",
    "basic scheme": "Basic Z3JvdXAubWFuYWdlcjpkZW1v",
    "token without scheme": jwt.encode(claims(), SECRET, "HS256"),
}


@pytest.mark.parametrize("service", SERVICES)
async def test_every_endpoint_refuses_missing_and_bad_tokens(service: str, tmp_path: Path) -> None:
    async with run_service(definition_of(service), tmp_path) as harness:
        routes = protected_routes(harness.app)
        assert routes, f"{service} has no protected endpoint"
        failures = []
        for method, path in routes:
            attempts = {
                **{
                    label: {"Authorization": f"Bearer {token}"} if token else {}
                    for label, token in BAD_TOKENS.items()
                },
                **{label: {"Authorization": value} for label, value in BAD_HEADERS.items()},
            }
            for label, headers in attempts.items():
                response = await harness.client.request(method, path, headers=headers, json={})
                if response.status_code != 401:
                    failures.append((label, method, path, response.status_code))
        assert not failures, failures


async def test_the_bad_tokens_differ_from_a_good_one_only_by_their_flaw(tmp_path: Path) -> None:
    """Control: the claims the bad tokens are made from, signed properly, are accepted — so
    each bad token is refused for its flaw, not for something else."""
    async with run_service(definition_of("crm"), tmp_path) as harness:
        good = jwt.encode(claims(), SECRET, "HS256")
        response = await harness.client.get("/auth/me", headers={"Authorization": f"Bearer {good}"})
        assert response.status_code == 200, response.text
        assert response.json()["role"] == "group_manager"
        technician = ".".join(_valid_parts)
        response = await harness.client.get(
            "/auth/me", headers={"Authorization": f"Bearer {technician}"}
        )
        assert response.json()["role"] == "technician"


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
