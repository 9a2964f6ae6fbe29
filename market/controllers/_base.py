"""What every controller shares: the viewer's provider (the aliases and bounds live in `market.params`)."""

from __future__ import annotations

from typing import Any

from litestar import Request

from market.models import User
from market.params import PathId
from market.security import load_user

# Pages still import PathId from here; `market.params` is its home.
__all__ = ["PathId", "provide_viewer"]


async def provide_viewer(request: Request[Any, Any, Any]) -> User | None:
    """The signed-in user if any; public routes use this instead of requiring a session."""
    user = request.scope.get("user")
    if user is not None:
        return user
    data = request.session
    return await load_user(data, request) if data else None
