"""Warranty's tables and API schemas."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

import pydantic
from pydantic import BaseModel
from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from services.warranty.domain import (
    AnswerKind,
    ChargeBackReason,
    ClaimStatus,
    ClassSource,
    CoverageKind,
    FaultClass,
    RejectionReason,
)
from shared.contracts.events import CoverageVerdict, LineKind, SanbaoRule
from shared.db import enum_column, money_column, utc_column
from shared.schemas import InputModel

__all__ = [
    "AnswerKind",
    "ChargeBackReason",
    "ClaimStatus",
    "ClassSource",
    "CoverageKind",
    "FaultClass",
    "RejectionReason",
]


class WarrantyTable(SQLModel, registry=registry()):
    """Base of the warranty tables: their own metadata, so only they are in its database."""


def json_column() -> Any:
    return Column(JSON, nullable=False)


# --- warranty policies (manufacturer's, group-wide, versioned) ---------------------------


class WarrantyPolicy(WarrantyTable, table=True):  # type: ignore[call-arg]
    """One version of a manufacturer's policy for a make, or one model of it."""

    __tablename__ = "warranty_policy"
    __table_args__ = (UniqueConstraint("make", "scope_key", "version"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    make: str = Field(max_length=40, index=True)
    model: str | None = Field(default=None, max_length=60)
    #: the model, or "*" for the make-wide policy (NULLs are never equal in a unique key)
    scope_key: str = Field(max_length=60)
    version: int
    valid_from: date
    #: coverage kind → {"months": int, "km": int | null}
    terms: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    #: code prefix → coverage kind or "wear"
    categories: dict[str, str] = Field(default_factory=dict, sa_column=json_column())
    #: labour operation code → standard hours (string decimal)
    labour_times: dict[str, str] = Field(default_factory=dict, sa_column=json_column())
    goodwill_months: int = 0
    goodwill_km: int = 0
    submission_days: int = 30
    duplicate_days: int = 30
    part_return_days: int = 15
    #: the maintenance the policy requires (``MaintenanceScheduleIn``); none: no requirement
    maintenance: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(sa_column=utc_column())


# --- read model of repair orders with warranty work -------------------------------------


class WarrantyOrder(WarrantyTable, table=True):  # type: ignore[call-arg]
    """A repair order with at least one warranty line, as reception announced it."""

    __tablename__ = "warranty_order"

    order_id: uuid.UUID = Field(primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    order_no: str = Field(max_length=40)
    category: str = Field(default="repair", max_length=20)
    vin: str = Field(max_length=17, index=True)
    make: str | None = Field(default=None, max_length=40)
    model: str | None = Field(default=None, max_length=60)
    mileage_km: int | None = None
    warranty_start: date | None = None
    complaint: str = Field(max_length=2000)
    #: when the customer signed the order (the event's time): coverage is judged then
    signed_at: datetime = Field(sa_column=utc_column())
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
    causal: bool = False
    customer_supplied: bool = False
    major_system: str | None = Field(default=None, max_length=40)
    coverage: CoverageVerdict = Field(
        default=CoverageVerdict.COVERED, sa_column=enum_column(CoverageVerdict)
    )
    coverage_reason: str | None = Field(default=None, max_length=300)
    #: the manufacturer's prior authorisation (预授权) of a line that needed it
    authorisation_no: str | None = Field(default=None, max_length=60)
    authorised_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    #: what kind of fault the line fixed, as the 三包 rules count it (``FaultClass``)
    fault_class: str | None = Field(default=None, max_length=40)
    fault_class_source: str | None = Field(default=None, max_length=20)
    fault_classified_by: str | None = Field(default=None, max_length=80)
    fault_classified_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    fault_class_note: str | None = Field(default=None, max_length=500)


# --- warranty claim (索赔单) -------------------------------------------------------------


class WarrantyClaim(WarrantyTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "warranty_claim"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    #: one claim per repair order: a redelivered or repeated completion drafts no second one
    order_id: uuid.UUID = Field(foreign_key="warranty_order.order_id", unique=True)
    claim_no: str = Field(max_length=40, unique=True)
    vin: str = Field(max_length=17, index=True)
    make: str | None = Field(default=None, max_length=40)
    model: str | None = Field(default=None, max_length=60)
    mileage_km: int | None = None
    repair_date: date
    complaint: str = Field(max_length=2000)
    cause: str | None = Field(default=None, max_length=2000)
    correction: str | None = Field(default=None, max_length=2000)
    fault_codes: list[str] = Field(default_factory=list, sa_column=json_column())
    photos: list[str] = Field(default_factory=list, sa_column=json_column())
    policy_id: uuid.UUID | None = None
    policy_version: int | None = None
    status: ClaimStatus = Field(
        default=ClaimStatus.DRAFT, sa_column=enum_column(ClaimStatus, index=True)
    )
    amount: Decimal = Field(sa_column=money_column())
    problems: list[str] = Field(default_factory=list, sa_column=json_column())
    #: grows with every change: an edit based on an older read is refused (409)
    version: int = 1
    first_submitted_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    submitted_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    answered_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    approved_amount: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    paid_amount: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    paid_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    #: what the manufacturer took back of a paid claim (索赔扣款), and when
    charged_back_amount: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    charged_back_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    reason_code: str | None = Field(default=None, max_length=40)
    reason: str | None = Field(default=None, max_length=500)
    question: str | None = Field(default=None, max_length=2000)
    info_answer: str | None = Field(default=None, max_length=2000)
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
    unit_price: Decimal = Field(sa_column=money_column())
    amount: Decimal = Field(sa_column=money_column())
    causal: bool = False
    standard_hours: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    hours_note: str | None = Field(default=None, max_length=500)
    coverage: CoverageVerdict = Field(
        default=CoverageVerdict.COVERED, sa_column=enum_column(CoverageVerdict)
    )
    coverage_reason: str | None = Field(default=None, max_length=300)


class SubmissionState(StrEnum):
    PENDING = "pending"  # recorded with the claim, not yet accepted by the manufacturer
    SENT = "sent"


class ClaimSubmission(WarrantyTable, table=True):  # type: ignore[call-arg]
    """One sending of a claim to the manufacturer, recorded in the claim's own transaction;
    the scheduler sends it (and retries) afterwards, so a failing manufacturer loses nothing."""

    __tablename__ = "claim_submission"
    __table_args__ = (UniqueConstraint("claim_id", "number"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    claim_id: uuid.UUID = Field(foreign_key="warranty_claim.id", index=True)
    number: int
    state: SubmissionState = Field(
        default=SubmissionState.PENDING, sa_column=enum_column(SubmissionState, index=True)
    )
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reference: str | None = Field(default=None, max_length=80)
    requested_at: datetime = Field(sa_column=utc_column())
    sent_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class AnswerState(StrEnum):
    DUE = "due"
    APPLIED = "applied"
    #: (older rows) did not fit the claim's state any more (recorded, not applied)
    IGNORED = "ignored"
    #: did not fit: kept as a dead letter (``InboundAnswer``, source adapter) to re-drive
    DEAD_LETTERED = "dead_lettered"


class ManufacturerAnswer(WarrantyTable, table=True):  # type: ignore[call-arg]
    """An answer of the manufacturer, persisted when received, applied when due."""

    __tablename__ = "manufacturer_answer"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    claim_id: uuid.UUID = Field(foreign_key="warranty_claim.id", index=True)
    submission_id: uuid.UUID = Field(foreign_key="claim_submission.id", index=True)
    seq: int
    kind: AnswerKind = Field(sa_column=enum_column(AnswerKind))
    amount: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    reason_code: str | None = Field(default=None, max_length=40)
    reason: str | None = Field(default=None, max_length=500)
    question: str | None = Field(default=None, max_length=2000)
    due_at: datetime = Field(sa_column=utc_column(index=True))
    state: AnswerState = Field(default=AnswerState.DUE, sa_column=enum_column(AnswerState))
    applied_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


# --- API schemas ------------------------------------------------------------------------


class TermIn(InputModel):
    months: int = pydantic.Field(ge=1, le=600)
    km: int | None = pydantic.Field(
        default=None, ge=1, le=10_000_000, description="none: no mileage limit"
    )


class MaintenanceScheduleIn(InputModel):
    """The maintenance the manufacturer requires for the warranty (保养规定): the first
    service (首保) and then every interval, whichever of months / km comes first."""

    first_months: int = pydantic.Field(ge=1, le=120)
    first_km: int | None = pydantic.Field(default=None, ge=1, le=1_000_000)
    months: int = pydantic.Field(ge=1, le=120)
    km: int | None = pydantic.Field(default=None, ge=1, le=1_000_000)
    grace_days: int = pydantic.Field(default=30, ge=0, le=365)
    grace_km: int = pydantic.Field(default=1_000, ge=0, le=100_000)


class PolicyCreate(InputModel):
    """A new version of a manufacturer's policy (the version number is given out)."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "make": "FAW-VW",
                    "model": None,
                    "valid_from": "2026-01-01",
                    "terms": {
                        "basic": {"months": 36, "km": 100000},
                        "powertrain": {"months": 60, "km": 150000},
                        "corrosion": {"months": 144, "km": None},
                    },
                    "categories": {"ENG-": "powertrain", "1K0698": "wear"},
                    "labour_times": {"ENG-120": "2.4"},
                    "goodwill_months": 6,
                    "goodwill_km": 10000,
                    "maintenance": {
                        "first_months": 6,
                        "first_km": 7500,
                        "months": 12,
                        "km": 10000,
                        "grace_days": 30,
                        "grace_km": 1000,
                    },
                }
            ]
        }
    }

    make: str = pydantic.Field(min_length=1, max_length=40)
    model: str | None = pydantic.Field(default=None, max_length=60)
    valid_from: date
    terms: dict[CoverageKind, TermIn] = pydantic.Field(min_length=1)
    categories: dict[str, str] = pydantic.Field(
        default_factory=dict, description="code prefix → coverage kind or 'wear'"
    )
    labour_times: dict[str, Annotated[Decimal, pydantic.Field(max_digits=6, decimal_places=2)]] = (
        pydantic.Field(default_factory=dict, description="labour operation → standard hours")
    )
    # bounded: a policy is counted in months, km and days, never in database overflow
    goodwill_months: int = pydantic.Field(default=0, ge=0, le=600)
    goodwill_km: int = pydantic.Field(default=0, ge=0, le=10_000_000)
    submission_days: int = pydantic.Field(default=30, ge=1, le=3650)
    duplicate_days: int = pydantic.Field(default=30, ge=0, le=3650)
    part_return_days: int = pydantic.Field(default=15, ge=1, le=3650)
    maintenance: MaintenanceScheduleIn | None = pydantic.Field(
        default=None, description="required maintenance; none: no requirement"
    )

    @pydantic.field_validator("categories")
    @classmethod
    def known_categories(cls, value: dict[str, str]) -> dict[str, str]:
        allowed = {*(kind.value for kind in CoverageKind), "wear"}
        for prefix, category in value.items():
            if category not in allowed:
                raise ValueError(f"category of {prefix!r} must be one of {sorted(allowed)}")
        return value

    @pydantic.field_validator("labour_times")
    @classmethod
    def positive_hours(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for code, hours in value.items():
            if hours <= 0:
                raise ValueError(f"standard hours of {code} must be positive")
        return value


class PolicyPublic(BaseModel):
    id: uuid.UUID
    make: str
    model: str | None
    version: int
    valid_from: date
    terms: dict[str, Any]
    categories: dict[str, str]
    labour_times: dict[str, str]
    goodwill_months: int
    goodwill_km: int
    submission_days: int
    duplicate_days: int
    part_return_days: int
    maintenance: dict[str, Any] | None = None


class PoliciesPublic(BaseModel):
    data: list[PolicyPublic]
    count: int


class CoverageLineIn(InputModel):
    kind: LineKind
    code: str = pydantic.Field(min_length=1, max_length=40)
    description: str | None = pydantic.Field(default=None, max_length=200)
    customer_supplied: bool = False
    major_system: str | None = pydantic.Field(default=None, max_length=40)


class CoverageCheckRequest(InputModel):
    """The vehicle and the lines the advisor thinks may be warranty, at check-in."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "vin": "LFV2A21K7G3000001",
                    "make": "FAW-VW",
                    "model": "Sagitar",
                    "mileage_km": 42000,
                    "warranty_start": "2024-05-01",
                    "lines": [{"kind": "labour", "code": "ENG-120", "major_system": "engine"}],
                }
            ]
        }
    }

    vin: str = pydantic.Field(min_length=17, max_length=17)
    make: str | None = pydantic.Field(default=None, max_length=40)
    model: str | None = pydantic.Field(default=None, max_length=60)
    mileage_km: int | None = pydantic.Field(default=None, ge=0)
    warranty_start: date | None = None
    on: date | None = pydantic.Field(default=None, description="repair date; today if absent")
    accident_damage: bool = False
    maintenance_missed: bool = False
    lines: list[CoverageLineIn] = pydantic.Field(min_length=1)


class LineCoveragePublic(BaseModel):
    code: str
    verdict: CoverageVerdict
    reason: str | None
    coverage: str | None = pydantic.Field(description="the term that judged it")


class CoverageCheckPublic(BaseModel):
    vin: str
    on: date
    policy_version: int | None = pydantic.Field(description="none: national minimum only")
    sanbao_period: bool = pydantic.Field(description="inside the 2-year/50,000 km 三包 period")
    lines: list[LineCoveragePublic]
    sanbao_warnings: list[str] = pydantic.Field(default_factory=list)


class OrderLineCoveragePublic(BaseModel):
    line_id: uuid.UUID
    kind: LineKind
    code: str
    description: str
    coverage: CoverageVerdict
    coverage_reason: str | None
    authorisation_no: str | None
    fault_class: FaultClass | None = pydantic.Field(
        default=None, description="the 三包 fault class of the line"
    )
    fault_class_source: ClassSource | None = None
    fault_classified_by: str | None = None
    fault_classified_at: datetime | None = None
    fault_class_note: str | None = None


class FaultClassification(InputModel):
    """The 三包 fault class of a warranty repair line, set or corrected by the warranty
    administrator (the 60-day and serious-safety rules count on it)."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"fault_class": "fuel_leak", "note": "燃油管接头渗漏, 路试确认"},
                {"fault_class": "other_quality_problem", "note": "not a brake failure: noise"},
            ]
        }
    }

    fault_class: FaultClass
    note: str | None = pydantic.Field(default=None, min_length=1, max_length=500)


class WarrantyOrderPublic(BaseModel):
    order_id: uuid.UUID
    order_no: str
    station_id: str
    vin: str
    make: str | None
    model: str | None
    mileage_km: int | None
    warranty_start: date | None
    lines: list[OrderLineCoveragePublic]


class PreAuthorisation(InputModel):
    """The manufacturer's answer to a request for prior authorisation (预授权) of a line."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"approved": True, "authorisation_no": "PA-2026-000123"},
                {"approved": False, "reason": "customer modification of the cooling system"},
            ]
        }
    }

    approved: bool
    authorisation_no: str | None = pydantic.Field(default=None, min_length=1, max_length=60)
    reason: str | None = pydantic.Field(default=None, min_length=1, max_length=300)


class ClaimLinePublic(BaseModel):
    id: uuid.UUID
    line_id: uuid.UUID = pydantic.Field(description="the repair order line claimed")
    kind: LineKind
    code: str = pydantic.Field(description="labour operation code or part number")
    description: str
    quantity: Decimal
    hours: Decimal | None = pydantic.Field(description="flat-rate hours (labour lines)")
    amount: Decimal = pydantic.Field(description="yuan claimed for this line")
    causal: bool = pydantic.Field(description="the part that failed")
    standard_hours: Decimal | None = pydantic.Field(description="manufacturer's labour time")
    hours_note: str | None
    coverage: CoverageVerdict
    coverage_reason: str | None
    fault_class: FaultClass | None = pydantic.Field(
        default=None, description="the 三包 fault class of the repair line (set on the order)"
    )


class WarrantyClaimPublic(BaseModel):
    id: uuid.UUID
    claim_no: str
    station_id: str
    order_id: uuid.UUID
    vin: str
    make: str | None
    model: str | None
    mileage_km: int | None
    repair_date: date = pydantic.Field(description="the day the workshop completed the car")
    complaint: str
    cause: str | None
    correction: str | None
    fault_codes: list[str]
    photos: list[str]
    policy_version: int | None
    status: ClaimStatus
    version: int = pydantic.Field(description="send it back with a change (409 if stale)")
    amount: Decimal = pydantic.Field(description="yuan claimed from the manufacturer")
    approved_amount: Decimal | None
    paid_amount: Decimal | None
    charged_back_amount: Decimal | None = pydantic.Field(
        default=None, description="what the manufacturer took back after paying"
    )
    charged_back_at: datetime | None = None
    reason_code: str | None = pydantic.Field(
        description="manufacturer's rejection (or charge-back) code"
    )
    reason: str | None
    question: str | None = pydantic.Field(description="what the manufacturer asked")
    problems: list[str] = pydantic.Field(
        default_factory=list, description="what must be fixed before the claim is submitted"
    )
    submitted_at: datetime | None
    paid_at: datetime | None
    created_at: datetime
    lines: list[ClaimLinePublic] = pydantic.Field(
        default_factory=list, description="filled when one claim is read, empty in lists"
    )


class WarrantyClaimsPublic(BaseModel):
    data: list[WarrantyClaimPublic]
    count: int


class ClaimUpdate(InputModel):
    """The warranty administrator's part of a claim (3C, causal part, evidence)."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "version": 1,
                    "cause": "水泵轴承磨损漏水",
                    "correction": "更换水泵",
                    "causal_line_id": "7f3c0c2e-4d7b-4a51-9a3b-0f3d3c1d2e10",
                    "fault_codes": ["P0217"],
                    "photos": ["dms://photos/wc-1/pump.jpg"],
                    "hours_notes": {"7f3c0c2e-4d7b-4a51-9a3b-0f3d3c1d2e11": "seized bolts"},
                }
            ]
        }
    }

    version: int = pydantic.Field(ge=1, description="the version read")
    complaint: str | None = pydantic.Field(default=None, min_length=1, max_length=2000)
    cause: str | None = pydantic.Field(default=None, min_length=1, max_length=2000)
    correction: str | None = pydantic.Field(default=None, min_length=1, max_length=2000)
    causal_line_id: uuid.UUID | None = pydantic.Field(
        default=None, description="the part line that failed"
    )
    fault_codes: list[str] | None = pydantic.Field(default=None, max_length=50)
    photos: list[str] | None = pydantic.Field(default=None, max_length=50)
    hours_notes: dict[uuid.UUID, str] | None = pydantic.Field(
        default=None, description="labour line id → why more hours than the standard"
    )


class ClaimSubmit(InputModel):
    model_config = {"json_schema_extra": {"examples": [{"version": 3}]}}

    version: int = pydantic.Field(ge=1, description="the version read")
    info_answer: str | None = pydantic.Field(
        default=None, max_length=2000, description="answer to the manufacturer's question"
    )


class ChargeBackRecord(InputModel):
    """The manufacturer's notice that it takes back money paid for a claim (索赔扣款),
    recorded by the warranty administrator."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "version": 7,
                    "amount": "480.00",
                    "reason_code": "part_not_returned_in_time",
                    "reason": "旧件未按期返回",
                }
            ]
        }
    }

    version: int = pydantic.Field(ge=1, description="the version read")
    amount: Decimal = pydantic.Field(gt=0, max_digits=12, decimal_places=2)
    reason_code: ChargeBackReason
    reason: str = pydantic.Field(min_length=1, max_length=500)


class SubmissionPublic(BaseModel):
    id: uuid.UUID
    number: int
    state: SubmissionState
    attempts: int
    last_error: str | None
    reference: str | None
    requested_at: datetime
    sent_at: datetime | None


class AnswerPublic(BaseModel):
    id: uuid.UUID
    seq: int
    kind: AnswerKind
    amount: Decimal | None
    reason_code: str | None
    reason: str | None
    question: str | None
    due_at: datetime
    state: AnswerState


class ClaimHistoryPublic(BaseModel):
    submissions: list[SubmissionPublic]
    answers: list[AnswerPublic]


class KpisPublic(BaseModel):
    scope: str = pydantic.Field(description="a station id, or 'group'")
    submitted: int
    approved: int
    partly_approved: int
    rejected: int
    rejected_by_reason: dict[str, int]
    paid: int
    charged_back: int
    claimed_amount: Decimal
    approved_amount: Decimal
    paid_amount: Decimal
    charged_back_amount: Decimal = Decimal("0.00")
    average_days_to_payment: Decimal | None
    rejection_rate: Decimal | None = pydantic.Field(description="rejected / decided")


class KpiReportPublic(BaseModel):
    stations: list[KpisPublic]
    group: KpisPublic | None = pydantic.Field(description="only for group users")


class BatchProblemPublic(BaseModel):
    make: str | None
    model: str | None
    part_no: str
    vehicles: int
    first: date
    last: date
    vins: list[str]


class SeriousProblemPublic(BaseModel):
    """A repair of a serious safety fault, to report to the manufacturer at once."""

    claim_id: uuid.UUID
    claim_no: str
    station_id: str
    vin: str
    make: str | None
    model: str | None
    repair_date: date
    system: str = pydantic.Field(
        description="the safety system repaired (brakes, steering), or the serious safety "
        "fault class of the line (fuel_leak, body_cracking, battery_fire ...)"
    )
    causal_part: str | None
    complaint: str


class QualityReportPublic(BaseModel):
    window_days: int
    min_vehicles: int
    data: list[BatchProblemPublic]
    serious: list[SeriousProblemPublic] = pydantic.Field(
        default_factory=list,
        description="serious safety faults repaired within the window, newest first",
    )


# --- returned warranty parts (旧件) --------------------------------------------------------


class ReturnedPartStatus(StrEnum):
    IN_STORE = "in_store"
    RETURN_REQUESTED = "return_requested"
    SHIPPED = "shipped"
    SCRAPPED = "scrapped"


class ReturnedPart(WarrantyTable, table=True):  # type: ignore[call-arg]
    """A replaced part kept in the warranty-parts store, tagged to its claim, until the
    manufacturer releases it for scrap or asks for it back."""

    __tablename__ = "returned_part"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    claim_id: uuid.UUID = Field(foreign_key="warranty_claim.id", index=True)
    claim_no: str = Field(max_length=40)
    line_id: uuid.UUID = Field(unique=True)
    part_no: str = Field(max_length=40)
    description: str = Field(max_length=200)
    quantity: Decimal = Field(sa_column=money_column())
    causal: bool = False
    status: ReturnedPartStatus = Field(
        default=ReturnedPartStatus.IN_STORE, sa_column=enum_column(ReturnedPartStatus, index=True)
    )
    return_days: int = 15
    stored_at: datetime = Field(sa_column=utc_column())
    ship_by: date | None = None
    shipped_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    waybill: str | None = Field(default=None, max_length=60)
    released_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    version: int = 1


class ReturnedPartPublic(BaseModel):
    id: uuid.UUID
    station_id: str
    claim_id: uuid.UUID
    claim_no: str = pydantic.Field(description="the tag on the part")
    part_no: str
    description: str
    quantity: Decimal
    causal: bool
    status: ReturnedPartStatus
    stored_at: datetime
    ship_by: date | None = pydantic.Field(description="deadline once the manufacturer asks")
    overdue: bool
    shipped_at: datetime | None
    waybill: str | None
    released_at: datetime | None
    version: int


class ReturnedPartsPublic(BaseModel):
    data: list[ReturnedPartPublic]
    count: int


class ReturnRequest(InputModel):
    """The manufacturer asked for the part back (by its claim-system notice)."""

    model_config = {"json_schema_extra": {"examples": [{"version": 1}]}}

    version: int = pydantic.Field(ge=1)
    ship_by: date | None = pydantic.Field(
        default=None, description="the manufacturer's deadline; policy's return days if absent"
    )


class Shipment(InputModel):
    model_config = {"json_schema_extra": {"examples": [{"version": 2, "waybill": "SF1234567890"}]}}

    version: int = pydantic.Field(ge=1)
    waybill: str = pydantic.Field(min_length=1, max_length=60)


class ScrapRelease(InputModel):
    model_config = {"json_schema_extra": {"examples": [{"version": 1}]}}

    version: int = pydantic.Field(ge=1)


# --- 三包 tracking per vehicle -------------------------------------------------------------


class SanbaoRepair(WarrantyTable, table=True):  # type: ignore[call-arg]
    """A warranty repair inside the 三包 period: its days and the fault it fixed. Opened when
    the order is signed, closed when the workshop completes the car."""

    __tablename__ = "sanbao_repair"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    vin: str = Field(max_length=17, index=True)
    order_id: uuid.UUID = Field(unique=True)
    order_no: str = Field(max_length=40)
    fault: str = Field(max_length=60)
    started_at: datetime = Field(sa_column=utc_column())
    completed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    days: int = 0
    courtesy_car_due: bool = False


class SanbaoRepairPublic(BaseModel):
    order_id: uuid.UUID
    order_no: str
    station_id: str
    fault: str
    started_at: datetime
    completed_at: datetime | None = pydantic.Field(description="none: still in the workshop")
    days: int = pydantic.Field(description="so far, while still in the workshop")
    courtesy_car_due: bool = pydantic.Field(description="single repair over 5 days")


class SanbaoSignalPublic(BaseModel):
    rule: SanbaoRule
    reached: bool
    count: int
    threshold: int
    fault: str | None
    remedy: str
    message: str


class SanbaoRecordPublic(BaseModel):
    vin: str
    repair_days: int = pydantic.Field(
        description="cumulative 三包 repair days, at every station of the group"
    )
    repairs_by_fault: dict[str, int] = pydantic.Field(
        description="repairs per fault, at every station of the group"
    )
    warnings: list[str] = pydantic.Field(description="judged on the whole history")
    repairs: list[SanbaoRepairPublic] = pydantic.Field(
        description="the repairs at the stations the user sees"
    )
    repairs_at_other_stations: int = pydantic.Field(
        default=0, description="counted in the totals, not listed"
    )
    signals: list[SanbaoSignalPublic] = pydantic.Field(
        default_factory=list,
        description="the thresholds reached or one step away, as announced to reception",
    )


# --- manufacturer answers arriving on their own (webhook) -------------------------------


class InboundState(StrEnum):
    APPLIED = "applied"
    #: kept with the reason, never dropped: an unknown claim, or a state it does not fit
    DEAD_LETTERED = "dead_lettered"
    #: a dead letter the administrator closed without applying it (with the reason)
    DISMISSED = "dismissed"


class InboundSource(StrEnum):
    WEBHOOK = "webhook"  # pushed by the manufacturer's claim system
    ADAPTER = "adapter"  # an answer of the adapter's receipt (submission / polling path)


class InboundAnswer(WarrantyTable, table=True):  # type: ignore[call-arg]
    """An answer the manufacturer's claim system pushed to the dealer (webhook), as received:
    applied to its claim, or kept as a dead letter with the reason."""

    __tablename__ = "manufacturer_inbound_answer"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    #: the manufacturer's id of the message: a redelivery with it changes nothing
    message_id: str = Field(max_length=80, unique=True)
    #: hash of what the message said, to tell a redelivery from a reused message id
    fingerprint: str = Field(max_length=64)
    claim_no: str = Field(max_length=40, index=True)
    reference: str | None = Field(default=None, max_length=80)
    kind: AnswerKind = Field(sa_column=enum_column(AnswerKind))
    amount: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    reason_code: str | None = Field(default=None, max_length=40)
    reason: str | None = Field(default=None, max_length=500)
    question: str | None = Field(default=None, max_length=2000)
    sent_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    received_at: datetime = Field(sa_column=utc_column())
    state: InboundState = Field(sa_column=enum_column(InboundState, index=True))
    dead_reason: str | None = Field(default=None, max_length=500)
    attempts: int = 1
    #: the station of the claim, or the one its number names when the claim is unknown
    station_id: str | None = Field(default=None, max_length=20, index=True)
    claim_id: uuid.UUID | None = None
    answer_id: uuid.UUID | None = None
    applied_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    source: InboundSource = Field(
        default=InboundSource.WEBHOOK, sa_column=enum_column(InboundSource)
    )
    #: the adapter's answer that did not fit (source adapter)
    adapter_answer_id: uuid.UUID | None = None
    dismissed_by: str | None = Field(default=None, max_length=80)
    dismissed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    dismiss_note: str | None = Field(default=None, max_length=500)


class ManufacturerAnswerIn(InputModel):
    """One answer of the manufacturer's claim system about one claim."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "message_id": "FAW-CLM-20260305-000123",
                    "claim_no": "WC-BJ01-20260303-A1B2C3",
                    "kind": "rejected",
                    "reason_code": "excessive_labour_hours",
                    "reason": "labour hours above the standard",
                },
                {
                    "message_id": "FAW-CLM-20260401-000456",
                    "claim_no": "WC-BJ01-20260303-A1B2C3",
                    "kind": "charged_back",
                    "amount": "480.00",
                    "reason_code": "part_not_returned_in_time",
                    "reason": "旧件未按期返回",
                },
            ]
        }
    }

    message_id: str = pydantic.Field(min_length=1, max_length=80)
    claim_no: str = pydantic.Field(min_length=1, max_length=40)
    reference: str | None = pydantic.Field(default=None, max_length=80)
    kind: AnswerKind
    amount: Decimal | None = pydantic.Field(default=None, ge=0, max_digits=12, decimal_places=2)
    reason_code: str | None = pydantic.Field(default=None, min_length=1, max_length=40)
    reason: str | None = pydantic.Field(default=None, max_length=500)
    question: str | None = pydantic.Field(default=None, max_length=2000)
    sent_at: pydantic.AwareDatetime | None = None


class InboundAnswerPublic(BaseModel):
    id: uuid.UUID
    message_id: str
    claim_no: str
    reference: str | None
    kind: AnswerKind
    amount: Decimal | None
    reason_code: str | None
    reason: str | None
    question: str | None
    state: InboundState
    dead_reason: str | None = pydantic.Field(description="why it could not be applied")
    attempts: int
    station_id: str | None
    claim_id: uuid.UUID | None
    received_at: datetime
    applied_at: datetime | None
    source: InboundSource = pydantic.Field(
        default=InboundSource.WEBHOOK,
        description="webhook: pushed; adapter: from the adapter's answers to a submission",
    )
    dismissed_by: str | None = None
    dismissed_at: datetime | None = None
    dismiss_note: str | None = None


class InboundAnswersPublic(BaseModel):
    data: list[InboundAnswerPublic]
    count: int


class AnswerDismissal(InputModel):
    """Close a dead letter without applying it (a duplicate, an answer already handled by
    phone ...): kept, with who closed it and why."""

    model_config = {
        "json_schema_extra": {
            "examples": [{"reason": "duplicate of the answer applied on 3 March"}]
        }
    }

    reason: str = pydantic.Field(min_length=1, max_length=500)


class AnswerRedrive(InputModel):
    """Apply a dead-lettered answer again (the claim exists now, or its number was wrong)."""

    model_config = {"json_schema_extra": {"examples": [{"claim_no": "WC-BJ01-20260303-A1B2C3"}]}}

    claim_no: str | None = pydantic.Field(
        default=None, min_length=1, max_length=40, description="the right claim number"
    )


# --- the daily shortage log (缺货记录表) ----------------------------------------------------


class ShortageKind(StrEnum):
    PRE_AUTHORISATION = "pre_authorisation"
    PARTS_ORDER = "parts_order"


class ShortageOutcome(StrEnum):
    REQUESTED = "requested"  # a line needs the manufacturer's prior authorisation
    AUTHORISED = "authorised"
    REFUSED = "refused"
    BACKORDERED = "backordered"  # a part short for a job: to be ordered


class ShortageEntry(WarrantyTable, table=True):  # type: ignore[call-arg]
    """One line of a station's daily shortage log: a pre-authorisation asked or answered,
    or a part short for a repair order (to be ordered), on the station's local day."""

    __tablename__ = "shortage_log_entry"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    #: what the entry records, once per day: a repeated event updates it
    key: str = Field(max_length=200, unique=True)
    station_id: str = Field(max_length=20, index=True)
    day: date = Field(index=True)
    kind: ShortageKind = Field(sa_column=enum_column(ShortageKind))
    outcome: ShortageOutcome = Field(sa_column=enum_column(ShortageOutcome))
    order_id: uuid.UUID | None = None
    order_no: str | None = Field(default=None, max_length=40)
    vin: str | None = Field(default=None, max_length=17)
    warranty: bool = False
    code: str = Field(max_length=40)
    description: str | None = Field(default=None, max_length=200)
    quantity: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    expected_on: date | None = None
    note: str | None = Field(default=None, max_length=300)
    recorded_at: datetime = Field(sa_column=utc_column())


class ShortageEntryPublic(BaseModel):
    kind: ShortageKind
    outcome: ShortageOutcome
    order_id: uuid.UUID | None
    order_no: str | None
    vin: str | None
    warranty: bool = pydantic.Field(description="a warranty repair order")
    code: str = pydantic.Field(description="part number or labour operation")
    description: str | None
    quantity: Decimal | None = pydantic.Field(description="quantity short (parts orders)")
    expected_on: date | None
    note: str | None = pydantic.Field(description="authorisation number or refusal reason")
    recorded_at: datetime


class ShortageTally(BaseModel):
    pre_authorisations_requested: int
    pre_authorisations_authorised: int
    pre_authorisations_refused: int
    parts_orders: int = pydantic.Field(description="part lines short (to be ordered)")
    parts_short: dict[str, Decimal] = pydantic.Field(description="part number → quantity short")


class ShortageLogPublic(BaseModel):
    station_id: str
    day: date
    tally: ShortageTally
    entries: list[ShortageEntryPublic]


class ShortageLogsPublic(BaseModel):
    day: date
    stations: list[ShortageLogPublic]


# --- maintenance history per VIN (for the missed-maintenance exclusion) ---------------


class MaintenanceSource(StrEnum):
    SERVICE_ORDER = "service_order"  # a maintenance order of a station of the group
    BOOKLET = "booklet"  # done elsewhere, stamped in the maintenance booklet (保养手册)


class MaintenanceRecord(WarrantyTable, table=True):  # type: ignore[call-arg]
    """One maintenance of a vehicle: a maintenance repair order of the group (counted once
    the workshop completed it or the car was delivered), or one done elsewhere that the
    warranty administrator recorded from the stamped booklet."""

    __tablename__ = "maintenance_record"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    vin: str = Field(max_length=17, index=True)
    source: MaintenanceSource = Field(sa_column=enum_column(MaintenanceSource))
    #: the maintenance order (source service_order): a redelivered event changes nothing
    order_id: uuid.UUID | None = Field(default=None, unique=True)
    order_no: str | None = Field(default=None, max_length=40)
    #: none while the order is open: it counts once done
    done_on: date | None = None
    mileage_km: int | None = None
    workshop: str | None = Field(default=None, max_length=200)
    evidence_note: str | None = Field(default=None, max_length=1000)
    recorded_by: str | None = Field(default=None, max_length=80)
    recorded_at: datetime = Field(sa_column=utc_column())


class MaintenanceRecordIn(InputModel):
    """Maintenance done outside the group, as stamped in the maintenance booklet."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "done_on": "2025-05-20",
                    "mileage_km": 9800,
                    "workshop": "天津滨海一汽-大众特约服务站",
                    "evidence_note": "保养手册第2页盖章, 发票号 12345678",
                }
            ]
        }
    }

    done_on: date
    mileage_km: int | None = pydantic.Field(default=None, ge=0, le=10_000_000)
    workshop: str = pydantic.Field(min_length=1, max_length=200)
    evidence_note: str = pydantic.Field(
        min_length=1, max_length=1000, description="the stamp, invoice or photo seen"
    )
    station_id: str | None = pydantic.Field(
        default=None, max_length=20, description="for users of several stations"
    )


class MaintenanceRecordPublic(BaseModel):
    id: uuid.UUID
    station_id: str
    vin: str
    source: MaintenanceSource
    order_id: uuid.UUID | None
    order_no: str | None
    done_on: date | None = pydantic.Field(description="none: the order is still open")
    mileage_km: int | None
    workshop: str | None
    evidence_note: str | None
    recorded_by: str | None
    recorded_at: datetime


class MaintenanceHistoryPublic(BaseModel):
    vin: str
    data: list[MaintenanceRecordPublic] = pydantic.Field(
        description="the records of the stations the user sees, oldest first"
    )
    at_other_stations: int = pydantic.Field(
        default=0, description="records of other stations, counted by the claim check"
    )


# --- 三包 warnings sent (sanbao.threshold_approached) ------------------------------------


class SanbaoWarning(WarrantyTable, table=True):  # type: ignore[call-arg]
    """A 三包 threshold a vehicle reached or neared, announced once per (VIN, rule, fault,
    reached) with ``sanbao.threshold_approached``."""

    __tablename__ = "sanbao_warning"
    __table_args__ = (UniqueConstraint("vin", "rule", "fault_key", "reached"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    vin: str = Field(max_length=17, index=True)
    rule: SanbaoRule = Field(sa_column=enum_column(SanbaoRule))
    #: the fault, or "-" when the rule counts the whole vehicle (repair days)
    fault_key: str = Field(max_length=80)
    reached: bool
    count: int
    threshold: int
    fault: str | None = Field(default=None, max_length=80)
    remedy: str = Field(max_length=100)
    message: str = Field(max_length=500)
    order_id: uuid.UUID | None = None
    raised_at: datetime = Field(sa_column=utc_column())


class SanbaoWarningPublic(BaseModel):
    id: uuid.UUID
    station_id: str = pydantic.Field(description="the station of the repair that raised it")
    vin: str
    rule: SanbaoRule
    reached: bool = pydantic.Field(description="false: one step short of the threshold")
    count: int
    threshold: int
    fault: str | None
    remedy: str
    message: str
    order_id: uuid.UUID | None
    raised_at: datetime


class SanbaoWarningsPublic(BaseModel):
    data: list[SanbaoWarningPublic]
    count: int
