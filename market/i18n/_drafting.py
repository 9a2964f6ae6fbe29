"""The committee's drafting pages: new task, edit, post, amend, cancel, answering questions."""

from __future__ import annotations

ZH_CN: dict[str, str] = {}

EN: dict[str, str] = {}
