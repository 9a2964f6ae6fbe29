"""Awards (承榜) in public notice and the objections (异议) lodged against them."""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from market.kernel.db import Base
from market.states import AwardStatus, ObjectionStatus


class Award(Base):
    """The committee's choice of a proposal, in public notice (公示) until confirmed or revoked."""

    __tablename__ = "awards"
    __table_args__ = (
        # At most one award in notice or confirmed per task, whatever the requests race to do.
        Index(
            "uq_awards_one_standing_per_task",
            "task_id",
            unique=True,
            sqlite_where=text("status IN ('notice', 'confirmed')"),
            postgresql_where=text("status IN ('notice', 'confirmed')"),
        ),
        # Every request asks whether a notice period has run out (`market.flows.anything_due`): one index probe.
        Index("ix_awards_status_notice_ends", "status", "notice_ends_at"),
    )

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    status: Mapped[AwardStatus] = mapped_column(String(20), default=AwardStatus.NOTICE)
    rank_at_award: Mapped[int]
    # Required when the chosen proposal was not the top-ranked one still standing.
    reason: Mapped[str] = mapped_column(Text, default="")
    awarded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    awarded_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    notice_ends_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class Objection(Base):
    """An objection (异议) lodged during an award's notice period; anyone may lodge one."""

    __tablename__ = "objections"

    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    lodged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(50))
    contact: Mapped[str] = mapped_column(String(100))
    grounds: Mapped[str] = mapped_column(Text)
    status: Mapped[ObjectionStatus] = mapped_column(String(20), default=ObjectionStatus.OPEN, index=True)
    resolution: Mapped[str] = mapped_column(Text, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
