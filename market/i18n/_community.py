"""Community pages: needs raised and services ordered by secretaries, orders answered by providers, ordering
meetings; the public application form for organisations and the chair calendar."""

from __future__ import annotations

ZH_CN: dict[str, str] = {}

EN: dict[str, str] = {}
