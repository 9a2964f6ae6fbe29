"""The machinery behind the e2e fixtures: a live server in a thread, a loop for set-up code, a browser guard.

Nothing here knows about pytest; `conftest.py` wires it into fixtures (read its docstring first).
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar
from urllib.parse import urlsplit

import uvicorn
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Request, Response

from market.app import create_app
from market.kernel.clock import ManualClock
from market.settings import Settings

T = TypeVar("T")


class Portal:
    """An event loop in a thread of its own, for the async set-up code (factories, emptying the database).

    Playwright's sync API marks the test thread's loop as running between its calls, so `asyncio.run` cannot be
    used there while a browser is open; coroutines are handed to this loop instead and waited for.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="e2e-portal", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        """Run a coroutine on the portal's loop and return its result (its exception is raised here)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class LiveServer:
    """The real app (`create_app(settings, clock)`) served by uvicorn on 127.0.0.1 and a free port, in a thread."""

    def __init__(self, settings: Settings, clock: ManualClock) -> None:
        self.settings = settings
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        # The app's own access log off as well as uvicorn's: its lines, written from this thread, could land on a
        # stream pytest has already closed for another test and print a logging error into the suite's output.
        config = uvicorn.Config(
            create_app(replace(settings, access_log=False), clock),
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def kind(self) -> str:
        """'sqlite' or 'postgresql'."""
        return "sqlite" if self.settings.is_sqlite else "postgresql"

    def start(self) -> LiveServer:
        self.thread.start()
        for _ in range(500):
            if self.server.started:
                return self
            if not self.thread.is_alive():
                break
            threading.Event().wait(0.02)
        raise RuntimeError(f"the live server on {self.url} did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def same_origin(url: str, origin: str) -> bool:
    """Whether a request stays on the server: same scheme, host and port (data: and blob: URLs never leave)."""
    if url.startswith(("data:", "blob:", "about:")):
        return True
    a, b = urlsplit(url), urlsplit(origin)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


# Run in every document before its own content: each CSP violation becomes one console error naming what was refused.
REPORT_CSP_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (e) => {
  const what = e.blockedURI || 'inline';
  console.error(`CSP violation: ${e.effectiveDirective} refused ${what} (${e.sourceFile || '?'}:${e.lineNumber})`);
}, true);
"""


@dataclass
class Guard:
    """What a browser context did that no page of ours may do: reach for another origin, throw, log an error,
    break the content policy.

    A listener records every request for another origin (the browser is launched with a proxy that refuses them,
    so they fail at once instead of waiting on the closed network). `problems()` says what happened; the fixtures
    fail the test on any.
    """

    origin: str
    external: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        context.on("request", self._request)
        context.on("page", self.watch)
        # Whatever the content policy refuses (an inline style, a script, an image from elsewhere) is logged as a
        # console error, which fails the test like any other; Chromium's own "Refused to…" line may be terser.
        context.add_init_script(script=REPORT_CSP_VIOLATIONS)

    def watch(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught JavaScript error on {page.url}: {exc}"))
        page.on("response", self._response)

    def _request(self, request: Request) -> None:
        if not same_origin(request.url, self.origin):
            try:
                where = request.frame.url
            except Exception:  # a request without a frame (a worker's): say so rather than fail here
                where = "?"
            self.external.append(f"{request.resource_type} {request.url} (from {where})")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        # Chromium logs every non-2xx document as "Failed to load resource"; a page's own status is the test's
        # business (a refused form is a 422 on purpose). Sub-resources that fail are caught in _response.
        if message.text.startswith("Failed to load resource: the server responded with a status of"):
            return
        self.errors.append(f"console error on {message.location.get('url', '?')}: {message.text}")

    def _response(self, response: Response) -> None:
        request: Request = response.request
        if request.resource_type != "document" and response.status >= 400:
            self.errors.append(f"{request.resource_type} {request.url} answered {response.status}")

    def problems(self) -> list[str]:
        out = [f"request outside the server: {u}" for u in self.external]
        return out + self.errors

    def clear(self) -> None:
        self.external.clear()
        self.errors.clear()


# Which guard watches which browser context, so that check_page(page) finds it without being handed it.
GUARDS: dict[int, Guard] = {}


def guard_of(page: Page) -> Guard | None:
    """The guard of the page's context (None for a context the e2e fixtures did not make)."""
    return GUARDS.get(id(page.context))
