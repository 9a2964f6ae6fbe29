"""What controllers and pages take: the one set of dependency and parameter aliases, with their bounds.

The database session, the clock, the signed-in user (or None) and the settings arrive by the names the app
provides them under (`db_session`, `clock`, `viewer`, `settings`); the path and query
parameters shared with `alliances` come from `market.kernel.params` and are re-exported here, so a controller or
page imports all of them from one module.
"""

from __future__ import annotations

from litestar.di import NamedDependency

from market.kernel.params import (
    MAX_BATCH,
    MAX_ID,
    MAX_LIMIT,
    MAX_OFFSET,
    MAX_SEARCH,
    BatchLimit,
    Db,
    Limit,
    Now,
    Offset,
    PathId,
    QueryId,
    SearchText,
)
from market.models import User
from market.settings import Settings

Viewer = NamedDependency[User | None]
Config = NamedDependency[Settings]

__all__ = [
    "MAX_BATCH",
    "MAX_ID",
    "MAX_LIMIT",
    "MAX_OFFSET",
    "MAX_SEARCH",
    "BatchLimit",
    "Config",
    "Db",
    "Limit",
    "Now",
    "Offset",
    "PathId",
    "QueryId",
    "SearchText",
    "Viewer",
]
