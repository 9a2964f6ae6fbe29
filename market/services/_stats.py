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
day's rows, in the same transaction, just before it commits (`_note_days` / `_refresh`; on PostgreSQL under an
advisory lock per kind and day, taken in a fixed order), so no caller can forget it and the two cannot drift; the
invariant check holds the rollup to the rows (`rollup_out_of_step`). A report is one statement: the rollup's days
before today summed, plus, counted from the rows, today's, the held classes (each sign-up moves a session's places,
and the sign-up burst must not queue on a rollup row; each session keeps its confirmed and attended counts, so the
sessions are summed, not their sign-ups) and the few tasks time has moved on since they were stored (a posted task
past its deadline counts by the state time has made). Each thing has exactly one category, so the total is the sum
of the category slices. The row-by-row counting this replaced is kept in tests/stats_reference.py, and
the two are held equal there.
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
    Date,
    Select,
    String,
    and_,
    case,
    cast,
    delete,
    event,
    func,
    insert,
    inspect,
    literal,
    literal_column,
    not_,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute, Session

from alliances.models import Alliance, Community, Organization, Street
from market.kernel.clock import SHANGHAI, local
from market.models import (
    ClassSession,
    Need,
    Offering,
    Project,
    ServiceOrder,
    Task,
    task_alliances,
    task_communities,
)
from market.models._stats import STATS_WIDTH, stats_days
from market.models._tasks import past_deadline
from market.services._tasks import effective_status_sql, proposals_sealed_sql
from market.states import NeedStatus, OrderStatus, TaskStatus

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
WIDTH = STATS_WIDTH  # the widest kind: max(len(OrderStatus), 1 + len(NeedStatus), 4)
TASKS, NEEDS, ORDERS, CLASSES, PROJECTS, ALLIANCES = "tasks", "needs", "orders", "classes", "projects", "alliances"
STREETS = "streets"
BY_CATEGORY, BY_ALLIANCE, BY_STREET = "category", "alliance", "street"
# The rollup's slices name alliances and streets by id (as text, '' for none), so that a renamed street stays in step.
BY_ALLIANCE_ID, BY_STREET_ID = "alliance_id", "street_id"
# What the daily rollup keeps. Classes are counted live: each sign-up moves a session's confirmed places, and the
# sign-up burst should not queue on a rollup row; a year of held sessions is one indexed range.
ROLLED = (TASKS, NEEDS, ORDERS, PROJECTS)
# A month's sum of a kind's days is kept too, as the kind with this suffix dated the month's first day: a year's
# report reads some twelve months and the days of the months it only partly covers.
MONTHLY = ":m"
Column = ColumnElement[Any] | QueryableAttribute[Any]


def claimed_sql(status: ColumnElement[str] | QueryableAttribute[str]) -> ColumnElement[bool]:
    """Whether a task counts as claimed (≥ 1 submitted proposal), told only once its proposals are unsealed.

    `status` is the task's effective status; a task cancelled while its claims were open keeps them sealed.
    """
    return and_(Task.submitted_count > 0, not_(proposals_sealed_sql(status)))


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _task_flags(status: ColumnElement[str] | QueryableAttribute[str]) -> list[ColumnElement[int]]:
    """Claimed, awarded, unclaimed: 1 or 0 for each task in `status` (the state time has made, or the stored one)."""
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


def _held(lo: datetime, hi: datetime, now: datetime) -> list[ColumnElement[bool]]:
    return [ClassSession.starts_at >= lo, ClassSession.starts_at < hi, ClassSession.starts_at <= now]


def _placed_needs(columns: Select[Any]) -> Select[Any]:
    """Needs with where they count: the raising organisation's alliance (none for a community's own need) and the
    community's street (none for an organisation's own need)."""
    return (
        columns.select_from(Need)
        .outerjoin(Organization, Organization.id == Need.organization_id)
        .outerjoin(Community, Community.id == Need.community_id)
    )


def _placed_orders(columns: Select[Any]) -> Select[Any]:
    """Orders with where they count: the offering's category and its organisation's alliance (none for the park's
    own services), and the ordering community's street."""
    return (
        columns.join_from(ServiceOrder, Offering, Offering.id == ServiceOrder.offering_id)
        .outerjoin(Organization, Organization.id == Offering.organization_id)
        .join(Community, Community.id == ServiceOrder.community_id)
    )


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
    slices = _sliced(CLASSES, held)
    if since < hi:
        slices += [
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


def _month_after(day: date) -> date:
    """The first day of the month after `day`'s."""
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


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


def today_starts(now: datetime) -> datetime:
    """The start of today, local time: the rollup is read for the days before it, the rows from it on."""
    return datetime.combine(now.astimezone(SHANGHAI).date(), time.min, SHANGHAI)


def _rolled_until(end: date, today: datetime) -> date:
    """The day after the last the rollup is read for: the period's last, or yesterday."""
    return min(end + timedelta(days=1), today.date())


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


# The daily rollup ------------------------------------------------------------------------------------------------


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
        conn.execute(insert(stats_days).from_select(_COLUMNS, _days_of(kind, None, None, dialect)))
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
}
_DIMENSIONS: dict[type[Any], tuple[tuple[str, ...], tuple[str, ...]]] = {
    Organization: (("alliance_id",), (NEEDS, ORDERS, PROJECTS)),
    Community: (("street_id",), ROLLED),
    Offering: (("category", "organization_id"), (ORDERS,)),
}
_DAYS, _KINDS = "jiebang_stats_days", "jiebang_stats_kinds"


def _values(obj: Any, name: str) -> list[Any]:
    """The attribute's value now and, if this flush changes it, before."""
    history = inspect(obj).attrs[name].history
    values = [*history.added, *history.unchanged, *history.deleted]
    return values or [getattr(obj, name)]


@event.listens_for(Session, "before_flush")
def _note_days(session: Session, _flush: Any, _instances: object) -> None:
    """Note the (kind, day) of every counted row this flush writes, to be rewritten when the transaction commits."""
    days: set[tuple[str, date]] = session.info.setdefault(_DAYS, set())
    kinds: set[str] = session.info.setdefault(_KINDS, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        started = _STARTS.get(type(obj))
        if started is not None:
            kind, name = started
            days.update((kind, local(at).date()) for at in _values(obj, name) if at is not None)
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
    result = await db.execute(_report_statement(start, end, now))
    # PostgreSQL sums a bigint into a numeric: every count comes back a Python int.
    rows = [(kind.removesuffix(MONTHLY), dim, key, [int(v or 0) for v in n]) for kind, dim, key, *n in result]
    out = Report(start, end)
    alliances = {"": PARK}
    streets = {"": NO_STREET}
    for _, _, code, n in sorted((r for r in rows if r[0] == ALLIANCES), key=lambda r: r[3][0]):
        out.by_alliance[code] = Breakdown()
        alliances[str(n[1])] = code
    for kind, _, name, n in rows:
        if kind == STREETS:
            streets[str(n[0])] = name
    for kind, dim, key, n in rows:
        if kind in (ALLIANCES, STREETS):
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


async def rollup_out_of_step(db: AsyncSession) -> list[tuple[str, date]]:
    """Each (kind, day) whose rollup rows differ from what its rows count now (the invariant check's)."""
    dialect = db.get_bind().dialect.name
    found: set[tuple[str, date]] = set()
    for kind in ROLLED:
        fresh = _days_of(kind, None, None, dialect).subquery()
        counted = select(*(fresh.c[c] for c in _COLUMNS))
        kept = select(*(stats_days.c[c] for c in _COLUMNS)).where(stats_days.c.kind == kind)
        for difference in (counted.except_(kept), kept.except_(counted)):
            rows = difference.subquery()
            found.update((k, d) for k, d in await db.execute(select(rows.c.kind, rows.c.day)))
        # Each month row is the sum of its days' rows.
        summed: dict[tuple[date, str, str], list[int]] = defaultdict(lambda: [0] * STATS_WIDTH)
        kept_months: dict[tuple[date, str, str], list[int]] = {}
        for row in await db.execute(select(stats_days).where(stats_days.c.kind.in_([kind, kind + MONTHLY]))):
            counts = [int(row._mapping[f"n{i}"]) for i in range(STATS_WIDTH)]
            if row.kind == kind:
                total = summed[(row.day.replace(day=1), row.dim, row.key)]
                total[:] = [a + b for a, b in zip(total, counts, strict=True)]
            else:
                kept_months[(row.day, row.dim, row.key)] = counts
        for month, _, _ in {*summed, *kept_months} - {k for k in summed if summed[k] == kept_months.get(k)}:
            found.add((kind + MONTHLY, month))
    return sorted(found)
