"""Alliances, organisations, the chair rotation, streets and communities."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.kernel.db import Base


class ServiceCategory(StrEnum):
    """What kind of community service a task, offering or organisation is about."""

    ELDERLY_CARE = "elderly_care"
    MENTAL_HEALTH = "mental_health"
    LEGAL_AID = "legal_aid"
    FINANCE_EDUCATION = "finance_education"
    CULTURE = "culture"
    CHILDREN = "children"
    ENVIRONMENT = "environment"
    OTHER = "other"


class OrgStatus(StrEnum):
    """Whether an organisation may act in the marketplace."""

    ACTIVE = "active"
    SUSPENDED = "suspended"


class ApplicationStatus(StrEnum):
    """A public application to join the park's register."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Alliance(Base):
    """One of the four alliances (联盟), led by a district unit."""

    __tablename__ = "alliances"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    leading_unit: Mapped[str] = mapped_column(String(50))
    position: Mapped[int] = mapped_column(default=0)


class Street(Base):
    """A street (街道) of the district."""

    __tablename__ = "streets"

    name: Mapped[str] = mapped_column(String(50), unique=True)
    communities: Mapped[list[Community]] = relationship(back_populates="street", order_by="Community.id")


class Community(Base):
    """A community (社区) within a street; every secretary belongs to one."""

    __tablename__ = "communities"
    __table_args__ = (UniqueConstraint("street_id", "name"),)

    name: Mapped[str] = mapped_column(String(50))
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    street: Mapped[Street] = relationship(back_populates="communities", lazy="joined")


class Organization(Base):
    """A social organisation registered with the park (社会组织)."""

    __tablename__ = "organizations"
    __table_args__ = (CheckConstraint("length(credit_code) = 18", name="credit_code_length"),)

    name: Mapped[str] = mapped_column(String(100), unique=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliances.id"), index=True)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    resident: Mapped[bool] = mapped_column(default=False)
    status: Mapped[OrgStatus] = mapped_column(String(20), default=OrgStatus.ACTIVE)
    description: Mapped[str] = mapped_column(Text, default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")

    alliance: Mapped[Alliance] = relationship(lazy="joined")


class OrganizationApplication(Base):
    """An organisation's public application (入驻申请), approved or rejected by the committee."""

    __tablename__ = "organization_applications"

    name: Mapped[str] = mapped_column(String(100))
    credit_code: Mapped[str] = mapped_column(String(18))
    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliances.id"))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    resident: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(20))
    status: Mapped[ApplicationStatus] = mapped_column(String(20), default=ApplicationStatus.PENDING, index=True)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))


class ChairTerm(Base):
    """One term of the rotating chair (轮值主席): inclusive dates."""

    __tablename__ = "chair_terms"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="term_order"),)

    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliances.id"))
    starts_on: Mapped[date] = mapped_column(Date, unique=True)
    ends_on: Mapped[date] = mapped_column(Date, unique=True)
    alliance: Mapped[Alliance] = relationship(lazy="joined")


class ChairActivity(Base):
    """A joint activity (联合主题党日 etc.) organised by the chairing alliance, shown on the calendar."""

    __tablename__ = "chair_activities"

    term_id: Mapped[int] = mapped_column(ForeignKey("chair_terms.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    held_on: Mapped[date] = mapped_column(Date, index=True)
    place: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    term: Mapped[ChairTerm] = relationship(lazy="joined")
