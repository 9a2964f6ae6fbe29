"""Writes to the cookie-authenticated JSON API come from this site's own pages, in JSON; the forms' CSRF token is
the session's own (ASVS 5.0 V3.5)."""

from __future__ import annotations

from tests.browser import CSRF, Browser, signed_in
from tests.conftest import database_independent
from tests.factories import PASSWORD, Api, need_body, problem, secretary


async def _needs_total(api: Api) -> int:
    return int((await api.anon.ok("GET", "/needs", params={"limit": 1}))["total"])


async def test_a_text_plain_form_cannot_write_as_a_signed_in_secretary(api: Api) -> None:
    sec = await secretary(api)
    before = await _needs_total(api)
    body = b'{"title": "forged", "description": "x", "category": "other", "ignored": "='
    problem(await sec.post("/needs", content=body, headers={"content-type": "text/plain"}), 415, field="Content-Type")
    form = {"title": "forged", "description": "x", "category": "other"}
    problem(await sec.post("/needs", data=form), 415, field="Content-Type")
    problem(await sec.post("/needs", content=body), 415, field="Content-Type")
    assert await _needs_total(api) == before
    # Signing out by a forged form is refused too; the session still works.
    problem(await api.committee.post("/auth/logout", content=b"x", headers={"content-type": "text/plain"}), 415)
    await api.committee.ok("GET", "/me")


async def test_a_write_from_another_origin_is_refused(api: Api) -> None:
    sec = await secretary(api)
    before = await _needs_total(api)
    for headers, field in [
        ({"origin": "https://evil.example"}, "Origin"),
        ({"origin": "http://other.127.0.0.1"}, "Origin"),
        ({"origin": "null"}, "Origin"),
        ({"sec-fetch-site": "cross-site"}, "Sec-Fetch-Site"),
        ({"sec-fetch-site": "same-site"}, "Sec-Fetch-Site"),
    ]:
        problem(await sec.post("/needs", json=need_body(api), headers=headers), 403, field=field)
    assert await _needs_total(api) == before
    # The site's own pages, and clients that are not browsers, still write.
    own = {"origin": "http://127.0.0.1", "sec-fetch-site": "same-origin"}
    await sec.ok("POST", "/needs", json=need_body(api), headers=own)
    await sec.ok("POST", "/needs", json=need_body(api))
    assert await _needs_total(api) == before + 2


async def test_a_write_without_a_body_needs_no_content_type_but_reads_stay_open(api: Api) -> None:
    r = await api.committee.post("/auth/logout")
    assert r.status_code == 204
    r = await api.anon.get("/tasks", headers={"origin": "https://evil.example", "sec-fetch-site": "cross-site"})
    assert r.status_code == 200


@database_independent
async def test_the_contract_declares_415_and_403_on_writes(api: Api) -> None:
    doc = (await api.anon.ok("GET", "/schema/openapi.json"))["paths"]
    assert {"403", "415"} <= set(doc["/api/v1/needs"]["post"]["responses"])
    assert {"403", "415"} <= set(doc["/api/v1/auth/login"]["post"]["responses"])


async def test_a_csrf_token_from_before_sign_in_is_not_good_after_it(api: Api) -> None:
    browser = Browser(api.client)
    html = await browser.page("/login")
    m = CSRF.search(html)
    assert m
    old_token, old_cookie = m.group(1), browser.jar["jiebang_csrf"]
    form = {"username": "committee", "password": PASSWORD, "_csrf_token": old_token}
    r = await browser.request("POST", "/login", data=form)
    assert r.status_code == 303
    assert any(c.startswith("jiebang_csrf=") and "Max-Age=0" in c for c in r.headers.get_list("set-cookie"))
    browser.jar.pop("jiebang_csrf", None)  # as a browser drops an expired cookie
    # A token known before sign-in (say planted with its cookie by someone else) no longer passes: the signed-in
    # session's pages hand out a new cookie, and the old token does not match it.
    await browser.page("/")
    assert browser.jar["jiebang_csrf"] != old_cookie
    r = await browser.request("POST", "/logout", data={"_csrf_token": old_token})
    assert r.status_code == 403
    # The signed-in pages hand out a fresh token that works.
    r = await browser.submit("/", "/logout", {})
    assert r.status_code == 303


async def test_a_signed_in_browser_keeps_working_through_forms(api: Api) -> None:
    browser = await signed_in(api)
    assert "committee" in await browser.page("/committee")
