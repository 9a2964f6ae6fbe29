"""Tasks (榜单) read: who may see a task and its proposals, the board's pages, one task, its questions and
amendments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON, ColumnElement, Integer, Row, Select, String, and_, bindparam, case, func, null, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute, selectinload
from sqlalchemy.sql.functions import FunctionElement

from alliances.models import ServiceCategory, Street
from market.kernel.clock import as_utc
from market.kernel.db import like_pattern
from market.kernel.errors import Forbidden, NotFound
from market.models import (
    Alliance,
    Community,
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
from market.schemas._tasks import AllianceRef, CommunityRef, TaskSummary
from market.scoring import Criterion
from market.states import ProposalStatus, TaskStatus, effective_task_status


async def visible_task(db: AsyncSession, task_id: int, viewer: User | None) -> Task:
    """The task, if this viewer may know it exists (see `visible_to`); 404 otherwise."""
    task = await db.get(Task, task_id)
    if task is None or not visible_to(task, viewer):
        raise NotFound("error.no_such_task")
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


def status_of(task: Task, now: datetime) -> TaskStatus:
    """The task's status now, with the deadline transition applied even if nobody has ticked yet."""
    return effective_task_status(TaskStatus(task.status), as_utc(task.claim_deadline), now, task.submitted_count)


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
        raise Forbidden("error.drafts_visible_committee_only")
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
        raise NotFound("error.no_such_task")
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
        raise NotFound("error.no_such_task")
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
