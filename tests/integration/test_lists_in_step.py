"""The three lists across whole lifecycles, and what the public may and may not learn along the way."""

from __future__ import annotations

from tests.factories import (
    Api,
    draft_task,
    posted_task,
    project_under_way,
    raised_need,
    secretary,
    submitted_proposal,
    task_in_review,
)


async def test_claim_count_is_hidden_from_everyone_while_claims_are_open(api: Api) -> None:
    member = await api.org_member()
    task = await posted_task(api)
    await submitted_proposal(member, task["id"])
    assert (await api.anon.ok("GET", f"/tasks/{task['id']}"))["claims"] is None
    assert [t["claims"] for t in (await api.anon.ok("GET", "/tasks"))["items"]] == [None]
    assert (await member.ok("GET", f"/tasks/{task['id']}"))["claims"] is None
    assert (await api.committee.ok("GET", f"/tasks/{task['id']}"))["claims"] is None
    api.clock.advance(days=11)
    assert (await api.anon.ok("GET", f"/tasks/{task['id']}"))["claims"] == 1


async def test_proposals_of_a_task_cancelled_before_its_deadline_stay_sealed_after_it(api: Api) -> None:
    member = await api.org_member()
    task = await posted_task(api)
    p = await submitted_proposal(member, task["id"])
    await api.committee.ok("POST", f"/tasks/{task['id']}/cancel", status=200, json={"reason": "街道调整计划"})
    api.clock.advance(days=30)
    assert (await api.committee.get(f"/proposals/{p['id']}")).status_code == 404
    assert await api.committee.ok("GET", f"/tasks/{task['id']}/proposals") == []
    assert (await member.ok("GET", f"/proposals/{p['id']}"))["id"] == p["id"]


async def test_a_task_that_goes_unclaimed_at_its_deadline_reopens_its_needs_with_no_tick(api: Api) -> None:
    sec = await secretary(api)
    need = await raised_need(sec, api)
    task = await posted_task(api, need_ids=[need["id"]])
    assert (await api.anon.ok("GET", f"/needs/{need['id']}"))["status"] == "matched"
    api.clock.advance(days=11)
    assert (await api.anon.ok("GET", f"/tasks/{task['id']}"))["status"] == "unclaimed"
    assert (await api.anon.ok("GET", f"/needs/{need['id']}"))["status"] == "open"
    # The first read stored it; the tick finds nothing left to do.
    assert (await api.committee.ok("POST", "/tick", status=200))["unclaimed"] == 0


async def test_disqualifying_every_proposal_makes_the_task_unclaimed_and_reopens_its_needs(api: Api) -> None:
    sec = await secretary(api)
    need = await raised_need(sec, api)
    review = await task_in_review(api, proposals=2, panel=1, need_ids=[need["id"]])
    for i in (0, 1):
        await api.committee.ok(
            "POST",
            f"/proposals/{review.pid(i)}/qualification",
            status=200,
            json={"qualified": False, "reason": "不符合资质要求"},
        )
    assert (await api.anon.ok("GET", f"/tasks/{review.task_id}"))["status"] == "unclaimed"
    assert (await api.anon.ok("GET", f"/needs/{need['id']}"))["status"] == "open"


async def test_the_tick_ends_a_quiet_notice_period_into_a_project_and_the_needs_stay_matched(api: Api) -> None:
    sec = await secretary(api)
    need = await raised_need(sec, api)
    review, project = await project_under_way(api, need_ids=[need["id"]])
    assert (await api.anon.ok("GET", f"/tasks/{review.task_id}"))["status"] == "in_progress"
    assert project["status"] == "in_progress"
    assert (await api.anon.ok("GET", f"/needs/{need['id']}"))["status"] == "matched"
    listed = (await api.anon.ok("GET", "/projects"))["items"]
    assert [p["id"] for p in listed] == [project["id"]]
    assert need["id"] in listed[0]["need_ids"]


async def test_project_list_shows_alliance_and_latest_progress(api: Api) -> None:
    review, project = await project_under_way(api)
    lead = review.orgs[0]
    for percent in (20, 45):
        await lead.ok(
            "POST",
            f"/projects/{project['id']}/reports",
            status=201,
            json={"body": f"完成{percent}%", "percent_complete": percent},
        )
        api.clock.advance(hours=1)
    [row] = (await api.anon.ok("GET", "/projects"))["items"]
    assert row["alliance"] == "new-orgs"
    assert row["alliance_name"] == "新型社会组织联盟"
    assert (row["latest_percent"], row["latest_report"]) == (45, "完成45%")
    assert (await api.anon.ok("GET", "/projects", params={"alliance": "legal"}))["items"] == []
    assert len((await api.anon.ok("GET", "/projects", params={"alliance": "new-orgs"}))["items"]) == 1


async def test_a_draft_dropped_before_posting_never_shows_on_a_need(api: Api) -> None:
    sec = await secretary(api)
    need = await raised_need(sec, api)
    draft = await draft_task(api, need_ids=[need["id"]])
    await api.committee.ok("POST", f"/tasks/{draft['id']}/cancel", status=200, json={"reason": "暂不发榜"})
    assert (await api.anon.ok("GET", f"/needs/{need['id']}"))["tasks"] == []
    assert (await api.anon.get(f"/tasks/{draft['id']}")).status_code == 404
    assert draft["id"] not in [t["id"] for t in (await api.anon.ok("GET", "/tasks"))["items"]]


async def test_a_need_declined_after_its_draft_was_linked_stops_the_draft_being_posted(api: Api) -> None:
    sec = await secretary(api)
    need = await raised_need(sec, api)
    other = await raised_need(sec, api)
    draft = await draft_task(api, need_ids=[other["id"]])
    await api.committee.ok("PATCH", f"/tasks/{draft['id']}", status=200, json={"need_ids": [need["id"]]})
    # Declining a need a draft answers is refused outright...
    assert (await api.committee.post(f"/needs/{need['id']}/decline", json={"reason": "重复"})).status_code == 409
    # ...and posting re-checks the links in the same transaction.
    await api.committee.ok("POST", f"/tasks/{draft['id']}/post", status=200)
    assert (await api.anon.ok("GET", f"/needs/{need['id']}"))["status"] == "matched"
