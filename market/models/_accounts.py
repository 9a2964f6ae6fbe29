"""Accounts, server-side sessions and the inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from advanced_alchemy.extensions.litestar.session import SessionModelMixin
from advanced_alchemy.extensions.litestar.store import StoreModelMixin
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alliances.models import Community, Organization
from market.kernel.db import Base, metadata
from market.kernel.guards import Role


class User(Base):
    """An account created by the committee."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role <> 'secretary' OR community_id IS NOT NULL", name="secretary_has_community"),
        CheckConstraint("role <> 'org' OR organization_id IS NOT NULL", name="org_member_has_organization"),
    )

    username: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(String(20), index=True)
    display_name: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Set by a committee reset: the owner's pages send them to change the temporary password first.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())

    organization: Mapped[Organization | None] = relationship(lazy="joined")
    community: Mapped[Community | None] = relationship(lazy="joined")


class UserSession(SessionModelMixin):
    """A signed-in browser or API client (server-side, so any worker can read it and logout really ends it)."""

    __tablename__ = "user_sessions"


class KeyValue(StoreModelMixin):
    """Litestar's key-value store in the database (login rate limits shared by every worker)."""

    __tablename__ = "kv_store"


class Notification(Base):
    """One item in a user's inbox: a message key and its parameters, rendered per reader (`market.notify`)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(60))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(200), default="")
    read_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


# Sign-in attempts counted per account name and per client address in fixed windows (market/throttle.py). A plain
# table, not a mapped class: it is only ever changed by one INSERT … ON CONFLICT DO UPDATE statement per count.
login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("window_start", DateTimeUTC(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False),
    CheckConstraint("attempts >= 0", name="attempts_not_negative"),
)
