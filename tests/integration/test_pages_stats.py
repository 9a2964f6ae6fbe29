"""The statistics dashboard, organisers' night-class pages, the chair calendar and rotation, and applications:
driven like a browser without JavaScript, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker

from alliances.credit_code import CHARSET
from market.kernel.clock import local
from market.kernel.db import create_engine
from market.services import stats
from tests.browser import Browser, field_error, lang_of, signed_in, value_of
from tests.factories import (
    Api,
    As,
    credit_code,
    finance_project,
    mobile,
    night_class,
    posted_task,
    raised_need,
    secretary,
    sign_up,
)

SVG = re.compile(r'<svg class="chart-svg" id="([a-z-]+)" role="img" aria-label="([^"]+)"[^>]*><title>([^<]+)</title>')


async def in_english(browser: Browser) -> Browser:
    await browser.get("/lang/en")
    return browser


def sends_to_login(r: httpx.Response, path: str) -> None:
    assert r.status_code == 303, r.status_code
    assert unquote(r.headers["location"]) == f"/login?next={path}"


def local_input(when: datetime) -> str:
    return local(when).strftime("%Y-%m-%dT%H:%M")


def general_error(html: str) -> str | None:
    m = re.search(r'<div class="form-errors" role="alert">\s*<p>([^<]*)</p>', html)
    return m.group(1) if m else None


# The statistics dashboard -----------------------------------------------------------------------------------


async def _classes_with_attendance(api: Api) -> tuple[As, dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """A finance project (its task posted, claimed, awarded) and a held class: 3 places, 2 taken, 1 came."""
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"], seats=3)
    made = [await sign_up(api, session["id"], n) for n in range(2)]
    api.clock.set(datetime.fromisoformat(session["starts_at"]) + timedelta(minutes=10))
    url = f"/classes/{session['id']}/attendance"
    await organiser.ok("POST", url, status=200, json={"signup_id": made[0]["id"], "attended": True})
    await organiser.ok("POST", url, status=200, json={"signup_id": made[1]["id"], "attended": False})
    return organiser, project, session, made


async def test_stats_dashboard_draws_every_chart_with_its_table_in_both_languages(api: Api) -> None:
    await _classes_with_attendance(api)
    await posted_task(api)
    await raised_need(await secretary(api), api)
    browser = Browser(api.client)

    html = await browser.page("/stats")
    assert lang_of(html) == "zh-CN"
    assert "累计发榜2项，揭榜1项，确定承榜1项" in html
    charts = SVG.findall(html)
    assert [c[0] for c in charts] == [
        "chart-tasks-month",
        "chart-tasks-alliance",
        "chart-needs",
        "chart-orders",
        "chart-classes-month",
    ]
    assert all(label.startswith(title) for _, label, title in charts)
    assert "每月发榜、揭榜、承榜" in charts[0][2]
    # Every chart has its numbers beside it in a table with a caption and scoped headers (and the up-reviews' table
    # and the points' two, which have no chart, have one too).
    assert html.count("<caption") == 9 and 'scope="col"' in html and 'scope="row"' in html
    assert 'viewBox="0 0 360 ' in html and 'width="100%"' in html and "xmlns" not in html
    # The month's row: 2 posted, 1 claimed, 1 awarded, 0 unclaimed; classes: 1 held, 2 places taken, 1 came.
    assert re.search(
        r'<th scope="row">2026年3月</th><td class="num">2</td><td class="num">1</td><td class="num">1</td>'
        r'<td class="num">0</td>',
        html,
    )
    assert re.search(
        r'<th scope="row">2026年3月</th><td class="num">1</td><td class="num">2</td><td class="num">1</td>'
        r'<td class="num">50%</td>',
        html,
    )
    assert "<script" not in html

    html = await (await in_english(browser)).page("/stats")
    assert lang_of(html) == "en"
    assert "2 tasks posted, 1 claimed, 1 awarded" in html
    assert "Tasks posted, claimed and awarded each month" in html and "Mar 2026" in html
    assert len(SVG.findall(html)) == 5


async def test_stats_by_month_add_up_to_the_period_report(api: Api) -> None:
    await _classes_with_attendance(api)
    await posted_task(api)
    await raised_need(await secretary(api), api)
    engine = create_engine(api.settings.database_url)
    try:
        async with async_sessionmaker(engine)() as db:
            now = api.clock.now()
            start, end = stats.default_period(now)
            report = await stats.report(db, start, end, now=now)
            months = await stats.by_month(db, start, end, now=now)
    finally:
        await engine.dispose()
    assert len(months) == 13 and months[0].month == start.replace(day=1) and months[-1].month == end.replace(day=1)
    for kind, names in (
        ("tasks", ("posted", "claimed", "awarded", "unclaimed")),
        ("needs", ("raised", "open", "matched", "resolved", "declined")),
        ("classes", ("held", "seats", "confirmed", "attended")),
    ):
        for name in names:
            summed = sum(getattr(getattr(m, kind), name) for m in months)
            assert summed == getattr(getattr(report.total, kind), name), (kind, name)
    assert (report.total.tasks.posted, report.total.classes.attended) == (2, 1)


async def test_stats_period_is_chosen_and_a_refused_period_comes_back_beside_its_field(api: Api) -> None:
    await posted_task(api)
    browser = Browser(api.client)
    html = await browser.page("/stats?from=2025-01-01&to=2025-12-31")
    assert "累计发榜0项，揭榜0项，确定承榜0项" in html
    assert value_of(html, "from") == "2025-01-01" and value_of(html, "to") == "2025-12-31"

    r = await browser.get("/stats?from=2026-03-10&to=2026-03-01")
    assert r.status_code == 422
    assert field_error(r.text, "from") == "开始日期不能晚于结束日期"
    assert value_of(r.text, "from") == "2026-03-10" and value_of(r.text, "to") == "2026-03-01"
    assert "累计发榜1项" in r.text  # the default year is still shown

    r = await browser.get("/stats?from=yesterday")
    assert r.status_code == 422 and field_error(r.text, "from") and value_of(r.text, "from") == "yesterday"
    r = await browser.get("/stats?from=2000-01-01&to=2026-01-01")
    assert r.status_code == 422 and field_error(r.text, "to")


# Night classes for their organiser --------------------------------------------------------------------------


async def test_organiser_schedules_a_class_through_the_form(api: Api) -> None:
    organiser, project = await finance_project(api)
    community = await api.community()
    browser = await signed_in(api, organiser.username)
    html = await browser.page("/org/classes")
    assert project["title"] in html and 'href="/org/classes/new"' in html

    html = await browser.page("/org/classes/new")
    assert f'<option value="{project["id"]}" selected>' in html  # the only project is chosen already
    starts = local_input(api.later(days=5))
    form = {
        "project_id": str(project["id"]),
        "topic": "识别养老诈骗",
        "community_id": str(community["id"]),
        "venue": "社区活动室",
        "starts_at": starts,
        "seats": "0",
    }
    r = await browser.submit("/org/classes/new", "/org/classes/new", form)
    assert r.status_code == 422
    assert field_error(r.text, "seats") and value_of(r.text, "topic") == "识别养老诈骗"
    assert value_of(r.text, "starts_at") == starts

    r = await browser.submit("/org/classes/new", "/org/classes/new", form | {"starts_at": "next tuesday"})
    assert r.status_code == 422 and field_error(r.text, "starts_at")
    past = local_input(api.later(days=-1))
    r = await browser.submit("/org/classes/new", "/org/classes/new", form | {"seats": "20", "starts_at": past})
    assert r.status_code == 422 and field_error(r.text, "starts_at") and value_of(r.text, "starts_at") == past

    r = await browser.submit("/org/classes/new", "/org/classes/new", form | {"seats": "20"})
    assert r.status_code == 303 and r.headers["location"] == "/org/classes"
    html = await browser.page("/org/classes")
    assert "课程“识别养老诈骗”已安排" in html
    made = (await api.anon.ok("GET", f"/projects/{project['id']}/classes"))["items"]
    assert [(c["topic"], c["seats"], c["venue"], c["community"]["id"]) for c in made] == [
        ("识别养老诈骗", 20, "社区活动室", community["id"])
    ]
    assert local_input(datetime.fromisoformat(made[0]["starts_at"])) == starts


async def test_organiser_changes_a_class_and_more_seats_promote_the_waitlist(api: Api) -> None:
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"], seats=1)
    await sign_up(api, session["id"], 1)
    await sign_up(api, session["id"], 2)
    browser = await signed_in(api, organiser.username)
    url = f"/org/classes/{session['id']}/edit"
    html = await browser.page(url)
    assert value_of(html, "topic") == session["topic"] and value_of(html, "seats") == "1"
    starts = value_of(html, "starts_at")
    assert starts == local_input(datetime.fromisoformat(session["starts_at"]))

    form = {"topic": "防范电信诈骗(加场)", "venue": "社区大礼堂", "starts_at": starts or "", "seats": "0"}
    r = await browser.submit(url, url, form)
    assert r.status_code == 422 and field_error(r.text, "seats") and value_of(r.text, "venue") == "社区大礼堂"

    r = await browser.submit(url, url, form | {"seats": "2"})
    assert r.status_code == 303
    after = await api.anon.ok("GET", f"/classes/{session['id']}")
    assert (after["topic"], after["venue"], after["seats"], after["confirmed"], after["waitlisted"]) == (
        "防范电信诈骗(加场)",
        "社区大礼堂",
        2,
        2,
        0,
    )

    # Another organisation may not touch it; a committee member is not an organiser at all.
    other = await signed_in(api, (await api.org_member()).username)
    assert (await other.get(url)).status_code == 403
    assert (await other.get(f"/org/classes/{session['id']}/roster")).status_code == 403
    committee = await signed_in(api, "committee")
    assert (await committee.get("/org/classes")).status_code == 403
    sends_to_login(await Browser(api.client).get("/org/classes"), "/org/classes")

    api.clock.set(datetime.fromisoformat(after["starts_at"]) + timedelta(minutes=1))
    html = await browser.page(url)
    assert "课程已经开始" in html and 'action="/org/classes' not in html


async def test_roster_shows_full_numbers_the_waitlist_in_order_and_takes_attendance(api: Api) -> None:
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"], seats=2)
    made = [await sign_up(api, session["id"], n, name=f"居民{n}号") for n in range(4)]
    browser = await signed_in(api, organiser.username)
    url = f"/org/classes/{session['id']}/roster"
    html = await browser.page(url)
    for n in range(4):
        assert mobile(n) in html and f"居民{n}号" in html
    assert html.index("候补第1位") < html.index(mobile(2)) < html.index("候补第2位") < html.index(mobile(3))
    assert f'action="{url}"' not in html and "课程开始后" in html  # no attendance before it starts

    # The public list is masked; the organiser's page is the only place with whole numbers.
    public = await api.anon.ok("GET", f"/classes/{session['id']}/signups")
    assert all("****" in s["phone"] for s in public["items"])

    api.clock.set(datetime.fromisoformat(session["starts_at"]) + timedelta(minutes=5))
    html = await browser.page(url)
    assert f'action="{url}"' in html and f'name="attended" value="{made[0]["id"]}"' in html
    ids = [str(made[0]["id"]), str(made[1]["id"])]
    r = await browser.submit(url, url, {"signup_id": ids, "attended": [ids[0]]})  # type: ignore[dict-item]
    assert r.status_code == 303 and r.headers["location"] == url
    html = await browser.page(url)
    assert "到课登记已保存：2人中1人到课" in html
    assert re.search(rf'name="attended" value="{ids[0]}" checked', html)
    rows = (await organiser.ok("GET", f"/classes/{session['id']}/signups"))["items"]
    assert [(r["id"], r["attended"]) for r in rows[:2]] == [(made[0]["id"], True), (made[1]["id"], False)]

    # Unticking records the change; the stats count who came.
    r = await browser.submit(url, url, {"signup_id": ids, "attended": [ids[1]]})  # type: ignore[dict-item]
    assert r.status_code == 303
    rows = (await organiser.ok("GET", f"/classes/{session['id']}/signups"))["items"]
    assert [r["attended"] for r in rows[:2]] == [False, True]
    assert (await api.anon.ok("GET", "/stats"))["total"]["classes"]["attended"] == 1
    html = await (await in_english(browser)).page(url)
    assert "Waitlist no. 1" in html and "Save attendance" in html


async def test_org_without_a_finance_project_sees_an_empty_class_desk(api: Api) -> None:
    browser = await signed_in(api, (await api.org_member()).username)
    html = await browser.page("/org/classes")
    assert "没有承办金融教育类项目" in html and 'href="/org/classes/new"' not in html
    html = await browser.page("/org/classes/new")
    assert '<form method="post" action="/org/classes/new"' not in html
    r = await browser.submit("/org/classes", "/org/classes/new", {"project_id": "1", "topic": "x"})
    assert r.status_code == 422


# The chair calendar and the committee's forms ---------------------------------------------------------------


async def _rotation(api: Api) -> None:
    body = {"rotation": {"order": ["volunteers", "legal"], "first_day": "2026-03-01", "months_per_term": 1, "count": 4}}
    await api.committee.ok("PUT", "/chair", json=body)


async def test_chair_calendar_shows_a_month_as_weeks_with_the_chair_and_its_activities(api: Api) -> None:
    await _rotation(api)
    await api.committee.ok(
        "POST", "/chair/activities", json={"title": "联合主题党日", "held_on": "2026-03-10", "place": "创新园三楼"}
    )
    browser = Browser(api.client)
    assert 'href="/alliances/calendar"' in await browser.page("/alliances")

    html = await browser.page("/alliances/calendar")
    assert "2026年3月" in html and "联合主题党日" in html and "创新园三楼" in html
    assert "3月10日 周二" in html and 'id="day-2026-03-10"' in html
    assert "轮值主席：志愿者联盟" in html
    assert 'aria-current="date"' in html  # today, 2 March
    assert html.count('class="week"') == 6  # 1 Mar is a Sunday: six weeks touch March 2026

    html = await browser.page("/alliances/calendar?month=2026-04")
    assert "轮值主席：法律工作者联盟" in html and "本周没有联合活动" in html and "联合主题党日" not in html
    html = await browser.page("/alliances/calendar?month=garbage")
    assert "2026年3月" in html
    html = await (await in_english(browser)).page("/alliances/calendar?month=2026-03")
    assert "Tue 10 Mar" in html and "Chair: Volunteers Alliance" in html


async def test_committee_replaces_the_rotation_only_after_confirming(api: Api) -> None:
    committee = await signed_in(api, "committee")
    html = await committee.page("/committee/chair")
    assert 'action="/committee/chair/rotation"' in html and 'action="/committee/chair/activities"' in html
    form = {
        "order_1": "media",
        "order_2": "new-orgs",
        "order_3": "",
        "order_4": "",
        "first_day": "2026-04-01",
        "months_per_term": "0",
        "count": "3",
    }
    r = await committee.submit("/committee/chair", "/committee/chair/rotation", form)
    assert r.status_code == 422 and field_error(r.text, "months_per_term") and value_of(r.text, "count") == "3"

    r = await committee.submit("/committee/chair", "/committee/chair/rotation", form | {"months_per_term": "2"})
    assert r.status_code == 200
    assert 'name="confirm" value="yes"' in r.text and "2026-04-01 至 2026-05-31" in r.text
    assert (await api.anon.ok("GET", "/chair"))["terms"] == []  # nothing happens without confirm=yes

    r = await committee.submit(
        "/committee/chair", "/committee/chair/rotation", form | {"months_per_term": "2", "confirm": "yes"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/committee/chair"
    terms = (await api.anon.ok("GET", "/chair"))["terms"]
    assert [(t["alliance_code"], t["starts_on"], t["ends_on"]) for t in terms] == [
        ("media", "2026-04-01", "2026-05-31"),
        ("new-orgs", "2026-06-01", "2026-07-31"),
        ("media", "2026-08-01", "2026-09-30"),
    ]
    html = await committee.page("/committee/chair")
    assert "轮值安排已更新，共 3 届" in html
    assert '<option value="media" selected>' in html and value_of(html, "starts_on_3") == "2026-08-01"

    # Term by term: a gap is refused above the form, the rows kept.
    rows = {"rows": "2", "alliance_code_1": "legal", "starts_on_1": "2026-04-01", "ends_on_1": "2026-04-30"}
    rows |= {"alliance_code_2": "media", "starts_on_2": "2026-05-10", "ends_on_2": "2026-06-30"}
    r = await committee.submit("/committee/chair", "/committee/chair/terms", rows)
    assert r.status_code == 422 and "空档" in (general_error(r.text) or "")
    assert value_of(r.text, "starts_on_2") == "2026-05-10"
    r = await committee.submit("/committee/chair", "/committee/chair/terms", rows | {"starts_on_2": "2026-05-01"})
    assert r.status_code == 200 and 'name="confirm" value="yes"' in r.text
    r = await committee.submit(
        "/committee/chair", "/committee/chair/terms", rows | {"starts_on_2": "2026-05-01", "confirm": "yes"}
    )
    assert r.status_code == 303
    terms = (await api.anon.ok("GET", "/chair"))["terms"]
    assert [t["alliance_code"] for t in terms] == ["legal", "media"]


async def test_committee_adds_a_joint_activity_on_a_chaired_day(api: Api) -> None:
    await _rotation(api)
    committee = await signed_in(api, "committee")
    form = {"title": "志愿服务联合行动", "held_on": "2027-01-05", "place": "九水街道", "description": "清洁家园"}
    r = await committee.submit("/committee/chair", "/committee/chair/activities", form)
    assert r.status_code == 422 and field_error(r.text, "held_on")
    assert value_of(r.text, "title") == "志愿服务联合行动" and value_of(r.text, "description") == "清洁家园"

    r = await committee.submit("/committee/chair", "/committee/chair/activities", form | {"held_on": "2026-04-18"})
    assert r.status_code == 303 and r.headers["location"].startswith("/alliances/calendar?month=2026-04")
    html = await committee.page("/alliances/calendar?month=2026-04")
    assert "活动“志愿服务联合行动”已加入日历" in html and "4月18日 周六" in html
    activities = await api.anon.ok("GET", "/chair/activities")
    assert [(a["title"], a["held_on"], a["alliance_code"]) for a in activities] == [
        ("志愿服务联合行动", "2026-04-18", "legal")
    ]

    org = await signed_in(api, (await api.org_member()).username)
    assert (await org.get("/committee/chair")).status_code == 403
    sends_to_login(await Browser(api.client).get("/committee/chair"), "/committee/chair")


# Applications -------------------------------------------------------------------------------------------------


def _wrong_check(code: str) -> tuple[str, str]:
    """The code with another check character, and the right one."""
    other = next(c for c in CHARSET if c != code[-1])
    return code[:-1] + other, code[-1]


async def _application_form(api: Api, **overrides: Any) -> dict[str, Any]:
    return {
        "name": f"李沧区暖心社工服务中心{api.seq()}",
        "credit_code": credit_code(),
        "alliance_id": str(await api.alliance_id("volunteers")),
        "categories": ["elderly_care", "mental_health"],
        "contact_name": "周敏",
        "contact_phone": "139 0000 1234",
        "resident": "yes",
        "description": "为辖区独居老人提供探访与心理陪伴",
    } | overrides


async def test_an_organisation_applies_and_a_wrong_check_character_is_named_beside_the_field(api: Api) -> None:
    browser = Browser(api.client)
    html = await browser.page("/apply")
    assert 'name="credit_code"' in html and 'name="categories"' in html
    assert lang_of(await (await in_english(Browser(api.client))).page("/apply")) == "en"

    form = await _application_form(api)
    bad, right = _wrong_check(form["credit_code"])
    r = await browser.submit("/apply", "/apply", form | {"credit_code": bad})
    assert r.status_code == 422
    assert f"应为 {right}" in (field_error(r.text, "credit_code") or "")
    assert value_of(r.text, "credit_code") == bad and value_of(r.text, "contact_name") == "周敏"
    assert 'value="mental_health" checked' in r.text and 'name="resident" value="yes" checked' in r.text

    r = await browser.submit("/apply", "/apply", form | {"categories": [], "contact_phone": "12345"})
    assert r.status_code == 422 and field_error(r.text, "categories") and field_error(r.text, "contact_phone")
    assert "校验码核对无误" in r.text

    r = await browser.submit("/apply", "/apply", form)
    assert r.status_code == 303 and r.headers["location"] == "/apply/thanks"
    assert "感谢您的申请" in await browser.page("/apply/thanks")
    pending = await api.committee.ok("GET", "/organizations/applications", params={"status": "pending"})
    assert [(a["name"], a["contact_phone"], a["categories"], a["resident"]) for a in pending] == [
        (form["name"], "13900001234", ["elderly_care", "mental_health"], True)
    ]
    # The same organisation again is refused beside its credit code (an application is pending).
    r = await browser.submit("/apply", "/apply", form | {"name": "另一个名字"})
    assert r.status_code == 422 and field_error(r.text, "credit_code")


async def test_committee_approves_one_application_and_rejects_another_with_a_reason(api: Api) -> None:
    applicant = Browser(api.client)
    first, second = await _application_form(api), await _application_form(api)
    for form in (first, second):
        assert (await applicant.submit("/apply", "/apply", form)).status_code == 303
    ids = {a["name"]: a["id"] for a in await api.committee.ok("GET", "/organizations/applications")}

    committee = await signed_in(api, "committee")
    html = await committee.page("/committee/applications")
    assert first["name"] in html and second["name"] in html and "13900001234" in html
    r = await committee.submit("/committee/applications", f"/committee/applications/{ids[first['name']]}/approve", {})
    assert r.status_code == 303
    orgs = await api.anon.ok("GET", "/organizations", params={"q": first["name"]})
    assert [(o["name"], o["alliance_code"]) for o in orgs] == [(first["name"], "volunteers")]

    reject = f"/committee/applications/{ids[second['name']]}/reject"
    r = await committee.submit(reject, reject, {"reason": "x"})
    assert r.status_code == 422 and field_error(r.text, "reason") and value_of(r.text, "reason") == "x"
    r = await committee.submit(reject, reject, {"reason": "服务领域与园区定位不符,欢迎补充材料后再次申请"})
    assert r.status_code == 303
    decided = {a["name"]: a for a in await api.committee.ok("GET", "/organizations/applications")}
    assert decided[second["name"]]["status"] == "rejected"
    assert decided[first["name"]]["status"] == "approved"
    html = await committee.page("/committee/applications?status=all")
    assert "驳回理由：服务领域与园区定位不符" in html
    assert 'href="/committee/applications/' not in await committee.page("/committee/applications")

    org = await signed_in(api, (await api.org_member()).username)
    assert (await org.get("/committee/applications")).status_code == 403
    sends_to_login(await Browser(api.client).get("/committee/applications"), "/committee/applications")
