"""Proposals (揭榜意向书), their member organisations and attachments (the panel's scores are in `_scoring`)."""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from alliances.models import Organization
from market.kernel.db import Base
from market.states import InvitationStatus, ProposalStatus


class Proposal(Base):
    """An organisation's claim on a task, alone or with partners."""

    __tablename__ = "proposals"
    __table_args__ = (CheckConstraint("requested_budget_fen > 0", name="requested_budget_positive"),)

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    lead_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    status: Mapped[ProposalStatus] = mapped_column(String(20), default=ProposalStatus.DRAFT)
    strengths: Mapped[str] = mapped_column(Text, default="")
    work_plan: Mapped[str] = mapped_column(Text, default="")
    expected_results: Mapped[str] = mapped_column(Text, default="")
    requested_budget_fen: Mapped[int]
    submitted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    disqualify_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    lead_org: Mapped[Organization] = relationship(lazy="joined")
    members: Mapped[list[ProposalMember]] = relationship(
        back_populates="proposal", order_by="ProposalMember.id", lazy="selectin"
    )
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id", lazy="selectin")


class ProposalMember(Base):
    """An organisation on a proposal: the lead, or a partner with its answer to the invitation.

    `live` is true while the membership counts towards "one live proposal per organisation per task";
    the partial unique index makes that rule hold under concurrent requests too.
    """

    __tablename__ = "proposal_members"
    __table_args__ = (
        UniqueConstraint("proposal_id", "organization_id"),
        Index(
            "uq_proposal_members_live_org_per_task",
            "task_id",
            "organization_id",
            unique=True,
            sqlite_where=text("live"),
            postgresql_where=text("live"),
        ),
    )

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    invitation: Mapped[InvitationStatus] = mapped_column(String(20))
    live: Mapped[bool] = mapped_column(default=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    proposal: Mapped[Proposal] = relationship(back_populates="members")
    organization: Mapped[Organization] = relationship(lazy="joined")


class Attachment(Base):
    """A file attached to a proposal, stored under var/ by content hash."""

    __tablename__ = "attachments"
    __table_args__ = (CheckConstraint("size_bytes > 0", name="size_positive"),)

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
