"""Production serving: the health and readiness probes, and the access log's one JSON line per request."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from market.app import create_app
from market.kernel.clock import ManualClock
from market.kernel.db import create_engine
from market.serving import ACCESS_LOGGER
from market.settings import Settings
from tests.factories import COOKIE, Api, problem

# The probes live outside /api/v1, where the factories would put a bare path.
BASE = "http://127.0.0.1"


async def test_health_answers_without_signing_in_and_is_never_cached(api: Api) -> None:
    for who in (api.anon, api.committee):
        r = await who.get(f"{BASE}/healthz")
        assert r.status_code == 200
        assert r.json() == {"status": "ok", "pid": os.getpid()}
        assert r.headers["cache-control"] == "private, no-store"
        assert "etag" not in r.headers


async def test_ready_when_the_database_answers_at_the_migrations_head(api: Api) -> None:
    r = await api.anon.get(f"{BASE}/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["database"]) == ("ready", "ok")
    assert body["revision"]
    assert r.headers["cache-control"] == "private, no-store"


async def test_not_ready_when_the_schema_is_behind_the_code(api: Api, settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    try:
        async with engine.begin() as conn:
            at = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
            await conn.execute(text("UPDATE alembic_version SET version_num = 'behind'"))
        body = problem(await api.anon.get(f"{BASE}/readyz"), 503)
        assert body["revision"] == ["behind"]
        assert body["expected_revision"] == [at]
        assert "head" in body["detail"]
    finally:
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = :at"), {"at": at})
        await engine.dispose()
    assert (await api.anon.get(f"{BASE}/readyz")).status_code == 200


async def test_not_ready_when_the_database_is_unreachable(settings: Settings, clock: ManualClock) -> None:
    if settings.is_sqlite:
        unreachable = "sqlite+aiosqlite:////nonexistent-dir/for-the-probe/db.sqlite3"
    else:
        unreachable = "postgresql+asyncpg://postgres@127.0.0.1:9/nowhere"
    app = create_app(replace(settings, database_url=unreachable), clock)
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as client:
        assert (await client.get(f"{BASE}/healthz")).status_code == 200
        body = problem(await client.get(f"{BASE}/readyz"), 503)
        assert body["detail"] == "database unreachable"


async def test_every_request_logs_one_json_line(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    await api.anon.get("/api/v1/tasks?secret=1")
    await api.anon.get(f"{BASE}/no/such/page")
    await api.committee.post("/api/v1/tasks", json={"title": ""})
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == ACCESS_LOGGER]
    assert [(x["method"], x["path"], x["status"]) for x in lines] == [
        ("GET", "/api/v1/tasks", 200),
        ("GET", "/no/such/page", 404),
        ("POST", "/api/v1/tasks", 400),
    ]
    for line in lines:
        assert set(line) == {"ts", "method", "path", "status", "ms", "pid"}
        assert line["pid"] == os.getpid()
        assert 0 < line["ms"] < 60_000
    # The session cookie and the query string (where a sign-up link keeps its secret) are never logged.
    logged = "".join(r.getMessage() for r in caplog.records if r.name == ACCESS_LOGGER)
    assert "secret" not in logged and COOKIE not in logged


async def test_the_access_log_can_be_turned_off(
    settings: Settings, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    app = create_app(replace(settings, access_log=False), clock)
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as client:
        assert (await client.get(f"{BASE}/healthz")).status_code == 200
    assert not [r for r in caplog.records if r.name == ACCESS_LOGGER]
