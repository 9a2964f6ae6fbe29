"""The benchmark data generator (`python -m bench.generate`) at its smallest scale, on each database.

What it loads must be a history the service itself could have made: the invariant check and the audit chain are
clean, the counts are the ones asked for, and the service reads and changes it like any other data.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bench.generate import DEFAULT_PASSWORD, SCALES, NotEmpty, check, generate
from market.kernel.clock import ManualClock
from market.kernel.db import create_engine
from market.models import ClassSession, Community, Need, Organization, Proposal, Signup, Task
from market.states import TaskStatus
from tests.factories import COOKIE

SMOKE = SCALES["smoke"]


async def _count(database_url: str, model: Any, *where: Any) -> int:
    engine = create_engine(database_url)
    try:
        async with async_sessionmaker(engine)() as db:
            return int(await db.scalar(select(func.count()).select_from(model).where(*where)) or 0)
    finally:
        await engine.dispose()


async def _first(database_url: str, column: Any, *where: Any) -> Any:
    engine = create_engine(database_url)
    try:
        async with async_sessionmaker(engine)() as db:
            return await db.scalar(select(column).where(*where).order_by(column).limit(1))
    finally:
        await engine.dispose()


async def test_smoke_scale_loads_the_counts_asked_for_and_keeps_every_rule(
    database_url: str, clock: ManualClock
) -> None:
    said: list[str] = []
    await generate(database_url, SMOKE, now=clock.now(), say=said.append)
    assert any(line.startswith("loaded ") for line in said), said
    assert await _count(database_url, Task) == SMOKE.tasks
    assert await _count(database_url, Proposal) == SMOKE.proposals
    assert await _count(database_url, Signup) == SMOKE.signups
    assert await _count(database_url, Need) == SMOKE.needs
    assert await _count(database_url, Organization) == SMOKE.organizations
    assert await _count(database_url, Community) == SMOKE.communities
    # Every state a task can be in is there, so the rules are checked against all of them.
    for status in TaskStatus:
        assert await _count(database_url, Task, Task.status == status), f"no {status} task generated"
    report: list[str] = []
    assert await check(database_url, clock.now(), say=report.append), "\n".join(report)
    assert any("audit verify" in line and "intact" in line for line in report), report


async def test_generating_into_a_database_that_has_a_district_is_refused(database_url: str, clock: ManualClock) -> None:
    await generate(database_url, SMOKE, now=clock.now(), say=lambda _: None)
    try:
        await generate(database_url, SMOKE, now=clock.now(), say=lambda _: None)
    except NotEmpty:
        pass
    else:
        raise AssertionError("a second history was loaded over the first")
    assert await _count(database_url, Task) == SMOKE.tasks


async def test_the_service_reads_and_changes_generated_data(
    database_url: str, clock: ManualClock, client: AsyncTestClient[Litestar]
) -> None:
    await generate(database_url, SMOKE, now=clock.now(), say=lambda _: None)
    for path in ("/", "/tasks", "/api/v1/tasks", "/api/v1/stats", "/api/v1/needs", "/api/v1/projects"):
        r = await client.get(path)
        assert r.status_code == 200, f"{path}: {r.status_code} {r.text[:300]}"
    for status in (TaskStatus.POSTED, TaskStatus.AWARDED, TaskStatus.CLOSED):
        task_id = await _first(database_url, Task.id, Task.status == status)
        r = await client.get(f"/api/v1/tasks/{task_id}")
        assert r.status_code == 200, r.text
        assert r.json()["status"] == status
    # The committee signs in with the generated password and sees a ranking under way.
    r = await client.post("/api/v1/auth/login", json={"username": "committee", "password": DEFAULT_PASSWORD})
    assert r.status_code == 200, r.text
    cookie = {"Cookie": f"{COOKIE}={r.cookies.get(COOKIE)}"}
    client.cookies.clear()
    reviewing = await _first(database_url, Task.id, Task.status == TaskStatus.REVIEWING, Task.submitted_count > 0)
    r = await client.get(f"/api/v1/tasks/{reviewing}/ranking", headers=cookie)
    assert r.status_code == 200, r.text
    # A resident signs up for a class still ahead: the generated seat counters carry on from where they stand.
    upcoming = await _first(database_url, ClassSession.id, ClassSession.starts_at > clock.now())
    before = await _count(database_url, Signup, Signup.session_id == upcoming)
    r = await client.post(f"/api/v1/classes/{upcoming}/signups", json={"name": "测试居民", "phone": "19912345678"})
    assert r.status_code == 201, r.text
    assert await _count(database_url, Signup, Signup.session_id == upcoming) == before + 1
