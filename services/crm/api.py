"""CRM's HTTP routes: thin, they translate and call a use case."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import AwareDatetime

from services.crm import service
from services.crm.models import (
    AuditEntriesPublic,
    CampaignCreate,
    CampaignDone,
    CampaignPublic,
    CampaignsPublic,
    CampaignVehiclesAdd,
    ChurnReport,
    ComplaintAnswer,
    ComplaintCreate,
    ComplaintPublic,
    ComplaintsPublic,
    ComplaintStatus,
    ContactPersonCreate,
    ContactPlanMonthsPublic,
    ContactPlanPublic,
    CsiGroup,
    CsiReport,
    CsiSurveyCreate,
    CsiSurveyPublic,
    CustomerDetailPublic,
    CustomerMerge,
    CustomersPublic,
    CustomerUpdate,
    DuplicatesPublic,
    EnquiryCreate,
    EnquiryPublic,
    EscalationAcknowledge,
    EscalationLevel,
    EscalationPublic,
    EscalationsPublic,
    FollowUpAssign,
    FollowUpDetailPublic,
    FollowUpKind,
    FollowUpOutcome,
    FollowUpsPublic,
    FollowUpStatus,
    FollowUpSummary,
    OpenCampaignsPublic,
    OutreachPublic,
    ReminderState,
    ServiceRemindersPublic,
)
from shared.app import RuntimeDep
from shared.auth import MANAGERS, Principal, Role, require_role
from shared.db import utcnow
from shared.errors import DomainError
from shared.scoping import Limit, Offset

customers = APIRouter(prefix="/customers", tags=["customer files"])
enquiries = APIRouter(prefix="/enquiries", tags=["customer files"])
followups = APIRouter(prefix="/follow-ups", tags=["follow-up calls"])
complaints = APIRouter(prefix="/complaints", tags=["complaints"])
care = APIRouter(tags=["reminders, CSI, contact plan, churn"])
campaigns = APIRouter(tags=["campaigns and recalls"])
audit = APIRouter(prefix="/audit", tags=["audit"])
escalations = APIRouter(prefix="/escalations", tags=["escalations"])

#: who may look into customer files (personal data: every read is logged)
file_reader = require_role(Role.CRM_AGENT, Role.SERVICE_ADVISOR, *MANAGERS)
file_editor = require_role(Role.CRM_AGENT, *MANAGERS)
agent = require_role(Role.CRM_AGENT, *MANAGERS)
managers = require_role(*MANAGERS)
#: reception checks open campaigns at check-in
check_in_desk = require_role(Role.SERVICE_ADVISOR, Role.CRM_AGENT, *MANAGERS)


def _limit(limit: int) -> int:
    return max(1, min(limit, 200))


def _offset(offset: int) -> int:
    """Paging from 0 up to a billion rows (beyond that a database integer overflows)."""
    return max(0, min(offset, 1_000_000_000))


def _utc(moment: AwareDatetime | None, field: str) -> datetime | None:
    """A query time in UTC; one beyond the calendar's end names its field."""
    if moment is None:
        return None
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:
        raise DomainError("that time is out of range", field=field) from exc


# --- customer files ----------------------------------------------------------------------


@customers.get("", response_model=CustomersPublic)
async def list_customers(
    runtime: RuntimeDep,
    phone: str | None = None,
    name: str | None = None,
    vin: str | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
    user: Principal = Depends(file_reader),
) -> CustomersPublic:
    """Search customer files by phone, name or VIN; each file listed is logged as read."""
    async with runtime.db.transaction() as session:
        return await service.list_customers(
            session,
            user,
            phone=phone,
            name=name,
            vin=vin,
            offset=_offset(offset),
            limit=_limit(limit),
        )


@enquiries.post("", response_model=EnquiryPublic, status_code=201)
async def log_enquiry(
    runtime: RuntimeDep, data: EnquiryCreate, user: Principal = Depends(file_reader)
) -> EnquiryPublic:
    """Log a phone or desk enquiry without a repair order; it opens a customer file when
    the customer has none (phone normalised to +86); logged as a change."""
    async with runtime.db.transaction() as session:
        return await service.log_enquiry(session, user, data)


@customers.get("/duplicates", response_model=DuplicatesPublic)
async def find_duplicates(
    runtime: RuntimeDep, user: Principal = Depends(file_editor)
) -> DuplicatesPublic:
    """Files that are probably one customer (same phone or same VIN); logged as read."""
    async with runtime.db.transaction() as session:
        return await service.find_duplicates(session, user)


@customers.get("/{customer_id}", response_model=CustomerDetailPublic)
async def get_customer(
    runtime: RuntimeDep, customer_id: uuid.UUID, user: Principal = Depends(file_reader)
) -> CustomerDetailPublic:
    """The customer's file: contacts, vehicles with mileage history, visits with the work,
    settlement total, complaints and declined work; logged as read."""
    async with runtime.db.transaction() as session:
        return await service.get_customer(session, user, customer_id)


@customers.patch("/{customer_id}", response_model=CustomerDetailPublic)
async def update_customer(
    runtime: RuntimeDep,
    customer_id: uuid.UUID,
    data: CustomerUpdate,
    user: Principal = Depends(file_editor),
) -> CustomerDetailPublic:
    """Correct the file (phone normalised to +86, e-mail checked, consent); logged."""
    async with runtime.db.transaction() as session:
        return await service.update_customer(session, user, customer_id, data)


@customers.post("/{customer_id}/contacts", response_model=CustomerDetailPublic, status_code=201)
async def add_contact(
    runtime: RuntimeDep,
    customer_id: uuid.UUID,
    data: ContactPersonCreate,
    user: Principal = Depends(file_editor),
) -> CustomerDetailPublic:
    """Add a contact person to the file (a company's fleet manager, a driver); logged."""
    async with runtime.db.transaction() as session:
        return await service.add_contact(session, user, customer_id, data)


@customers.post("/{customer_id}/merge", response_model=CustomerDetailPublic)
async def merge_customers(
    runtime: RuntimeDep,
    customer_id: uuid.UUID,
    data: CustomerMerge,
    user: Principal = Depends(file_editor),
) -> CustomerDetailPublic:
    """Merge a duplicate file into this one; both files' changes are logged."""
    async with runtime.db.transaction() as session:
        return await service.merge_customers(session, user, customer_id, data)


# --- follow-up calls ----------------------------------------------------------------------


@followups.get("", response_model=FollowUpsPublic)
async def list_followups(
    runtime: RuntimeDep,
    status: FollowUpStatus | None = None,
    kind: FollowUpKind | None = None,
    agent_id: str | None = None,
    mine: bool = False,
    escalated: bool | None = None,
    callable_now: bool = False,
    further_work: bool | None = None,
    month: str | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
    user: Principal = Depends(agent),
) -> FollowUpsPublic:
    """The follow-up calls (回访) of the user's stations, the oldest deadline first;
    ``mine=true`` is the caller's own queue, ``callable_now=true`` only the calls open and
    past any retry pause, ``escalated=true`` the manager's list, ``further_work=true`` the
    needs for more work the calls revealed (for the supervisor); ``month=2026-11`` the calls
    closed in that month (with ``further_work=true``: the month's customer needs, §8)."""
    async with runtime.db.read() as session:
        return await service.list_followups(
            session,
            user,
            status=status,
            kind=kind,
            agent_id=user.user_id if mine else agent_id,
            escalated=escalated,
            callable_now=callable_now,
            further_work=further_work,
            month=month,
            offset=_offset(offset),
            limit=_limit(limit),
        )


@followups.get("/summary", response_model=FollowUpSummary)
async def followup_summary(
    runtime: RuntimeDep,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    user: Principal = Depends(managers),
) -> FollowUpSummary:
    """Follow-up results per station for the managers' weekly summary (default: the last
    7 days): 72-hour calls done in time (KPI), expired, unreachable, (dis)satisfied,
    escalations and complaints."""
    end = _utc(until, "until") or utcnow()
    try:
        start = _utc(since, "since") or end - timedelta(days=7)
    except OverflowError as exc:
        raise DomainError("until is too early", field="until") from exc
    async with runtime.db.read() as session:
        return await service.followup_summary(session, user, start, end)


@followups.get("/{followup_id}", response_model=FollowUpDetailPublic)
async def get_followup(
    runtime: RuntimeDep, followup_id: uuid.UUID, user: Principal = Depends(agent)
) -> FollowUpDetailPublic:
    """One call with its log of attempts (date, time, content)."""
    async with runtime.db.read() as session:
        return await service.get_followup(session, user, followup_id)


@followups.post("/{followup_id}/assignment", response_model=FollowUpDetailPublic)
async def assign_followup(
    runtime: RuntimeDep,
    followup_id: uuid.UUID,
    data: FollowUpAssign,
    user: Principal = Depends(agent),
) -> FollowUpDetailPublic:
    """Put the call in an agent's queue (the caller's own when no agent is named)."""
    async with runtime.db.transaction() as session:
        return await service.assign_followup(session, user, followup_id, data)


@followups.post("/{followup_id}/outcome", response_model=FollowUpDetailPublic)
async def record_outcome(
    runtime: RuntimeDep,
    followup_id: uuid.UUID,
    data: FollowUpOutcome,
    user: Principal = Depends(agent),
) -> FollowUpDetailPublic:
    """Log a call: not reached (retried later, up to 3 attempts), reached, satisfied or
    dissatisfied (escalated to the service manager at once; ``complaint=true`` opens a
    complaint and publishes ``complaint.opened``). A closed call answers 409."""
    async with runtime.unit_of_work() as uow:
        return await service.record_outcome(uow, user, followup_id, data)


# --- complaints ------------------------------------------------------------------------


@complaints.post("", response_model=ComplaintPublic, status_code=201)
async def open_complaint(
    runtime: RuntimeDep, data: ComplaintCreate, user: Principal = Depends(file_editor)
) -> ComplaintPublic:
    """Log a complaint from any channel; serious ones are escalated at once, others when
    the promised answer time passes. Publishes ``complaint.opened``."""
    async with runtime.unit_of_work() as uow:
        return await service.open_complaint(uow, user, data)


@complaints.get("", response_model=ComplaintsPublic)
async def list_complaints(
    runtime: RuntimeDep,
    status: ComplaintStatus | None = None,
    escalated: bool | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
    user: Principal = Depends(agent),
) -> ComplaintsPublic:
    """Complaints of the user's stations, the earliest promised answer first (each one
    shown is logged as read)."""
    async with runtime.db.transaction() as session:
        return await service.list_complaints(
            session,
            user,
            status=status,
            escalated=escalated,
            offset=_offset(offset),
            limit=_limit(limit),
        )


@complaints.get("/{complaint_id}", response_model=ComplaintPublic)
async def get_complaint(
    runtime: RuntimeDep, complaint_id: uuid.UUID, user: Principal = Depends(agent)
) -> ComplaintPublic:
    """One complaint; logged as read."""
    async with runtime.db.transaction() as session:
        return await service.get_complaint(session, user, complaint_id)


@complaints.post("/{complaint_id}/answer", response_model=ComplaintPublic)
async def answer_complaint(
    runtime: RuntimeDep,
    complaint_id: uuid.UUID,
    data: ComplaintAnswer,
    user: Principal = Depends(file_editor),
) -> ComplaintPublic:
    """Record the answer given and whether the customer accepted it (once); not accepted
    escalates it a level up (``complaint.escalated``)."""
    async with runtime.unit_of_work() as uow:
        return await service.answer_complaint(uow, user, complaint_id, data)


# --- the service manager's escalation inbox -----------------------------------------------


@escalations.get("", response_model=EscalationsPublic)
async def list_escalations(
    runtime: RuntimeDep,
    acknowledged: bool = False,
    level: EscalationLevel | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
    user: Principal = Depends(managers),
) -> EscalationsPublic:
    """The manager's inbox: dissatisfied follow-up calls and escalated complaints of the
    user's stations not yet acknowledged, the oldest first (``acknowledged=true``: done)."""
    async with runtime.db.read() as session:
        return await service.list_escalations(
            session,
            user,
            acknowledged=acknowledged,
            level=level,
            offset=_offset(offset),
            limit=_limit(limit),
        )


@escalations.post("/{escalation_id}/acknowledgement", response_model=EscalationPublic)
async def acknowledge_escalation(
    runtime: RuntimeDep,
    escalation_id: uuid.UUID,
    data: EscalationAcknowledge,
    user: Principal = Depends(managers),
) -> EscalationPublic:
    """The manager took it on (once; 409 after). A group-level one needs a group manager."""
    async with runtime.db.transaction() as session:
        return await service.acknowledge_escalation(session, user, escalation_id, data)


# --- reminders, CSI, contact plan, churn --------------------------------------------------


@care.get("/reminders", response_model=ServiceRemindersPublic)
async def list_reminders(
    runtime: RuntimeDep,
    vin: str | None = None,
    state: ReminderState | None = None,
    kind: Literal["maintenance", "appointment"] | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
    user: Principal = Depends(agent),
) -> ServiceRemindersPublic:
    """Next-maintenance and appointment reminders of the user's stations, the earliest due
    first (``kind`` "appointment": reception's appointments, reminded by CRM)."""
    async with runtime.db.read() as session:
        return await service.list_reminders(
            session,
            user,
            vin=vin,
            state=state,
            kind=kind,
            offset=_offset(offset),
            limit=_limit(limit),
        )


@care.post("/csi-surveys", response_model=CsiSurveyPublic, status_code=201)
async def record_csi(
    runtime: RuntimeDep, data: CsiSurveyCreate, user: Principal = Depends(agent)
) -> CsiSurveyPublic:
    """The customer's own 1–10 scores for a delivered order (overall, advisor, quality,
    on_time, value) and comment; one survey per order."""
    async with runtime.db.transaction() as session:
        return await service.record_csi(session, user, data)


@care.get("/csi", response_model=CsiReport)
async def csi_report(
    runtime: RuntimeDep,
    group_by: CsiGroup = CsiGroup.STATION,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    user: Principal = Depends(managers),
) -> CsiReport:
    """CSI (0–100) per station, advisor, month or quarter, of surveys answered in
    [since, until)."""
    start, end = _utc(since, "since"), _utc(until, "until")
    async with runtime.db.read() as session:
        return await service.csi_report(session, user, group_by, since=start, until=end)


@care.get("/contact-plan", response_model=ContactPlanPublic)
async def contact_plan(
    runtime: RuntimeDep,
    segment: str | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
    user: Principal = Depends(agent),
) -> ContactPlanPublic:
    """Customers not yet contacted this month (by segment: private, fleet, vip)."""
    async with runtime.db.transaction() as session:
        return await service.contact_plan(
            session, user, segment=segment, offset=_offset(offset), limit=_limit(limit)
        )


@care.get("/contact-plan/months", response_model=ContactPlanMonthsPublic)
async def contact_plan_months(
    runtime: RuntimeDep, month: str | None = None, user: Principal = Depends(managers)
) -> ContactPlanMonthsPublic:
    """Closed months (e.g. 2026-11): customers and how many were contacted, per station and
    segment (recorded by the scheduler when the month ends)."""
    async with runtime.db.read() as session:
        return await service.contact_plan_months(session, user, month)


@care.get("/churn", response_model=ChurnReport)
async def churn_report(
    runtime: RuntimeDep, quarter: str, user: Principal = Depends(managers)
) -> ChurnReport:
    """Customers lost in the quarter (e.g. 2026Q4) per station, against the 5 % target."""
    async with runtime.db.read() as session:
        return await service.churn_report(session, user, quarter)


# --- campaigns and recalls ------------------------------------------------------------------


@campaigns.post("/campaigns", response_model=CampaignPublic, status_code=201)
async def create_campaign(
    runtime: RuntimeDep, data: CampaignCreate, user: Principal = Depends(managers)
) -> CampaignPublic:
    """Register a manufacturer's campaign or recall with the VINs it affects; publishes
    ``campaign.launched`` (reception shows it at check-in) and reminds the owners who
    consent to contact (``reminder.due`` kind campaign)."""
    async with runtime.unit_of_work() as uow:
        return await service.create_campaign(uow, user, data)


@campaigns.post("/campaigns/{campaign_id}/vehicles", response_model=CampaignPublic)
async def add_campaign_vehicles(
    runtime: RuntimeDep,
    campaign_id: uuid.UUID,
    data: CampaignVehiclesAdd,
    user: Principal = Depends(managers),
) -> CampaignPublic:
    """Add VINs to a campaign: the new ones are published (``campaign.launched``) and their
    owners reminded; VINs already in it are left as they are."""
    async with runtime.unit_of_work() as uow:
        return await service.add_campaign_vehicles(uow, user, campaign_id, data)


@campaigns.get("/campaigns", response_model=CampaignsPublic)
async def list_campaigns(
    runtime: RuntimeDep, user: Principal = Depends(check_in_desk)
) -> CampaignsPublic:
    """Campaigns and recalls with how many vehicles are still open."""
    async with runtime.db.read() as session:
        return await service.list_campaigns(session)


@campaigns.get("/campaigns/{campaign_id}/outreach", response_model=OutreachPublic)
async def campaign_outreach(
    runtime: RuntimeDep, campaign_id: uuid.UUID, user: Principal = Depends(agent)
) -> OutreachPublic:
    """Open vehicles of the campaign owned by customers of the user's stations (logged)."""
    async with runtime.db.transaction() as session:
        return await service.campaign_outreach(session, user, campaign_id)


@campaigns.post("/campaigns/{campaign_id}/vehicles/{vin}/done", response_model=OpenCampaignsPublic)
async def complete_campaign_vehicle(
    runtime: RuntimeDep,
    campaign_id: uuid.UUID,
    vin: str,
    data: CampaignDone,
    user: Principal = Depends(check_in_desk),
) -> OpenCampaignsPublic:
    """The campaign's work was done on the vehicle; answers what is still open for it."""
    async with runtime.db.transaction() as session:
        return await service.complete_campaign_vehicle(session, campaign_id, vin, data)


@campaigns.get("/vehicles/{vin}/open-campaigns", response_model=OpenCampaignsPublic)
async def open_campaigns(
    runtime: RuntimeDep, vin: str, user: Principal = Depends(check_in_desk)
) -> OpenCampaignsPublic:
    """For reception at check-in: open campaigns and recalls for this VIN."""
    async with runtime.db.read() as session:
        return await service.open_campaigns(session, vin)


# --- audit --------------------------------------------------------------------------------


@audit.get("", response_model=AuditEntriesPublic)
async def list_audit(
    runtime: RuntimeDep,
    entity_id: str | None = None,
    user_id: str | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
    user: Principal = Depends(managers),
) -> AuditEntriesPublic:
    """Who read or changed which customer's data, newest first."""
    async with runtime.db.read() as session:
        return await service.list_audit(
            session,
            user,
            entity_id=entity_id,
            user_id=user_id,
            offset=_offset(offset),
            limit=_limit(limit),
        )


routers = [customers, enquiries, followups, complaints, escalations, care, campaigns, audit]
