"""HTTP caching of public reads: a tag from the data version, 304 on a repeat, nothing stored for a signed-in person."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import replace

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from market.app import create_app
from market.kernel.clock import ManualClock
from market.settings import Settings
from tests.factories import (
    PASSWORD,
    Api,
    finance_project,
    mobile,
    night_class,
    posted_task,
    project_under_way,
    sign_up,
)
from tests.statements import statements

PUBLIC = "public, max-age=0, must-revalidate"
NO_STORE = "private, no-store"


async def _get(api: Api, url: str, etag: str | None = None, **cookies: str) -> httpx.Response:
    """An anonymous GET carrying exactly these cookies (and If-None-Match when given)."""
    headers = {"If-None-Match": etag} if etag else {}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    api.client.cookies.clear()
    try:
        return await api.client.get(url, headers=headers)
    finally:
        api.client.cookies.clear()


def _tagged(r: httpx.Response) -> str:
    assert r.status_code == 200, r.text
    etag = r.headers["etag"]
    assert etag.startswith('W/"'), etag
    assert "Cookie" in r.headers["vary"]
    return etag


def _statements(app: Litestar) -> AbstractContextManager[list[str]]:
    """The SQL statements the app sends while the block runs (transaction control left out)."""
    return statements(app.state["alchemy"].get_engine(), transaction_control=False)


async def test_a_repeated_anonymous_read_is_answered_304_for_one_small_query(api: Api, app: Litestar) -> None:
    await posted_task(api)
    for url in ("/api/v1/tasks", "/tasks", "/"):
        first = await _get(api, url, jiebang_csrf="t0")
        etag = _tagged(first)
        assert first.headers["cache-control"] == PUBLIC
        with _statements(app) as seen:
            again = await _get(api, url, etag, jiebang_csrf="t0")
        assert again.status_code == 304, url
        assert again.content == b""
        assert (again.headers["etag"], again.headers["cache-control"]) == (etag, PUBLIC)
        assert len(seen) == 1, seen
    api_vary = (await _get(api, "/api/v1/tasks")).headers["vary"]
    assert "Accept-Language" in api_vary


async def test_a_first_visit_that_sets_a_cookie_is_not_for_shared_caches(api: Api) -> None:
    r = await _get(api, "/tasks")
    assert "jiebang_csrf" in r.headers.get("set-cookie", "")
    _tagged(r)
    assert r.headers["cache-control"] == "private, max-age=0, must-revalidate"


async def test_a_change_gives_a_new_tag_and_the_new_content(api: Api) -> None:
    await posted_task(api)
    etags = {url: _tagged(await _get(api, url, jiebang_csrf="t0")) for url in ("/api/v1/tasks", "/tasks")}
    task = await posted_task(api, title="社区心理疏导服务")
    for url, etag in etags.items():
        r = await _get(api, url, etag, jiebang_csrf="t0")
        assert _tagged(r) != etag
        assert "社区心理疏导服务" in r.text
        assert str(task["id"]) in r.text


async def test_signed_in_reads_are_never_stored_nor_answered_304(api: Api) -> None:
    task = await posted_task(api)
    anonymous = _tagged(await _get(api, f"/api/v1/tasks/{task['id']}"))
    for url in (f"/api/v1/tasks/{task['id']}", "/api/v1/tasks", "/api/v1/me"):
        r = await api.committee.get(url, headers={"If-None-Match": anonymous})
        assert r.status_code == 200, url
        assert r.headers["cache-control"] == NO_STORE
        assert "etag" not in r.headers
    page = await api.committee.get("/tasks", headers={"If-None-Match": "*"})
    assert (page.status_code, page.headers["cache-control"]) == (200, NO_STORE)


async def test_the_language_switch_gives_another_representation(api: Api) -> None:
    await posted_task(api)
    zh = await _get(api, "/tasks", jiebang_csrf="t0")
    etag = _tagged(zh)
    en = await _get(api, "/tasks", etag, jiebang_csrf="t0", lang="en")
    assert _tagged(en) != etag
    assert 'lang="en"' in en.text and 'lang="zh-CN"' in zh.text
    assert (await _get(api, "/tasks", en.headers["etag"], jiebang_csrf="t0", lang="en")).status_code == 304


async def test_writes_errors_and_secret_links_are_kept_out_of_caches(api: Api) -> None:
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"])
    receipt = await sign_up(api, session["id"], 1)
    assert receipt["token"]
    own = await _get(api, f"/api/v1/signups/{receipt['id']}?token={receipt['token']}")
    assert (own.status_code, own.headers["cache-control"]) == (200, NO_STORE)
    assert "etag" not in own.headers
    missing = await _get(api, "/api/v1/tasks/999999")
    assert (missing.status_code, missing.headers["cache-control"]) == (404, NO_STORE)
    assert "etag" not in missing.headers
    write = await api.anon.post(f"/classes/{session['id']}/signups", json={"name": "居民二", "phone": mobile(2)})
    assert (write.status_code, write.headers["cache-control"]) == (201, NO_STORE)


async def test_time_passing_a_deadline_or_a_class_start_changes_the_tag(api: Api) -> None:
    task = await posted_task(api)
    url = f"/api/v1/tasks/{task['id']}"
    etag = _tagged(await _get(api, url))
    api.clock.advance(days=11)
    # Due now: the read stores the transition and shows it, untagged, rather than confirm the old copy.
    due = await _get(api, url, etag)
    assert (due.status_code, due.json()["status"]) == (200, "unclaimed")
    assert "etag" not in due.headers
    after = _tagged(await _get(api, url, etag))
    assert after != etag

    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"], starts_at=api.later(hours=2).isoformat())
    page = f"/api/v1/classes/{session['id']}"
    before = await _get(api, page)
    assert before.json()["signups_open"] is True
    api.clock.advance(hours=3)
    started = await _get(api, page, _tagged(before))
    assert _tagged(started) != before.headers["etag"]
    assert started.json()["signups_open"] is False


async def test_resident_feedback_changes_the_project_page_tag(api: Api) -> None:
    _, project = await project_under_way(api)
    url = f"/projects/{project['id']}"
    etag = _tagged(await _get(api, url, jiebang_csrf="t0"))
    await api.anon.ok("POST", f"/projects/{project['id']}/feedback", status=201, json={"rating": 5, "comment": "很好"})
    r = await _get(api, url, etag, jiebang_csrf="t0")
    assert _tagged(r) != etag
    assert "很好" in r.text


async def test_over_https_the_prefixed_session_cookie_still_means_signed_in(
    api: Api, settings: Settings, clock: ManualClock
) -> None:
    await posted_task(api)
    app = create_app(replace(settings, secure_cookies=True), clock)
    async with AsyncTestClient(app=app, base_url="https://127.0.0.1") as client:
        signed_in = await client.post("/api/v1/auth/login", json={"username": "committee", "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        assert client.cookies
        for url in ("/api/v1/tasks", "/tasks"):
            r = await client.get(url)
            assert (r.status_code, r.headers["cache-control"]) == (200, NO_STORE), url
            assert "etag" not in r.headers
