"""Security headers on every response the app sends: pages, the API, problem bodies, static files, 304s and 404s.

They are set by a send hook (the app's `before_send`), which sees every response start, including those answered
by middleware (a 304 from market/caching.py) or by exception handlers. Not `response_headers`: Litestar resolves
those onto the route handlers, which are shared by every app built in one process, so they would leak between
apps with different settings; and they never reach a response no route handler made.

The content policy names what our pages load and refuses everything else. No page runs script (there is no
JavaScript at all, inline or in a file) and no page carries an inline `<style>` or `style=` attribute: the one
stylesheet and the icons come from /static. So:

- `default-src 'none'`: whatever is not named below (scripts, fetches, fonts, frames, media, workers, manifests)
  is refused. Stricter than `script-src 'self'`: an attachment served from this origin can never run as a script.
- `style-src 'self'` and `img-src 'self'`: the stylesheet and the icons; charts are inline SVG, which is markup.
- `form-action 'self'`: a page's forms post only here; `base-uri 'none'`: no `<base>` can re-point relative links;
  `frame-ancestors 'none'` (and `X-Frame-Options: DENY` for older browsers): no page can be framed and clicked
  through by another site.

`Referrer-Policy: same-origin`: our own pages get the full address (nothing here relies on it, but it does no
harm), another site gets nothing, not even our origin. URLs here can carry a resident's secret (`?token=`), and
the site links nowhere that needs to know where a visitor came from; `strict-origin-when-cross-origin` would still
tell every linked site that a visitor came from this service. The pages say the same in a `<meta name=referrer>`.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    # Attachments and pages may be personal: no other site may embed them (as an image, say) with a visitor's cookie.
    ("Cross-Origin-Resource-Policy", "same-origin"),
)


async def security_headers(message: Message, scope: Scope) -> None:
    """A send hook: put the security headers on every response start, whoever answered."""
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        for name, value in SECURITY_HEADERS:
            headers[name] = value


async def strict_transport(message: Message, scope: Scope) -> None:
    """A send hook for HTTPS deployments: browsers are told to use nothing else for a year."""
    if message["type"] == "http.response.start":
        MutableScopeHeaders.from_message(message)["Strict-Transport-Security"] = "max-age=31536000"


__all__ = ["CONTENT_SECURITY_POLICY", "SECURITY_HEADERS", "security_headers", "strict_transport"]
