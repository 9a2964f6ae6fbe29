"""Integration-suite rules: after every scenario, on its database, the three lists must be in step."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from market.invariants import check
from market.kernel.clock import ManualClock
from market.kernel.db import create_engine


@pytest.fixture(autouse=True)
async def lists_in_step(database_url: str, clock: ManualClock) -> AsyncIterator[None]:
    """Run the invariant check (`jiebang lists check`) once the test is done with its database, at its clock's time.

    A state stored behind the one time has made counts, so a scenario that moves the clock past a deadline must
    let a request (or a tick) store it before it ends.
    """
    yield
    engine = create_engine(database_url)
    try:
        async with async_sessionmaker(engine)() as db:
            violations = await check(db, clock.now())
    finally:
        await engine.dispose()
    assert not violations, "lists out of step after the scenario:\n" + "\n".join(map(str, violations))
