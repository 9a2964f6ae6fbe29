"""residents' mobile numbers sealed at rest, with a keyed hash for the one-per-number rule

Revision ID: d8f2a6c4e1b7
Revises: 5a7c3e9d2b41
Create Date: 2026-12-07

`signups.phone` held each resident's number in clear. It becomes `phone_sealed` (AES-GCM under a key derived from
JIEBANG_PHONE_KEY, else var/phone_key) and `phone_hash` (HMAC-SHA256 under a second derived key), and the unique
index of live sign-ups moves to the hash. Run the upgrade with the key the app will use: existing rows are sealed
and hashed here with it (market/privacy.py), then the clear column is dropped. `erased_at` (a resident's erasure
or the purge) and `class_sessions.numbers_erased_at` (the tick's purge, with its index) are new.

The downgrade opens every sealed number under the configured keys and puts it back in clear. A number already
erased cannot come back, so the restored `phone` column is nullable.
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

from market import privacy
from market.settings import get_settings

revision = "d8f2a6c4e1b7"
down_revision = "5a7c3e9d2b41"
branch_labels = None
depends_on = None

LIVE_ONLY = sa.text("status <> 'cancelled'")
NOT_ERASED = sa.text("numbers_erased_at IS NULL")
BATCH = 1000
signups = sa.table(
    "signups",
    sa.column("id", sa.BigInteger),
    sa.column("phone", sa.String),
    sa.column("phone_sealed", sa.String),
    sa.column("phone_hash", sa.String),
)


def _batches(conn: sa.Connection, query: sa.Select[tuple[int, str]]) -> list[list[sa.Row[tuple[int, str]]]]:
    rows = list(conn.execute(query.order_by(signups.c.id)))
    return [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]


def upgrade() -> None:
    # Plain ADD / DROP COLUMN on both databases; nothing refers to signups, but batch mode is not needed either.
    op.add_column("signups", sa.Column("phone_sealed", sa.String(length=100), nullable=True))
    op.add_column("signups", sa.Column("phone_hash", sa.String(length=64), nullable=True))
    op.add_column("signups", sa.Column("erased_at", DateTimeUTC(timezone=True), nullable=True))
    op.add_column("class_sessions", sa.Column("numbers_erased_at", DateTimeUTC(timezone=True), nullable=True))

    conn = op.get_bind()
    query = sa.select(signups.c.id, signups.c.phone)
    batches = _batches(conn, query)
    if batches:
        keys = privacy.of_settings(get_settings()).keys
        for rows in batches:
            sealed = [{"i": r.id, "s": keys.seal(r.phone), "h": keys.digest(r.phone)} for r in rows]
            conn.execute(
                sa.update(signups)
                .where(signups.c.id == sa.bindparam("i"))
                .values(phone_sealed=sa.bindparam("s"), phone_hash=sa.bindparam("h")),
                sealed,
            )

    op.drop_index("uq_signups_live_phone_per_session", table_name="signups")
    op.create_index(
        "uq_signups_live_phone_per_session",
        "signups",
        ["session_id", "phone_hash"],
        unique=True,
        sqlite_where=LIVE_ONLY,
        postgresql_where=LIVE_ONLY,
    )
    op.drop_column("signups", "phone")
    op.create_index(
        "ix_class_sessions_numbers_held",
        "class_sessions",
        ["starts_at"],
        sqlite_where=NOT_ERASED,
        postgresql_where=NOT_ERASED,
    )


def downgrade() -> None:
    op.add_column("signups", sa.Column("phone", sa.String(length=11), nullable=True))
    conn = op.get_bind()
    query = sa.select(signups.c.id, signups.c.phone_sealed).where(signups.c.phone_sealed.is_not(None))
    batches = _batches(conn, query)
    if batches:
        keys = privacy.of_settings(get_settings()).keys
        for rows in batches:
            clear = [{"i": r.id, "p": keys.open(r.phone_sealed)} for r in rows]
            conn.execute(
                sa.update(signups).where(signups.c.id == sa.bindparam("i")).values(phone=sa.bindparam("p")), clear
            )
    op.drop_index("ix_class_sessions_numbers_held", table_name="class_sessions")
    op.drop_index("uq_signups_live_phone_per_session", table_name="signups")
    op.create_index(
        "uq_signups_live_phone_per_session",
        "signups",
        ["session_id", "phone"],
        unique=True,
        sqlite_where=LIVE_ONLY,
        postgresql_where=LIVE_ONLY,
    )
    op.drop_column("signups", "phone_sealed")
    op.drop_column("signups", "phone_hash")
    op.drop_column("signups", "erased_at")
    op.drop_column("class_sessions", "numbers_erased_at")
