"""Simultaneous claims: exactly one wins, the rest get 409, nothing gets a 5xx, on one worker or two.

The requests go through app instances served in the test's event loop (see tests/concurrency.py) and each test
checks that they really overlapped.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from market.kernel.db import create_engine
from market.models import AuditEntry, Proposal, ProposalMember, Task
from tests.concurrency import signed_in, worker
from tests.factories import Api, As, claims_kept, draft_proposal, posted_task, problem, proposal_body

N = 20


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
    assert await claims_kept(api, task["id"]) == 1
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
    assert await claims_kept(api, task["id"]) == len(members)
