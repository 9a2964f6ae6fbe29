"""Passwords, sessions and role guards."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from advanced_alchemy.extensions.litestar.session import SQLAlchemyAsyncSessionBackend
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.security.session_auth import SessionAuth
from sqlalchemy import select

from market.errors import Forbidden, NotAuthenticated
from market.models import Role, User, UserSession
from market.settings import Settings

# argon2id with the library's defaults (RFC 9106 "low memory" profile).
_hasher = PasswordHasher()
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


@dataclass
class DatabaseSessionConfig(ServerSideSessionConfig):
    """Server-side sessions stored in our database, so every worker sees the same ones."""

    alchemy: SQLAlchemyAsyncConfig | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.alchemy is None:
            raise ValueError("DatabaseSessionConfig needs the SQLAlchemy config")
        self._backend_class = partial(  # type: ignore[assignment]
            SQLAlchemyAsyncSessionBackend, alchemy_config=self.alchemy, model=UserSession
        )


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


def session_auth(settings: Settings, alchemy: SQLAlchemyAsyncConfig) -> SessionAuth[User, Any]:
    """Cookie sessions for pages and the JSON API alike; public routes opt out with `exclude_from_auth`."""
    backend = DatabaseSessionConfig(
        alchemy=alchemy,
        key="jiebang_session",
        max_age=settings.session_max_age,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return SessionAuth[User, Any](
        retrieve_user_handler=load_user,
        session_backend_config=backend,
        exclude=["^/schema", "^/static"],
    )


def _require(role: Role, connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    user = connection.scope.get("user")
    if user is None:
        raise NotAuthenticated("请先登录 (sign in first)")
    if user.role != role:
        raise Forbidden(f"此操作仅限 {role.value} 角色 (only the {role.value} role may do this)")


def requires_committee(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Only the park's joint party committee."""
    _require(Role.COMMITTEE, connection)


def requires_evaluator(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Only panel members (whether they sit on this panel is checked in the service)."""
    _require(Role.EVALUATOR, connection)


def requires_secretary(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Only community secretaries."""
    _require(Role.SECRETARY, connection)


def requires_org(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Only members of a social organisation."""
    _require(Role.ORG, connection)
