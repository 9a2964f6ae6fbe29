"""Role guards for the alliance endpoints.

`alliances` may not import `market`, so the signed-in user is read by duck typing: whatever the app's
session auth put in `scope["user"]`, with a `role` attribute.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

COMMITTEE = "committee"


def is_committee(user: Any) -> bool:
    """Whether a (possibly absent) user is on the park's joint party committee."""
    return user is not None and str(getattr(user, "role", "")) == COMMITTEE


def requires_committee(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Only the park's joint party committee (综合党委)."""
    user = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException("请先登录 (sign in first)")
    if not is_committee(user):
        raise PermissionDeniedException(f"此操作仅限 {COMMITTEE} 角色 (only the {COMMITTEE} role may do this)")
