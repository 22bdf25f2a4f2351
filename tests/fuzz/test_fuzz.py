"""API fuzzing of every service on the running stack (schemathesis, generated from each
service's OpenAPI, signed in as the group manager), with every check schemathesis has: no 5xx,
status codes, content types, headers and bodies as documented, input that violates the schema
rejected and input that conforms to it accepted, the token actually required, unsupported
methods answered 405, and — stateful, along the links schemathesis infers between operations
(the OpenAPI documents declare none) — a deleted resource gone and a created one available.

Every (operation, check) that fails is collected with the shortest request that showed it,
so one run lists every finding instead of stopping at the first."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis import checks as st_checks
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation import GenerationMode

from deploy.run import Stack
from shared.testing import auth_headers

pytestmark = pytest.mark.e2e

SERVICES = ["reception", "workshop", "parts", "warranty", "crm"]
#: operator tools that change the running process are not fuzzed
EXCLUDED = re.compile(r"^/admin/(clock|replay|read-models)")
#: examples per operation (positive and negative data together); the whole module stays
#: within about two minutes on the 2-core machine
MAX_EXAMPLES = 8
STATEFUL_SCENARIOS = 15
STATEFUL_STEPS = 6


def all_checks() -> list[Callable[..., Any]]:
    """Every check schemathesis registers (not a hand-picked few)."""
    st_checks.load_all_checks()
    found = list(st_checks.CHECKS.get_all())
    assert len(found) >= 14, [c.__name__ for c in found]
    return found


CHECKS = all_checks()


@dataclass
class Findings:
    """(operation, check) → the shortest request that failed it, and how it failed."""

    by_key: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    def record(self, case: schemathesis.Case, headers: dict[str, str], exc: BaseException) -> None:
        failures: list[BaseException] = (
            list(exc.exceptions) if isinstance(exc, FailureGroup) else [exc]
        )
        curl = case.as_curl_command(headers={k: "Bearer $TOKEN" for k in headers})
        for failure in failures:
            check = failure.title if isinstance(failure, Failure) else type(failure).__name__
            message = (failure.message if isinstance(failure, Failure) else str(failure))[:400]
            key = (case.operation.label, check)
            known = self.by_key.get(key)
            if known is None or len(curl) < len(known[0]):
                self.by_key[key] = (curl, message)

    def report(self) -> str:
        return "\n\n".join(
            f"{operation} — {check}\n  {curl}\n  {message}"
            for (operation, check), (curl, message) in sorted(self.by_key.items())
        )


def fuzz_settings(max_examples: int) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        # every failure is recorded, none raised: nothing to shrink
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_passes_every_check(stack: Stack, service: str) -> None:
    schema = schemathesis.openapi.from_url(f"{stack.url(service)}/openapi.json")
    headers = auth_headers("group.manager")
    findings = Findings()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        if EXCLUDED.match(operation.path):
            continue
        operations += 1
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @fuzz_settings(MAX_EXAMPLES)
        @hypothesis.given(case=strategy)
        def check(case: schemathesis.Case) -> None:
            try:
                case.call_and_validate(headers=headers, checks=CHECKS, timeout=15)
            except (Failure, FailureGroup, AssertionError) as exc:
                findings.record(case, headers, exc)

        check()
    assert operations > 0
    assert not findings.by_key, f"{len(findings.by_key)} failing checks:\n\n" + findings.report()


@pytest.mark.parametrize("service", SERVICES)
def test_stateful_sequences_along_inferred_links(stack: Stack, service: str) -> None:
    schema = schemathesis.openapi.from_url(f"{stack.url(service)}/openapi.json").exclude(
        path_regex=EXCLUDED.pattern
    )
    headers = auth_headers("group.manager")
    findings = Findings()
    machine = schema.as_state_machine()
    transitions = [n for n in dir(machine) if re.match(r"^(GET|POST|PUT|PATCH|DELETE)_", n)]
    assert transitions, f"schemathesis infers no link between {service}'s operations"

    class Machine(machine):  # type: ignore[misc,valid-type]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": headers, "timeout": 15}

        def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
            try:
                case.validate_response(
                    response,
                    checks=CHECKS,
                    headers=headers,
                    transport_kwargs=kwargs or None,
                    recorder=self.recorder,
                )
            except (Failure, FailureGroup, AssertionError) as exc:
                findings.record(case, headers, exc)

    Machine.run(
        settings=hypothesis.settings(
            fuzz_settings(STATEFUL_SCENARIOS), stateful_step_count=STATEFUL_STEPS
        )
    )
    assert not findings.by_key, f"{len(findings.by_key)} failing checks:\n\n" + findings.report()
