"""the award dossier (评审档案): what defends an award, frozen when its notice period starts

Revision ID: a1d0551e2f01
Revises: 4e8b1d7c2a95
Create Date: 2026-12-08
"""

from __future__ import annotations

revision = "a1d0551e2f01"
down_revision = "4e8b1d7c2a95"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
