"""Seed the four fixed alliances and the audit chain's head row.

Revision ID: 5eed0a11ian5
Revises: fa4b8b18a560
Create Date: 2026-11-22
"""

from __future__ import annotations

from datetime import UTC, datetime

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision = "5eed0a11ian5"
down_revision = "fa4b8b18a560"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The four alliances are fixed (SPEC); the audit chain starts from one head row that writers lock.
    alliances = sa.table(
        "alliances",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("leading_unit", sa.String),
        sa.column("position", sa.Integer),
        sa.column("created_at", advanced_alchemy.types.DateTimeUTC(timezone=True)),
        sa.column("updated_at", advanced_alchemy.types.DateTimeUTC(timezone=True)),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        alliances,
        [
            dict(row, created_at=now, updated_at=now)
            for row in [
                {"code": "new-orgs", "name": "新型社会组织联盟", "leading_unit": "民政局", "position": 1},
                {"code": "volunteers", "name": "志愿者联盟", "leading_unit": "团区委", "position": 2},
                {"code": "legal", "name": "法律工作者联盟", "leading_unit": "司法局", "position": 3},
                {"code": "media", "name": "自媒体联盟", "leading_unit": "区委宣传部", "position": 4},
            ]
        ],
    )
    audit_head = sa.table(
        "audit_head",
        sa.column("id", sa.Integer),
        sa.column("last_hash", sa.String),
        sa.column("length", sa.Integer),
        sa.column("created_at", advanced_alchemy.types.DateTimeUTC(timezone=True)),
        sa.column("updated_at", advanced_alchemy.types.DateTimeUTC(timezone=True)),
    )
    op.bulk_insert(audit_head, [{"id": 1, "last_hash": "0" * 64, "length": 0, "created_at": now, "updated_at": now}])


def downgrade() -> None:
    op.execute("DELETE FROM audit_head")
    op.execute("DELETE FROM alliances WHERE code IN ('new-orgs', 'volunteers', 'legal', 'media')")
