"""Night-class sessions: an organiser schedules and changes them, everyone finds them by community, street and day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from msgspec import UNSET
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from alliances.models import Community, ServiceCategory
from market.audit import record
from market.kernel.clock import SHANGHAI, as_utc
from market.kernel.errors import InvalidInput, NotFound, StateConflict
from market.models import ClassSession, Project, User
from market.schemas._classes import ClassCreate, ClassUpdate
from market.services._classes._rules import (
    NO_CLASS,
    check_future,
    check_seats,
    fill_seats,
    has_started,
    lock_project,
    lock_session,
    require_organiser,
    require_running,
)
from market.states import ProjectStatus


async def _community(db: AsyncSession, community_id: int) -> Community:
    community = await db.get(Community, community_id)
    if community is None:
        raise InvalidInput("error.unknown_community", field="community_id")
    return community


async def create_class(
    db: AsyncSession, project_id: int, data: ClassCreate, *, actor: User, now: datetime
) -> ClassSession:
    """The organiser schedules a session of an in-progress finance-education project."""
    project = await lock_project(db, project_id, now)
    require_organiser(actor, project)
    require_running(project)
    check_seats(data.seats)
    starts_at = check_future(data.starts_at, now)
    community = await _community(db, data.community_id)
    session = ClassSession(
        project_id=project.id,
        topic=data.topic,
        community_id=community.id,
        venue=data.venue,
        starts_at=starts_at,
        seats=data.seats,
        created_by_id=actor.id,
        confirmed_count=0,
        waitlist_count=0,
    )
    db.add(session)
    await db.flush()
    await record(
        db,
        at=now,
        actor=actor,
        entity="class_session",
        entity_id=session.id,
        action="create",
        data={
            "project": project.id,
            "topic": session.topic,
            "community": community.id,
            "starts_at": starts_at.isoformat(),
            "seats": session.seats,
        },
    )
    return session


async def update_class(
    db: AsyncSession, class_id: int, data: ClassUpdate, *, actor: User, now: datetime
) -> ClassSession:
    """The organiser changes a session before it starts; more seats promote the waitlist's head in order."""
    found = await db.get(ClassSession, class_id)
    if found is None:
        raise NotFound(NO_CLASS)
    project = await lock_project(db, found.project_id, now)
    session = await lock_session(db, class_id)
    require_organiser(actor, project)
    require_running(project)
    if has_started(session, now):
        raise StateConflict("error.class_started_no_longer")
    changes: dict[str, dict[str, object]] = {}
    if data.seats is not UNSET:
        check_seats(data.seats)
        if data.seats < session.confirmed_count:
            raise StateConflict(
                "error.seats_cannot_drop_below",
                field="seats",
                confirmed_count=session.confirmed_count,
            )
    if data.starts_at is not UNSET:
        starts_at = check_future(data.starts_at, now)
        if starts_at != as_utc(session.starts_at):
            changes["starts_at"] = {"before": as_utc(session.starts_at).isoformat(), "after": starts_at.isoformat()}
            session.starts_at = starts_at
    for name in ("topic", "venue", "seats"):
        value = getattr(data, name)
        if value is not UNSET and value != getattr(session, name):
            changes[name] = {"before": getattr(session, name), "after": value}
            setattr(session, name, value)
    if not changes:
        return session
    await record(
        db,
        at=now,
        actor=actor,
        entity="class_session",
        entity_id=session.id,
        action="edit",
        data={"changes": changes},
    )
    await fill_seats(db, session, project, now=now, actor=actor)
    return session


@dataclass(frozen=True, slots=True)
class ClassFilter:
    """What residents look for: a community or street, a range of local (Asia/Shanghai) dates."""

    community_id: int | None = None
    street_id: int | None = None
    project_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    # None: upcoming only, unless a date range is given (then the range decides).
    upcoming: bool | None = None
    limit: int = 20
    offset: int = 0


def local_day_start(day: date) -> datetime:
    """The UTC instant at which a Shanghai calendar day begins."""
    return as_utc(datetime.combine(day, time.min, tzinfo=SHANGHAI))


def _filtered(f: ClassFilter, now: datetime) -> Select[ClassSession]:
    stmt = select(ClassSession)
    if f.community_id is not None:
        stmt = stmt.where(ClassSession.community_id == f.community_id)
    if f.street_id is not None:
        stmt = stmt.where(ClassSession.community_id.in_(select(Community.id).where(Community.street_id == f.street_id)))
    if f.project_id is not None:
        stmt = stmt.where(ClassSession.project_id == f.project_id)
    if f.date_from is not None:
        stmt = stmt.where(ClassSession.starts_at >= local_day_start(f.date_from))
    if f.date_to is not None:
        stmt = stmt.where(ClassSession.starts_at < local_day_start(f.date_to + timedelta(days=1)))
    upcoming = f.upcoming if f.upcoming is not None else (f.date_from is None and f.date_to is None)
    if upcoming:
        stmt = stmt.where(ClassSession.starts_at >= now)
    return stmt


async def list_classes(db: AsyncSession, f: ClassFilter, *, now: datetime) -> tuple[int, list[ClassSession]]:
    """Sessions matching the filter, soonest first, with the total before paging."""
    stmt = _checked(f, now)
    total = int(await db.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    return total, await _page_of(db, stmt, f)


async def classes_page(db: AsyncSession, f: ClassFilter, *, now: datetime) -> list[ClassSession]:
    """One page of the filter's sessions, soonest first, without counting them all (the home page's few)."""
    return await _page_of(db, _checked(f, now), f)


def _checked(f: ClassFilter, now: datetime) -> Select[ClassSession]:
    if f.date_from is not None and f.date_to is not None and f.date_from > f.date_to:
        raise InvalidInput("error.date_before_from_date", field="to")
    return _filtered(f, now)


async def _page_of(db: AsyncSession, stmt: Select[ClassSession], f: ClassFilter) -> list[ClassSession]:
    rows = await db.scalars(stmt.order_by(ClassSession.starts_at, ClassSession.id).limit(f.limit).offset(f.offset))
    return list(rows.all())


async def get_project(db: AsyncSession, project_id: int) -> Project:
    """A project whose classes are asked for (404 if there is none)."""
    project = await db.get(Project, project_id)
    if project is None:
        raise NotFound("error.no_such_project")
    return project


async def get_class(db: AsyncSession, class_id: int) -> ClassSession:
    """One session (public)."""
    session = await db.get(ClassSession, class_id)
    if session is None:
        raise NotFound(NO_CLASS)
    return session


async def projects_of(db: AsyncSession, sessions: Sequence[ClassSession]) -> dict[int, Project]:
    """The projects the sessions belong to, by id (for titles and organisers)."""
    ids = {s.project_id for s in sessions}
    if not ids:
        return {}
    return {p.id: p for p in (await db.scalars(select(Project).where(Project.id.in_(ids)))).unique().all()}


def may_schedule(project: Project) -> bool:
    """Whether classes may be scheduled for the project now: a finance-education project in progress."""
    return project.category == ServiceCategory.FINANCE_EDUCATION and project.status == ProjectStatus.IN_PROGRESS
