"""A job overrunning its time: the technician asks for more time through the foreman at once,
so the advisor can warn the customer (process §5)."""

from __future__ import annotations

from datetime import timedelta

from services.workshop.models import JobStatus
from services.workshop.tests.builders import labour_line, order_created
from services.workshop.tests.flow import clock_on, complete, dispatch, headers, jobs_of
from shared.db import utcnow
from shared.testing import ServiceHarness, auth_headers


async def job_in_progress(workshop: ServiceHarness, promised_in: timedelta = timedelta(hours=3)):
    event = order_created(labour_line("ENG-100", "2.0", major_system=None)).model_copy(
        update={"promised_at": utcnow() + promised_in}
    )
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    assert (await dispatch(workshop, job.id)).status_code == 200
    assert (await clock_on(workshop, job.id)).status_code == 200
    return event, job


def more_time(hours: str = "1.5", later: timedelta | None = timedelta(hours=5)) -> dict:
    body: dict = {"reason": "seized caliper bolts, drilling them out", "extra_hours": hours}
    if later is not None:
        body["new_promised_at"] = (utcnow() + later).isoformat()
    return body


async def ask(workshop, job_id, body=None, user="tech.bj01"):
    return await workshop.client.post(
        f"/jobs/{job_id}/overrun-requests", json=body or more_time(), headers=auth_headers(user)
    )


async def decide(workshop, request_id, approved=True, reason=None, user="foreman.bj01"):
    body = {"approved": approved, "reason": reason}
    return await workshop.client.post(
        f"/overrun-requests/{request_id}/decision", json=body, headers=auth_headers(user)
    )


async def test_technician_asks_for_more_time_with_reason_hours_and_new_promised_time(
    workshop,
) -> None:
    event, job = await job_in_progress(workshop)
    response = await ask(workshop, job.id)
    assert response.status_code == 201, response.text
    request = response.json()
    assert request["status"] == "requested"
    assert request["reason"].startswith("seized caliper")
    assert request["extra_hours"] == "1.5"
    assert request["requested_by"] == "tech.bj01"
    assert request["order_id"] == str(event.order_id)
    assert request["promised_before"] is not None
    # the foreman sees it waiting
    waiting = await workshop.client.get(
        "/overrun-requests", params={"status": "requested"}, headers=auth_headers("foreman.bj01")
    )
    assert [r["id"] for r in waiting.json()["data"]] == [request["id"]]


async def test_foreman_approval_moves_the_jobs_promised_time_and_the_advisor_lists_it(
    workshop,
) -> None:
    _, job = await job_in_progress(workshop)
    request = (await ask(workshop, job.id)).json()
    approved = await decide(workshop, request["id"])
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["decided_by"] == "foreman.bj01"
    moved = (await workshop.client.get(f"/jobs/{job.id}", headers=auth_headers("tech.bj01"))).json()
    assert moved["promised_at"][:19] == approved.json()["new_promised_at"][:19]
    # the advisor's list of approved overruns the customer has not been told of yet
    to_tell = await workshop.client.get(
        "/overrun-requests",
        params={"status": "approved", "customer_informed": "false"},
        headers=auth_headers("advisor.bj01"),
    )
    assert to_tell.status_code == 200
    assert [r["id"] for r in to_tell.json()["data"]] == [request["id"]]
    told = await workshop.client.post(
        f"/overrun-requests/{request['id']}/customer-informed",
        headers=auth_headers("advisor.bj01"),
    )
    assert told.status_code == 200
    assert told.json()["customer_informed_by"] == "advisor.bj01"
    after = await workshop.client.get(
        "/overrun-requests",
        params={"status": "approved", "customer_informed": "false"},
        headers=auth_headers("advisor.bj01"),
    )
    assert after.json()["count"] == 0


async def test_foreman_refusal_needs_a_reason_and_keeps_the_promised_time(workshop) -> None:
    _, job = await job_in_progress(workshop)
    before = (await jobs_of(workshop, job.order_id))[0].promised_at
    request = (await ask(workshop, job.id)).json()
    unexplained = await decide(workshop, request["id"], approved=False)
    assert unexplained.status_code == 422
    assert "reason" in str(unexplained.json()["detail"])
    refused = await decide(workshop, request["id"], approved=False, reason="finish by 17:00")
    assert refused.status_code == 200
    assert refused.json()["status"] == "refused"
    assert refused.json()["refusal_reason"] == "finish by 17:00"
    [kept] = await jobs_of(workshop, job.order_id)
    assert kept.promised_at == before
    # a refused overrun is not for the customer, and a decided request is not decided again
    tell = await workshop.client.post(
        f"/overrun-requests/{request['id']}/customer-informed",
        headers=auth_headers("advisor.bj01"),
    )
    assert tell.status_code == 409
    assert (await decide(workshop, request["id"])).status_code == 409


async def test_only_the_foreman_decides_a_request_for_more_time(workshop) -> None:
    _, job = await job_in_progress(workshop)
    request = (await ask(workshop, job.id)).json()
    for user in ("tech.bj01", "advisor.bj01"):
        assert (await decide(workshop, request["id"], user=user)).status_code == 403
    # another station's foreman does not see it at all
    assert (await decide(workshop, request["id"], user="foreman.sh01")).status_code == 404


async def test_more_time_is_asked_by_the_jobs_technician_on_a_job_being_worked_on(
    workshop,
) -> None:
    event = order_created(labour_line("ENG-100", "2.0", major_system=None))
    await workshop.publish(event)
    [job] = await jobs_of(workshop, event.order_id)
    not_dispatched = await ask(workshop, job.id)
    assert not_dispatched.status_code == 409
    assert "being worked on" in not_dispatched.json()["detail"][0]["msg"]
    await dispatch(workshop, job.id)
    other = await workshop.client.post(
        f"/jobs/{job.id}/overrun-requests", json=more_time(), headers=headers("tech.bj01.2")
    )
    assert other.status_code == 409
    assert "dispatched to tech.bj01" in other.json()["detail"][0]["msg"]
    assert (await ask(workshop, job.id, user="foreman.sh01")).status_code == 404
    assert (await ask(workshop, job.id)).status_code == 201
    await clock_on(workshop, job.id)
    assert (await complete(workshop, job.id)).status_code == 200
    [finished] = await jobs_of(workshop, event.order_id)
    assert finished.status == JobStatus.DONE
    assert (await ask(workshop, job.id)).status_code == 409


async def test_one_request_for_more_time_waits_per_job(workshop) -> None:
    _, job = await job_in_progress(workshop)
    assert (await ask(workshop, job.id)).status_code == 201
    second = await ask(workshop, job.id)
    assert second.status_code == 409
    assert "waiting for the foreman" in second.json()["detail"][0]["msg"]


async def test_new_promised_time_lies_after_the_current_promise_and_extra_hours_are_positive(
    workshop,
) -> None:
    _, job = await job_in_progress(workshop, promised_in=timedelta(hours=3))
    earlier = await ask(workshop, job.id, more_time(later=timedelta(hours=2)))
    assert earlier.status_code == 422
    assert earlier.json()["detail"][0]["loc"][-1] == "new_promised_at"
    past = await ask(workshop, job.id, more_time(later=-timedelta(hours=1)))
    assert past.status_code == 422
    far = {**more_time(), "new_promised_at": "9999-12-31T23:00:00-14:00"}
    assert (await ask(workshop, job.id, far)).status_code == 422
    none = await ask(workshop, job.id, more_time(hours="0"))
    assert none.status_code == 422
    assert none.json()["detail"][0]["loc"][-1] == "extra_hours"
    no_reason = await ask(workshop, job.id, {**more_time(), "reason": ""})
    assert no_reason.status_code == 422
    # more hours within the same promise: no new promised time needed
    same_promise = await ask(workshop, job.id, more_time(later=None))
    assert same_promise.status_code == 201
    assert same_promise.json()["new_promised_at"] is None


async def test_another_stations_request_for_more_time_is_not_found(workshop) -> None:
    _, job = await job_in_progress(workshop)
    request = (await ask(workshop, job.id)).json()
    hidden = await workshop.client.get(
        f"/overrun-requests/{request['id']}", headers=auth_headers("advisor.sh01")
    )
    assert hidden.status_code == 404
    listed = await workshop.client.get("/overrun-requests", headers=auth_headers("advisor.sh01"))
    assert listed.json()["count"] == 0
