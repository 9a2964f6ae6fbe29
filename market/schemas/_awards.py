"""Awards (承榜) in public notice, objections (异议), and the clock tick."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta

from market.kernel.text import LINE, TEXT
from market.schemas._base import Id, Reason, Schema, ShortName
from market.states import AwardStatus, ObjectionStatus

Contact = Annotated[str, Meta(min_length=1, max_length=100, pattern=LINE)]
Grounds = Annotated[str, Meta(min_length=2, max_length=5_000, pattern=TEXT)]
AwardReason = Annotated[str, Meta(max_length=2_000, pattern=TEXT)]


class AwardCreate(Schema):
    """The committee's choice; a reason is required unless it is the top-ranked proposal still eligible."""

    proposal_id: Id
    reason: AwardReason | None = None


class AwardedOrg(Schema):
    """An organisation on the awarded proposal."""

    id: int
    name: str
    role: Literal["lead", "partner"]


class AwardNotice(Schema):
    """The public notice (公示): never names objectors.

    `status` is what the award is now: a notice whose period has ended with no open objection reads `confirmed`
    even before the tick has written it down.
    """

    id: int
    task_id: int
    task_title: str
    proposal_id: int
    status: AwardStatus
    organizations: list[AwardedOrg]
    requested_budget_fen: int
    score: str | None
    rank: int
    reason: str
    awarded_at: datetime
    notice_ends_at: datetime
    decided_at: datetime | None
    objections: int
    open_objections: int


class ObjectionCreate(Schema):
    """An objection to an award in notice; anyone may lodge one. Name and contact are seen by the committee only."""

    name: ShortName
    contact: Contact
    grounds: Grounds


class ObjectionReceipt(Schema):
    """What the person lodging an objection gets back."""

    id: int
    award_id: int
    status: ObjectionStatus
    lodged_at: datetime


class Objection(Schema):
    """An objection as the committee sees it, with who lodged it."""

    id: int
    award_id: int
    task_id: int
    name: str
    contact: str
    grounds: str
    lodged_by_id: int | None
    lodged_at: datetime
    status: ObjectionStatus
    resolution: str
    resolved_by_id: int | None
    resolved_at: datetime | None


class Resolution(Schema):
    """The committee's written resolution of an objection."""

    resolution: Reason


class TickReport(Schema):
    """What one tick moved."""

    reviewing: int
    unclaimed: int
    confirmed: int
