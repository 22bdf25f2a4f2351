"""Warranty's HTTP routes: thin, they translate and call a use case."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.warranty import service
from services.warranty.models import ClaimStatus, WarrantyClaimPublic, WarrantyClaimsPublic
from shared.app import RuntimeDep
from shared.auth import MANAGERS, Principal, Role, require_role

router = APIRouter(prefix="/claims", tags=["warranty claims"])

reader = require_role(Role.WARRANTY_ADMIN, Role.SERVICE_ADVISOR, *MANAGERS)


@router.get("", response_model=WarrantyClaimsPublic)
async def list_warranty_claims(
    runtime: RuntimeDep,
    user: Annotated[Principal, Depends(reader)],
    status: ClaimStatus | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> WarrantyClaimsPublic:
    """Claims of the stations the user may see, newest first."""
    async with runtime.db.read() as session:
        return await service.list_claims(session, user, status=status, offset=offset, limit=limit)


@router.get("/{claim_id}", response_model=WarrantyClaimPublic)
async def get_warranty_claim(
    runtime: RuntimeDep, claim_id: uuid.UUID, user: Annotated[Principal, Depends(reader)]
) -> WarrantyClaimPublic:
    """One claim with its lines and the problems to fix before it is submitted."""
    async with runtime.db.read() as session:
        return await service.get_claim(session, user, claim_id)
