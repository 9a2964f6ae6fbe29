"""Two-way review (双向点评) pages through a browser without JavaScript: each reviewer's form when a rating is due,
the public yearly aggregates and the committee's desk; in Chinese and English, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from tests.browser import Browser, lang_of, signed_in
from tests.factories import Api, As, finance_project, org_service, park_service, placed_order, secretary

PROMPT = "data-up-reviews"


def unit_forms(html: str) -> list[str]:
    """The units the page offers a form for, in order."""
    return re.findall(r'<input type="hidden" name="unit" value="([a-z_]+)">', html)


def error_of(html: str, unit: str, aspect: str) -> str | None:
    m = re.search(rf'<p class="error" id="f-{unit}-{aspect}-error">([^<]*)</p>', html)
    return m.group(1) if m else None


def no_raw_keys(html: str) -> None:
    assert not re.search(r"\b(reviews|reviewed_unit)\.[a-z_]+", html), re.search(r"\breviews?\.[a-z_.]+", html)


async def delivered_park_order(api: Api, sec: As) -> int:
    order = await placed_order(api, sec, (await park_service(api))["id"])
    await api.committee.ok("POST", f"/orders/{order['id']}/accept", status=200)
    await sec.ok("POST", f"/orders/{order['id']}/deliver", status=200)
    return int(order["id"])


async def test_the_lead_organisation_rates_both_units_of_a_closed_project_on_its_pages(api: Api) -> None:
    lead, project = await finance_project(api)
    browser = await signed_in(api, lead)
    desk = f"/org/projects/{project['id']}"
    assert PROMPT not in await browser.page(desk)
    assert unit_forms(await browser.page(f"{desk}/up-reviews")) == []
    await lead.ok("POST", f"/projects/{project['id']}/deliver", status=200)
    await api.committee.ok(
        "POST", f"/projects/{project['id']}/evaluation", status=200, json={"score": 88, "comment": "完成良好"}
    )
    assert PROMPT in await browser.page(desk)
    form_url = f"{desk}/up-reviews"
    html = await browser.page(form_url)
    assert unit_forms(html) == ["posting_unit", "committee"]
    task = await api.anon.ok("GET", f"/tasks/{project['task_id']}")
    assert task["posting_unit"] in html

    # A missing score comes back beside its field, the rest as typed; nothing is stored.
    r = await browser.submit(form_url, form_url, {"unit": "committee", "clarity": "4", "fairness": "5"})
    assert r.status_code == 422
    assert error_of(r.text, "committee", "timeliness") and not error_of(r.text, "committee", "clarity")
    assert unit_forms(r.text) == ["posting_unit", "committee"]

    body = {"unit": "committee", "clarity": "4", "timeliness": "2", "fairness": "5", "comment": "拨付慢了两周"}
    r = await browser.submit(form_url, form_url, body)
    assert r.status_code == 303 and r.headers["location"] == form_url
    html = await browser.page(form_url)
    assert unit_forms(html) == ["posting_unit"]
    # Posted again (a second tab): refused on the form, nothing doubled.
    r = await browser.submit(form_url, form_url, body)
    assert r.status_code == 422 and "已经点评过" in r.text
    r = await browser.submit(form_url, form_url, body | {"unit": "posting_unit"})
    assert r.status_code == 303
    assert unit_forms(await browser.page(form_url)) == []
    assert PROMPT not in await browser.page(desk)
    assert (await api.committee.ok("GET", "/up-reviews"))["units"] == []

    # Another organisation has no form here, not even an empty one.
    other = await signed_in(api, await api.org_member())
    assert (await other.get(form_url)).status_code == 403
    r = await other.submit("/org", form_url, body | {"unit": "posting_unit"})
    assert r.status_code == 403


async def test_the_secretary_and_the_provider_rate_a_delivered_order_on_its_page(api: Api) -> None:
    sec = await secretary(api)
    provider = await api.org_member()
    order = await placed_order(api, sec, (await org_service(provider, api))["id"])
    await provider.ok("POST", f"/orders/{order['id']}/accept", status=200)
    as_sec, as_provider = await signed_in(api, sec), await signed_in(api, provider)
    page = f"/orders/{order['id']}"
    assert PROMPT not in await as_sec.page(page)
    await sec.ok("POST", f"/orders/{order['id']}/deliver", status=200)
    for browser, unit in ((as_sec, "committee"), (as_provider, "community")):
        assert PROMPT in await browser.page(page)
        html = await browser.page(f"{page}/up-reviews")
        assert unit_forms(html) == [unit]
        # The provider is told which community it rates.
        assert (sec.user["community"]["name"] in html) == (unit == "community")
        body = {"unit": unit, "clarity": "5", "timeliness": "4", "fairness": "4", "comment": ""}
        r = await browser.submit(f"{page}/up-reviews", f"{page}/up-reviews", body)
        assert r.status_code == 303, r.text[:300]
        assert PROMPT not in await browser.page(page)
    # The committee sees the order, but has nothing of it to rate.
    as_committee = await signed_in(api)
    assert unit_forms(await as_committee.page(f"{page}/up-reviews")) == []


async def test_the_public_page_and_the_desk_show_the_committees_aggregate_only_from_three(api: Api) -> None:
    secretaries = [await secretary(api) for _ in range(3)]
    orders = [await delivered_park_order(api, s) for s in secretaries]
    visitor, desk = Browser(api.client), await signed_in(api)
    comments = ["办事很快", "希望说明更清楚", "一切顺利"]
    for n, (s, order_id) in enumerate(zip(secretaries, orders, strict=True)):
        body = {"unit": "committee", "clarity": 5 - n, "timeliness": 4, "fairness": 3, "comment": comments[n]}
        await s.ok("POST", f"/orders/{order_id}/up-reviews", status=201, json=body)
        public = await visitor.page("/up-reviews")
        committee_desk = await desk.page("/committee")
        if n < 2:
            assert 'data-unit="committee"' not in public and "还没有满 3 条点评" in public
            assert "不足 3 条" in committee_desk
            assert not any(c in public or c in committee_desk for c in comments)
    assert 'data-unit="committee"' in public and "3 条点评" in public
    # It says the summary moves only in steps of three.
    assert "每满 3 条新点评更新一次" in public
    # Comments in text order, none with a name, a community or a date beside it.
    shown = [c for c in sorted(comments) if c in public]
    assert shown == sorted(comments)
    assert [public.index(c) for c in shown] == sorted(public.index(c) for c in shown)
    for s in secretaries:
        assert s.username not in public and s.user["community"]["name"] not in public
        assert s.user["community"]["name"] not in committee_desk.split("data-two-way")[1].split("</section>")[0]
    two_way = committee_desk.split("data-two-way")[1].split("</section>")[0]
    assert "4.00" in two_way and all(c in two_way for c in comments)
    for browser in (visitor, desk):
        await browser.get("/lang/en")
    english = await visitor.page("/up-reviews")
    assert lang_of(english) == "en" and "3 ratings" in english
    assert "updated with every 3 new ratings" in english
    no_raw_keys(english)
    no_raw_keys(await desk.page("/committee"))
