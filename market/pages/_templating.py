"""What every template may call: `_` and `label` in the request's language, the current URL for `next=` links and
paging, flash messages, and the filters that show money and times.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from jinja2 import pass_context
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine

from market.i18n import label, t
from market.pages._base import isodate, lang_of, localtime, money


def _request(ctx: Mapping[str, Any]) -> Request[Any, Any, Any]:
    request: Request[Any, Any, Any] = ctx["request"]
    return request


def _translate(ctx: Mapping[str, Any], key: str, **kw: object) -> str:
    return t(key, lang_of(_request(ctx)), **kw)


def _label(ctx: Mapping[str, Any], kind: str, value: object) -> str:
    return label(kind, value, lang_of(_request(ctx)))


def _current_lang(ctx: Mapping[str, Any]) -> str:
    return lang_of(_request(ctx))


def _here(ctx: Mapping[str, Any]) -> str:
    """The current path and query, for `next=` links."""
    url = _request(ctx).url
    return url.path + (f"?{url.query}" if url.query else "")


def _url_with(ctx: Mapping[str, Any], **changes: object) -> str:
    """The current URL with some query parameters replaced (None drops one): for paging and filters."""
    request = _request(ctx)
    params = {k: v for k, v in request.query_params.items() if v != ""}
    for k, v in changes.items():
        if v is None or v == "":
            params.pop(k, None)
        else:
            params[k] = str(v)
    return request.url.path + (f"?{urlencode(params)}" if params else "")


def _flashes(ctx: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Flash messages waiting in the session (none on pages rendered where no session exists, like a 404)."""
    request = _request(ctx)
    session = request.scope.get("session")
    if not isinstance(session, dict):
        return []
    messages: list[dict[str, Any]] = session.pop("_messages", [])
    return messages


def register_template_helpers(engine: JinjaTemplateEngine) -> None:
    """Globals and filters every template may use; `_` and `label` follow the request's language."""
    env = engine.engine
    env.globals["_"] = pass_context(_translate)
    env.globals["label"] = pass_context(_label)
    env.globals["current_lang"] = pass_context(_current_lang)
    env.globals["here"] = pass_context(_here)
    env.globals["url_with"] = pass_context(_url_with)
    env.globals["flashes"] = pass_context(_flashes)
    env.filters["money"] = money
    env.filters["localtime"] = localtime
    env.filters["isodate"] = isodate
    env.trim_blocks = True
    env.lstrip_blocks = True
