"""The migration that keyed the audit chain re-keys an existing chain once, and records in it whether the old,
unkeyed chain was intact, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import async_sessionmaker

from market.audit import GENESIS, canonical, verify
from market.kernel.db import create_engine
from market.migrate import alembic_config, upgrade
from market.models import AuditEntry, AuditHead
from tests.conftest import _pg_admin, pg_url

KEYED = "e6a4c2b8d1f3"
AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _before() -> str:
    revision = ScriptDirectory.from_config(alembic_config()).get_revision(KEYED)
    assert revision is not None and isinstance(revision.down_revision, str)
    return revision.down_revision


@pytest.fixture
def empty_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database of the test's kind with no schema at all, for running the migrations step by step."""
    if database_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'rekey.sqlite3'}"
        return
    name = f"jiebang_rekey_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    yield pg_url(name)
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _legacy(prev: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256((prev + canonical(fields)).encode()).hexdigest()


async def _write_legacy_chain(url: str, *, edit_second: bool) -> None:
    """Three entries chained by the old, unkeyed rule; optionally the second edited afterwards."""
    entries, heads = AuditEntry.__table__, AuditHead.__table__
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            prev = GENESIS
            for i in range(3):
                at = AT + timedelta(minutes=i)
                fields = {
                    "at": at.isoformat(),
                    "actor_id": None,
                    "actor": "system",
                    "entity": "task",
                    "entity_id": i + 1,
                    "action": "post",
                    "before": "draft",
                    "after": "posted",
                    "data": {"n": i},
                }
                digest = _legacy(prev, fields)
                await conn.execute(
                    entries.insert().values(
                        at=at,
                        actor_id=None,
                        actor_label="system",
                        entity="task",
                        entity_id=i + 1,
                        action="post",
                        before="draft",
                        after="posted",
                        data={"n": i},
                        prev_hash=prev,
                        hash=digest,
                        created_at=at,
                        updated_at=at,
                    )
                )
                prev = digest
            await conn.execute(heads.delete())
            await conn.execute(heads.insert().values(id=1, last_hash=prev, length=3, created_at=AT, updated_at=AT))
            if edit_second:
                await conn.execute(entries.update().where(entries.c.entity_id == 2).values(after="cancelled"))
    finally:
        await engine.dispose()


async def _check(url: str) -> tuple[bool, int, AuditEntry]:
    engine = create_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as db:
            result = await verify(db)
            last = (await db.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))).one()
            return result.ok, result.entries, last
    finally:
        await engine.dispose()


@pytest.mark.parametrize("edited", [False, True], ids=["intact", "edited-before-upgrade"])
def test_an_existing_chain_is_rekeyed_and_says_whether_the_old_chain_was_intact(
    empty_database: str, edited: bool
) -> None:
    url = empty_database
    upgrade(url, _before())
    asyncio.run(_write_legacy_chain(url, edit_second=edited))

    upgrade(url, "head")
    ok, entries, note = asyncio.run(_check(url))
    assert ok and entries == 4
    assert (note.entity, note.action) == ("audit", "rekey")
    assert note.data["entries"] == 3
    assert note.data["legacy_intact"] is (not edited)
    assert (note.data["legacy_broken_at"] is not None) is edited

    # Going back re-hashes with the old rule: the chain is again what the older code verifies.
    command.downgrade(alembic_config(url), _before())
    ok, _, _ = asyncio.run(_check(url))
    assert not ok  # no longer keyed
