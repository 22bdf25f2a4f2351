"""Parts' tables and API schemas (one family per entity: table, Create, Public, sPublic)."""

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


# --- catalogue, stock, reservations ------------------------------------------------------


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


class StockItem(PartsTable, table=True):  # type: ignore[call-arg]
    """One part on the shelves of one station."""

    __tablename__ = "stock_item"
    __table_args__ = (UniqueConstraint("station_id", "part_no", name="uq_stock_item_station_part"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    part_no: str = Field(foreign_key="part.part_no", max_length=40, index=True)
    on_hand: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    reserved: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    min_level: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    reorder_point: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    reorder_quantity: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    bin_location: str | None = Field(default=None, max_length=20)


class Reservation(PartsTable, table=True):  # type: ignore[call-arg]
    """Stock set aside for one job's request (领料申请); one per request id."""

    __tablename__ = "reservation"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    request_id: uuid.UUID = Field(unique=True)
    station_id: str = Field(max_length=20, index=True)
    order_id: uuid.UUID = Field(index=True)
    job_id: uuid.UUID
    part_no: str = Field(foreign_key="part.part_no", max_length=40, index=True)
    quantity_requested: Decimal = Field(sa_column=money_column())
    quantity_reserved: Decimal = Field(sa_column=money_column())
    status: ReservationStatus = Field(sa_column=enum_column(ReservationStatus, index=True))
    created_at: datetime = Field(sa_column=utc_column())


# --- API schemas ------------------------------------------------------------------------


class PartPublic(BaseModel):
    part_no: str
    description: str
    category: PartCategory
    unit: str
    list_price: Decimal
    warranty_price: Decimal | None
    supersedes: str | None


class PartsPublic(BaseModel):
    data: list[PartPublic]
    count: int


class StockItemPublic(BaseModel):
    id: uuid.UUID
    station_id: str
    part_no: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    min_level: Decimal
    reorder_point: Decimal
    reorder_quantity: Decimal
    below_reorder_point: bool
    bin_location: str | None


class StockItemsPublic(BaseModel):
    data: list[StockItemPublic]
    count: int


class StationAvailability(BaseModel):
    station_id: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    bin_location: str | None


class PartAvailabilityPublic(BaseModel):
    part_no: str
    description: str
    unit: str
    total_available: Decimal
    stations: list[StationAvailability]


class GoodsReceiptCreate(InputModel):
    """Parts delivered by the manufacturer and put on the shelf (入库)."""

    station_id: str | None = pydantic.Field(
        default=None, description="defaults to the clerk's station"
    )
    quantity: Decimal = pydantic.Field(gt=0, max_digits=10, decimal_places=3)


class ReservationPublic(BaseModel):
    id: uuid.UUID
    request_id: uuid.UUID
    station_id: str
    order_id: uuid.UUID
    job_id: uuid.UUID
    part_no: str
    quantity_requested: Decimal
    quantity_reserved: Decimal
    status: ReservationStatus
    created_at: datetime


class ReservationsPublic(BaseModel):
    data: list[ReservationPublic]
    count: int
