"""Engine, transactions, row locks and the LIKE pattern, behaving the same on SQLite and PostgreSQL.

These persistence primitives serve both domains (`market` and `alliances`), as part of the shared kernel.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, TypeVar

from advanced_alchemy.base import BigIntAuditBase, orm_registry
from sqlalchemy import event, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.pool import ConnectionPoolEntry

Base = BigIntAuditBase
metadata = orm_registry.metadata

ModelT = TypeVar("ModelT", bound=BigIntAuditBase)

# The time new rows are stamped with (`created_at`), when the request's app runs on a clock of its own: the
# demo plays a year on a moving clock and tests hold one still, and an inbox item, a question or an objection
# must carry the time it happened on that clock, not the machine's. Unset, the column default (now) applies.
row_clock: ContextVar[Callable[[], datetime] | None] = ContextVar("row_clock", default=None)


@event.listens_for(Session, "before_flush")
def _stamp_new_rows(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    now = row_clock.get()
    if now is None:
        return
    for row in session.new:
        if isinstance(row, BigIntAuditBase) and row.created_at is None:
            row.created_at = row.updated_at = now()


# How long opening a PostgreSQL connection may take: a database host that has gone silent (not refusing, just not
# answering) would otherwise hold each request for asyncpg's default of 60 s before it is told 503.
PG_CONNECT_TIMEOUT_SECONDS = 10.0

# Execution option that asks our SQLite "begin" hook for BEGIN IMMEDIATE.
_SQLITE_BEGIN = "jiebang_sqlite_begin"


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine for the URL, with SQLite set up for several writers on one file."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        _configure_sqlite(engine)
        return engine
    # pool_pre_ping: a pooled connection a database restart has killed is found out before use, not by a request.
    return create_async_engine(
        url,
        echo=echo,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,
        connect_args={"timeout": PG_CONNECT_TIMEOUT_SECONDS},
    )


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take transaction control away from the sqlite3 module so that BEGIN is ours to choose.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Connection) -> None:
        # A write transaction must hold the write lock from its first statement; a deferred one that
        # upgrades later fails with SQLITE_BUSY when another writer got in between, and no timeout helps.
        mode = conn.get_execution_options().get(_SQLITE_BEGIN, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


@asynccontextmanager
async def writing(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """One write transaction: committed on success, rolled back on any exception.

    On SQLite it begins IMMEDIATE, so concurrent writers queue on the busy timeout instead of failing.
    """
    if session.in_transaction():
        # Reads earlier in the request opened a deferred transaction; finish it so that ours starts clean.
        await session.commit()
    async with session.begin():
        await session.connection(execution_options={_SQLITE_BEGIN: "IMMEDIATE"})
        yield session


async def lock(session: AsyncSession, model: type[ModelT], ident: int) -> ModelT | None:
    """Load one row for update (SELECT … FOR UPDATE on PostgreSQL; SQLite's write lock already covers it)."""
    # `of=` keeps the lock off eagerly joined tables (PostgreSQL refuses FOR UPDATE on an outer join's nullable side).
    stmt = select(model).where(model.id == ident).with_for_update(of=model).execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


def like_pattern(text: str) -> str:
    """A LIKE pattern matching the text anywhere, with LIKE's own wildcards escaped (use escape="\\")."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
