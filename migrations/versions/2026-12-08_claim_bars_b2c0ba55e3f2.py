"""what bars an organisation from claiming: a 不合格 grade for a while, and the committee's watch list (活动异常)

Revision ID: b2c0ba55e3f2
Revises: a1d0551e2f01
Create Date: 2026-12-08
"""

from __future__ import annotations

revision = "b2c0ba55e3f2"
down_revision = "a1d0551e2f01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
