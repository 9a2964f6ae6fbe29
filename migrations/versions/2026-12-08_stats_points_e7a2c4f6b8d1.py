"""the statistics count points: the daily rollup gains the points counted, filled from the entries already there

Revision ID: e7a2c4f6b8d1
Revises: d4e1f2a3b5c7
Create Date: 2026-12-08

The report counts participation points (积分) by the local day each entry counted, by the kind of holder and, for
organisations, by alliance. No table changes: `stats_days` gains the kind `points` (and its months), written here
from the counted entries; every transaction keeps it in step from then on (`market.services._stats`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from market.services._stats import rebuild

revision = "e7a2c4f6b8d1"
down_revision = "d4e1f2a3b5c7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    rebuild(op.get_bind(), ("points",))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM stats_days WHERE kind IN ('points', 'points:m')"))
