"""Statistics computed by the database: the same numbers as counting row by row, in a fixed number of statements.

The reference (tests/stats_reference.py) is the row-by-row counting the aggregates replaced; here both read the
same varied district (the demo's year plus the corners it lacks) over several periods and must agree exactly.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from bench.generate import SCALES, generate
from market.demo import DemoReport
from market.invariants import check
from market.kernel.clock import ManualClock, local
from market.kernel.db import create_engine
from market.models import ClassSession, stats_days
from market.services import stats
from tests import stats_reference as reference
from tests.factories import (
    Api,
    finance_project,
    night_class,
    org_service,
    park_service,
    placed_order,
    posted_task,
    raised_need,
    secretary,
    sign_up,
    submitted_proposal,
)
from tests.statements import statements


async def _corners(api: Api) -> None:
    """What the demo's year lacks: sealed and unsealed claims on cancelled tasks, a claim on an open task, a task
    serving two communities of one street and one of another, an organisation's own need, an organisation's service
    ordered and declined, a class with a waitlist, a cancellation and attendance both ways."""
    api._seq = 1000  # past the demo's numbered accounts (org01…), which the factories' names would collide with
    sec = await secretary(api)
    street_id = sec.user["community"]["street_id"]
    twin = await api.committee.ok("POST", "/communities", json={"name": "同街道第二社区", "street_id": street_id})
    elsewhere = await api.community()
    legal, media = await api.org_member("legal"), await api.org_member("media")
    two_streets = await posted_task(
        api,
        category="legal_aid",
        alliances=["legal", "media"],
        community_ids=[sec.user["community"]["id"], twin["id"], elsewhere["id"]],
    )
    await submitted_proposal(legal, two_streets["id"])
    still_open = await posted_task(api, alliances=["media"], claim_deadline=api.later(days=40).isoformat())
    await submitted_proposal(media, still_open["id"])
    sealed = await posted_task(api, alliances=["legal"], category="culture")
    await submitted_proposal(await api.org_member("legal"), sealed["id"])
    await api.committee.ok("POST", f"/tasks/{sealed['id']}/cancel", status=200, json={"reason": "街道调整计划"})
    late = await posted_task(api, alliances=["media"], category="children", community_ids=[elsewhere["id"]])
    await submitted_proposal(await api.org_member("media"), late["id"])
    await posted_task(api, alliances=["volunteers"], category="environment")  # goes unclaimed
    await raised_need(legal, api, category="legal_aid")
    await raised_need(sec, api, category="children")
    offering = await org_service(legal, api, category="information_sharing")
    declined = await placed_order(api, sec, offering["id"])
    await legal.ok("POST", f"/orders/{declined['id']}/decline", status=200, json={"reason": "本月已排满"})
    park = await park_service(api, category="venue")
    await placed_order(api, await secretary(api, twin), park["id"])
    organiser, project = await finance_project(api)  # moves the clock past the tasks' deadlines
    await api.committee.ok("POST", f"/tasks/{late['id']}/cancel", status=200, json={"reason": "经费未落实"})
    session = await night_class(api, organiser, project["id"], community_id=twin["id"], seats=2)
    made = [await sign_up(api, session["id"], n) for n in range(4)]  # two seated, two waiting
    await api.anon.ok("POST", f"/signups/{made[0]['id']}/cancel", status=200, json={"token": made[0]["token"]})
    api.clock.set(api.later(days=7, minutes=10))
    url = f"/classes/{session['id']}/attendance"
    await organiser.ok("POST", url, status=200, json={"signup_id": made[1]["id"], "attended": True})
    await organiser.ok("POST", url, status=200, json={"signup_id": made[2]["id"], "attended": False})
    await api.committee.ok("POST", "/tick", status=200)


def _periods(today: date) -> list[tuple[date, date]]:
    year_ago = today - timedelta(days=364)
    return [
        (year_ago, today),
        (today.replace(day=1), today),
        (today - timedelta(days=30), today - timedelta(days=30)),
        (year_ago, year_ago + timedelta(days=120)),
        (year_ago + timedelta(days=121), today - timedelta(days=45)),
        (today - timedelta(days=3 * 365), today + timedelta(days=60)),  # charted by year
        (date(2020, 1, 1), date(2020, 12, 31)),  # nothing in it
    ]


async def test_database_statistics_equal_counting_row_by_row_over_every_period(
    api: Api, demo_district: DemoReport
) -> None:
    assert demo_district.loaded
    await _corners(api)
    now = api.clock.now()
    engine = create_engine(api.settings.database_url)
    try:
        async with async_sessionmaker(engine)() as db:
            for start, end in _periods(local(now).date()):
                got = await stats.report(db, start, end, now=now)
                want = await reference.report(db, start, end, now=now)
                assert got == want, (start, end)
                assert list(got.by_alliance) == list(want.by_alliance)
                assert await stats.headline(db, start, end, now=now) == want.total.tasks
                assert await stats.by_month(db, start, end, now=now) == await reference.by_month(
                    db, start, end, now=now
                ), (start, end)
            year = await stats.report(db, *stats.default_period(now), now=now)
    finally:
        await engine.dispose()
    # The corners are really there: both kinds of cancelled claim, streets counted once, the park, attendance.
    total = year.total
    # The demo's 22 / 20 / 19 (1 unclaimed), and six more posted: claimed are the one in review, the one cancelled
    # after its deadline and the awarded finance project; not the open one nor the one cancelled before its deadline.
    # Unclaimed: the demo's, the one nobody claimed, and a demo task left open at loading whose deadline has passed.
    assert total.tasks == stats.TaskCounts(posted=28, claimed=23, awarded=20, unclaimed=3)
    assert year.by_alliance["park"].orders["requested"] >= 1 and total.orders["declined"] >= 1
    assert year.by_street["none"].needs.raised >= 1
    assert total.classes.attended >= 1 and total.projects_closed >= 1
    # The demo's year of points: organisations' and residents' counted, organisations' by alliance too.
    assert year.points["organization"].entries >= 1 and year.points["resident"].entries >= 1
    assert sum(p.entries for p in year.points_by_alliance.values()) >= 1


async def test_database_statistics_equal_counting_row_by_row_on_generated_years(
    database_url: str, clock: ManualClock
) -> None:
    # Two years of generated history, loaded around the service: its rollup is counted by the generator.
    await generate(database_url, SCALES["smoke"], now=clock.now(), say=lambda _: None)
    now = clock.now()
    engine = create_engine(database_url)
    try:
        async with async_sessionmaker(engine)() as db:
            for start, end in _periods(local(now).date()):
                want = await reference.report(db, start, end, now=now)
                assert await stats.report(db, start, end, now=now) == want, (start, end)
                assert await stats.headline(db, start, end, now=now) == want.total.tasks
                assert await stats.by_month(db, start, end, now=now) == await reference.by_month(
                    db, start, end, now=now
                ), (start, end)
            assert (await stats.report(db, *stats.default_period(now), now=now)).total.tasks.posted > 0
            assert not [v for v in await check(db, now) if v.rule == "statistics_out_of_step"]
            # A rollup that no longer counts what its rows count is a violation of the lists check.
            await db.execute(update(stats_days).where(stats_days.c.kind == stats.NEEDS).values(n0=stats_days.c.n0 + 1))
            assert {v.rule for v in await check(db, now)} == {"statistics_out_of_step"}
            # So is a held session whose attended count (what the statistics sum) is not its sign-ups'.
            held = await db.scalar(select(func.min(ClassSession.id)).where(ClassSession.attended_count > 0))
            one_less = ClassSession.attended_count - 1
            await db.execute(update(ClassSession).where(ClassSession.id == held).values(attended_count=one_less))
            found = [(v.rule, v.entity_id) for v in await check(db, now) if v.rule != "statistics_out_of_step"]
            assert found == [("attended_count_out_of_step", held)]
    finally:
        await engine.dispose()


# Statements ----------------------------------------------------------------------------------------------------

# The request's own work (its transaction, the catch-up of time-due transitions) plus the page's reads: the report is
# one statement and the up-reviews' published yearly aggregate one more, the dashboard adds one for its months, and
# the home page's headline is one beside the chair, the newest tasks and the coming classes.
BUDGET = {"/api/v1/stats": 4, "/stats": 5, "/": 13}


async def _statements(api: Api) -> dict[str, int]:
    out = {}
    for path in BUDGET:
        with statements() as seen:
            r = await api.client.get(path)
        assert r.status_code == 200, (path, r.status_code)
        out[path] = len(seen)
    return out


async def _a_month_of_work(api: Api, n: int) -> None:
    sec = await secretary(api)
    park = await park_service(api, monthly_capacity=100)
    member = await api.org_member("legal")
    for i in range(n):
        task = await posted_task(api, alliances=["legal", "media"], community_ids=[sec.user["community"]["id"]])
        if i % 2:
            await submitted_proposal(member if i == 1 else await api.org_member("legal"), task["id"])
        await raised_need(sec, api)
        await placed_order(api, sec, park["id"])


async def test_statistics_pages_run_the_same_few_statements_at_ten_times_the_rows(api: Api) -> None:
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"])
    await sign_up(api, session["id"], 1)
    await _a_month_of_work(api, 2)
    small = await _statements(api)
    assert all(small[path] <= most for path, most in BUDGET.items()), small

    # Ten times the tasks, needs, orders and sign-ups; the home page still shows the same kinds of thing (the newest
    # open tasks, the coming class), so only the statistics' share could have grown, and it must not.
    await _a_month_of_work(api, 20)
    for n in range(2, 12):
        await sign_up(api, session["id"], n)
    assert await _statements(api) == small
    assert (await api.anon.ok("GET", "/stats"))["total"]["tasks"]["posted"] == 23
