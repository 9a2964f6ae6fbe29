"""Play the demo year: events sorted by time, each a request made as the user who would make it."""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from market.demo import _data as data
from market.kernel.clock import ManualClock, SystemClock
from market.kernel.db import create_engine, writing
from market.models import Organization, Role
from market.services._accounts import ensure_account
from market.settings import Settings

Step = Callable[[], Awaitable[None]]
MARKER_ORG = data.ORGANIZATIONS[0][0]


class DemoError(RuntimeError):
    """A request the demo script makes was refused: the script and the rules disagree."""


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


class Client:
    """Requests as one user of the in-process app."""

    def __init__(self, http: AsyncTestClient[Litestar], cookie: str | None, counter: list[int]) -> None:
        self.http, self.cookie, self.counter = http, cookie, counter

    async def call(self, method: str, url: str, json: Any = None) -> Any:
        self.http.cookies.clear()
        headers = {"Cookie": f"jiebang_session={self.cookie}"} if self.cookie else {}
        r: httpx.Response = await self.http.request(method, "/api/v1" + url, json=json, headers=headers)
        self.http.cookies.clear()
        self.counter[0] += 1
        if r.status_code >= 300:
            raise DemoError(f"{method} {url} -> {r.status_code}: {r.text}")
        return r.json() if r.content else None


class Year:
    """The loader's state while it plays the year."""

    def __init__(
        self, http: AsyncTestClient[Litestar], clock: ManualClock, settings: Settings, password: str, rng: random.Random
    ) -> None:
        self.http, self.clock, self.settings, self.password, self.rng = http, clock, settings, password, rng
        self.counter = [0]
        self.anon = Client(http, None, self.counter)
        self.as_user: dict[str, Client] = {}
        self.org_ids: dict[str, int] = {}
        self.org_alliance: dict[str, str] = {}
        self.org_member: dict[int, str] = {}
        self.community_ids: dict[str, int] = {}
        self.evaluator_ids: dict[str, int] = {}
        self.service_ids: dict[str, int] = {}
        self.service_provider: dict[str, str] = {}
        self.need_ids: dict[int, int] = {}
        self.meeting_id = 0
        self.accounts: list[tuple[str, str, str]] = []
        self._queue: list[tuple[datetime, int, Step]] = []
        self._seq = itertools.count()

    async def login(self, username: str) -> Client:
        if username not in self.as_user:
            self.http.cookies.clear()
            r = await self.http.post("/api/v1/auth/login", json={"username": username, "password": self.password})
            if r.status_code != 200:
                raise DemoError(f"login {username}: {r.status_code} {r.text}")
            self.as_user[username] = Client(self.http, r.cookies.get("jiebang_session"), self.counter)
            self.http.cookies.clear()
        return self.as_user[username]

    def at(self, when: datetime, step: Step) -> None:
        """Schedule a step; steps run in time order."""
        heapq.heappush(self._queue, (when, next(self._seq), step))

    async def account(
        self, username: str, role: Role, who: str, *, org: int | None = None, community: int | None = None
    ) -> int:
        """An account with the demo password, made directly (the API makes people's accounts; these are the demo's)."""
        engine = create_engine(self.settings.database_url)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as db, writing(db):
                user = await ensure_account(
                    db,
                    username=username,
                    password=self.password,
                    role=role,
                    display_name=who,
                    organization_id=org,
                    community_id=community,
                    now=self.clock.now(),
                )
                return user.id
        finally:
            await engine.dispose()

    async def run(self, until: datetime) -> None:
        while self._queue and self._queue[0][0] < until:
            when, _, step = heapq.heappop(self._queue)
            self.clock.set(when)
            await step()
        self._queue.clear()


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
    from market.demo._story import play

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
        await play(year, now)
    return DemoReport(loaded=True, accounts=year.accounts, password=password, requests=year.counter[0])


def _people_accounts() -> list[tuple[str, str, str]]:
    from market.demo._story import people

    return people()
