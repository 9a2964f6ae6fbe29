"""Awards (承榜), the public notice period (公示), objections (异议).

An award is published for `settings.notice_days`; anyone may object meanwhile. Upholding an objection revokes the
award and sends the task back to review, where the next-ranked proposal may be awarded; the revoked proposal is
`not_awarded` and cannot win again. When the period ends with no open objection the award is confirmed
(`market.flows.confirm_award`): by the tick, or lazily by the next write that locks the task. The steps that reach
past the award (locking and settling the task first, confirming into a project) are `market.flows`'.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from market import notify
from market.audit import Actor, SystemActor, record
from market.kernel.clock import as_utc, local
from market.kernel.db import lock
from market.kernel.errors import ApplicationError, InvalidInput, NotFound, StateConflict
from market.models import Award, Objection, Proposal, ProposalMember, Role, Task, User
from market.schemas._awards import ObjectionCreate
from market.services._scoring import ON_PROPOSAL, Board, Standing, load_board
from market.services._tasks import visible_task
from market.states import AwardStatus, ObjectionStatus, ProposalStatus, TaskStatus, check_transition
from market.transitions import move

# Whoever lodges an objection without signing in; the audit log names no member of the public.
PUBLIC = SystemActor(username="public")
NO_AWARD = "error.no_such_award"


async def standing_award(db: AsyncSession, task_id: int) -> Award | None:
    """The task's award in notice or confirmed, if any."""
    stmt = select(Award).where(Award.task_id == task_id, Award.status.in_([AwardStatus.NOTICE, AwardStatus.CONFIRMED]))
    return (await db.scalars(stmt)).one_or_none()


def effective_award_status(award: Award, now: datetime, open_objections: int) -> AwardStatus:
    """The award's status now: a notice that has run out with no open objection is confirmed, ticked or not."""
    stored = AwardStatus(award.status)
    if stored is AwardStatus.NOTICE and now >= as_utc(award.notice_ends_at) and open_objections == 0:
        return AwardStatus.CONFIRMED
    return stored


def objections_open(award: Award, now: datetime) -> bool:
    """Whether objections to the award are still received: it is in notice and its notice period has not ended."""
    return award.status == AwardStatus.NOTICE and now < as_utc(award.notice_ends_at)


async def org_ids_on(db: AsyncSession, proposal_ids: Iterable[int]) -> list[int]:
    """The lead and accepted partners of the given proposals."""
    ids = sorted(set(proposal_ids))
    if not ids:
        return []
    stmt = select(ProposalMember.organization_id).where(
        ProposalMember.proposal_id.in_(ids), ProposalMember.invitation.in_(ON_PROPOSAL)
    )
    return sorted(set((await db.scalars(stmt)).all()))


async def task_of_award(db: AsyncSession, award_id: int) -> int:
    """The id of the award's task, to lock before the award; 404 if there is no such award."""
    found = await db.get(Award, award_id)
    if found is None:
        raise NotFound(NO_AWARD)
    return found.task_id


async def task_of_objection(db: AsyncSession, objection_id: int) -> int:
    """The id of the objection's task, to lock before the objection; 404 if there is no such objection."""
    found = await db.get(Objection, objection_id)
    if found is None:
        raise NotFound("error.no_such_objection")
    return found.task_id


# Awarding --------------------------------------------------------------------------------------------------


class AwardBar(StrEnum):
    """Why the chosen proposal cannot be awarded now."""

    PANEL_UNFINISHED = "panel_unfinished"  # the panel has not finished scoring
    NOT_RANKED = "not_ranked"  # no qualified proposal with this id on the task's board
    DECIDED = "decided"  # ranked, but no longer qualified (its award was revoked, or it was disqualified)
    REASON_NEEDED = "reason_needed"  # not the top one still eligible, and no written reason


def check_award(board: Board, proposal_id: int, reason: str | None) -> Standing | AwardBar:
    """The proposal's standing if the committee may award it, with this reason, on this board; else what bars it.

    `award` refuses exactly these; a page asks first, to say so beside the form before anything is written.
    """
    if not board.complete:
        return AwardBar.PANEL_UNFINISHED
    standings = board.standings()
    chosen = next((s for s in standings if s.proposal.id == proposal_id), None)
    if chosen is None:
        return AwardBar.NOT_RANKED
    if chosen.proposal.status != ProposalStatus.QUALIFIED:
        return AwardBar.DECIDED
    top = next(s for s in standings if s.proposal.status == ProposalStatus.QUALIFIED)
    if top.proposal.id != chosen.proposal.id and not (reason or "").strip():
        return AwardBar.REASON_NEEDED
    return chosen


def _refusal(bar: AwardBar) -> ApplicationError:
    if bar is AwardBar.PANEL_UNFINISHED:
        return StateConflict("error.panel_not_finished_scoring")
    if bar is AwardBar.NOT_RANKED:
        return InvalidInput("error.no_qualified_proposal_id", field="proposal_id")
    if bar is AwardBar.DECIDED:
        return StateConflict("error.proposal_award_revoked_decided")
    return InvalidInput("error.choosing_other_than_top", field="reason")


async def award(
    db: AsyncSession,
    task: Task,
    board: Board,
    proposal_id: int,
    reason: str | None,
    *,
    actor: User,
    now: datetime,
    notice_days: int,
) -> Award:
    """Award a qualified proposal once the panel is complete; any but the top one still eligible needs a reason.

    The task comes locked, with what time has made due applied, and its board read under that lock
    (`market.flows.award`).
    """
    if task.status == TaskStatus.DRAFT:
        raise NotFound("error.no_such_task")
    if await standing_award(db, task.id) is not None:
        raise StateConflict("error.award_already_stands_task")
    check_transition(TaskStatus(task.status), TaskStatus.AWARDED, what="task")
    chosen = check_award(board, proposal_id, reason)
    if isinstance(chosen, AwardBar):
        raise _refusal(chosen)
    standings = board.standings()
    # The board holds the proposal's columns; its state moves on the row itself (the task is locked).
    proposal = await db.get(Proposal, chosen.proposal.id, populate_existing=True)
    if proposal is None or proposal.status != ProposalStatus.QUALIFIED:
        raise _refusal(AwardBar.DECIDED)
    why = (reason or "").strip()
    a = Award(
        task_id=task.id,
        proposal_id=proposal.id,
        status=AwardStatus.NOTICE,
        rank_at_award=chosen.rank,
        reason=why,
        awarded_by_id=actor.id,
        awarded_at=now,
        notice_ends_at=now + timedelta(days=notice_days),
    )
    db.add(a)
    await db.flush()
    await record(
        db,
        at=now,
        actor=actor,
        entity="award",
        entity_id=a.id,
        action="award",
        after=AwardStatus.NOTICE,
        data={"task": task.id, "proposal": proposal.id, "rank": chosen.rank, "score": str(chosen.score), "reason": why},
    )
    await move(
        db,
        proposal,
        ProposalStatus.AWARDED,
        entity="proposal",
        action="award",
        actor=actor,
        now=now,
        data={"award": a.id},
    )
    await move(db, task, TaskStatus.AWARDED, entity="task", action="award", actor=actor, now=now, data={"award": a.id})
    ends = f"{local(a.notice_ends_at):%Y-%m-%d %H:%M}"
    notice = {"task": task.title, "ends": ends}
    await notify.to_orgs(db, await org_ids_on(db, [proposal.id]), "award.notice", notice, link=f"/awards/{a.id}")
    others = [
        s.proposal.id
        for s in standings
        if s.proposal.status == ProposalStatus.QUALIFIED and s.proposal.id != proposal.id
    ]
    await notify.to_orgs(db, await org_ids_on(db, others), "award.notice_others", notice, link=f"/awards/{a.id}")
    return a


# Objections ------------------------------------------------------------------------------------------------


async def lodge(
    db: AsyncSession, task: Task, award_id: int, data: ObjectionCreate, *, viewer: User | None, now: datetime
) -> Objection:
    """Anyone, signed in or not, objects to an award during its notice period (the award's task comes locked and
    settled: `market.flows.lodge`)."""
    a = await lock(db, Award, award_id)
    if a is None:
        raise NotFound(NO_AWARD)
    if not objections_open(a, now):
        raise StateConflict("error.notice_period_over_objections")
    o = Objection(
        award_id=a.id,
        task_id=task.id,
        lodged_by_id=viewer.id if viewer else None,
        name=data.name,
        contact=data.contact,
        grounds=data.grounds,
        status=ObjectionStatus.OPEN,
    )
    db.add(o)
    await db.flush()
    actor: Actor = viewer if viewer is not None else PUBLIC
    await record(
        db,
        at=now,
        actor=actor,
        entity="objection",
        entity_id=o.id,
        action="lodge",
        after=ObjectionStatus.OPEN,
        data={"award": a.id, "task": task.id},
    )
    about = {"task": task.title}
    await notify.to_role(db, Role.COMMITTEE, "objection.lodged", about, link=f"/awards/{a.id}/objections")
    await notify.to_orgs(
        db, await org_ids_on(db, [a.proposal_id]), "objection.lodged_winner", about, link=f"/awards/{a.id}"
    )
    return o


async def objections_of(db: AsyncSession, award_id: int) -> list[Objection]:
    """Every objection to an award, oldest first (the committee's view, with identities)."""
    if await db.get(Award, award_id) is None:
        raise NotFound(NO_AWARD)
    stmt = select(Objection).where(Objection.award_id == award_id).order_by(Objection.id)
    return list((await db.scalars(stmt)).all())


async def _close(
    db: AsyncSession, o: Objection, target: ObjectionStatus, resolution: str, *, actor: User, now: datetime
) -> None:
    o.resolution = resolution
    o.resolved_by_id = actor.id
    o.resolved_at = now
    await move(db, o, target, entity="objection", action=target.value, actor=actor, now=now, data={"award": o.award_id})


async def resolve(
    db: AsyncSession, task: Task, objection_id: int, uphold: bool, resolution: str, *, actor: User, now: datetime
) -> Objection:
    """Uphold (the award is revoked, the task returns to review) or dismiss an open objection.

    Upholding closes the award's other open objections as upheld too: the award they object to is gone. The
    objection's task comes locked; confirming the award when the last open objection is dismissed after the notice
    period is `market.flows.resolve`'s.
    """
    o = await lock(db, Objection, objection_id)
    a = None if o is None else await lock(db, Award, o.award_id)
    if o is None or a is None:
        raise NotFound("error.no_such_objection")
    target = ObjectionStatus.UPHELD if uphold else ObjectionStatus.DISMISSED
    check_transition(ObjectionStatus(o.status), target, what="objection")
    if a.status != AwardStatus.NOTICE:
        raise StateConflict("error.award_no_longer_notice")
    await _close(db, o, target, resolution, actor=actor, now=now)
    objectors = [o.lodged_by_id] if o.lodged_by_id else []
    if uphold:
        rest = (
            await db.scalars(
                select(Objection)
                .where(Objection.award_id == a.id, Objection.status == ObjectionStatus.OPEN, Objection.id != o.id)
                .order_by(Objection.id)
                .with_for_update()
            )
        ).all()
        note = f"随异议 #{o.id} 一并结案：承榜已撤销 (closed with objection #{o.id}: the award was revoked)"
        for other in rest:
            await _close(db, other, ObjectionStatus.UPHELD, note, actor=actor, now=now)
            if other.lodged_by_id:
                objectors.append(other.lodged_by_id)
        await _revoke(db, task, a, o, actor=actor, now=now)
    await notify.to_users(
        db,
        objectors,
        "objection.upheld" if uphold else "objection.dismissed",
        {"task": task.title, "resolution": resolution},
        link=f"/awards/{a.id}",
    )
    if not uphold:
        await notify.to_orgs(
            db,
            await org_ids_on(db, [a.proposal_id]),
            "objection.dismissed_winner",
            {"task": task.title},
            link=f"/awards/{a.id}",
        )
    return o


async def _revoke(db: AsyncSession, task: Task, a: Award, o: Objection, *, actor: User, now: datetime) -> None:
    """Take the award back: award revoked, proposal not awarded, task back in review."""
    a.decided_at = now
    await move(
        db, a, AwardStatus.REVOKED, entity="award", action="revoke", actor=actor, now=now, data={"objection": o.id}
    )
    p = (
        await db.scalars(select(Proposal).where(Proposal.id == a.proposal_id).execution_options(populate_existing=True))
    ).one()
    await move(
        db,
        p,
        ProposalStatus.NOT_AWARDED,
        entity="proposal",
        action="award_revoked",
        actor=actor,
        now=now,
        data={"award": a.id},
    )
    await move(
        db,
        task,
        TaskStatus.REVIEWING,
        entity="task",
        action="award_revoked",
        actor=actor,
        now=now,
        data={"award": a.id, "objection": o.id},
    )
    await notify.to_orgs(
        db,
        await org_ids_on(db, [p.id]),
        "award_revoked.winner",
        {"task": task.title, "resolution": o.resolution},
        link=f"/awards/{a.id}",
    )
    await notify.to_role(db, Role.COMMITTEE, "award_revoked.committee", {"task": task.title}, link=f"/tasks/{task.id}")


# Reads -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AwardView:
    """An award with what its public notice shows."""

    award: Award
    task: Task
    proposal: Proposal
    status: AwardStatus
    score: Decimal | None
    objections: int
    open_objections: int


async def _views(db: AsyncSession, task: Task, awards: Sequence[Award], now: datetime) -> list[AwardView]:
    if not awards:
        return []
    ids = [a.id for a in awards]
    counts = (
        await db.execute(
            select(Objection.award_id, Objection.status, func.count())
            .where(Objection.award_id.in_(ids))
            .group_by(Objection.award_id, Objection.status)
        )
    ).all()
    total: dict[int, int] = {}
    open_: dict[int, int] = {}
    for award_id, status, n in counts:
        total[award_id] = total.get(award_id, 0) + n
        if status == ObjectionStatus.OPEN:
            open_[award_id] = n
    proposals = {
        p.id: p
        for p in (
            await db.scalars(
                select(Proposal)
                .where(Proposal.id.in_([a.proposal_id for a in awards]))
                .options(selectinload(Proposal.members).joinedload(ProposalMember.organization))
            )
        )
        .unique()
        .all()
    }
    board = await load_board(db, task)
    scores = {s.proposal.id: s.score for s in board.standings()} if board.complete else {}
    return [
        AwardView(
            award=a,
            task=task,
            proposal=proposals[a.proposal_id],
            status=effective_award_status(a, now, open_.get(a.id, 0)),
            score=scores.get(a.proposal_id),
            objections=total.get(a.id, 0),
            open_objections=open_.get(a.id, 0),
        )
        for a in awards
    ]


async def notice(db: AsyncSession, award_id: int, *, now: datetime) -> AwardView:
    """One award's public notice."""
    a = await db.get(Award, award_id)
    if a is None:
        raise NotFound(NO_AWARD)
    task = await db.get(Task, a.task_id)
    if task is None:
        raise NotFound(NO_AWARD)
    return (await _views(db, task, [a], now))[0]


async def awards_of(db: AsyncSession, task_id: int, *, viewer: User | None, now: datetime) -> list[AwardView]:
    """Every award a task has had, newest first (revoked ones included)."""
    task = await visible_task(db, task_id, viewer)
    awards = (await db.scalars(select(Award).where(Award.task_id == task.id).order_by(Award.id.desc()))).all()
    return await _views(db, task, awards, now)


async def standing_notice(db: AsyncSession, task_id: int, *, viewer: User | None, now: datetime) -> AwardView:
    """The task's award in notice or confirmed; 404 when none stands."""
    views = await awards_of(db, task_id, viewer=viewer, now=now)
    standing = next((v for v in views if v.status != AwardStatus.REVOKED), None)
    if standing is None:
        raise NotFound("error.no_award_stands_task")
    return standing
