"""What bars an organisation from claiming: a 不合格 grade for a while, and the committee's watch list (活动异常).

A barred organisation may not lead a claim, be invited to one, accept an invitation or be on a proposal submitted;
the refusal (403) says why and since or until when, on the API and on the claim form. Both bars are public on the
organisation's record; the watch list's writes are the committee's, each with a reason, audited, and told to the
organisation. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest

from market.kernel.clock import SHANGHAI, local_date
from tests.browser import signed_in
from tests.concurrency import signed_in as signed_in_workers
from tests.factories import (
    Api,
    As,
    audit_trail,
    draft_proposal,
    inbox_kinds,
    posted_task,
    problem,
    project_under_way,
    proposal_body,
)

EVALUATION = {"comment": "服务未按计划完成,居民反映较差"}


async def graded(api: Api, score: int) -> tuple[As, dict[str, Any], datetime]:
    """A project led by a new organisation, delivered and graded `score`; its lead, the project, when it was graded."""
    review, project = await project_under_way(api)
    lead = review.orgs[0]
    await lead.ok("POST", f"/projects/{project['id']}/deliver", status=200)
    await api.committee.ok(
        "POST", f"/projects/{project['id']}/evaluation", status=200, json=EVALUATION | {"score": score}
    )
    return lead, project, api.clock.now()


def first_free_day(graded_at: datetime, days: int) -> datetime:
    """The instant the bar ends: the start (Beijing) of the day `days` after the grading day."""
    day = local_date(graded_at) + timedelta(days=days)
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


async def test_fail_grade_bars_the_lead_until_the_period_ends_then_it_may_claim(api: Api) -> None:
    lead, project, at = await graded(api, 60)
    days = api.settings.fail_bar_days
    assert days == 365
    until = (local_date(at) + timedelta(days=days)).isoformat()

    task = await posted_task(api)
    refused = problem(await lead.post(f"/tasks/{task['id']}/proposals", json=proposal_body()), 403)
    assert refused["code"] == "error.claim_barred_grade"
    assert refused["field"] == "organization"
    assert (refused["bar"], refused["until"]) == ("grade", until)
    assert project["title"] in refused["detail"] and until in refused["detail"]
    english = await lead.post(f"/tasks/{task['id']}/proposals", json=proposal_body(), headers={"Accept-Language": "en"})
    assert "graded 不合格 (fail)" in problem(english, 403)["detail"]

    # The claim form says the same, asked of the same service.
    browser = await signed_in(api, lead)
    r = await browser.get(f"/tasks/{task['id']}/claim")
    assert r.status_code == 403
    assert project["title"] in r.text and until in r.text and '<form method="post" action="/tasks/' not in r.text

    # One second before the bar's end it still holds; at the end it is gone, with nothing stored or ticked.
    api.clock.set(first_free_day(at, days) - timedelta(seconds=1))
    late = await posted_task(api)
    problem(await lead.post(f"/tasks/{late['id']}/proposals", json=proposal_body()), 403)
    record = await api.anon.ok("GET", f"/organizations/{lead.user['org']['id']}/record")
    [bar] = record["claim_bars"]
    assert (bar["kind"], bar["until"], bar["project_id"], bar["reason"]) == (
        "grade",
        until,
        project["id"],
        project["title"],
    )
    page = await api.anon.client.get(f"/organizations/{lead.user['org']['id']}")
    assert until in page.text and project["title"] in page.text
    api.clock.set(first_free_day(at, days))
    assert (await draft_proposal(lead, late["id"]))["status"] == "draft"
    record = await api.anon.ok("GET", f"/organizations/{lead.user['org']['id']}/record")
    assert record["claim_bars"] == []


async def test_pass_grade_does_not_bar(api: Api) -> None:
    lead, _, _ = await graded(api, 75)
    task = await posted_task(api)
    assert (await draft_proposal(lead, task["id"]))["status"] == "draft"
    record = await api.anon.ok("GET", f"/organizations/{lead.user['org']['id']}/record")
    assert record["claim_bars"] == [] and record["grades"]["pass"] == 1


async def test_fail_grade_bars_joining_as_partner_by_every_door(api: Api) -> None:
    barred, _, _ = await graded(api, 74)
    lead = await api.org_member()
    barred_id = barred.user["org"]["id"]
    task = await posted_task(api, allow_joint=True)

    # Invited on the claim, or added later to a draft: refused, naming the partner field.
    r = await lead.post(f"/tasks/{task['id']}/proposals", json=proposal_body(partner_ids=[barred_id]))
    assert problem(r, 403, field="partner_ids")["code"] == "error.claim_barred_grade"
    draft = await draft_proposal(lead, task["id"])
    r = await lead.patch(f"/proposals/{draft['id']}", json={"partner_ids": [barred_id]})
    assert problem(r, 403, field="partner_ids")["code"] == "error.claim_barred_grade"


async def test_watch_list_blocks_accepting_and_submitting_an_earlier_invitation(api: Api) -> None:
    lead, partner = await api.org_member(), await api.org_member()
    partner_id = partner.user["org"]["id"]
    task = await posted_task(api, allow_joint=True)
    draft = await draft_proposal(lead, task["id"], partner_ids=[partner_id])

    placed = await api.committee.ok(
        "POST", f"/organizations/{partner_id}/watch-list", status=201, json={"reason": "年检材料弄虚作假"}
    )
    assert (placed["reason"], placed["lifted_at"], placed["lift_reason"]) == ("年检材料弄虚作假", None, None)
    r = await partner.post(f"/proposals/{draft['id']}/invitation", json={"accept": True})
    body = problem(r, 403)
    assert body["code"] == "error.claim_barred_watch_list" and "年检材料弄虚作假" in body["detail"]
    assert local_date(api.clock.now()).isoformat() in body["detail"]
    # Declining is always allowed: it takes the organisation out of the claim.
    await partner.ok("POST", f"/proposals/{draft['id']}/invitation", status=200, json={"accept": False})

    # Accepted before the placement: the lead cannot submit with it aboard.
    lead2, partner2 = await api.org_member(), await api.org_member()
    p2 = await draft_proposal(lead2, task["id"], partner_ids=[partner2.user["org"]["id"]])
    await partner2.ok("POST", f"/proposals/{p2['id']}/invitation", status=200, json={"accept": True})
    await api.committee.ok(
        "POST", f"/organizations/{partner2.user['org']['id']}/watch-list", status=201, json={"reason": "拖欠服务费用"}
    )
    body = problem(await lead2.post(f"/proposals/{p2['id']}/submit"), 403, field="organization")
    assert body["code"] == "error.claim_barred_watch_list"

    # Lifted with a reason: it may accept, and be submitted.
    await api.committee.ok(
        "POST", f"/organizations/{partner2.user['org']['id']}/watch-list/lift", status=200, json={"reason": "已补缴"}
    )
    assert (await lead2.ok("POST", f"/proposals/{p2['id']}/submit", status=200))["status"] == "submitted"


async def test_watch_list_blocks_leading_until_lifted_audited_told_and_public(api: Api) -> None:
    member = await api.org_member()
    org_id = member.user["org"]["id"]
    task = await posted_task(api)
    url = f"/organizations/{org_id}/watch-list"

    await api.committee.ok("POST", url, status=201, json={"reason": "  项目资金使用不规范  "})
    problem(await api.committee.post(url, json={"reason": "重复列入"}), 409)
    body = problem(await member.post(f"/tasks/{task['id']}/proposals", json=proposal_body()), 403)
    assert body["code"] == "error.claim_barred_watch_list"
    assert "项目资金使用不规范" in body["detail"]

    record = await api.anon.ok("GET", f"/organizations/{org_id}/record")
    [bar] = record["claim_bars"]
    assert (bar["kind"], bar["reason"], bar["until"], bar["project_id"]) == (
        "watch_list",
        "项目资金使用不规范",
        None,
        None,
    )
    page = await api.anon.client.get(f"/organizations/{org_id}")
    assert page.status_code == 200 and "项目资金使用不规范" in page.text and "尚未移出" in page.text

    api.clock.advance(days=3)
    await api.committee.ok("POST", f"{url}/lift", status=200, json={"reason": "已完成整改"})
    problem(await api.committee.post(f"{url}/lift", json={"reason": "再次移出"}), 409)
    assert (await draft_proposal(member, task["id"]))["status"] == "draft"

    record = await api.anon.ok("GET", f"/organizations/{org_id}/record")
    assert record["claim_bars"] == []
    [stay] = record["watch_list"]
    assert (stay["reason"], stay["lift_reason"]) == ("项目资金使用不规范", "已完成整改")
    assert stay["lifted_at"] is not None
    page = await api.anon.client.get(f"/organizations/{org_id}", headers={"Cookie": "lang=en"})
    assert "已完成整改" in page.text and "Watch list history" in page.text

    trail = await audit_trail(api, "organization", org_id)
    assert ("watch_list_place", "clear", "watch_list") in trail
    assert ("watch_list_lift", "watch_list", "clear") in trail
    assert (await inbox_kinds(member))[:2] == ["watch_list", "watch_list"]


@pytest.mark.parametrize("reason", ["", "   ", "\u3000\n", "a"])
async def test_blank_reasons_are_refused_and_nothing_is_written(api: Api, reason: str) -> None:
    member = await api.org_member()
    org_id = member.user["org"]["id"]
    url = f"/organizations/{org_id}/watch-list"
    problem(await api.committee.post(url, json={"reason": reason}), 422, field="reason")
    problem(await api.committee.post(url, json={}), 400)
    problem(await api.committee.post(url, json={"reason": "理由充分", "until": "2027-01-01"}), 400)
    assert (await api.anon.ok("GET", f"/organizations/{org_id}/record"))["watch_list"] == []
    await api.committee.ok("POST", url, status=201, json={"reason": "理由充分"})
    problem(await api.committee.post(f"{url}/lift", json={"reason": reason}), 422, field="reason")
    [stay] = (await api.anon.ok("GET", f"/organizations/{org_id}/record"))["watch_list"]
    assert stay["lifted_at"] is None


async def test_only_the_committee_places_or_lifts(api: Api) -> None:
    member = await api.org_member()
    url = f"/organizations/{member.user['org']['id']}/watch-list"
    problem(await api.anon.post(url, json={"reason": "理由充分"}), 401)
    for who in (member, await api.user("evaluator"), await api.org_member()):
        problem(await who.post(url, json={"reason": "理由充分"}), 403)
        problem(await who.post(f"{url}/lift", json={"reason": "理由充分"}), 403)
    problem(await api.committee.post("/organizations/999999/watch-list", json={"reason": "理由充分"}), 404)


@pytest.mark.parametrize("workers", [1, 2], ids=["one-worker", "two-workers"])
async def test_simultaneous_placements_leave_one_entry_and_the_rest_409(api: Api, workers: int) -> None:
    member = await api.org_member()
    org_id = member.user["org"]["id"]
    second = await api.user("committee")
    async with signed_in_workers(api, second.username, workers) as (sessions, gauges):
        rs = await asyncio.gather(
            *(
                sessions[i % workers].post(f"/organizations/{org_id}/watch-list", json={"reason": f"理由{i}号"})
                for i in range(8)
            )
        )
    assert max(g.peak for g in gauges) > 1, "the requests never overlapped"
    codes = sorted(r.status_code for r in rs)
    assert codes == [201] + [409] * 7, codes
    for r in rs:
        if r.status_code == 409:
            assert problem(r, 409)["code"] == "error.already_on_watch_list"
    assert len((await api.anon.ok("GET", f"/organizations/{org_id}/record"))["watch_list"]) == 1
    placements = [a for a in await audit_trail(api, "organization", org_id) if a[0] == "watch_list_place"]
    assert len(placements) == 1


async def test_committee_page_places_and_lifts_with_reasons(api: Api) -> None:
    member = await api.org_member()
    org_id = member.user["org"]["id"]
    browser = await signed_in(api)
    page_url = f"/committee/organizations/{org_id}/watch-list"
    assert page_url in await browser.page("/committee/organizations")

    r = await browser.submit(page_url, page_url, {"reason": "  "})
    assert r.status_code == 422 and 'id="f-reason-error"' in r.text
    r = await browser.submit(page_url, page_url, {"reason": "多次未按约定开展活动"})
    assert r.status_code == 303 and r.headers["location"] == page_url
    html = await browser.page(page_url)
    assert "多次未按约定开展活动" in html and f"{page_url}/lift" in html
    assert "data-watch-listed" in await browser.page("/committee/organizations")

    task = await posted_task(api)
    member_browser = await signed_in(api, member)
    r = await member_browser.get(f"/tasks/{task['id']}/claim")
    assert r.status_code == 403 and "多次未按约定开展活动" in r.text

    r = await browser.submit(page_url, f"{page_url}/lift", {"reason": "已整改到位"})
    assert r.status_code == 303
    html = await browser.page(page_url)
    assert "已整改到位" in html and f'action="{page_url}"' in html
    assert "data-watch-listed" not in await browser.page("/committee/organizations")
    assert (await member_browser.get(f"/tasks/{task['id']}/claim")).status_code == 200


async def test_grading_confirmation_says_how_long_a_fail_will_bar_the_lead(api: Api) -> None:
    review, project = await project_under_way(api)
    await review.orgs[0].ok("POST", f"/projects/{project['id']}/deliver", status=200)
    browser = await signed_in(api)
    url = f"/committee/projects/{project['id']}/evaluation"
    until = (local_date(api.clock.now()) + timedelta(days=api.settings.fail_bar_days)).isoformat()
    failing = await browser.submit(url, url, {"score": "74", "comment": "未达到预期"})
    assert failing.status_code == 200 and until in failing.text and "揭榜限制" in failing.text
    passing = await browser.submit(url, url, {"score": "75", "comment": "基本达到预期"})
    assert passing.status_code == 200 and "揭榜限制" not in passing.text
