"""The committee's desk: ranking, award, objections, projects and grading, accounts, organisations, applications."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

COMMITTEE_PAGES: list[ControllerRouterHandler] = []
