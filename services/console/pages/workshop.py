"""Workshop board (jobs in columns by state, dispatch, completion) and the technician's
tablet view (clock on, pause, complete)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from services.console.clients import ApiError, UserApi
from services.console.desks import CLOCK_JOB, COMPLETE_JOB, DISPATCH_JOB, INSPECT
from services.console.i18n import translate
from services.console.web import Caller, CsrfChecked, Forbidden, desk, redirect, render, safe_next

router = APIRouter()

#: board columns and the job states each gathers (a state not listed gets its own column)
COLUMNS: dict[str, tuple[str, ...]] = {
    "waiting": ("waiting", "waiting_for_parts", "waiting_for_approval"),
    "ready": ("ready",),
    "dispatched": ("dispatched", "paused"),
    "in_progress": ("in_progress",),
    "in_inspection": ("in_inspection",),
    "done": ("done",),
}
DISPATCHABLE = ("ready", "dispatched", "paused")
CLOCKABLE = ("dispatched", "paused")
COMPLETABLE = ("dispatched", "in_progress", "paused")
#: finished jobs shown on the board (the rest are history, on the order's timeline)
DONE_SHOWN = 15


async def _orders_by_id(api: UserApi) -> dict[str, dict[str, Any]]:
    """Order number and plate for the job cards; the board still works without them."""
    try:
        answer = await api.reception.get("/repair-orders", limit=200)
    except ApiError:
        return {}
    return {order["id"]: order for order in answer["data"]}


async def _workshop_order(api: UserApi, order_id: uuid.UUID) -> dict[str, Any] | None:
    """The workshop's view of the order (comeback link); the page works without it."""
    try:
        answer: dict[str, Any] = await api.workshop.get(f"/orders/{order_id}")
    except ApiError:
        return None
    return answer


async def _jobs(who: Caller, **params: Any) -> list[dict[str, Any]]:
    answer = await who.api.workshop.get("/jobs", limit=200, **params)
    return who.only_shown(answer["data"])


def columns_of(jobs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Jobs by board column, in the column order; finished ones newest first."""
    column_of = {state: column for column, states in COLUMNS.items() for state in states}
    columns: dict[str, list[dict[str, Any]]] = {column: [] for column in COLUMNS}
    for job in jobs:
        columns.setdefault(column_of.get(job["status"], job["status"]), []).append(job)
    columns["done"] = sorted(
        columns["done"], key=lambda j: j.get("completed_at") or "", reverse=True
    )[:DONE_SHOWN]
    return columns


async def teams_of(who: Caller) -> list[dict[str, Any]]:
    """The station's active teams (班组); none when the workshop cannot say (dispatch to a
    technician still works)."""
    try:
        answer = await who.api.workshop.get("/teams", active="true")
    except ApiError:
        return []
    return [team for team in who.only_shown(answer["data"]) if team.get("active", True)]


def dispatch_body(technician_id: str, team_id: str, teams: list[dict[str, Any]]) -> dict[str, Any]:
    """A job to a technician, to a team (its leader receives car and keys), or to a team
    and the member who answers for it; the workshop names what is missing."""
    body: dict[str, Any] = {}
    if technician_id:
        body["technician_id"] = technician_id
    if team_id:
        body["team_id"] = team_id
    leader = next((t["leader_id"] for t in teams if str(t["id"]) == team_id), "")
    body["received_by"] = technician_id or leader
    return body


@router.get("/workshop")
async def board(request: Request, who: Caller = desk("workshop")) -> Response:
    """Every job of the station, one column per state, with dispatch (to a technician or a
    team) and completion."""
    jobs, orders, technicians, teams = await asyncio.gather(
        _jobs(who), _orders_by_id(who.api), who.api.workshop.get("/technicians"), teams_of(who)
    )
    return render(
        request,
        "workshop/board.html",
        columns=columns_of(jobs),
        orders=orders,
        teams=teams,
        technicians=who.only_shown(technicians["data"]),
        may_dispatch=who.may(DISPATCH_JOB),
        may_complete=who.may(COMPLETE_JOB),
        may_inspect=who.may(INSPECT),
        dispatchable=DISPATCHABLE,
        completable=COMPLETABLE,
    )


@router.get("/technician")
async def technician(request: Request, who: Caller = desk("technician")) -> Response:
    """The jobs dispatched to this technician (all dispatched jobs for the others)."""
    mine = {"technician_id": who.user.user_id} if who.may(CLOCK_JOB) else {}
    jobs, orders = await asyncio.gather(_jobs(who, **mine), _orders_by_id(who.api))
    return render(
        request,
        "workshop/technician.html",
        jobs=[job for job in jobs if job["status"] in COMPLETABLE],
        orders=orders,
        may_clock=who.may(CLOCK_JOB),
        may_complete=who.may(COMPLETE_JOB),
        clockable=CLOCKABLE,
    )


async def _act(
    request: Request, who: Caller, path: str, body: dict[str, Any], flash: str, back: str
) -> Response:
    """Send one workshop action; back to the page it came from, or say why not."""
    try:
        await who.api.workshop.post(path, body)
    except ApiError as exc:
        if exc.status not in (400, 403, 409, 422):
            raise
        return render(
            request,
            "error.html",
            exc.status,
            message_key="error.title",
            details=[exc.summary()],
            back=safe_next(back),
        )
    who.session.add_flash(flash)
    return redirect(safe_next(back))


@router.post("/workshop/jobs/{job_id}/dispatch", dependencies=[CsrfChecked])
async def dispatch(
    request: Request,
    job_id: uuid.UUID,
    technician_id: Annotated[str, Form()] = "",
    team_id: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
    who: Caller = desk("workshop"),
) -> Response:
    """Hand car, keys and job to a technician or a team (the technician, or the team's
    leader, receives them: the hand-over)."""
    if not who.may(DISPATCH_JOB):
        raise Forbidden()
    teams = await teams_of(who) if team_id else []
    body = dispatch_body(technician_id.strip(), team_id.strip(), teams)
    if version.isdigit():
        body["version"] = int(version)
    return await _act(
        request, who, f"/jobs/{job_id}/dispatch", body, "flash.job_dispatched", "/workshop"
    )


@router.post("/workshop/jobs/{job_id}/clock-on", dependencies=[CsrfChecked])
async def clock_on(
    request: Request, job_id: uuid.UUID, who: Caller = desk("technician")
) -> Response:
    """The technician starts (or resumes) work on the job."""
    if not who.may(CLOCK_JOB):
        raise Forbidden()
    return await _act(
        request, who, f"/jobs/{job_id}/clock-on", {}, "flash.clocked_on", "/technician"
    )


@router.post("/workshop/jobs/{job_id}/clock-off", dependencies=[CsrfChecked])
async def clock_off(
    request: Request,
    job_id: uuid.UUID,
    reason: Annotated[str, Form()],
    who: Caller = desk("technician"),
) -> Response:
    """The technician pauses the job, saying why."""
    if not who.may(CLOCK_JOB):
        raise Forbidden()
    return await _act(
        request,
        who,
        f"/jobs/{job_id}/clock-off",
        {"reason": reason.strip()},
        "flash.clocked_off",
        "/technician",
    )


@router.post("/workshop/jobs/{job_id}/completion", dependencies=[CsrfChecked])
async def complete_job(
    request: Request,
    job_id: uuid.UUID,
    clocked_hours: Annotated[str, Form()] = "0",
    back: Annotated[str, Form()] = "/workshop",
    who: Caller = desk("technician"),
) -> Response:
    """Finish a job (hours worked off the clock terminal are added to the clocked time)."""
    if not who.may(COMPLETE_JOB):
        raise Forbidden()
    return await _act(
        request,
        who,
        f"/jobs/{job_id}/completion",
        {"clocked_hours": clocked_hours.strip() or "0"},
        "flash.job_completed",
        back,
    )


#: the final inspection's checklist (竣工检验), as the inspector ticks it
CHECKLIST = (
    "complaint_fixed",
    "brakes",
    "steering",
    "lights",
    "no_leaks",
    "clean_no_new_damage",
)


@router.get("/workshop/inspections/{order_id}")
async def inspection_form(
    request: Request, order_id: uuid.UUID, who: Caller = desk("workshop")
) -> Response:
    """The final inspection of an order whose jobs wait for it: checklist, road test, and
    any job sent back to its technician with the reason."""
    if not who.may(INSPECT):
        raise Forbidden()
    return await _inspection_page(request, who, order_id)


async def _inspection_page(
    request: Request,
    who: Caller,
    order_id: uuid.UUID,
    status_code: int = 200,
    error: ApiError | None = None,
) -> Response:
    jobs, orders, workshop_order = await asyncio.gather(
        _jobs(who, order_id=str(order_id)),
        _orders_by_id(who.api),
        _workshop_order(who.api, order_id),
    )
    return render(
        request,
        "workshop/inspection.html",
        status_code,
        order_id=str(order_id),
        order=orders.get(str(order_id)),
        # a comeback (返修) passes only with the station's technical lead (process §6)
        comeback=bool(workshop_order and workshop_order.get("comeback_of")),
        jobs=jobs,
        checklist=CHECKLIST,
        general=[error.summary()] if error else [],
    )


@router.post("/workshop/inspections/{order_id}", dependencies=[CsrfChecked])
async def inspect(
    request: Request, order_id: uuid.UUID, who: Caller = desk("workshop")
) -> Response:
    """Record the verdict: passed when no job is sent back."""
    if not who.may(INSPECT):
        raise Forbidden()
    form = await request.form()
    failed = [
        {"job_id": key.removeprefix("fail."), "reason": str(form.get(f"reason.{key[5:]}", ""))}
        for key in form.keys()
        if key.startswith("fail.")
    ]
    body: dict[str, Any] = {
        "checklist": [
            {"item": translate(f"inspection.{item}", "en"), "ok": form.get(f"ok.{item}") == "on"}
            for item in CHECKLIST
        ],
        "road_test": form.get("road_test") == "on",
        "failed_jobs": failed,
    }
    note = str(form.get("road_test_note", "")).strip()
    if note:
        body["road_test_note"] = note
    lead = str(form.get("technical_lead_id", "")).strip()
    if lead:
        body["technical_lead_id"] = lead
    try:
        await who.api.workshop.post(f"/orders/{order_id}/inspections", body)
    except ApiError as exc:
        if exc.status not in (409, 422):
            raise
        return await _inspection_page(request, who, order_id, exc.status, exc)
    who.session.add_flash("flash.inspected")
    return redirect("/workshop")


@router.post("/workshop/jobs/{job_id}/findings", dependencies=[CsrfChecked])
async def report_finding(
    request: Request, job_id: uuid.UUID, who: Caller = desk("technician")
) -> Response:
    """Additional work found on the car (追加维修项目): the job waits for the customer."""
    if not who.may(COMPLETE_JOB):
        raise Forbidden()
    form = await request.form()

    def text(name: str) -> str:
        return str(form.get(name, "")).strip()

    body: dict[str, Any] = {
        "description": text("description"),
        "safety_relevant": form.get("safety_relevant") == "on",
        "estimated_delay_minutes": text("estimated_delay_minutes") or "0",
    }
    if text("line.code"):
        line: dict[str, Any] = {
            "kind": text("line.kind") or "labour",
            "code": text("line.code"),
            "description": text("line.description") or text("description")[:200],
        }
        if text("line.hours"):
            line["hours"] = text("line.hours")
        body["suggested_lines"] = [line]
    return await _act(
        request, who, f"/jobs/{job_id}/findings", body, "flash.finding_reported", "/technician"
    )
