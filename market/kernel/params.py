"""The HTTP parameters both domains share: the one set of path and query aliases, with their bounds.

Every list is paged with `Limit` and `Offset`; logs and calendars that are read in larger batches use
`BatchLimit`. Ids are bounded so that no malformed URL reaches the database as an out-of-range integer, and offsets
so that a page number can never ask the database to skip past what an integer column could hold. `market.params`
adds what only the market knows (the viewer); `alliances` imports these directly.
"""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency
from litestar.params import Parameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from market.kernel.clock import Clock
from market.kernel.text import LINE

MAX_ID = 2**53
"""The largest id a path or query accepts (JSON's safe integer range)."""
MAX_LIMIT = 100
"""The most items one page of a list returns."""
MAX_BATCH = 500
"""The most entries one read of a log or calendar returns."""
MAX_OFFSET = 10**6
"""The furthest a page may start into a list."""
MAX_SEARCH = 100
"""The longest search text a list accepts."""

Db = NamedDependency[AsyncSession]
Now = NamedDependency[Clock]

PathId = Annotated[int, Parameter(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]
BatchLimit = Annotated[int, QueryParameter(ge=1, le=MAX_BATCH)]
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET)]
# No control characters: PostgreSQL refuses NUL in text, and none belong in a search.
SearchText = Annotated[str | None, QueryParameter(max_length=MAX_SEARCH, pattern=LINE)]
