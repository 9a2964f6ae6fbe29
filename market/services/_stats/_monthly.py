"""The report's figures month by month, for the dashboard's charts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from market.kernel.clock import SHANGHAI
from market.models import (
    ClassSession,
    Need,
    Task,
)
from market.models._stats import stats_days
from market.models._tasks import past_deadline
from market.services._stats._counts import (
    BY_CATEGORY,
    CLASSES,
    MONTHLY,
    NEEDS,
    TASKS,
    WIDTH,
    ClassCounts,
    Column,
    NeedCounts,
    TaskCounts,
    _add_classes,
    _add_needs,
    _add_tasks,
    _class_counts,
    _held,
    _need_counts,
    _rolled_until,
    _rows,
    _task_counts,
    _task_flags,
    period_bounds,
    today_starts,
)
from market.services._stats._rollup import _rolled_rows
from market.services._tasks import effective_status_sql


@dataclass
class MonthCounts:
    """What the period's report counts, for one calendar month (Asia/Shanghai) of it."""

    month: date  # the first day of the month
    tasks: TaskCounts = field(default_factory=TaskCounts)
    needs: NeedCounts = field(default_factory=NeedCounts)
    classes: ClassCounts = field(default_factory=ClassCounts)


def months_between(start: date, end: date) -> list[date]:
    """The first day of every calendar month from `start`'s to `end`'s, inclusive (empty if end < start)."""
    months: list[date] = []
    index, last = start.year * 12 + start.month - 1, end.year * 12 + end.month - 1
    while index <= last:
        months.append(date(index // 12, index % 12 + 1, 1))
        index += 1
    return months


def _month_index(at: Column, months: list[date], *, days: bool = False) -> ColumnElement[int]:
    """Which month of the period (0 for the first) a time in it (or, `days`, a local date) falls in, by Asia/Shanghai
    calendar."""
    starts: list[Any] = months[1:] if days else [datetime.combine(m, time.min, SHANGHAI) for m in months[1:]]
    if not starts:
        return literal_column("0")
    return case(
        *((at < s, literal_column(str(i))) for i, s in enumerate(starts)), else_=literal_column(str(len(starts)))
    )


async def by_month(db: AsyncSession, start: date, end: date, *, now: datetime) -> list[MonthCounts]:
    """The report's tasks, needs and held classes month by month; each month's figures add up to `report`'s total.

    Counted exactly as `report` counts them (a task by the month it was posted, a need by the month it was raised,
    a class by the month it was held; the rollup's days before today, the rest from the rows), every month of the
    period present even when nothing happened in it; one statement.
    """
    lo, hi = period_bounds(start, end)
    today = today_starts(now)
    since = max(lo, today)
    months = months_between(start, end)
    out = [MonthCounts(m) for m in months]
    effective = _task_flags(effective_status_sql(now))
    # The month is worked out below its GROUP BY, so the grouping names a column rather than repeating the CASE.
    c = (
        select(
            _month_index(ClassSession.starts_at, months).label("month"),
            ClassSession.seats,
            ClassSession.confirmed_count.label("confirmed"),
            ClassSession.attended_count.label("attended"),
        )
        .where(*_held(lo, hi, now))
        .subquery()
    )
    parts: list[Select[Any]] = [_rows(CLASSES, "month", c.c.month, _class_counts(c)).group_by(c.c.month)]
    if since < hi:
        t = (
            select(_month_index(Task.posted_at, months).label("month"), *effective)
            .where(Task.posted_at >= since, Task.posted_at < hi)
            .subquery()
        )
        n = (
            select(_month_index(Need.raised_at, months).label("month"), Need.status)
            .where(Need.raised_at >= since, Need.raised_at < hi)
            .subquery()
        )
        parts += [
            _rows(TASKS, "month", t.c.month, _task_counts(t)).group_by(t.c.month),
            _rows(NEEDS, "month", n.c.month, _need_counts(n)).group_by(n.c.month),
        ]
    if lo < today:
        until = _rolled_until(end, today)
        moved_on = and_(Task.posted_at >= lo, Task.posted_at < min(hi, today), past_deadline(now))
        t = select(_month_index(Task.posted_at, months).label("month"), *effective).where(moved_on).subquery()
        d = (
            select(_month_index(stats_days.c.day, months, days=True).label("month"), *stats_days.c)
            .where(
                _rolled_rows(start, until, [TASKS, NEEDS]),
                stats_days.c.dim == BY_CATEGORY,
            )
            .subquery()
        )
        parts += [
            _rows(TASKS, "month", t.c.month, [literal_column("0"), *_task_counts(t)[1:]]).group_by(t.c.month),
            select(
                d.c.kind, literal_column("'month'"), d.c.month, *(func.sum(d.c[f"n{i}"]) for i in range(WIDTH))
            ).group_by(d.c.kind, d.c.month),
        ]
    for kind, _, month, *counts in await db.execute(union_all(*parts)):
        kind = kind.removesuffix(MONTHLY)
        m, got = out[int(month)], [int(v or 0) for v in counts]
        if kind == TASKS:
            _add_tasks(m.tasks, got)
        elif kind == NEEDS:
            _add_needs(m.needs, got)
        else:
            _add_classes(m.classes, got)
    return out
