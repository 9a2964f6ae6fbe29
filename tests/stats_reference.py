"""The statistics as they were first computed: every row of the period loaded into Python and counted.

Kept only as the reference the database's aggregates are held to (tests/integration/test_stats_equivalence.py):
slow at scale, but its counting is plain enough to read as the definition in `market.services._stats`'s docstring.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alliances.models import Alliance, Community, Organization, Street
from market.kernel.clock import SHANGHAI, as_utc
from market.models import (
    ClassSession,
    Need,
    Offering,
    PointEntry,
    Project,
    ServiceOrder,
    Signup,
    Task,
    UpReview,
    task_alliances,
    task_communities,
)
from market.services._stats import (
    AWARDED_STATES,
    NO_STREET,
    PARK,
    Breakdown,
    MonthCounts,
    PointCounts,
    Report,
    months_between,
    period_bounds,
)
from market.services._tasks import cancelled_before_deadline, effective_status_sql
from market.states import NeedStatus, PointStatus, SignupStatus, TaskStatus


def slices(out: Report, alliances: Iterable[str], categories: Iterable[str], streets: Iterable[str]) -> list[Breakdown]:
    """The total plus each named slice, each counted once."""
    return [
        out.total,
        *(out.by_alliance[a] for a in set(alliances)),
        *(out.by_category[c] for c in set(categories)),
        *(out.by_street[s] for s in set(streets)),
    ]


def claimed(status: str, submitted: int, closed_at: datetime | None, deadline: datetime) -> bool:
    """Whether a task counts as claimed (≥ 1 submitted proposal), told only once its proposals are unsealed."""
    if status == TaskStatus.POSTED or (
        status == TaskStatus.CANCELLED and cancelled_before_deadline(closed_at, deadline)
    ):
        return False
    return submitted > 0


async def report(db: AsyncSession, start: date, end: date, *, now: datetime) -> Report:
    """The statistics for tasks, needs, orders, classes and projects in the period, counted row by row."""
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
        out.points_by_alliance[code] = PointCounts()
    await _tasks(db, out, lo, hi, now, streets)
    await _needs(db, out, lo, hi, streets, org_alliance)
    await _orders(db, out, lo, hi, streets, org_alliance)
    await _classes(db, out, lo, hi, now, streets, org_alliance)
    await _projects(db, out, lo, hi, org_alliance)
    await _up_reviews(db, out, start, end)
    await _points(db, out, lo, hi, org_alliance)
    return out


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
    codes: dict[int, list[str]] = defaultdict(list)
    task_streets: dict[int, list[str]] = defaultdict(list)
    for task_id, code in await db.execute(
        select(task_alliances.c.task_id, Alliance.code).join(Alliance, Alliance.id == task_alliances.c.alliance_id)
    ):
        codes[task_id].append(code)
    for task_id, community_id in await db.execute(select(task_communities.c.task_id, task_communities.c.community_id)):
        task_streets[task_id].append(streets[community_id])
    for r in rows:
        for b in slices(out, codes[r.id], [r.category], task_streets[r.id]):
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
        for b in slices(out, alliances, [category], [street]):
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
        for b in slices(out, [alliance], [category], [streets[community_id]]):
            b.orders[status] += 1


async def _tallies(db: AsyncSession) -> dict[int, list[int]]:
    """Confirmed places and attendance, counted sign-up by sign-up (not from the session's kept count)."""
    tallies: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for session_id, attended in await db.execute(
        select(Signup.session_id, Signup.attended).where(Signup.status == SignupStatus.CONFIRMED)
    ):
        tallies[session_id][0] += 1
        tallies[session_id][1] += bool(attended)
    return tallies


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
    tallies = await _tallies(db)
    for session_id, seats, community_id, org_id in sessions:
        confirmed, came = tallies[session_id]
        for b in slices(out, [org_alliance[org_id]], ["finance_education"], [streets[community_id]]):
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
    for task_id, street in await db.execute(
        select(task_communities.c.task_id, Street.name)
        .join(Community, Community.id == task_communities.c.community_id)
        .join(Street, Street.id == Community.street_id)
    ):
        task_streets[task_id].add(street)
    for category, org_id, score, task_id in rows:
        for b in slices(out, [org_alliance[org_id]], [category], task_streets[task_id]):
            b.projects_closed += 1
            b.score_sum += score or 0


async def _up_reviews(db: AsyncSession, out: Report, start: date, end: date) -> None:
    rows = await db.execute(
        select(UpReview.unit, UpReview.clarity, UpReview.timeliness, UpReview.fairness).where(
            UpReview.given_on >= start, UpReview.given_on <= end
        )
    )
    for unit, clarity, timeliness, fairness in rows:
        r = out.up_reviews[unit]
        r.given += 1
        r.clarity_sum += clarity
        r.timeliness_sum += timeliness
        r.fairness_sum += fairness

    # The scores shown are the year's published aggregate (the year the period ends in): each unit's earliest
    # 3·⌊n/3⌋ reviews by id, every unit of a kind together, none below three.
    out.reviews_year = end.year
    of_unit: dict[tuple[str, int | None, str], list[tuple[int, int, int]]] = defaultdict(list)
    year = await db.execute(
        select(
            UpReview.unit,
            UpReview.community_id,
            UpReview.posting_unit,
            UpReview.clarity,
            UpReview.timeliness,
            UpReview.fairness,
        )
        .where(UpReview.year == end.year)
        .order_by(UpReview.id)
    )
    for unit, community_id, posting_unit, clarity, timeliness, fairness in year:
        of_unit[(unit, community_id, posting_unit)].append((clarity, timeliness, fairness))
    for (unit, _, _), scores in of_unit.items():
        r = out.published_reviews[unit]
        for clarity, timeliness, fairness in scores[: len(scores) - len(scores) % 3]:
            r.given += 1
            r.clarity_sum += clarity
            r.timeliness_sum += timeliness
            r.fairness_sum += fairness


async def _points(db: AsyncSession, out: Report, lo: datetime, hi: datetime, org_alliance: dict[int, str]) -> None:
    """Entries counted in the period, by when they counted (their notice's end, or an objection's dismissal after)."""
    rows = await db.execute(
        select(PointEntry.organization_id, PointEntry.points, PointEntry.decided_at).where(
            PointEntry.status == PointStatus.COUNTED
        )
    )
    for organization_id, points, decided_at in rows:
        if not lo <= as_utc(decided_at) < hi:
            continue
        tallies = [out.points["organization" if organization_id is not None else "resident"]]
        if organization_id in org_alliance:
            tallies.append(out.points_by_alliance[org_alliance[organization_id]])
        for p in tallies:
            p.entries += 1
            p.points += points
            p.gained += max(points, 0)
            p.lost += min(points, 0)


def _month_of(at: datetime) -> date:
    return as_utc(at).astimezone(SHANGHAI).date().replace(day=1)


async def by_month(db: AsyncSession, start: date, end: date, *, now: datetime) -> list[MonthCounts]:
    """The report's tasks, needs and held classes month by month, counted row by row."""
    lo, hi = period_bounds(start, end)
    out = {m: MonthCounts(m) for m in months_between(start, end)}
    status = effective_status_sql(now).label("status")
    for posted_at, state, submitted, closed_at, deadline in await db.execute(
        select(Task.posted_at, status, Task.submitted_count, Task.closed_at, Task.claim_deadline).where(
            Task.posted_at.is_not(None), Task.posted_at >= lo, Task.posted_at < hi
        )
    ):
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
    tallies = await _tallies(db)
    for session_id, starts_at, seats in await db.execute(
        select(ClassSession.id, ClassSession.starts_at, ClassSession.seats).where(
            ClassSession.starts_at >= lo, ClassSession.starts_at < hi, ClassSession.starts_at <= now
        )
    ):
        c = out[_month_of(starts_at)].classes
        confirmed, came = tallies[session_id]
        c.held += 1
        c.seats += seats
        c.confirmed += confirmed
        c.attended += came
    return list(out.values())
