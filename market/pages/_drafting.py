"""The committee drafting tasks: new, edit, post, amend, cancel, answer questions."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

DRAFTING_PAGES: list[ControllerRouterHandler] = []
