"""Backing up and restoring the database: `jiebang backup` and `jiebang restore` (docs/operations.md).

SQLite: a backup is SQLite's online backup (`sqlite3.Connection.backup`) taken in one step, i.e. one read
transaction, so it is the database as of one instant while the app goes on writing (WAL lets readers and the writer
run together). The copy is written beside its destination under a temporary name, checked, and renamed into place,
so a file with the backup's name is always a whole backup. It is a single file in rollback-journal mode (no -wal
to carry along); the app puts it back in WAL mode when it opens it.

A restore refuses anything that is not a jiebang database (its Alembic version table and audit chain), anything
made by newer code than this, and, unless told (`force`), a target that already holds a database. It copies the
backup to a temporary file beside the target, migrates that copy up to this code's head, checks it, and only then
renames it over the target, so the target is either what it was or the whole restored database.

PostgreSQL: `pg_dump -Fc` when it is installed; restoring is `pg_restore` into an empty database, by the operator.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from market.migrate import alembic_config, upgrade

# The tables that make a SQLite file a jiebang database (besides its schema being one of our revisions).
_OURS = ("alembic_version", "audit_entries", "audit_head", "tasks")


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a backup file holds: its schema revision and how many rows each table has."""

    path: Path
    revision: str
    rows: dict[str, int]

    def describe(self) -> str:
        """One line for the operator."""
        total = sum(self.rows.values())
        audit = self.rows.get("audit_entries", 0)
        size = self.path.stat().st_size
        return (
            f"{self.path}: schema {self.revision}, {len(self.rows)} tables, {total} rows "
            f"({audit} audit entries), {size} bytes"
        )


def sqlite_file(database_url: str) -> Path:
    """The file of a SQLite URL; an in-memory database has none to back up."""
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite") or not url.database or url.database == ":memory:":
        raise BackupError(f"not a SQLite database file: {url.render_as_string(hide_password=True)}")
    return Path(url.database)


def _revisions() -> tuple[set[str], set[str]]:
    """This code's head revisions and every revision it knows."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return set(script.get_heads()), {rev.revision for rev in script.walk_revisions()}


def _sqlite_header(path: Path) -> None:
    if not path.is_file():
        raise BackupError(f"no such file: {path}")
    with path.open("rb") as f:
        if f.read(16) != b"SQLite format 3\x00":
            raise BackupError(f"{path} is not a SQLite database")


def inspect(path: Path) -> Snapshot:
    """Say what a SQLite file (a backup, not a live database) holds; refuse what is not a whole jiebang database."""
    _sqlite_header(path)
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
        if (found := db.execute("PRAGMA integrity_check").fetchone()[0]) != "ok":
            raise BackupError(f"{path} is damaged: {found}")
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        missing = [t for t in _OURS if t not in tables]
        if missing:
            raise BackupError(f"{path} is not a jiebang database (no {', '.join(missing)} table)")
        versions = [v for (v,) in db.execute("SELECT version_num FROM alembic_version")]
        # Table names come from the file's own catalogue, quoted; nothing typed by a person reaches this SQL.
        rows = {
            t: int(db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])  # noqa: S608
            for t in sorted(tables)
            if not t.startswith("sqlite_")
        }
    if len(versions) != 1:
        raise BackupError(f"{path} has {len(versions)} schema versions recorded; expected one")
    return Snapshot(path, versions[0], rows)


def _temporary_beside(target: Path) -> Path:
    """A new, empty temporary file in the target's folder (so the final rename stays on one file system)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent.resolve())
    os.close(fd)
    return Path(name)


@contextmanager
def _cleaned(temporary: Path) -> Iterator[Path]:
    """Remove the temporary file (and any SQLite side files) unless it was renamed into place."""
    try:
        yield temporary
    finally:
        for leftover in (temporary, *_side_files(temporary)):
            leftover.unlink(missing_ok=True)


def _side_files(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def _copy(source: Path, destination: Path) -> None:
    """SQLite's online backup of `source` into `destination`, in one step (one consistent read), then made a single
    self-contained file (rollback-journal mode) and flushed to disk."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(destination)) as dst:
        src.execute("PRAGMA busy_timeout = 30000")
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")
    with destination.open("rb") as f:
        os.fsync(f.fileno())


def backup_sqlite(database: Path, target: Path, *, force: bool = False) -> Snapshot:
    """Write a consistent copy of the live `database` to `target` (refusing to replace a file unless `force`)."""
    if not database.is_file():
        raise BackupError(f"no database at {database}")
    if target.resolve() == database.resolve():
        raise BackupError("the backup cannot be the database itself")
    if target.exists() and not force:
        raise BackupError(f"{target} exists; choose another name, or --force to replace it")
    with _cleaned(_temporary_beside(target)) as temporary:
        _copy(database, temporary)
        snapshot = inspect(temporary)
        os.replace(temporary, target)
    return Snapshot(target, snapshot.revision, snapshot.rows)


def restore_sqlite(backup: Path, database: Path, *, force: bool = False) -> Snapshot:
    """Put the database in `backup` at `database`, migrated to this code's schema; the app must be stopped.

    Refuses what is not a jiebang backup, a backup from newer code, and (unless `force`) a target that holds a
    database already. The target is replaced by one rename, so it is never half restored.
    """
    _sqlite_header(backup)
    if backup.resolve() == database.resolve():
        raise BackupError("the backup is the database itself")
    if database.exists() and database.stat().st_size > 0 and not force:
        raise BackupError(
            f"{database} already holds a database; stop the app and restore with --force to replace it "
            "(back it up first)"
        )
    heads, known = _revisions()
    with _cleaned(_temporary_beside(database)) as temporary:
        # Checked on the copy: the backup file itself is only read, whatever mode it was left in.
        _copy(backup, temporary)
        snapshot = inspect(temporary)
        if snapshot.revision not in known:
            raise BackupError(
                f"{backup} is at schema {snapshot.revision}, which this version of jiebang does not know "
                "(made by a newer version?): restore it with that version"
            )
        if snapshot.revision not in heads:
            # An older backup is brought up to this code's schema before it takes the database's place.
            upgrade(f"sqlite+aiosqlite:///{temporary}")
            with closing(sqlite3.connect(temporary)) as db:
                db.execute("PRAGMA journal_mode = DELETE")
        restored = inspect(temporary)
        if restored.revision not in heads:
            raise BackupError(f"the restored copy is at {restored.revision}, not at this code's head")
        if database.exists():
            # The restored file is read and written by whoever ran the old one.
            shutil.copymode(database, temporary)
        _retire(database)
        os.replace(temporary, database)
    return Snapshot(database, restored.revision, restored.rows)


def _retire(database: Path) -> None:
    """Before the old database is replaced: fold its write-ahead log in and remove its side files, so no -wal of the
    old database is ever read as if it belonged to the new one."""
    if database.exists() and database.stat().st_size > 0:
        with closing(sqlite3.connect(database)) as db:
            db.execute("PRAGMA busy_timeout = 30000")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for side in _side_files(database):
        side.unlink(missing_ok=True)


# PostgreSQL ---------------------------------------------------------------------------------------------------


def libpq_url(database_url: str) -> str:
    """The URL as pg_dump and psql take it (no SQLAlchemy driver name)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def pg_dump(database_url: str, target: Path, *, force: bool = False) -> Path:
    """`pg_dump -Fc` of the database into `target` (through a temporary file, renamed when the dump is whole)."""
    program = shutil.which("pg_dump")
    if program is None:
        raise BackupError(pg_instructions(database_url, target))
    if target.exists() and not force:
        raise BackupError(f"{target} exists; choose another name, or --force to replace it")
    with _cleaned(_temporary_beside(target)) as temporary:
        done = subprocess.run(  # noqa: S603 - a fixed program and arguments, no shell
            [program, "--format=custom", "--no-owner", f"--file={temporary}", libpq_url(database_url)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        os.replace(temporary, target)
    return target


def pg_instructions(database_url: str, target: Path) -> str:
    """What to run by hand on PostgreSQL (the password, if any, is left out: give it in PGPASSWORD or ~/.pgpass)."""
    url = make_url(database_url).set(drivername="postgresql", password=None)
    where = url.render_as_string(hide_password=True)
    return (
        "PostgreSQL is backed up and restored with its own tools (docs/operations.md):\n"
        f"  backup:  pg_dump --format=custom --no-owner --file={target} '{where}'\n"
        f"  restore: createdb <new database>; pg_restore --no-owner --exit-on-error --dbname=<new database> {target}\n"
        "           then point JIEBANG_DATABASE_URL at it, run `jiebang db upgrade`, `jiebang lists check` and\n"
        "           `jiebang audit verify`"
    )


__all__ = [
    "BackupError",
    "Snapshot",
    "backup_sqlite",
    "inspect",
    "libpq_url",
    "pg_dump",
    "pg_instructions",
    "restore_sqlite",
    "sqlite_file",
]
