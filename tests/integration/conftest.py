"""Integration-suite rules: after every scenario, on its database, the three lists must be in step."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from market.invariants import check
from market.kernel.clock import ManualClock
from market.kernel.db import create_engine
from tests.conftest import _Apps


@pytest.fixture(autouse=True)
def lists_in_step(request: pytest.FixtureRequest, clock: ManualClock, _apps: _Apps) -> Iterator[None]:
    """Run the invariant check (`jiebang lists check`) once the test is done with its database, at its clock's time.

    A state stored behind the one time has made counts, so a scenario that moves the clock past a deadline must
    let a request (or a tick) store it before it ends. A test that touches no database has nothing to check (and,
    asking for none, runs once rather than once per database).
    """
    if "database_url" not in request.fixturenames:
        yield
        return
    database_url: str = request.getfixturevalue("database_url")
    yield

    async def violations(engine: AsyncEngine) -> list[Any]:
        async with async_sessionmaker(engine)() as db:
            return list(await check(db, clock.now()))

    async def with_own_engine() -> list[Any]:
        engine = create_engine(database_url)
        try:
            return await violations(engine)
        finally:
            await engine.dispose()

    direct = _apps.direct(database_url)
    found = direct(violations) if direct is not None else asyncio.run(with_own_engine())
    assert not found, "lists out of step after the scenario:\n" + "\n".join(map(str, found))
