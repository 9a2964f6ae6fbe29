"""The evaluator's pages: the review queue and the scoring form, driven like a browser, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

from tests.browser import Browser, field_error, lang_of, signed_in, value_of
from tests.factories import (
    Api,
    As,
    marks,
    marks_for,
    posted_task,
    submitted_proposal,
    task_in_review,
)


def score_url(task_id: int, proposal_id: int) -> str:
    return f"/panel/tasks/{task_id}/proposals/{proposal_id}"


def mark_data(*values: str) -> dict[str, str]:
    """The scoring form's fields for the default rubric, in its order."""
    return {f"mark_{i}": v for i, v in enumerate(values)}


async def my_queue(member: As, task_id: int) -> dict[str, Any]:
    queue: dict[str, Any] = await member.ok("GET", f"/tasks/{task_id}/scoring")
    return queue


def flash_text(html: str) -> str:
    m = re.search(r'<div class="flashes"[^>]*>(.*?)</div>', html, re.DOTALL)
    return m.group(1) if m else ""


async def test_queue_says_proposals_are_sealed_until_the_deadline(api: Api) -> None:
    task = await posted_task(api, title="独居老人助餐评审")
    evaluator = await api.user("evaluator")
    await api.committee.ok("PUT", f"/tasks/{task['id']}/panel", json={"user_ids": [evaluator.user["id"]]})
    browser = await signed_in(api, evaluator)
    html = await browser.page("/panel")
    assert lang_of(html) == "zh-CN"
    assert "独居老人助餐评审" in html and f'href="/panel/tasks/{task["id"]}"' in html
    assert "意向书密封至揭榜截止（2026-03-12 09:00）" in html
    html = await browser.page(f"/panel/tasks/{task['id']}")
    assert "意向书密封至揭榜截止" in html and "mark_0" not in html
    await browser.get("/lang/en")
    html = await browser.page("/panel")
    assert lang_of(html) == "en" and "Proposals stay sealed until claims close (2026-03-12 09:00)" in html


async def test_queue_shows_what_i_scored_and_what_still_waits_in_both_languages(api: Api) -> None:
    review = await task_in_review(api, proposals=2, panel=2)
    me = review.panel[0]
    await me.ok("PUT", f"/proposals/{review.pid(0)}/scores", json={"marks": marks(28, 27, 20, 12)})
    browser = await signed_in(api, me)
    html = await browser.page("/panel")
    assert "已评 1 份 · 待评 1 份 · 回避 0 份" in html
    assert "我的总分 87.0" in html
    # The one still waiting has its own "score it" button; the scored one is only viewed.
    assert f'class="button" href="{score_url(review.task_id, review.pid(1))}"' in html
    assert f'class="more" href="{score_url(review.task_id, review.pid(0))}"' in html
    html = await browser.page(f"/panel/tasks/{review.task_id}")
    assert "在评审组全体成员评完之前，您只能看到自己的评分。" in html
    assert "28.0" in html and "综合评分排名" not in html
    await browser.get("/lang/en")
    html = await browser.page("/panel")
    assert "1 scored · 1 waiting · 0 recused" in html and "My total 87.0" in html
    html = await browser.page(f"/panel/tasks/{review.task_id}")
    assert "Until the whole panel has scored you see only your own marks." in html


async def test_scoring_form_shows_the_proposal_and_saves_marks(api: Api) -> None:
    review = await task_in_review(api, proposals=1, panel=2)
    me = review.panel[0]
    url = score_url(review.task_id, review.pid(0))
    browser = await signed_in(api, me)
    html = await browser.page(url)
    assert review.proposals[0]["lead_org_name"] in html
    assert "十年助老服务经验" in html and "每日两餐上门配送" in html and "满意度95%" in html
    assert "¥40,000.00" in html
    labels = ("专业能力（满分 30）", "工作思路（满分 30）", "预期效果（满分 25）", "预算合理性（满分 15）")
    for i, label in enumerate(labels):
        assert f'<label for="f-mark_{i}">{label}' in html
        assert re.search(rf'name="mark_{i}"[^>]*inputmode="decimal"', html)
    # Full-width digits from a Chinese input method are read as numbers.
    r = await browser.submit(url, url, mark_data("２８．５", "27", "20", "12.5"))
    assert r.status_code == 303 and r.headers["location"] == f"/panel#task-{review.task_id}"
    html = await browser.page("/panel")
    assert "已保存对" in flash_text(html) and "总分 88.0" in flash_text(html)
    queue = await my_queue(me, review.task_id)
    assert queue["scored"] == 1
    assert queue["items"][0]["marks"] == {
        "专业能力": "28.5",
        "工作思路": "27.0",
        "预期效果": "20.0",
        "预算合理性": "12.5",
    }


async def test_a_refused_mark_comes_back_beside_its_criterion_with_the_input_kept(api: Api) -> None:
    review = await task_in_review(api, proposals=1, panel=2)
    me = review.panel[0]
    url = score_url(review.task_id, review.pid(0))
    browser = await signed_in(api, me)

    r = await browser.submit(url, url, mark_data("31", "27", "20", "12"))
    assert r.status_code == 422
    assert field_error(r.text, "mark_0") == "「专业能力」评分须在 0 到 30 之间"
    assert value_of(r.text, "mark_0") == "31" and value_of(r.text, "mark_3") == "12"
    assert field_error(r.text, "mark_1") is None

    r = await browser.submit(url, url, mark_data("28", "27.25", "20", "12"))
    assert r.status_code == 422 and "最多一位小数" in (field_error(r.text, "mark_1") or "")

    r = await browser.submit(url, url, mark_data("28", "", "abc", "12"))
    assert r.status_code == 422
    assert field_error(r.text, "mark_1") == "此项必填"
    assert field_error(r.text, "mark_2") == "请填写 0 到 25 之间的数字，最多一位小数"
    assert value_of(r.text, "mark_2") == "abc"

    await browser.get("/lang/en")
    r = await browser.submit(url, url, mark_data("28", "27", "26", "12"))
    assert r.status_code == 422
    assert field_error(r.text, "mark_2") == "mark for &#39;预期效果&#39; must be 0 to 25"

    queue = await my_queue(me, review.task_id)
    assert (queue["scored"], queue["waiting"]) == (0, 1)


async def test_rescoring_until_the_panel_is_complete_then_everyones_marks_and_the_ranking(api: Api) -> None:
    review = await task_in_review(api, proposals=2, panel=2)
    me, other = review.panel
    url = score_url(review.task_id, review.pid(0))
    browser = await signed_in(api, me)
    r = await browser.submit(url, url, mark_data("20", "20", "20", "10"))
    assert r.status_code == 303
    # Re-scoring: the form comes back filled with my marks and says it will change them.
    html = await browser.page(url)
    assert value_of(html, "mark_0") == "20.0" and "保存修改后的评分" in html
    r = await browser.submit(url, url, mark_data("25", "20", "20", "10"))
    assert r.status_code == 303
    assert (await my_queue(me, review.task_id))["items"][0]["total"] == "75.0"

    await other.ok("PUT", f"/proposals/{review.pid(0)}/scores", json={"marks": marks_for("81")})
    await other.ok("PUT", f"/proposals/{review.pid(1)}/scores", json={"marks": marks_for("70")})
    html = await browser.page(url)
    assert other.username not in html  # still sealed: I have not scored everything
    r = await browser.submit(
        score_url(review.task_id, review.pid(1)),
        score_url(review.task_id, review.pid(1)),
        mark_data("30", "30", "20", "10"),
    )
    assert r.status_code == 303
    assert "排名已公开" in flash_text(await browser.page("/panel"))

    html = await browser.page(url)
    assert "评审组已全部评完，分数已锁定。" in html and 'name="mark_0"' not in html
    assert "评审组全体评分" in html and other.username in html and "81.0" in html
    html = await browser.page(f"/panel/tasks/{review.task_id}")
    assert "综合评分排名" in html and "各评审总分" in html
    # Frozen: a late post is refused above the form, nothing changes.
    r = await browser.submit(url, url, mark_data("30", "30", "25", "15"))
    assert r.status_code == 422 and "分数已公开并锁定" in r.text
    assert (await my_queue(me, review.task_id))["items"][0]["total"] == "75.0"


async def test_a_recused_member_sees_the_recusal_and_cannot_score(api: Api) -> None:
    review = await task_in_review(api, proposals=2, panel=2, member_of={0: 0})
    me = review.panel[0]
    browser = await signed_in(api, me)
    html = await browser.page("/panel")
    assert "已评 0 份 · 待评 1 份 · 回避 1 份" in html and "回避" in html
    url = score_url(review.task_id, review.pid(0))
    html = await browser.page(url)
    assert "按规定须回避" in html and 'name="mark_0"' not in html
    r = await browser.submit(url, url, mark_data("20", "20", "20", "10"))
    assert r.status_code == 403
    assert (await my_queue(me, review.task_id))["scored"] == 0


async def test_panel_pages_are_for_evaluators_on_that_panel(api: Api) -> None:
    review = await task_in_review(api, proposals=1, panel=1)
    url = score_url(review.task_id, review.pid(0))
    visitor = Browser(api.client)
    r = await visitor.get("/panel")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/panel"
    r = await visitor.get(url)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/panel/tasks/")
    org = await signed_in(api, review.orgs[0])
    assert (await org.get("/panel")).status_code == 403
    assert (await org.get(url)).status_code == 403
    stranger = await signed_in(api, await api.user("evaluator"))
    html = await stranger.page("/panel")
    assert "目前没有需要您评审的榜单。" in html
    assert (await stranger.get(f"/panel/tasks/{review.task_id}")).status_code == 403
    assert (await stranger.get(url)).status_code == 403
    r = await stranger.submit("/panel", url, mark_data("20", "20", "20", "10"))
    assert r.status_code == 403


async def test_a_sealed_or_unknown_proposal_is_not_found(api: Api) -> None:
    task = await posted_task(api)
    org = await api.org_member()
    p = await submitted_proposal(org, task["id"])
    evaluator = await api.user("evaluator")
    await api.committee.ok("PUT", f"/tasks/{task['id']}/panel", json={"user_ids": [evaluator.user["id"]]})
    browser = await signed_in(api, evaluator)
    assert (await browser.get(score_url(task["id"], p["id"]))).status_code == 404
    assert (await browser.get(score_url(task["id"], 999_999))).status_code == 404


async def test_the_panel_seat_notification_link_leads_to_the_queue(api: Api) -> None:
    review = await task_in_review(api, proposals=1, panel=1)
    inbox = await review.panel[0].ok("GET", "/inbox")
    link = next(n["link"] for n in inbox["items"] if n["kind"] == "panel_seat")
    browser = await signed_in(api, review.panel[0])
    r = await browser.get(link)
    assert r.status_code == 303 and r.headers["location"] == f"/panel/tasks/{review.task_id}"
    assert "评审：" in await browser.page(r.headers["location"])
