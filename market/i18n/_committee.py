"""The committee's desk: ranking, award, objections, projects and grading, accounts, organisations and applications."""

from __future__ import annotations

ZH_CN: dict[str, str] = {}

EN: dict[str, str] = {}
