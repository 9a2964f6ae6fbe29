"""What a visitor or resident meets on the public pages: class seats, claim counts, the site icon, own sign-ups."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from market.kernel.clock import local
from market.kernel.db import create_engine
from market.models import AuditEntry
from tests.browser import Browser, signed_in
from tests.factories import Api, finance_project, mobile, night_class, posted_task, sign_up

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


# Item 13: a resident's own sign-up -------------------------------------------------------------------------------


async def audit_actors(api: Api, entity: str, entity_id: int) -> list[tuple[str, str]]:
    """(action, who) of every audit entry about one thing, oldest first."""
    engine = create_engine(api.settings.database_url)
    try:
        async with async_sessionmaker(engine)() as db:
            rows = await db.execute(
                select(AuditEntry.action, AuditEntry.actor_label)
                .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
                .order_by(AuditEntry.id)
            )
            return [(a, b) for a, b in rows]
    finally:
        await engine.dispose()


def signup_link(html: str) -> str:
    """The full link a page gives to copy."""
    m = re.search(r'id="signup-link"[^>]*value="([^"]*)"', html)
    assert m, "no link to copy on the page"
    return unescape(m.group(1))


async def test_the_confirmation_gives_a_full_link_the_venue_the_time_and_what_to_do_if_it_is_lost(api: Api) -> None:
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"], venue="虎山路社区党群服务中心三楼")
    url = f"/classes/{session['id']}"
    resident = Browser(api.client)
    r = await resident.submit(url, f"{url}/signups", {"name": "张三", "phone": mobile(1)})
    assert r.status_code == 303
    html = await resident.page(r.headers["location"])
    link = signup_link(html)
    # Absolute, from the address the resident used (no JIEBANG_PUBLIC_BASE_URL in the tests' settings).
    assert link.startswith("http://127.0.0.1/signups/") and "token=" in link
    assert "虎山路社区党群服务中心三楼" in html
    starts = local(datetime.fromisoformat(session["starts_at"])).strftime("%Y-%m-%d %H:%M")
    assert starts in html and "北京时间" in html
    assert "链接丢失怎么办" in html and organiser.user["org"]["name"] in html
    assert 'href="/signups/lost"' not in html  # no SMS gateway configured: the organiser is the way
    # The link opens the sign-up for anyone holding it, on this server.
    parts = urlsplit(link)
    assert "报名成功" in await Browser(api.client).page(f"{parts.path}?{parts.query}")

    # Without a gateway, the lost-link page explains and offers no number form; posting a number does nothing.
    lost = await resident.page("/signups/lost")
    assert "主办组织" in lost and 'action="/signups/lost"' not in lost
    assert (await resident.submit(url, "/signups/lost", {"phone": mobile(1)})).status_code == 404


async def test_the_organiser_reissues_a_lost_link_and_cancels_for_a_resident_both_audited(api: Api) -> None:
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"], seats=1)
    first = await sign_up(api, session["id"], 1, "张三")
    second = await sign_up(api, session["id"], 2, "李四")
    roster = f"/org/classes/{session['id']}/roster"
    org = await signed_in(api, organiser)
    html = await org.page(roster)
    new_link = f"/org/classes/{session['id']}/signups/{first['id']}/link"
    cancel_for = f"/org/classes/{session['id']}/signups/{first['id']}/cancel"
    assert f'action="{new_link}"' in html and f'action="{cancel_for}"' in html

    # Another organisation's member may do neither.
    stranger = await signed_in(api, await api.org_member())
    assert (await stranger.submit("/", new_link, {})).status_code == 403
    assert (await stranger.submit("/", cancel_for, {"confirm": "yes"})).status_code == 403

    r = await org.submit(roster, new_link, {})
    assert r.status_code == 200 and "张三" in r.text and mobile(1) in r.text
    fresh = urlsplit(signup_link(r.text))
    assert fresh.scheme == "http" and fresh.netloc == "127.0.0.1"
    old = await api.anon.get(f"/signups/{first['id']}", params={"token": first["token"]})
    assert old.status_code == 404  # the lost link no longer works
    assert "报名成功" in await Browser(api.client).page(f"{fresh.path}?{fresh.query}")

    # Cancelling asks first, then cancels; the waitlist's head takes the seat.
    r = await org.submit(roster, cancel_for, {})
    assert r.status_code == 200 and 'name="confirm" value="yes"' in r.text and "张三" in r.text
    assert (await api.anon.ok("GET", f"/classes/{session['id']}"))["confirmed"] == 1
    r = await org.submit(roster, cancel_for, {"confirm": "yes"})
    assert r.status_code == 303 and r.headers["location"] == roster
    assert "已取消" in await Browser(api.client).page(f"{fresh.path}?{fresh.query}")
    token = second["token"]
    assert (await api.anon.ok("GET", f"/signups/{second['id']}", params={"token": token}))["status"] == "confirmed"

    who = organiser.username
    assert await audit_actors(api, "signup", first["id"]) == [
        ("sign_up", "resident"),
        ("reissue_link", who),
        ("cancel_on_behalf", who),
    ]
