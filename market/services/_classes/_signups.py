"""A resident's sign-up (报名): a seat or a place on the waitlist, the private link that holds it, cancelling it
(by the resident or for them), erasing the number, and links sent again by text message.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from market import phones, privacy
from market.audit import SYSTEM, Actor, record
from market.kernel.errors import Forbidden, NotFound, StateConflict
from market.models import ClassSession, Project, Signup, User
from market.schemas._classes import SignupCreate
from market.services._classes._rules import (
    LIVE,
    NO_SIGNUP,
    RESIDENT,
    clean_name,
    fill_seats,
    has_started,
    hash_token,
    is_organiser,
    lock_session,
    masked_number,
    move_counts,
    new_token,
    signups_open,
    waitlist_position,
)
from market.states import SignupStatus
from market.transitions import move


@dataclass(frozen=True, slots=True)
class NewSignup:
    """A sign-up just made, with the token shown to the resident once."""

    signup: Signup
    token: str
    waitlist_position: int | None


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
        session = await lock_session(db, class_id)
        if not signups_open(session, now):
            raise StateConflict("error.class_started_sign_ups")
        if session.confirmed_count >= session.seats and session.waitlist_count >= session.seats * WAITLIST_PER_SEAT:
            raise StateConflict("error.waitlist_full")
    raise StateConflict("error.places_changing_try_again")


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
        raise StateConflict("error.mobile_number_already_signed", field="phone")
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
        raise StateConflict("error.sign_up_personal_data")
    if found.status in LIVE and not has_started(found.session, now):
        await _cancel(db, found, actor=RESIDENT, action="cancel", now=now)
    else:
        await lock_session(db, found.session_id)
    stmt = select(Signup).where(Signup.id == found.id).execution_options(populate_existing=True)
    signup = (await db.scalars(stmt)).one()
    if signup.erased_at is not None:  # a second click that waited on the lock
        raise StateConflict("error.sign_up_personal_data")
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
        raise Forbidden("error.only_class_organiser_acts")
    return signup


async def cancel_for_resident(db: AsyncSession, class_id: int, signup_id: int, *, actor: User, now: datetime) -> Signup:
    """The organiser cancels a resident's sign-up on their behalf (the resident asked, by phone or in person).

    Audited as `cancel_on_behalf` under the organiser's own account, so a cancellation nobody asked for is traceable.
    """
    found = await _organisers_signup(db, signup_id, class_id, actor)
    return await _cancel(db, found, actor=actor, action="cancel_on_behalf", now=now)


async def _cancel(db: AsyncSession, found: Signup, *, actor: Actor, action: str, now: datetime) -> Signup:
    session = await lock_session(db, found.session_id)
    stmt = select(Signup).where(Signup.id == found.id).execution_options(populate_existing=True)
    signup = (await db.scalars(stmt)).one()
    before = SignupStatus(signup.status)
    if before == SignupStatus.CANCELLED:
        raise StateConflict("error.sign_up_already_cancelled")
    if has_started(session, now):
        raise StateConflict("error.class_started_sign_up")
    signup.cancelled_at = now
    move_counts(session, before, SignupStatus.CANCELLED)
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
    await fill_seats(db, session, project, now=now, actor=SYSTEM)
    return signup


async def _new_link(db: AsyncSession, signup: Signup, *, actor: Actor, action: str, now: datetime) -> str:
    """A fresh secret for a live sign-up of a class not yet started; the old link stops working at once."""
    if signup.status not in LIVE:
        raise StateConflict("error.sign_up_already_cancelled")
    if has_started(signup.session, now):
        raise StateConflict("error.class_started")
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
    await lock_session(db, found.session_id)
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
