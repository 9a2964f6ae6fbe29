"""The organisation's pages and the inbox, driven like a browser without JavaScript, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import httpx

from market.pages._inbox import page_link
from tests.browser import CSRF, Browser, field_error, lang_of, signed_in, value_of
from tests.factories import (
    Api,
    draft_proposal,
    finance_project,
    posted_task,
    secretary,
    submitted_proposal,
)

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def proposal_id_from(r: httpx.Response) -> int:
    assert r.status_code == 303, f"{r.status_code}: {r.text[:800]}"
    m = re.fullmatch(r"/org/proposals/(\d+)", r.headers["location"])
    assert m, r.headers["location"]
    return int(m.group(1))


def claim_data(**overrides: str) -> dict[str, Any]:
    return {
        "requested_budget_yuan": "40000",
        "strengths": "十年助老服务经验,专职社工八名",
        "work_plan": "每日两餐上门配送,每周一次探访",
        "expected_results": "覆盖独居老人120名",
    } | overrides


async def upload(browser: Browser, page_url: str, action: str, name: str, content: bytes) -> httpx.Response:
    """Post the attachment form (multipart, the API's field name `data`) with the page's CSRF token."""
    m = CSRF.search(await browser.page(page_url))
    assert m
    return await browser.request(
        "POST", action, data={"_csrf_token": m.group(1)}, files={"data": (name, content, "application/octet-stream")}
    )


async def test_org_pages_render_in_chinese_then_in_english(api: Api) -> None:
    organiser, project = await finance_project(api)
    task = await posted_task(api, allow_joint=True)
    other = await posted_task(api)
    proposal = await draft_proposal(organiser, task["id"])
    browser = await signed_in(api, organiser)
    pages = [
        "/org",
        "/org/proposals",
        "/org/proposals?status=draft",
        f"/org/proposals/{proposal['id']}",
        f"/tasks/{other['id']}/claim",
        f"/tasks/{other['id']}",
        f"/org/projects/{project['id']}",
        "/inbox",
    ]
    for url in pages:
        html = await browser.page(url)
        assert lang_of(html) == "zh-CN", url
    assert "揭榜" in await browser.page(f"/tasks/{other['id']}")
    await browser.get("/lang/en")
    for url in pages:
        html = await browser.page(url)
        assert lang_of(html) == "en", url
    assert "Claim this task" in await browser.page(f"/tasks/{other['id']}")
    assert "Proposals under way" in await browser.page("/org")  # (invitations show only when there are some)
    assert "Save draft claim" in await browser.page(f"/tasks/{other['id']}/claim")


async def test_visitors_sign_in_first_and_other_roles_are_refused(api: Api) -> None:
    task = await posted_task(api)
    visitor = Browser(api.client)
    for url in ("/org", "/org/proposals", f"/tasks/{task['id']}/claim", "/inbox"):
        r = await visitor.get(url)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), url
    committee = await signed_in(api, "committee")
    for url in ("/org", "/org/proposals", f"/tasks/{task['id']}/claim"):
        r = await committee.get(url)
        assert r.status_code == 403 and r.headers["content-type"].startswith("text/html"), url
    # The inbox is everyone's.
    assert "我的消息" in await committee.page("/inbox")
    assert "我的消息" in await (await signed_in(api, await secretary(api))).page("/inbox")
    assert "我的消息" in await (await signed_in(api, await api.user("evaluator"))).page("/inbox")


async def test_joint_claim_partner_accepts_then_lead_submits(api: Api) -> None:
    task = await posted_task(api, allow_joint=True)
    lead, partner = await api.org_member(), await api.org_member()
    partner_org = partner.user["org"]
    lead_browser = await signed_in(api, lead)
    task_url = f"/tasks/{task['id']}"
    claim_url = f"{task_url}/claim"
    assert f'href="{claim_url}"' in await lead_browser.page(task_url)
    html = await lead_browser.page(claim_url)
    assert partner_org["name"] in html and f'value="{partner_org["id"]}"' in html

    # A budget that is not an amount, then one over the task's budget: refused beside the field, the input kept.
    data = claim_data(requested_budget_yuan="四万", partner_ids=str(partner_org["id"]))
    r = await lead_browser.submit(claim_url, claim_url, data)
    assert r.status_code == 422
    assert field_error(r.text, "requested_budget_yuan")
    assert value_of(r.text, "requested_budget_yuan") == "四万"
    assert value_of(r.text, "strengths") == data["strengths"]
    assert re.search(rf'value="{partner_org["id"]}" checked', r.text)
    r = await lead_browser.submit(claim_url, claim_url, data | {"requested_budget_yuan": "50000.01"})
    assert r.status_code == 422 and "预算" in (field_error(r.text, "requested_budget_yuan") or "")
    assert await lead.ok("GET", "/proposals/mine") == []

    pid = proposal_id_from(
        await lead_browser.submit(claim_url, claim_url, data | {"requested_budget_yuan": "40,000.5"})
    )
    saved = await lead.ok("GET", f"/proposals/{pid}")
    assert saved["status"] == "draft" and saved["requested_budget_fen"] == 4_000_050
    assert [(m["organization_id"], m["invitation"]) for m in saved["members"] if m["role"] == "partner"] == [
        (partner_org["id"], "pending")
    ]
    html = await lead_browser.page(f"/org/proposals/{pid}")
    assert "尚未接受邀请" in html and partner_org["name"] in html
    assert f'action="/org/proposals/{pid}/submit"' not in html
    assert value_of(html, "requested_budget_yuan") == "40000.50"

    # The partner finds the invitation on the desk and in the inbox, and accepts it.
    partner_browser = await signed_in(api, partner)
    desk = await partner_browser.page("/org")
    assert f'action="/org/proposals/{pid}/invitation"' in desk and "接受邀请" in desk
    assert f'href="/org/proposals/{pid}"' in await partner_browser.page("/inbox")
    r = await partner_browser.submit("/org", f"/org/proposals/{pid}/invitation", {"accept": "true"})
    assert r.status_code == 303 and r.headers["location"] == f"/org/proposals/{pid}"
    html = await partner_browser.page(f"/org/proposals/{pid}")
    assert "已接受邀请" in html and 'action="/org/proposals/' + str(pid) + '"' not in html

    r = await lead_browser.submit(f"/org/proposals/{pid}", f"/org/proposals/{pid}/submit", {})
    assert r.status_code == 303
    assert (await lead.ok("GET", f"/proposals/{pid}"))["status"] == "submitted"
    # Claiming again leads to the proposal the organisation already has.
    r = await lead_browser.get(claim_url)
    assert r.status_code == 303 and r.headers["location"] == f"/org/proposals/{pid}"
    r = await partner_browser.get(claim_url)
    assert r.status_code == 303 and r.headers["location"] == f"/org/proposals/{pid}"


async def test_partner_declines_and_the_proposal_leaves_their_lists(api: Api) -> None:
    task = await posted_task(api, allow_joint=True)
    lead, partner = await api.org_member(), await api.org_member()
    p = await draft_proposal(lead, task["id"], partner_ids=[partner.user["org"]["id"]])
    browser = await signed_in(api, partner)
    r = await browser.submit("/org", f"/org/proposals/{p['id']}/invitation", {"accept": "false"})
    assert r.status_code == 303 and r.headers["location"] == "/org"
    assert "已婉拒邀请" in await browser.page("/org")
    members = (await lead.ok("GET", f"/proposals/{p['id']}"))["members"]
    assert [m["invitation"] for m in members if m["role"] == "partner"] == ["declined"]
    assert (await browser.get(f"/org/proposals/{p['id']}")).status_code == 404
    # The lead is told why it cannot submit.
    html = await (await signed_in(api, lead)).page(f"/org/proposals/{p['id']}")
    assert "尚未接受邀请" in html and partner.user["org"]["name"] in html


async def test_withdrawing_asks_for_confirmation_first(api: Api) -> None:
    task = await posted_task(api)
    member = await api.org_member()
    p = await submitted_proposal(member, task["id"])
    url = f"/org/proposals/{p['id']}"
    browser = await signed_in(api, member)
    r = await browser.submit(url, f"{url}/withdraw", {})
    assert r.status_code == 200 and 'name="confirm" value="yes"' in r.text and "确认撤回" in r.text
    assert (await member.ok("GET", f"/proposals/{p['id']}"))["status"] == "submitted"
    r = await browser.submit(url, f"{url}/withdraw", {"confirm": "yes"})
    assert r.status_code == 303
    assert (await member.ok("GET", f"/proposals/{p['id']}"))["status"] == "withdrawn"
    assert "意向书已撤回" in await browser.page(url)
    # Free to claim again.
    assert (await browser.get(f"/tasks/{task['id']}/claim")).status_code == 200


async def test_draft_is_edited_and_an_empty_text_is_named_at_submission(api: Api) -> None:
    task = await posted_task(api)
    member = await api.org_member()
    p = await draft_proposal(member, task["id"], strengths="")
    url = f"/org/proposals/{p['id']}"
    browser = await signed_in(api, member)
    r = await browser.submit(url, f"{url}/submit", {})
    assert r.status_code == 422 and field_error(r.text, "strengths")
    assert (await member.ok("GET", f"/proposals/{p['id']}"))["status"] == "draft"

    data = claim_data(strengths="", requested_budget_yuan="")
    r = await browser.submit(url, url, data)
    assert r.status_code == 422 and field_error(r.text, "requested_budget_yuan") == "此项必填"
    assert value_of(r.text, "work_plan") == data["work_plan"]
    r = await browser.submit(url, url, claim_data(strengths="社工八名\r\n志愿者三十名", requested_budget_yuan="30000"))
    assert r.status_code == 303 and r.headers["location"] == url
    saved = await member.ok("GET", f"/proposals/{p['id']}")
    assert saved["strengths"] == "社工八名\n志愿者三十名" and saved["requested_budget_fen"] == 3_000_000
    r = await browser.submit(url, f"{url}/submit", {})
    assert r.status_code == 303
    html = await browser.page(url)
    assert "已正式提交" in html and f'action="{url}"' not in html


async def test_attachments_are_uploaded_downloaded_and_removed(api: Api) -> None:
    task = await posted_task(api)
    member = await api.org_member()
    p = await draft_proposal(member, task["id"])
    url = f"/org/proposals/{p['id']}"
    action = f"{url}/attachments"
    browser = await signed_in(api, member)
    assert 'enctype="multipart/form-data"' in await browser.page(url)

    r = await upload(browser, url, action, "plan.exe", b"MZ\x90\x00")
    assert r.status_code == 422 and field_error(r.text, "data")
    r = await upload(browser, url, action, "plan.pdf", b"not a pdf at all")
    assert r.status_code == 422 and field_error(r.text, "data")
    r = await upload(browser, url, action, "方案.pdf", PDF)
    assert r.status_code == 303
    attachments = (await member.ok("GET", f"/proposals/{p['id']}"))["attachments"]
    assert [a["filename"] for a in attachments] == ["方案.pdf"]
    aid = attachments[0]["id"]
    html = await browser.page(url)
    assert f'href="{action}/{aid}"' in html
    r = await browser.get(f"{action}/{aid}")
    assert r.status_code == 200 and r.content == PDF
    # Sealed like the proposal: another organisation cannot fetch it.
    stranger = await signed_in(api, await api.org_member())
    assert (await stranger.get(f"{action}/{aid}")).status_code == 404

    r = await browser.submit(url, f"{action}/{aid}/remove", {})
    assert r.status_code == 303
    assert (await member.ok("GET", f"/proposals/{p['id']}"))["attachments"] == []


async def test_org_outside_the_target_alliances_cannot_claim(api: Api) -> None:
    task = await posted_task(api)  # open to the new-organisations alliance only
    lawyer = await api.org_member("legal")
    browser = await signed_in(api, lawyer)
    html = await browser.page(f"/tasks/{task['id']}")
    assert f'href="/tasks/{task["id"]}/claim"' not in html and "不面向本组织所在的联盟" in html
    r = await browser.get(f"/tasks/{task['id']}/claim")
    assert r.status_code == 403 and "不面向本组织所在的联盟" in r.text and 'action="/tasks/' not in r.text
    r = await browser.submit(f"/tasks/{task['id']}", f"/tasks/{task['id']}/claim", claim_data())
    assert r.status_code == 422
    assert await lawyer.ok("GET", "/proposals/mine") == []


async def test_questions_are_asked_on_the_task_page_and_the_asker_never_shown(api: Api) -> None:
    task = await posted_task(api)
    member = await api.org_member()
    url = f"/tasks/{task['id']}"
    action = f"{url}/questions"
    browser = await signed_in(api, member)
    assert f'action="{action}"' in await browser.page(url)
    r = await browser.submit(url, action, {"question": " "})
    assert r.status_code == 422 and field_error(r.text, "question")
    r = await browser.submit(url, action, {"question": "预算是否包含餐费?"})
    assert r.status_code == 303 and r.headers["location"].startswith(url)
    assert "问题已提交" in await browser.page(url)
    asked = (await api.committee.ok("GET", f"/tasks/{task['id']}"))["questions"]
    assert [q["question"] for q in asked] == ["预算是否包含餐费?"]
    await api.committee.ok(
        "POST", f"/tasks/{task['id']}/questions/{asked[0]['id']}/answer", status=(200, 201), json={"answer": "包含"}
    )
    html = await Browser(api.client).page(url)
    assert "预算是否包含餐费?" in html and "包含" in html
    assert member.username not in html and member.user["org"]["name"] not in html

    # Once claims close the form goes, and a late question is turned away with the reason.
    api.clock.advance(days=11)
    assert f'action="{action}"' not in await browser.page(url)
    r = await browser.submit(url, action, {"question": "还能提问吗?"})
    assert r.status_code == 303 and r.headers["location"] == url
    assert "只有揭榜期内可以提问" in await browser.page(url)
    assert (await browser.get(f"{url}/claim")).status_code == 409


async def test_project_milestone_progress_and_delivery_with_confirmation(api: Api) -> None:
    organiser, project = await finance_project(api)
    url = f"/org/projects/{project['id']}"
    browser = await signed_in(api, organiser)
    html = await browser.page("/org")
    assert f'href="{url}"' in html

    r = await browser.submit(url, f"{url}/milestones", {"title": "第一期课程", "due_on": "五月底"})
    assert r.status_code == 422 and field_error(r.text, "due_on") and value_of(r.text, "title") == "第一期课程"
    r = await browser.submit(url, f"{url}/milestones", {"title": "第一期课程", "due_on": "2026-05-31"})
    assert r.status_code == 303
    milestones = (await api.anon.ok("GET", f"/projects/{project['id']}"))["milestones"]
    assert [(m["title"], m["due_on"]) for m in milestones] == [("第一期课程", "2026-05-31")]

    report = {"body": "已在两个社区开课", "percent_complete": "150", "milestone_id": str(milestones[0]["id"])}
    r = await browser.submit(url, f"{url}/reports", report)
    assert (
        r.status_code == 422 and field_error(r.text, "percent_complete") and value_of(r.text, "body") == report["body"]
    )
    r = await browser.submit(url, f"{url}/reports", report | {"percent_complete": "40", "done": "true"})
    assert r.status_code == 303
    seen = await api.anon.ok("GET", f"/projects/{project['id']}")
    assert seen["percent_complete"] == 40 and seen["milestones"][0]["done_on"] is not None

    r = await browser.submit(url, f"{url}/deliver", {})
    assert r.status_code == 200 and 'name="confirm" value="yes"' in r.text
    # Another organisation is not even asked to confirm: only the lead may declare delivery.
    stranger = await signed_in(api, await api.org_member())
    r = await stranger.submit("/org", f"{url}/deliver", {})
    assert r.status_code == 403 and 'name="confirm"' not in r.text
    assert (await api.anon.ok("GET", f"/projects/{project['id']}"))["status"] == "in_progress"
    r = await browser.submit(url, f"{url}/deliver", {"confirm": "yes"})
    assert r.status_code == 303
    assert (await api.anon.ok("GET", f"/projects/{project['id']}"))["status"] == "delivered"
    assert "等待综合党委结项评价" in await browser.page(url)

    assert (await stranger.get(url)).status_code == 403


async def test_inbox_pages_marks_read_and_links_to_pages(api: Api) -> None:
    member = await api.org_member()
    tasks = [await posted_task(api) for _ in range(21)]
    browser = await signed_in(api, member)
    html = await browser.page("/inbox")
    assert "未读 21 条" in html
    assert html.count('class="card unread"') == 20
    assert f'href="/tasks/{tasks[-1]["id"]}"' in html and f'href="/tasks/{tasks[0]["id"]}"' not in html
    assert 'href="/inbox?page=2"' in html
    second = await browser.page("/inbox?page=2")
    assert f'href="/tasks/{tasks[0]["id"]}"' in second and second.count('class="card unread"') == 1

    first = (await member.ok("GET", "/inbox"))["items"][-1]
    r = await browser.submit("/inbox?page=2", f"/inbox/{first['id']}/read", {"page": "2"})
    assert r.status_code == 303 and r.headers["location"] == f"/inbox?page=2#n-{first['id']}"
    assert (await member.ok("GET", "/inbox"))["unread"] == 20
    assert 'class="card unread"' not in await browser.page("/inbox?page=2")
    # Someone else's notification is not yours to mark.
    other = await signed_in(api, await api.org_member())
    r = await other.submit("/inbox", f"/inbox/{first['id']}/read", {})
    assert r.status_code == 404


def test_inbox_links_lead_to_the_page_each_role_works_on() -> None:
    pages = {"/orders/7", "/classes/2", "/committee/tasks/5", "/tasks/5"}
    awards = {3: 5}

    def link(path: str, role: str) -> str | None:
        return page_link(path, role, awards, pages.__contains__)

    assert link("/proposals/9", "org") == "/org/proposals/9"
    assert link("/proposals/9", "committee") is None
    assert link("/projects/4", "org") == "/org/projects/4"
    assert link("/projects/4", "committee") is None
    assert link("/awards/3", "org") == "/tasks/5#award"
    assert link("/awards/3/objections", "committee") == "/committee/tasks/5"
    assert link("/awards/8", "org") is None
    assert link("/tasks/5/ranking", "committee") == "/committee/tasks/5"
    assert link("/tasks/5/scoring", "evaluator") == "/tasks/5"
    assert link("/orders/7", "secretary") == "/orders/7"
    assert link("/classes/2", "org") == "/classes/2"
    assert link("https://elsewhere.example/x", "org") is None
    assert link("", "org") is None


async def test_the_desk_opens_on_the_proposal_due_first(api: Api) -> None:
    soon = await posted_task(api, title="三天后截止的榜单", claim_deadline=api.later(days=3).isoformat())
    later = await posted_task(api, title="一个月后截止的榜单", claim_deadline=api.later(days=30).isoformat())
    member = await api.org_member()
    await draft_proposal(member, soon["id"])
    await draft_proposal(member, later["id"])  # the newer draft, which the desk used to show first
    desk = (await (await signed_in(api, member)).page("/org")).split('id="main"', 1)[1]
    assert desk.index(soon["title"]) < desk.index(later["title"])
    assert desk.index(soon["title"]) < desk.index('href="/org/needs/new"'), "the shortcuts come after the work"
