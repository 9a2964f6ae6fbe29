"""Every error leaves as RFC 9457 problem details with the right status; nothing malformed becomes a 5xx."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException, ValidationException
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException, ProblemDetailsPlugin
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from market.errors import ApplicationError

log = logging.getLogger("jiebang")

PROBLEM_BASE = "/problems/"


def _problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> ProblemDetailsException:
    return ProblemDetailsException(
        detail=detail,
        status_code=status,
        type_=PROBLEM_BASE + slug,
        title=title,
        extra=extra or None,
        headers=headers or None,
    )


def from_application_error(exc: ApplicationError) -> ProblemDetailsException:
    """A domain error: its own status, slug and (for bad input) the field it is about."""
    extra = dict(exc.extra)
    if exc.field:
        extra["field"] = exc.field
    return _problem(exc.status_code, exc.type_slug, exc.title, exc.detail, extra, exc.headers)


def from_http_exception(exc: HTTPException) -> ProblemDetailsException:
    """Litestar's own errors (parsing, auth, routing) in the same shape."""
    if isinstance(exc, ValidationException):
        errors = exc.extra if isinstance(exc.extra, list) else []
        return _problem(400, "malformed-request", "Malformed request", exc.detail, {"errors": errors})
    if isinstance(exc, NotAuthorizedException):
        return _problem(401, "not-authenticated", "Not signed in", "请先登录 (sign in first)")
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
    title = {409: "Conflict", 422: "Invalid input"}.get(exc.status_code, exc.detail or "Error")
    # alliances (which may not import market.errors) raise these with {"field": ...} for bad input and conflicts.
    extra = exc.extra if isinstance(exc.extra, dict) else None
    # Litestar's own headers stay: `Allow` on a 405 (RFC 9110), `Retry-After` on a 429.
    return _problem(exc.status_code, slug, title, exc.detail, extra, exc.headers)


def from_integrity_error(exc: IntegrityError) -> ProblemDetailsException:
    """A constraint the database enforced: the request clashed with what is already there."""
    log.info("integrity error mapped to 409: %s", exc.orig)
    return _problem(409, "conflict", "Conflict", "与现有数据冲突 (conflicts with existing data)")


def from_data_error(exc: DataError) -> ProblemDetailsException:
    """A value the database could not store (out of range, bad encoding)."""
    log.info("data error mapped to 422: %s", exc.orig)
    return _problem(422, "invalid-input", "Invalid input", "数据超出允许范围 (a value is out of range)")


def from_operational_error(exc: OperationalError) -> ProblemDetailsException:
    """The database was busy beyond our timeout: ask the client to retry rather than report a fault."""
    log.warning("database busy: %s", exc.orig)
    return _problem(503, "busy", "Busy", "系统繁忙，请稍后重试 (busy, try again)", None)


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Anything unexpected: logged in full, reported without internals."""
    if isinstance(exc, RecursionError):
        # The JSON decoder gives up on absurdly nested bodies; that is the client's malformed input.
        detail = "请求内容嵌套过深 (request body nested too deeply)"
        return _problem(400, "malformed-request", "Malformed request", detail).to_response(request)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _problem(500, "internal", "Internal error", "服务器内部错误 (internal error)").to_response(request)


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
