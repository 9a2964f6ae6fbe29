"""An organisation's desk: who it is, invitations waiting, its proposals by state and its projects.

Its proposals (the claim, one proposal, attachments) are in `_org_proposals`, the proposal form in
`_proposal_form`, its project pages in `_org_projects`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from litestar import get
from litestar.response import Template
from litestar.types import ControllerRouterHandler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alliances import services as alliance_services
from market.kernel.clock import as_utc
from market.models import Project, Proposal, Task, User
from market.pages._base import (
    ORG,
    Query,
    UserRequest,
    enum_or_none,
    own_organization,
    page,
)
from market.params import Db, Now
from market.services import proposals, tasks
from market.states import InvitationStatus, ProposalStatus, TaskStatus

# The order proposals are listed in: what still needs work first, the outcome after.
STATE_ORDER = (
    ProposalStatus.DRAFT,
    ProposalStatus.SUBMITTED,
    ProposalStatus.QUALIFIED,
    ProposalStatus.AWARDED,
    ProposalStatus.NOT_AWARDED,
    ProposalStatus.DISQUALIFIED,
    ProposalStatus.WITHDRAWN,
)
LIVE_STATES = (ProposalStatus.DRAFT, ProposalStatus.SUBMITTED, ProposalStatus.QUALIFIED)


# Reads the services do not offer as such ----------------------------------------------------------------------


async def _tasks_by_id(db: AsyncSession, ids: Iterable[int]) -> dict[int, Task]:
    """The tasks the organisation's proposals are on (titles, deadlines, states), in one query."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {task.id: task for task in (await db.scalars(select(Task).where(Task.id.in_(wanted)))).unique().all()}


async def _projects_of(db: AsyncSession, org_id: int, awarded_proposal_ids: Sequence[int]) -> list[Project]:
    """Projects the organisation leads, and those it works on as an accepted partner."""
    found = (
        Project.organization_id == org_id
        if not awarded_proposal_ids
        else (Project.organization_id == org_id) | Project.proposal_id.in_(awarded_proposal_ids)
    )
    stmt = select(Project).where(found).order_by(Project.started_at.desc(), Project.id.desc())
    return list((await db.scalars(stmt)).unique().all())


# The organisation's desk ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProposalRow:
    """A proposal in the organisation's lists: the task it is on and the organisation's part in it."""

    id: int
    task_id: int
    task_title: str
    task_status: TaskStatus
    claim_deadline: datetime
    status: ProposalStatus
    lead_org_name: str
    is_lead: bool
    invitation: InvitationStatus
    partners: int


def _rows(mine: Sequence[Proposal], task_rows: dict[int, Task], org_id: int, now: datetime) -> list[ProposalRow]:
    rows = []
    for p in mine:
        task = task_rows[p.task_id]
        membership = next(m for m in p.members if m.organization_id == org_id)
        rows.append(
            ProposalRow(
                id=p.id,
                task_id=task.id,
                task_title=task.title,
                task_status=tasks.status_of(task, now),
                claim_deadline=task.claim_deadline,
                status=ProposalStatus(p.status),
                lead_org_name=p.lead_org.name,
                is_lead=p.lead_org_id == org_id,
                invitation=InvitationStatus(membership.invitation),
                partners=sum(1 for m in p.members if m.invitation != InvitationStatus.LEAD),
            )
        )
    return rows


def _is_open_invitation(row: ProposalRow) -> bool:
    return (
        row.invitation == InvitationStatus.PENDING
        and row.status == ProposalStatus.DRAFT
        and row.task_status == TaskStatus.POSTED
    )


def _due_first(rows: Sequence[ProposalRow], now: datetime) -> list[ProposalRow]:
    """What is due first on top: deadlines still ahead, nearest first (drafts before submitted ones on the same
    deadline), then those whose deadline has passed, latest first."""

    def key(row: ProposalRow) -> tuple[bool, float, bool]:
        deadline = as_utc(row.claim_deadline)
        ahead = deadline > as_utc(now)
        when = deadline.timestamp()
        return (not ahead, when if ahead else -when, row.status != ProposalStatus.DRAFT)

    return sorted(rows, key=key)


def _grouped(rows: Sequence[ProposalRow]) -> list[tuple[ProposalStatus, list[ProposalRow]]]:
    by_state: dict[ProposalStatus, list[ProposalRow]] = defaultdict(list)
    for row in rows:
        by_state[row.status].append(row)
    return [(state, by_state[state]) for state in STATE_ORDER if by_state[state]]


async def _my_rows(db: AsyncSession, user: User, now: datetime) -> tuple[list[Proposal], list[ProposalRow]]:
    mine = await proposals.mine(db, viewer=user)
    task_rows = await _tasks_by_id(db, (p.task_id for p in mine))
    return mine, _rows(mine, task_rows, own_organization(user), now)


@get("/org", **ORG)
async def desk(request: UserRequest, db_session: Db, clock: Now) -> Template:
    """The organisation's desk: who it is, invitations waiting for an answer, its proposals and its projects."""
    user = request.user
    org_id = own_organization(user)
    org = await alliance_services.get_organization(db_session, org_id)
    now = clock.now()
    mine, rows = await _my_rows(db_session, user, now)
    invitations = _due_first([row for row in rows if _is_open_invitation(row)], now)
    answered = [row for row in rows if not _is_open_invitation(row)]
    awarded = [p.id for p in mine if p.status == ProposalStatus.AWARDED]
    work = await _projects_of(db_session, org_id, awarded)
    return page(
        "market/org/desk.html.j2",
        user,
        org=org,
        invitations=invitations,
        live=_due_first([row for row in answered if row.status in LIVE_STATES], now),
        counts=[(state, len(group)) for state, group in _grouped(answered)],
        projects=work,
    )


@get("/org/proposals", **ORG)
async def proposal_list(request: UserRequest, db_session: Db, clock: Now, status: Query = None) -> Template:
    """Every proposal the organisation is on, as lead or partner, grouped by state (optionally one state)."""
    _, rows = await _my_rows(db_session, request.user, clock.now())
    only = enum_or_none(ProposalStatus, status)
    groups = [(state, group) for state, group in _grouped(rows) if only is None or state == only]
    return page(
        "market/org/proposals.html.j2",
        request.user,
        groups=groups,
        states=STATE_ORDER,
        only=only.value if only else "",
        invitations=[row for row in rows if _is_open_invitation(row)],
    )


ORG_PAGES: list[ControllerRouterHandler] = [desk, proposal_list]
