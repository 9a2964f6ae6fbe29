"""Writes to the JSON API come from this site's own pages or from non-browser clients, never from another site.

The API authenticates with the session cookie, and a browser attaches that cookie to a form another page submits:
SameSite=Lax stops a cross-*site* form but not one on a sibling host of the same site, and a `text/plain` or
urlencoded form needs no CORS preflight. So an unsafe method under /api/ must:

- carry `application/json` (a browser form cannot send it, and `fetch` from another origin may not without a
  preflight this server never grants); multipart only where the operation takes a file. A write without a body may
  omit the content type, as a form never does: it always sends one.
- not come from another origin: a browser names the page's origin in `Origin` on every unsafe request and says
  where it came from in `Sec-Fetch-Site`; either naming another origin is refused. Clients that send neither (curl,
  scripts) are not browsers riding someone's cookie.

Litestar's CSRFConfig guards the HTML forms (its token is checked there); it has no origin or content-type check,
hence this one, run before the handler reads anything.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.handlers.http_handlers import HTTPRouteHandler

from market.kernel.errors import ApplicationError, Forbidden
from market.settings import Settings

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_JSON = "application/json"
_CROSS_SITE = "error.writes_from_another_site"


class UnsupportedMediaType(ApplicationError):
    """A body in a format the operation does not take (415)."""

    status_code = 415
    title = "Unsupported media type"
    type_slug = "unsupported-media-type"


def takes_files(handler: HTTPRouteHandler) -> bool:
    """Whether the operation's body is a multipart upload (an attachment)."""
    data = handler.parsed_fn_signature.parameters.get("data")
    kwarg = getattr(data, "kwarg_definition", None)
    return getattr(kwarg, "media_type", None) == RequestEncodingType.MULTI_PART


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_api_write(request: Request[Any, Any, Any], settings: Settings) -> None:
    """Refuse an unsafe API request from another origin (403) or in a format a browser form can send (415)."""
    if request.method not in UNSAFE or not request.url.path.startswith("/api/"):
        return
    own = {_origin(str(request.base_url))}
    if settings.public_base_url:
        own.add(_origin(settings.public_base_url))
    origin = request.headers.get("origin")
    if origin is not None and origin.strip().lower() not in own:
        raise Forbidden(_CROSS_SITE, field="Origin")
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.strip().lower() not in {"same-origin", "none"}:
        raise Forbidden(_CROSS_SITE, field="Sec-Fetch-Site")
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if not media_type:
        if _has_body(request):
            raise UnsupportedMediaType("error.body_must_be_json", field="Content-Type")
        return
    handler = request.route_handler
    allowed = {RequestEncodingType.MULTI_PART.value} if takes_files(handler) else {_JSON}
    if media_type not in allowed:
        wanted = " / ".join(sorted(allowed))
        raise UnsupportedMediaType("error.body_must_be_type", field="Content-Type", wanted=wanted)


def _has_body(request: Request[Any, Any, Any]) -> bool:
    if "transfer-encoding" in request.headers:
        return True
    length = request.headers.get("content-length", "0").strip()
    return length not in {"", "0"}
