"""HTML error pages for everything outside the JSON API; /api/ (and /schema) keep RFC 9457 problem details.

`HtmlErrorPages` wraps every exception handler the app has (the problem-details plugin's included), so it must be
listed after that plugin: for a page path it renders `templates/errors/<status>.html.j2`; a page that needs a
signed-in user (401) redirects to `/login?next=<the page>` instead. A fault of the database or its disk
(market.problems.fault_of) gets its own wording on the 503 page, or the 507 page, and the same `Retry-After`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.config.app import AppConfig
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.plugins import InitPlugin
from litestar.response import Redirect, Template
from sqlalchemy.exc import DataError, IntegrityError

from market.i18n import error_text
from market.kernel.errors import ApplicationError
from market.pages._base import lang_of
from market.problems import fault_of

log = logging.getLogger("jiebang")

# Statuses with a page of their own; any other 4xx uses 400's, any other 5xx 500's.
PAGES = frozenset({400, 403, 404, 409, 422, 500, 503, 507})
_MACHINE_PATHS = ("/api/", "/schema")


def wants_html(request: Request[Any, Any, Any]) -> bool:
    """Whether the path is a page (not the JSON API, the OpenAPI schema or a static file)."""
    path = request.url.path
    return not (path.startswith(_MACHINE_PATHS) or path == "/schema" or path.startswith("/static/"))


def status_of(exc: Exception) -> int:
    """The HTTP status an exception stands for, as the problem-details mapping decides it."""
    if isinstance(exc, ApplicationError):
        return exc.status_code
    fault = fault_of(exc)
    if fault is not None:
        return fault.status
    if isinstance(exc, ValidationException):
        return 400
    if isinstance(exc, HTTPException):
        return exc.status_code
    if isinstance(exc, IntegrityError):
        return 409
    if isinstance(exc, DataError):
        return 422
    return 500


def html_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The error as a page in the visitor's language; 401 sends them to sign in and come back."""
    status = status_of(exc)
    if status == 401 or isinstance(exc, NotAuthorizedException):
        url = request.url
        here = url.path + (f"?{url.query}" if url.query else "")
        return Redirect(f"/login?next={quote(here, safe='/')}", status_code=303)
    fault = fault_of(exc) if status >= 500 else None
    if fault is not None:
        # A fault of the environment, not a bug: one line, as the API's problem details log it.
        log.warning("page fault %s (%s) on %s %s: %r", status, fault.slug, request.method, request.url.path, exc)
    elif status >= 500:
        log.error("page error on %s %s", request.method, request.url.path, exc_info=exc)
    template = status if status in PAGES else (500 if status >= 500 else 400)
    detail = ""
    if isinstance(exc, ApplicationError | HTTPException) and status < 500 and status not in (403, 404):
        detail = error_text(exc, lang_of(request))
    return Template(
        f"errors/{template}.html.j2",
        context={"status": status, "detail": detail, "viewer": None, "fault": fault.slug if fault else ""},
        status_code=status,
        headers={"Retry-After": str(fault.retry_after)} if fault and fault.retry_after else None,
    )


Handler = Callable[[Request[Any, Any, Any], Any], Response[Any]]


def _for_pages(api_handler: Handler) -> Handler:
    def handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        if wants_html(request):
            return html_error(request, exc)
        return api_handler(request, exc)

    return handler


class HtmlErrorPages(InitPlugin):
    """Route errors on page paths to HTML pages; leave the API's problem details alone."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        """Wrap every registered exception handler (list this plugin after the problem-details one)."""
        app_config.exception_handlers = {
            key: _for_pages(handler) for key, handler in app_config.exception_handlers.items()
        }
        return app_config
