"""What every controller shares: path-id limits, the viewer, the clock."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.params import Parameter, QueryParameter

from market.models import User
from market.security import load_user

# Path ids are bounded so that no malformed URL reaches the database as an out-of-range integer.
PathId = Annotated[int, Parameter(ge=1, le=2**53)]
Limit = Annotated[int, QueryParameter(ge=1, le=200)]
Offset = Annotated[int, QueryParameter(ge=0, le=10**9)]


async def provide_viewer(request: Request[Any, Any, Any]) -> User | None:
    """The signed-in user if any; public routes use this instead of requiring a session."""
    user = request.scope.get("user")
    if user is not None:
        return user
    data = request.session
    return await load_user(data, request) if data else None
