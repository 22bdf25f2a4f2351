"""Each role only the actions of its role: a role × action matrix over every write endpoint
(POST/PUT/PATCH/DELETE) of every service, walked from each app's OpenAPI document.

Three sources must agree for every write endpoint:

- the reviewed table ``ALLOWED`` below (pinned: widening an endpoint to another role, or adding
  a write endpoint, fails here until the table is changed in review);
- the ``require_role(...)`` dependency the route declares (read from the route's dependency
  tree, so the table cannot drift from the code unnoticed);
- what the running app answers: a refused role gets 403 "role … may not do this", an allowed
  role never does (whatever else it gets for a made-up record: 404, 422…).
"""

from __future__ import annotations

import importlib
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from shared.app import ServiceDefinition, _platform_router, create_app
from shared.auth import Principal, Role, require_role
from shared.demo import USERS
from shared.settings import ServiceSettings
from shared.testing import auth_headers, run_service

SERVICES = ["reception", "workshop", "parts", "warranty", "crm"]
WRITES = {"post", "put", "patch", "delete"}
#: no token at all: the demo sign-in and the customer's approval link (its token is the key)
PUBLIC = "public"
#: the manufacturer's claim system calls with a signature of its own, no user token
WEBHOOK = "no user token, checked by signed_by_manufacturer"

R = Role
MANAGERS = {R.SERVICE_MANAGER, R.GROUP_MANAGER}
OPERATORS = {R.OPERATOR, R.GROUP_MANAGER}
ADVISOR = {R.SERVICE_ADVISOR, *MANAGERS}
CLERK = {R.PARTS_CLERK, R.SERVICE_MANAGER}
CRM = {R.CRM_AGENT, *MANAGERS}
WARRANTY = {R.WARRANTY_ADMIN}

PLATFORM: dict[str, Any] = {
    "POST /auth/token": PUBLIC,
    "POST /admin/dead-letters/{letter_id}/redrive": OPERATORS,
    "POST /admin/replay": OPERATORS,
    "POST /admin/read-models/reset": OPERATORS,
    "POST /admin/clock": OPERATORS,
}

#: the reviewed table: which roles may call each write endpoint (everybody else: 403)
ALLOWED: dict[str, dict[str, Any]] = {
    "reception": {
        "POST /repair-orders/{order_id}/manager-sign-off": MANAGERS,
        "POST /repair-orders/{order_id}/invoices": {R.CASHIER, *MANAGERS},
        "POST /diagnoses": ADVISOR,
        "POST /diagnoses/{diagnosis_id}/fee": ADVISOR,
        "POST /diagnoses/{diagnosis_id}/fee/payments": {R.CASHIER, *MANAGERS},
        "POST /diagnoses/{diagnosis_id}/invoices": {R.CASHIER, *MANAGERS},
        "POST /archive/{entry_id}/custody": {R.SERVICE_ADVISOR, R.CASHIER, *MANAGERS},
        **PLATFORM,
        "POST /estimates": ADVISOR,
        "POST /repair-orders": ADVISOR,
        "PATCH /repair-orders/{order_id}": ADVISOR,
        "POST /repair-orders/{order_id}/settlement/discount": ADVISOR,
        "POST /repair-orders/{order_id}/settlement/discount/decision": MANAGERS,
        "POST /repair-orders/{order_id}/payments": {R.CASHIER, *MANAGERS},
        "POST /repair-orders/{order_id}/delivery": ADVISOR,
        "POST /check-ins": ADVISOR,
        "POST /check-ins/{check_in_id}/damage-marks/{mark_id}/photos": ADVISOR,
        "POST /appointments": ADVISOR,
        "POST /appointments/{appointment_id}/move": ADVISOR,
        "POST /appointments/{appointment_id}/cancellation": ADVISOR,
        "POST /appointments/{appointment_id}/no-show": ADVISOR,
        "PUT /capacity/{station_id}/{slot_start}": {R.FOREMAN, *MANAGERS},
        "POST /additional-work/{finding_id}/pricing": ADVISOR,
        "POST /additional-work/{finding_id}/decision": ADVISOR,
        "POST /additional-work/{finding_id}/approval-link": ADVISOR,
        "POST /repair-orders/{order_id}/cancellation": ADVISOR,
        "POST /approvals/{token}": PUBLIC,
    },
    "workshop": {
        "POST /teams": {R.FOREMAN},
        "PATCH /teams/{team_id}": {R.FOREMAN},
        "POST /teams/{team_id}/dissolution": {R.FOREMAN},
        **PLATFORM,
        "POST /jobs/{job_id}/dispatch": {R.FOREMAN, R.SERVICE_ADVISOR},
        "POST /jobs/{job_id}/clock-on": {R.TECHNICIAN},
        "POST /jobs/{job_id}/clock-off": {R.TECHNICIAN},
        "POST /jobs/{job_id}/completion": {R.TECHNICIAN, R.FOREMAN},
        "POST /jobs/{job_id}/findings": {R.TECHNICIAN, R.FOREMAN},
        "POST /orders/{order_id}/inspections": {R.INSPECTOR},
        "POST /technicians": {R.FOREMAN},
        "POST /technicians/{technician_id}/absences": {R.FOREMAN},
        "POST /capacity/publications": {R.FOREMAN, R.SERVICE_MANAGER},
        "POST /roadside-calls": {R.FOREMAN, R.SERVICE_ADVISOR},
        "POST /roadside-calls/{call_id}/dispatch": {R.FOREMAN},
        "POST /roadside-calls/{call_id}/arrival": {R.TECHNICIAN, R.FOREMAN},
        "POST /roadside-calls/{call_id}/finish": {R.TECHNICIAN, R.FOREMAN},
        "POST /jobs/{job_id}/overrun-requests": {R.TECHNICIAN, R.FOREMAN},
        "POST /overrun-requests/{request_id}/decision": {R.FOREMAN},
        "POST /overrun-requests/{request_id}/customer-informed": {R.SERVICE_ADVISOR},
        "POST /progress-reports/{report_id}": {R.TECHNICIAN, R.FOREMAN},
        "POST /bulletins": {R.FOREMAN, R.SERVICE_MANAGER},
        "POST /jobs/{job_id}/tac-cases": {R.TECHNICIAN, R.FOREMAN},
        "POST /tac-cases/{case_id}/answer": {R.TECHNICIAN, R.FOREMAN},
        "POST /tac-cases/{case_id}/closing": {R.TECHNICIAN, R.FOREMAN},
    },
    "parts": {
        **PLATFORM,
        "PUT /parts/{part_no}/price": MANAGERS,
        "POST /stock/{part_no}/receipts": CLERK,
        "POST /stock/{part_no}/write-offs": CLERK,
        "POST /reservations/{reservation_id}/issues": CLERK,
        "POST /reservations/{reservation_id}/returns": CLERK,
        "POST /purchase-orders": CLERK,
        "POST /purchase-orders/{purchase_order_id}/approval": MANAGERS,
        "POST /purchase-orders/{purchase_order_id}/sending": CLERK,
        "POST /purchase-orders/{purchase_order_id}/cancellation": CLERK,
        "POST /purchase-orders/{purchase_order_id}/receipts": CLERK,
        "POST /transfers": CLERK,
        "POST /transfers/{transfer_id}/shipment": CLERK,
        "POST /transfers/{transfer_id}/receipt": CLERK,
        "POST /transfers/{transfer_id}/cancellation": CLERK,
        "POST /stocktakes": CLERK,
        "POST /stocktakes/{stocktake_id}/counts": CLERK,
        "POST /stocktakes/{stocktake_id}/approval": MANAGERS,
        "POST /stock/{part_no}/adjustments": CLERK,
        "POST /stock-adjustments/{adjustment_id}/approval": MANAGERS,
        "POST /stock-adjustments/{adjustment_id}/rejection": MANAGERS,
        "POST /counter-customers": CLERK,
        "POST /counter-sales": CLERK,
        "PUT /stock/{part_no}/policy": CLERK,
        "PUT /counter-sales/targets/{week_start}": MANAGERS,
    },
    "warranty": {
        **PLATFORM,
        "POST /orders/{order_id}/lines/{line_id}/fault-classification": WARRANTY,
        "POST /vehicles/{vin}/maintenance": WARRANTY,
        "POST /manufacturer/answers/{answer_id}/dismissal": WARRANTY,
        "PATCH /claims/{claim_id}": WARRANTY,
        "POST /claims/{claim_id}/submission": WARRANTY,
        "POST /claims/{claim_id}/poll": WARRANTY,
        "POST /policies": {R.WARRANTY_ADMIN, R.GROUP_MANAGER},
        "POST /coverage-checks": {R.WARRANTY_ADMIN, R.SERVICE_ADVISOR, *MANAGERS},
        "POST /orders/{order_id}/lines/{line_id}/pre-authorisation": WARRANTY,
        "POST /returned-parts/{part_id}/return-request": WARRANTY,
        "POST /returned-parts/{part_id}/shipment": WARRANTY,
        "POST /returned-parts/{part_id}/scrap": WARRANTY,
        "POST /claims/{claim_id}/charge-back": WARRANTY,
        "POST /manufacturer/answers": WEBHOOK,
        "POST /manufacturer/answers/{answer_id}/redrive": WARRANTY,
    },
    "crm": {
        **PLATFORM,
        "PATCH /customers/{customer_id}": CRM,
        "POST /customers/{customer_id}/contacts": CRM,
        "POST /customers/{customer_id}/merge": CRM,
        "POST /enquiries": {R.SERVICE_ADVISOR, *CRM},
        "POST /follow-ups/{followup_id}/assignment": CRM,
        "POST /follow-ups/{followup_id}/outcome": CRM,
        "POST /complaints": CRM,
        "POST /complaints/{complaint_id}/answer": CRM,
        "POST /csi-surveys": CRM,
        "POST /campaigns": MANAGERS,
        "POST /campaigns/{campaign_id}/vehicles/{vin}/done": {R.SERVICE_ADVISOR, *CRM},
        "POST /campaigns/{campaign_id}/vehicles": MANAGERS,
        "POST /escalations/{escalation_id}/acknowledgement": MANAGERS,
    },
}


def definition_of(service: str) -> ServiceDefinition:
    definition: ServiceDefinition = importlib.import_module(f"services.{service}.app").definition
    return definition


def write_operations(app: FastAPI) -> list[str]:
    """ "METHOD /path" of every write operation in the app's OpenAPI document."""
    return [
        f"{method.upper()} {path}"
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method in WRITES
    ]


def role_gates(dependant: Dependant) -> list[frozenset[Role]]:
    """The role sets of every ``require_role(...)`` in a route's dependency tree."""
    gates = []
    for sub in dependant.dependencies:
        call: Any = sub.call
        if getattr(call, "__qualname__", "") == require_role(Role.OPERATOR).__qualname__:
            closure = dict(zip(call.__code__.co_freevars, call.__closure__ or (), strict=True))
            gates.append(frozenset(closure["roles"].cell_contents))
        gates += role_gates(sub)
    return gates


def uses_current_user(dependant: Dependant) -> bool:
    from shared.auth import current_user

    return any(sub.call is current_user or uses_current_user(sub) for sub in dependant.dependencies)


def declared(routers: list[APIRouter]) -> dict[str, Any]:
    """What each route's dependencies admit: a role set, "any" (signed in, any role) or
    PUBLIC (no token needed)."""
    found: dict[str, Any] = {}
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute):
                continue
            gates = role_gates(route.dependant)
            if gates:
                admitted: Any = frozenset.intersection(*gates)
            elif uses_current_user(route.dependant):
                admitted = "any signed-in role"
            else:
                checks = sorted(
                    getattr(sub.call, "__name__", "?")
                    for sub in route.dependant.dependencies
                    if getattr(sub.call, "__name__", "") != "get_runtime"
                )
                admitted = f"no user token, checked by {', '.join(checks)}" if checks else PUBLIC
            for method in route.methods or ():
                found[f"{method} {route.path}"] = admitted
    return found


def normalised(allowed: Any) -> Any:
    return frozenset(allowed) if isinstance(allowed, set | frozenset) else allowed


@pytest.mark.parametrize("service", SERVICES)
def test_the_reviewed_table_names_every_write_endpoint_and_matches_its_declared_roles(
    service: str,
) -> None:
    definition = definition_of(service)
    app = create_app(definition, ServiceSettings(service_name=service))
    writes = write_operations(app)
    assert writes, f"{service} has no write endpoint"
    routes = declared([_platform_router(definition), *definition.routers])
    table = ALLOWED[service]
    problems = []
    for operation in writes:
        if operation not in table:
            problems.append(f"{operation}: not in the reviewed table (who may call it?)")
        elif operation not in routes:
            problems.append(f"{operation}: no route declares it (cannot read its roles)")
        elif normalised(table[operation]) != routes[operation]:
            problems.append(
                f"{operation}: table says {_names(table[operation])}, "
                f"route admits {_names(routes[operation])}"
            )
    for operation in set(table) - set(writes):
        problems.append(f"{operation}: in the table but not in the OpenAPI document")
    assert not problems, "\n".join(problems)


def _names(allowed: Any) -> Any:
    return sorted(r.value for r in allowed) if isinstance(allowed, set | frozenset) else allowed


def user_of(role: Role) -> str:
    """A demo user of the role, at bj01 when the role belongs to a station."""
    candidates = sorted(name for name, user in USERS.items() if user.role == role)
    assert candidates, f"no demo user has the role {role}"
    return next((name for name in candidates if name.endswith(".bj01")), candidates[0])


def concrete(path: str) -> str:
    return re.sub(
        r"\{[^}]+\}", lambda m: "bj01" if m[0] == "{station_id}" else str(uuid.uuid4()), path
    )


def is_role_refusal(response: Any) -> bool:
    if response.status_code != 403:
        return False
    detail = response.json().get("detail")
    return isinstance(detail, str) and detail.startswith("role ")


@pytest.mark.parametrize("service", SERVICES)
async def test_each_role_only_the_actions_of_its_role(service: str, tmp_path: Path) -> None:
    """Every role × every write endpoint of the running app (SQLite, test broker): refused
    with 403 exactly when the reviewed table does not list the role."""
    async with run_service(definition_of(service), tmp_path) as harness:
        table = ALLOWED[service]
        wrong = []
        calls = refusals = 0
        for operation in write_operations(harness.app):
            allowed = table.get(operation)
            if not isinstance(allowed, set):
                continue  # public and webhook ones take no user token; unlisted: table test
            method, path = operation.split(" ", 1)
            url = concrete(path)
            for role in Role:
                response = await harness.client.request(
                    method, url, headers=auth_headers(user_of(role)), json={}
                )
                calls += 1
                refused = is_role_refusal(response)
                refusals += refused
                if refused == (role in allowed):
                    expected = "allowed" if role in allowed else "refused (403)"
                    wrong.append(
                        f"{role.value} × {operation}: expected {expected}, got "
                        f"{response.status_code} {response.text[:120]}"
                    )
        assert calls >= len(Role) * 5, f"only {calls} calls made for {service}"
        assert 0 < refusals < calls, f"{refusals} refusals of {calls} calls: the gate was not seen"
        assert not wrong, "\n".join(wrong)


def test_the_matrix_reads_a_widened_route_and_the_refusal_it_answers() -> None:
    """The checks above can fail: a route widened from the foreman to the technician is seen
    as such, and the refusal of a role is told apart from other 403s."""
    router = APIRouter()

    widened = require_role(Role.FOREMAN, Role.TECHNICIAN)

    @router.post("/things")
    async def make(user: Principal = Depends(widened)) -> None:
        return None

    routes = declared([router])
    assert routes["POST /things"] == frozenset({Role.FOREMAN, Role.TECHNICIAN})
    assert normalised({Role.FOREMAN}) != routes["POST /things"]

    class Answer:
        def __init__(self, status_code: int, detail: str) -> None:
            self.status_code, self.detail = status_code, detail

        def json(self) -> dict[str, str]:
            return {"detail": self.detail}

    assert is_role_refusal(Answer(403, "role technician may not do this (allowed: foreman)"))
    assert not is_role_refusal(Answer(403, "you may not act for station sh01"))
    assert not is_role_refusal(Answer(404, "role"))
