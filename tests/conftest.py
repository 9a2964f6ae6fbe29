"""Fixtures shared by the whole suite: databases (SQLite and PostgreSQL), the app, a movable clock.

Every integration test runs twice, once per database. The schema is built by running the Alembic
migrations once per database kind per session into a template, which each test then copies.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from market.app import create_app
from market.clock import ManualClock
from market.migrate import upgrade
from market.settings import Settings
from tests.factories import Api

PG_HOST = os.environ.get("JIEBANG_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("JIEBANG_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("JIEBANG_TEST_PG_USER", "postgres")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


def _pg_reachable() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            return True
    except OSError:
        return False


PG_UP = _pg_reachable()
PG_SKIP_REASON = f"PostgreSQL at {PG_HOST}:{PG_PORT} unreachable - the PostgreSQL half is SKIPPED"


def pg_url(database: str) -> str:
    return f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say loudly, at the top of every run, whether the PostgreSQL half runs."""
    if PG_UP:
        return [f"PostgreSQL {PG_HOST}:{PG_PORT} reachable: integration tests run on SQLite AND PostgreSQL"]
    bang = "!" * 78
    tail = " In CI this FAILS the run." if IN_CI else ""
    return [bang, f"!! {PG_SKIP_REASON}.{tail}", bang]


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
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per run."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A PostgreSQL database migrated to head once per run, used as CREATE DATABASE … TEMPLATE."""
    if not PG_UP:
        if IN_CI:
            pytest.fail(f"{PG_SKIP_REASON}; CI must run it (.ci/run starts the server)")
        pytest.skip(PG_SKIP_REASON)
    name = f"jiebang_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    upgrade(pg_url(name))
    yield name
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database of each kind, private to the test."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "test.sqlite3"
        shutil.copyfile(template, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    template_name: str = request.getfixturevalue("pg_template")
    name = f"jiebang_t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
    yield pg_url(name)
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def clock() -> ManualClock:
    """A clock the test moves by hand."""
    return ManualClock(START)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for one test: its own database and var/ directory, no background ticker."""
    var = tmp_path / "var"
    var.mkdir(exist_ok=True)
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key-test-secret-key-00",
        var_dir=var,
        tick_seconds=0,
        login_rate_per_minute=1000,
    )


@pytest.fixture
def app(settings: Settings, clock: ManualClock) -> Litestar:
    return create_app(settings, clock)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as c:
        yield c


@pytest.fixture
async def api(client: AsyncTestClient[Litestar], settings: Settings, clock: ManualClock) -> Api:
    """The API driven as different users, with a committee account ready."""
    api = Api(client, settings, clock)
    await api.bootstrap()
    return api
