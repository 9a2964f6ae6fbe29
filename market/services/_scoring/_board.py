"""The ranking board (综合评分): the task's qualified proposals, the panel's marks, and how far the panel has got.

Scores are sealed from everyone (committee included) until the panel is complete: every non-recused member has
scored every qualified proposal and no proposal still waits for qualification. From then on they are frozen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from market.kernel.clock import as_utc
from market.models import Organization, PanelMember, Proposal, ProposalMember, Score, Task, User
from market.scoring import (
    Criterion,
    RankEntry,
    criterion_mean,
    first_criterion_mean,
    from_tenths,
    proposal_score,
    rank,
)
from market.services._tasks import proposals_sealed, rubric_of
from market.states import InvitationStatus, ProposalStatus, TaskStatus

# Proposals that passed qualification: scored, ranked, and (one of them) awarded.
RANKED_STATES = (ProposalStatus.QUALIFIED, ProposalStatus.AWARDED, ProposalStatus.NOT_AWARDED)
# The panel may be formed before the deadline or during review, until the first score is in.
PANEL_STATES = (TaskStatus.POSTED, TaskStatus.REVIEWING)
# Organisations that count as "on" a proposal for recusal.
ON_PROPOSAL = (InvitationStatus.LEAD, InvitationStatus.ACCEPTED)

QueueState = Literal["scored", "waiting", "recused"]


def is_recused(member: User, proposal: Ranked) -> bool:
    """Whether the member's own organisation leads the proposal or is an accepted partner on it."""
    return member.organization_id is not None and member.organization_id in proposal.orgs


def marks_text(marks_tenths: Mapping[str, int], rubric: Sequence[Criterion]) -> dict[str, str]:
    """Stored tenths as one-decimal strings, in rubric order."""
    return {c.name: str(from_tenths(int(marks_tenths[c.name]))) for c in rubric if c.name in marks_tenths}


@dataclass(frozen=True, slots=True)
class Ranked:
    """A proposal on the board: the columns scoring, ranking and their pages show (read as columns, not rows)."""

    id: int
    lead_org_id: int
    lead_org_name: str
    status: ProposalStatus
    submitted_at: datetime | None
    created_at: datetime
    # The panel members' organisations that lead the proposal or accepted a place on it: whom it recuses.
    orgs: frozenset[int]


@dataclass(frozen=True, slots=True)
class Mark:
    """One member's score of one proposal as the ranking needs it: the total and the first criterion's mark."""

    proposal_id: int
    user_id: int
    total_tenths: int
    first_tenths: int
    # Every criterion's mark in tenths, by criterion name (the dossier shows them; the ranking needs only the first).
    every: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Standing:
    """A ranked proposal: its score, tie-break mean, members' totals and 1-based rank."""

    proposal: Ranked
    score: Decimal
    first_mean: Decimal
    totals: dict[int, Decimal]
    rank: int


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a panel has got, in counts: all `panel_complete` needs, whether counted in Python or in SQL."""

    members: int
    ranked: int
    # Submitted proposals awaiting qualification; None while claims are open (the board's `undecided`).
    undecided: int | None
    # Ranked proposals at least one member is not recused from, and expected marks not yet in.
    scorable: int
    missing: int


def panel_complete(progress: Progress) -> bool:
    """Every non-recused member has scored every qualified proposal, and none awaits qualification."""
    p = progress
    # A proposal every member is recused from can never be scored, so the panel cannot be complete.
    return bool(p.members and p.ranked and not p.undecided and p.scorable == p.ranked and not p.missing)


@dataclass(slots=True)
class Board:
    """Everything scoring knows about one task: the panel, the qualified proposals, the scores."""

    task: Task
    rubric: tuple[Criterion, ...]
    members: list[User]
    proposals: list[Ranked]
    # Submitted proposals awaiting the qualification check; None while claims are open, when not even their
    # number may be told to anyone but their own organisations.
    undecided: int | None
    scores: dict[tuple[int, int], Mark] = field(default_factory=dict)
    # The ranking, worked out once: the award's check and the award itself, and a page and its check, each ask.
    _standings: list[Standing] | None = field(default=None, init=False, repr=False, compare=False)

    def proposal(self, proposal_id: int) -> Ranked | None:
        """One of the ranked proposals."""
        return next((p for p in self.proposals if p.id == proposal_id), None)

    def expected(self, proposal: Ranked) -> list[User]:
        """The members who must score this proposal (everyone not recused from it); not to be changed."""
        if not proposal.orgs:
            return self.members
        return [m for m in self.members if not is_recused(m, proposal)]

    def scores_for(self, proposal: Ranked) -> list[Mark]:
        """The expected members' scores that are in, in panel order."""
        return [s for m in self.expected(proposal) if (s := self.scores.get((proposal.id, m.id))) is not None]

    @property
    def progress(self) -> Progress:
        """The board's counts (what `progress` asks the database for without loading the board)."""
        expected = [(p, self.expected(p)) for p in self.proposals]
        return Progress(
            members=len(self.members),
            ranked=len(self.proposals),
            undecided=self.undecided,
            scorable=sum(1 for _, members in expected if members),
            missing=sum(1 for p, members in expected for m in members if (p.id, m.id) not in self.scores),
        )

    @property
    def complete(self) -> bool:
        """Every non-recused member has scored every qualified proposal, and none awaits qualification."""
        return panel_complete(self.progress)

    def standings(self) -> list[Standing]:
        """The ranking, best first (only meaningful once complete). A board is read once and never changed, so the
        ranking is worked out on the first call and handed out (as a new list) after."""
        if self._standings is None:
            self._standings = self._rank()
        return list(self._standings)

    def _rank(self) -> list[Standing]:
        entries: list[RankEntry] = []
        totals: dict[int, dict[int, Decimal]] = {}
        for p in self.proposals:
            scores = self.scores_for(p)
            if not scores:
                continue
            totals[p.id] = {s.user_id: from_tenths(s.total_tenths) for s in scores}
            score = proposal_score(list(totals[p.id].values()))
            if score is None:
                continue
            mean = first_criterion_mean([from_tenths(s.first_tenths) for s in scores])
            submitted = as_utc(p.submitted_at or p.created_at)
            entries.append(RankEntry(p.id, score, mean, submitted))
        by_id = {p.id: p for p in self.proposals}
        return [
            Standing(by_id[e.proposal_id], e.score, e.first_criterion_mean, totals[e.proposal_id], position)
            for position, e in enumerate(rank(entries), start=1)
        ]

    def criterion_means(self, proposal: Ranked) -> dict[str, Decimal]:
        """The plain mean of each criterion's marks over the members who scored the proposal, in rubric order."""
        scores = self.scores_for(proposal)
        if not scores:
            return {}
        return {c.name: criterion_mean([from_tenths(s.every[c.name]) for s in scores]) for c in self.rubric}

    def revealed_totals(self) -> dict[str, dict[str, str]]:
        """Every member's total per proposal, for the audit entry written when the panel completes."""
        return {
            str(p.id): {str(s.user_id): str(from_tenths(s.total_tenths)) for s in self.scores_for(p)}
            for p in self.proposals
        }


def _submitted(task: Task) -> ColumnElement[bool]:
    return and_(Proposal.task_id == task.id, Proposal.status == ProposalStatus.SUBMITTED)


async def _undecided(db: AsyncSession, task: Task) -> int | None:
    # Reads store a passed deadline before they look (`market.flows.catch_up`), so the stored status is current.
    if proposals_sealed(task, TaskStatus(task.status)):
        return None
    return int(await db.scalar(select(func.count()).where(_submitted(task))) or 0)


async def load_board(db: AsyncSession, task: Task) -> Board:
    """The panel, ranked proposals and scores of a task, read as columns in at most five statements."""
    rubric = rubric_of(task)
    members = list(
        (
            await db.scalars(
                select(User)
                .join(PanelMember, PanelMember.user_id == User.id)
                .where(PanelMember.task_id == task.id)
                .order_by(PanelMember.id)
            )
        )
        .unique()
        .all()
    )
    # Only the panel's organisations can recuse anyone, so only their places on proposals are read.
    member_orgs = {m.organization_id for m in members if m.organization_id is not None}
    on: dict[int, set[int]] = {}
    if member_orgs:
        places = await db.execute(
            select(ProposalMember.proposal_id, ProposalMember.organization_id).where(
                ProposalMember.task_id == task.id,
                ProposalMember.organization_id.in_(member_orgs),
                ProposalMember.invitation.in_(ON_PROPOSAL),
            )
        )
        for proposal_id, org_id in places:
            on.setdefault(proposal_id, set()).add(org_id)
    rows = await db.execute(
        select(
            Proposal.id,
            Proposal.lead_org_id,
            Organization.name,
            Proposal.status,
            Proposal.submitted_at,
            Proposal.created_at,
        )
        .join(Organization, Organization.id == Proposal.lead_org_id)
        .where(Proposal.task_id == task.id, Proposal.status.in_(RANKED_STATES))
        .order_by(Proposal.submitted_at, Proposal.id)
    )
    proposals = [
        Ranked(pid, lead, name, ProposalStatus(status), submitted, created, frozenset(on.get(pid, ())))
        for pid, lead, name, status, submitted, created in rows
    ]
    # The first criterion's mark is the tie-break. It is taken out of the marks here, not by the database: SQLite
    # before 3.45 matches a JSON path's key against the stored text, where the serializer escaped the Chinese name.
    first = rubric[0].name
    marks = await db.execute(
        select(Score.proposal_id, Score.user_id, Score.total_tenths, Score.marks_tenths).where(Score.task_id == task.id)
    )
    return Board(
        task=task,
        rubric=rubric,
        members=members,
        proposals=proposals,
        undecided=await _undecided(db, task),
        scores={
            (pid, uid): Mark(pid, uid, total, int(every[first]), {k: int(v) for k, v in every.items()})
            for pid, uid, total, every in marks
        },
    )


async def panel_progress(db: AsyncSession, task: Task) -> Progress:
    """The board's `progress` counted by the database in one statement, without loading the board."""
    ranked = and_(Proposal.task_id == task.id, Proposal.status.in_(RANKED_STATES))
    recused = (
        select(ProposalMember.id)
        .where(
            ProposalMember.proposal_id == Proposal.id,
            ProposalMember.organization_id == User.organization_id,
            ProposalMember.invitation.in_(ON_PROPOSAL),
        )
        .exists()
    )
    # Every (ranked proposal, member not recused from it): the marks the panel owes.
    expected = (
        select(Proposal.id.label("proposal_id"), PanelMember.user_id.label("user_id"))
        .join(PanelMember, PanelMember.task_id == Proposal.task_id)
        .join(User, User.id == PanelMember.user_id)
        .where(ranked, ~recused)
        .subquery()
    )
    scored = (
        select(Score.id)
        .where(Score.proposal_id == expected.c.proposal_id, Score.user_id == expected.c.user_id)
        .exists()
    )
    row = (
        await db.execute(
            select(
                select(func.count()).where(PanelMember.task_id == task.id).scalar_subquery(),
                select(func.count()).where(ranked).scalar_subquery(),
                select(func.count(expected.c.proposal_id.distinct())).scalar_subquery(),
                select(func.count()).select_from(expected).where(~scored).scalar_subquery(),
                select(func.count()).where(_submitted(task)).scalar_subquery(),
            )
        )
    ).one()
    members, ranked_count, scorable, missing, submitted = (int(n or 0) for n in row)
    undecided = None if proposals_sealed(task, TaskStatus(task.status)) else submitted
    return Progress(members, ranked_count, undecided, scorable, missing)
