"""What a visitor or resident meets on the public pages: class seats, claim counts, the site icon, own sign-ups."""

from __future__ import annotations

import re

from tests.browser import Browser, signed_in
from tests.factories import Api, finance_project, night_class, posted_task, sign_up

CLAIMS_LABEL = re.compile(r"<dt>\s*(已揭榜|Claims)\s*</dt>")


# Item 6: one rule for "may residents sign up now?" ----------------------------------------------------------------


async def test_a_started_class_offers_no_waitlist_on_the_project_page_nor_its_own(api: Api) -> None:
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"], seats=1)
    await sign_up(api, session["id"], 1)
    visitor = Browser(api.client)
    project_url, class_url = f"/projects/{project['id']}", f"/classes/{session['id']}"

    # Full but not started: both pages offer the waitlist, and the class page the form.
    for url in (project_url, class_url):
        assert "可报名候补" in await visitor.page(url), url
    assert f'action="{class_url}/signups"' in await visitor.page(class_url)

    api.clock.advance(days=7, seconds=1)
    assert (await api.anon.ok("GET", f"/classes/{session['id']}"))["signups_open"] is False
    for url in (project_url, class_url):
        html = await visitor.page(url)
        assert "可报名候补" not in html and "报名已截止" in html, url
    assert f'action="{class_url}/signups"' not in await visitor.page(class_url)

    await visitor.get("/lang/en")
    html = await visitor.page(project_url)
    assert "waitlist" not in html and "sign-ups are closed" in html


# Item 7: the claim count's label goes where the count goes -------------------------------------------------------


async def test_a_posted_task_shows_no_claim_label_without_its_count(api: Api) -> None:
    task = await posted_task(api)
    org = await signed_in(api, await api.org_member())
    for who in (Browser(api.client), org):
        for url in ("/", "/tasks", f"/tasks/{task['id']}"):
            html = await who.page(url)
            assert task["title"] in html, url
            assert "None" not in html and not CLAIMS_LABEL.search(html), url

    # Once claims close the count is public, with its label.
    api.clock.advance(days=11)
    html = await Browser(api.client).page(f"/tasks/{task['id']}")
    assert CLAIMS_LABEL.search(html)


# Item 10: the site's icon ----------------------------------------------------------------------------------------


async def test_the_favicon_is_an_image_and_every_page_links_it(api: Api) -> None:
    visitor = Browser(api.client)
    r = await visitor.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/")
    assert r.content[:4] == b"\x00\x00\x01\x00"  # an ICO header
    html = await visitor.page("/")
    assert '<link rel="icon" href="/favicon.ico"' in html
    m = re.search(r'<link rel="icon" href="(/static/[^"]+\.svg)"', html)
    assert m
    r = await visitor.get(m.group(1))
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in r.text
