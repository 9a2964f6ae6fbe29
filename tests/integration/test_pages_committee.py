"""The committee's desk through its pages: review, award, objections, grading, accounts and organisations."""

from __future__ import annotations

import re
from typing import Any

from tests.browser import Browser, field_error, lang_of, signed_in, value_of
from tests.factories import (
    PASSWORD,
    Api,
    As,
    awarded_review,
    credit_code,
    marks_for,
    project_under_way,
    raised_need,
    score_all,
    scored_review,
    secretary,
    task_in_review,
)


def confirm_form(html: str) -> dict[str, str]:
    """The hidden fields of the confirmation page's form (the values it will post again with confirm=yes)."""
    assert 'name="confirm" value="yes"' in html
    return {
        name: value
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)
        if name != "confirm"
    }


async def lodge_objection(api: Api, award_id: int, grounds: str = "评分过程存在利益冲突") -> int:
    await api.anon.ok(
        "POST", f"/awards/{award_id}/objections", json={"name": "赵六", "contact": "13900000000", "grounds": grounds}
    )
    objections = await api.committee.ok("GET", f"/awards/{award_id}/objections")
    return int(objections[-1]["id"])


async def award_status(api: Api, task_id: int) -> dict[str, Any] | None:
    r = await api.committee.get(f"/tasks/{task_id}/award")
    return r.json() if r.status_code == 200 else None


# The desk and who may see it ----------------------------------------------------------------------------------


async def test_desk_lists_reviews_notices_and_grading_in_chinese_and_english(api: Api) -> None:
    review = await task_in_review(api, qualify=False)
    awarded, notice = await awarded_review(api)
    await lodge_objection(api, notice["id"])
    underway, project = await project_under_way(api)
    await underway.orgs[0].ok("POST", f"/projects/{project['id']}/deliver", status=200)
    await raised_need(await secretary(api), api)

    browser = await signed_in(api)
    html = await browser.page("/committee")
    assert lang_of(html) == "zh-CN"
    assert f'href="/committee/tasks/{review.task_id}"' in html and "2 份意向书待资格审查" in html
    assert f'href="/committee/tasks/{awarded.task_id}#award"' in html and "1 件异议待处理" in html
    assert f'href="/committee/projects/{project["id"]}/evaluation"' in html
    assert "待对接的需求（1 条）" in html
    assert 'href="/committee/orders"' in html and 'href="/committee/applications"' in html
    assert "检查通过" in html

    await browser.get("/lang/en")
    html = await browser.page("/committee")
    assert lang_of(html) == "en" and "Committee desk" in html and "2 proposals to qualify" in html
    assert "All clear" in html


async def test_every_committee_page_renders_in_both_languages(api: Api) -> None:
    review, _ = await awarded_review(api)
    _, project = await project_under_way(api)
    browser = await signed_in(api)
    urls = [
        "/committee",
        f"/committee/tasks/{review.task_id}",
        "/committee/projects",
        "/committee/projects?status=in_progress&page=1",
        f"/committee/projects/{project['id']}/evaluation",
        "/committee/accounts",
        "/committee/accounts?role=org",
        "/committee/organizations",
        "/committee/organizations?status=active&q=%E6%B5%8B%E8%AF%95",
    ]
    for lang in ("zh-CN", "en"):
        await browser.get(f"/lang/{lang}")
        for url in urls:
            html = await browser.page(url)
            assert lang_of(html) == lang, url
            assert "committee." not in re.sub(r"<[^>]+>", "", html), f"untranslated key on {url}"


async def test_other_roles_are_refused_and_visitors_are_sent_to_sign_in(api: Api) -> None:
    review = await task_in_review(api)
    member = await api.org_member()
    urls = [
        "/committee",
        f"/committee/tasks/{review.task_id}",
        "/committee/projects",
        "/committee/accounts",
        "/committee/organizations",
    ]
    visitor = Browser(api.client)
    for url in urls:
        r = await visitor.get(url)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/committee"), url
    org_browser = await signed_in(api, member.username)
    for url in urls:
        r = await org_browser.get(url)
        assert r.status_code == 403 and r.headers["content-type"].startswith("text/html"), url
    # Posting needs the role too: the page's token does not help an organisation award itself.
    r = await org_browser.submit(
        "/", f"/committee/tasks/{review.task_id}/award", {"proposal_id": str(review.pid(0)), "confirm": "yes"}
    )
    assert r.status_code == 403
    assert await award_status(api, review.task_id) is None


# Qualification, ranking, award --------------------------------------------------------------------------------


async def test_disqualifying_needs_a_reason_beside_that_proposal_and_qualifying_works(api: Api) -> None:
    review = await task_in_review(api, qualify=False)
    url = f"/committee/tasks/{review.task_id}"
    browser = await signed_in(api)
    html = await browser.page(url)
    assert f'action="/committee/proposals/{review.pid(0)}/qualification"' in html

    action = f"/committee/proposals/{review.pid(1)}/qualification"
    r = await browser.submit(url, action, {"qualified": "false", "reason": "  "})
    assert r.status_code == 422
    assert field_error(r.text, f"reason-{review.pid(1)}") == "不合格须说明理由"
    assert field_error(r.text, f"reason-{review.pid(0)}") is None

    r = await browser.submit(url, f"/committee/proposals/{review.pid(0)}/qualification", {"qualified": "true"})
    assert r.status_code == 303
    r = await browser.submit(url, action, {"qualified": "false", "reason": "预算测算依据不足"})
    assert r.status_code == 303 and r.headers["location"] == f"{url}#proposal-{review.pid(1)}"
    statuses = [(await api.committee.ok("GET", f"/proposals/{review.pid(i)}"))["status"] for i in (0, 1)]
    assert statuses == ["qualified", "disqualified"]
    html = await browser.page(url)
    assert "预算测算依据不足" in html and "已判定该意向书资格审查不通过" in html


async def test_ranking_is_sealed_until_the_panel_is_done_then_shown_with_ties_explained(api: Api) -> None:
    review = await task_in_review(api, proposals=2, panel=2)
    url = f"/committee/tasks/{review.task_id}"
    browser = await signed_in(api)
    # Same totals; the later proposal has the lower first-criterion mean.
    await score_all(review, [[marks_for("80", first="28"), None], [marks_for("80", first="20"), None]])
    html = await browser.page(url)
    assert "暂不显示分数" in html and "已评 1 / 2" in html and "80.00" not in html
    assert f'action="/committee/tasks/{review.task_id}/award"' not in html
    await score_all(review, [[None, marks_for("80", first="28")], [None, marks_for("80", first="20")]])
    html = await browser.page(url)
    assert "80.00" in html
    assert "与第 1 名同分；「专业能力」平均分 20 低于对方的 28，排在其后" in html
    assert f'action="/committee/tasks/{review.task_id}/award"' in html


async def test_award_off_the_top_needs_a_reason_and_acts_only_once_confirmed(api: Api) -> None:
    review = await scored_review(api, [["90", "88", "86"], ["80", "78", "76"]])
    url = f"/committee/tasks/{review.task_id}"
    action = f"{url}/award"
    browser = await signed_in(api)
    html = await browser.page(url)
    assert "88.00" in html and "78.00" in html

    r = await browser.submit(url, action, {"proposal_id": str(review.pid(1)), "reason": ""})
    assert r.status_code == 422
    assert field_error(r.text, "reason") == "未选排名第一的意向书，请书面说明理由。"
    assert f'value="{review.pid(1)}" checked' in r.text

    reason = "排名第一的组织近期承接项目过多"
    r = await browser.submit(url, action, {"proposal_id": str(review.pid(1)), "reason": reason})
    assert r.status_code == 200 and "确认承榜" in r.text
    lead = review.orgs[1].user["org"]["name"]
    assert lead in r.text and "78.00" in r.text and "第 2 名（共 2 份）" in r.text and "¥40,000.00" in r.text
    assert "5 天，至" in r.text and reason in r.text
    assert await award_status(api, review.task_id) is None  # the first post does not act

    r = await browser.submit(url, action, {**confirm_form(r.text), "confirm": "yes"})
    assert r.status_code == 303 and r.headers["location"] == f"{url}#award"
    notice = await award_status(api, review.task_id)
    assert notice and notice["proposal_id"] == review.pid(1) and notice["reason"] == reason and notice["rank"] == 2
    html = await browser.page(url)
    assert "已确定承榜，公示期开始" in html and "公示中" in html


async def test_the_top_ranked_proposal_is_awarded_without_a_reason(api: Api) -> None:
    review = await scored_review(api, [["90", "88", "86"], ["80", "78", "76"]])
    url = f"/committee/tasks/{review.task_id}"
    browser = await signed_in(api)
    html = await browser.page(url)
    assert f'value="{review.pid(0)}" checked' in html  # the top one is chosen already
    r = await browser.submit(url, f"{url}/award", {"proposal_id": str(review.pid(0)), "reason": ""})
    assert r.status_code == 200 and "confirm" in r.text
    r = await browser.submit(url, f"{url}/award", {**confirm_form(r.text), "confirm": "yes"})
    assert r.status_code == 303
    assert (await award_status(api, review.task_id) or {})["proposal_id"] == review.pid(0)


# Objections ---------------------------------------------------------------------------------------------------


async def test_upholding_an_objection_is_confirmed_first_then_the_next_proposal_is_awarded(api: Api) -> None:
    review, notice = await awarded_review(api)
    objection = await lodge_objection(api, notice["id"])
    url = f"/committee/tasks/{review.task_id}"
    uphold = f"/committee/awards/{notice['id']}/objections/{objection}/uphold"
    browser = await signed_in(api)
    html = await browser.page(url)
    assert "赵六" in html and "13900000000" in html and uphold in html

    r = await browser.submit(url, uphold, {"resolution": ""})
    assert r.status_code == 422 and field_error(r.text, f"resolution-{objection}")

    resolution = "经核查,评审专家与承榜组织存在利益关系"
    r = await browser.submit(url, uphold, {"resolution": resolution})
    assert r.status_code == 200 and "确认异议成立" in r.text and resolution in r.text
    assert (await award_status(api, review.task_id) or {})["status"] == "notice"  # nothing happened yet

    r = await browser.submit(url, uphold, {**confirm_form(r.text), "confirm": "yes"})
    assert r.status_code == 303
    assert await award_status(api, review.task_id) is None
    html = await browser.page(url)
    assert "已撤销的承榜" in html and "原承榜已撤销：改由下一名承榜" in html
    assert f'value="{review.pid(0)}"' not in html.split("award-form-h")[-1]  # the revoked one is not offered again

    # The next one is now the top eligible: no reason needed.
    r = await browser.submit(url, f"{url}/award", {"proposal_id": str(review.pid(1))})
    r = await browser.submit(url, f"{url}/award", {**confirm_form(r.text), "confirm": "yes"})
    assert r.status_code == 303
    assert (await award_status(api, review.task_id) or {})["proposal_id"] == review.pid(1)


async def test_dismissing_an_objection_keeps_the_award(api: Api) -> None:
    review, notice = await awarded_review(api)
    objection = await lodge_objection(api, notice["id"])
    url = f"/committee/tasks/{review.task_id}"
    browser = await signed_in(api)
    await browser.get("/lang/en")
    dismiss = f"/committee/awards/{notice['id']}/objections/{objection}/dismiss"
    r = await browser.submit(url, dismiss, {"resolution": "x"})
    assert r.status_code == 422 and field_error(r.text, f"resolution-{objection}")
    assert value_of(r.text, "resolution") == "x"
    r = await browser.submit(url, dismiss, {"resolution": "Checked: the panel had no conflict of interest"})
    assert r.status_code == 303
    objections = await api.committee.ok("GET", f"/awards/{notice['id']}/objections")
    assert objections[0]["status"] == "dismissed"
    assert (await award_status(api, review.task_id) or {})["status"] == "notice"
    assert "The objection is dismissed." in await browser.page(url)


# Projects and grading -----------------------------------------------------------------------------------------


async def test_project_list_flags_silent_work_and_grading_is_confirmed_with_its_grade(api: Api) -> None:
    review, project = await project_under_way(api)
    browser = await signed_in(api)
    due = api.later(days=10).date().isoformat()
    await review.orgs[0].ok("POST", f"/projects/{project['id']}/milestones", json={"title": "入户走访", "due_on": due})
    api.clock.advance(days=31)
    html = await browser.page("/committee/projects")
    assert f'id="project-{project["id"]}"' in html and "已 31 天没有进展报告" in html
    assert "1 个里程碑逾期" in html and f"入户走访 · 计划完成 {due}" in html

    url = f"/committee/projects/{project['id']}/evaluation"
    html = await browser.page(url)
    assert "交付后才能进行结项评价" in html and f'action="{url}"' not in html
    await review.orgs[0].ok("POST", f"/projects/{project['id']}/deliver", status=200)
    html = await browser.page(url)
    assert f'action="{url}"' in html

    r = await browser.submit(url, url, {"score": "101", "comment": "服务扎实"})
    assert r.status_code == 422
    assert field_error(r.text, "score") == "请填写 0 到 100 之间的整数" and value_of(r.text, "comment") == "服务扎实"
    r = await browser.submit(url, url, {"score": "88", "comment": ""})
    assert r.status_code == 422 and field_error(r.text, "comment")

    r = await browser.submit(url, url, {"score": "88", "comment": "服务扎实,群众满意"})
    assert r.status_code == 200 and "确认结项评价" in r.text and "良好" in r.text
    assert (await api.anon.ok("GET", f"/projects/{project['id']}"))["status"] == "delivered"

    r = await browser.submit(url, url, {**confirm_form(r.text), "confirm": "yes"})
    assert r.status_code == 303 and r.headers["location"].startswith(f"/projects/{project['id']}")
    graded = await api.anon.ok("GET", f"/projects/{project['id']}")
    assert (graded["status"], graded["final_score"], graded["grade"]) == ("closed", 88, "good")
    assert "评定为「良好」" in await browser.page(r.headers["location"])


# Accounts and organisations -----------------------------------------------------------------------------------


async def test_accounts_are_created_with_what_the_role_needs(api: Api) -> None:
    org = await api.org()
    browser = await signed_in(api)
    url = "/committee/accounts"
    r = await browser.submit(
        url, url, {"username": "wangfang", "password": PASSWORD, "role": "org", "organization_id": ""}
    )
    assert r.status_code == 422
    assert field_error(r.text, "organization_id") and value_of(r.text, "username") == "wangfang"
    assert PASSWORD not in r.text  # the password is never sent back

    r = await browser.submit(
        url, url, {"username": "Bad Name", "password": PASSWORD, "role": "org", "organization_id": str(org["id"])}
    )
    assert r.status_code == 422 and field_error(r.text, "username")

    data = {
        "username": "wangfang",
        "password": PASSWORD,
        "role": "org",
        "display_name": "王芳",
        "organization_id": str(org["id"]),
        "community_id": "",
    }
    r = await browser.submit(url, url, data)
    assert r.status_code == 303
    member: As = await api.login("wangfang")
    assert member.user["organization_id"] == org["id"] and member.user["role"] == "org"
    html = await browser.page("/committee/accounts?role=org")
    assert 'id="account-wangfang"' in html and org["name"] in html and "账号 wangfang（社会组织）已创建" in html

    r = await browser.submit(url, url, data)
    assert r.status_code == 422 and field_error(r.text, "username") == "用户名已被使用"

    # An evaluator may belong to an organisation (for recusal); a secretary needs a community.
    r = await browser.submit(
        url, url, {"username": "expert1", "password": PASSWORD, "role": "evaluator", "organization_id": str(org["id"])}
    )
    assert r.status_code == 303
    r = await browser.submit(url, url, {"username": "shuji1", "password": PASSWORD, "role": "secretary"})
    assert r.status_code == 422 and field_error(r.text, "community_id")


async def test_organisations_check_the_credit_code_and_suspension_is_confirmed(api: Api) -> None:
    browser = await signed_in(api)
    url = "/committee/organizations"
    alliance = await api.alliance_id("legal")
    good = credit_code()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    data = {
        "name": "青岛市李沧区律泽法律服务中心",
        "credit_code": bad,
        "alliance_id": str(alliance),
        "categories": ["legal_aid", "elderly_care"],
        "resident": "yes",
        "description": "为社区居民提供法律咨询",
        "contact_phone": "0532-88990000",
    }
    r = await browser.submit(url, url, data)  # type: ignore[arg-type]
    assert r.status_code == 422
    assert (field_error(r.text, "credit_code") or "").startswith("统一社会信用代码校验位错误")
    assert value_of(r.text, "name") == data["name"] and value_of(r.text, "credit_code") == bad
    assert 'value="legal_aid" checked' in r.text and 'value="elderly_care" checked' in r.text

    r = await browser.submit(url, url, {**data, "categories": []})  # type: ignore[arg-type]
    assert r.status_code == 422 and field_error(r.text, "categories")

    r = await browser.submit(url, url, {**data, "credit_code": good})  # type: ignore[arg-type]
    assert r.status_code == 303
    orgs = await api.committee.ok("GET", "/organizations", params={"q": "律泽"})
    assert len(orgs) == 1 and orgs[0]["categories"] == ["legal_aid", "elderly_care"] and orgs[0]["resident"] is True
    org_id = orgs[0]["id"]
    html = await browser.page(url)
    assert f'action="/committee/organizations/{org_id}/status"' in html

    status_url = f"/committee/organizations/{org_id}/status"
    r = await browser.submit(url, status_url, {"status": "suspended"})
    assert r.status_code == 200 and "暂停组织" in r.text and good in r.text
    assert value_of(r.text, "reason") == ""
    assert (await api.committee.ok("GET", f"/organizations/{org_id}"))["status"] == "active"
    r = await browser.submit(url, status_url, {**confirm_form(r.text), "reason": "年检未通过", "confirm": "yes"})
    assert r.status_code == 303
    assert (await api.committee.ok("GET", f"/organizations/{org_id}"))["status"] == "suspended"
    html = await browser.page(f"{url}?status=suspended")
    assert "已暂停组织" in html and f'id="org-{org_id}"' in html

    r = await browser.submit(url, status_url, {"status": "active"})
    assert "恢复理由" in r.text
    r = await browser.submit(url, status_url, {**confirm_form(r.text), "reason": "整改完成", "confirm": "yes"})
    assert r.status_code == 303
    assert (await api.committee.ok("GET", f"/organizations/{org_id}"))["status"] == "active"


async def test_suspending_on_the_page_asks_why_and_refuses_no_reason_beside_the_field(api: Api) -> None:
    org = await api.org(resident=False)
    browser = await signed_in(api, "committee")
    url, status_url = "/committee/organizations", f"/committee/organizations/{org['id']}/status"
    step = await browser.submit(url, status_url, {"status": "suspended"})
    assert step.status_code == 200 and "暂停理由" in step.text and "活动异常" not in step.text
    hidden = confirm_form(step.text)
    assert hidden == {"status": "suspended"}
    # Confirming with no reason, a blank one or whitespace only: the same step again, the refusal beside the field.
    for reason in ({}, {"reason": ""}, {"reason": " \n "}, {"reason": "\u3000\u3000"}):
        r = await browser.submit(url, status_url, {**hidden, **reason, "confirm": "yes"})
        assert r.status_code == 422 and field_error(r.text, "reason") == "请写明理由", r.text[:500]
        assert confirm_form(r.text) == hidden and "暂停组织" in r.text
    assert (await api.committee.ok("GET", f"/organizations/{org['id']}"))["status"] == "active"
    entries = await api.committee.ok("GET", "/audit", params={"entity": "organization", "entity_id": org["id"]})
    assert [e["action"] for e in entries["items"]] == ["create"]

    browser.jar["lang"] = "en"
    r = await browser.submit(url, status_url, {**hidden, "confirm": "yes"})
    assert r.status_code == 422 and field_error(r.text, "reason") == "a reason must contain words"
    assert "Reason for suspending" in r.text

    r = await browser.submit(url, status_url, {**hidden, "reason": " 年检未通过 ", "confirm": "yes"})
    assert r.status_code == 303
    assert (await api.committee.ok("GET", f"/organizations/{org['id']}"))["status"] == "suspended"
    entries = await api.committee.ok("GET", "/audit", params={"entity": "organization", "entity_id": org["id"]})
    # Newest first.
    assert [(e["action"], e["data"].get("reason")) for e in entries["items"]] == [
        ("suspend", "年检未通过"),
        ("create", None),
    ]


async def test_an_objection_already_closed_is_reported_on_the_page_not_as_an_error(api: Api) -> None:
    review, notice = await awarded_review(api)
    first = await lodge_objection(api, notice["id"])
    second = await lodge_objection(api, notice["id"], grounds="承榜组织资质存疑")
    url = f"/committee/tasks/{review.task_id}"
    browser = await signed_in(api)
    base = f"/committee/awards/{notice['id']}/objections"
    r = await browser.submit(url, f"{base}/{first}/uphold", {"resolution": "利益冲突属实", "confirm": "yes"})
    assert r.status_code == 303
    # Upholding one closed the other with it; a dismissal sent from a page opened before says so, beside nothing.
    r = await browser.submit("/committee", f"{base}/{second}/dismiss", {"resolution": "不成立"})
    assert r.status_code == 303 and r.headers["location"] == f"{url}#award"
    html = await browser.page(url)
    assert 'class="flash flash-error"' in html
    statuses = {o["id"]: o["status"] for o in await api.committee.ok("GET", f"/awards/{notice['id']}/objections")}
    assert statuses == {first: "upheld", second: "upheld"}
