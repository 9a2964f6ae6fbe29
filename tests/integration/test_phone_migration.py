"""The migration that seals residents' numbers: existing sign-ups are sealed and hashed with the configured key,
the one-per-number index moves to the hash, and the downgrade puts the numbers back in clear; on both databases."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import command

from market import privacy
from market.kernel.db import create_engine
from market.migrate import alembic_config, upgrade
from market.settings import get_settings
from tests.integration.test_notification_migration import AT, _read, empty_database

__all__ = ["empty_database"]  # the fixture, shared with the notification migration's test

BEFORE = "5a7c3e9d2b41"
SEALED = "d8f2a6c4e1b7"


def _signups(*number_columns: str) -> sa.TableClause:
    """The sign-ups table as one side of the migration sees it."""
    return sa.table(
        "signups",
        sa.column("id", sa.Integer),
        sa.column("session_id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("status", sa.String),
        sa.column("token_hash", sa.String),
        sa.column("signed_up_at", DateTimeUTC(timezone=True)),
        sa.column("created_at", DateTimeUTC(timezone=True)),
        sa.column("updated_at", DateTimeUTC(timezone=True)),
        *(sa.column(c, sa.String) for c in number_columns),
    )


clear = _signups("phone")
sealed = _signups("phone_sealed", "phone_hash")


def _signup(n: int, status: str = "confirmed", **more: Any) -> dict[str, Any]:
    return {
        "id": n,
        "session_id": 1,
        "name": f"居民{n}",
        "status": status,
        "token_hash": f"{n:064d}",
        "signed_up_at": AT,
        "created_at": AT,
        "updated_at": AT,
        **more,
    }


async def _write_unlinked(url: str, table: sa.TableClause, rows: list[dict[str, Any]]) -> None:
    """Sign-up rows without the class, project and task above them: foreign keys are not what is tested here."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            if url.startswith("sqlite"):
                # Outside any transaction, where SQLite takes the pragma: on the driver's own connection.
                driver: Any = (await conn.get_raw_connection()).driver_connection
                await driver.execute("PRAGMA foreign_keys=OFF")
            else:
                await conn.exec_driver_sql("SET session_replication_role = replica")
            await conn.execute(table.insert(), rows)
            await conn.commit()
    finally:
        await engine.dispose()


def test_existing_numbers_are_sealed_and_hashed_and_come_back_in_clear_on_downgrade(empty_database: str) -> None:
    url = empty_database
    upgrade(url, BEFORE)
    rows = [
        _signup(1, phone="13900000001"),
        _signup(2, "waitlisted", phone="13900000002"),
        _signup(3, "cancelled", phone="13900000001"),
    ]
    asyncio.run(_write_unlinked(url, clear, rows))

    upgrade(url, SEALED)
    keys = privacy.of_settings(get_settings()).keys
    after = asyncio.run(_read(url, sealed))
    assert [keys.open(r["phone_sealed"]) for r in after] == ["13900000001", "13900000002", "13900000001"]
    assert [r["phone_hash"] for r in after] == [keys.digest(r["phone"]) for r in rows]
    assert all("1390000000" not in r["phone_sealed"] for r in after)
    with pytest.raises(sa.exc.ProgrammingError if not url.startswith("sqlite") else sa.exc.OperationalError):
        asyncio.run(_read(url, clear))  # the clear column is gone
    # The one-per-number rule now holds on the hash: a second live sign-up of number 1 to class 1 is refused.
    twin = _signup(4, phone_sealed=keys.seal("13900000001"), phone_hash=keys.digest("13900000001"))
    with pytest.raises(sa.exc.IntegrityError):
        asyncio.run(_write_unlinked(url, sealed, [twin]))

    command.downgrade(alembic_config(url), BEFORE)
    back = asyncio.run(_read(url, clear))
    assert [(r["id"], r["phone"], r["status"]) for r in back] == [(r["id"], r["phone"], r["status"]) for r in rows]
