"""Two-way review (双向点评), upwards: who may rate which unit when, the rating itself, and the yearly aggregates.

When a project closes, its lead organisation rates the task's posting unit and the committee's handling; when an
order is delivered, the organisation that provided it rates the ordering community's cooperation and the ordering
secretary rates the committee's service. Each unit once per project or order, in one transaction, audited.

Anonymous to the reviewed unit: a review row holds no author (the audit entry does, and the committee's audit view
withholds it), and a unit's reviews are published only as a yearly aggregate once at least `MINIMUM` exist, over its
earliest reviews in whole steps of `MINIMUM` (a fourth and fifth review wait for the sixth, so comparing the page
before and after never tells one review's scores), the comments without author or date, sorted by their text so
their order tells nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Subquery, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from market.audit import record
from market.grading import Grade
from market.kernel.clock import SHANGHAI, local
from market.kernel.db import lock
from market.kernel.errors import Forbidden, NotFound, StateConflict
from market.models import UP_REVIEW, Community, Project, ReviewedUnit, Role, ServiceOrder, Task, UpReview, User
from market.schemas._reviews import UpReviewCreate
from market.services._projects import NO_PROJECT, mean_2dp
from market.services._resources._offerings import NO_ORDER, is_provider
from market.services._resources._orders import can_see, is_orderer
from market.services._tasks import lock_task
from market.states import OrderStatus, ProjectStatus

# A unit's reviews of a year are published only once this many exist, and then in steps of this many: fewer could
# be told apart, and so could the one review between two publications.
MINIMUM = 3
# Comments shown per unit and year (the first counted ones in text order); the counts and means cover all counted.
COMMENTS_SHOWN = 50
PROJECT_UNITS = (ReviewedUnit.POSTING_UNIT, ReviewedUnit.COMMITTEE)
REVIEWED_ORDER_STATES = (OrderStatus.DELIVERED, OrderStatus.RATED)


def _is_lead(viewer: User | None, project: Project) -> bool:
    return (
        viewer is not None
        and viewer.role == Role.ORG
        and viewer.organization_id is not None
        and viewer.organization_id == project.organization_id
    )


def project_units(viewer: User | None, project: Project) -> tuple[ReviewedUnit, ...]:
    """The units the viewer rates for this project once it is closed: the lead organisation rates the posting unit
    and the committee; nobody else rates anything."""
    return PROJECT_UNITS if _is_lead(viewer, project) else ()


def order_units(viewer: User | None, order: ServiceOrder) -> tuple[ReviewedUnit, ...]:
    """The units the viewer rates for this order once it is delivered: the ordering secretary the committee, the
    providing organisation (not the park) the community."""
    if is_orderer(viewer, order):
        return (ReviewedUnit.COMMITTEE,)
    if order.offering.organization_id is not None and is_provider(viewer, order.offering):
        return (ReviewedUnit.COMMUNITY,)
    return ()


async def _given(db: AsyncSession, *, project_id: int | None = None, order_id: int | None = None) -> set[ReviewedUnit]:
    where = UpReview.project_id == project_id if project_id is not None else UpReview.order_id == order_id
    return {ReviewedUnit(u) for u in (await db.scalars(select(UpReview.unit).where(where))).all()}


@dataclass(frozen=True, slots=True)
class Due:
    """What the viewer may rate here now, and what the viewer's side has rated here already; `named` is the posting
    unit's or the community's name, for a page to say whom a rating is of."""

    due: list[ReviewedUnit]
    given: list[ReviewedUnit]
    named: str = ""


async def due_on_project(db: AsyncSession, viewer: User | None, project: Project) -> Due:
    """The units the viewer may rate for the project now (each write asks again)."""
    mine = project_units(viewer, project)
    if not mine:
        return Due([], [])
    given = await _given(db, project_id=project.id)
    closed = project.status == ProjectStatus.CLOSED
    named = await db.scalar(select(Task.posting_unit).where(Task.id == project.task_id)) or ""
    return Due([u for u in mine if closed and u not in given], [u for u in mine if u in given], named)


async def due_on_order(db: AsyncSession, viewer: User | None, order: ServiceOrder) -> Due:
    """The units the viewer may rate for the order now (each write asks again)."""
    mine = order_units(viewer, order)
    if not mine:
        return Due([], [])
    given = await _given(db, order_id=order.id)
    delivered = order.status in REVIEWED_ORDER_STATES
    return Due([u for u in mine if delivered and u not in given], [u for u in mine if u in given], order.community.name)


def _check_unit(unit: ReviewedUnit, reviewers: tuple[ReviewedUnit, ...]) -> None:
    # A unit nobody rates here and one somebody else rates are refused alike: not the viewer's to rate.
    if unit not in reviewers:
        raise Forbidden("error.up_review_not_yours")


async def _write(
    db: AsyncSession, review: UpReview, *, actor: User, now: datetime, subject: dict[str, int]
) -> UpReview:
    db.add(review)
    await db.flush()
    # The author is the entry's actor, as for every change; the committee's audit view withholds it (UP_REVIEW).
    await record(
        db,
        at=now,
        actor=actor,
        entity=UP_REVIEW,
        entity_id=review.id,
        action="give",
        after=review.unit,
        data={
            "unit": review.unit,
            **subject,
            "clarity": review.clarity,
            "timeliness": review.timeliness,
            "fairness": review.fairness,
        },
    )
    return review


def _review(data: UpReviewCreate, now: datetime, **where: object) -> UpReview:
    day = local(now).date()
    return UpReview(
        unit=data.unit,
        clarity=data.clarity,
        timeliness=data.timeliness,
        fairness=data.fairness,
        comment=data.comment.strip(),
        given_on=day,
        year=day.year,
        **where,
    )


async def review_project(
    db: AsyncSession, project_id: int, data: UpReviewCreate, *, actor: User, now: datetime
) -> UpReview:
    """The lead organisation of a closed project rates its posting unit or the committee's handling, once each."""
    found = await db.get(Project, project_id)
    if found is None:
        raise NotFound(NO_PROJECT)
    task = await lock_task(db, found.task_id, now)
    project = (
        await db.scalars(select(Project).where(Project.id == project_id).execution_options(populate_existing=True))
    ).one()
    _check_unit(data.unit, project_units(actor, project))
    if project.status != ProjectStatus.CLOSED:
        raise StateConflict("error.up_review_not_due_project")
    if data.unit in await _given(db, project_id=project.id):
        raise StateConflict("error.up_review_given")
    posting_unit = task.posting_unit if data.unit == ReviewedUnit.POSTING_UNIT else ""
    review = _review(data, now, project_id=project.id, posting_unit=posting_unit)
    return await _write(db, review, actor=actor, now=now, subject={"project": project.id})


async def review_order(
    db: AsyncSession, order_id: int, data: UpReviewCreate, *, actor: User, now: datetime
) -> UpReview:
    """The ordering secretary rates the committee's service, the providing organisation the community's
    cooperation, once each, when the order has been delivered."""
    order = await lock(db, ServiceOrder, order_id)
    if order is None or not can_see(actor, order):
        raise NotFound(NO_ORDER)
    _check_unit(data.unit, order_units(actor, order))
    if order.status not in REVIEWED_ORDER_STATES:
        raise StateConflict("error.up_review_not_due_order")
    if data.unit in await _given(db, order_id=order.id):
        raise StateConflict("error.up_review_given")
    community_id = order.community_id if data.unit == ReviewedUnit.COMMUNITY else None
    review = _review(data, now, order_id=order.id, community_id=community_id)
    return await _write(db, review, actor=actor, now=now, subject={"order": order.id})


# Reads: the published aggregates ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Aggregate:
    """A unit's reviews in a year: how many, each aspect's mean, and comments in text order."""

    unit: ReviewedUnit
    community_id: int | None
    community_name: str
    posting_unit: str
    year: int
    count: int
    clarity: Decimal
    timeliness: Decimal
    fairness: Decimal
    comments: list[str]


def _mean(total: int, count: int) -> Decimal:
    return mean_2dp(total, count) or Decimal(0)


def _counted(year: int, unit: ReviewedUnit | None) -> Subquery:
    """The year's reviews (of one kind if `unit`) that the aggregates count: each unit's earliest 3·⌊n/3⌋ by id, so
    a published aggregate moves only in steps of `MINIMUM` reviews and comparing two of them never isolates one."""
    community_key = func.coalesce(UpReview.community_id, 0)
    key = (UpReview.unit, community_key, UpReview.posting_unit)
    conds = [UpReview.year == year]
    if unit is not None:
        conds.append(UpReview.unit == unit)
    numbered = (
        select(
            UpReview.unit.label("unit"),
            community_key.label("community_key"),
            UpReview.posting_unit.label("posting_unit"),
            UpReview.id.label("id"),
            UpReview.clarity.label("clarity"),
            UpReview.timeliness.label("timeliness"),
            UpReview.fairness.label("fairness"),
            UpReview.comment.label("comment"),
            func.row_number().over(partition_by=key, order_by=UpReview.id).label("place"),
            func.count().over(partition_by=key).label("given"),
        )
        .where(*conds)
        .subquery()
    )
    return select(numbered).where(numbered.c.place <= numbered.c.given - numbered.c.given % MINIMUM).subquery()


async def aggregates(db: AsyncSession, year: int, *, unit: ReviewedUnit | None = None) -> list[Aggregate]:
    """Each unit's aggregate for the year, for units with at least `MINIMUM` reviews (of one kind if `unit`), over
    its earliest reviews in whole steps of `MINIMUM` (`_counted`), in two statements however many reviews there
    are: the sums per unit, then the comments of the counted reviews of the published units."""
    counted = _counted(year, unit)
    key = (counted.c.unit, counted.c.community_key, counted.c.posting_unit)
    sums = (
        select(
            *key,
            func.count().label("n"),
            func.sum(counted.c.clarity).label("clarity"),
            func.sum(counted.c.timeliness).label("timeliness"),
            func.sum(counted.c.fairness).label("fairness"),
        )
        .group_by(*key)
        .having(func.count() >= MINIMUM)
        .subquery()
    )
    rows = (
        await db.execute(
            select(sums, Community.name)
            .outerjoin(Community, Community.id == sums.c.community_key)
            .order_by(sums.c.unit, Community.name, sums.c.posting_unit)
        )
    ).all()
    if not rows:
        return []
    published = [(r.unit, r.community_key, r.posting_unit) for r in rows]
    ranked = (
        select(
            *key,
            counted.c.comment,
            func.row_number().over(partition_by=key, order_by=(counted.c.comment, counted.c.id)).label("place"),
        )
        .where(counted.c.comment != "", tuple_(*key).in_(published))
        .subquery()
    )
    comments: dict[tuple[str, int, str], list[str]] = defaultdict(list)
    found = await db.execute(
        select(ranked.c.unit, ranked.c.community_key, ranked.c.posting_unit, ranked.c.comment).where(
            ranked.c.place <= COMMENTS_SHOWN
        )
    )
    for u, community_id, posting_unit, comment in found:
        comments[(u, community_id, posting_unit)].append(comment)
    return [
        Aggregate(
            unit=ReviewedUnit(r.unit),
            community_id=r.community_key or None,
            community_name=r.name or "",
            posting_unit=r.posting_unit,
            year=year,
            count=int(r.n),
            clarity=_mean(int(r.clarity), int(r.n)),
            timeliness=_mean(int(r.timeliness), int(r.n)),
            fairness=_mean(int(r.fairness), int(r.n)),
            # Text order: the order they were given in would point at who gave them.
            comments=sorted(comments[(r.unit, r.community_key, r.posting_unit)]),
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class KindTotals:
    """One kind of unit's published reviews of a year combined: every published unit's counted reviews (`_counted`)
    together, how many and each aspect's sum; what the statistics show as the kind's scores."""

    count: int = 0
    clarity: int = 0
    timeliness: int = 0
    fairness: int = 0


async def published_by_kind(db: AsyncSession, year: int) -> dict[ReviewedUnit, KindTotals]:
    """Each kind's published reviews of the year combined, in one statement: the same counted reviews `aggregates`
    publishes unit by unit (a unit's earliest 3·⌊n/3⌋, so one with fewer than `MINIMUM` counts none), every kind
    named."""
    counted = _counted(year, None)
    rows = await db.execute(
        select(
            counted.c.unit,
            func.count(),
            func.sum(counted.c.clarity),
            func.sum(counted.c.timeliness),
            func.sum(counted.c.fairness),
        ).group_by(counted.c.unit)
    )
    out = {u: KindTotals() for u in ReviewedUnit}
    for u, n, clarity, timeliness, fairness in rows:
        out[ReviewedUnit(u)] = KindTotals(int(n), int(clarity or 0), int(timeliness or 0), int(fairness or 0))
    return out


async def given_by_day(db: AsyncSession, first: date, last: date) -> list[tuple[date, int]]:
    """How many up-reviews were given on each local day from `first` to `last`, newest first, days without any left
    out: what the committee's audit view shows in place of their entries (one statement on the indexed day)."""
    rows = await db.execute(
        select(UpReview.given_on, func.count())
        .where(UpReview.given_on >= first, UpReview.given_on <= last)
        .group_by(UpReview.given_on)
        .order_by(UpReview.given_on.desc())
    )
    return [(day, int(n)) for day, n in rows]


@dataclass(frozen=True, slots=True)
class DownReviews:
    """What the committee and the secretaries gave downwards in a year, to set beside what came up: final grades of
    the projects closed in it, and the ratings of the orders placed in it."""

    grades: dict[str, int]
    orders_rated: int
    order_rating_mean: Decimal | None


async def down_reviews(db: AsyncSession, year: int) -> DownReviews:
    """The year's grades and order ratings, in two statements on the indexed times."""
    start = datetime(year, 1, 1, tzinfo=SHANGHAI)
    end = datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
    graded = await db.execute(
        select(Project.grade, func.count())
        .where(Project.closed_at >= start, Project.closed_at < end, Project.grade.is_not(None))
        .group_by(Project.grade)
    )
    grades = {g.value: 0 for g in Grade}
    for grade, count in graded:
        grades[str(grade)] = int(count)
    rated, total = (
        await db.execute(
            select(func.count(ServiceOrder.rating), func.coalesce(func.sum(ServiceOrder.rating), 0)).where(
                ServiceOrder.ordered_at >= start, ServiceOrder.ordered_at < end
            )
        )
    ).one()
    return DownReviews(grades, int(rated or 0), mean_2dp(int(total or 0), int(rated or 0)))
