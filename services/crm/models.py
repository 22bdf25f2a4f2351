"""CRM's tables and API schemas (one family per entity: table, Update, Public)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import pydantic
from pydantic import BaseModel
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.db import enum_column, money_column, utc_column
from shared.schemas import InputModel


class CrmTable(SQLModel, registry=registry()):
    """Base of the crm tables: their own metadata, so only they are in its database."""


class FollowUpKind(StrEnum):
    FIRST = "72h"  # the call after delivery (window per station, see domain.STATION_POLICIES)
    SECOND = "2w"  # the later call two weeks after delivery


class FollowUpStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    EXPIRED = "expired"


class AuditAction(StrEnum):
    READ = "read"
    CHANGE = "change"


# --- customer and vehicle files (客户档案) ----------------------------------------------


class Customer(CrmTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "customer"

    id: uuid.UUID = Field(primary_key=True, description="the customer_id the events carry")
    name: str = Field(max_length=120, index=True)
    phone: str | None = Field(default=None, max_length=40, index=True)
    home_station_id: str = Field(max_length=20, index=True, description="station of 1st visit")
    created_at: datetime = Field(sa_column=utc_column())


class Vehicle(CrmTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "vehicle"

    vin: str = Field(max_length=17, primary_key=True)
    customer_id: uuid.UUID = Field(index=True, description="who brought it in last")
    plate: str | None = Field(default=None, max_length=20)
    make: str | None = Field(default=None, max_length=40)
    model: str | None = Field(default=None, max_length=60)
    last_mileage_km: int | None = None
    created_at: datetime = Field(sa_column=utc_column())


class Visit(CrmTable, table=True):  # type: ignore[call-arg]
    """One repair order's stay, as the customer file records it."""

    __tablename__ = "visit"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    order_id: uuid.UUID = Field(unique=True)
    station_id: str = Field(max_length=20, index=True)
    customer_id: uuid.UUID = Field(index=True)
    vin: str = Field(max_length=17, index=True)
    mileage_km: int | None = None
    complaint: str = Field(default="", max_length=2000)
    opened_at: datetime = Field(sa_column=utc_column())
    delivered_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    total: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))


# --- follow-up calls (回访) -------------------------------------------------------------


class FollowUp(CrmTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "follow_up"
    __table_args__ = (UniqueConstraint("order_id", "kind", name="uq_follow_up_order_kind"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    order_id: uuid.UUID
    customer_id: uuid.UUID = Field(index=True)
    kind: FollowUpKind = Field(sa_column=enum_column(FollowUpKind))
    opens_at: datetime = Field(sa_column=utc_column())
    due_at: datetime = Field(sa_column=utc_column(index=True))
    status: FollowUpStatus = Field(
        default=FollowUpStatus.OPEN, sa_column=enum_column(FollowUpStatus, index=True)
    )
    created_at: datetime = Field(sa_column=utc_column())


# --- who read or changed customer data -------------------------------------------------


class AuditEntry(CrmTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "audit_entry"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    at: datetime = Field(sa_column=utc_column(index=True))
    user_id: str = Field(max_length=60, index=True)
    action: AuditAction = Field(sa_column=enum_column(AuditAction))
    entity: str = Field(max_length=40)
    entity_id: str = Field(max_length=60, index=True)
    station_id: str = Field(
        max_length=20, index=True, description="home station of the customer concerned"
    )


# --- API schemas ------------------------------------------------------------------------


class CustomerUpdate(InputModel):
    """A correction of the customer's contact details (only the fields sent change)."""

    name: str | None = pydantic.Field(default=None, min_length=1, max_length=120)
    phone: str | None = pydantic.Field(default=None, max_length=40, pattern=r"^[0-9+\- ]{5,40}$")


class CustomerPublic(BaseModel):
    id: uuid.UUID
    name: str
    phone: str | None
    home_station_id: str
    created_at: datetime


class CustomersPublic(BaseModel):
    data: list[CustomerPublic]
    count: int


class VehiclePublic(BaseModel):
    vin: str
    plate: str | None
    make: str | None
    model: str | None
    last_mileage_km: int | None
    created_at: datetime


class VisitPublic(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID
    station_id: str
    vin: str
    mileage_km: int | None
    complaint: str
    opened_at: datetime
    delivered_at: datetime | None
    total: Decimal | None


class CustomerDetailPublic(CustomerPublic):
    vehicles: list[VehiclePublic] = []
    visits: list[VisitPublic] = []


class FollowUpPublic(BaseModel):
    id: uuid.UUID
    station_id: str
    order_id: uuid.UUID
    customer_id: uuid.UUID
    kind: FollowUpKind
    opens_at: datetime
    due_at: datetime
    status: FollowUpStatus
    created_at: datetime


class FollowUpsPublic(BaseModel):
    data: list[FollowUpPublic]
    count: int


class AuditEntryPublic(BaseModel):
    id: uuid.UUID
    at: datetime
    user_id: str
    action: AuditAction
    entity: str
    entity_id: str
    station_id: str


class AuditEntriesPublic(BaseModel):
    data: list[AuditEntryPublic]
    count: int
