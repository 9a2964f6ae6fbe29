"""A period's report in one statement: the rollup's days before today, the rest counted live from the rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from alliances.models import Alliance, Community, Organization, Street
from market.kernel.clock import local
from market.models import (
    ClassSession,
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
from market.models._stats import stats_days
from market.models._tasks import past_deadline
from market.services._reviews import MINIMUM, published_by_kind
from market.services._stats._counts import (
    ALLIANCES,
    BY_ALLIANCE,
    BY_ALLIANCE_ID,
    BY_CATEGORY,
    BY_HOLDER,
    BY_STREET,
    BY_STREET_ID,
    BY_UNIT,
    CLASS_CATEGORY,
    CLASSES,
    MONTHLY,
    NEEDS,
    NO_STREET,
    ORDERS,
    PARK,
    POINTS,
    PROJECTS,
    STREETS,
    TASKS,
    UP_REVIEWS,
    Breakdown,
    PointCounts,
    Report,
    TaskCounts,
    _add,
    _add_counts,
    _add_tasks,
    _counted,
    _flag,
    _held,
    _placed_needs,
    _placed_orders,
    _placed_points,
    _point_counts,
    _review_counts,
    _rolled_until,
    _rows,
    _summed,
    _task_counts,
    _task_flags,
    holder_sql,
    period_bounds,
    today_starts,
)
from market.services._stats._rollup import _key, _rolled, _rolled_rows
from market.services._tasks import effective_status_sql
from market.states import NeedStatus, OrderStatus


def _sliced(kind: str, fine: Any, *, streets: bool = True) -> list[Select[Any]]:
    """A kind's slices by category, alliance and street, summed from its aggregate by (category, alliance, street).

    No alliance comes back as NULL: the park's own services' orders (PARK), while an alliance-less need, counted in
    no alliance, is left out; no street (an organisation's own need) also comes back as NULL: NO_STREET.
    """
    counts = _summed(fine)
    by_alliance = (
        _rows(kind, BY_ALLIANCE, Alliance.code, counts)
        .select_from(fine)
        .outerjoin(Alliance, Alliance.id == fine.c.alliance_id)
        .group_by(Alliance.code)
    )
    if kind != ORDERS:
        by_alliance = by_alliance.where(fine.c.alliance_id.is_not(None))
    slices = [_rows(kind, BY_CATEGORY, fine.c.category, counts).group_by(fine.c.category), by_alliance]
    if streets:
        slices.append(
            _rows(kind, BY_STREET, Street.name, counts)
            .select_from(fine)
            .outerjoin(Street, Street.id == fine.c.street_id)
            .group_by(Street.name)
        )
    return slices


def _task_slices(condition: ColumnElement[bool], flags: list[ColumnElement[int]], *, posted: bool) -> list[Select[Any]]:
    """Tasks' slices by category, alliance and street over the tasks `condition` finds.

    A task's alliances and streets are many, so each slice is counted from the task itself. `posted` False counts the
    flags alone (a correction to tasks already counted as posted).
    """
    first: ColumnElement[Any] = func.count() if posted else literal_column("0")
    counts = [first, *(func.sum(f) for f in flags)]
    by_alliance = (
        select(task_alliances.c.alliance_id, *_counted(counts))
        .join_from(Task, task_alliances, task_alliances.c.task_id == Task.id)
        .where(condition)
        .group_by(task_alliances.c.alliance_id)
        .subquery()
    )
    task_streets = (
        select(Task.id, Community.street_id, *flags)
        .join_from(Task, task_communities, task_communities.c.task_id == Task.id)
        .join(Community, Community.id == task_communities.c.community_id)
        .where(condition)
        .distinct()
        .subquery()
    )
    street_first: ColumnElement[Any] = func.count() if posted else literal_column("0")
    by_street = (
        select(
            task_streets.c.street_id,
            *_counted([street_first, *(func.sum(task_streets.c[f.name]) for f in flags)]),
        )
        .group_by(task_streets.c.street_id)
        .subquery()
    )
    return [
        _rows(TASKS, BY_CATEGORY, Task.category, counts).where(condition).group_by(Task.category),
        _rows(TASKS, BY_ALLIANCE, Alliance.code, _summed(by_alliance))
        .join_from(by_alliance, Alliance, Alliance.id == by_alliance.c.alliance_id)
        .group_by(Alliance.code),
        _rows(TASKS, BY_STREET, Street.name, _summed(by_street))
        .join_from(by_street, Street, Street.id == by_street.c.street_id)
        .group_by(Street.name),
    ]


def _live_slices(lo: datetime, hi: datetime, now: datetime, *, rolled_until: datetime) -> list[Select[Any]]:
    """What the rollup does not hold, counted from the rows: everything from `rolled_until` (today) on, held classes,
    and the tasks before it that time has moved on since they were stored (posted, and past their deadline).

    The rollup counts a task by its stored state; one still stored as posted counts as neither claimed, awarded nor
    unclaimed there, so its flags in the state time has made are added here.
    """
    since = max(lo, rolled_until)
    effective = _task_flags(effective_status_sql(now))
    in_period = and_(Task.posted_at >= since, Task.posted_at < hi)
    moved_on = and_(Task.posted_at >= lo, Task.posted_at < min(hi, rolled_until), past_deadline(now))
    needs = (
        _placed_needs(
            select(
                Need.category,
                Organization.alliance_id,
                Community.street_id,
                *_counted([func.count(), *(func.sum(_flag(Need.status == s.value)) for s in NeedStatus)]),
            )
        )
        .where(Need.raised_at >= since, Need.raised_at < hi)
        .group_by(Need.category, Organization.alliance_id, Community.street_id)
        .cte("needs_fine")
    )
    orders = (
        _placed_orders(
            select(
                Offering.category,
                Organization.alliance_id,
                Community.street_id,
                *_counted([func.sum(_flag(ServiceOrder.status == s.value)) for s in OrderStatus]),
            )
        )
        .where(ServiceOrder.ordered_at >= since, ServiceOrder.ordered_at < hi)
        .group_by(Offering.category, Organization.alliance_id, Community.street_id)
        .cte("orders_fine")
    )
    # Held sessions (a year's some 18,000 at city scale) are summed by project and community first, and only those
    # sums are joined to their organisation's alliance and their community's street.
    sessions = (
        select(
            ClassSession.project_id,
            ClassSession.community_id,
            *_counted(
                [
                    func.count(),
                    func.sum(ClassSession.seats),
                    func.sum(ClassSession.confirmed_count),
                    func.sum(ClassSession.attended_count),
                ]
            ),
        )
        .where(*_held(lo, hi, now))
        .group_by(ClassSession.project_id, ClassSession.community_id)
        .subquery()
    )
    held = (
        select(
            literal_column(f"'{CLASS_CATEGORY}'").label("category"),
            Organization.alliance_id,
            Community.street_id,
            *_counted(_summed(sessions)),
        )
        .join_from(sessions, Project, Project.id == sessions.c.project_id)
        .join(Organization, Organization.id == Project.organization_id)
        .join(Community, Community.id == sessions.c.community_id)
        .group_by(Organization.alliance_id, Community.street_id)
        .cte("classes_fine")
    )
    closed = and_(Project.closed_at >= since, Project.closed_at < hi, Project.final_score.is_not(None))
    projects = (
        select(
            Project.category,
            Organization.alliance_id,
            *_counted([func.count(), func.sum(Project.final_score)]),
        )
        .join_from(Project, Organization, Organization.id == Project.organization_id)
        .where(closed)
        .group_by(Project.category, Organization.alliance_id)
        .cte("projects_fine")
    )
    project_streets = (
        select(Project.id, Project.final_score, Community.street_id)
        .join_from(Project, task_communities, task_communities.c.task_id == Project.task_id)
        .join(Community, Community.id == task_communities.c.community_id)
        .where(closed)
        .distinct()
        .subquery()
    )
    project_counts = [func.count(), func.sum(project_streets.c.final_score)]
    r = UpReview
    reviews = _rows(UP_REVIEWS, BY_UNIT, r.unit, _review_counts())
    counted = (
        _placed_points(holder_sql().label("holder"), Organization.alliance_id, PointEntry.points)
        .where(PointEntry.decided_at >= since, PointEntry.decided_at < hi)
        .cte("points_fine")
    )
    point_counts = _point_counts(counted.c.points)
    slices = _sliced(CLASSES, held)
    if since < hi:
        slices += [
            # Points count on when their notice ended (`decided_at`): by holder, and organisations' by alliance id.
            _rows(POINTS, BY_HOLDER, counted.c.holder, point_counts).group_by(counted.c.holder),
            _rows(POINTS, BY_ALLIANCE_ID, _key(counted.c.alliance_id), point_counts)
            .where(counted.c.alliance_id.is_not(None))
            .group_by(counted.c.alliance_id),
            # Up-reviews keep their local day: those given from `since` (a local midnight) on.
            reviews.where(r.given_on >= local(since).date(), r.given_on < local(hi).date()).group_by(r.unit),
            *_task_slices(in_period, effective, posted=True),
            *_sliced(NEEDS, needs),
            *_sliced(ORDERS, orders),
            *_sliced(PROJECTS, projects, streets=False),
            _rows(PROJECTS, BY_STREET, Street.name, project_counts)
            .join_from(project_streets, Street, Street.id == project_streets.c.street_id)
            .group_by(Street.name),
        ]
    if lo < rolled_until:
        slices += _task_slices(moved_on, effective, posted=False)
    return slices


def _report_statement(start: date, end: date, now: datetime) -> CompoundSelect:
    """Every slice of the report as aggregated rows, in one statement: the rollup's days before today, the rest live.

    Alliances and streets come first, with their ids, which the rollup's slices are named by.
    """
    lo, hi = period_bounds(start, end)
    today = today_starts(now)
    parts: list[Select[Any]] = [
        _rows(ALLIANCES, BY_ALLIANCE, Alliance.code, [Alliance.position, Alliance.id]),
        _rows(STREETS, BY_STREET, Street.name, [Street.id]),
        *_live_slices(lo, hi, now, rolled_until=today),
    ]
    if lo < today:
        parts.append(_rolled(start, _rolled_until(end, today)))
    return union_all(*parts)


async def report(db: AsyncSession, start: date, end: date, *, now: datetime, scores: bool = True) -> Report:
    """The statistics for tasks, needs, orders, classes and projects in the period, in one statement, and the
    up-reviews' published yearly aggregate by kind in a second (unless `scores` is False: the export shows none)."""
    result = await db.execute(_report_statement(start, end, now))
    # PostgreSQL sums a bigint into a numeric: every count comes back a Python int.
    rows = [(kind.removesuffix(MONTHLY), dim, key, [int(v or 0) for v in n]) for kind, dim, key, *n in result]
    out = Report(start, end)
    alliances = {"": PARK}
    streets = {"": NO_STREET}
    for _, _, code, n in sorted((r for r in rows if r[0] == ALLIANCES), key=lambda r: r[3][0]):
        out.by_alliance[code] = Breakdown()
        out.points_by_alliance[code] = PointCounts()
        alliances[str(n[1])] = code
    for kind, _, name, n in rows:
        if kind == STREETS:
            streets[str(n[0])] = name
    for kind, dim, key, n in rows:
        if kind in (ALLIANCES, STREETS):
            continue
        if kind == UP_REVIEWS:
            _add_counts(out.up_reviews[key], n)
            continue
        if kind == POINTS:
            _add_counts(out.points[key] if dim == BY_HOLDER else out.points_by_alliance[alliances[key]], n)
            continue
        if dim == BY_CATEGORY:
            _add(out.total, kind, n)
            _add(out.by_category[key], kind, n)
        elif dim == BY_ALLIANCE:
            _add(out.by_alliance[key if key is not None else PARK], kind, n)
        elif dim == BY_ALLIANCE_ID:
            _add(out.by_alliance[alliances[key]], kind, n)
        elif dim == BY_STREET_ID:
            _add(out.by_street[streets[key]], kind, n)
        else:
            _add(out.by_street[key if key is not None else NO_STREET], kind, n)
    out.reviews_year = end.year
    for unit, t in (await published_by_kind(db, end.year) if scores else {}).items():
        if t.count >= MINIMUM:
            _add_counts(out.published_reviews[unit.value], [t.count, t.clarity, t.timeliness, t.fairness])
    return out


async def headline(db: AsyncSession, start: date, end: date, *, now: datetime) -> TaskCounts:
    """The report's task figures for the whole district (发榜 / 揭榜 / 承榜 / 流榜), in one statement."""
    lo, hi = period_bounds(start, end)
    today = today_starts(now)
    effective = _task_flags(effective_status_sql(now))
    parts: list[Select[Any]] = []
    since = max(lo, today)
    if since < hi:
        t = select(*effective).where(Task.posted_at >= since, Task.posted_at < hi).subquery()
        parts.append(select(*_counted(_task_counts(t))))
    if lo < today:
        moved_on = and_(Task.posted_at >= lo, Task.posted_at < min(hi, today), past_deadline(now))
        t = select(*effective).where(moved_on).subquery()
        parts.append(select(*_counted([literal_column("0"), *_task_counts(t)[1:]])))
        d = stats_days.c
        parts.append(
            select(*(func.sum(d[f"n{i}"]).label(f"n{i}") for i in range(4))).where(
                _rolled_rows(start, _rolled_until(end, today), [TASKS]),
                d.dim == BY_CATEGORY,
            )
        )
    got = TaskCounts()
    for row in await db.execute(union_all(*parts)):
        _add_tasks(got, [int(v or 0) for v in row])
    return got
