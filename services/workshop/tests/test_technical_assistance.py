"""Technical assistance (process §5): the manufacturer's bulletins are kept in a library and
handed to the technicians concerned; faults the station cannot solve go to TAC with the case
data, and the job shows it waits for the answer."""

from __future__ import annotations

from services.workshop.models import JobStatus
from services.workshop.tests.builders import labour_line, order_created
from services.workshop.tests.flow import clock_on, dispatch, jobs_of
from shared.testing import ServiceHarness, auth_headers

BULLETIN = {
    "number": "TPI 2045123/3",
    "title": "DSG 换挡冲击",
    "make": "FAW-VW",
    "model": "Sagitar",
    "symptom": "起步时换挡冲击, 变速箱顿挫",
    "fault_codes": ["p17bf ", "P0729"],
    "remedy": "更新变速箱控制单元软件至 0501, 执行基本设定",
    "issued_on": "2026-06-01",
}

CASE = {
    "symptom": "起步时换挡冲击, 偶发",
    "tried": "变速箱油已更换, 软件已是最新, 基本设定已做",
    "fault_codes": ["P17BF"],
}


async def file_bulletin(workshop: ServiceHarness, body=None, user="foreman.bj01"):
    return await workshop.client.post(
        "/bulletins", json=body or BULLETIN, headers=auth_headers(user)
    )


async def search(workshop: ServiceHarness, user="tech.bj01", **params) -> dict:
    response = await workshop.client.get("/bulletins", params=params, headers=auth_headers(user))
    assert response.status_code == 200, response.text
    return response.json()


async def gearbox_job_in_progress(workshop: ServiceHarness):
    event = order_created(
        labour_line("GBX-010", "1.0", description="变速箱换挡冲击诊断", major_system=None)
    ).model_copy(update={"complaint": "起步时换挡冲击"})
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    await dispatch(workshop, job.id)
    await clock_on(workshop, job.id)
    return event, job


async def escalate(workshop, job_id, body=None, user="tech.bj01"):
    return await workshop.client.post(
        f"/jobs/{job_id}/tac-cases", json=body or CASE, headers=auth_headers(user)
    )


async def test_foreman_or_manager_files_bulletins_and_technicians_only_read_them(
    workshop,
) -> None:
    filed = await file_bulletin(workshop)
    assert filed.status_code == 201, filed.text
    assert filed.json()["fault_codes"] == ["P17BF", "P0729"]
    assert filed.json()["created_by"] == "foreman.bj01"
    by_manager = await file_bulletin(workshop, {**BULLETIN, "number": "TPI 1"}, "manager.bj01")
    assert by_manager.status_code == 201
    assert (await file_bulletin(workshop, user="tech.bj01")).status_code == 403
    assert (await file_bulletin(workshop, user="advisor.bj01")).status_code == 403
    no_make = await file_bulletin(workshop, {**BULLETIN, "make": ""})
    assert no_make.status_code == 422
    assert no_make.json()["detail"][0]["loc"][-1] == "make"


async def test_bulletins_are_found_by_make_model_symptom_and_fault_code(workshop) -> None:
    await file_bulletin(workshop)
    other = {
        **BULLETIN,
        "number": "SB 26-001",
        "title": "空调异味",
        "make": "Buick",
        "model": None,
        "symptom": "空调出风口异味",
        "fault_codes": [],
    }
    await file_bulletin(workshop, other)
    assert (await search(workshop))["count"] == 2
    assert [b["number"] for b in (await search(workshop, make="faw-vw"))["data"]] == [
        "TPI 2045123/3"
    ]
    assert (await search(workshop, make="FAW-VW", model="Magotan"))["count"] == 0
    # a bulletin without a model covers every model of its make
    assert (await search(workshop, make="Buick", model="GL8"))["count"] == 1
    assert [b["number"] for b in (await search(workshop, fault_code="p0729"))["data"]] == [
        "TPI 2045123/3"
    ]
    assert [b["number"] for b in (await search(workshop, symptom="换挡冲击"))["data"]] == [
        "TPI 2045123/3"
    ]
    assert (await search(workshop, symptom="发动机异响"))["count"] == 0
    # another station's library is not this one's
    assert (await search(workshop, user="tech.sh01"))["count"] == 0


async def test_the_bulletins_for_a_job_are_those_of_its_car_and_complaint(workshop) -> None:
    await file_bulletin(workshop)
    await file_bulletin(workshop, {**BULLETIN, "number": "TPI other model", "model": "Magotan"})
    _, job = await gearbox_job_in_progress(workshop)
    handed = await workshop.client.get(
        f"/jobs/{job.id}/bulletins", headers=auth_headers("tech.bj01")
    )
    assert handed.status_code == 200
    assert [b["number"] for b in handed.json()["data"]] == ["TPI 2045123/3"]


async def test_a_fault_the_station_cannot_solve_is_escalated_to_tac_and_the_job_waits(
    workshop,
) -> None:
    event, job = await gearbox_job_in_progress(workshop)
    response = await escalate(workshop, job.id)
    assert response.status_code == 201, response.text
    case = response.json()
    assert case["status"] == "escalated"
    assert case["vin"] == event.vehicle.vin
    assert case["tried"] == CASE["tried"]
    assert case["fault_codes"] == ["P17BF"]
    waiting = (
        await workshop.client.get(f"/jobs/{job.id}", headers=auth_headers("tech.bj01"))
    ).json()
    assert waiting["tac_case_id"] == case["id"]
    assert waiting["status"] == JobStatus.PAUSED  # the technician was clocked off
    assert "TAC" in waiting["waiting_reason"]
    board = (await workshop.client.get("/board", headers=auth_headers("foreman.bj01"))).json()
    [paused] = [c for c in board["columns"] if c["status"] == "paused"]
    assert paused["jobs"][0]["tac_case_id"] == case["id"]
    # one open case per job
    assert (await escalate(workshop, job.id)).status_code == 409


async def test_tac_answer_is_recorded_the_job_resumes_and_the_case_is_closed(workshop) -> None:
    _, job = await gearbox_job_in_progress(workshop)
    case = (await escalate(workshop, job.id)).json()
    answer = {"answer": "更换机电单元 0AM927769", "tac_reference": "TAC-2026-118"}
    answered = await workshop.client.post(
        f"/tac-cases/{case['id']}/answer", json=answer, headers=auth_headers("foreman.bj01")
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "answered"
    assert answered.json()["tac_reference"] == "TAC-2026-118"
    assert answered.json()["answer_recorded_by"] == "foreman.bj01"
    resumed = (
        await workshop.client.get(f"/jobs/{job.id}", headers=auth_headers("tech.bj01"))
    ).json()
    assert resumed["tac_case_id"] is None
    assert "TAC answered" in resumed["waiting_reason"]
    assert (await clock_on(workshop, job.id)).status_code == 200
    again = await workshop.client.post(
        f"/tac-cases/{case['id']}/answer", json=answer, headers=auth_headers("foreman.bj01")
    )
    assert again.status_code == 409
    closed = await workshop.client.post(
        f"/tac-cases/{case['id']}/closing",
        json={"outcome": "fixed with the TAC procedure"},
        headers=auth_headers("tech.bj01"),
    )
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert closed.json()["closed_by"] == "tech.bj01"
    listed = await workshop.client.get(
        "/tac-cases", params={"job_id": str(job.id)}, headers=auth_headers("advisor.bj01")
    )
    assert [c["status"] for c in listed.json()["data"]] == ["closed"]


async def test_tac_escalation_needs_symptom_and_what_was_tried_on_a_job_being_worked_on(
    workshop,
) -> None:
    event = order_created(labour_line("GBX-010", "1.0", major_system=None))
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    not_dispatched = await escalate(workshop, job.id, user="foreman.bj01")
    assert not_dispatched.status_code == 409
    await dispatch(workshop, job.id)
    untried = await escalate(workshop, job.id, {**CASE, "tried": ""})
    assert untried.status_code == 422
    assert untried.json()["detail"][0]["loc"][-1] == "tried"
    bad_code = await escalate(workshop, job.id, {**CASE, "fault_codes": ["P" * 30]})
    assert bad_code.status_code == 422
    assert (await escalate(workshop, job.id, user="advisor.bj01")).status_code == 403
    assert (await escalate(workshop, job.id, user="tech.sh01")).status_code == 404
    assert (await escalate(workshop, job.id)).status_code == 201


async def test_another_stations_tac_case_is_not_found(workshop) -> None:
    _, job = await gearbox_job_in_progress(workshop)
    case = (await escalate(workshop, job.id)).json()
    assert (
        await workshop.client.get(f"/tac-cases/{case['id']}", headers=auth_headers("foreman.sh01"))
    ).status_code == 404
    answer = await workshop.client.post(
        f"/tac-cases/{case['id']}/answer",
        json={"answer": "x"},
        headers=auth_headers("foreman.sh01"),
    )
    assert answer.status_code == 404
