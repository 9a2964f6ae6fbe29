"""The committee's watch list (活动异常名录): an organisation on it may not claim until the committee lifts it.

A 不合格 grade also bars claims for a while, but that bar is read from the project's grade and the moment it was
given (`market.services._bars`), so it needs no table of its own.
"""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import CheckConstraint, ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from market.kernel.db import Base


class WatchEntry(Base):
    """One stay of an organisation on the watch list: placed with a reason, lifted (or not yet) with a reason."""

    __tablename__ = "watch_entries"
    __table_args__ = (
        # At most one open entry per organisation, whoever places it and however many place it at once.
        Index(
            "uq_watch_entries_open_per_org",
            "organization_id",
            unique=True,
            sqlite_where=text("lifted_at IS NULL"),
            postgresql_where=text("lifted_at IS NULL"),
        ),
        CheckConstraint("lifted_at IS NULL OR lifted_at >= placed_at", name="lifted_after_placed"),
    )

    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    placed_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    placed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    lifted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lift_reason: Mapped[str] = mapped_column(Text, default="")
