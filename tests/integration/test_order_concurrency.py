"""The capacity rule under load: simultaneous accepts never take more places than a month has, on one worker or two.

The accepts go through app instances served in the test's own event loop (tests/concurrency.py), so that requests
gathered with asyncio really overlap at every database round trip, and each test checks that they did.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from tests.concurrency import signed_in
from tests.factories import Api, placed_order, problem, raised_need, secretary

pytestmark = pytest.mark.slow

CAPACITY = 10
ORDERS = 50
SECRETARIES = 5


async def fifty_requested_orders(api: Api, offering_id: int) -> list[int]:
    """50 requested orders from five communities; every fifth answers a need of its community."""
    secretaries = [await secretary(api) for _ in range(SECRETARIES)]
    ids = []
    for i in range(ORDERS):
        who = secretaries[i % SECRETARIES]
        extra = {"need_id": (await raised_need(who, api))["id"]} if i % 5 == 0 else {}
        ids.append((await placed_order(api, who, offering_id, **extra))["id"])
    return ids


async def check_outcome(api: Api, offering_id: int, responses: list[httpx.Response]) -> None:
    """Exactly CAPACITY accepted, the rest refused as conflicts, nothing else; the stored state agrees."""
    assert not [r for r in responses if r.status_code >= 500], [r.text for r in responses if r.status_code >= 500]
    assert Counter(r.status_code for r in responses) == {200: CAPACITY, 409: ORDERS - CAPACITY}
    for r in responses:
        if r.status_code == 409:
            problem(r, 409)
    accepted = await api.committee.ok("GET", "/orders", params={"status": "accepted", "offering_id": offering_id})
    assert accepted["total"] == CAPACITY
    assert sorted(o["id"] for o in accepted["items"][:CAPACITY]) == sorted(
        r.json()["id"] for r in responses if r.status_code == 200
    )
    requested = await api.committee.ok("GET", "/orders", params={"status": "requested", "offering_id": offering_id})
    assert requested["total"] == ORDERS - CAPACITY
    service = await api.anon.ok("GET", f"/services/{offering_id}")
    assert (service["accepted_this_month"], service["remaining_this_month"]) == (CAPACITY, 0)


async def test_fifty_simultaneous_accepts_never_exceed_a_capacity_of_ten(api: Api) -> None:
    service = await api.committee.ok(
        "POST",
        "/services",
        status=201,
        json={
            "title": "公益项目设计工作坊",
            "description": "手把手带社区设计公益项目",
            "category": "capacity_training",
            "monthly_capacity": CAPACITY,
        },
    )
    ids = await fifty_requested_orders(api, service["id"])
    async with signed_in(api, "committee", workers=1) as ([provider], [gauge]):
        responses = await asyncio.gather(*(provider.post(f"/orders/{i}/accept") for i in ids))
    assert gauge.peak > 1  # the accepts really overlapped
    await check_outcome(api, service["id"], list(responses))


async def test_simultaneous_accepts_split_across_two_workers_never_exceed_capacity(api: Api) -> None:
    member = await api.org_member()
    service = await member.ok(
        "POST",
        "/services",
        status=201,
        json={
            "title": "长者防诈骗宣讲",
            "description": "以案说法,提高老年人防骗意识",
            "category": "legal_aid",
            "monthly_capacity": CAPACITY,
        },
    )
    ids = await fifty_requested_orders(api, service["id"])
    async with signed_in(api, member.username, workers=2) as (providers, gauges):
        responses = await asyncio.gather(*(providers[n % 2].post(f"/orders/{i}/accept") for n, i in enumerate(ids)))
    assert all(g.peak > 1 for g in gauges), [g.peak for g in gauges]
    await check_outcome(api, service["id"], list(responses))
