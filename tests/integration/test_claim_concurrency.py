"""Simultaneous claims: exactly one wins, the rest get 409, nothing gets a 5xx, on one worker or two.

Litestar's AsyncTestClient runs each request to completion on its own portal thread before the next starts, so
`asyncio.gather` over it never overlaps anything. These tests instead drive each app instance through
`httpx.ASGITransport`, which runs the app on the test's event loop, and check that requests really overlapped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, cast

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from market.app import create_app
from market.db import create_engine
from market.models import AuditEntry, Proposal, ProposalMember, Task
from tests.factories import Api, As, draft_proposal, posted_task, problem, proposal_body

N = 20


class InFlight:
    """ASGI wrapper that records the most HTTP requests it ever had in progress at once."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.now = 0
        self.peak = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await self.app(scope, receive, send)
        finally:
            self.now -= 1


@asynccontextmanager
async def worker(api: Api) -> AsyncIterator[tuple[Api, InFlight]]:
    """A separate app instance (its own engine and pool) on the test's database, as another process would be."""
    app = create_app(api.settings, api.clock)
    gauge = InFlight(app)
    transport = httpx.ASGITransport(app=gauge)
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield Api(cast(Any, client), api.settings, api.clock), gauge


@asynccontextmanager
async def signed_in(api: Api, username: str, workers: int) -> AsyncIterator[tuple[list[As], list[InFlight]]]:
    """The user signed in once on each of `workers` app instances."""
    async with AsyncExitStack() as stack:
        sessions: list[As] = []
        gauges: list[InFlight] = []
        for _ in range(workers):
            w, gauge = await stack.enter_async_context(worker(api))
            sessions.append(await w.login(username))
            gauges.append(gauge)
        yield sessions, gauges


async def scalar(api: Api, stmt: Any) -> Any:
    engine = create_engine(api.settings.database_url)
    try:
        async with async_sessionmaker(engine)() as db:
            return await db.scalar(stmt)
    finally:
        await engine.dispose()


def assert_one_winner(responses: list[httpx.Response], won: int) -> None:
    codes = sorted(r.status_code for r in responses)
    assert codes == [won] + [409] * (len(responses) - 1), codes
    for r in responses:
        if r.status_code == 409:
            problem(r, 409)


@pytest.mark.parametrize("workers", [1, 2], ids=["one-worker", "two-workers"])
async def test_simultaneous_submissions_of_one_proposal_accept_exactly_one(api: Api, workers: int) -> None:
    member = await api.org_member()
    task = await posted_task(api)
    p = await draft_proposal(member, task["id"])

    async with signed_in(api, member.username, workers) as (sessions, gauges):
        rs = await asyncio.gather(*(sessions[i % workers].post(f"/proposals/{p['id']}/submit") for i in range(N)))
    assert max(g.peak for g in gauges) > 1, "the requests never overlapped"
    assert_one_winner(list(rs), 200)

    shown = await member.ok("GET", f"/proposals/{p['id']}")
    assert shown["status"] == "submitted"
    assert (await api.anon.ok("GET", f"/tasks/{task['id']}"))["claims"] == 1
    assert await scalar(api, select(Task.submitted_count).where(Task.id == task["id"])) == 1
    submits = select(func.count()).where(
        AuditEntry.entity == "proposal", AuditEntry.entity_id == p["id"], AuditEntry.action == "submit"
    )
    assert await scalar(api, submits) == 1


@pytest.mark.parametrize("workers", [1, 2], ids=["one-worker", "two-workers"])
async def test_simultaneous_claims_by_one_organisation_create_exactly_one_proposal(api: Api, workers: int) -> None:
    member = await api.org_member()
    org_id = member.user["org"]["id"]
    task = await posted_task(api)
    url = f"/tasks/{task['id']}/proposals"

    async with signed_in(api, member.username, workers) as (sessions, gauges):
        rs = await asyncio.gather(*(sessions[i % workers].post(url, json=proposal_body()) for i in range(N)))
    assert max(g.peak for g in gauges) > 1, "the requests never overlapped"
    assert_one_winner(list(rs), 201)

    proposals = select(func.count()).where(Proposal.task_id == task["id"], Proposal.lead_org_id == org_id)
    assert await scalar(api, proposals) == 1
    live = select(func.count()).where(
        ProposalMember.task_id == task["id"], ProposalMember.organization_id == org_id, ProposalMember.live.is_(True)
    )
    assert await scalar(api, live) == 1
    assert len(await member.ok("GET", "/proposals/mine")) == 1


@pytest.mark.parametrize("workers", [1, 2], ids=["one-worker", "two-workers"])
async def test_simultaneous_claims_by_different_organisations_all_succeed(api: Api, workers: int) -> None:
    members = [await api.org_member() for _ in range(6)]
    task = await posted_task(api)
    async with AsyncExitStack() as stack:
        instances = [await stack.enter_async_context(worker(api)) for _ in range(workers)]
        gauges = [g for _, g in instances]
        # One sign-in per member, spread over the worker instances.
        sessions = [await instances[i % workers][0].login(m.username) for i, m in enumerate(members)]

        async def claim_and_submit(who: As) -> tuple[int, int]:
            r = await who.post(f"/tasks/{task['id']}/proposals", json=proposal_body())
            if r.status_code != 201:
                return r.status_code, 0
            s = await who.post(f"/proposals/{r.json()['id']}/submit")
            return r.status_code, s.status_code

        results = await asyncio.gather(*(claim_and_submit(s) for s in sessions))
    assert max(g.peak for g in gauges) > 1, "the requests never overlapped"
    assert results == [(201, 200)] * len(members)
    assert (await api.anon.ok("GET", f"/tasks/{task['id']}"))["claims"] == len(members)
