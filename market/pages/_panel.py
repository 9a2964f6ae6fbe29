"""An evaluator's pages: the review queue (scored / waiting) and the scoring form."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

PANEL_PAGES: list[ControllerRouterHandler] = []
