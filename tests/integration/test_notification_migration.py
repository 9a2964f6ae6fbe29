"""The migration that made notifications keyed keeps every older inbox item readable, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import command

from market import notify
from market.kernel.db import create_engine
from market.migrate import alembic_config, upgrade
from tests.conftest import _pg_admin, pg_url

BEFORE = "1150d417f436"  # the last revision with prose notifications
AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

users = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("username", sa.String),
    sa.column("password_hash", sa.String),
    sa.column("role", sa.String),
    sa.column("display_name", sa.String),
    sa.column("email", sa.String),
    sa.column("is_active", sa.Boolean),
    sa.column("created_at", DateTimeUTC(timezone=True)),
    sa.column("updated_at", DateTimeUTC(timezone=True)),
)


def _stamp() -> tuple[sa.ColumnClause[Any], ...]:
    return sa.column("created_at", DateTimeUTC(timezone=True)), sa.column("updated_at", DateTimeUTC(timezone=True))


prose = sa.table(
    "notifications",
    sa.column("id", sa.Integer),
    sa.column("user_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("title", sa.String),
    sa.column("body", sa.Text),
    sa.column("link", sa.String),
    *_stamp(),
)
keyed = sa.table(
    "notifications",
    sa.column("id", sa.Integer),
    sa.column("user_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("key", sa.String),
    sa.column("params", sa.JSON),
    sa.column("link", sa.String),
    *_stamp(),
)


@pytest.fixture
def empty_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database of the test's kind with no schema at all, for running the migrations step by step."""
    if database_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    name = f"jiebang_migrate_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    yield pg_url(name)
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _write(url: str, table: sa.TableClause, rows: list[dict[str, Any]]) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(table.insert(), rows)
    finally:
        await engine.dispose()


async def _read(url: str, table: sa.TableClause) -> list[dict[str, Any]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return [dict(r._mapping) for r in await conn.execute(sa.select(table).order_by(table.c.id))]
    finally:
        await engine.dispose()


def test_older_notifications_keep_their_text_through_the_upgrade_and_back(empty_database: str) -> None:
    url = empty_database
    upgrade(url, BEFORE)
    user = {"id": 1, "username": "org1", "password_hash": "x", "role": "committee", "display_name": "", "email": ""}
    asyncio.run(_write(url, users, [user | {"is_active": True, "created_at": AT, "updated_at": AT}]))
    old = [
        {"id": 1, "kind": "task_posted", "title": "新榜单:社区老年食堂运营", "body": "揭榜截止 2026-03-12 01:00 UTC"},
        {"id": 2, "kind": "answer", "title": "您的提问已答复", "body": ""},
    ]
    stamp = {"user_id": 1, "link": "/tasks/1", "created_at": AT, "updated_at": AT}
    asyncio.run(_write(url, prose, [row | stamp for row in old]))

    upgrade(url, "head")
    rows = asyncio.run(_read(url, keyed))
    assert [(r["kind"], r["key"], r["params"]) for r in rows] == [
        ("task_posted", "legacy", {"title": "新榜单:社区老年食堂运营", "body": "揭榜截止 2026-03-12 01:00 UTC"}),
        ("answer", "legacy", {"title": "您的提问已答复", "body": ""}),
    ]
    # Shown as they were, whatever the reader's language.
    for lang in ("zh-CN", "en"):
        assert [notify.render(r["key"], r["params"], lang) for r in rows] == [(o["title"], o["body"]) for o in old]

    # New rows are keyed; going back restores the older rows' text and leaves the keyed ones readable.
    new = {"id": 3, "kind": "answer", "key": "answer", "params": {"task": "社区老年食堂运营"}}
    asyncio.run(_write(url, keyed, [new | stamp]))
    command.downgrade(alembic_config(url), BEFORE)
    back = asyncio.run(_read(url, prose))
    assert [(r["kind"], r["title"], r["body"]) for r in back[:2]] == [(o["kind"], o["title"], o["body"]) for o in old]
    assert back[2]["title"] == "answer" and json.loads(back[2]["body"]) == new["params"]
