"""Drive the HTTP API as several users at once; build common fixtures through the API itself."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import async_sessionmaker

from alliances.credit_code import make_credit_code
from market.clock import ManualClock
from market.db import create_engine, writing
from market.models import Role
from market.services._accounts import ensure_account
from market.settings import Settings

PASSWORD = "correct horse battery"
COOKIE = "jiebang_session"


class As:
    """Requests made as one signed-in user (or anonymously when cookie is None)."""

    def __init__(self, client: AsyncTestClient[Litestar], cookie: str | None, username: str = "") -> None:
        self.client = client
        self.cookie = cookie
        self.username = username
        self.user: dict[str, Any] = {}

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.cookie:
            headers["Cookie"] = f"{COOKIE}={self.cookie}"
        self.client.cookies.clear()
        try:
            return await self.client.request(method, _api(url), headers=headers, **kwargs)
        finally:
            self.client.cookies.clear()

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("GET", url, **kw)

    async def post(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("POST", url, **kw)

    async def patch(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("PATCH", url, **kw)

    async def put(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("PUT", url, **kw)

    async def delete(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("DELETE", url, **kw)

    async def ok(self, method: str, url: str, status: int | tuple[int, ...] = (200, 201, 204), **kw: Any) -> Any:
        """Make a request that must succeed; return its JSON (or None)."""
        r = await self.request(method, url, **kw)
        statuses = (status,) if isinstance(status, int) else status
        assert r.status_code in statuses, f"{method} {url} -> {r.status_code}: {r.text}"
        return r.json() if r.content else None


def _api(url: str) -> str:
    return url if url.startswith(("/api/", "/schema", "http")) or url == "/" else "/api/v1" + url


_credit_seq = 0


def credit_code() -> str:
    """A fresh, valid unified social credit code."""
    global _credit_seq
    _credit_seq += 1
    return make_credit_code(f"5137021{_credit_seq:010d}")


class Api:
    """The test's view of the service: a committee account, helpers to add more users and things."""

    def __init__(self, client: AsyncTestClient[Litestar], settings: Settings, clock: ManualClock) -> None:
        self.client = client
        self.settings = settings
        self.clock = clock
        self.anon = As(client, None)
        self.committee: As = self.anon
        self._alliances: dict[str, int] = {}
        self._seq = 0

    async def bootstrap(self) -> None:
        """Create the committee account directly (the one account nobody can create through the API)."""
        engine = create_engine(self.settings.database_url)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as db, writing(db):
                await ensure_account(db, username="committee", password=PASSWORD, role=Role.COMMITTEE)
        finally:
            await engine.dispose()
        self.committee = await self.login("committee")

    async def login(self, username: str, password: str = PASSWORD) -> As:
        self.client.cookies.clear()
        r = await self.client.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        cookie = r.cookies.get(COOKIE)
        self.client.cookies.clear()
        assert cookie
        who = As(self.client, cookie, username)
        who.user = r.json()
        return who

    def seq(self) -> int:
        self._seq += 1
        return self._seq

    async def alliance_id(self, code: str) -> int:
        if not self._alliances:
            for a in await self.anon.ok("GET", "/alliances"):
                self._alliances[a["code"]] = a["id"]
        return self._alliances[code]

    async def community(self, name: str | None = None) -> dict[str, Any]:
        n = self.seq()
        street = await self.committee.ok("POST", "/streets", json={"name": f"街道{n}"})
        return await self.committee.ok(
            "POST", "/communities", json={"name": name or f"社区{n}", "street_id": street["id"]}
        )

    async def org(self, alliance: str = "new-orgs", **fields: Any) -> dict[str, Any]:
        n = self.seq()
        body = {
            "name": f"测试社会组织{n}",
            "credit_code": credit_code(),
            "alliance_id": await self.alliance_id(alliance),
            "categories": ["elderly_care"],
            "resident": True,
        } | fields
        return await self.committee.ok("POST", "/organizations", json=body)

    async def user(self, role: str, **fields: Any) -> As:
        n = self.seq()
        username = fields.pop("username", f"{role}{n}")
        await self.committee.ok(
            "POST", "/users", json={"username": username, "password": PASSWORD, "role": role} | fields
        )
        return await self.login(username)

    async def org_member(self, alliance: str = "new-orgs", **org_fields: Any) -> As:
        org = await self.org(alliance, **org_fields)
        member = await self.user("org", organization_id=org["id"])
        member.user["org"] = org
        return member

    def later(self, **delta: float) -> datetime:
        return self.clock.now() + timedelta(**delta)
