"""Teams (班组) and dispatch to a team (process §5: "the foreman dispatches each job to a team
or technician (single-team job: the advisor may assign directly; multi-team: the foreman)")."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from services.workshop.seed import _TEAM_NAMESPACE
from services.workshop.tests.builders import labour_line, order_created
from services.workshop.tests.flow import (
    clock_off,
    clock_on,
    complete,
    dispatch,
    headers,
    jobs_of,
    outbox,
)
from shared import clock
from shared.calendar import calendar_for
from shared.testing import auth_headers

#: the demo teams of bj01 (seed): 机电班 = tech.bj01 (leader) + tech.bj01.2; 钣喷班 = body + paint
MECH = uuid.uuid5(_TEAM_NAMESPACE, "bj01:mech")
BODY = uuid.uuid5(_TEAM_NAMESPACE, "bj01:body")
SH01_MECH = uuid.uuid5(_TEAM_NAMESPACE, "sh01:mech")


def diagnosis(code: str = "DIAG-01", skill: str | None = "mechanical"):
    return labour_line(code, "0.5", skill=skill, major_system=None)


async def new_team(workshop, user: str = "foreman.bj01", **body):
    return await workshop.client.post("/teams", json=body, headers=auth_headers(user))


async def add_technician(workshop, technician_id: str, skills: list[str], level: int = 1) -> None:
    created = await workshop.client.post(
        "/technicians",
        json={
            "technician_id": technician_id,
            "name": technician_id,
            "skills": skills,
            "certification_level": level,
        },
        headers=auth_headers("foreman.bj01"),
    )
    assert created.status_code == 201, created.text


# --- the foreman keeps the station's teams ---------------------------------------------


async def test_foreman_forms_a_team_with_leader_members_and_skills(workshop) -> None:
    await add_technician(workshop, "tech.bj01.5", ["electrical"])
    await add_technician(workshop, "tech.bj01.6", ["electrical", "diagnosis"], level=3)
    created = await new_team(
        workshop,
        name="电气班",
        skills=["electrical", "diagnosis"],
        leader_id="tech.bj01.6",
        member_ids=["tech.bj01.6", "tech.bj01.5"],
    )
    assert created.status_code == 201, created.text
    team = created.json()
    assert team["station_id"] == "bj01"
    assert team["leader_id"] == "tech.bj01.6"
    assert team["member_ids"] == ["tech.bj01.5", "tech.bj01.6"]
    assert team["skills"] == ["diagnosis", "electrical"]
    assert team["created_by"] == "foreman.bj01"
    listed = (await workshop.client.get("/teams", headers=auth_headers("tech.bj01"))).json()
    assert [t["name"] for t in listed["data"]] == ["机电班", "电气班", "钣喷班"]
    shown = await workshop.client.get(f"/teams/{team['id']}", headers=auth_headers("advisor.bj01"))
    assert shown.json()["member_ids"] == ["tech.bj01.5", "tech.bj01.6"]


async def test_a_technician_is_in_one_team_at_a_time_and_the_leader_is_a_member(workshop) -> None:
    taken = await new_team(
        workshop,
        name="快修班",
        skills=["mechanical"],
        leader_id="tech.bj01.2",
        member_ids=["tech.bj01.2"],
    )
    assert taken.status_code == 409
    assert "机电班 already" in taken.json()["detail"][0]["msg"]
    await add_technician(workshop, "tech.bj01.5", ["mechanical"])
    leader_outside = await new_team(
        workshop,
        name="快修班",
        skills=["mechanical"],
        leader_id="tech.bj01.6",
        member_ids=["tech.bj01.5"],
    )
    assert leader_outside.status_code == 422
    assert leader_outside.json()["detail"][0]["loc"][-1] == "leader_id"
    same_name = await new_team(
        workshop, name="机电班", skills=["mechanical"], leader_id="tech.bj01.5",
        member_ids=["tech.bj01.5"],
    )  # fmt: skip
    assert same_name.status_code == 409


async def test_team_input_is_validated_naming_the_field(workshop) -> None:
    await add_technician(workshop, "tech.bj01.5", ["mechanical"])
    base: dict[str, Any] = {"name": "快修班", "skills": ["mechanical"], "leader_id": "tech.bj01.5"}
    cases = {
        "skills": {**base, "member_ids": ["tech.bj01.5"], "skills": ["juggling"]},
        "member_ids": {**base, "member_ids": []},
        "name": {**base, "member_ids": ["tech.bj01.5"], "name": ""},
    }
    for field, body in cases.items():
        refused = await new_team(workshop, **body)
        assert refused.status_code == 422, (field, refused.text)
        assert field in refused.json()["detail"][0]["loc"], (field, refused.text)
    twice = await new_team(workshop, **{**base, "member_ids": ["tech.bj01.5", "tech.bj01.5"]})
    assert twice.status_code == 422
    other_station = await new_team(workshop, **{**base, "member_ids": ["tech.bj01.5", "tech.sh01"]})
    assert other_station.status_code == 422
    assert other_station.json()["detail"][0]["loc"][-2:] == ["member_ids", "1"]
    assert (await workshop.client.get("/teams", headers=auth_headers("foreman.bj01"))).json()[
        "count"
    ] == 2


async def test_only_the_foreman_keeps_teams_and_only_of_their_station(workshop) -> None:
    await add_technician(workshop, "tech.bj01.5", ["mechanical"])
    body = {
        "name": "快修班",
        "skills": ["mechanical"],
        "leader_id": "tech.bj01.5",
        "member_ids": ["tech.bj01.5"],
    }
    for user in ("advisor.bj01", "tech.bj01", "manager.bj01"):
        assert (await new_team(workshop, user=user, **body)).status_code == 403
    other = await workshop.client.patch(
        f"/teams/{SH01_MECH}", json={"name": "x"}, headers=auth_headers("foreman.bj01")
    )
    assert other.status_code == 404
    hidden = await workshop.client.get(f"/teams/{SH01_MECH}", headers=auth_headers("foreman.bj01"))
    assert hidden.status_code == 404
    mine = (await workshop.client.get("/teams", headers=auth_headers("foreman.sh01"))).json()
    assert {t["station_id"] for t in mine["data"]} == {"sh01"}


async def test_foreman_changes_members_and_leader_and_a_stale_version_is_409(workshop) -> None:
    await add_technician(workshop, "tech.bj01.5", ["mechanical"])
    team = (
        await workshop.client.get(f"/teams/{MECH}", headers=auth_headers("foreman.bj01"))
    ).json()
    changed = await workshop.client.patch(
        f"/teams/{MECH}",
        json={
            "member_ids": ["tech.bj01.2", "tech.bj01.5"],
            "leader_id": "tech.bj01.2",
            "version": team["version"],
        },
        headers=auth_headers("foreman.bj01"),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["member_ids"] == ["tech.bj01.2", "tech.bj01.5"]
    assert changed.json()["leader_id"] == "tech.bj01.2"
    stale = await workshop.client.patch(
        f"/teams/{MECH}", json={"name": "机电一班", "version": team["version"]},
        headers=auth_headers("foreman.bj01"),
    )  # fmt: skip
    assert stale.status_code == 409
    # tech.bj01 left the team: free to join another
    joined = await workshop.client.patch(
        f"/teams/{BODY}",
        json={"member_ids": ["tech.bj01", "tech.bj01.body", "tech.bj01.paint"]},
        headers=auth_headers("foreman.bj01"),
    )
    assert joined.status_code == 200, joined.text
    leader_dropped = await workshop.client.patch(
        f"/teams/{BODY}", json={"member_ids": ["tech.bj01"]}, headers=auth_headers("foreman.bj01")
    )
    assert leader_dropped.status_code == 422
    assert leader_dropped.json()["detail"][0]["loc"][-1] == "leader_id"


async def test_a_team_with_open_jobs_is_not_dissolved_and_a_dissolved_team_keeps_its_name(
    workshop,
) -> None:
    event = order_created(diagnosis())
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    assert (await dispatch_to_team(workshop, job.id, MECH)).status_code == 200
    url = f"/teams/{MECH}/dissolution"
    busy = await workshop.client.post(url, headers=auth_headers("foreman.bj01"))
    assert busy.status_code == 409
    assert "DIAG-01" in busy.json()["detail"][0]["msg"]
    assert (await complete(workshop, job.id, "0.5")).status_code == 200
    dissolved = await workshop.client.post(url, headers=auth_headers("foreman.bj01"))
    assert dissolved.status_code == 200, dissolved.text
    assert dissolved.json()["active"] is False
    assert dissolved.json()["member_ids"] == []
    again = await workshop.client.post(url, headers=auth_headers("foreman.bj01"))
    assert again.status_code == 409
    active = (await workshop.client.get("/teams", headers=auth_headers("foreman.bj01"))).json()
    assert [t["name"] for t in active["data"]] == ["钣喷班"]
    gone = await workshop.client.get(
        "/teams", params={"active": "false"}, headers=auth_headers("foreman.bj01")
    )
    assert [(t["name"], t["dissolved_at"] is not None) for t in gone.json()["data"]] == [
        ("机电班", True)
    ]
    done = (
        await workshop.client.get(f"/jobs/{job.id}", headers=auth_headers("foreman.bj01"))
    ).json()
    assert done["team_name"] == "机电班"


# --- dispatch to a team -----------------------------------------------------------------


async def dispatch_to_team(workshop, job_id, team_id, user: str = "foreman.bj01", **body):
    payload = {"team_id": str(team_id), "received_by": "tech.bj01", **body}
    return await workshop.client.post(
        f"/jobs/{job_id}/dispatch", json=payload, headers=headers(user)
    )


async def test_foreman_dispatches_a_job_to_a_team_whose_leader_answers_for_it(workshop) -> None:
    with clock.driven(clock.ManualClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))):
        event = order_created(diagnosis())
        await workshop.publish(event)
        [job] = await jobs_of(workshop, event.order_id)
        handed = datetime(2026, 11, 23, 1, 57, tzinfo=UTC)
        response = await dispatch_to_team(
            workshop, job.id, MECH, received_by="tech.bj01.2", handed_over_at=handed.isoformat()
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["team_id"], body["team_name"]) == (
        "dispatched",
        str(MECH),
        "机电班",
    )
    assert body["technician_id"] == "tech.bj01"  # the leader answers for the team's job
    assert body["received_by"] == "tech.bj01.2"  # the member who took car and keys signs
    assert datetime.fromisoformat(body["handed_over_at"]) == handed.replace(minute=50)
    [message] = await outbox(workshop, "job.dispatched")
    assert message["payload"]["technician_id"] == "tech.bj01"
    assert message["payload"]["received_by"] == "tech.bj01.2"
    assert (message["payload"]["team_id"], message["payload"]["team_name"]) == (str(MECH), "机电班")
    listed = await workshop.client.get(
        "/jobs", params={"team_id": str(MECH)}, headers=auth_headers("foreman.bj01")
    )
    assert [j["id"] for j in listed.json()["data"]] == [str(job.id)]


async def test_a_team_job_needs_the_teams_skill_and_a_named_member_of_it(workshop) -> None:
    event = order_created(diagnosis())
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    no_skill = await dispatch_to_team(workshop, job.id, BODY)
    assert no_skill.status_code == 422
    assert no_skill.json()["detail"][0]["loc"][-1] == "team_id"
    assert "no mechanical skill" in no_skill.json()["detail"][0]["msg"]
    outsider = await dispatch_to_team(workshop, job.id, MECH, technician_id="tech.bj01.body")
    assert outsider.status_code == 422
    assert outsider.json()["detail"][0]["loc"][-1] == "technician_id"
    other_station = await dispatch_to_team(workshop, job.id, SH01_MECH)
    assert other_station.status_code == 422
    assert other_station.json()["detail"][0]["loc"][-1] == "team_id"
    nobody = await workshop.client.post(
        f"/jobs/{job.id}/dispatch", json={"received_by": "tech.bj01"},
        headers=auth_headers("foreman.bj01"),
    )  # fmt: skip
    assert nobody.status_code == 422
    assert nobody.json()["detail"][0]["loc"][-1] == "technician_id"
    member = await dispatch_to_team(workshop, job.id, MECH, technician_id="tech.bj01.2")
    assert member.status_code == 200, member.text
    assert member.json()["technician_id"] == "tech.bj01.2"
    assert [m["payload"]["technician_id"] for m in await outbox(workshop, "job.dispatched")] == [
        "tech.bj01.2"
    ]


async def test_a_team_job_goes_to_a_member_present_when_the_leader_is_away(workshop) -> None:
    today = calendar_for("bj01").local_day(datetime.now(UTC))
    await workshop.client.post(
        "/technicians/tech.bj01/absences",
        json={"first_day": str(today), "last_day": str(today), "reason": "training"},
        headers=auth_headers("foreman.bj01"),
    )
    event = order_created(diagnosis())
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    response = await dispatch_to_team(workshop, job.id, MECH)
    assert response.status_code == 200, response.text
    assert response.json()["technician_id"] == "tech.bj01.2"


async def test_members_of_the_team_clock_on_its_job_each_one_job_at_a_time(workshop) -> None:
    event = order_created(diagnosis("DIAG-01"), diagnosis("DIAG-02"))
    await workshop.publish(event)
    first, second = await jobs_of(workshop, event.order_id)
    await dispatch_to_team(workshop, first.id, MECH)
    await dispatch(workshop, second.id, "tech.bj01.2")
    # the leader and the member work the team's job side by side
    assert (await clock_on(workshop, first.id, "tech.bj01")).status_code == 200
    member_on = await clock_on(workshop, first.id, "tech.bj01.2")
    assert member_on.status_code == 200, member_on.text
    assert member_on.json()["status"] == "in_progress"
    # one job at a time per technician, team or not
    busy = await clock_on(workshop, second.id, "tech.bj01.2")
    assert busy.status_code == 409
    assert "clocked on job DIAG-01" in busy.json()["detail"][0]["msg"]
    # someone outside the team does not clock on its job
    outsider = await clock_on(workshop, first.id, "tech.bj01.body")
    assert outsider.status_code == 409
    assert "team 机电班" in outsider.json()["detail"][0]["msg"]
    # the member clocks off: the leader is still on it, so it stays in progress
    off = await clock_off(workshop, first.id, "lunch", user="tech.bj01.2")
    assert off.status_code == 200, off.text
    assert off.json()["status"] == "in_progress"
    clockings = (
        await workshop.client.get(f"/jobs/{first.id}/clockings", headers=auth_headers("tech.bj01"))
    ).json()
    assert {(c["technician_id"], c["ended_at"] is None) for c in clockings} == {
        ("tech.bj01", True),
        ("tech.bj01.2", False),
    }
    assert (await clock_on(workshop, second.id, "tech.bj01.2")).status_code == 200
    last_off = await clock_off(workshop, first.id, "lunch", user="tech.bj01")
    assert last_off.json()["status"] == "paused"
    # any member finishes the team's job
    done = await complete(workshop, first.id, "0.2", user="tech.bj01.2")
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "done"


async def test_a_member_of_the_team_finishes_its_job_and_one_outside_may_not(workshop) -> None:
    event = order_created(diagnosis())
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    await dispatch_to_team(workshop, job.id, MECH)
    outsider = await complete(workshop, job.id, "0.5", user="tech.bj01.body")
    assert outsider.status_code == 409
    assert "team 机电班" in outsider.json()["detail"][0]["msg"]
    done = await complete(workshop, job.id, "0.5", user="tech.bj01.2")
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "done"
    [declared] = (
        await workshop.client.get(f"/jobs/{job.id}/clockings", headers=auth_headers("tech.bj01"))
    ).json()
    assert declared["technician_id"] == "tech.bj01.2"


# --- who dispatches: the advisor a single-team order, the foreman a multi-team one ------


async def test_advisor_dispatches_an_order_whose_jobs_all_fall_to_one_team(workshop) -> None:
    """Mechanical and electrical work both fall to 机电班: one team, the advisor assigns it,
    to the team or one of its members."""
    event = order_created(diagnosis("DIAG-01"), diagnosis("ELEC-01", skill="electrical"))
    await workshop.publish(event)
    diag, elec = await jobs_of(workshop, event.order_id)
    to_team = await dispatch_to_team(workshop, diag.id, MECH, user="advisor.bj01")
    assert to_team.status_code == 200, to_team.text
    to_member = await dispatch(workshop, elec.id, "tech.bj01", user="advisor.bj01")
    assert to_member.status_code == 200, to_member.text
    # outside the order's team the advisor does not assign
    elsewhere = await dispatch_to_team(workshop, elec.id, BODY, user="advisor.bj01")
    assert elsewhere.status_code == 403
    assert "within its team (机电班)" in elsewhere.json()["detail"][0]["msg"]


async def test_advisor_is_refused_a_multi_team_order_which_only_the_foreman_dispatches(
    workshop,
) -> None:
    event = order_created(diagnosis("DIAG-01"), diagnosis("BODY-01", skill="body"))
    await workshop.publish(event)
    body_job, diag = await jobs_of(workshop, event.order_id)
    for attempt in (
        await dispatch_to_team(workshop, body_job.id, BODY, user="advisor.bj01"),
        await dispatch(workshop, diag.id, "tech.bj01", user="advisor.bj01"),
    ):
        assert attempt.status_code == 403
        reason = attempt.json()["detail"][0]["msg"]
        assert "body: 钣喷班; mechanical: 机电班" in reason
        assert "the foreman dispatches a multi-team order" in reason
    assert await outbox(workshop, "job.dispatched") == []
    assert (await dispatch_to_team(workshop, body_job.id, BODY)).status_code == 200
    assert (await dispatch_to_team(workshop, diag.id, MECH)).status_code == 200


async def test_board_shows_each_jobs_team_and_the_teams_present_and_their_load(workshop) -> None:
    event = order_created(diagnosis("DIAG-01"), diagnosis("BODY-01", skill="body"))
    await workshop.publish(event)
    body_job, _ = await jobs_of(workshop, event.order_id)
    await dispatch_to_team(workshop, body_job.id, BODY, received_by="tech.bj01.body")
    board = (await workshop.client.get("/board", headers=auth_headers("foreman.bj01"))).json()
    columns = {c["status"]: c for c in board["columns"]}
    [dispatched] = columns["dispatched"]["jobs"]
    assert (dispatched["team_id"], dispatched["team_name"]) == (str(BODY), "钣喷班")
    [ready] = columns["ready"]["jobs"]
    assert ready["team_id"] is None and ready["team_name"] is None
    teams = {t["name"]: t for t in board["teams"]}
    assert Decimal(teams["钣喷班"]["load_hours"]) == Decimal("0.5")
    assert teams["钣喷班"]["member_ids"] == ["tech.bj01.body", "tech.bj01.paint"]
    assert Decimal(teams["机电班"]["load_hours"]) == 0
    assert teams["机电班"]["leader_id"] == "tech.bj01"
