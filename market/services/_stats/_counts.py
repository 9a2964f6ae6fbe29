"""What the statistics count (tasks, needs, orders, classes, projects per slice) and the SQL pieces that count it.

Every row of a report statement is (kind, dim, key, n0…): one slice's counts of one kind of thing, padded to the
widest kind, so that the slices of every kind come back in one statement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal_column,
    not_,
    select,
)
from sqlalchemy.orm import QueryableAttribute

from alliances.models import Community, Organization
from market.kernel.clock import SHANGHAI
from market.models import (
    ClassSession,
    Need,
    Offering,
    PointEntry,
    ReviewedUnit,
    ServiceOrder,
    Task,
    UpReview,
)
from market.models._points import HolderKind
from market.models._stats import STATS_WIDTH
from market.services._tasks import proposals_sealed_sql
from market.states import NeedStatus, OrderStatus, PointStatus, TaskStatus

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
class ReviewCounts:
    """Up-reviews (双向点评) of one kind of unit given in the period: how many, and each aspect's sum."""

    given: int = 0
    clarity_sum: int = 0
    timeliness_sum: int = 0
    fairness_sum: int = 0

    def mean(self, total: int) -> Decimal | None:
        """An aspect's mean over the reviews given, half-up to 2 decimals."""
        if not self.given:
            return None
        return (Decimal(total) / self.given).quantize(Decimal("0.01"), ROUND_HALF_UP)


def no_reviews() -> dict[str, ReviewCounts]:
    """Every kind of unit, none reviewed yet: the report always names all three."""
    return {u.value: ReviewCounts() for u in ReviewedUnit}


@dataclass
class PointCounts:
    """Points entries (积分) that counted in the period: how many, their sum, and the sums gained and lost (≤ 0)."""

    entries: int = 0
    points: int = 0
    gained: int = 0
    lost: int = 0


def no_points() -> dict[str, PointCounts]:
    """Both kinds of holder, nothing counted yet: the report always names both."""
    return {h.value: PointCounts() for h in HolderKind}


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
    # Up-reviews by the kind of unit reviewed; counted for the district only (no category, alliance or street).
    up_reviews: dict[str, ReviewCounts] = field(default_factory=no_reviews)
    # Up-reviews' scores are never the period's (one day of one committee review would be that review): they are the
    # published yearly aggregate of the year the period ends in, each kind's published units' counted reviews
    # combined (market.services._reviews.published_by_kind), empty below three.
    reviews_year: int = 0
    published_reviews: dict[str, ReviewCounts] = field(default_factory=no_reviews)
    # Points counted in the period (by the local day their notice ended), by the kind of holder, and organisations'
    # by their alliance (every alliance named; an organisation in none is in the holders' figure only).
    points: dict[str, PointCounts] = field(default_factory=no_points)
    points_by_alliance: dict[str, PointCounts] = field(default_factory=lambda: defaultdict(PointCounts))


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Inclusive local (Asia/Shanghai) dates as a half-open UTC interval."""
    return datetime.combine(start, time.min, SHANGHAI), datetime.combine(end + timedelta(days=1), time.min, SHANGHAI)


def default_period(now: datetime) -> tuple[date, date]:
    """The 365 days ending today, local time."""
    today = now.astimezone(SHANGHAI).date()
    return today - timedelta(days=364), today


# Every row of a report statement is (kind, dim, key, n0…): one slice's counts of one kind of thing, padded to the
# widest kind (an order's count per state) so that the slices of every kind come back in one statement.
WIDTH = STATS_WIDTH  # the widest kind: max(len(OrderStatus), 1 + len(NeedStatus), 4)
TASKS, NEEDS, ORDERS, CLASSES, PROJECTS, ALLIANCES = "tasks", "needs", "orders", "classes", "projects", "alliances"
STREETS = "streets"
UP_REVIEWS, BY_UNIT = "up_reviews", "unit"  # up-reviews are sliced by the kind of unit reviewed alone
POINTS, BY_HOLDER = "points", "holder"  # points by the kind of holder, and organisations' by alliance id
BY_CATEGORY, BY_ALLIANCE, BY_STREET = "category", "alliance", "street"
# The rollup's slices name alliances and streets by id (as text, '' for none), so that a renamed street stays in step.
BY_ALLIANCE_ID, BY_STREET_ID = "alliance_id", "street_id"
# What the daily rollup keeps. Classes are counted live: each sign-up moves a session's confirmed places, and the
# sign-up burst should not queue on a rollup row; a year of held sessions is one indexed range.
ROLLED = (TASKS, NEEDS, ORDERS, PROJECTS, UP_REVIEWS, POINTS)
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


def _month_after(day: date) -> date:
    """The first day of the month after `day`'s."""
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def today_starts(now: datetime) -> datetime:
    """The start of today, local time: the rollup is read for the days before it, the rows from it on."""
    return datetime.combine(now.astimezone(SHANGHAI).date(), time.min, SHANGHAI)


def _rolled_until(end: date, today: datetime) -> date:
    """The day after the last the rollup is read for: the period's last, or yesterday."""
    return min(end + timedelta(days=1), today.date())


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


def _add_counts(c: ReviewCounts | PointCounts, n: list[int]) -> None:
    """Add one aggregated row's counts to up-reviews' or points' figures, field by field in their order (a row is
    padded to WIDTH; the rest is not theirs)."""
    for f, count in zip(fields(c), n, strict=False):
        setattr(c, f.name, getattr(c, f.name) + count)


def _placed_points(*columns: Column) -> Select[Any]:
    """Counted points entries with `columns` of them and of their organisation (Organization.alliance_id)."""
    return (
        select(*columns)
        .select_from(PointEntry)
        .outerjoin(Organization, Organization.id == PointEntry.organization_id)
        .where(PointEntry.status == PointStatus.COUNTED.value)
    )


def holder_sql() -> ColumnElement[str]:
    """The kind of an entry's holder, in SQL (constants inline, so that GROUP BY can repeat it)."""
    return case(
        (PointEntry.organization_id.is_not(None), literal_column(f"'{HolderKind.ORGANIZATION.value}'")),
        else_=literal_column(f"'{HolderKind.RESIDENT.value}'"),
    )


def _point_counts(points: Column) -> list[ColumnElement[Any]]:
    """Entries, their sum, the sum gained and the sum lost."""
    return [
        func.count(),
        func.sum(points),
        func.sum(case((points > 0, points), else_=0)),
        func.sum(case((points < 0, points), else_=0)),
    ]


def _review_counts() -> list[ColumnElement[Any]]:
    """Up-reviews given and each aspect's sum (ReviewCounts' fields, in order)."""
    return [func.count(), func.sum(UpReview.clarity), func.sum(UpReview.timeliness), func.sum(UpReview.fairness)]


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
