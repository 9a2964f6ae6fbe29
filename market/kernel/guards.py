"""Who is signed in, with which role: the guard primitives both domains' routes use.

The session auth puts the signed-in account in `scope["user"]` (or nothing); a guard asks for one of some roles
and answers 401 when nobody is signed in, 403 when the account's role is not among them. Whether this account may
touch this object (its own organisation's proposal, its panel's task) is the service's question, not a guard's.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from market.kernel.errors import Forbidden, NotAuthenticated

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


class Role(StrEnum):
    """What an account may do."""

    COMMITTEE = "committee"
    EVALUATOR = "evaluator"
    SECRETARY = "secretary"
    ORG = "org"


@runtime_checkable
class Account(Protocol):
    """A signed-in account, as the guards and the audit recorder see it.

    Runtime-checkable because Litestar checks an injected value (the `viewer`) against its annotation.
    """

    @property
    def id(self) -> int: ...

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> Role: ...


def signed_in(connection: ASGIConnection[Any, Any, Any, Any]) -> Account:
    """The signed-in account, or 401."""
    user: Account | None = connection.scope.get("user")
    if user is None:
        raise NotAuthenticated("error.sign_first")
    return user


def has_role(account: Account | None, *roles: Role) -> bool:
    """Whether a (possibly absent) account holds one of the roles."""
    return account is not None and account.role in roles


def requires(*roles: Role) -> Guard:
    """A route guard letting through only accounts of the given roles."""
    if not roles:
        raise ValueError("a guard needs at least one role")

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if not has_role(signed_in(connection), *roles):
            names = "/".join(role.value for role in roles)
            raise Forbidden("error.only_role_may", names=names)

    guard.__name__ = guard.__qualname__ = "requires_" + "_or_".join(role.value for role in roles)
    guard.__doc__ = f"Only accounts of the role(s) {', '.join(role.value for role in roles)}."
    return guard


requires_committee = requires(Role.COMMITTEE)
"""Only the park's joint party committee."""
requires_evaluator = requires(Role.EVALUATOR)
"""Only panel members (whether they sit on this panel is checked in the service)."""
requires_secretary = requires(Role.SECRETARY)
"""Only community secretaries."""
requires_org = requires(Role.ORG)
"""Only members of a social organisation."""
