"""What the open data is made from: each published task's public history, read for a whole page of tasks at once.

A page costs the same handful of statements however many tasks it holds and however long their histories are: each
table is asked once for every task of the page (`task_id IN (…)`), never once per task.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from market.kernel.errors import NotFound
from market.models import (
    Alliance,
    Award,
    AwardDossier,
    ProgressReport,
    Project,
    Proposal,
    Task,
    TaskAmendment,
    TaskQuestion,
)
from market.services._tasks import proposals_sealed, published, status_of
from market.states import ProposalStatus, TaskStatus

# Proposals that were claims at the deadline (a draft or a withdrawn one never was).
BIDS = (
    ProposalStatus.SUBMITTED,
    ProposalStatus.QUALIFIED,
    ProposalStatus.DISQUALIFIED,
    ProposalStatus.AWARDED,
    ProposalStatus.NOT_AWARDED,
)


@dataclass(slots=True)
class History:
    """One published task and everything about it the public may read now."""

    task: Task
    status: TaskStatus
    questions: list[TaskQuestion] = field(default_factory=list)
    amendments: list[TaskAmendment] = field(default_factory=list)
    # Empty while proposals are sealed (before the deadline, or for a task cancelled before it).
    bids: list[Proposal] = field(default_factory=list)
    awards: list[Award] = field(default_factory=list)
    project: Project | None = None
    reports: list[ProgressReport] = field(default_factory=list)
    # The awards whose dossier (评审档案) was published with them (awards made before dossiers existed have none).
    dossiers: set[int] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Histories:
    """A page of histories, with the names of the alliances a task's terms may name by code."""

    items: list[History]
    alliance_names: dict[str, str]


async def page_of(db: AsyncSession, *, limit: int, offset: int, now: datetime) -> tuple[Histories, bool]:
    """A page of the published tasks' histories in the order they were published, and whether more follow.

    A task joins the end of this order when it is posted and never moves, so an offset keeps naming the same tasks
    and a reader who remembers how far they got reads only what is new (along `ix_tasks_browse`).
    """
    stmt = select(Task.id).where(published()).order_by(Task.posted_at, Task.id).limit(limit + 1).offset(offset)
    ids = list(await db.scalars(stmt))
    found = await histories(db, ids[:limit], now=now)
    found.items.sort(key=lambda h: ids.index(h.task.id))
    return found, len(ids) > limit


async def one(db: AsyncSession, task_id: int, *, now: datetime) -> Histories:
    """One published task's history; 404 for a task the public does not know (a draft, or none at all)."""
    found = await histories(db, [task_id], now=now)
    if not found.items:
        raise NotFound("error.no_such_task")
    return found


async def histories(db: AsyncSession, task_ids: list[int], *, now: datetime) -> Histories:
    """The histories of these tasks (those published), in id order."""
    if not task_ids:
        return Histories([], {})
    tasks = (
        await db.scalars(
            select(Task)
            .where(Task.id.in_(task_ids), published())
            .options(selectinload(Task.alliances))
            .order_by(Task.id)
        )
    ).all()
    found = {t.id: History(t, status_of(t, now)) for t in tasks}
    ids = list(found)
    if not ids:
        return Histories([], {})
    alliance_names = {code: name for code, name in await db.execute(select(Alliance.code, Alliance.name))}
    for q in await db.scalars(
        select(TaskQuestion)
        .where(TaskQuestion.task_id.in_(ids), TaskQuestion.answered_at.is_not(None))
        .order_by(TaskQuestion.id)
    ):
        found[q.task_id].questions.append(q)
    for a in await db.scalars(
        select(TaskAmendment)
        .where(TaskAmendment.task_id.in_(ids))
        .order_by(TaskAmendment.task_id, TaskAmendment.number)
    ):
        found[a.task_id].amendments.append(a)
    unsealed = [i for i, h in found.items() if not proposals_sealed(h.task, h.status)]
    if unsealed:
        for p in await db.scalars(
            select(Proposal)
            .where(Proposal.task_id.in_(unsealed), Proposal.status.in_([s.value for s in BIDS]))
            .order_by(Proposal.id)
        ):
            found[p.task_id].bids.append(p)
        for aw in await db.scalars(select(Award).where(Award.task_id.in_(unsealed)).order_by(Award.id)):
            found[aw.task_id].awards.append(aw)
        reports: dict[int, list[ProgressReport]] = defaultdict(list)
        for r in await db.scalars(
            select(ProgressReport)
            .join(Project, Project.id == ProgressReport.project_id)
            .where(Project.task_id.in_(unsealed))
            .order_by(ProgressReport.id)
        ):
            reports[r.project_id].append(r)
        for task_id, award_id in await db.execute(
            select(AwardDossier.task_id, AwardDossier.award_id).where(AwardDossier.task_id.in_(unsealed))
        ):
            found[task_id].dossiers.add(award_id)
        for pr in await db.scalars(select(Project).where(Project.task_id.in_(unsealed))):
            found[pr.task_id].project = pr
            found[pr.task_id].reports = reports[pr.id]
    return Histories(list(found.values()), alliance_names)
