"""the statistics' daily rollup, filled from the rows

Revision ID: 7c1e5a9b3d62
Revises: d8f2a6c4e1b7
Create Date: 2026-12-07

A year's report read every task, need, order and closed project of the year on each request. It now sums a table
of per-day counts (by category, alliance and street) that every transaction keeps in step with the rows it writes
(`market.services._stats`); this creates it and fills it from the rows already there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from market.services._stats import rebuild

revision = "7c1e5a9b3d62"
down_revision = "d8f2a6c4e1b7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stats_days",
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dim", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        *(sa.Column(f"n{i}", sa.BigInteger(), nullable=False) for i in range(6)),
        sa.PrimaryKeyConstraint("kind", "day", "dim", "key", name=op.f("pk_stats_days")),
    )
    # The kinds there were then: a kind rolled up later (up-reviews) has its table made by a later migration.
    rebuild(op.get_bind(), ("tasks", "needs", "orders", "projects"))


def downgrade() -> None:
    op.drop_table("stats_days")
