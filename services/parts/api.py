"""Parts' HTTP routes: thin, they translate and call a use case."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, status

from services.parts import service
from services.parts.models import (
    GoodsReceiptCreate,
    PartAvailabilityPublic,
    PartCategory,
    PartsPublic,
    ReservationPublic,
    ReservationsPublic,
    ReservationStatus,
    StockItemPublic,
    StockItemsPublic,
)
from shared.app import RuntimeDep
from shared.auth import CurrentUser, Principal, Role, require_role

catalogue_router = APIRouter(prefix="/parts", tags=["catalogue"])
stock_router = APIRouter(prefix="/stock", tags=["stock"])
reservations_router = APIRouter(prefix="/reservations", tags=["reservations"])

storekeeper = require_role(Role.PARTS_CLERK, Role.SERVICE_MANAGER)


@catalogue_router.get("", response_model=PartsPublic)
async def list_parts(
    runtime: RuntimeDep,
    _user: CurrentUser,
    category: PartCategory | None = None,
    q: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> PartsPublic:
    """The parts catalogue; ``q`` searches part number and description."""
    async with runtime.db.read() as session:
        return await service.list_parts(
            session, category=category, search=q, offset=offset, limit=min(limit, 200)
        )


@stock_router.get("", response_model=StockItemsPublic)
async def list_stock(
    runtime: RuntimeDep,
    user: CurrentUser,
    part_no: str | None = None,
    station_id: str | None = None,
    below_reorder_point: bool | None = None,
    offset: int = 0,
    limit: int = 50,
) -> StockItemsPublic:
    async with runtime.db.read() as session:
        return await service.list_stock(
            session,
            user,
            part_no=part_no,
            station_id=station_id,
            below_reorder_point=below_reorder_point,
            offset=offset,
            limit=min(limit, 200),
        )


@stock_router.get("/{part_no}/availability", response_model=PartAvailabilityPublic)
async def part_availability(
    runtime: RuntimeDep, part_no: str, user: CurrentUser
) -> PartAvailabilityPublic:
    """Available stock of one part per station the user may see (for transfers)."""
    async with runtime.db.read() as session:
        return await service.part_availability(session, user, part_no)


@stock_router.post(
    "/{part_no}/receipts", status_code=status.HTTP_201_CREATED, response_model=StockItemPublic
)
async def receive_goods(
    runtime: RuntimeDep,
    part_no: str,
    data: GoodsReceiptCreate,
    user: Principal = Depends(storekeeper),
) -> StockItemPublic:
    """Book a delivery onto the station's shelf (入库): on hand goes up."""
    async with runtime.unit_of_work() as uow:
        stock = await service.receive_goods(uow, user, part_no, data)
    return service.stock_public(stock)


@reservations_router.get("", response_model=ReservationsPublic)
async def list_reservations(
    runtime: RuntimeDep,
    user: CurrentUser,
    order_id: uuid.UUID | None = None,
    status: ReservationStatus | None = None,
    offset: int = 0,
    limit: int = 50,
) -> ReservationsPublic:
    async with runtime.db.read() as session:
        return await service.list_reservations(
            session, user, order_id=order_id, status=status, offset=offset, limit=min(limit, 200)
        )


@reservations_router.get("/{reservation_id}", response_model=ReservationPublic)
async def get_reservation(
    runtime: RuntimeDep, reservation_id: uuid.UUID, user: CurrentUser
) -> ReservationPublic:
    async with runtime.db.read() as session:
        return await service.get_reservation(session, user, reservation_id)


routers = [catalogue_router, stock_router, reservations_router]
