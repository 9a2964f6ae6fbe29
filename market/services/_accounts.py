"""Accounts: creation by the committee, sign-in, the inbox."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from alliances.models import Community, Organization
from market.audit import SYSTEM, SystemActor, key_of, record
from market.kernel.db import writing
from market.kernel.errors import Forbidden, InvalidInput, NotFound, StateConflict
from market.models import Availability, Notification, Role, User
from market.passwords import check_password
from market.schemas._accounts import UserCreate
from market.security import end_sessions, hash_password, verify_password

# Sign-in attempts are audited before anyone is signed in.
SIGN_IN = SystemActor(username="sign-in")


def name_fingerprint(username: str, key: bytes) -> str:
    """A keyed fingerprint of a name that matches no account: repeated guesses correlate in the audit log, while
    what was typed (perhaps a password, in the wrong field) never enters a log nobody can edit."""
    return hmac.new(key, username.encode(), hashlib.sha256).hexdigest()[:16]


async def authenticate(db: AsyncSession, username: str, password: str, *, now: datetime) -> User | None:
    """The active user with these credentials, or None; the attempt is audited either way (never the password).

    Success and failure, known name or not, cost the same: one password hash, then one audit entry in a write
    transaction of its own, begun only after the hash so that no write lock is held while it is computed.
    """
    user = (await db.execute(select(User).where(User.username == username))).unique().scalar_one_or_none()
    ok = verify_password(user.password_hash if user else None, password)
    signed_in = user if ok and user is not None and user.is_active else None
    async with writing(db):
        if signed_in is not None:
            await record(db, at=now, actor=signed_in, entity="user", entity_id=signed_in.id, action="login")
        elif user is not None:
            why = "inactive" if ok else "password"
            await record(
                db, at=now, actor=SIGN_IN, entity="user", entity_id=user.id, action="login_failed", data={"why": why}
            )
        else:
            fingerprint = name_fingerprint(username, key_of(db))
            await record(
                db,
                at=now,
                actor=SIGN_IN,
                entity="login",
                entity_id=0,
                action="login_failed",
                data={"why": "unknown_name", "name_fingerprint": fingerprint},
            )
    return signed_in


async def create_user(db: AsyncSession, data: UserCreate, *, actor: User, now: datetime) -> User:
    """A new account; the organisation or community must fit the role."""
    if data.role in (Role.ORG,) and data.organization_id is None:
        raise InvalidInput("error.org_account_needs_organization", field="organization_id")
    if data.role is Role.SECRETARY and data.community_id is None:
        raise InvalidInput("error.secretary_needs_community_id", field="community_id")
    if data.role in (Role.COMMITTEE, Role.SECRETARY) and data.organization_id is not None:
        raise InvalidInput("error.role_does_not_belong", field="organization_id")
    if data.role is not Role.SECRETARY and data.community_id is not None:
        raise InvalidInput("error.only_secretaries_belong_community", field="community_id")
    if data.organization_id is not None and await db.get(Organization, data.organization_id) is None:
        raise InvalidInput("error.no_such_organisation", field="organization_id")
    if data.community_id is not None and await db.get(Community, data.community_id) is None:
        raise InvalidInput("error.no_such_community", field="community_id")
    check_password(data.password, data.username)
    if await db.scalar(select(func.count()).where(User.username == data.username)):
        raise StateConflict("error.username_taken", field="username")
    user = User(
        username=data.username,
        password_hash=hash_password(data.password),
        role=data.role,
        display_name=data.display_name or data.username,
        organization_id=data.organization_id,
        community_id=data.community_id,
    )
    db.add(user)
    await db.flush()
    await record(
        db,
        at=now,
        actor=actor,
        entity="user",
        entity_id=user.id,
        action="create",
        after=Availability.ACTIVE,
        data={"username": user.username, "role": user.role},
    )
    await db.refresh(user)
    return user


async def get_user(db: AsyncSession, user_id: int, *, for_update: bool = False) -> User:
    """One account (for the committee's pages), its row locked when it is about to change."""
    stmt = select(User).where(User.id == user_id)
    if for_update:
        # The users row alone: the joined organisation and community are outer joins PostgreSQL won't lock.
        stmt = stmt.with_for_update(of=User)
    user = (await db.execute(stmt)).unique().scalar_one_or_none()
    if user is None:
        raise NotFound("error.no_such_account")
    return user


async def change_password(
    db: AsyncSession, user_id: int, current: str, new: str, *, keep_session: str | None, now: datetime
) -> User:
    """The owner changes their own password: the current one must match and the new one pass the rules.

    Every other session of the account ends (`keep_session` is the one asking); the audit says it happened, with
    how many sessions ended, and never what either password was.
    """
    user = await get_user(db, user_id, for_update=True)
    if not verify_password(user.password_hash, current):
        raise InvalidInput("error.current_password_wrong", field="current_password")
    check_password(new, user.username, field="new_password")
    if new == current:
        raise InvalidInput("error.new_password_must_differ", field="new_password")
    was_temporary = user.must_change_password
    user.password_hash = hash_password(new)
    user.must_change_password = False
    ended = await end_sessions(db, user.id, keep=keep_session)
    await record(
        db,
        at=now,
        actor=user,
        entity="user",
        entity_id=user.id,
        action="change_password",
        data={"sessions_ended": ended, "replaced_temporary": was_temporary},
    )
    return user


async def reset_password(db: AsyncSession, user_id: int, temporary: str, *, actor: User, now: datetime) -> User:
    """The committee gives an account a temporary password: its sessions all end, and its owner must change it.

    Not its own: a committee member changes their own password as everyone does, proving they know the current one.
    """
    if user_id == actor.id:
        raise Forbidden("error.change_own_password_current")
    user = await get_user(db, user_id, for_update=True)
    check_password(temporary, user.username)
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    ended = await end_sessions(db, user.id)
    await record(
        db,
        at=now,
        actor=actor,
        entity="user",
        entity_id=user.id,
        action="reset_password",
        data={"username": user.username, "sessions_ended": ended},
    )
    return user


async def inbox(db: AsyncSession, user_id: int, *, limit: int = 50, offset: int = 0) -> tuple[int, list[Notification]]:
    """Unread count and the newest items (skipping `offset` of them, for paging)."""
    unread = await db.scalar(
        select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    items = await db.scalars(
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return int(unread or 0), list(items)


async def inbox_size(db: AsyncSession, user_id: int) -> int:
    """How many notifications the user has in all (for paging the inbox page)."""
    return int(await db.scalar(select(func.count()).where(Notification.user_id == user_id)) or 0)


async def mark_read(db: AsyncSession, user_id: int, notification_id: int, now: datetime) -> None:
    """Mark one of the user's own notifications read."""
    result = await db.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.user_id == user_id)
        .values(read_at=func.coalesce(Notification.read_at, now))
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound("error.no_such_notification")


async def ensure_account(
    db: AsyncSession,
    *,
    username: str,
    password: str,
    role: Role,
    display_name: str = "",
    organization_id: int | None = None,
    community_id: int | None = None,
    now: datetime | None = None,
) -> User:
    """An account by username, created if missing (the demo loader and first-run set-up use this).

    Unlike `create_user` it applies no password rule: it is for set-up the operator controls, not for people.
    """
    user = (await db.execute(select(User).where(User.username == username))).unique().scalar_one_or_none()
    if user is None:
        user = User(
            username=username,
            password_hash=hash_password(password),
            role=role,
            display_name=display_name or username,
            organization_id=organization_id,
            community_id=community_id,
        )
        db.add(user)
        await db.flush()
        await record(
            db,
            at=now or datetime.now(UTC),
            actor=SYSTEM,
            entity="user",
            entity_id=user.id,
            action="create",
            after=Availability.ACTIVE,
            data={"username": username, "role": role},
        )
    return user


async def list_users(
    db: AsyncSession, *, role: Role | None = None, limit: int = 50, offset: int = 0
) -> tuple[int, list[User]]:
    """Accounts by username (the committee's account list), optionally of one role, with how many there are."""
    conds = [User.role == role] if role is not None else []
    total = await db.scalar(select(func.count()).select_from(User).where(*conds))
    rows = await db.scalars(select(User).where(*conds).order_by(User.username).limit(limit).offset(offset))
    return int(total or 0), list(rows.unique().all())
