"""The organiser's roster of a session: its sign-ups in arrival order, the numbers shown (audited), attendance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from market.audit import record, record_read
from market.kernel.errors import NotFound, StateConflict
from market.models import ClassSession, Project, Signup, User
from market.schemas._classes import AttendanceSet
from market.services._classes._rules import (
    LIVE,
    NO_CLASS,
    NO_SIGNUP,
    has_started,
    is_organiser,
    lock_session,
    require_organiser,
)
from market.services._classes._sessions import get_class
from market.services._points._hooks import on_attendance
from market.states import SignupStatus


async def signups_of(
    db: AsyncSession, class_id: int, *, viewer: User | None, status: SignupStatus | None
) -> tuple[ClassSession, bool, list[tuple[Signup, int | None]]]:
    """A session's sign-ups in arrival order with waitlist positions, and whether the viewer sees them unmasked.

    The organiser sees every sign-up (cancelled ones too when asked); everyone else sees live ones only.
    """
    session = await get_class(db, class_id)
    project = await db.get(Project, session.project_id)
    organiser = project is not None and is_organiser(viewer, project)
    stmt = select(Signup).where(Signup.session_id == session.id).order_by(Signup.id)
    if status is not None:
        if status == SignupStatus.CANCELLED and not organiser:
            return session, True, []
        stmt = stmt.where(Signup.status == status)
    elif not organiser:
        stmt = stmt.where(Signup.status.in_(LIVE))
    rows: list[tuple[Signup, int | None]] = []
    position = 0
    for signup in (await db.scalars(stmt)).all():
        if signup.status == SignupStatus.WAITLISTED:
            position += 1
            rows.append((signup, position))
        else:
            rows.append((signup, None))
    return session, not organiser, rows


async def record_numbers_shown(
    db: AsyncSession, class_id: int, *, viewer: User, numbers: int, via: str, now: datetime
) -> None:
    """Audit that the organiser was shown the session's residents' full mobile numbers (the roster, the API list)."""
    data = {"numbers": numbers, "via": via}
    await record_read(
        db, at=now, actor=viewer, entity="class_session", entity_id=class_id, action="numbers_shown", data=data
    )


async def set_attendance(db: AsyncSession, class_id: int, data: AttendanceSet, *, actor: User, now: datetime) -> Signup:
    """The organiser records whether a confirmed resident came, once the class has started."""
    found = await get_class(db, class_id)
    project = await db.get(Project, found.project_id)
    if project is None:
        raise NotFound(NO_CLASS)
    require_organiser(actor, project)
    session = await lock_session(db, class_id)
    if not has_started(session, now):
        raise StateConflict("error.attendance_taken_once_class")
    stmt = (
        select(Signup)
        .where(Signup.id == data.signup_id, Signup.session_id == session.id)
        .execution_options(populate_existing=True)
    )
    signup = (await db.scalars(stmt)).one_or_none()
    if signup is None:
        raise NotFound(NO_SIGNUP)
    if signup.status != SignupStatus.CONFIRMED:
        raise StateConflict("error.attendance_recorded_confirmed_places")
    before = signup.attended
    signup.attended = data.attended
    session.attended_count += int(data.attended is True) - int(before is True)
    await record(
        db,
        at=now,
        actor=actor,
        entity="signup",
        entity_id=signup.id,
        action="attendance",
        before=signup.status,
        after=signup.status,
        data={"class": session.id, "attended": data.attended, "was": before},
    )
    await on_attendance(db, signup, session, actor=actor, now=now)
    return signup
