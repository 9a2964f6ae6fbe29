"""audit chain keyed with a secret kept outside the database

Revision ID: e6a4c2b8d1f3
Revises: c4e8a1f2d9b6
Create Date: 2026-12-06

Entries were chained with plain SHA-256, which anyone able to write the database can recompute after an edit.
They are now chained with HMAC-SHA256 under the audit key (JIEBANG_AUDIT_KEY, or var/audit_key): run the upgrade
with the same key the app will use. An existing chain is re-keyed here, once, rather than verified forever with
the old rule up to a switch point: a switch point stored in the database could be moved by the same person the
key keeps out. Before re-keying, the old chain is checked with the old rule, and the result goes into the chain
itself as a last, keyed entry (`audit` / `rekey`: how many entries, the old head hash, whether the old chain was
intact and where it broke), so re-keying never launders an earlier edit. No schema change.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

from market.audit import GENESIS, canonical, entry_hash, fields_of
from market.settings import get_settings

revision = "e6a4c2b8d1f3"
down_revision = "c4e8a1f2d9b6"
branch_labels = None
depends_on = None

entries = sa.table(
    "audit_entries",
    sa.column("id", sa.BigInteger),
    sa.column("at", DateTimeUTC(timezone=True)),
    sa.column("actor_id", sa.BigInteger),
    sa.column("actor_label", sa.String),
    sa.column("entity", sa.String),
    sa.column("entity_id", sa.BigInteger),
    sa.column("action", sa.String),
    sa.column("before", sa.String),
    sa.column("after", sa.String),
    sa.column("data", sa.JSON),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
    sa.column("created_at", DateTimeUTC(timezone=True)),
    sa.column("updated_at", DateTimeUTC(timezone=True)),
)
head = sa.table(
    "audit_head",
    sa.column("id", sa.BigInteger),
    sa.column("last_hash", sa.String),
    sa.column("length", sa.BigInteger),
    sa.column("updated_at", DateTimeUTC(timezone=True)),
)


def _legacy_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """The rule before this revision: unkeyed SHA-256 over the previous hash and the canonical JSON."""
    return hashlib.sha256((prev_hash + canonical(fields)).encode()).hexdigest()


def _rehash(conn: sa.Connection, rows: list[Any], digest: Any) -> str:
    prev = GENESIS
    for row in rows:
        new = digest(prev, fields_of(row))
        conn.execute(sa.update(entries).where(entries.c.id == row.id).values(prev_hash=prev, hash=new))
        prev = new
    return prev


def upgrade() -> None:
    conn = op.get_bind()
    rows = list(conn.execute(sa.select(entries).order_by(entries.c.id)))
    if not rows:
        return
    stored_head = conn.execute(sa.select(head.c.last_hash, head.c.length)).first()
    broken_at: int | None = None
    prev = GENESIS
    for row in rows:
        if row.prev_hash != prev or _legacy_hash(prev, fields_of(row)) != row.hash:
            broken_at = row.id
            break
        prev = row.hash
    if broken_at is None and stored_head is not None and tuple(stored_head) != (prev, len(rows)):
        broken_at = -1  # the newest entries were removed
    key = get_settings().effective_audit_key()
    last = _rehash(conn, rows, lambda p, f: entry_hash(key, p, f))
    now = datetime.now(UTC)
    note = {
        "at": now,
        "actor_id": None,
        "actor_label": "system",
        "entity": "audit",
        "entity_id": 0,
        "action": "rekey",
        "before": "",
        "after": "",
        "data": {
            "entries": len(rows),
            "legacy_head": stored_head.last_hash if stored_head is not None else rows[-1].hash,
            "legacy_intact": broken_at is None,
            "legacy_broken_at": broken_at,
        },
    }
    note_hash = entry_hash(key, last, fields_of(_Row(note)))
    conn.execute(sa.insert(entries).values(**note, prev_hash=last, hash=note_hash, created_at=now, updated_at=now))
    conn.execute(sa.update(head).values(last_hash=note_hash, length=len(rows) + 1, updated_at=now))


def downgrade() -> None:
    # Back to the unkeyed rule, every entry (the re-key note stays, as an ordinary entry).
    conn = op.get_bind()
    rows = list(conn.execute(sa.select(entries).order_by(entries.c.id)))
    if not rows:
        return
    last = _rehash(conn, rows, _legacy_hash)
    conn.execute(sa.update(head).values(last_hash=last, length=len(rows), updated_at=datetime.now(UTC)))


class _Row:
    """Attribute access to a dict, as `fields_of` reads a stored row."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
