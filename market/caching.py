"""HTTP caching of public reads: a weak ETag from the database's data version, 304 on a repeat, no-store otherwise.

No response body is kept anywhere: what is cached lives in the browser (or a proxy), and the server only
decides, with one small query, whether what the client holds is still current. So a change is visible on the
next read from every worker, and nothing here needs sharing between workers.

The data version is read in one statement on the request's own database session (the handler then reads in the
same transaction, so on SQLite the page comes from exactly the snapshot its tag names):
- the audit chain's head (length and last hash), which moves with every state change in the same transaction;
- the newest resident feedback, the one public write that is not an audit entry;
- whether time has made a transition due (docs/design.md, "Time"): if so nothing is tagged, and the request's
  catch-up stores it as usual; if not, that is recorded for this request so its catch-up is not asked twice;
- the newest class start that has passed (sign-up closes at the start by derivation alone) and today's date in
  Shanghai (the chair on duty, this month's capacity and this year's statistics follow the calendar).
The tag also covers the code itself (a new release renders differently) and what the body varies by: path and
query, the language cookie, the CSRF cookie a form on the page carries, `Accept-Language` and `Accept`.

Only anonymous GETs of public routes are tagged. A request with a session cookie is a person's own view and gets
`private, no-store`, as do writes, errors and a resident's secret links (`?token=`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send
from sqlalchemy import Select, bindparam, func, select

from market.flows import due_now
from market.kernel.clock import Clock, local
from market.models import AuditHead, ClassSession, Feedback

# A route handler's opt key: False keeps its answers out of every cache (health and readiness, for instance).
HTTP_CACHE = "http_cache"
# Where the middleware leaves the instant at which it found nothing due, so the request's catch-up needn't ask again.
NOTHING_DUE_AT = "jiebang_nothing_due_at"

PUBLIC = b"public, max-age=0, must-revalidate"
# A first visit is answered with a Set-Cookie (the CSRF token its forms carry): such an answer is the visitor's own.
PRIVATE_REVALIDATE = b"private, max-age=0, must-revalidate"
NO_STORE = b"private, no-store"

_LANG_COOKIE = "lang"
_ROOT = Path(__file__).resolve().parent.parent
_NOT_CACHED_PREFIXES = ("/static/", "/schema")


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A digest of the code, templates and catalogs as deployed, so that a new release never answers 304."""
    digest = hashlib.blake2b(digest_size=8)
    for folder in ("market", "alliances", "templates", "static"):
        for path in sorted((_ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix not in {".pyc"}:
                stat = path.stat()
                digest.update(f"{path.relative_to(_ROOT)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _data_version() -> Select[Any]:
    # Built once, `now` a parameter: building it afresh cost more CPU per request than running it.
    now: Any = bindparam("now", type_=ClassSession.__table__.c.starts_at.type)
    return data_version(now)


def data_version(now: datetime) -> Select[Any]:
    """The one statement a conditional read costs: what every public page is derived from, at `now`."""
    return select(
        select(AuditHead.length).order_by(AuditHead.id).limit(1).scalar_subquery().label("length"),
        select(AuditHead.last_hash).order_by(AuditHead.id).limit(1).scalar_subquery().label("last_hash"),
        select(func.max(Feedback.id)).scalar_subquery().label("feedback"),
        select(func.max(ClassSession.starts_at)).where(ClassSession.starts_at <= now).scalar_subquery().label("began"),
        due_now(now).label("due"),
    )


def matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2): any listed tag, or `*`, names the current representation."""
    opaque = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == opaque:
            return True
    return False


def _cookies(raw: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in raw.split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            found.setdefault(name, value)
    return found


def _is_personal(query_string: bytes) -> bool:
    # A URL that carries a secret (a resident's sign-up link) is that person's own page.
    return any(name == "token" for name, _ in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))


def _set(headers: MutableScopeHeaders, pairs: Iterable[tuple[str, bytes]]) -> None:
    for name, value in pairs:
        headers[name] = value.decode("latin-1")


class HttpCaching(ASGIMiddleware):
    """Tags anonymous public reads with the data version and answers a repeat with 304; everything else no-store."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, alchemy: SQLAlchemyAsyncConfig, clock: Clock, session_cookie: str) -> None:
        self.alchemy = alchemy
        self.clock = clock
        # The session cookie as configured (over HTTPS it has a `__Host-` prefix): its presence means "signed in".
        self.session_cookie = session_cookie

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Decide, before the handler runs, whether the client's copy is current."""
        path: str = scope["path"]
        if path.startswith(_NOT_CACHED_PREFIXES):
            await next_app(scope, receive, send)
            return
        handler = scope["route_handler"]
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        cookies = _cookies(headers.get("cookie", ""))
        if (
            scope.get("method") != "GET"
            or not handler.opt.get("exclude_from_auth")
            or handler.opt.get(HTTP_CACHE) is False
            # What does not read the database (the sign-in form, the language switch) has no data version to tag.
            or "db_session" not in handler.parsed_fn_signature.parameters
            or self.session_cookie in cookies
            or _is_personal(scope["query_string"])
        ):
            await next_app(scope, receive, _stamped(send, None, path))
            return

        now = self.clock.now()
        db = self.alchemy.provide_session(scope["litestar_app"].state, scope)
        version = (await db.execute(_data_version(), {"now": now})).one()
        if version.due:
            # The handler's catch-up stores what is due; the state it reads was not what this version names.
            await next_app(scope, receive, _stamped(send, None, path))
            return
        scope.setdefault("state", {})[NOTHING_DUE_AT] = now
        key = "\n".join(
            (
                code_fingerprint(),
                f"{version.length}:{version.last_hash}:{version.feedback}:{version.began}:{local(now).date()}",
                path,
                scope["query_string"].decode("latin-1"),
                cookies.get(_LANG_COOKIE, ""),
                cookies.get(csrf.cookie_name, "") if (csrf := scope["litestar_app"].csrf_config) else "",
                headers.get("accept-language", ""),
                headers.get("accept", ""),
            )
        )
        etag = f'W/"{hashlib.blake2b(key.encode(), digest_size=12).hexdigest()}"'
        if matches(headers.get("if-none-match", ""), etag):
            start: HTTPResponseStartEvent = {"type": "http.response.start", "status": 304, "headers": []}
            _set(MutableScopeHeaders(start), _validators(etag, PUBLIC, path))
            await send(start)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await next_app(scope, receive, _stamped(send, etag, path))


def _validators(etag: str, cache_control: bytes, path: str) -> list[tuple[str, bytes]]:
    vary = b"Cookie, Accept-Language" if path.startswith("/api/") else b"Cookie"
    return [("etag", etag.encode()), ("cache-control", cache_control), ("vary", vary)]


def _stamped(send: Send, etag: str | None, path: str) -> Send:
    """A send that labels the answer: tagged and revalidated if it is a tagged 200, else kept out of caches."""

    async def stamp(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableScopeHeaders.from_message(message)
            if etag is not None and message["status"] == 200:
                policy = PRIVATE_REVALIDATE if "set-cookie" in headers else PUBLIC
                _set(headers, _validators(etag, policy, path))
            elif "cache-control" not in headers:
                headers["cache-control"] = NO_STORE.decode()
        await send(message)

    return stamp


__all__ = ["HTTP_CACHE", "NOTHING_DUE_AT", "HttpCaching", "code_fingerprint", "data_version", "matches"]
