"""The need list (需求清单): raising, declining and reading needs with the tasks and orders that answer them.

A need's matched / resolved / open state is never set here: `market.lists.refresh_needs` derives it from its
links whenever a task or order moves. Only raising (→ open) and declining (open → declined) happen in this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from alliances.models import OrgStatus
from market import notify
from market.audit import record
from market.kernel.db import like_pattern, lock
from market.kernel.errors import Forbidden, NotFound, StateConflict
from market.models import Community, Need, Organization, Role, ServiceOrder, Task, User, task_needs
from market.schemas._needs import NeedCreate
from market.services._tasks import published, status_of
from market.states import NeedStatus, TaskStatus, check_transition
from market.transitions import move

NO_NEED = "error.no_such_need"


async def raise_need(db: AsyncSession, data: NeedCreate, *, actor: User, now: datetime) -> Need:
    """A secretary raises a need for their community, an organisation member for their (active) organisation."""
    community_id: int | None = None
    organization_id: int | None = None
    if actor.role == Role.SECRETARY and actor.community_id is not None:
        community_id = actor.community_id
    elif actor.role == Role.ORG and actor.organization_id is not None:
        org = await db.get(Organization, actor.organization_id)
        if org is None or org.status != OrgStatus.ACTIVE:
            raise Forbidden("error.suspended_organisation_cannot_raise")
        organization_id = org.id
    else:
        raise Forbidden("error.only_community_secretaries_organisation")
    need = Need(
        title=data.title,
        description=data.description,
        category=data.category,
        community_id=community_id,
        organization_id=organization_id,
        raised_by_id=actor.id,
        status=NeedStatus.OPEN,
        raised_at=now,
    )
    db.add(need)
    await db.flush()
    await record(
        db,
        at=now,
        actor=actor,
        entity="need",
        entity_id=need.id,
        action="raise",
        after=NeedStatus.OPEN,
        data={"community": community_id, "organization": organization_id},
    )
    await notify.to_role(db, Role.COMMITTEE, "need_raised", {"need": need.title}, link=f"/needs/{need.id}")
    return need


async def decline_need(db: AsyncSession, need_id: int, reason: str, *, actor: User, now: datetime) -> Need:
    """The committee declines an open need with a reason; whoever raised it is told."""
    need = await lock(db, Need, need_id)
    if need is None:
        raise NotFound(NO_NEED)
    check_transition(NeedStatus(need.status), NeedStatus.DECLINED, what="need")
    drafts = await db.scalar(
        select(func.count())
        .select_from(task_needs)
        .join(Task, Task.id == task_needs.c.task_id)
        .where(task_needs.c.need_id == need.id, Task.status == TaskStatus.DRAFT)
    )
    if drafts:
        # Posting the draft would answer a declined need; take the need off the draft first.
        raise StateConflict("error.draft_task_answers_need")
    need.decline_reason = reason
    await move(
        db, need, NeedStatus.DECLINED, entity="need", action="decline", actor=actor, now=now, data={"reason": reason}
    )
    await notify.to_users(
        db, [need.raised_by_id], "need_declined", {"need": need.title, "reason": reason}, link=f"/needs/{need.id}"
    )
    return need


# Reads -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NeedFilter:
    """What the need list may be narrowed by."""

    status: NeedStatus | None = None
    category: str | None = None
    community_id: int | None = None
    organization_id: int | None = None
    street_id: int | None = None
    q: str | None = None
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True, slots=True)
class NeedRow:
    """A need with whom it was raised for."""

    need: Need
    community: Community | None
    organization: Organization | None


@dataclass(frozen=True, slots=True)
class NeedDetail:
    """A need with what answers it: tasks (with their status now) and service orders."""

    row: NeedRow
    tasks: list[tuple[Task, TaskStatus]] = field(default_factory=list)
    orders: list[ServiceOrder] = field(default_factory=list)


def _rows_stmt() -> Select[Need, Community, Organization]:
    # Street and alliance come with Community and Organization through their joined relationships: no N+1.
    return (
        select(Need, Community, Organization)
        .outerjoin(Community, Community.id == Need.community_id)
        .outerjoin(Organization, Organization.id == Need.organization_id)
    )


async def list_needs(db: AsyncSession, f: NeedFilter) -> tuple[int, list[NeedRow]]:
    """A page of the need list, newest first."""
    conds: list[ColumnElement[bool]] = []
    if f.status is not None:
        conds.append(Need.status == f.status.value)
    if f.category:
        conds.append(Need.category == f.category)
    if f.community_id:
        conds.append(Need.community_id == f.community_id)
    if f.organization_id:
        conds.append(Need.organization_id == f.organization_id)
    if f.street_id:
        conds.append(Need.community_id.in_(select(Community.id).where(Community.street_id == f.street_id)))
    if f.q:
        pattern = like_pattern(f.q)
        conds.append(or_(Need.title.ilike(pattern, escape="\\"), Need.description.ilike(pattern, escape="\\")))
    total = int(await db.scalar(select(func.count()).select_from(Need).where(*conds)) or 0)
    stmt = _rows_stmt().where(*conds).order_by(Need.raised_at.desc(), Need.id.desc()).limit(f.limit).offset(f.offset)
    rows = (await db.execute(stmt)).unique().all()
    return total, [NeedRow(n, c, o) for n, c, o in rows]


async def get_need(db: AsyncSession, need_id: int, *, viewer: User | None, now: datetime) -> NeedDetail:
    """One need with its links; draft tasks linked to it are shown to the committee only."""
    found = (await db.execute(_rows_stmt().where(Need.id == need_id))).unique().one_or_none()
    if found is None:
        raise NotFound(NO_NEED)
    need, community, organization = found
    task_stmt = (
        select(Task).join(task_needs, task_needs.c.task_id == Task.id).where(task_needs.c.need_id == need_id)
    ).order_by(Task.id)
    if not (viewer is not None and viewer.role == Role.COMMITTEE):
        task_stmt = task_stmt.where(published())
    tasks = [(t, status_of(t, now)) for t in (await db.scalars(task_stmt)).unique().all()]
    order_stmt = select(ServiceOrder).where(ServiceOrder.need_id == need_id).order_by(ServiceOrder.id)
    orders = list((await db.scalars(order_stmt)).unique().all())
    return NeedDetail(NeedRow(need, community, organization), tasks, orders)


# What a viewer may do with a need --------------------------------------------------------------------------

# An order may still answer a need while it is open or matched; a resolved or declined need takes no more.
ORDERABLE_NEED_STATES = frozenset({NeedStatus.OPEN, NeedStatus.MATCHED})


def may_decline(viewer: User | None, need: Need) -> bool:
    """Whether the viewer may decline the need now: the committee, while it is open (as `decline_need` checks)."""
    return viewer is not None and viewer.role == Role.COMMITTEE and need.status == NeedStatus.OPEN


def may_order_for(viewer: User | None, need: Need) -> bool:
    """Whether the viewer may order a service answering the need: a secretary of the need's community, while an
    order may still answer it."""
    return (
        viewer is not None
        and viewer.role == Role.SECRETARY
        and need.community_id is not None
        and viewer.community_id == need.community_id
        and need.status in ORDERABLE_NEED_STATES
    )
