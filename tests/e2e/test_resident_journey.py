"""The resident's journey (no account): sign up for a night class, be waitlisted, be promoted when someone cancels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect

from market.i18n import label, t
from tests.e2e.checks import check_page
from tests.e2e.conftest import journey_runs
from tests.e2e.phone import open_menu
from tests.factories import Api, finance_project, mobile, night_class

ZH = "zh-CN"


def _sign_up(page: Page, name: str, phone: str) -> None:
    """Fill the class page's sign-up form as a resident does, and send it."""
    form = page.locator("form[action$='/signups']")
    form.get_by_label(t("class.name", ZH)).fill(name)
    form.get_by_label(t("class.phone", ZH)).fill(phone)
    form.get_by_role("button", name=t("class.signup_submit", ZH), exact=True).click()
    page.wait_for_load_state("load")


def _status(page: Page) -> str:
    """The status badge on a sign-up's own page."""
    return page.locator(".facts .badge").inner_text().strip()


def _signup_api(run: Callable[..., Any], api: Api, url: str) -> dict[str, Any]:
    """The sign-up behind a status page's secret link, as the JSON API tells it."""
    parts = urlsplit(url)
    token = parse_qs(parts.query)["token"][0]
    result: dict[str, Any] = run(api.anon.ok("GET", parts.path, params={"token": token}))
    return result


@journey_runs
def test_resident_signs_up_is_waitlisted_and_is_promoted_when_someone_cancels(
    page: Page, browse: Callable[[], Page], api: Api, run: Callable[..., Any], shot: Callable[[Page, str], None]
) -> None:
    organiser, project = run(finance_project(api))
    session = run(night_class(api, organiser, project["id"], seats=2, topic="防范养老诈骗:守好钱袋子"))
    class_url = f"/classes/{session['id']}"

    # The first resident comes in from the home page and finds the class through the navigation.
    page.goto("/")
    check_page(page)
    open_menu(page)
    page.get_by_role("navigation", name=t("layout.nav", ZH)).get_by_role("link", name=t("nav.classes", ZH)).click()
    page.wait_for_url("**/classes")
    check_page(page)
    page.get_by_role("link", name=session["topic"]).click()
    page.wait_for_url(f"**{class_url}")
    expect(page.get_by_text(t("classes.remaining", ZH, n=2))).to_be_visible()
    check_page(page)
    _sign_up(page, "王秀兰", mobile(1))
    assert "/signups/" in page.url and "token=" in page.url
    expect(page.get_by_text(t("signup.confirmed", ZH))).to_be_visible()
    assert _status(page) == label("signup_status", "confirmed", ZH)
    check_page(page)
    first_link = page.url

    # A second resident, from a link in the community's chat group, takes the last seat.
    second = browse()
    second.goto(class_url)
    expect(second.get_by_text(t("classes.remaining", ZH, n=1))).to_be_visible()
    _sign_up(second, "李建国", mobile(2))
    expect(second.get_by_text(t("signup.confirmed", ZH))).to_be_visible()
    check_page(second)

    # The third finds the class full; a mistyped number comes back beside its field with the name kept.
    third = browse()
    third.goto(class_url)
    expect(third.get_by_text(t("classes.full", ZH))).to_be_visible()
    check_page(third)
    _sign_up(third, "张桂芳", "1380000")
    error = third.locator("#f-phone-error")
    expect(error).to_be_visible()
    assert error.inner_text().strip()
    expect(third.locator("#f-phone")).to_have_attribute("aria-describedby", "f-phone-error")
    expect(third.locator("#f-name")).to_have_value("张桂芳")
    check_page(third)
    shot(third, "class-signup-error")
    third.locator("#f-phone").fill(mobile(3))
    third.get_by_role("button", name=t("class.signup_submit", ZH), exact=True).click()
    third.wait_for_load_state("load")
    expect(third.get_by_text(t("signup.waitlisted", ZH, n=1))).to_be_visible()
    assert _status(third) == label("signup_status", "waitlisted", ZH)
    check_page(third)
    shot(third, "signup-waitlisted")
    third_link = third.url
    assert _signup_api(run, api, third_link)["waitlist_position"] == 1

    # The first resident gives the seat up through their own link; the confirmation page alone changes nothing.
    page.goto(first_link)
    page.get_by_role("link", name=t("signup.cancel", ZH)).click()
    page.wait_for_url("**/cancel?token=*")
    check_page(page)
    shot(page, "signup-cancel")
    assert _signup_api(run, api, first_link)["status"] == "confirmed"
    assert _signup_api(run, api, third_link)["status"] == "waitlisted"
    page.get_by_role("button", name=t("signup.cancel_confirm", ZH)).click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("status").get_by_text(t("signup.cancelled", ZH))).to_be_visible()
    assert _status(page) == label("signup_status", "cancelled", ZH)
    check_page(page)

    # The waitlisted resident looks again: the seat is theirs.
    third.goto(third_link)
    expect(third.get_by_text(t("signup.confirmed", ZH))).to_be_visible()
    assert _status(third) == label("signup_status", "confirmed", ZH)
    check_page(third)
    promoted = _signup_api(run, api, third_link)
    assert promoted["status"] == "confirmed" and promoted["promoted_at"] is not None
    seats = run(api.anon.ok("GET", f"/classes/{session['id']}/signups"))
    assert (seats["confirmed"], seats["waitlisted"]) == (2, 0)
    assert all("****" in row["phone"] for row in seats["items"]), "numbers are masked to everyone but the organiser"
