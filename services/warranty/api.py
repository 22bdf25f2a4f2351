"""Warranty's HTTP routes: thin, they translate and call a use case."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import (
    APIRouter,
    Depends,
    Header,
    HTTPException,
    Path,
    Query,
    Request,
    Response,
    status,
)
from sqlalchemy.exc import IntegrityError

from services.warranty import service
from services.warranty.manufacturer import SIGNATURE_HEADER, signature_valid
from services.warranty.models import (
    AnswerDismissal,
    AnswerRedrive,
    ChargeBackRecord,
    ClaimHistoryPublic,
    ClaimStatus,
    ClaimSubmit,
    ClaimUpdate,
    CoverageCheckPublic,
    CoverageCheckRequest,
    FaultClassification,
    InboundAnswerPublic,
    InboundAnswersPublic,
    InboundState,
    KpiReportPublic,
    MaintenanceHistoryPublic,
    MaintenanceRecordIn,
    MaintenanceRecordPublic,
    ManufacturerAnswerIn,
    PoliciesPublic,
    PolicyCreate,
    PolicyPublic,
    PreAuthorisation,
    QualityReportPublic,
    ReturnedPartPublic,
    ReturnedPartsPublic,
    ReturnedPartStatus,
    ReturnRequest,
    SanbaoRecordPublic,
    SanbaoWarningsPublic,
    ScrapRelease,
    Shipment,
    ShortageLogsPublic,
    WarrantyClaimPublic,
    WarrantyClaimsPublic,
    WarrantyOrderPublic,
)
from services.warranty.settings import warranty_settings
from shared.app import RuntimeDep
from shared.auth import MANAGERS, Principal, Role, require_role
from shared.scoping import Limit, Offset

claims = APIRouter(prefix="/claims", tags=["warranty claims"])
policies = APIRouter(prefix="/policies", tags=["warranty policies"])
coverage = APIRouter(prefix="/coverage-checks", tags=["coverage"])
parts = APIRouter(prefix="/returned-parts", tags=["returned warranty parts"])
reports = APIRouter(tags=["reports"])
vehicles = APIRouter(prefix="/vehicles", tags=["三包 tracking"])
orders = APIRouter(prefix="/orders", tags=["coverage"])
inbound = APIRouter(prefix="/manufacturer", tags=["manufacturer answers"])

reader = require_role(Role.WARRANTY_ADMIN, Role.SERVICE_ADVISOR, *MANAGERS)
manager_reader = require_role(Role.WARRANTY_ADMIN, *MANAGERS)
admin = require_role(Role.WARRANTY_ADMIN)
policy_admin = require_role(Role.WARRANTY_ADMIN, Role.GROUP_MANAGER)

Reader = Annotated[Principal, Depends(reader)]
Vin = Annotated[str, Path(min_length=17, max_length=17, description="vehicle identification no.")]
ManagerReader = Annotated[Principal, Depends(manager_reader)]
Admin = Annotated[Principal, Depends(admin)]


# --- claims -----------------------------------------------------------------------------


@claims.get("", response_model=WarrantyClaimsPublic)
async def list_warranty_claims(
    runtime: RuntimeDep,
    user: Reader,
    status: ClaimStatus | None = None,
    order_id: uuid.UUID | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> WarrantyClaimsPublic:
    """Claims of the stations the user may see, newest first."""
    async with runtime.db.read() as session:
        return await service.list_claims(
            session, user, status=status, order_id=order_id, offset=offset, limit=limit
        )


@claims.get("/{claim_id}", response_model=WarrantyClaimPublic)
async def get_warranty_claim(
    runtime: RuntimeDep, claim_id: uuid.UUID, user: Reader
) -> WarrantyClaimPublic:
    """One claim with its lines and the problems to fix before it is submitted."""
    async with runtime.db.read() as session:
        return await service.get_claim(session, user, claim_id)


@claims.patch("/{claim_id}", response_model=WarrantyClaimPublic)
async def update_warranty_claim(
    runtime: RuntimeDep, claim_id: uuid.UUID, body: ClaimUpdate, user: Admin
) -> WarrantyClaimPublic:
    """Complete a draft (or a claim asked about or rejected): complaint/cause/correction,
    the causal part, fault codes, photos, notes for hours above the labour-time standard.
    Send the ``version`` read; a stale one answers 409."""
    async with runtime.unit_of_work() as uow:
        return await service.update_claim(uow, user, claim_id, body)


@claims.post("/{claim_id}/submission", response_model=WarrantyClaimPublic)
async def submit_warranty_claim(
    runtime: RuntimeDep, claim_id: uuid.UUID, body: ClaimSubmit, user: Admin
) -> WarrantyClaimPublic:
    """Submit (or resubmit) the claim to the manufacturer. Refused with the reasons while it
    has problems (no causal part, hours over the standard without a note, duplicate, past
    the deadline, a line outside coverage). Sending happens right after, with retries."""
    async with runtime.unit_of_work() as uow:
        return await service.submit_claim(uow, user, claim_id, body)


@claims.post("/{claim_id}/poll", response_model=WarrantyClaimPublic)
async def poll_warranty_claim(
    runtime: RuntimeDep, claim_id: uuid.UUID, user: Admin
) -> WarrantyClaimPublic:
    """Send a submission still pending and apply the manufacturer's answers due by now,
    without waiting for the scheduler."""
    async with runtime.unit_of_work() as uow:
        return await service.poll_claim(uow, user, claim_id)


@claims.post("/{claim_id}/charge-back", response_model=WarrantyClaimPublic)
async def record_warranty_charge_back(
    runtime: RuntimeDep, claim_id: uuid.UUID, body: ChargeBackRecord, user: Admin
) -> WarrantyClaimPublic:
    """Record the manufacturer's charge-back (索赔扣款) of a paid claim: the reason code and
    the amount taken back (at most what was paid). The claim becomes ``charged_back`` and
    ``claim.charged_back`` is announced. Send the ``version`` read; 409 unless paid."""
    async with runtime.unit_of_work() as uow:
        return await service.record_charge_back(uow, user, claim_id, body)


@claims.get("/{claim_id}/history", response_model=ClaimHistoryPublic)
async def warranty_claim_history(
    runtime: RuntimeDep, claim_id: uuid.UUID, user: Reader
) -> ClaimHistoryPublic:
    """Every submission (attempts, errors, the manufacturer's reference) and every answer."""
    async with runtime.db.read() as session:
        return await service.claim_history(session, user, claim_id)


# --- policies and coverage --------------------------------------------------------------


@policies.get("", response_model=PoliciesPublic)
async def list_warranty_policies(
    runtime: RuntimeDep, _user: Reader, make: str | None = None
) -> PoliciesPublic:
    """Every version of the manufacturers' policies (group-wide, not per station)."""
    async with runtime.db.read() as session:
        return await service.list_policies(session, make)


@policies.post("", response_model=PolicyPublic, status_code=201)
async def create_warranty_policy(
    runtime: RuntimeDep, body: PolicyCreate, _user: Annotated[Principal, Depends(policy_admin)]
) -> PolicyPublic:
    """Publish a new version of a make's (or one model's) policy, valid from a date after
    the previous version's; repairs before it stay judged by the older version."""
    async with runtime.db.transaction() as session:
        return await service.create_policy(session, body)


@coverage.post("", response_model=CoverageCheckPublic)
async def check_warranty_coverage(
    runtime: RuntimeDep, body: CoverageCheckRequest, user: Reader
) -> CoverageCheckPublic:
    """The pre-check at check-in: covered / not covered with the reason / needs the
    manufacturer's approval, per line, by the policy in force on the repair date with the
    national minimums on top; and the vehicle's 三包 warnings. Nothing is stored."""
    async with runtime.db.read() as session:
        return await service.check_coverage(session, user, body)


@vehicles.get("/{vin}/sanbao", response_model=SanbaoRecordPublic)
async def vehicle_sanbao_record(runtime: RuntimeDep, vin: str, user: Reader) -> SanbaoRecordPublic:
    """A vehicle's 三包 repairs: cumulative days, repairs per fault, courtesy-car
    obligations and warnings near a replacement/return threshold."""
    async with runtime.db.read() as session:
        return await service.sanbao_record(session, user, vin)


@vehicles.get("/{vin}/maintenance", response_model=MaintenanceHistoryPublic)
async def vehicle_maintenance_history(
    runtime: RuntimeDep, vin: Vin, user: Reader
) -> MaintenanceHistoryPublic:
    """A vehicle's maintenance history: the group's maintenance orders (counted once
    completed or delivered) and services done elsewhere recorded from the stamped booklet.
    The claim check judges missed maintenance on all of it, at every station."""
    async with runtime.db.read() as session:
        return await service.maintenance_history(session, user, vin)


@vehicles.post("/{vin}/maintenance", response_model=MaintenanceRecordPublic, status_code=201)
async def record_vehicle_maintenance(
    runtime: RuntimeDep, vin: Vin, body: MaintenanceRecordIn, user: Admin
) -> MaintenanceRecordPublic:
    """Record maintenance done outside the group, as stamped in the maintenance booklet
    (保养手册), with the evidence seen (stamp, invoice, photo). It counts for the
    missed-maintenance check of the vehicle's claims like the group's own services."""
    async with runtime.db.transaction() as session:
        return await service.record_booklet_maintenance(session, user, vin, body)


@reports.get("/sanbao-warnings", response_model=SanbaoWarningsPublic)
async def list_sanbao_warnings(
    runtime: RuntimeDep,
    user: Reader,
    vin: Annotated[str | None, Query(min_length=17, max_length=17)] = None,
    reached: bool | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> SanbaoWarningsPublic:
    """The 三包 warnings announced to reception (``sanbao.threshold_approached``) for the
    stations the user sees, newest first: the rule, reached or one step short, the count
    against the threshold, the fault and the remedy the customer may claim."""
    async with runtime.db.read() as session:
        return await service.list_sanbao_warnings(
            session, user, vin=vin, reached=reached, offset=offset, limit=limit
        )


@orders.get("/{order_id}", response_model=WarrantyOrderPublic)
async def get_warranty_order(
    runtime: RuntimeDep, order_id: uuid.UUID, user: Reader
) -> WarrantyOrderPublic:
    """A repair order's warranty lines and the coverage warranty answered for each."""
    async with runtime.db.read() as session:
        return await service.get_order(session, user, order_id)


@orders.post("/{order_id}/lines/{line_id}/pre-authorisation", response_model=WarrantyOrderPublic)
async def record_pre_authorisation(
    runtime: RuntimeDep,
    order_id: uuid.UUID,
    line_id: uuid.UUID,
    body: PreAuthorisation,
    user: Admin,
) -> WarrantyOrderPublic:
    """Record the manufacturer's prior authorisation (预授权) of a line that needed its
    approval, before the work starts: covered with the authorisation number, or not covered
    with the reason. Reception is told with a new ``coverage.checked``."""
    async with runtime.unit_of_work() as uow:
        return await service.record_pre_authorisation(uow, user, order_id, line_id, body)


@orders.post("/{order_id}/lines/{line_id}/fault-classification", response_model=WarrantyOrderPublic)
async def classify_line_fault(
    runtime: RuntimeDep,
    order_id: uuid.UUID,
    line_id: uuid.UUID,
    body: FaultClassification,
    user: Admin,
) -> WarrantyOrderPublic:
    """Set or correct the 三包 fault class of a warranty repair line (steering or brake
    failure, body cracking, fuel leak, traction-battery fire, other serious safety fault,
    engine / gearbox / traction battery / drive motor failure, other quality problem); who
    and when are kept. The vehicle's 三包 thresholds are judged again and a threshold newly
    reached or approached is announced (``sanbao.threshold_approached``)."""
    async with runtime.unit_of_work() as uow:
        return await service.classify_fault(uow, user, order_id, line_id, body)


# --- returned parts ---------------------------------------------------------------------


@parts.get("", response_model=ReturnedPartsPublic)
async def list_returned_parts(
    runtime: RuntimeDep,
    user: ManagerReader,
    status: ReturnedPartStatus | None = None,
    overdue: bool = False,
    claim_id: uuid.UUID | None = None,
) -> ReturnedPartsPublic:
    """The warranty-parts store; ``overdue=true``: asked back and not shipped by the deadline."""
    async with runtime.db.read() as session:
        return await service.list_returned_parts(
            session, user, status=status, overdue=overdue, claim_id=claim_id
        )


@parts.post("/{part_id}/return-request", response_model=ReturnedPartPublic)
async def request_part_return(
    runtime: RuntimeDep, part_id: uuid.UUID, body: ReturnRequest, user: Admin
) -> ReturnedPartPublic:
    """Record that the manufacturer asked for the part back; the deadline starts."""
    async with runtime.db.transaction() as session:
        return await service.request_part_return(session, user, part_id, body)


@parts.post("/{part_id}/shipment", response_model=ReturnedPartPublic)
async def ship_returned_part(
    runtime: RuntimeDep, part_id: uuid.UUID, body: Shipment, user: Admin
) -> ReturnedPartPublic:
    """The part left for the manufacturer (waybill)."""
    async with runtime.db.transaction() as session:
        return await service.ship_part(session, user, part_id, body)


@parts.post("/{part_id}/scrap", response_model=ReturnedPartPublic)
async def scrap_returned_part(
    runtime: RuntimeDep, part_id: uuid.UUID, body: ScrapRelease, user: Admin
) -> ReturnedPartPublic:
    """The manufacturer released the part for scrap."""
    async with runtime.db.transaction() as session:
        return await service.scrap_part(session, user, part_id, body)


# --- reports ----------------------------------------------------------------------------


@reports.get("/quality-reports", response_model=QualityReportPublic)
async def warranty_quality_report(
    runtime: RuntimeDep,
    user: ManagerReader,
    window_days: Annotated[int, Query(ge=1, le=730)] = 90,
    min_vehicles: Annotated[int, Query(ge=2, le=1000)] = 3,
) -> QualityReportPublic:
    """Possible batch problems: one causal part failing on ``min_vehicles`` or more vehicles
    of a model within ``window_days`` (to report to the manufacturer)."""
    async with runtime.db.read() as session:
        return await service.quality_report(
            session, user, window_days=window_days, min_vehicles=min_vehicles
        )


@reports.get("/kpis", response_model=KpiReportPublic)
async def warranty_kpis(
    runtime: RuntimeDep,
    user: ManagerReader,
    since: date | None = Query(default=None, alias="from"),
    until: date | None = Query(default=None, alias="to"),
) -> KpiReportPublic:
    """Claims submitted, approved, rejected by reason, amounts, days to payment and
    rejection rate, per station (and for the group, for group users)."""
    async with runtime.db.read() as session:
        return await service.claim_kpis(session, user, since=since, until=until)


class CsvResponse(Response):
    media_type = "text/csv"


@reports.get("/shortage-log", response_model=ShortageLogsPublic)
async def warranty_shortage_log(
    runtime: RuntimeDep,
    user: ManagerReader,
    day: date | None = Query(default=None, description="the station's day; today if absent"),
    station_id: str | None = Query(default=None, max_length=20),
) -> ShortageLogsPublic:
    """The daily shortage log (缺货记录表) of each station the user sees: the
    pre-authorisations asked of the manufacturer and its answers, and the parts short for
    repair orders (to be ordered), with the day's tallies."""
    async with runtime.db.read() as session:
        return await service.shortage_logs(session, user, day=day, station_id=station_id)


@reports.get(
    "/shortage-log.csv",
    response_class=CsvResponse,
    responses={200: {"description": "the day's shortage log, one row per entry"}},
)
async def warranty_shortage_log_csv(
    runtime: RuntimeDep,
    user: ManagerReader,
    day: date | None = Query(default=None, description="the station's day; today if absent"),
    station_id: str | None = Query(default=None, max_length=20),
) -> CsvResponse:
    """The same log as CSV, to print or open in a spreadsheet."""
    async with runtime.db.read() as session:
        logs = await service.shortage_logs(session, user, day=day, station_id=station_id)
    return CsvResponse(
        service.shortage_csv(logs),
        headers={
            "Content-Disposition": f'attachment; filename="shortage-log-{logs.day.isoformat()}.csv"'
        },
    )


# --- answers the manufacturer pushes ---------------------------------------------------


async def signed_by_manufacturer(
    request: Request,
    signature: Annotated[
        str | None,
        Header(
            alias=SIGNATURE_HEADER,
            description="sha256=<hex HMAC-SHA256 of the body with the manufacturer secret>",
        ),
    ] = None,
) -> None:
    """Only the manufacturer's claim system, which signs each call with the shared secret
    (``WARRANTY_MANUFACTURER_SECRET``), may push answers; user tokens do not."""
    body = await request.body()
    if not signature_valid(warranty_settings().manufacturer_secret, body, signature):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail=f"sign the body: {SIGNATURE_HEADER}: sha256=<HMAC-SHA256 hex of the body "
            "with the manufacturer secret>",
            headers={"WWW-Authenticate": "HMAC-SHA256"},
        )


@inbound.post(
    "/answers",
    response_model=InboundAnswerPublic,
    dependencies=[Depends(signed_by_manufacturer)],
)
async def receive_manufacturer_answer(
    runtime: RuntimeDep, body: ManufacturerAnswerIn
) -> InboundAnswerPublic:
    """Webhook for the manufacturer's claim system: an answer about one claim (approved,
    partly approved with the amount, rejected with a reason code, information requested,
    paid, charged back with reason code and amount). Applied at once and announced; an
    answer for an unknown claim or one its state does not allow is kept as a dead letter
    (``state: dead_lettered`` with the reason) for the administrator. The same
    ``message_id`` again changes nothing and answers the same."""
    try:
        async with runtime.unit_of_work() as uow:
            return await service.receive_answer(uow, body)
    except IntegrityError:  # a concurrent delivery of the same message won
        async with runtime.db.read() as session:
            return await service.received_answer(session, body)


@inbound.get("/answers", response_model=InboundAnswersPublic)
async def list_manufacturer_answers(
    runtime: RuntimeDep,
    user: ManagerReader,
    state: InboundState | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> InboundAnswersPublic:
    """Answers the manufacturer pushed, newest first; ``state=dead_lettered``: those that
    could not be applied, with the reason."""
    async with runtime.db.read() as session:
        return await service.list_inbound_answers(
            session, user, state=state, offset=offset, limit=limit
        )


@inbound.post("/answers/{answer_id}/redrive", response_model=InboundAnswerPublic)
async def redrive_manufacturer_answer(
    runtime: RuntimeDep, answer_id: uuid.UUID, body: AnswerRedrive, user: Admin
) -> InboundAnswerPublic:
    """Apply a dead-lettered answer again, optionally to a corrected claim number."""
    async with runtime.unit_of_work() as uow:
        return await service.redrive_inbound_answer(uow, user, answer_id, body)


@inbound.post("/answers/{answer_id}/dismissal", response_model=InboundAnswerPublic)
async def dismiss_manufacturer_answer(
    runtime: RuntimeDep, answer_id: uuid.UUID, body: AnswerDismissal, user: Admin
) -> InboundAnswerPublic:
    """Close a dead-lettered answer without applying it, with the reason (kept, with who
    closed it and when); 409 unless it is a dead letter."""
    async with runtime.unit_of_work() as uow:
        return await service.dismiss_inbound_answer(uow, user, answer_id, body)


routers = [claims, policies, coverage, orders, vehicles, parts, reports, inbound]
