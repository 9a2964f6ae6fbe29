"""The persistence primitives (engine, `writing`, `lock`, the declarative base), defined in `alliances.db`, and the
LIKE pattern every text search uses."""

from __future__ import annotations

from alliances.db import Base, ModelT, create_engine, lock, metadata, writing

__all__ = ["Base", "ModelT", "create_engine", "like_pattern", "lock", "metadata", "writing"]


def like_pattern(text: str) -> str:
    """A LIKE pattern matching the text anywhere, with LIKE's own wildcards escaped (use escape="\\")."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
