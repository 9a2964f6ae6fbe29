"""Really concurrent requests: app instances served in the test's own event loop.

Litestar's AsyncTestClient runs each request to completion on its own portal thread before the next starts,
so `asyncio.gather` over it never overlaps anything. These helpers drive each app instance through
`httpx.ASGITransport` instead, which runs the app on the test's event loop, and count how many requests were
in flight at once so a test can prove its requests really overlapped. Each instance has its own engine and
pool on the test's database, as another worker process would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, cast

import httpx

from market.app import create_app
from tests.factories import Api, As


class InFlight:
    """ASGI wrapper that records the most HTTP requests it ever had in progress at once."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.now = 0
        self.peak = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await self.app(scope, receive, send)
        finally:
            self.now -= 1


def get_scope(path: str) -> dict[str, Any]:
    """The ASGI scope of an anonymous GET of `path` (its query after '?'), as a server's worker hands it to the app."""
    path, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }


@asynccontextmanager
async def worker(api: Api) -> AsyncIterator[tuple[Api, InFlight]]:
    """A separate app instance on the test's database, with an `Api` to drive it and its in-flight gauge."""
    app = create_app(api.settings, api.clock)
    gauge = InFlight(app)
    transport = httpx.ASGITransport(app=gauge)
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield Api(cast(Any, client), api.settings, api.clock), gauge


@asynccontextmanager
async def signed_in(api: Api, username: str, workers: int) -> AsyncIterator[tuple[list[As], list[InFlight]]]:
    """The user signed in once on each of `workers` app instances."""
    async with AsyncExitStack() as stack:
        sessions: list[As] = []
        gauges: list[InFlight] = []
        for _ in range(workers):
            w, gauge = await stack.enter_async_context(worker(api))
            sessions.append(await w.login(username))
            gauges.append(gauge)
        yield sessions, gauges
