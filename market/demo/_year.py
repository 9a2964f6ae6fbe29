"""The demo year being played: the clock it moves, its accounts, and requests made as each user, in time order."""

from __future__ import annotations

import heapq
import itertools
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from market.kernel.clock import SHANGHAI, ManualClock
from market.kernel.db import create_engine, writing
from market.models import Role
from market.services._accounts import ensure_account
from market.settings import Settings

Step = Callable[[], Awaitable[None]]
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


class DemoError(RuntimeError):
    """A request the demo script makes was refused: the script and the rules disagree."""


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
        # What the up-review sweep would find, counted as the story makes it: how many delivered orders each account
        # sees (its community's secretary, its provider) and how many closed projects each organisation leads. An
        # account with nothing new has nothing to rate, so the sweep need not read its lists (a thousand reads a year).
        self.delivered_orders_seen: Counter[str] = Counter()
        self.closed_projects_led: Counter[int] = Counter()
        self.project_of_task: dict[int, dict[str, Any]] = {}
        self.accounts: list[tuple[str, str, str]] = []
        self._queue: list[tuple[datetime, int, Step]] = []
        self._seq = itertools.count()
        self._engine: AsyncEngine | None = None

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
        # One engine for all of them, not one (and a new connection) per account.
        if self._engine is None:
            self._engine = create_engine(self.settings.database_url)
        async with async_sessionmaker(self._engine, expire_on_commit=False)() as db, writing(db):
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

    async def close(self) -> None:
        """Close the accounts' engine."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def run(self, until: datetime) -> None:
        while self._queue and self._queue[0][0] < until:
            when, _, step = heapq.heappop(self._queue)
            self.clock.set(when)
            await step()
        self._queue.clear()


def at_local(day: datetime, hour: int, minute: int = 0) -> datetime:
    """The instant at hour:minute Shanghai time on `day`'s Shanghai date, so events land in office hours or evenings."""
    return day.astimezone(SHANGHAI).replace(hour=hour, minute=minute, second=0, microsecond=0).astimezone(UTC)


async def project_of(year: Year, task_id: int) -> dict[str, Any]:
    """The task's project, looked up once: a project keeps its id and lead organisation for good."""
    if task_id in year.project_of_task:
        return dict(year.project_of_task[task_id])
    page = await year.anon.call("GET", "/projects?limit=100")
    items = page["items"] if isinstance(page, dict) else page
    for p in items:
        if p["task_id"] == task_id:
            year.project_of_task[task_id] = dict(p)
            return dict(p)
    raise LookupError(f"no project for task {task_id}")
