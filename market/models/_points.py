"""Participation points (积分制): the published rules in immutable versions, the entries they make, and objections.

An entry belongs to one holder: an organisation (`organization_id`) or a resident, known only by the keyed hash of
their mobile number (`resident_hash`, market/privacy.py) and their masked name. It cites the rules version that
valued it, and counts only once its public notice (公示) has ended with no objection upheld.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from market.kernel.db import Base
from market.states import ObjectionStatus, PointStatus

# Points one rule may give or take, either way.
MOST_POINTS: Final = 1000


class HolderKind(StrEnum):
    """Who a rule's points go to."""

    ORGANIZATION = "organization"
    RESIDENT = "resident"


class RuleCode(StrEnum):
    """What earns or costs points (the events that propose them name these)."""

    PROJECT_EXCELLENT = "project_excellent"
    PROJECT_GOOD = "project_good"
    PROJECT_PASS = "project_pass"  # noqa: S105 - the name of a rule, not a password
    PROJECT_FAIL = "project_fail"
    REPORT_ON_TIME = "report_on_time"
    ORDER_RATED_WELL = "order_rated_well"
    CLASS_ATTENDED = "class_attended"
    FEEDBACK_GIVEN = "feedback_given"


class PointRuleVersion(Base):
    """One version of the points rules, never changed once written; the current rules are the newest version."""

    __tablename__ = "point_rule_versions"
    __table_args__ = (CheckConstraint("version >= 1", name="version_positive"),)

    version: Mapped[int] = mapped_column(unique=True)
    # {rule code: points} for every RuleCode.
    points: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text, default="")
    # NULL for the built-in default, stored by the first entry that needed it.
    made_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    made_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))


class PointEntry(Base):
    """One proposed award or deduction of points, with its evidence and its place in the review cycle."""

    __tablename__ = "point_entries"
    __table_args__ = (
        CheckConstraint("(organization_id IS NULL) <> (resident_hash IS NULL)", name="one_holder"),
        # One automatic entry per earning event and rule, whatever the requests race to do (an attendance ticked,
        # unticked and ticked again proposes once).
        Index(
            "uq_point_entries_one_per_event",
            "source",
            "source_id",
            "rule_code",
            unique=True,
            sqlite_where=text("source <> 'manual'"),
            postgresql_where=text("source <> 'manual'"),
        ),
        # Every request asks whether a notice period has run out (`market.flows.anything_due`): one index probe.
        Index("ix_point_entries_status_notice_ends", "status", "notice_ends_at"),
        Index("ix_point_entries_org", "organization_id", "status", "id"),
        Index("ix_point_entries_resident", "resident_hash", "status", "id"),
        # The committee's queue, oldest first; the year's table sums counted entries by when they counted.
        Index("ix_point_entries_status_id", "status", "id"),
        Index("ix_point_entries_status_decided", "status", "decided_at"),
    )

    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    resident_hash: Mapped[str | None] = mapped_column(String(64))
    # The holder as the public may see them: an organisation's name, a resident's masked name (张**).
    holder_name: Mapped[str] = mapped_column(String(100))
    rule_code: Mapped[str] = mapped_column(String(40))
    rule_version_id: Mapped[int] = mapped_column(ForeignKey("point_rule_versions.id"))
    # What the rule gave when proposed, and what counts (changed only by an amendment, with its reason).
    proposed_points: Mapped[int]
    points: Mapped[int]
    status: Mapped[PointStatus] = mapped_column(String(20), default=PointStatus.PROPOSED)
    # What earned it: `signup`, `project`, `report`, `order`, or `manual` (a secretary's or organiser's proposal).
    source: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[int | None]
    evidence: Mapped[str] = mapped_column(Text, default="")
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    # The committee's amendment or rejection reason.
    review_reason: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    notice_ends_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class PointObjection(Base):
    """An objection (异议) to a posted entry, by its holder or anyone, during the notice period."""

    __tablename__ = "point_objections"

    entry_id: Mapped[int] = mapped_column(ForeignKey("point_entries.id"), index=True)
    lodged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(50))
    grounds: Mapped[str] = mapped_column(Text)
    status: Mapped[ObjectionStatus] = mapped_column(String(20), default=ObjectionStatus.OPEN, index=True)
    resolution: Mapped[str] = mapped_column(Text, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
