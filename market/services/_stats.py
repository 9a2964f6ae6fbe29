"""Statistics for a period: the seed's "累计发榜22项,揭榜20项,确定承榜19项" is exactly this report.

Each thing is counted in the period by its own start (a task by when it was posted, a need by when it was
raised, an order by when it was placed, a class by when it is held, a project by when it closed) and reported
with what has become of it by now. Breakdowns: by alliance, by category and by street; a task aimed at two
alliances or two streets counts once in each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alliances.models import Alliance, Community, Organization, Street
from market.clock import SHANGHAI, as_utc
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
from market.services._tasks import cancelled_before_deadline, effective_status_sql
from market.states import NeedStatus, OrderStatus, SignupStatus, TaskStatus

AWARDED_STATES = frozenset({TaskStatus.AWARDED, TaskStatus.IN_PROGRESS, TaskStatus.DELIVERED, TaskStatus.CLOSED})
PARK = "park"  # the breakdown key for the park's own services
NO_STREET = "none"  # an organisation's own need belongs to no street


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

    def slices(self, alliances: Iterable[str], categories: Iterable[str], streets: Iterable[str]) -> list[Breakdown]:
        """The total plus each named slice, each counted once."""
        return [
            self.total,
            *(self.by_alliance[a] for a in set(alliances)),
            *(self.by_category[c] for c in set(categories)),
            *(self.by_street[s] for s in set(streets)),
        ]


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Inclusive local (Asia/Shanghai) dates as a half-open UTC interval."""
    return datetime.combine(start, time.min, SHANGHAI), datetime.combine(end + timedelta(days=1), time.min, SHANGHAI)


def default_period(now: datetime) -> tuple[date, date]:
    """The 365 days ending today, local time."""
    today = now.astimezone(SHANGHAI).date()
    return today - timedelta(days=364), today


async def report(db: AsyncSession, start: date, end: date, *, now: datetime) -> Report:
    """The statistics for tasks, needs, orders, classes and projects in the period."""
    lo, hi = period_bounds(start, end)
    out = Report(start, end)
    streets = dict((await db.execute(select(Community.id, Street.name).join(Street))).all())
    org_alliance = dict(
        (
            await db.execute(
                select(Organization.id, Alliance.code).join(Alliance, Alliance.id == Organization.alliance_id)
            )
        ).all()
    )
    for code in (await db.scalars(select(Alliance.code).order_by(Alliance.position))).all():
        out.by_alliance[code] = Breakdown()
    await _tasks(db, out, lo, hi, now, streets)
    await _needs(db, out, lo, hi, streets, org_alliance)
    await _orders(db, out, lo, hi, streets, org_alliance)
    await _classes(db, out, lo, hi, now, streets, org_alliance)
    await _projects(db, out, lo, hi, org_alliance)
    return out


def claimed(status: str, submitted: int, closed_at: datetime | None, deadline: datetime) -> bool:
    """Whether a task counts as claimed (≥ 1 submitted proposal), told only once its proposals are unsealed."""
    if status == TaskStatus.POSTED or (
        status == TaskStatus.CANCELLED and cancelled_before_deadline(closed_at, deadline)
    ):
        return False
    return submitted > 0


async def _tasks(
    db: AsyncSession, out: Report, lo: datetime, hi: datetime, now: datetime, streets: dict[int, str]
) -> None:
    status = effective_status_sql(now).label("status")
    rows = (
        await db.execute(
            select(Task.id, Task.category, status, Task.submitted_count, Task.closed_at, Task.claim_deadline).where(
                Task.posted_at.is_not(None), Task.posted_at >= lo, Task.posted_at < hi
            )
        )
    ).all()
    ids = [r.id for r in rows]
    codes: dict[int, list[str]] = defaultdict(list)
    task_streets: dict[int, list[str]] = defaultdict(list)
    if ids:
        for task_id, code in await db.execute(
            select(task_alliances.c.task_id, Alliance.code)
            .join(Alliance, Alliance.id == task_alliances.c.alliance_id)
            .where(task_alliances.c.task_id.in_(ids))
        ):
            codes[task_id].append(code)
        for task_id, community_id in await db.execute(
            select(task_communities.c.task_id, task_communities.c.community_id).where(
                task_communities.c.task_id.in_(ids)
            )
        ):
            task_streets[task_id].append(streets[community_id])
    for r in rows:
        for b in out.slices(codes[r.id], [r.category], task_streets[r.id]):
            b.tasks.posted += 1
            b.tasks.claimed += claimed(r.status, r.submitted_count, r.closed_at, r.claim_deadline)
            b.tasks.awarded += r.status in AWARDED_STATES
            b.tasks.unclaimed += r.status == TaskStatus.UNCLAIMED


async def _needs(
    db: AsyncSession, out: Report, lo: datetime, hi: datetime, streets: dict[int, str], org_alliance: dict[int, str]
) -> None:
    rows = (
        await db.execute(
            select(Need.category, Need.status, Need.community_id, Need.organization_id).where(
                Need.raised_at >= lo, Need.raised_at < hi
            )
        )
    ).all()
    for category, status, community_id, org_id in rows:
        alliances = [org_alliance[org_id]] if org_id else []
        street = streets[community_id] if community_id else NO_STREET
        for b in out.slices(alliances, [category], [street]):
            b.needs.raised += 1
            setattr(b.needs, NeedStatus(status).value, getattr(b.needs, NeedStatus(status).value) + 1)


async def _orders(
    db: AsyncSession, out: Report, lo: datetime, hi: datetime, streets: dict[int, str], org_alliance: dict[int, str]
) -> None:
    rows = (
        await db.execute(
            select(ServiceOrder.status, ServiceOrder.community_id, Offering.category, Offering.organization_id)
            .join(Offering, Offering.id == ServiceOrder.offering_id)
            .where(ServiceOrder.ordered_at >= lo, ServiceOrder.ordered_at < hi)
        )
    ).all()
    for status, community_id, category, org_id in rows:
        alliance = org_alliance[org_id] if org_id else PARK
        for b in out.slices([alliance], [category], [streets[community_id]]):
            b.orders[status] += 1


async def _classes(
    db: AsyncSession,
    out: Report,
    lo: datetime,
    hi: datetime,
    now: datetime,
    streets: dict[int, str],
    org_alliance: dict[int, str],
) -> None:
    sessions = (
        await db.execute(
            select(ClassSession.id, ClassSession.seats, ClassSession.community_id, Project.organization_id)
            .join(Project, Project.id == ClassSession.project_id)
            .where(ClassSession.starts_at >= lo, ClassSession.starts_at < hi, ClassSession.starts_at <= now)
        )
    ).all()
    if not sessions:
        return
    tallies: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for session_id, attended in await db.execute(
        select(Signup.session_id, Signup.attended).where(
            Signup.session_id.in_([s.id for s in sessions]), Signup.status == SignupStatus.CONFIRMED
        )
    ):
        tallies[session_id][0] += 1
        tallies[session_id][1] += bool(attended)
    for session_id, seats, community_id, org_id in sessions:
        confirmed, came = tallies[session_id]
        for b in out.slices([org_alliance[org_id]], ["finance_education"], [streets[community_id]]):
            b.classes.held += 1
            b.classes.seats += seats
            b.classes.confirmed += confirmed
            b.classes.attended += came


async def _projects(db: AsyncSession, out: Report, lo: datetime, hi: datetime, org_alliance: dict[int, str]) -> None:
    rows = (
        await db.execute(
            select(Project.category, Project.organization_id, Project.final_score, Project.task_id).where(
                Project.closed_at >= lo, Project.closed_at < hi, Project.final_score.is_not(None)
            )
        )
    ).all()
    task_streets: dict[int, set[str]] = defaultdict(set)
    if rows:
        for task_id, street in await db.execute(
            select(task_communities.c.task_id, Street.name)
            .join(Community, Community.id == task_communities.c.community_id)
            .join(Street, Street.id == Community.street_id)
            .where(task_communities.c.task_id.in_([r.task_id for r in rows]))
        ):
            task_streets[task_id].add(street)
    for category, org_id, score, task_id in rows:
        for b in out.slices([org_alliance[org_id]], [category], task_streets[task_id]):
            b.projects_closed += 1
            b.score_sum += score or 0


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


def _month_of(at: datetime) -> date:
    return as_utc(at).astimezone(SHANGHAI).date().replace(day=1)


async def by_month(db: AsyncSession, start: date, end: date, *, now: datetime) -> list[MonthCounts]:
    """The report's tasks, needs and held classes month by month; each month's figures add up to `report`'s total.

    Counted exactly as `report` counts them (a task by the month it was posted, a need by the month it was raised,
    a class by the month it was held), every month of the period present even when nothing happened in it.
    """
    lo, hi = period_bounds(start, end)
    out = {m: MonthCounts(m) for m in months_between(start, end)}
    status = effective_status_sql(now).label("status")
    for posted_at, state, submitted, closed_at, deadline in await db.execute(
        select(Task.posted_at, status, Task.submitted_count, Task.closed_at, Task.claim_deadline).where(
            Task.posted_at.is_not(None), Task.posted_at >= lo, Task.posted_at < hi
        )
    ):
        if posted_at is None:  # excluded by the query; the column is nullable for drafts
            continue
        t = out[_month_of(posted_at)].tasks
        t.posted += 1
        t.claimed += claimed(state, submitted, closed_at, deadline)
        t.awarded += state in AWARDED_STATES
        t.unclaimed += state == TaskStatus.UNCLAIMED
    for raised_at, need_status in await db.execute(
        select(Need.raised_at, Need.status).where(Need.raised_at >= lo, Need.raised_at < hi)
    ):
        n = out[_month_of(raised_at)].needs
        n.raised += 1
        setattr(n, NeedStatus(need_status).value, getattr(n, NeedStatus(need_status).value) + 1)
    sessions = (
        await db.execute(
            select(ClassSession.id, ClassSession.starts_at, ClassSession.seats).where(
                ClassSession.starts_at >= lo, ClassSession.starts_at < hi, ClassSession.starts_at <= now
            )
        )
    ).all()
    tallies = await _class_tallies(db, [s.id for s in sessions])
    for session_id, starts_at, seats in sessions:
        c = out[_month_of(starts_at)].classes
        confirmed, came = tallies.get(session_id, (0, 0))
        c.held += 1
        c.seats += seats
        c.confirmed += confirmed
        c.attended += came
    return list(out.values())


async def _class_tallies(db: AsyncSession, session_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Confirmed places and attendance recorded, by session."""
    if not session_ids:
        return {}
    tallies: dict[int, tuple[int, int]] = {}
    for session_id, attended in await db.execute(
        select(Signup.session_id, Signup.attended).where(
            Signup.session_id.in_(session_ids), Signup.status == SignupStatus.CONFIRMED
        )
    ):
        confirmed, came = tallies.get(session_id, (0, 0))
        tallies[session_id] = (confirmed + 1, came + bool(attended))
    return tallies
