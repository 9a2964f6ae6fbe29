"""The resource list (服务资源库), ordering (点单) and ordering meetings (点单会)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, CheckConstraint, Column, Date, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alliances.models import Community, Organization
from market.kernel.db import Base, metadata
from market.states import OrderStatus


class ResourceCategory(StrEnum):
    """What a service in the resource list offers: the park's five kinds, or a field of community service."""

    CAPACITY_TRAINING = "capacity_training"  # 能力培训
    INFORMATION_SHARING = "information_sharing"  # 信息共享
    VENUE = "venue"  # 场地支持
    STARTUP_SUPPORT = "startup_support"  # 创业扶持
    PARTY_BUILDING = "party_building"  # 党建指导
    ELDERLY_CARE = "elderly_care"
    MENTAL_HEALTH = "mental_health"
    LEGAL_AID = "legal_aid"
    FINANCE_EDUCATION = "finance_education"
    CULTURE = "culture"
    CHILDREN = "children"
    ENVIRONMENT = "environment"
    OTHER = "other"


class Offering(Base):
    """A service in the resource list, offered by the park (organization_id NULL) or by an organisation."""

    __tablename__ = "offerings"
    __table_args__ = (CheckConstraint("monthly_capacity >= 1 AND monthly_capacity <= 10000", name="capacity_range"),)

    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[ResourceCategory] = mapped_column(String(30), index=True)
    target_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    monthly_capacity: Mapped[int]
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    organization: Mapped[Organization | None] = relationship(lazy="joined")


meeting_offerings = Table(
    "meeting_offerings",
    metadata,
    Column("meeting_id", ForeignKey("ordering_meetings.id", ondelete="CASCADE"), primary_key=True),
    Column("offering_id", ForeignKey("offerings.id"), primary_key=True, index=True),
)


class OrderingMeeting(Base):
    """A secretaries' ordering meeting (社区书记点单会) where chosen offerings are presented (路演)."""

    __tablename__ = "ordering_meetings"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="window"),)

    title: Mapped[str] = mapped_column(String(100))
    place: Mapped[str] = mapped_column(String(100), default="")
    starts_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    offerings: Mapped[list[Offering]] = relationship(secondary=meeting_offerings, order_by="Offering.id")


class ServiceOrder(Base):
    """A secretary's order (点单) of a service for their community, in a given month."""

    __tablename__ = "service_orders"
    __table_args__ = (
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),
        Index("ix_service_orders_capacity", "offering_id", "service_month", "status"),
    )

    offering_id: Mapped[int] = mapped_column(ForeignKey("offerings.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    ordered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("ordering_meetings.id"), index=True)
    # First day of the calendar month the service is wanted in; capacity is counted per month.
    service_month: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[OrderStatus] = mapped_column(String(20), default=OrderStatus.REQUESTED)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    rating: Mapped[int | None]
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    ordered_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)  # statistics by period
    decided_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    offering: Mapped[Offering] = relationship(lazy="joined")
    community: Mapped[Community] = relationship(lazy="joined")
