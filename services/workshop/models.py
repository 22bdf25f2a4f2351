"""Workshop's tables and API schemas (one family per entity: table, Create, Public)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import pydantic
from pydantic import BaseModel
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from services.workshop.domain import JobPartStatus, JobStatus, WorkshopOrderStatus
from shared.db import enum_column, money_column, utc_column
from shared.schemas import InputModel


class WorkshopTable(SQLModel, registry=registry()):
    """Base of the workshop tables: their own metadata, so only they are in its database."""


# --- technician -------------------------------------------------------------------------


class Technician(WorkshopTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "technician"

    id: str = Field(primary_key=True, max_length=60, description="the technician's sign-in")
    station_id: str = Field(max_length=20, index=True)
    name: str = Field(max_length=120)
    skills: str = Field(default="", max_length=200, description="comma separated")
    active: bool = True

    def skill_list(self) -> list[str]:
        return [skill for skill in self.skills.split(",") if skill]


# --- the order as the workshop sees it --------------------------------------------------


class WorkshopOrder(WorkshopTable, table=True):  # type: ignore[call-arg]
    """Read model of a repair order, from ``order.created``."""

    __tablename__ = "workshop_order"

    order_id: uuid.UUID = Field(primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    order_no: str = Field(max_length=40)
    vin: str = Field(max_length=17)
    inspection_required: bool = False
    status: WorkshopOrderStatus = Field(
        default=WorkshopOrderStatus.OPEN, sa_column=enum_column(WorkshopOrderStatus)
    )
    received_at: datetime = Field(sa_column=utc_column())
    completed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


# --- job --------------------------------------------------------------------------------


class Job(WorkshopTable, table=True):  # type: ignore[call-arg]
    """One labour operation of an order (派工单 line), or the parts of a parts-only order."""

    __tablename__ = "job"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    order_id: uuid.UUID = Field(foreign_key="workshop_order.order_id", index=True)
    labour_line_id: uuid.UUID | None = None
    operation_code: str = Field(max_length=40)
    description: str = Field(max_length=200)
    skill: str | None = Field(default=None, max_length=30)
    major_system: str | None = Field(default=None, max_length=30)
    sold_hours: Decimal = Field(sa_column=money_column())
    clocked_hours: Decimal = Field(default=Decimal("0"), sa_column=money_column())
    status: JobStatus = Field(sa_column=enum_column(JobStatus, index=True))
    waiting_reason: str | None = Field(default=None, max_length=500)
    technician_id: str | None = Field(default=None, max_length=60)
    created_at: datetime = Field(sa_column=utc_column())
    completed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class JobPart(WorkshopTable, table=True):  # type: ignore[call-arg]
    """A part a job needs, requested from the parts counter (领料申请)."""

    __tablename__ = "job_part"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    job_id: uuid.UUID = Field(foreign_key="job.id", index=True)
    request_id: uuid.UUID = Field(unique=True)
    order_line_id: uuid.UUID | None = None
    part_no: str = Field(max_length=40)
    quantity: Decimal = Field(sa_column=money_column())
    status: JobPartStatus = Field(
        default=JobPartStatus.REQUESTED, sa_column=enum_column(JobPartStatus)
    )
    quantity_short: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    expected_on: date | None = None


# --- API schemas ------------------------------------------------------------------------


class JobCompletion(InputModel):
    clocked_hours: Decimal = pydantic.Field(
        ge=0, max_digits=6, decimal_places=2, description="hours the technician clocked on it"
    )


class JobPartPublic(BaseModel):
    id: uuid.UUID
    request_id: uuid.UUID
    part_no: str
    quantity: Decimal
    status: JobPartStatus
    quantity_short: Decimal | None
    expected_on: date | None


class JobPublic(BaseModel):
    id: uuid.UUID
    station_id: str
    order_id: uuid.UUID
    labour_line_id: uuid.UUID | None
    operation_code: str
    description: str
    skill: str | None
    major_system: str | None
    sold_hours: Decimal
    clocked_hours: Decimal
    status: JobStatus
    waiting_reason: str | None
    technician_id: str | None
    created_at: datetime
    completed_at: datetime | None
    parts: list[JobPartPublic] = []


class JobsPublic(BaseModel):
    data: list[JobPublic]
    count: int


class TechnicianPublic(BaseModel):
    id: str
    station_id: str
    name: str
    skills: list[str]
    active: bool


class TechniciansPublic(BaseModel):
    data: list[TechnicianPublic]
    count: int
