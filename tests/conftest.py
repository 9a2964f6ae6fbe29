"""Fixtures shared by the whole suite: databases (SQLite and PostgreSQL), the app, a movable clock.

Every integration test that touches a database runs twice, once per database (`database_url`); a test whose
subject no database changes says so with `@database_independent` and runs once. The schema is built by running
the Alembic migrations once per database kind per session (per worker under pytest-xdist: each has its own
SQLite file and PostgreSQL database); each test starts from it emptied.

The fixtures' own work on a database (emptying it, the committee's account, the lists' check, the factories'
direct reads) goes through the engine of the app already serving that database, on the loop that serves it
(`direct`), rather than through a new engine and new connections each time.
"""

from __future__ import annotations

import os

# Before any market module is imported: argon2id with its cheapest parameters, so that the hundreds of
# accounts the suite creates and signs in do not dominate its run time. Production keeps the defaults.
os.environ["JIEBANG_PASSWORD_HASHING"] = "cheapest-for-tests"
# One audit key for the app under test and for what tests write directly (accounts, the demo), so their entries
# join one chain; set here so that no test run writes a key file into the checkout's var/.
os.environ.setdefault("JIEBANG_AUDIT_KEY", "test-audit-key-kept-outside-the-database")
# Likewise the key residents' numbers are sealed with (market/privacy.py), for the app and for direct sessions.
os.environ.setdefault("JIEBANG_PHONE_KEY", "test-phone-key-kept-outside-the-database")
# And the key of points statements' codes (market/settings.py), so that no test writes var/points_key either.
os.environ.setdefault("JIEBANG_POINTS_KEY", "test-points-key-kept-outside-the-database")

import asyncio
import gc
import logging
import shutil
import socket
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from market.app import create_app
from market.demo import DemoReport
from market.kernel.clock import ManualClock
from market.kernel.db import create_engine, metadata
from market.migrate import upgrade
from market.models import AuditHead
from market.serving import ACCESS_LOGGER
from market.settings import Settings
from tests.demo_district import PG_TEMPLATE_FILE, SHARED, DemoDistrict
from tests.factories import Api, Direct

PG_HOST = os.environ.get("JIEBANG_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("JIEBANG_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("JIEBANG_TEST_PG_USER", "postgres")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


# Every request of the suite logged two INFO lines (the access log's and the test client's), which Litestar's queue
# handler and pytest's capture then formatted and carried for tests that pass: tens of thousands of lines nobody reads.
# The access log's own tests turn it on for themselves (caplog.set_level).
for _quiet in (ACCESS_LOGGER, "httpx"):
    logging.getLogger(_quiet).setLevel(logging.WARNING)


def _pg_reachable() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            return True
    except OSError:
        return False


PG_UP = _pg_reachable()
audit_head = AuditHead.__table__
PG_SKIP_REASON = f"PostgreSQL at {PG_HOST}:{PG_PORT} unreachable - the PostgreSQL half is SKIPPED"

# For a test whose subject no database changes (input refused before any query, headers, the API's document):
# its PostgreSQL run would repeat the SQLite one, so it runs on SQLite only. A test that reads or writes what
# it checks keeps both databases.
database_independent = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def pg_url(database: str) -> str:
    return f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say loudly, at the top of every run, whether the PostgreSQL half runs."""
    if PG_UP:
        return [f"PostgreSQL {PG_HOST}:{PG_PORT} reachable: integration tests run on SQLite AND PostgreSQL"]
    bang = "!" * 78
    tail = " In CI this FAILS the run." if IN_CI else ""
    return [bang, f"!! {PG_SKIP_REASON}.{tail}", bang]


_OWN_SHARED: list[Path] = []


def pytest_configure(config: pytest.Config) -> None:
    """The run's shared folder (the demo district's templates), made by the controller before any worker starts, so
    every worker inherits its path."""
    if not hasattr(config, "workerinput") and SHARED not in os.environ:
        os.environ[SHARED] = tempfile.mkdtemp(prefix="jiebang-run-")
        _OWN_SHARED.append(Path(os.environ[SHARED]))


def pytest_collection_finish(session: pytest.Session) -> None:
    """What exists once the tests are collected lives for the whole run: set it aside from the collector's passes.

    The cyclic collector's full passes walk every live object, and a worker holds a great many (the modules, the
    collected tests): collection took 105 of a whole run's 597 CPU-seconds. Its thresholds stay as they are, though:
    something a test drops in a reference cycle (an app and its engine, a session) gives its database connections back
    only when it is collected, and PostgreSQL ran out of connections part-way through a run both with rare automatic
    passes (20000/20/20) and with those plus a full pass every 20 tests."""
    gc.collect()
    gc.freeze()


def pytest_unconfigure(config: pytest.Config) -> None:
    """The controller, once every worker is done: drop the demo's PostgreSQL template and remove the shared folder."""
    for folder in _OWN_SHARED:
        template = folder / PG_TEMPLATE_FILE
        if template.exists() and PG_UP:
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{template.read_text()}" WITH (FORCE)'))
        shutil.rmtree(folder, ignore_errors=True)
        os.environ.pop(SHARED, None)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under `--dist loadgroup` (`make test`): tests are handed out one at a time, except tests/e2e, which one worker
    runs together (one Chromium and one live server per database for all the journeys), and the contract's role runs.

    xdist's own loadgroup reads `xdist_group` marks by rewriting node ids, which pytest 9 no longer lets it do; the
    same grouping is made here from the path.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class BrowserTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith("tests/e2e/"):
                return "tests/e2e"
            # The contract's five role runs on one worker: each later run reuses the case generators the first built
            # (about 58 CPU-s for the five, against 70 spread over workers).
            return CONTRACT_RUNS if nodeid.startswith(CONTRACT_RUNS) else nodeid

    return BrowserTogether(config, log)


# Tests that hold a worker for tens of seconds, handed out before the rest (besides those marked `slow` and those over
# the demo district, whose first loads it): one of them started last would keep a worker busy after the other is done.
CONTRACT_RUNS = "tests/integration/test_api_contract.py::test_openapi_document_matches_the_service"
HANDED_OUT_FIRST = (
    CONTRACT_RUNS,
    "tests/integration/test_permission_matrix.py::",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Long tests first, in their own order, then the rest in theirs (xdist hands tests out in this order; tests/e2e
    goes first of all, as one group, by xdist's own rule of the biggest group first)."""

    def long(item: pytest.Item) -> bool:
        return (
            item.get_closest_marker("slow") is not None
            or "demo_district" in getattr(item, "fixturenames", ())
            or item.nodeid.startswith(HANDED_OUT_FIRST)
        )

    items.sort(key=lambda item: not long(item))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    """Repeat the warning at the end, where people look."""
    if not PG_UP:
        terminalreporter.write_sep("!", PG_SKIP_REASON, red=True, bold=True)


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(user=PG_USER, host=PG_HOST, port=PG_PORT, database="postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One SQLite file for the run, migrated to head by Alembic."""
    path = tmp_path_factory.mktemp("db") / "test.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """One PostgreSQL database for the run, migrated to head by Alembic."""
    if not PG_UP:
        if IN_CI:
            pytest.fail(f"{PG_SKIP_REASON}; CI must run it (.ci/run starts the server)")
        pytest.skip(PG_SKIP_REASON)
    name = f"jiebang_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    # A commit need not wait for its WAL to reach the disk: a throwaway database loses nothing it needs if the server
    # crashes, and the suite's thousands of commits stop waiting on fsync. Isolation and locking are unchanged.
    asyncio.run(_pg_admin(f'ALTER DATABASE "{name}" SET synchronous_commit TO off'))
    upgrade(pg_url(name))
    yield pg_url(name)
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# Rows the migrations seed, and which every test starts from.
_KEPT = {"alliances", "alembic_version"}
RESTART_SEQUENCES = """
DO $$
DECLARE owned record;
BEGIN
  FOR owned IN
    SELECT s.oid::regclass AS name FROM pg_class s
    JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
    JOIN pg_class t ON t.oid = d.refobjid
    WHERE s.relkind = 'S' AND t.relname IN ({names})
  LOOP
    EXECUTE format('ALTER SEQUENCE %s RESTART', owned.name);
  END LOOP;
END $$
"""


async def _empty(url: str, engine: AsyncEngine | None = None) -> None:
    """Delete every row a test may have written, leaving the schema and the seeded alliances (with `engine`, through
    it; else through an engine of its own)."""
    tables = [t for t in reversed(metadata.sorted_tables) if t.name not in _KEPT]
    own = engine is None
    engine = engine or create_engine(url)
    # DELETE, children first: on tables this small it takes milliseconds where TRUNCATE, which replaces every table's
    # files, took the better part of a second on PostgreSQL for each test. Names come from our own metadata, never from
    # input; all of it in one call on the driver's own connection: statement by statement through SQLAlchemy, the
    # seventy deletes cost more than many of the tests that follow them.
    deletes = "".join(f'DELETE FROM "{t.name}";' for t in tables)  # noqa: S608
    head = audit_head.insert().values(id=1, last_hash="0" * 64, length=0, created_at=START, updated_at=START)
    try:
        if url.startswith("postgresql"):
            # Ids start again from 1 (as TRUNCATE … RESTART IDENTITY made them, and SQLite does by itself): the
            # sequences owned by the emptied tables, not the seeded alliances'.
            restart = RESTART_SEQUENCES.replace("{names}", ", ".join(f"'{t.name}'" for t in tables))
            async with engine.begin() as conn:
                raw = await conn.get_raw_connection()
                await raw.driver_connection.execute(deletes + restart)  # type: ignore[union-attr]
                await conn.execute(head)
        else:
            # Outside SQLAlchemy's transaction: sqlite3's executescript commits any open one before it starts.
            async with engine.connect() as conn:
                raw = await conn.get_raw_connection()
                await raw.driver_connection.executescript(f"BEGIN IMMEDIATE;{deletes}COMMIT;")  # type: ignore[union-attr]
            async with engine.begin() as conn:
                await conn.execute(head)
    finally:
        if own:
            await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, _apps: _Apps) -> str:
    """The run's database of each kind, emptied for this test (each test starts from the migrated schema); for a test
    that asks for `demo_district`, a fresh copy of the loaded demo district instead."""
    if "demo_district" in request.fixturenames:
        if request.param == "postgresql":
            request.getfixturevalue("pg_database")  # skipped (or failed in CI) without a server, as every test
        demo: DemoDistrict = request.getfixturevalue("_demo")
        kind: str = request.param
        return demo.fresh_copy(kind, _apps.direct(demo.copy_url(kind)))
    url: str = request.getfixturevalue("sqlite_database" if request.param == "sqlite" else "pg_database")
    direct = _apps.direct(url)
    if direct is None:
        asyncio.run(_empty(url))
    else:
        direct(lambda engine: _empty(url, engine))
    return url


@pytest.fixture(scope="session")
def _demo(tmp_path_factory: pytest.TempPathFactory, var_dir: Path) -> Iterator[DemoDistrict]:
    demo = DemoDistrict(
        lambda url: suite_settings(url, var_dir),
        empty=lambda url: asyncio.run(_empty(url)),
        pg_admin=lambda sql: asyncio.run(_pg_admin(sql)),
        pg_url=pg_url,
        worker_dir=tmp_path_factory.mktemp("demo"),
        start=START,
    )
    yield demo
    demo.close()


@pytest.fixture
def demo_district(database_url: str, _demo: DemoDistrict) -> DemoReport:
    """The demo district, loaded (`jiebang demo` at the suite's start time): the test's database is a fresh copy of
    it, on SQLite and on PostgreSQL, which the test may change. Returns what the loader reported when it loaded it.
    The district is loaded once per database kind for the whole run (tests/demo_district.py)."""
    return _demo.report("sqlite" if database_url.startswith("sqlite") else "postgresql")


@pytest.fixture(scope="session")
def session_clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def clock(session_clock: ManualClock) -> ManualClock:
    """A clock the test moves by hand, back at the same start for every test."""
    session_clock.set(START)
    return session_clock


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var")


@pytest.fixture
def settings(database_url: str, var_dir: Path) -> Settings:
    """Settings for the test's database: a var/ of the run's own (emptied of attachments), no background ticker."""
    shutil.rmtree(var_dir / "attachments", ignore_errors=True)
    # Anchors vouch for one database's chain; each test starts a new chain.
    shutil.rmtree(var_dir / "anchors", ignore_errors=True)
    return suite_settings(database_url, var_dir)


def suite_settings(database_url: str, var_dir: Path) -> Settings:
    """The settings every app under test runs with, on the given database (the demo's templates included)."""
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key-test-secret-key-00",
        var_dir=var_dir,
        tick_seconds=0,
        login_rate_per_minute=1000,
    )


class _Apps:
    """One app and client per distinct settings for the whole run: building an app costs more than most tests."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.running: dict[Settings, tuple[Litestar, AsyncTestClient[Litestar]]] = {}
        self.by_url: dict[str, tuple[Litestar, AsyncTestClient[Litestar]]] = {}

    def get(self, settings: Settings) -> tuple[Litestar, AsyncTestClient[Litestar]]:
        if settings not in self.running:
            app = create_app(settings, self.clock)
            client = AsyncTestClient(app=app, base_url="http://127.0.0.1")
            # The client serves the app from a portal thread of its own, so any test's event loop may use it.
            asyncio.run(client.__aenter__())
            self.running[settings] = (app, client)
            self.by_url.setdefault(settings.database_url, (app, client))
        return self.running[settings]

    def direct(self, url: str) -> Direct | None:
        """`direct(work)`: run `work(engine)` with the engine of the app serving `url`, on the loop that serves it
        (its connections belong to that loop), and return its result; None while no app serves the database."""
        if url not in self.by_url:
            return None
        app, client = self.by_url[url]
        engine: AsyncEngine = app.plugins.get(SQLAlchemyPlugin).config[0].get_engine()
        portal = client.blocking_portal

        def run(work: Callable[[AsyncEngine], Awaitable[Any]]) -> Any:
            return portal.call(work, engine)

        return run

    def close(self) -> None:
        for _, client in self.running.values():
            asyncio.run(client.__aexit__(None, None, None))


@pytest.fixture(scope="session")
def _apps(session_clock: ManualClock) -> Iterator[_Apps]:
    apps = _Apps(session_clock)
    yield apps
    apps.close()


@pytest.fixture
def app(settings: Settings, clock: ManualClock, _apps: _Apps) -> Litestar:
    return _apps.get(settings)[0]


@pytest.fixture
def client(settings: Settings, app: Litestar, _apps: _Apps) -> Iterator[AsyncTestClient[Litestar]]:
    c = _apps.get(settings)[1]
    c.cookies.clear()
    yield c
    c.cookies.clear()


@pytest.fixture
async def api(client: AsyncTestClient[Litestar], settings: Settings, clock: ManualClock, _apps: _Apps) -> Api:
    """The API driven as different users, with a committee account ready."""
    api = Api(client, settings, clock, direct=_apps.direct(settings.database_url))
    await api.bootstrap()
    return api
