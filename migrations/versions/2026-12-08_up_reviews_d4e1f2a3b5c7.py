"""two-way review (双向点评): organisations and secretaries rate the units above them, anonymously to those units

Revision ID: d4e1f2a3b5c7
Revises: c3d0a1e5f4b6
Create Date: 2026-12-08

One table, `up_reviews`: the unit rated (the committee, a task's posting unit, an ordering community), the project
or order it was rated for, three 1–5 scores and a comment, and the local day and year. The author is not a column:
only the audit entry holds it. One review per unit per project or order, in the database as well as in the service.
"""

from __future__ import annotations

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "d4e1f2a3b5c7"
down_revision = "c3d0a1e5f4b6"
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "up_reviews",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("community_id", BIGINT, nullable=True),
        sa.Column("posting_unit", sa.String(length=100), nullable=False),
        sa.Column("project_id", BIGINT, nullable=True),
        sa.Column("order_id", BIGINT, nullable=True),
        sa.Column("clarity", sa.Integer(), nullable=False),
        sa.Column("timeliness", sa.Integer(), nullable=False),
        sa.Column("fairness", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("created_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("(project_id IS NULL) <> (order_id IS NULL)", name=op.f("ck_up_reviews_one_subject")),
        sa.CheckConstraint("clarity >= 1 AND clarity <= 5", name=op.f("ck_up_reviews_clarity_range")),
        sa.CheckConstraint("timeliness >= 1 AND timeliness <= 5", name=op.f("ck_up_reviews_timeliness_range")),
        sa.CheckConstraint("fairness >= 1 AND fairness <= 5", name=op.f("ck_up_reviews_fairness_range")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_up_reviews_community_id_communities")
        ),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_up_reviews_project_id_projects")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["service_orders.id"], name=op.f("fk_up_reviews_order_id_service_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_up_reviews")),
        sa.UniqueConstraint("project_id", "unit", name="uq_up_reviews_once_per_project"),
        sa.UniqueConstraint("order_id", "unit", name="uq_up_reviews_once_per_order"),
    )
    with op.batch_alter_table("up_reviews", schema=None) as batch_op:
        batch_op.create_index("ix_up_reviews_year_unit", ["year", "unit", "community_id", "posting_unit"], unique=False)
        batch_op.create_index(batch_op.f("ix_up_reviews_given_on"), ["given_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("up_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_up_reviews_given_on"))
        batch_op.drop_index("ix_up_reviews_year_unit")
    op.drop_table("up_reviews")
