"""What one public read costs, in process: CPU and wall milliseconds per request, one request at a time.

Calls the app's ASGI entry directly (no server, no sockets) against the database `--database-url` names, for each
path: a warm-up, then `--requests` requests in turn; prints the median CPU (this process) and wall time of one, and
how many statements each ran (`--statements`: and each statement of one more request, timed). Anonymous, without
`If-None-Match`, so every answer is a full one.
Usage: .venv/bin/python -m bench.read_cost --database-url URL [--requests N] PATH...
A `{year}` in a path becomes the 365 days ending today (`from=…&to=…`), as `bench/run` asks for statistics.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from litestar import Litestar
from sqlalchemy import event
from sqlalchemy.engine import Engine

from market.app import create_app
from market.kernel.clock import SystemClock, local
from market.settings import Settings


async def _one(app: Litestar, path: str, *, verbose: bool = False) -> tuple[float, float, int, int]:
    raw_path, _, query = path.partition("?")
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "root_path": "",
        "query_string": quote(query, safe="=&").encode(),
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    status: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    seen: list[str] = []
    took: list[float] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)
        took.append(time.perf_counter())

    def done(*_: Any) -> None:
        took[-1] = time.perf_counter() - took[-1]

    event.listen(Engine, "before_cursor_execute", count)
    event.listen(Engine, "after_cursor_execute", done)
    try:
        # process_time counts every thread of the process: aiosqlite's, where SQLite's own work runs, included.
        cpu, wall = time.process_time(), time.perf_counter()
        await app(scope, receive, send)  # type: ignore[arg-type]
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        event.remove(Engine, "before_cursor_execute", count)
        event.remove(Engine, "after_cursor_execute", done)
    if verbose:
        for sql, seconds in zip(seen, took, strict=True):
            print(f"  {seconds * 1000:8.1f} ms  {' '.join(sql.split())[:150]}")
    return cpu * 1000, wall * 1000, len(seen), status[0]


async def main(url: str, paths: list[str], n: int, *, verbose: bool) -> None:
    today = local(SystemClock().now()).date()
    year = f"from={today - timedelta(days=364)}&to={today}"
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=url, var_dir=Path(tmp), tick_seconds=0, access_log=False)
        app = create_app(settings)
        async with app.lifespan():
            for template in paths:
                path = template.replace("{year}", year)
                await _one(app, path)  # warm-up: compiled statements, pooled connection, page cache
                runs = [await _one(app, path) for _ in range(n)]
                cpu = statistics.median(r[0] for r in runs)
                wall = statistics.median(r[1] for r in runs)
                print(f"{path}: {cpu:.1f} ms CPU, {wall:.1f} ms wall, {runs[0][2]} statements, status {runs[0][3]}")
                if verbose:
                    await _one(app, path, verbose=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--statements", action="store_true", help="then each statement of one more request, timed")
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    asyncio.run(main(args.database_url, args.paths, args.requests, verbose=args.statements))
