"""class_sessions.attended_count, counted from the sign-ups already there

Revision ID: 4e8b1d7c2a95
Revises: 7c1e5a9b3d62
Create Date: 2026-12-07

A year's statistics counted each held class's attendance from its sign-ups on every request (some 18,000
sessions at city scale). The session now keeps the count of its confirmed places marked as attended, moved in the
transaction that records attendance, under the session's row lock (`market.services._classes.set_attendance`); this
adds it and fills it from the sign-ups. The sign-up hot path does not touch it, and no index holds it (an indexed
counter would cost every sign-up's UPDATE an index write, and PostgreSQL its heap-only update).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "4e8b1d7c2a95"
down_revision = "7c1e5a9b3d62"
branch_labels = None
depends_on = None

sessions = sa.table("class_sessions", sa.column("id", sa.Integer()), sa.column("attended_count", sa.Integer()))
signups = sa.table(
    "signups",
    sa.column("session_id", sa.Integer()),
    sa.column("status", sa.String()),
    sa.column("attended", sa.Boolean()),
)


def upgrade() -> None:
    # A plain ADD COLUMN on both databases; the literal default fills the rows already there (see the
    # users.must_change_password migration for why not an expression on SQLite).
    with op.batch_alter_table("class_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attended_count", sa.Integer(), server_default="0", nullable=False))
    came = (
        sa.select(sa.func.count())
        .where(
            signups.c.session_id == sessions.c.id,
            signups.c.status == "confirmed",
            signups.c.attended == sa.true(),
        )
        .scalar_subquery()
    )
    attended = sa.select(signups.c.session_id).where(signups.c.attended == sa.true())
    op.execute(sessions.update().where(sessions.c.id.in_(attended)).values(attended_count=came))


def downgrade() -> None:
    op.drop_column("class_sessions", "attended_count")
