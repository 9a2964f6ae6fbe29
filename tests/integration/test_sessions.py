"""Sessions (ASVS 5.0 V7): a new id at sign-in, ids never issued refused, an absolute lifetime, HTTPS cookies."""

from __future__ import annotations

import asyncio
import dataclasses
import time

from litestar.testing import AsyncTestClient

from market.app import create_app
from market.i18n import t
from market.kernel.clock import ManualClock
from market.settings import Settings
from tests.browser import signed_in
from tests.factories import COOKIE, PASSWORD, Api, problem


async def _login(api: Api, cookie: str | None = None) -> str:
    api.client.cookies.clear()
    headers = {"cookie": f"{COOKIE}={cookie}"} if cookie else {}
    r = await api.client.post(
        "/api/v1/auth/login", json={"username": "committee", "password": PASSWORD}, headers=headers
    )
    api.client.cookies.clear()
    assert r.status_code == 200, r.text
    new = r.cookies.get(COOKIE)
    assert new
    return new


async def _me(api: Api, cookie: str) -> int:
    api.client.cookies.clear()
    r = await api.client.get("/api/v1/me", headers={"cookie": f"{COOKIE}={cookie}"})
    api.client.cookies.clear()
    return r.status_code


async def test_a_made_up_session_id_does_not_become_a_signed_in_session(api: Api) -> None:
    made_up = "a" * 64
    issued = await _login(api, made_up)
    assert issued != made_up
    assert await _me(api, made_up) == 401
    assert await _me(api, issued) == 200


async def test_signing_in_issues_a_new_id_and_the_old_one_is_worthless(api: Api) -> None:
    first = await _login(api)
    second = await _login(api, first)
    assert second != first
    assert await _me(api, first) == 401
    assert await _me(api, second) == 200


async def test_signing_out_ends_the_session(api: Api) -> None:
    cookie = await _login(api)
    api.client.cookies.clear()
    r = await api.client.post("/api/v1/auth/logout", headers={"cookie": f"{COOKIE}={cookie}"})
    api.client.cookies.clear()
    assert r.status_code == 204
    assert await _me(api, cookie) == 401


async def test_changing_my_password_issues_a_new_session_id_and_keeps_me_signed_in(api: Api) -> None:
    me = await api.user("secretary", community_id=(await api.community())["id"])
    elsewhere = await api.login(me.username)
    api.client.cookies.clear()
    r = await api.client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "a quiet river at dusk"},
        headers={"cookie": f"{COOKIE}={me.cookie}"},
    )
    api.client.cookies.clear()
    assert r.status_code == 204, r.text
    renewed = r.cookies.get(COOKIE)
    assert me.cookie and renewed and renewed != me.cookie
    assert await _me(api, renewed) == 200  # still signed in on this device, under the new id
    assert await _me(api, me.cookie) == 401  # the id from before the change is worthless
    assert elsewhere.cookie and await _me(api, elsewhere.cookie) == 401  # and the other devices are signed out


async def test_changing_my_password_on_the_page_renews_the_session_and_its_form_token(api: Api) -> None:
    member = await api.org_member()
    browser = await signed_in(api, member)
    before = dict(browser.jar)
    url = "/account/password"
    new = "a quiet river at dusk"
    r = await browser.submit(url, url, {"current_password": PASSWORD, "new_password": new, "new_password_again": new})
    assert r.status_code == 303
    assert browser.jar[COOKIE] != before[COOKIE]
    # A new session gets a new CSRF token: the one the page handed out before the change is expired with it.
    assert any(c.startswith('jiebang_csrf="";') and "Max-Age=0" in c for c in r.headers.get_list("set-cookie"))
    assert t("account.password.changed", "zh-CN") in await browser.page("/org")
    assert await _me(api, before[COOKIE]) == 401
    assert await _me(api, browser.jar[COOKIE]) == 200


async def test_a_session_ends_at_its_absolute_lifetime_however_busy(
    api: Api, settings: Settings, clock: ManualClock
) -> None:
    # Wall-clock seconds (sessions live in the store's real time); a margin either side so a busy machine's
    # slow request does not decide the outcome.
    short = dataclasses.replace(settings, session_lifetime=3)
    async with AsyncTestClient(app=create_app(short, clock), base_url="http://127.0.0.1") as client:
        signed_in = time.time()
        r = await client.post("/api/v1/auth/login", json={"username": "committee", "password": PASSWORD})
        cookie = r.cookies[COOKIE]
        client.cookies.clear()
        headers = {"cookie": f"{COOKIE}={cookie}"}
        assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
        await asyncio.sleep(1)
        assert (await client.get("/api/v1/me", headers=headers)).status_code == 200  # busy, well inside 3 s
        await asyncio.sleep(max(0.0, signed_in + 3.3 - time.time()))
        problem(await client.get("/api/v1/me", headers=headers), 401)


async def test_over_https_the_cookies_are_host_prefixed_secure_and_hsts_is_sent(
    api: Api, settings: Settings, clock: ManualClock
) -> None:
    https = dataclasses.replace(settings, secure_cookies=True)
    async with AsyncTestClient(app=create_app(https, clock), base_url="https://127.0.0.1") as client:
        r = await client.get("/login")
        assert r.headers["strict-transport-security"].startswith("max-age=")
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]  # and the headers sent over HTTP
        csrf = [c for c in r.headers.get_list("set-cookie") if c.startswith("__Host-jiebang_csrf=")]
        assert csrf and "Secure" in csrf[0] and "Path=/" in csrf[0] and "Domain" not in csrf[0]
        r = await client.post("/api/v1/auth/login", json={"username": "committee", "password": PASSWORD})
        session = [c for c in r.headers.get_list("set-cookie") if c.startswith("__Host-jiebang_session=")]
        assert session and "Secure" in session[0] and "HttpOnly" in session[0] and "Path=/" in session[0]
        assert r.headers["strict-transport-security"].startswith("max-age=")
    async with AsyncTestClient(app=create_app(settings, clock), base_url="http://127.0.0.1") as client:
        r = await client.get("/login")
        assert "strict-transport-security" not in r.headers
