"""Statistics for a period: the seed's "累计发榜22项,揭榜20项,确定承榜19项" is exactly this report.

Each thing is counted in the period by its own start (a task by when it was posted, a need by when it was
raised, an order by when it was placed, a class by when it is held, a project by when it closed) and reported
with what has become of it by now. Breakdowns: by alliance, by category and by street; a task aimed at two
alliances or two streets counts once in each.

A task counts as claimed once it has ≥ 1 submitted proposal and its proposals are unsealed: an open task is not
counted as claimed before its deadline, and a task cancelled before its deadline keeps its claims sealed for good.
Its state is the one time has made (`effective_status_sql`), whether or not a tick has stored it.

The database does the counting: each report is one statement of aggregates (COUNT with FILTER-like CASE sums,
GROUP BY alliance, category, street or month) over the period's rows, found through indexes on the columns that
start them, and only the aggregated rows come back. Each thing has exactly one category, so the total is the sum
of the category slices. The row-by-row counting this replaced is kept in tests/stats_reference.py, and the two are
held equal there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    case,
    func,
    literal_column,
    not_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from alliances.models import Alliance, Community, Organization, Street
from market.clock import SHANGHAI
from market.models import (
    ClassSession,
    Need,
    Offering,
    Project,
    ServiceOrder,
    Signup,
    Task,
    task_alliances,
    task_communities,
)
from market.services._tasks import effective_status_sql, proposals_sealed_sql
from market.states import NeedStatus, OrderStatus, SignupStatus, TaskStatus

AWARDED_STATES = frozenset({TaskStatus.AWARDED, TaskStatus.IN_PROGRESS, TaskStatus.DELIVERED, TaskStatus.CLOSED})
PARK = "park"  # the breakdown key for the park's own services
NO_STREET = "none"  # an organisation's own need belongs to no street
CLASS_CATEGORY = "finance_education"  # night classes are the finance-education category's


@dataclass
class TaskCounts:
    """Tasks posted in the period, and how far they got."""

    posted: int = 0
    claimed: int = 0
    awarded: int = 0
    unclaimed: int = 0


@dataclass
class NeedCounts:
    """Needs raised in the period and where they stand."""

    raised: int = 0
    open: int = 0
    matched: int = 0
    resolved: int = 0
    declined: int = 0


@dataclass
class ClassCounts:
    """Night-class sessions held in the period."""

    held: int = 0
    seats: int = 0
    confirmed: int = 0
    attended: int = 0


@dataclass
class Breakdown:
    """Everything counted for one slice (the whole district, one alliance, one category, one street)."""

    tasks: TaskCounts = field(default_factory=TaskCounts)
    needs: NeedCounts = field(default_factory=NeedCounts)
    orders: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in OrderStatus})
    classes: ClassCounts = field(default_factory=ClassCounts)
    projects_closed: int = 0
    score_sum: int = 0

    @property
    def mean_final_score(self) -> Decimal | None:
        """Mean final score of projects closed in the period, half-up to 2 decimals."""
        if not self.projects_closed:
            return None
        return (Decimal(self.score_sum) / self.projects_closed).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass
class Report:
    """The whole report."""

    start: date
    end: date
    total: Breakdown = field(default_factory=Breakdown)
    by_alliance: dict[str, Breakdown] = field(default_factory=lambda: defaultdict(Breakdown))
    by_category: dict[str, Breakdown] = field(default_factory=lambda: defaultdict(Breakdown))
    by_street: dict[str, Breakdown] = field(default_factory=lambda: defaultdict(Breakdown))


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Inclusive local (Asia/Shanghai) dates as a half-open UTC interval."""
    return datetime.combine(start, time.min, SHANGHAI), datetime.combine(end + timedelta(days=1), time.min, SHANGHAI)


def default_period(now: datetime) -> tuple[date, date]:
    """The 365 days ending today, local time."""
    today = now.astimezone(SHANGHAI).date()
    return today - timedelta(days=364), today


# The SQL ---------------------------------------------------------------------------------------------------------

# Every row of a report statement is (kind, dim, key, n0…): one slice's counts of one kind of thing, padded to the
# widest kind (an order's count per state) so that the slices of every kind come back in one statement.
WIDTH = max(len(OrderStatus), 1 + len(NeedStatus), 4)
TASKS, NEEDS, ORDERS, CLASSES, PROJECTS, ALLIANCES = "tasks", "needs", "orders", "classes", "projects", "alliances"
BY_CATEGORY, BY_ALLIANCE, BY_STREET = "category", "alliance", "street"
Column = ColumnElement[Any] | QueryableAttribute[Any]


def claimed_sql(status: ColumnElement[str]) -> ColumnElement[bool]:
    """Whether a task counts as claimed (≥ 1 submitted proposal), told only once its proposals are unsealed.

    `status` is the task's effective status; a task cancelled while its claims were open keeps them sealed.
    """
    return and_(Task.submitted_count > 0, not_(proposals_sealed_sql(status)))


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _task_flags(now: datetime) -> list[ColumnElement[int]]:
    """Claimed, awarded, unclaimed: 1 or 0 for each task, from the state time has made."""
    status = effective_status_sql(now)
    return [
        _flag(claimed_sql(status)).label("claimed"),
        _flag(status.in_(sorted(s.value for s in AWARDED_STATES))).label("awarded"),
        _flag(status == TaskStatus.UNCLAIMED.value).label("unclaimed"),
    ]


def _rows(kind: str, dim: str, key: Column, counts: Sequence[Column]) -> Select[Any]:
    """One kind's counts for the slices `key` names, padded to the common width."""
    padded = [*counts, *(literal_column("0") for _ in range(WIDTH - len(counts)))]
    columns: list[ColumnElement[Any]] = [
        literal_column(f"'{kind}'").label("kind"),
        literal_column(f"'{dim}'").label("dim"),
        key.label("key"),
        *(c.label(f"n{i}") for i, c in enumerate(padded)),
    ]
    return select(*columns)


def _task_counts(t: Any) -> list[ColumnElement[Any]]:
    return [func.count(), func.sum(t.c.claimed), func.sum(t.c.awarded), func.sum(t.c.unclaimed)]


def _need_counts(n: Any) -> list[ColumnElement[Any]]:
    return [func.count(), *(func.sum(_flag(n.c.status == s.value)) for s in NeedStatus)]


def _class_counts(c: Any) -> list[ColumnElement[Any]]:
    return [func.count(), func.sum(c.c.seats), func.sum(c.c.confirmed), func.sum(c.c.attended)]


def _attended() -> ColumnElement[int]:
    """A held session's recorded attendance (its confirmed places are kept on the session, under its row lock)."""
    return (
        select(func.count())
        .where(
            Signup.session_id == ClassSession.id,
            Signup.status == SignupStatus.CONFIRMED.value,
            Signup.attended == true(),
        )
        .scalar_subquery()
    )


def _held(lo: datetime, hi: datetime, now: datetime) -> list[ColumnElement[bool]]:
    return [ClassSession.starts_at >= lo, ClassSession.starts_at < hi, ClassSession.starts_at <= now]


def _counted(columns: Sequence[Column]) -> list[ColumnElement[Any]]:
    """Counts labelled n0, n1… so that a roll-up can name them."""
    return [c.label(f"n{i}") for i, c in enumerate(columns)]


def _summed(fine: Any) -> list[ColumnElement[Any]]:
    """The roll-up of a finer aggregate's counts."""
    return [func.sum(c) for c in fine.c if c.name.startswith("n")]


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


def _report_statement(lo: datetime, hi: datetime, now: datetime) -> CompoundSelect:
    """Every slice of the report as aggregated rows, in one statement.

    Each kind's rows of the period are found through the index on the time that starts them and read once into a
    small aggregate by (category, alliance, street), which the slices are summed from; a task's alliances and
    streets are many, so its slices are counted from the task itself.
    """
    in_period = and_(Task.posted_at >= lo, Task.posted_at < hi)
    flags = _task_flags(now)
    task_counts = [func.count(), *(func.sum(f) for f in flags)]
    by_alliance = (
        select(task_alliances.c.alliance_id, *_counted(task_counts))
        .join_from(Task, task_alliances, task_alliances.c.task_id == Task.id)
        .where(in_period)
        .group_by(task_alliances.c.alliance_id)
        .subquery()
    )
    task_streets = (
        select(Task.id, Community.street_id, *flags)
        .join_from(Task, task_communities, task_communities.c.task_id == Task.id)
        .join(Community, Community.id == task_communities.c.community_id)
        .where(in_period)
        .distinct()
        .subquery()
    )
    by_street = (
        select(
            task_streets.c.street_id,
            *_counted(
                [
                    func.count(),
                    func.sum(task_streets.c.claimed),
                    func.sum(task_streets.c.awarded),
                    func.sum(task_streets.c.unclaimed),
                ]
            ),
        )
        .group_by(task_streets.c.street_id)
        .subquery()
    )
    needs = (
        select(
            Need.category,
            Organization.alliance_id,
            Community.street_id,
            *_counted([func.count(), *(func.sum(_flag(Need.status == s.value)) for s in NeedStatus)]),
        )
        .select_from(Need)
        .outerjoin(Organization, Organization.id == Need.organization_id)
        .outerjoin(Community, Community.id == Need.community_id)
        .where(Need.raised_at >= lo, Need.raised_at < hi)
        .group_by(Need.category, Organization.alliance_id, Community.street_id)
        .cte("needs_fine")
    )
    orders = (
        select(
            Offering.category,
            Organization.alliance_id,
            Community.street_id,
            *_counted([func.sum(_flag(ServiceOrder.status == s.value)) for s in OrderStatus]),
        )
        .join_from(ServiceOrder, Offering, Offering.id == ServiceOrder.offering_id)
        .outerjoin(Organization, Organization.id == Offering.organization_id)
        .join(Community, Community.id == ServiceOrder.community_id)
        .where(ServiceOrder.ordered_at >= lo, ServiceOrder.ordered_at < hi)
        .group_by(Offering.category, Organization.alliance_id, Community.street_id)
        .cte("orders_fine")
    )
    held = (
        select(
            literal_column(f"'{CLASS_CATEGORY}'").label("category"),
            Organization.alliance_id,
            Community.street_id,
            *_counted(
                [
                    func.count(),
                    func.sum(ClassSession.seats),
                    func.sum(ClassSession.confirmed_count),
                    func.sum(_attended()),
                ]
            ),
        )
        .join_from(ClassSession, Project, Project.id == ClassSession.project_id)
        .join(Organization, Organization.id == Project.organization_id)
        .join(Community, Community.id == ClassSession.community_id)
        .where(*_held(lo, hi, now))
        .group_by(Organization.alliance_id, Community.street_id)
        .cte("classes_fine")
    )
    closed = and_(Project.closed_at >= lo, Project.closed_at < hi, Project.final_score.is_not(None))
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
    return union_all(
        _rows(ALLIANCES, BY_ALLIANCE, Alliance.code, [Alliance.position]),
        _rows(TASKS, BY_CATEGORY, Task.category, task_counts).where(in_period).group_by(Task.category),
        _rows(TASKS, BY_ALLIANCE, Alliance.code, _summed(by_alliance))
        .join_from(by_alliance, Alliance, Alliance.id == by_alliance.c.alliance_id)
        .group_by(Alliance.code),
        _rows(TASKS, BY_STREET, Street.name, _summed(by_street))
        .join_from(by_street, Street, Street.id == by_street.c.street_id)
        .group_by(Street.name),
        *_sliced(NEEDS, needs),
        *_sliced(ORDERS, orders),
        *_sliced(CLASSES, held),
        *_sliced(PROJECTS, projects, streets=False),
        _rows(PROJECTS, BY_STREET, Street.name, project_counts)
        .join_from(project_streets, Street, Street.id == project_streets.c.street_id)
        .group_by(Street.name),
    )


def _add_tasks(t: TaskCounts, n: list[int]) -> None:
    t.posted += n[0]
    t.claimed += n[1]
    t.awarded += n[2]
    t.unclaimed += n[3]


def _add_needs(needs: NeedCounts, n: list[int]) -> None:
    needs.raised += n[0]
    for s, count in zip(NeedStatus, n[1:], strict=False):
        setattr(needs, s.value, getattr(needs, s.value) + count)


def _add_classes(c: ClassCounts, n: list[int]) -> None:
    c.held += n[0]
    c.seats += n[1]
    c.confirmed += n[2]
    c.attended += n[3]


def _add(b: Breakdown, kind: str, n: list[int]) -> None:
    """Add one aggregated row's counts to a slice."""
    if kind == TASKS:
        _add_tasks(b.tasks, n)
    elif kind == NEEDS:
        _add_needs(b.needs, n)
    elif kind == ORDERS:
        for s, count in zip(OrderStatus, n, strict=False):
            b.orders[s.value] += count
    elif kind == CLASSES:
        _add_classes(b.classes, n)
    else:
        b.projects_closed += n[0]
        b.score_sum += n[1]


async def report(db: AsyncSession, start: date, end: date, *, now: datetime) -> Report:
    """The statistics for tasks, needs, orders, classes and projects in the period, in one statement."""
    lo, hi = period_bounds(start, end)
    result = await db.execute(_report_statement(lo, hi, now))
    # PostgreSQL sums a bigint into a numeric: every count comes back a Python int.
    rows = [(kind, dim, key, [int(v or 0) for v in n]) for kind, dim, key, *n in result]
    out = Report(start, end)
    for _, _, code, _ in sorted((r for r in rows if r[0] == ALLIANCES), key=lambda r: r[3][0]):
        out.by_alliance[code] = Breakdown()
    for kind, dim, key, n in rows:
        if kind == ALLIANCES:
            continue
        if dim == BY_CATEGORY:
            _add(out.total, kind, n)
            _add(out.by_category[key], kind, n)
        elif dim == BY_ALLIANCE:
            _add(out.by_alliance[key if key is not None else PARK], kind, n)
        else:
            _add(out.by_street[key if key is not None else NO_STREET], kind, n)
    return out


async def headline(db: AsyncSession, start: date, end: date, *, now: datetime) -> TaskCounts:
    """The report's task figures for the whole district (发榜 / 揭榜 / 承榜 / 流榜), in one statement."""
    lo, hi = period_bounds(start, end)
    t = select(*_task_flags(now)).where(Task.posted_at >= lo, Task.posted_at < hi).subquery()
    row = (await db.execute(select(*_task_counts(t)))).one()
    return TaskCounts(*(int(v or 0) for v in row))


# By month (for the dashboard's charts) ----------------------------------------------------------------------------


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


def _month_index(at: Column, months: list[date]) -> ColumnElement[int]:
    """Which month of the period (0 for the first) a time in it falls in, by Asia/Shanghai calendar."""
    starts = [datetime.combine(m, time.min, SHANGHAI) for m in months[1:]]
    if not starts:
        return literal_column("0")
    return case(
        *((at < s, literal_column(str(i))) for i, s in enumerate(starts)), else_=literal_column(str(len(starts)))
    )


async def by_month(db: AsyncSession, start: date, end: date, *, now: datetime) -> list[MonthCounts]:
    """The report's tasks, needs and held classes month by month; each month's figures add up to `report`'s total.

    Counted exactly as `report` counts them (a task by the month it was posted, a need by the month it was raised,
    a class by the month it was held), every month of the period present even when nothing happened in it; one
    statement.
    """
    lo, hi = period_bounds(start, end)
    months = months_between(start, end)
    out = [MonthCounts(m) for m in months]
    # The month is worked out below its GROUP BY, so the grouping names a column rather than repeating the CASE.
    t = (
        select(_month_index(Task.posted_at, months).label("month"), *_task_flags(now))
        .where(Task.posted_at >= lo, Task.posted_at < hi)
        .subquery()
    )
    n = (
        select(_month_index(Need.raised_at, months).label("month"), Need.status)
        .where(Need.raised_at >= lo, Need.raised_at < hi)
        .subquery()
    )
    c = (
        select(
            _month_index(ClassSession.starts_at, months).label("month"),
            ClassSession.seats,
            ClassSession.confirmed_count.label("confirmed"),
            _attended().label("attended"),
        )
        .where(*_held(lo, hi, now))
        .subquery()
    )
    statement = union_all(
        _rows(TASKS, "month", t.c.month, _task_counts(t)).group_by(t.c.month),
        _rows(NEEDS, "month", n.c.month, _need_counts(n)).group_by(n.c.month),
        _rows(CLASSES, "month", c.c.month, _class_counts(c)).group_by(c.c.month),
    )
    for kind, _, month, *counts in await db.execute(statement):
        m, got = out[int(month)], [int(v or 0) for v in counts]
        if kind == TASKS:
            _add_tasks(m.tasks, got)
        elif kind == NEEDS:
            _add_needs(m.needs, got)
        else:
            _add_classes(m.classes, got)
    return out
