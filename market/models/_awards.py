"""Awards (承榜) in public notice, objections, and the projects that follow."""

from __future__ import annotations

from datetime import date, datetime

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alliances.models import Organization
from market.kernel.db import Base
from market.states import AwardStatus, ObjectionStatus, ProjectStatus


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


class Project(Base):
    """The awarded work, tracked to the end (项目清单)."""

    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint("final_score IS NULL OR (final_score >= 0 AND final_score <= 100)", name="score"),
        # The project list, newest first, read backwards along the index (see ix_tasks_browse).
        Index("ix_projects_started", "started_at", "id"),
    )

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), unique=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), unique=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(30), index=True)
    budget_fen: Mapped[int]
    status: Mapped[ProjectStatus] = mapped_column(String(20), default=ProjectStatus.IN_PROGRESS, index=True)
    started_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), index=True)  # statistics by period
    final_score: Mapped[int | None]
    grade: Mapped[str | None] = mapped_column(String(20))
    evaluation: Mapped[str] = mapped_column(Text, default="")
    evaluated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    organization: Mapped[Organization] = relationship(lazy="joined")
    milestones: Mapped[list[Milestone]] = relationship(order_by="Milestone.due_on", lazy="selectin")


class Milestone(Base):
    """A planned step of a project."""

    __tablename__ = "milestones"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    due_on: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)


class ProgressReport(Base):
    """A progress report (进展) from the organisation doing the work."""

    __tablename__ = "progress_reports"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestones.id"))
    body: Mapped[str] = mapped_column(Text)
    percent_complete: Mapped[int] = mapped_column(default=0)
    reported_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))


class Feedback(Base):
    """A resident's rating of a project (1–5)."""

    __tablename__ = "feedback"
    __table_args__ = (CheckConstraint("rating >= 1 AND rating <= 5", name="rating_range"),)

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    name: Mapped[str] = mapped_column(String(50), default="")
    given_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
