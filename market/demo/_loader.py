"""Play the demo year: events sorted by time, each a request made as the user who would make it."""

from __future__ import annotations

import dataclasses
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from market.demo import _data as data
from market.demo._story import people, play
from market.demo._year import Year
from market.kernel.clock import ManualClock, SystemClock
from market.kernel.db import create_engine, writing
from market.models import Organization, Role
from market.services._accounts import ensure_account
from market.settings import Settings

MARKER_ORG = data.ORGANIZATIONS[0][0]


@dataclass
class DemoReport:
    """What the loader did and which accounts it made."""

    loaded: bool
    accounts: list[tuple[str, str, str]] = field(default_factory=list)
    password: str = ""
    requests: int = 0

    def describe(self) -> str:
        """Human-readable summary for the terminal."""
        head = "演示数据已载入 (demo district loaded)" if self.loaded else "演示数据已存在，未重复载入 (already loaded)"
        lines = [head, f"所有账号密码 (password for every account): {self.password}", ""]
        lines += [f"  {role:<10} {username:<16} {who}" for role, username, who in self.accounts]
        return "\n".join(lines)


async def _already_loaded(settings: Settings) -> bool:
    engine = create_engine(settings.database_url)
    try:
        async with async_sessionmaker(engine)() as db:
            return await db.scalar(select(Organization.id).where(Organization.name == MARKER_ORG)) is not None
    finally:
        await engine.dispose()


async def _bootstrap_committee(settings: Settings, password: str, now: datetime) -> None:
    engine = create_engine(settings.database_url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as db, writing(db):
            await ensure_account(
                db,
                username="committee",
                password=password,
                role=Role.COMMITTEE,
                display_name="创新园综合党委",
                now=now - timedelta(days=351),
            )
    finally:
        await engine.dispose()


def _static_accounts() -> list[tuple[str, str, str]]:
    rows = [("committee", "committee", "创新园综合党委")]
    rows += [("evaluator", u, name) for u, name, _ in data.EVALUATORS]
    return rows


async def load_demo(settings: Settings, password: str, *, now: datetime | None = None) -> DemoReport:
    """Load the demo district unless it is already there; either way report the accounts."""
    from market.app import create_app  # (the app imports every module; only the loader needs it)

    now = now or SystemClock().now()
    # The loader's own requests are not news: keep the terminal for the accounts it prints.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if await _already_loaded(settings):
        return DemoReport(loaded=False, accounts=_static_accounts() + _people_accounts(), password=password)
    await _bootstrap_committee(settings, password, now)
    clock = ManualClock(now - timedelta(days=350))
    quiet = dataclasses.replace(settings, tick_seconds=0, login_rate_per_minute=100_000, access_log=False)
    app = create_app(quiet, clock)
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as http:
        year = Year(http, clock, quiet, password, random.Random(20191231))
        try:
            await play(year, now)
        finally:
            await year.close()
    return DemoReport(loaded=True, accounts=year.accounts, password=password, requests=year.counter[0])


def _people_accounts() -> list[tuple[str, str, str]]:
    return people()
