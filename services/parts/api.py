"""Parts' HTTP routes: thin, they translate and call a use case."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from fastapi import APIRouter, Depends, Query, status

from services.parts import service
from services.parts.models import (
    AdjustmentDecision,
    AdjustmentStatus,
    CounterCustomerCreate,
    CounterCustomerPublic,
    CounterCustomersPublic,
    CounterSaleCreate,
    CounterSalePublic,
    CounterSalesPublic,
    CounterSalesTargetPublic,
    CounterSalesTargetSet,
    GoodsReceiptCreate,
    GoodsReceiptPublic,
    IssueCreate,
    KpisPublic,
    PartAvailabilityPublic,
    PartCategory,
    PartPublic,
    PartsPublic,
    PriceBuildUp,
    PriceChangesPublic,
    PurchaseOrderCreate,
    PurchaseOrderPublic,
    PurchaseOrdersPublic,
    PurchaseOrderStatus,
    PurchaseReceiptCreate,
    ReorderSuggestionsPublic,
    ReservationPublic,
    ReservationsPublic,
    ReservationStatus,
    ReturnCreate,
    StockAdjustmentCreate,
    StockAdjustmentPublic,
    StockAdjustmentsPublic,
    StockItemPublic,
    StockItemsPublic,
    StockMovementsPublic,
    StockPolicySet,
    StocktakeCountsCreate,
    StocktakeCreate,
    StocktakePublic,
    StocktakesPublic,
    SuppliersPublic,
    TransferCreate,
    TransferPublic,
    TransfersPublic,
    TransferStatus,
    VersionedAction,
    WeeklyCounterSalesPublic,
    WriteOffCreate,
)
from shared.app import RuntimeDep
from shared.auth import CurrentUser, Principal, Role, require_role
from shared.scoping import Limit, Offset

catalogue_router = APIRouter(prefix="/parts", tags=["catalogue"])
suppliers_router = APIRouter(prefix="/suppliers", tags=["purchasing"])
stock_router = APIRouter(prefix="/stock", tags=["stock"])
ledger_router = APIRouter(prefix="/stock-movements", tags=["stock"])
reservations_router = APIRouter(prefix="/reservations", tags=["reservations"])
purchase_router = APIRouter(prefix="/purchase-orders", tags=["purchasing"])
replenishment_router = APIRouter(prefix="/replenishment", tags=["purchasing"])
transfers_router = APIRouter(prefix="/transfers", tags=["transfers"])
stocktakes_router = APIRouter(prefix="/stocktakes", tags=["stocktake"])
kpis_router = APIRouter(prefix="/kpis", tags=["kpis"])
adjustments_router = APIRouter(prefix="/stock-adjustments", tags=["stock"])
counter_customers_router = APIRouter(prefix="/counter-customers", tags=["counter sales"])
counter_sales_router = APIRouter(prefix="/counter-sales", tags=["counter sales"])

storekeeper = require_role(Role.PARTS_CLERK, Role.SERVICE_MANAGER)
approver = require_role(Role.SERVICE_MANAGER, Role.GROUP_MANAGER)
approver_or_storekeeper = require_role(Role.PARTS_CLERK, Role.SERVICE_MANAGER, Role.GROUP_MANAGER)


@catalogue_router.get("", response_model=PartsPublic)
async def list_parts(
    runtime: RuntimeDep,
    _user: CurrentUser,
    category: PartCategory | None = None,
    q: str | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> PartsPublic:
    """The parts catalogue; ``q`` searches part number and description."""
    async with runtime.db.read() as session:
        return await service.list_parts(
            session, category=category, search=q, offset=offset, limit=min(limit, 200)
        )


@catalogue_router.get("/{part_no}", response_model=PartPublic)
async def get_part(runtime: RuntimeDep, part_no: str, _user: CurrentUser) -> PartPublic:
    """One catalogue entry with its price build-up (cost, margins, list and warranty price)."""
    async with runtime.db.read() as session:
        return await service.get_part(session, part_no)


@catalogue_router.put("/{part_no}/price", response_model=PartPublic)
async def set_price(
    runtime: RuntimeDep, part_no: str, data: PriceBuildUp, user: Principal = Depends(approver)
) -> PartPublic:
    """Set a part's price from cost and margins (list = cost x (1 + margin), warranty =
    cost x (1 + warranty margin)); the change goes into the price history with the reason."""
    async with runtime.unit_of_work() as uow:
        part, _change = await service.set_price(uow, user, part_no, data)
    return PartPublic.model_validate(part.model_dump())


@catalogue_router.get("/{part_no}/price-history", response_model=PriceChangesPublic)
async def price_history(
    runtime: RuntimeDep, part_no: str, _user: CurrentUser, offset: Offset = 0, limit: Limit = 50
) -> PriceChangesPublic:
    """Who changed the part's price, when, why, and the build-up before and after."""
    async with runtime.db.read() as session:
        return await service.price_history(session, part_no, offset=offset, limit=min(limit, 200))


@suppliers_router.get("", response_model=SuppliersPublic)
async def list_suppliers(runtime: RuntimeDep, _user: CurrentUser) -> SuppliersPublic:
    """The suppliers parts may be bought from (only registered ones take orders)."""
    async with runtime.db.read() as session:
        return await service.list_suppliers(session)


@stock_router.get("", response_model=StockItemsPublic)
async def list_stock(
    runtime: RuntimeDep,
    user: CurrentUser,
    part_no: str | None = None,
    station_id: str | None = None,
    below_reorder_point: bool | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> StockItemsPublic:
    """Stock per part and station: on hand, reserved, available, on order, in transit."""
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
    """Available stock of one part per station the user may see (group view, transfers)."""
    async with runtime.db.read() as session:
        return await service.part_availability(session, user, part_no)


@stock_router.put("/{part_no}/policy", response_model=StockItemPublic)
async def set_stock_policy(
    runtime: RuntimeDep,
    part_no: str,
    data: StockPolicySet,
    user: Principal = Depends(storekeeper),
) -> StockItemPublic:
    """Set how the station keeps the part: minimum level, reorder point (at or above the
    minimum; ``stock.low`` when available stock falls below it), reorder lot and bin."""
    async with runtime.unit_of_work() as uow:
        stock = await service.set_stock_policy(uow, user, part_no, data)
    async with runtime.db.read() as session:
        transit = await service.in_transit(session, part_no=stock.part_no)
    return service.stock_public(stock, transit.get((stock.station_id, stock.part_no), Decimal(0)))


@stock_router.post(
    "/{part_no}/receipts", status_code=status.HTTP_201_CREATED, response_model=GoodsReceiptPublic
)
async def receive_goods(
    runtime: RuntimeDep,
    part_no: str,
    data: GoodsReceiptCreate,
    user: Principal = Depends(storekeeper),
) -> GoodsReceiptPublic:
    """Book in a delivery that came without a prior purchase order (入库): only from a
    registered supplier (the part's own unless ``supplier_id`` names another) and within
    the clerk's purchase limit; a purchase order is made, sent and received in one step,
    and waiting requests are reserved for, oldest first."""
    async with runtime.unit_of_work() as uow:
        stock, order = await service.receive_goods(uow, user, part_no, data)
    return GoodsReceiptPublic.model_validate(
        {**service.stock_public(stock).model_dump(), "purchase_order_id": order.id}
    )


@stock_router.post(
    "/{part_no}/adjustments",
    status_code=status.HTTP_201_CREATED,
    response_model=StockAdjustmentPublic,
)
async def request_adjustment(
    runtime: RuntimeDep,
    part_no: str,
    data: StockAdjustmentCreate,
    user: Principal = Depends(storekeeper),
) -> StockAdjustmentPublic:
    """Ask to book in an opening balance or parts found, with the reason; nothing moves
    until a manager approves (``POST /stock-adjustments/{id}/approval``)."""
    async with runtime.unit_of_work() as uow:
        adjustment = await service.request_adjustment(uow, user, part_no, data)
    return StockAdjustmentPublic.model_validate(adjustment.model_dump())


@stock_router.post(
    "/{part_no}/write-offs", status_code=status.HTTP_201_CREATED, response_model=StockItemPublic
)
async def write_off(
    runtime: RuntimeDep,
    part_no: str,
    data: WriteOffCreate,
    user: Principal = Depends(storekeeper),
) -> StockItemPublic:
    """Write off parts lost or damaged on the shelf (报损), with the reason; reserved parts
    cannot be written off."""
    async with runtime.unit_of_work() as uow:
        stock = await service.write_off(uow, user, part_no, data)
    return service.stock_public(stock)


@ledger_router.get("", response_model=StockMovementsPublic)
async def list_movements(
    runtime: RuntimeDep,
    user: CurrentUser,
    part_no: str | None = None,
    station_id: str | None = None,
    order_id: uuid.UUID | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> StockMovementsPublic:
    """The stock ledger: every change of on hand, reserved or on order, newest first."""
    async with runtime.db.read() as session:
        return await service.list_movements(
            session,
            user,
            part_no=part_no,
            station_id=station_id,
            order_id=order_id,
            offset=offset,
            limit=min(limit, 200),
        )


@reservations_router.get("", response_model=ReservationsPublic)
async def list_reservations(
    runtime: RuntimeDep,
    user: CurrentUser,
    order_id: uuid.UUID | None = None,
    status: ReservationStatus | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> ReservationsPublic:
    """Reservations for the workshop's part requests, newest first."""
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


@reservations_router.post(
    "/{reservation_id}/issues",
    status_code=status.HTTP_201_CREATED,
    response_model=ReservationPublic,
)
async def issue_parts(
    runtime: RuntimeDep,
    reservation_id: uuid.UUID,
    data: IssueCreate,
    user: Principal = Depends(storekeeper),
) -> ReservationPublic:
    """Issue reserved parts to the job (领料): at most what is reserved; ``item.issued``."""
    async with runtime.unit_of_work() as uow:
        reservation = await service.issue_parts(uow, user, reservation_id, data)
    return service.reservation_public(reservation)


@reservations_router.post(
    "/{reservation_id}/returns",
    status_code=status.HTTP_201_CREATED,
    response_model=ReservationPublic,
)
async def return_parts(
    runtime: RuntimeDep,
    reservation_id: uuid.UUID,
    data: ReturnCreate,
    user: Principal = Depends(storekeeper),
) -> ReservationPublic:
    """Take back unused parts from the job (退料): at most what was issued; ``item.returned``."""
    async with runtime.unit_of_work() as uow:
        reservation = await service.return_parts(uow, user, reservation_id, data)
    return service.reservation_public(reservation)


@purchase_router.get("", response_model=PurchaseOrdersPublic)
async def list_purchase_orders(
    runtime: RuntimeDep,
    user: CurrentUser,
    status: PurchaseOrderStatus | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> PurchaseOrdersPublic:
    """Purchase orders of the stations the user may see, newest first."""
    async with runtime.db.read() as session:
        return await service.list_purchase_orders(
            session, user, status=status, offset=offset, limit=min(limit, 200)
        )


@purchase_router.post("", status_code=status.HTTP_201_CREATED, response_model=PurchaseOrderPublic)
async def create_purchase_order(
    runtime: RuntimeDep, data: PurchaseOrderCreate, user: Principal = Depends(storekeeper)
) -> PurchaseOrderPublic:
    """Draft a purchase order to a registered supplier (采购订单)."""
    async with runtime.unit_of_work() as uow:
        order = await service.create_purchase_order(uow, user, data)
        return await service.purchase_order_public(uow.session, order)


@purchase_router.get("/{purchase_order_id}", response_model=PurchaseOrderPublic)
async def get_purchase_order(
    runtime: RuntimeDep, purchase_order_id: uuid.UUID, user: CurrentUser
) -> PurchaseOrderPublic:
    async with runtime.db.read() as session:
        return await service.get_purchase_order(session, user, purchase_order_id)


@purchase_router.post("/{purchase_order_id}/approval", response_model=PurchaseOrderPublic)
async def approve_purchase_order(
    runtime: RuntimeDep,
    purchase_order_id: uuid.UUID,
    data: VersionedAction,
    user: Principal = Depends(approver),
) -> PurchaseOrderPublic:
    """Approve a draft within your limit: service manager up to ¥50,000, group manager any."""
    async with runtime.unit_of_work() as uow:
        order = await service.approve_purchase_order(uow, user, purchase_order_id, data)
        return await service.purchase_order_public(uow.session, order)


@purchase_router.post("/{purchase_order_id}/sending", response_model=PurchaseOrderPublic)
async def send_purchase_order(
    runtime: RuntimeDep,
    purchase_order_id: uuid.UUID,
    data: VersionedAction,
    user: Principal = Depends(storekeeper),
) -> PurchaseOrderPublic:
    """Send the order to the supplier (over ¥5,000 only once approved): now on order."""
    async with runtime.unit_of_work() as uow:
        order = await service.send_purchase_order(uow, user, purchase_order_id, data)
        return await service.purchase_order_public(uow.session, order)


@purchase_router.post("/{purchase_order_id}/cancellation", response_model=PurchaseOrderPublic)
async def cancel_purchase_order(
    runtime: RuntimeDep,
    purchase_order_id: uuid.UUID,
    data: VersionedAction,
    user: Principal = Depends(storekeeper),
) -> PurchaseOrderPublic:
    """Cancel the order; what is still outstanding is no longer on order."""
    async with runtime.unit_of_work() as uow:
        order = await service.cancel_purchase_order(uow, user, purchase_order_id, data)
        return await service.purchase_order_public(uow.session, order)


@purchase_router.post("/{purchase_order_id}/receipts", response_model=PurchaseOrderPublic)
async def receive_purchase_order(
    runtime: RuntimeDep,
    purchase_order_id: uuid.UUID,
    data: PurchaseReceiptCreate,
    user: Principal = Depends(storekeeper),
) -> PurchaseOrderPublic:
    """Receive goods against the order (到货入库): posts stock and reserves for waiting
    requests oldest first (``item.reserved``); more than ordered needs an over-receipt note."""
    async with runtime.unit_of_work() as uow:
        order = await service.receive_purchase_order(uow, user, purchase_order_id, data)
        return await service.purchase_order_public(uow.session, order)


@replenishment_router.get("/suggestions", response_model=ReorderSuggestionsPublic)
async def reorder_suggestions(
    runtime: RuntimeDep, user: CurrentUser, station_id: str | None = None
) -> ReorderSuggestionsPublic:
    """Suggested purchase order lines for parts below their reorder point (net of on order)."""
    async with runtime.db.read() as session:
        return await service.reorder_suggestions(session, user, station_id=station_id)


@transfers_router.get("", response_model=TransfersPublic)
async def list_transfers(
    runtime: RuntimeDep,
    user: CurrentUser,
    status: TransferStatus | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> TransfersPublic:
    """Transfers from or to your stations; ``status=shipped`` is what is in transit."""
    async with runtime.db.read() as session:
        return await service.list_transfers(
            session, user, status=status, offset=offset, limit=min(limit, 200)
        )


@transfers_router.post("", status_code=status.HTTP_201_CREATED, response_model=TransferPublic)
async def request_transfer(
    runtime: RuntimeDep, data: TransferCreate, user: Principal = Depends(storekeeper)
) -> TransferPublic:
    """Ask another station of the group for parts (调拨); nothing moves until it ships."""
    async with runtime.unit_of_work() as uow:
        transfer = await service.request_transfer(uow, user, data)
    return TransferPublic.model_validate(transfer.model_dump())


@transfers_router.get("/{transfer_id}", response_model=TransferPublic)
async def get_transfer(
    runtime: RuntimeDep, transfer_id: uuid.UUID, user: CurrentUser
) -> TransferPublic:
    async with runtime.db.read() as session:
        return await service.get_transfer(session, user, transfer_id)


@transfers_router.post("/{transfer_id}/shipment", response_model=TransferPublic)
async def ship_transfer(
    runtime: RuntimeDep,
    transfer_id: uuid.UUID,
    data: VersionedAction,
    user: Principal = Depends(storekeeper),
) -> TransferPublic:
    """The sending station confirms it shipped: its on hand goes down; now in transit."""
    async with runtime.unit_of_work() as uow:
        transfer = await service.ship_transfer(uow, user, transfer_id, data)
    return TransferPublic.model_validate(transfer.model_dump())


@transfers_router.post("/{transfer_id}/receipt", response_model=TransferPublic)
async def receive_transfer(
    runtime: RuntimeDep,
    transfer_id: uuid.UUID,
    data: VersionedAction,
    user: Principal = Depends(storekeeper),
) -> TransferPublic:
    """The receiving station confirms arrival: its on hand goes up, backorders are served."""
    async with runtime.unit_of_work() as uow:
        transfer = await service.receive_transfer(uow, user, transfer_id, data)
    return TransferPublic.model_validate(transfer.model_dump())


@transfers_router.post("/{transfer_id}/cancellation", response_model=TransferPublic)
async def cancel_transfer(
    runtime: RuntimeDep,
    transfer_id: uuid.UUID,
    data: VersionedAction,
    user: Principal = Depends(storekeeper),
) -> TransferPublic:
    """Withdraw a transfer request that was not shipped yet."""
    async with runtime.unit_of_work() as uow:
        transfer = await service.cancel_transfer(uow, user, transfer_id, data)
    return TransferPublic.model_validate(transfer.model_dump())


@stocktakes_router.get("", response_model=StocktakesPublic)
async def list_stocktakes(
    runtime: RuntimeDep, user: CurrentUser, offset: Offset = 0, limit: Limit = 50
) -> StocktakesPublic:
    async with runtime.db.read() as session:
        return await service.list_stocktakes(session, user, offset=offset, limit=min(limit, 200))


@stocktakes_router.post("", status_code=status.HTTP_201_CREATED, response_model=StocktakePublic)
async def open_stocktake(
    runtime: RuntimeDep, data: StocktakeCreate, user: Principal = Depends(storekeeper)
) -> StocktakePublic:
    """Open count sheets (盘点表) for some bins, with the book quantity of each part."""
    async with runtime.unit_of_work() as uow:
        stocktake = await service.open_stocktake(uow, user, data)
        return await service.stocktake_public(uow.session, stocktake)


@stocktakes_router.get("/{stocktake_id}", response_model=StocktakePublic)
async def get_stocktake(
    runtime: RuntimeDep, stocktake_id: uuid.UUID, user: CurrentUser
) -> StocktakePublic:
    async with runtime.db.read() as session:
        return await service.get_stocktake(session, user, stocktake_id)


@stocktakes_router.post("/{stocktake_id}/counts", response_model=StocktakePublic)
async def record_counts(
    runtime: RuntimeDep,
    stocktake_id: uuid.UUID,
    data: StocktakeCountsCreate,
    user: Principal = Depends(storekeeper),
) -> StocktakePublic:
    """Enter what was found on the shelf for lines of the count sheet."""
    async with runtime.unit_of_work() as uow:
        stocktake = await service.record_counts(uow, user, stocktake_id, data)
        return await service.stocktake_public(uow.session, stocktake)


@stocktakes_router.post("/{stocktake_id}/approval", response_model=StocktakePublic)
async def approve_stocktake(
    runtime: RuntimeDep,
    stocktake_id: uuid.UUID,
    data: VersionedAction,
    user: Principal = Depends(approver),
) -> StocktakePublic:
    """A manager approves: variances post as adjustments; stock value before and after."""
    async with runtime.unit_of_work() as uow:
        stocktake = await service.approve_stocktake(uow, user, stocktake_id, data)
        return await service.stocktake_public(uow.session, stocktake)


@kpis_router.get("", response_model=KpisPublic)
async def station_kpis(
    runtime: RuntimeDep,
    user: Principal = Depends(approver_or_storekeeper),
    station_id: str | None = None,
    days: int = Query(default=90, ge=1, le=730),
) -> KpisPublic:
    """Parts KPIs per station over the last ``days``: fill rate (requests served from stock
    at once), stock value at cost, days of supply, turnover a year, dead stock (no issue for
    180 days). Station users see their station, the group manager every station."""
    async with runtime.db.read() as session:
        return await service.station_kpis(session, user, station_id=station_id, days=days)


@adjustments_router.get("", response_model=StockAdjustmentsPublic)
async def list_adjustments(
    runtime: RuntimeDep,
    user: CurrentUser,
    status: AdjustmentStatus | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> StockAdjustmentsPublic:
    """Stock adjustments (opening balances, parts found) of your stations, newest first."""
    async with runtime.db.read() as session:
        return await service.list_adjustments(
            session, user, status=status, offset=offset, limit=min(limit, 200)
        )


@adjustments_router.get("/{adjustment_id}", response_model=StockAdjustmentPublic)
async def get_adjustment(
    runtime: RuntimeDep, adjustment_id: uuid.UUID, user: CurrentUser
) -> StockAdjustmentPublic:
    async with runtime.db.read() as session:
        return await service.get_adjustment(session, user, adjustment_id)


@adjustments_router.post("/{adjustment_id}/approval", response_model=StockAdjustmentPublic)
async def approve_adjustment(
    runtime: RuntimeDep,
    adjustment_id: uuid.UUID,
    data: AdjustmentDecision,
    user: Principal = Depends(approver),
) -> StockAdjustmentPublic:
    """A manager (not the one who asked) approves: the stock is posted as an adjustment."""
    async with runtime.unit_of_work() as uow:
        adjustment = await service.approve_adjustment(uow, user, adjustment_id, data)
    return StockAdjustmentPublic.model_validate(adjustment.model_dump())


@adjustments_router.post("/{adjustment_id}/rejection", response_model=StockAdjustmentPublic)
async def reject_adjustment(
    runtime: RuntimeDep,
    adjustment_id: uuid.UUID,
    data: AdjustmentDecision,
    user: Principal = Depends(approver),
) -> StockAdjustmentPublic:
    """A manager turns the adjustment down: nothing is posted."""
    async with runtime.unit_of_work() as uow:
        adjustment = await service.reject_adjustment(uow, user, adjustment_id, data)
    return StockAdjustmentPublic.model_validate(adjustment.model_dump())


@counter_customers_router.get("", response_model=CounterCustomersPublic)
async def list_counter_customers(
    runtime: RuntimeDep,
    user: Principal = Depends(approver_or_storekeeper),
    q: str | None = Query(default=None, max_length=100),
    offset: Offset = 0,
    limit: Limit = 50,
) -> CounterCustomersPublic:
    """Customers registered at your stations' parts counters; ``q`` searches name, phone."""
    async with runtime.db.read() as session:
        return await service.list_counter_customers(
            session, user, search=q, offset=offset, limit=min(limit, 200)
        )


@counter_customers_router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=CounterCustomerPublic
)
async def register_counter_customer(
    runtime: RuntimeDep, data: CounterCustomerCreate, user: Principal = Depends(storekeeper)
) -> CounterCustomerPublic:
    """Register a customer at the parts counter (parts are sold only to these)."""
    async with runtime.unit_of_work() as uow:
        customer = await service.register_counter_customer(uow, user, data)
    return CounterCustomerPublic.model_validate(customer.model_dump())


@counter_sales_router.get("", response_model=CounterSalesPublic)
async def list_counter_sales(
    runtime: RuntimeDep,
    user: Principal = Depends(approver_or_storekeeper),
    customer_id: uuid.UUID | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> CounterSalesPublic:
    """Over-the-counter sales of your stations, newest first."""
    async with runtime.db.read() as session:
        return await service.list_counter_sales(
            session, user, customer_id=customer_id, offset=offset, limit=min(limit, 200)
        )


@counter_sales_router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=CounterSalePublic
)
async def sell_over_counter(
    runtime: RuntimeDep, data: CounterSaleCreate, user: Principal = Depends(storekeeper)
) -> CounterSalePublic:
    """Sell parts over the counter (配件销售) at list price to a registered counter
    customer of the station, from stock not reserved for jobs."""
    async with runtime.unit_of_work() as uow:
        sale = await service.sell_over_counter(uow, user, data)
        return await service.counter_sale_public(uow.session, sale)


@counter_sales_router.get("/weekly", response_model=WeeklyCounterSalesPublic)
async def weekly_counter_sales(
    runtime: RuntimeDep,
    user: Principal = Depends(approver_or_storekeeper),
    station_id: str | None = None,
    weeks: int = Query(default=4, ge=1, le=52),
) -> WeeklyCounterSalesPublic:
    """Counter sales per station and week (Monday to Sunday, station time), newest first:
    number of sales, total, the week's target and the share reached, the best-selling parts."""
    async with runtime.db.read() as session:
        return await service.weekly_counter_sales(session, user, station_id=station_id, weeks=weeks)


@counter_sales_router.put("/targets/{week_start}", response_model=CounterSalesTargetPublic)
async def set_sales_target(
    runtime: RuntimeDep,
    week_start: date,
    data: CounterSalesTargetSet,
    user: Principal = Depends(approver),
) -> CounterSalesTargetPublic:
    """Set the station's counter sales target for the week starting on this Monday."""
    async with runtime.unit_of_work() as uow:
        target = await service.set_sales_target(uow, user, week_start, data)
    return CounterSalesTargetPublic.model_validate(target.model_dump())


@counter_sales_router.get("/{sale_id}", response_model=CounterSalePublic)
async def get_counter_sale(
    runtime: RuntimeDep,
    sale_id: uuid.UUID,
    user: Principal = Depends(approver_or_storekeeper),
) -> CounterSalePublic:
    async with runtime.db.read() as session:
        return await service.get_counter_sale(session, user, sale_id)


routers = [
    catalogue_router,
    suppliers_router,
    stock_router,
    ledger_router,
    reservations_router,
    purchase_router,
    replenishment_router,
    transfers_router,
    stocktakes_router,
    kpis_router,
    adjustments_router,
    counter_customers_router,
    counter_sales_router,
]
