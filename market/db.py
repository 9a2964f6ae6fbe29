"""The persistence primitives (engine, `writing`, `lock`, the declarative base), defined in `alliances.db`."""

from __future__ import annotations

from alliances.db import Base, ModelT, create_engine, lock, metadata, writing

__all__ = ["Base", "ModelT", "create_engine", "lock", "metadata", "writing"]
