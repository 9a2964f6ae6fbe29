"""notifications as message keys with parameters

Revision ID: 0aaec7e06f83
Revises: 1150d417f436
Create Date: 2026-12-05

A notification was stored as Chinese prose (title, body); it is now a message key and its parameters, rendered
in each reader's language. Rows written before keep their text as the parameters of the key `legacy`, which
shows them as they were, so no inbox loses anything.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0aaec7e06f83"
down_revision = "1150d417f436"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key", sa.String(length=60), nullable=False, server_default="legacy"))
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE notifications SET params = json_build_object('title', title, 'body', body)")
    else:
        op.execute("UPDATE notifications SET params = json_object('title', title, 'body', body)")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("key", existing_type=sa.String(length=60), server_default=None)
        batch_op.alter_column("params", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column("body")
        batch_op.drop_column("title")


def downgrade() -> None:
    # Legacy rows get their text back; keyed rows keep their key as the title and their parameters as the body.
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=False, server_default=""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE notifications SET "
            "title = CASE WHEN key = 'legacy' THEN coalesce(params->>'title', '') ELSE key END, "
            "body = CASE WHEN key = 'legacy' THEN coalesce(params->>'body', '') ELSE params::text END"
        )
    else:
        op.execute(
            "UPDATE notifications SET "
            "title = CASE WHEN key = 'legacy' THEN coalesce(json_extract(params, '$.title'), '') ELSE key END, "
            "body = CASE WHEN key = 'legacy' THEN coalesce(json_extract(params, '$.body'), '') ELSE params END"
        )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("title", existing_type=sa.String(length=200), server_default=None)
        batch_op.alter_column("body", existing_type=sa.Text(), server_default=None)
        batch_op.drop_column("params")
        batch_op.drop_column("key")
