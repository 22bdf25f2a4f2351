"""Reception's tables and API schemas (one family per entity: Base, Create, table, Public)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pydantic
from pydantic import AwareDatetime, BaseModel, field_validator
from sqlalchemy import JSON, Column, UniqueConstraint
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


class FeeKind(StrEnum):
    """A fee charged when the customer leaves without a repair order (process §3)."""

    DIAGNOSIS = "diagnosis"  # 诊断费 / 检测费
    ESTIMATE = "estimate"  # 估价费


class FiscalKind(StrEnum):
    INVOICE = "invoice"  # 发票
    RECEIPT = "receipt"  # 收据


class BuyerType(StrEnum):
    PERSON = "person"
    COMPANY = "company"


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
    document_id: uuid.UUID | None = Field(default=None, index=True)


class Diagnosis(ReceptionTable, table=True):  # type: ignore[call-arg]
    """The diagnosis report (诊断书 / 检测诊断单) of a visit: findings, fault codes, the
    technician, the work recommended; a diagnosis or estimate fee if the customer leaves."""

    __tablename__ = "diagnosis"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    diagnosis_no: str = Field(max_length=40, unique=True)
    station_id: str = Field(max_length=20, index=True)
    check_in_id: uuid.UUID | None = Field(default=None, index=True)
    order_id: uuid.UUID | None = Field(default=None, index=True)
    customer_name: str = Field(max_length=120)
    customer_phone: str | None = Field(default=None, max_length=40)
    vin: str = Field(max_length=17, index=True)
    plate: str | None = Field(default=None, max_length=20)
    mileage_km: int | None = None
    complaint: str = Field(max_length=2000)
    findings: str = Field(max_length=4000)
    fault_codes: list[dict[str, Any]] = json_column()
    technician_id: str = Field(max_length=60)
    technician_name: str | None = Field(default=None, max_length=120)
    road_test: bool = False
    recommended_work: list[dict[str, Any]] = json_column()
    estimated_total: Decimal = Field(sa_column=money_column())
    advisor_id: str = Field(max_length=60)
    diagnosed_at: datetime = Field(sa_column=utc_column())
    fee: Decimal = Field(sa_column=money_column())
    fee_kind: FeeKind | None = Field(default=None, sa_column=enum_column(FeeKind, nullable=True))
    fee_reason: str | None = Field(default=None, max_length=500)
    fee_charged_by: str | None = Field(default=None, max_length=60)
    fee_charged_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    fee_paid: Decimal = Field(sa_column=money_column())
    fee_on_account: Decimal = Field(sa_column=money_column())
    version: int = 1


class DiagnosisPayment(ReceptionTable, table=True):  # type: ignore[call-arg]
    """A payment of a diagnosis / estimate fee, taken by the cashier."""

    __tablename__ = "diagnosis_payment"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    diagnosis_id: uuid.UUID = Field(foreign_key="diagnosis.id", index=True)
    station_id: str = Field(max_length=20, index=True)
    method: PaymentMethod = Field(sa_column=enum_column(PaymentMethod))
    amount: Decimal = Field(sa_column=money_column())
    reference: str | None = Field(default=None, max_length=80)
    received_by: str = Field(max_length=60)
    received_at: datetime = Field(sa_column=utc_column())
    document_id: uuid.UUID | None = Field(default=None, index=True)


class FiscalDocument(ReceptionTable, table=True):  # type: ignore[call-arg]
    """An invoice (发票) or receipt (收据) the cashier issued for payments taken: numbered per
    station, kind and year without gaps (``document_counter``)."""

    __tablename__ = "fiscal_document"
    __table_args__ = (
        UniqueConstraint("station_id", "kind", "year", "serial", name="uq_fiscal_document_serial"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    document_no: str = Field(max_length=40, unique=True)
    station_id: str = Field(max_length=20, index=True)
    kind: FiscalKind = Field(sa_column=enum_column(FiscalKind))
    year: int
    serial: int
    order_id: uuid.UUID | None = Field(default=None, index=True)
    diagnosis_id: uuid.UUID | None = Field(default=None, index=True)
    reference_no: str = Field(max_length=40, description="the order or diagnosis number")
    buyer_type: BuyerType = Field(sa_column=enum_column(BuyerType))
    buyer_name: str = Field(max_length=200)
    buyer_tax_id: str | None = Field(default=None, max_length=20)
    on_account: bool = False
    lines: list[dict[str, Any]] = json_column()
    payments: list[dict[str, Any]] = json_column()
    amount: Decimal = Field(sa_column=money_column())
    net: Decimal = Field(sa_column=money_column())
    tax: Decimal = Field(sa_column=money_column())
    tax_rate: Decimal = Field(sa_column=money_column())
    issued_by: str = Field(max_length=60)
    issued_at: datetime = Field(sa_column=utc_column())


class DocumentCounter(ReceptionTable, table=True):  # type: ignore[call-arg]
    """The last number used per station, document kind and year (locked while a number is
    taken, so numbers run without gaps: a rolled-back issue gives its number back)."""

    __tablename__ = "document_counter"

    station_id: str = Field(max_length=20, primary_key=True)
    kind: str = Field(max_length=20, primary_key=True)
    year: int = Field(primary_key=True)
    last: int = 0


class DeliveryRecord(ReceptionTable, table=True):  # type: ignore[call-arg]
    """The hand-over at pickup (交车, process §7): what the customer checked and signed, and
    what the advisor did and said."""

    __tablename__ = "delivery_record"

    order_id: uuid.UUID = Field(foreign_key="repair_order.id", primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    belongings_checked: bool = True
    bodywork_checked: bool = True
    signature_name: str = Field(max_length=120)
    signature_image: str | None = None
    signature_typed: str | None = Field(default=None, max_length=200)
    signature_captured: bool = False
    covers_removed: bool | None = None
    work_explained: bool | None = None
    documents_returned: bool | None = None
    keys_returned: bool | None = None
    next_service_told: bool | None = None
    next_booking_suggested: bool | None = None
    next_appointment_id: uuid.UUID | None = None
    follow_up_call_announced: bool | None = None
    note: str | None = Field(default=None, max_length=500)
    delivered_by: str = Field(max_length=60)
    accepted_at: datetime = Field(sa_column=utc_column())


class ArchiveEntry(ReceptionTable, table=True):  # type: ignore[call-arg]
    """A signed document filed in the station's archive, by month (process: "Signed documents
    are archived by month and their custody recorded")."""

    __tablename__ = "archive_entry"
    __table_args__ = (
        UniqueConstraint("station_id", "document_kind", "document_no", name="uq_archive_document"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    document_kind: str = Field(max_length=30)
    document_no: str = Field(max_length=60)
    order_id: uuid.UUID | None = Field(default=None, index=True)
    check_in_id: uuid.UUID | None = None
    fiscal_document_id: uuid.UUID | None = None
    signed_by: str | None = Field(default=None, max_length=120)
    signed_at: datetime = Field(sa_column=utc_column())
    archive_month: str = Field(max_length=7, index=True)
    location: str | None = Field(default=None, max_length=60)
    custodian: str = Field(max_length=60)
    created_at: datetime = Field(sa_column=utc_column())
    version: int = 1


class ArchiveCustody(ReceptionTable, table=True):  # type: ignore[call-arg]
    """One hand-over of an archived document: from whom to whom, where it is kept, when."""

    __tablename__ = "archive_custody"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    entry_id: uuid.UUID = Field(foreign_key="archive_entry.id", index=True)
    from_custodian: str | None = Field(default=None, max_length=60)
    to_custodian: str = Field(max_length=60)
    location: str | None = Field(default=None, max_length=60)
    handed_at: datetime = Field(sa_column=utc_column())
    recorded_by: str = Field(max_length=60)
    note: str | None = Field(default=None, max_length=500)


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


class DeliveryRecordPublic(BaseModel):
    order_id: uuid.UUID
    station_id: str
    belongings_checked: bool
    bodywork_checked: bool
    signature_name: str
    signature_typed: str | None
    signature_captured: bool = pydantic.Field(
        description="false: accepted on the advisor's tick, no signature captured"
    )
    covers_removed: bool | None
    work_explained: bool | None
    documents_returned: bool | None
    keys_returned: bool | None
    next_service_told: bool | None
    next_booking_suggested: bool | None
    next_appointment_id: uuid.UUID | None
    follow_up_call_announced: bool | None
    note: str | None
    delivered_by: str
    accepted_at: datetime


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
    delivery: DeliveryRecordPublic | None = pydantic.Field(
        default=None, description="the hand-over checklist, once delivered (order view only)"
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
        "additional_work_declined / progress_confirmed / ready_notified / manager_signed_off / "
        "completed / payment / exit_pass / invoice / receipt / delivered / cancelled"
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


# --- invoices and receipts --------------------------------------------------------------


class BuyerIn(InputModel):
    """Who the invoice is made out to: a person, or a company with its tax id (纳税人识别号 /
    统一社会信用代码, 15–20 letters and digits)."""

    type: BuyerType = BuyerType.PERSON
    name: str = pydantic.Field(min_length=1, max_length=200)
    tax_id: str | None = pydantic.Field(
        default=None, pattern=r"^[0-9A-Z]{15,20}$", description="required for a company"
    )


class FiscalDocumentRequest(InputModel):
    """The invoice (发票) or receipt (收据) for the payments taken and not yet documented."""

    model_config = pydantic.ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "invoice",
                    "buyer": {
                        "type": "company",
                        "name": "北京某某物流有限公司",
                        "tax_id": "91110105MA01ABCD2X",
                    },
                },
                {"kind": "receipt"},
            ]
        }
    )

    kind: FiscalKind
    buyer: BuyerIn | None = pydantic.Field(
        default=None, description="the customer (a person) when omitted"
    )
    on_account: bool = pydantic.Field(
        default=False,
        description="document the amounts booked on account (fleet / insurance, 挂账) instead "
        "of those paid: a company invoice to the account holder",
    )


class FiscalDocumentPublic(BaseModel):
    id: uuid.UUID
    document_no: str
    station_id: str
    kind: FiscalKind
    year: int
    serial: int
    order_id: uuid.UUID | None
    diagnosis_id: uuid.UUID | None
    reference_no: str
    buyer_type: BuyerType
    buyer_name: str
    buyer_tax_id: str | None
    on_account: bool
    lines: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    amount: Decimal
    net: Decimal
    tax: Decimal
    tax_rate: Decimal
    issued_by: str
    issued_at: datetime


class FiscalDocumentsPublic(BaseModel):
    data: list[FiscalDocumentPublic]
    count: int


class OrderDocumentPublic(BaseModel):
    kind: str
    title: str
    number: str | None
    url: str
    available: bool
    reason: str | None = pydantic.Field(default=None, description="why it is not printable yet")


class OrderDocumentsPublic(BaseModel):
    order_id: uuid.UUID
    order_no: str
    data: list[OrderDocumentPublic]
    count: int


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
        json_schema_extra={
            "examples": [
                {"method": "wechat", "amount": "840.00"},
                {"method": "cash", "amount": "840.00", "document": {"kind": "receipt"}},
            ]
        }
    )

    method: PaymentMethod
    amount: Decimal = pydantic.Field(gt=0, max_digits=12, decimal_places=2)
    reference: str | None = pydantic.Field(default=None, max_length=80)
    document: FiscalDocumentRequest | None = pydantic.Field(
        default=None,
        description="issue the invoice or receipt (发票 / 收据) for the payments taken and not "
        "yet documented, this one included, at once",
    )


class PaymentPublic(BaseModel):
    id: uuid.UUID
    method: PaymentMethod
    amount: Decimal
    reference: str | None
    received_by: str
    received_at: datetime
    document_id: uuid.UUID | None = pydantic.Field(
        default=None, description="the invoice or receipt that documents it"
    )


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
    awaiting_manager_sign_off: bool = pydantic.Field(
        default=False,
        description="a flagged order the service manager has not signed off: no exit pass yet",
    )
    documents: list[FiscalDocumentPublic] = pydantic.Field(
        default=[], description="invoices and receipts issued for the order"
    )
    undocumented_paid: Decimal = pydantic.Field(
        default=Decimal("0"), description="paid but not yet on an invoice or receipt"
    )
    undocumented_on_account: Decimal = pydantic.Field(
        default=Decimal("0"), description="booked on account but not yet invoiced"
    )


class DeliveryCreate(InputModel):
    """The hand-over at pickup (交车, process §7): the customer checks belongings and bodywork
    against the check-in sheet and signs to accept the car; the advisor removes the covers,
    explains the work, hands back documents and keys, tells the next service date and mileage,
    suggests (or books) the next visit and announces the follow-up call."""

    model_config = pydantic.ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_accepted": True,
                    "signature": {"name": "张伟", "typed_confirmation": "车辆、物品已检查无误"},
                    "belongings_checked": True,
                    "bodywork_checked": True,
                    "covers_removed": True,
                    "work_explained": True,
                    "documents_returned": True,
                    "keys_returned": True,
                    "next_service_told": True,
                    "next_booking_suggested": True,
                    "follow_up_call_announced": True,
                    "next_service_km": 52000,
                },
                {
                    "customer_accepted": True,
                    "signature": {"name": "张伟", "typed_confirmation": "车辆、物品已检查无误"},
                    "next_service_km": 52000,
                },
            ]
        }
    )

    next_service_km: int | None = pydantic.Field(default=None, ge=0)
    next_service_date: date | None = None
    customer_accepted: bool = pydantic.Field(
        description="the customer checked belongings and bodywork and signed for the car"
    )
    signature: SignatureIn | None = pydantic.Field(
        default=None,
        description="the customer's acceptance signature (name + image or typed confirmation); "
        "required when RECEPTION_DELIVERY_SIGNATURE_REQUIRED is set, else without it the "
        "advisor's customer_accepted is recorded as an acceptance without a captured signature",
    )
    belongings_checked: bool | None = pydantic.Field(
        default=None,
        description="belongings checked against the check-in sheet (customer_accepted when "
        "omitted)",
    )
    bodywork_checked: bool | None = pydantic.Field(
        default=None,
        description="bodywork checked against the check-in damage marks (customer_accepted "
        "when omitted)",
    )
    covers_removed: bool | None = pydantic.Field(default=None, description="protective covers off")
    work_explained: bool | None = pydantic.Field(default=None, description="the work explained")
    documents_returned: bool | None = pydantic.Field(
        default=None, description="vehicle documents handed back (行驶证, 保养手册)"
    )
    keys_returned: bool | None = pydantic.Field(default=None, description="keys handed back")
    next_service_told: bool | None = pydantic.Field(
        default=None, description="next service date and mileage told"
    )
    next_booking_suggested: bool | None = pydantic.Field(
        default=None, description="booking the next service suggested"
    )
    next_appointment_id: uuid.UUID | None = pydantic.Field(
        default=None, description="the next service, booked now (an appointment for the VIN)"
    )
    follow_up_call_announced: bool | None = pydantic.Field(
        default=None, description="told that a follow-up call comes within 72 hours"
    )
    note: str | None = pydantic.Field(default=None, max_length=500)


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


# --- diagnosis report -------------------------------------------------------------------


class FaultCodeIn(InputModel):
    code: str = pydantic.Field(pattern=r"^[A-Za-z0-9-]{2,20}$", examples=["P0730"])
    description: str | None = pydantic.Field(default=None, max_length=200)


class RecommendedWorkIn(InputModel):
    description: str = pydantic.Field(min_length=1, max_length=200)
    code: str | None = pydantic.Field(default=None, max_length=40)
    estimated_price: Decimal | None = pydantic.Field(
        default=None, ge=0, max_digits=12, decimal_places=2
    )
    safety_relevant: bool = False


class DiagnosisCreate(InputModel):
    """The diagnosis report (诊断书 / 检测诊断单): the advisor records what the technician found."""

    model_config = pydantic.ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "check_in_id": "5b7f4bde-3c4e-4f8e-9a51-1d2a3b4c5d6e",
                    "findings": "变速箱油温偏高，换挡冲击，阀体磨损",
                    "fault_codes": [{"code": "P0730", "description": "传动比错误"}],
                    "technician_id": "tech.bj01",
                    "technician_name": "赵师傅",
                    "road_test": True,
                    "recommended_work": [
                        {
                            "description": "更换变速箱阀体",
                            "code": "GBX-110",
                            "estimated_price": "4800",
                        }
                    ],
                }
            ]
        }
    )

    station_id: str | None = STATION_FIELD
    check_in_id: uuid.UUID | None = pydantic.Field(
        default=None, description="the visit's check-in sheet (customer and vehicle from it)"
    )
    order_id: uuid.UUID | None = pydantic.Field(
        default=None, description="or the repair order, when the diagnosis is part of one"
    )
    customer: CustomerIn | None = pydantic.Field(
        default=None, description="needed without check-in sheet or order"
    )
    vehicle: VehicleIn | None = pydantic.Field(
        default=None, description="needed without check-in sheet or order"
    )
    mileage_km: int | None = pydantic.Field(default=None, ge=0, le=3_000_000)
    complaint: str | None = pydantic.Field(
        default=None, min_length=1, max_length=2000, description="from the order when omitted"
    )
    findings: str = pydantic.Field(min_length=1, max_length=4000)
    fault_codes: list[FaultCodeIn] = pydantic.Field(default=[], max_length=50)
    technician_id: str = pydantic.Field(min_length=1, max_length=60)
    technician_name: str | None = pydantic.Field(default=None, max_length=120)
    road_test: bool = False
    recommended_work: list[RecommendedWorkIn] = pydantic.Field(default=[], max_length=50)


class DiagnosisFeeCharge(InputModel):
    """The customer leaves without a repair order: a diagnosis or estimate fee is charged."""

    model_config = pydantic.ConfigDict(
        json_schema_extra={
            "examples": [{"kind": "diagnosis", "amount": "200.00", "reason": "客户不修，离店"}]
        }
    )

    kind: FeeKind
    amount: Decimal = pydantic.Field(gt=0, max_digits=12, decimal_places=2)
    reason: str | None = pydantic.Field(default=None, max_length=500)
    version: int | None = pydantic.Field(default=None, ge=1, description="the version you read")


class DiagnosisPaymentCreate(PaymentCreate):
    """A payment of the fee; with ``document`` the invoice or receipt is issued at once."""

    model_config = pydantic.ConfigDict(
        json_schema_extra={
            "examples": [{"method": "wechat", "amount": "200.00", "document": {"kind": "receipt"}}]
        }
    )


class DiagnosisPublic(BaseModel):
    id: uuid.UUID
    diagnosis_no: str
    station_id: str
    check_in_id: uuid.UUID | None
    order_id: uuid.UUID | None
    customer_name: str
    customer_phone: str | None
    vin: str
    plate: str | None
    mileage_km: int | None
    complaint: str
    findings: str
    fault_codes: list[dict[str, Any]]
    technician_id: str
    technician_name: str | None
    road_test: bool
    recommended_work: list[dict[str, Any]]
    estimated_total: Decimal
    advisor_id: str
    diagnosed_at: datetime
    fee: Decimal
    fee_kind: FeeKind | None
    fee_reason: str | None
    fee_charged_by: str | None
    fee_charged_at: datetime | None
    fee_paid: Decimal
    fee_on_account: Decimal
    fee_balance: Decimal
    payments: list[PaymentPublic] = []
    documents: list[FiscalDocumentPublic] = []
    version: int


class DiagnosesPublic(BaseModel):
    data: list[DiagnosisPublic]
    count: int


# --- archive of signed documents --------------------------------------------------------


class CustodyHandOver(InputModel):
    """A signed document changes hands (or place): recorded with the time."""

    model_config = pydantic.ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "custodian": "档案室 王芳",
                    "location": "2026-12 / 盒 B03 / 架 2",
                    "handed_at": "2026-12-01T09:00:00Z",
                    "note": "月末归档",
                    "version": 1,
                }
            ]
        }
    )

    custodian: str = pydantic.Field(min_length=1, max_length=60, description="who keeps it now")
    location: str | None = pydantic.Field(
        default=None, min_length=1, max_length=60, description="box / shelf; unchanged if omitted"
    )
    handed_at: AwareDatetime | None = pydantic.Field(
        default=None, description="when it changed hands; now when omitted"
    )
    note: str | None = pydantic.Field(default=None, max_length=500)
    version: int | None = pydantic.Field(default=None, ge=1, description="the version you read")


class CustodyPublic(BaseModel):
    from_custodian: str | None
    to_custodian: str
    location: str | None
    handed_at: datetime
    recorded_by: str
    note: str | None


class ArchiveEntryPublic(BaseModel):
    id: uuid.UUID
    station_id: str
    document_kind: str
    title: str
    document_no: str
    order_id: uuid.UUID | None
    check_in_id: uuid.UUID | None
    fiscal_document_id: uuid.UUID | None
    signed_by: str | None
    signed_at: datetime
    archive_month: str
    location: str | None
    custodian: str
    version: int
    custody: list[CustodyPublic] = pydantic.Field(
        default=[], description="hand-overs, oldest first (the first: signed, first custodian)"
    )


class ArchivePublic(BaseModel):
    month: str
    data: list[ArchiveEntryPublic]
    count: int
