"""Every public page in a real browser: the page-wide checks at both sizes, in both languages, and screenshots."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from market.i18n import t
from tests.e2e.checks import check_page
from tests.e2e.conftest import journey_runs
from tests.e2e.phone import open_menu
from tests.factories import (
    Api,
    finance_project,
    night_class,
    park_service,
    posted_task,
    raised_need,
    secretary,
    sign_up,
)

ZH = "zh-CN"
SignIn = Callable[..., None]


async def _district(api: Api) -> dict[str, str]:
    """Something on every public page; returns the pages by screenshot name."""
    rotation = {"order": ["new-orgs", "volunteers", "legal", "media"], "first_day": "2026-01-01"}
    await api.committee.ok("PUT", "/chair", json={"rotation": rotation | {"months_per_term": 3, "count": 4}})
    activity = {"title": "联合主题党日:走进九水街道", "held_on": "2026-03-28", "place": "九水街道党群服务中心"}
    await api.committee.ok("POST", "/chair/activities", json=activity)
    organiser, project = await finance_project(api)
    # Posted after the finance project's award has moved the clock on, so that it is still open to claims.
    task = await posted_task(api, title="九水街道独居老人助餐与探访服务", posting_unit="九水街道")
    session = await night_class(api, organiser, project["id"], seats=2, topic="守好养老钱:识别养老诈骗")
    receipt = await sign_up(api, session["id"], 1, name="王秀兰")
    await raised_need(await secretary(api), api, title="独居老人午餐无人照应")
    await park_service(api, title="社区社会组织骨干能力培训")
    return {
        "home": "/",
        "tasks": "/tasks",
        "task": f"/tasks/{task['id']}",
        "task-awarded": f"/tasks/{project['task_id']}",
        "projects": "/projects",
        "project": f"/projects/{project['id']}",
        "classes": "/classes",
        "class": f"/classes/{session['id']}",
        "signup": f"/signups/{receipt['id']}?token={receipt['token']}",
        "alliances": "/alliances",
        "organization": f"/organizations/{organiser.user['org']['id']}",
        "needs": "/needs",
        "services": "/services",
        "login": "/login",
    }


@journey_runs
def test_every_public_page_and_the_not_found_page_pass_the_checks_and_are_photographed(
    page: Page, api: Api, run: Callable[..., Any], shot: Callable[[Page, str], None]
) -> None:
    for name, url in run(_district(api)).items():
        response = page.goto(url)
        assert response is not None and response.status == 200, f"{url} -> {response and response.status}"
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        check_page(page)
        shot(page, name)
    for url in ("/tasks/999999", "/no-such-page"):
        response = page.goto(url)
        assert response is not None and response.status == 404
        check_page(page)


# English runs longer than Chinese: the phone is where it may not fit, so that is where it is checked.
@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_the_language_switch_turns_every_page_english(page: Page, api: Api, run: Callable[..., Any]) -> None:
    pages = run(_district(api))
    page.goto(pages["home"])
    switch = t("layout.lang_switch_label", "zh-CN") + t("common.colon", "zh-CN") + "English"
    page.get_by_role("link", name=switch).click()
    page.wait_for_url("**/")
    assert page.locator("html").get_attribute("lang") == "en"
    for url in pages.values():
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == "en"
        open_menu(page, "en")
        assert page.get_by_role("link", name=t("nav.home", "en"), exact=True).is_visible()
        check_page(page)
    page.get_by_role("link", name=t("layout.lang_switch_label", "en") + ": 中文").click()
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "zh-CN"


# Each database and each width once, as a journey: the form and the menu differ by width, the accounts by database.
@journey_runs
def test_signing_in_through_the_form_brings_the_work_navigation(page: Page, api: Api, sign_in: SignIn) -> None:
    page.goto("/login?next=/tasks")
    page.get_by_label(t("login.username", ZH)).fill("committee")
    page.get_by_label(t("login.password", ZH)).fill("not the password")
    with page.expect_response(lambda r: r.request.method == "POST") as refused:
        page.get_by_role("button", name=t("login.submit", ZH), exact=True).click()
    assert refused.value.status == 422
    expect(page.get_by_role("alert")).to_contain_text(t("login.failed", ZH))
    expect(page.get_by_label(t("login.username", ZH))).to_have_value("committee")
    check_page(page)

    sign_in(page, "committee", next_="/tasks")
    assert urlsplit(page.url).path == "/tasks"
    expect(page.get_by_role("status")).to_contain_text(t("login.welcome", ZH, name="committee"))
    open_menu(page)
    work = page.get_by_role("navigation", name=t("layout.work_nav", ZH))
    expect(work.get_by_role("link", name=t("nav.committee.desk", ZH))).to_be_visible()
    check_page(page)
    open_menu(page)
    page.get_by_role("button", name=t("layout.sign_out", ZH)).click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("status")).to_contain_text(t("logout.done", ZH))
    expect(page.get_by_role("navigation", name=t("layout.work_nav", ZH))).to_have_count(0)
    check_page(page)
