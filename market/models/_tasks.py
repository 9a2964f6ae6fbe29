"""Tasks (榜单), their questions and amendments."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    case,
    false,
    literal,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alliances.models import Alliance, Community, ServiceCategory
from market.kernel.db import Base, metadata
from market.states import TaskStatus


class FundingMode(StrEnum):
    """How the awarded work is paid for."""

    SERVICE_PURCHASE = "service_purchase"  # 政府购买服务
    PROJECT_FUND = "project_fund"  # 项目资金
    ACTIVITY_SUBSIDY = "activity_subsidy"  # 活动经费补贴


task_alliances = Table(
    "task_alliances",
    metadata,
    Column("task_id", ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("alliance_id", ForeignKey("alliances.id"), primary_key=True, index=True),
)

task_communities = Table(
    "task_communities",
    metadata,
    Column("task_id", ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("community_id", ForeignKey("communities.id"), primary_key=True, index=True),
)

task_needs = Table(
    "task_needs",
    metadata,
    Column("task_id", ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("need_id", ForeignKey("needs.id"), primary_key=True, index=True),
)


class Task(Base):
    """A problem the committee posts for organisations to claim."""

    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint("budget_fen > 0", name="budget_positive"),
        Index("ix_tasks_status_deadline", "status", "claim_deadline"),
        # The board, newest first: read backwards, each is the order of the browse query with no filter, a
        # category filter or a status filter, so a page (page 500 included) is a range of the index, never a sort.
        Index("ix_tasks_browse", "posted_at", "id"),
        Index("ix_tasks_category_browse", "category", "posted_at", "id"),
        Index("ix_tasks_status_browse", "status", "posted_at", "id"),
    )

    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[ServiceCategory] = mapped_column(String(30))
    posting_unit: Mapped[str] = mapped_column(String(100))
    budget_fen: Mapped[int]
    funding_mode: Mapped[FundingMode] = mapped_column(String(30))
    claim_deadline: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    allow_joint: Mapped[bool] = mapped_column(default=False)
    # [{"name": "专业能力", "maximum": 30}, …]; validated by market.scoring.validate_rubric.
    rubric: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    status: Mapped[TaskStatus] = mapped_column(String(20), default=TaskStatus.DRAFT, index=True)
    posted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reposted_from_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    # Kept in the same transaction as every submit/withdraw, so lists can show claims without a join.
    submitted_count: Mapped[int] = mapped_column(default=0)
    # Whether the award dossier names the panel's members; by default they are 评委A, 评委B…
    panel_named: Mapped[bool] = mapped_column(default=False, server_default=false())

    alliances: Mapped[list[Alliance]] = relationship(secondary=task_alliances, order_by="Alliance.position")
    communities: Mapped[list[Community]] = relationship(secondary=task_communities, order_by="Community.id")


def past_deadline(now: datetime) -> ColumnElement[bool]:
    """A task still stored as posted whose claim deadline has passed: time has moved it on (to review or unclaimed)."""
    return and_(Task.status == TaskStatus.POSTED, Task.claim_deadline <= now)


def effective_status_sql(now: datetime) -> ColumnElement[str]:
    """`market.states.effective_task_status` as SQL, so queries filter, count and join on what readers see."""
    due = past_deadline(now)
    return case(
        (and_(due, Task.submitted_count > 0), literal(TaskStatus.REVIEWING.value)),
        (due, literal(TaskStatus.UNCLAIMED.value)),
        else_=Task.status,
    )


def effective_status_is(status: TaskStatus, now: datetime) -> ColumnElement[bool]:
    """`effective_status_sql(now) == status`, written so that the planner can estimate it and use the status indexes:
    only a posted task past its deadline reads as another status."""
    due = past_deadline(now)
    if status is TaskStatus.POSTED:
        return and_(Task.status == TaskStatus.POSTED, Task.claim_deadline > now)
    if status is TaskStatus.REVIEWING:
        return or_(Task.status == status, and_(due, Task.submitted_count > 0))
    if status is TaskStatus.UNCLAIMED:
        return or_(Task.status == status, and_(due, Task.submitted_count <= 0))
    return Task.status == status


class TaskQuestion(Base):
    """A public question (答疑) on a posted task; the asker is never shown."""

    __tablename__ = "task_questions"

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class TaskAmendment(Base):
    """A recorded change to a posted task's terms (变更公告)."""

    __tablename__ = "task_amendments"
    __table_args__ = (UniqueConstraint("task_id", "number"),)

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    # {"field": {"before": …, "after": …}, …}
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Whether it touched budget, rubric, alliances or deadline and so sent submitted proposals back to draft.
    material: Mapped[bool] = mapped_column(default=False)
    made_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    made_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
