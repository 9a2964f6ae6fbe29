"""Proposals (揭榜意向书) sealed: who may see a proposal, and the reads that respect it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from market.audit import record_many
from market.kernel.clock import as_utc
from market.kernel.db import writing
from market.kernel.errors import Forbidden, NotFound
from market.models import PanelMember, Proposal, ProposalMember, Role, Task, User
from market.services._tasks import status_of, visible_to
from market.states import InvitationStatus, ProposalStatus, TaskStatus

SEALED = "error.no_such_proposal"
# After the deadline the committee and the panel see these; drafts and withdrawn ones stay with their owners.
UNSEALED_STATES = (
    ProposalStatus.SUBMITTED,
    ProposalStatus.QUALIFIED,
    ProposalStatus.DISQUALIFIED,
    ProposalStatus.AWARDED,
    ProposalStatus.NOT_AWARDED,
)


def org_of(actor: User) -> int:
    if actor.role != Role.ORG or actor.organization_id is None:
        raise Forbidden("error.only_organisation_members_claim")
    return actor.organization_id


async def load(db: AsyncSession, proposal_id: int) -> Proposal | None:
    stmt = (
        select(Proposal)
        .where(Proposal.id == proposal_id)
        .options(
            selectinload(Proposal.members).joinedload(ProposalMember.organization), selectinload(Proposal.attachments)
        )
        .execution_options(populate_existing=True)
    )
    return (await db.scalars(stmt)).unique().one_or_none()


async def reload(db: AsyncSession, proposal_id: int) -> Proposal:
    p = await load(db, proposal_id)
    if p is None:
        raise NotFound(SEALED)
    return p


# Visibility (sealing) --------------------------------------------------------------------------------------


async def is_panel_member(db: AsyncSession, task_id: int, user_id: int) -> bool:
    """Whether the user sits on the task's panel."""
    stmt = select(PanelMember.id).where(PanelMember.task_id == task_id, PanelMember.user_id == user_id)
    return await db.scalar(stmt) is not None


async def _unsealed_for(db: AsyncSession, task: Task, viewer: User | None, now: datetime) -> bool:
    """Committee and panel see submitted proposals once the deadline has passed."""
    if viewer is None or status_of(task, now) in (TaskStatus.DRAFT, TaskStatus.POSTED):
        return False
    # A task cancelled before its deadline never reached it: its proposals stay sealed for good.
    if now < as_utc(task.claim_deadline) or (
        task.status == TaskStatus.CANCELLED and task.closed_at is not None and task.closed_at < task.claim_deadline
    ):
        return False
    if viewer.role == Role.COMMITTEE:
        return True
    return viewer.role == Role.EVALUATOR and await is_panel_member(db, task.id, viewer.id)


def on_it(p: Proposal, viewer: User | None) -> bool:
    """The lead and every partner that has not declined see the proposal, sealed or not."""
    if viewer is None or viewer.role != Role.ORG or viewer.organization_id is None:
        return False
    return any(
        m.organization_id == viewer.organization_id and m.invitation != InvitationStatus.DECLINED for m in p.members
    )


async def visible(db: AsyncSession, proposal_id: int, *, viewer: User | None, now: datetime) -> Proposal:
    """The proposal if this viewer may see it; otherwise 404, exactly as if it did not exist."""
    p = await load(db, proposal_id)
    if p is None:
        raise NotFound(SEALED)
    if on_it(p, viewer):
        return p
    task = await db.get(Task, p.task_id)
    if task is not None and p.status in UNSEALED_STATES and await _unsealed_for(db, task, viewer, now):
        return p
    raise NotFound(SEALED)


async def for_task(db: AsyncSession, task_id: int, *, viewer: User | None, now: datetime) -> list[Proposal]:
    """The proposals on a task this viewer may see: their own before the deadline; all submitted after it."""
    task = await db.get(Task, task_id)
    if task is None or not visible_to(task, viewer):
        raise NotFound("error.no_such_task")
    stmt = (
        select(Proposal)
        .where(Proposal.task_id == task_id)
        .options(
            selectinload(Proposal.members).joinedload(ProposalMember.organization), selectinload(Proposal.attachments)
        )
        .order_by(Proposal.submitted_at.nulls_last(), Proposal.id)
    )
    proposals = list((await db.scalars(stmt)).unique().all())
    unsealed = await _unsealed_for(db, task, viewer, now)
    return [p for p in proposals if on_it(p, viewer) or (unsealed and p.status in UNSEALED_STATES)]


async def mine(db: AsyncSession, *, viewer: User) -> list[Proposal]:
    """Every proposal the viewer's organisation is on (as lead or partner), newest first."""
    org_id = org_of(viewer)
    ids = select(ProposalMember.proposal_id).where(ProposalMember.organization_id == org_id)
    stmt = (
        select(Proposal)
        .where(Proposal.id.in_(ids))
        .options(
            selectinload(Proposal.members).joinedload(ProposalMember.organization), selectinload(Proposal.attachments)
        )
        .order_by(Proposal.id.desc())
    )
    return [p for p in (await db.scalars(stmt)).unique().all() if on_it(p, viewer)]


async def record_reads(db: AsyncSession, shown: Sequence[Proposal], *, viewer: User | None, now: datetime) -> None:
    """Audit a read of proposals' content by anyone not on them (the committee, the panel, after the deadline):
    one entry per proposal read, in one write transaction. A proposal's own organisations read it unrecorded."""
    others = [p for p in shown if not on_it(p, viewer)]
    if viewer is None or not others:
        return
    async with writing(db):
        await record_many(db, at=now, actor=viewer, entity="proposal", entity_ids=[p.id for p in others], action="read")
