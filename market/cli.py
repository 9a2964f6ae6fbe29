"""The `jiebang` command: serve, db upgrade, demo, tick, lists check, audit verify and anchor, backup and restore."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from market.kernel.clock import SystemClock
from market.kernel.db import create_engine, writing
from market.settings import get_settings


async def _with_session(fn: Callable[[AsyncSession], Awaitable[int]]) -> int:
    engine = create_engine(get_settings().database_url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as db:
            return await fn(db)
    finally:
        await engine.dispose()


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the app on Granian or Uvicorn; any number of workers share the one database (docs/serving.md)."""
    if not args.access_log:
        # Workers read their settings afresh from the environment.
        os.environ["JIEBANG_ACCESS_LOG"] = "0"
        get_settings.cache_clear()
    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    if args.server == "granian":
        from granian import Granian
        from granian.constants import Interfaces

        # The server's own access log stays off: ours (market/serving.py) is one JSON line with the worker's pid.
        Granian(
            "market.asgi:app",
            address=args.host,
            port=args.port,
            interface=Interfaces.ASGI,
            workers=args.workers,
            log_access=False,
            respawn_failed_workers=True,
        ).serve()
        return 0
    import uvicorn

    uvicorn.run(
        "market.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        access_log=False,
        # X-Forwarded-For is weighed by the app against JIEBANG_TRUSTED_PROXIES (market/throttle.py), never here.
        proxy_headers=False,
    )
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Run the Alembic migrations up to head."""
    from market.migrate import upgrade

    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url, args.revision)
    print(f"database at {args.revision}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Load the demo district (idempotent) and print the accounts."""
    from market.demo import load_demo
    from market.i18n import t
    from market.passwords import MAX_LENGTH, MIN_LENGTH, password_fault

    settings = get_settings()
    # The demo's accounts get the same password rule as everyone's (market/passwords.py).
    fault = password_fault(settings.demo_password, "committee")
    if fault is not None:
        print(f"JIEBANG_DEMO_PASSWORD: {t(fault, 'en', n=MIN_LENGTH, max=MAX_LENGTH)}", file=sys.stderr)
        return 2
    report = asyncio.run(load_demo(settings, settings.demo_password))
    print(report.describe())
    return 0


def cmd_tick(args: argparse.Namespace) -> int:
    """Apply every transition that time has made due (deadlines, ends of notice periods)."""
    from market.flows import tick

    async def run(db: AsyncSession) -> int:
        async with writing(db):
            report = await tick(db, SystemClock().now())
        print(report)
        return 0

    return asyncio.run(_with_session(run))


def _anchor_file(args: argparse.Namespace) -> Path:
    return Path(args.file) if args.file else get_settings().anchor_path


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Recompute the keyed audit chain and hold it to every published anchor; exit 1 if anything was altered."""
    from market.audit import verify_published

    async def run(db: AsyncSession) -> int:
        result = await verify_published(db, _anchor_file(args))
        if result.ok:
            print(f"audit chain intact: {result.entries} entries, {result.anchors} anchor(s) checked")
            return 0
        print(f"audit chain BROKEN at entry {result.broken_at}: {result.reason}", file=sys.stderr)
        return 1

    return asyncio.run(_with_session(run))


def cmd_audit_anchor(args: argparse.Namespace) -> int:
    """Append the chain's head (length, hash, time) to the anchor file, once the chain verifies; print the line."""
    from market.audit import anchor

    async def run(db: AsyncSession) -> int:
        result, published = await anchor(db, _anchor_file(args), now=SystemClock().now())
        if published is None:
            print(f"not anchored: audit chain BROKEN at entry {result.broken_at}: {result.reason}", file=sys.stderr)
            return 1
        # The same line goes to stdout, for the operator to ship elsewhere (the minutes, an email).
        print(published.line(), end="")
        return 0

    return asyncio.run(_with_session(run))


def cmd_lists_check(args: argparse.Namespace) -> int:
    """Report every record that breaks the list rules; exit 1 if there is any."""
    from market.invariants import check, due_transitions

    async def run(db: AsyncSession) -> int:
        now = SystemClock().now()
        # Never catches up first: a state stored behind the one time has made is what this must report.
        violations = await check(db, now)
        due = await due_transitions(db, now)
        for v in violations:
            print(f"{v.rule}\t{v.entity} {v.entity_id}\t{v.detail}")
        if due:
            print(f"{due} of them are transitions time has made due: the next request or `jiebang tick` stores them")
        print(f"{len(violations)} violation(s)")
        return 1 if violations else 0

    return asyncio.run(_with_session(run))


def cmd_backup(args: argparse.Namespace) -> int:
    """Back up the database while the app runs: SQLite's online backup, or pg_dump on PostgreSQL."""
    from market.backup import BackupError, backup_sqlite, pg_dump, sqlite_file

    settings = get_settings()
    stamp = SystemClock().now().strftime("%Y%m%dT%H%M%SZ")
    suffix = "sqlite3" if settings.is_sqlite else "dump"
    target = Path(args.file) if args.file else settings.var_dir / "backups" / f"jiebang-{stamp}.{suffix}"
    try:
        if settings.is_sqlite:
            print(f"backed up {backup_sqlite(sqlite_file(settings.database_url), target, force=args.force).describe()}")
        else:
            print(f"backed up to {pg_dump(settings.database_url, target, force=args.force)} (pg_dump custom format)")
    except BackupError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore a backup into the configured SQLite database, migrated to this code's schema; stop the app first."""
    from market.backup import BackupError, pg_instructions, restore_sqlite, sqlite_file

    settings = get_settings()
    if not settings.is_sqlite:
        print(pg_instructions(settings.database_url, Path(args.file)), file=sys.stderr)
        return 2
    try:
        restored = restore_sqlite(Path(args.file), sqlite_file(settings.database_url), force=args.force)
    except BackupError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"restored {restored.describe()}")
    # A backup is older than the newest published anchor unless nothing was anchored since: verify says which.
    print("next: `jiebang lists check` and `jiebang audit verify`, then start the app")
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser."""
    p = argparse.ArgumentParser(prog="jiebang", description="发榜–揭榜–承榜 marketplace")
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the web app")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS", "1")))
    serve.add_argument("--server", choices=["granian", "uvicorn"], default=os.environ.get("JIEBANG_SERVER", "granian"))
    serve.add_argument(
        "--no-access-log",
        dest="access_log",
        action="store_false",
        default=True,
        help="no JSON line per request (also JIEBANG_ACCESS_LOG=0)",
    )
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    up = db.add_parser("upgrade", help="migrate to the newest schema")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=cmd_db_upgrade)

    sub.add_parser("demo", help="load the demo district").set_defaults(func=cmd_demo)
    sub.add_parser("tick", help="apply deadline and notice-period transitions now").set_defaults(func=cmd_tick)

    lists = sub.add_parser("lists", help="the three lists").add_subparsers(dest="lists_command", required=True)
    lists.add_parser("check", help="report records that break the list rules").set_defaults(func=cmd_lists_check)

    audit = sub.add_parser("audit", help="the audit log").add_subparsers(dest="audit_command", required=True)
    check = audit.add_parser("verify", help="check the keyed chain against every published anchor")
    check.add_argument("--file", help="the anchor file (default: JIEBANG_AUDIT_ANCHOR_FILE or var/anchors/audit.jsonl)")
    check.set_defaults(func=cmd_audit_verify)
    pin = audit.add_parser("anchor", help="publish the chain's head to the append-only anchor file")
    pin.add_argument("--file", help="the anchor file (default: JIEBANG_AUDIT_ANCHOR_FILE or var/anchors/audit.jsonl)")
    pin.set_defaults(func=cmd_audit_anchor)

    backup = sub.add_parser("backup", help="back up the database (the app may keep running)")
    backup.add_argument("file", nargs="?", help="where to write it (default: var/backups/jiebang-<UTC time>.sqlite3)")
    backup.add_argument("--force", action="store_true", help="replace the file if it exists")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="restore a backup into the configured database (stop the app first)")
    restore.add_argument("file", help="a file made by `jiebang backup`")
    restore.add_argument("--force", action="store_true", help="replace a database that is already there")
    restore.set_defaults(func=cmd_restore)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `jiebang` console script."""
    args: Any = parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
