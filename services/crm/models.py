"""CRM's tables and API schemas (one family per entity: table, Update, Public)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum

import pydantic
from pydantic import BaseModel, ConfigDict
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
    SERVICE_DUE = "service_due"  # due for maintenance and not booked (§8 reminders)


class FollowUpStatus(StrEnum):
    SCHEDULED = "scheduled"  # planned at delivery, not yet open (first call: the next day)
    OPEN = "open"
    DONE = "done"
    UNREACHABLE = "unreachable"  # not reached after the allowed attempts
    EXPIRED = "expired"
    #: not contacted: the customer withdrew consent (counted apart in the 72 h KPI)
    NO_CONSENT = "no_consent"


class CallOutcome(StrEnum):
    REACHED = "reached"
    NOT_REACHED = "not_reached"
    SATISFIED = "satisfied"
    DISSATISFIED = "dissatisfied"


class CustomerKind(StrEnum):
    PERSON = "person"
    COMPANY = "company"


class ContactChannel(StrEnum):
    PHONE = "phone"
    SMS = "sms"
    WECHAT = "wechat"
    EMAIL = "email"


class ComplaintChannel(StrEnum):
    PHONE = "phone"
    DESK = "desk"
    FOLLOW_UP = "follow_up"
    MANUFACTURER = "manufacturer"


class ComplaintSeverity(StrEnum):
    MINOR = "minor"
    SERIOUS = "serious"


class ComplaintStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"


class ReminderState(StrEnum):
    PLANNED = "planned"
    SENT = "sent"
    WITHHELD = "withheld"  # the customer withdrew consent to be contacted
    BOOKED = "booked"  # the customer booked before the reminder went out
    SUPERSEDED = "superseded"  # the customer came in again: a later visit sets the next one
    CANCELLED = "cancelled"  # appointment reminders: the appointment was cancelled before
    TOO_LATE = "too_late"  # appointment reminders: it could no longer go out before the start


class EscalationLevel(StrEnum):
    SERVICE_MANAGER = "service_manager"
    GROUP = "group"
    MANUFACTURER = "manufacturer"


class EscalationSubject(StrEnum):
    FOLLOW_UP = "follow_up"
    COMPLAINT = "complaint"


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
    kind: CustomerKind = Field(default=CustomerKind.PERSON, sa_column=enum_column(CustomerKind))
    email: str | None = Field(default=None, max_length=120)
    preferred_channel: ContactChannel = Field(
        default=ContactChannel.PHONE, sa_column=enum_column(ContactChannel)
    )
    consent_to_contact: bool = True
    consent_changed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    is_vip: bool = False
    merged_into_id: uuid.UUID | None = Field(default=None, description="set when merged away")
    last_contact_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    #: a time of day that suits the customer for calls (station local time, §8)
    call_from: time | None = None
    call_until: time | None = None


class ContactPerson(CrmTable, table=True):  # type: ignore[call-arg]
    """Someone to call for the customer (a company's fleet manager, a driver)."""

    __tablename__ = "contact_person"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    customer_id: uuid.UUID = Field(index=True)
    name: str = Field(max_length=120)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=120)
    role: str = Field(default="", max_length=60)


class Vehicle(CrmTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "vehicle"

    vin: str = Field(max_length=17, primary_key=True)
    customer_id: uuid.UUID = Field(index=True, description="who brought it in last")
    plate: str | None = Field(default=None, max_length=20)
    make: str | None = Field(default=None, max_length=40)
    model: str | None = Field(default=None, max_length=60)
    last_mileage_km: int | None = None
    created_at: datetime = Field(sa_column=utc_column())
    warranty_start: date | None = None


class Enquiry(CrmTable, table=True):  # type: ignore[call-arg]
    """A phone or desk enquiry without a repair order: logged, and it opens a file (§12)."""

    __tablename__ = "enquiry"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    customer_id: uuid.UUID = Field(index=True)
    station_id: str = Field(max_length=20, index=True)
    channel: ComplaintChannel = Field(sa_column=enum_column(ComplaintChannel))
    text: str = Field(max_length=4000)
    at: datetime = Field(sa_column=utc_column())
    recorded_by: str = Field(max_length=60)


class MileageReading(CrmTable, table=True):  # type: ignore[call-arg]
    """An odometer reading taken at a visit (the basis of the average km per day)."""

    __tablename__ = "mileage_reading"
    __table_args__ = (UniqueConstraint("vin", "order_id", name="uq_mileage_vin_order"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    vin: str = Field(max_length=17, index=True)
    order_id: uuid.UUID
    km: int
    read_at: datetime = Field(sa_column=utc_column())


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
    advisor_id: str | None = Field(default=None, max_length=60, index=True)
    work_done: str = Field(default="", max_length=2000, description="the order's lines")


class DeclinedWork(CrmTable, table=True):  # type: ignore[call-arg]
    """Work a technician found and the customer declined (建议项目): reminded later."""

    __tablename__ = "declined_work"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    finding_id: uuid.UUID = Field(unique=True)
    order_id: uuid.UUID = Field(index=True)
    station_id: str = Field(max_length=20, index=True)
    description: str = Field(default="", max_length=2000)
    safety_relevant: bool = False
    declined_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    reminded_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


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
        default=FollowUpStatus.SCHEDULED, sa_column=enum_column(FollowUpStatus, index=True)
    )
    created_at: datetime = Field(sa_column=utc_column())
    expires_at: datetime = Field(sa_column=utc_column())
    vin: str | None = Field(default=None, max_length=17)
    advisor_id: str | None = Field(default=None, max_length=60)
    agent_id: str | None = Field(default=None, max_length=60, index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    outcome: CallOutcome | None = Field(
        default=None, sa_column=enum_column(CallOutcome, nullable=True)
    )
    outcome_reason: str | None = Field(default=None, max_length=2000)
    closed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    escalated_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    complaint_id: uuid.UUID | None = None
    further_work: str | None = Field(
        default=None, max_length=2000, description="a need for more work, for the supervisor"
    )


class FollowUpCall(CrmTable, table=True):  # type: ignore[call-arg]
    """One call attempt: date, time and content are logged (§8)."""

    __tablename__ = "follow_up_call"
    __table_args__ = (UniqueConstraint("followup_id", "attempt", name="uq_call_attempt"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    followup_id: uuid.UUID = Field(index=True)
    attempt: int
    called_at: datetime = Field(sa_column=utc_column())
    agent_id: str = Field(max_length=60)
    outcome: CallOutcome = Field(sa_column=enum_column(CallOutcome))
    content: str = Field(default="", max_length=4000)


# --- complaints (抱怨 / 投诉) -------------------------------------------------------------


class Complaint(CrmTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "complaint"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    customer_id: uuid.UUID = Field(index=True)
    order_id: uuid.UUID | None = Field(default=None, index=True)
    advisor_id: str | None = Field(default=None, max_length=60)
    channel: ComplaintChannel = Field(sa_column=enum_column(ComplaintChannel))
    category: str = Field(max_length=60)
    severity: ComplaintSeverity = Field(sa_column=enum_column(ComplaintSeverity))
    summary: str = Field(max_length=2000)
    owner_id: str = Field(max_length=60, index=True)
    promised_answer_by: datetime = Field(sa_column=utc_column(index=True))
    status: ComplaintStatus = Field(
        default=ComplaintStatus.OPEN, sa_column=enum_column(ComplaintStatus, index=True)
    )
    escalated_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    escalation_reason: str | None = Field(default=None, max_length=200)
    manufacturer_involved: bool = False
    answer: str | None = Field(default=None, max_length=4000)
    answered_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    customer_accepted: bool | None = None
    opened_at: datetime = Field(sa_column=utc_column())
    opened_by: str = Field(max_length=60)


class Escalation(CrmTable, table=True):  # type: ignore[call-arg]
    """A dissatisfied call or a complaint passed up (§8, §9): in the manager's inbox until
    acknowledged. One per subject and level, so nothing is escalated twice (replicas too)."""

    __tablename__ = "escalation"
    __table_args__ = (
        UniqueConstraint("subject", "subject_id", "level", name="uq_escalation_subject_level"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    subject: EscalationSubject = Field(sa_column=enum_column(EscalationSubject))
    subject_id: uuid.UUID = Field(index=True)
    level: EscalationLevel = Field(sa_column=enum_column(EscalationLevel))
    reason: str = Field(max_length=200)
    customer_id: uuid.UUID = Field(index=True)
    order_id: uuid.UUID | None = None
    complaint_id: uuid.UUID | None = None
    escalated_at: datetime = Field(sa_column=utc_column(index=True))
    acknowledged_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    acknowledged_by: str | None = Field(default=None, max_length=60)
    note: str | None = Field(default=None, max_length=2000)


# --- maintenance reminders ---------------------------------------------------------------


class ServiceReminder(CrmTable, table=True):  # type: ignore[call-arg]
    """The next maintenance of a vehicle, set at a delivery: reminded ahead, then called."""

    __tablename__ = "service_reminder"
    __table_args__ = (UniqueConstraint("order_id", name="uq_reminder_order"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    order_id: uuid.UUID
    customer_id: uuid.UUID = Field(index=True)
    vin: str = Field(max_length=17, index=True)
    due_on: date
    due_km: int | None = None
    remind_at: datetime = Field(sa_column=utc_column())
    state: ReminderState = Field(
        default=ReminderState.PLANNED, sa_column=enum_column(ReminderState, index=True)
    )
    sent_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    booked_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    created_at: datetime = Field(sa_column=utc_column())
    appointment_id: uuid.UUID | None = Field(
        default=None, index=True, description="the booking that answered it (a cancellation undoes)"
    )


class AppointmentReminder(CrmTable, table=True):  # type: ignore[call-arg]
    """Reception's ``appointment.reminder_due``: CRM reminds the customer of the booking, once
    per appointment, before it starts (consent and the public-holiday rule respected)."""

    __tablename__ = "appointment_reminder"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    appointment_id: uuid.UUID = Field(unique=True)
    station_id: str = Field(max_length=20, index=True)
    customer_id: uuid.UUID = Field(index=True)
    vin: str = Field(max_length=17, index=True)
    starts_at: datetime = Field(sa_column=utc_column())
    remind_at: datetime = Field(sa_column=utc_column())
    state: ReminderState = Field(
        default=ReminderState.PLANNED, sa_column=enum_column(ReminderState, index=True)
    )
    sent_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    note: str | None = Field(default=None, max_length=300, description="why not sent, or how")
    created_at: datetime = Field(sa_column=utc_column())


# --- satisfaction (CSI) ----------------------------------------------------------------


class CsiSurvey(CrmTable, table=True):  # type: ignore[call-arg]
    """The customer's answers about one delivered order: recorded as given, never prompted."""

    __tablename__ = "csi_survey"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    order_id: uuid.UUID = Field(unique=True)
    station_id: str = Field(max_length=20, index=True)
    advisor_id: str | None = Field(default=None, max_length=60, index=True)
    customer_id: uuid.UUID = Field(index=True)
    comment: str = Field(default="", max_length=4000)
    answered_at: datetime = Field(sa_column=utc_column(index=True))
    recorded_by: str = Field(max_length=60)


class CsiAnswer(CrmTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "csi_answer"
    __table_args__ = (UniqueConstraint("survey_id", "question", name="uq_csi_question"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    survey_id: uuid.UUID = Field(index=True)
    question: str = Field(max_length=40)
    score: int


# --- campaigns and recalls ---------------------------------------------------------------


class Campaign(CrmTable, table=True):  # type: ignore[call-arg]
    """A manufacturer's recall or service campaign: group-wide, by VIN."""

    __tablename__ = "campaign"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    title: str = Field(max_length=200)
    is_recall: bool = False
    created_at: datetime = Field(sa_column=utc_column())
    created_by: str = Field(max_length=60)


class CampaignVehicle(CrmTable, table=True):  # type: ignore[call-arg]
    __tablename__ = "campaign_vehicle"
    __table_args__ = (UniqueConstraint("campaign_id", "vin", name="uq_campaign_vin"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    campaign_id: uuid.UUID = Field(index=True)
    vin: str = Field(max_length=17, index=True)
    done_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    done_order_id: uuid.UUID | None = None


# --- contact plan ------------------------------------------------------------------------


class ContactPlanMonth(CrmTable, table=True):  # type: ignore[call-arg]
    """How many customers of a station and segment were contacted in a month, recorded
    when the month closes (the live list only knows each customer's latest contact)."""

    __tablename__ = "contact_plan_month"
    __table_args__ = (
        UniqueConstraint("month", "station_id", "segment", name="uq_contact_plan_month"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    month: str = Field(max_length=7, index=True)
    station_id: str = Field(max_length=20, index=True)
    segment: str = Field(max_length=20)
    customers: int
    contacted: int
    recorded_at: datetime = Field(sa_column=utc_column())


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


def _phone(value: str | None) -> str | None:
    if value is None:
        return None
    from services.crm.domain import normalise_phone

    return normalise_phone(value)


def _vins(value: list[str]) -> list[str]:
    cleaned = [v.strip().upper() for v in value]
    bad = [v for v in cleaned if len(v) != 17 or not v.isalnum()]
    if bad:
        raise ValueError(f"not a 17-character VIN: {bad[:5]}")
    return sorted(set(cleaned))


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    from services.crm.domain import normalise_email

    return normalise_email(value)


class CustomerUpdate(InputModel):
    """A correction of the customer's file (only the fields sent change)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "phone": "138 0000 0001",
                    "email": "zhang.wei@example.cn",
                    "consent_to_contact": True,
                }
            ]
        }
    )

    name: str | None = pydantic.Field(default=None, min_length=1, max_length=120)
    phone: str | None = pydantic.Field(default=None, max_length=40)
    email: str | None = pydantic.Field(default=None, max_length=120)
    kind: CustomerKind | None = None
    preferred_channel: ContactChannel | None = None
    consent_to_contact: bool | None = None
    is_vip: bool | None = None
    call_from: time | None = pydantic.Field(
        default=None, description="calls suit the customer from this local time (with call_until)"
    )
    call_until: time | None = pydantic.Field(default=None, description="… until this one")

    _check_phone = pydantic.field_validator("phone")(_phone)
    _check_email = pydantic.field_validator("email")(_email)


class ContactPersonCreate(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "李强", "phone": "13912345678", "role": "车队经理"}]
        }
    )

    name: str = pydantic.Field(min_length=1, max_length=120)
    phone: str | None = pydantic.Field(default=None, max_length=40)
    email: str | None = pydantic.Field(default=None, max_length=120)
    role: str = pydantic.Field(default="", max_length=60)

    _check_phone = pydantic.field_validator("phone")(_phone)
    _check_email = pydantic.field_validator("email")(_email)


class ContactPersonPublic(BaseModel):
    id: uuid.UUID
    name: str
    phone: str | None
    email: str | None
    role: str


class EnquiryCreate(InputModel):
    """An enquiry by phone or at the desk: for a known file (customer_id), or it opens one
    (a file with the same phone at the user's stations is used instead of a second one)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "王芳",
                    "phone": "13700000007",
                    "channel": "phone",
                    "text": "询问 30000 km 保养价格",
                }
            ]
        }
    )

    customer_id: uuid.UUID | None = None
    name: str | None = pydantic.Field(default=None, min_length=1, max_length=120)
    phone: str | None = pydantic.Field(default=None, max_length=40)
    email: str | None = pydantic.Field(default=None, max_length=120)
    kind: CustomerKind = CustomerKind.PERSON
    consent_to_contact: bool = True
    station_id: str | None = pydantic.Field(default=None, max_length=20)
    channel: ComplaintChannel = ComplaintChannel.PHONE
    text: str = pydantic.Field(min_length=1, max_length=4000)

    _check_phone = pydantic.field_validator("phone")(_phone)
    _check_email = pydantic.field_validator("email")(_email)


class EnquiryPublic(BaseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    station_id: str
    channel: ComplaintChannel
    text: str
    at: datetime
    recorded_by: str
    opened_file: bool = pydantic.Field(description="a new customer file was opened")


class CustomerMerge(InputModel):
    """Merge a duplicate file into this one: its vehicles, visits and calls move here."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"duplicate_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427"}]}
    )

    duplicate_id: uuid.UUID


class CustomerPublic(BaseModel):
    id: uuid.UUID
    name: str
    phone: str | None
    home_station_id: str
    created_at: datetime
    kind: CustomerKind
    email: str | None
    preferred_channel: ContactChannel
    consent_to_contact: bool
    is_vip: bool
    last_contact_at: datetime | None
    call_from: time | None = None
    call_until: time | None = None
    merged_into_id: uuid.UUID | None = pydantic.Field(
        default=None, description="this file was merged into that one"
    )


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
    warranty_start: date | None
    mileage_history: list[MileageReadingPublic] = []


class MileageReadingPublic(BaseModel):
    km: int
    read_at: datetime
    order_id: uuid.UUID


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
    advisor_id: str | None
    work_done: str
    complaints: list[ComplaintPublic] = []
    declined_work: list[DeclinedWorkPublic] = []


class DeclinedWorkPublic(BaseModel):
    finding_id: uuid.UUID
    description: str
    safety_relevant: bool
    declined_at: datetime | None
    reminded_at: datetime | None


class CustomerDetailPublic(CustomerPublic):
    vehicles: list[VehiclePublic] = []
    visits: list[VisitPublic] = []
    contacts: list[ContactPersonPublic] = []
    enquiries: list[EnquiryPublic] = []
    complaints: list[ComplaintPublic] = []


class DuplicateGroup(BaseModel):
    reason: str = pydantic.Field(examples=["phone +8613800000001"])
    customers: list[CustomerPublic]


class DuplicatesPublic(BaseModel):
    data: list[DuplicateGroup]
    count: int


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
    expires_at: datetime
    vin: str | None
    advisor_id: str | None
    agent_id: str | None
    attempts: int
    next_attempt_at: datetime | None
    outcome: CallOutcome | None
    outcome_reason: str | None
    closed_at: datetime | None
    escalated_at: datetime | None
    complaint_id: uuid.UUID | None
    further_work: str | None


class FollowUpCallPublic(BaseModel):
    attempt: int
    called_at: datetime
    agent_id: str
    outcome: CallOutcome
    content: str


class FollowUpDetailPublic(FollowUpPublic):
    calls: list[FollowUpCallPublic] = []


class FollowUpAssign(InputModel):
    """Put the call in an agent's queue (omit agent_id to take it yourself)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"agent_id": "crm.bj01"}]})

    agent_id: str | None = pydantic.Field(default=None, min_length=1, max_length=60)


class FollowUpOutcome(InputModel):
    """What the call gave: logged with its date, time and content (§8)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"outcome": "satisfied", "content": "车况良好，对服务满意；提醒下次保养 51000 km"},
                {
                    "outcome": "dissatisfied",
                    "content": "刹车仍有异响",
                    "reason": "noise not fixed",
                    "complaint": True,
                    "severity": "serious",
                    "category": "repair quality",
                },
            ]
        }
    )

    outcome: CallOutcome
    content: str = pydantic.Field(default="", max_length=4000, description="what was said")
    reason: str | None = pydantic.Field(
        default=None, max_length=2000, description="why dissatisfied (required then)"
    )
    complaint: bool = pydantic.Field(
        default=False, description="the dissatisfaction is a complaint: open one"
    )
    severity: ComplaintSeverity = ComplaintSeverity.MINOR
    category: str = pydantic.Field(default="service", min_length=1, max_length=60)
    further_work: str | None = pydantic.Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="a potential need for further work the call revealed (for the supervisor)",
    )


class ComplaintCreate(InputModel):
    """A complaint from any channel; answered at once where possible, else by a stated time."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
                    "channel": "phone",
                    "category": "waiting time",
                    "severity": "minor",
                    "summary": "车辆比承诺时间晚两小时交付",
                }
            ]
        }
    )

    customer_id: uuid.UUID
    order_id: uuid.UUID | None = None
    station_id: str | None = pydantic.Field(default=None, max_length=20)
    channel: ComplaintChannel
    category: str = pydantic.Field(min_length=1, max_length=60)
    severity: ComplaintSeverity
    summary: str = pydantic.Field(min_length=1, max_length=2000)
    owner_id: str | None = pydantic.Field(default=None, min_length=1, max_length=60)
    promised_answer_by: pydantic.AwareDatetime | None = pydantic.Field(
        default=None, description="when the answer is promised (default: 48 h, serious 24 h)"
    )
    manufacturer_involved: bool = False


class ComplaintAnswer(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"answer": "免费重新检查并更换刹车片", "customer_accepted": True}]
        }
    )

    answer: str = pydantic.Field(min_length=1, max_length=4000)
    customer_accepted: bool


class ComplaintPublic(BaseModel):
    id: uuid.UUID
    station_id: str
    customer_id: uuid.UUID
    order_id: uuid.UUID | None
    advisor_id: str | None
    channel: ComplaintChannel
    category: str
    severity: ComplaintSeverity
    summary: str
    owner_id: str
    promised_answer_by: datetime
    status: ComplaintStatus
    escalated_at: datetime | None
    escalation_reason: str | None
    manufacturer_involved: bool
    answer: str | None
    answered_at: datetime | None
    customer_accepted: bool | None
    opened_at: datetime
    opened_by: str


class ComplaintsPublic(BaseModel):
    data: list[ComplaintPublic]
    count: int


class ServiceReminderPublic(BaseModel):
    id: uuid.UUID
    station_id: str
    order_id: uuid.UUID | None = pydantic.Field(
        description="the delivered order that set it (none for an appointment reminder)"
    )
    customer_id: uuid.UUID
    vin: str
    due_on: date = pydantic.Field(description="service due day; for an appointment: its day")
    due_km: int | None
    remind_at: datetime
    state: ReminderState
    sent_at: datetime | None
    booked_at: datetime | None
    kind: str = pydantic.Field(default="maintenance", description="maintenance / appointment")
    appointment_id: uuid.UUID | None = None
    starts_at: datetime | None = pydantic.Field(
        default=None, description="appointment reminders: when the appointment starts"
    )
    note: str | None = pydantic.Field(default=None, description="why it was not sent, or how")


class ServiceRemindersPublic(BaseModel):
    data: list[ServiceReminderPublic]
    count: int


class CsiSurveyCreate(InputModel):
    """The customer's own scores (1–10) for a delivered order, as given."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "order_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
                    "scores": {"overall": 9, "advisor": 10, "quality": 8},
                    "comment": "接待很热情",
                }
            ]
        }
    )

    order_id: uuid.UUID
    scores: dict[str, int]
    comment: str = pydantic.Field(default="", max_length=4000)


class CsiSurveyPublic(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID
    station_id: str
    advisor_id: str | None
    customer_id: uuid.UUID
    scores: dict[str, int]
    comment: str
    answered_at: datetime


class CsiGroup(StrEnum):
    STATION = "station"
    ADVISOR = "advisor"
    MONTH = "month"
    QUARTER = "quarter"  # §8: CSI is analysed quarterly


class CsiRow(BaseModel):
    key: str = pydantic.Field(examples=["bj01", "advisor.bj01", "2026-11"])
    surveys: int
    csi: Decimal | None = pydantic.Field(description="0–100: mean score × 10")


class CsiReport(BaseModel):
    group_by: CsiGroup
    data: list[CsiRow]


class CampaignCreate(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "RC-2026-014",
                    "title": "前排安全气囊固定螺栓检查",
                    "is_recall": True,
                    "vins": ["LFV2A21K7G3000001"],
                }
            ]
        }
    )

    code: str = pydantic.Field(min_length=1, max_length=40)
    title: str = pydantic.Field(min_length=1, max_length=200)
    is_recall: bool = False
    vins: list[str] = pydantic.Field(min_length=1, max_length=100_000)

    _check_vins = pydantic.field_validator("vins")(_vins)


class CampaignPublic(BaseModel):
    id: uuid.UUID
    code: str
    title: str
    is_recall: bool
    created_at: datetime
    vehicles: int
    open_vehicles: int


class CampaignsPublic(BaseModel):
    data: list[CampaignPublic]
    count: int


class OutreachRow(BaseModel):
    vin: str
    plate: str | None
    customer_id: uuid.UUID | None
    customer_name: str | None
    phone: str | None
    consent_to_contact: bool | None


class OutreachPublic(BaseModel):
    data: list[OutreachRow]
    count: int


class OpenCampaign(BaseModel):
    code: str
    title: str
    is_recall: bool
    kind: str = pydantic.Field(default="campaign", description="recall / campaign")


class OpenCampaignsPublic(BaseModel):
    vin: str
    data: list[OpenCampaign]


class CampaignDone(InputModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"order_id": None}]})

    order_id: uuid.UUID | None = None


class ContactPlanRow(BaseModel):
    customer_id: uuid.UUID
    name: str
    segment: str
    preferred_channel: ContactChannel
    last_contact_at: datetime | None


class ContactPlanPublic(BaseModel):
    month_start: datetime
    data: list[ContactPlanRow]
    count: int


class ContactPlanMonthRow(BaseModel):
    month: str
    station_id: str
    segment: str
    customers: int
    contacted: int
    recorded_at: datetime


class ContactPlanMonthsPublic(BaseModel):
    data: list[ContactPlanMonthRow]
    count: int


class ChurnRow(BaseModel):
    station_id: str
    customers: int
    lost: int
    churn_rate: Decimal | None
    target: Decimal
    on_target: bool | None


class ChurnReport(BaseModel):
    quarter: str
    data: list[ChurnRow]


class FollowUpSummaryRow(BaseModel):
    station_id: str
    first_calls_due: int = pydantic.Field(description="72h calls whose deadline fell in the period")
    done_in_time: int
    no_consent: int = pydantic.Field(
        default=0, description="72h calls not made: the customer withdrew consent (not counted)"
    )
    completion_in_time: Decimal | None = pydantic.Field(
        description="done in time / (due − not contacted for lack of consent) (KPI)"
    )
    expired: int
    unreachable: int
    satisfied: int
    dissatisfied: int
    escalated: int
    complaints_opened: int
    complaints_answered: int
    complaints_accepted: int


class FollowUpSummary(BaseModel):
    since: datetime
    until: datetime
    data: list[FollowUpSummaryRow]


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


class EscalationPublic(BaseModel):
    id: uuid.UUID
    station_id: str
    subject: EscalationSubject
    subject_id: uuid.UUID
    level: EscalationLevel
    reason: str
    customer_id: uuid.UUID
    order_id: uuid.UUID | None
    complaint_id: uuid.UUID | None
    escalated_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    note: str | None


class EscalationsPublic(BaseModel):
    data: list[EscalationPublic]
    count: int


class EscalationAcknowledge(InputModel):
    """The manager has taken the escalation on (what they will do, optionally)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"note": "已致电客户，明天上午重新检查刹车"}]}
    )

    note: str | None = pydantic.Field(default=None, min_length=1, max_length=2000)


class CampaignVehiclesAdd(InputModel):
    """More VINs for a campaign or recall (the manufacturer extended it)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"vins": ["LFV2A21K7G3000002"]}]})

    vins: list[str] = pydantic.Field(min_length=1, max_length=100_000)

    _check_vins = pydantic.field_validator("vins")(_vins)


for _schema in (VehiclePublic, VisitPublic, CustomerDetailPublic):
    _schema.model_rebuild()
