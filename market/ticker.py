"""The in-process ticker: applies due transitions every few seconds in every worker.

Transitions are idempotent and taken under row locks, so several workers ticking at once is harmless;
`jiebang tick` does the same from cron where no server runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from litestar import Litestar
from sqlalchemy.exc import SQLAlchemyError

from market.kernel.clock import Clock
from market.kernel.db import row_clock, writing
from market.settings import Settings

log = logging.getLogger("jiebang.ticker")


async def _loop(app: Litestar, settings: Settings, clock: Clock) -> None:
    row_clock.set(clock.now)
    from market.flows import tick  # (flows import every service; load after the app exists)

    alchemy = app.state["alchemy"]
    while True:
        # Jitter keeps workers from ticking in lockstep.
        await asyncio.sleep(settings.tick_seconds * (0.8 + 0.4 * random.random()))  # noqa: S311
        try:
            async with alchemy.get_session() as db, writing(db):
                report = await tick(db, clock.now())
            if report.moved:
                log.info("tick: %s", report)
        except SQLAlchemyError:
            log.exception("tick failed; will retry")


def ticker(settings: Settings, clock: Clock) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """A lifespan context that runs the loop while the app serves."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if settings.tick_seconds <= 0:
            yield
            return
        task = asyncio.create_task(_loop(app, settings, clock))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return lifespan
