"""The statistics report."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from market.schemas._base import Schema
from market.services import stats


class TaskCounts(Schema):
    """发榜 / 揭榜 / 承榜 / 流榜: tasks posted in the period and how far they got."""

    posted: int
    claimed: int
    awarded: int
    unclaimed: int


class NeedCounts(Schema):
    """Needs raised in the period and where they stand now."""

    raised: int
    open: int
    matched: int
    resolved: int
    declined: int


class ClassCounts(Schema):
    """Night-class sessions held in the period."""

    held: int
    seats: int
    confirmed: int
    attended: int


class Breakdown(Schema):
    """One slice of the report."""

    tasks: TaskCounts
    needs: NeedCounts
    orders: dict[str, int]
    classes: ClassCounts
    projects_closed: int
    mean_final_score: Decimal | None

    @classmethod
    def of(cls, b: stats.Breakdown) -> Breakdown:
        """From the service's tally."""
        t, n, c = b.tasks, b.needs, b.classes
        return cls(
            tasks=TaskCounts(t.posted, t.claimed, t.awarded, t.unclaimed),
            needs=NeedCounts(n.raised, n.open, n.matched, n.resolved, n.declined),
            orders=dict(b.orders),
            classes=ClassCounts(c.held, c.seats, c.confirmed, c.attended),
            projects_closed=b.projects_closed,
            mean_final_score=b.mean_final_score,
        )


class ReviewScores(Schema):
    """Up-reviews (双向点评) of one kind of unit: how many were given in the period, and the scores published for
    `year` (the year the period ends in): each aspect's mean (1–5) over the kind's `published_count` counted
    reviews, the same ones the year's /up-reviews aggregates count; null below three. Never the period's own means,
    which would tell a single review."""

    given: int
    year: int
    published_count: int
    clarity: Decimal | None
    timeliness: Decimal | None
    fairness: Decimal | None

    @classmethod
    def of(cls, r: stats.ReviewCounts, year: int, p: stats.ReviewCounts) -> ReviewScores:
        """From the service's tally of the period (`r`) and the year's published aggregate (`p`)."""
        return cls(r.given, year, p.given, p.mean(p.clarity_sum), p.mean(p.timeliness_sum), p.mean(p.fairness_sum))


class PointTally(Schema):
    """Points entries (积分) that counted in the period (by the local day their notice ended): how many, their sum,
    and the sums gained and lost (lost ≤ 0)."""

    entries: int
    points: int
    gained: int
    lost: int

    @classmethod
    def of(cls, p: stats.PointCounts) -> PointTally:
        """From the service's tally."""
        return cls(p.entries, p.points, p.gained, p.lost)


class Stats(Schema):
    """A period's report: totals, and by alliance, category and street."""

    period_from: date
    period_to: date
    total: Breakdown
    by_alliance: dict[str, Breakdown]
    by_category: dict[str, Breakdown]
    by_street: dict[str, Breakdown]
    # By the kind of unit reviewed: committee, posting_unit, community.
    up_reviews: dict[str, ReviewScores]
    # Points counted, by the kind of holder (organization, resident), and organisations' by alliance.
    points: dict[str, PointTally]
    points_by_alliance: dict[str, PointTally]

    @classmethod
    def of(cls, r: stats.Report) -> Stats:
        """From the service's report."""
        return cls(
            period_from=r.start,
            period_to=r.end,
            total=Breakdown.of(r.total),
            by_alliance={k: Breakdown.of(v) for k, v in r.by_alliance.items()},
            by_category={k: Breakdown.of(v) for k, v in sorted(r.by_category.items())},
            by_street={k: Breakdown.of(v) for k, v in sorted(r.by_street.items())},
            up_reviews={k: ReviewScores.of(v, r.reviews_year, r.published_reviews[k]) for k, v in r.up_reviews.items()},
            points={k: PointTally.of(v) for k, v in r.points.items()},
            points_by_alliance={k: PointTally.of(v) for k, v in r.points_by_alliance.items()},
        )
