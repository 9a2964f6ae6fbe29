"""/stats: the public statistics of a period."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from litestar import Controller, get

from market.kernel.errors import InvalidInput
from market.kernel.rules import bounded_day, day_parameter
from market.params import Db, Now
from market.schemas._stats import Stats
from market.services import stats


def period(period_from: date | None, period_to: date | None, now: datetime) -> tuple[date, date]:
    """The report's period from the query: local dates, inclusive, at most ten years; default the last 365 days."""
    default_from, default_to = stats.default_period(now)
    start = bounded_day(period_from, "from") or default_from
    end = bounded_day(period_to, "to") or default_to
    if start > end:
        raise InvalidInput("error.from_after_to", field="from")
    if (end - start).days > 3660:
        raise InvalidInput("error.period_longer_than_ten", field="to")
    return start, end


class StatsController(Controller):
    """Public statistics."""

    path = "/stats"
    tags = ["stats"]

    @get("/", exclude_from_auth=True)
    async def report(
        self,
        db_session: Db,
        clock: Now,
        period_from: Annotated[date | None, day_parameter("from")] = None,
        period_to: Annotated[date | None, day_parameter("to")] = None,
    ) -> Stats:
        """Tasks, needs, orders, classes and projects of the period (local dates, inclusive; default: 365 days)."""
        now = clock.now()
        start, end = period(period_from, period_to, now)
        return Stats.of(await stats.report(db_session, start, end, now=now))
