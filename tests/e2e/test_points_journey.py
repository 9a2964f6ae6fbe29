"""The resident's points (积分) in the browser: signs up, attends, and once the committee's approval has been in
notice for its period, sees the points through their own link and prints a statement whose code a partner checks.
Screenshots: docs/screenshots/points-mine-*.png, points-statement-*.png, points-verify-*.png."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from playwright.sync_api import Page, expect

from market.i18n import t
from tests.e2e.checks import check_page
from tests.e2e.conftest import journey_runs
from tests.factories import Api, finance_project, mobile, night_class

ZH = "zh-CN"


@journey_runs
def test_resident_attends_sees_the_points_on_their_link_and_a_partner_checks_the_statement(
    page: Page, browse: Callable[[], Page], api: Api, run: Callable[..., Any], shot: Callable[[Page, str], None]
) -> None:
    organiser, project = run(finance_project(api))
    session = run(night_class(api, organiser, project["id"], topic="识别非法集资"))

    page.goto(f"/classes/{session['id']}")
    form = page.locator("form[action$='/signups']")
    form.get_by_label(t("class.name", ZH)).fill("周玉梅")
    form.get_by_label(t("class.phone", ZH)).fill(mobile(7))
    form.get_by_role("button", name=t("class.signup_submit", ZH), exact=True).click()
    page.wait_for_load_state("load")
    link = page.url
    signup_id = int(link.split("/signups/")[1].split("?")[0])

    # The class is held and the resident came; the committee approves the entry, and its notice runs out.
    api.clock.set(datetime.fromisoformat(session["starts_at"]) + timedelta(minutes=5))
    run(organiser.ok("POST", f"/classes/{session['id']}/attendance", json={"signup_id": signup_id, "attended": True}))
    entries = run(api.committee.ok("GET", "/points/entries", params={"status": "proposed"}))["items"]
    run(api.committee.ok("POST", "/points/entries/approve", json={"entry_ids": [e["id"] for e in entries]}))
    api.clock.advance(days=api.settings.points_notice_days, minutes=1)

    page.goto(link)
    page.get_by_role("link", name=t("points.mine_title", ZH)).click()
    page.wait_for_url("**/points?token=*")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("points.mine_title", ZH))
    main = page.get_by_role("main")
    expect(main.get_by_text("周**")).to_be_visible()
    expect(main.locator("dd.big")).to_have_text("10")
    assert mobile(7) not in page.content()
    check_page(page)
    shot(page, "points-mine")

    page.get_by_role("link", name=t("points.statement_link", ZH)).click()
    page.wait_for_url("**/points/statement?token=*")
    code = page.locator("code.hash").inner_text().strip()
    expect(main.get_by_text(t("points.partner_disclaimer", ZH))).to_be_visible()
    check_page(page)
    shot(page, "points-statement")

    # A partner (a bank officer, no account) checks the code on the public page.
    partner = browse()
    partner.goto("/points/verify")
    partner.get_by_label(t("points.code", ZH)).fill(code)
    partner.get_by_role("button", name=t("points.verify_submit", ZH)).click()
    partner.wait_for_load_state("load")
    result = partner.get_by_role("status")
    expect(result.get_by_text(t("points.verified", ZH))).to_be_visible()
    expect(result.get_by_text("周**")).to_be_visible()
    check_page(partner)
    shot(partner, "points-verify")
