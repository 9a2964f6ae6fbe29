"""Proposals (揭榜意向书) and their partners and attachments."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar.datastructures import UploadFile
from msgspec import UNSET, Meta, UnsetType

from market.models import Proposal as ProposalModel
from market.schemas._base import Fen, Id, Reason, Schema, Text
from market.schemas._dossiers import Debrief
from market.states import InvitationStatus, ProposalStatus

Partners = Annotated[list[Id], Meta(max_length=10)]


class ProposalCreate(Schema):
    """A new draft claim. Partners are invited and must accept before submission."""

    requested_budget_fen: Fen
    strengths: Text = ""
    work_plan: Text = ""
    expected_results: Text = ""
    partner_ids: Partners = msgspec.field(default_factory=list)


class ProposalUpdate(Schema):
    """Changes to a draft."""

    requested_budget_fen: Fen | UnsetType = UNSET
    strengths: Text | UnsetType = UNSET
    work_plan: Text | UnsetType = UNSET
    expected_results: Text | UnsetType = UNSET
    partner_ids: Partners | UnsetType = UNSET


class InvitationAnswer(Schema):
    """A partner's answer."""

    accept: bool


class QualificationDecision(Schema):
    """The committee's check after the deadline."""

    qualified: bool
    reason: Reason | None = None


class Member(Schema):
    """An organisation on a proposal."""

    organization_id: int
    organization_name: str
    role: Literal["lead", "partner"]
    invitation: InvitationStatus


class AttachmentUpload(Schema):
    """A multipart upload: the file in the field `data`."""

    data: UploadFile


class AttachmentInfo(Schema):
    """An attached file."""

    id: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str


class Proposal(Schema):
    """A proposal as its organisations, and after the deadline the committee and panel, see it."""

    id: int
    task_id: int
    status: ProposalStatus
    lead_org_id: int
    lead_org_name: str
    members: list[Member]
    strengths: str
    work_plan: str
    expected_results: str
    requested_budget_fen: int
    submitted_at: datetime | None
    disqualify_reason: str
    attachments: list[AttachmentInfo]
    # Only for its own organisations, from the start of an award's notice period, when it was not the one awarded:
    # its figures beside the winner's, from the award dossier (评审档案).
    debrief: Debrief | None = None

    @classmethod
    def of(cls, p: ProposalModel) -> Proposal:
        """From the model (members and attachments are loaded with it)."""
        return cls(
            id=p.id,
            task_id=p.task_id,
            status=ProposalStatus(p.status),
            lead_org_id=p.lead_org_id,
            lead_org_name=p.lead_org.name,
            members=[
                Member(
                    organization_id=m.organization_id,
                    organization_name=m.organization.name,
                    role="lead" if m.invitation == InvitationStatus.LEAD else "partner",
                    invitation=InvitationStatus(m.invitation),
                )
                for m in p.members
            ],
            strengths=p.strengths,
            work_plan=p.work_plan,
            expected_results=p.expected_results,
            requested_budget_fen=p.requested_budget_fen,
            submitted_at=p.submitted_at,
            disqualify_reason=p.disqualify_reason,
            attachments=[
                AttachmentInfo(a.id, a.filename, a.content_type, a.size_bytes, a.sha256) for a in p.attachments
            ],
        )
