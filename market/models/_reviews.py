"""Two-way review (双向点评), upwards: organisations and secretaries rate the units above them.

A row says which unit was rated, on what, and for which project or order, never by whom: the author is in the audit
entry alone, and the committee's audit view withholds it. The exact time is not kept either, only the local day
(statistics) and year (the published aggregates).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from market.kernel.db import Base

# The audit entity of an up-review: its entries' author is withheld wherever the committee reads the log.
UP_REVIEW = "up_review"


class ReviewedUnit(StrEnum):
    """Whom an up-review rates: the committee, a task's posting unit (发榜单位), or an ordering community."""

    COMMITTEE = "committee"
    POSTING_UNIT = "posting_unit"
    COMMUNITY = "community"


class UpReview(Base):
    """One rating of a unit above the reviewer: clarity, timeliness and fairness, 1–5 each, and a comment."""

    __tablename__ = "up_reviews"
    __table_args__ = (
        CheckConstraint("(project_id IS NULL) <> (order_id IS NULL)", name="one_subject"),
        CheckConstraint("clarity >= 1 AND clarity <= 5", name="clarity_range"),
        CheckConstraint("timeliness >= 1 AND timeliness <= 5", name="timeliness_range"),
        CheckConstraint("fairness >= 1 AND fairness <= 5", name="fairness_range"),
        # Once per reviewer per project or order: each unit has one reviewer there (the lead organisation; the
        # providing organisation or the ordering community), so the unit stands for the reviewer.
        UniqueConstraint("project_id", "unit", name="uq_up_reviews_once_per_project"),
        UniqueConstraint("order_id", "unit", name="uq_up_reviews_once_per_order"),
        # The yearly aggregates group by these.
        Index("ix_up_reviews_year_unit", "year", "unit", "community_id", "posting_unit"),
    )

    unit: Mapped[ReviewedUnit] = mapped_column(String(20))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"))
    posting_unit: Mapped[str] = mapped_column(String(100), default="")
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("service_orders.id"))
    clarity: Mapped[int]
    timeliness: Mapped[int]
    fairness: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    # Asia/Shanghai: the day for statistics, the year for the published aggregates.
    given_on: Mapped[date] = mapped_column(Date, index=True)
    year: Mapped[int]
