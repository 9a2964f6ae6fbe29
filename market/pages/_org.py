"""An organisation's pages: claim form (partners, attachments), proposals, invitations, questions, inbox, reports."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

ORG_PAGES: list[ControllerRouterHandler] = []
