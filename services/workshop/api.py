"""Workshop's HTTP routes: thin, they translate and call a use case."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Query, Response

from services.workshop import service
from services.workshop.domain import OverrunStatus, ProgressReportStatus, TacCaseStatus
from services.workshop.models import (
    AbsenceCreate,
    AbsencePublic,
    BaysPublic,
    BoardPublic,
    BulletinCreate,
    BulletinPublic,
    BulletinsPublic,
    CapacityPublic,
    CapacityRequest,
    ClockEntryPublic,
    ClockOff,
    FindingPublic,
    FindingReport,
    InspectionPublic,
    InspectionResult,
    JobCompletion,
    JobDispatch,
    JobPublic,
    JobsPublic,
    JobStatus,
    KpisPublic,
    OverrunDecision,
    OverrunRequestCreate,
    OverrunRequestPublic,
    OverrunRequestsPublic,
    ProgressReportEntry,
    ProgressReportPublic,
    ProgressReportsPublic,
    RoadsideCallCreate,
    RoadsideCallPublic,
    RoadsideCallsPublic,
    RoadsideDispatch,
    RoadsideFinish,
    RoadsideStatus,
    RoadsideStep,
    TacAnswer,
    TacCasePublic,
    TacCasesPublic,
    TacClosing,
    TacEscalation,
    TeamChange,
    TeamCreate,
    TeamPublic,
    TeamsPublic,
    TechnicianCreate,
    TechnicianPublic,
    TechniciansPublic,
    WorkshopOrderPublic,
)
from shared.app import RuntimeDep
from shared.auth import CurrentUser, Principal, Role, require_role
from shared.scoping import Limit, Offset

router = APIRouter(prefix="/jobs", tags=["jobs"])
orders_router = APIRouter(prefix="/orders", tags=["orders", "final inspection"])
board_router = APIRouter(tags=["dispatch board", "KPIs"])
technicians_router = APIRouter(prefix="/technicians", tags=["technicians"])
teams_router = APIRouter(prefix="/teams", tags=["teams"])
resources_router = APIRouter(tags=["resources"])
roadside_router = APIRouter(prefix="/roadside-calls", tags=["roadside assistance"])
overruns_router = APIRouter(prefix="/overrun-requests", tags=["requests for more time"])
progress_router = APIRouter(prefix="/progress-reports", tags=["evening progress reports"])
bulletins_router = APIRouter(prefix="/bulletins", tags=["technical assistance"])
tac_router = APIRouter(prefix="/tac-cases", tags=["technical assistance"])

foreman = require_role(Role.FOREMAN)
dispatcher = require_role(Role.FOREMAN, Role.SERVICE_ADVISOR)
technician = require_role(Role.TECHNICIAN)
finisher = require_role(Role.TECHNICIAN, Role.FOREMAN)
inspector = require_role(Role.INSPECTOR)
planner = require_role(Role.FOREMAN, Role.SERVICE_MANAGER)
call_taker = require_role(Role.FOREMAN, Role.SERVICE_ADVISOR)
roadside_crew = require_role(Role.TECHNICIAN, Role.FOREMAN)
advisor = require_role(Role.SERVICE_ADVISOR)
measures = require_role(Role.FOREMAN, Role.SERVICE_MANAGER, Role.GROUP_MANAGER)


@router.get("", response_model=JobsPublic)
async def list_jobs(
    runtime: RuntimeDep,
    user: CurrentUser,
    order_id: uuid.UUID | None = None,
    status: JobStatus | None = None,
    technician_id: str | None = None,
    team_id: uuid.UUID | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> JobsPublic:
    """Jobs of the stations you see, by order, state, technician or team (page of at most
    200)."""
    async with runtime.db.read() as session:
        return await service.list_jobs(
            session,
            user,
            order_id=order_id,
            status=status,
            technician_id=technician_id,
            team_id=team_id,
            offset=offset,
            limit=limit,
        )


@router.get("/{job_id}", response_model=JobPublic)
async def get_job(runtime: RuntimeDep, job_id: uuid.UUID, user: CurrentUser) -> JobPublic:
    """One job with its parts requested and drawn, and its version (send it back on dispatch)."""
    async with runtime.db.read() as session:
        return await service.get_job(session, user, job_id)


async def _job_answer(runtime: RuntimeDep, user: Principal, job_id: uuid.UUID) -> JobPublic:
    async with runtime.db.read() as session:
        return await service.get_job(session, user, job_id)


@router.post("/{job_id}/dispatch", response_model=JobPublic)
async def dispatch_job(
    runtime: RuntimeDep,
    job_id: uuid.UUID,
    data: JobDispatch,
    user: Principal = Depends(dispatcher),
) -> JobPublic:
    """Dispatch (or re-dispatch) a ready job to a technician or a team (``team_id``: its leader
    or members clock on), recording the hand-over of car and keys to ten minutes and who
    received them; announces ``job.dispatched``. The advisor may dispatch only the jobs of a
    single-team order, within that team (403 with the reason otherwise)."""
    async with runtime.unit_of_work() as uow:
        await service.dispatch_job(uow, user, job_id, data)
    return await _job_answer(runtime, user, job_id)


@router.post("/{job_id}/clock-on", response_model=JobPublic)
async def clock_on(
    runtime: RuntimeDep, job_id: uuid.UUID, user: Principal = Depends(technician)
) -> JobPublic:
    """Start or resume work on a job dispatched to you (one job at a time)."""
    async with runtime.unit_of_work() as uow:
        await service.clock_on(uow, user, job_id)
    return await _job_answer(runtime, user, job_id)


@router.post("/{job_id}/clock-off", response_model=JobPublic)
async def clock_off(
    runtime: RuntimeDep,
    job_id: uuid.UUID,
    data: ClockOff,
    user: Principal = Depends(technician),
) -> JobPublic:
    """Pause the job you are clocked on, with the reason."""
    async with runtime.unit_of_work() as uow:
        await service.clock_off(uow, user, job_id, data)
    return await _job_answer(runtime, user, job_id)


@router.post("/{job_id}/completion", response_model=JobPublic)
async def complete_job(
    runtime: RuntimeDep,
    job_id: uuid.UUID,
    data: JobCompletion,
    user: Principal = Depends(finisher),
) -> JobPublic:
    """Clock off and finish a dispatched job; announces ``job.completed``. Engine, gearbox,
    brake and steering work (or all work when the order asks) then waits for the final
    inspection; otherwise the job is done, and the last one announces ``vehicle.completed``."""
    async with runtime.unit_of_work() as uow:
        await service.complete_job(uow, user, job_id, data)
    return await _job_answer(runtime, user, job_id)


@router.post("/{job_id}/findings", response_model=FindingPublic, status_code=201)
async def report_finding(
    runtime: RuntimeDep,
    job_id: uuid.UUID,
    data: FindingReport,
    user: Principal = Depends(finisher),
) -> FindingPublic:
    """Report additional work found on the car; announces ``work.additional_found`` and the job
    waits for the customer's answer (given to reception)."""
    async with runtime.unit_of_work() as uow:
        finding = await service.report_finding(uow, user, job_id, data)
    return FindingPublic.model_validate(finding.model_dump())


@router.get("/{job_id}/findings", response_model=list[FindingPublic])
async def job_findings(
    runtime: RuntimeDep, job_id: uuid.UUID, user: CurrentUser
) -> list[FindingPublic]:
    """The job's findings with the customer's answers (declined work is recorded here)."""
    async with runtime.db.read() as session:
        return await service.job_findings(session, user, job_id)


@router.get("/{job_id}/clockings", response_model=list[ClockEntryPublic])
async def job_clockings(
    runtime: RuntimeDep, job_id: uuid.UUID, user: CurrentUser
) -> list[ClockEntryPublic]:
    """Who clocked on the job, when, for how long, and why they paused."""
    async with runtime.db.read() as session:
        return await service.job_clockings(session, user, job_id)


@orders_router.post("/{order_id}/inspections", response_model=InspectionPublic, status_code=201)
async def inspect_order(
    runtime: RuntimeDep,
    order_id: uuid.UUID,
    data: InspectionResult,
    user: Principal = Depends(inspector),
) -> InspectionPublic:
    """Record the final inspection (checklist and road test) of an order whose jobs are
    finished. No failed jobs: ``inspection.passed`` and, with every job done,
    ``vehicle.completed``. Failed jobs go back to their technicians (``inspection.failed``)."""
    async with runtime.unit_of_work() as uow:
        inspection = await service.inspect_order(uow, user, order_id, data)
    return InspectionPublic.model_validate(inspection.model_dump())


@orders_router.get("/{order_id}", response_model=WorkshopOrderPublic)
async def get_order(
    runtime: RuntimeDep, order_id: uuid.UUID, user: CurrentUser
) -> WorkshopOrderPublic:
    """The order in the workshop: its jobs, its final inspection, and the earlier order and
    technician it is a comeback of."""
    async with runtime.db.read() as session:
        return await service.get_order(session, user, order_id)


@orders_router.get("/{order_id}/inspections", response_model=list[InspectionPublic])
async def list_inspections(
    runtime: RuntimeDep, order_id: uuid.UUID, user: CurrentUser
) -> list[InspectionPublic]:
    """The order's final inspections, oldest first."""
    async with runtime.db.read() as session:
        return await service.list_inspections(session, user, order_id)


@board_router.get("/board", response_model=BoardPublic)
async def board(runtime: RuntimeDep, user: CurrentUser, station_id: str | None = None) -> Response:
    """The foreman's dispatch board: open jobs of a station by state, earliest promise first,
    each undispatched job with a suggested technician (skill, load, promised time)."""
    async with runtime.db.read() as session:
        answer = await service.board(session, user, station_id)
    # serialised once, here: FastAPI would validate the 500-job answer again first
    return Response(answer.model_dump_json(), media_type="application/json")


@board_router.get("/kpis", response_model=KpisPublic)
async def kpis(
    runtime: RuntimeDep,
    day: date,
    period: Literal["day", "month"] = "month",
    station_id: str | None = None,
    user: Principal = Depends(measures),
) -> KpisPublic:
    """Efficiency (sold/clocked), productivity (clocked/available), on-time completion,
    first-time-fix rate and rework of a station for the day or month containing ``day``."""
    async with runtime.db.read() as session:
        return await service.kpis(session, user, station_id, period, day)


@technicians_router.get("", response_model=TechniciansPublic)
async def list_technicians(
    runtime: RuntimeDep, user: CurrentUser, active: bool | None = None
) -> TechniciansPublic:
    """The technicians of the stations you see, with skills, level and working hours."""
    async with runtime.db.read() as session:
        return await service.list_technicians(session, user, active=active)


@technicians_router.post("", response_model=TechnicianPublic, status_code=201)
async def add_technician(
    runtime: RuntimeDep, data: TechnicianCreate, user: Principal = Depends(foreman)
) -> TechnicianPublic:
    """Add a technician to your station's team."""
    async with runtime.unit_of_work() as uow:
        technician_row = await service.add_technician(uow, user, data)
    return service.technician_public(technician_row)


@technicians_router.post("/{technician_id}/absences", response_model=AbsencePublic, status_code=201)
async def add_absence(
    runtime: RuntimeDep,
    technician_id: str,
    data: AbsenceCreate,
    user: Principal = Depends(foreman),
) -> AbsencePublic:
    """Record leave or training: the technician is not suggested nor counted as capacity."""
    async with runtime.unit_of_work() as uow:
        return await service.add_absence(uow, user, technician_id, data)


@teams_router.get("", response_model=TeamsPublic)
async def list_teams(runtime: RuntimeDep, user: CurrentUser, active: bool = True) -> TeamsPublic:
    """The teams (班组) of the stations you see with leader, members and skills (the dissolved
    ones with ``active=false``)."""
    async with runtime.db.read() as session:
        return await service.list_teams(session, user, active=active)


@teams_router.get("/{team_id}", response_model=TeamPublic)
async def get_team(runtime: RuntimeDep, team_id: uuid.UUID, user: CurrentUser) -> TeamPublic:
    """One team with its members."""
    async with runtime.db.read() as session:
        return await service.get_team(session, user, team_id)


@teams_router.post("", response_model=TeamPublic, status_code=201)
async def add_team(
    runtime: RuntimeDep, data: TeamCreate, user: Principal = Depends(foreman)
) -> TeamPublic:
    """Form a team of your station's technicians: name, skills, leader (a member); each
    technician is in one team at a time."""
    async with runtime.unit_of_work() as uow:
        return await service.add_team(uow, user, data)


@teams_router.patch("/{team_id}", response_model=TeamPublic)
async def change_team(
    runtime: RuntimeDep, team_id: uuid.UUID, data: TeamChange, user: Principal = Depends(foreman)
) -> TeamPublic:
    """Rename a team or change its skills, leader or members (the whole list); stale
    ``version`` → 409."""
    async with runtime.unit_of_work() as uow:
        return await service.change_team(uow, user, team_id, data)


@teams_router.post("/{team_id}/dissolution", response_model=TeamPublic)
async def dissolve_team(
    runtime: RuntimeDep, team_id: uuid.UUID, user: Principal = Depends(foreman)
) -> TeamPublic:
    """Dissolve a team (its members are free again; its past jobs keep its name); refused
    while open jobs are dispatched to it."""
    async with runtime.unit_of_work() as uow:
        return await service.dissolve_team(uow, user, team_id)


@resources_router.get("/bays", response_model=BaysPublic)
async def list_bays(runtime: RuntimeDep, user: CurrentUser) -> BaysPublic:
    """Lifts and bays of the stations you see."""
    async with runtime.db.read() as session:
        return await service.list_bays(session, user)


@resources_router.get("/capacity", response_model=CapacityPublic)
async def get_capacity(
    runtime: RuntimeDep, day: date, user: CurrentUser, station_id: str | None = None
) -> CapacityPublic:
    """A day's workshop capacity: hours of the technicians present, hours promised, bays."""
    async with runtime.db.read() as session:
        return await service.capacity(session, service.board_station(user, station_id), day)


@resources_router.post("/capacity/publications", response_model=CapacityPublic, status_code=201)
async def publish_capacity(
    runtime: RuntimeDep, data: CapacityRequest, user: Principal = Depends(planner)
) -> CapacityPublic:
    """Announce a day's capacity to reception's appointment booking (``capacity.published``)."""
    async with runtime.unit_of_work() as uow:
        return await service.publish_capacity(uow, user, data)


@roadside_router.post("", response_model=RoadsideCallPublic, status_code=201)
async def log_roadside_call(
    runtime: RuntimeDep, data: RoadsideCallCreate, user: Principal = Depends(call_taker)
) -> RoadsideCallPublic:
    """Log a breakdown call (外出救援) with the car, its location and symptom."""
    async with runtime.unit_of_work() as uow:
        call = await service.log_roadside_call(uow, user, data)
    return service.roadside_public(call)


@roadside_router.get("", response_model=RoadsideCallsPublic)
async def list_roadside_calls(
    runtime: RuntimeDep,
    user: CurrentUser,
    status: RoadsideStatus | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> RoadsideCallsPublic:
    """Roadside calls of the stations you see, newest first."""
    async with runtime.db.read() as session:
        return await service.list_roadside_calls(
            session, user, status=status, offset=offset, limit=limit
        )


@roadside_router.get("/{call_id}", response_model=RoadsideCallPublic)
async def get_roadside_call(
    runtime: RuntimeDep, call_id: uuid.UUID, user: CurrentUser
) -> RoadsideCallPublic:
    """One roadside call with its times and the repair order it became."""
    async with runtime.db.read() as session:
        return await service.get_roadside_call(session, user, call_id)


async def _call_answer(
    runtime: RuntimeDep, user: Principal, call_id: uuid.UUID
) -> RoadsideCallPublic:
    async with runtime.db.read() as session:
        return await service.get_roadside_call(session, user, call_id)


@roadside_router.post("/{call_id}/dispatch", response_model=RoadsideCallPublic)
async def dispatch_roadside(
    runtime: RuntimeDep,
    call_id: uuid.UUID,
    data: RoadsideDispatch,
    user: Principal = Depends(foreman),
) -> RoadsideCallPublic:
    """Send a technician out with a service vehicle (the time is recorded)."""
    async with runtime.unit_of_work() as uow:
        await service.dispatch_roadside(uow, user, call_id, data)
    return await _call_answer(runtime, user, call_id)


@roadside_router.post("/{call_id}/arrival", response_model=RoadsideCallPublic)
async def roadside_arrival(
    runtime: RuntimeDep,
    call_id: uuid.UUID,
    data: RoadsideStep,
    user: Principal = Depends(roadside_crew),
) -> RoadsideCallPublic:
    """The technician reached the car."""
    async with runtime.unit_of_work() as uow:
        await service.roadside_arrival(uow, user, call_id, data)
    return await _call_answer(runtime, user, call_id)


@roadside_router.post("/{call_id}/finish", response_model=RoadsideCallPublic)
async def finish_roadside(
    runtime: RuntimeDep,
    call_id: uuid.UUID,
    data: RoadsideFinish,
    user: Principal = Depends(roadside_crew),
) -> RoadsideCallPublic:
    """Fixed on the spot, or towed in; a towed-in car continues as the repair order reception
    opens for it (matched by VIN or plate on ``order.created``)."""
    async with runtime.unit_of_work() as uow:
        await service.finish_roadside(uow, user, call_id, data)
    return await _call_answer(runtime, user, call_id)


# --- requests for more time, evening progress reports, technical assistance -------------


@router.post("/{job_id}/overrun-requests", response_model=OverrunRequestPublic, status_code=201)
async def request_overrun(
    runtime: RuntimeDep,
    job_id: uuid.UUID,
    data: OverrunRequestCreate,
    user: Principal = Depends(finisher),
) -> OverrunRequestPublic:
    """Ask the foreman for more time on a job running past its sold hours or promised time:
    reason, extra hours and the new promised time (process §5)."""
    async with runtime.unit_of_work() as uow:
        request = await service.request_overrun(uow, user, job_id, data)
    return OverrunRequestPublic.model_validate(request.model_dump())


@overruns_router.get("", response_model=OverrunRequestsPublic)
async def list_overruns(
    runtime: RuntimeDep,
    user: CurrentUser,
    status: OverrunStatus | None = None,
    order_id: uuid.UUID | None = None,
    job_id: uuid.UUID | None = None,
    customer_informed: bool | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> OverrunRequestsPublic:
    """Requests for more time, oldest first. The advisor's list of overruns to tell the
    customer: ``status=approved&customer_informed=false``."""
    async with runtime.db.read() as session:
        return await service.list_overruns(
            session,
            user,
            status=status,
            order_id=order_id,
            job_id=job_id,
            customer_informed=customer_informed,
            offset=offset,
            limit=limit,
        )


@overruns_router.get("/{request_id}", response_model=OverrunRequestPublic)
async def get_overrun(
    runtime: RuntimeDep, request_id: uuid.UUID, user: CurrentUser
) -> OverrunRequestPublic:
    """One request for more time with the foreman's decision."""
    async with runtime.db.read() as session:
        return await service.get_overrun(session, user, request_id)


@overruns_router.post("/{request_id}/decision", response_model=OverrunRequestPublic)
async def decide_overrun(
    runtime: RuntimeDep,
    request_id: uuid.UUID,
    data: OverrunDecision,
    user: Principal = Depends(foreman),
) -> OverrunRequestPublic:
    """Approve (the job's promised time moves) or refuse (with the reason) a request."""
    async with runtime.unit_of_work() as uow:
        request = await service.decide_overrun(uow, user, request_id, data)
    return OverrunRequestPublic.model_validate(request.model_dump())


@overruns_router.post("/{request_id}/customer-informed", response_model=OverrunRequestPublic)
async def overrun_customer_informed(
    runtime: RuntimeDep, request_id: uuid.UUID, user: Principal = Depends(advisor)
) -> OverrunRequestPublic:
    """The advisor told the customer of the approved overrun (recorded once, with who)."""
    async with runtime.unit_of_work() as uow:
        request = await service.overrun_customer_informed(uow, user, request_id)
    return OverrunRequestPublic.model_validate(request.model_dump())


@progress_router.get("", response_model=ProgressReportsPublic)
async def list_progress_reports(
    runtime: RuntimeDep,
    user: CurrentUser,
    day: date | None = None,
    status: ProgressReportStatus | None = None,
    order_id: uuid.UUID | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> ProgressReportsPublic:
    """Evening progress reports of cars kept overnight (due at the station's closing time),
    newest evening first."""
    async with runtime.db.read() as session:
        return await service.list_progress_reports(
            session, user, day=day, status=status, order_id=order_id, offset=offset, limit=limit
        )


@progress_router.post("/{report_id}", response_model=ProgressReportPublic)
async def record_progress(
    runtime: RuntimeDep,
    report_id: uuid.UUID,
    data: ProgressReportEntry,
    user: Principal = Depends(finisher),
) -> ProgressReportPublic:
    """Record the evening report: what is done, what remains, the expected completion."""
    async with runtime.unit_of_work() as uow:
        report = await service.record_progress(uow, user, report_id, data)
    return service.progress_public(report)


@bulletins_router.get("", response_model=BulletinsPublic)
async def search_bulletins(
    runtime: RuntimeDep,
    user: CurrentUser,
    make: str | None = Query(default=None, max_length=40),
    model: str | None = Query(default=None, max_length=60),
    symptom: str | None = Query(default=None, max_length=200),
    fault_code: str | None = Query(default=None, max_length=20),
    offset: Offset = 0,
    limit: Limit = 50,
) -> BulletinsPublic:
    """Search the library of manufacturer bulletins and technical notes."""
    async with runtime.db.read() as session:
        return await service.search_bulletins(
            session,
            user,
            make=make,
            model=model,
            symptom=symptom,
            fault_code=fault_code,
            offset=offset,
            limit=limit,
        )


@bulletins_router.post("", response_model=BulletinPublic, status_code=201)
async def add_bulletin(
    runtime: RuntimeDep, data: BulletinCreate, user: Principal = Depends(planner)
) -> BulletinPublic:
    """File a manufacturer's bulletin (foreman or service manager)."""
    async with runtime.unit_of_work() as uow:
        bulletin = await service.add_bulletin(uow, user, data)
    return BulletinPublic.model_validate(bulletin.model_dump())


@router.get("/{job_id}/bulletins", response_model=BulletinsPublic)
async def job_bulletins(
    runtime: RuntimeDep, job_id: uuid.UUID, user: CurrentUser
) -> BulletinsPublic:
    """The bulletins for this job's car and complaint (or its TAC cases' fault codes)."""
    async with runtime.db.read() as session:
        return await service.job_bulletins(session, user, job_id)


@router.post("/{job_id}/tac-cases", response_model=TacCasePublic, status_code=201)
async def escalate_to_tac(
    runtime: RuntimeDep,
    job_id: uuid.UUID,
    data: TacEscalation,
    user: Principal = Depends(finisher),
) -> TacCasePublic:
    """Escalate a fault the station cannot solve to the manufacturer's TAC (symptom, what was
    tried, fault codes); the job waits for the answer."""
    async with runtime.unit_of_work() as uow:
        case = await service.escalate_to_tac(uow, user, job_id, data)
    return TacCasePublic.model_validate(case.model_dump())


@tac_router.get("", response_model=TacCasesPublic)
async def list_tac_cases(
    runtime: RuntimeDep,
    user: CurrentUser,
    status: TacCaseStatus | None = None,
    job_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> TacCasesPublic:
    """TAC cases of the stations you see, oldest first."""
    async with runtime.db.read() as session:
        return await service.list_tac_cases(
            session,
            user,
            status=status,
            job_id=job_id,
            order_id=order_id,
            offset=offset,
            limit=limit,
        )


@tac_router.get("/{case_id}", response_model=TacCasePublic)
async def get_tac_case(runtime: RuntimeDep, case_id: uuid.UUID, user: CurrentUser) -> TacCasePublic:
    async with runtime.db.read() as session:
        return await service.get_tac_case(session, user, case_id)


@tac_router.post("/{case_id}/answer", response_model=TacCasePublic)
async def tac_answered(
    runtime: RuntimeDep, case_id: uuid.UUID, data: TacAnswer, user: Principal = Depends(finisher)
) -> TacCasePublic:
    """Record TAC's answer; the job no longer waits for it."""
    async with runtime.unit_of_work() as uow:
        case = await service.tac_answered(uow, user, case_id, data)
    return TacCasePublic.model_validate(case.model_dump())


@tac_router.post("/{case_id}/closing", response_model=TacCasePublic)
async def close_tac_case(
    runtime: RuntimeDep, case_id: uuid.UUID, data: TacClosing, user: Principal = Depends(finisher)
) -> TacCasePublic:
    """Close the case with its outcome."""
    async with runtime.unit_of_work() as uow:
        case = await service.close_tac_case(uow, user, case_id, data)
    return TacCasePublic.model_validate(case.model_dump())
