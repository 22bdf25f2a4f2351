"""Parts' tables and API schemas (one family per entity: table, Create, Public, sPublic)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

import pydantic
from pydantic import BaseModel
from sqlalchemy import Index, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.db import enum_column, money_column, utc_column
from shared.schemas import InputModel


class PartsTable(SQLModel, registry=registry()):
    """Base of the parts tables: their own metadata, so only they are in its database."""


class PartCategory(StrEnum):
    WEAR = "wear"
    BRAKE = "brake"
    ENGINE = "engine"
    FILTER = "filter"
    FLUID = "fluid"
    ELECTRICAL = "electrical"
    BODY = "body"


class ReservationStatus(StrEnum):
    RESERVED = "reserved"
    PARTLY_RESERVED = "partly_reserved"
    BACKORDERED = "backordered"
    RELEASED = "released"
    ISSUED = "issued"


class MovementKind(StrEnum):
    """Why a stock figure changed: every change of a stock row is one ledger row."""

    RECEIPT = "receipt"  # on hand up: delivered by a supplier (入库)
    ISSUE = "issue"  # on hand and reserved down: drawn for a job (领料)
    RETURN = "return"  # on hand up: unused part back from a job (退料)
    LOSS = "loss"  # on hand down: lost
    DAMAGE = "damage"  # on hand down: damaged, written off
    ADJUSTMENT = "adjustment"  # on hand up or down: stocktake variance (盘点)
    TRANSFER_OUT = "transfer_out"  # on hand down: shipped to another station
    TRANSFER_IN = "transfer_in"  # on hand up: received from another station
    RESERVATION = "reservation"  # reserved up
    RELEASE = "release"  # reserved down: order cancelled, work declined, shortfall
    ORDERED = "ordered"  # on order up: purchase order sent
    ORDER_CANCELLED = "order_cancelled"  # on order down: purchase order cancelled
    SALE = "sale"  # on hand down: sold over the counter to a registered customer (配件销售)


class PurchaseOrderStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    SENT = "sent"
    PARTLY_RECEIVED = "partly_received"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class TransferStatus(StrEnum):
    REQUESTED = "requested"
    SHIPPED = "shipped"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class StocktakeStatus(StrEnum):
    COUNTING = "counting"
    APPROVED = "approved"


class AdjustmentKind(StrEnum):
    """Why stock comes in without a supplier, a transfer or a return (never without approval)."""

    OPENING_BALANCE = "opening_balance"  # the first figure of a part at a station (期初)
    FOUND = "found"  # parts found on the shelf outside a stocktake (盘盈)


class AdjustmentStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"


class CounterCustomerKind(StrEnum):
    PERSON = "person"
    COMPANY = "company"  # a garage, fleet or trade customer


# --- suppliers and catalogue --------------------------------------------------------------


class Supplier(PartsTable, table=True):  # type: ignore[call-arg]
    """A registered supplier: parts are bought only from these (防止外购外销)."""

    __tablename__ = "supplier"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    code: str = Field(max_length=20, unique=True)
    name: str = Field(max_length=200)
    registered: bool = True
    lead_time_days: int = Field(default=3, ge=0)


class Part(PartsTable, table=True):  # type: ignore[call-arg]
    """A catalogue entry of the manufacturer's parts list (the same for every station)."""

    __tablename__ = "part"

    part_no: str = Field(primary_key=True, max_length=40)
    description: str = Field(max_length=200)
    category: PartCategory = Field(sa_column=enum_column(PartCategory, index=True))
    unit: str = Field(max_length=20)
    list_price: Decimal = Field(sa_column=money_column())
    warranty_price: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    supersedes: str | None = Field(default=None, max_length=40, index=True)
    supplier_id: uuid.UUID | None = Field(default=None, foreign_key="supplier.id")
    cost: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    margin: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    warranty_margin: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))


class PriceChange(PartsTable, table=True):  # type: ignore[call-arg]
    """One change of a part's price build-up: before, after, who and why."""

    __tablename__ = "price_change"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    part_no: str = Field(foreign_key="part.part_no", max_length=40, index=True)
    changed_by: str = Field(max_length=80)
    changed_at: datetime = Field(sa_column=utc_column())
    reason: str = Field(max_length=500)
    cost_before: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    cost_after: Decimal = Field(sa_column=money_column())
    margin: Decimal = Field(sa_column=money_column())
    warranty_margin: Decimal = Field(sa_column=money_column())
    list_price_before: Decimal = Field(sa_column=money_column())
    list_price_after: Decimal = Field(sa_column=money_column())
    warranty_price_before: Decimal | None = Field(
        default=None, sa_column=money_column(nullable=True)
    )
    warranty_price_after: Decimal = Field(sa_column=money_column())


# --- stock, ledger, reservations ----------------------------------------------------------


class StockItem(PartsTable, table=True):  # type: ignore[call-arg]
    """One part on the shelves of one station."""

    __tablename__ = "stock_item"
    __table_args__ = (UniqueConstraint("station_id", "part_no", name="uq_stock_item_station_part"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    part_no: str = Field(foreign_key="part.part_no", max_length=40, index=True)
    on_hand: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    reserved: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    on_order: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    min_level: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    reorder_point: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    reorder_quantity: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    bin_location: str | None = Field(default=None, max_length=20)


class StockMovement(PartsTable, table=True):  # type: ignore[call-arg]
    """The stock ledger: one row per change of a stock row, in the same transaction.

    Summing a station's rows of a part gives its on hand, reserved and on order exactly.
    """

    __tablename__ = "stock_movement"
    __table_args__ = (Index("ix_stock_movement_station_part", "station_id", "part_no"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20)
    part_no: str = Field(foreign_key="part.part_no", max_length=40)
    kind: MovementKind = Field(sa_column=enum_column(MovementKind, index=True))
    on_hand_change: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    reserved_change: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    on_order_change: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    on_hand_after: Decimal = Field(sa_column=money_column())
    reserved_after: Decimal = Field(sa_column=money_column())
    on_order_after: Decimal = Field(sa_column=money_column())
    unit_cost: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    reason: str = Field(max_length=500)
    order_id: uuid.UUID | None = Field(default=None, index=True)
    reservation_id: uuid.UUID | None = None
    reference_id: uuid.UUID | None = Field(
        default=None, description="purchase order, transfer or stocktake"
    )
    actor: str = Field(max_length=80)
    occurred_at: datetime = Field(sa_column=utc_column(index=True))


class Reservation(PartsTable, table=True):  # type: ignore[call-arg]
    """Stock set aside for one job's request (领料申请); one per request id."""

    __tablename__ = "reservation"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    request_id: uuid.UUID = Field(unique=True)
    station_id: str = Field(max_length=20, index=True)
    order_id: uuid.UUID = Field(index=True)
    job_id: uuid.UUID
    finding_id: uuid.UUID | None = Field(default=None, index=True)
    part_no: str = Field(foreign_key="part.part_no", max_length=40, index=True)
    quantity_requested: Decimal = Field(sa_column=money_column())
    #: held on the shelf for this request now (issued parts are no longer held)
    quantity_reserved: Decimal = Field(sa_column=money_column())
    quantity_issued: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    quantity_returned: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    #: served from stock in full when asked (the fill rate counts these)
    filled_at_once: bool = False
    status: ReservationStatus = Field(sa_column=enum_column(ReservationStatus, index=True))
    release_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_column=utc_column())


# --- purchase orders ----------------------------------------------------------------------


class PurchaseOrder(PartsTable, table=True):  # type: ignore[call-arg]
    """An order to a registered supplier, tracked to receipt (采购订单)."""

    __tablename__ = "purchase_order"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    supplier_id: uuid.UUID = Field(foreign_key="supplier.id", index=True)
    status: PurchaseOrderStatus = Field(sa_column=enum_column(PurchaseOrderStatus, index=True))
    total: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    expected_on: date | None = None
    note: str | None = Field(default=None, max_length=500)
    created_by: str = Field(max_length=80)
    created_at: datetime = Field(sa_column=utc_column())
    approved_by: str | None = Field(default=None, max_length=80)
    approved_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    sent_by: str | None = Field(default=None, max_length=80)
    sent_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    version: int = 1


class PurchaseOrderLine(PartsTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "purchase_order_line"
    __table_args__ = (UniqueConstraint("purchase_order_id", "part_no", name="uq_po_line_part"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    purchase_order_id: uuid.UUID = Field(foreign_key="purchase_order.id", index=True)
    part_no: str = Field(foreign_key="part.part_no", max_length=40, index=True)
    quantity_ordered: Decimal = Field(sa_column=money_column())
    quantity_received: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    unit_cost: Decimal = Field(sa_column=money_column())
    over_receipt_note: str | None = Field(default=None, max_length=500)


# --- transfers and stocktakes ---------------------------------------------------------------


class Transfer(PartsTable, table=True):  # type: ignore[call-arg]
    """Parts lent by one station of the group to another (调拨): requested by the receiving
    station, shipped by the sending one, received by the receiving one."""

    __tablename__ = "transfer"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    part_no: str = Field(foreign_key="part.part_no", max_length=40, index=True)
    from_station_id: str = Field(max_length=20, index=True)
    to_station_id: str = Field(max_length=20, index=True)
    quantity: Decimal = Field(sa_column=money_column())
    status: TransferStatus = Field(sa_column=enum_column(TransferStatus, index=True))
    note: str | None = Field(default=None, max_length=500)
    requested_by: str = Field(max_length=80)
    requested_at: datetime = Field(sa_column=utc_column())
    shipped_by: str | None = Field(default=None, max_length=80)
    shipped_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    received_by: str | None = Field(default=None, max_length=80)
    received_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    version: int = 1


class Stocktake(PartsTable, table=True):  # type: ignore[call-arg]
    """A count of some bins of a station (盘点); variances post when a manager approves."""

    __tablename__ = "stocktake"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    status: StocktakeStatus = Field(sa_column=enum_column(StocktakeStatus, index=True))
    created_by: str = Field(max_length=80)
    created_at: datetime = Field(sa_column=utc_column())
    approved_by: str | None = Field(default=None, max_length=80)
    approved_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    value_before: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    value_after: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    version: int = 1


class StocktakeLine(PartsTable, table=True):  # type: ignore[call-arg]
    """One line of a count sheet: a part in a bin, what the books said and what was counted."""

    __tablename__ = "stocktake_line"
    __table_args__ = (UniqueConstraint("stocktake_id", "part_no", name="uq_stocktake_line"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    stocktake_id: uuid.UUID = Field(foreign_key="stocktake.id", index=True)
    part_no: str = Field(foreign_key="part.part_no", max_length=40)
    bin_location: str | None = Field(default=None, max_length=20)
    book_quantity: Decimal = Field(sa_column=money_column())
    counted_quantity: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    unit_cost: Decimal = Field(default=Decimal("0"), sa_column=money_column())


class StockAdjustment(PartsTable, table=True):  # type: ignore[call-arg]
    """Stock booked in without a supplier, transfer or return: an opening balance or parts
    found; posted only once a manager other than the one who asked approves it."""

    __tablename__ = "stock_adjustment"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    part_no: str = Field(foreign_key="part.part_no", max_length=40, index=True)
    kind: AdjustmentKind = Field(sa_column=enum_column(AdjustmentKind))
    quantity: Decimal = Field(sa_column=money_column())
    unit_cost: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    reason: str = Field(max_length=500)
    status: AdjustmentStatus = Field(sa_column=enum_column(AdjustmentStatus, index=True))
    requested_by: str = Field(max_length=80)
    requested_at: datetime = Field(sa_column=utc_column())
    decided_by: str | None = Field(default=None, max_length=80)
    decided_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    decision_note: str | None = Field(default=None, max_length=500)
    version: int = 1


# --- over-the-counter sales ---------------------------------------------------------------------


class CounterCustomer(PartsTable, table=True):  # type: ignore[call-arg]
    """A customer registered at a station's parts counter: parts are sold over the counter
    only to these (防止外购外销)."""

    __tablename__ = "counter_customer"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    kind: CounterCustomerKind = Field(sa_column=enum_column(CounterCustomerKind))
    name: str = Field(max_length=200)
    phone: str = Field(max_length=30)
    id_number: str | None = Field(default=None, max_length=40)
    active: bool = True
    registered_by: str = Field(max_length=80)
    registered_at: datetime = Field(sa_column=utc_column())


class CounterSale(PartsTable, table=True):  # type: ignore[call-arg]
    """Parts sold over the counter to a registered customer (配件销售)."""

    __tablename__ = "counter_sale"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    customer_id: uuid.UUID = Field(foreign_key="counter_customer.id", index=True)
    total: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    note: str | None = Field(default=None, max_length=500)
    sold_by: str = Field(max_length=80)
    sold_at: datetime = Field(sa_column=utc_column(index=True))


class CounterSaleLine(PartsTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "counter_sale_line"
    __table_args__ = (UniqueConstraint("sale_id", "part_no", name="uq_counter_sale_line_part"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    sale_id: uuid.UUID = Field(foreign_key="counter_sale.id", index=True)
    part_no: str = Field(foreign_key="part.part_no", max_length=40)
    quantity: Decimal = Field(sa_column=money_column())
    unit_price: Decimal = Field(sa_column=money_column())


class CounterSalesTarget(PartsTable, table=True):  # type: ignore[call-arg]
    """A station's over-the-counter sales target for one week (Monday to Sunday)."""

    __tablename__ = "counter_sales_target"
    __table_args__ = (
        UniqueConstraint("station_id", "week_start", name="uq_counter_sales_target_week"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    week_start: date
    amount: Decimal = Field(sa_column=money_column())
    set_by: str = Field(max_length=80)
    set_at: datetime = Field(sa_column=utc_column())


# --- API schemas ------------------------------------------------------------------------

Quantity = Annotated[
    Decimal,
    pydantic.Field(gt=0, max_digits=10, decimal_places=3, examples=["2"]),
]
Money = Annotated[Decimal, pydantic.Field(ge=0, max_digits=12, decimal_places=2)]


class PartPublic(BaseModel):
    part_no: str
    description: str
    category: PartCategory
    unit: str
    list_price: Decimal
    warranty_price: Decimal | None
    supersedes: str | None
    supplier_id: uuid.UUID | None = None
    cost: Decimal | None = None
    margin: Decimal | None = None
    warranty_margin: Decimal | None = None


class PartsPublic(BaseModel):
    data: list[PartPublic]
    count: int


class PriceBuildUp(InputModel):
    """A new price for a part, built up from its cost (价格构成): list = cost x (1 + margin),
    warranty = cost x (1 + warranty margin), each to the fen."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "cost": "320.00",
                    "margin": "0.50",
                    "warranty_margin": "0.275",
                    "reason": "manufacturer's 2027 price list",
                }
            ]
        }
    }

    cost: Decimal = pydantic.Field(gt=0, max_digits=12, decimal_places=2)
    margin: Decimal = pydantic.Field(ge=0, le=5, max_digits=6, decimal_places=3)
    warranty_margin: Decimal = pydantic.Field(ge=0, le=5, max_digits=6, decimal_places=3)
    reason: str = pydantic.Field(min_length=3, max_length=500)


class PriceChangePublic(BaseModel):
    id: uuid.UUID
    part_no: str
    changed_by: str
    changed_at: datetime
    reason: str
    cost_before: Decimal | None
    cost_after: Decimal
    margin: Decimal
    warranty_margin: Decimal
    list_price_before: Decimal
    list_price_after: Decimal
    warranty_price_before: Decimal | None
    warranty_price_after: Decimal


class PriceChangesPublic(BaseModel):
    data: list[PriceChangePublic]
    count: int


class SupplierPublic(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    registered: bool
    lead_time_days: int


class SuppliersPublic(BaseModel):
    data: list[SupplierPublic]
    count: int


class StockItemPublic(BaseModel):
    id: uuid.UUID
    station_id: str
    part_no: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    on_order: Decimal
    in_transit: Decimal = Decimal("0")
    min_level: Decimal
    reorder_point: Decimal
    reorder_quantity: Decimal
    below_reorder_point: bool
    bin_location: str | None


class StockItemsPublic(BaseModel):
    data: list[StockItemPublic]
    count: int


class StockMovementPublic(BaseModel):
    id: uuid.UUID
    station_id: str
    part_no: str
    kind: MovementKind
    on_hand_change: Decimal
    reserved_change: Decimal
    on_order_change: Decimal
    on_hand_after: Decimal
    reserved_after: Decimal
    on_order_after: Decimal
    reason: str
    order_id: uuid.UUID | None
    reservation_id: uuid.UUID | None
    reference_id: uuid.UUID | None
    actor: str
    occurred_at: datetime


class StockMovementsPublic(BaseModel):
    data: list[StockMovementPublic]
    count: int


class StationAvailability(BaseModel):
    station_id: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    on_order: Decimal = Decimal("0")
    in_transit: Decimal = Decimal("0")
    bin_location: str | None


class PartAvailabilityPublic(BaseModel):
    part_no: str
    description: str
    unit: str
    total_available: Decimal
    stations: list[StationAvailability]


class GoodsReceiptCreate(InputModel):
    """A delivery from a registered supplier that came without a prior purchase order (入库):
    a purchase order is made, sent and received in one step, within the clerk's purchase
    limit (more needs an approved purchase order)."""

    station_id: str | None = pydantic.Field(
        default=None, description="defaults to the clerk's station"
    )
    quantity: Decimal = pydantic.Field(gt=0, max_digits=10, decimal_places=3, examples=["6"])
    supplier_id: uuid.UUID | None = pydantic.Field(
        default=None, description="a registered supplier; defaults to the part's supplier"
    )
    unit_cost: Decimal | None = pydantic.Field(
        default=None,
        gt=0,
        max_digits=12,
        decimal_places=2,
        description="defaults to the part's cost",
    )
    delivery_note: str | None = pydantic.Field(
        default=None, max_length=200, description="the supplier's delivery note number"
    )


class StockPolicySet(InputModel):
    """How a station keeps a part: minimum level, reorder point and lot, bin (库存定额)."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "min_level": "2",
                    "reorder_point": "3",
                    "reorder_quantity": "6",
                    "bin_location": "A-01-01",
                }
            ]
        }
    }

    station_id: str | None = pydantic.Field(
        default=None, description="defaults to the clerk's station"
    )
    min_level: Decimal = pydantic.Field(ge=0, max_digits=10, decimal_places=3)
    reorder_point: Decimal = pydantic.Field(
        ge=0,
        max_digits=10,
        decimal_places=3,
        description="stock.low and a suggested order when available stock falls below it",
    )
    reorder_quantity: Decimal = pydantic.Field(ge=0, max_digits=10, decimal_places=3)
    bin_location: str | None = pydantic.Field(default=None, min_length=1, max_length=20)


class GoodsReceiptPublic(StockItemPublic):
    """The stock after the delivery, and the purchase order it was booked against."""

    purchase_order_id: uuid.UUID


class StockAdjustmentCreate(InputModel):
    """Ask for stock to be booked in without a supplier: an opening balance (only for a part
    with no history at the station) or parts found; a manager approves it."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"quantity": "2", "kind": "found", "reason": "two sets behind bin A-01-02"}
            ]
        }
    }

    station_id: str | None = pydantic.Field(
        default=None, description="defaults to the clerk's station"
    )
    quantity: Quantity
    kind: AdjustmentKind
    reason: str = pydantic.Field(min_length=3, max_length=500)
    unit_cost: Decimal | None = pydantic.Field(
        default=None, gt=0, max_digits=12, decimal_places=2, description="defaults to the cost"
    )


class StockAdjustmentPublic(BaseModel):
    id: uuid.UUID
    station_id: str
    part_no: str
    kind: AdjustmentKind
    quantity: Decimal
    unit_cost: Decimal | None
    reason: str
    status: AdjustmentStatus
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    version: int


class StockAdjustmentsPublic(BaseModel):
    data: list[StockAdjustmentPublic]
    count: int


class CounterCustomerCreate(InputModel):
    """Register a customer at the parts counter (name and phone; an ID or business licence
    number for a company)."""

    model_config = {
        "json_schema_extra": {
            "examples": [{"kind": "person", "name": "王伟", "phone": "13900000001"}]
        }
    }

    station_id: str | None = pydantic.Field(
        default=None, description="defaults to the clerk's station"
    )
    kind: CounterCustomerKind = CounterCustomerKind.PERSON
    name: str = pydantic.Field(min_length=1, max_length=200)
    phone: str = pydantic.Field(pattern=r"^\+?[0-9][0-9 -]{5,28}$", max_length=30)
    id_number: str | None = pydantic.Field(default=None, min_length=4, max_length=40)


class CounterCustomerPublic(BaseModel):
    id: uuid.UUID
    station_id: str
    kind: CounterCustomerKind
    name: str
    phone: str
    id_number: str | None
    active: bool
    registered_by: str
    registered_at: datetime


class CounterCustomersPublic(BaseModel):
    data: list[CounterCustomerPublic]
    count: int


class CounterSaleLineCreate(InputModel):
    part_no: str = pydantic.Field(min_length=1, max_length=40, examples=["3C1998002"])
    quantity: Quantity


class CounterSaleCreate(InputModel):
    """Sell parts over the counter (配件销售) to a registered counter customer, at list price,
    from stock not reserved for jobs."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "customer_id": "6f1c1d7e-2f7a-4a59-9d61-3f7d9b5d2c11",
                    "lines": [{"part_no": "3C1998002", "quantity": "1"}],
                }
            ]
        }
    }

    station_id: str | None = pydantic.Field(
        default=None, description="defaults to the clerk's station"
    )
    customer_id: uuid.UUID
    lines: list[CounterSaleLineCreate] = pydantic.Field(min_length=1, max_length=100)
    note: str | None = pydantic.Field(default=None, max_length=500)


class CounterSaleLinePublic(BaseModel):
    part_no: str
    quantity: Decimal
    unit_price: Decimal


class CounterSalePublic(BaseModel):
    id: uuid.UUID
    station_id: str
    customer_id: uuid.UUID
    total: Decimal
    note: str | None
    sold_by: str
    sold_at: datetime
    lines: list[CounterSaleLinePublic]


class CounterSalesPublic(BaseModel):
    data: list[CounterSalePublic]
    count: int


class CounterSalesTargetSet(InputModel):
    """The week's over-the-counter sales target (¥) of a station, set by its manager."""

    model_config = {"json_schema_extra": {"examples": [{"amount": "20000"}]}}

    station_id: str | None = pydantic.Field(
        default=None, description="defaults to the manager's station"
    )
    amount: Money


class CounterSalesTargetPublic(BaseModel):
    station_id: str
    week_start: date
    amount: Decimal
    set_by: str
    set_at: datetime


class PartSales(BaseModel):
    part_no: str
    quantity: Decimal
    revenue: Decimal


class WeeklyCounterSales(BaseModel):
    """One station's over-the-counter sales in one week, against the week's target."""

    station_id: str
    week_start: date
    sales: int
    total: Decimal
    target: Decimal | None
    achieved: Decimal | None = pydantic.Field(description="share of the target reached")
    top_parts: list[PartSales]


class WeeklyCounterSalesPublic(BaseModel):
    data: list[WeeklyCounterSales]
    count: int


class ReservationPublic(BaseModel):
    id: uuid.UUID
    request_id: uuid.UUID
    station_id: str
    order_id: uuid.UUID
    job_id: uuid.UUID
    finding_id: uuid.UUID | None = None
    part_no: str
    quantity_requested: Decimal
    quantity_reserved: Decimal
    quantity_issued: Decimal = Decimal("0")
    quantity_returned: Decimal = Decimal("0")
    quantity_short: Decimal = Decimal("0")
    status: ReservationStatus
    release_reason: str | None = None
    created_at: datetime


class ReservationsPublic(BaseModel):
    data: list[ReservationPublic]
    count: int


class IssueCreate(InputModel):
    """Parts handed to the technician for the job (领料): taken from the reservation."""

    quantity: Quantity


class ReturnCreate(InputModel):
    """Unused parts brought back from the job (退料): back on the shelf."""

    quantity: Quantity
    reason: str = pydantic.Field(
        default="unused", min_length=3, max_length=500, examples=["not needed after all"]
    )


class WriteOffKind(StrEnum):
    LOSS = "loss"
    DAMAGE = "damage"


class WriteOffCreate(InputModel):
    """Parts lost or damaged on the shelf: written off with a reason (报损)."""

    model_config = {
        "json_schema_extra": {
            "examples": [{"quantity": "1", "kind": "damage", "reason": "dropped, cracked"}]
        }
    }

    station_id: str | None = pydantic.Field(
        default=None, description="defaults to the clerk's station"
    )
    quantity: Quantity
    kind: WriteOffKind
    reason: str = pydantic.Field(min_length=3, max_length=500)


class PurchaseOrderLineCreate(InputModel):
    part_no: str = pydantic.Field(min_length=1, max_length=40, examples=["1K0615301AA"])
    quantity: Quantity
    unit_cost: Decimal | None = pydantic.Field(
        default=None,
        gt=0,
        max_digits=12,
        decimal_places=2,
        description="defaults to the part's cost",
    )


class PurchaseOrderCreate(InputModel):
    """A purchase order to a registered supplier; starts as a draft."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "supplier_id": "6f1c1d7e-2f7a-4a59-9d61-3f7d9b5d2c11",
                    "lines": [{"part_no": "1K0615301AA", "quantity": "4"}],
                    "note": "brake discs for this week's bookings",
                }
            ]
        }
    }

    station_id: str | None = pydantic.Field(
        default=None, description="defaults to the clerk's station"
    )
    supplier_id: uuid.UUID
    lines: list[PurchaseOrderLineCreate] = pydantic.Field(min_length=1, max_length=200)
    note: str | None = pydantic.Field(default=None, max_length=500)


class VersionedAction(InputModel):
    """A state change of a record that others may change at the same time."""

    version: int | None = pydantic.Field(
        default=None, ge=1, description="the version you saw; 409 when it has changed since"
    )


class AdjustmentDecision(VersionedAction):
    """A manager's decision on a stock adjustment, with an optional note."""

    note: str | None = pydantic.Field(default=None, max_length=500)


class PurchaseReceiptLine(InputModel):
    part_no: str = pydantic.Field(min_length=1, max_length=40)
    quantity: Quantity
    over_receipt_note: str | None = pydantic.Field(
        default=None,
        min_length=3,
        max_length=500,
        description="required to take in more than is still outstanding on the line",
    )


class PurchaseReceiptCreate(VersionedAction):
    """What arrived from the supplier against this order (到货入库)."""

    model_config = {
        "json_schema_extra": {
            "examples": [{"version": 3, "lines": [{"part_no": "1K0615301AA", "quantity": "4"}]}]
        }
    }

    lines: list[PurchaseReceiptLine] = pydantic.Field(min_length=1, max_length=200)


class PurchaseOrderLinePublic(BaseModel):
    id: uuid.UUID
    part_no: str
    quantity_ordered: Decimal
    quantity_received: Decimal
    unit_cost: Decimal
    over_receipt_note: str | None


class PurchaseOrderPublic(BaseModel):
    id: uuid.UUID
    station_id: str
    supplier_id: uuid.UUID
    status: PurchaseOrderStatus
    total: Decimal
    approval_needed_from: str | None
    expected_on: date | None
    note: str | None
    created_by: str
    created_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    sent_by: str | None
    sent_at: datetime | None
    version: int
    lines: list[PurchaseOrderLinePublic]


class PurchaseOrdersPublic(BaseModel):
    data: list[PurchaseOrderPublic]
    count: int


class ReorderSuggestion(BaseModel):
    """A suggested purchase order line for a part below its reorder point."""

    station_id: str
    part_no: str
    available: Decimal
    on_order: Decimal
    reorder_point: Decimal
    suggested_quantity: Decimal
    supplier_id: uuid.UUID | None


class ReorderSuggestionsPublic(BaseModel):
    data: list[ReorderSuggestion]
    count: int


class TransferCreate(InputModel):
    """Ask another station of the group for parts (调拨申请); the asking station receives."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "part_no": "1K0615301AA",
                    "from_station_id": "sh01",
                    "quantity": "2",
                    "note": "for RO-BJ01-20261123-0007",
                }
            ]
        }
    }

    part_no: str = pydantic.Field(min_length=1, max_length=40)
    from_station_id: str = pydantic.Field(min_length=1, max_length=20)
    to_station_id: str | None = pydantic.Field(
        default=None, description="defaults to the clerk's station"
    )
    quantity: Quantity
    note: str | None = pydantic.Field(default=None, max_length=500)


class TransferPublic(BaseModel):
    id: uuid.UUID
    part_no: str
    from_station_id: str
    to_station_id: str
    quantity: Decimal
    status: TransferStatus
    note: str | None
    requested_by: str
    requested_at: datetime
    shipped_by: str | None
    shipped_at: datetime | None
    received_by: str | None
    received_at: datetime | None
    version: int


class TransfersPublic(BaseModel):
    data: list[TransferPublic]
    count: int


class StocktakeCreate(InputModel):
    """Open count sheets for some bins of a station (all bins when none are named)."""

    model_config = {"json_schema_extra": {"examples": [{"bins": ["A-01-01", "A-01-02"]}]}}

    station_id: str | None = pydantic.Field(
        default=None, description="defaults to the clerk's station"
    )
    bins: list[str] | None = pydantic.Field(default=None, max_length=500)


class StocktakeCount(InputModel):
    part_no: str = pydantic.Field(min_length=1, max_length=40)
    counted_quantity: Decimal = pydantic.Field(ge=0, max_digits=10, decimal_places=3)


class StocktakeCountsCreate(InputModel):
    """What was found on the shelf, per part of the count sheet."""

    model_config = {
        "json_schema_extra": {
            "examples": [{"lines": [{"part_no": "1K0698151A", "counted_quantity": "5"}]}]
        }
    }

    lines: list[StocktakeCount] = pydantic.Field(min_length=1, max_length=2000)


class StocktakeLinePublic(BaseModel):
    part_no: str
    bin_location: str | None
    book_quantity: Decimal
    counted_quantity: Decimal | None
    variance: Decimal | None
    variance_value: Decimal | None


class StocktakePublic(BaseModel):
    id: uuid.UUID
    station_id: str
    status: StocktakeStatus
    created_by: str
    created_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    value_before: Decimal | None
    value_after: Decimal | None
    version: int
    lines: list[StocktakeLinePublic]


class StocktakesPublic(BaseModel):
    data: list[StocktakePublic]
    count: int


class StationKpis(BaseModel):
    """The parts figures of one station over the period (配件 KPI)."""

    station_id: str
    period_days: int
    requests: int
    fill_rate: Decimal | None = pydantic.Field(
        description="share of requests served from stock in full at once"
    )
    stock_value: Decimal = pydantic.Field(description="on hand at cost")
    issued_value: Decimal = pydantic.Field(description="issued to jobs in the period, at cost")
    days_of_supply: Decimal | None
    turnover: Decimal | None = pydantic.Field(description="stock turns a year")
    dead_stock_parts: int
    dead_stock_value: Decimal


class KpisPublic(BaseModel):
    data: list[StationKpis]
    count: int
