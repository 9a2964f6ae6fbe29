"""`jiebang backup` and `jiebang restore`: the demo district round-trips whole, a backup taken while the app writes
is consistent, a restore refuses what it must and is never half done, and an anchor newer than a restored backup
is reported by `audit verify`."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import async_sessionmaker

from market import cli
from market.app import create_app
from market.audit import verify
from market.backup import backup_sqlite, inspect, sqlite_file
from market.demo import DemoReport
from market.invariants import check
from market.kernel.db import create_engine
from market.migrate import alembic_config, upgrade
from market.settings import Settings, get_settings
from tests.factories import Api, posted_task

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def _cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, *argv: str, database: Path | None = None) -> int:
    """Run `jiebang …` against `database` (else the test's own) and the test's var/, in a thread of its own."""
    monkeypatch.setenv("JIEBANG_DATABASE_URL", _url(database) if database else settings.database_url)
    monkeypatch.setenv("JIEBANG_VAR_DIR", str(settings.var_dir))
    get_settings.cache_clear()
    try:
        return await asyncio.to_thread(cli.main, list(argv))
    finally:
        get_settings.cache_clear()


async def _lists_and_audit(settings: Settings, database: Path, api: Api) -> None:
    """What `jiebang lists check` and `audit verify` check, on `database` at the test's clock: clean and intact."""
    engine = create_engine(_url(database))
    try:
        async with async_sessionmaker(engine)() as db:
            assert await check(db, api.clock.now()) == []
            chain = await verify(db, key=settings.effective_audit_key())
            assert chain.ok and chain.entries > 0, chain
    finally:
        await engine.dispose()


def _leftovers(folder: Path) -> list[str]:
    """Temporary files (and their SQLite side files) a backup or restore left behind."""
    return sorted(p.name for p in folder.iterdir() if ".part" in p.name)


@sqlite_only
async def test_the_demo_district_round_trips_through_backup_and_restore(
    api: Api,
    demo_district: DemoReport,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = api.settings
    assert demo_district.loaded
    assert await _cli(settings, monkeypatch, "audit", "anchor") == 0
    backup, restored = tmp_path / "district.sqlite3", tmp_path / "restored" / "jiebang.sqlite3"

    assert await _cli(settings, monkeypatch, "backup", str(backup)) == 0
    assert await _cli(settings, monkeypatch, "restore", str(backup), database=restored) == 0
    assert "restored" in capsys.readouterr().out

    # The same rows in every table, the lists in step, the chain intact and holding to the anchor published before.
    assert inspect(restored).rows == inspect(backup).rows
    live = await asyncio.to_thread(_rows, sqlite_file(settings.database_url))
    assert await asyncio.to_thread(_rows, restored) == live
    await _lists_and_audit(settings, restored, api)
    assert await _cli(settings, monkeypatch, "audit", "verify", database=restored) == 0
    assert "1 anchor(s) checked" in capsys.readouterr().out
    # And the service on the restored file reads the district's year as before.
    served = dataclasses.replace(settings, database_url=_url(restored))
    async with AsyncTestClient(app=create_app(served, api.clock), base_url="http://127.0.0.1") as client:
        stats = (await client.get("/api/v1/stats")).json()
    assert stats["total"]["tasks"] == {"posted": 22, "claimed": 20, "awarded": 19, "unclaimed": 1}
    assert _leftovers(tmp_path) == [] and _leftovers(restored.parent) == []


def _rows(database: Path) -> dict[str, int]:
    with closing(sqlite3.connect(database)) as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608


@sqlite_only
async def test_a_restore_older_than_the_newest_anchor_is_reported_by_audit_verify(
    api: Api, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = api.settings
    await posted_task(api)
    backup = tmp_path / "monday.sqlite3"
    assert await _cli(settings, monkeypatch, "backup", str(backup)) == 0
    await posted_task(api)
    assert await _cli(settings, monkeypatch, "audit", "anchor") == 0  # published after the backup was taken
    restored = tmp_path / "restored.sqlite3"
    assert await _cli(settings, monkeypatch, "restore", str(backup), database=restored) == 0
    capsys.readouterr()
    assert await _cli(settings, monkeypatch, "audit", "verify", database=restored) == 1
    assert "(truncated)" in capsys.readouterr().err


@sqlite_only
async def test_a_restore_refuses_a_database_in_place_a_foreign_file_and_a_newer_schema(
    api: Api, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = api.settings
    await posted_task(api)
    backup = tmp_path / "backup.sqlite3"
    assert await _cli(settings, monkeypatch, "backup", str(backup)) == 0
    assert await _cli(settings, monkeypatch, "backup", str(backup)) == 1  # an existing backup is not replaced
    assert "--force" in capsys.readouterr().err

    # A database already in place stays exactly as it was, unless told.
    target = tmp_path / "live" / "jiebang.sqlite3"
    target.parent.mkdir()
    await asyncio.to_thread(upgrade, _url(target))
    before = target.read_bytes()
    assert await _cli(settings, monkeypatch, "restore", str(backup), database=target) == 1
    assert "--force" in capsys.readouterr().err
    assert target.read_bytes() == before
    assert await _cli(settings, monkeypatch, "restore", str(backup), "--force", database=target) == 0
    assert inspect(target).rows["tasks"] == 1

    foreign = tmp_path / "notes.sqlite3"
    with closing(sqlite3.connect(foreign)) as db:
        db.execute("CREATE TABLE notes (body TEXT)")
    text = tmp_path / "backup.txt"
    text.write_text("not a database", encoding="utf-8")
    newer = tmp_path / "newer.sqlite3"
    shutil.copy(backup, newer)
    with closing(sqlite3.connect(newer)) as db, db:
        db.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    empty = tmp_path / "empty" / "jiebang.sqlite3"
    for bad, why in ((foreign, "not a jiebang database"), (text, "not a SQLite database"), (newer, "newer version")):
        assert await _cli(settings, monkeypatch, "restore", str(bad), database=empty) == 1, bad
        assert why in capsys.readouterr().err
        assert not empty.exists()
    assert _leftovers(empty.parent) == [] and _leftovers(target.parent) == []


@sqlite_only
async def test_an_older_backup_is_migrated_to_this_codes_schema_on_restore(
    api: Api, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory

    old = tmp_path / "old.sqlite3"
    await asyncio.to_thread(upgrade, _url(old))
    await asyncio.to_thread(command.downgrade, alembic_config(_url(old)), "-1")
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert inspect(old).revision != head
    restored = tmp_path / "restored.sqlite3"
    assert await _cli(api.settings, monkeypatch, "restore", str(old), database=restored) == 0
    assert inspect(restored).revision == head


@sqlite_only
async def test_a_backup_taken_while_the_app_writes_is_consistent(api: Api, tmp_path: Path) -> None:
    settings = api.settings
    live = sqlite_file(settings.database_url)
    stop = threading.Event()
    copies: list[Path] = []

    def back_up_until_stopped() -> None:
        while not stop.is_set() or not copies:
            copies.append(backup_sqlite(live, tmp_path / f"during-{len(copies)}.sqlite3").path)

    # Backups in a thread of their own, one after another, while the app takes writes (each posted task is several
    # audited statements in two transactions).
    backing_up = threading.Thread(target=back_up_until_stopped)
    backing_up.start()
    made = 12
    try:
        for _ in range(made):
            await posted_task(api)
    finally:
        stop.set()
        await asyncio.to_thread(backing_up.join, 120)
    assert len(copies) > 1
    # Each copy is one instant of the database: its chain's head names its last entry, its lists are in step.
    tasks_seen = []
    for copy in copies:
        await _lists_and_audit(settings, copy, api)
        tasks_seen.append(inspect(copy).rows["tasks"])
    assert tasks_seen == sorted(tasks_seen) and tasks_seen[-1] <= made
    # And a backup holds everything committed before it began, even what is still only in the write-ahead log.
    after = await asyncio.to_thread(backup_sqlite, live, tmp_path / "after.sqlite3")
    assert after.rows["tasks"] == made


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgresql_is_dumped_by_pg_dump_and_restored_by_hand(
    api: Api, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("pg_dump") is None:
        pytest.skip("no pg_dump on this machine")
    await posted_task(api)
    dump = tmp_path / "jiebang.dump"
    assert await _cli(api.settings, monkeypatch, "backup", str(dump)) == 0, capsys.readouterr().err
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format, for pg_restore
    assert await _cli(api.settings, monkeypatch, "restore", str(dump)) == 2
    assert "pg_restore" in capsys.readouterr().err
