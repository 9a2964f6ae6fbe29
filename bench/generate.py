"""Generate a district or a city of marketplace history into an empty, migrated database, and time the load.

    .venv/bin/python -m bench.generate --scale district|city|smoke --database-url URL [--seed N] [--now ISO] [--check]

The schema is made by the Alembic migrations first (`market.migrate.upgrade`); the rows come from `bench._plan`
(deterministic for a seed and a moment) and are written in batches: one `executemany` per table and batch on
SQLite (with the journal kept in memory and no fsync for the length of the load), `COPY` through asyncpg's
`copy_records_to_table` on PostgreSQL. Values go through each column's own SQLAlchemy type, so they are stored
exactly as the service would store them. Afterwards the id sequences (PostgreSQL) follow the loaded ids, the audit
head holds the chain's last hash, the statistics' daily rollup is counted from the rows, and the planner's
statistics are refreshed (ANALYZE) so the first queries plan well. `--check` then runs what `jiebang lists check`
and `jiebang audit verify` run, and fails if either complains.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from bench._plan import SCALES, Plan, Scale
from market import privacy
from market.kernel.db import create_engine, metadata
from market.models import Alliance, AuditHead, Organization, User
from market.services._stats import rebuild as rebuild_statistics
from market.settings import get_settings

BATCH_ROWS = 50_000
DEFAULT_PASSWORD = "bench-password"  # noqa: S105 - every generated account's password, on a scratch database


class NotEmpty(RuntimeError):
    """The database already holds marketplace rows: generating would mix two histories."""


class _Writer:
    """Buffers rows per table and writes them in foreign-key order, one batch per table at a time."""

    def __init__(self, conn: AsyncConnection, *, postgres: bool) -> None:
        self.conn, self.postgres = conn, postgres
        self.order = {t.name: n for n, t in enumerate(metadata.sorted_tables)}
        self.tables: dict[str, Table] = {t.name: t for t in metadata.sorted_tables}
        self.columns: dict[str, list[str]] = {}
        self.processors: dict[str, list[Callable[[Any], Any] | None]] = {}
        self.defaults: dict[str, dict[str, Any]] = {}
        self.buffers: dict[str, list[tuple[Any, ...]]] = {}
        self.pending = 0
        self.written: Counter[str] = Counter()
        self.keys = privacy.of_settings(get_settings()).keys

    def add(self, table: str, row: dict[str, Any]) -> None:
        if table == "signups":
            row = self._sealed(row)
        if table not in self.columns:
            self._prepare(table, row)
        defaults = self.defaults.get(table)
        if defaults:
            row = {**defaults, **row}
        self.buffers[table].append(tuple(row[c] for c in self.columns[table]))
        self.pending += 1

    def _sealed(self, row: dict[str, Any]) -> dict[str, Any]:
        """A sign-up with its number sealed and hashed under the configured key, as the service stores it."""
        row = dict(row)
        number = row.pop("phone")
        row["phone_sealed"] = self.keys.seal(number) if number else None
        row["phone_hash"] = self.keys.digest(number) if number else None
        return row

    def _prepare(self, table: str, row: dict[str, Any]) -> None:
        cols = self.tables[table].columns
        for c in cols:
            if c.name in row:
                continue
            if isinstance(c.default, ScalarElementColumnDefault):
                self.defaults.setdefault(table, {})[c.name] = c.default.arg
            elif not c.nullable and c.server_default is None:
                # A column added by a later migration that nobody fills here: better to stop than to guess.
                raise KeyError(f"{table}: the generator does not fill {c.name}")
        self.columns[table] = [c for c in [*row, *self.defaults.get(table, {})] if c in cols]
        dialect = self.conn.dialect
        self.processors[table] = [
            cols[c].type.dialect_impl(dialect).bind_processor(dialect) for c in self.columns[table]
        ]
        self.buffers[table] = []

    async def flush(self) -> None:
        for table in sorted(self.buffers, key=self.order.__getitem__):
            rows = self.buffers[table]
            if not rows:
                continue
            procs = self.processors[table]
            if any(procs):
                rows = [tuple(v if p is None else p(v) for p, v in zip(procs, row, strict=True)) for row in rows]
            await self._write(table, rows)
            self.written[table] += len(rows)
            self.buffers[table] = []
        self.pending = 0

    async def _write(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        cols = self.columns[table]
        if self.postgres:
            raw = await self.conn.get_raw_connection()
            driver: Any = raw.driver_connection
            await driver.copy_records_to_table(table, records=rows, columns=cols)
            return
        names = ", ".join(f'"{c}"' for c in cols)
        marks = ", ".join("?" for _ in cols)
        # Table and column names come from our own metadata, never from input.
        await self.conn.exec_driver_sql(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)  # noqa: S608


async def _alliance_ids(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as conn:
        if await conn.scalar(select(func.count()).select_from(Organization)):
            raise NotEmpty("the database already has organisations; generate into a freshly migrated one")
        ids = list((await conn.scalars(select(Alliance.id).order_by(Alliance.position))).all())
    if len(ids) != 4:
        raise NotEmpty(f"expected the four seeded alliances, found {len(ids)}")
    return ids


async def _load(engine: AsyncEngine, rows: Iterable[tuple[str, dict[str, Any]]], password_hash: str) -> Counter[str]:
    postgres = engine.dialect.name == "postgresql"
    async with engine.connect() as conn:
        # For the length of the load only, on the loading connection: a crash mid-load leaves a scratch database
        # to throw away, not a service. (Outside any transaction, which SQLite requires of the safety level, so on
        # the driver's own connection.)
        driver: Any = (await conn.get_raw_connection()).driver_connection
        if postgres:
            # Foreign keys stay checked: the database itself vouches that every generated link points somewhere.
            await driver.execute("SET synchronous_commit = off")
        else:
            for pragma in ("synchronous=OFF", "cache_size=-262144", "temp_store=MEMORY"):
                await driver.execute(f"PRAGMA {pragma}")
        writer = _Writer(conn, postgres=postgres)
        for table, row in rows:
            if table == "users":
                row["password_hash"] = password_hash
            writer.add(table, row)
            if writer.pending >= BATCH_ROWS:
                await writer.flush()
                await conn.commit()
        await writer.flush()
        await conn.commit()
    return writer.written


async def _finish(engine: AsyncEngine, plan: Plan, tables: Iterable[str]) -> None:
    last_hash, length = plan.audit_head
    async with engine.begin() as conn:
        await conn.execute(update(AuditHead).values(last_hash=last_hash, length=length, updated_at=plan.now))
        # The rows went in around the service, so the statistics' daily rollup is counted from them here.
        await conn.run_sync(rebuild_statistics)
        if engine.dialect.name == "postgresql":
            for name in tables:
                if "id" in metadata.tables[name].columns:
                    # The next row the service inserts must not collide with a generated id.
                    await conn.execute(
                        text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")  # noqa: S608
                    )
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            await conn.exec_driver_sql("ANALYZE")
            await conn.commit()


async def generate(
    database_url: str,
    scale: Scale,
    *,
    now: datetime,
    seed: int = 1,
    password: str = DEFAULT_PASSWORD,
    say: Callable[[str], None] = print,
) -> Counter[str]:
    """Load `scale` into the migrated, empty database at `database_url`; the counts written per table."""
    from market.security import hash_password  # (reads the hashing profile from the environment when imported)

    engine = create_engine(database_url)
    try:
        started = time.perf_counter()
        plan = Plan(scale, now=now, seed=seed, alliance_ids=await _alliance_ids(engine))
        planned = time.perf_counter()
        say(f"planned {scale.name} in {planned - started:.1f} s")
        written = await _load(engine, plan.rows(), hash_password(password))
        loaded = time.perf_counter()
        total = sum(written.values())
        say(f"loaded {total:,} rows in {loaded - planned:.1f} s ({total / max(loaded - planned, 1e-9):,.0f} rows/s)")
        await _finish(engine, plan, written)
        finished = time.perf_counter()
        say(f"sequences, audit head, rollup and ANALYZE in {finished - loaded:.1f} s")
        say(f"{scale.name} ready in {finished - started:.1f} s on {engine.dialect.name}")
        for table, n in sorted(written.items(), key=lambda kv: -kv[1]):
            say(f"  {table:<20} {n:>10,}")
        return written
    finally:
        await engine.dispose()


async def check(database_url: str, now: datetime, say: Callable[[str], None] = print) -> bool:
    """What `jiebang lists check` and `jiebang audit verify` report, at `now`; whether both are clean."""
    from market.audit import verify
    from market.invariants import check as lists_check

    engine = create_engine(database_url)
    try:
        async with async_sessionmaker(engine)() as db:
            started = time.perf_counter()
            violations = await lists_check(db, now)
            checked = time.perf_counter()
            chain = await verify(db)
            verified = time.perf_counter()
            users = await db.scalar(select(func.count()).select_from(User))
    finally:
        await engine.dispose()
    say(f"lists check: {len(violations)} violations ({checked - started:.1f} s)")
    for v in violations[:20]:
        say(f"  {v}")
    say(f"audit verify: {chain.entries:,} entries, {'intact' if chain.ok else 'BROKEN: ' + chain.reason}")
    say(f"  ({verified - checked:.1f} s); {users:,} accounts")
    return not violations and chain.ok


def _parse_now(raw: str | None) -> datetime:
    if raw is None:
        return datetime.now(UTC).replace(microsecond=0)
    moment = datetime.fromisoformat(raw)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def main(argv: list[str] | None = None) -> int:
    """The command line: migrate, generate, optionally check."""
    from market.migrate import upgrade
    from market.settings import get_settings

    p = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n")[0])
    p.add_argument("--scale", choices=sorted(SCALES), default="district")
    p.add_argument("--database-url", default=None, help="default: JIEBANG_DATABASE_URL, as for `jiebang`")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--now", default=None, help="the moment the history leads up to (ISO 8601; default: now)")
    p.add_argument("--password", default=DEFAULT_PASSWORD, help="every generated account's password")
    p.add_argument("--check", action="store_true", help="run the lists check and audit verify afterwards")
    args = p.parse_args(argv)
    url = args.database_url or get_settings().database_url
    now = _parse_now(args.now)
    started = time.perf_counter()
    upgrade(url)
    print(f"migrated in {time.perf_counter() - started:.1f} s")
    try:
        asyncio.run(generate(url, SCALES[args.scale], now=now, seed=args.seed, password=args.password))
    except NotEmpty as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    if args.check and not asyncio.run(check(url, now)):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
