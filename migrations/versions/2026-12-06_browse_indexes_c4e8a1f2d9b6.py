"""index the public lists in the order they are read

Revision ID: c4e8a1f2d9b6
Revises: b3c9e2d4a7f1
Create Date: 2026-12-06

The board, the need list and the project list show the newest first and page with LIMIT/OFFSET. An index on
(sort key, id), read backwards, gives that order with no sort, so page 500 costs an index range, not a sort of
every row; the board also gets one per filter it is most often narrowed by (category, status). The single-column
indexes on tasks.category and tasks.posted_at are prefixes of the new ones and go.
"""

from __future__ import annotations

from alembic import op

revision = "c4e8a1f2d9b6"
down_revision = "b3c9e2d4a7f1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_browse", ["posted_at", "id"], unique=False)
        batch_op.create_index("ix_tasks_category_browse", ["category", "posted_at", "id"], unique=False)
        batch_op.create_index("ix_tasks_status_browse", ["status", "posted_at", "id"], unique=False)
        batch_op.drop_index("ix_tasks_category")
        batch_op.drop_index("ix_tasks_posted_at")
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.create_index("ix_needs_raised", ["raised_at", "id"], unique=False)
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index("ix_projects_started", ["started_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index("ix_projects_started")
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.drop_index("ix_needs_raised")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_posted_at", ["posted_at"], unique=False)
        batch_op.create_index("ix_tasks_category", ["category"], unique=False)
        batch_op.drop_index("ix_tasks_status_browse")
        batch_op.drop_index("ix_tasks_category_browse")
        batch_op.drop_index("ix_tasks_browse")
