"""users.must_change_password

Revision ID: b3c9e2d4a7f1
Revises: 7d1e2f3a9b4c
Create Date: 2026-12-06

A committee reset gives an account a temporary password; until its owner chooses their own, their pages send
them to the change form. Existing accounts chose (or were given) theirs before the flag existed: false.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b3c9e2d4a7f1"
down_revision = "7d1e2f3a9b4c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases. The default is the literal '0' (false to PostgreSQL and SQLite alike):
    # on SQLite an expression default would make batch mode rebuild `users`, and dropping the old table fails
    # while notifications, proposals and the rest refer to its rows.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), server_default="0", nullable=False))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite has it since 3.35), not batch mode's rebuild of `users`: see upgrade().
    op.drop_column("users", "must_change_password")
