"""Evaluation panels (评审组), members' marks and the ranking (综合评分)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from msgspec import Meta

from market.schemas._base import Id, Schema
from market.scoring import MAX_CRITERIA, MAX_CRITERION_NAME_LENGTH
from market.states import ProposalStatus, TaskStatus

# first_criterion_mean stays exact for panels of up to 31 members (see market.scoring).
MAX_PANEL = 31

PanelIds = Annotated[list[Id], Meta(min_length=1, max_length=MAX_PANEL)]
CriterionName = Annotated[str, Meta(min_length=1, max_length=MAX_CRITERION_NAME_LENGTH)]
# Decimal, never float: msgspec decodes a JSON number (or a numeric string) straight into an exact Decimal.
Marks = Annotated[dict[CriterionName, Decimal], Meta(min_length=1, max_length=MAX_CRITERIA)]


class PanelSet(Schema):
    """The whole panel for a task: active evaluator accounts, and whether the award dossier names them (by default
    they are 评委A, 评委B… in seat order)."""

    user_ids: PanelIds
    named: bool = False


class PanelSeat(Schema):
    """One member of a panel."""

    user_id: int
    username: str
    display_name: str
    organization_id: int | None
    organization_name: str | None


class Panel(Schema):
    """A task's panel; once scoring has begun members may be added but not removed."""

    task_id: int
    members: list[PanelSeat]
    scoring_started: bool
    named: bool


class ScoreSet(Schema):
    """One member's marks for one proposal: every rubric criterion, 0..maximum, at most one decimal."""

    marks: Marks


class MyScore(Schema):
    """What the member gave, as stored."""

    proposal_id: int
    marks: dict[str, str]
    total: str
    panel_complete: bool


class MemberScore(Schema):
    """Another member's marks, shown only once the panel is complete."""

    user_id: int
    username: str
    display_name: str
    marks: dict[str, str]
    total: str


class QueueItem(Schema):
    """One qualified proposal in a member's queue."""

    proposal_id: int
    lead_org_name: str
    status: ProposalStatus
    state: Literal["scored", "waiting", "recused"]
    marks: dict[str, str] | None
    total: str | None
    panel_scores: list[MemberScore] | None


class Criterion(Schema):
    """A rubric line."""

    name: str
    maximum: int


class ScoringQueue(Schema):
    """A panel member's own view: what they have scored, what waits for them, what they are recused from."""

    task_id: int
    task_status: TaskStatus
    rubric: list[Criterion]
    complete: bool
    # Submitted proposals still to be qualified; null until the claim deadline (sealed, their number included).
    awaiting_qualification: int | None
    scored: int
    waiting: int
    recused: int
    items: list[QueueItem]


class MemberTotal(Schema):
    """A member's total for a proposal (revealed with the ranking)."""

    user_id: int
    username: str
    total: str


class RankingRow(Schema):
    """One proposal in the ranking; score, totals and rank appear once the panel is complete."""

    proposal_id: int
    lead_org_id: int
    lead_org_name: str
    status: ProposalStatus
    submitted_at: datetime | None
    scores_in: int
    scores_expected: int
    score: str | None
    first_criterion_mean: str | None
    member_totals: list[MemberTotal] | None
    rank: int | None


class Ranking(Schema):
    """The ranking of a task's qualified proposals (before completion: progress only)."""

    task_id: int
    complete: bool
    # Submitted proposals still to be qualified; null until the claim deadline (sealed, their number included).
    awaiting_qualification: int | None
    rows: list[RankingRow]
