"""Up-reviews (双向点评) as the API takes and gives them: a review given, and the yearly aggregates per unit."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from msgspec import Meta

from market.kernel.text import TEXT
from market.models import ReviewedUnit
from market.schemas._base import Schema

Score = Annotated[int, Meta(ge=1, le=5)]
Comment = Annotated[str, Meta(max_length=2_000, pattern=TEXT)]


class UpReviewCreate(Schema):
    """A rating of a unit above the reviewer: clarity (of the task or request), timeliness (of decisions and
    payments, or of the cooperation) and fairness, 1 to 5 each, with an optional comment."""

    unit: ReviewedUnit
    clarity: Score
    timeliness: Score
    fairness: Score
    comment: Comment = ""


class UpReviewGiven(Schema):
    """The review as stored: which unit, which scores; no author, no time."""

    unit: ReviewedUnit
    clarity: int
    timeliness: int
    fairness: int
    comment: str


class UpReviewsDue(Schema):
    """The units the viewer may still rate here, and those already rated (by the viewer's organisation or
    community)."""

    due: list[ReviewedUnit]
    given: list[ReviewedUnit]


class UnitAggregate(Schema):
    """A unit's up-reviews in one year: how many, each aspect's mean (2 decimals, half up) and the comments, sorted
    by their text, without author or date. Published only once `minimum` reviews exist."""

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


class UpReviewYear(Schema):
    """Every unit's published aggregate for a year; units with fewer than `minimum` reviews are left out."""

    year: int
    minimum: int
    units: list[UnitAggregate]
