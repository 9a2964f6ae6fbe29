"""The statistics dashboard: charts drawn on the server as SVG, with the same numbers in tables."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

STATS_PAGES: list[ControllerRouterHandler] = []
