"""Reception's tables and API schemas (one family per entity: Base, Create, table, Public)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pydantic
from pydantic import AwareDatetime, BaseModel, field_validator
from sqlalchemy import JSON, Column
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from services.reception.domain import (
    CustomerChoice,
    EstimateMethod,
    ReceptionCategory,
    vin_problem,
)
from shared.contracts.events import LineKind, OldPartsHandling, PayType
from shared.db import UtcDateTime, enum_column, money_column, utc_column
from shared.schemas import InputModel

STATION_FIELD: Any = pydantic.Field(
    default=None,
    pattern=r"^[a-z0-9]{2,20}$",
    description="defaults to the user's station (required for users of several stations)",
)


class ReceptionTable(SQLModel, registry=registry()):
    """Base of the reception tables: their own metadata, so only they are in its database."""


def json_column() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class OrderStatus(StrEnum):
    OPEN = "open"  # signed, in the workshop
    COMPLETED = "completed"  # vehicle.completed: settlement drawn up, ready for pickup
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class FuelLevel(StrEnum):
    EMPTY = "empty"
    QUARTER = "1/4"
    HALF = "1/2"
    THREE_QUARTERS = "3/4"
    FULL = "full"


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    WECHAT = "wechat"
    ALIPAY = "alipay"
    TRANSFER = "transfer"
    ON_ACCOUNT = "on_account"  # fleet and insurance customers (挂账)


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    ARRIVED = "arrived"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class FindingStatus(StrEnum):
    FOUND = "found"
    PRICED = "priced"
    APPROVED = "approved"
    DECLINED = "declined"


class DiscountStatus(StrEnum):
    NONE = "none"
    GRANTED = "granted"
    PENDING_MANAGER = "pending_manager"
    REFUSED = "refused"


# --- tables -----------------------------------------------------------------------------


class Appointment(ReceptionTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "appointment"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    status: AppointmentStatus = Field(
        default=AppointmentStatus.BOOKED, sa_column=enum_column(AppointmentStatus, index=True)
    )
    customer_id: uuid.UUID
    customer_name: str = Field(max_length=120)
    customer_phone: str | None = Field(default=None, max_length=40)
    vin: str = Field(max_length=17, index=True)
    plate: str | None = Field(default=None, max_length=20)
    starts_at: datetime = Field(sa_column=utc_column(index=True))
    estimated_hours: Decimal = Field(sa_column=money_column())
    requested_work: str = Field(max_length=2000)
    channel: str = Field(max_length=20)
    parts_to_order: list[dict[str, Any]] = json_column()
    deposit_required: Decimal = Field(sa_column=money_column())
    deposit_paid: Decimal = Field(sa_column=money_column())
    reminder_sent_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    arrived_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    cancel_reason: str | None = Field(default=None, max_length=500)
    booked_by: str = Field(max_length=60)
    created_at: datetime = Field(sa_column=utc_column())
    version: int = 1


class CapacitySlot(ReceptionTable, table=True):  # type: ignore[call-arg]
    """Technician hours a station can sell in one slot (a capacity setting)."""

    __tablename__ = "capacity_slot"

    station_id: str = Field(max_length=20, primary_key=True)
    slot_start: datetime = Field(sa_column=Column(UtcDateTime(), primary_key=True))
    hours: Decimal = Field(sa_column=money_column())
    bays: int = 0


class DayCapacity(ReceptionTable, table=True):  # type: ignore[call-arg]
    """The workshop's sellable hours per station and day (``capacity.published``)."""

    __tablename__ = "day_capacity"

    station_id: str = Field(max_length=20, primary_key=True)
    day: str = Field(max_length=10, primary_key=True)
    available_hours: Decimal = Field(sa_column=money_column())
    booked_hours: Decimal = Field(sa_column=money_column())
    technicians: int = 0


class CheckIn(ReceptionTable, table=True):  # type: ignore[call-arg]
    """The check-in sheet (接车单)."""

    __tablename__ = "check_in"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    appointment_id: uuid.UUID | None = None
    priority: bool = False
    customer_name: str = Field(max_length=120)
    customer_phone: str | None = Field(default=None, max_length=40)
    vin: str = Field(max_length=17, index=True)
    plate: str | None = Field(default=None, max_length=20)
    make: str | None = Field(default=None, max_length=40)
    model: str | None = Field(default=None, max_length=60)
    mileage_km: int
    mileage_correction_note: str | None = Field(default=None, max_length=500)
    fuel_level: FuelLevel = Field(sa_column=enum_column(FuelLevel))
    arrived_at: datetime = Field(sa_column=utc_column())
    started_at: datetime = Field(sa_column=utc_column())
    belongings: list[str] = json_column()
    documents: list[str] = json_column()
    key_tag: str = Field(max_length=20)
    signature_name: str = Field(max_length=120)
    signature_image: str | None = None
    signature_typed: str | None = Field(default=None, max_length=200)
    signed_at: datetime = Field(sa_column=utc_column())
    advisor_id: str = Field(max_length=60)
    covers_fitted: bool = False
    valuables_reminded: bool = False


class DamageMark(ReceptionTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "damage_mark"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    check_in_id: uuid.UUID = Field(foreign_key="check_in.id", index=True)
    position: str = Field(max_length=40)
    kind: str = Field(max_length=30)
    note: str | None = Field(default=None, max_length=500)
    photos: list[str] = json_column()


class RepairOrder(ReceptionTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "repair_order"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    order_no: str = Field(max_length=40, unique=True)
    station_id: str = Field(max_length=20, index=True)
    status: OrderStatus = Field(
        default=OrderStatus.OPEN, sa_column=enum_column(OrderStatus, index=True)
    )
    category: ReceptionCategory = Field(sa_column=enum_column(ReceptionCategory))
    customer_id: uuid.UUID
    customer_name: str = Field(max_length=120)
    customer_phone: str | None = Field(default=None, max_length=40)
    customer_vip: bool = False
    vin: str = Field(max_length=17, index=True)
    plate: str | None = Field(default=None, max_length=20)
    make: str | None = Field(default=None, max_length=40)
    model: str | None = Field(default=None, max_length=60)
    mileage_km: int
    fuel_level: FuelLevel | None = Field(
        default=None, sa_column=enum_column(FuelLevel, nullable=True)
    )
    check_in_id: uuid.UUID | None = None
    appointment_id: uuid.UUID | None = None
    priority: bool = False
    complaint: str = Field(max_length=2000)
    advisor_id: str = Field(max_length=60)
    estimate_method: EstimateMethod = Field(sa_column=enum_column(EstimateMethod))
    payment_method: PaymentMethod = Field(sa_column=enum_column(PaymentMethod))
    old_parts: OldPartsHandling = Field(sa_column=enum_column(OldPartsHandling))
    car_wash: bool = False
    no_guarantee_note: str | None = Field(default=None, max_length=1000)
    estimate_note: str | None = Field(default=None, max_length=500)
    estimated_total: Decimal = Field(sa_column=money_column())
    total: Decimal = Field(sa_column=money_column())
    estimated_hours: Decimal = Field(sa_column=money_column())
    flagged_for_manager: bool = False
    inspection_required: bool = False
    signed_by: str = Field(max_length=120)
    signed_at: datetime = Field(sa_column=utc_column())
    promised_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    progress_confirmed_at: datetime | None = Field(
        default=None, sa_column=utc_column(nullable=True)
    )
    ready_notified_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    delay_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_column=utc_column())
    completed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    delivered_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    next_service_km: int | None = None
    next_service_date: date | None = None
    cancelled_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    cancelled_by: str | None = Field(default=None, max_length=60)
    cancel_reason: str | None = Field(default=None, max_length=500)
    customer_waiting: bool | None = None
    manager_signed_off_by: str | None = Field(default=None, max_length=60)
    manager_signed_off_at: datetime | None = Field(
        default=None, sa_column=utc_column(nullable=True)
    )
    manager_sign_off_note: str | None = Field(default=None, max_length=500)
    version: int = 1


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
    customer_supplied: bool = False
    non_original: bool = False
    free: bool = False
    customer_choice: CustomerChoice | None = Field(
        default=None, sa_column=enum_column(CustomerChoice, nullable=True)
    )
    finding_id: uuid.UUID | None = None


class AdditionalWork(ReceptionTable, table=True):  # type: ignore[call-arg]
    """A technician's finding the customer must approve (追加维修项目)."""

    __tablename__ = "additional_work"

    id: uuid.UUID = Field(primary_key=True)  # the finding id from the workshop
    order_id: uuid.UUID = Field(foreign_key="repair_order.id", index=True)
    station_id: str = Field(max_length=20, index=True)
    job_id: uuid.UUID
    description: str = Field(max_length=2000)
    safety_relevant: bool = False
    suggested_lines: list[dict[str, Any]] = json_column()
    estimated_delay_minutes: int = 0
    reported_by: str = Field(max_length=60)
    found_at: datetime = Field(sa_column=utc_column())
    status: FindingStatus = Field(
        default=FindingStatus.FOUND, sa_column=enum_column(FindingStatus, index=True)
    )
    priced_lines: list[dict[str, Any]] = json_column()
    price: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    priced_by: str | None = Field(default=None, max_length=60)
    link_token_hash: str | None = Field(default=None, max_length=64, index=True)
    link_expires_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    decided_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    decided_via: str | None = Field(default=None, max_length=20)
    customer_told_by: str | None = Field(default=None, max_length=60)
    customer_told_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    workshop_told: str | None = Field(default=None, max_length=120)


class SettlementRecord(ReceptionTable, table=True):  # type: ignore[call-arg]
    """The settlement (结算单) of an order, drawn up on ``vehicle.completed``."""

    __tablename__ = "settlement"

    order_id: uuid.UUID = Field(foreign_key="repair_order.id", primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    lines: list[dict[str, Any]] = json_column()
    gross: Decimal = Field(sa_column=money_column())
    estimated: Decimal = Field(sa_column=money_column())
    customer_gross: Decimal = Field(sa_column=money_column())
    discount: Decimal = Field(sa_column=money_column())
    discount_reason: str | None = Field(default=None, max_length=500)
    discount_status: DiscountStatus = Field(
        default=DiscountStatus.NONE, sa_column=enum_column(DiscountStatus)
    )
    discount_requested: Decimal = Field(sa_column=money_column())
    discount_requested_by: str | None = Field(default=None, max_length=60)
    discount_approved_by: str | None = Field(default=None, max_length=60)
    tax_included: Decimal = Field(sa_column=money_column())
    paid: Decimal = Field(sa_column=money_column())
    on_account: Decimal = Field(sa_column=money_column())
    exit_pass_no: str | None = Field(default=None, max_length=40)
    exit_pass_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    created_at: datetime = Field(sa_column=utc_column())
    version: int = 1


class Payment(ReceptionTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "payment"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    order_id: uuid.UUID = Field(foreign_key="repair_order.id", index=True)
    station_id: str = Field(max_length=20, index=True)
    method: PaymentMethod = Field(sa_column=enum_column(PaymentMethod))
    amount: Decimal = Field(sa_column=money_column())
    reference: str | None = Field(default=None, max_length=80)
    received_by: str = Field(max_length=60)
    received_at: datetime = Field(sa_column=utc_column())


class StockLevel(ReceptionTable, table=True):  # type: ignore[call-arg]
    """Live parts availability per station and part (read model of ``stock.level_changed``)."""

    __tablename__ = "stock_level"

    station_id: str = Field(max_length=20, primary_key=True)
    part_no: str = Field(max_length=40, primary_key=True)
    description: str | None = Field(default=None, max_length=200)
    on_hand: Decimal = Field(sa_column=money_column())
    reserved: Decimal = Field(sa_column=money_column())
    available: Decimal = Field(sa_column=money_column())
    on_order: Decimal = Field(sa_column=money_column())
    expected_on: date | None = None
    list_price: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    lead_time_days: int | None = None
    as_of: datetime = Field(sa_column=utc_column())


class VehicleCampaign(ReceptionTable, table=True):  # type: ignore[call-arg]
    """An open recall or service campaign for one VIN (read model of ``campaign.launched``);
    closed once an order for the VIN carries a line with the campaign's code."""

    __tablename__ = "vehicle_campaign"

    campaign_id: uuid.UUID = Field(primary_key=True)
    vin: str = Field(max_length=17, primary_key=True)
    code: str = Field(max_length=40, index=True)
    title: str = Field(max_length=200)
    kind: str = Field(max_length=20)
    ends_on: date | None = None
    launched_at: datetime = Field(sa_column=utc_column())
    closed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    closed_by_order_id: uuid.UUID | None = None


class MaintenanceReminder(ReceptionTable, table=True):  # type: ignore[call-arg]
    """Due maintenance for a VIN from CRM (read model of ``reminder.due``), shown at check-in
    until an order for the VIN is signed."""

    __tablename__ = "maintenance_reminder"

    reminder_id: uuid.UUID = Field(primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    vin: str = Field(max_length=17, index=True)
    customer_id: uuid.UUID
    kind: str = Field(max_length=30)
    reason: str = Field(max_length=500)
    due_on: date | None = None
    due_km: int | None = None
    received_at: datetime = Field(sa_column=utc_column())
    addressed_by_order_id: uuid.UUID | None = None
    addressed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class SanbaoWarning(ReceptionTable, table=True):  # type: ignore[call-arg]
    """A 三包 threshold a vehicle nears or reached (read model of
    ``sanbao.threshold_approached`` from warranty): one row per VIN, rule and fault, the
    newest report wins. Shown to the advisor on the vehicle's notices, check-in and orders."""

    __tablename__ = "sanbao_warning"

    vin: str = Field(max_length=17, primary_key=True)
    rule: str = Field(max_length=40, primary_key=True)
    fault_key: str = Field(max_length=200, primary_key=True)
    station_id: str = Field(max_length=20)
    fault: str | None = Field(default=None, max_length=200)
    reached: bool = False
    count: int = 0
    threshold: int = 0
    remedy: str = Field(max_length=500)
    message: str = Field(max_length=1000)
    order_id: uuid.UUID | None = None
    as_of: datetime = Field(sa_column=utc_column())


# --- API schemas: common ----------------------------------------------------------------


class SanbaoWarningPublic(BaseModel):
    """A 三包 threshold (汽车三包) the vehicle nears (``reached: false``) or reached."""

    vin: str
    rule: str
    reached: bool
    count: int
    threshold: int
    fault: str | None
    remedy: str
    message: str
    order_id: uuid.UUID | None
    as_of: datetime


class CustomerIn(InputModel):
    customer_id: uuid.UUID | None = None
    name: str = pydantic.Field(min_length=1, max_length=120)
    phone: str | None = pydantic.Field(default=None, max_length=40, pattern=r"^[0-9+\- ]{5,40}$")
    is_vip: bool = False


def _checked_vin(value: str) -> str:
    value = value.upper()
    problem = vin_problem(value)
    if problem:
        raise ValueError(problem)
    return value


class VehicleIn(InputModel):
    vin: str = pydantic.Field(min_length=17, max_length=17, examples=["LFV2A21K7G3000001"])
    plate: str | None = pydantic.Field(default=None, max_length=20)
    make: str | None = pydantic.Field(default=None, max_length=40)
    model: str | None = pydantic.Field(default=None, max_length=60)

    @field_validator("vin")
    @classmethod
    def _vin(cls, value: str) -> str:
        return _checked_vin(value)


class SignatureIn(InputModel):
    """The customer's signature: a name plus a drawn image or a typed confirmation."""

    name: str = pydantic.Field(min_length=1, max_length=120)
    image: str | None = pydantic.Field(
        default=None, max_length=400_000, description="data:image/png;base64,..."
    )
    typed_confirmation: str | None = pydantic.Field(default=None, max_length=200)

    @pydantic.model_validator(mode="after")
    def _one_of(self) -> SignatureIn:
        if not self.image and not self.typed_confirmation:
            raise ValueError("a signature needs an image or a typed confirmation")
        if self.image and not self.image.startswith("data:image/"):
            raise ValueError("the signature image must be a data:image/... URL")
        return self


# --- estimate and repair order ----------------------------------------------------------


class EstimateLineIn(InputModel):
    """A line the customer agrees to. Labour lines may name only an operation ``code`` of the
    labour-time price list: hours and the station's rate are filled in. ``ref`` lets a part
    line point at its labour line."""

    ref: str | None = pydantic.Field(default=None, max_length=40, description="client label")
    kind: LineKind
    code: str = pydantic.Field(min_length=1, max_length=40)
    description: str | None = pydantic.Field(default=None, min_length=1, max_length=200)
    quantity: Decimal = pydantic.Field(default=Decimal("1"), gt=0, max_digits=10, decimal_places=3)
    hours: Decimal | None = pydantic.Field(default=None, gt=0, max_digits=6, decimal_places=2)
    unit_price: Decimal | None = pydantic.Field(default=None, ge=0, max_digits=12, decimal_places=2)
    pay_type: PayType | None = None
    skill: str | None = pydantic.Field(default=None, max_length=30)
    major_system: str | None = pydantic.Field(default=None, max_length=30)
    labour_ref: str | None = pydantic.Field(
        default=None, max_length=40, description="ref of labour line"
    )
    customer_supplied: bool = False
    non_original: bool = False
    in_stock: bool = pydantic.Field(default=True, description="parts: available at the counter now")
    lead_days: int | None = pydantic.Field(
        default=None, ge=0, le=120, description="parts: days until it arrives"
    )
    customer_choice: CustomerChoice | None = pydantic.Field(
        default=None, description="parts not in stock: the customer's decision"
    )


class EstimateIn(InputModel):
    model_config = pydantic.ConfigDict(
        json_schema_extra={
            "examples": [{"category": "maintenance", "packages": ["PKG-MINOR"], "car_wash": True}]
        }
    )

    station_id: str | None = STATION_FIELD
    category: ReceptionCategory
    estimate_method: EstimateMethod = EstimateMethod.SYSTEM
    packages: list[str] = pydantic.Field(
        default=[], description="service package codes (canned jobs)"
    )
    lines: list[EstimateLineIn] = []
    car_wash: bool = False


class PricedLinePublic(BaseModel):
    ref: str | None = None
    kind: LineKind
    code: str
    description: str
    quantity: Decimal
    hours: Decimal | None
    unit_price: Decimal
    amount: Decimal
    pay_type: PayType
    skill: str | None = None
    major_system: str | None = None
    labour_ref: str | None = None
    customer_supplied: bool = False
    non_original: bool = False
    free: bool = False
    in_stock: bool = True
    lead_days: int | None = None
    customer_choice: CustomerChoice | None = None
    availability: str | None = pydantic.Field(
        default=None,
        description="parts: in_stock / short (live stock below the quantity) / unknown "
        "(no stock record: the advisor's in_stock is taken)",
    )
    available: Decimal | None = pydantic.Field(
        default=None, description="parts: available at the station now (live stock)"
    )
    on_order: Decimal | None = None
    expected_on: date | None = pydantic.Field(
        default=None, description="parts: when the ordered stock is expected"
    )


class EstimatePublic(BaseModel):
    category: ReceptionCategory
    estimate_method: EstimateMethod
    risk_margin: Decimal
    labour_rate: Decimal
    lines: list[PricedLinePublic]
    dropped_lines: list[PricedLinePublic]
    labour_total: Decimal
    parts_total: Decimal
    total: Decimal
    tax_included: Decimal
    totals_by_pay_type: dict[str, Decimal]
    estimated_hours: Decimal
    promised_at: datetime
    notes: list[str]


class LabourOperationPublic(BaseModel):
    code: str
    description: str
    hours: Decimal
    skill: str
    major_system: str | None
    price: Decimal = pydantic.Field(description="flat-rate hours x the station's labour rate")


class ServicePackagePublic(BaseModel):
    code: str
    name: str
    operations: list[str]
    parts: list[dict[str, Any]]


class PriceListPublic(BaseModel):
    station_id: str
    labour_rate: Decimal
    operations: list[LabourOperationPublic]
    packages: list[ServicePackagePublic]


_ORDER_EXAMPLE: dict[str, Any] = {
    "category": "repair",
    "customer": {"name": "张伟", "phone": "13800000001"},
    "vehicle": {"vin": "LFV2A21K7G3000001", "plate": "京A12345"},
    "mileage_km": 42000,
    "complaint": "刹车时有异响",
    "estimate_method": "system",
    "lines": [
        {"ref": "L1", "kind": "labour", "code": "BRK-010"},
        {
            "kind": "part",
            "code": "1K0698151A",
            "description": "前刹车片",
            "unit_price": "480",
            "labour_ref": "L1",
        },
    ],
    "payment_method": "wechat",
    "old_parts": "take_away",
    "car_wash": True,
    "signature": {"name": "张伟", "typed_confirmation": "我同意以上维修项目和价格"},
}


class RepairOrderCreate(EstimateIn):
    """The signed repair order (任务委托书). Category first; then the agreed estimate."""

    model_config = pydantic.ConfigDict(json_schema_extra={"examples": [_ORDER_EXAMPLE]})

    customer: CustomerIn
    vehicle: VehicleIn
    mileage_km: int | None = pydantic.Field(
        default=None, ge=0, le=3_000_000, description="from the check-in sheet when omitted"
    )
    check_in_id: uuid.UUID | None = None
    appointment_id: uuid.UUID | None = None
    complaint: str = pydantic.Field(
        min_length=1, max_length=2000, description="in the customer's words"
    )
    promised_at: AwareDatetime | None = pydantic.Field(
        default=None, description="computed when omitted"
    )
    inspection_required: bool = False
    payment_method: PaymentMethod = PaymentMethod.CASH
    old_parts: OldPartsHandling = OldPartsHandling.DISPOSE
    customer_waiting: bool | None = pydantic.Field(
        default=None, description="true: waits in the lounge; false: leaves and collects later"
    )
    signature: SignatureIn


class OrderChange(InputModel):
    """What may change on a signed order: the promised time (with the reason told to the
    customer) and the progress marks. Lines change only through additional work."""

    model_config = pydantic.ConfigDict(
        json_schema_extra={
            "examples": [
                {"version": 1, "promised_at": "2026-12-01T10:00:00Z", "delay_reason": "零件晚到"}
            ]
        }
    )

    version: int = pydantic.Field(ge=1, description="the version you read; a stale one is a 409")
    promised_at: AwareDatetime | None = None
    delay_reason: str | None = pydantic.Field(default=None, min_length=3, max_length=500)
    progress_confirmed: bool | None = pydantic.Field(
        default=None, description="the workshop confirmed the promised time holds"
    )
    ready_notified: bool | None = pydantic.Field(
        default=None, description="the customer was told the car is ready"
    )


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
    customer_supplied: bool
    non_original: bool
    free: bool
    customer_choice: CustomerChoice | None
    finding_id: uuid.UUID | None


class RepairOrderPublic(BaseModel):
    id: uuid.UUID
    order_no: str
    station_id: str
    status: OrderStatus
    category: ReceptionCategory
    customer_id: uuid.UUID
    customer_name: str
    customer_phone: str | None
    customer_vip: bool
    vin: str
    plate: str | None
    mileage_km: int
    fuel_level: FuelLevel | None
    check_in_id: uuid.UUID | None
    appointment_id: uuid.UUID | None
    priority: bool
    complaint: str
    advisor_id: str
    estimate_method: EstimateMethod
    payment_method: PaymentMethod
    old_parts: OldPartsHandling
    car_wash: bool
    no_guarantee_note: str | None
    estimate_note: str | None
    estimated_total: Decimal
    total: Decimal
    estimated_hours: Decimal
    flagged_for_manager: bool
    inspection_required: bool
    signed_by: str
    signed_at: datetime
    promised_at: datetime | None
    progress_confirmed_at: datetime | None
    ready_notified_at: datetime | None
    delay_reason: str | None
    created_at: datetime
    completed_at: datetime | None
    delivered_at: datetime | None
    next_service_km: int | None
    next_service_date: date | None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    cancel_reason: str | None = None
    customer_waiting: bool | None = None
    manager_signed_off_by: str | None = None
    manager_signed_off_at: datetime | None = None
    manager_sign_off_note: str | None = None
    awaiting_manager_sign_off: bool = pydantic.Field(
        default=False,
        description="flagged (over ¥10,000 or VIP) and not yet signed off by the service "
        "manager: no exit pass and no delivery until then",
    )
    version: int
    lines: list[OrderLinePublic] = []
    sanbao_warnings: list[SanbaoWarningPublic] = pydantic.Field(
        default=[], description="三包 thresholds the VIN nears or reached (order view only)"
    )


class RepairOrdersPublic(BaseModel):
    data: list[RepairOrderPublic]
    count: int


class OrderCancel(InputModel):
    """The advisor cancels an order the workshop has not completed, with the reason."""

    model_config = pydantic.ConfigDict(
        json_schema_extra={"examples": [{"reason": "客户决定不修，车辆开走", "version": 1}]}
    )

    reason: str = pydantic.Field(min_length=3, max_length=500)
    version: int = pydantic.Field(ge=1, description="the version you read; a stale one is a 409")


class ManagerSignOff(InputModel):
    """The service manager took part in a flagged order (over ¥10,000 or a VIP customer)."""

    model_config = pydantic.ConfigDict(
        json_schema_extra={"examples": [{"note": "已与客户确认维修方案和价格", "version": 1}]}
    )

    note: str = pydantic.Field(
        min_length=1, max_length=500, description="what the manager checked or agreed"
    )
    version: int = pydantic.Field(ge=1, description="the version you read; a stale one is a 409")


class OrderHistoryEntry(BaseModel):
    at: datetime
    event: str = pydantic.Field(
        description="created / additional_work_found / additional_work_approved / "
        "additional_work_declined / progress_confirmed / ready_notified / completed / payment / "
        "exit_pass / delivered / cancelled"
    )
    by: str | None = None
    detail: str | None = None


class OrderHistoryPublic(BaseModel):
    order_id: uuid.UUID
    order_no: str
    status: OrderStatus
    data: list[OrderHistoryEntry]
    count: int


class StockLevelPublic(BaseModel):
    """Live availability of a part at a station (from the parts service's stock events)."""

    station_id: str
    part_no: str
    description: str | None
    available: Decimal
    on_order: Decimal
    expected_on: date | None
    list_price: Decimal | None
    lead_time_days: int | None
    as_of: datetime


class CampaignNoticePublic(BaseModel):
    campaign_id: uuid.UUID
    code: str = pydantic.Field(description="put a line with this code on the order to close it")
    title: str
    kind: str = pydantic.Field(description="recall / campaign")
    ends_on: date | None
    launched_at: datetime


class DueMaintenancePublic(BaseModel):
    reminder_id: uuid.UUID
    station_id: str
    kind: str
    reason: str
    due_on: date | None
    due_km: int | None
    received_at: datetime


class VehicleNoticesPublic(BaseModel):
    """What the advisor recommends at check-in: open recalls/campaigns and due maintenance,
    and the 三包 thresholds the vehicle nears or reached (warn the customer and warranty)."""

    vin: str
    open_campaigns: list[CampaignNoticePublic]
    due_maintenance: list[DueMaintenancePublic]
    sanbao_warnings: list[SanbaoWarningPublic] = []


# --- check-in ---------------------------------------------------------------------------


class DamageMarkIn(InputModel):
    position: str = pydantic.Field(min_length=1, max_length=40, examples=["front-left door"])
    kind: str = pydantic.Field(min_length=1, max_length=30, examples=["scratch"])
    note: str | None = pydantic.Field(default=None, max_length=500)


class CheckInCreate(InputModel):
    """The check-in sheet (接车单), filled in with the customer at the car."""

    model_config = pydantic.ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer": {"name": "张伟", "phone": "13800000001"},
                    "vehicle": {"vin": "LFV2A21K7G3000001", "plate": "京A12345"},
                    "mileage_km": 42000,
                    "fuel_level": "1/2",
                    "damage_marks": [{"position": "front bumper", "kind": "scratch"}],
                    "belongings": ["umbrella"],
                    "documents": ["行驶证", "保养手册"],
                    "key_tag": "K-017",
                    "signature": {"name": "张伟", "typed_confirmation": "确认"},
                }
            ]
        }
    )

    station_id: str | None = STATION_FIELD
    appointment_id: uuid.UUID | None = None
    customer: CustomerIn
    vehicle: VehicleIn
    arrived_at: AwareDatetime | None = pydantic.Field(default=None, description="now when omitted")
    mileage_km: int = pydantic.Field(ge=0, le=3_000_000)
    mileage_correction_note: str | None = pydantic.Field(default=None, max_length=500)
    fuel_level: FuelLevel
    damage_marks: list[DamageMarkIn] = []
    belongings: list[str] = pydantic.Field(default=[], max_length=50)
    documents: list[str] = pydantic.Field(default=[], max_length=20)
    key_tag: str = pydantic.Field(min_length=1, max_length=20)
    signature: SignatureIn
    covers_fitted: bool = pydantic.Field(
        default=False,
        description="protective covers (三件套/四件套) fitted in front of the customer",
    )
    valuables_reminded: bool = pydantic.Field(
        default=False, description="the customer was reminded to take valuables"
    )


class DamageMarkPublic(BaseModel):
    id: uuid.UUID
    position: str
    kind: str
    note: str | None
    photos: list[str]


class CheckInPublic(BaseModel):
    id: uuid.UUID
    station_id: str
    appointment_id: uuid.UUID | None
    priority: bool
    customer_name: str
    customer_phone: str | None
    vin: str
    plate: str | None
    mileage_km: int
    mileage_correction_note: str | None
    fuel_level: FuelLevel
    arrived_at: datetime
    started_at: datetime
    belongings: list[str]
    documents: list[str]
    key_tag: str
    signature_name: str
    signature_typed: str | None
    signed_at: datetime
    advisor_id: str
    covers_fitted: bool = False
    valuables_reminded: bool = False
    damage_marks: list[DamageMarkPublic] = []
    last_known_mileage_km: int | None = None
    history: list[str] = pydantic.Field(default=[], description="earlier visits of the VIN")
    recommendations: list[str] = pydantic.Field(
        default=[], description="due maintenance from the last delivery's next service"
    )
    open_campaigns: list[CampaignNoticePublic] = pydantic.Field(
        default=[], description="open recalls / service campaigns for the VIN"
    )
    due_maintenance: list[DueMaintenancePublic] = pydantic.Field(
        default=[], description="due maintenance CRM reported for the VIN (reminder.due)"
    )
    sanbao_warnings: list[SanbaoWarningPublic] = pydantic.Field(
        default=[], description="三包 thresholds the VIN nears or reached (from warranty)"
    )


class StationWaitPublic(BaseModel):
    station_id: str
    check_ins: int
    average_wait_minutes: Decimal
    longest_wait_minutes: Decimal
    over_one_minute: int = pydantic.Field(description="customers not greeted within a minute")


class WaitTimesPublic(BaseModel):
    day: date
    data: list[StationWaitPublic]
    count: int


# --- appointments -----------------------------------------------------------------------


class PartToOrder(InputModel):
    part_no: str = pydantic.Field(min_length=1, max_length=40)
    description: str = pydantic.Field(min_length=1, max_length=200)
    quantity: Decimal = pydantic.Field(default=Decimal("1"), gt=0, max_digits=10, decimal_places=3)
    unit_price: Decimal = pydantic.Field(ge=0, max_digits=12, decimal_places=2)


class AppointmentCreate(InputModel):
    model_config = pydantic.ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer": {"name": "张伟", "phone": "13800000001"},
                    "vehicle": {"vin": "LFV2A21K7G3000001", "plate": "京A12345"},
                    "starts_at": "2026-12-01T01:00:00Z",
                    "requested_work": "小保养",
                    "estimated_hours": "1.5",
                    "channel": "phone",
                }
            ]
        }
    )

    station_id: str | None = STATION_FIELD
    customer: CustomerIn
    vehicle: VehicleIn
    starts_at: AwareDatetime
    requested_work: str = pydantic.Field(min_length=1, max_length=2000)
    estimated_hours: Decimal = pydantic.Field(gt=0, le=80, max_digits=6, decimal_places=2)
    channel: str = pydantic.Field(default="phone", pattern="^(phone|web|desk)$")
    parts_to_order: list[PartToOrder] = []
    deposit_paid: Decimal = pydantic.Field(
        default=Decimal("0"), ge=0, max_digits=12, decimal_places=2
    )


class AppointmentMove(InputModel):
    model_config = pydantic.ConfigDict(
        json_schema_extra={"examples": [{"version": 1, "starts_at": "2026-12-02T02:00:00Z"}]}
    )

    version: int = pydantic.Field(ge=1)
    starts_at: AwareDatetime
    reason: str | None = pydantic.Field(default=None, max_length=500)


class AppointmentCancel(InputModel):
    model_config = pydantic.ConfigDict(json_schema_extra={"examples": [{"reason": "客户改期"}]})

    reason: str = pydantic.Field(min_length=1, max_length=500)


class AppointmentPublic(BaseModel):
    id: uuid.UUID
    station_id: str
    status: AppointmentStatus
    customer_id: uuid.UUID
    customer_name: str
    customer_phone: str | None
    vin: str
    plate: str | None
    starts_at: datetime
    estimated_hours: Decimal
    requested_work: str
    channel: str
    parts_to_order: list[dict[str, Any]]
    deposit_required: Decimal
    deposit_paid: Decimal
    reminder_sent_at: datetime | None
    arrived_at: datetime | None
    cancel_reason: str | None
    version: int
    priority: bool = True


class AppointmentsPublic(BaseModel):
    data: list[AppointmentPublic]
    count: int


class CapacitySet(InputModel):
    model_config = pydantic.ConfigDict(json_schema_extra={"examples": [{"hours": "6", "bays": 3}]})

    hours: Decimal = pydantic.Field(
        ge=0,
        le=200,
        max_digits=6,
        decimal_places=2,
        description="technician hours sellable in the slot",
    )
    bays: int = pydantic.Field(default=0, ge=0, le=100)


class CapacityPublic(BaseModel):
    station_id: str
    slot_start: datetime
    hours: Decimal
    bays: int
    booked_hours: Decimal


# --- additional work --------------------------------------------------------------------


class FindingLineIn(InputModel):
    kind: LineKind
    code: str = pydantic.Field(min_length=1, max_length=40)
    description: str | None = pydantic.Field(default=None, max_length=200)
    quantity: Decimal = pydantic.Field(default=Decimal("1"), gt=0, max_digits=10, decimal_places=3)
    hours: Decimal | None = pydantic.Field(default=None, gt=0, max_digits=6, decimal_places=2)
    unit_price: Decimal | None = pydantic.Field(default=None, ge=0, max_digits=12, decimal_places=2)
    pay_type: PayType | None = None
    major_system: str | None = pydantic.Field(default=None, max_length=30)


class FindingPricing(InputModel):
    model_config = pydantic.ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "lines": [
                        {"kind": "labour", "code": "BRK-020"},
                        {
                            "kind": "part",
                            "code": "5Q0615301",
                            "description": "前刹车盘",
                            "unit_price": "900",
                        },
                    ]
                }
            ]
        }
    )

    lines: list[FindingLineIn] = pydantic.Field(min_length=1)


class FindingDecision(InputModel):
    """The customer's answer, recorded by the advisor who called (or via the link)."""

    model_config = pydantic.ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "approved": False,
                    "told_at": "2026-12-01T02:00:00Z",
                    "workshop_told": "foreman.bj01",
                }
            ]
        }
    )

    approved: bool
    told_at: AwareDatetime | None = pydantic.Field(
        default=None, description="when the customer was told; now when omitted"
    )
    workshop_told: str | None = pydantic.Field(
        default=None, max_length=120, description="who in the workshop was told"
    )
    order_version: int | None = pydantic.Field(
        default=None, ge=1, description="the order version you read"
    )


class LinkDecision(InputModel):
    model_config = pydantic.ConfigDict(json_schema_extra={"examples": [{"approved": True}]})

    approved: bool


class FindingPublic(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID
    station_id: str
    job_id: uuid.UUID
    description: str
    safety_relevant: bool
    suggested_lines: list[dict[str, Any]]
    estimated_delay_minutes: int
    reported_by: str
    found_at: datetime
    status: FindingStatus
    priced_lines: list[dict[str, Any]]
    price: Decimal | None
    decided_at: datetime | None
    decided_via: str | None
    customer_told_by: str | None
    customer_told_at: datetime | None
    workshop_told: str | None
    link_expires_at: datetime | None


class FindingsPublic(BaseModel):
    data: list[FindingPublic]
    count: int


class ApprovalLinkPublic(BaseModel):
    token: str
    url: str
    expires_at: datetime


class CustomerFindingView(BaseModel):
    """What the customer sees behind the link: no internal data."""

    order_no: str
    vehicle: str
    description: str
    safety_relevant: bool
    lines: list[dict[str, Any]]
    price: Decimal
    delay_minutes: int
    status: FindingStatus
    expires_at: datetime


# --- settlement and delivery ------------------------------------------------------------


class DiscountRequest(InputModel):
    model_config = pydantic.ConfigDict(
        json_schema_extra={"examples": [{"amount": "40.00", "reason": "会员折扣", "version": 1}]}
    )

    amount: Decimal = pydantic.Field(ge=0, max_digits=12, decimal_places=2)
    reason: str = pydantic.Field(min_length=1, max_length=500)
    version: int = pydantic.Field(ge=1)


class DiscountDecision(InputModel):
    model_config = pydantic.ConfigDict(
        json_schema_extra={"examples": [{"approved": True, "version": 2}]}
    )

    approved: bool
    version: int = pydantic.Field(ge=1)


class PaymentCreate(InputModel):
    model_config = pydantic.ConfigDict(
        json_schema_extra={"examples": [{"method": "wechat", "amount": "840.00"}]}
    )

    method: PaymentMethod
    amount: Decimal = pydantic.Field(gt=0, max_digits=12, decimal_places=2)
    reference: str | None = pydantic.Field(default=None, max_length=80)


class PaymentPublic(BaseModel):
    id: uuid.UUID
    method: PaymentMethod
    amount: Decimal
    reference: str | None
    received_by: str
    received_at: datetime


class SettlementPublic(BaseModel):
    order_id: uuid.UUID
    order_no: str
    station_id: str
    lines: list[dict[str, Any]]
    gross: Decimal
    estimated: Decimal
    difference: Decimal
    differences: list[str]
    customer_gross: Decimal
    discount: Decimal
    discount_reason: str | None
    discount_status: DiscountStatus
    discount_requested: Decimal
    tax_included: Decimal
    customer_due: Decimal
    paid: Decimal
    on_account: Decimal
    balance: Decimal
    payments: list[PaymentPublic]
    exit_pass_no: str | None
    exit_pass_at: datetime | None
    version: int


class DeliveryCreate(InputModel):
    model_config = pydantic.ConfigDict(
        json_schema_extra={"examples": [{"customer_accepted": True, "next_service_km": 52000}]}
    )

    next_service_km: int | None = pydantic.Field(default=None, ge=0)
    next_service_date: date | None = None
    customer_accepted: bool = pydantic.Field(
        description="the customer checked belongings and bodywork and signed for the car"
    )


# --- advisor lists ----------------------------------------------------------------------


class BoardEntry(BaseModel):
    kind: str
    id: uuid.UUID
    station_id: str
    label: str
    customer_name: str
    vin: str
    plate: str | None
    at: datetime | None = pydantic.Field(
        description="the time that makes it due / the promised time"
    )
    status: str
    priority: bool = False
    late_risk: bool = False


class BoardPublic(BaseModel):
    data: list[BoardEntry]
    count: int
