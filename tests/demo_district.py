"""The demo district, loaded once per database kind for the whole run and copied for every test that asks for it.

Loading the district's year through the real API takes tens of seconds; the tests about it (the demo itself, its
statistics, a backup of it, open data over it) need it loaded, not the loading repeated. The first worker to need a
kind loads it into a template of its own, under a lock the run's workers share; each test then gets a fresh copy in
its worker's copy database (SQLite: the file copied by SQLite's backup; PostgreSQL: CREATE DATABASE … TEMPLATE), so
a test may change its copy as it likes. The template is built as a test's database was: migrated, emptied as
`database_url` empties it, the committee made as `Api.bootstrap` makes it, then `load_demo` at the suite's start time.

`tests/conftest.py` makes the run's shared folder (`SHARED`) and drops the PostgreSQL template when the run ends.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from market.demo import DemoReport, load_demo
from market.kernel.db import create_engine
from market.migrate import upgrade
from market.settings import Settings
from tests.factories import PASSWORD, Direct, make_committee

# The run's folder that every xdist worker sees (set by the controller before workers start; tests/conftest.py).
SHARED = "JIEBANG_TEST_SHARED"
PG_TEMPLATE_FILE = "demo-postgresql-template"


def shared_dir() -> Path:
    return Path(os.environ[SHARED])


@contextmanager
def _locked(name: str) -> Iterator[None]:
    """Held by one process of the run at a time."""
    with open(shared_dir() / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite+aiosqlite:///"))


class DemoDistrict:
    """Templates of the loaded district (made at most once per kind per run) and this worker's copy of each."""

    def __init__(
        self,
        settings_for: Callable[[str], Settings],
        empty: Callable[[str], None],
        pg_admin: Callable[[str], None],
        pg_url: Callable[[str], str],
        worker_dir: Path,
        start: datetime,
    ) -> None:
        self.settings_for = settings_for
        self.empty = empty
        self.pg_admin = pg_admin
        self.pg_url = pg_url
        self.worker_dir = worker_dir
        self.start = start
        self.pg_copy = f"jiebang_demo_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.pg_copy_made = False

    def copy_url(self, kind: str) -> str:
        """This worker's copy database of `kind` (one URL for all its demo tests, so one app serves them)."""
        if kind == "sqlite":
            return f"sqlite+aiosqlite:///{self.worker_dir / 'demo-copy.sqlite3'}"
        return self.pg_url(self.pg_copy)

    def fresh_copy(self, kind: str, dispose: Direct | None) -> str:
        """Make this worker's copy of `kind` the loaded district afresh and return its URL; `dispose` is the app's
        `direct` runner when an app already serves the copy (its pooled connections are closed first)."""
        template = self._template(kind)
        url = self.copy_url(kind)
        if dispose is not None:
            dispose(lambda engine: engine.dispose())
        if kind == "sqlite":
            target = _sqlite_path(url)
            for side in ("", "-wal", "-shm"):
                Path(f"{target}{side}").unlink(missing_ok=True)
            with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(target)) as copy:
                source.backup(copy)
        else:
            self.pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_copy}" WITH (FORCE)')
            self.pg_admin(f'CREATE DATABASE "{self.pg_copy}" TEMPLATE "{template}"')
            self.pg_admin(f'ALTER DATABASE "{self.pg_copy}" SET synchronous_commit TO off')
            self.pg_copy_made = True
        return url

    def report(self, kind: str) -> DemoReport:
        """What `load_demo` answered when it loaded the template."""
        data = json.loads((shared_dir() / f"demo-{kind}.json").read_text())
        return DemoReport(**data | {"accounts": [tuple(a) for a in data["accounts"]]})

    def close(self) -> None:
        if self.pg_copy_made:
            self.pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_copy}" WITH (FORCE)')

    def _template(self, kind: str) -> str:
        """The template's file (SQLite) or database name (PostgreSQL), loaded by whichever worker came first."""
        done = shared_dir() / f"demo-{kind}.json"
        with _locked(f"demo-{kind}"):
            if not done.exists():
                report = self._load(kind)
                done.write_text(json.dumps(asdict(report)))
        if kind == "sqlite":
            return str(shared_dir() / "demo-template.sqlite3")
        return (shared_dir() / PG_TEMPLATE_FILE).read_text()

    def _load(self, kind: str) -> DemoReport:
        if kind == "sqlite":
            path = shared_dir() / "demo-template.sqlite3"
            url = f"sqlite+aiosqlite:///{path}"
        else:
            name = f"jiebang_demo_template_{uuid.uuid4().hex[:10]}"
            # Named before it exists, so that the run's end drops it even if loading fails half way.
            (shared_dir() / PG_TEMPLATE_FILE).write_text(name)
            self.pg_admin(f'CREATE DATABASE "{name}"')
            self.pg_admin(f'ALTER DATABASE "{name}" SET synchronous_commit TO off')
            url = self.pg_url(name)
        upgrade(url)
        self.empty(url)
        settings = self.settings_for(url)
        report = asyncio.run(_load(settings, self.start))
        if kind == "sqlite":
            with closing(sqlite3.connect(path)) as db:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            # A template may be copied only while nobody is connected to it.
            self.pg_admin(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "  # noqa: S608 - our own name
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )
        return report


async def _load(settings: Settings, start: datetime) -> DemoReport:
    engine = create_engine(settings.database_url)
    try:
        await make_committee(engine)
    finally:
        await engine.dispose()
    return await load_demo(settings, PASSWORD, now=start)
