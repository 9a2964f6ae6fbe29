"""Night classes (金融夜校): sessions of finance-education projects, residents' sign-ups, the waitlist, attendance.

Every change to a session's sign-ups locks the session row first and moves `confirmed_count` / `waitlist_count`
in the same transaction as the rows, so the counters always equal the row counts and confirmed never exceeds
seats, however many requests race (and on however many workers).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from msgspec import UNSET
from sqlalchemy import Select, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from alliances.models import Community, ServiceCategory
from market import notify, phones, privacy
from market.audit import SYSTEM, Actor, SystemActor, record, record_read
from market.kernel.clock import SHANGHAI, as_utc, local
from market.kernel.db import lock
from market.kernel.errors import Forbidden, InvalidInput, NotFound, StateConflict
from market.models import ClassSession, Project, Role, Signup, User
from market.schemas._classes import AttendanceSet, ClassCreate, ClassUpdate, SignupCreate
from market.services._tasks import lock_task
from market.states import ProjectStatus, SignupStatus
from market.transitions import move

MIN_SEATS = 1
MAX_SEATS = 1000
MAX_NAME = 50
NO_CLASS = "课程不存在 (no such class)"
# A wrong token answers exactly like a missing sign-up, so ids cannot be probed for which exist.
NO_SIGNUP = "报名记录不存在 (no such sign-up)"
LIVE = (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED)
# Residents have no accounts; the audit log names what they do as theirs, not the system's.
RESIDENT = SystemActor(username="resident")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


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
            f"座位数须在 {MIN_SEATS} 到 {MAX_SEATS} 之间 (seats must be between {MIN_SEATS} and {MAX_SEATS})",
            field="seats",
        )


def clean_name(raw: str) -> str:
    """A resident's name: 1..50 characters after trimming, no control characters (422 with field "name")."""
    name = raw.strip()
    if not name or len(name) > MAX_NAME or _CONTROL.search(name):
        raise InvalidInput(
            f"请填写姓名，1至{MAX_NAME}个字，不能包含换行等特殊字符 "
            f"(enter a name of 1 to {MAX_NAME} characters, without line breaks or other special characters)",
            field="name",
        )
    return name


def _check_future(starts_at: datetime, now: datetime) -> datetime:
    when = as_utc(starts_at)
    if when <= now:
        raise InvalidInput("开课时间须晚于现在 (the class must start in the future)", field="starts_at")
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


def _require_organiser(user: User, project: Project) -> None:
    if not is_organiser(user, project):
        raise Forbidden("仅项目承办组织可以管理夜校课程 (only the project's organisation runs its classes)")


def _require_running(project: Project) -> None:
    if project.category != ServiceCategory.FINANCE_EDUCATION:
        raise StateConflict("只有金融教育类项目可以开设夜校课程 (only finance-education projects hold night classes)")
    if project.status != ProjectStatus.IN_PROGRESS:
        raise StateConflict("项目不在实施中，不能安排课程 (the project is not in progress)")


async def _lock_project(db: AsyncSession, project_id: int, now: datetime) -> Project:
    """The project, with its task locked so project transitions cannot interleave with this change."""
    found = await db.get(Project, project_id)
    if found is None:
        raise NotFound("项目不存在 (no such project)")
    await lock_task(db, found.task_id, now)
    stmt = select(Project).where(Project.id == project_id).execution_options(populate_existing=True)
    return (await db.scalars(stmt)).one()


async def _lock_session(db: AsyncSession, class_id: int) -> ClassSession:
    session = await lock(db, ClassSession, class_id)
    if session is None:
        raise NotFound(NO_CLASS)
    return session


async def _community(db: AsyncSession, community_id: int) -> Community:
    community = await db.get(Community, community_id)
    if community is None:
        raise InvalidInput("社区不存在 (unknown community)", field="community_id")
    return community


# Sessions ---------------------------------------------------------------------------------------------------------


async def create_class(
    db: AsyncSession, project_id: int, data: ClassCreate, *, actor: User, now: datetime
) -> ClassSession:
    """The organiser schedules a session of an in-progress finance-education project."""
    project = await _lock_project(db, project_id, now)
    _require_organiser(actor, project)
    _require_running(project)
    check_seats(data.seats)
    starts_at = _check_future(data.starts_at, now)
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
    project = await _lock_project(db, found.project_id, now)
    session = await _lock_session(db, class_id)
    _require_organiser(actor, project)
    _require_running(project)
    if has_started(session, now):
        raise StateConflict("课程已开始，不能修改 (the class has started and can no longer be changed)")
    changes: dict[str, dict[str, object]] = {}
    if data.seats is not UNSET:
        check_seats(data.seats)
        if data.seats < session.confirmed_count:
            raise StateConflict(
                f"已确认 {session.confirmed_count} 人，座位数不能少于此 "
                f"(seats cannot drop below the {session.confirmed_count} confirmed places)",
                field="seats",
            )
    if data.starts_at is not UNSET:
        starts_at = _check_future(data.starts_at, now)
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
    await _fill_seats(db, session, project, now=now, actor=actor)
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
        raise InvalidInput("结束日期不能早于开始日期 (the 'to' date is before the 'from' date)", field="to")
    return _filtered(f, now)


async def _page_of(db: AsyncSession, stmt: Select[ClassSession], f: ClassFilter) -> list[ClassSession]:
    rows = await db.scalars(stmt.order_by(ClassSession.starts_at, ClassSession.id).limit(f.limit).offset(f.offset))
    return list(rows.all())


async def get_project(db: AsyncSession, project_id: int) -> Project:
    """A project whose classes are asked for (404 if there is none)."""
    project = await db.get(Project, project_id)
    if project is None:
        raise NotFound("项目不存在 (no such project)")
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


# Sign-ups ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewSignup:
    """A sign-up just made, with the token shown to the resident once."""

    signup: Signup
    token: str
    waitlist_position: int | None


async def waitlist_position(db: AsyncSession, signup: Signup) -> int | None:
    """1 for the head of the waitlist, and so on in arrival order; None unless waitlisted."""
    if signup.status != SignupStatus.WAITLISTED:
        return None
    stmt = select(func.count()).where(
        Signup.session_id == signup.session_id, Signup.status == SignupStatus.WAITLISTED, Signup.id <= signup.id
    )
    return int(await db.scalar(stmt) or 0)


# At most this many people wait per seat (a 30-seat class keeps up to 300 on its waitlist).
WAITLIST_PER_SEAT = 10


async def _take_place(db: AsyncSession, class_id: int, now: datetime) -> tuple[SignupStatus, int]:
    """Count one more sign-up on the session: a seat while one is free, else a place on the waitlist while it has
    room. Answers the status and the waitlist's new length (the newcomer's position when waitlisted).

    Each try is one conditional UPDATE, so the seat check and the count happen together on the database: the row
    is locked from that statement to the commit, never for a read before it, and confirmed cannot pass seats.
    """
    counters = (
        (SignupStatus.CONFIRMED, ClassSession.confirmed_count, ClassSession.confirmed_count < ClassSession.seats),
        (
            SignupStatus.WAITLISTED,
            ClassSession.waitlist_count,
            # Never waitlisted while a seat is free; and a waitlist far longer than the class can never clear.
            and_(
                ClassSession.confirmed_count >= ClassSession.seats,
                ClassSession.waitlist_count < ClassSession.seats * WAITLIST_PER_SEAT,
            ),
        ),
    )
    # A cancellation can free a seat between the two tries; a third pass then sees the locked row's final say.
    for _ in range(3):
        for status, counter, room in counters:
            taken = await db.execute(
                update(ClassSession)
                .where(ClassSession.id == class_id, ClassSession.starts_at > now, room)
                .values({counter: counter + 1})
                .returning(ClassSession.waitlist_count)
            )
            waiting = taken.scalar_one_or_none()
            if waiting is not None:
                return status, waiting
        # Neither: say why, from the locked row.
        session = await _lock_session(db, class_id)
        if not signups_open(session, now):
            raise StateConflict("课程已开始，报名已截止 (the class has started; sign-ups are closed)")
        if session.confirmed_count >= session.seats and session.waitlist_count >= session.seats * WAITLIST_PER_SEAT:
            raise StateConflict("候补名额已满 (the waitlist is full)")
    raise StateConflict("报名人数变动中，请重试 (places are changing; try again)")


async def sign_up(db: AsyncSession, class_id: int, data: SignupCreate, *, now: datetime) -> NewSignup:
    """A resident signs up (no account): confirmed while seats remain, then waitlisted in arrival order.

    The place is taken first (`_take_place`); the one-per-number check follows under the row lock that took it,
    and a refusal rolls the count back with the transaction.
    """
    name = clean_name(data.name)
    phone = phones.validate(data.phone)
    keys = privacy.of(db).keys
    token, token_hash = new_token()
    signup = Signup(
        session_id=class_id,
        name=name,
        phone_sealed=keys.seal(phone),
        phone_hash=keys.digest(phone),
        token_hash=token_hash,
        signed_up_at=now,
    )
    signup.status, waiting = await _take_place(db, class_id, now)
    # By the number's keyed hash, under every configured key (a rotation may not have re-hashed every row yet).
    taken = await db.scalar(
        select(Signup.id).where(
            Signup.session_id == class_id, Signup.phone_hash.in_(keys.digests(phone)), Signup.status.in_(LIVE)
        )
    )
    if taken is not None:
        raise StateConflict(
            "该手机号已报名本次课程 (this mobile number is already signed up for this class)", field="phone"
        )
    db.add(signup)
    await db.flush()
    await record(
        db,
        at=now,
        actor=RESIDENT,
        entity="signup",
        entity_id=signup.id,
        action="sign_up",
        after=signup.status,
        data={"class": class_id, "phone": phones.mask(phone)},
    )
    # The newcomer is the waitlist's last: the row lock orders sign-ups to one class, and the count is the rows'.
    return NewSignup(signup, token, waiting if signup.status == SignupStatus.WAITLISTED else None)


async def _with_token(db: AsyncSession, signup_id: int, token: str) -> Signup:
    """The sign-up if the token is its own; otherwise NotFound, exactly as for a missing id."""
    signup = await db.get(Signup, signup_id)
    # Compare hashes in constant time; hash even when there is no row so both answers take the same work.
    given = hash_token(token)
    if signup is None or not hmac.compare_digest(given, signup.token_hash):
        raise NotFound(NO_SIGNUP)
    return signup


def number_of(db: AsyncSession, signup: Signup) -> str | None:
    """The resident's number in clear, for its holder and the organiser (None once erased)."""
    return privacy.of(db).keys.open(signup.phone_sealed) if signup.phone_sealed else None


def masked_number(db: AsyncSession, signup: Signup) -> str:
    """The number as everyone else sees it (138****0000); empty once erased."""
    number = number_of(db, signup)
    return phones.mask(number) if number else ""


async def view_signup(db: AsyncSession, signup_id: int, token: str) -> tuple[Signup, int | None]:
    """The holder's own sign-up and waitlist position."""
    signup = await _with_token(db, signup_id, token)
    return signup, await waitlist_position(db, signup)


async def cancel(db: AsyncSession, signup_id: int, token: str, *, now: datetime) -> Signup:
    """The holder cancels; a confirmed place goes to the head of the waitlist in the same transaction."""
    found = await _with_token(db, signup_id, token)
    return await _cancel(db, found, actor=RESIDENT, action="cancel", now=now)


async def erase(db: AsyncSession, signup_id: int, token: str, *, now: datetime) -> Signup:
    """The holder deletes their sign-up: cancelled first if still live and the class is to come (the place passes
    on), then their name and number erased at once. A place at a class already held keeps its status and
    attendance, so the class's counts stay right. Audited without the number."""
    found = await _with_token(db, signup_id, token)
    if found.erased_at is not None:
        raise StateConflict("该报名的个人信息已删除 (this sign-up's personal data is already erased)")
    if found.status in LIVE and not has_started(found.session, now):
        await _cancel(db, found, actor=RESIDENT, action="cancel", now=now)
    else:
        await _lock_session(db, found.session_id)
    stmt = select(Signup).where(Signup.id == found.id).execution_options(populate_existing=True)
    signup = (await db.scalars(stmt)).one()
    if signup.erased_at is not None:  # a second click that waited on the lock
        raise StateConflict("该报名的个人信息已删除 (this sign-up's personal data is already erased)")
    signup.name, signup.phone_sealed, signup.phone_hash, signup.erased_at = "", None, None, now
    await record(
        db,
        at=now,
        actor=RESIDENT,
        entity="signup",
        entity_id=signup.id,
        action="erase",
        before=signup.status,
        after=signup.status,
        data={"class": signup.session_id},
    )
    return signup


async def _organisers_signup(db: AsyncSession, signup_id: int, class_id: int, actor: User) -> Signup:
    """A sign-up to a class of the actor's organisation (404 for a sign-up to another class; 403 for others')."""
    signup = await db.get(Signup, signup_id)
    if signup is None or signup.session_id != class_id:
        raise NotFound(NO_SIGNUP)
    project = await db.get(Project, signup.session.project_id)
    if project is None or not is_organiser(actor, project):
        raise Forbidden("仅项目承办组织可以为居民办理报名事项 (only the class's organiser acts for a resident)")
    return signup


async def cancel_for_resident(db: AsyncSession, class_id: int, signup_id: int, *, actor: User, now: datetime) -> Signup:
    """The organiser cancels a resident's sign-up on their behalf (the resident asked, by phone or in person).

    Audited as `cancel_on_behalf` under the organiser's own account, so a cancellation nobody asked for is traceable.
    """
    found = await _organisers_signup(db, signup_id, class_id, actor)
    return await _cancel(db, found, actor=actor, action="cancel_on_behalf", now=now)


async def _cancel(db: AsyncSession, found: Signup, *, actor: Actor, action: str, now: datetime) -> Signup:
    session = await _lock_session(db, found.session_id)
    stmt = select(Signup).where(Signup.id == found.id).execution_options(populate_existing=True)
    signup = (await db.scalars(stmt)).one()
    before = SignupStatus(signup.status)
    if before == SignupStatus.CANCELLED:
        raise StateConflict("该报名已取消 (this sign-up is already cancelled)")
    if has_started(session, now):
        raise StateConflict("课程已开始，不能取消报名 (the class has started; the sign-up can no longer be cancelled)")
    signup.cancelled_at = now
    _count(session, before, SignupStatus.CANCELLED)
    await move(
        db,
        signup,
        SignupStatus.CANCELLED,
        entity="signup",
        action=action,
        actor=actor,
        now=now,
        data={"class": session.id},
    )
    project = await db.get(Project, session.project_id)
    assert project is not None  # noqa: S101 - the foreign key guarantees it
    await _fill_seats(db, session, project, now=now, actor=SYSTEM)
    return signup


async def _new_link(db: AsyncSession, signup: Signup, *, actor: Actor, action: str, now: datetime) -> str:
    """A fresh secret for a live sign-up of a class not yet started; the old link stops working at once."""
    if signup.status not in LIVE:
        raise StateConflict("该报名已取消 (this sign-up is already cancelled)")
    if has_started(signup.session, now):
        raise StateConflict("课程已开始，报名链接不再更新 (the class has started)")
    token, signup.token_hash = new_token()
    await record(
        db,
        at=now,
        actor=actor,
        entity="signup",
        entity_id=signup.id,
        action=action,
        before=signup.status,
        after=signup.status,
        data={"class": signup.session_id, "phone": masked_number(db, signup)},
    )
    return token


async def reissue_link(db: AsyncSession, class_id: int, signup_id: int, *, actor: User, now: datetime) -> str:
    """The organiser issues a resident who lost their link a new one, to read out or send to them (audited)."""
    found = await _organisers_signup(db, signup_id, class_id, actor)
    await _lock_session(db, found.session_id)
    return await _new_link(db, found, actor=actor, action="reissue_link", now=now)


# How many live sign-ups one text message carries links for (a resident rarely holds more).
MOST_LINKS_BY_SMS = 5


async def links_for_number(db: AsyncSession, phone: str, *, now: datetime) -> list[tuple[Signup, str]]:
    """Fresh links for a number's live sign-ups to classes not yet started, to be sent to that number only.

    Every request is audited (the number masked), found or not, so both answers do the same kind of work.
    """
    stmt = (
        select(Signup)
        .join(ClassSession, ClassSession.id == Signup.session_id)
        .where(
            Signup.phone_hash.in_(privacy.of(db).keys.digests(phone)),
            Signup.status.in_(LIVE),
            ClassSession.starts_at > now,
        )
        .order_by(ClassSession.starts_at, Signup.id)
        .limit(MOST_LINKS_BY_SMS)
    )
    found = list((await db.scalars(stmt)).unique().all())
    links = [(s, await _new_link(db, s, actor=RESIDENT, action="link_by_sms", now=now)) for s in found]
    await record(
        db,
        at=now,
        actor=RESIDENT,
        entity="signup_link_request",
        entity_id=0,
        action="request",
        data={"phone": phones.mask(phone)},
    )
    return links


def _count(session: ClassSession, before: SignupStatus | None, after: SignupStatus) -> None:
    """Move the session's counters with one sign-up's change (the session row is locked by the caller)."""
    for status, step in ((before, -1), (after, 1)):
        if status == SignupStatus.CONFIRMED:
            session.confirmed_count += step
        elif status == SignupStatus.WAITLISTED:
            session.waitlist_count += step


async def _fill_seats(
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
        _count(session, SignupStatus.WAITLISTED, SignupStatus.CONFIRMED)
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
    _require_organiser(actor, project)
    session = await _lock_session(db, class_id)
    if not has_started(session, now):
        raise StateConflict("课程尚未开始，不能登记出勤 (attendance is taken once the class has started)")
    stmt = (
        select(Signup)
        .where(Signup.id == data.signup_id, Signup.session_id == session.id)
        .execution_options(populate_existing=True)
    )
    signup = (await db.scalars(stmt)).one_or_none()
    if signup is None:
        raise NotFound(NO_SIGNUP)
    if signup.status != SignupStatus.CONFIRMED:
        raise StateConflict("只能为正式报名登记出勤 (attendance is recorded for confirmed places only)")
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
    return signup


def may_schedule(project: Project) -> bool:
    """Whether classes may be scheduled for the project now: a finance-education project in progress."""
    return project.category == ServiceCategory.FINANCE_EDUCATION and project.status == ProjectStatus.IN_PROGRESS
