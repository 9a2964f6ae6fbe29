"""The daily rollup (`stats_days`): written afresh from the rows, kept in step by every commit that writes a
counted row, read back by month and day, and held to the rows by the invariant check.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Date,
    Select,
    String,
    and_,
    cast,
    delete,
    event,
    func,
    insert,
    inspect,
    literal,
    literal_column,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from alliances.models import Community, Organization
from market.kernel.clock import local
from market.models import (
    Need,
    Offering,
    PointEntry,
    Project,
    ServiceOrder,
    Task,
    UpReview,
    task_alliances,
    task_communities,
)
from market.models._stats import STATS_WIDTH, stats_days
from market.services._stats._counts import (
    BY_ALLIANCE_ID,
    BY_CATEGORY,
    BY_HOLDER,
    BY_STREET_ID,
    BY_UNIT,
    MONTHLY,
    NEEDS,
    ORDERS,
    POINTS,
    PROJECTS,
    ROLLED,
    TASKS,
    UP_REVIEWS,
    WIDTH,
    Column,
    _flag,
    _month_after,
    _placed_needs,
    _placed_orders,
    _placed_points,
    _point_counts,
    _review_counts,
    _task_counts,
    _task_flags,
    holder_sql,
    period_bounds,
)
from market.states import NeedStatus, OrderStatus


def _rolled_rows(start: date, until: date, kinds: Sequence[str]) -> ColumnElement[bool]:
    """The rollup rows of `kinds` that add up to the days from `start` to before `until`: a month's row for each whole
    month, a day's row for each day of a month only partly in."""
    d = stats_days.c
    whole_from = start if start.day == 1 else _month_after(start)
    whole_to = until.replace(day=1)
    if whole_from >= whole_to:
        return and_(d.kind.in_(kinds), d.day >= start, d.day < until)
    return or_(
        and_(d.kind.in_(kinds), or_(and_(d.day >= start, d.day < whole_from), and_(d.day >= whole_to, d.day < until))),
        and_(d.kind.in_([k + MONTHLY for k in kinds]), d.day >= whole_from, d.day < whole_to),
    )


def _rolled(start: date, until: date) -> Select[Any]:
    """The rollup's days from `start` to before `until`, summed per kind and slice (a month's kind ends in MONTHLY)."""
    d = stats_days.c
    return (
        select(d.kind, d.dim, d.key, *(func.sum(d[f"n{i}"]).label(f"n{i}") for i in range(WIDTH)))
        .where(_rolled_rows(start, until, ROLLED))
        .group_by(d.kind, d.dim, d.key)
    )


def _local_day(at: Column, dialect: str) -> ColumnElement[Any]:
    """The local (Asia/Shanghai) date of a stored time, in SQL; constants inline, so that GROUP BY can repeat it."""
    if dialect == "postgresql":
        return func.date(func.timezone(literal_column("'Asia/Shanghai'"), at), type_=Date)
    # SQLite keeps UTC as text; Shanghai has been UTC+8 all year since 1991.
    return func.date(at, literal_column("'+8 hours'"), type_=Date)


def _key(column: Column) -> ColumnElement[str]:
    """An alliance's or street's id as the rollup's key: text, '' for none."""
    return func.coalesce(cast(column, String), literal_column("''"))


def _day_row(kind: str, day: Column, dim: str, key: Column, counts: Sequence[Column]) -> Select[Any]:
    padded = [*counts, *(literal_column("0") for _ in range(STATS_WIDTH - len(counts)))]
    columns: list[ColumnElement[Any]] = [
        literal_column(f"'{kind}'").label("kind"),
        day.label("day"),
        literal_column(f"'{dim}'").label("dim"),
        key.label("key"),
        *(c.label(f"n{i}") for i, c in enumerate(padded)),
    ]
    return select(*columns)


def _day_slices(kind: str, fine: Any, counts: list[ColumnElement[Any]], *, streets: bool = True) -> list[Select[Any]]:
    """A kind's per-day slices by category, alliance and street from its rows `fine` (day, category, alliance_id,
    street_id, …); an alliance-less need is in no alliance, an alliance-less order is the park's ('')."""
    by_alliance = _day_row(kind, fine.c.day, BY_ALLIANCE_ID, _key(fine.c.alliance_id), counts).group_by(
        fine.c.day, fine.c.alliance_id
    )
    if kind != ORDERS:
        by_alliance = by_alliance.where(fine.c.alliance_id.is_not(None))
    slices = [
        _day_row(kind, fine.c.day, BY_CATEGORY, fine.c.category, counts).group_by(fine.c.day, fine.c.category),
        by_alliance,
    ]
    if streets:
        slices.append(
            _day_row(kind, fine.c.day, BY_STREET_ID, _key(fine.c.street_id), counts).group_by(
                fine.c.day, fine.c.street_id
            )
        )
    return slices


def _days_of(kind: str, lo: datetime | None, hi: datetime | None, dialect: str) -> CompoundSelect:
    """The rollup rows of one kind for the days in [lo, hi) (all days if None), from the rows, by stored state."""

    def within(at: Column) -> list[ColumnElement[bool]]:
        return [at >= lo, at < hi] if lo is not None and hi is not None else [at.is_not(None)]

    if kind == TASKS:
        flags = _task_flags(Task.status)
        t = (
            select(Task.id, Task.category, _local_day(Task.posted_at, dialect).label("day"), *flags)
            .where(*within(Task.posted_at))
            .subquery()
        )
        counts = _task_counts(t)
        streets = (
            select(t.c.id, t.c.day, t.c.claimed, t.c.awarded, t.c.unclaimed, Community.street_id)
            .join_from(t, task_communities, task_communities.c.task_id == t.c.id)
            .join(Community, Community.id == task_communities.c.community_id)
            .distinct()
            .subquery()
        )
        street_counts = _task_counts(streets)
        return union_all(
            _day_row(TASKS, t.c.day, BY_CATEGORY, t.c.category, counts).group_by(t.c.day, t.c.category),
            _day_row(TASKS, t.c.day, BY_ALLIANCE_ID, _key(task_alliances.c.alliance_id), counts)
            .join_from(t, task_alliances, task_alliances.c.task_id == t.c.id)
            .group_by(t.c.day, task_alliances.c.alliance_id),
            _day_row(TASKS, streets.c.day, BY_STREET_ID, _key(streets.c.street_id), street_counts).group_by(
                streets.c.day, streets.c.street_id
            ),
        )
    if kind == NEEDS:
        n = (
            _placed_needs(
                select(
                    _local_day(Need.raised_at, dialect).label("day"),
                    Need.category,
                    Organization.alliance_id,
                    Community.street_id,
                    *(_flag(Need.status == s.value).label(s.value) for s in NeedStatus),
                )
            )
            .where(*within(Need.raised_at))
            .cte("needs_days")
        )
        return union_all(*_day_slices(NEEDS, n, [func.count(), *(func.sum(n.c[s.value]) for s in NeedStatus)]))
    if kind == UP_REVIEWS:
        r = UpReview
        counts = _review_counts()
        days = (
            [r.given_on >= local(lo).date(), r.given_on < local(hi).date()] if lo is not None and hi is not None else []
        )
        return union_all(
            _day_row(UP_REVIEWS, r.given_on, BY_UNIT, r.unit, counts).where(*days).group_by(r.given_on, r.unit)
        )
    if kind == POINTS:
        # Counted entries by the local day their notice ended (when they counted): by holder, and organisations' by
        # their alliance.
        e = (
            _placed_points(
                _local_day(PointEntry.decided_at, dialect).label("day"),
                holder_sql().label("holder"),
                Organization.alliance_id,
                PointEntry.points,
            )
            .where(*within(PointEntry.decided_at))
            .cte("points_days")
        )
        counts = _point_counts(e.c.points)
        return union_all(
            _day_row(POINTS, e.c.day, BY_HOLDER, e.c.holder, counts).group_by(e.c.day, e.c.holder),
            _day_row(POINTS, e.c.day, BY_ALLIANCE_ID, _key(e.c.alliance_id), counts)
            .where(e.c.alliance_id.is_not(None))
            .group_by(e.c.day, e.c.alliance_id),
        )
    if kind == ORDERS:
        o = (
            _placed_orders(
                select(
                    _local_day(ServiceOrder.ordered_at, dialect).label("day"),
                    Offering.category,
                    Organization.alliance_id,
                    Community.street_id,
                    *(_flag(ServiceOrder.status == s.value).label(s.value) for s in OrderStatus),
                )
            )
            .where(*within(ServiceOrder.ordered_at))
            .cte("orders_days")
        )
        return union_all(*_day_slices(ORDERS, o, [func.sum(o.c[s.value]) for s in OrderStatus]))
    p = (
        select(
            _local_day(Project.closed_at, dialect).label("day"),
            Project.id,
            Project.task_id,
            Project.category,
            Organization.alliance_id,
            Project.final_score,
        )
        .join_from(Project, Organization, Organization.id == Project.organization_id)
        .where(*within(Project.closed_at), Project.final_score.is_not(None))
        .cte("projects_days")
    )
    streets = (
        select(p.c.id, p.c.day, p.c.final_score, Community.street_id)
        .join_from(p, task_communities, task_communities.c.task_id == p.c.task_id)
        .join(Community, Community.id == task_communities.c.community_id)
        .distinct()
        .subquery()
    )
    return union_all(
        *_day_slices(PROJECTS, p, [func.count(), func.sum(p.c.final_score)], streets=False),
        _day_row(
            PROJECTS,
            streets.c.day,
            BY_STREET_ID,
            _key(streets.c.street_id),
            [func.count(), func.sum(streets.c.final_score)],
        ).group_by(streets.c.day, streets.c.street_id),
    )


_COLUMNS = ["kind", "day", "dim", "key", *(f"n{i}" for i in range(STATS_WIDTH))]
_LOCK_CLASS = 0x57A7  # PostgreSQL advisory locks of the rollup: (this, month ordinal × 8 + the kind's place)


def _sum_month(conn: Connection | Session, kind: str, month: date) -> None:
    """Rewrite a kind's month row from its days' rows."""
    d = stats_days.c
    conn.execute(delete(stats_days).where(d.kind == kind + MONTHLY, d.day == month))
    summed = (
        select(
            literal(kind + MONTHLY, String).label("kind"),
            literal(month, Date).label("day"),
            d.dim,
            d.key,
            *(func.sum(d[f"n{i}"]).label(f"n{i}") for i in range(STATS_WIDTH)),
        )
        .where(d.kind == kind, d.day >= month, d.day < _month_after(month))
        .group_by(d.dim, d.key)
    )
    conn.execute(insert(stats_days).from_select(_COLUMNS, summed))


def rebuild(conn: Connection | Session, kinds: Sequence[str] = ROLLED) -> None:
    """Write the rollup of `kinds` afresh from the rows: the migration's backfill, the generator's fill, and what a
    change to a dimension (an offering's category, a community's street) calls for."""
    dialect = conn.get_bind().dialect.name if isinstance(conn, Session) else conn.dialect.name
    if dialect == "postgresql":
        conn.execute(text("LOCK TABLE stats_days IN SHARE ROW EXCLUSIVE MODE"))
    for kind in kinds:
        conn.execute(delete(stats_days).where(stats_days.c.kind.in_([kind, kind + MONTHLY])))
        conn.execute(insert(stats_days).from_select(_COLUMNS, _all_days(kind, dialect)))
        days = conn.execute(select(stats_days.c.day).where(stats_days.c.kind == kind).distinct()).scalars()
        for month in sorted({day.replace(day=1) for day in days}):
            _sum_month(conn, kind, month)


def refresh_days(session: Session, days: set[tuple[str, date]]) -> None:
    """Rewrite the rollup of each (kind, day) from that day's rows, and its month from its days, in the session's
    transaction.

    On PostgreSQL each (kind, month) is first locked, in a fixed order (so two transactions never wait on each other
    in a cycle), and the rewrite reads after the lock: a concurrent transaction's committed change to it is in it.
    """
    dialect = session.get_bind().dialect.name
    months: dict[tuple[str, date], list[date]] = defaultdict(list)
    for kind, day in sorted(days):
        months[(kind, day.replace(day=1))].append(day)
    for (kind, month), in_month in sorted(months.items()):
        if dialect == "postgresql":
            lock = month.toordinal() * 8 + ROLLED.index(kind)
            session.execute(select(func.pg_advisory_xact_lock(_LOCK_CLASS, lock)))
        for day in in_month:
            lo, hi = period_bounds(day, day)
            session.execute(delete(stats_days).where(stats_days.c.kind == kind, stats_days.c.day == day))
            session.execute(insert(stats_days).from_select(_COLUMNS, _days_of(kind, lo, hi, dialect)))
        _sum_month(session, kind, month)


# Which rows count on which day, and which changes move whole kinds.
_STARTS: dict[type[Any], tuple[str, str]] = {
    Task: (TASKS, "posted_at"),
    Need: (NEEDS, "raised_at"),
    ServiceOrder: (ORDERS, "ordered_at"),
    Project: (PROJECTS, "closed_at"),
    UpReview: (UP_REVIEWS, "given_on"),  # a local day already
    PointEntry: (POINTS, "decided_at"),  # counted (or reversed) then; the tick sets it to the notice's end
}
_DIMENSIONS: dict[type[Any], tuple[tuple[str, ...], tuple[str, ...]]] = {
    Organization: (("alliance_id",), (NEEDS, ORDERS, PROJECTS, POINTS)),
    Community: (("street_id",), (TASKS, NEEDS, ORDERS, PROJECTS)),  # up-reviews and points know no street
    Offering: (("category", "organization_id"), (ORDERS,)),
}
_DAYS, _KINDS = "jiebang_stats_days", "jiebang_stats_kinds"


def _values(obj: Any, name: str) -> list[Any]:
    """The attribute's value now and, if this flush changes it, before."""
    history = inspect(obj).attrs[name].history
    values = [*history.added, *history.unchanged, *history.deleted]
    return values or [getattr(obj, name)]


def _day(at: date | datetime) -> date:
    """The local day a row counts on: its time's, or its stored local day."""
    return local(at).date() if isinstance(at, datetime) else at


@event.listens_for(Session, "before_flush")
def _note_days(session: Session, _flush: Any, _instances: object) -> None:
    """Note the (kind, day) of every counted row this flush writes, to be rewritten when the transaction commits."""
    days: set[tuple[str, date]] = session.info.setdefault(_DAYS, set())
    kinds: set[str] = session.info.setdefault(_KINDS, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        started = _STARTS.get(type(obj))
        if started is not None:
            kind, name = started
            days.update((kind, _day(at)) for at in _values(obj, name) if at is not None)
            continue
        moved = _DIMENSIONS.get(type(obj))
        if moved is not None and obj not in session.new:
            names, affected = moved
            if any(inspect(obj).attrs[n].history.has_changes() for n in names):
                kinds.update(affected)


@event.listens_for(Session, "before_commit")
def _refresh(session: Session) -> None:
    """Bring the rollup in step with what the transaction changed, in the transaction, before it commits."""
    if not session.info.get(_DAYS) and not session.info.get(_KINDS):
        return
    session.flush()
    days: set[tuple[str, date]] = session.info.pop(_DAYS, set())
    kinds: set[str] = session.info.pop(_KINDS, set())
    if kinds:
        rebuild(session, [k for k in ROLLED if k in kinds])
    refresh_days(session, {(kind, day) for kind, day in days if kind not in kinds})


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_DAYS, None)
    session.info.pop(_KINDS, None)


@functools.cache
def _all_days(kind: str, dialect: str) -> CompoundSelect:
    """`_days_of` a kind over all days: one statement per kind and dialect, built once (it names no value of a call)."""
    return _days_of(kind, None, None, dialect)


@functools.cache
def _differences(dialect: str) -> Select[Any]:
    """Each (kind, day) of any rolled kind whose rollup rows differ from what its rows count, as one statement: the
    invariant check runs after every scenario, and asking kind by kind took a dozen statements and rebuilt each one."""
    found: list[Select[Any]] = []
    for kind in ROLLED:
        fresh = _all_days(kind, dialect).subquery()
        counted = select(*(fresh.c[c] for c in _COLUMNS))
        kept = select(*(stats_days.c[c] for c in _COLUMNS)).where(stats_days.c.kind == kind)
        for difference in (counted.except_(kept), kept.except_(counted)):
            rows = difference.subquery()
            found.append(select(rows.c.kind, rows.c.day))
    return select(union_all(*found).subquery())


async def rollup_out_of_step(db: AsyncSession) -> list[tuple[str, date]]:
    """Each (kind, day) whose rollup rows differ from what its rows count now (the invariant check's)."""
    found: set[tuple[str, date]] = {(k, d) for k, d in await db.execute(_differences(db.get_bind().dialect.name))}
    # Each month row is the sum of its days' rows.
    summed: dict[tuple[str, date, str, str], list[int]] = defaultdict(lambda: [0] * STATS_WIDTH)
    kept_months: dict[tuple[str, date, str, str], list[int]] = {}
    for row in await db.execute(select(stats_days)):
        counts = [int(row._mapping[f"n{i}"]) for i in range(STATS_WIDTH)]
        if row.kind.endswith(MONTHLY):
            kept_months[(row.kind, row.day, row.dim, row.key)] = counts
        else:
            total = summed[(row.kind + MONTHLY, row.day.replace(day=1), row.dim, row.key)]
            total[:] = [a + b for a, b in zip(total, counts, strict=True)]
    for kind, month, _, _ in {*summed, *kept_months} - {k for k in summed if summed[k] == kept_months.get(k)}:
        found.add((kind, month))
    return sorted(found)
