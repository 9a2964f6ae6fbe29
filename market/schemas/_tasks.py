"""Tasks (榜单): create, edit, amend, questions; and how they are shown."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from alliances.models import ServiceCategory
from market.kernel.text import TEXT
from market.models import FundingMode
from market.schemas._base import AwareDatetime, Fen, Id, Name, Reason, RequiredText, Schema, ShortName
from market.states import TaskStatus

AllianceCode = Literal["new-orgs", "volunteers", "legal", "media"]
AllianceCodes = Annotated[list[AllianceCode], Meta(min_length=1, max_length=4)]
Ids = Annotated[list[Id], Meta(max_length=100)]


class CriterionIn(Schema):
    """One rubric line."""

    name: ShortName
    maximum: Annotated[int, Meta(ge=1, le=100)]


Rubric = Annotated[list[CriterionIn], Meta(min_length=1, max_length=10)]


class TaskCreate(Schema):
    """A new draft task. The rubric defaults to 专业能力 30 / 工作思路 30 / 预期效果 25 / 预算合理性 15."""

    title: Name
    description: RequiredText
    category: ServiceCategory
    posting_unit: Name
    budget_fen: Fen
    funding_mode: FundingMode
    claim_deadline: AwareDatetime
    alliances: AllianceCodes
    allow_joint: bool = False
    community_ids: Ids = msgspec.field(default_factory=list)
    need_ids: Ids = msgspec.field(default_factory=list)
    rubric: Rubric | None = None


class TaskUpdate(Schema):
    """Changes to a draft; anything left out stays as it is."""

    title: Name | UnsetType = UNSET
    description: RequiredText | UnsetType = UNSET
    category: ServiceCategory | UnsetType = UNSET
    posting_unit: Name | UnsetType = UNSET
    budget_fen: Fen | UnsetType = UNSET
    funding_mode: FundingMode | UnsetType = UNSET
    claim_deadline: AwareDatetime | UnsetType = UNSET
    alliances: AllianceCodes | UnsetType = UNSET
    allow_joint: bool | UnsetType = UNSET
    community_ids: Ids | UnsetType = UNSET
    need_ids: Ids | UnsetType = UNSET
    rubric: Rubric | UnsetType = UNSET


class TaskAmend(Schema):
    """A recorded amendment to a posted task; budget, rubric, alliances or deadline send proposals back to draft."""

    reason: Reason
    title: Name | UnsetType = UNSET
    description: RequiredText | UnsetType = UNSET
    posting_unit: Name | UnsetType = UNSET
    budget_fen: Fen | UnsetType = UNSET
    funding_mode: FundingMode | UnsetType = UNSET
    claim_deadline: AwareDatetime | UnsetType = UNSET
    alliances: AllianceCodes | UnsetType = UNSET
    allow_joint: bool | UnsetType = UNSET
    community_ids: Ids | UnsetType = UNSET
    rubric: Rubric | UnsetType = UNSET


class CancelRequest(Schema):
    """Why the task is withdrawn."""

    reason: Reason


class QuestionCreate(Schema):
    """A public question on a posted task."""

    question: Annotated[str, Meta(min_length=2, max_length=2000, pattern=TEXT)]


class AnswerCreate(Schema):
    """The committee's published answer."""

    answer: Annotated[str, Meta(min_length=1, max_length=5000, pattern=TEXT)]


class AllianceRef(Schema):
    """An alliance as tasks name it."""

    code: str
    name: str


class CommunityRef(Schema):
    """A community as tasks name it."""

    id: int
    name: str
    street: str


class Criterion(Schema):
    """One rubric line as shown."""

    name: str
    maximum: int


class Question(Schema):
    """A question and its answer; the asker is never named."""

    id: int
    question: str
    answer: str
    asked_at: datetime
    answered_at: datetime | None


class Amendment(Schema):
    """A change to posted terms."""

    number: int
    reason: str
    changes: dict[str, dict[str, object]]
    material: bool
    made_at: datetime


class TaskSummary(Schema):
    """A task in a list."""

    id: int
    title: str
    category: ServiceCategory
    status: TaskStatus
    posting_unit: str
    budget_fen: int
    claim_deadline: datetime
    allow_joint: bool
    alliances: list[AllianceRef]
    communities: list[CommunityRef]
    posted_at: datetime | None
    # Submitted proposals; null while claims are open (a count would hint at sealed proposals).
    claims: int | None


class Task(Schema):
    """A task in full."""

    id: int
    title: str
    description: str
    category: ServiceCategory
    status: TaskStatus
    posting_unit: str
    budget_fen: int
    funding_mode: FundingMode
    claim_deadline: datetime
    allow_joint: bool
    alliances: list[AllianceRef]
    communities: list[CommunityRef]
    need_ids: list[int]
    rubric: list[Criterion]
    posted_at: datetime | None
    closed_at: datetime | None
    cancel_reason: str
    reposted_from_id: int | None
    claims: int | None
    questions: list[Question]
    amendments: list[Amendment]


class TaskPage(Schema):
    """One page of tasks."""

    total: int
    items: list[TaskSummary]
