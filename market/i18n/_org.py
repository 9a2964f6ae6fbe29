"""The organisation's pages: claim form, proposals, invitations, questions, inbox, reports."""

from __future__ import annotations

ZH_CN: dict[str, str] = {}

EN: dict[str, str] = {}
