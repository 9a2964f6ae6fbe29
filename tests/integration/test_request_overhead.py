"""What a request costs besides its statements: no read hands work to a thread pool and waits for it to come back.

On a busy worker such a hop waits for the GIL behind the requests the event loop is serving; the profile of the
browse read found one per request (docs/PERFORMANCE.md, "Per-request overhead").
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from litestar import Litestar

from market.app import create_app
from market.kernel.clock import ManualClock
from market.settings import Settings
from tests.concurrency import get_scope
from tests.factories import Api, posted_task


@pytest.fixture
def executor_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every function any event loop is asked to run in a thread pool during the test, by name."""
    handed: list[str] = []
    original = asyncio.BaseEventLoop.run_in_executor

    def counted(
        loop: asyncio.BaseEventLoop, executor: Any, func: Callable[..., Any], *args: Any
    ) -> asyncio.Future[Any]:
        handed.append(getattr(func, "__qualname__", repr(func)))
        return original(loop, executor, func, *args)

    monkeypatch.setattr(asyncio.BaseEventLoop, "run_in_executor", counted)
    return handed


async def _get(app: Litestar, path: str) -> int:
    """One anonymous GET handed to the app on this test's own event loop, as a server's worker hands it."""
    scope = get_scope(path)
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)  # type: ignore[arg-type]
    return statuses[0]


@pytest.mark.parametrize("url", ["/api/v1/tasks", "/tasks", "/"])
async def test_an_anonymous_read_runs_nothing_in_a_thread_pool(
    api: Api, settings: Settings, clock: ManualClock, executor_calls: list[str], url: str
) -> None:
    await posted_task(api)
    app = create_app(settings, clock)
    async with app.lifespan():
        assert await _get(app, url) == 200
        executor_calls.clear()
        assert await _get(app, url) == 200
    # The sign-in throttle's check was a plain function given to Litestar's rate-limit middleware, which ran it in
    # a thread for every request; the throttle now lives in the sign-in handlers alone (market/throttle.py).
    assert executor_calls == []
