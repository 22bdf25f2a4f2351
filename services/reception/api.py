"""Reception's HTTP routes: thin, they translate and call a use case."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, status

from services.reception import service
from services.reception.models import (
    DeliveryCreate,
    OrderStatus,
    RepairOrderCreate,
    RepairOrderPublic,
    RepairOrdersPublic,
)
from shared.app import RuntimeDep
from shared.auth import MANAGERS, CurrentUser, Principal, Role, require_role

router = APIRouter(prefix="/repair-orders", tags=["repair orders"])

advisor = require_role(Role.SERVICE_ADVISOR, Role.CASHIER, *MANAGERS)
reader = require_role(Role.SERVICE_ADVISOR, Role.CASHIER, Role.FOREMAN, *MANAGERS)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RepairOrderPublic)
async def create_repair_order(
    runtime: RuntimeDep,
    data: RepairOrderCreate,
    user: Principal = Depends(require_role(Role.SERVICE_ADVISOR, *MANAGERS)),
) -> RepairOrderPublic:
    """Open a repair order the customer has signed; announces ``order.created``."""
    async with runtime.unit_of_work() as uow:
        order = await service.create_order(uow, user, data)
    async with runtime.db.read() as session:
        return await service.get_order(session, user, order.id)


@router.get("", response_model=RepairOrdersPublic)
async def list_repair_orders(
    runtime: RuntimeDep,
    user: CurrentUser,
    status: OrderStatus | None = None,
    vin: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> RepairOrdersPublic:
    async with runtime.db.read() as session:
        return await service.list_orders(
            session, user, status=status, vin=vin, offset=offset, limit=min(limit, 200)
        )


@router.get("/{order_id}", response_model=RepairOrderPublic)
async def get_repair_order(
    runtime: RuntimeDep, order_id: uuid.UUID, user: CurrentUser
) -> RepairOrderPublic:
    async with runtime.db.read() as session:
        return await service.get_order(session, user, order_id)


@router.post("/{order_id}/delivery", response_model=RepairOrderPublic)
async def deliver_vehicle(
    runtime: RuntimeDep,
    order_id: uuid.UUID,
    data: DeliveryCreate,
    user: Principal = Depends(advisor),
) -> RepairOrderPublic:
    """Hand the car to the customer; announces ``vehicle.delivered`` (CRM follows up)."""
    async with runtime.unit_of_work() as uow:
        await service.deliver(uow, user, order_id, data)
    async with runtime.db.read() as session:
        return await service.get_order(session, user, order_id)
