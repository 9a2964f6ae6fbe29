"""participation points (积分制): published rules with their versions, and entries proposed, reviewed, posted and counted

Revision ID: c3d0a1e5f4b6
Revises: b2c0ba55e3f2
Create Date: 2026-12-08
"""

from __future__ import annotations

revision = "c3d0a1e5f4b6"
down_revision = "b2c0ba55e3f2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
