"""index the end of awards' notice periods

Revision ID: 7d1e2f3a9b4c
Revises: 0aaec7e06f83
Create Date: 2026-12-05

Every request first asks whether time has made anything due (a claim deadline passed, a notice period ended)
and stores it before reading. Tasks already have (status, claim_deadline); this gives awards the same, so the
question stays one indexed probe however many awards the park has made.
"""

from __future__ import annotations

from alembic import op

revision = "7d1e2f3a9b4c"
down_revision = "0aaec7e06f83"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("awards", schema=None) as batch_op:
        batch_op.create_index("ix_awards_status_notice_ends", ["status", "notice_ends_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("awards", schema=None) as batch_op:
        batch_op.drop_index("ix_awards_status_notice_ends")
