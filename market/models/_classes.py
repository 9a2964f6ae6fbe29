"""Finance-education night classes (金融夜校): sessions of a project, and residents' sign-ups."""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alliances.models import Community
from market.kernel.db import Base
from market.states import SignupStatus


class ClassSession(Base):
    """One night-class session: topic, place, time and a fixed number of seats."""

    __tablename__ = "class_sessions"
    __table_args__ = (
        CheckConstraint("seats >= 1 AND seats <= 1000", name="seats_range"),
        Index("ix_class_sessions_community_start", "community_id", "starts_at"),
        # The tick's purge finds the classes whose residents' numbers are due for erasure on this index alone.
        Index(
            "ix_class_sessions_numbers_held",
            "starts_at",
            sqlite_where=text("numbers_erased_at IS NULL"),
            postgresql_where=text("numbers_erased_at IS NULL"),
        ),
    )

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    topic: Mapped[str] = mapped_column(String(100))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    venue: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    seats: Mapped[int]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Kept with every sign-up change in the same transaction, under the session's row lock.
    confirmed_count: Mapped[int] = mapped_column(default=0)
    waitlist_count: Mapped[int] = mapped_column(default=0)
    # Confirmed places marked as attended, kept with each attendance change under the session's row lock, so the
    # statistics sum sessions rather than counting their sign-ups.
    attended_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # When the tick erased its residents' numbers (market/privacy.py: a set time after the class).
    numbers_erased_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    community: Mapped[Community] = relationship(lazy="joined")


class Signup(Base):
    """A resident's sign-up: confirmed, waitlisted in arrival order, or cancelled."""

    __tablename__ = "signups"
    __table_args__ = (
        # One live sign-up per mobile number per session, whatever the requests race to do (by the number's keyed
        # hash: the number itself is stored only sealed).
        Index(
            "uq_signups_live_phone_per_session",
            "session_id",
            "phone_hash",
            unique=True,
            sqlite_where=text("status <> 'cancelled'"),
            postgresql_where=text("status <> 'cancelled'"),
        ),
        Index("ix_signups_session_status", "session_id", "status", "id"),
        # A held class's attendance, counted by the statistics without reading the sign-ups themselves.
        Index("ix_signups_attendance", "session_id", "status", "attended"),
    )

    session_id: Mapped[int] = mapped_column(ForeignKey("class_sessions.id", ondelete="CASCADE"))
    # Empty once the resident erased their sign-up; reduced to its masked form (张**) when the numbers are purged.
    name: Mapped[str] = mapped_column(String(50))
    # The mobile number sealed with AES-GCM and its HMAC (market/privacy.py); both NULL once erased.
    phone_sealed: Mapped[str | None] = mapped_column(String(100))
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[SignupStatus] = mapped_column(String(20))
    # SHA-256 of the secret cancel token handed out once at sign-up.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    signed_up_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    promoted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    attended: Mapped[bool | None]
    # When the name and number were erased: by the resident, or by the purge after the class.
    erased_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    session: Mapped[ClassSession] = relationship(lazy="joined")
