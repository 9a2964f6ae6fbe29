"""Qualification (资格审查): after the deadline the committee qualifies or disqualifies each submitted proposal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from market import notify
from market.kernel.errors import InvalidInput, StateConflict
from market.models import Proposal, Score, Task, User
from market.states import ProposalStatus, TaskStatus
from market.transitions import move


async def qualify(
    db: AsyncSession,
    p: Proposal,
    task: Task,
    qualified: bool,
    reason: str | None,
    *,
    award_stands: bool,
    actor: User,
    now: datetime,
) -> Proposal:
    """After the deadline the committee qualifies or disqualifies (with a reason) a submitted proposal; a decision
    may be changed until scoring begins.

    The proposal and its locked task come from `lock_with_task`; whether an award stands is the awards' to say.
    What follows for the task (unclaimed once none is qualified) is `market.flows.qualify`'s.
    """
    if task.status != TaskStatus.REVIEWING:
        raise StateConflict("error.qualification_happens_during_review")
    if p.status not in (ProposalStatus.SUBMITTED, ProposalStatus.QUALIFIED, ProposalStatus.DISQUALIFIED):
        raise StateConflict("error.proposal_not_up_qualification")
    if award_stands:
        raise StateConflict("error.award_stands_qualification_closed")
    if p.status != ProposalStatus.SUBMITTED and (
        await db.scalar(select(Score.id).where(Score.task_id == task.id).limit(1)) is not None
    ):
        # A first decision may still come in, but reversing one after marks exist would skew a ranking under way.
        raise StateConflict("error.scoring_begun_decisions_already")
    target = ProposalStatus.QUALIFIED if qualified else ProposalStatus.DISQUALIFIED
    if not qualified and not (reason and reason.strip()):
        raise InvalidInput("error.disqualification_needs_reason", field="reason")
    p.disqualify_reason = "" if qualified else (reason or "")
    await move(
        db,
        p,
        target,
        entity="proposal",
        action="qualify",
        actor=actor,
        now=now,
        data={"reason": p.disqualify_reason},
        again=True,
    )
    await notify.to_orgs(
        db,
        [m.organization_id for m in p.members if m.live],
        "qualification.passed" if qualified else "qualification.failed",
        {"task": task.title} if qualified else {"task": task.title, "reason": p.disqualify_reason},
        link=f"/proposals/{p.id}",
    )
    return p


async def none_qualified(db: AsyncSession, task_id: int) -> bool:
    """Whether review has left the task without a proposal that could win: every submitted one decided, none
    qualified (or awarded)."""
    statuses = set((await db.scalars(select(Proposal.status).where(Proposal.task_id == task_id))).all())
    undecided = ProposalStatus.SUBMITTED in statuses
    return not undecided and not statuses & {ProposalStatus.QUALIFIED, ProposalStatus.AWARDED}
