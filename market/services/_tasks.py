"""Tasks (榜单): drafting, posting, amending, cancelling, questions, and the deadline transition."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from msgspec import UNSET
from sqlalchemy import JSON, ColumnElement, Integer, Row, Select, String, and_, bindparam, case, func, null, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute, selectinload
from sqlalchemy.sql.functions import FunctionElement

from alliances.models import ServiceCategory, Street
from market import notify
from market.audit import SYSTEM, Actor, record
from market.kernel.clock import as_utc, local
from market.kernel.db import like_pattern, lock
from market.kernel.errors import Forbidden, InvalidInput, NotFound, StateConflict
from market.lists import refresh_needs
from market.models import (
    Alliance,
    Community,
    Need,
    Proposal,
    Role,
    Task,
    TaskAmendment,
    TaskQuestion,
    User,
    task_needs,
)
from market.models._tasks import effective_status_is, task_alliances, task_communities
from market.models._tasks import effective_status_sql as effective_status_sql  # re-exported: statistics use it
from market.schemas._tasks import AllianceRef, CommunityRef, CriterionIn, TaskAmend, TaskCreate, TaskSummary, TaskUpdate
from market.scoring import DEFAULT_RUBRIC, Criterion, RubricError, validate_rubric
from market.states import ProposalStatus, TaskStatus, check_transition, effective_task_status
from market.transitions import move

# Changing any of these after posting sends submitted proposals back to draft (SPEC: amendments).
MATERIAL_FIELDS = frozenset({"budget_fen", "rubric", "alliances", "claim_deadline"})


async def visible_task(db: AsyncSession, task_id: int, viewer: User | None) -> Task:
    """The task, if this viewer may know it exists (see `visible_to`); 404 otherwise."""
    task = await db.get(Task, task_id)
    if task is None or not visible_to(task, viewer):
        raise NotFound("榜单不存在 (no such task)")
    return task


def published() -> ColumnElement[bool]:
    """`visible_to` for the public, as SQL."""
    return Task.posted_at.is_not(None)


def proposals_sealed(task: Task, status: TaskStatus) -> bool:
    """Whether the task's proposals are sealed from everyone but their own organisations, their number included.

    They are until the deadline; a task cancelled before its deadline never reached it, so they stay sealed.
    """
    if status in (TaskStatus.DRAFT, TaskStatus.POSTED):
        return True
    return status is TaskStatus.CANCELLED and cancelled_before_deadline(task.closed_at, task.claim_deadline)


def proposals_sealed_sql(status: ColumnElement[Any] | QueryableAttribute[Any]) -> ColumnElement[bool]:
    """`proposals_sealed` as SQL, for a task whose status (stored or effective) is `status`."""
    return or_(
        status.in_([TaskStatus.DRAFT.value, TaskStatus.POSTED.value]),
        and_(status == TaskStatus.CANCELLED.value, Task.closed_at.is_not(None), Task.closed_at < Task.claim_deadline),
    )


def sealed_proposal_ids() -> Select[int]:
    """The ids of every proposal `proposals_sealed` keeps sealed, as a subquery (on stored statuses, which reads
    bring up to date before they look)."""
    return select(Proposal.id).join(Task, Task.id == Proposal.task_id).where(proposals_sealed_sql(Task.status))


def cancelled_before_deadline(closed_at: datetime | None, deadline: datetime) -> bool:
    """Whether a cancelled task was cancelled while its claims were still open."""
    return closed_at is not None and as_utc(closed_at) < as_utc(deadline)


def claims_shown(task: Task, status: TaskStatus) -> int | None:
    """How many proposals were submitted, once claims have closed: while proposals are sealed even a count would
    tell something about them, so nobody sees it then, the committee and the panel included."""
    return None if proposals_sealed(task, status) else task.submitted_count


def visible_to(task: Task, viewer: User | None) -> bool:
    """A task exists for the public once posted; drafts, and drafts dropped unposted, only for the committee."""
    return posted_or_committee(task.posted_at, viewer)


def posted_or_committee(posted_at: datetime | None, viewer: User | None) -> bool:
    """`visible_to` for a task read as columns."""
    return posted_at is not None or (viewer is not None and viewer.role == Role.COMMITTEE)


def rubric_of(task: Task) -> tuple[Criterion, ...]:
    """The task's rubric as pure-rule criteria."""
    return tuple(Criterion(c["name"], int(c["maximum"])) for c in task.rubric)


def _rubric_json(criteria: Sequence[CriterionIn] | None) -> list[dict[str, Any]]:
    raw = DEFAULT_RUBRIC if criteria is None else tuple(Criterion(c.name, c.maximum) for c in criteria)
    try:
        cleaned = validate_rubric(raw)
    except RubricError as exc:
        raise InvalidInput(str(exc), field="rubric") from exc
    return [{"name": c.name, "maximum": c.maximum} for c in cleaned]


def status_of(task: Task, now: datetime) -> TaskStatus:
    """The task's status now, with the deadline transition applied even if nobody has ticked yet."""
    return effective_task_status(TaskStatus(task.status), as_utc(task.claim_deadline), now, task.submitted_count)


async def _alliances(db: AsyncSession, codes: Sequence[str]) -> list[Alliance]:
    found = list((await db.scalars(select(Alliance).where(Alliance.code.in_(set(codes))))).all())
    if len(found) != len(set(codes)):
        raise InvalidInput("联盟不存在 (unknown alliance)", field="alliances")
    return sorted(found, key=lambda a: a.position)


async def _communities(db: AsyncSession, ids: Sequence[int]) -> list[Community]:
    found = list((await db.scalars(select(Community).where(Community.id.in_(set(ids))))).all())
    if len(found) != len(set(ids)):
        raise InvalidInput("社区不存在 (unknown community)", field="community_ids")
    return found


async def _check_needs(db: AsyncSession, ids: Sequence[int]) -> list[int]:
    wanted = set(ids)
    # Locked, so that a need cannot be declined between being checked here and this transaction's commit.
    stmt = select(Need.id).where(Need.id.in_(wanted), Need.status.in_(["open", "matched"])).with_for_update()
    found = set((await db.scalars(stmt)).all())
    if found != wanted:
        raise InvalidInput("需求不存在或已结束 (unknown, declined or resolved need)", field="need_ids")
    return sorted(found)


def _utc_deadline(deadline: datetime) -> datetime:
    """The deadline in UTC; one with no UTC form (year 1 east of Greenwich, 9999 west of it) is bad input."""
    try:
        return as_utc(deadline)
    except OverflowError as exc:
        raise InvalidInput("揭榜截止时间超出范围 (the claim deadline is out of range)", field="claim_deadline") from exc


def _check_deadline(deadline: datetime, now: datetime) -> None:
    if _utc_deadline(deadline) <= now:
        raise InvalidInput("揭榜截止时间须晚于现在 (the claim deadline must be in the future)", field="claim_deadline")


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
        raise NotFound("榜单不存在 (no such task)")
    await apply_deadline(db, task, now)
    return task


async def update_draft(db: AsyncSession, task_id: int, data: TaskUpdate, *, actor: User, now: datetime) -> Task:
    """Edit a draft freely; after posting only amendments change terms."""
    task = await lock_task(db, task_id, now)
    if task.status != TaskStatus.DRAFT:
        raise StateConflict("只有草稿可以直接修改，已发布的榜单请用变更 (only drafts are edited; amend posted tasks)")
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


async def cancel_task(db: AsyncSession, task_id: int, reason: str, *, actor: User, now: datetime) -> Task:
    """Withdraw a task that has not been awarded; every organisation on it is released and told.

    Its proposals keep their last state as the record of what was claimed before the cancellation.
    """
    task = await lock_task(db, task_id, now)
    task.cancel_reason = reason
    task.closed_at = now
    await move(
        db, task, TaskStatus.CANCELLED, entity="task", action="cancel", actor=actor, now=now, data={"reason": reason}
    )
    from market.services._proposals import end_live_proposals  # deferred: proposals build on tasks

    org_ids = await end_live_proposals(db, task, now=now, actor=actor)
    await notify.to_orgs(
        db, org_ids, "task_cancelled", {"task": task.title, "reason": reason}, link=f"/tasks/{task.id}"
    )
    await refresh_needs(db, await need_ids_of(db, task.id), now=now, actor=actor)
    return task


async def amend_task(db: AsyncSession, task_id: int, data: TaskAmend, *, actor: User, now: datetime) -> TaskAmendment:
    """Change a posted task's terms by a recorded amendment (变更公告)."""
    task = await lock_task(db, task_id, now)
    if task.status != TaskStatus.POSTED:
        raise StateConflict("只有揭榜期内的榜单可以变更 (only a task open for claims can be amended)")
    if data.claim_deadline is not UNSET:
        _check_deadline(data.claim_deadline, now)
    await db.refresh(task, ["alliances", "communities"])
    before = _terms(task)
    fields = await _apply_fields(db, task, data)
    after = _terms(task)
    changes = {f: {"before": before[f], "after": after[f]} for f in fields if before[f] != after[f]}
    if not changes:
        raise InvalidInput("变更内容与现有条款相同 (the amendment changes nothing)")
    from market.services._proposals import check_amendment_fits, return_submitted_to_draft  # deferred, as above

    await check_amendment_fits(db, task)
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
    if material:
        org_ids = await return_submitted_to_draft(db, task, now=now, actor=actor, reason=data.reason)
        await notify.to_orgs(
            db, org_ids, "task_amended", {"task": task.title, "reason": data.reason}, link=f"/tasks/{task.id}"
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
        raise StateConflict("只有流榜或已取消的榜单可以重新发榜 (only unclaimed or cancelled tasks are reposted)")
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
        select(Need.id).where(Need.id.in_(await need_ids_of(db, old.id)), Need.status.in_(["open", "matched"]))
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
        raise NotFound("榜单不存在 (no such task)")  # a draft does not exist for anyone else
    if task.status != TaskStatus.POSTED:
        raise StateConflict("只有揭榜期内可以提问 (questions are taken only while the task is open)")
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
        raise NotFound("问题不存在 (no such question)")
    before = "answered" if q.answered_at else "open"
    q.answer, q.answered_by_id, q.answered_at = text, actor.id, now
    await record(
        db, at=now, actor=actor, entity="question", entity_id=q.id, action="answer", before=before, after="answered"
    )
    await notify.to_users(db, [q.asked_by_id], "answer", {"task": task.title}, link=f"/tasks/{task_id}")
    return q


# Reads -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaskFilter:
    """What a task list may be narrowed by."""

    status: TaskStatus | None = None
    category: str | None = None
    alliance: str | None = None
    community_id: int | None = None
    q: str | None = None
    limit: int = 20
    offset: int = 0


# Reads build their statements once, with the request's values as bound parameters: building a statement and its
# cache key costs more CPU than SQLAlchemy's compiled-statement cache saves, so per request only values change.
# `NOW` stands for the request's instant wherever the models' SQL helpers take one (hence typed Any).
NOW: Any = bindparam("now", type_=Task.__table__.c.claim_deadline.type)


@dataclass(frozen=True, slots=True)
class _Shape:
    """What of a `TaskFilter` changes the SQL (its values are parameters): one statement per shape."""

    status: TaskStatus | None
    category: bool
    alliance: bool
    community: bool
    q: bool
    committee: bool


def _shape(f: TaskFilter, viewer: User | None) -> _Shape:
    committee = viewer is not None and viewer.role == Role.COMMITTEE
    if f.status is TaskStatus.DRAFT and not committee:
        raise Forbidden("草稿仅综合党委可见 (drafts are visible to the committee only)")
    return _Shape(f.status, bool(f.category), bool(f.alliance), bool(f.community_id), bool(f.q), committee)


def _params(f: TaskFilter, now: datetime) -> dict[str, Any]:
    """The values of the filter's parameters, for a statement of its shape."""
    params: dict[str, Any] = {"now": now, "limit": f.limit, "offset": f.offset}
    if f.category:
        params["category"] = f.category
    if f.alliance:
        params["alliance"] = f.alliance
    if f.community_id:
        params["community_id"] = f.community_id
    if f.q:
        params["pattern"] = like_pattern(f.q)
    return params


def _conds(shape: _Shape) -> list[ColumnElement[bool]]:
    """The WHERE of a task list of this shape (the committee alone sees drafts)."""
    conds: list[ColumnElement[bool]] = []
    if shape.status is not None:
        conds.append(effective_status_is(shape.status, NOW))
    if not shape.committee:
        conds.append(published())
    if shape.category:
        conds.append(Task.category == bindparam("category", type_=String()))
    if shape.alliance:
        conds.append(Task.alliances.any(Alliance.code == bindparam("alliance", type_=String())))
    if shape.community:
        conds.append(Task.communities.any(Community.id == bindparam("community_id", type_=Integer())))
    if shape.q:
        pattern = bindparam("pattern", type_=String())
        # ILIKE: PostgreSQL's LIKE is case-sensitive where SQLite's is not, and both databases must answer alike.
        conds.append(or_(Task.title.ilike(pattern, escape="\\"), Task.posting_unit.ilike(pattern, escape="\\")))
    return conds


def _page_of(shape: _Shape, conds: list[ColumnElement[bool]]) -> tuple[Any, tuple[Any, ...]]:
    """The page's ids as a subquery, and the board's order."""
    # Newest first, walked backwards along (posted_at, id) or (category|status, posted_at, id), so a page is an
    # index range read, never a sort of every match. Only the committee sees drafts (no posted_at): put them last.
    newest = Task.posted_at.desc().nulls_last() if shape.committee else Task.posted_at.desc()
    order = (newest, Task.id.desc())
    # The offset is skipped over ids alone (an index-only walk when nothing else is filtered); only the page's
    # rows are then read in full, in the same statement.
    page = (
        select(Task.id)
        .where(*conds)
        .order_by(*order)
        .limit(bindparam("limit", type_=Integer()))
        .offset(bindparam("offset", type_=Integer()))
        .subquery()
    )
    return page, order


@cache
def _count_of(shape: _Shape) -> Select[Any]:
    return select(func.count()).select_from(Task).where(*_conds(shape))


@cache
def _rows_of(shape: _Shape, refs: bool) -> Select[Any]:
    page, order = _page_of(shape, _conds(shape))
    columns = (*_summary_columns(NOW), *_refs_columns()) if refs else _summary_columns(NOW)
    return select(*columns).join(page, page.c.id == Task.id).order_by(*order)


async def list_tasks(db: AsyncSession, f: TaskFilter, *, now: datetime, viewer: User | None) -> tuple[int, list[Task]]:
    """A page of tasks as objects, for the pages that go on to work with them; drafts only for the committee."""
    shape, params = _shape(f, viewer), _params(f, now)
    total = int(await db.scalar(_count_of(shape), params) or 0)
    page, order = _page_of(shape, _conds(shape))
    stmt = (
        select(Task)
        .join(page, page.c.id == Task.id)
        .options(selectinload(Task.alliances), selectinload(Task.communities).joinedload(Community.street))
        .order_by(*order)
    )
    return total, list((await db.scalars(stmt, params)).unique().all())


def _summary_columns(now: Any) -> tuple[Any, ...]:
    """What a list row shows, as columns: the status as it is at `now` (an instant, or `NOW`), and the claim count
    only once unsealed."""
    status = effective_status_sql(now)
    return (
        Task.id,
        Task.title,
        Task.category,
        status.label("status"),
        Task.posting_unit,
        Task.budget_fen,
        Task.claim_deadline,
        Task.allow_joint,
        Task.posted_at,
        case((proposals_sealed_sql(status), null()), else_=Task.submitted_count).label("claims"),
    )


class json_rows(FunctionElement[Any]):
    """A JSON array holding, for each row aggregated, the array of the given columns' values (NULL for no row on
    PostgreSQL, `[]` on SQLite)."""

    type = JSON()
    inherit_cache = True
    name = "json_rows"


@compiles(json_rows, "sqlite")
def _json_rows_sqlite(element: json_rows, compiler: Any, **kw: Any) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows, "postgresql")
def _json_rows_postgresql(element: json_rows, compiler: Any, **kw: Any) -> str:
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"


def _refs_columns() -> tuple[Any, Any]:
    """The task's alliances and communities (with their streets) as two JSON columns of the task's own row, so that
    a page of tasks is read in one statement: one correlated lookup each, by the link tables' keys."""
    alliances = (
        select(json_rows(Alliance.position, Alliance.code, Alliance.name))
        .select_from(task_alliances.join(Alliance, Alliance.id == task_alliances.c.alliance_id))
        .where(task_alliances.c.task_id == Task.id)
        .scalar_subquery()
    )
    communities = (
        select(json_rows(Community.id, Community.name, Street.name))
        .select_from(
            task_communities.join(Community, Community.id == task_communities.c.community_id).join(
                Street, Street.id == Community.street_id
            )
        )
        .where(task_communities.c.task_id == Task.id)
        .scalar_subquery()
    )
    return alliances.label("alliances"), communities.label("communities")


def alliance_refs(raw: list[list[Any]] | None) -> list[AllianceRef]:
    """A `json_rows` of (position, code, name) as references in the alliances' order (the aggregate's is the
    database's own)."""
    return [AllianceRef(code, name) for _, code, name in sorted(raw or ())]


def community_refs(raw: list[list[Any]] | None) -> list[CommunityRef]:
    """A `json_rows` of (id, name, street) as references in id order."""
    return [CommunityRef(id_, name, street) for id_, name, street in sorted(raw or ())]


async def browse(
    db: AsyncSession, f: TaskFilter, *, now: datetime, viewer: User | None, refs: bool = True
) -> tuple[int, list[TaskSummary]]:
    """A page of the board as list rows, read as columns (no objects), and how many tasks match in all; drafts only
    for the committee.

    Without `refs` the rows' alliances and communities are left empty and not read: the pages' cards never show them.
    """
    shape, params = _shape(f, viewer), _params(f, now)
    total = int(await db.scalar(_count_of(shape), params) or 0)
    return total, await _rows(db, shape, params, refs=refs)


async def newest(db: AsyncSession, f: TaskFilter, *, now: datetime, viewer: User | None) -> list[TaskSummary]:
    """`browse` without the count, or the alliances and communities: the home page's few newest cards."""
    return await _rows(db, _shape(f, viewer), _params(f, now), refs=False)


async def _rows(db: AsyncSession, shape: _Shape, params: dict[str, Any], *, refs: bool) -> list[TaskSummary]:
    rows = (await db.execute(_rows_of(shape, refs), params)).all()
    return [
        TaskSummary(
            id=r.id,
            title=r.title,
            category=ServiceCategory(r.category),
            status=TaskStatus(r.status),
            posting_unit=r.posting_unit,
            budget_fen=r.budget_fen,
            claim_deadline=r.claim_deadline,
            allow_joint=r.allow_joint,
            alliances=alliance_refs(r.alliances) if refs else [],
            communities=community_refs(r.communities) if refs else [],
            posted_at=r.posted_at,
            claims=r.claims,
        )
        for r in rows
    ]


async def alliance_codes(db: AsyncSession) -> list[str]:
    """The alliances' codes in their order: what the board's alliance filter offers."""
    return list((await db.scalars(select(Alliance.code).order_by(Alliance.position, Alliance.id))).all())


@cache
def _task_row_statement() -> Select[Any]:
    need_ids = select(json_rows(task_needs.c.need_id)).where(task_needs.c.task_id == Task.id).scalar_subquery()
    return select(
        *_summary_columns(NOW),
        *_refs_columns(),
        need_ids.label("need_ids"),
        Task.description,
        Task.funding_mode,
        Task.rubric,
        Task.closed_at,
        Task.cancel_reason,
        Task.reposted_from_id,
    ).where(Task.id == bindparam("task_id", type_=Integer()))


async def task_row(db: AsyncSession, task_id: int, *, now: datetime, viewer: User | None) -> Row[Any]:
    """One task read as columns for its public view, in one statement: its terms, its status and claim count as in
    `browse`, and its alliances, communities and needs (as `json_rows`); 404 as `get_task`."""
    row = (await db.execute(_task_row_statement(), {"now": now, "task_id": task_id})).one_or_none()
    if row is None or not posted_or_committee(row.posted_at, viewer):
        raise NotFound("榜单不存在 (no such task)")
    return row


async def get_task(db: AsyncSession, task_id: int, *, viewer: User | None) -> Task:
    """One task; a draft exists only for the committee."""
    stmt = (
        select(Task)
        .where(Task.id == task_id)
        .options(selectinload(Task.alliances), selectinload(Task.communities).joinedload(Community.street))
    )
    task = (await db.scalars(stmt)).unique().one_or_none()
    if task is None or not visible_to(task, viewer):
        raise NotFound("榜单不存在 (no such task)")
    return task


async def questions_of(db: AsyncSession, task_id: int, *, viewer: User | None) -> list[TaskQuestion]:
    """Answered questions for everyone; the committee also sees the unanswered ones."""
    stmt = select(TaskQuestion).where(TaskQuestion.task_id == task_id).order_by(TaskQuestion.id)
    if not (viewer and viewer.role == Role.COMMITTEE):
        stmt = stmt.where(TaskQuestion.answered_at.is_not(None))
    return list((await db.scalars(stmt)).all())


async def amendments_of(db: AsyncSession, task_id: int) -> list[TaskAmendment]:
    """A task's amendments in order."""
    stmt = select(TaskAmendment).where(TaskAmendment.task_id == task_id).order_by(TaskAmendment.number)
    return list((await db.scalars(stmt)).all())


async def submitted_count(db: AsyncSession, task_id: int) -> int:
    """Proposals that count as claims (submitted or further along)."""
    counted = [
        ProposalStatus.SUBMITTED,
        ProposalStatus.QUALIFIED,
        ProposalStatus.DISQUALIFIED,
        ProposalStatus.AWARDED,
        ProposalStatus.NOT_AWARDED,
    ]
    stmt = select(func.count()).where(Proposal.task_id == task_id, Proposal.status.in_(counted))
    return int(await db.scalar(stmt) or 0)
