"""Evaluation panels (评审组) and members' marks: who may score what and when, and what each viewer sees."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from market import notify
from market.audit import record
from market.kernel.errors import Forbidden, InvalidInput, NotFound, StateConflict
from market.models import PanelMember, Proposal, ProposalMember, Role, Score, Task, User
from market.scoring import (
    MarkError,
    from_tenths,
    to_tenths,
    validate_marks,
)
from market.services._proposals import SEALED, UNSEALED_STATES
from market.services._scoring._board import (
    ON_PROPOSAL,
    PANEL_STATES,
    Board,
    QueueState,
    Ranked,
    Standing,
    is_recused,
    load_board,
    marks_text,
    panel_complete,
    panel_progress,
)
from market.services._tasks import lock_task, rubric_of, status_of, visible_task
from market.states import ProposalStatus, TaskStatus


async def _on_panel(db: AsyncSession, task_id: int, user: User) -> bool:
    if user.role != Role.EVALUATOR:
        return False
    stmt = select(PanelMember.id).where(PanelMember.task_id == task_id, PanelMember.user_id == user.id)
    return await db.scalar(stmt) is not None


async def _scoring_started(db: AsyncSession, task_id: int) -> bool:
    return await db.scalar(select(Score.id).where(Score.task_id == task_id).limit(1)) is not None


# The panel -------------------------------------------------------------------------------------------------


async def set_panel(
    db: AsyncSession, task_id: int, user_ids: Sequence[int], *, named: bool = False, actor: User, now: datetime
) -> None:
    """Form or change a task's panel while posted or in review, until it is complete; new members are told.
    `named` is whether the award dossier names the members (by default they are 评委A, 评委B…).

    Once scoring has begun members may still be added (say, when everyone on the panel is recused from one
    proposal) but nobody who has scored may be removed: their marks are part of the record.
    """
    task = await lock_task(db, task_id, now)
    if task.status not in PANEL_STATES:
        raise StateConflict("error.panel_formed_while_task")
    if (await load_board(db, task)).complete:
        raise StateConflict("error.panel_finished_scoring_fixed")
    wanted = list(dict.fromkeys(user_ids))
    users = {u.id: u for u in (await db.scalars(select(User).where(User.id.in_(wanted)))).unique().all()}
    for uid in wanted:
        user = users.get(uid)
        if user is None or not user.is_active or user.role != Role.EVALUATOR:
            raise InvalidInput(
                "error.user_not_active_evaluator",
                field="user_ids",
                extra={"user_id": uid},
                uid=uid,
            )
    current = set((await db.scalars(select(PanelMember.user_id).where(PanelMember.task_id == task.id))).all())
    added = [uid for uid in wanted if uid not in current]
    removed = sorted(current - set(wanted))
    if not added and not removed and named == task.panel_named:
        return
    scorers = set((await db.scalars(select(Score.user_id).where(Score.task_id == task.id))).all())
    if scorers & set(removed):
        raise StateConflict("error.members_who_scored_cannot", field="user_ids")
    if removed:
        await db.execute(delete(PanelMember).where(PanelMember.task_id == task.id, PanelMember.user_id.in_(removed)))
    db.add_all(PanelMember(task_id=task.id, user_id=uid) for uid in added)
    task.panel_named = named
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
        data={"members": wanted, "added": added, "removed": removed, "named": named},
    )
    await notify.to_users(db, added, "panel_seat.added", {"task": task.title}, link=f"/tasks/{task.id}/scoring")
    await notify.to_users(db, removed, "panel_seat.removed", {"task": task.title}, link=f"/tasks/{task.id}")


async def panel_of(db: AsyncSession, task_id: int, *, viewer: User) -> tuple[list[User], bool, bool]:
    """The panel (committee, or a member of it), whether scoring has started, and whether the dossier names it."""
    task = await visible_task(db, task_id, viewer)
    if viewer.role != Role.COMMITTEE and not await _on_panel(db, task.id, viewer):
        raise Forbidden("error.only_committee_panel_see")
    members = (
        await db.scalars(
            select(User)
            .join(PanelMember, PanelMember.user_id == User.id)
            .where(PanelMember.task_id == task.id)
            .order_by(PanelMember.id)
        )
    ).unique()
    return list(members.all()), await _scoring_started(db, task.id), task.panel_named


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

    Whether the panel was, and now is, complete is counted by the database (`panel_progress`); the whole board is read
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
        raise StateConflict("error.scoring_open_only_while")
    if status != ProposalStatus.QUALIFIED:
        raise StateConflict("error.only_qualified_proposals_scored")
    if actor.organization_id is not None and is_on:
        raise Forbidden("error.organisation_proposal_recused")
    progress = await panel_progress(db, task)
    if panel_complete(progress):
        raise StateConflict("error.panel_complete_scores_revealed")
    rubric = rubric_of(task)
    try:
        marks = validate_marks(rubric, raw_marks)
    except MarkError as exc:
        raise InvalidInput(exc.key, field="marks", extra={"criterion": exc.criterion}, **exc.params) from exc
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
        raise Forbidden("error.not_task_panel")
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
        raise Forbidden("error.only_committee_panel_see_ranking")
    board = await load_board(db, task)
    if not board.complete:
        if not committee:
            raise Forbidden("error.ranking_opens_once_whole")
        return board, None
    return board, board.standings()


async def seats_of(db: AsyncSession, *, viewer: User, limit: int = 50) -> list[Task]:
    """The tasks whose panel the evaluator sits on, latest deadline first (their review queue)."""
    if viewer.role != Role.EVALUATOR:
        raise Forbidden("error.only_evaluators_sit_panels")
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
