"""Proposals (揭榜意向书) claimed: drafting, joint claims, submission, withdrawal, and what the viewer's
organisation may do with a proposal now (`moves`, the rule the pages show and these writes enforce).

Also the proposal's part of a task's cancellation and amendment, which `market.flows` calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from msgspec import UNSET
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from alliances.models import OrgStatus
from market import notify
from market.audit import Actor, record
from market.kernel.errors import Forbidden, InvalidInput, NotFound, StateConflict
from market.models import Organization, Proposal, ProposalMember, Task, User
from market.schemas._proposals import ProposalCreate, ProposalUpdate
from market.services._bars import check_may_claim
from market.services._proposals._sealing import SEALED, on_it, org_of, reload
from market.services._tasks import lock_task, visible_to
from market.states import InvitationStatus, ProposalStatus, TaskStatus, can_transition, check_transition
from market.transitions import move


def takes_claims(status: TaskStatus) -> bool:
    """Whether a task in this status takes claims, edits to them and answers to invitations: only while posted."""
    return status is TaskStatus.POSTED


def open_for_claims(task: Task) -> None:
    """Refuse unless the (locked) task takes claims."""
    if not takes_claims(TaskStatus(task.status)):
        raise StateConflict("error.task_not_open_claims")


async def _check_eligible(
    db: AsyncSession, task: Task, org_ids: Sequence[int], *, field: str, now: datetime, fail_bar_days: int
) -> list[Organization]:
    """Every organisation exists, is active, belongs to one of the task's target alliances and is not barred from
    claiming (a 不合格 grade, the watch list: `market.services._bars`)."""
    orgs = list((await db.scalars(select(Organization).where(Organization.id.in_(set(org_ids))))).unique().all())
    if len(orgs) != len(set(org_ids)):
        raise InvalidInput("error.no_such_organisation", field=field)
    await db.refresh(task, ["alliances"])
    targets = {a.id for a in task.alliances}
    for org in orgs:
        if org.status != OrgStatus.ACTIVE:
            raise Forbidden("error.suspended_cannot_claim", org_name=org.name)
        if org.alliance_id not in targets:
            raise Forbidden("error.alliance_not_targeted_task", org_name=org.name)
    await check_may_claim(db, orgs, now=now, fail_bar_days=fail_bar_days, field=field)
    return orgs


def _check_budget(task: Task, requested: int) -> None:
    if requested > task.budget_fen:
        raise InvalidInput("error.requested_budget_exceeds_task", field="requested_budget_fen")


async def _invite(
    db: AsyncSession,
    task: Task,
    proposal: Proposal,
    partner_ids: Sequence[int],
    lead_org: int,
    *,
    now: datetime,
    fail_bar_days: int,
) -> list[int]:
    """Replace the partner list; new partners get an invitation."""
    wanted = list(dict.fromkeys(partner_ids))
    if lead_org in wanted:
        raise InvalidInput("error.lead_cannot_also_partner", field="partner_ids")
    if wanted and not task.allow_joint:
        raise InvalidInput("error.task_allows_no_joint_claims", field="partner_ids")
    eligible = (
        await _check_eligible(db, task, wanted, field="partner_ids", now=now, fail_bar_days=fail_bar_days)
        if wanted
        else []
    )
    names = {o.id: o.name for o in eligible}
    current = {m.organization_id: m for m in proposal.members if m.invitation != InvitationStatus.LEAD}
    for org_id, member in current.items():
        if org_id not in wanted:
            await db.delete(member)
    await db.flush()
    # A partner that declined may be asked again: that is a fresh invitation.
    asked_again = [current[o] for o in wanted if o in current and current[o].invitation == InvitationStatus.DECLINED]
    new = [o for o in wanted if o not in current]
    invited = new + [m.organization_id for m in asked_again]
    busy = (
        await db.scalars(
            select(ProposalMember.organization_id).where(
                ProposalMember.task_id == task.id,
                ProposalMember.organization_id.in_(invited),
                ProposalMember.live.is_(True),
                ProposalMember.proposal_id != proposal.id,
            )
        )
    ).all()
    if busy:
        # The partial unique index would refuse it too, but only with a bare "conflict"; say who and why.
        listed = "、".join(names[o] for o in sorted(set(busy)))
        raise StateConflict(
            "error.partner_already_live_proposal",
            field="partner_ids",
            listed=listed,
        )
    for member in asked_again:
        member.invitation, member.live, member.answered_at = InvitationStatus.PENDING, True, None
    db.add_all(_membership(proposal, task, org_id, InvitationStatus.PENDING) for org_id in new)
    await db.flush()
    return invited


def _membership(proposal: Proposal, task: Task, org_id: int, invitation: InvitationStatus) -> ProposalMember:
    """A live membership of an organisation on a proposal (the lead's, or a partner's invitation)."""
    return ProposalMember(
        proposal_id=proposal.id, task_id=task.id, organization_id=org_id, invitation=invitation, live=True
    )


def waiting_partners(p: Proposal) -> list[ProposalMember]:
    """The partners that have not said yes: invited and not yet answered, or declined. Nobody submits while any is
    left."""
    return [m for m in p.members if m.invitation in (InvitationStatus.PENDING, InvitationStatus.DECLINED)]


@dataclass(frozen=True, slots=True)
class Moves:
    """What an organisation on a proposal may do with it now."""

    lead: bool
    open: bool  # the task takes claims
    edit: bool  # edit the draft, its partners and its attachments
    submit: bool
    withdraw: bool
    answer: bool  # answer its invitation
    waiting: tuple[int, ...]  # the partners (organisation ids) that have not said yes


def moves(p: Proposal, task_status: TaskStatus, org_id: int) -> Moves:
    """What the organisation `org_id`, on the proposal, may do with it while the task is in `task_status`: the rules
    the writes below enforce (the lead edits, submits and withdraws; a partner answers), for pages to offer just
    those. The writes still check, under the task's lock, and give the reason when they refuse."""
    status = ProposalStatus(p.status)
    lead = p.lead_org_id == org_id
    open_ = takes_claims(task_status)
    edit = lead and open_ and status is ProposalStatus.DRAFT
    waiting = tuple(m.organization_id for m in waiting_partners(p))
    mine = next((m for m in p.members if m.organization_id == org_id), None)
    return Moves(
        lead=lead,
        open=open_,
        edit=edit,
        submit=edit and not waiting and can_transition(status, ProposalStatus.SUBMITTED),
        withdraw=lead and open_ and can_transition(status, ProposalStatus.WITHDRAWN),
        answer=not lead
        and open_
        and status is ProposalStatus.DRAFT
        and mine is not None
        and mine.invitation == InvitationStatus.PENDING,
        waiting=waiting,
    )


async def create(
    db: AsyncSession, task_id: int, data: ProposalCreate, *, actor: User, now: datetime, fail_bar_days: int
) -> Proposal:
    """A draft claim by the actor's organisation; at most one live proposal per organisation per task, and none by
    (or with) an organisation barred from claiming."""
    org_id = org_of(actor)
    task = await lock_task(db, task_id, now)
    if not visible_to(task, actor):
        raise NotFound("error.no_such_task")
    open_for_claims(task)
    await _check_eligible(db, task, [org_id], field="organization", now=now, fail_bar_days=fail_bar_days)
    live = await db.scalar(
        select(ProposalMember.id).where(
            ProposalMember.task_id == task.id, ProposalMember.organization_id == org_id, ProposalMember.live.is_(True)
        )
    )
    if live is not None:
        raise StateConflict("error.organisation_already_live_proposal")
    _check_budget(task, data.requested_budget_fen)
    proposal = Proposal(
        task_id=task.id,
        lead_org_id=org_id,
        status=ProposalStatus.DRAFT,
        strengths=data.strengths,
        work_plan=data.work_plan,
        expected_results=data.expected_results,
        requested_budget_fen=data.requested_budget_fen,
        created_by_id=actor.id,
    )
    db.add(proposal)
    await db.flush()
    db.add(_membership(proposal, task, org_id, InvitationStatus.LEAD))
    await db.flush()
    loaded = await reload(db, proposal.id)
    invited = await _invite(db, task, loaded, data.partner_ids, org_id, now=now, fail_bar_days=fail_bar_days)
    await record(
        db,
        at=now,
        actor=actor,
        entity="proposal",
        entity_id=proposal.id,
        action="create",
        after=ProposalStatus.DRAFT,
        data={"task": task.id, "partners": invited},
    )
    await notify.to_orgs(db, invited, "invitation", {"task": task.title}, link=f"/proposals/{proposal.id}")
    return await reload(db, proposal.id)


async def lock_with_task(db: AsyncSession, proposal_id: int, now: datetime) -> tuple[Proposal, Task]:
    """The proposal and its task, the task locked first (with what its deadline has made due) and the proposal
    loaded once, after the lock, so that it is read as it stands; 404 if there is no such proposal."""
    task_id = await db.scalar(select(Proposal.task_id).where(Proposal.id == proposal_id))
    if task_id is None:
        raise NotFound(SEALED)
    task = await lock_task(db, task_id, now)
    return await reload(db, proposal_id), task


async def lock_own(db: AsyncSession, proposal_id: int, actor: User, now: datetime) -> tuple[Proposal, Task]:
    """The proposal led by the actor's organisation, locked with its task; 404 for anyone else."""
    org_id = org_of(actor)
    p, task = await lock_with_task(db, proposal_id, now)
    # Whoever can see it (a withdrawn proposal included) gets told why an action is refused, not "no such proposal".
    if not on_it(p, actor):
        raise NotFound(SEALED)
    if p.lead_org_id != org_id:
        raise Forbidden("error.only_lead_organisation_may")
    return p, task


async def update_draft(
    db: AsyncSession, proposal_id: int, data: ProposalUpdate, *, actor: User, now: datetime, fail_bar_days: int
) -> Proposal:
    """Edit a draft before the deadline."""
    p, task = await lock_own(db, proposal_id, actor, now)
    open_for_claims(task)
    if p.status != ProposalStatus.DRAFT:
        raise StateConflict("error.submitted_proposal_cannot_changed")
    for name in ("strengths", "work_plan", "expected_results"):
        value = getattr(data, name)
        if value is not UNSET:
            setattr(p, name, value)
    if data.requested_budget_fen is not UNSET:
        _check_budget(task, data.requested_budget_fen)
        p.requested_budget_fen = data.requested_budget_fen
    invited: list[int] = []
    if data.partner_ids is not UNSET:
        invited = await _invite(db, task, p, data.partner_ids, p.lead_org_id, now=now, fail_bar_days=fail_bar_days)
    await record(
        db,
        at=now,
        actor=actor,
        entity="proposal",
        entity_id=p.id,
        action="edit",
        before=p.status,
        after=p.status,
        data={"invited": invited},
    )
    await notify.to_orgs(db, invited, "invitation", {"task": task.title}, link=f"/proposals/{p.id}")
    # A changed partner list changed the members' rows: read them again. Otherwise the proposal as loaded is current.
    return p if data.partner_ids is UNSET else await reload(db, p.id)


async def answer_invitation(
    db: AsyncSession, proposal_id: int, accept: bool, *, actor: User, now: datetime, fail_bar_days: int
) -> Proposal:
    """A partner accepts or declines; declining frees the partner to claim the task elsewhere. A partner barred from
    claiming since it was invited may decline but not accept."""
    org_id = org_of(actor)
    p, task = await lock_with_task(db, proposal_id, now)
    member = next((m for m in p.members if m.organization_id == org_id and m.live), None)
    if member is None:
        raise NotFound(SEALED)
    if member.invitation == InvitationStatus.LEAD:
        raise StateConflict("error.lead_does_not_answer")
    open_for_claims(task)
    if p.status != ProposalStatus.DRAFT:
        raise StateConflict("error.proposal_no_longer_draft")
    if accept:
        await check_may_claim(db, [member.organization], now=now, fail_bar_days=fail_bar_days, field="organization")
    before = member.invitation
    member.invitation = InvitationStatus.ACCEPTED if accept else InvitationStatus.DECLINED
    member.live = accept
    member.answered_at = now
    await record(
        db,
        at=now,
        actor=actor,
        entity="proposal",
        entity_id=p.id,
        action="invitation",
        before=before,
        after=member.invitation,
        data={"organization": org_id},
    )
    await notify.to_orgs(
        db,
        [p.lead_org_id],
        "invitation_answer.accepted" if accept else "invitation_answer.declined",
        {"task": task.title},
        link=f"/proposals/{p.id}",
    )
    return p


async def submit(db: AsyncSession, proposal_id: int, *, actor: User, now: datetime, fail_bar_days: int) -> Proposal:
    """Submit before the deadline; every partner must have accepted."""
    p, task = await lock_own(db, proposal_id, actor, now)
    open_for_claims(task)
    check_transition(ProposalStatus(p.status), ProposalStatus.SUBMITTED, what="proposal")
    pending = [m.organization.name for m in waiting_partners(p)]
    if pending:
        raise StateConflict(
            "error.partners_not_all_accepted",
            extra={"partners_not_accepted": pending},
            pending="、".join(pending),
        )
    await _check_eligible(
        db, task, [m.organization_id for m in p.members], field="organization", now=now, fail_bar_days=fail_bar_days
    )
    _check_budget(task, p.requested_budget_fen)
    missing = [n for n in ("strengths", "work_plan", "expected_results") if not getattr(p, n).strip()]
    if missing:
        raise InvalidInput("error.fill_strengths_work_plan", field=missing[0])
    p.submitted_at = now
    task.submitted_count += 1
    await move(
        db,
        p,
        ProposalStatus.SUBMITTED,
        entity="proposal",
        action="submit",
        actor=actor,
        now=now,
        data={"task": task.id},
    )
    return p


async def withdraw(db: AsyncSession, proposal_id: int, *, actor: User, now: datetime) -> Proposal:
    """Withdraw before the deadline; the organisations are then free to claim again."""
    p, task = await lock_own(db, proposal_id, actor, now)
    open_for_claims(task)
    p.withdrawn_at = now
    before = await move(db, p, ProposalStatus.WITHDRAWN, entity="proposal", action="withdraw", actor=actor, now=now)
    if before is ProposalStatus.SUBMITTED:
        task.submitted_count -= 1
    await db.execute(update(ProposalMember).where(ProposalMember.proposal_id == p.id).values(live=False))
    partners = [m.organization_id for m in p.members if m.invitation != InvitationStatus.LEAD]
    await notify.to_orgs(db, partners, "proposal_withdrawn", {"task": task.title}, link=f"/tasks/{task.id}")
    return p


async def end_live_proposals(db: AsyncSession, task: Task) -> list[int]:
    """A cancelled task releases every organisation on it (the proposals keep their last state as the record of
    what was claimed); returns who to tell."""
    members = (
        await db.scalars(select(ProposalMember).where(ProposalMember.task_id == task.id, ProposalMember.live.is_(True)))
    ).all()
    for m in members:
        m.live = False
    return sorted({m.organization_id for m in members})


async def return_submitted_to_draft(
    db: AsyncSession, task: Task, *, now: datetime, actor: Actor, reason: str
) -> list[int]:
    """A material amendment sends submitted proposals back to draft; returns the organisations to tell."""
    submitted = (
        await db.scalars(
            select(Proposal)
            .where(Proposal.task_id == task.id, Proposal.status == ProposalStatus.SUBMITTED)
            .options(selectinload(Proposal.members))
        )
    ).all()
    org_ids: set[int] = set()
    for p in submitted:
        p.submitted_at = None
        task.submitted_count -= 1
        org_ids.update(m.organization_id for m in p.members if m.live)
        await move(
            db,
            p,
            ProposalStatus.DRAFT,
            entity="proposal",
            action="returned_to_draft",
            actor=actor,
            now=now,
            data={"reason": reason},
        )
    return sorted(org_ids)


async def check_amendment_fits(db: AsyncSession, task: Task) -> None:
    """Joint claims cannot be switched off while a live proposal has partners."""
    if task.allow_joint:
        return
    partnered = await db.scalar(
        select(ProposalMember.id).where(
            ProposalMember.task_id == task.id,
            ProposalMember.live.is_(True),
            ProposalMember.invitation != InvitationStatus.LEAD,
        )
    )
    if partnered is not None:
        raise StateConflict("error.joint_proposals_exist_joint")
