"""Tasks (榜单) through the HTTP API: who may draft, post, amend and cancel; what the public sees; the deadline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from market.kernel.db import create_engine
from market.models import AuditEntry
from tests.factories import (
    Api,
    As,
    claims_kept,
    draft_proposal,
    draft_task,
    inbox_kinds,
    posted_task,
    problem,
    submitted_proposal,
    task_body,
)

DEFAULT_RUBRIC = [
    {"name": "专业能力", "maximum": 30},
    {"name": "工作思路", "maximum": 30},
    {"name": "预期效果", "maximum": 25},
    {"name": "预算合理性", "maximum": 15},
]


def deadline_of(task: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(task["claim_deadline"])


async def committee_total(api: Api) -> int:
    """Every task, drafts included, as the committee counts them."""
    page = await api.committee.ok("GET", "/tasks", params={"limit": 1})
    return int(page["total"])


async def audit_count(api: Api) -> int:
    engine = create_engine(api.settings.database_url)
    try:
        async with async_sessionmaker(engine)() as db:
            return int(await db.scalar(select(func.count()).select_from(AuditEntry)) or 0)
    finally:
        await engine.dispose()


async def listed_ids(who: As, **params: Any) -> list[int]:
    page = await who.ok("GET", "/tasks", params={"limit": 100} | params)
    return [t["id"] for t in page["items"]]


# Who may act --------------------------------------------------------------------------------------------------


async def test_only_the_committee_drafts_posts_amends_and_cancels(api: Api) -> None:
    org = await api.org_member()
    draft = await draft_task(api)
    posted = await posted_task(api)
    before = await committee_total(api)
    attempts: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "/tasks", task_body(api)),
        ("PATCH", f"/tasks/{draft['id']}", {"title": "改过的标题"}),
        ("POST", f"/tasks/{draft['id']}/post", None),
        ("POST", f"/tasks/{draft['id']}/cancel", {"reason": "不再需要"}),
        ("POST", f"/tasks/{posted['id']}/amendments", {"reason": "调整标题", "title": "改过的标题"}),
        ("POST", f"/tasks/{posted['id']}/cancel", {"reason": "不再需要"}),
    ]
    for method, url, body in attempts:
        problem(await org.request(method, url, json=body), 403)
        problem(await api.anon.request(method, url, json=body), 401)

    assert await committee_total(api) == before
    again = await api.committee.ok("GET", f"/tasks/{draft['id']}")
    assert (again["status"], again["title"]) == ("draft", draft["title"])
    again = await api.committee.ok("GET", f"/tasks/{posted['id']}")
    assert (again["status"], again["title"], again["amendments"]) == ("posted", posted["title"], [])


async def test_drafts_are_invisible_to_everyone_but_the_committee(api: Api) -> None:
    org = await api.org_member()
    draft = await draft_task(api)
    posted = await posted_task(api)
    nowhere = await api.anon.get("/tasks/99999999")
    missing = problem(nowhere, 404)

    for who in (api.anon, org):
        assert problem(await who.get(f"/tasks/{draft['id']}"), 404) == missing
        problem(await who.get(f"/tasks/{draft['id']}/questions"), 404)
        problem(await who.get(f"/tasks/{draft['id']}/proposals"), 404)
        ids = await listed_ids(who)
        assert posted["id"] in ids
        assert draft["id"] not in ids
        page = await who.ok("GET", "/tasks")
        assert page["total"] == 1
    # Asking about, or claiming, a draft must not reveal that it exists either.
    problem(await org.post(f"/tasks/{draft['id']}/questions", json={"question": "预算包含场地费吗?"}), 404)
    problem(await org.post(f"/tasks/{draft['id']}/proposals", json={"requested_budget_fen": 100}), 404)

    seen = await api.committee.ok("GET", f"/tasks/{draft['id']}")
    assert seen["status"] == "draft"
    assert set(await listed_ids(api.committee)) == {draft["id"], posted["id"]}
    assert await listed_ids(api.committee, status="draft") == [draft["id"]]


# Drafting and posting -----------------------------------------------------------------------------------------


async def test_posting_with_a_past_deadline_is_invalid(api: Api) -> None:
    stale = await draft_task(api, claim_deadline=api.later(hours=-1).isoformat())
    problem(await api.committee.post(f"/tasks/{stale['id']}/post"), 422, field="claim_deadline")
    assert (await api.committee.ok("GET", f"/tasks/{stale['id']}"))["status"] == "draft"

    # A deadline that was in the future when drafted but has passed by posting time is just as stale.
    soon = await draft_task(api, claim_deadline=api.later(hours=1).isoformat())
    api.clock.advance(hours=2)
    problem(await api.committee.post(f"/tasks/{soon['id']}/post"), 422, field="claim_deadline")
    again = await api.committee.ok("GET", f"/tasks/{soon['id']}")
    assert (again["status"], again["posted_at"]) == ("draft", None)
    assert soon["id"] not in await listed_ids(api.anon)


async def test_rubric_maxima_must_add_up_to_100(api: Api) -> None:
    before = await committee_total(api)
    short = [{"name": "专业能力", "maximum": 30}, {"name": "工作思路", "maximum": 30}]
    problem(await api.committee.post("/tasks", json=task_body(api, rubric=short)), 422, field="rubric")
    over = [*DEFAULT_RUBRIC, {"name": "创新性", "maximum": 10}]
    problem(await api.committee.post("/tasks", json=task_body(api, rubric=over)), 422, field="rubric")
    assert await committee_total(api) == before

    draft = await draft_task(api)
    problem(await api.committee.patch(f"/tasks/{draft['id']}", json={"rubric": short}), 422, field="rubric")
    assert (await api.committee.ok("GET", f"/tasks/{draft['id']}"))["rubric"] == DEFAULT_RUBRIC


async def test_default_rubric_is_applied_and_a_custom_one_kept(api: Api) -> None:
    plain = await draft_task(api)
    assert plain["rubric"] == DEFAULT_RUBRIC
    custom = [{"name": "专业能力", "maximum": 50}, {"name": "预算合理性", "maximum": 50}]
    task = await draft_task(api, rubric=custom)
    assert (await api.committee.ok("GET", f"/tasks/{task['id']}"))["rubric"] == custom


async def test_a_posted_task_is_public_and_its_alliance_is_told(api: Api) -> None:
    member = await api.org_member("new-orgs")
    outsider = await api.org_member("legal")
    task = await posted_task(api)
    assert task["status"] == "posted"
    assert task["posted_at"] is not None
    public = await api.anon.ok("GET", f"/tasks/{task['id']}")
    assert (public["status"], public["title"]) == ("posted", task["title"])
    assert "task_posted" in await inbox_kinds(member)
    assert "task_posted" not in await inbox_kinds(outsider)
    # Posting twice is a conflict with the state, and changes nothing.
    problem(await api.committee.post(f"/tasks/{task['id']}/post"), 409)
    assert (await api.anon.ok("GET", f"/tasks/{task['id']}"))["posted_at"] == task["posted_at"]


async def test_a_posted_task_is_not_edited_directly(api: Api) -> None:
    task = await posted_task(api)
    problem(await api.committee.patch(f"/tasks/{task['id']}", json={"title": "直接改标题"}), 409)
    assert (await api.anon.ok("GET", f"/tasks/{task['id']}"))["title"] == task["title"]


# Lists --------------------------------------------------------------------------------------------------------


async def test_list_filters_by_status_category_alliance_text_and_pages_with_a_total(api: Api) -> None:
    org = await api.org_member("new-orgs")
    elderly = await posted_task(api, title="长者助餐ABC", claim_deadline=api.later(days=5).isoformat())
    legal = await posted_task(
        api,
        title="法律援助进社区",
        category="legal_aid",
        alliances=["legal"],
        claim_deadline=api.later(days=5).isoformat(),
    )
    finance = await posted_task(
        api,
        title="金融夜校",
        category="finance_education",
        alliances=["new-orgs", "media"],
        posting_unit="九水街道",
        claim_deadline=api.later(days=20).isoformat(),
    )
    draft = await draft_task(api, title="草稿榜单")
    await submitted_proposal(org, elderly["id"])

    assert await listed_ids(api.anon, category="legal_aid") == [legal["id"]]
    assert set(await listed_ids(api.anon, alliance="new-orgs")) == {elderly["id"], finance["id"]}
    assert await listed_ids(api.anon, alliance="media") == [finance["id"]]
    assert await listed_ids(api.anon, q="夜校") == [finance["id"]]
    assert await listed_ids(api.anon, q="九水") == [finance["id"]]  # the posting unit is searched too
    assert await listed_ids(api.anon, q="abc") == [elderly["id"]]  # the same answer on both databases
    assert await listed_ids(api.anon, q="%") == []  # wildcards are literal
    assert await listed_ids(api.anon, q="草稿") == []
    assert set(await listed_ids(api.anon, status="posted")) == {elderly["id"], legal["id"], finance["id"]}

    # Pages: newest posted first, the total counts every match, not just the page.
    first = await api.anon.ok("GET", "/tasks", params={"limit": 2, "offset": 0})
    second = await api.anon.ok("GET", "/tasks", params={"limit": 2, "offset": 2})
    assert (first["total"], second["total"]) == (3, 3)
    assert [t["id"] for t in first["items"]] == [finance["id"], legal["id"]]
    assert [t["id"] for t in second["items"]] == [elderly["id"]]
    beyond = await api.anon.ok("GET", "/tasks", params={"offset": 50})
    assert (beyond["total"], beyond["items"]) == (3, [])

    # After the first two deadlines, with nobody ticking: one was claimed and is in review, one went unclaimed.
    api.clock.advance(days=6)
    reviewing = await api.anon.ok("GET", "/tasks", params={"status": "reviewing"})
    assert (reviewing["total"], [t["id"] for t in reviewing["items"]]) == (1, [elderly["id"]])
    assert reviewing["items"][0]["status"] == "reviewing"
    unclaimed = await api.anon.ok("GET", "/tasks", params={"status": "unclaimed"})
    assert (unclaimed["total"], [t["id"] for t in unclaimed["items"]]) == (1, [legal["id"]])
    assert await listed_ids(api.anon, status="posted") == [finance["id"]]
    statuses = {t["id"]: t["status"] for t in (await api.anon.ok("GET", "/tasks"))["items"]}
    assert statuses == {elderly["id"]: "reviewing", legal["id"]: "unclaimed", finance["id"]: "posted"}
    assert draft["id"] in await listed_ids(api.committee, status="draft")


async def test_list_refuses_drafts_filter_to_the_public(api: Api) -> None:
    await draft_task(api)
    problem(await api.anon.get("/tasks", params={"status": "draft"}), 403)


# The deadline -------------------------------------------------------------------------------------------------


async def test_review_begins_at_the_deadline_without_anyone_acting(api: Api) -> None:
    org = await api.org_member()
    task = await posted_task(api)
    await submitted_proposal(org, task["id"])
    deadline = deadline_of(task)

    api.clock.set(deadline - timedelta(seconds=1))
    assert (await api.anon.ok("GET", f"/tasks/{task['id']}"))["status"] == "posted"
    assert await listed_ids(api.anon, status="reviewing") == []

    api.clock.set(deadline)
    shown = await api.anon.ok("GET", f"/tasks/{task['id']}")
    assert (shown["status"], shown["claims"]) == ("reviewing", 1)
    assert await listed_ids(api.anon, status="reviewing") == [task["id"]]
    assert await listed_ids(api.anon, status="posted") == []


async def test_a_task_nobody_submitted_to_reads_unclaimed_at_the_deadline(api: Api) -> None:
    org = await api.org_member()
    task = await posted_task(api)
    await draft_proposal(org, task["id"])  # a draft is not a claim
    api.clock.set(deadline_of(task))
    shown = await api.anon.ok("GET", f"/tasks/{task['id']}")
    assert (shown["status"], shown["claims"]) == ("unclaimed", 0)
    assert await listed_ids(api.anon, status="unclaimed") == [task["id"]]


# Cancelling ---------------------------------------------------------------------------------------------------


async def test_cancel_works_from_draft_posted_and_reviewing_with_a_reason(api: Api) -> None:
    org = await api.org_member()
    draft = await draft_task(api)
    posted = await posted_task(api)
    reviewing = await posted_task(api, claim_deadline=api.later(days=2).isoformat())
    await submitted_proposal(org, reviewing["id"])
    api.clock.advance(days=3)
    assert (await api.anon.ok("GET", f"/tasks/{reviewing['id']}"))["status"] == "reviewing"

    for task in (draft, posted, reviewing):
        done = await api.committee.ok("POST", f"/tasks/{task['id']}/cancel", status=200, json={"reason": "需求已变化"})
        assert (done["status"], done["cancel_reason"]) == ("cancelled", "需求已变化")
        shown = await api.committee.ok("GET", f"/tasks/{task['id']}")
        assert (shown["status"], shown["cancel_reason"]) == ("cancelled", "需求已变化")
        assert shown["closed_at"] is not None
    assert "task_cancelled" in await inbox_kinds(org)


async def test_cancel_needs_a_reason(api: Api) -> None:
    task = await posted_task(api)
    problem(await api.committee.post(f"/tasks/{task['id']}/cancel", json={}), 400)
    problem(await api.committee.post(f"/tasks/{task['id']}/cancel", json={"reason": ""}), 422, field="reason")
    problem(await api.committee.post(f"/tasks/{task['id']}/cancel"), 400)
    shown = await api.anon.ok("GET", f"/tasks/{task['id']}")
    assert (shown["status"], shown["cancel_reason"]) == ("posted", "")


async def test_cancelling_twice_conflicts(api: Api) -> None:
    task = await posted_task(api)
    await api.committee.ok("POST", f"/tasks/{task['id']}/cancel", status=200, json={"reason": "第一次取消"})
    problem(await api.committee.post(f"/tasks/{task['id']}/cancel", json={"reason": "第二次取消"}), 409)
    assert (await api.anon.ok("GET", f"/tasks/{task['id']}"))["cancel_reason"] == "第一次取消"


async def test_an_unclaimed_task_cannot_be_cancelled(api: Api) -> None:
    task = await posted_task(api)
    api.clock.set(deadline_of(task))
    problem(await api.committee.post(f"/tasks/{task['id']}/cancel", json={"reason": "流榜后取消"}), 409)
    assert (await api.anon.ok("GET", f"/tasks/{task['id']}"))["status"] == "unclaimed"


# Amendments ---------------------------------------------------------------------------------------------------


async def test_a_title_only_amendment_keeps_submitted_proposals_submitted(api: Api) -> None:
    org = await api.org_member()
    task = await posted_task(api)
    p = await submitted_proposal(org, task["id"])
    amended = await api.committee.ok(
        "POST", f"/tasks/{task['id']}/amendments", status=201, json={"reason": "标题更准确", "title": "长者助餐(修订)"}
    )
    assert amended["title"] == "长者助餐(修订)"
    [amendment] = amended["amendments"]
    assert (amendment["number"], amendment["material"], amendment["reason"]) == (1, False, "标题更准确")
    assert amendment["changes"] == {"title": {"before": task["title"], "after": "长者助餐(修订)"}}

    assert (await org.ok("GET", f"/proposals/{p['id']}"))["status"] == "submitted"
    assert await claims_kept(api, task["id"]) == 1
    assert "task_amended" not in await inbox_kinds(org)


MATERIAL_CHANGES: dict[str, Any] = {
    "budget_fen": 6_000_000,
    "rubric": [{"name": "专业能力", "maximum": 40}, {"name": "工作思路", "maximum": 60}],
    "alliances": ["new-orgs", "volunteers"],
    "claim_deadline": "later",
}


@pytest.mark.parametrize("field", sorted(MATERIAL_CHANGES))
async def test_a_material_amendment_returns_submitted_proposals_to_draft_and_tells_their_organisations(
    api: Api, field: str
) -> None:
    lead = await api.org_member()
    partner = await api.org_member()
    bystander = await api.org_member()
    task = await posted_task(api, allow_joint=True)
    p = await draft_proposal(lead, task["id"], partner_ids=[partner.user["org"]["id"]])
    await partner.ok("POST", f"/proposals/{p['id']}/invitation", status=200, json={"accept": True})
    await lead.ok("POST", f"/proposals/{p['id']}/submit", status=200)
    draft_only = await draft_proposal(bystander, task["id"])

    value = api.later(days=15).isoformat() if field == "claim_deadline" else MATERIAL_CHANGES[field]
    amended = await api.committee.ok(
        "POST", f"/tasks/{task['id']}/amendments", status=201, json={"reason": "条款调整", field: value}
    )
    [amendment] = amended["amendments"]
    assert amendment["material"] is True
    assert list(amendment["changes"]) == [field]
    assert amended["claims"] is None  # claims are still open: not even the committee sees a count

    back = await lead.ok("GET", f"/proposals/{p['id']}")
    assert (back["status"], back["submitted_at"]) == ("draft", None)
    assert (await bystander.ok("GET", f"/proposals/{draft_only['id']}"))["status"] == "draft"
    assert await claims_kept(api, task["id"]) == 0
    assert "task_amended" in await inbox_kinds(lead)
    assert "task_amended" in await inbox_kinds(partner)
    assert "task_amended" not in await inbox_kinds(bystander)  # its draft was not returned to it
    # The organisation reads the new terms and submits again.
    again = await lead.ok("POST", f"/proposals/{p['id']}/submit", status=200)
    assert again["status"] == "submitted"


async def test_an_amendment_that_changes_nothing_is_invalid(api: Api) -> None:
    task = await posted_task(api)
    same = {"reason": "无变化", "title": task["title"], "budget_fen": task["budget_fen"]}
    problem(await api.committee.post(f"/tasks/{task['id']}/amendments", json=same), 422)
    problem(await api.committee.post(f"/tasks/{task['id']}/amendments", json={"reason": "什么也没改"}), 422)
    # The same instant written in another zone is the same deadline.
    same_deadline = deadline_of(task).astimezone(datetime.fromisoformat("2026-01-01T00:00:00+08:00").tzinfo)
    r = await api.committee.post(
        f"/tasks/{task['id']}/amendments", json={"reason": "同一时刻", "claim_deadline": same_deadline.isoformat()}
    )
    problem(r, 422)
    assert (await api.anon.ok("GET", f"/tasks/{task['id']}"))["amendments"] == []


async def test_joint_claims_cannot_be_switched_off_while_a_joint_proposal_is_live(api: Api) -> None:
    lead = await api.org_member()
    partner = await api.org_member()
    task = await posted_task(api, allow_joint=True)
    p = await draft_proposal(lead, task["id"], partner_ids=[partner.user["org"]["id"]])
    r = await api.committee.post(f"/tasks/{task['id']}/amendments", json={"reason": "不再联合", "allow_joint": False})
    problem(r, 409)
    shown = await api.anon.ok("GET", f"/tasks/{task['id']}")
    assert (shown["allow_joint"], shown["amendments"]) == (True, [])
    # Once the partner is dropped, the amendment goes through, and it is not material.
    await lead.ok("PATCH", f"/proposals/{p['id']}", json={"partner_ids": []})
    amended = await api.committee.ok(
        "POST", f"/tasks/{task['id']}/amendments", status=201, json={"reason": "不再联合", "allow_joint": False}
    )
    assert amended["allow_joint"] is False
    assert amended["amendments"][0]["material"] is False


async def test_an_empty_patch_of_a_draft_changes_nothing(api: Api) -> None:
    draft = await draft_task(api)
    before = await audit_count(api)
    same = await api.committee.ok("PATCH", f"/tasks/{draft['id']}", json={})
    assert same == draft
    assert await audit_count(api) == before


async def test_an_amendment_cannot_move_the_deadline_into_the_past(api: Api) -> None:
    task = await posted_task(api)
    r = await api.committee.post(
        f"/tasks/{task['id']}/amendments",
        json={"reason": "提前截止", "claim_deadline": api.later(minutes=-1).isoformat()},
    )
    problem(r, 422, field="claim_deadline")
    shown = await api.anon.ok("GET", f"/tasks/{task['id']}")
    assert (shown["claim_deadline"], shown["amendments"]) == (task["claim_deadline"], [])


async def test_amending_after_the_deadline_conflicts(api: Api) -> None:
    org = await api.org_member()
    task = await posted_task(api)
    await submitted_proposal(org, task["id"])
    api.clock.set(deadline_of(task))
    r = await api.committee.post(f"/tasks/{task['id']}/amendments", json={"reason": "补充说明", "title": "晚了"})
    problem(r, 409)
    shown = await api.anon.ok("GET", f"/tasks/{task['id']}")
    assert (shown["status"], shown["title"], shown["amendments"]) == ("reviewing", task["title"], [])


async def test_a_draft_is_edited_not_amended(api: Api) -> None:
    draft = await draft_task(api)
    problem(await api.committee.post(f"/tasks/{draft['id']}/amendments", json={"reason": "改标题", "title": "新"}), 409)
    edited = await api.committee.ok("PATCH", f"/tasks/{draft['id']}", json={"title": "新标题", "budget_fen": 100})
    assert (edited["title"], edited["budget_fen"], edited["amendments"]) == ("新标题", 100, [])


# Questions (答疑) ----------------------------------------------------------------------------------------------


async def test_a_signed_in_user_asks_and_an_anonymous_one_cannot(api: Api) -> None:
    org = await api.org_member()
    task = await posted_task(api)
    problem(await api.anon.post(f"/tasks/{task['id']}/questions", json={"question": "可以联合揭榜吗?"}), 401)
    q = await org.ok("POST", f"/tasks/{task['id']}/questions", status=201, json={"question": "预算包含场地费吗?"})
    assert (q["question"], q["answer"], q["answered_at"]) == ("预算包含场地费吗?", "", None)
    committee_view = await api.committee.ok("GET", f"/tasks/{task['id']}/questions")
    assert [x["id"] for x in committee_view] == [q["id"]]
    assert "question" in await inbox_kinds(api.committee)


async def test_the_public_sees_only_answered_questions_and_never_the_asker(api: Api) -> None:
    org = await api.org_member()
    task = await posted_task(api)
    answered = await org.ok("POST", f"/tasks/{task['id']}/questions", status=201, json={"question": "需要驻园吗?"})
    await org.ok("POST", f"/tasks/{task['id']}/questions", status=201, json={"question": "可以分期拨付吗?"})
    await api.committee.ok(
        "POST",
        f"/tasks/{task['id']}/questions/{answered['id']}/answer",
        status=200,
        json={"answer": "不要求驻园。"},
    )

    for who in (api.anon, await api.org_member()):
        r = await who.get(f"/tasks/{task['id']}/questions")
        assert r.status_code == 200
        [shown] = r.json()
        assert set(shown) == {"id", "question", "answer", "asked_at", "answered_at"}
        assert (shown["question"], shown["answer"]) == ("需要驻园吗?", "不要求驻园。")
        assert org.username not in r.text
        detail = await who.get(f"/tasks/{task['id']}")
        assert [x["id"] for x in detail.json()["questions"]] == [answered["id"]]
        assert org.username not in detail.text
        assert org.user["org"]["name"] not in detail.text
        for question in detail.json()["questions"]:
            assert not {k for k in question if "user" in k or "asked_by" in k or "org" in k}


async def test_the_asker_is_told_when_answered(api: Api) -> None:
    org = await api.org_member()
    other = await api.org_member()
    task = await posted_task(api)
    q = await org.ok("POST", f"/tasks/{task['id']}/questions", status=201, json={"question": "服务对象有多少人?"})
    assert "answer" not in await inbox_kinds(org)
    await api.committee.ok(
        "POST", f"/tasks/{task['id']}/questions/{q['id']}/answer", status=200, json={"answer": "约120人。"}
    )
    assert "answer" in await inbox_kinds(org)
    assert "answer" not in await inbox_kinds(other)


async def test_questions_are_taken_only_while_the_task_is_open(api: Api) -> None:
    org = await api.org_member()
    task = await posted_task(api)
    api.clock.set(deadline_of(task))
    problem(await org.post(f"/tasks/{task['id']}/questions", json={"question": "还能提问吗?"}), 409)
    assert await api.committee.ok("GET", f"/tasks/{task['id']}/questions") == []


async def test_only_the_committee_answers(api: Api) -> None:
    org = await api.org_member()
    task = await posted_task(api)
    q = await org.ok("POST", f"/tasks/{task['id']}/questions", status=201, json={"question": "谁来回答?"})
    problem(await org.post(f"/tasks/{task['id']}/questions/{q['id']}/answer", json={"answer": "我自己"}), 403)
    problem(await api.committee.post(f"/tasks/{task['id']}/questions/999999/answer", json={"answer": "无"}), 404)
    assert await api.anon.ok("GET", f"/tasks/{task['id']}/questions") == []


# Reposting ----------------------------------------------------------------------------------------------------


async def test_reposting_an_unclaimed_task_creates_a_linked_draft(api: Api) -> None:
    task = await posted_task(api, allow_joint=True, category="children")
    problem(await api.committee.post(f"/tasks/{task['id']}/repost"), 409)  # still open for claims
    api.clock.set(deadline_of(task) + timedelta(days=1))
    copy = await api.committee.ok("POST", f"/tasks/{task['id']}/repost", status=201)
    assert copy["id"] != task["id"]
    assert (copy["status"], copy["reposted_from_id"]) == ("draft", task["id"])
    for key in ("title", "description", "category", "budget_fen", "allow_joint", "alliances", "rubric"):
        assert copy[key] == task[key], key
    assert (await api.anon.ok("GET", f"/tasks/{task['id']}"))["status"] == "unclaimed"
    assert copy["id"] not in await listed_ids(api.anon)
    # The copy gets a new deadline and is posted like any draft.
    await api.committee.ok("PATCH", f"/tasks/{copy['id']}", json={"claim_deadline": api.later(days=10).isoformat()})
    reposted = await api.committee.ok("POST", f"/tasks/{copy['id']}/post", status=200)
    assert reposted["status"] == "posted"
    problem(await (await api.org_member()).post(f"/tasks/{task['id']}/repost"), 403)


async def test_questions_and_inbox_items_carry_the_time_on_the_apps_clock(api: Api) -> None:
    # The demo plays a year on a moving clock: what happened in March must not say it happened today.
    task = await posted_task(api)
    org = await api.org_member()
    api.clock.advance(days=2, hours=3)
    at = api.clock.now()
    await org.ok("POST", f"/tasks/{task['id']}/questions", status=201, json={"question": "预算包含场地费吗?"})
    (question,) = await api.committee.ok("GET", f"/tasks/{task['id']}/questions")
    assert datetime.fromisoformat(question["asked_at"]) == at
    member = await api.org_member()
    api.clock.advance(hours=1)
    await posted_task(api)  # tells the alliance's organisations
    inbox = await member.ok("GET", "/inbox")
    assert inbox["items"] and datetime.fromisoformat(inbox["items"][0]["created_at"]) == api.clock.now()
