"""what bars an organisation from claiming: a 不合格 grade for a while, and the committee's watch list (活动异常)

Revision ID: b2c0ba55e3f2
Revises: a1d0551e2f01
Create Date: 2026-12-08

The grade's bar is read from the project's grade and closing moment, so only the watch list needs a table: one row
per stay on it, placed and lifted each with a reason. A partial unique index keeps at most one open stay per
organisation, so two committee members placing the same organisation at once leave one entry (the other's insert
is refused, a 409).
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "b2c0ba55e3f2"
down_revision = "a1d0551e2f01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watch_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organization_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("placed_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lifted_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("lifted_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "lifted_at IS NULL OR lifted_at >= placed_at", name=op.f("ck_watch_entries_lifted_after_placed")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_watch_entries_organization_id_organizations")
        ),
        sa.ForeignKeyConstraint(["placed_by_id"], ["users.id"], name=op.f("fk_watch_entries_placed_by_id_users")),
        sa.ForeignKeyConstraint(["lifted_by_id"], ["users.id"], name=op.f("fk_watch_entries_lifted_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_entries")),
    )
    with op.batch_alter_table("watch_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_watch_entries_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(
            "uq_watch_entries_open_per_org",
            ["organization_id"],
            unique=True,
            sqlite_where=sa.text("lifted_at IS NULL"),
            postgresql_where=sa.text("lifted_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("watch_entries", schema=None) as batch_op:
        batch_op.drop_index("uq_watch_entries_open_per_org")
        batch_op.drop_index(batch_op.f("ix_watch_entries_organization_id"))
    op.drop_table("watch_entries")
