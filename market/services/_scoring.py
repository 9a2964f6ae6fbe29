"""Evaluation panels (评审组), members' marks and the ranking (综合评分).

The arithmetic is `market.scoring`'s; this module decides who may score what and when, and what each viewer sees.
Scores are sealed from everyone (committee included) until the panel is complete: every non-recused member has
scored every qualified proposal and no proposal still waits for qualification. From then on they are frozen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy import ColumnElement, and_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from market import notify
from market.audit import record
from market.kernel.clock import as_utc
from market.kernel.errors import Forbidden, InvalidInput, NotFound, StateConflict
from market.models import Organization, PanelMember, Proposal, ProposalMember, Role, Score, Task, User
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
        """The board's counts (what `_progress` asks the database for without loading the board)."""
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
        """The ranking, best first (only meaningful once complete)."""
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
        scores={(pid, uid): Mark(pid, uid, total, int(every[first])) for pid, uid, total, every in marks},
    )


async def _progress(db: AsyncSession, task: Task) -> Progress:
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
    """A panel member scores (or re-scores, until the panel is complete) a qualified proposal after the deadline.

    Whether the panel was, and now is, complete is counted by the database (`_progress`); the whole board is read
    only when this score completes it, for the audit entry that reveals every total.
    """
    task_id = await db.scalar(select(Proposal.task_id).where(Proposal.id == proposal_id))
    if task_id is None:
        raise NotFound(SEALED)
    task = await lock_task(db, task_id, now)
    on_panel = select(PanelMember.id).where(PanelMember.task_id == task.id, PanelMember.user_id == actor.id)
    recused = select(ProposalMember.id).where(
        ProposalMember.proposal_id == Proposal.id,
        ProposalMember.organization_id == actor.organization_id,
        ProposalMember.invitation.in_(ON_PROPOSAL),
    )
    status, seated, is_on = (
        await db.execute(select(Proposal.status, on_panel.exists(), recused.exists()).where(Proposal.id == proposal_id))
    ).one()
    # Off the panel the proposal is sealed: as if it did not exist.
    if actor.role != Role.EVALUATOR or not seated or status not in UNSEALED_STATES:
        raise NotFound(SEALED)
    if task.status != TaskStatus.REVIEWING:
        raise StateConflict("只有揭榜截止后、承榜前可以评分 (scoring is open only while the task is under review)")
    if status != ProposalStatus.QUALIFIED:
        raise StateConflict("只有资格审查合格的意向书可以评分 (only qualified proposals are scored)")
    if actor.organization_id is not None and is_on:
        raise Forbidden("您所在组织参与了该意向书，须回避 (your organisation is on this proposal: you are recused)")
    progress = await _progress(db, task)
    if panel_complete(progress):
        raise StateConflict(
            "评审组已全部评完，分数已公开并锁定 (the panel is complete; scores are revealed and frozen)"
        )
    rubric = rubric_of(task)
    try:
        marks = validate_marks(rubric, raw_marks)
    except MarkError as exc:
        raise InvalidInput(str(exc), field="marks", extra={"criterion": exc.criterion}) from exc
    tenths = {name: to_tenths(value) for name, value in marks.items()}
    total = sum(tenths.values())
    existing = await db.scalar(select(Score).where(Score.proposal_id == proposal_id, Score.user_id == actor.id))
    if existing is None:
        db.add(
            Score(task_id=task.id, proposal_id=proposal_id, user_id=actor.id, marks_tenths=tenths, total_tenths=total)
        )
        action = "score"
        # This member's mark for this proposal was one the panel still owed (seated, not recused, qualified).
        progress = replace(progress, missing=progress.missing - 1)
    else:
        existing.marks_tenths = tenths
        existing.total_tenths = total
        action = "rescore"
    await db.flush()
    # The marks stay out of the audit entry until the panel is complete, so the log cannot unseal them early.
    await record(
        db,
        at=now,
        actor=actor,
        entity="proposal",
        entity_id=proposal_id,
        action=action,
        before=status,
        after=status,
        data={"task": task.id, "member": actor.id},
    )
    complete = panel_complete(progress)
    if complete:
        board = await load_board(db, task)
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
    return ScoreResult(proposal_id, marks_text(tenths, rubric), from_tenths(total), complete)


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """One qualified proposal as one member sees it."""

    proposal: Ranked
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
    # The marks themselves: the viewer's own, and everyone's once the panel is complete.
    shown = select(Score).where(Score.task_id == task.id)
    if not complete:
        shown = shown.where(Score.user_id == viewer.id)
    scores = {(s.proposal_id, s.user_id): s for s in (await db.scalars(shown)).all()}
    entries: list[QueueEntry] = []
    for p in board.proposals:
        own = scores.get((p.id, viewer.id))
        state: QueueState = "recused" if is_recused(viewer, p) else "scored" if own is not None else "waiting"
        others = None
        if complete:
            others = [(m, s) for m in board.expected(p) if (s := scores.get((p.id, m.id))) is not None]
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
