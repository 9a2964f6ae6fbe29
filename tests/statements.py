"""Counting the SQL statements a block of code sends: how tests hold a read to a fixed number of round trips."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK")


@contextmanager
def _listening(engine: AsyncEngine | None, on_execute: Callable[..., None]) -> Iterator[None]:
    # One engine's statements, or (None) those of every engine in the process.
    target: Any = engine.sync_engine if engine is not None else Engine
    event.listen(target, "before_cursor_execute", on_execute)
    try:
        yield
    finally:
        event.remove(target, "before_cursor_execute", on_execute)


@contextmanager
def caught(engine: AsyncEngine | None = None) -> Iterator[list[tuple[str, Any]]]:
    """Each statement sent inside the block, with its parameters: by `engine`, or by any engine when it is None."""
    seen: list[tuple[str, Any]] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    with _listening(engine, on_execute):
        yield seen


@contextmanager
def statements(engine: AsyncEngine | None = None, *, transaction_control: bool = True) -> Iterator[list[str]]:
    """The SQL of each statement sent inside the block (see `caught`), without BEGIN/COMMIT/ROLLBACK if asked."""
    seen: list[str] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if transaction_control or not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            seen.append(statement)

    with _listening(engine, on_execute):
        yield seen
