"""Night-class sign-ups under load: hundreds of residents at once, on one or two app instances over one database.

Litestar's AsyncTestClient runs the app behind a blocking portal, so requests gathered through it run one after
another and prove nothing about races. These tests serve fresh app instances in the test's own event loop
(httpx.ASGITransport), so the requests really overlap at the database; two instances model two workers, each with
its own engine and connection pool.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx
import pytest

from market.app import create_app
from tests.concurrency import InFlight
from tests.factories import Api, As, finance_project, mobile, night_class

pytestmark = pytest.mark.slow

SEATS = 30


class Workers:
    """Clients of `count` app instances, and how many requests each had in progress at its busiest."""

    def __init__(self) -> None:
        self.clients: list[httpx.AsyncClient] = []
        self.gauges: list[InFlight] = []

    def assert_overlapped(self, at_least: int) -> None:
        """Every instance really served that many requests at the same time."""
        assert all(g.peak >= at_least for g in self.gauges), [g.peak for g in self.gauges]


@asynccontextmanager
async def workers(api: Api, count: int) -> AsyncIterator[Workers]:
    """`count` app instances on the test's database, started and served in this event loop.

    The clients keep no cookies: every request is a different resident's first visit.
    """
    pool = Workers()
    async with AsyncExitStack() as stack:
        for _ in range(count):
            app = create_app(api.settings, api.clock)
            await stack.enter_async_context(app.lifespan())
            gauge = InFlight(app)
            # A bare CookieJar (httpx would copy an httpx.Cookies into a fresh, accepting jar).
            no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=gauge), base_url="http://127.0.0.1/api/v1", cookies=no_cookies
            )
            pool.clients.append(await stack.enter_async_context(client))
            pool.gauges.append(gauge)
        yield pool


async def all_at_once(pool: Workers, requests: list[tuple[str, str, dict[str, Any]]]) -> list[httpx.Response]:
    """Fire every (method, url, json) together, spread round-robin over the instances; no answer may be a 5xx."""
    clients = pool.clients
    calls = [clients[i % len(clients)].request(m, url, json=body) for i, (m, url, body) in enumerate(requests)]
    responses = list(await asyncio.gather(*calls))
    statuses = Counter(r.status_code for r in responses)
    assert not [s for s in statuses if s >= 500], f"server errors: {statuses}"
    return responses


async def signups(organiser: As, class_id: int) -> list[dict[str, Any]]:
    """Every sign-up of the session, unmasked, in arrival (id) order."""
    return list((await organiser.ok("GET", f"/classes/{class_id}/signups"))["items"])


async def assert_in_step(api: Api, organiser: As, class_id: int) -> list[dict[str, Any]]:
    """Counters equal rows; confirmed never over seats; the waitlist is exactly the latest arrivals, numbered 1..n."""
    rows = await signups(organiser, class_id)
    live = [r for r in rows if r["status"] != "cancelled"]
    confirmed = [r for r in live if r["status"] == "confirmed"]
    waitlisted = [r for r in live if r["status"] == "waitlisted"]
    session = await api.anon.ok("GET", f"/classes/{class_id}")
    assert (session["confirmed"], session["waitlisted"]) == (len(confirmed), len(waitlisted))
    assert len(confirmed) == min(SEATS, len(live))
    assert session["remaining"] == SEATS - len(confirmed)
    # Arrival order: everyone still waiting arrived after everyone holding a place.
    if confirmed and waitlisted:
        assert max(r["id"] for r in confirmed) < min(r["id"] for r in waitlisted)
    assert [r["waitlist_position"] for r in waitlisted] == list(range(1, len(waitlisted) + 1))
    assert [r["id"] for r in waitlisted] == sorted(r["id"] for r in waitlisted)
    phones = [r["phone"] for r in live]
    assert len(phones) == len(set(phones)), "a number holds two live sign-ups"
    check = await api.committee.ok("GET", "/lists/check")
    assert check["ok"], check["violations"]
    assert (await api.committee.ok("GET", "/audit/verify"))["ok"]
    return rows


def signup_request(class_id: int, n: int) -> tuple[str, str, dict[str, Any]]:
    return ("POST", f"/classes/{class_id}/signups", {"name": f"居民{n}", "phone": mobile(n)})


@pytest.mark.parametrize("instances", [1, 2])
async def test_300_simultaneous_signups_for_30_seats_confirm_exactly_30_and_waitlist_270(
    api: Api, instances: int
) -> None:
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"], seats=SEATS)
    async with workers(api, instances) as pool:
        responses = await all_at_once(pool, [signup_request(session["id"], n) for n in range(300)])
    pool.assert_overlapped(100)

    assert Counter(r.status_code for r in responses) == {201: 300}
    receipts = [r.json() for r in responses]
    assert Counter(r["status"] for r in receipts) == {"confirmed": SEATS, "waitlisted": 300 - SEATS}
    # Each resident was told their true place: positions 1..270, in the order the sign-ups were made.
    waiting = sorted((r for r in receipts if r["status"] == "waitlisted"), key=lambda r: r["id"])
    assert [r["waitlist_position"] for r in waiting] == list(range(1, 300 - SEATS + 1))
    assert len({r["token"] for r in receipts}) == 300

    rows = await assert_in_step(api, organiser, session["id"])
    assert len(rows) == 300
    assert sorted(r["phone"] for r in rows) == sorted(mobile(n) for n in range(300))
    by_id = {r["id"]: r["status"] for r in rows}
    assert all(by_id[r["id"]] == r["status"] for r in receipts)


async def test_100_simultaneous_cancel_and_signup_pairs_leave_confirmed_equal_to_seats(api: Api) -> None:
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"], seats=SEATS)
    async with workers(api, 2) as pool:
        made = await all_at_once(pool, [signup_request(session["id"], n) for n in range(150)])
        tokens = {r.json()["id"]: r.json()["token"] for r in made}
        before = await assert_in_step(api, organiser, session["id"])
        confirmed = [r["id"] for r in before if r["status"] == "confirmed"]
        waitlisted = [r["id"] for r in before if r["status"] == "waitlisted"]
        assert (len(confirmed), len(waitlisted)) == (SEATS, 120)
        # 20 confirmed and 80 waitlisted places given up, spread through both lists, while 100 newcomers arrive.
        leaving = [i for k, i in enumerate(confirmed) if k % 3][:20] + [i for k, i in enumerate(waitlisted) if k % 3]
        assert len(leaving) == 100
        cancels = [("POST", f"/signups/{i}/cancel", {"token": tokens[i]}) for i in leaving]
        arrivals = [signup_request(session["id"], 1000 + n) for n in range(100)]
        mixed = [call for pair in zip(cancels, arrivals, strict=True) for call in pair]
        pool.gauges[0].peak = pool.gauges[1].peak = 0
        responses = await all_at_once(pool, mixed)
    pool.assert_overlapped(50)

    assert Counter(r.status_code for r in responses[0::2]) == {200: 100}
    assert Counter(r.status_code for r in responses[1::2]) == {201: 100}
    assert all(r.json()["status"] == "cancelled" for r in responses[0::2])

    rows = await assert_in_step(api, organiser, session["id"])
    status = {r["id"]: r["status"] for r in rows}
    assert all(status[i] == "cancelled" for i in leaving)
    assert Counter(status.values()) == {"confirmed": SEATS, "waitlisted": 120, "cancelled": 100}
    # The places freed by the 20 confirmed cancellations went to the heads of the waitlist, in arrival order;
    # every newcomer waits behind everyone who was already waiting.
    stayed = [i for i in confirmed if status[i] != "cancelled"]
    still_waiting_from_before = [i for i in waitlisted if status[i] != "cancelled"]
    now_confirmed = [r["id"] for r in rows if r["status"] == "confirmed"]
    assert now_confirmed == sorted(stayed + still_waiting_from_before[:20])
    assert [r["id"] for r in rows if r["status"] == "confirmed" and r["promoted_at"]] == still_waiting_from_before[:20]
    newcomers = [r.json()["id"] for r in responses[1::2]]
    assert all(status[i] == "waitlisted" for i in newcomers)


async def test_the_same_number_racing_itself_gets_exactly_one_place(api: Api) -> None:
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"], seats=SEATS)
    variants = ["13900000001", "+86 139 0000 0001", "139-0000-0001", "8613900000001"] * 10
    async with workers(api, 2) as pool:
        responses = await all_at_once(
            pool, [("POST", f"/classes/{session['id']}/signups", {"name": "王芳", "phone": p}) for p in variants]
        )
    pool.assert_overlapped(10)
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 39}
    rows = await assert_in_step(api, organiser, session["id"])
    assert [(r["phone"], r["status"]) for r in rows] == [("13900000001", "confirmed")]


async def test_a_burst_past_the_waitlist_cap_fills_the_seats_and_the_waitlist_and_refuses_only_the_rest(
    api: Api,
) -> None:
    # 3 seats keep at most 30 waiting; 60 residents at once over two workers.
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"], seats=3)
    async with workers(api, 2) as pool:
        responses = await all_at_once(pool, [signup_request(session["id"], n) for n in range(60)])
    pool.assert_overlapped(20)

    assert Counter(r.status_code for r in responses) == {201: 33, 409: 27}
    assert all("候补名额已满" in r.json()["detail"] for r in responses if r.status_code == 409)
    receipts = sorted((r.json() for r in responses if r.status_code == 201), key=lambda r: r["id"])
    assert [r["status"] for r in receipts] == ["confirmed"] * 3 + ["waitlisted"] * 30
    assert [r["waitlist_position"] for r in receipts[3:]] == list(range(1, 31))
    rows = await signups(organiser, session["id"])
    assert [(r["id"], r["status"]) for r in rows] == [(r["id"], r["status"]) for r in receipts]
    shown = await api.anon.ok("GET", f"/classes/{session['id']}")
    assert (shown["confirmed"], shown["waitlisted"], shown["remaining"]) == (3, 30, 0)
    assert (await api.committee.ok("GET", "/audit/verify"))["ok"]
