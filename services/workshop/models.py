"""Workshop's tables and API schemas (one family per entity: table, Create, Public)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import pydantic
from pydantic import AwareDatetime, BaseModel
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from services.workshop.domain import (
    FindingStatus,
    JobPartStatus,
    JobStatus,
    OverrunStatus,
    ProgressReportStatus,
    RoadsideOutcome,
    RoadsideStatus,
    TacCaseStatus,
    WorkshopOrderStatus,
)
from shared.contracts.events import LineKind, OrderCategory, SuggestedLine
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
    certification_level: int = Field(default=1, description="1 junior .. 4 master technician")
    daily_hours: Decimal = Field(default=Decimal("8"), sa_column=money_column())
    working_days: str = Field(default="1,2,3,4,5,6", max_length=20, description="ISO weekdays")
    active: bool = True

    def skill_list(self) -> list[str]:
        return [skill for skill in self.skills.split(",") if skill]

    def weekday_list(self) -> list[int]:
        return [int(day) for day in self.working_days.split(",") if day]


class TechnicianAbsence(WorkshopTable, table=True):  # type: ignore[call-arg]
    """Leave, training or sickness: the technician is not available on these days."""

    __tablename__ = "technician_absence"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    technician_id: str = Field(foreign_key="technician.id", index=True, max_length=60)
    first_day: date
    last_day: date
    reason: str = Field(max_length=200)


class Bay(WorkshopTable, table=True):  # type: ignore[call-arg]
    """A working place: a lift, an alignment bay, a body or paint booth (工位)."""

    __tablename__ = "bay"

    id: str = Field(primary_key=True, max_length=40)
    station_id: str = Field(max_length=20, index=True)
    name: str = Field(max_length=80)
    kind: str = Field(max_length=20)
    active: bool = True


class Team(WorkshopTable, table=True):  # type: ignore[call-arg]
    """A team (班组) of the station: its leader, members and the skills it covers (process §5:
    the foreman dispatches each job to a team or a technician)."""

    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("station_id", "name", name="uq_team_station_name"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    name: str = Field(max_length=80)
    skills: str = Field(default="", max_length=200, description="comma separated")
    leader_id: str = Field(max_length=60)
    active: bool = True
    #: raised on every change, so an edit made on a stale copy is refused (409)
    version: int = 1
    created_by: str = Field(max_length=60)
    created_at: datetime = Field(sa_column=utc_column())
    dissolved_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))

    def skill_list(self) -> list[str]:
        return [skill for skill in self.skills.split(",") if skill]


class TeamMember(WorkshopTable, table=True):  # type: ignore[call-arg]
    """A technician's place in a team: one team at a time (a dissolved team has none)."""

    __tablename__ = "team_member"

    team_id: uuid.UUID = Field(foreign_key="team.id", primary_key=True)
    technician_id: str = Field(
        foreign_key="technician.id", primary_key=True, max_length=60, unique=True
    )
    station_id: str = Field(max_length=20, index=True)


# --- the order as the workshop sees it --------------------------------------------------


class WorkshopOrder(WorkshopTable, table=True):  # type: ignore[call-arg]
    """Read model of a repair order, from ``order.created``."""

    __tablename__ = "workshop_order"

    order_id: uuid.UUID = Field(primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    order_no: str = Field(max_length=40)
    vin: str = Field(max_length=17)
    complaint: str = Field(default="", max_length=1000)
    promised_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    #: the order asks for final inspection of all its work, not only of major systems
    inspection_required: bool = False
    #: a comeback (返修): the earlier order of the same vehicle and complaint, and its technician
    comeback_of: uuid.UUID | None = Field(default=None, index=True)
    comeback_technician_id: str | None = Field(default=None, max_length=60)
    inspection_id: uuid.UUID | None = None
    status: WorkshopOrderStatus = Field(
        default=WorkshopOrderStatus.OPEN, sa_column=enum_column(WorkshopOrderStatus)
    )
    received_at: datetime = Field(sa_column=utc_column())
    completed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    category: OrderCategory = Field(
        default=OrderCategory.REPAIR, sa_column=enum_column(OrderCategory)
    )
    make: str | None = Field(default=None, max_length=40)
    model: str | None = Field(default=None, max_length=60)
    #: the breakdown call (外出救援) whose towed-in car this order repairs
    roadside_call_id: uuid.UUID | None = Field(default=None, index=True)


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
    #: the team (班组) the job is dispatched to; ``technician_id`` is then the team's
    #: responsible technician (its leader, or a member the foreman named)
    team_id: uuid.UUID | None = Field(default=None, foreign_key="team.id", index=True)
    bay_id: str | None = Field(default=None, max_length=40)
    promised_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    inspection_required: bool = False
    rework_count: int = 0
    handed_over_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    received_by: str | None = Field(default=None, max_length=60)
    dispatched_by: str | None = Field(default=None, max_length=60)
    #: the additional finding whose approved lines this job does
    finding_id: uuid.UUID | None = None
    #: the TAC case the job waits on (process §5: faults the station cannot solve)
    tac_case_id: uuid.UUID | None = None
    #: raised on every change, so an edit made on a stale copy is refused (409)
    version: int = 1
    created_at: datetime = Field(sa_column=utc_column())
    completed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class ClockEntry(WorkshopTable, table=True):  # type: ignore[call-arg]
    """A technician's time on a job, from clocking on to clocking off (打卡)."""

    __tablename__ = "clock_entry"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    job_id: uuid.UUID = Field(foreign_key="job.id", index=True)
    technician_id: str = Field(max_length=60, index=True)
    started_at: datetime = Field(sa_column=utc_column())
    ended_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    hours: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    pause_reason: str | None = Field(default=None, max_length=200)


class Finding(WorkshopTable, table=True):  # type: ignore[call-arg]
    """Additional work a technician found (追加维修项目), waiting for the customer's answer."""

    __tablename__ = "finding"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    order_id: uuid.UUID = Field(foreign_key="workshop_order.order_id", index=True)
    job_id: uuid.UUID = Field(foreign_key="job.id", index=True)
    description: str = Field(max_length=1000)
    safety_relevant: bool = False
    suggested_lines: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    photos: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    estimated_delay_minutes: int = 0
    reported_by: str = Field(max_length=60)
    reported_at: datetime = Field(sa_column=utc_column())
    status: FindingStatus = Field(
        default=FindingStatus.PENDING, sa_column=enum_column(FindingStatus)
    )
    status_before: JobStatus = Field(sa_column=enum_column(JobStatus))
    answered_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    answer_recorded_by: str | None = Field(default=None, max_length=60)
    workshop_told: str | None = Field(default=None, max_length=60)


class PartMovement(WorkshopTable, table=True):  # type: ignore[call-arg]
    """A part drawn for a job at the parts counter (领料), or returned unused (退料)."""

    __tablename__ = "part_movement"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    order_id: uuid.UUID = Field(index=True)
    job_id: uuid.UUID = Field(foreign_key="job.id", index=True)
    reservation_id: uuid.UUID
    part_no: str = Field(max_length=40)
    quantity: Decimal = Field(sa_column=money_column(), description="returned is negative")
    at: datetime = Field(sa_column=utc_column())


class Inspection(WorkshopTable, table=True):  # type: ignore[call-arg]
    """The final inspection of an order's work (竣工检验), with its road test."""

    __tablename__ = "inspection"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    order_id: uuid.UUID = Field(foreign_key="workshop_order.order_id", index=True)
    inspector_id: str = Field(max_length=60)
    passed: bool
    checklist: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    road_test: bool = False
    road_test_note: str | None = Field(default=None, max_length=500)
    #: who checked a comeback repair with the inspector (process §6)
    technical_lead_id: str | None = Field(default=None, max_length=60)
    failures: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    at: datetime = Field(sa_column=utc_column(index=True))


class RoadsideCall(WorkshopTable, table=True):  # type: ignore[call-arg]
    """A breakdown call (外出救援): where, what, who went out with which vehicle, and when."""

    __tablename__ = "roadside_call"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    caller_name: str = Field(max_length=120)
    phone: str = Field(max_length=30)
    vin: str | None = Field(default=None, max_length=17, index=True)
    plate: str | None = Field(default=None, max_length=20)
    location: str = Field(max_length=300)
    symptom: str = Field(max_length=1000)
    status: RoadsideStatus = Field(
        default=RoadsideStatus.RECEIVED, sa_column=enum_column(RoadsideStatus, index=True)
    )
    received_by: str = Field(max_length=60)
    received_at: datetime = Field(sa_column=utc_column())
    technician_id: str | None = Field(default=None, max_length=60)
    service_vehicle: str | None = Field(default=None, max_length=40)
    dispatched_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    arrived_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    outcome_note: str | None = Field(default=None, max_length=1000)
    order_id: uuid.UUID | None = Field(default=None, index=True)


class OverrunRequest(WorkshopTable, table=True):  # type: ignore[call-arg]
    """A technician asks for more time on a job through the foreman (超时申请, process §5)."""

    __tablename__ = "overrun_request"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    order_id: uuid.UUID = Field(foreign_key="workshop_order.order_id", index=True)
    job_id: uuid.UUID = Field(foreign_key="job.id", index=True)
    reason: str = Field(max_length=500)
    extra_hours: Decimal = Field(sa_column=money_column())
    promised_before: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    new_promised_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    requested_by: str = Field(max_length=60)
    requested_at: datetime = Field(sa_column=utc_column())
    status: OverrunStatus = Field(
        default=OverrunStatus.REQUESTED, sa_column=enum_column(OverrunStatus, index=True)
    )
    decided_by: str | None = Field(default=None, max_length=60)
    decided_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    refusal_reason: str | None = Field(default=None, max_length=500)
    customer_informed_by: str | None = Field(default=None, max_length=60)
    customer_informed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class ProgressReport(WorkshopTable, table=True):  # type: ignore[call-arg]
    """The evening report on a car kept overnight: done, remaining, expected completion."""

    __tablename__ = "progress_report"
    __table_args__ = (UniqueConstraint("order_id", "day", name="uq_progress_report_order_day"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    order_id: uuid.UUID = Field(foreign_key="workshop_order.order_id", index=True)
    day: date = Field(index=True, description="the station's local day of the evening")
    due_at: datetime = Field(sa_column=utc_column())
    status: ProgressReportStatus = Field(
        default=ProgressReportStatus.DUE, sa_column=enum_column(ProgressReportStatus, index=True)
    )
    work_done: str | None = Field(default=None, max_length=2000)
    work_remaining: str | None = Field(default=None, max_length=2000)
    expected_completion_at: datetime | None = Field(
        default=None, sa_column=utc_column(nullable=True)
    )
    reported_by: str | None = Field(default=None, max_length=60)
    reported_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class TechnicalBulletin(WorkshopTable, table=True):  # type: ignore[call-arg]
    """A manufacturer's service bulletin or technical note kept in the station's library."""

    __tablename__ = "technical_bulletin"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    number: str = Field(max_length=40, description="the manufacturer's bulletin number")
    title: str = Field(max_length=200)
    make: str = Field(max_length=40, index=True)
    model: str | None = Field(default=None, max_length=60)
    symptom: str = Field(max_length=1000)
    fault_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    remedy: str = Field(max_length=4000)
    document_url: str | None = Field(default=None, max_length=500)
    issued_on: date | None = None
    created_by: str = Field(max_length=60)
    created_at: datetime = Field(sa_column=utc_column())


class TacCase(WorkshopTable, table=True):  # type: ignore[call-arg]
    """A fault escalated to the manufacturer's technical support centre (TAC) with its data."""

    __tablename__ = "tac_case"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    station_id: str = Field(max_length=20, index=True)
    order_id: uuid.UUID = Field(foreign_key="workshop_order.order_id", index=True)
    job_id: uuid.UUID = Field(foreign_key="job.id", index=True)
    vin: str = Field(max_length=17)
    symptom: str = Field(max_length=2000)
    tried: str = Field(max_length=2000, description="what the station tried already")
    fault_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    status: TacCaseStatus = Field(
        default=TacCaseStatus.ESCALATED, sa_column=enum_column(TacCaseStatus, index=True)
    )
    escalated_by: str = Field(max_length=60)
    escalated_at: datetime = Field(sa_column=utc_column())
    tac_reference: str | None = Field(default=None, max_length=60)
    answer: str | None = Field(default=None, max_length=4000)
    answered_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    answer_recorded_by: str | None = Field(default=None, max_length=60)
    outcome: str | None = Field(default=None, max_length=2000)
    closed_by: str | None = Field(default=None, max_length=60)
    closed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


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
    """The technician finishes the job: clocks off (if on) and hands it to the inspector."""

    clocked_hours: Decimal = pydantic.Field(
        default=Decimal("0"),
        ge=0,
        max_digits=6,
        decimal_places=2,
        description="hours worked without the clock terminal, added to the clocked time",
        examples=["0", "1.1"],
    )


class JobDispatch(InputModel):
    """The foreman hands the car, keys and job to a technician or a team (派工): give
    ``technician_id``, ``team_id``, or both (a member of the team who answers for it)."""

    technician_id: str | None = pydantic.Field(
        default=None,
        min_length=1,
        max_length=60,
        description="the technician; with team_id, the member who answers for the team's job",
        examples=["tech.bj01"],
    )
    team_id: uuid.UUID | None = pydantic.Field(
        default=None,
        description="the team (班组): its leader or any member clocks on",
        examples=["6c1f3b0e-2d2a-5c55-9a1e-3f1b7d0a0001"],
    )
    received_by: str = pydantic.Field(
        min_length=1,
        max_length=60,
        description="who received car and keys (signs the hand-over)",
        examples=["tech.bj01"],
    )
    handed_over_at: AwareDatetime | None = pydantic.Field(
        default=None, description="defaults to now; recorded to ten minutes"
    )
    bay_id: str | None = pydantic.Field(default=None, max_length=40, examples=["bj01-L1"])
    version: int | None = pydantic.Field(
        default=None, description="the job version you saw: 409 if it changed since"
    )


class ClockOff(InputModel):
    """Clock off without finishing: a pause, with its reason."""

    reason: str = pydantic.Field(
        min_length=1, max_length=200, examples=["lunch break", "waiting for the lift"]
    )


class SuggestedLineInput(InputModel):
    """A line the technician suggests for the finding (the advisor prices and agrees it)."""

    kind: LineKind
    code: str = pydantic.Field(min_length=1, max_length=40, examples=["BRK-020"])
    description: str = pydantic.Field(min_length=1, max_length=200, examples=["更换后刹车盘"])
    quantity: Decimal = pydantic.Field(default=Decimal("1"), gt=0, max_digits=10, decimal_places=3)
    hours: Decimal | None = pydantic.Field(default=None, ge=0, max_digits=6, decimal_places=2)
    unit_price: Decimal | None = pydantic.Field(default=None, ge=0, max_digits=12, decimal_places=2)

    def to_contract(self) -> SuggestedLine:
        return SuggestedLine(**self.model_dump())


class FindingReport(InputModel):
    """Additional work the technician found (追加维修项目)."""

    description: str = pydantic.Field(
        min_length=1, max_length=1000, examples=["rear brake discs worn below limit"]
    )
    safety_relevant: bool = False
    suggested_lines: list[SuggestedLineInput] = pydantic.Field(default_factory=list)
    photos: list[str] = pydantic.Field(
        default_factory=list, max_length=20, examples=[["https://photos.example/f1.jpg"]]
    )
    estimated_delay_minutes: int = pydantic.Field(default=0, ge=0, le=10_000)


class FindingPublic(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID
    job_id: uuid.UUID
    description: str
    safety_relevant: bool
    suggested_lines: list[dict[str, Any]]
    photos: list[str]
    estimated_delay_minutes: int
    reported_by: str
    reported_at: datetime
    status: FindingStatus
    answered_at: datetime | None
    answer_recorded_by: str | None
    workshop_told: str | None


class ChecklistItem(InputModel):
    item: str = pydantic.Field(min_length=1, max_length=100, examples=["brake pedal travel"])
    ok: bool


class FailedJob(InputModel):
    job_id: uuid.UUID
    reason: str = pydantic.Field(min_length=1, max_length=500, examples=["pads squeal"])


class InspectionResult(InputModel):
    """The inspector's verdict on an order's finished work (竣工检验 + 路试)."""

    checklist: list[ChecklistItem] = pydantic.Field(min_length=1)
    road_test: bool = False
    road_test_note: str | None = pydantic.Field(default=None, max_length=500)
    failed_jobs: list[FailedJob] = pydantic.Field(
        default_factory=list, description="empty: passed; else each job goes back with its reason"
    )
    technical_lead_id: str | None = pydantic.Field(
        default=None,
        max_length=60,
        description="who checked a comeback repair with the inspector (process §6)",
        examples=["tech.bj01"],
    )


class InspectionPublic(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID
    inspector_id: str
    passed: bool
    checklist: list[dict[str, Any]]
    road_test: bool
    road_test_note: str | None
    failures: list[dict[str, Any]]
    at: datetime
    technical_lead_id: str | None = None


class ClockEntryPublic(BaseModel):
    id: uuid.UUID
    job_id: uuid.UUID
    technician_id: str
    started_at: datetime
    ended_at: datetime | None
    hours: Decimal | None
    pause_reason: str | None


class PartUsedPublic(BaseModel):
    part_no: str
    quantity: Decimal


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
    bay_id: str | None
    promised_at: datetime | None
    inspection_required: bool
    rework_count: int
    handed_over_at: datetime | None
    received_by: str | None
    version: int
    created_at: datetime
    completed_at: datetime | None
    finding_id: uuid.UUID | None = None
    tac_case_id: uuid.UUID | None = pydantic.Field(
        default=None, description="set while the job waits for the manufacturer's TAC"
    )
    team_id: uuid.UUID | None = pydantic.Field(
        default=None, description="the team (班组) the job is dispatched to"
    )
    parts: list[JobPartPublic] = []
    parts_used: list[PartUsedPublic] = []
    suggested_technician_id: str | None = None
    team_name: str | None = pydantic.Field(default=None, description="the team's name")


class JobsPublic(BaseModel):
    data: list[JobPublic]
    count: int


class TechnicianPublic(BaseModel):
    id: str
    station_id: str
    name: str
    skills: list[str]
    certification_level: int
    daily_hours: Decimal
    working_days: list[int]
    active: bool


class TechniciansPublic(BaseModel):
    data: list[TechnicianPublic]
    count: int


class TechnicianCreate(InputModel):
    """A technician of the station (the id is their sign-in)."""

    technician_id: str = pydantic.Field(
        min_length=1, max_length=60, description="their sign-in", examples=["tech.bj01.3"]
    )
    station_id: str | None = pydantic.Field(default=None, examples=["bj01"])
    name: str = pydantic.Field(min_length=1, max_length=120, examples=["陈 电工技师"])
    skills: list[Literal["mechanical", "electrical", "body", "paint", "diagnosis"]] = (
        pydantic.Field(min_length=1, examples=[["electrical", "diagnosis"]])
    )
    certification_level: int = pydantic.Field(default=1, ge=1, le=4)
    daily_hours: Decimal = pydantic.Field(
        default=Decimal("8"), gt=0, le=24, max_digits=4, decimal_places=2
    )
    working_days: list[int] = pydantic.Field(
        default=[1, 2, 3, 4, 5, 6], min_length=1, description="ISO weekdays, 1 = Monday"
    )

    @pydantic.field_validator("working_days")
    @classmethod
    def _weekdays(cls, days: list[int]) -> list[int]:
        if any(day < 1 or day > 7 for day in days):
            raise ValueError("weekdays are 1 (Monday) to 7 (Sunday)")
        return sorted(set(days))


Skill = Literal["mechanical", "electrical", "body", "paint", "diagnosis"]


def _distinct_ids(ids: list[str]) -> list[str]:
    cleaned = [i.strip() for i in ids]
    if any(not i or len(i) > 60 for i in cleaned):
        raise ValueError("a member is a technician's sign-in (1 to 60 characters)")
    if len(set(cleaned)) != len(cleaned):
        raise ValueError("a member is named once")
    return cleaned


class TeamCreate(InputModel):
    """A team (班组) of the station: name, the skills it covers, its leader and members."""

    station_id: str | None = pydantic.Field(default=None, examples=["bj01"])
    name: str = pydantic.Field(min_length=1, max_length=80, examples=["机电一班"])
    skills: list[Skill] = pydantic.Field(
        min_length=1, max_length=5, examples=[["mechanical", "electrical", "diagnosis"]]
    )
    leader_id: str = pydantic.Field(
        min_length=1, max_length=60, description="a member who leads it", examples=["tech.bj01"]
    )
    member_ids: list[str] = pydantic.Field(
        min_length=1,
        max_length=50,
        description="its technicians, the leader among them (each in one team at a time)",
        examples=[["tech.bj01", "tech.bj01.2"]],
    )

    _members = pydantic.field_validator("member_ids")(_distinct_ids)


class TeamChange(InputModel):
    """Rename a team, change its skills, leader or members (the whole list); what is not
    given stays."""

    name: str | None = pydantic.Field(default=None, min_length=1, max_length=80)
    skills: list[Skill] | None = pydantic.Field(
        default=None, min_length=1, max_length=5, examples=[["body", "paint"]]
    )
    leader_id: str | None = pydantic.Field(
        default=None, min_length=1, max_length=60, examples=["tech.bj01.body"]
    )
    member_ids: list[str] | None = pydantic.Field(
        default=None, min_length=1, max_length=50, examples=[["tech.bj01.body", "tech.bj01.paint"]]
    )
    version: int | None = pydantic.Field(
        default=None, description="the team version you saw: 409 if it changed since"
    )

    _members = pydantic.field_validator("member_ids")(
        lambda ids: None if ids is None else _distinct_ids(ids)
    )


class TeamPublic(BaseModel):
    id: uuid.UUID
    station_id: str
    name: str
    skills: list[str]
    leader_id: str
    member_ids: list[str]
    active: bool
    version: int
    created_by: str
    created_at: datetime
    dissolved_at: datetime | None


class TeamsPublic(BaseModel):
    data: list[TeamPublic]
    count: int


class AbsenceCreate(InputModel):
    first_day: date
    last_day: date
    reason: str = pydantic.Field(min_length=1, max_length=200, examples=["annual leave"])

    @pydantic.model_validator(mode="after")
    def _ordered(self) -> AbsenceCreate:
        if self.last_day < self.first_day:
            raise ValueError("last_day is before first_day")
        return self


class AbsencePublic(BaseModel):
    id: uuid.UUID
    technician_id: str
    first_day: date
    last_day: date
    reason: str


class BayPublic(BaseModel):
    id: str
    station_id: str
    name: str
    kind: str
    active: bool


class BaysPublic(BaseModel):
    data: list[BayPublic]
    count: int


class CapacityRequest(InputModel):
    day: date
    station_id: str | None = pydantic.Field(default=None, examples=["bj01"])


class CapacityPublic(BaseModel):
    station_id: str
    day: date
    available_hours: Decimal
    booked_hours: Decimal
    bays: int
    technicians: int


class WorkshopOrderPublic(BaseModel):
    """An order as the workshop follows it, from ``order.created`` to ``vehicle.completed``."""

    order_id: uuid.UUID
    station_id: str
    order_no: str
    vin: str
    complaint: str
    promised_at: datetime | None
    status: WorkshopOrderStatus
    inspection_required: bool
    comeback_of: uuid.UUID | None = pydantic.Field(description="the earlier order it came back on")
    comeback_technician_id: str | None
    inspection_id: uuid.UUID | None
    received_at: datetime
    completed_at: datetime | None
    category: OrderCategory = OrderCategory.REPAIR
    roadside_call_id: uuid.UUID | None = pydantic.Field(
        default=None, description="the roadside call whose towed-in car this order repairs"
    )
    jobs: list[JobPublic]


class BoardColumn(BaseModel):
    status: JobStatus
    count: int
    jobs: list[JobPublic]


class BoardTeam(BaseModel):
    """A team on the board: who is in it and present today, and the hours it still carries."""

    id: uuid.UUID
    name: str
    skills: list[str]
    leader_id: str
    member_ids: list[str]
    present_ids: list[str] = pydantic.Field(description="members working today, not absent")
    load_hours: Decimal = pydantic.Field(
        description="sold hours not yet clocked of the open jobs dispatched to the team"
    )


class BoardPublic(BaseModel):
    """The foreman's dispatch board (调度看板): open jobs by state, with suggestions."""

    station_id: str
    columns: list[BoardColumn]
    done_today: int = pydantic.Field(description="jobs done since the station's local midnight")
    teams: list[BoardTeam] = []


class TechnicianHours(BaseModel):
    technician_id: str
    sold_hours: Decimal
    clocked_hours: Decimal
    available_hours: Decimal
    efficiency: Decimal | None
    productivity: Decimal | None
    jobs: int
    comebacks: int
    rework: int


class KpisPublic(BaseModel):
    """Workshop measures (process: KPIs) for a station and period."""

    station_id: str
    period: Literal["day", "month"]
    first_day: date
    last_day: date
    sold_hours: Decimal
    clocked_hours: Decimal
    available_hours: Decimal
    efficiency: Decimal | None = pydantic.Field(description="sold / clocked hours")
    productivity: Decimal | None = pydantic.Field(description="clocked / available hours")
    orders_completed: int
    on_time: int
    on_time_rate: Decimal | None = pydantic.Field(description="completed by the promised time")
    comebacks: int
    first_time_fix_rate: Decimal | None
    rework_count: int = pydantic.Field(description="jobs sent back by the final inspection")
    technicians: list[TechnicianHours]


class RoadsideCallCreate(InputModel):
    """A breakdown call taken by phone."""

    station_id: str | None = pydantic.Field(default=None, examples=["bj01"])
    caller_name: str = pydantic.Field(min_length=1, max_length=120, examples=["张伟"])
    phone: str = pydantic.Field(min_length=5, max_length=30, examples=["13800000001"])
    vin: str | None = pydantic.Field(
        default=None, min_length=17, max_length=17, examples=["LFV2A21K7G3000001"]
    )
    plate: str | None = pydantic.Field(default=None, max_length=20, examples=["京A12345"])
    location: str = pydantic.Field(
        min_length=1, max_length=300, examples=["京承高速 K23 northbound, hard shoulder"]
    )
    symptom: str = pydantic.Field(
        min_length=1, max_length=1000, examples=["engine stalled, will not restart"]
    )

    @pydantic.model_validator(mode="after")
    def _identified(self) -> RoadsideCallCreate:
        if not self.vin and not self.plate:
            raise ValueError("give the car's vin or plate")
        return self


class RoadsideDispatch(InputModel):
    technician_id: str = pydantic.Field(min_length=1, max_length=60, examples=["tech.bj01"])
    service_vehicle: str = pydantic.Field(
        min_length=1, max_length=40, examples=["京B-R0001 救援车"]
    )


class RoadsideStep(InputModel):
    """When it happened (defaults to now)."""

    at: AwareDatetime | None = None


class RoadsideFinish(InputModel):
    outcome: RoadsideOutcome
    note: str | None = pydantic.Field(default=None, max_length=1000, examples=["fuel pump fuse"])
    at: AwareDatetime | None = None


class RoadsideCallPublic(BaseModel):
    id: uuid.UUID
    station_id: str
    caller_name: str
    phone: str
    vin: str | None
    plate: str | None
    location: str
    symptom: str
    status: RoadsideStatus
    received_by: str
    received_at: datetime
    technician_id: str | None
    service_vehicle: str | None
    dispatched_at: datetime | None
    arrived_at: datetime | None
    finished_at: datetime | None
    outcome_note: str | None
    order_id: uuid.UUID | None
    response_minutes: int | None = pydantic.Field(description="from the call to arrival")


class RoadsideCallsPublic(BaseModel):
    data: list[RoadsideCallPublic]
    count: int


# --- overruns, progress reports, technical assistance -----------------------------------


class OverrunRequestCreate(InputModel):
    """More time for a job: why, how many hours more, and the new promised time if it moves."""

    reason: str = pydantic.Field(
        min_length=1, max_length=500, examples=["seized caliper bolts, drilling them out"]
    )
    extra_hours: Decimal = pydantic.Field(
        gt=0, le=100, max_digits=6, decimal_places=2, examples=["1.5"]
    )
    new_promised_at: AwareDatetime | None = pydantic.Field(
        default=None, description="the new promised completion; absent: the promise still holds"
    )


class OverrunDecision(InputModel):
    """The foreman approves or refuses a request for more time."""

    approved: bool
    reason: str | None = pydantic.Field(
        default=None, max_length=500, description="required when refusing"
    )

    @pydantic.model_validator(mode="after")
    def _refusal_explained(self) -> OverrunDecision:
        if not self.approved and not (self.reason or "").strip():
            raise ValueError("say why the request is refused (reason)")
        return self


class OverrunRequestPublic(BaseModel):
    id: uuid.UUID
    station_id: str
    order_id: uuid.UUID
    job_id: uuid.UUID
    reason: str
    extra_hours: Decimal
    promised_before: datetime | None
    new_promised_at: datetime | None
    requested_by: str
    requested_at: datetime
    status: OverrunStatus
    decided_by: str | None
    decided_at: datetime | None
    refusal_reason: str | None
    customer_informed_by: str | None
    customer_informed_at: datetime | None


class OverrunRequestsPublic(BaseModel):
    data: list[OverrunRequestPublic]
    count: int


class ProgressReportEntry(InputModel):
    """The evening progress report of a car kept overnight."""

    work_done: str = pydantic.Field(min_length=1, max_length=2000, examples=["engine opened"])
    work_remaining: str = pydantic.Field(
        min_length=1, max_length=2000, examples=["replace head gasket, reassemble, road test"]
    )
    expected_completion_at: AwareDatetime


class ProgressReportPublic(BaseModel):
    id: uuid.UUID
    station_id: str
    order_id: uuid.UUID
    order_no: str | None = None
    day: date
    due_at: datetime
    status: ProgressReportStatus
    work_done: str | None
    work_remaining: str | None
    expected_completion_at: datetime | None
    reported_by: str | None
    reported_at: datetime | None


class ProgressReportsPublic(BaseModel):
    data: list[ProgressReportPublic]
    count: int


def _fault_codes(codes: list[str]) -> list[str]:
    for code in codes:
        if not code.strip() or len(code) > 20:
            raise ValueError(f"fault code {code!r} is not a tester code (1 to 20 characters)")
    return codes


class BulletinCreate(InputModel):
    """A manufacturer's service bulletin or technical note for the library."""

    station_id: str | None = pydantic.Field(default=None, examples=["bj01"])
    number: str = pydantic.Field(min_length=1, max_length=40, examples=["TPI 2045123/3"])
    title: str = pydantic.Field(
        min_length=1, max_length=200, examples=["DSG 换挡冲击: 更新变速箱软件"]
    )
    make: str = pydantic.Field(min_length=1, max_length=40, examples=["FAW-VW"])
    model: str | None = pydantic.Field(default=None, max_length=60, examples=["Sagitar"])
    symptom: str = pydantic.Field(min_length=1, max_length=1000, examples=["换挡冲击"])
    fault_codes: list[str] = pydantic.Field(default_factory=list, max_length=30)
    remedy: str = pydantic.Field(min_length=1, max_length=4000)
    document_url: str | None = pydantic.Field(default=None, max_length=500)
    issued_on: date | None = None

    _codes = pydantic.field_validator("fault_codes")(_fault_codes)


class BulletinPublic(BaseModel):
    id: uuid.UUID
    station_id: str
    number: str
    title: str
    make: str
    model: str | None
    symptom: str
    fault_codes: list[str]
    remedy: str
    document_url: str | None
    issued_on: date | None
    created_by: str
    created_at: datetime


class BulletinsPublic(BaseModel):
    data: list[BulletinPublic]
    count: int


class TacEscalation(InputModel):
    """A fault the station cannot solve, with the case data TAC asks for."""

    symptom: str = pydantic.Field(
        min_length=1, max_length=2000, examples=["intermittent stall at idle when warm"]
    )
    tried: str = pydantic.Field(
        min_length=1,
        max_length=2000,
        examples=["throttle body cleaned, ECU updated to latest, fuel pressure 4.0 bar ok"],
    )
    fault_codes: list[str] = pydantic.Field(default_factory=list, max_length=30)
    tac_reference: str | None = pydantic.Field(
        default=None, max_length=60, description="the case number TAC gave, if any"
    )

    _codes = pydantic.field_validator("fault_codes")(_fault_codes)


class TacAnswer(InputModel):
    answer: str = pydantic.Field(min_length=1, max_length=4000)
    tac_reference: str | None = pydantic.Field(default=None, max_length=60)


class TacClosing(InputModel):
    outcome: str = pydantic.Field(
        min_length=1, max_length=2000, examples=["fixed with the TAC procedure"]
    )


class TacCasePublic(BaseModel):
    id: uuid.UUID
    station_id: str
    order_id: uuid.UUID
    job_id: uuid.UUID
    vin: str
    symptom: str
    tried: str
    fault_codes: list[str]
    status: TacCaseStatus
    escalated_by: str
    escalated_at: datetime
    tac_reference: str | None
    answer: str | None
    answered_at: datetime | None
    answer_recorded_by: str | None
    outcome: str | None
    closed_by: str | None
    closed_at: datetime | None


class TacCasesPublic(BaseModel):
    data: list[TacCasePublic]
    count: int
