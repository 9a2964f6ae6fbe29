"""index the times the statistics count from

Revision ID: 9b5d7e3c1a20
Revises: e6a4c2b8d1f3
Create Date: 2026-12-06

The statistics are aggregates the database computes over one period: each kind of thing is found by the time that
starts it. Tasks (posted_at) and needs (raised_at) already have such an index; orders (ordered_at) and closed
projects (closed_at) get one here, so a year's report reads a range of each table rather than all of its history.
A held class's attendance is counted from (session_id, status, attended) without reading the sign-ups themselves.
"""

from __future__ import annotations

from alembic import op

revision = "9b5d7e3c1a20"
down_revision = "e6a4c2b8d1f3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("service_orders", schema=None) as batch_op:
        batch_op.create_index("ix_service_orders_ordered_at", ["ordered_at"], unique=False)
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index("ix_projects_closed_at", ["closed_at"], unique=False)
    with op.batch_alter_table("signups", schema=None) as batch_op:
        batch_op.create_index("ix_signups_attendance", ["session_id", "status", "attended"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("signups", schema=None) as batch_op:
        batch_op.drop_index("ix_signups_attendance")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index("ix_projects_closed_at")
    with op.batch_alter_table("service_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_service_orders_ordered_at")
