"""Passwords (OWASP ASVS 5.0 V6): the rule wherever one is chosen, changing one's own, the committee's reset.

Through the JSON API and the pages, on both databases: too short, too long, common (case-insensitively), equal to
the username; the current password proves the owner; changing ends the other sessions, a reset ends them all and
sends the owner to change the temporary password first; both are audited without the password.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker

from market.kernel.db import create_engine, writing
from market.models import User
from market.passwords import LONGEST_HELD
from market.security import hash_password
from tests.browser import Browser, field_error, signed_in
from tests.factories import COOKIE, PASSWORD, Api, As, problem

NEW = "a quiet river at dusk"
FIELDS = ("current_password", "new_password", "new_password_again")
TEMPORARY = "temporary lantern 42"


async def _audit(api: Api, user_id: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (
        await api.committee.ok("GET", "/audit", params={"entity": "user", "entity_id": user_id})
    )["items"]
    return items


async def _second_session(api: Api, who: As, password: str = PASSWORD) -> As:
    return await api.login(who.username, password)


# The rule, for accounts the committee creates ------------------------------------------------------------------


async def test_new_account_password_must_be_long_uncommon_and_not_the_username(api: Api) -> None:
    def body(password: str, username: str = "wangxiaoming") -> dict[str, str]:
        return {"username": username, "password": password, "role": "evaluator"}

    # Lengths are the document's limits (400, like every value outside them); the rest are the rule's (422).
    problem(await api.committee.post("/users", json=body("1234567")), 400)
    problem(await api.committee.post("/users", json=body("x" * 129)), 400)
    for common in ("password", "12345678", "PassWord", "Qwertyuiop", " iloveyou "):
        refused = problem(await api.committee.post("/users", json=body(common)), 422, field="password")
        assert refused["code"] == "password.too_common" and "最常用的密码" in refused["detail"]
    english = {"Accept-Language": "en"}
    refused = problem(await api.committee.post("/users", json=body("password"), headers=english), 422, field="password")
    assert "most common passwords" in refused["detail"]
    refused = problem(await api.committee.post("/users", json=body("WangXiaoMing")), 422, field="password")
    assert "用户名" in refused["detail"]
    # Nothing was written by any refusal: the username is still free, and no account of that name signs in.
    assert (
        await api.anon.post("/auth/login", json={"username": "wangxiaoming", "password": "password"})
    ).status_code == 401

    made = await api.committee.ok("POST", "/users", status=201, json=body("x" * 128))
    assert made["username"] == "wangxiaoming" and made["must_change_password"] is False
    await api.login("wangxiaoming", "x" * 128)
    # Characters are counted, not bytes: eight Chinese characters are enough, seven are not.
    problem(await api.committee.post("/users", json=body("一二三四五六七", "zhou")), 400)
    await api.committee.ok("POST", "/users", status=201, json=body("揭榜挂帅为民办事", "zhou"))


async def test_committee_accounts_page_says_which_password_rule_was_broken(api: Api) -> None:
    browser = await signed_in(api)
    url = "/committee/accounts"
    data = {"username": "lina", "role": "evaluator", "display_name": "李娜"}
    r = await browser.submit(url, url, {**data, "password": "Password1"})
    assert r.status_code == 422
    assert field_error(r.text, "password") == "这是最常用的密码之一，很容易被猜中，请换一个"
    assert "Password1" not in r.text
    r = await browser.submit(url, url, {**data, "password": "short"})
    assert r.status_code == 422 and field_error(r.text, "password") == "密码至少需要 8 个字符"
    r = await browser.submit(url, url, {**data, "password": "LINA"})
    assert r.status_code == 422 and field_error(r.text, "password") == "密码至少需要 8 个字符"
    r = await browser.submit(url, url, {**data, "username": "lina.evaluator", "password": "Lina.Evaluator"})
    assert r.status_code == 422 and field_error(r.text, "password") == "密码不能与用户名相同"
    await browser.get("/lang/en")
    r = await browser.submit(url, url, {**data, "password": "sunshine"})
    assert (
        field_error(r.text, "password") == "This is one of the most common passwords and easily guessed; choose another"
    )
    r = await browser.submit(url, url, {**data, "password": NEW})
    assert r.status_code == 303
    await api.login("lina", NEW)


# Changing one's own ---------------------------------------------------------------------------------------------


async def test_changing_my_password_needs_the_current_one_and_ends_my_other_sessions(api: Api) -> None:
    me = await api.user("secretary", community_id=(await api.community())["id"])
    other_device = await _second_session(api, me)

    wrong = await me.post("/me/password", json={"current_password": "not my password", "new_password": NEW})
    problem(wrong, 422, field="current_password")
    for bad in ("password1", "QWERTY123", me.username.upper(), PASSWORD):
        r = await me.post("/me/password", json={"current_password": PASSWORD, "new_password": bad})
        problem(r, 422, field="new_password")
    problem(await me.post("/me/password", json={"current_password": PASSWORD, "new_password": "short"}), 400)
    problem(await me.post("/me/password", json={"current_password": PASSWORD, "new_password": NEW, "x": 1}), 400)
    # None of the refusals changed anything: both sessions still work, the old password still signs in.
    assert (await other_device.get("/me")).status_code == 200
    await api.login(me.username, PASSWORD)

    r = await me.post("/me/password", json={"current_password": PASSWORD, "new_password": NEW})
    assert r.status_code == 204, r.text
    problem(await me.get("/me"), 401)  # this device's old session id is worthless...
    renewed = As(api.client, r.cookies.get(COOKIE), me.username)
    renewed.user, me = me.user, renewed
    assert (await me.get("/me")).status_code == 200  # ...but it stays signed in, under the id the answer set
    problem(await other_device.get("/me"), 401)  # the others end
    problem(await api.anon.post("/auth/login", json={"username": me.username, "password": PASSWORD}), 401)
    await api.login(me.username, NEW)

    changes = [e for e in await _audit(api, me.user["id"]) if e["action"] == "change_password"]
    assert len(changes) == 1 and changes[0]["actor"] == me.username
    assert changes[0]["data"]["sessions_ended"] >= 1  # the other device (and the sign-ins since)
    assert NEW not in json.dumps(changes) and PASSWORD not in json.dumps(changes)


async def test_changing_a_password_needs_someone_signed_in(api: Api) -> None:
    problem(await api.anon.post("/me/password", json={"current_password": PASSWORD, "new_password": NEW}), 401)


async def test_password_page_flags_each_refused_field_and_keeps_this_session(api: Api) -> None:
    member = await api.user("org", organization_id=(await api.org())["id"], username="zhang.laoshi")
    elsewhere = await _second_session(api, member)
    browser = await signed_in(api, member)
    url = "/account/password"
    html = await browser.page("/org")
    assert 'href="/account/password"' in html  # every signed-in page links to it
    form = await browser.page(url)
    for name in FIELDS:
        assert f'name="{name}" type="password"' in form and f'name="{name}" type="password" value' not in form

    r = await browser.submit(url, url, {"current_password": "", "new_password": "abc123abc", "new_password_again": "x"})
    assert r.status_code == 422
    assert field_error(r.text, "current_password") == "此项必填"
    assert field_error(r.text, "new_password") == "这是最常用的密码之一，很容易被猜中，请换一个"
    assert field_error(r.text, "new_password_again") == "两次输入的新密码不一致"
    assert "abc123abc" not in r.text

    r = await browser.submit(
        url, url, {"current_password": "wrong one!", "new_password": NEW, "new_password_again": NEW}
    )
    assert r.status_code == 422 and field_error(r.text, "current_password") == "当前密码不正确"
    # Passwords are compared exactly as typed: a longer input does not match by its first characters, and one
    # longer than any account holds is refused as such, never cut down and compared.
    longer = {"current_password": PASSWORD + "x", "new_password": NEW, "new_password_again": NEW}
    r = await browser.submit(url, url, longer)
    assert r.status_code == 422 and field_error(r.text, "current_password") == "当前密码不正确"
    longest = {"current_password": PASSWORD + "x" * 300, "new_password": NEW, "new_password_again": NEW}
    r = await browser.submit(url, url, longest)
    assert r.status_code == 422 and field_error(r.text, "current_password") == "密码最多 200 个字符"
    r = await browser.submit(
        url, url, {"current_password": PASSWORD, "new_password": "Zhang.Laoshi", "new_password_again": "Zhang.Laoshi"}
    )
    assert r.status_code == 422 and field_error(r.text, "new_password") == "密码不能与用户名相同"

    await browser.get("/lang/en")
    r = await browser.submit(
        url, url, {"current_password": PASSWORD, "new_password": "tiny", "new_password_again": "tiny"}
    )
    assert field_error(r.text, "new_password") == "A password needs at least 8 characters"
    assert (await elsewhere.get("/me")).status_code == 200  # nothing changed yet

    r = await browser.submit(
        url, url, {"current_password": PASSWORD, "new_password": NEW, "new_password_again": NEW, "next": "/org"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/org"
    assert "every other device and browser is signed out" in await browser.page("/org")
    problem(await elsewhere.get("/me"), 401)
    await api.login(member.username, NEW)


async def _hold_password(api: Api, user_id: int, password: str) -> None:
    """Give an account a password straight in the database, as an older, laxer rule could have (up to 200)."""
    engine = create_engine(api.settings.database_url)
    try:
        async with async_sessionmaker(engine)() as db, writing(db):
            await db.execute(update(User).where(User.id == user_id).values(password_hash=hash_password(password)))
    finally:
        await engine.dispose()


async def test_signing_in_compares_the_password_as_sent_and_refuses_one_longer_than_any_held(api: Api) -> None:
    member = await api.org_member()
    held = "长夜" * 10 + "x" * (LONGEST_HELD - 20)  # as long as an account's password can be, in characters
    await _hold_password(api, member.user["id"], held)
    await api.login(member.username, held)
    # Longer than any password is refused as it is (400, the documented limit), not cut to 200 and let in.
    r = await api.anon.post("/auth/login", json={"username": member.username, "password": held + "x"})
    problem(r, 400)
    problem(await api.anon.post("/auth/login", json={"username": member.username, "password": held[:128]}), 401)

    browser = Browser(api.client)
    r = await browser.submit("/login", "/login", {"username": member.username, "password": held + "x"})
    assert r.status_code == 422 and field_error(r.text, "password") == "密码最多 200 个字符"
    assert COOKIE not in browser.jar
    r = await browser.submit("/login", "/login", {"username": member.username, "password": held})
    assert r.status_code == 303 and COOKIE in browser.jar


# The committee's reset ------------------------------------------------------------------------------------------


async def test_committee_reset_ends_every_session_and_the_owner_must_change_it_first(api: Api) -> None:
    member = await api.org_member()
    uid = member.user["id"]
    browser_before = await signed_in(api, member)

    problem(await member.post(f"/users/{uid}/password", json={"password": TEMPORARY}), 403)
    problem(await api.committee.post(f"/users/{uid}/password", json={"password": "letmein1"}), 422, field="password")
    problem(await api.committee.post(f"/users/{uid}/password", json={"password": "tiny"}), 400)
    problem(await api.committee.post("/users/999999/password", json={"password": TEMPORARY}), 404)
    problem(await api.committee.post(f"/users/{api.committee.user['id']}/password", json={"password": TEMPORARY}), 403)
    assert (await member.get("/me")).status_code == 200  # the refusals changed nothing

    r = await api.committee.post(f"/users/{uid}/password", json={"password": TEMPORARY})
    assert r.status_code == 204, r.text
    problem(await member.get("/me"), 401)
    assert (await browser_before.get("/org")).status_code in (302, 303)  # signed out: to the sign-in page
    problem(await api.anon.post("/auth/login", json={"username": member.username, "password": PASSWORD}), 401)
    temp = await api.login(member.username, TEMPORARY)
    assert temp.user["must_change_password"] is True
    assert (await temp.get("/tasks")).status_code == 200  # the API is not redirected; it reports the flag

    # Signing in on the pages leads to the change form, and every signed-in page sends there until it is done.
    browser = Browser(api.client)
    r = await browser.submit("/login", "/login", {"username": member.username, "password": TEMPORARY, "next": "/org"})
    assert r.status_code == 303 and r.headers["location"] == "/account/password?next=/org"
    r = await browser.get("/org/proposals")
    assert r.status_code == 303 and r.headers["location"].startswith("/account/password?next=")
    html = await browser.page("/account/password?next=/org")
    assert "临时密码" in html
    r = await browser.submit(
        "/account/password",
        "/account/password",
        {"current_password": TEMPORARY, "new_password": NEW, "new_password_again": NEW, "next": "/org"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/org"
    assert (await browser.get("/org")).status_code == 200
    assert (await browser.get("/org/proposals")).status_code == 200
    assert (await api.login(member.username, NEW)).user["must_change_password"] is False

    actions = [(e["action"], e["actor"]) for e in await _audit(api, uid)]
    assert ("reset_password", "committee") in actions and ("change_password", member.username) in actions
    assert TEMPORARY not in json.dumps(await _audit(api, uid))


async def test_committee_resets_a_password_from_the_accounts_page(api: Api) -> None:
    evaluator = await api.user("evaluator")
    browser = await signed_in(api)
    html = await browser.page("/committee/accounts")
    action = f'action="/committee/accounts/{evaluator.user["id"]}/password"'
    assert action in html
    assert f'action="/committee/accounts/{api.committee.user["id"]}/password"' not in html  # not one's own
    url = f"/committee/accounts/{evaluator.user['id']}/password"
    assert evaluator.username in await browser.page(url)

    r = await browser.submit(url, url, {"password": "football"})
    assert r.status_code == 422 and field_error(r.text, "password") == "这是最常用的密码之一，很容易被猜中，请换一个"
    r = await browser.submit(url, url, {"password": ""})
    assert r.status_code == 422 and field_error(r.text, "password") == "此项必填"
    assert (await evaluator.get("/me")).status_code == 200

    r = await browser.submit(url, url, {"password": TEMPORARY})
    assert r.status_code == 303 and r.headers["location"] == "/committee/accounts"
    html = await browser.page("/committee/accounts")
    assert f"{evaluator.username} 的密码已重置" in html and "待本人修改临时密码" in html
    problem(await evaluator.get("/me"), 401)
    assert (await api.login(evaluator.username, TEMPORARY)).user["must_change_password"] is True
    assert (await browser.get("/committee/accounts/999999/password")).status_code == 404
