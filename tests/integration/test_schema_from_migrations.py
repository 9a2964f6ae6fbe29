"""The schema the migrations make is the one the models describe, on SQLite and PostgreSQL (SPEC, "Data and time").

Migrations are the only way the schema is made, so a column, index or constraint added to a model and not to a
migration (or the reverse) would be silently missing in every deployment; the tests' databases come from the
migrations too, so nothing else would notice.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

import market.models  # noqa: F401  (every table is registered on the metadata)
from market.kernel.db import create_engine, metadata


def _differences(conn: Connection) -> list[Any]:
    # SQLite reflects advanced_alchemy's GUID columns as NUMERIC, so column types are compared on PostgreSQL only.
    context = MigrationContext.configure(conn, opts={"compare_type": conn.dialect.name != "sqlite"})
    return list(compare_metadata(context, metadata))


async def test_the_migrated_schema_is_the_one_the_models_describe(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(_differences)
    finally:
        await engine.dispose()
    assert differences == []
