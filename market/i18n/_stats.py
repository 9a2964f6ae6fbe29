"""The statistics dashboard and its charts."""

from __future__ import annotations

ZH_CN: dict[str, str] = {}

EN: dict[str, str] = {}
