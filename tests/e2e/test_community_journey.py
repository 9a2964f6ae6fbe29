"""The community secretary's journey: raise a need, order a park service for it, have it accepted, confirm, rate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from market.i18n import label, t
from market.kernel.clock import ManualClock
from tests.e2e.checks import check_page
from tests.e2e.conftest import journey_runs
from tests.e2e.phone import open_filters, open_menu
from tests.factories import Api, As, month_ahead, park_service, placed_order, secretary

ZH = "zh-CN"
SERVICE = "社区心理健康讲座"
NEED = "独居老人心理疏导"


def _flash(page: Page, key: str) -> None:
    """The message a move leaves at the top of the page it lands on."""
    expect(page.get_by_role("status").get_by_text(t(key, ZH))).to_be_visible()


def _badge(page: Page, kind: str, status: str) -> None:
    """The status badge near the top of a need's or an order's page."""
    expect(page.get_by_role("main").locator(".badge").first).to_have_text(label(kind, status, ZH))


async def _library(api: Api) -> tuple[As, dict[str, Any]]:
    """A secretary, and a park service whose one place this month another community's accepted order holds."""
    service = await park_service(
        api,
        title=SERVICE,
        category="mental_health",
        monthly_capacity=1,
        description="心理咨询师进社区,为居民讲解情绪调适与家庭沟通,现场答疑。",
        target_groups=["社区居民", "独居老人"],
    )
    neighbour = await secretary(api)
    held = await placed_order(api, neighbour, service["id"])
    await api.committee.ok("POST", f"/orders/{held['id']}/accept", status=200)
    return await secretary(api), service


@journey_runs
def test_secretary_raises_a_need_orders_a_park_service_for_it_and_rates_the_delivery(
    page: Page,
    browse: Callable[[], Page],
    api: Api,
    run: Callable[..., Any],
    clock: ManualClock,
    sign_in: Callable[..., None],
    shot: Callable[[Page, str], None],
) -> None:
    me, service = run(_library(api))
    this_month, next_month = month_ahead(api), month_ahead(api, 1)
    main = page.get_by_role("main")

    # On a phone between two visits, the secretary signs in and opens the community desk from the work menu.
    sign_in(page, me.username)
    open_menu(page)
    page.get_by_role("navigation", name=t("layout.work_nav", ZH)).get_by_role(
        "link", name=t("nav.secretary.desk", ZH)
    ).click()
    page.wait_for_url("**/community")
    expect(main.get_by_text(me.user["community"]["name"])).to_be_visible()
    expect(main.get_by_text(t("community.desk.no_needs", ZH))).to_be_visible()
    check_page(page)

    # A need residents raised at the last meeting goes on the need list.
    main.get_by_role("link", name=t("community.desk.raise_need", ZH)).click()
    page.wait_for_url("**/community/needs/new")
    form = page.locator("form[action='/community/needs/new']")
    form.get_by_label(t("community.need.title", ZH)).fill(NEED)
    form.get_by_label(t("common.category", ZH)).select_option(label=label("category", "mental_health", ZH))
    form.get_by_label(t("community.need.description", ZH)).fill("辖区独居老人四十余名,子女不在身边,情绪低落者增多。")
    check_page(page)
    shot(page, "need-form")
    form.get_by_role("button", name=t("community.need.submit", ZH)).click()
    page.wait_for_url("**/needs/*")
    _flash(page, "community.need.raised")
    _badge(page, "need_status", "open")
    check_page(page)
    need_id = int(page.url.rsplit("/", 1)[1])
    need = run(api.anon.ok("GET", f"/needs/{need_id}"))
    assert (need["status"], need["community"]["id"]) == ("open", me.user["community"]["id"])

    # From the need, to the resource library, where a search finds the park's counselling talks.
    main.get_by_role("link", name=t("community.need.order_for_it", ZH)).click()
    page.wait_for_url(f"**/services?need_id={need_id}")
    expect(main.get_by_text(t("community.services.for_need", ZH))).to_be_visible()
    open_filters(page)
    main.get_by_role("search").get_by_label(t("tasks.search_label", ZH)).fill("心理")
    main.get_by_role("search").get_by_role("button", name=t("common.filter", ZH)).click()
    page.wait_for_url("**/services?*q=*")
    order_link = main.get_by_role("link", name=t("community.services.order_label", ZH, title=SERVICE))
    expect(order_link).to_be_visible()
    check_page(page)
    shot(page, "community-services")
    order_link.click()

    # This month's one place is taken, so the order is for next month; the need comes already chosen.
    page.wait_for_url(f"**/services/{service['id']}/order?need_id={need_id}")
    form = page.locator(f"form[action='/services/{service['id']}/order']")
    month = form.get_by_label(t("community.order.month", ZH))
    expect(month.locator("option", has_text=t("community.order.month_full", ZH, month=this_month))).to_have_count(1)
    month.select_option(label=t("community.order.month_option", ZH, month=next_month, n=1, cap=1))
    expect(form.get_by_label(t("community.order.need", ZH))).to_have_value(str(need_id))
    form.get_by_label(t("community.order.note", ZH)).fill("希望安排在周六上午,社区活动室,约三十人。")
    check_page(page)
    shot(page, "order-form")
    form.get_by_role("button", name=t("community.order.submit", ZH)).click()
    page.wait_for_url("**/orders/*")
    _flash(page, "community.order.placed")
    _badge(page, "order_status", "requested")
    check_page(page)
    order_id = int(page.url.rsplit("/", 1)[1])
    order = run(me.ok("GET", f"/orders/{order_id}"))
    assert (order["status"], order["service_month"], order["need_id"]) == ("requested", next_month, need_id)
    assert run(api.anon.ok("GET", f"/needs/{need_id}"))["status"] == "matched"

    # That afternoon the committee, which provides the park's services, finds the order waiting and accepts it.
    clock.advance(hours=5)
    committee = browse()
    sign_in(committee, "committee", next_="/committee/orders")
    committee_main = committee.get_by_role("main")
    check_page(committee)
    committee_main.get_by_role("link", name=SERVICE).click()
    committee.wait_for_url(f"**/orders/{order_id}")
    check_page(committee)
    committee_main.get_by_role("button", name=t("community.order.accept", ZH), exact=True).click()
    committee.wait_for_url(f"**/orders/{order_id}")
    _flash(committee, "community.order.accepted")
    _badge(committee, "order_status", "accepted")
    assert run(me.ok("GET", f"/orders/{order_id}"))["status"] == "accepted"

    # Early next month, after the talk: the order waits among the desk's to-dos; the secretary confirms and rates it.
    clock.advance(days=33)
    page.goto("/community")
    todo = main.get_by_role("region", name=t("community.desk.todo", ZH))
    expect(todo.get_by_role("link", name=SERVICE)).to_be_visible()
    check_page(page)
    shot(page, "community-desk")
    # The card's own button, then the confirmation step (delivery cannot be taken back).
    todo.get_by_role("button", name=t("community.desk.deliver_label", ZH, title=SERVICE)).click()
    page.wait_for_url(f"**/orders/{order_id}/deliver")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("community.order.deliver_title", ZH))
    check_page(page)
    assert run(me.ok("GET", f"/orders/{order_id}"))["status"] == "accepted"
    main.get_by_role("button", name=t("community.order.deliver_confirm", ZH)).click()
    page.wait_for_url(f"**/orders/{order_id}")
    _flash(page, "community.order.delivered")
    _badge(page, "order_status", "delivered")
    check_page(page)
    rate = page.locator(f"form[action='/orders/{order_id}/rate']")
    rate.get_by_label(t("community.order.rating", ZH)).select_option(label=t("community.order.stars", ZH, n=5))
    rate.get_by_label(t("community.order.comment", ZH)).fill("老人们反响很好,希望下季度再来。")
    rate.get_by_role("button", name=t("community.order.rate", ZH)).click()
    page.wait_for_url(f"**/orders/{order_id}")
    _flash(page, "community.order.rated")
    _badge(page, "order_status", "rated")
    expect(main.get_by_text(t("community.order.stars", ZH, n=5))).to_be_visible()
    check_page(page)
    shot(page, "order")
    order = run(me.ok("GET", f"/orders/{order_id}"))
    assert (order["status"], order["rating"]) == ("rated", 5)

    # The need is resolved: on its own page, with the order that answered it, and on the public need list.
    main.get_by_role("link", name=NEED).click()
    page.wait_for_url(f"**/needs/{need_id}")
    _badge(page, "need_status", "resolved")
    expect(main.get_by_role("link", name=SERVICE)).to_be_visible()
    check_page(page)
    assert run(api.anon.ok("GET", f"/needs/{need_id}"))["status"] == "resolved"
    resident = browse()
    resident.goto("/needs")
    resident_main = resident.get_by_role("main")
    open_filters(resident)
    resident_main.get_by_label(t("common.status", ZH)).select_option(label=label("need_status", "resolved", ZH))
    resident_main.get_by_role("search").get_by_role("button", name=t("common.filter", ZH)).click()
    resident.wait_for_url("**/needs?*status=resolved*")
    card = resident_main.get_by_role("listitem").filter(has=resident.get_by_role("link", name=NEED))
    expect(card.locator(".badge")).to_have_text(label("need_status", "resolved", ZH))
    check_page(resident)
