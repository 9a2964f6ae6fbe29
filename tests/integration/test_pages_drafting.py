"""The committee drafting tasks through the pages — new, edit, publish, amend, cancel, repost, panel, answers —
driven like a browser without JavaScript, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import httpx

from tests.browser import Browser, field_error, lang_of, signed_in, value_of
from tests.factories import (
    Api,
    draft_task,
    inbox_kinds,
    posted_task,
    raised_need,
    secretary,
    submitted_proposal,
    task_in_review,
)

NEW = "/committee/tasks/new"
Form = dict[str, list[str]]


class _FormReader(HTMLParser):
    """What a browser would send for the POST form with the given action: inputs, ticked boxes, textareas and
    selected options (the CSRF token left out; Browser.submit adds a fresh one)."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.data: Form = {}
        self.textarea: str | None = None
        self.select: str | None = None
        self.first_option: tuple[str, str] | None = None
        self.selected = False

    def _add(self, name: str, value: str) -> None:
        if name and name != "_csrf_token":
            self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("method") == "post" and a.get("action") == self.action
        if not self.inside:
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind == "checkbox":
                if "checked" in a:
                    self._add(a.get("name", ""), a.get("value", "on"))
            elif kind not in ("submit", "button"):
                self._add(a.get("name", ""), a.get("value", ""))
        elif tag == "textarea":
            self.textarea = a.get("name", "")
            self._add(self.textarea, "")
        elif tag == "select":
            self.select, self.first_option, self.selected = a.get("name", ""), None, False
        elif tag == "option" and self.select is not None:
            if self.first_option is None:
                self.first_option = (self.select, a.get("value", ""))
            if "selected" in a:
                self._add(self.select, a.get("value", ""))
                self.selected = True

    def handle_data(self, data: str) -> None:
        if self.inside and self.textarea is not None:
            self.data[self.textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select" and self.select is not None:
            if not self.selected and self.first_option:
                self._add(*self.first_option)
            self.select = None


def form_of(html: str, action: str) -> Form:
    reader = _FormReader(action)
    reader.feed(html)
    return reader.data


async def send(browser: Browser, url: str, action: str, changes: dict[str, Any] | None = None) -> httpx.Response:
    """Open the page, take its form as the browser shows it, change some fields, post it."""
    data = form_of(await browser.page(url), action)
    for name, value in (changes or {}).items():
        data[name] = value if isinstance(value, list) else [value]
    return await browser.submit(url, action, data)


def flash_text(html: str) -> str:
    m = re.search(r'<div class="flashes"[^>]*>(.*?)</div>', html, re.DOTALL)
    return m.group(1) if m else ""


def new_task_fields(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": "社区老年食堂运营",
        "description": "为辖区独居老人提供午餐\n每周探访一次",
        "category": "elderly_care",
        "posting_unit": "虎山路街道",
        "budget_yuan": "50,000.5",
        "funding_mode": "project_fund",
        "claim_deadline_date": "2026-03-20",
        "claim_deadline_time": "17:30",
        "alliances": ["new-orgs", "legal"],
        "allow_joint": "on",
    }
    return base | changes


# New drafts --------------------------------------------------------------------------------------------------


async def test_new_task_form_offers_the_default_rubric_in_both_languages(api: Api) -> None:
    browser = await signed_in(api, "committee")
    html = await browser.page(NEW)
    assert lang_of(html) == "zh-CN" and "发布新榜单" in html
    assert [value_of(html, f"rubric_{i}_name") for i in range(4)] == ["专业能力", "工作思路", "预期效果", "预算合理性"]
    assert [value_of(html, f"rubric_{i}_maximum") for i in range(4)] == ["30", "30", "25", "15"]
    assert value_of(html, "rubric_5_name") == "" and value_of(html, "claim_deadline_time") == "17:00"
    for code in ("new-orgs", "volunteers", "legal", "media"):
        assert f'name="alliances" value="{code}"' in html
    assert 'type="date"' in html and 'type="time"' in html
    await browser.get("/lang/en")
    html = await browser.page(NEW)
    assert lang_of(html) == "en" and "Post a new task" in html and "Budget (yuan)" in html


async def test_a_new_draft_takes_yuan_shanghai_time_checkboxes_and_a_custom_rubric(api: Api) -> None:
    community = await api.community("振华路社区")
    need = await raised_need(await secretary(api, community), api, title="老人午餐无人照应")
    browser = await signed_in(api, "committee")
    html = await browser.page(NEW)
    assert "老人午餐无人照应" in html and "振华路社区" in html
    assert f'name="need_ids" value="{need["id"]}">' in html
    html = await browser.page(f"{NEW}?need_id={need['id']}")  # "post a task for this need" links land ticked
    assert f'name="need_ids" value="{need["id"]}" checked' in html
    fields = new_task_fields(
        community_ids=[str(community["id"])],
        need_ids=[str(need["id"])],
        rubric_0_name="服务经验",
        rubric_0_maximum="40",
        rubric_1_name="实施方案",
        rubric_1_maximum="40",
        rubric_2_name="",
        rubric_2_maximum="",
        rubric_3_name="经费安排",
        rubric_3_maximum="２０",
    )
    r = await send(browser, NEW, NEW, fields)
    assert r.status_code == 303, r.text[:2000]
    task_id = int(r.headers["location"].rsplit("/", 1)[1])
    task = await api.committee.ok("GET", f"/tasks/{task_id}")
    assert task["status"] == "draft" and task["title"] == "社区老年食堂运营"
    assert task["budget_fen"] == 5_000_050 and task["funding_mode"] == "project_fund"
    assert task["claim_deadline"].startswith("2026-03-20T09:30:00")  # 17:30 in Shanghai
    assert [a["code"] for a in task["alliances"]] == ["new-orgs", "legal"] and task["allow_joint"] is True
    assert [c["id"] for c in task["communities"]] == [community["id"]] and task["need_ids"] == [need["id"]]
    assert task["rubric"] == [
        {"name": "服务经验", "maximum": 40},
        {"name": "实施方案", "maximum": 40},
        {"name": "经费安排", "maximum": 20},
    ]
    assert task["description"] == "为辖区独居老人提供午餐\n每周探访一次"
    html = await browser.page(f"/tasks/{task_id}")
    assert "草稿「社区老年食堂运营」已保存" in flash_text(html)
    assert f'action="/committee/tasks/{task_id}/post"' in html


async def test_a_refused_task_form_keeps_the_input_and_says_why_beside_each_field(api: Api) -> None:
    browser = await signed_in(api, "committee")
    fields = new_task_fields(title="", budget_yuan="五万", alliances=[], rubric_1_maximum="三十")
    r = await send(browser, NEW, NEW, fields)
    assert r.status_code == 422
    assert field_error(r.text, "title") == "此项必填"
    assert field_error(r.text, "budget_yuan") == "请填写大于 0 的金额，最多两位小数"
    assert field_error(r.text, "alliances") == "请至少选择一个联盟"
    assert field_error(r.text, "rubric_1_maximum") == "请填写 1 到 100 之间的整数"
    assert value_of(r.text, "budget_yuan") == "五万" and value_of(r.text, "description").startswith("为辖区")
    assert 'name="alliances" value="new-orgs">' in r.text  # no longer ticked
    assert 'value="project_fund" selected' in r.text

    # The rubric's sum is the service's rule; its message comes back beside the rubric.
    r = await send(browser, NEW, NEW, new_task_fields(rubric_3_maximum="5"))
    assert r.status_code == 422 and field_error(r.text, "rubric") == "各项满分合计为 90，须为 100"
    assert value_of(r.text, "rubric_3_maximum") == "5"
    assert 'name="alliances" value="legal" checked' in r.text

    await browser.get("/lang/en")
    r = await send(browser, NEW, NEW, new_task_fields(title="x" * 101))
    assert r.status_code == 422 and field_error(r.text, "title") == "At most 100 characters"
    page = await api.committee.ok("GET", "/tasks", params={"status": "draft"})
    assert page["total"] == 0


# Edit and publish --------------------------------------------------------------------------------------------


async def test_editing_a_draft_changes_what_was_changed_and_publishing_posts_it(api: Api) -> None:
    task = await draft_task(api, title="旧标题")
    before = await api.committee.ok("GET", f"/tasks/{task['id']}")
    url, action = f"/committee/tasks/{task['id']}/edit", f"/committee/tasks/{task['id']}/edit"
    browser = await signed_in(api, "committee")
    html = await browser.page(url)
    assert value_of(html, "title") == "旧标题" and value_of(html, "budget_yuan") == "50000"
    assert 'name="alliances" value="new-orgs" checked' in html
    r = await send(browser, url, action, {"title": "新标题"})
    assert r.status_code == 303 and r.headers["location"] == f"/tasks/{task['id']}"
    after = await api.committee.ok("GET", f"/tasks/{task['id']}")
    assert after["title"] == "新标题"
    assert {k: v for k, v in after.items() if k != "title"} == {k: v for k, v in before.items() if k != "title"}

    r = await browser.submit(f"/tasks/{task['id']}", f"/committee/tasks/{task['id']}/post", {})
    assert r.status_code == 303
    assert "已发榜" in flash_text(await browser.page(r.headers["location"]))
    assert (await api.anon.ok("GET", f"/tasks/{task['id']}"))["status"] == "posted"
    # A posted task is no longer edited directly.
    assert (await browser.get(url)).status_code == 409


async def test_publishing_a_draft_whose_deadline_has_passed_comes_back_beside_the_deadline(api: Api) -> None:
    task = await draft_task(api, claim_deadline=api.later(days=1).isoformat())
    api.clock.advance(days=2)
    browser = await signed_in(api, "committee")
    r = await browser.submit(f"/tasks/{task['id']}", f"/committee/tasks/{task['id']}/post", {})
    assert r.status_code == 422
    assert field_error(r.text, "claim_deadline_date") == "揭榜截止时间须晚于现在"
    assert value_of(r.text, "title") == task["title"]
    assert (await api.committee.ok("GET", f"/tasks/{task['id']}"))["status"] == "draft"


# Amendments --------------------------------------------------------------------------------------------------


async def test_an_amendment_records_only_the_changed_terms_and_a_material_one_returns_proposals(api: Api) -> None:
    task = await posted_task(api)
    org = await api.org_member()
    proposal = await submitted_proposal(org, task["id"])
    url = f"/committee/tasks/{task['id']}/amendments"
    browser = await signed_in(api, "committee")
    html = await browser.page(url)
    assert "已提交的意向书将全部退回草稿" in html and 'name="category"' not in html

    r = await send(browser, url, url, {"reason": ""})
    assert r.status_code == 422 and field_error(r.text, "reason") == "此项必填"
    r = await send(browser, url, url, {"reason": "核对条款"})
    assert r.status_code == 422 and "条款没有任何改动" in r.text

    r = await send(browser, url, url, {"reason": "更正发榜单位名称", "posting_unit": "虎山路街道办事处"})
    assert r.status_code == 303 and "第 1 号变更已发布。" in flash_text(await browser.page(r.headers["location"]))
    shown = await api.committee.ok("GET", f"/tasks/{task['id']}")
    assert [(a["number"], sorted(a["changes"]), a["material"]) for a in shown["amendments"]] == [
        (1, ["posting_unit"], False)
    ]
    assert (await org.ok("GET", f"/proposals/{proposal['id']}"))["status"] == "submitted"

    r = await send(browser, url, url, {"reason": "追加预算", "budget_yuan": "60000"})
    assert r.status_code == 303 and "实质性变更" in flash_text(await browser.page(r.headers["location"]))
    shown = await api.committee.ok("GET", f"/tasks/{task['id']}")
    assert shown["budget_fen"] == 6_000_000 and shown["amendments"][1]["material"] is True
    assert sorted(shown["amendments"][1]["changes"]) == ["budget_fen"]
    assert (await org.ok("GET", f"/proposals/{proposal['id']}"))["status"] == "draft"
    assert "task_amended" in await inbox_kinds(org)


# Cancel, repost ----------------------------------------------------------------------------------------------


async def test_cancelling_needs_a_reason_and_a_confirmation(api: Api) -> None:
    task = await posted_task(api)
    url = f"/committee/tasks/{task['id']}/cancel"
    browser = await signed_in(api, "committee")
    html = await browser.page(url)
    assert "撤榜后不能恢复" in html
    r = await browser.submit(url, url, {"reason": ""})
    assert r.status_code == 422 and field_error(r.text, "reason") == "此项必填"
    r = await browser.submit(url, url, {"reason": "需"})
    assert r.status_code == 422 and field_error(r.text, "reason") == "请至少写两个字说明原因"

    r = await browser.submit(url, url, {"reason": "街道已自行解决"})
    assert r.status_code == 200 and "确认撤销榜单" in r.text
    assert 'name="confirm" value="yes"' in r.text and 'name="reason" value="街道已自行解决"' in r.text
    assert (await api.anon.ok("GET", f"/tasks/{task['id']}"))["status"] == "posted"

    r = await browser.submit(url, url, {"reason": "街道已自行解决", "confirm": "yes"})
    assert r.status_code == 303 and r.headers["location"] == f"/tasks/{task['id']}"
    shown = await api.anon.ok("GET", f"/tasks/{task['id']}")
    assert shown["status"] == "cancelled" and shown["cancel_reason"] == "街道已自行解决"
    html = await browser.page(f"/tasks/{task['id']}")
    assert f'action="/committee/tasks/{task["id"]}/repost"' in html and f'href="{url}"' not in html


async def test_an_unclaimed_task_is_reposted_as_a_new_draft(api: Api) -> None:
    task = await posted_task(api)
    api.clock.advance(days=11)
    browser = await signed_in(api, "committee")
    html = await browser.page(f"/tasks/{task['id']}")
    assert "流榜" in html and "重新发榜" in html
    r = await browser.submit(f"/tasks/{task['id']}", f"/committee/tasks/{task['id']}/repost", {})
    assert r.status_code == 303
    new_id = int(re.fullmatch(r"/committee/tasks/(\d+)/edit", r.headers["location"]).group(1))
    html = await browser.page(r.headers["location"])
    assert "请设定新的揭榜截止时间" in flash_text(html) and value_of(html, "title") == task["title"]
    draft = await api.committee.ok("GET", f"/tasks/{new_id}")
    assert draft["status"] == "draft" and draft["reposted_from_id"] == task["id"]


# The panel ---------------------------------------------------------------------------------------------------


async def test_the_panel_form_seats_evaluators_who_are_told(api: Api) -> None:
    task = await posted_task(api)
    org = await api.org()
    first = await api.user("evaluator", display_name="王教授")
    second = await api.user("evaluator", organization_id=org["id"])
    url = f"/committee/tasks/{task['id']}/panel"
    browser = await signed_in(api, "committee")
    html = await browser.page(url)
    assert "王教授" in html and org["name"] in html
    r = await browser.submit(url, url, {})
    assert r.status_code == 422 and field_error(r.text, "user_ids") == "请至少选择一位评审专家"
    r = await browser.submit(url, url, {"user_ids": [str(first.user["id"]), str(second.user["id"])]})
    assert r.status_code == 303
    panel = await api.committee.ok("GET", f"/tasks/{task['id']}/panel")
    assert [m["user_id"] for m in panel["members"]] == [first.user["id"], second.user["id"]]
    assert "panel_seat" in await inbox_kinds(first)
    html = await browser.page(url)
    assert f'name="user_ids" value="{first.user["id"]}" checked' in html
    # Anyone else is not an evaluator account: refused beside the field.
    r = await browser.submit(url, url, {"user_ids": str(api.committee.user["id"])})
    assert r.status_code == 422 and "不是有效的评审专家账号" in (field_error(r.text, "user_ids") or "")


# Questions ---------------------------------------------------------------------------------------------------


async def test_unanswered_questions_are_answered_from_the_task_page(api: Api) -> None:
    task = await posted_task(api)
    org = await api.org_member()
    q = await org.ok("POST", f"/tasks/{task['id']}/questions", json={"question": "可以跨街道服务吗?"})
    browser = await signed_in(api, "committee")
    html = await browser.page(f"/tasks/{task['id']}")
    action = f"/committee/tasks/{task['id']}/questions/{q['id']}/answer"
    assert "待答复的提问（1）" in html and "可以跨街道服务吗?" in html and f'action="{action}"' in html
    r = await browser.submit(f"/tasks/{task['id']}", action, {"answer": ""})
    assert r.status_code == 422 and field_error(r.text, "answer") == "此项必填"
    r = await browser.submit(action, action, {"answer": "可以,需在意向书中说明。"})
    assert r.status_code == 303
    html = await Browser(api.client).page(f"/tasks/{task['id']}")
    assert "可以,需在意向书中说明。" in html
    assert "answer" in await inbox_kinds(org)


# Buttons and who may use them --------------------------------------------------------------------------------


async def test_the_task_page_shows_the_committees_buttons_for_each_state(api: Api) -> None:
    review = await task_in_review(api, proposals=1, panel=1)  # moves the clock past its deadline: first
    draft = await draft_task(api)
    posted = await posted_task(api)
    browser = await signed_in(api, "committee")
    html = await browser.page(f"/tasks/{draft['id']}")
    assert "修改草稿" in html and "发布榜单" in html and "撤榜" in html and "评审与承榜" not in html
    html = await browser.page(f"/tasks/{posted['id']}")
    assert "变更条款" in html and "组建评审组" in html and "修改草稿" not in html
    html = await browser.page(f"/tasks/{review.task_id}")
    assert f'href="/committee/tasks/{review.task_id}">评审与承榜' in html and "变更条款" not in html
    await browser.get("/lang/en")
    html = await browser.page(f"/tasks/{review.task_id}")
    assert "Ranking &amp; award" in html and "Evaluation panel" in html
    org = await signed_in(api, review.orgs[0])
    assert "/committee/tasks/" not in await org.page(f"/tasks/{posted['id']}")


async def test_drafting_pages_are_for_the_committee(api: Api) -> None:
    task = await posted_task(api)
    visitor = Browser(api.client)
    r = await visitor.get(NEW)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/committee/tasks/new"
    org = await signed_in(api, await api.org_member())
    for url in (NEW, f"/committee/tasks/{task['id']}/amendments", f"/committee/tasks/{task['id']}/panel"):
        assert (await org.get(url)).status_code == 403, url
    r = await org.submit("/", f"/committee/tasks/{task['id']}/cancel", {"reason": "不想要了", "confirm": "yes"})
    assert r.status_code == 403
    assert (await api.anon.ok("GET", f"/tasks/{task['id']}"))["status"] == "posted"
    committee = await signed_in(api, "committee")
    assert (await committee.get("/committee/tasks/999999/edit")).status_code == 404
