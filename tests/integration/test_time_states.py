"""States that follow from time read right at the instant, on every read, with no ticker (tests run tick_seconds=0).

A deadline passing, a notice period ending and a class starting change what every read shows at that instant:
the task, its proposals, its award and project, and the needs it answers all agree. The lists check counts a
stored state behind the derived one as a violation, and never catches up first.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from market.kernel.clock import as_utc
from market.kernel.db import create_engine
from market.models import AuditEntry, Need, Project
from tests.browser import Browser
from tests.concurrency import worker
from tests.factories import (
    Api,
    awarded_review,
    finance_project,
    night_class,
    posted_task,
    problem,
    raised_need,
    secretary,
    sign_up,
    submitted_proposal,
)


def deadline_of(task: dict[str, Any]) -> datetime:
    return as_utc(datetime.fromisoformat(task["claim_deadline"]))


def notice_end(notice: dict[str, Any]) -> datetime:
    return as_utc(datetime.fromisoformat(notice["notice_ends_at"]))


async def page(api: Api, url: str) -> str:
    return await Browser(api.client).page(url)


async def lists_check(api: Api) -> dict[str, Any]:
    result: dict[str, Any] = await api.committee.ok("GET", "/lists/check")
    return result


async def sql(api: Api, statement: Any) -> Any:
    """Run one statement straight on the test's database (as a stale writer, or to count), committed."""
    engine = create_engine(api.settings.database_url)
    try:
        async with async_sessionmaker(engine)() as db:
            result = (await db.execute(statement)).scalar() if statement.is_select else await db.execute(statement)
            await db.commit()
            return result
    finally:
        await engine.dispose()


# The deadline --------------------------------------------------------------------------------------------------


async def test_at_the_deadline_a_need_answered_by_a_task_nobody_claimed_reads_open_with_no_tick(api: Api) -> None:
    sec = await secretary(api)
    need = await raised_need(sec, api)
    task = await posted_task(api, need_ids=[need["id"]])
    assert (await api.anon.ok("GET", f"/needs/{need['id']}"))["status"] == "matched"

    api.clock.set(deadline_of(task))  # the instant itself, and nobody ticks
    shown = await api.anon.ok("GET", f"/needs/{need['id']}")
    assert shown["status"] == "open"
    assert [(t["id"], t["status"]) for t in shown["tasks"]] == [(task["id"], "unclaimed")]
    assert (await api.anon.ok("GET", f"/tasks/{task['id']}"))["status"] == "unclaimed"
    listed = await api.anon.ok("GET", "/needs", params={"status": "open"})
    assert [n["id"] for n in listed["items"]] == [need["id"]]
    html = await page(api, f"/needs/{need['id']}")
    assert "待对接" in html and "流榜" in html
    assert "已对接" not in html
    assert await lists_check(api) == {"ok": True, "violations": [], "due_transitions": 0}


async def test_a_task_with_a_claim_is_in_review_at_its_deadline_and_its_need_stays_matched(api: Api) -> None:
    sec = await secretary(api)
    need = await raised_need(sec, api)
    task = await posted_task(api, need_ids=[need["id"]])
    await submitted_proposal(await api.org_member(), task["id"])
    api.clock.set(deadline_of(task))
    assert (await api.anon.ok("GET", f"/tasks/{task['id']}"))["status"] == "reviewing"
    assert (await api.anon.ok("GET", f"/needs/{need['id']}"))["status"] == "matched"
    assert (await lists_check(api))["ok"] is True


# The end of a notice period ------------------------------------------------------------------------------------


async def test_when_the_notice_period_ends_task_award_and_project_read_so_with_no_tick(api: Api) -> None:
    sec = await secretary(api)
    need = await raised_need(sec, api)
    review, notice = await awarded_review(api, need_ids=[need["id"]])
    assert (await api.anon.ok("GET", "/projects"))["total"] == 0

    api.clock.set(notice_end(notice))
    assert (await api.anon.ok("GET", f"/tasks/{review.task_id}"))["status"] == "in_progress"
    assert (await api.anon.ok("GET", f"/awards/{notice['id']}"))["status"] == "confirmed"
    projects = await api.anon.ok("GET", "/projects")
    assert [(p["task_id"], p["status"]) for p in projects["items"]] == [(review.task_id, "in_progress")]
    html = await page(api, f"/tasks/{review.task_id}")
    assert "实施中" in html and "badge-confirmed" in html
    assert (await api.anon.ok("GET", f"/needs/{need['id']}"))["status"] == "matched"
    assert await lists_check(api) == {"ok": True, "violations": [], "due_transitions": 0}


async def test_a_notice_period_with_an_open_objection_does_not_end_by_itself(api: Api) -> None:
    review, notice = await awarded_review(api)
    objection = {"name": "居民甲", "contact": "13800000000", "grounds": "评分过程有疑问"}
    await api.anon.ok("POST", f"/awards/{notice['id']}/objections", status=201, json=objection)
    api.clock.set(notice_end(notice) + timedelta(days=1))
    assert (await api.anon.ok("GET", f"/tasks/{review.task_id}"))["status"] == "awarded"
    assert (await api.anon.ok("GET", f"/awards/{notice['id']}"))["status"] == "notice"
    assert (await api.anon.ok("GET", "/projects"))["total"] == 0
    assert (await lists_check(api))["ok"] is True


# A class starting ----------------------------------------------------------------------------------------------


async def test_a_class_that_has_started_reads_sign_up_closed(api: Api) -> None:
    organiser, project = await finance_project(api)
    made = await night_class(api, organiser, project["id"], seats=1)
    await sign_up(api, made["id"], 1)
    assert (await api.anon.ok("GET", f"/classes/{made['id']}"))["signups_open"] is True
    api.clock.set(as_utc(datetime.fromisoformat(made["starts_at"])))
    assert (await api.anon.ok("GET", f"/classes/{made['id']}"))["signups_open"] is False
    late = await api.anon.post(f"/classes/{made['id']}/signups", json={"name": "居民二", "phone": "13900000002"})
    problem(late, 409)


# The lists check -----------------------------------------------------------------------------------------------


async def test_the_lists_check_reports_states_stored_behind_time_until_a_read_stores_them(api: Api) -> None:
    _, notice = await awarded_review(api)
    sec = await secretary(api)
    need = await raised_need(sec, api)
    task = await posted_task(api, need_ids=[need["id"]])
    api.clock.set(max(deadline_of(task), notice_end(notice)) + timedelta(minutes=1))

    # The check reads the store as it is: nothing has been read since the deadline and the end of the notice.
    found = await lists_check(api)
    assert found["ok"] is False
    assert found["due_transitions"] == 2
    rules = {(v["rule"], v["entity"], v["entity_id"]) for v in found["violations"]}
    assert ("task_behind_deadline", "task", task["id"]) in rules
    assert ("award_behind_notice_end", "award", notice["id"]) in rules
    assert ("need_out_of_step", "need", need["id"]) in rules

    # Any other request stores them first; the check is then clean.
    await api.anon.ok("GET", "/tasks")
    assert await lists_check(api) == {"ok": True, "violations": [], "due_transitions": 0}


async def test_the_lists_check_reports_a_need_stored_as_matched_by_a_task_that_went_unclaimed(api: Api) -> None:
    sec = await secretary(api)
    need = await raised_need(sec, api)
    task = await posted_task(api, need_ids=[need["id"]])
    api.clock.set(deadline_of(task) + timedelta(hours=1))
    assert (await api.anon.ok("GET", f"/needs/{need['id']}"))["status"] == "open"

    # A stale writer puts the need back: the derived state (open) is ahead of the stored one.
    await sql(api, update(Need).where(Need.id == need["id"]).values(status="matched"))
    found = await lists_check(api)
    need_rules = [v for v in found["violations"] if v["rule"] != "statistics_out_of_step"]
    assert [(v["rule"], v["entity_id"], v["detail"]) for v in need_rules] == [
        ("need_out_of_step", need["id"], "need is matched, its links say open")
    ]
    # The stale write went round the statistics' rollup as well, and the check says that too.
    assert [v["entity"] for v in found["violations"] if v["rule"] == "statistics_out_of_step"] == ["needs"]
    await sql(api, update(Need).where(Need.id == need["id"]).values(status="open"))
    assert (await lists_check(api))["ok"] is True


# Several workers at the due instant ----------------------------------------------------------------------------


@pytest.mark.slow
async def test_two_simultaneous_reads_at_the_end_of_a_notice_period_confirm_the_award_once(api: Api) -> None:
    sec = await secretary(api)
    need = await raised_need(sec, api)
    review, notice = await awarded_review(api, need_ids=[need["id"]])
    api.clock.set(notice_end(notice))
    async with worker(api) as (one, gauge_one), worker(api) as (two, gauge_two):
        reads = [
            one.anon.get(f"/api/v1/tasks/{review.task_id}"),
            two.anon.get(f"/api/v1/awards/{notice['id']}"),
            one.anon.get("/api/v1/projects"),
            two.anon.get(f"/api/v1/needs/{need['id']}"),
        ]
        responses = await asyncio.gather(*reads)
    assert [r.status_code for r in responses] == [200] * 4, [r.text[:200] for r in responses]
    assert gauge_one.peak > 1 and gauge_two.peak > 1  # each worker had both of its reads in flight at once
    assert responses[0].json()["status"] == "in_progress"
    assert responses[1].json()["status"] == "confirmed"
    assert [p["task_id"] for p in responses[2].json()["items"]] == [review.task_id]
    assert responses[3].json()["status"] == "matched"

    assert await sql(api, select(func.count()).select_from(Project).where(Project.task_id == review.task_id)) == 1
    confirms = select(func.count()).where(
        AuditEntry.entity == "award", AuditEntry.entity_id == notice["id"], AuditEntry.action == "confirm"
    )
    assert await sql(api, confirms) == 1
    assert (await api.committee.ok("GET", "/audit/verify"))["ok"] is True
