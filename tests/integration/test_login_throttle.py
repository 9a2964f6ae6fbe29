"""Sign-in throttling (ASVS 5.0 V6.3.1): per account name and per address, counted atomically by the database,
X-Forwarded-For believed only from configured proxies, and the same answers whether or not a name exists."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from market.app import create_app
from market.kernel.clock import ManualClock
from market.kernel.db import create_engine
from market.models import login_throttle
from market.settings import Settings
from market.throttle import client_address
from tests.browser import Browser
from tests.factories import PASSWORD, Api, problem

LOGIN = "/api/v1/auth/login"


@asynccontextmanager
async def app_with(settings: Settings, clock: ManualClock, **changes: Any) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=create_app(dataclasses.replace(settings, **changes), clock)) as client:
        yield client


async def _attempt(client: AsyncTestClient[Litestar], username: str, password: str, **headers: str) -> int:
    client.cookies.clear()
    r = await client.post(LOGIN, json={"username": username, "password": password}, headers=headers)
    client.cookies.clear()
    return r.status_code


async def test_an_account_is_throttled_after_a_few_wrong_passwords_and_its_room_is_not(
    api: Api, settings: Settings, clock: ManualClock
) -> None:
    await api.user("secretary", community_id=(await api.community())["id"], username="sec-room-a")
    await api.user("secretary", community_id=(await api.community())["id"], username="sec-room-b")
    async with app_with(settings, clock, login_attempts_per_account=3, login_rate_per_minute=50) as client:
        assert [await _attempt(client, "sec-room-a", "wrong password") for _ in range(3)] == [401] * 3
        # Now even the right password waits: the guesser cannot tell a hit from a miss.
        r = await client.post(LOGIN, json={"username": "sec-room-a", "password": PASSWORD})
        problem(r, 429)
        # Everyone else behind the same address still signs in.
        assert await _attempt(client, "sec-room-b", PASSWORD) == 200
        clock.advance(seconds=settings.login_account_window + 1)
        assert await _attempt(client, "sec-room-a", PASSWORD) == 200


async def test_a_correct_password_clears_the_accounts_count(api: Api, settings: Settings, clock: ManualClock) -> None:
    async with app_with(settings, clock, login_attempts_per_account=3, login_rate_per_minute=50) as client:
        for _ in range(2):
            assert await _attempt(client, "committee", "wrong password") == 401
        assert await _attempt(client, "committee", PASSWORD) == 200
        assert [await _attempt(client, "committee", "wrong password") for _ in range(3)] == [401] * 3


async def test_unknown_names_get_the_same_answers_as_real_ones(
    api: Api, settings: Settings, clock: ManualClock
) -> None:
    async with app_with(settings, clock, login_attempts_per_account=2, login_rate_per_minute=50) as client:
        answers = {}
        for name in ("committee", "no-such-account"):
            seen = []
            for _ in range(3):
                client.cookies.clear()
                r = await client.post(LOGIN, json={"username": name, "password": "wrong password"})
                seen.append((r.status_code, r.json()["title"], r.json()["detail"]))
            answers[name] = seen
        assert answers["committee"] == answers["no-such-account"]
        assert [s for s, _, _ in answers["committee"]] == [401, 401, 429]


async def test_rotating_x_forwarded_for_does_not_escape_the_address_limit(
    api: Api, settings: Settings, clock: ManualClock
) -> None:
    clock.advance(minutes=1, seconds=1)  # past the window of the fixture's own sign-ins
    async with app_with(settings, clock, login_attempts_per_account=100, login_rate_per_minute=5) as client:
        statuses = [
            await _attempt(client, f"guess-{i}", "wrong password", **{"x-forwarded-for": f"203.0.113.{i}"})
            for i in range(7)
        ]
        assert statuses == [401] * 5 + [429] * 2
        clock.advance(minutes=1, seconds=1)
        assert await _attempt(client, "committee", PASSWORD) == 200


async def test_the_sign_in_page_says_when_attempts_are_throttled(
    api: Api, settings: Settings, clock: ManualClock
) -> None:
    async with app_with(settings, clock, login_attempts_per_account=1, login_rate_per_minute=50) as client:
        browser = Browser(client)
        r = await browser.submit("/login", "/login", {"username": "committee", "password": "wrong password"})
        assert r.status_code == 422
        r = await browser.submit("/login", "/login", {"username": "committee", "password": PASSWORD})
        assert r.status_code == 429
        assert "登录尝试过多" in r.text
        assert "jiebang_session" not in browser.jar


async def test_a_throttled_sign_in_says_how_many_seconds_until_the_window_frees(
    api: Api, settings: Settings, clock: ManualClock
) -> None:
    window = settings.login_account_window
    async with app_with(settings, clock, login_attempts_per_account=2, login_rate_per_minute=50) as client:
        assert [await _attempt(client, "committee", "wrong password") for _ in range(2)] == [401] * 2
        clock.advance(seconds=100)
        client.cookies.clear()
        r = await client.post(LOGIN, json={"username": "committee", "password": PASSWORD})
        problem(r, 429)
        assert r.headers["retry-after"] == str(window - 100)
        # The sign-in page answers the same, with the same header.
        clock.advance(seconds=0.5)
        browser = Browser(client)
        r = await browser.submit("/login", "/login", {"username": "committee", "password": PASSWORD})
        assert r.status_code == 429
        assert r.headers["retry-after"] == str(window - 100)  # a part of a second counts as a whole one
        clock.advance(seconds=window - 100)
        assert await _attempt(client, "committee", PASSWORD) == 200


async def test_a_throttled_address_is_told_to_wait_for_its_minute(
    api: Api, settings: Settings, clock: ManualClock
) -> None:
    clock.advance(minutes=1, seconds=1)  # past the window of the fixture's own sign-ins
    async with app_with(settings, clock, login_attempts_per_account=100, login_rate_per_minute=2) as client:
        assert [await _attempt(client, f"guess-{i}", "wrong password") for i in range(2)] == [401] * 2
        clock.advance(seconds=15)
        client.cookies.clear()
        r = await client.post(LOGIN, json={"username": "guess-3", "password": "wrong password"})
        problem(r, 429)
        assert r.headers["retry-after"] == "45"


async def test_the_limit_holds_across_two_apps_on_one_database(
    api: Api, settings: Settings, clock: ManualClock
) -> None:
    limits = {"login_attempts_per_account": 5, "login_rate_per_minute": 1000}
    async with app_with(settings, clock, **limits) as one, app_with(settings, clock, **limits) as two:

        async def attempt(client: AsyncTestClient[Litestar]) -> int:
            r = await client.post(LOGIN, json={"username": "committee", "password": "wrong password"})
            return r.status_code

        statuses = await asyncio.gather(*(attempt(one if i % 2 else two) for i in range(24)))
    assert sorted(statuses) == [401] * 5 + [429] * 19


def _request(peer: str, forwarded: str | None) -> Request[Any, Any, Any]:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    scope = {"type": "http", "method": "POST", "path": "/login", "headers": headers, "client": (peer, 5000)}
    return Request(scope)  # type: ignore[arg-type]


def test_x_forwarded_for_is_believed_only_from_a_configured_proxy(settings: Settings) -> None:
    none = dataclasses.replace(settings, trusted_proxies="")
    assert client_address(_request("127.0.0.1", "198.51.100.7"), none) == "127.0.0.1"
    proxied = dataclasses.replace(settings, trusted_proxies="127.0.0.1, 10.0.0.0/8")
    assert client_address(_request("127.0.0.1", "198.51.100.7"), proxied) == "198.51.100.7"
    # A client cannot choose its address by writing its own header ahead of the proxy's.
    assert client_address(_request("127.0.0.1", "1.2.3.4, 198.51.100.7, 10.1.2.3"), proxied) == "198.51.100.7"
    assert client_address(_request("192.0.2.9", "198.51.100.7"), proxied) == "192.0.2.9"


async def _keys(settings: Settings) -> set[str]:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            return set((await conn.scalars(select(login_throttle.c.key))).all())
    finally:
        await engine.dispose()


async def test_the_tick_forgets_counts_whose_windows_ended_long_ago(api: Api, settings: Settings) -> None:
    # The counters' keys are keyed hashes of residents' numbers, names and addresses: kept only while a limit needs
    # them (a day, longer than any window), then erased by the tick.
    assert await _attempt(api.client, "nobody-here", "wrong password") == 401
    api.clock.advance(hours=23)
    await api.committee.ok("POST", "/tick", status=200)
    assert "account:nobody-here" in await _keys(settings)
    api.clock.advance(hours=2)
    await api.committee.ok("POST", "/tick", status=200)
    assert await _keys(settings) == set()
