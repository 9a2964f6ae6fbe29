"""The evaluator's pages: review queue and scoring form."""

from __future__ import annotations

ZH_CN: dict[str, str] = {}

EN: dict[str, str] = {}
