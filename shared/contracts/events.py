"""The event catalogue: one payload contract per topic, the single source of truth.

Rules for changing this file (pinned by ``tests/contract``):
- adding an optional field (with a default) is compatible;
- removing or renaming a field, making one required, or changing its type is not: declare a
  new class with ``event_version = 2`` beside the old one and keep both while consumers move.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.contracts import topics
from shared.contracts.envelope import Payload


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class PayType(StrEnum):
    """Who pays for an order line (付费方式)."""

    CUSTOMER = "customer"
    WARRANTY = "warranty"
    INTERNAL = "internal"
    INSURANCE = "insurance"


class OrderCategory(StrEnum):
    MAINTENANCE = "maintenance"
    REPAIR = "repair"
    WARRANTY = "warranty"
    ACCIDENT = "accident"
    INTERNAL = "internal"
    PRE_DELIVERY = "pre_delivery"
    ROADSIDE = "roadside"


class LineKind(StrEnum):
    LABOUR = "labour"
    PART = "part"


class OldPartsHandling(StrEnum):
    """What happens to replaced parts (旧件处理)."""

    TAKE_AWAY = "take_away"
    DISPOSE = "dispose"
    WARRANTY_RETURN = "warranty_return"


class CustomerRef(_Part):
    customer_id: uuid.UUID
    name: str
    phone: str | None = None
    is_vip: bool = False
    email: str | None = None
    kind: str = Field(default="person", description="person / company")


class VehicleRef(_Part):
    vin: str
    plate: str | None = None
    make: str | None = None
    model: str | None = None
    mileage_km: int | None = None
    warranty_start: date | None = None


class OrderLine(_Part):
    """One agreed job line on the repair order: a labour operation or a part."""

    line_id: uuid.UUID
    kind: LineKind
    code: str = Field(description="labour operation code or part number")
    description: str
    quantity: Decimal = Decimal("1")
    hours: Decimal | None = Field(default=None, description="flat-rate hours (labour lines)")
    unit_price: Decimal
    pay_type: PayType = PayType.CUSTOMER
    skill: str | None = Field(default=None, description="skill a labour line needs")
    labour_line_id: uuid.UUID | None = Field(
        default=None, description="the labour line a part line belongs to"
    )
    major_system: str | None = Field(
        default=None, description="engine / gearbox / brakes / steering: needs final inspection"
    )
    customer_supplied: bool = Field(
        default=False, description="part brought by the customer: no quality guarantee"
    )
    non_original: bool = Field(
        default=False, description="non-original part at the customer's insistence"
    )
    causal: bool = Field(default=False, description="the part that failed (warranty claims)")


# --- reception --------------------------------------------------------------------------


class AppointmentBooked(Payload):
    event_type: ClassVar[str] = topics.APPOINTMENT_BOOKED
    key_field: ClassVar[str] = "appointment_id"
    appointment_id: uuid.UUID
    customer: CustomerRef
    vehicle: VehicleRef
    starts_at: AwareDatetime
    requested_work: str
    estimated_hours: Decimal = Decimal("0")


class AppointmentMoved(Payload):
    """An appointment moved to another time (预约变更)."""

    event_type: ClassVar[str] = topics.APPOINTMENT_MOVED
    key_field: ClassVar[str] = "appointment_id"
    appointment_id: uuid.UUID
    starts_at: AwareDatetime
    previous_starts_at: AwareDatetime
    estimated_hours: Decimal = Decimal("0")
    reason: str | None = None


class AppointmentReminderDue(Payload):
    """Remind the customer of the appointment half a day to a day ahead (CRM sends it)."""

    event_type: ClassVar[str] = topics.APPOINTMENT_REMINDER_DUE
    key_field: ClassVar[str] = "appointment_id"
    appointment_id: uuid.UUID
    customer: CustomerRef
    vehicle: VehicleRef
    starts_at: AwareDatetime


class AppointmentCancelled(Payload):
    event_type: ClassVar[str] = topics.APPOINTMENT_CANCELLED
    key_field: ClassVar[str] = "appointment_id"
    appointment_id: uuid.UUID
    reason: str
    no_show: bool = False


class OrderCreated(Payload):
    """The customer signed the repair order (任务委托书)."""

    event_type: ClassVar[str] = topics.ORDER_CREATED
    order_id: uuid.UUID
    order_no: str
    category: OrderCategory
    customer: CustomerRef
    vehicle: VehicleRef
    complaint: str
    lines: list[OrderLine]
    promised_at: AwareDatetime | None = None
    advisor_id: str
    inspection_required: bool = False
    car_wash: bool = False
    old_parts: OldPartsHandling = OldPartsHandling.DISPOSE
    flagged_for_manager: bool = False
    appointment_id: uuid.UUID | None = None
    payment_method: str | None = None
    estimate_method: str | None = Field(default=None, description="system / symptom / item")
    no_guarantee_note: str | None = None
    fuel_level: str | None = None
    check_in_id: uuid.UUID | None = None


class OrderCancelled(Payload):
    event_type: ClassVar[str] = topics.ORDER_CANCELLED
    order_id: uuid.UUID
    reason: str


class CoverageVerdict(StrEnum):
    COVERED = "covered"
    NOT_COVERED = "not_covered"
    NEEDS_APPROVAL = "needs_approval"


class LineCoverage(_Part):
    line_id: uuid.UUID
    verdict: CoverageVerdict
    reason: str | None = None


class CoverageChecked(Payload):
    """Warranty's answer for the warranty lines of an order."""

    event_type: ClassVar[str] = topics.COVERAGE_CHECKED
    order_id: uuid.UUID
    lines: list[LineCoverage]


# --- parts ------------------------------------------------------------------------------


class ItemRequested(Payload):
    """The workshop needs a part for a job of an order (领料申请)."""

    event_type: ClassVar[str] = topics.ITEM_REQUESTED
    request_id: uuid.UUID
    order_id: uuid.UUID
    job_id: uuid.UUID
    part_no: str
    quantity: Decimal = Field(gt=0)
    finding_id: uuid.UUID | None = Field(
        default=None, description="the additional finding this part is for (released if declined)"
    )


class ItemReserved(Payload):
    event_type: ClassVar[str] = topics.ITEM_RESERVED
    reservation_id: uuid.UUID
    request_id: uuid.UUID
    order_id: uuid.UUID
    job_id: uuid.UUID
    part_no: str
    quantity: Decimal


class OtherStationStock(_Part):
    station_id: str
    available: Decimal


class ItemBackordered(Payload):
    """Not enough stock: what was reserved, what is short and when it is expected."""

    event_type: ClassVar[str] = topics.ITEM_BACKORDERED
    request_id: uuid.UUID
    order_id: uuid.UUID
    job_id: uuid.UUID
    part_no: str
    quantity_reserved: Decimal
    quantity_short: Decimal
    expected_on: date | None = None
    other_stations: list[OtherStationStock] = []
    reservation_id: uuid.UUID | None = None


class ItemIssued(Payload):
    event_type: ClassVar[str] = topics.ITEM_ISSUED
    reservation_id: uuid.UUID
    order_id: uuid.UUID
    job_id: uuid.UUID
    part_no: str
    quantity: Decimal
    unit_price: Decimal | None = None
    issue_id: uuid.UUID | None = Field(default=None, description="the parts issue slip (领料单)")


class ItemReturned(Payload):
    event_type: ClassVar[str] = topics.ITEM_RETURNED
    reservation_id: uuid.UUID
    order_id: uuid.UUID
    job_id: uuid.UUID
    part_no: str
    quantity: Decimal


class ItemReleased(Payload):
    """A reservation was given back (order cancelled or work declined)."""

    event_type: ClassVar[str] = topics.ITEM_RELEASED
    reservation_id: uuid.UUID
    order_id: uuid.UUID
    part_no: str
    quantity: Decimal
    reason: str


class StockLow(Payload):
    """Available stock fell below the reorder point (库存预警)."""

    event_type: ClassVar[str] = topics.STOCK_LOW
    key_field: ClassVar[str] = "part_no"
    part_no: str
    available: Decimal
    reorder_point: Decimal
    suggested_quantity: Decimal


# --- workshop ---------------------------------------------------------------------------


class StockLevelChanged(Payload):
    """A part's stock at one station after any movement: the read model for live availability."""

    event_type: ClassVar[str] = topics.STOCK_LEVEL_CHANGED
    key_field: ClassVar[str] = "part_no"
    part_no: str
    description: str | None = None
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    on_order: Decimal = Decimal("0")
    expected_on: date | None = None
    list_price: Decimal | None = None
    lead_time_days: int | None = None


class CapacityPublished(Payload):
    """Workshop hours a station can sell on a day (for reception's appointment booking)."""

    event_type: ClassVar[str] = topics.CAPACITY_PUBLISHED
    key_field: ClassVar[str] = "station_day"
    station_day: str = Field(description="<station>:<YYYY-MM-DD>, the message key")
    day: date
    available_hours: Decimal
    booked_hours: Decimal = Decimal("0")
    bays: int = 0
    technicians: int = 0


class JobDispatched(Payload):
    event_type: ClassVar[str] = topics.JOB_DISPATCHED
    job_id: uuid.UUID
    order_id: uuid.UUID
    technician_id: str
    bay_id: str | None = None
    handed_over_at: AwareDatetime
    received_by: str
    team_id: uuid.UUID | None = Field(
        default=None,
        description="the team (班组) the job went to; technician_id then answers for it",
    )
    team_name: str | None = None


class JobCompleted(Payload):
    event_type: ClassVar[str] = topics.JOB_COMPLETED
    job_id: uuid.UUID
    order_id: uuid.UUID
    sold_hours: Decimal
    clocked_hours: Decimal
    technician_id: str | None = None


class SuggestedLine(_Part):
    kind: LineKind
    code: str
    description: str
    quantity: Decimal = Decimal("1")
    hours: Decimal | None = None
    unit_price: Decimal | None = None


class WorkAdditionalFound(Payload):
    """A technician found more work; the customer must approve it (追加维修项目)."""

    event_type: ClassVar[str] = topics.WORK_ADDITIONAL_FOUND
    finding_id: uuid.UUID
    order_id: uuid.UUID
    job_id: uuid.UUID
    description: str
    safety_relevant: bool = False
    suggested_lines: list[SuggestedLine] = []
    estimated_delay_minutes: int = 0
    reported_by: str


class WorkAdditionalApproved(Payload):
    event_type: ClassVar[str] = topics.WORK_ADDITIONAL_APPROVED
    finding_id: uuid.UUID
    order_id: uuid.UUID
    lines: list[OrderLine]
    approved_at: AwareDatetime
    approved_via: str = "phone"


class WorkAdditionalDeclined(Payload):
    event_type: ClassVar[str] = topics.WORK_ADDITIONAL_DECLINED
    finding_id: uuid.UUID
    order_id: uuid.UUID
    safety_relevant: bool = False
    declined_at: AwareDatetime
    recorded_by: str
    workshop_told: str | None = Field(default=None, description="who in the workshop was told")


class InspectionPassed(Payload):
    event_type: ClassVar[str] = topics.INSPECTION_PASSED
    inspection_id: uuid.UUID
    order_id: uuid.UUID
    inspector_id: str
    road_test: bool = False
    technical_lead_id: str | None = Field(
        default=None, description="who checked a comeback repair with the inspector (§6)"
    )


class InspectionFailed(Payload):
    event_type: ClassVar[str] = topics.INSPECTION_FAILED
    inspection_id: uuid.UUID
    order_id: uuid.UUID
    job_id: uuid.UUID
    inspector_id: str
    reason: str


class LabourDone(_Part):
    job_id: uuid.UUID
    line_id: uuid.UUID | None = None
    operation_code: str
    sold_hours: Decimal
    clocked_hours: Decimal
    technician_id: str | None = None


class PartUsed(_Part):
    part_no: str
    quantity: Decimal
    job_id: uuid.UUID | None = None
    line_id: uuid.UUID | None = None


class VehicleCompleted(Payload):
    """All work on an order is done and passed; the car can be made ready for the customer."""

    event_type: ClassVar[str] = topics.VEHICLE_COMPLETED
    order_id: uuid.UUID
    vin: str
    completed_at: AwareDatetime
    clocked_hours: Decimal = Decimal("0")
    sold_hours: Decimal = Decimal("0")
    comeback: bool = False
    labour_done: list[LabourDone] = []
    parts_used: list[PartUsed] = []
    inspection_id: uuid.UUID | None = None


class VehicleDelivered(Payload):
    """The customer settled and took the car (交车)."""

    event_type: ClassVar[str] = topics.VEHICLE_DELIVERED
    order_id: uuid.UUID
    customer: CustomerRef
    vehicle: VehicleRef
    delivered_at: AwareDatetime
    advisor_id: str
    total: Decimal
    next_service_date: date | None = None
    next_service_km: int | None = None


# --- warranty ---------------------------------------------------------------------------


class ClaimSubmitted(Payload):
    event_type: ClassVar[str] = topics.CLAIM_SUBMITTED
    claim_id: uuid.UUID
    order_id: uuid.UUID
    vin: str
    amount: Decimal


class ClaimApproved(Payload):
    event_type: ClassVar[str] = topics.CLAIM_APPROVED
    claim_id: uuid.UUID
    order_id: uuid.UUID
    approved_amount: Decimal
    partly: bool = False


class ClaimInfoRequested(Payload):
    event_type: ClassVar[str] = topics.CLAIM_INFO_REQUESTED
    claim_id: uuid.UUID
    order_id: uuid.UUID
    question: str


class ClaimPaid(Payload):
    event_type: ClassVar[str] = topics.CLAIM_PAID
    claim_id: uuid.UUID
    order_id: uuid.UUID
    paid_amount: Decimal
    paid_on: date


class ClaimRejected(Payload):
    event_type: ClassVar[str] = topics.CLAIM_REJECTED
    claim_id: uuid.UUID
    order_id: uuid.UUID
    reason_code: str
    reason: str


class SanbaoRule(StrEnum):
    """The national family-car rules (汽车三包, SAMR Order 43) a vehicle can approach."""

    SEVEN_DAY_MAJOR_PART = "seven_day_major_part"
    SIXTY_DAY_SERIOUS_FAULT = "sixty_day_serious_fault"
    SERIOUS_SAFETY_FAULT_TWICE = "serious_safety_fault_twice"
    MAJOR_ASSEMBLY_REPLACED_TWICE = "major_assembly_replaced_twice"
    MAIN_PART_REPLACED_TWICE = "main_part_replaced_twice"
    REPAIR_DAYS_OVER_30 = "repair_days_over_30"
    SAME_FAULT_OVER_4 = "same_fault_over_4"
    SINGLE_REPAIR_OVER_5_DAYS = "single_repair_over_5_days"


class SanbaoThresholdApproached(Payload):
    """A vehicle reached or nears a 三包 threshold: the advisor and warranty office are warned.

    ``reached`` is false while the vehicle is one repair (or a few days) short of the
    threshold and true once the customer is entitled to the remedy.
    """

    event_type: ClassVar[str] = topics.SANBAO_THRESHOLD_APPROACHED
    key_field: ClassVar[str] = "vin"
    vin: str
    rule: SanbaoRule
    reached: bool
    count: int = Field(description="repairs, replacements or days counted so far")
    threshold: int = Field(description="the count at which the rule applies")
    fault: str | None = Field(default=None, description="the fault or part the count is about")
    remedy: str = Field(
        description="what the customer may claim: replacement, return, courtesy car"
    )
    order_id: uuid.UUID | None = None
    message: str


# --- crm --------------------------------------------------------------------------------


class ClaimChargedBack(Payload):
    """The manufacturer took back money already paid for a claim (索赔扣款)."""

    event_type: ClassVar[str] = topics.CLAIM_CHARGED_BACK
    claim_id: uuid.UUID
    order_id: uuid.UUID
    amount: Decimal
    reason_code: str
    reason: str


class FollowUpDue(Payload):
    """A follow-up call (回访) is open for an agent."""

    event_type: ClassVar[str] = topics.FOLLOWUP_DUE
    followup_id: uuid.UUID
    order_id: uuid.UUID
    customer_id: uuid.UUID
    opens_at: AwareDatetime
    due_at: AwareDatetime
    kind: str = "72h"


class ReminderDue(Payload):
    event_type: ClassVar[str] = topics.REMINDER_DUE
    key_field: ClassVar[str] = "vin"
    reminder_id: uuid.UUID
    customer_id: uuid.UUID
    vin: str
    reason: str
    due_on: date | None = None
    due_km: int | None = None
    kind: str = Field(
        default="maintenance",
        description="maintenance / declined_work / campaign / booking_call / appointment",
    )


class ComplaintOpened(Payload):
    event_type: ClassVar[str] = topics.COMPLAINT_OPENED
    key_field: ClassVar[str] = "complaint_id"
    complaint_id: uuid.UUID
    customer_id: uuid.UUID
    order_id: uuid.UUID | None = None
    channel: str
    severity: str
    summary: str


class ComplaintEscalated(Payload):
    """A complaint passed up: overdue, serious, or the customer refused the answer."""

    event_type: ClassVar[str] = topics.COMPLAINT_ESCALATED
    key_field: ClassVar[str] = "complaint_id"
    complaint_id: uuid.UUID
    customer_id: uuid.UUID
    order_id: uuid.UUID | None = None
    level: str = Field(description="service_manager / group / manufacturer")
    reason: str
    severity: str
    escalated_at: AwareDatetime


class FollowUpEscalated(Payload):
    """A dissatisfied follow-up call, sent to the service manager at once."""

    event_type: ClassVar[str] = topics.FOLLOWUP_ESCALATED
    followup_id: uuid.UUID
    order_id: uuid.UUID
    customer_id: uuid.UUID
    reason: str
    advisor_id: str | None = None
    escalated_at: AwareDatetime


class CampaignLaunched(Payload):
    """A service campaign or recall (召回 / 服务活动) and the vehicles it covers."""

    event_type: ClassVar[str] = topics.CAMPAIGN_LAUNCHED
    key_field: ClassVar[str] = "campaign_id"
    campaign_id: uuid.UUID
    code: str = Field(description="the campaign's labour operation code, used on order lines")
    title: str
    kind: str = Field(default="campaign", description="recall / campaign")
    vins: list[str]
    ends_on: date | None = None
