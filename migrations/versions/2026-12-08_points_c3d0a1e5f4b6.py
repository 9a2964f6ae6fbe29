"""participation points (积分制): published rules in versions, and entries proposed, reviewed, posted and counted

Revision ID: c3d0a1e5f4b6
Revises: b2c0ba55e3f2
Create Date: 2026-12-08

The rules are versions never changed once written; no version is seeded here: the default lives in code
(market/services/_points/_rules.py) and the first entry or edit that needs a stored version writes it, audited.
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "c3d0a1e5f4b6"
down_revision = "b2c0ba55e3f2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "point_rule_versions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("points", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("made_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("made_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_point_rule_versions_version_positive")),
        sa.ForeignKeyConstraint(["made_by_id"], ["users.id"], name=op.f("fk_point_rule_versions_made_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_rule_versions")),
        sa.UniqueConstraint("version", name=op.f("uq_point_rule_versions_version")),
    )
    op.create_table(
        "point_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organization_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("resident_hash", sa.String(length=64), nullable=True),
        sa.Column("holder_name", sa.String(length=100), nullable=False),
        sa.Column("rule_code", sa.String(length=40), nullable=False),
        sa.Column("rule_version_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("proposed_points", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("proposed_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("proposed_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("review_reason", sa.Text(), nullable=False),
        sa.Column("reviewed_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("reviewed_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("notice_ends_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("decided_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(organization_id IS NULL) <> (resident_hash IS NULL)", name=op.f("ck_point_entries_one_holder")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_point_entries_organization_id_organizations")
        ),
        sa.ForeignKeyConstraint(["proposed_by_id"], ["users.id"], name=op.f("fk_point_entries_proposed_by_id_users")),
        sa.ForeignKeyConstraint(["reviewed_by_id"], ["users.id"], name=op.f("fk_point_entries_reviewed_by_id_users")),
        sa.ForeignKeyConstraint(
            ["rule_version_id"],
            ["point_rule_versions.id"],
            name=op.f("fk_point_entries_rule_version_id_point_rule_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_entries")),
    )
    with op.batch_alter_table("point_entries", schema=None) as batch_op:
        batch_op.create_index("ix_point_entries_org", ["organization_id", "status", "id"], unique=False)
        batch_op.create_index("ix_point_entries_resident", ["resident_hash", "status", "id"], unique=False)
        batch_op.create_index("ix_point_entries_status_decided", ["status", "decided_at"], unique=False)
        batch_op.create_index("ix_point_entries_status_id", ["status", "id"], unique=False)
        batch_op.create_index("ix_point_entries_status_notice_ends", ["status", "notice_ends_at"], unique=False)
        batch_op.create_index(
            "uq_point_entries_one_per_event",
            ["source", "source_id", "rule_code"],
            unique=True,
            sqlite_where=sa.text("source <> 'manual'"),
            postgresql_where=sa.text("source <> 'manual'"),
        )

    op.create_table(
        "point_objections",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lodged_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("resolved_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("resolved_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["point_entries.id"], name=op.f("fk_point_objections_entry_id_point_entries")
        ),
        sa.ForeignKeyConstraint(["lodged_by_id"], ["users.id"], name=op.f("fk_point_objections_lodged_by_id_users")),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["users.id"], name=op.f("fk_point_objections_resolved_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_objections")),
    )
    with op.batch_alter_table("point_objections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_point_objections_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_point_objections_status"), ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("point_objections")
    op.drop_table("point_entries")
    op.drop_table("point_rule_versions")
