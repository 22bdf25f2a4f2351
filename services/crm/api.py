"""CRM's HTTP routes: thin, they translate and call a use case."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from services.crm import service
from services.crm.models import (
    AuditEntriesPublic,
    CustomerDetailPublic,
    CustomersPublic,
    CustomerUpdate,
    FollowUpsPublic,
    FollowUpStatus,
)
from shared.app import RuntimeDep
from shared.auth import MANAGERS, Principal, Role, require_role

customers = APIRouter(prefix="/customers", tags=["customer files"])
followups = APIRouter(prefix="/follow-ups", tags=["follow-up calls"])
audit = APIRouter(prefix="/audit", tags=["audit"])

#: who may look into customer files (personal data: every read is logged)
file_reader = require_role(Role.CRM_AGENT, Role.SERVICE_ADVISOR, *MANAGERS)
file_editor = require_role(Role.CRM_AGENT, *MANAGERS)
agent = require_role(Role.CRM_AGENT, *MANAGERS)


@customers.get("", response_model=CustomersPublic)
async def list_customers(
    runtime: RuntimeDep,
    phone: str | None = None,
    name: str | None = None,
    vin: str | None = None,
    offset: int = 0,
    limit: int = 50,
    user: Principal = Depends(file_reader),
) -> CustomersPublic:
    """Search customer files by phone, name or VIN; each file listed is logged as read."""
    async with runtime.db.transaction() as session:
        return await service.list_customers(
            session, user, phone=phone, name=name, vin=vin, offset=offset, limit=min(limit, 200)
        )


@customers.get("/{customer_id}", response_model=CustomerDetailPublic)
async def get_customer(
    runtime: RuntimeDep, customer_id: uuid.UUID, user: Principal = Depends(file_reader)
) -> CustomerDetailPublic:
    """The customer's file with vehicles and visits; logged as read."""
    async with runtime.db.transaction() as session:
        return await service.get_customer(session, user, customer_id)


@customers.patch("/{customer_id}", response_model=CustomerDetailPublic)
async def update_customer(
    runtime: RuntimeDep,
    customer_id: uuid.UUID,
    data: CustomerUpdate,
    user: Principal = Depends(file_editor),
) -> CustomerDetailPublic:
    """Correct the customer's name or phone; logged as a change."""
    async with runtime.db.transaction() as session:
        return await service.update_customer(session, user, customer_id, data)


@followups.get("", response_model=FollowUpsPublic)
async def list_followups(
    runtime: RuntimeDep,
    status: FollowUpStatus | None = None,
    offset: int = 0,
    limit: int = 50,
    user: Principal = Depends(agent),
) -> FollowUpsPublic:
    """The follow-up calls (回访) of the user's stations, the oldest deadline first."""
    async with runtime.db.read() as session:
        return await service.list_followups(
            session, user, status=status, offset=offset, limit=min(limit, 200)
        )


@audit.get("", response_model=AuditEntriesPublic)
async def list_audit(
    runtime: RuntimeDep,
    entity_id: str | None = None,
    user_id: str | None = None,
    offset: int = 0,
    limit: int = 50,
    user: Principal = Depends(require_role(*MANAGERS)),
) -> AuditEntriesPublic:
    """Who read or changed which customer's data, newest first."""
    async with runtime.db.read() as session:
        return await service.list_audit(
            session,
            user,
            entity_id=entity_id,
            user_id=user_id,
            offset=offset,
            limit=min(limit, 200),
        )


routers = [customers, followups, audit]
