"""Twenty committee requests race to award one task, through two app instances on one database: exactly one wins."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from market.kernel.db import create_engine
from market.models import Award
from market.states import AwardStatus
from tests.concurrency import signed_in
from tests.factories import Api, scored_review

pytestmark = pytest.mark.slow


async def standing_awards(api: Api, task_id: int) -> int:
    engine = create_engine(api.settings.database_url)
    try:
        async with async_sessionmaker(engine)() as db:
            stmt = select(func.count()).where(
                Award.task_id == task_id, Award.status.in_([AwardStatus.NOTICE, AwardStatus.CONFIRMED])
            )
            return int(await db.scalar(stmt) or 0)
    finally:
        await engine.dispose()


async def test_twenty_simultaneous_awards_for_one_task_leave_exactly_one_standing_award(api: Api) -> None:
    review = await scored_review(api, [["90", "88", "86"], ["80", "78", "76"]])
    url = f"/tasks/{review.task_id}/award"
    # Half choose the top proposal, half the runner-up with a reason: each request is valid on its own.
    bodies = [
        {"proposal_id": review.pid(0)} if i % 2 == 0 else {"proposal_id": review.pid(1), "reason": "服务经验更贴近需求"}
        for i in range(20)
    ]
    # Two workers: app instances with their own engines on the same database, served in this event loop.
    async with signed_in(api, "committee", workers=2) as (sessions, gauges):
        responses = await asyncio.gather(*(sessions[i % 2].post(url, json=b) for i, b in enumerate(bodies)))
    assert all(g.peak > 1 for g in gauges), [g.peak for g in gauges]  # the requests really overlapped

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 19, [(r.status_code, r.text[:200]) for r in responses if r.status_code != 409]
    assert all(
        r.headers["content-type"].startswith("application/problem+json") for r in responses if r.status_code == 409
    )
    assert await standing_awards(api, review.task_id) == 1
    winner = next(r.json() for r in responses if r.status_code == 200)
    assert (await api.anon.ok("GET", f"/tasks/{review.task_id}/award"))["id"] == winner["id"]
    assert (await api.anon.ok("GET", f"/tasks/{review.task_id}"))["status"] == "awarded"
    assert (await api.committee.ok("GET", "/audit/verify"))["ok"] is True
