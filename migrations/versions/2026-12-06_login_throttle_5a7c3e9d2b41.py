"""login_throttle

Revision ID: 5a7c3e9d2b41
Revises: 9b5d7e3c1a20
Create Date: 2026-12-06

Sign-in attempts per account name and per client address, counted by the database in one statement each, so
every worker shares one count (market/throttle.py).
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "5a7c3e9d2b41"
down_revision = "9b5d7e3c1a20"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_start", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_login_throttle_attempts_not_negative")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
