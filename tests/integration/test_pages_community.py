"""Community pages through a browser without JavaScript: needs, ordering (点单), providers' answers, offerings,
ordering meetings (点单会); on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

from tests.browser import Browser, field_error, lang_of, signed_in, value_of
from tests.factories import (
    Api,
    month_ahead,
    org_service,
    park_service,
    placed_order,
    posted_task,
    raised_need,
    secretary,
)


def no_raw_keys(html: str) -> None:
    """Every community string went through the catalog (a missing key would show as itself)."""
    assert not re.search(r"\bcommunity\.[a-z_]+\.", html), re.search(r"\bcommunity\.[a-z_.]+", html)


def _meeting_body(api: Api, offering_ids: list[int], **overrides: Any) -> dict[str, Any]:
    return {
        "title": "春季社区书记点单会",
        "place": "创新园一楼路演厅",
        "starts_at": api.later(hours=1).isoformat(),
        "ends_at": api.later(hours=3).isoformat(),
        "offering_ids": offering_ids,
    } | overrides


async def test_every_community_page_renders_in_chinese_and_in_english(api: Api) -> None:
    sec = await secretary(api)
    member = await api.org_member()
    need = await raised_need(sec, api)
    park = await park_service(api)
    own = await org_service(member, api)
    order = await placed_order(api, sec, park["id"], need_id=need["id"])
    await placed_order(api, sec, own["id"])
    meeting = await api.committee.ok("POST", "/meetings", status=201, json=_meeting_body(api, [park["id"]]))
    pages = {
        sec: [
            "/community",
            "/community/orders",
            "/community/needs/new",
            f"/services/{park['id']}/order",
            f"/orders/{order['id']}",
            f"/needs/{need['id']}",
            "/services",
            "/needs",
        ],
        member: ["/org/offerings", "/org/offerings/new", f"/org/offerings/{own['id']}/edit", "/org/needs/new"],
        api.committee: [
            "/committee/orders",
            "/committee/orders?status=all",
            "/committee/meetings/new",
            f"/orders/{order['id']}",
            f"/needs/{need['id']}",
            "/services",
            "/needs",
        ],
        api.anon: ["/meetings", f"/meetings/{meeting['id']}", f"/needs/{need['id']}"],
    }
    for who, urls in pages.items():
        browser = Browser(api.client) if who is api.anon else await signed_in(api, who)
        for lang in ("zh-CN", "en"):
            await browser.get(f"/lang/{lang}")
            for url in urls:
                html = await browser.page(url)
                assert lang_of(html) == lang, url
                no_raw_keys(html)
    sec_desk = await (await signed_in(api, sec)).page("/community")
    assert sec.user["community"]["name"] in sec_desk and need["title"] in sec_desk and meeting["title"] in sec_desk


async def test_role_pages_send_visitors_to_sign_in_and_refuse_other_roles(api: Api) -> None:
    sec = await secretary(api)
    member = await api.org_member()
    visitor = Browser(api.client)
    for url in ("/community", "/org/offerings", "/committee/orders", "/committee/meetings/new", "/orders/1"):
        r = await visitor.get(url)
        assert r.status_code == 303 and r.headers["location"].startswith(f"/login?next={url}"), url
    as_sec, as_org, as_committee = (
        await signed_in(api, sec),
        await signed_in(api, member),
        await signed_in(api, api.committee),
    )
    forbidden = {
        as_sec: ["/org/offerings", "/org/needs/new", "/committee/orders", "/committee/meetings/new"],
        as_org: ["/community", "/community/needs/new", "/committee/orders", "/services/1/order"],
        as_committee: ["/community", "/org/offerings/new", "/org/needs/new"],
    }
    for browser, urls in forbidden.items():
        for url in urls:
            r = await browser.get(url)
            assert r.status_code == 403 and r.headers["content-type"].startswith("text/html"), url
    # Declining a need is the committee's; a secretary's post is refused before anything happens.
    need = await raised_need(sec, api)
    r = await as_sec.submit(
        f"/needs/{need['id']}", f"/needs/{need['id']}/decline", {"reason": "不需要", "confirm": "yes"}
    )
    assert r.status_code == 403
    assert (await api.anon.ok("GET", f"/needs/{need['id']}"))["status"] == "open"


async def test_a_secretary_raises_a_need_and_an_organisation_its_own(api: Api) -> None:
    sec = await secretary(api)
    browser = await signed_in(api, sec)
    form = "/community/needs/new"
    r = await browser.submit(form, form, {"title": "", "category": "elderly_care", "description": "三十余名独居老人"})
    assert r.status_code == 422
    assert field_error(r.text, "title") and value_of(r.text, "description") == "三十余名独居老人"
    assert 'value="elderly_care" selected' in r.text

    data = {"title": "独居老人助餐", "category": "elderly_care", "description": "三十余名独居老人午餐无人照应"}
    r = await browser.submit(form, form, data)
    assert r.status_code == 303 and r.headers["location"].startswith("/needs/")
    need = await api.anon.ok("GET", r.headers["location"])
    assert need["community"]["id"] == sec.user["community"]["id"] and need["status"] == "open"
    html = await browser.page(r.headers["location"])
    assert "需求已提交" in html and "独居老人助餐" in html

    member = await api.org_member()
    org_browser = await signed_in(api, member)
    r = await org_browser.submit("/org/needs/new", "/org/needs/new", {"title": "办公场地不足", "category": "other"})
    assert r.status_code == 303
    need = await api.anon.ok("GET", r.headers["location"])
    assert need["organization"]["id"] == member.user["org"]["id"] and need["community"] is None


async def test_the_order_form_shows_places_left_and_refuses_a_full_month_beside_the_field(api: Api) -> None:
    service = await park_service(api, monthly_capacity=1)
    neighbour = await secretary(api)
    taken = await placed_order(api, neighbour, service["id"])
    await api.committee.ok("POST", f"/orders/{taken['id']}/accept")

    sec = await secretary(api)
    need = await raised_need(sec, api)
    browser = await signed_in(api, sec)
    form = f"/services/{service['id']}/order"
    html = await browser.page(form)
    this_month, next_month = month_ahead(api), month_ahead(api, 1)
    assert f"{this_month}（名额已满）" in html and f"{next_month}（剩余 1/1）" in html
    assert need["title"] in html

    data = {"service_month": this_month, "need_id": str(need["id"]), "meeting_id": "", "note": "周六上午为宜"}
    r = await browser.submit(form, form, data)
    assert r.status_code == 422
    assert "名额已满" in (field_error(r.text, "service_month") or "")
    assert value_of(r.text, "note") == "周六上午为宜" and f'value="{need["id"]}" selected' in r.text

    r = await browser.submit(form, form, data | {"service_month": next_month})
    assert r.status_code == 303 and r.headers["location"].startswith("/orders/")
    order_id = int(r.headers["location"].rsplit("/", 1)[1])
    order = await sec.ok("GET", f"/orders/{order_id}")
    assert (order["status"], order["service_month"], order["need_id"]) == ("requested", next_month, need["id"])
    assert (await api.anon.ok("GET", f"/needs/{need['id']}"))["status"] == "matched"

    # In English the month's label and the refusal are English.
    await browser.get("/lang/en")
    r = await browser.submit(form, form, data)
    assert r.status_code == 422 and "fully booked" in (field_error(r.text, "service_month") or "")


async def test_the_committee_accepts_then_the_secretary_confirms_delivery_and_rates(api: Api) -> None:
    sec = await secretary(api)
    need = await raised_need(sec, api)
    service = await park_service(api)
    order = await placed_order(api, sec, service["id"], need_id=need["id"])
    url = f"/orders/{order['id']}"

    committee = await signed_in(api, api.committee)
    html = await committee.page("/committee/orders")
    assert url in html
    html = await committee.page(url)
    assert f'action="{url}/accept"' in html and f'action="{url}/decline"' in html
    assert f'action="{url}/deliver"' not in html
    r = await committee.submit(url, f"{url}/accept", {})
    assert r.status_code == 303 and r.headers["location"] == url
    assert "已接单" in await committee.page(url)
    assert (await sec.ok("GET", url))["status"] == "accepted"
    assert url not in await committee.page("/committee/orders")

    browser = await signed_in(api, sec)
    html = await browser.page("/community")
    assert url in html
    html = await browser.page(url)
    assert f'action="{url}/accept"' not in html
    # Delivery cannot be taken back: the first post asks, only the confirmed one acts.
    r = await browser.submit(url, f"{url}/deliver", {})
    assert r.status_code == 200 and 'name="confirm" value="yes"' in r.text and "确认服务已开展" in r.text
    assert (await sec.ok("GET", url))["status"] == "accepted"
    r = await browser.submit(url, f"{url}/deliver", {"confirm": "yes"})
    assert r.status_code == 303
    assert (await sec.ok("GET", url))["status"] == "delivered"
    assert (await api.anon.ok("GET", f"/needs/{need['id']}"))["status"] == "resolved"

    r = await browser.submit(url, f"{url}/rate", {"rating": "", "comment": "老人们很满意"})
    assert r.status_code == 422 and field_error(r.text, "rating") and value_of(r.text, "comment") == "老人们很满意"
    r = await browser.submit(url, f"{url}/rate", {"rating": "9", "comment": "老人们很满意"})
    assert r.status_code == 422 and field_error(r.text, "rating")
    r = await browser.submit(url, f"{url}/rate", {"rating": "5", "comment": "老人们很满意"})
    assert r.status_code == 303
    rated = await sec.ok("GET", url)
    assert (rated["status"], rated["rating"], rated["rating_comment"]) == ("rated", 5, "老人们很满意")
    html = await browser.page(url)
    assert "5 星" in html and f'action="{url}/rate"' not in html


async def test_accepting_beyond_the_months_places_comes_back_on_the_order_page(api: Api) -> None:
    service = await park_service(api, monthly_capacity=1)
    first = await placed_order(api, await secretary(api), service["id"])
    second = await placed_order(api, await secretary(api), service["id"])
    await api.committee.ok("POST", f"/orders/{first['id']}/accept")
    committee = await signed_in(api, api.committee)
    url = f"/orders/{second['id']}"
    r = await committee.submit(url, f"{url}/accept", {})
    assert r.status_code == 422 and "已满" in r.text
    assert (await api.committee.ok("GET", url))["status"] == "requested"


async def test_an_organisation_declines_an_order_for_its_offering_with_a_reason(api: Api) -> None:
    member = await api.org_member()
    service = await org_service(member, api)
    sec = await secretary(api)
    order = await placed_order(api, sec, service["id"])
    url = f"/orders/{order['id']}"

    browser = await signed_in(api, member)
    html = await browser.page("/org/offerings")
    assert service["title"] in html and url in html

    r = await browser.submit(url, f"{url}/decline", {"reason": ""})
    assert r.status_code == 422 and field_error(r.text, "reason")
    r = await browser.submit(url, f"{url}/decline", {"reason": "本月人手已满,建议下月再约"})
    assert r.status_code == 303
    declined = await sec.ok("GET", url)
    assert (declined["status"], declined["decline_reason"]) == ("declined", "本月人手已满,建议下月再约")
    assert "本月人手已满" in await (await signed_in(api, sec)).page(url)

    # Another organisation does not see the order at all; the committee is not its provider.
    other = await signed_in(api, await api.org_member())
    assert (await other.get(url)).status_code == 404
    order2 = await placed_order(api, sec, service["id"])
    committee = await signed_in(api, api.committee)
    html = await committee.page(f"/orders/{order2['id']}")
    assert "/accept" not in html
    assert f"/orders/{order2['id']}" not in await committee.page("/committee/orders?status=all")


async def test_cancelling_an_order_acts_only_after_confirmation(api: Api) -> None:
    sec = await secretary(api)
    service = await park_service(api)
    order = await placed_order(api, sec, service["id"])
    url = f"/orders/{order['id']}"
    browser = await signed_in(api, sec)

    r = await browser.submit(url, f"{url}/cancel", {})
    assert r.status_code == 200
    assert 'name="confirm" value="yes"' in r.text and service["title"] in r.text
    assert (await sec.ok("GET", url))["status"] == "requested"

    r = await browser.submit(url, f"{url}/cancel", {"confirm": "yes"})
    assert r.status_code == 303
    assert (await sec.ok("GET", url))["status"] == "cancelled"
    html = await browser.page(url)
    assert "点单已撤销" in html and f'action="{url}/cancel"' not in html

    # The provider may not cancel for the community.
    committee = await signed_in(api, api.committee)
    other = await placed_order(api, sec, service["id"])
    r = await committee.submit(f"/orders/{other['id']}", f"/orders/{other['id']}/cancel", {"confirm": "yes"})
    assert r.status_code == 403
    assert (await sec.ok("GET", f"/orders/{other['id']}"))["status"] == "requested"


async def test_the_committee_declines_a_need_only_after_confirmation(api: Api) -> None:
    sec = await secretary(api)
    need = await raised_need(sec, api)
    url = f"/needs/{need['id']}"
    action = f"{url}/decline"
    browser = await signed_in(api, api.committee)
    assert f"{url}#decline" in await browser.page("/needs")
    assert f'action="{action}"' in await browser.page(url)

    r = await browser.submit(url, action, {"reason": ""})
    assert r.status_code == 422 and field_error(r.text, "reason")

    r = await browser.submit(url, action, {"reason": "属于街道职责范围,已转街道办理"})
    assert r.status_code == 200 and 'name="confirm" value="yes"' in r.text and need["title"] in r.text
    assert (await api.anon.ok("GET", url))["status"] == "open"

    r = await browser.submit(url, action, {"reason": "属于街道职责范围,已转街道办理", "confirm": "yes"})
    assert r.status_code == 303 and r.headers["location"] == url
    declined = await api.anon.ok("GET", url)
    assert (declined["status"], declined["decline_reason"]) == ("declined", "属于街道职责范围,已转街道办理")
    html = await browser.page(url)
    assert "属于街道职责范围" in html and f'action="{action}"' not in html


async def test_a_need_page_shows_the_tasks_projects_and_orders_answering_it(api: Api) -> None:
    sec = await secretary(api)
    need = await raised_need(sec, api)
    task = await posted_task(api, need_ids=[need["id"]])
    service = await park_service(api)
    order = await placed_order(api, sec, service["id"], need_id=need["id"])
    html = await Browser(api.client).page(f"/needs/{need['id']}")
    assert f"/tasks/{task['id']}" in html and service["title"] in html
    # A visitor reads which service answers it, but the order itself is for its community and provider.
    assert f"/orders/{order['id']}" not in html
    html = await (await signed_in(api, sec)).page(f"/needs/{need['id']}")
    assert f"/orders/{order['id']}" in html and f"/services?need_id={need['id']}" in html
    html = await (await signed_in(api, sec)).page(f"/services?need_id={need['id']}")
    assert f"/services/{service['id']}/order?need_id={need['id']}" in html


async def test_an_organisation_publishes_and_edits_an_offering(api: Api) -> None:
    member = await api.org_member()
    browser = await signed_in(api, member)
    form = "/org/offerings/new"
    data = {
        "title": "社区志愿者培训",
        "category": "capacity_training",
        "monthly_capacity": "",
        "target_groups": "社区志愿者\n楼长、网格员",
        "description": "志愿服务基础与安全",
    }
    r = await browser.submit(form, form, data)
    assert r.status_code == 422 and field_error(r.text, "monthly_capacity")
    assert value_of(r.text, "title") == "社区志愿者培训" and "楼长、网格员" in r.text
    r = await browser.submit(form, form, data | {"monthly_capacity": "1"})
    assert r.status_code == 303 and r.headers["location"] == "/org/offerings"
    page = await api.anon.ok("GET", "/services", params={"provider": str(member.user["org"]["id"])})
    [service] = page["items"]
    assert service["target_groups"] == ["社区志愿者", "楼长", "网格员"] and service["monthly_capacity"] == 1

    # A place held this month: the capacity cannot drop below it (refused beside the field).
    sec = await secretary(api)
    order = await placed_order(api, sec, service["id"])
    await member.ok("POST", f"/orders/{order['id']}/accept")
    edit = f"/org/offerings/{service['id']}/edit"
    html = await browser.page(edit)
    assert value_of(html, "title") == "社区志愿者培训" and 'name="active" type="checkbox" value="yes" checked' in html
    edited = {"title": "社区志愿者培训", "monthly_capacity": "0", "target_groups": "社区志愿者", "description": "新版"}
    r = await browser.submit(edit, edit, edited | {"active": "yes"})
    assert r.status_code == 422 and field_error(r.text, "monthly_capacity")
    r = await browser.submit(edit, edit, edited | {"monthly_capacity": "3"})
    assert r.status_code == 303
    changed = await api.anon.ok("GET", f"/services/{service['id']}")
    assert (changed["monthly_capacity"], changed["description"], changed["active"]) == (3, "新版", False)
    assert changed["target_groups"] == ["社区志愿者"]

    # Another organisation may not edit it.
    other = await signed_in(api, await api.org_member())
    assert (await other.get(edit)).status_code == 403
    r = await other.submit("/org/offerings/new", edit, edited)
    assert r.status_code == 403


async def test_the_committee_schedules_a_meeting_and_a_secretary_orders_at_it(api: Api) -> None:
    a = await park_service(api)
    b = await park_service(api)
    browser = await signed_in(api, api.committee)
    form = "/committee/meetings/new"
    data = {"title": "春季点单会", "place": "路演厅", "starts_at": "2026-03-02T14:00", "ends_at": "2026-03-02T16:00"}
    r = await browser.submit(form, form, data)
    assert r.status_code == 422 and field_error(r.text, "offering_ids") and value_of(r.text, "title") == "春季点单会"
    both = [str(a["id"]), str(b["id"])]
    early_end = {**data, "ends_at": "2026-03-02T13:00", "offering_ids": both, "_csrf_token": _csrf(r.text)}
    r = await browser.request("POST", form, data=early_end)
    assert r.status_code == 422 and field_error(r.text, "ends_at")
    assert f'value="{a["id"]}" checked' in r.text and f'value="{b["id"]}" checked' in r.text
    r = await browser.request("POST", form, data={**data, "offering_ids": [str(a["id"])], "_csrf_token": _csrf(r.text)})
    assert r.status_code == 303 and r.headers["location"].startswith("/meetings/")
    url = r.headers["location"]
    meeting = await api.anon.ok("GET", url)
    # 14:00 in Shanghai is 06:00 UTC.
    assert meeting["starts_at"].startswith("2026-03-02T06:00") and [o["id"] for o in meeting["offerings"]] == [a["id"]]
    assert meeting["phase"] == "upcoming"
    assert url in await Browser(api.client).page("/meetings")

    sec = await secretary(api)
    sec_browser = await signed_in(api, sec)
    order_link = f"/services/{a['id']}/order?meeting_id={meeting['id']}"
    assert order_link not in await sec_browser.page(url)
    api.clock.set(api.clock.now().replace(hour=6, minute=30))
    html = await sec_browser.page(url)
    assert order_link in html and meeting["title"] in await sec_browser.page("/community")
    # The order form offers the meeting on now that presents the service, and only for that service.
    assert meeting["title"] in await sec_browser.page(order_link)
    assert meeting["title"] not in await sec_browser.page(f"/services/{b['id']}/order")
    r = await sec_browser.submit(
        order_link,
        f"/services/{a['id']}/order",
        {"service_month": month_ahead(api), "meeting_id": str(meeting["id"]), "note": ""},
    )
    assert r.status_code == 303
    [order] = (await sec.ok("GET", "/orders"))["items"]
    assert order["meeting_id"] == meeting["id"]
    assert r.headers["location"] in await sec_browser.page(url)


def _csrf(html: str) -> str:
    m = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert m
    return m.group(1)


async def test_the_secretarys_desk_lists_each_order_once_confirms_delivery_by_button_and_flags_overdue(
    api: Api,
) -> None:
    sec = await secretary(api)
    member = await api.org_member()
    park = await park_service(api)
    accepted = await placed_order(api, sec, park["id"])
    await api.committee.ok("POST", f"/orders/{accepted['id']}/accept", status=200)
    unanswered = await placed_order(api, sec, (await org_service(member, api))["id"])
    # Two months on: the accepted order's month is over, the other has waited far past two weeks for an answer.
    api.clock.advance(days=62)
    fresh = await placed_order(api, sec, park["id"])
    browser = await signed_in(api, sec)

    desk = await browser.page("/community")
    for order in (accepted, unanswered, fresh):
        assert desk.count(f'href="/orders/{order["id"]}"') == 1, f"order {order['id']} is listed once"
    assert f'action="/orders/{accepted["id"]}/deliver"' in desk
    assert 'data-late="undelivered"' in desk and "服务月份已过，尚未确认" in desk
    assert 'data-late="unanswered"' in desk and "超期未答复" in desk
    assert desk.count("data-late=") == 2, "the order placed today is not overdue"

    # The provider and the committee see the same flags where they answer orders.
    provider = await (await signed_in(api, member)).page("/org/offerings")
    assert 'data-late="unanswered"' in provider
    committee = await (await signed_in(api, api.committee)).page("/committee/orders?status=all")
    assert 'data-late="undelivered"' in committee

    # The desk's button goes through the confirmation step; confirmed, the order moves to "to rate", still once.
    r = await browser.submit("/community", f"/orders/{accepted['id']}/deliver", {})
    assert r.status_code == 200 and 'name="confirm" value="yes"' in r.text
    assert (await sec.ok("GET", f"/orders/{accepted['id']}"))["status"] == "accepted"
    r = await browser.submit("/community", f"/orders/{accepted['id']}/deliver", {"confirm": "yes"})
    assert r.status_code == 303
    assert (await sec.ok("GET", f"/orders/{accepted['id']}"))["status"] == "delivered"
    desk = await browser.page("/community")
    assert desk.count(f'href="/orders/{accepted["id"]}"') == 1
    assert f'href="/orders/{accepted["id"]}#rate-h"' in desk
    assert 'data-late="undelivered"' not in desk and desk.count("data-late=") == 1


async def test_the_committee_desk_counts_park_orders_left_unanswered_too_long(api: Api) -> None:
    sec = await secretary(api)
    park = await park_service(api)
    await placed_order(api, sec, park["id"], service_month=month_ahead(api, 1))
    committee = await signed_in(api, api.committee)
    assert "已超期" not in await committee.page("/committee")
    api.clock.advance(days=15)
    assert "其中 1 张已超期" in await committee.page("/committee")
