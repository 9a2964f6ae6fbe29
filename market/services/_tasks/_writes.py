"""Tasks (榜单) written: drafting, posting, amending, cancelling, reposting, questions, and the deadline transition.

Only the task's own rows are written here; what a cancellation or an amendment does to proposals and needs is
`market.flows`'. This module imports none of its sibling services: they all build on it (`lock_task`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from msgspec import UNSET
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from market import notify
from market.audit import SYSTEM, Actor, record
from market.kernel.clock import as_utc, local
from market.kernel.db import lock
from market.kernel.errors import InvalidInput, NotFound, StateConflict
from market.lists import refresh_needs
from market.models import (
    Alliance,
    Community,
    Need,
    Role,
    Task,
    TaskAmendment,
    TaskQuestion,
    User,
    task_needs,
)
from market.models._tasks import effective_status_sql as effective_status_sql  # re-exported: statistics use it
from market.schemas._tasks import CriterionIn, TaskAmend, TaskCreate, TaskUpdate
from market.scoring import DEFAULT_RUBRIC, Criterion, RubricError, validate_rubric
from market.services._tasks._reads import status_of, visible_to
from market.states import NeedStatus, TaskStatus, check_transition
from market.transitions import move

# Changing any of these after posting sends submitted proposals back to draft (SPEC: amendments).
MATERIAL_FIELDS = frozenset({"budget_fen", "rubric", "alliances", "claim_deadline"})
# The needs a live task may answer: not yet declined or resolved.
WAITING_NEEDS = (NeedStatus.OPEN, NeedStatus.MATCHED)


def _rubric_json(criteria: Sequence[CriterionIn] | None) -> list[dict[str, Any]]:
    raw = DEFAULT_RUBRIC if criteria is None else tuple(Criterion(c.name, c.maximum) for c in criteria)
    try:
        cleaned = validate_rubric(raw)
    except RubricError as exc:
        raise InvalidInput(exc.key, field="rubric", **exc.params) from exc
    return [{"name": c.name, "maximum": c.maximum} for c in cleaned]


async def _alliances(db: AsyncSession, codes: Sequence[str]) -> list[Alliance]:
    found = list((await db.scalars(select(Alliance).where(Alliance.code.in_(set(codes))))).all())
    if len(found) != len(set(codes)):
        raise InvalidInput("error.unknown_alliance", field="alliances")
    return sorted(found, key=lambda a: a.position)


async def _communities(db: AsyncSession, ids: Sequence[int]) -> list[Community]:
    found = list((await db.scalars(select(Community).where(Community.id.in_(set(ids))))).all())
    if len(found) != len(set(ids)):
        raise InvalidInput("error.unknown_community", field="community_ids")
    return found


async def _check_needs(db: AsyncSession, ids: Sequence[int]) -> list[int]:
    wanted = set(ids)
    # Locked, so that a need cannot be declined between being checked here and this transaction's commit.
    stmt = select(Need.id).where(Need.id.in_(wanted), Need.status.in_(WAITING_NEEDS)).with_for_update()
    found = set((await db.scalars(stmt)).all())
    if found != wanted:
        raise InvalidInput("error.unknown_declined_resolved_need", field="need_ids")
    return sorted(found)


def _utc_deadline(deadline: datetime) -> datetime:
    """The deadline in UTC; one with no UTC form (year 1 east of Greenwich, 9999 west of it) is bad input."""
    try:
        return as_utc(deadline)
    except OverflowError as exc:
        raise InvalidInput("error.claim_deadline_out_range", field="claim_deadline") from exc


def _check_deadline(deadline: datetime, now: datetime) -> None:
    if _utc_deadline(deadline) <= now:
        raise InvalidInput("error.claim_deadline_must_future", field="claim_deadline")


async def _set_needs(db: AsyncSession, task: Task, need_ids: Sequence[int]) -> None:
    await db.execute(task_needs.delete().where(task_needs.c.task_id == task.id))
    if need_ids:
        await db.execute(task_needs.insert(), [{"task_id": task.id, "need_id": n} for n in need_ids])


async def need_ids_of(db: AsyncSession, task_id: int) -> list[int]:
    """The needs a task answers."""
    return list((await db.scalars(select(task_needs.c.need_id).where(task_needs.c.task_id == task_id))).all())


async def create_task(db: AsyncSession, data: TaskCreate, *, actor: User, now: datetime) -> Task:
    """A new draft."""
    task = Task(
        title=data.title,
        description=data.description,
        category=data.category,
        posting_unit=data.posting_unit,
        budget_fen=data.budget_fen,
        funding_mode=data.funding_mode,
        claim_deadline=_utc_deadline(data.claim_deadline),
        allow_joint=data.allow_joint,
        rubric=_rubric_json(data.rubric),
        status=TaskStatus.DRAFT,
        created_by_id=actor.id,
    )
    task.alliances = await _alliances(db, data.alliances)
    task.communities = await _communities(db, data.community_ids)
    need_ids = await _check_needs(db, data.need_ids)
    db.add(task)
    await db.flush()
    await _set_needs(db, task, need_ids)
    await record(db, at=now, actor=actor, entity="task", entity_id=task.id, action="create", after=TaskStatus.DRAFT)
    return task


async def lock_task(db: AsyncSession, task_id: int, now: datetime) -> Task:
    """The task locked for this transaction, with any transition its deadline has made due applied first."""
    task = await lock(db, Task, task_id)
    if task is None:
        raise NotFound("error.no_such_task")
    await apply_deadline(db, task, now)
    return task


async def update_draft(db: AsyncSession, task_id: int, data: TaskUpdate, *, actor: User, now: datetime) -> Task:
    """Edit a draft freely; after posting only amendments change terms."""
    task = await lock_task(db, task_id, now)
    if task.status != TaskStatus.DRAFT:
        raise StateConflict("error.only_drafts_edited_amend")
    changed = await _apply_fields(db, task, data)
    if isinstance(data.need_ids, list):
        await _set_needs(db, task, await _check_needs(db, data.need_ids))
        changed.append("need_ids")
    if changed:  # an empty PATCH is a no-op, not an edit worth an audit entry
        await record(
            db,
            at=now,
            actor=actor,
            entity="task",
            entity_id=task.id,
            action="edit",
            before=task.status,
            after=task.status,
            data={"fields": changed},
        )
    return task


async def _apply_fields(db: AsyncSession, task: Task, data: TaskUpdate | TaskAmend) -> list[str]:
    """Assign every field the request set; return their names."""
    changed: list[str] = []
    for name in ("title", "description", "posting_unit", "budget_fen", "funding_mode", "allow_joint"):
        value = getattr(data, name)
        if value is not UNSET:
            setattr(task, name, value)
            changed.append(name)
    if isinstance(data, TaskUpdate) and data.category is not UNSET:
        task.category = data.category
        changed.append("category")
    if data.claim_deadline is not UNSET:
        task.claim_deadline = _utc_deadline(data.claim_deadline)
        changed.append("claim_deadline")
    if data.rubric is not UNSET:
        task.rubric = _rubric_json(data.rubric)
        changed.append("rubric")
    if data.alliances is not UNSET:
        task.alliances = await _alliances(db, data.alliances)
        changed.append("alliances")
    if data.community_ids is not UNSET:
        task.communities = await _communities(db, data.community_ids)
        changed.append("community_ids")
    return changed


async def post_task(db: AsyncSession, task_id: int, *, actor: User, now: datetime) -> Task:
    """Publish a draft (发榜): its target alliances hear of it, the needs it answers are matched."""
    task = await lock_task(db, task_id, now)
    check_transition(TaskStatus(task.status), TaskStatus.POSTED, what="task")
    _check_deadline(task.claim_deadline, now)
    # A need declined or resolved since the draft linked it must not be answered by a live task.
    await _check_needs(db, await need_ids_of(db, task.id))
    task.posted_at = now
    await move(db, task, TaskStatus.POSTED, entity="task", action="post", actor=actor, now=now)
    await db.refresh(task, ["alliances"])
    await notify.to_alliances(
        db,
        [a.id for a in task.alliances],
        "task_posted",
        {"task": task.title, "deadline": f"{local(task.claim_deadline):%Y-%m-%d %H:%M}"},
        link=f"/tasks/{task.id}",
    )
    await refresh_needs(db, await need_ids_of(db, task.id), now=now, actor=actor)
    return task


async def cancel(db: AsyncSession, task_id: int, reason: str, *, actor: User, now: datetime) -> Task:
    """Withdraw a task that has not been awarded: the task's own part of `market.flows.cancel_task`, which also
    releases the organisations on it and reopens its needs."""
    task = await lock_task(db, task_id, now)
    task.cancel_reason = reason
    task.closed_at = now
    await move(
        db, task, TaskStatus.CANCELLED, entity="task", action="cancel", actor=actor, now=now, data={"reason": reason}
    )
    return task


async def amend(db: AsyncSession, task_id: int, data: TaskAmend, *, actor: User, now: datetime) -> TaskAmendment:
    """Change a posted task's terms by a recorded amendment (变更公告): the task's own part of
    `market.flows.amend_task`, which also checks the terms against the live proposals and sends submitted ones back
    to draft after a material change."""
    task = await lock_task(db, task_id, now)
    if task.status != TaskStatus.POSTED:
        raise StateConflict("error.only_task_open_claims")
    if data.claim_deadline is not UNSET:
        _check_deadline(data.claim_deadline, now)
    await db.refresh(task, ["alliances", "communities"])
    before = _terms(task)
    fields = await _apply_fields(db, task, data)
    after = _terms(task)
    changes = {f: {"before": before[f], "after": after[f]} for f in fields if before[f] != after[f]}
    if not changes:
        raise InvalidInput("error.amendment_changes_nothing")
    material = bool(MATERIAL_FIELDS & changes.keys())
    number = int(await db.scalar(select(func.count()).where(TaskAmendment.task_id == task.id)) or 0) + 1
    amendment = TaskAmendment(
        task_id=task.id,
        number=number,
        reason=data.reason,
        changes=changes,
        material=material,
        made_by_id=actor.id,
        made_at=now,
    )
    db.add(amendment)
    await record(
        db,
        at=now,
        actor=actor,
        entity="task",
        entity_id=task.id,
        action="amend",
        before=task.status,
        after=task.status,
        data={"number": number, "fields": sorted(changes)},
    )
    return amendment


def _terms(task: Task) -> dict[str, Any]:
    return {
        "title": task.title,
        "description": task.description,
        "posting_unit": task.posting_unit,
        "budget_fen": task.budget_fen,
        "funding_mode": str(task.funding_mode),
        "allow_joint": task.allow_joint,
        "claim_deadline": as_utc(task.claim_deadline).isoformat(),
        "rubric": task.rubric,
        "alliances": [a.code for a in task.alliances],
        "community_ids": sorted(c.id for c in task.communities),
    }


async def apply_deadline(db: AsyncSession, task: Task, now: datetime) -> bool:
    """At the deadline a posted task enters review, or goes unclaimed (流榜) if nobody submitted. Idempotent."""
    target = status_of(task, now)
    if target == task.status:
        return False
    if target is TaskStatus.UNCLAIMED:
        task.closed_at = as_utc(task.claim_deadline)
    await move(db, task, target, entity="task", action="deadline", actor=SYSTEM, now=now)
    if target is TaskStatus.UNCLAIMED:
        await refresh_needs(db, await need_ids_of(db, task.id), now=now, actor=SYSTEM)
    else:
        await notify.to_role(db, Role.COMMITTEE, "task_reviewing", {"task": task.title}, link=f"/tasks/{task.id}")
    return True


async def go_unclaimed(db: AsyncSession, task: Task, *, now: datetime, actor: Actor) -> None:
    """No qualified proposal is left after review: the task goes unclaimed (流榜) and its needs reopen."""
    task.closed_at = now
    await move(db, task, TaskStatus.UNCLAIMED, entity="task", action="unclaimed", actor=actor, now=now)
    await refresh_needs(db, await need_ids_of(db, task.id), now=now, actor=actor)


async def repost(db: AsyncSession, task_id: int, *, actor: User, now: datetime) -> Task:
    """A new draft copied from an unclaimed (or cancelled) task, linked back to it."""
    old = await lock_task(db, task_id, now)
    if old.status not in (TaskStatus.UNCLAIMED, TaskStatus.CANCELLED):
        raise StateConflict("error.only_unclaimed_cancelled_tasks")
    await db.refresh(old, ["alliances", "communities"])
    task = Task(
        title=old.title,
        description=old.description,
        category=old.category,
        posting_unit=old.posting_unit,
        budget_fen=old.budget_fen,
        funding_mode=old.funding_mode,
        claim_deadline=old.claim_deadline,
        allow_joint=old.allow_joint,
        rubric=old.rubric,
        status=TaskStatus.DRAFT,
        created_by_id=actor.id,
        reposted_from_id=old.id,
    )
    task.alliances = list(old.alliances)
    task.communities = list(old.communities)
    db.add(task)
    await db.flush()
    # Only needs still waiting carry over; ones declined or resolved since are history.
    still_open = await db.scalars(
        select(Need.id).where(Need.id.in_(await need_ids_of(db, old.id)), Need.status.in_(WAITING_NEEDS))
    )
    await _set_needs(db, task, sorted(still_open))
    await record(
        db,
        at=now,
        actor=actor,
        entity="task",
        entity_id=task.id,
        action="repost",
        after=TaskStatus.DRAFT,
        data={"from": old.id},
    )
    return task


# Questions (答疑) ------------------------------------------------------------------------------------------


async def ask(db: AsyncSession, task_id: int, question: str, *, actor: User, now: datetime) -> TaskQuestion:
    """A signed-in user asks a public question while the task is open for claims."""
    task = await lock_task(db, task_id, now)
    if not visible_to(task, actor):
        raise NotFound("error.no_such_task")  # a draft does not exist for anyone else
    if task.status != TaskStatus.POSTED:
        raise StateConflict("error.questions_taken_only_while")
    q = TaskQuestion(task_id=task.id, asked_by_id=actor.id, question=question)
    db.add(q)
    await db.flush()
    await record(db, at=now, actor=actor, entity="question", entity_id=q.id, action="ask", data={"task": task.id})
    await notify.to_role(db, Role.COMMITTEE, "question", {"task": task.title}, link=f"/tasks/{task.id}")
    return q


async def answer(
    db: AsyncSession, task_id: int, question_id: int, text: str, *, actor: User, now: datetime
) -> TaskQuestion:
    """The committee publishes an answer; the asker is told, nobody else learns who asked."""
    task = await lock_task(db, task_id, now)
    q = await lock(db, TaskQuestion, question_id)
    if q is None or q.task_id != task_id:
        raise NotFound("error.no_such_question")
    before = "answered" if q.answered_at else "open"
    q.answer, q.answered_by_id, q.answered_at = text, actor.id, now
    await record(
        db, at=now, actor=actor, entity="question", entity_id=q.id, action="answer", before=before, after="answered"
    )
    await notify.to_users(db, [q.asked_by_id], "answer", {"task": task.title}, link=f"/tasks/{task_id}")
    return q
