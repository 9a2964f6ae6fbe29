"""the award dossier (评审档案): what defends an award, frozen when its notice period starts

Revision ID: a1d0551e2f01
Revises: 4e8b1d7c2a95
Create Date: 2026-12-08

Each award's dossier is written once, as the JSON text it is served as, in the transaction that puts the award into
notice; what happens to the award afterwards (a dismissed objection, a revocation) is appended as an addition, never
by rewriting it (`market.models._dossiers` describes the document). Tasks gain `panel_named`: whether the dossier
names the panel's members rather than calling them 评委A, 评委B…; existing tasks keep them anonymous.
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "a1d0551e2f01"
down_revision = "4e8b1d7c2a95"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = advanced_alchemy.types.DateTimeUTC(timezone=True)


def upgrade() -> None:
    # A plain ADD COLUMN with a literal default, as for users.must_change_password: an expression default would
    # make SQLite's batch mode rebuild `tasks`, which most tables refer to.
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("panel_named", sa.Boolean(), server_default="0", nullable=False))
    op.create_table(
        "award_dossiers",
        sa.Column("id", ID, nullable=False),
        sa.Column("task_id", ID, nullable=False),
        sa.Column("award_id", ID, nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("audit_length", sa.BigInteger(), nullable=False),
        sa.Column("audit_head", sa.String(length=64), nullable=False),
        sa.Column("published_at", UTC, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["award_id"], ["awards.id"], name=op.f("fk_award_dossiers_award_id_awards")),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_award_dossiers_task_id_tasks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award_dossiers")),
        sa.UniqueConstraint("award_id", name=op.f("uq_award_dossiers_award_id")),
    )
    with op.batch_alter_table("award_dossiers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_award_dossiers_task_id"), ["task_id"], unique=False)
    op.create_table(
        "award_dossier_additions",
        sa.Column("id", ID, nullable=False),
        sa.Column("dossier_id", ID, nullable=False),
        sa.Column("task_id", ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["award_dossiers.id"], name=op.f("fk_award_dossier_additions_dossier_id_award_dossiers")
        ),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_award_dossier_additions_task_id_tasks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award_dossier_additions")),
        sa.UniqueConstraint("dossier_id", "number", name=op.f("uq_award_dossier_additions_dossier_id")),
    )
    with op.batch_alter_table("award_dossier_additions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_award_dossier_additions_dossier_id"), ["dossier_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_award_dossier_additions_task_id"), ["task_id"], unique=False)


def downgrade() -> None:
    op.drop_table("award_dossier_additions")
    op.drop_table("award_dossiers")
    op.drop_column("tasks", "panel_named")
