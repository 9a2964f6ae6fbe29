"""Passwords, sessions and (from the kernel) role guards."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import msgspec
from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from advanced_alchemy.extensions.litestar.session import SESSION_ID_MAX_LENGTH, SQLAlchemyAsyncSessionBackend
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.security.session_auth import SessionAuth
from litestar.stores.base import Store
from litestar.types import Message, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from market.kernel.clock import as_utc
from market.kernel.guards import requires, requires_committee, requires_evaluator, requires_org, requires_secretary
from market.models import User, UserSession
from market.settings import Settings

# The role guards are the kernel's, shared with `alliances`; the app's routes import them from here as ever.
__all__ = [
    "DatabaseSessionBackend",
    "DatabaseSessionConfig",
    "begin_session",
    "cookie_name",
    "end_sessions",
    "hash_password",
    "load_user",
    "renew_session",
    "requires",
    "requires_committee",
    "requires_evaluator",
    "requires_org",
    "requires_secretary",
    "session_auth",
    "verify_password",
]

# argon2id with the library's defaults (RFC 9106 "low memory" profile). The test suite, which creates and
# signs in hundreds of accounts, asks for argon2-cffi's cheapest argon2id parameters instead.
_hasher = (
    PasswordHasher.from_parameters(profiles.CHEAPEST)
    if os.environ.get("JIEBANG_PASSWORD_HASHING") == "cheapest-for-tests"
    else PasswordHasher()
)
# Verifying against this keeps unknown-user logins as slow as wrong-password ones.
_DUMMY_HASH = _hasher.hash("not a real password")


def hash_password(password: str) -> str:
    """An argon2id hash."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches; always spends the same effort."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


class DatabaseSessionBackend(SQLAlchemyAsyncSessionBackend):
    """The database session backend, minus the writes that reading pages does not need.

    Litestar stores the scope's session after every response, so as shipped every anonymous request would
    insert an empty session row and every signed-in one would rewrite its own; and the stock `get` reads then
    updates in one deferred transaction, which SQLite refuses at once when another request wrote meanwhile.
    Here reading is read-only, a session is written only when its contents change, and its expiry is pushed
    forward (by a lone UPDATE, which waits for the lock rather than failing) at most once per quarter of its life.
    """

    async def get(self, /, session_id: str, store: Store) -> bytes | None:
        """The session's data if it exists and has not expired."""
        session_id = session_id[:SESSION_ID_MAX_LENGTH]
        async with self.alchemy.get_session() as db:
            row = (
                await db.execute(
                    select(UserSession.data, UserSession.expires_at).where(UserSession.session_id == session_id)
                )
            ).one_or_none()
            await db.rollback()
        if row is None:
            return None
        data, expires_at = row
        now = datetime.now(UTC)
        expires_at = as_utc(expires_at)
        if expires_at <= now:
            await self.delete(session_id, store)
            return None
        max_age = timedelta(seconds=self.config.max_age)
        if expires_at - now < max_age * 0.75:
            async with self.alchemy.get_session() as db:
                # A lone UPDATE: on SQLite it takes the write lock as its first statement, so it waits, never fails.
                await db.execute(
                    update(UserSession).where(UserSession.session_id == session_id).values(expires_at=now + max_age)
                )
                await db.commit()
        return bytes(data)

    async def load_from_connection(self, connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
        """Load the session and remember what it was and under which id, so an unchanged one is not stored again.

        Only an id this server issued and still holds is remembered: a cookie naming any other id starts afresh,
        and a session past its absolute lifetime (counted from when its id was issued) is ended however busy it was.
        """
        state = connection.scope.setdefault("state", {})
        data: dict[str, Any] = {}
        session_id = connection.cookies.get(self.config.key)
        if session_id and session_id != "null":
            store = self.config.get_store_from_app(connection.scope["app"])
            raw = await self.get(session_id, store=store)
            if raw is not None:
                data = self.deserialize_data(raw)
                issued = data.get(_ISSUED)
                lifetime = getattr(self.config, "absolute_max_age", None) or 0
                if lifetime and (not isinstance(issued, int | float) or time.time() - issued >= lifetime):
                    await self.delete(session_id, store)
                    data = {}
                else:
                    state[_LOADED_ID] = session_id
        state[_LOADED] = dict(data)
        return data

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> None:
        """Write the session only if the request changed it; under a new id when it was not one we issued or when
        who is signed in changed (sign-in, sign-out), so an id known before sign-in is worthless after it."""
        state = connection.scope.get("state", {})
        loaded = state.get(_LOADED, {})
        loaded_id = state.get(_LOADED_ID)
        if not isinstance(scope_session, dict):  # Empty: signed out, or nothing ever stored
            if connection.cookies.get(self.config.key):
                await super().store_in_message(scope_session, message, connection)
            return
        if scope_session == loaded and (loaded_id is not None or not scope_session) and not state.get(_ROTATE):
            return
        store = self.config.get_store_from_app(connection.scope["app"])
        headers = MutableScopeHeaders.from_message(message)
        session_id = loaded_id
        if session_id is None or state.get(_ROTATE) or scope_session.get("user_id") != loaded.get("user_id"):
            if session_id is not None:
                await self.delete(session_id, store)
            session_id = self.generate_session_id()
            scope_session[_ISSUED] = time.time()
            # A new session gets a new CSRF token too: a token seen before sign-in is not good after it.
            csrf_cookie = getattr(self.config, "csrf_cookie", None)
            if csrf_cookie:
                headers.add("Set-Cookie", _expired(csrf_cookie, self.config))
        cookie_params = dict(extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys()))
        await self.set(session_id=session_id, data=self.serialize_data(scope_session, connection.scope), store=store)
        headers.add("Set-Cookie", Cookie(value=session_id, key=self.config.key, **cookie_params).to_header(header=""))


def _expired(key: str, config: ServerSideSessionConfig) -> str:
    params = {"path": "/", "secure": config.secure, "samesite": config.samesite}
    return Cookie(key=key, value="", max_age=0, expires=0, **params).to_header(header="")  # type: ignore[arg-type]


_LOADED = "jiebang_session_loaded"
_LOADED_ID = "jiebang_session_loaded_id"
_ROTATE = "jiebang_session_rotate"
# When the session's id was issued (seconds since the epoch), for its absolute lifetime.
_ISSUED = "issued_at"


@dataclass
class DatabaseSessionConfig(ServerSideSessionConfig):
    """Server-side sessions stored in our database, so every worker sees the same ones."""

    alchemy: SQLAlchemyAsyncConfig | None = None
    # Seconds from sign-in after which the session ends however active it is (0: only the idle `max_age`).
    absolute_max_age: int = 0
    # The CSRF cookie, expired whenever a new session id is issued.
    csrf_cookie: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.alchemy is None:
            raise ValueError("DatabaseSessionConfig needs the SQLAlchemy config")
        self._backend_class = partial(  # type: ignore[assignment]
            DatabaseSessionBackend, alchemy_config=self.alchemy, model=UserSession
        )


async def end_sessions(db: AsyncSession, user_id: int, *, keep: str | None = None) -> int:
    """Delete every server-side session signed in as `user_id` except `keep` (the one making the request).

    A session row holds its data as the JSON the session middleware wrote, so the rows are read and matched here;
    this runs only when a password changes, never on a read path. Returns how many sessions were ended.
    """
    rows = (await db.execute(select(UserSession.session_id, UserSession.data))).all()
    ended = [sid for sid, data in rows if sid != keep and _session_user(data) == user_id]
    if ended:
        await db.execute(delete(UserSession).where(UserSession.session_id.in_(ended)))
    return len(ended)


def _session_user(data: bytes | memoryview | None) -> int | None:
    try:
        decoded = msgspec.json.decode(bytes(data or b""))
    except msgspec.DecodeError:
        return None
    user_id = decoded.get("user_id") if isinstance(decoded, dict) else None
    return user_id if isinstance(user_id, int) else None


async def load_user(session_data: dict[str, Any], connection: ASGIConnection[Any, Any, Any, Any]) -> User | None:
    """The signed-in user from the session, if the account is still active."""
    user_id = session_data.get("user_id")
    if not isinstance(user_id, int):
        return None
    alchemy: SQLAlchemyAsyncConfig = connection.app.state["alchemy"]
    async with alchemy.get_session() as db:
        user = (
            (await db.execute(select(User).where(User.id == user_id, User.is_active.is_(True))))
            .unique()
            .scalar_one_or_none()
        )
        if user is not None:
            db.expunge(user)
        return user


def begin_session(request: Request[Any, Any, Any], user_id: int) -> None:
    """Sign `user_id` in on a session with a new id (whatever id the request came with) and a new CSRF token."""
    request.clear_session()
    request.set_session({"user_id": user_id})
    request.scope.setdefault("state", {})[_ROTATE] = True


def renew_session(request: Request[Any, Any, Any]) -> None:
    """Keep whoever is signed in on this device, under a new session id and a new CSRF token.

    For a change of credentials (a new password): an id that leaked before the change is worthless after it.
    """
    request.scope.setdefault("state", {})[_ROTATE] = True


def cookie_name(name: str, settings: Settings) -> str:
    """Over HTTPS the cookie is `__Host-` prefixed: browsers then keep it Secure, on path / and to this host only."""
    return f"__Host-{name}" if settings.secure_cookies else name


def session_auth(settings: Settings, alchemy: SQLAlchemyAsyncConfig) -> SessionAuth[User, Any]:
    """Cookie sessions for pages and the JSON API alike; public routes opt out with `exclude_from_auth`."""
    backend = DatabaseSessionConfig(
        alchemy=alchemy,
        key=cookie_name("jiebang_session", settings),
        max_age=settings.session_max_age,
        absolute_max_age=settings.session_lifetime,
        csrf_cookie=cookie_name("jiebang_csrf", settings),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return SessionAuth[User, Any](
        retrieve_user_handler=load_user,
        session_backend_config=backend,
        exclude=["^/schema", "^/static"],
    )
