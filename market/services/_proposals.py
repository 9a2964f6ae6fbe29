"""Proposals (揭榜意向书): claiming, joint claims, submission, withdrawal, sealing and qualification."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from msgspec import UNSET
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from market import attachments as files
from market import notify
from market.audit import Actor, record, record_many, record_read
from market.kernel.clock import as_utc
from market.kernel.db import lock, writing
from market.kernel.errors import Forbidden, InvalidInput, NotFound, StateConflict
from market.models import Attachment, Organization, PanelMember, Proposal, ProposalMember, Role, Score, Task, User
from market.schemas._proposals import ProposalCreate, ProposalUpdate
from market.services._tasks import go_unclaimed, lock_task, status_of, visible_to
from market.settings import Settings
from market.states import InvitationStatus, ProposalStatus, TaskStatus, check_transition
from market.transitions import move

SEALED = "意向书不存在 (no such proposal)"
# After the deadline the committee and the panel see these; drafts and withdrawn ones stay with their owners.
UNSEALED_STATES = (
    ProposalStatus.SUBMITTED,
    ProposalStatus.QUALIFIED,
    ProposalStatus.DISQUALIFIED,
    ProposalStatus.AWARDED,
    ProposalStatus.NOT_AWARDED,
)


def _org_of(actor: User) -> int:
    if actor.role != Role.ORG or actor.organization_id is None:
        raise Forbidden("仅社会组织成员可以揭榜 (only organisation members claim tasks)")
    return actor.organization_id


def _open_for_claims(task: Task) -> None:
    if task.status != TaskStatus.POSTED:
        raise StateConflict("榜单不在揭榜期内 (the task is not open for claims)")


async def _check_eligible(db: AsyncSession, task: Task, org_ids: Sequence[int], *, field: str) -> list[Organization]:
    """Every organisation exists, is active and belongs to one of the task's target alliances."""
    orgs = list((await db.scalars(select(Organization).where(Organization.id.in_(set(org_ids))))).unique().all())
    if len(orgs) != len(set(org_ids)):
        raise InvalidInput("组织不存在 (no such organisation)", field=field)
    await db.refresh(task, ["alliances"])
    targets = {a.id for a in task.alliances}
    for org in orgs:
        if org.status != "active":
            raise Forbidden(f"{org.name} 已暂停，不能揭榜 ({org.name} is suspended and cannot claim)")
        if org.alliance_id not in targets:
            raise Forbidden(f"{org.name} 所在联盟不在本榜单范围内 ({org.name}'s alliance is not targeted by this task)")
    return orgs


async def _load(db: AsyncSession, proposal_id: int) -> Proposal | None:
    stmt = (
        select(Proposal)
        .where(Proposal.id == proposal_id)
        .options(
            selectinload(Proposal.members).joinedload(ProposalMember.organization), selectinload(Proposal.attachments)
        )
        .execution_options(populate_existing=True)
    )
    return (await db.scalars(stmt)).unique().one_or_none()


def _check_budget(task: Task, requested: int) -> None:
    if requested > task.budget_fen:
        raise InvalidInput(
            "申请经费不能超过榜单预算 (requested budget exceeds the task budget)", field="requested_budget_fen"
        )


async def _invite(
    db: AsyncSession, task: Task, proposal: Proposal, partner_ids: Sequence[int], lead_org: int
) -> list[int]:
    """Replace the partner list; new partners get an invitation."""
    wanted = list(dict.fromkeys(partner_ids))
    if lead_org in wanted:
        raise InvalidInput("牵头组织不能同时是合作方 (the lead cannot also be a partner)", field="partner_ids")
    if wanted and not task.allow_joint:
        raise InvalidInput("本榜单不接受联合揭榜 (this task does not allow joint claims)", field="partner_ids")
    names = {o.id: o.name for o in await _check_eligible(db, task, wanted, field="partner_ids")} if wanted else {}
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
            f"合作方在该榜单已有有效意向书 (a partner already has a live proposal on this task): {listed}",
            field="partner_ids",
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


async def create(db: AsyncSession, task_id: int, data: ProposalCreate, *, actor: User, now: datetime) -> Proposal:
    """A draft claim by the actor's organisation; at most one live proposal per organisation per task."""
    org_id = _org_of(actor)
    task = await lock_task(db, task_id, now)
    if not visible_to(task, actor):
        raise NotFound("榜单不存在 (no such task)")
    _open_for_claims(task)
    await _check_eligible(db, task, [org_id], field="organization")
    live = await db.scalar(
        select(ProposalMember.id).where(
            ProposalMember.task_id == task.id, ProposalMember.organization_id == org_id, ProposalMember.live.is_(True)
        )
    )
    if live is not None:
        raise StateConflict("本组织在该榜单已有有效意向书 (your organisation already has a live proposal on this task)")
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
    loaded = await _reload(db, proposal.id)
    invited = await _invite(db, task, loaded, data.partner_ids, org_id)
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
    return await _reload(db, proposal.id)


async def _reload(db: AsyncSession, proposal_id: int) -> Proposal:
    p = await _load(db, proposal_id)
    if p is None:
        raise NotFound(SEALED)
    return p


async def _lock_own(db: AsyncSession, proposal_id: int, actor: User, now: datetime) -> tuple[Proposal, Task]:
    """The proposal led by the actor's organisation, locked with its task; 404 for anyone else."""
    org_id = _org_of(actor)
    p = await db.get(Proposal, proposal_id)
    if p is None:
        raise NotFound(SEALED)
    task = await lock_task(db, p.task_id, now)
    p = await _load(db, proposal_id)
    # Whoever can see it (a withdrawn proposal included) gets told why an action is refused, not "no such proposal".
    if p is None or not _on_it(p, actor):
        raise NotFound(SEALED)
    if p.lead_org_id != org_id:
        raise Forbidden("仅牵头组织可以操作 (only the lead organisation may do this)")
    return p, task


async def update_draft(
    db: AsyncSession, proposal_id: int, data: ProposalUpdate, *, actor: User, now: datetime
) -> Proposal:
    """Edit a draft before the deadline."""
    p, task = await _lock_own(db, proposal_id, actor, now)
    _open_for_claims(task)
    if p.status != ProposalStatus.DRAFT:
        raise StateConflict(
            "已提交的意向书不能修改；如需改动，请在截止前撤回后重新填写一份 "
            "(a submitted proposal cannot be changed; withdraw it and file a new one before the deadline)"
        )
    for name in ("strengths", "work_plan", "expected_results"):
        value = getattr(data, name)
        if value is not UNSET:
            setattr(p, name, value)
    if data.requested_budget_fen is not UNSET:
        _check_budget(task, data.requested_budget_fen)
        p.requested_budget_fen = data.requested_budget_fen
    invited: list[int] = []
    if data.partner_ids is not UNSET:
        invited = await _invite(db, task, p, data.partner_ids, p.lead_org_id)
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
    return await _reload(db, p.id)


async def answer_invitation(
    db: AsyncSession, proposal_id: int, accept: bool, *, actor: User, now: datetime
) -> Proposal:
    """A partner accepts or declines; declining frees the partner to claim the task elsewhere."""
    org_id = _org_of(actor)
    p = await db.get(Proposal, proposal_id)
    if p is None:
        raise NotFound(SEALED)
    task = await lock_task(db, p.task_id, now)
    p = await _reload(db, proposal_id)
    member = next((m for m in p.members if m.organization_id == org_id and m.live), None)
    if member is None:
        raise NotFound(SEALED)
    if member.invitation == InvitationStatus.LEAD:
        raise StateConflict("牵头组织无需应邀 (the lead does not answer its own invitation)")
    _open_for_claims(task)
    if p.status != ProposalStatus.DRAFT:
        raise StateConflict("意向书已提交，不能再应邀 (the proposal is no longer a draft)")
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
    return await _reload(db, p.id)


async def submit(db: AsyncSession, proposal_id: int, *, actor: User, now: datetime) -> Proposal:
    """Submit before the deadline; every partner must have accepted."""
    p, task = await _lock_own(db, proposal_id, actor, now)
    _open_for_claims(task)
    check_transition(ProposalStatus(p.status), ProposalStatus.SUBMITTED, what="proposal")
    pending = [
        m.organization.name for m in p.members if m.invitation in (InvitationStatus.PENDING, InvitationStatus.DECLINED)
    ]
    if pending:
        raise StateConflict(
            "合作方尚未全部接受邀请 (partners have not all accepted): " + "、".join(pending),
            extra={"partners_not_accepted": pending},
        )
    await _check_eligible(db, task, [m.organization_id for m in p.members], field="organization")
    _check_budget(task, p.requested_budget_fen)
    missing = [n for n in ("strengths", "work_plan", "expected_results") if not getattr(p, n).strip()]
    if missing:
        raise InvalidInput(
            "请填写自身优势、工作思路和预期效果 (fill in strengths, work plan and expected results)", field=missing[0]
        )
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
    return await _reload(db, p.id)


async def withdraw(db: AsyncSession, proposal_id: int, *, actor: User, now: datetime) -> Proposal:
    """Withdraw before the deadline; the organisations are then free to claim again."""
    p, task = await _lock_own(db, proposal_id, actor, now)
    _open_for_claims(task)
    p.withdrawn_at = now
    before = await move(db, p, ProposalStatus.WITHDRAWN, entity="proposal", action="withdraw", actor=actor, now=now)
    if before is ProposalStatus.SUBMITTED:
        task.submitted_count -= 1
    await db.execute(update(ProposalMember).where(ProposalMember.proposal_id == p.id).values(live=False))
    partners = [m.organization_id for m in p.members if m.invitation != InvitationStatus.LEAD]
    await notify.to_orgs(db, partners, "proposal_withdrawn", {"task": task.title}, link=f"/tasks/{task.id}")
    return await _reload(db, p.id)


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


def _on_it(p: Proposal, viewer: User | None) -> bool:
    """The lead and every partner that has not declined see the proposal, sealed or not."""
    if viewer is None or viewer.role != Role.ORG or viewer.organization_id is None:
        return False
    return any(
        m.organization_id == viewer.organization_id and m.invitation != InvitationStatus.DECLINED for m in p.members
    )


async def visible(db: AsyncSession, proposal_id: int, *, viewer: User | None, now: datetime) -> Proposal:
    """The proposal if this viewer may see it; otherwise 404, exactly as if it did not exist."""
    p = await _load(db, proposal_id)
    if p is None:
        raise NotFound(SEALED)
    if _on_it(p, viewer):
        return p
    task = await db.get(Task, p.task_id)
    if task is not None and p.status in UNSEALED_STATES and await _unsealed_for(db, task, viewer, now):
        return p
    raise NotFound(SEALED)


async def for_task(db: AsyncSession, task_id: int, *, viewer: User | None, now: datetime) -> list[Proposal]:
    """The proposals on a task this viewer may see: their own before the deadline; all submitted after it."""
    task = await db.get(Task, task_id)
    if task is None or not visible_to(task, viewer):
        raise NotFound("榜单不存在 (no such task)")
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
    return [p for p in proposals if _on_it(p, viewer) or (unsealed and p.status in UNSEALED_STATES)]


async def mine(db: AsyncSession, *, viewer: User) -> list[Proposal]:
    """Every proposal the viewer's organisation is on (as lead or partner), newest first."""
    org_id = _org_of(viewer)
    ids = select(ProposalMember.proposal_id).where(ProposalMember.organization_id == org_id)
    stmt = (
        select(Proposal)
        .where(Proposal.id.in_(ids))
        .options(
            selectinload(Proposal.members).joinedload(ProposalMember.organization), selectinload(Proposal.attachments)
        )
        .order_by(Proposal.id.desc())
    )
    return [p for p in (await db.scalars(stmt)).unique().all() if _on_it(p, viewer)]


# Attachments -----------------------------------------------------------------------------------------------


async def attach(
    db: AsyncSession, proposal_id: int, filename: str, content: bytes, *, actor: User, now: datetime, settings: Settings
) -> Attachment:
    """Attach a checked file to a draft (the file is sealed with the proposal)."""
    p, task = await _lock_own(db, proposal_id, actor, now)
    _open_for_claims(task)
    if p.status != ProposalStatus.DRAFT:
        raise StateConflict("只有草稿可以添加附件 (attachments are added to drafts only)")
    if len(p.attachments) >= settings.max_attachments_per_proposal:
        raise StateConflict(f"附件最多 {settings.max_attachments_per_proposal} 个 (too many attachments)")
    checked = files.check(filename, content, max_bytes=settings.max_attachment_bytes)
    files.store(settings.attachments_dir, checked, content)
    attachment = Attachment(
        proposal_id=p.id,
        filename=checked.filename,
        content_type=checked.content_type,
        size_bytes=checked.size,
        sha256=checked.sha256,
        uploaded_by_id=actor.id,
    )
    db.add(attachment)
    await db.flush()
    await record(
        db,
        at=now,
        actor=actor,
        entity="proposal",
        entity_id=p.id,
        action="attach",
        before=p.status,
        after=p.status,
        data={"attachment": attachment.id, "sha256": checked.sha256, "name": checked.filename},
    )
    return attachment


async def detach(db: AsyncSession, proposal_id: int, attachment_id: int, *, actor: User, now: datetime) -> None:
    """Remove an attachment from a draft."""
    p, task = await _lock_own(db, proposal_id, actor, now)
    _open_for_claims(task)
    if p.status != ProposalStatus.DRAFT:
        raise StateConflict("只有草稿可以删除附件 (attachments are removed from drafts only)")
    attachment = next((a for a in p.attachments if a.id == attachment_id), None)
    if attachment is None:
        raise NotFound("附件不存在 (no such attachment)")
    await db.delete(attachment)
    await record(
        db,
        at=now,
        actor=actor,
        entity="proposal",
        entity_id=p.id,
        action="detach",
        before=p.status,
        after=p.status,
        data={"attachment": attachment_id},
    )


async def attachment_for(
    db: AsyncSession, proposal_id: int, attachment_id: int, *, viewer: User | None, now: datetime
) -> Attachment:
    """An attachment to download, visible exactly when its proposal is; every download is audited, by anyone."""
    p = await visible(db, proposal_id, viewer=viewer, now=now)
    attachment = next((a for a in p.attachments if a.id == attachment_id), None)
    if attachment is None or viewer is None:
        raise NotFound("附件不存在 (no such attachment)")
    data = {"attachment": attachment.id, "sha256": attachment.sha256}
    await record_read(db, at=now, actor=viewer, entity="proposal", entity_id=p.id, action="download", data=data)
    return attachment


async def record_reads(db: AsyncSession, shown: Sequence[Proposal], *, viewer: User | None, now: datetime) -> None:
    """Audit a read of proposals' content by anyone not on them (the committee, the panel, after the deadline):
    one entry per proposal read, in one write transaction. A proposal's own organisations read it unrecorded."""
    others = [p for p in shown if not _on_it(p, viewer)]
    if viewer is None or not others:
        return
    async with writing(db):
        await record_many(db, at=now, actor=viewer, entity="proposal", entity_ids=[p.id for p in others], action="read")


# Qualification, and what tasks ask of proposals -----------------------------------------------------------


async def qualify(
    db: AsyncSession, proposal_id: int, qualified: bool, reason: str | None, *, actor: User, now: datetime
) -> Proposal:
    """After the deadline the committee qualifies or disqualifies (with a reason) each submitted proposal."""
    p = await db.get(Proposal, proposal_id)
    if p is None:
        raise NotFound(SEALED)
    task = await lock_task(db, p.task_id, now)
    p = await _reload(db, proposal_id)
    if task.status != TaskStatus.REVIEWING:
        raise StateConflict("只有评审中的榜单可以进行资格审查 (qualification happens during review)")
    if p.status not in (ProposalStatus.SUBMITTED, ProposalStatus.QUALIFIED, ProposalStatus.DISQUALIFIED):
        raise StateConflict("该意向书不在资格审查范围 (this proposal is not up for qualification)")
    from market.services._awards import standing_award  # deferred: awards build on proposals

    if await standing_award(db, task.id) is not None:
        raise StateConflict("已确定承榜，不能再改资格 (an award stands; qualification is closed)")
    if p.status != ProposalStatus.SUBMITTED and (
        await db.scalar(select(Score.id).where(Score.task_id == task.id).limit(1)) is not None
    ):
        # A first decision may still come in, but reversing one after marks exist would skew a ranking under way.
        raise StateConflict("评分已开始，资格结论不能更改 (scoring has begun; decisions already made stand)")
    target = ProposalStatus.QUALIFIED if qualified else ProposalStatus.DISQUALIFIED
    if not qualified and not (reason and reason.strip()):
        raise InvalidInput("不合格须说明理由 (a disqualification needs a reason)", field="reason")
    before = ProposalStatus(p.status)
    if before != target:
        check_transition(before, target, what="proposal")
    p.status = target
    p.disqualify_reason = "" if qualified else (reason or "")
    await record(
        db,
        at=now,
        actor=actor,
        entity="proposal",
        entity_id=p.id,
        action="qualify",
        before=before,
        after=target,
        data={"reason": p.disqualify_reason},
    )
    await notify.to_orgs(
        db,
        [m.organization_id for m in p.members if m.live],
        "qualification.passed" if qualified else "qualification.failed",
        {"task": task.title} if qualified else {"task": task.title, "reason": p.disqualify_reason},
        link=f"/proposals/{p.id}",
    )
    await _unclaimed_if_none_qualified(db, task, now=now, actor=actor)
    return await _reload(db, p.id)


async def _unclaimed_if_none_qualified(db: AsyncSession, task: Task, *, now: datetime, actor: Actor) -> None:
    statuses = set((await db.scalars(select(Proposal.status).where(Proposal.task_id == task.id))).all())
    undecided = ProposalStatus.SUBMITTED in statuses
    if not undecided and not statuses & {ProposalStatus.QUALIFIED, ProposalStatus.AWARDED}:
        await go_unclaimed(db, task, now=now, actor=actor)


async def end_live_proposals(db: AsyncSession, task: Task, *, now: datetime, actor: Actor) -> list[int]:
    """A cancelled task releases every organisation on it; returns who to tell."""
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
        raise StateConflict("已有联合意向书，不能取消联合揭榜 (joint proposals exist; joint claims stay allowed)")


async def lock_proposal(db: AsyncSession, proposal_id: int, now: datetime) -> tuple[Proposal, Task]:
    """A proposal and its task, the task locked (other modules' writes go through here)."""
    p = await db.get(Proposal, proposal_id)
    if p is None:
        raise NotFound(SEALED)
    task = await lock_task(db, p.task_id, now)
    locked = await lock(db, Proposal, proposal_id)
    if locked is None:
        raise NotFound(SEALED)
    return locked, task
