"""Which desks each role has, and what it may do there.

A desk is a page (or a few) for one kind of work. Adding one: a router under ``pages/``, a
``Desk`` line here, a ``desk.<key>`` label in ``i18n.py``. The services enforce every rule
themselves; these sets only decide what the console offers, so nobody meets a button that
can only answer "forbidden".
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.auth import Role

MANAGERS = frozenset({Role.SERVICE_MANAGER, Role.GROUP_MANAGER})
ADVISORS = frozenset({Role.SERVICE_ADVISOR, Role.CASHIER}) | MANAGERS
WORKSHOP = frozenset({Role.FOREMAN, Role.INSPECTOR, Role.TECHNICIAN}) | MANAGERS


@dataclass(frozen=True)
class Desk:
    key: str
    path: str
    roles: frozenset[Role]


DESKS: tuple[Desk, ...] = (
    Desk("advisor", "/advisor", ADVISORS),
    Desk("workshop", "/workshop", frozenset({Role.FOREMAN, Role.INSPECTOR}) | MANAGERS),
    Desk("technician", "/technician", WORKSHOP),
    Desk(
        "parts",
        "/parts",
        frozenset({Role.PARTS_CLERK, Role.SERVICE_ADVISOR, Role.FOREMAN, Role.OPERATOR}) | MANAGERS,
    ),
    Desk(
        "warranty", "/warranty", frozenset({Role.WARRANTY_ADMIN, Role.SERVICE_ADVISOR}) | MANAGERS
    ),
    Desk("crm", "/crm", frozenset({Role.CRM_AGENT}) | MANAGERS),
    Desk(
        "customers", "/crm/customers", frozenset({Role.CRM_AGENT, Role.SERVICE_ADVISOR}) | MANAGERS
    ),
    Desk("dashboard", "/dashboard", MANAGERS),
    Desk("sign_offs", "/sign-offs", MANAGERS),
)
BY_KEY = {desk.key: desk for desk in DESKS}

#: who may open a repair order (reception: advisors and managers)
OPEN_ORDER = frozenset({Role.SERVICE_ADVISOR}) | MANAGERS
#: who may hand a car over (reception: advisors and managers)
DELIVER = frozenset({Role.SERVICE_ADVISOR}) | MANAGERS
#: who takes payment on the settlement (reception: cashiers and managers)
TAKE_PAYMENT = frozenset({Role.CASHIER}) | MANAGERS
#: who records the final inspection (workshop: the inspector)
INSPECT = frozenset({Role.INSPECTOR})
#: who completes and submits warranty claims (warranty: the administrator)
WARRANTY_ADMIN = frozenset({Role.WARRANTY_ADMIN})
#: who logs follow-up calls (crm: agents and managers)
RECORD_CALL = frozenset({Role.CRM_AGENT}) | MANAGERS
#: who may read the settlement (reception)
READ_SETTLEMENT = ADVISORS | {Role.FOREMAN}
#: who may dispatch a ready job to a technician (workshop: foreman; advisor for one-team orders)
DISPATCH_JOB = frozenset({Role.FOREMAN, Role.SERVICE_ADVISOR})
#: who clocks on and off a job (workshop: the technician it is dispatched to)
CLOCK_JOB = frozenset({Role.TECHNICIAN})
#: who may finish a dispatched job (workshop: the technician, or the foreman for them)
COMPLETE_JOB = frozenset({Role.TECHNICIAN, Role.FOREMAN})


def desks_for(role: Role) -> list[Desk]:
    """The desks of a role, in menu order."""
    return [desk for desk in DESKS if role in desk.roles]
