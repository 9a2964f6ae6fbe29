"""Participation points (积分制): rules and their versions, entries, objections, balances and statements."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from msgspec import Meta

from market.kernel.params import MAX_BATCH
from market.kernel.rules import Reason
from market.kernel.text import TEXT
from market.models._points import MOST_POINTS, HolderKind, RuleCode
from market.schemas._base import Id, Schema, ShortName
from market.schemas._classes import ResidentName, ResidentPhone
from market.states import ObjectionStatus, PointStatus

Points = Annotated[int, Meta(ge=-MOST_POINTS, le=MOST_POINTS)]
Evidence = Annotated[str, Meta(min_length=2, max_length=2_000, pattern=TEXT)]
Grounds = Annotated[str, Meta(min_length=2, max_length=5_000, pattern=TEXT)]
EntryIds = Annotated[list[Id], Meta(min_length=1, max_length=MAX_BATCH)]


class PointsTable(Schema):
    """Points per rule (negative: a deduction), each within ±1000."""

    project_excellent: Points
    project_good: Points
    project_pass: Points
    project_fail: Points
    report_on_time: Points
    order_rated_well: Points
    class_attended: Points
    feedback_given: Points


class RuleLine(Schema):
    """One rule: what it rewards, whom, and how many points."""

    code: RuleCode
    holder: HolderKind
    points: int


class RulesVersion(Schema):
    """One version of the rules. `made_at` is null for the built-in default while no entry has needed it stored."""

    version: int
    rules: list[RuleLine]
    reason: str
    made_at: datetime | None


class RulesEdit(Schema):
    """A new version of the rules, with the reason for the change."""

    points: PointsTable
    reason: Reason


class EntryCreate(Schema):
    """A secretary's or organiser's proposal with evidence: an organisation's id for an organisation's rule, a
    resident's mobile number and name for a resident's (the number is kept only as its keyed hash)."""

    rule: RuleCode
    evidence: Evidence
    organization_id: Id | None = None
    phone: ResidentPhone | None = None
    name: ResidentName | None = None


class Amendment(Schema):
    """The committee changes an entry's points, with a reason."""

    points: Points
    reason: Reason


class Rejection(Schema):
    """The committee rejects an entry, with a reason."""

    reason: Reason


class BatchApproval(Schema):
    """Proposed entries approved together (at most 500)."""

    entry_ids: EntryIds


class BatchRejection(Schema):
    """Proposed entries rejected together with one reason (at most 500)."""

    entry_ids: EntryIds
    reason: Reason


class Entry(Schema):
    """A points entry. A resident is named only masked; the organisation by its name."""

    id: int
    holder: HolderKind
    organization_id: int | None
    holder_name: str
    rule: RuleCode
    rule_version: int
    proposed_points: int
    points: int
    status: PointStatus
    source: str
    evidence: str
    proposed_at: datetime
    review_reason: str
    reviewed_at: datetime | None
    notice_ends_at: datetime | None
    decided_at: datetime | None


class EntryPage(Schema):
    """A page of entries."""

    total: int
    items: list[Entry]


class ObjectionCreate(Schema):
    """An objection to a posted entry during its notice; anyone may lodge one."""

    name: ShortName
    grounds: Grounds


class ObjectionReceipt(Schema):
    """What the person objecting gets back."""

    id: int
    entry_id: int
    status: ObjectionStatus


class Ruling(Schema):
    """The committee's resolution of an objection."""

    resolution: Reason


class Holding(Schema):
    """A holder's balance: counted points, points still in notice, and the newest reviewed entries."""

    holder_name: str
    counted: int
    pending: int
    entries: list[Entry]


class YearLine(Schema):
    """One organisation's counted points in the year."""

    organization_id: int
    name: str
    points: int
    entries: int


class YearTable(Schema):
    """Organisations by the points counted in a year (Asia/Shanghai), most first."""

    year: int
    total: int
    items: list[YearLine]


class Statement(Schema):
    """A holder's points statement: balance on a date and its verification code, and a partner's published rule
    (theirs, not a promise of this platform)."""

    holder_name: str
    points: int
    date: date
    code: str
    partner_rule: str


class Verification(Schema):
    """What a valid code confirms, and nothing else."""

    holder_name: str
    points: int
    date: date
