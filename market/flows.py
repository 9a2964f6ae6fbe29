"""Steps that cross aggregates, the only place the services of tasks, proposals, awards and projects meet.

A task's cancellation (its proposals and needs), an amendment's consequences, qualification → unclaimed,
award → notice → project → lists, and the tick that applies what time has made due. A service imports only the
services below it (`_tasks` is the bottom, then proposals, scoring, awards; projects on tasks) and calls none of their
writes; a step that must also change a second aggregate is written here, and controllers and pages call the step,
not the service's part of it. (Some moves of the state that mirror another aggregate's stay with the service that
causes them: an award moves its proposal and task, a project's delivery its task.)

Every function here runs inside the caller's write transaction (`market.kernel.db.writing`), except `catch_up`, which
opens its own before a request reads anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from market import notify
from market.audit import SYSTEM
from market.kernel.clock import as_utc
from market.kernel.db import writing
from market.lists import refresh_needs
from market.models import Award, Objection, Project, Proposal, Task, TaskAmendment, User
from market.models._tasks import past_deadline
from market.schemas._awards import ObjectionCreate
from market.schemas._tasks import TaskAmend
from market.services import awards, dossiers, points, projects, proposals, scoring, tasks
from market.services._retention import purge_numbers
from market.states import AwardStatus, ObjectionStatus, ProposalStatus, TaskStatus
from market.throttle import forget_old_counts
from market.transitions import move


@dataclass(slots=True)
class TickReport:
    """What one tick moved: tasks past their deadline (into review, or unclaimed), awards confirmed, and residents'
    numbers erased after their retention period."""

    reviewing: int = 0
    unclaimed: int = 0
    confirmed: int = 0
    erased: int = 0
    points_counted: int = 0

    @property
    def moved(self) -> int:
        """Everything the tick changed."""
        return self.reviewing + self.unclaimed + self.confirmed + self.erased + self.points_counted


# A task's cancellation and amendments ----------------------------------------------------------------------


async def cancel_task(db: AsyncSession, task_id: int, reason: str, *, actor: User, now: datetime) -> Task:
    """Withdraw a task that has not been awarded; every organisation on it is released and told, and the needs it
    answered are open again.

    Its proposals keep their last state as the record of what was claimed before the cancellation.
    """
    task = await tasks.cancel(db, task_id, reason, actor=actor, now=now)
    org_ids = await proposals.end_live_proposals(db, task)
    await notify.to_orgs(
        db, org_ids, "task_cancelled", {"task": task.title, "reason": reason}, link=f"/tasks/{task.id}"
    )
    await refresh_needs(db, await tasks.need_ids_of(db, task.id), now=now, actor=actor)
    return task


async def amend_task(db: AsyncSession, task_id: int, data: TaskAmend, *, actor: User, now: datetime) -> TaskAmendment:
    """Change a posted task's terms by a recorded amendment (变更公告). Joint claims cannot be switched off while a
    live proposal has partners; a material change sends submitted proposals back to draft, and their organisations
    are told."""
    amendment = await tasks.amend(db, task_id, data, actor=actor, now=now)
    task = await db.get_one(Task, amendment.task_id)  # locked by the amendment: already in the session
    await proposals.check_amendment_fits(db, task)
    if amendment.material:
        org_ids = await proposals.return_submitted_to_draft(db, task, now=now, actor=actor, reason=data.reason)
        await notify.to_orgs(
            db, org_ids, "task_amended", {"task": task.title, "reason": data.reason}, link=f"/tasks/{task.id}"
        )
    return amendment


# Qualification ----------------------------------------------------------------------------------------------


async def qualify(
    db: AsyncSession, proposal_id: int, qualified: bool, reason: str | None, *, actor: User, now: datetime
) -> Proposal:
    """The committee qualifies or disqualifies a submitted proposal; once every one is decided and none qualified,
    the task goes unclaimed (流榜) and its needs reopen."""
    p, task = await proposals.lock_with_task(db, proposal_id, now)
    award_stands = await awards.standing_award(db, task.id) is not None
    p = await proposals.qualify(db, p, task, qualified, reason, award_stands=award_stands, actor=actor, now=now)
    if await proposals.none_qualified(db, task.id):
        await tasks.go_unclaimed(db, task, now=now, actor=actor)
    return p


# Awards ---------------------------------------------------------------------------------------------------------


async def lock_settled_task(db: AsyncSession, task_id: int, now: datetime) -> Task:
    """The task locked, with every transition time has made due applied: deadline first, then end of notice."""
    task = await tasks.lock_task(db, task_id, now)
    await apply_due_award(db, task, now)
    return task


async def award(
    db: AsyncSession,
    task_id: int,
    proposal_id: int,
    reason: str | None,
    *,
    actor: User,
    now: datetime,
    notice_days: int,
) -> Award:
    """Award a qualified proposal (承榜): its public notice period begins (`market.services._awards.award`), and its
    dossier (评审档案) is frozen in the same transaction."""
    task = await lock_settled_task(db, task_id, now)
    # One reading of the ranking: the award is checked against it and the dossier records it.
    board = await scoring.load_board(db, task)
    a = await awards.award(db, task, board, proposal_id, reason, actor=actor, now=now, notice_days=notice_days)
    await dossiers.publish(db, task, board, a, actor=actor, now=now)
    return a


async def lodge(
    db: AsyncSession, award_id: int, data: ObjectionCreate, *, viewer: User | None, now: datetime
) -> Objection:
    """Anyone, signed in or not, objects to an award during its notice period."""
    task = await lock_settled_task(db, await awards.task_of_award(db, award_id), now)
    return await awards.lodge(db, task, award_id, data, viewer=viewer, now=now)


async def resolve(
    db: AsyncSession, objection_id: int, uphold: bool, resolution: str, *, actor: User, now: datetime
) -> Objection:
    """Uphold an open objection (the award is revoked, the task returns to review) or dismiss it; dismissing the
    last open one after the notice period has ended confirms the award at once, and the project begins. Either way
    the award's dossier gains an addition saying so."""
    task = await tasks.lock_task(db, await awards.task_of_objection(db, objection_id), now)
    o = await awards.resolve(db, task, objection_id, uphold, resolution, actor=actor, now=now)
    if uphold:
        closed = await dossiers.upheld_objections(db, o.award_id)
        await dossiers.add(db, o.award_id, "revoked", closed, resolution, actor=actor, now=now)
    else:
        await dossiers.add(db, o.award_id, "objection_dismissed", [o.id], resolution, actor=actor, now=now)
        await apply_due_award(db, task, now)
    return o


async def confirm_award(db: AsyncSession, task: Task, award: Award, now: datetime) -> Project:
    """The notice period ended with no open objection: award confirmed, task in progress, the project begins.

    The other qualified proposals become not awarded and everyone on a ranked proposal is told. The task must be
    locked by the caller.
    """
    award.decided_at = now
    await move(
        db,
        award,
        AwardStatus.CONFIRMED,
        entity="award",
        action="confirm",
        actor=SYSTEM,
        now=now,
        data={"notice_ended": as_utc(award.notice_ends_at).isoformat()},
    )
    await move(
        db,
        task,
        TaskStatus.IN_PROGRESS,
        entity="task",
        action="confirm",
        actor=SYSTEM,
        now=now,
        data={"award": award.id},
    )
    in_the_running = (
        await db.scalars(
            select(Proposal)
            .where(
                Proposal.task_id == task.id,
                Proposal.status.in_([ProposalStatus.QUALIFIED, ProposalStatus.AWARDED]),
            )
            .execution_options(populate_existing=True)
        )
    ).all()
    winner = next(p for p in in_the_running if p.id == award.proposal_id)
    others = [p for p in in_the_running if p.id != award.proposal_id]
    for p in others:
        await move(
            db,
            p,
            ProposalStatus.NOT_AWARDED,
            entity="proposal",
            action="not_awarded",
            actor=SYSTEM,
            now=now,
            data={"award": award.id},
        )
    project = await projects.start(db, task, award, winner, now=now)
    await refresh_needs(db, await tasks.need_ids_of(db, task.id), now=now, actor=SYSTEM)
    about = {"task": task.title}
    await notify.to_orgs(
        db, await awards.org_ids_on(db, [winner.id]), "award.confirmed", about, link=f"/projects/{project.id}"
    )
    await notify.to_orgs(
        db,
        await awards.org_ids_on(db, [p.id for p in others]),
        "award.confirmed_others",
        about,
        link=f"/tasks/{task.id}",
    )
    return project


async def apply_due_award(db: AsyncSession, task: Task, now: datetime) -> bool:
    """Confirm the locked task's award if its notice period is over and no objection is open. Idempotent."""
    if task.status != TaskStatus.AWARDED:
        return False
    award = (
        await db.scalars(
            select(Award)
            .where(Award.task_id == task.id, Award.status == AwardStatus.NOTICE)
            .execution_options(populate_existing=True)
        )
    ).one_or_none()
    if award is None or now < as_utc(award.notice_ends_at):
        return False
    pending = await db.scalar(
        select(Objection.id).where(Objection.award_id == award.id, Objection.status == ObjectionStatus.OPEN).limit(1)
    )
    if pending is not None:
        return False
    await confirm_award(db, task, award, now)
    return True


async def _due_award_task_ids(db: AsyncSession, now: datetime) -> list[int]:
    stmt = due_awards(now).with_only_columns(Award.task_id).order_by(Award.task_id)
    return list((await db.scalars(stmt)).all())


async def tick(db: AsyncSession, now: datetime) -> TickReport:
    """Apply every transition time has made due: claim deadlines, then ends of notice periods; then erase the
    numbers of residents whose class is past its retention period (a bounded batch), and throttling counts whose
    windows are long over. Idempotent.

    Run it inside one write transaction. All the tasks it will touch are locked up front in id order, so a tick
    never deadlocks against a request that holds one task and waits for the audit chain.
    """
    report = TickReport()
    deadline_ids = list((await db.scalars(due_tasks(now).order_by(Task.id))).all())
    award_ids = await _due_award_task_ids(db, now)
    ids = sorted(set(deadline_ids) | set(award_ids))
    stmt = (
        select(Task)
        .where(Task.id.in_(ids))
        .order_by(Task.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    due = list((await db.scalars(stmt)).all()) if ids else []
    for task in due:
        if await tasks.apply_deadline(db, task, now):
            if task.status == TaskStatus.REVIEWING:
                report.reviewing += 1
            else:
                report.unclaimed += 1
        if await apply_due_award(db, task, now):
            report.confirmed += 1
    # Points entries lock only themselves and the audit head, after every task: the same order as any request.
    report.points_counted = await points.count_due(db, now)
    report.erased = await purge_numbers(db, now)
    await forget_old_counts(db, now)
    return report


def due_awards(now: datetime) -> Select[int]:
    """Awards whose notice period has ended with no objection open: due for confirmation."""
    open_objection = exists().where(Objection.award_id == Award.id, Objection.status == ObjectionStatus.OPEN)
    return select(Award.id).where(Award.status == AwardStatus.NOTICE, Award.notice_ends_at <= now, ~open_objection)


def due_tasks(now: datetime) -> Select[int]:
    """Posted tasks past their claim deadline: due to enter review or go unclaimed."""
    return select(Task.id).where(past_deadline(now))


def due_now(now: datetime) -> ColumnElement[bool]:
    """Whether time has made any transition due that is not stored yet, as SQL: three index probes (tasks past
    their deadline, awards and points entries past their notice)."""
    return or_(due_tasks(now).exists(), due_awards(now).exists(), points.due_entries(now).exists())


async def anything_due(db: AsyncSession, now: datetime) -> bool:
    """Whether time has made any transition due that is not stored yet: one statement."""
    return bool(await db.scalar(select(due_now(now))))


async def catch_up(db: AsyncSession, now: datetime) -> bool:
    """Store what time has made due before anything is read, so every read shows the state of this instant.

    Nearly always one cheap query that finds nothing. When something is due, the tick runs in a write
    transaction of its own: it locks what it moves and is idempotent, so workers racing here apply it once.
    """
    if not await anything_due(db, now):
        return False
    async with writing(db):
        await tick(db, now)
    return True
