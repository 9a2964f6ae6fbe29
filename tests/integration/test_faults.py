"""Faults of the database and its disk: unreachable, full, read-only, restarted under load.

Each is answered as what it is (503 with `Retry-After`, or 507), as problem details on the API and a readable page
elsewhere; nothing is half-written, and the app carries on once the fault is gone without being restarted.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import event, text

import market.kernel.db
from market.app import create_app
from market.kernel.clock import ManualClock
from market.kernel.db import create_engine
from market.settings import Settings
from tests.browser import CSRF
from tests.conftest import PG_HOST, PG_PORT
from tests.factories import PASSWORD, Api, draft_task, problem, task_body

BASE = "http://127.0.0.1"
LOGIN = {"username": "committee", "password": PASSWORD}
only_postgresql = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
only_sqlite = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@asynccontextmanager
async def serving(settings: Settings, clock: ManualClock) -> AsyncIterator[tuple[Litestar, httpx.AsyncClient]]:
    """An app of its own, called in this event loop (so that concurrent requests really overlap)."""
    app = create_app(settings, clock)
    transport = httpx.ASGITransport(app=app)
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield app, client


def fault(r: httpx.Response, status: int, slug: str, retry_after: int | None) -> dict[str, Any]:
    """The response is the fault's problem details, with its `Retry-After` (every 503 has one)."""
    body = problem(r, status)
    assert body["type"] == f"/problems/{slug}", body
    assert r.headers.get("retry-after") == (str(retry_after) if retry_after else None)
    return body


def fault_page(r: httpx.Response, status: int, title: str, retry_after: int | None) -> None:
    """The page says what is wrong, in Chinese first, with the same status and `Retry-After`."""
    assert r.status_code == status, r.text[:300]
    assert r.headers["content-type"].startswith("text/html")
    assert f"<title>{title}" in r.text
    assert r.headers.get("retry-after") == (str(retry_after) if retry_after else None)


async def counts(url: str) -> tuple[int, int]:
    """How many tasks there are, and how long the audit chain is."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            tasks = (await conn.execute(text("SELECT count(*) FROM tasks"))).scalar_one()
            length = (await conn.execute(text("SELECT length FROM audit_head"))).scalar_one()
            return tasks, length
    finally:
        await engine.dispose()


def sqlite_copy(url: str, to: Path) -> Path:
    """A compacted copy of the test's SQLite database: no free pages, so any new row must grow the file."""
    src = sqlite3.connect(url.removeprefix("sqlite+aiosqlite:///"))
    dst = sqlite3.connect(to)
    try:
        src.backup(dst)
        dst.execute("VACUUM")
    finally:
        src.close()
        dst.close()
    return to


# Unreachable ---------------------------------------------------------------------------------------------------


async def test_an_unreachable_database_is_503_with_retry_after_on_reads_writes_and_pages(
    settings: Settings, clock: ManualClock
) -> None:
    if settings.is_sqlite:
        unreachable = "sqlite+aiosqlite:////nonexistent-dir/for-the-faults/db.sqlite3"
    else:
        unreachable = f"postgresql+asyncpg://postgres@{PG_HOST}:9/nowhere"  # the discard port: nothing listens
    async with serving(replace(settings, database_url=unreachable), clock) as (_, client):
        fault(await client.get("/api/v1/tasks"), 503, "database-unavailable", 5)
        fault(await client.post("/api/v1/auth/login", json=LOGIN), 503, "database-unavailable", 5)
        fault_page(await client.get("/tasks"), 503, "暂时无法连接数据库", 5)
        page = await client.get("/tasks", cookies={"lang": "en"})
        fault_page(page, 503, "Database unavailable", 5)
        # The probes: alive, not ready, and when to ask again.
        assert (await client.get("/healthz")).status_code == 200
        ready = await client.get("/readyz")
        assert problem(ready, 503)["detail"] == "database unreachable"
        assert ready.headers["retry-after"] == "5"


class Silent:
    """A database host that accepts connections and never answers (a partition, a hung server)."""

    def __init__(self) -> None:
        self.held: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> int:
        async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.held.append(writer)

        self.server = await asyncio.start_server(hold, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def __aexit__(self, *_: object) -> None:
        self.server.close()
        for writer in self.held:
            writer.transport.abort()


@only_postgresql
async def test_a_silent_database_is_503_after_the_connect_timeout_not_a_hang(
    settings: Settings, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(market.kernel.db, "PG_CONNECT_TIMEOUT_SECONDS", 0.5)
    async with Silent() as port:
        silent = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/jiebang"
        async with serving(replace(settings, database_url=silent), clock) as (_, client):
            started = time.monotonic()
            fault(await client.get("/api/v1/tasks"), 503, "database-unavailable", 5)
            fault_page(await client.get("/tasks"), 503, "暂时无法连接数据库", 5)
            assert time.monotonic() - started < 10


# Disk full -----------------------------------------------------------------------------------------------------


@only_sqlite
async def test_sqlite_full_is_507_and_nothing_is_half_written(
    settings: Settings, clock: ManualClock, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{sqlite_copy(settings.database_url, tmp_path / 'full.sqlite3')}"
    settings = replace(settings, database_url=url)
    # SQLite's own SQLITE_FULL: the file may not grow past `limit` pages (0: as large as it likes).
    limit = {"pages": 0}
    async with serving(settings, clock) as (app, client):

        @event.listens_for(app.state["alchemy"].get_engine().sync_engine, "connect")
        def cap(dbapi_connection: Any, _record: Any) -> None:
            if limit["pages"]:
                cursor = dbapi_connection.cursor()
                cursor.execute(f"PRAGMA max_page_count = {limit['pages']}")
                cursor.close()

        api = Api(client, settings, clock)  # type: ignore[arg-type]
        await api.bootstrap()
        await draft_task(api)
        before = await counts(url)
        with sqlite3.connect(tmp_path / "full.sqlite3") as raw:
            raw.execute("VACUUM")
            limit["pages"] = raw.execute("PRAGMA page_count").fetchone()[0]
        await app.state["alchemy"].get_engine().dispose()  # every connection from now on is capped

        # A description larger than a page must take new pages: the task, its audit entry, all or nothing.
        big = task_body(api, description="为辖区独居老人提供助餐与探访服务。" * 400)
        fault(await api.committee.post("/tasks", json=big), 507, "storage-full", None)
        assert await counts(url) == before
        # Reads still work on a full disk.
        assert (await api.anon.get("/tasks")).status_code == 200

        limit["pages"] = 0
        await app.state["alchemy"].get_engine().dispose()
        await api.committee.ok("POST", "/tasks", status=201, json=big)
        assert await counts(url) == (before[0] + 1, before[1] + 1)


@only_postgresql
async def test_postgresql_disk_full_is_507_and_nothing_is_half_written(settings: Settings, clock: ManualClock) -> None:
    url = settings.database_url
    async with serving(settings, clock) as (_, client):
        api = Api(client, settings, clock)  # type: ignore[arg-type]
        await api.bootstrap()
        await draft_task(api)
        before = await counts(url)
        # The server raises disk_full (53100) when the audit entry is inserted, after the task row is: the whole
        # transaction must go. A trigger makes PostgreSQL send the very error a full disk sends.
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "CREATE FUNCTION disk_is_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                        "RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100'; "
                        "END $$"
                    )
                )
                await conn.execute(
                    text(
                        "CREATE TRIGGER disk_is_full BEFORE INSERT ON audit_entries "
                        "FOR EACH ROW EXECUTE FUNCTION disk_is_full()"
                    )
                )
            try:
                fault(await api.committee.post("/tasks", json=task_body(api)), 507, "storage-full", None)
                assert await counts(url) == before
            finally:
                async with engine.begin() as conn:
                    await conn.execute(text("DROP TRIGGER disk_is_full ON audit_entries"))
                    await conn.execute(text("DROP FUNCTION disk_is_full()"))
        finally:
            await engine.dispose()
        await api.committee.ok("POST", "/tasks", status=201, json=task_body(api))
        assert await counts(url) == (before[0] + 1, before[1] + 1)


# Read-only -----------------------------------------------------------------------------------------------------


async def test_a_read_only_database_serves_reads_and_refuses_writes_with_503(
    settings: Settings, clock: ManualClock, tmp_path: Path
) -> None:
    async with serving(settings, clock) as (_, client):
        api = Api(client, settings, clock)  # type: ignore[arg-type]
        await api.bootstrap()
        await draft_task(api)
    if settings.is_sqlite:
        # The file opened read-only, as on a disk remounted read-only.
        path = sqlite_copy(settings.database_url, tmp_path / "ro.sqlite3")
        read_only = replace(settings, database_url=f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true")
    else:
        read_only = settings
    before = await counts(read_only.database_url)
    async with serving(read_only, clock) as (app, client):
        if not settings.is_sqlite:
            # A standby after a failover, or an operator's `default_transaction_read_only`: every write refused.
            @event.listens_for(app.state["alchemy"].get_engine().sync_engine, "connect")
            def read_only_session(dbapi_connection: Any, _record: Any) -> None:
                cursor = dbapi_connection.cursor()
                cursor.execute("SET default_transaction_read_only = on")
                cursor.close()
                dbapi_connection.commit()  # the driver ran the SET in a transaction; a rollback would undo it

        assert (await client.get("/api/v1/tasks")).status_code == 200
        assert (await client.get("/tasks")).status_code == 200
        body = fault(await client.post("/api/v1/auth/login", json=LOGIN), 503, "read-only", 30)
        assert "只读" in body["detail"]
        token = CSRF.search((await client.get("/login")).text)
        assert token
        form = {**LOGIN, "_csrf_token": token.group(1)}
        fault_page(await client.post("/login", data=form), 503, "系统暂时只读", 30)
    assert await counts(read_only.database_url) == before


# A restart under load ------------------------------------------------------------------------------------------


class Proxy:
    """A TCP proxy to PostgreSQL that can be cut, as a restart cuts every connection, and opened again."""

    def __init__(self) -> None:
        self.port = 0
        self.server: asyncio.Server | None = None
        self.open: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    def drop(self) -> None:
        """Drop every connection on both sides, as a terminated backend is dropped."""
        for writer in list(self.open):
            writer.transport.abort()
        self.open.clear()

    async def cut(self) -> None:
        """Stop listening (connecting is refused) and drop every connection."""
        assert self.server is not None
        self.server.close()
        self.drop()
        await self.server.wait_closed()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            pg_reader, pg_writer = await asyncio.open_connection(PG_HOST, PG_PORT)
        except OSError:
            client_writer.transport.abort()
            return
        self.open |= {client_writer, pg_writer}
        await asyncio.gather(self._pipe(client_reader, pg_writer), self._pipe(pg_reader, client_writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.transport.abort()
        self.open.discard(writer)


@asynccontextmanager
async def proxied(settings: Settings) -> AsyncIterator[tuple[Proxy, Settings]]:
    """A proxy in front of the test's PostgreSQL, and settings that reach the database through it."""
    proxy = Proxy()
    await proxy.start()
    through_proxy = settings.database_url.replace(f"@{PG_HOST}:{PG_PORT}/", f"@127.0.0.1:{proxy.port}/")
    assert through_proxy != settings.database_url
    try:
        yield proxy, replace(settings, database_url=through_proxy)
    finally:
        await proxy.cut()


@only_postgresql
async def test_a_connection_lost_after_the_answer_is_made_does_not_break_it(
    settings: Settings, clock: ManualClock
) -> None:
    async with proxied(settings) as (proxy, settings), serving(settings, clock) as (app, client):
        api = Api(client, settings, clock)  # type: ignore[arg-type]
        await api.bootstrap()
        await draft_task(api)
        armed = [True]

        # The connection dies just as the request's session is closed (its one ROLLBACK, once the answer is made).
        @event.listens_for(app.state["alchemy"].get_engine().sync_engine, "rollback")
        def restart_now(_conn: Any) -> None:
            if armed.pop() if armed else False:
                proxy.drop()

        r = await client.get("/api/v1/tasks")
        assert not armed, "the connection was not dropped"
        assert r.status_code == 200 and r.json()["items"] == [], r.text
        # The next request finds the dead connection out before use and takes a new one.
        assert (await client.get("/api/v1/tasks")).status_code == 200


@only_postgresql
async def test_after_a_restart_in_a_quiet_moment_no_request_fails(settings: Settings, clock: ManualClock) -> None:
    async with proxied(settings) as (proxy, settings), serving(settings, clock) as (_, client):
        api = Api(client, settings, clock)  # type: ignore[arg-type]
        await api.bootstrap()
        await draft_task(api)

        async def reads() -> list[int]:
            batch = [api.anon.get("/api/v1/tasks"), api.committee.get("/api/v1/tasks"), client.get("/tasks")] * 3
            return [r.status_code for r in await asyncio.gather(*batch)]

        assert set(await reads()) == {200}  # the pool now holds several connections
        # The server restarts while nobody asks: every pooled connection is dead, and nothing has noticed.
        await proxy.cut()
        await asyncio.sleep(0.2)
        await proxy.start()
        # Each connection is checked before use (pool_pre_ping), so the first requests after it do not fail.
        assert set(await reads()) == {200}


@only_postgresql
async def test_a_postgresql_restart_under_load_fails_only_requests_during_the_outage(
    settings: Settings, clock: ManualClock
) -> None:
    async with proxied(settings) as (proxy, settings), serving(settings, clock) as (_, client):
        api = Api(client, settings, clock)  # type: ignore[arg-type]
        await api.bootstrap()
        task = await draft_task(api)
        reads = [
            (api.anon, "/api/v1/tasks"),
            (api.committee, f"/api/v1/tasks/{task['id']}"),
            (api.anon, f"{BASE}/tasks"),
            (api.committee, "/api/v1/tasks"),
        ]
        # Reads from 4 clients at once: some before the restart, through a 1-second outage, and 80 after it.
        each, outage_seconds = 80, 1.0
        results: list[tuple[float, float, int]] = []  # (started, finished, status)
        outage: list[float] = []  # when the connections were cut, when the server accepted again
        warmed_up = asyncio.Event()

        def wanted() -> bool:
            if len(outage) < 2:
                return True
            return sum(started > outage[1] for started, _, _ in results) < each

        async def reader(n: int) -> None:
            while wanted():
                who, url = reads[(n + len(results)) % len(reads)]
                started = time.monotonic()
                r = await who.get(url)
                results.append((started, time.monotonic(), r.status_code))
                if len(results) >= each:
                    warmed_up.set()
                if r.status_code == 503:
                    assert r.headers["retry-after"], r.text

        async def restart() -> None:
            await warmed_up.wait()
            outage.append(time.monotonic())
            await proxy.cut()
            await asyncio.sleep(outage_seconds)
            await proxy.start()
            outage.append(time.monotonic())

        await asyncio.gather(restart(), *(reader(n) for n in range(4)))

    down, up = outage
    statuses = sorted({s for _, _, s in results})
    assert set(statuses) <= {200, 503}, statuses
    failed = [(a, b) for a, b, s in results if s != 200]
    # Only requests that overlapped the outage failed, and some did (the cut was real)...
    assert failed, "no request met the outage"
    assert all(b >= down and a <= up for a, b in failed), (down, up, failed)
    # ... and every request begun after it succeeded, on the same app.
    after = [s for a, _, s in results if a > up]
    assert len(after) >= each and set(after) == {200}, after


# The contract ---------------------------------------------------------------------------------------------------


@only_sqlite  # the document is the same on either database
async def test_the_contract_declares_503_with_retry_after_on_every_operation_and_507_on_writes(api: Api) -> None:
    paths = (await api.anon.ok("GET", "/schema/openapi.json"))["paths"]
    methods = {"get", "put", "post", "patch", "delete"}
    operations = [(m, op["responses"]) for item in paths.values() for m, op in item.items() if m in methods]
    assert len(operations) > 50
    seconds = {"type": "integer", "minimum": 1}
    for method, responses in operations:
        # Any read or write may meet a busy, unreachable or read-only database: 503, saying when to retry.
        assert responses["503"]["headers"]["Retry-After"]["schema"] == seconds
        assert responses["503"]["headers"]["Retry-After"]["required"] is True
        # Only a write can fill the disk; a 507 has no Retry-After (someone must free space first).
        assert ("507" in responses) == (method != "get")
        assert "headers" not in responses.get("507", {})
    login = paths["/api/v1/auth/login"]["post"]["responses"]
    assert login["429"]["headers"]["Retry-After"]["schema"] == seconds
