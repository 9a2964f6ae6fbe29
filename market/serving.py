"""Production serving: health and readiness probes, and a one-line JSON access log per request.

See docs/serving.md for how `jiebang serve` runs the app and why on which server.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from functools import lru_cache
from typing import Any

import msgspec
from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar import Litestar, Response, get
from litestar.datastructures import State
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy import text

from market.caching import HTTP_CACHE
from market.problems import fault_of

ACCESS_LOGGER = "jiebang.access"
# A probe that cannot reach the database in this long answers "not ready" rather than hang the orchestrator.
READINESS_TIMEOUT_SECONDS = 3.0
PROBLEM_JSON = "application/problem+json"
_PROBE: dict[str, Any] = {
    "exclude_from_auth": True,
    "include_in_schema": False,
    "opt": {HTTP_CACHE: False, "exclude_from_csrf": True},
}


@get("/healthz", sync_to_thread=False, **_PROBE)
def healthz() -> dict[str, Any]:
    """Liveness: the process is up and serving (touches nothing else, so a slow database never restarts it)."""
    return {"status": "ok", "pid": os.getpid()}


@lru_cache(maxsize=1)
def migration_heads() -> frozenset[str]:
    """The revisions the code's migrations end at (read from the migration scripts once per process)."""
    from alembic.script import ScriptDirectory

    from market.migrate import alembic_config

    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


async def _schema_revisions(alchemy: SQLAlchemyAsyncConfig) -> frozenset[str]:
    async with alchemy.get_engine().connect() as conn:
        rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
        return frozenset(str(r[0]) for r in rows)


@get("/readyz", **_PROBE)
async def readyz(state: State) -> Response[dict[str, Any]]:
    """Readiness: the database answers and its schema is at the code's migration head; else 503, and why."""
    heads = migration_heads()
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS):
            current = await _schema_revisions(state["alchemy"])
    except Exception as exc:  # any failure to reach the database means "not ready"
        return _not_ready("database unreachable", type(exc).__name__, heads, frozenset())
    if current != heads:
        return _not_ready("database schema is not at the migrations' head", "", heads, current)
    return Response({"status": "ready", "database": "ok", "revision": sorted(current)})


def _not_ready(detail: str, error: str, heads: frozenset[str], current: frozenset[str]) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": detail,
        "expected_revision": sorted(heads),
        "revision": sorted(current),
    }
    if error:
        body["error"] = error
    return Response(body, status_code=503, media_type=PROBLEM_JSON, headers={"retry-after": "5"})


PROBES = [healthz, readyz]


def survive_lost_connections(alchemy: SQLAlchemyAsyncConfig) -> None:
    """Let the request's session close, as its answer starts, survive a connection that died meanwhile.

    advanced-alchemy closes the session before the answer is sent, which rolls back what the request left open;
    writes were committed (or not) by `writing` before the answer was made. When PostgreSQL restarts between the
    handler's last statement and that rollback, the server has rolled back already, and failing here would break
    an answer that is complete and true: the fault is logged and the dead connection left for the pool to drop
    (SQLAlchemy has invalidated it). Any other error is raised as before.
    """
    close = alchemy.before_send_handler
    # Set by the config itself (for its own session key, unique per config), never one of its string shorthands.
    if not callable(close):
        raise TypeError(f"expected the config's session handler, got {close!r}")

    async def close_session(message: Message, scope: Scope) -> None:
        try:
            closing = close(message, scope)
            if closing is not None:
                await closing
        except Exception as exc:
            fault = fault_of(exc)
            if fault is None:
                raise
            logging.getLogger("jiebang").warning("session close met a database fault (%s): %r", fault.slug, exc)

    alchemy.before_send_handler = close_session


class AccessLog:
    """Wraps the whole ASGI app (unrouted 404s included): one JSON line per request once its answer is sent.

    The line carries the method, the path without its query (a resident's sign-up link puts a secret there), the
    status, the duration in milliseconds and the worker's pid. It is written through the `jiebang.access` logger,
    so a deployment may route it elsewhere; when that logger is not enabled for INFO nothing is built at all.
    """

    def __init__(self, app: ASGIApp, logger: logging.Logger) -> None:
        self.app = app
        self.logger = logger
        self.encode = msgspec.json.Encoder().encode

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request and log it when it is done, whatever happened."""
        if scope["type"] != "http" or not self.logger.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            line = {
                "ts": round(time.time(), 3),
                "method": scope.get("method", ""),
                "path": scope["path"],
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 2),
                "pid": os.getpid(),
            }
            self.logger.info(self.encode(line).decode())


def log_access(app: Litestar) -> Litestar:
    """Put the access log around everything the app answers, routed or not (as Litestar's own CORS wrapper sits)."""
    app.asgi_handler = AccessLog(app.asgi_handler, logging.getLogger(ACCESS_LOGGER))
    return app


def configure_access_log() -> None:
    """Send `jiebang.access` lines, bare, to standard output: what a server process calls once at start."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if any(getattr(h, "jiebang_access", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.jiebang_access = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    # The server's own logging set-up never duplicates or reformats these lines.
    logger.propagate = False
