"""The need list (需求清单); the resource and project lists build on it."""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from market.kernel.db import Base
from market.states import NeedStatus


class Need(Base):
    """A need raised by a secretary for their community, or by an organisation for itself."""

    __tablename__ = "needs"
    __table_args__ = (
        CheckConstraint("community_id IS NOT NULL OR organization_id IS NOT NULL", name="has_owner"),
        # The need list, newest first, read backwards along the index (see ix_tasks_browse).
        Index("ix_needs_raised", "raised_at", "id"),
    )

    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(30), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[NeedStatus] = mapped_column(String(20), default=NeedStatus.OPEN, index=True)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    raised_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
