"""The demo district loads through the real API, reads 22 posted / 20 claimed / 19 awarded, looks like a real
district's year (evening classes, whole-yuan budgets, services described in the park's own words), and loads only once.
"""

from __future__ import annotations

from datetime import time

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from market.demo import DemoReport, load_demo
from market.kernel.clock import local
from market.kernel.db import create_engine
from market.models import ClassSession, Offering, OrderingMeeting, Organization, Proposal, Task, User
from tests.browser import Browser
from tests.factories import PASSWORD, Api
from tests.ocds import check_every_record


async def _counts(api: Api) -> tuple[int, ...]:
    engine = create_engine(api.settings.database_url)
    try:
        async with async_sessionmaker(engine)() as db:
            return tuple(
                [
                    int(await db.scalar(select(func.count()).select_from(m)) or 0)
                    for m in (Task, Organization, User, Offering)
                ]
            )
    finally:
        await engine.dispose()


async def _looks_real(api: Api) -> None:
    """What a reader of the demo would spot as invented: classes at night, budgets with cents, template descriptions."""
    engine = create_engine(api.settings.database_url)
    try:
        async with async_sessionmaker(engine)() as db:
            class_starts = list(await db.scalars(select(ClassSession.starts_at)))
            budgets = list(await db.scalars(select(Task.budget_fen)))
            requested = list(await db.scalars(select(Proposal.requested_budget_fen)))
            deadlines = list(await db.scalars(select(Task.claim_deadline)))
            meetings = list(await db.execute(select(OrderingMeeting.starts_at, OrderingMeeting.ends_at)))
            services = list(await db.execute(select(Offering.title, Offering.description)))
    finally:
        await engine.dispose()
    # Night classes (金融夜校) start in the evening, Shanghai time, whatever hour the loader ran at.
    assert class_starts
    evening = [local(s).time() for s in class_starts]
    assert all(time(18) <= t <= time(21) for t in evening), evening
    # Money in whole yuan: no budget or requested budget has cents.
    assert budgets and requested
    assert [b for b in budgets + requested if b % 100] == []
    # Claims close and the ordering meeting runs in office hours.
    assert all(time(8) <= local(d).time() <= time(18) for d in deadlines), deadlines
    assert all(time(8) <= local(a).time() and local(b).time() <= time(18) for a, b in meetings), meetings
    # Services are described in a sentence or two of their own, not "创新园提供：<title>".
    for title, description in services:
        assert title not in description, (title, description)
        assert "提供:" not in description and "提供：" not in description, description
        assert len(description) >= 20, description


async def test_demo_year_reads_22_posted_20_claimed_19_awarded_looks_real_and_loads_once(
    api: Api, demo_district: DemoReport
) -> None:
    # `demo_district` loaded the year (once for the run, as `jiebang demo` does, onto a database whose committee
    # account already existed: the demo signs in with its password); this test's database is a copy of it.
    report = demo_district
    assert report.loaded
    assert ("committee", "committee", "创新园综合党委") in report.accounts

    stats = await api.anon.ok("GET", "/stats")
    assert stats["total"]["tasks"] == {"posted": 22, "claimed": 20, "awarded": 19, "unclaimed": 1}
    statuses = {t["status"] for t in (await api.committee.ok("GET", "/tasks", params={"limit": 100}))["items"]}
    assert statuses == {
        "draft",
        "posted",
        "reviewing",
        "awarded",
        "in_progress",
        "delivered",
        "closed",
        "cancelled",
        "unclaimed",
    }
    # The park's resource list: 16 services in 5 categories.
    park = await api.anon.ok("GET", "/services", params={"provider": "park", "limit": 100})
    assert len(park["items"]) == 16
    assert len({s["category"] for s in park["items"]}) == 5
    assert stats["total"]["classes"]["held"] > 0
    assert stats["total"]["needs"]["resolved"] > 0
    assert (await api.committee.ok("GET", "/audit/verify"))["ok"] is True
    # Up-reviews (双向点评) through the year: the committee rated by organisations and secretaries, published.
    assert stats["up_reviews"]["committee"]["given"] >= 3 and stats["up_reviews"]["posting_unit"]["given"] >= 1
    year = local(api.clock.now()).year
    published = [
        u for y in (year, year - 1) for u in (await api.anon.ok("GET", "/up-reviews", params={"year": y}))["units"]
    ]
    assert "committee" in {u["unit"] for u in published}
    # The dashboard's headline is the seed's sentence, with its five charts (loading the year is slow: one test).
    html = await Browser(api.client).page("/stats")
    assert "累计发榜22项，揭榜20项，确定承榜19项" in html
    assert html.count('<svg class="chart-svg"') == 5

    await _looks_real(api)
    # The year as open data: every published task's OCDS record and releases valid against the official schemas.
    assert await check_every_record(api) == 22

    before = await _counts(api)
    again = await load_demo(api.settings, PASSWORD, now=api.clock.now())
    assert not again.loaded
    assert await _counts(api) == before
    demo_user = await api.login("org01", PASSWORD)
    assert demo_user.user["role"] == "org"
