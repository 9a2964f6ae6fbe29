"""The HTML pages, driven like a browser without JavaScript, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from litestar import Litestar
from litestar.routes import HTTPRoute

from tests.browser import POST_FORM, Browser, field_error, lang_of, signed_in, value_of
from tests.factories import (
    PASSWORD,
    Api,
    awarded_review,
    finance_project,
    mobile,
    night_class,
    park_service,
    posted_task,
    problem,
    raised_need,
    secretary,
)

STATIC = Path(__file__).resolve().parents[2] / "static"
EXTERNAL = re.compile(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", re.IGNORECASE)
# A JSON-LD block is data no browser fetches from: its schema.org names are identifiers, its links absolute by design
# (tests/integration/test_class_event_data.py holds them to schema.org and this server).
LINKED_DATA = re.compile(r'<script type="application/ld\+json">.*?</script>', re.DOTALL)


def _fetched(page: str) -> str:
    """The page without its JSON-LD blocks: what a browser may load something from."""
    return LINKED_DATA.sub("", page)


# Who opens each page without path parameters (tests/permission_matrix.py has every route, this the pages' own view).
EVERYONE = "visitor committee org secretary evaluator"
SIGNED_IN = "committee org secretary evaluator"
PAGE_READERS: dict[str, str] = {
    "/": EVERYONE,
    "/account/password": SIGNED_IN,
    "/alliances": EVERYONE,
    "/alliances/calendar": EVERYONE,
    "/api-docs": EVERYONE,
    "/apply": EVERYONE,
    "/apply/thanks": EVERYONE,
    "/classes": EVERYONE,
    "/committee": "committee",
    "/committee/accounts": "committee",
    "/committee/applications": "committee",
    "/committee/chair": "committee",
    "/committee/meetings/new": "committee",
    "/committee/orders": "committee",
    "/committee/organizations": "committee",
    "/committee/points": "committee",
    "/committee/points/rules": "committee",
    "/committee/projects": "committee",
    "/committee/tasks/new": "committee",
    "/community": "secretary",
    "/community/needs/new": "secretary",
    "/community/orders": "secretary",
    "/favicon.ico": EVERYONE,
    "/healthz": EVERYONE,
    "/inbox": SIGNED_IN,
    "/login": EVERYONE,
    "/meetings": EVERYONE,
    "/needs": EVERYONE,
    "/org": "org",
    "/org/classes": "org",
    "/org/classes/new": "org",
    "/org/needs/new": "org",
    "/org/offerings": "org",
    "/org/offerings/new": "org",
    "/org/points/statement": "org",
    "/org/proposals": "org",
    "/panel": "evaluator",
    "/points": EVERYONE,
    "/points/propose": "org secretary",
    "/points/table": EVERYONE,
    "/points/verify": EVERYONE,
    "/projects": EVERYONE,
    "/readyz": EVERYONE,
    "/services": EVERYONE,
    "/signups/lost": EVERYONE,
    "/stats": EVERYONE,
    "/tasks": EVERYONE,
    "/up-reviews": EVERYONE,
}


async def _district(api: Api) -> list[str]:
    """Something on every public page: a posted task, a finance project with a class, a need, a service."""
    task = await posted_task(api)
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"])
    await raised_need(await secretary(api), api)
    await park_service(api)
    org_id = organiser.user["org"]["id"]
    return [
        "/",
        "/tasks",
        "/tasks?status=posted&category=elderly_care&alliance=new-orgs&q=%E8%80%81&page=1",
        f"/tasks/{task['id']}",
        f"/tasks/{project['task_id']}",
        "/projects",
        f"/projects/{project['id']}",
        "/classes",
        f"/classes?community={session['community']['id']}&from=2026-01-01&to=2026-12-31",
        f"/classes/{session['id']}",
        "/alliances",
        f"/organizations/{org_id}",
        "/needs",
        "/services",
        "/login",
        "/api-docs",
        "/points",
        "/points/table",
        "/points/verify",
    ]


async def test_every_public_page_is_html_in_chinese_then_in_english(api: Api) -> None:
    pages = await _district(api)
    browser = Browser(api.client)
    for url in pages:
        html = await browser.page(url)
        assert lang_of(html) == "zh-CN", url
    r = await browser.get("/lang/en?next=/tasks")
    assert r.status_code == 303 and r.headers["location"] == "/tasks"
    for url in pages:
        html = await browser.page(url)
        assert lang_of(html) == "en", url
        assert "Skip to content" in html
    r = await browser.get("/lang/zh-CN?next=/")
    assert lang_of(await browser.page("/")) == "zh-CN"


async def test_language_switch_only_returns_to_local_paths(api: Api) -> None:
    browser = Browser(api.client)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        r = await browser.get(f"/lang/en?next={target}")
        assert r.status_code == 303 and r.headers["location"] == "/", target


async def test_no_page_or_stylesheet_refers_to_anything_outside_the_server(api: Api) -> None:
    pages = await _district(api)
    browser = Browser(api.client)
    for url in [*pages, "/tasks/999999", "/no-such-page"]:
        r = await browser.get(url)
        assert not EXTERNAL.search(_fetched(r.text)), f"external URL in {url}: {EXTERNAL.search(_fetched(r.text))}"
    r = await browser.get("/static/site.css")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/css")
    for css in STATIC.rglob("*.css"):
        text = css.read_text(encoding="utf-8")
        assert not EXTERNAL.search(text) and "@import" not in text and "url(" not in text, css


def _plain_page_paths(app: Litestar) -> list[str]:
    """Every page a GET reaches without path parameters (the API, schema and static files left out)."""
    return sorted(
        {
            r.path
            for r in app.routes
            if isinstance(r, HTTPRoute)
            and "GET" in r.methods
            and "{" not in r.path
            and not r.path.startswith(("/api/", "/schema", "/static"))
        }
    )


async def test_every_role_page_opens_for_its_role_and_refers_to_nothing_outside_the_server(api: Api) -> None:
    await _district(api)
    organiser = await api.org_member()
    await finance_project(api)
    who = {
        "visitor": Browser(api.client),
        "committee": await signed_in(api),
        "org": await signed_in(api, organiser),
        "secretary": await signed_in(api, await secretary(api)),
        "evaluator": await signed_in(api, await api.user("evaluator")),
    }
    paths = _plain_page_paths(api.client.app)
    assert {"/org", "/panel", "/committee", "/community", "/stats"} <= set(paths)
    seen: dict[str, str] = {}
    for path in paths:
        outcomes = []
        for role, browser in who.items():
            r = await browser.get(path)
            if r.status_code == 200:
                outcomes.append(role)
                found = EXTERNAL.search(_fetched(r.text))
                assert not found, f"external URL in {path}: {found}"
            elif r.status_code == 303 and role == "visitor":
                # A visitor is sent to sign in, and comes back to the page afterwards.
                assert urlsplit(r.headers["location"]).path == "/login", f"{path}: {r.headers['location']}"
            elif r.status_code != 403:
                outcomes.append(f"{role}:{r.status_code}")
        seen[path] = " ".join(outcomes)
    # Who opens each page; anyone else is refused (403), a visitor sent to sign in. A page that a role suddenly
    # opens (a guard gone) or no longer opens fails here, as does a page without a row.
    assert seen == PAGE_READERS


async def test_every_post_form_carries_a_csrf_token(api: Api) -> None:
    pages = await _district(api)
    signed_in, anonymous = Browser(api.client), Browser(api.client)
    r = await signed_in.submit("/login", "/login", {"username": "committee", "password": PASSWORD})
    assert r.status_code == 303
    actions: set[str] = set()
    for browser in (anonymous, signed_in):
        for url in pages:
            html = await browser.page(url)
            for form in POST_FORM.finditer(html):
                assert 'name="_csrf_token"' in form.group(1), f"POST form without CSRF token on {url}"
                actions.add(re.sub(r"/\d+", "/{id}", re.search(r'action="([^"]+)"', form.group(0)).group(1)))
    assert actions >= {"/login", "/logout", "/classes/{id}/signups", "/projects/{id}/feedback"}
    review, notice = await awarded_review(api)
    html = await anonymous.page(f"/tasks/{review.task_id}")
    forms = [f.group(0) for f in POST_FORM.finditer(html)]
    assert any(f'action="/awards/{notice["id"]}/objections"' in f and "_csrf_token" in f for f in forms)


async def test_a_post_without_the_csrf_token_is_refused(api: Api) -> None:
    browser = Browser(api.client)
    await browser.page("/login")
    r = await browser.request("POST", "/login", data={"username": "committee", "password": PASSWORD})
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("text/html")
    assert "jiebang_session" not in browser.jar


async def test_login_page_signs_in_and_goes_to_next(api: Api) -> None:
    browser = Browser(api.client)
    r = await browser.submit(
        "/login?next=/projects", "/login", {"username": "committee", "password": "wrong password", "next": "/projects"}
    )
    assert r.status_code == 422
    assert value_of(r.text, "username") == "committee"
    assert 'name="password" type="password" value' not in r.text
    r = await browser.submit(
        "/login?next=/projects", "/login", {"username": "committee", "password": PASSWORD, "next": "/projects"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/projects"
    html = await browser.page("/projects")
    assert "committee" in html and 'action="/logout"' in html
    r = await browser.submit("/projects", "/logout", {})
    assert r.status_code == 303
    assert 'action="/logout"' not in await browser.page("/")


async def test_login_refuses_to_send_anyone_off_site(api: Api) -> None:
    browser = Browser(api.client)
    data = {"username": "committee", "password": PASSWORD, "next": "https://evil.example/"}
    r = await browser.submit("/login", "/login", data)
    assert r.status_code == 303 and r.headers["location"] == "/"


def _signup_link(r: httpx.Response) -> tuple[str, str]:
    assert r.status_code == 303, r.text[:500]
    location = r.headers["location"]
    token = parse_qs(urlsplit(location).query)["token"][0]
    return location, token


async def test_sign_up_confirms_then_waitlists_and_cancel_promotes(api: Api) -> None:
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"], seats=1)
    class_url = f"/classes/{session['id']}"
    action = f"{class_url}/signups"

    first, second = Browser(api.client), Browser(api.client)
    r = await first.submit(class_url, action, {"name": "张三", "phone": mobile(1)})
    first_link, first_token = _signup_link(r)
    html = await first.page(first_link)
    assert "报名成功" in html
    assert f"/signups/{first_link.split('/')[2].split('?')[0]}/cancel?token=" in html

    r = await second.submit(class_url, action, {"name": "李四", "phone": mobile(2)})
    second_link, _ = _signup_link(r)
    html = await second.page(second_link)
    assert "候补名单第 1 位" in html

    # The same number again is refused beside the phone field, the name kept.
    r = await second.submit(class_url, action, {"name": "王五", "phone": mobile(2)})
    assert r.status_code == 422
    assert field_error(r.text, "phone") and value_of(r.text, "name") == "王五"

    # A bad number is refused too, in English when the page is in English.
    await second.get("/lang/en")
    r = await second.submit(class_url, action, {"name": "Wang", "phone": "12345"})
    assert r.status_code == 422 and field_error(r.text, "phone") and value_of(r.text, "phone") == "12345"

    cancel_url = first_link.replace("?", "/cancel?", 1)
    r = await first.submit(cancel_url, cancel_url.split("?")[0], {"token": first_token})
    assert r.status_code == 303
    assert "已取消" in await first.page(first_link)
    html = await second.page(second_link)
    assert "You are signed up" in html


async def test_objection_form_during_notice_keeps_input_on_error_and_closes_after(api: Api) -> None:
    review, notice = await awarded_review(api)
    url = f"/tasks/{review.task_id}"
    action = f"/awards/{notice['id']}/objections"
    browser = Browser(api.client)
    html = await browser.page(url)
    assert action in html

    r = await browser.submit(url, action, {"name": "赵六", "contact": "13900000000", "grounds": ""})
    assert r.status_code == 422
    assert field_error(r.text, "grounds")
    assert value_of(r.text, "name") == "赵六" and value_of(r.text, "contact") == "13900000000"

    r = await browser.submit(url, action, {"name": "赵六", "contact": "13900000000", "grounds": "评分过程存在利益冲突"})
    assert r.status_code == 303 and r.headers["location"].startswith(url)
    html = await browser.page(url)
    assert "异议已提交" in html and "已收到异议 1 件" in html

    objections = await api.committee.ok("GET", f"/awards/{notice['id']}/objections")
    assert [o["grounds"] for o in objections] == ["评分过程存在利益冲突"]
    for o in objections:
        await api.committee.ok("POST", f"/objections/{o['id']}/dismiss", json={"resolution": "经核查不成立"})

    api.clock.advance(days=api.settings.notice_days, seconds=1)
    html = await browser.page(url)
    assert action not in html


async def test_feedback_form_rates_a_project(api: Api) -> None:
    _, project = await finance_project(api)
    url = f"/projects/{project['id']}"
    browser = Browser(api.client)
    r = await browser.submit(url, f"{url}/feedback", {"rating": "", "comment": "很好", "name": ""})
    assert r.status_code == 422 and field_error(r.text, "rating") and value_of(r.text, "comment") == "很好"
    r = await browser.submit(url, f"{url}/feedback", {"rating": "5", "comment": "很好", "name": "居民"})
    assert r.status_code == 303
    assert "共 1 条评价" in await browser.page(url)


async def test_missing_things_are_html_pages_but_api_problems(api: Api) -> None:
    browser = Browser(api.client)
    r = await browser.get("/tasks/999999")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert lang_of(r.text) == "zh-CN" and "找不到页面" in r.text
    r = await browser.get("/no-such-page")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    problem(await browser.get("/api/v1/tasks/999999"), 404)


async def test_the_api_reference_lists_every_operation_and_needs_no_script(api: Api) -> None:
    schema = await api.anon.ok("GET", "/schema/openapi.json")
    html = await Browser(api.client).page("/api-docs")
    for path, item in schema["paths"].items():
        for method in item.keys() & {"get", "post", "put", "patch", "delete"}:
            assert f"<code>{method.upper()} {path}</code>" in html, (method, path)
    assert "<script" not in html
    assert "Sign in; a wrong username or password gets the same 401." in html  # handler docstrings are used
    assert (await api.anon.get("/schema/swagger")).status_code == 404  # the CDN-loading UIs are gone
