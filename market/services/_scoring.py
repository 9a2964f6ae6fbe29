"""Evaluation panels (评审组), members' marks and the ranking (综合评分).

The arithmetic is `market.scoring`'s; this module decides who may score what and when, and what each viewer sees.
Scores are sealed from everyone (committee included) until the panel is complete: every non-recused member has
scored every qualified proposal and no proposal still waits for qualification. From then on they are frozen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from market import notify
from market.audit import record
from market.clock import as_utc
from market.errors import Forbidden, InvalidInput, NotFound, StateConflict
from market.models import PanelMember, Proposal, Role, Score, Task, User
from market.scoring import (
    Criterion,
    MarkError,
    RankEntry,
    first_criterion_mean,
    from_tenths,
    proposal_score,
    rank,
    to_tenths,
    validate_marks,
)
from market.services._proposals import SEALED, UNSEALED_STATES
from market.services._tasks import lock_task, proposals_sealed, rubric_of, status_of, visible_task
from market.states import InvitationStatus, ProposalStatus, TaskStatus

# Proposals that passed qualification: scored, ranked, and (one of them) awarded.
RANKED_STATES = (ProposalStatus.QUALIFIED, ProposalStatus.AWARDED, ProposalStatus.NOT_AWARDED)
# The panel may be formed before the deadline or during review, until the first score is in.
PANEL_STATES = (TaskStatus.POSTED, TaskStatus.REVIEWING)
# Organisations that count as "on" a proposal for recusal.
ON_PROPOSAL = (InvitationStatus.LEAD, InvitationStatus.ACCEPTED)

QueueState = Literal["scored", "waiting", "recused"]


def is_recused(member: User, proposal: Proposal) -> bool:
    """Whether the member's own organisation leads the proposal or is an accepted partner on it."""
    org_id = member.organization_id
    return org_id is not None and any(
        m.organization_id == org_id and m.invitation in ON_PROPOSAL for m in proposal.members
    )


def marks_text(marks_tenths: Mapping[str, int], rubric: Sequence[Criterion]) -> dict[str, str]:
    """Stored tenths as one-decimal strings, in rubric order."""
    return {c.name: str(from_tenths(int(marks_tenths[c.name]))) for c in rubric if c.name in marks_tenths}


@dataclass(frozen=True, slots=True)
class Standing:
    """A ranked proposal: its score, tie-break mean, members' totals and 1-based rank."""

    proposal: Proposal
    score: Decimal
    first_mean: Decimal
    totals: dict[int, Decimal]
    rank: int


@dataclass(slots=True)
class Board:
    """Everything scoring knows about one task: the panel, the qualified proposals, the scores."""

    task: Task
    rubric: tuple[Criterion, ...]
    members: list[User]
    proposals: list[Proposal]
    # Submitted proposals awaiting the qualification check; None while claims are open, when not even their
    # number may be told to anyone but their own organisations.
    undecided: int | None
    scores: dict[tuple[int, int], Score] = field(default_factory=dict)

    def proposal(self, proposal_id: int) -> Proposal | None:
        """One of the ranked proposals."""
        return next((p for p in self.proposals if p.id == proposal_id), None)

    def expected(self, proposal: Proposal) -> list[User]:
        """The members who must score this proposal (everyone not recused from it)."""
        return [m for m in self.members if not is_recused(m, proposal)]

    def scores_for(self, proposal: Proposal) -> list[Score]:
        """The expected members' scores that are in, in panel order."""
        return [s for m in self.expected(proposal) if (s := self.scores.get((proposal.id, m.id))) is not None]

    @property
    def complete(self) -> bool:
        """Every non-recused member has scored every qualified proposal, and none awaits qualification."""
        if not self.members or not self.proposals or self.undecided:
            return False
        for p in self.proposals:
            expected = self.expected(p)
            # A proposal every member is recused from can never be scored, so the panel cannot be complete.
            if not expected or any((p.id, m.id) not in self.scores for m in expected):
                return False
        return True

    def standings(self) -> list[Standing]:
        """The ranking, best first (only meaningful once complete)."""
        first = self.rubric[0].name
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
            mean = first_criterion_mean([from_tenths(int(s.marks_tenths[first])) for s in scores])
            submitted = as_utc(p.submitted_at or p.created_at)
            entries.append(RankEntry(p.id, score, mean, submitted))
        by_id = {p.id: p for p in self.proposals}
        return [
            Standing(by_id[e.proposal_id], e.score, e.first_criterion_mean, totals[e.proposal_id], position)
            for position, e in enumerate(rank(entries), start=1)
        ]

    def revealed_totals(self) -> dict[str, dict[str, str]]:
        """Every member's total per proposal, for the audit entry written when the panel completes."""
        return {
            str(p.id): {str(s.user_id): str(from_tenths(s.total_tenths)) for s in self.scores_for(p)}
            for p in self.proposals
        }


async def load_board(db: AsyncSession, task: Task) -> Board:
    """The panel, ranked proposals and scores of a task in four queries."""
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
    proposals = list(
        (
            await db.scalars(
                select(Proposal)
                .where(Proposal.task_id == task.id, Proposal.status.in_(RANKED_STATES))
                .options(selectinload(Proposal.members))
                .order_by(Proposal.submitted_at, Proposal.id)
                .execution_options(populate_existing=True)
            )
        )
        .unique()
        .all()
    )
    undecided = None
    # Reads store a passed deadline before they look (`market.flows.catch_up`), so the stored status is current.
    if not proposals_sealed(task, TaskStatus(task.status)):
        undecided = int(
            await db.scalar(
                select(func.count()).where(Proposal.task_id == task.id, Proposal.status == ProposalStatus.SUBMITTED)
            )
            or 0
        )
    scores = (
        await db.scalars(select(Score).where(Score.task_id == task.id).execution_options(populate_existing=True))
    ).all()
    return Board(
        task=task,
        rubric=rubric_of(task),
        members=members,
        proposals=proposals,
        undecided=undecided,
        scores={(s.proposal_id, s.user_id): s for s in scores},
    )


async def _on_panel(db: AsyncSession, task_id: int, user: User) -> bool:
    if user.role != Role.EVALUATOR:
        return False
    stmt = select(PanelMember.id).where(PanelMember.task_id == task_id, PanelMember.user_id == user.id)
    return await db.scalar(stmt) is not None


async def _scoring_started(db: AsyncSession, task_id: int) -> bool:
    return await db.scalar(select(Score.id).where(Score.task_id == task_id).limit(1)) is not None


# The panel -------------------------------------------------------------------------------------------------


async def set_panel(db: AsyncSession, task_id: int, user_ids: Sequence[int], *, actor: User, now: datetime) -> None:
    """Form or change a task's panel while posted or in review, until it is complete; new members are told.

    Once scoring has begun members may still be added (say, when everyone on the panel is recused from one
    proposal) but nobody who has scored may be removed: their marks are part of the record.
    """
    task = await lock_task(db, task_id, now)
    if task.status not in PANEL_STATES:
        raise StateConflict(
            "只有揭榜期或评审中的榜单可以组建评审组 (a panel is formed while the task is posted or in review)"
        )
    if (await load_board(db, task)).complete:
        raise StateConflict("评分已全部完成，评审组不能再变更 (the panel has finished scoring; it is fixed)")
    wanted = list(dict.fromkeys(user_ids))
    users = {u.id: u for u in (await db.scalars(select(User).where(User.id.in_(wanted)))).unique().all()}
    for uid in wanted:
        user = users.get(uid)
        if user is None or not user.is_active or user.role != Role.EVALUATOR:
            raise InvalidInput(
                f"用户 {uid} 不是有效的评审专家账号 (user {uid} is not an active evaluator)",
                field="user_ids",
                extra={"user_id": uid},
            )
    current = set((await db.scalars(select(PanelMember.user_id).where(PanelMember.task_id == task.id))).all())
    added = [uid for uid in wanted if uid not in current]
    removed = sorted(current - set(wanted))
    if not added and not removed:
        return
    scorers = set((await db.scalars(select(Score.user_id).where(Score.task_id == task.id))).all())
    if scorers & set(removed):
        raise StateConflict(
            "已评分的评审专家不能移出评审组 (members who have scored cannot be removed)", field="user_ids"
        )
    if removed:
        await db.execute(delete(PanelMember).where(PanelMember.task_id == task.id, PanelMember.user_id.in_(removed)))
    db.add_all(PanelMember(task_id=task.id, user_id=uid) for uid in added)
    await db.flush()
    await record(
        db,
        at=now,
        actor=actor,
        entity="task",
        entity_id=task.id,
        action="panel",
        before=task.status,
        after=task.status,
        data={"members": wanted, "added": added, "removed": removed},
    )
    await notify.to_users(db, added, "panel_seat.added", {"task": task.title}, link=f"/tasks/{task.id}/scoring")
    await notify.to_users(db, removed, "panel_seat.removed", {"task": task.title}, link=f"/tasks/{task.id}")


async def panel_of(db: AsyncSession, task_id: int, *, viewer: User) -> tuple[list[User], bool]:
    """The panel (committee, or a member of it) and whether scoring has started."""
    task = await visible_task(db, task_id, viewer)
    if viewer.role != Role.COMMITTEE and not await _on_panel(db, task.id, viewer):
        raise Forbidden("仅综合党委和本评审组成员可查看评审组 (only the committee and the panel see the panel)")
    members = (
        await db.scalars(
            select(User)
            .join(PanelMember, PanelMember.user_id == User.id)
            .where(PanelMember.task_id == task.id)
            .order_by(PanelMember.id)
        )
    ).unique()
    return list(members.all()), await _scoring_started(db, task.id)


# Scores ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """A member's stored marks and whether their score completed the panel."""

    proposal_id: int
    marks: dict[str, str]
    total: Decimal
    panel_complete: bool


async def score(
    db: AsyncSession, proposal_id: int, raw_marks: Mapping[str, Decimal], *, actor: User, now: datetime
) -> ScoreResult:
    """A panel member scores (or re-scores, until the panel is complete) a qualified proposal after the deadline."""
    found = await db.get(Proposal, proposal_id)
    if found is None:
        raise NotFound(SEALED)
    task = await lock_task(db, found.task_id, now)
    # Off the panel the proposal is sealed: as if it did not exist.
    if not await _on_panel(db, task.id, actor) or found.status not in UNSEALED_STATES:
        raise NotFound(SEALED)
    if task.status != TaskStatus.REVIEWING:
        raise StateConflict("只有揭榜截止后、承榜前可以评分 (scoring is open only while the task is under review)")
    board = await load_board(db, task)
    proposal = board.proposal(proposal_id)
    if proposal is None or proposal.status != ProposalStatus.QUALIFIED:
        raise StateConflict("只有资格审查合格的意向书可以评分 (only qualified proposals are scored)")
    if is_recused(actor, proposal):
        raise Forbidden("您所在组织参与了该意向书，须回避 (your organisation is on this proposal: you are recused)")
    if board.complete:
        raise StateConflict(
            "评审组已全部评完，分数已公开并锁定 (the panel is complete; scores are revealed and frozen)"
        )
    try:
        marks = validate_marks(board.rubric, raw_marks)
    except MarkError as exc:
        raise InvalidInput(str(exc), field="marks", extra={"criterion": exc.criterion}) from exc
    tenths = {name: to_tenths(value) for name, value in marks.items()}
    total = sum(tenths.values())
    existing = board.scores.get((proposal.id, actor.id))
    if existing is None:
        existing = Score(
            task_id=task.id, proposal_id=proposal.id, user_id=actor.id, marks_tenths=tenths, total_tenths=total
        )
        db.add(existing)
        action = "score"
    else:
        existing.marks_tenths = tenths
        existing.total_tenths = total
        action = "rescore"
    await db.flush()
    board.scores[(proposal.id, actor.id)] = existing
    # The marks stay out of the audit entry until the panel is complete, so the log cannot unseal them early.
    await record(
        db,
        at=now,
        actor=actor,
        entity="proposal",
        entity_id=proposal.id,
        action=action,
        before=proposal.status,
        after=proposal.status,
        data={"task": task.id, "member": actor.id},
    )
    complete = board.complete
    if complete:
        await record(
            db,
            at=now,
            actor=actor,
            entity="task",
            entity_id=task.id,
            action="scores_complete",
            before=task.status,
            after=task.status,
            data={"totals": board.revealed_totals()},
        )
        about, ranking = {"task": task.title}, f"/tasks/{task.id}/ranking"
        await notify.to_role(db, Role.COMMITTEE, "scoring_complete", about, link=ranking)
        await notify.to_users(db, [m.id for m in board.members], "scoring_complete", about, link=ranking)
    return ScoreResult(proposal.id, marks_text(tenths, board.rubric), from_tenths(total), complete)


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """One qualified proposal as one member sees it."""

    proposal: Proposal
    state: QueueState
    own: Score | None
    others: list[tuple[User, Score]] | None


@dataclass(frozen=True, slots=True)
class Queue:
    """A member's queue."""

    board: Board
    status: TaskStatus
    entries: list[QueueEntry]


async def queue(db: AsyncSession, task_id: int, *, viewer: User, now: datetime) -> Queue:
    """The member's own queue: scored, waiting or recused per qualified proposal; others' marks once complete."""
    task = await visible_task(db, task_id, viewer)
    if not await _on_panel(db, task.id, viewer):
        raise Forbidden("您不在本榜单的评审组 (you are not on this task's panel)")
    board = await load_board(db, task)
    complete = board.complete
    entries: list[QueueEntry] = []
    for p in board.proposals:
        own = board.scores.get((p.id, viewer.id))
        state: QueueState = "recused" if is_recused(viewer, p) else "scored" if own is not None else "waiting"
        others = None
        if complete:
            others = [(m, s) for m in board.expected(p) if (s := board.scores.get((p.id, m.id))) is not None]
        entries.append(QueueEntry(p, state, own, others))
    return Queue(board, status_of(task, now), entries)


async def ranking(db: AsyncSession, task_id: int, *, viewer: User) -> tuple[Board, list[Standing] | None]:
    """The committee sees progress, then the ranking; panel members only the finished ranking; nobody else."""
    task = await visible_task(db, task_id, viewer)
    committee = viewer.role == Role.COMMITTEE
    if not committee and not await _on_panel(db, task.id, viewer):
        raise Forbidden("仅综合党委和本评审组成员可查看排名 (only the committee and the panel see the ranking)")
    board = await load_board(db, task)
    if not board.complete:
        if not committee:
            raise Forbidden("评审组尚未全部评完，排名未公开 (the ranking opens once the whole panel has scored)")
        return board, None
    return board, board.standings()


async def seats_of(db: AsyncSession, *, viewer: User, limit: int = 50) -> list[Task]:
    """The tasks whose panel the evaluator sits on, latest deadline first (their review queue)."""
    if viewer.role != Role.EVALUATOR:
        raise Forbidden("仅评审专家有评审任务 (only evaluators sit on panels)")
    stmt = (
        select(Task)
        .join(PanelMember, PanelMember.task_id == Task.id)
        .where(PanelMember.user_id == viewer.id)
        .order_by(Task.claim_deadline.desc(), Task.id.desc())
        .limit(limit)
    )
    return list((await db.scalars(stmt)).unique().all())


async def evaluators(db: AsyncSession) -> list[User]:
    """The active evaluator accounts a panel may be formed from."""
    stmt = select(User).where(User.role == Role.EVALUATOR, User.is_active.is_(True)).order_by(User.username)
    return list((await db.scalars(stmt)).unique().all())
