"""The phone's first screen is content: at 375×800 every list page and every desk starts its first item (the first
`[data-item]` in main) within the first 400 px; the header is one row with a menu that opens without JavaScript;
filters fold; the committee's ranking reads as cards with nothing off-screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from market.i18n import t
from tests.e2e.checks import check_page
from tests.e2e.phone import first_item_top
from tests.factories import (
    Api,
    As,
    draft_proposal,
    finance_project,
    night_class,
    org_service,
    park_service,
    placed_order,
    posted_task,
    raised_need,
    scored_review,
    secretary,
    task_in_review,
)

ZH = "zh-CN"
PHONE_HEIGHT = 800
FIRST_SCREEN = 400


async def _district(api: Api) -> dict[str, Any]:
    """Something on every list page and desk, for every role."""
    # A review the panel has finished, with a tie on the mean that the first criterion breaks (ranking, desk).
    ranked = await scored_review(api, [["90", "88", "86"], ["88", "88", "88"], ["80", "78", "76"]])
    # A review whose panel has not scored yet: the evaluator's queue has proposals waiting.
    waiting = await task_in_review(api, proposals=2, panel=2)
    organiser, project = await finance_project(api)
    member = await api.org_member()
    community = await api.community("翠湖社区")
    sec = await secretary(api, community)
    await raised_need(sec, api, title="独居老人午餐无人照应")
    park = await park_service(api, title="社区社会组织骨干能力培训")
    accepted = await placed_order(api, sec, park["id"])
    await api.committee.ok("POST", f"/orders/{accepted['id']}/accept", status=200)
    await placed_order(api, sec, park["id"])  # one waiting for the committee's answer
    await placed_order(api, sec, (await org_service(member, api, title="家庭教育公益讲座"))["id"])
    await night_class(api, organiser, project["id"], community["id"], topic="识别非法集资")
    meeting = {
        "title": "春季社区书记点单会",
        "place": "创新园一楼路演厅",
        "starts_at": api.later(days=3).isoformat(),
        "ends_at": api.later(days=3, hours=2).isoformat(),
        "offering_ids": [park["id"]],
    }
    await api.committee.ok("POST", "/meetings", status=201, json=meeting)
    # Tasks open for claims, and the organisation's draft due in three days.
    await posted_task(api, title="青少年心理健康守护", claim_deadline=api.later(days=20).isoformat())
    soon = await posted_task(api, title="独居老人助餐点运营", claim_deadline=api.later(days=3).isoformat())
    await draft_proposal(member, soon["id"])
    return {
        "ranked": ranked,
        "evaluator": waiting.panel[0],
        "organiser": organiser,
        "member": member,
        "secretary": sec,
    }


PUBLIC_LISTS = ["/tasks", "/projects", "/classes", "/needs", "/services", "/meetings", "/alliances"]


def _first_screen(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url} -> {response and response.status}"
    top = first_item_top(page)
    assert top is not None, f"{url}: no content item ([data-item]) on the page"
    assert top < FIRST_SCREEN, f"{url}: the first content item starts at {top:.0f} px, not within {FIRST_SCREEN}"


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_every_list_page_and_desk_starts_its_content_on_the_first_phone_screen(
    browse: Callable[[], Page], api: Api, run: Callable[..., Any], sign_in: Callable[..., None]
) -> None:
    made = run(_district(api))
    visits: dict[str, tuple[As | None, list[str]]] = {
        "visitor": (None, PUBLIC_LISTS),
        "org": (made["member"], ["/org", "/org/proposals", "/org/offerings", "/inbox"]),
        "organiser": (made["organiser"], ["/org/classes"]),
        "secretary": (made["secretary"], ["/community", "/community/orders", "/inbox"]),
        "evaluator": (made["evaluator"], ["/panel", "/inbox"]),
        "committee": (
            api.committee,
            [
                "/committee",
                "/committee/orders",
                "/committee/projects",
                "/committee/accounts",
                "/committee/organizations",
                "/inbox",
                *PUBLIC_LISTS,
            ],
        ),
    }
    # One browser for the roles in turn, its cookies cleared between them: to the server each is a new visitor, and
    # the first screen's layout is the page's own; a fresh browser for each role only started Chromium's work again.
    page = browse()
    page.set_viewport_size({"width": 375, "height": PHONE_HEIGHT})
    for role, (who, urls) in visits.items():
        page.context.clear_cookies()
        if who is not None:
            sign_in(page, who.username)
        else:
            page.goto("/")
        header = page.locator("header.site-header").bounding_box()
        assert header is not None and header["height"] <= 60, f"{role}: the header is {header} tall, not one row"
        for url in urls:
            _first_screen(page, url)
        check_page(page)
        # The menu opens without JavaScript, from the keyboard, and holds the role's own work.
        page.locator("header details.menu > summary").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("navigation", name=t("layout.nav", ZH))).to_be_visible()
        if who is not None:
            expect(page.get_by_role("navigation", name=t("layout.work_nav", ZH))).to_be_visible()
        check_page(page)


def test_the_menu_and_the_filters_work_with_javascript_off(
    browser: Any, live: Any, api: Api, run: Callable[..., Any]
) -> None:
    run(posted_task(api, title="社区法律明白人培养"))
    context = browser.new_context(
        base_url=live.url, java_script_enabled=False, viewport={"width": 375, "height": PHONE_HEIGHT}
    )
    try:
        page = context.new_page()
        page.goto("/tasks")
        page.get_by_text(t("layout.menu", ZH)).click()
        page.get_by_role("navigation", name=t("layout.nav", ZH)).get_by_role("link", name=t("nav.needs", ZH)).click()
        page.wait_for_url("**/needs")
        search = page.get_by_role("search")
        expect(search).to_be_hidden()
        page.get_by_text(t("common.filters", ZH), exact=True).click()
        search.get_by_label(t("tasks.search_label", ZH)).fill("老人")
        search.get_by_role("button", name=t("common.filter", ZH)).click()
        page.wait_for_url("**/needs?*q=*")
        # A filter is set: the filters come back open, saying so.
        expect(page.get_by_role("search")).to_be_visible()
        expect(page.locator("main details.filter-fold > summary")).to_contain_text(t("common.filters_on", ZH))
    finally:
        context.close()


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_the_committees_ranking_reads_on_a_phone_without_sideways_scrolling(
    page: Page, api: Api, run: Callable[..., Any], sign_in: Callable[..., None], shot: Callable[[Page, str], None]
) -> None:
    ranked = run(scored_review(api, [["90", "88", "86"], ["88", "88", "88"], ["80", "78", "76"]]))
    sign_in(page, "committee", next_=f"/committee/tasks/{ranked.task_id}")
    page.locator("#ranking").scroll_into_view_if_needed()
    region = page.locator("#ranking .rank-scroll")
    expect(region).to_be_visible()
    # Nothing sticks out of the region or the screen, and nothing in it scrolls sideways.
    widths = region.evaluate("(el) => ({scroll: el.scrollWidth, client: el.clientWidth})")
    assert widths["scroll"] <= widths["client"], widths
    for cell in region.locator("tbody td").all():
        box = cell.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    # Each proposal is a card whose lines say what they are: the label (排名…) on one line beside its value.
    first = region.locator("tbody tr").first
    label = first.locator("td.rank").evaluate("(td) => getComputedStyle(td, '::before').content")
    assert t("award.rank", ZH) in label
    rank_cell = first.locator("td.rank").bounding_box()
    assert rank_cell is not None and rank_cell["height"] < 48, f"the rank line wraps: {rank_cell}"
    # The tie between the two proposals on 88 is explained in the card.
    expect(region.locator(".cm-tie").first).to_be_visible()
    # Still a table to a screen reader: rows and cells with their column headers.
    expect(region.get_by_role("row")).to_have_count(4)
    check_page(page)
    shot(page, "committee-ranking")
