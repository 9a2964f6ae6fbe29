"""Every error leaves as RFC 9457 problem details with the right status; nothing malformed becomes a 5xx."""

from __future__ import annotations

import errno
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException, ValidationException
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException, ProblemDetailsPlugin
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from market.i18n import CATALOGS, choose_accept_language, t
from market.kernel.errors import ApplicationError

log = logging.getLogger("jiebang")

PROBLEM_BASE = "/problems/"


class Problem(ProblemDetailsException):
    """Problem details whose `detail` is a message key, rendered when the answer is written, in the language the
    request's `Accept-Language` prefers among zh-CN and en (zh-CN when it names neither, as the inbox does); the key
    itself goes along as `code`, for clients that act on which error it is rather than on its wording."""

    def __init__(self, key: str, params: dict[str, object] | None = None, **kwargs: Any) -> None:
        super().__init__(detail=key, **kwargs)
        self.key = key
        self.params = params or {}

    def to_response(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        """The problem in the reader's language, with its key as `code`."""
        if self.key in CATALOGS["zh-CN"]:
            lang = choose_accept_language(request.headers.get("accept-language"))
            self.detail = t(self.key, lang, **self.params)
            self.extra = {"code": self.key, **(self.extra if isinstance(self.extra, dict) else {})}
        return super().to_response(request)


def _problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, object] | None = None,
) -> ProblemDetailsException:
    return Problem(
        detail,
        params,
        status_code=status,
        type_=PROBLEM_BASE + slug,
        title=title,
        extra=extra or None,
        headers=headers or None,
    )


def from_application_error(exc: ApplicationError) -> ProblemDetailsException:
    """A domain error: its own status, slug, message key and (for bad input) the field it is about."""
    extra = dict(exc.extra)
    if exc.field:
        extra["field"] = exc.field
    return _problem(exc.status_code, exc.type_slug, exc.title, exc.key, extra, exc.headers, exc.params)


def from_http_exception(exc: HTTPException) -> ProblemDetailsException:
    """Litestar's own errors (parsing, auth, routing) in the same shape."""
    if isinstance(exc, ValidationException):
        errors = exc.extra if isinstance(exc.extra, list) else []
        return _problem(400, "malformed-request", "Malformed request", exc.detail, {"errors": errors})
    if isinstance(exc, NotAuthorizedException):
        return _problem(401, "not-authenticated", "Not signed in", "error.sign_first")
    if isinstance(exc, PermissionDeniedException):
        return _problem(403, "forbidden", "Forbidden", exc.detail)
    if exc.status_code >= 500:
        log.error("server error %s: %r", exc.status_code, exc, exc_info=exc)
    slug = {
        404: "not-found",
        405: "method-not-allowed",
        409: "conflict",
        413: "too-large",
        422: "invalid-input",
        429: "too-many-requests",
    }.get(exc.status_code, "http-error")
    # Litestar's own headers stay: `Allow` on a 405 (RFC 9110), `Retry-After` on a 429.
    return _problem(exc.status_code, slug, exc.detail or "Error", exc.detail, None, exc.headers)


def from_integrity_error(exc: IntegrityError) -> ProblemDetailsException:
    """A constraint the database enforced: the request clashed with what is already there."""
    log.info("integrity error mapped to 409: %s", exc.orig)
    return _problem(409, "conflict", "Conflict", "error.conflicts_existing_data")


def from_data_error(exc: DataError) -> ProblemDetailsException:
    """A value the database could not store (out of range, bad encoding)."""
    log.info("data error mapped to 422: %s", exc.orig)
    return _problem(422, "invalid-input", "Invalid input", "error.value_out_range")


@dataclass(frozen=True)
class Fault:
    """A failure of the database or the disk under it, not of the request: what the client is told about it."""

    status: int
    slug: str
    title: str
    detail: str
    # Seconds a client should wait before trying again; every 503 has one.
    retry_after: int | None = None

    def problem(self) -> ProblemDetailsException:
        """The fault as problem details, with `Retry-After` when there is one."""
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after else None
        return _problem(self.status, self.slug, self.title, self.detail, None, headers)


BUSY = Fault(503, "busy", "Busy", "error.busy_try_again", retry_after=2)
UNAVAILABLE = Fault(
    503,
    "database-unavailable",
    "Database unavailable",
    "error.database_cannot_reached_just",
    retry_after=5,
)
READ_ONLY = Fault(
    503,
    "read-only",
    "Read-only",
    "error.database_read_only_now",
    retry_after=30,
)
STORAGE_FULL = Fault(
    507,
    "storage-full",
    "Insufficient storage",
    "error.storage_full_nothing_saved",
)

# SQLite's primary result codes (`sqlite3.Error.sqlite_errorname` carries the extended name, e.g.
# SQLITE_BUSY_SNAPSHOT, so prefixes match), and the English text of the same codes for a driver that gives only it.
_SQLITE_FAULTS = (
    ("SQLITE_BUSY", "database is locked", BUSY),
    ("SQLITE_LOCKED", "database table is locked", BUSY),
    ("SQLITE_CANTOPEN", "unable to open database file", UNAVAILABLE),
    ("SQLITE_FULL", "database or disk is full", STORAGE_FULL),
    ("SQLITE_READONLY", "attempt to write a readonly database", READ_ONLY),
)
# PostgreSQL SQLSTATEs (asyncpg's exceptions and SQLAlchemy's wrappers of them carry `sqlstate`).
_PG_FAULTS = {
    "53100": STORAGE_FULL,  # disk_full
    "25006": READ_ONLY,  # read_only_sql_transaction: a standby, or default_transaction_read_only
    "57P01": UNAVAILABLE,  # admin_shutdown: the server is stopping or restarting
    "57P02": UNAVAILABLE,  # crash_shutdown
    "57P03": UNAVAILABLE,  # cannot_connect_now: the server is starting up
    "53300": BUSY,  # too_many_connections
}
_OS_FAULTS = {errno.ENOSPC: STORAGE_FULL, errno.EDQUOT: STORAGE_FULL, errno.EROFS: READ_ONLY}


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, the driver's error SQLAlchemy wraps, and what they were raised from."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop(0)
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        orig = getattr(e, "orig", None)
        todo += [orig if isinstance(orig, BaseException) else None, e.__cause__]


def _fault_of_one(e: BaseException) -> Fault | None:
    if isinstance(e, DBAPIError) and e.connection_invalidated:
        # SQLAlchemy saw the connection die under the statement (a restart, a cut): the pool drops it.
        return UNAVAILABLE
    if isinstance(e, PoolTimeoutError):
        return BUSY  # every pooled connection stayed in use past the pool's timeout
    if isinstance(e, sqlite3.Error):
        name, message = getattr(e, "sqlite_errorname", "") or "", str(e)
        for prefix, text, fault in _SQLITE_FAULTS:
            if name.startswith(prefix) or text in message:
                return fault
        return None
    sqlstate = getattr(e, "sqlstate", None)
    if isinstance(sqlstate, str):
        # Class 08 is a connection exception (the server went away, or refused us).
        return UNAVAILABLE if sqlstate.startswith("08") else _PG_FAULTS.get(sqlstate)
    if isinstance(e, OSError):
        if e.errno in _OS_FAULTS:
            return _OS_FAULTS[e.errno]
        # Refused, reset, aborted, timed out: the one peer whose errors reach here is the database (market/sms.py,
        # the only other, never raises).
        if isinstance(e, ConnectionError | TimeoutError):
            return UNAVAILABLE
    return None


def fault_of(exc: BaseException) -> Fault | None:
    """Which fault of the database (unreachable, busy, read-only, full) or its disk an error is, if any."""
    for e in _causes(exc):
        fault = _fault_of_one(e)
        if fault is not None:
            return fault
    if any(_is_sql_error(e) for e in _causes(exc)):
        # SQLite's generic SQLITE_ERROR ("no such column", a syntax error) is a bug or a schema behind the code (a
        # deploy without its migration), not a passing fault: a 500 in the log, not a busy answer to retry.
        return None
    # Any other OperationalError is, by PEP 249, the database's trouble rather than the request's: taken as busy.
    return BUSY if isinstance(exc, OperationalError) else None


def _is_sql_error(e: BaseException) -> bool:
    return isinstance(e, sqlite3.Error) and getattr(e, "sqlite_errorname", None) == "SQLITE_ERROR"


def _log_fault(fault: Fault, exc: BaseException) -> None:
    # A fault is the environment's, not a bug: one line each, no traceback, however many requests meet it.
    log.warning("database fault %s (%s): %s: %s", fault.status, fault.slug, type(exc).__name__, exc)


def from_operational_error(exc: OperationalError) -> ProblemDetailsException:
    """A database fault (busy beyond our timeout, unreachable, read-only, full): its status, and when to retry.

    An OperationalError that is no fault (SQLite's "no such column": the schema is behind the code) is a 500."""
    fault = fault_of(exc)
    if fault is None:
        log.error("database error that is not a fault: %r", exc, exc_info=exc)
        return _problem(500, "internal", "Internal error", "error.internal_error")
    _log_fault(fault, exc)
    return fault.problem()


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Anything unexpected: logged in full, reported without internals; a database or disk fault says which."""
    if isinstance(exc, RecursionError):
        # The JSON decoder gives up on absurdly nested bodies; that is the client's malformed input.
        detail = "error.request_nested_too_deeply"
        return _problem(400, "malformed-request", "Malformed request", detail).to_response(request)
    # Raised past SQLAlchemy's OperationalError: the driver's own connect errors (asyncpg raises OSError and
    # PostgresError while connecting), a dead connection SQLAlchemy wraps as InterfaceError, a full disk.
    fault = fault_of(exc)
    if fault is not None:
        _log_fault(fault, exc)
        return fault.problem().to_response(request)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _problem(500, "internal", "Internal error", "error.internal_error").to_response(request)


def problem_details_plugin() -> ProblemDetailsPlugin:
    """The plugin with our mappings."""
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            enable_for_all_http_exceptions=True,
            exception_to_problem_detail_map={
                HTTPException: from_http_exception,
                ApplicationError: from_application_error,
                IntegrityError: from_integrity_error,
                DataError: from_data_error,
                OperationalError: from_operational_error,
            },
        )
    )
