"""Statistics for a period: the seed's "累计发榜22项,揭榜20项,确定承榜19项" is exactly this report.

Each thing is counted in the period by its own start (a task by when it was posted, a need by when it was
raised, an order by when it was placed, a class by when it is held, a project by when it closed) and reported
with what has become of it by now. Breakdowns: by alliance, by category and by street; a task aimed at two
alliances or two streets counts once in each.

A task counts as claimed once it has ≥ 1 submitted proposal and its proposals are unsealed: an open task is not
counted as claimed before its deadline, and a task cancelled before its deadline keeps its claims sealed for good.
Its state is the one time has made (`effective_status_sql`), whether or not a tick has stored it.

The database does the counting, and most of it is done before anyone asks. Tasks, needs, orders and closed projects
are kept in a daily rollup (`stats_days`: per local day, each kind's counts by category, alliance and street, from
each row's stored state). Every transaction that writes such a row rewrites the rollup of that row's day from the
day's rows, in the same transaction, just before it commits (`_rollup`; on PostgreSQL under an
advisory lock per kind and day, taken in a fixed order), so no caller can forget it and the two cannot drift; the
invariant check holds the rollup to the rows (`rollup_out_of_step`). A report is one statement: the rollup's days
before today summed, plus, counted from the rows, today's, the held classes (each sign-up moves a session's places,
and the sign-up burst must not queue on a rollup row; each session keeps its confirmed and attended counts, so the
sessions are summed, not their sign-ups) and the few tasks time has moved on since they were stored (a posted task
past its deadline counts by the state time has made). Each thing has exactly one category, so the total is the sum
of the category slices. The row-by-row counting this replaced is kept in tests/stats_reference.py, and
the two are held equal there. Up-reviews (双向点评) are rolled up too, by the kind of unit reviewed and the local day
they were given on (a review keeps no finer time); the report shows their count, but their scores are the published
yearly aggregate of the year the period ends in (the reviews service's `published_by_kind`), never a period's means,
which would tell one review. Points (积分) are rolled up by the kind of holder and, for
organisations, by alliance, on the local day each entry counted (its notice's end, stored by the tick before any read).

The package: `_counts` (what is counted, and the SQL pieces that count it), `_report` (a period's report and
its headline), `_rollup` (the daily rollup, kept in step on every commit) and `_monthly` (the dashboard's months)."""

from __future__ import annotations

from market.services._stats._counts import (
    ALLIANCES,
    AWARDED_STATES,
    BY_ALLIANCE,
    BY_ALLIANCE_ID,
    BY_CATEGORY,
    BY_HOLDER,
    BY_STREET,
    BY_STREET_ID,
    CLASS_CATEGORY,
    CLASSES,
    MONTHLY,
    NEEDS,
    NO_STREET,
    ORDERS,
    PARK,
    POINTS,
    PROJECTS,
    ROLLED,
    STREETS,
    TASKS,
    UP_REVIEWS,
    WIDTH,
    Breakdown,
    ClassCounts,
    Column,
    NeedCounts,
    PointCounts,
    Report,
    ReviewCounts,
    TaskCounts,
    claimed_sql,
    default_period,
    period_bounds,
    today_starts,
)
from market.services._stats._monthly import MonthCounts, by_month, months_between
from market.services._stats._report import headline, report
from market.services._stats._rollup import rebuild, refresh_days, rollup_out_of_step

__all__ = [
    "ALLIANCES",
    "AWARDED_STATES",
    "BY_ALLIANCE",
    "BY_ALLIANCE_ID",
    "BY_CATEGORY",
    "BY_HOLDER",
    "BY_STREET",
    "BY_STREET_ID",
    "CLASSES",
    "CLASS_CATEGORY",
    "MONTHLY",
    "NEEDS",
    "NO_STREET",
    "ORDERS",
    "PARK",
    "POINTS",
    "PROJECTS",
    "ROLLED",
    "STREETS",
    "TASKS",
    "UP_REVIEWS",
    "WIDTH",
    "Breakdown",
    "ClassCounts",
    "Column",
    "MonthCounts",
    "NeedCounts",
    "PointCounts",
    "Report",
    "ReviewCounts",
    "TaskCounts",
    "by_month",
    "claimed_sql",
    "default_period",
    "headline",
    "months_between",
    "period_bounds",
    "rebuild",
    "refresh_days",
    "report",
    "rollup_out_of_step",
    "today_starts",
]
