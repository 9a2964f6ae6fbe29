"""two-way review (双向点评): organisations and secretaries rate the units above them, anonymously to those units

Revision ID: d4e1f2a3b5c7
Revises: c3d0a1e5f4b6
Create Date: 2026-12-08
"""

from __future__ import annotations

revision = "d4e1f2a3b5c7"
down_revision = "c3d0a1e5f4b6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
