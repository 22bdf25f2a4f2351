"""Warranty's tables and API schemas (claims are made by events, so only read schemas)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import pydantic
from pydantic import BaseModel
from sqlalchemy import JSON, Column
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.contracts.events import LineKind
from shared.db import enum_column, money_column, utc_column


class WarrantyTable(SQLModel, registry=registry()):
    """Base of the warranty tables: their own metadata, so only they are in its database."""


class ClaimStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


# --- read model of repair orders with warranty work -------------------------------------


class WarrantyOrder(WarrantyTable, table=True):  # type: ignore[call-arg]
    """A repair order with at least one warranty line, as reception announced it."""

    __tablename__ = "warranty_order"

    order_id: uuid.UUID = Field(primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    order_no: str = Field(max_length=40)
    vin: str = Field(max_length=17, index=True)
    mileage_km: int | None = None
    warranty_start: date | None = None
    complaint: str = Field(max_length=2000)
    received_at: datetime = Field(sa_column=utc_column())


class WarrantyOrderLine(WarrantyTable, table=True):  # type: ignore[call-arg]
    """A line of a repair order the manufacturer is to pay for (pay type warranty)."""

    __tablename__ = "warranty_order_line"

    line_id: uuid.UUID = Field(primary_key=True)
    order_id: uuid.UUID = Field(foreign_key="warranty_order.order_id", index=True)
    position: int
    kind: LineKind = Field(sa_column=enum_column(LineKind))
    code: str = Field(max_length=40)
    description: str = Field(max_length=200)
    quantity: Decimal = Field(sa_column=money_column())
    hours: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    unit_price: Decimal = Field(sa_column=money_column())


# --- warranty claim (索赔单) -------------------------------------------------------------


class WarrantyClaim(WarrantyTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "warranty_claim"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    #: one claim per repair order: a redelivered or repeated completion drafts no second one
    order_id: uuid.UUID = Field(foreign_key="warranty_order.order_id", unique=True)
    claim_no: str = Field(max_length=40, unique=True)
    vin: str = Field(max_length=17, index=True)
    mileage_km: int | None = None
    repair_date: date
    complaint: str = Field(max_length=2000)
    status: ClaimStatus = Field(
        default=ClaimStatus.DRAFT, sa_column=enum_column(ClaimStatus, index=True)
    )
    amount: Decimal = Field(sa_column=money_column())
    problems: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=utc_column())


class ClaimLine(WarrantyTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "claim_line"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    claim_id: uuid.UUID = Field(foreign_key="warranty_claim.id", index=True)
    line_id: uuid.UUID = Field(foreign_key="warranty_order_line.line_id")
    position: int
    kind: LineKind = Field(sa_column=enum_column(LineKind))
    code: str = Field(max_length=40)
    description: str = Field(max_length=200)
    quantity: Decimal = Field(sa_column=money_column())
    hours: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    amount: Decimal = Field(sa_column=money_column())


# --- API schemas ------------------------------------------------------------------------


class ClaimLinePublic(BaseModel):
    id: uuid.UUID
    line_id: uuid.UUID = pydantic.Field(description="the repair order line claimed")
    kind: LineKind
    code: str = pydantic.Field(description="labour operation code or part number")
    description: str
    quantity: Decimal
    hours: Decimal | None = pydantic.Field(description="flat-rate hours (labour lines)")
    amount: Decimal = pydantic.Field(description="yuan claimed for this line")


class WarrantyClaimPublic(BaseModel):
    id: uuid.UUID
    claim_no: str
    station_id: str
    order_id: uuid.UUID
    vin: str
    mileage_km: int | None
    repair_date: date = pydantic.Field(description="the day the workshop completed the car")
    complaint: str
    status: ClaimStatus
    amount: Decimal = pydantic.Field(description="yuan claimed from the manufacturer")
    problems: list[str] = pydantic.Field(
        default_factory=list, description="what must be fixed before the claim is submitted"
    )
    created_at: datetime
    lines: list[ClaimLinePublic] = pydantic.Field(
        default_factory=list, description="filled when one claim is read, empty in lists"
    )


class WarrantyClaimsPublic(BaseModel):
    data: list[WarrantyClaimPublic]
    count: int
