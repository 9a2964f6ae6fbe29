"""The migration adding `users.must_change_password` runs over a database with accounts in use, and back."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from alembic import command

from market.migrate import alembic_config, upgrade
from tests.integration.test_notification_migration import AT, _read, _write, empty_database, keyed, users

__all__ = ["empty_database"]  # the fixture, shared with the notification migration's test

BEFORE = "7d1e2f3a9b4c"
ADDED = "b3c9e2d4a7f1"
flagged = sa.table("users", sa.column("id", sa.Integer), sa.column("must_change_password", sa.Boolean))


def test_existing_accounts_need_no_password_change_and_keep_what_refers_to_them(empty_database: str) -> None:
    url = empty_database
    upgrade(url, BEFORE)
    user = {"id": 1, "username": "org1", "password_hash": "x", "role": "committee", "display_name": "", "email": ""}
    asyncio.run(_write(url, users, [user | {"is_active": True, "created_at": AT, "updated_at": AT}]))
    # A row referring to the account: on SQLite, rebuilding `users` to add the column would fail over it.
    note = {"id": 1, "user_id": 1, "kind": "answer", "key": "answer", "params": {"task": "助餐"}, "link": "/tasks/1"}
    asyncio.run(_write(url, keyed, [note | {"created_at": AT, "updated_at": AT}]))

    upgrade(url, ADDED)
    assert asyncio.run(_read(url, flagged)) == [{"id": 1, "must_change_password": False}]

    command.downgrade(alembic_config(url), BEFORE)
    assert [r["username"] for r in asyncio.run(_read(url, users))] == ["org1"]
    assert [r["user_id"] for r in asyncio.run(_read(url, keyed))] == [1]
