"""API fuzzing of every service on the running stack (schemathesis, generated from each
service's OpenAPI, signed in as the group manager): no 5xx, responses match their content type
and schema, and input that violates the schema is rejected."""

from __future__ import annotations

import re

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
)

from deploy.run import Stack
from shared.testing import auth_headers

pytestmark = pytest.mark.e2e

CHECKS = [
    not_a_server_error,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
#: operator tools that change the running process are not fuzzed
EXCLUDED = re.compile(r"^/admin/(clock|replay|read-models)")


@pytest.mark.parametrize("service", ["reception", "workshop", "parts", "warranty", "crm"])
def test_no_server_error_and_responses_conform(stack: Stack, service: str) -> None:
    schema = schemathesis.openapi.from_url(f"{stack.url(service)}/openapi.json")
    headers = auth_headers("group.manager")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        if EXCLUDED.match(operation.path):
            continue
        operations += 1

        @hypothesis.settings(
            max_examples=12,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        @hypothesis.given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except Exception as exc:
            failures.append(f"{operation.label}: {str(exc)[:800]}")
    assert operations > 0
    assert not failures, "\n\n".join(failures)
