"""Community pages: secretaries' needs and orders, providers' answers, meetings, applications, the chair calendar."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

COMMUNITY_PAGES: list[ControllerRouterHandler] = []
