"""HTML pages over the same services as the JSON API (Jinja2 templates in `templates/`).

`PAGE_HANDLERS` is mounted at the root by the app; role pages (org, evaluator, secretary, committee) add their
modules here next to `_public`.
"""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from market.pages._base import register_template_helpers
from market.pages._errors import HtmlErrorPages
from market.pages._public import PUBLIC_PAGES

PAGE_HANDLERS: list[ControllerRouterHandler] = [*PUBLIC_PAGES]

__all__ = ["PAGE_HANDLERS", "HtmlErrorPages", "register_template_helpers"]
