"""The award dossier (评审档案) as published, and an organisation's debrief drawn from it.

The document structs are also how the dossier is stored: built once, encoded, kept as text and decoded as is when
read (`market.models._dossiers`). Fields are only ever added, with defaults, so every stored dossier still decodes.
Figures are decimal strings as the ranking gives them; times are UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from market.schemas._base import Schema

AdditionKind = Literal["objection_dismissed", "revoked"]


class DossierTask(Schema):
    """The task the award is for, as it stood."""

    id: int
    title: str
    posting_unit: str
    budget_fen: int
    claim_deadline: datetime


class DossierAward(Schema):
    """The award: the proposal chosen, its rank, and the committee's reason when it was not the top one."""

    id: int
    proposal_id: int
    lead_org_name: str
    rank: int
    score: str
    off_rank: bool
    reason: str
    awarded_at: datetime
    notice_ends_at: datetime


class DossierCriterion(Schema):
    """One line of the rubric."""

    name: str
    maximum: int


class DossierMember(Schema):
    """A panel seat: its letter (评委A, 评委B… in seat order) and, when the committee named the panel, who sat."""

    letter: str
    name: str | None


class DossierPanel(Schema):
    """The panel; `named` says whether the committee chose to name its members."""

    named: bool
    members: list[DossierMember]


class MemberMarks(Schema):
    """One member's marks for one proposal, by criterion, and their total."""

    member: str
    marks: dict[str, str]
    total: str


class DossierStanding(Schema):
    """A qualified proposal as the ranking placed it: score (the trimmed mean of totals), the first criterion's mean
    that breaks ties, each criterion's plain mean, every member's marks, the members recused from it, and the two
    totals the score left out."""

    proposal_id: int
    lead_org_name: str
    rank: int
    score: str
    first_criterion_mean: str
    means: dict[str, str]
    marks: list[MemberMarks]
    recused: list[str]
    # The lowest and the highest total, left out of the score when five or more members scored (else empty).
    dropped: list[str] = []


class QualificationDecision(Schema):
    """The committee's qualification decision on a submitted proposal, with the reason when it disqualified."""

    proposal_id: int
    lead_org_name: str
    qualified: bool
    reason: str


class DossierQuestion(Schema):
    """A public question (答疑) and the committee's answer; the asker is not named."""

    question: str
    answer: str
    answered_at: datetime | None


class DossierAmendment(Schema):
    """A recorded amendment (变更公告) to the task's terms."""

    number: int
    reason: str
    changes: dict[str, Any]
    material: bool
    made_at: datetime


class DossierAudit(Schema):
    """The audit chain's length and head hash right after the award was recorded."""

    length: int
    head: str


class DossierDocument(Schema):
    """Everything that defends one award, as published when its notice period began; never rewritten."""

    version: int
    task: DossierTask
    award: DossierAward
    rubric: list[DossierCriterion]
    panel: DossierPanel
    standings: list[DossierStanding]
    qualification: list[QualificationDecision]
    questions: list[DossierQuestion]
    amendments: list[DossierAmendment]
    audit: DossierAudit


class AdditionDocument(Schema):
    """What happened to the award after publication: an objection dismissed, or upheld and the award revoked."""

    objections: list[int]
    resolution: str
    at: datetime


class DossierAdditionView(Schema):
    """One addition, numbered in the order it was appended."""

    number: int
    kind: AdditionKind
    at: datetime
    document: AdditionDocument


class Dossier(Schema):
    """One award's dossier: the document as published, its SHA-256 digest, and what was appended since."""

    award_id: int
    published_at: datetime
    sha256: str
    document: DossierDocument
    additions: list[DossierAdditionView]


class TaskDossiers(Schema):
    """Every dossier of a task, newest award first."""

    task_id: int
    dossiers: list[Dossier]


class DebriefLine(Schema):
    """One proposal's figures in a debrief: its rank, score and each criterion's mean."""

    proposal_id: int
    lead_org_name: str
    rank: int
    score: str
    means: dict[str, str]


class Debrief(Schema):
    """What an organisation not awarded learns from the dossier: its own figures beside the winner's and its rank
    of all ranked, or the reason it was disqualified."""

    award_id: int
    ranked: int
    rubric: list[DossierCriterion]
    own: DebriefLine | None
    winner: DebriefLine | None
    disqualified_reason: str | None
