"""Reception's tables and API schemas (one family per entity: Base, Create, table, Public)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import pydantic
from pydantic import BaseModel, field_validator
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from services.reception.domain import vin_problem
from shared.contracts.events import LineKind, OrderCategory, PayType
from shared.db import enum_column, money_column, utc_column
from shared.schemas import InputModel


class ReceptionTable(SQLModel, registry=registry()):
    """Base of the reception tables: their own metadata, so only they are in its database."""


class OrderStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


# --- repair order -----------------------------------------------------------------------


class RepairOrder(ReceptionTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "repair_order"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    order_no: str = Field(max_length=40, unique=True)
    station_id: str = Field(max_length=20, index=True)
    status: OrderStatus = Field(
        default=OrderStatus.OPEN, sa_column=enum_column(OrderStatus, index=True)
    )
    category: OrderCategory = Field(sa_column=enum_column(OrderCategory))
    customer_id: uuid.UUID
    customer_name: str = Field(max_length=120)
    customer_phone: str | None = Field(default=None, max_length=40)
    customer_vip: bool = False
    vin: str = Field(max_length=17, index=True)
    plate: str | None = Field(default=None, max_length=20)
    make: str | None = Field(default=None, max_length=40)
    model: str | None = Field(default=None, max_length=60)
    mileage_km: int
    complaint: str = Field(max_length=2000)
    advisor_id: str = Field(max_length=60)
    total: Decimal = Field(sa_column=money_column())
    flagged_for_manager: bool = False
    inspection_required: bool = False
    promised_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    created_at: datetime = Field(sa_column=utc_column())
    completed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    delivered_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class RepairOrderLine(ReceptionTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "repair_order_line"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    order_id: uuid.UUID = Field(foreign_key="repair_order.id", index=True)
    position: int
    kind: LineKind = Field(sa_column=enum_column(LineKind))
    code: str = Field(max_length=40)
    description: str = Field(max_length=200)
    quantity: Decimal = Field(sa_column=money_column())
    hours: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    unit_price: Decimal = Field(sa_column=money_column())
    pay_type: PayType = Field(sa_column=enum_column(PayType))
    skill: str | None = Field(default=None, max_length=30)
    major_system: str | None = Field(default=None, max_length=30)
    labour_line_id: uuid.UUID | None = None


# --- API schemas ------------------------------------------------------------------------


class CustomerIn(InputModel):
    customer_id: uuid.UUID | None = None
    name: str = pydantic.Field(min_length=1, max_length=120)
    phone: str | None = pydantic.Field(default=None, max_length=40, pattern=r"^[0-9+\- ]{5,40}$")
    is_vip: bool = False


class VehicleIn(InputModel):
    vin: str = pydantic.Field(min_length=17, max_length=17)
    plate: str | None = pydantic.Field(default=None, max_length=20)
    make: str | None = pydantic.Field(default=None, max_length=40)
    model: str | None = pydantic.Field(default=None, max_length=60)

    @field_validator("vin")
    @classmethod
    def _vin(cls, value: str) -> str:
        value = value.upper()
        problem = vin_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class OrderLineCreate(InputModel):
    """A line the customer agrees to; ``ref`` lets a part line point at its labour line."""

    ref: str | None = pydantic.Field(
        default=None, max_length=40, description="client label of the line"
    )
    kind: LineKind
    code: str = pydantic.Field(min_length=1, max_length=40)
    description: str = pydantic.Field(min_length=1, max_length=200)
    quantity: Decimal = pydantic.Field(default=Decimal("1"), gt=0, max_digits=10, decimal_places=3)
    hours: Decimal | None = pydantic.Field(default=None, gt=0, max_digits=6, decimal_places=2)
    unit_price: Decimal = pydantic.Field(ge=0, max_digits=12, decimal_places=2)
    pay_type: PayType = PayType.CUSTOMER
    skill: str | None = pydantic.Field(default=None, max_length=30)
    major_system: str | None = pydantic.Field(default=None, max_length=30)
    labour_ref: str | None = pydantic.Field(
        default=None, max_length=40, description="ref of labour line"
    )


class RepairOrderCreate(InputModel):
    station_id: str | None = pydantic.Field(
        default=None, description="defaults to the advisor's station"
    )
    category: OrderCategory
    customer: CustomerIn
    vehicle: VehicleIn
    mileage_km: int = pydantic.Field(ge=0, le=3_000_000)
    complaint: str = pydantic.Field(
        min_length=1, max_length=2000, description="in the customer's words"
    )
    lines: list[OrderLineCreate] = pydantic.Field(min_length=1)
    promised_at: datetime | None = None
    inspection_required: bool = False


class OrderLinePublic(BaseModel):
    id: uuid.UUID
    kind: LineKind
    code: str
    description: str
    quantity: Decimal
    hours: Decimal | None
    unit_price: Decimal
    pay_type: PayType
    skill: str | None
    major_system: str | None
    labour_line_id: uuid.UUID | None


class RepairOrderPublic(BaseModel):
    id: uuid.UUID
    order_no: str
    station_id: str
    status: OrderStatus
    category: OrderCategory
    customer_id: uuid.UUID
    customer_name: str
    vin: str
    plate: str | None
    mileage_km: int
    complaint: str
    advisor_id: str
    total: Decimal
    flagged_for_manager: bool
    inspection_required: bool
    promised_at: datetime | None
    created_at: datetime
    completed_at: datetime | None
    delivered_at: datetime | None
    lines: list[OrderLinePublic] = []


class RepairOrdersPublic(BaseModel):
    data: list[RepairOrderPublic]
    count: int


class DeliveryCreate(InputModel):
    next_service_km: int | None = pydantic.Field(default=None, ge=0)
    next_service_date: datetime | None = None
    customer_accepted: bool = pydantic.Field(
        description="the customer checked belongings and bodywork and signed for the car"
    )
