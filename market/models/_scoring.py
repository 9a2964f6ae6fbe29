"""Scoring (评审): a task's evaluation panel and its members' marks for each proposal."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from market.kernel.db import Base


class PanelMember(Base):
    """A seat on a task's evaluation panel."""

    __tablename__ = "panel_members"
    __table_args__ = (UniqueConstraint("task_id", "user_id"),)

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)


class Score(Base):
    """One panel member's marks for one proposal, in integer tenths per criterion."""

    __tablename__ = "scores"
    __table_args__ = (
        UniqueConstraint("proposal_id", "user_id"),
        CheckConstraint("total_tenths >= 0 AND total_tenths <= 1000", name="total_range"),
    )

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    marks_tenths: Mapped[dict[str, Any]] = mapped_column(JSON)
    total_tenths: Mapped[int]
