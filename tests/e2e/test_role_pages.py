"""Each role's remaining main pages, with demo-like data: the page-wide checks at both sizes, and screenshots.

The journeys cover the pages a role moves through; these are the ones a role mostly reads — the statistics
dashboard, the alliances and their chair calendar, the public application form, an organiser's night classes and
a roster, the committee's accounts and organisations, an inbox, the API reference — and the home page in English.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from market.i18n import ALLIANCE_CODES, t
from tests.e2e.checks import check_page
from tests.e2e.conftest import journey_runs
from tests.factories import (
    Api,
    As,
    finance_project,
    night_class,
    park_service,
    placed_order,
    posted_task,
    raised_need,
    secretary,
    sign_up,
)

ZH = "zh-CN"
Shot = Callable[[Page, str], None]


async def _district(api: Api) -> tuple[As, dict[str, Any]]:
    """Two months of a small district's work, so the charts have something to compare.

    March: a task nobody claims (流榜) and a finance-education task that becomes a project. April: two tasks open
    for claims, needs (one matched by an order), the chair rotation with a joint activity (联合主题党日), and night
    classes — one held yesterday with its roster, one to come. Returns the classes' organiser, the held class and
    the activity's title.
    """
    await posted_task(api, title="社区法律明白人培养", category="legal_aid", alliances=["legal", "new-orgs"])
    organiser, project = await finance_project(api)
    api.clock.advance(days=20)
    await posted_task(api, title="青少年心理健康守护", category="mental_health", alliances=["volunteers"])
    await posted_task(api, title="独居老人助餐点运营", category="elderly_care")
    community = await api.community("振华路社区")
    need_raiser = await secretary(api, community)
    need = await raised_need(need_raiser, api, title="老旧小区适老化改造咨询")
    service = await park_service(api, title="社区社会组织孵化辅导")
    await placed_order(api, need_raiser, service["id"], need_id=need["id"])
    await raised_need(need_raiser, api, title="社区儿童课后托管", category="children")

    # The chair rotates quarterly from the first of this month.
    first_day = api.clock.now().date().replace(day=1)
    rotation = {"order": list(ALLIANCE_CODES), "first_day": first_day.isoformat(), "months_per_term": 3, "count": 4}
    await api.committee.ok("PUT", "/chair", json={"rotation": rotation})
    activity = {
        "title": "联合主题党日:走进社区议事厅",
        "held_on": api.later(days=10).date().isoformat(),
        "place": "创新园党群服务中心",
    }
    await api.committee.ok("POST", "/chair/activities", json=activity)

    held = await night_class(
        api, organiser, project["id"], community["id"], topic="识别非法集资", starts_at=api.later(days=1).isoformat()
    )
    for n, name in enumerate(("王秀兰", "李建国", "张桂芳"), start=1):
        await sign_up(api, held["id"], n, name=name)
    await night_class(api, organiser, project["id"], community["id"], topic="防范电信诈骗", seats=40)
    api.clock.advance(days=2)
    return organiser, {"held": held, "activity": activity["title"]}


def _visit(page: Page, url: str, title_key: str, shot: Shot, name: str | None) -> None:
    """Open a page, see its heading, run the checks and photograph it (unless `name` is None)."""
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url} -> {response and response.status}"
    expect(page.get_by_role("heading", level=1)).to_have_text(t(title_key, ZH))
    check_page(page)
    if name:
        shot(page, name)


@journey_runs
def test_each_roles_reading_pages_pass_the_checks_and_are_photographed(
    page: Page,
    browse: Callable[[], Page],
    api: Api,
    run: Callable[..., Any],
    sign_in: Callable[..., None],
    shot: Shot,
) -> None:
    organiser, made = run(_district(api))
    main = page.get_by_role("main")

    # Anyone: statistics with their charts, the alliances and the chair calendar, the application form, the API.
    _visit(page, "/stats", "stats.title", shot, "stats")
    expect(main.get_by_role("img").first).to_be_visible()
    assert main.get_by_role("img").count() >= 5, "a chart for tasks by month and alliance, needs, orders, classes"
    _visit(page, "/alliances", "alliances.title", shot, "alliances-chair")
    _visit(page, "/alliances/calendar", "chair.calendar_title", shot, "chair-calendar")
    expect(main.get_by_text(made["activity"])).to_be_visible()
    _visit(page, "/apply", "apply.title", shot, "apply")
    # Checked but not photographed: the whole reference is one very long page (4 MB as two PNGs).
    _visit(page, "/api-docs", "apidocs.title", shot, None)

    # The home page in English, through the language switch.
    page.goto("/")
    page.get_by_role("link", name=t("layout.lang_switch_label", ZH) + t("common.colon", ZH) + "English").click()
    page.wait_for_url("**/")
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.get_by_role("heading", level=1)).to_have_text(t("home.title", "en"))
    check_page(page)
    shot(page, "home-en")

    # The organiser: their classes, the roster of the one held (attendance to take), their inbox.
    sign_in(page, organiser.username, next_="/org/classes")
    page.goto("/lang/zh-CN?next=/org/classes")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("orgclass.title", ZH))
    check_page(page)
    shot(page, "org-classes")
    _visit(page, f"/org/classes/{made['held']['id']}/roster", "orgclass.roster_title", shot, "class-roster")
    expect(main.get_by_label(t("orgclass.came", ZH, name="王秀兰"))).to_be_visible()
    _visit(page, "/inbox", "inbox.title", shot, "inbox")
    expect(main.get_by_role("listitem").first).to_be_visible()

    # The committee: accounts and organisations.
    committee = browse()
    sign_in(committee, "committee")
    _visit(committee, "/committee/accounts", "committee.accounts.title", shot, "committee-accounts")
    board = committee.get_by_role("main")
    expect(board.get_by_role("heading", name=organiser.username, exact=True)).to_be_visible()
    _visit(committee, "/committee/organizations", "committee.orgs.title", shot, "committee-organizations")
    expect(board.get_by_role("link", name=organiser.user["org"]["name"], exact=True)).to_be_visible()
