"""What the access log costs per request, measured in process (docs/serving.md).

Calls the app's ASGI entry directly for `GET /healthz` (no database, so the wrapper's share is as large as it
gets), with the log off, and on with the line written to a file; prints microseconds per request, best of rounds.
Usage: .venv/bin/python -m bench.access_log_cost [requests] [rounds]
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from litestar import Litestar

from market.app import create_app
from market.serving import ACCESS_LOGGER
from market.settings import Settings


async def _per_request_us(app: Litestar, n: int) -> float:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/healthz",
        "raw_path": b"/healthz",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_: Any) -> None:
        return None

    started = time.perf_counter()
    for _ in range(n):
        await app(dict(scope), receive, send)  # type: ignore[arg-type]
    return (time.perf_counter() - started) / n * 1e6


async def main(n: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp}/unused.sqlite3", var_dir=Path(tmp), tick_seconds=0)
        logger = logging.getLogger(ACCESS_LOGGER)
        handler = logging.FileHandler(Path(tmp) / "access.log")
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
        apps = {"off": create_app(replace(settings, access_log=False)), "on": create_app(settings)}
        for app in apps.values():
            await _per_request_us(app, n // 10)  # warm-up
        timings: dict[str, list[float]] = {name: [] for name in apps}
        for _ in range(rounds):  # interleaved, so that a change in the machine's load hits both alike
            for name, app in apps.items():
                timings[name].append(await _per_request_us(app, n))
        best = {name: min(values) for name, values in timings.items()}
        lines = len((Path(tmp) / "access.log").read_text().splitlines())
        print(f"off {best['off']:.1f} µs/request, on {best['on']:.1f} µs/request ({lines} lines written)")
        print(f"the access log costs {best['on'] - best['off']:.1f} µs a request")
        started = time.perf_counter()
        for _ in range(n):
            logger.info('{"ts":1.0,"method":"GET","path":"/healthz","status":200,"ms":1.0,"pid":1}')
        print(f"of which writing one line through the logger: {(time.perf_counter() - started) / n * 1e6:.1f} µs")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000, int(sys.argv[2]) if len(sys.argv) > 2 else 5))
