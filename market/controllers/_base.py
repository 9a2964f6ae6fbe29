"""The viewer's provider, which the app registers for every handler (the aliases and bounds live in `market.params`)."""

from __future__ import annotations

from typing import Any

from litestar import Request

from market.models import User
from market.security import load_user


async def provide_viewer(request: Request[Any, Any, Any]) -> User | None:
    """The signed-in user if any; public routes use this instead of requiring a session."""
    user = request.scope.get("user")
    if user is not None:
        return user
    data = request.session
    return await load_user(data, request) if data else None
