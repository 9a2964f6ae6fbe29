"""The committee's reading of the audit log: everything, or one task's history; entries about sealed proposals
withheld until the deadline, up-reviews never listed one by one."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from market.models import UP_REVIEW, AuditEntry, Award, ClassSession, Objection, Project, Proposal, TaskQuestion
from market.services._tasks import sealed_proposal_ids

# A task's export holds at most this many entries (a task's whole life is far fewer).
EXPORT_LIMIT = 50_000


def withheld() -> ColumnElement[bool]:
    """Entries about proposals still sealed (before their task's deadline): they would tell who claimed, and how
    many, so the committee does not see them yet; they appear once the deadline has passed."""
    return and_(AuditEntry.entity == "proposal", AuditEntry.entity_id.in_(sealed_proposal_ids()))


def about_task(task_id: int) -> ColumnElement[bool]:
    """Entries about the task and what hangs from it: its proposals, questions, awards, objections, project and the
    project's classes."""
    project_ids = select(Project.id).where(Project.task_id == task_id)
    return or_(
        and_(AuditEntry.entity == "task", AuditEntry.entity_id == task_id),
        and_(
            AuditEntry.entity == "proposal",
            AuditEntry.entity_id.in_(select(Proposal.id).where(Proposal.task_id == task_id)),
        ),
        and_(
            AuditEntry.entity == "question",
            AuditEntry.entity_id.in_(select(TaskQuestion.id).where(TaskQuestion.task_id == task_id)),
        ),
        and_(AuditEntry.entity == "award", AuditEntry.entity_id.in_(select(Award.id).where(Award.task_id == task_id))),
        and_(
            AuditEntry.entity == "objection",
            AuditEntry.entity_id.in_(select(Objection.id).where(Objection.task_id == task_id)),
        ),
        and_(AuditEntry.entity == "project", AuditEntry.entity_id.in_(project_ids)),
        and_(
            AuditEntry.entity == "class_session",
            AuditEntry.entity_id.in_(select(ClassSession.id).where(ClassSession.project_id.in_(project_ids))),
        ),
    )


async def task_history(
    db: AsyncSession, task_id: int, *, after_id: int | None = None, limit: int = EXPORT_LIMIT
) -> Sequence[AuditEntry]:
    """A task's audit entries, oldest first, after `after_id` when paging; sealed ones withheld."""
    stmt = select(AuditEntry).where(about_task(task_id), ~withheld()).order_by(AuditEntry.id).limit(limit)
    if after_id is not None:
        stmt = stmt.where(AuditEntry.id > after_id)
    return (await db.scalars(stmt)).all()


async def entries(
    db: AsyncSession,
    *,
    entity: str | None = None,
    entity_id: int | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> Sequence[AuditEntry]:
    """The whole log, newest first, before `before_id` when paging, filtered by entity; sealed ones withheld, and
    up-reviews left out altogether: listed beside their author's own entries (a sign-in, the project's close) at
    their exact time, they would name the author whatever field is withheld (SPEC, Two-way review). The chain keeps
    them; the view offers their count per day instead (`reviews.given_by_day`)."""
    stmt = (
        select(AuditEntry)
        .where(~withheld(), AuditEntry.entity != UP_REVIEW)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    if before_id:
        stmt = stmt.where(AuditEntry.id < before_id)
    return (await db.scalars(stmt)).all()
