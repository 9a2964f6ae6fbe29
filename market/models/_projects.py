"""Projects (项目清单): the awarded work, its milestones, progress reports and residents' feedback."""

from __future__ import annotations

from datetime import date, datetime

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alliances.models import Organization
from market.kernel.db import Base
from market.states import ProjectStatus


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
