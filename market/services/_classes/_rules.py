"""What every change to a night class keeps: the limits, the sign-up tokens, the locks taken first, and the
seat counters moved with each sign-up (promoting the waitlist's head while seats are free).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from alliances.models import ServiceCategory
from market import notify, phones, privacy
from market.audit import Actor, SystemActor
from market.kernel.clock import as_utc, local
from market.kernel.db import lock
from market.kernel.errors import Forbidden, InvalidInput, NotFound, StateConflict
from market.kernel.text import CONTROL
from market.models import ClassSession, Project, Role, Signup, User
from market.services._tasks import lock_task
from market.states import ProjectStatus, SignupStatus
from market.transitions import move

MIN_SEATS = 1
MAX_SEATS = 1000
MAX_NAME = 50
NO_CLASS = "error.no_such_class"
# A wrong token answers exactly like a missing sign-up, so ids cannot be probed for which exist.
NO_SIGNUP = "error.no_such_sign_up"
LIVE = (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED)
# Residents have no accounts; the audit log names what they do as theirs, not the system's.
RESIDENT = SystemActor(username="resident")


def hash_token(token: str) -> str:
    """SHA-256 of a cancel token, as stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh secret cancel token and its hash."""
    token = secrets.token_urlsafe(24)
    return token, hash_token(token)


def check_seats(seats: int) -> None:
    """Seats are 1..1000 (422 with field "seats" otherwise)."""
    if not MIN_SEATS <= seats <= MAX_SEATS:
        raise InvalidInput(
            "error.seats_must_between",
            field="seats",
            min_seats=MIN_SEATS,
            max_seats=MAX_SEATS,
        )


def clean_name(raw: str) -> str:
    """A resident's name: 1..50 characters after trimming, no control characters (422 with field "name")."""
    name = raw.strip()
    if not name or len(name) > MAX_NAME or CONTROL.search(name):
        raise InvalidInput(
            "error.signup_name_invalid",
            field="name",
            max_name=MAX_NAME,
        )
    return name


def check_future(starts_at: datetime, now: datetime) -> datetime:
    when = as_utc(starts_at)
    if when <= now:
        raise InvalidInput("error.class_must_start_future", field="starts_at")
    return when


def has_started(session: ClassSession, now: datetime) -> bool:
    """Whether the class has begun (sign-ups close then; attendance opens)."""
    return now >= as_utc(session.starts_at)


def signups_open(session: ClassSession, now: datetime) -> bool:
    """Whether residents may sign up for the class at `now`: until it starts.

    The one rule behind the class page, the class cards on project and list pages, the API's `signups_open` and
    the sign-up itself, so that no page offers a seat or the waitlist that the sign-up would refuse.
    """
    return not has_started(session, now)


def is_organiser(user: User | None, project: Project) -> bool:
    """Whether the user is a member of the organisation running the project (the classes' organiser)."""
    return user is not None and user.role == Role.ORG and user.organization_id == project.organization_id


def require_organiser(user: User, project: Project) -> None:
    if not is_organiser(user, project):
        raise Forbidden("error.only_project_organisation_runs")


def require_running(project: Project) -> None:
    if project.category != ServiceCategory.FINANCE_EDUCATION:
        raise StateConflict("error.only_finance_education_projects")
    if project.status != ProjectStatus.IN_PROGRESS:
        raise StateConflict("error.project_not_in_progress_for_classes")


async def lock_project(db: AsyncSession, project_id: int, now: datetime) -> Project:
    """The project, with its task locked so project transitions cannot interleave with this change."""
    found = await db.get(Project, project_id)
    if found is None:
        raise NotFound("error.no_such_project")
    await lock_task(db, found.task_id, now)
    stmt = select(Project).where(Project.id == project_id).execution_options(populate_existing=True)
    return (await db.scalars(stmt)).one()


async def lock_session(db: AsyncSession, class_id: int) -> ClassSession:
    session = await lock(db, ClassSession, class_id)
    if session is None:
        raise NotFound(NO_CLASS)
    return session


async def waitlist_position(db: AsyncSession, signup: Signup) -> int | None:
    """1 for the head of the waitlist, and so on in arrival order; None unless waitlisted."""
    if signup.status != SignupStatus.WAITLISTED:
        return None
    stmt = select(func.count()).where(
        Signup.session_id == signup.session_id, Signup.status == SignupStatus.WAITLISTED, Signup.id <= signup.id
    )
    return int(await db.scalar(stmt) or 0)


def number_of(db: AsyncSession, signup: Signup) -> str | None:
    """The resident's number in clear, for its holder and the organiser (None once erased)."""
    return privacy.of(db).keys.open(signup.phone_sealed) if signup.phone_sealed else None


def masked_number(db: AsyncSession, signup: Signup) -> str:
    """The number as everyone else sees it (138****0000); empty once erased."""
    number = number_of(db, signup)
    return phones.mask(number) if number else ""


def move_counts(session: ClassSession, before: SignupStatus | None, after: SignupStatus) -> None:
    """Move the session's counters with one sign-up's change (the session row is locked by the caller)."""
    for status, step in ((before, -1), (after, 1)):
        if status == SignupStatus.CONFIRMED:
            session.confirmed_count += step
        elif status == SignupStatus.WAITLISTED:
            session.waitlist_count += step


async def fill_seats(
    db: AsyncSession, session: ClassSession, project: Project, *, now: datetime, actor: Actor
) -> list[Signup]:
    """Promote the head of the waitlist, in arrival order, while seats are free; tell the organiser."""
    free = session.seats - session.confirmed_count
    if free <= 0 or session.waitlist_count <= 0:
        return []
    stmt = (
        select(Signup)
        .where(Signup.session_id == session.id, Signup.status == SignupStatus.WAITLISTED)
        .order_by(Signup.id)
        .limit(free)
        .execution_options(populate_existing=True)
    )
    promoted = list((await db.scalars(stmt)).all())
    for signup in promoted:
        signup.promoted_at = now
        move_counts(session, SignupStatus.WAITLISTED, SignupStatus.CONFIRMED)
        await move(
            db,
            signup,
            SignupStatus.CONFIRMED,
            entity="signup",
            action="promote",
            actor=actor,
            now=now,
            data={"class": session.id},
        )
    if promoted:
        # Masked: inbox rows outlive the class; the organiser sees full numbers on the sign-up list itself.
        people = [f"{phones.mask_name(s.name)} ({masked_number(db, s)})" for s in promoted[:10]]
        about: notify.Params = {"topic": session.topic, "starts": f"{local(session.starts_at):%m-%d %H:%M}"}
        if len(promoted) > 10:
            key, about = "waitlist_promoted.many", {**about, "people": people, "count": len(promoted)}
        else:
            key, about = "waitlist_promoted", {**about, "people": people}
        await notify.to_orgs(db, [project.organization_id], key, about, link=f"/classes/{session.id}")
    return promoted
