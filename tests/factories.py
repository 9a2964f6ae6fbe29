"""Drive the HTTP API as several users at once; build common fixtures through the API or, where HTTP is not what a
test is about, through the same services the API calls.

The committee's register (organisations, streets, communities, accounts) and signing in are made through the services
the routes call (in one transaction, audited, answered in the API's own JSON) whenever the suite lends the app's engine
(`direct`); over the live server of tests/e2e they go through the API as before. `Api.login` is always the real route:
tests about signing in use it."""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias, TypeVar

import httpx
import msgspec
from litestar import Litestar
from litestar.serialization import encode_json
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from alliances import schemas as alliance_schemas
from alliances import services as alliance_services
from alliances.credit_code import make_credit_code
from market.controllers._tasks import detail as task_detail
from market.flows import catch_up
from market.kernel.clock import ManualClock
from market.kernel.db import create_engine, row_clock, writing
from market.models import Alliance, Role, User, UserSession
from market.schemas._accounts import User as UserOut
from market.schemas._accounts import UserCreate
from market.schemas._tasks import TaskCreate
from market.security import _ISSUED, DatabaseSessionBackend
from market.services import accounts, tasks
from market.services._accounts import ensure_account
from market.settings import Settings

PASSWORD = "correct horse battery"
COOKIE = "jiebang_session"
T = TypeVar("T")
# Runs `work(engine)` with the engine of the app under test, on the loop its connections belong to (tests/conftest.py).
Direct: TypeAlias = Callable[[Callable[[AsyncEngine], Awaitable[Any]]], Any]


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


def _json(answer: Any) -> Any:
    """An answer as the API sends it (Litestar's own encoder), read back as the test client would read it."""
    return msgspec.json.decode(encode_json(answer))


S = TypeVar("S")


def _body(body: dict[str, Any], schema: type[S]) -> S:
    """A request body checked against its schema as the API checks it (unknown fields, types, constraints)."""
    return msgspec.json.decode(msgspec.json.encode(body), type=schema, strict=True)


async def _catch_up(db: AsyncSession, now: datetime) -> None:
    """What every request does before it reads: store the changes time has made due (market.flows.catch_up)."""
    await catch_up(db, now)
    if db.in_transaction():
        await db.commit()


_credit_seq = 0


def credit_code() -> str:
    """A fresh, valid unified social credit code."""
    global _credit_seq
    _credit_seq += 1
    return make_credit_code(f"5137021{_credit_seq:010d}")


async def make_committee(engine: AsyncEngine) -> None:
    """The committee's account, made directly: the one account nobody can create through the API."""
    async with async_sessionmaker(engine, expire_on_commit=False)() as db, writing(db):
        await ensure_account(db, username="committee", password=PASSWORD, role=Role.COMMITTEE)


class Api:
    """The test's view of the service: a committee account, helpers to add more users and things."""

    def __init__(
        self,
        client: AsyncTestClient[Litestar],
        settings: Settings,
        clock: ManualClock,
        direct: Direct | None = None,
    ) -> None:
        self.client = client
        self.settings = settings
        self.clock = clock
        self.direct = direct
        self.anon = As(client, None)
        self.committee: As = self.anon
        self._alliances: dict[str, int] = {}
        self._seq = 0

    async def database(self, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
        """`work(engine)` straight on the database: through the app's engine where the suite lends one, else its own."""
        if self.direct is not None:
            result: T = self.direct(work)
            return result
        engine = create_engine(self.settings.database_url)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    async def bootstrap(self) -> None:
        """Create the committee account directly (the one account nobody can create through the API), signed in."""

        await self.database(make_committee)
        self.committee = await self._signed_in("committee")

    async def login(self, username: str, password: str = PASSWORD) -> As:
        """Sign in through the real route (`POST /auth/login`)."""
        self.client.cookies.clear()
        r = await self.client.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        cookie = r.cookies.get(COOKIE)
        self.client.cookies.clear()
        assert cookie
        who = As(self.client, cookie, username)
        who.user = r.json()
        return who

    async def _signed_in(self, username: str, password: str = PASSWORD, user: dict[str, Any] | None = None) -> As:
        """Signed in as the route signs in, without its HTTP round trip: the audited check of the password
        (`accounts.authenticate`, which writes the `login` entry) and a session row as the session backend stores it;
        the row's id is the cookie. Through the API itself when the suite lends no engine (tests/e2e)."""
        if self.direct is None:
            return await self.login(username, password)
        now = self.clock.now()

        async def sign_in(engine: AsyncEngine) -> tuple[str, dict[str, Any]]:
            row_clock.set(self.clock.now)  # as the app does for each request: new rows carry its clock's time
            async with async_sessionmaker(engine, expire_on_commit=False)() as db:
                await _catch_up(db, now)
                account = await accounts.authenticate(db, username, password, now=now)
                assert account is not None, f"{username} cannot sign in"
                session_id = secrets.token_hex(32)
                data = DatabaseSessionBackend.serialize_data({"user_id": account.id, _ISSUED: time.time()})
                expires_at = datetime.now(UTC) + timedelta(seconds=self.settings.session_max_age)
                async with writing(db):
                    db.add(UserSession(session_id=session_id, data=data, expires_at=expires_at))
                return session_id, user or _json(UserOut.of(account))

        cookie, body = await self.database(sign_in)
        who = As(self.client, cookie, username)
        who.user = body
        return who

    async def _as_committee(
        self,
        work: Callable[[AsyncSession, User], Awaitable[Any]],
        then: Callable[[AsyncSession, User, Any], Awaitable[Any]] | None = None,
    ) -> dict[str, Any]:
        """`work(db, committee)` in one write transaction, as the committee's request would run it (time's due changes
        stored first); its answer (or, after the commit, `then(db, committee, what work made)`) as the API's JSON.
        Only where the suite lends the app's engine (`direct`)."""
        now = self.clock.now()
        committee_id = self.committee.user["id"]

        async def run(engine: AsyncEngine) -> dict[str, Any]:
            row_clock.set(self.clock.now)  # as the app does for each request: new rows carry its clock's time
            async with async_sessionmaker(engine, expire_on_commit=False)() as db:
                await _catch_up(db, now)
                async with writing(db):
                    actor = await db.get(User, committee_id)
                    assert actor is not None
                    answer = await work(db, actor)
                if then is not None:
                    answer = await then(db, actor, answer)
                return _json(answer)

        result: dict[str, Any] = await self.database(run)
        return result

    def seq(self) -> int:
        self._seq += 1
        return self._seq

    async def alliance_id(self, code: str) -> int:
        if not self._alliances:
            if self.direct is None:
                for a in await self.anon.ok("GET", "/alliances"):
                    self._alliances[a["code"]] = a["id"]
            else:

                async def read(engine: AsyncEngine) -> dict[str, int]:
                    async with async_sessionmaker(engine)() as db:
                        return {c: i for c, i in await db.execute(select(Alliance.code, Alliance.id))}

                self._alliances.update(await self.database(read))
        return self._alliances[code]

    async def community(self, name: str | None = None) -> dict[str, Any]:
        n = self.seq()
        street_in = {"name": f"街道{n}"}
        if self.direct is None:
            street = await self.committee.ok("POST", "/streets", json=street_in)
            body = {"name": name or f"社区{n}", "street_id": street["id"]}
            return await self.committee.ok("POST", "/communities", json=body)
        now = self.clock.now()

        async def add(db: AsyncSession, actor: User) -> alliance_schemas.Community:
            made = await alliance_services.create_street(
                db, _body(street_in, alliance_schemas.StreetCreate), actor=actor, now=now
            )
            body = _body({"name": name or f"社区{n}", "street_id": made.id}, alliance_schemas.CommunityCreate)
            community = await alliance_services.create_community(db, body, actor=actor, now=now)
            return alliance_schemas.Community.of(community)

        return await self._as_committee(add)

    async def org(self, alliance: str = "new-orgs", **fields: Any) -> dict[str, Any]:
        n = self.seq()
        body = {
            "name": f"测试社会组织{n}",
            "credit_code": credit_code(),
            "alliance_id": await self.alliance_id(alliance),
            "categories": ["elderly_care"],
            "resident": True,
        } | fields
        if self.direct is None:
            return await self.committee.ok("POST", "/organizations", json=body)
        data = _body(body, alliance_schemas.OrganizationCreate)
        now = self.clock.now()

        async def add(db: AsyncSession, actor: User) -> alliance_schemas.Organization:
            org = await alliance_services.create_organization(db, data, actor=actor, now=now)
            return alliance_schemas.Organization.of(org, reveal_phone=True)

        return await self._as_committee(add)

    async def user(self, role: str, **fields: Any) -> As:
        n = self.seq()
        username = fields.pop("username", f"{role}{n}")
        body = {"username": username, "password": PASSWORD, "role": role} | fields
        if self.direct is None:
            await self.committee.ok("POST", "/users", json=body)
            return await self.login(username)
        data = _body(body, UserCreate)
        now = self.clock.now()

        async def add(db: AsyncSession, actor: User) -> UserOut:
            return UserOut.of(await accounts.create_user(db, data, actor=actor, now=now))

        made = await self._as_committee(add)
        return await self._signed_in(username, data.password, made)

    async def org_member(self, alliance: str = "new-orgs", **org_fields: Any) -> As:
        org = await self.org(alliance, **org_fields)
        member = await self.user("org", organization_id=org["id"])
        member.user["org"] = org
        return member

    def later(self, **delta: float) -> datetime:
        return self.clock.now() + timedelta(**delta)


# Tasks and proposals ------------------------------------------------------------------------------------------

PROBLEM_JSON = "application/problem+json"


def problem(r: httpx.Response, status: int, *, field: str | None = None) -> dict[str, Any]:
    """Assert the response is an RFC 9457 problem with this status (and, for bad input, this field); return it."""
    assert r.status_code == status, f"expected {status}, got {r.status_code}: {r.text}"
    assert r.headers["content-type"].startswith(PROBLEM_JSON), r.headers["content-type"]
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    if field is not None:
        assert body.get("field") == field, body
    return body


def task_body(api: Api, **overrides: Any) -> dict[str, Any]:
    """A valid TaskCreate body, deadline ten days ahead, open to the new-organisations alliance."""
    n = api.seq()
    return {
        "title": f"老年助餐服务{n}",
        "description": "为辖区独居老人提供助餐与探访服务",
        "category": "elderly_care",
        "posting_unit": "虎山路街道",
        "budget_fen": 5_000_000,
        "funding_mode": "service_purchase",
        "claim_deadline": api.later(days=10).isoformat(),
        "alliances": ["new-orgs"],
    } | overrides


def _task_as_committee_sees_it(api: Api) -> Callable[[AsyncSession, User, int], Awaitable[Any]]:
    """The task as the committee's request answers it (the route's own `detail`)."""

    async def answer(db: AsyncSession, committee: User, task_id: int) -> Any:
        return await task_detail(db, task_id, committee, api.clock)

    return answer


async def draft_task(api: Api, **overrides: Any) -> dict[str, Any]:
    """A draft task made by the committee (through the service `POST /tasks` calls, where the suite lends an engine)."""
    body = task_body(api, **overrides)
    if api.direct is None:
        return await api.committee.ok("POST", "/tasks", status=201, json=body)
    data = _body(body, TaskCreate)

    async def create(db: AsyncSession, committee: User) -> int:
        return (await tasks.create_task(db, data, actor=committee, now=api.clock.now())).id

    return await api._as_committee(create, _task_as_committee_sees_it(api))


async def posted_task(api: Api, **overrides: Any) -> dict[str, Any]:
    """A task the committee has drafted and posted (as `POST /tasks/{id}/post` posts it)."""
    task = await draft_task(api, **overrides)
    if api.direct is None:
        return await api.committee.ok("POST", f"/tasks/{task['id']}/post", status=200)

    async def post(db: AsyncSession, committee: User) -> int:
        await tasks.post_task(db, task["id"], actor=committee, now=api.clock.now())
        return int(task["id"])

    return await api._as_committee(post, _task_as_committee_sees_it(api))


def proposal_body(**overrides: Any) -> dict[str, Any]:
    """A complete ProposalCreate body."""
    return {
        "requested_budget_fen": 4_000_000,
        "strengths": "十年助老服务经验,专职社工八名",
        "work_plan": "每日两餐上门配送,每周一次探访",
        "expected_results": "覆盖独居老人120名,满意度95%以上",
    } | overrides


async def draft_proposal(member: As, task_id: int, **overrides: Any) -> dict[str, Any]:
    """A draft proposal by the member's organisation."""
    return await member.ok("POST", f"/tasks/{task_id}/proposals", status=201, json=proposal_body(**overrides))


async def submitted_proposal(member: As, task_id: int, **overrides: Any) -> dict[str, Any]:
    """A proposal drafted and submitted by the member's organisation."""
    p = await draft_proposal(member, task_id, **overrides)
    return await member.ok("POST", f"/proposals/{p['id']}/submit", status=200)


async def inbox_kinds(member: As) -> list[str]:
    """The kinds of the member's notifications, newest first."""
    inbox = await member.ok("GET", "/inbox", status=200)
    return [n["kind"] for n in inbox["items"]]


# Panels, scores, awards, projects -------------------------------------------------------------------------------

RUBRIC = ("专业能力", "工作思路", "预期效果", "预算合理性")
RUBRIC_MAXIMA = (30, 30, 25, 15)


def marks(*values: int | float | str) -> dict[str, Any]:
    """Marks for the default rubric, in its order (专业能力 30, 工作思路 30, 预期效果 25, 预算合理性 15)."""
    return dict(zip(RUBRIC, values, strict=True))


def marks_for(total: str, first: str | None = None) -> dict[str, str]:
    """Default-rubric marks adding up to `total`: the first criterion as given (or filled), the rest filled in order."""
    from decimal import Decimal

    left = Decimal(total)
    out: dict[str, str] = {}
    for i, (name, maximum) in enumerate(zip(RUBRIC, RUBRIC_MAXIMA, strict=True)):
        value = Decimal(first) if i == 0 and first is not None else min(Decimal(maximum), left)
        out[name] = str(value)
        left -= value
    assert left == 0, f"{total} does not fit the rubric with first={first}"
    return out


class Review:
    """A task past its claim deadline with qualified proposals (one per organisation) and a seated panel."""

    def __init__(self, task: dict[str, Any], orgs: list[As], proposals: list[dict[str, Any]], panel: list[As]) -> None:
        self.task = task
        self.orgs = orgs
        self.proposals = proposals
        self.panel = panel

    @property
    def task_id(self) -> int:
        return int(self.task["id"])

    def pid(self, index: int) -> int:
        return int(self.proposals[index]["id"])


async def task_in_review(
    api: Api,
    *,
    proposals: int = 2,
    panel: int = 3,
    member_of: dict[int, int] | None = None,
    qualify: bool = True,
    orgs: list[As] | None = None,
    **task_overrides: Any,
) -> Review:
    """Post a task, have `proposals` organisations submit (a minute apart), seat `panel` evaluators, pass the deadline
    and qualify every proposal. `member_of` maps a panel index to the proposal index whose lead organisation that
    evaluator belongs to (so they are recused from it); `orgs` reuses organisation members instead of making new ones.
    """
    task = await posted_task(api, **task_overrides)
    orgs = list(orgs or [])
    orgs += [await api.org_member() for _ in range(proposals - len(orgs))]
    submitted = []
    for member in orgs:
        submitted.append(await submitted_proposal(member, task["id"]))
        api.clock.advance(minutes=1)
    evaluators = []
    for i in range(panel):
        fields: dict[str, Any] = {}
        if member_of and i in member_of:
            fields["organization_id"] = orgs[member_of[i]].user["org"]["id"]
        evaluators.append(await api.user("evaluator", **fields))
    await api.committee.ok(
        "PUT", f"/tasks/{task['id']}/panel", status=200, json={"user_ids": [e.user["id"] for e in evaluators]}
    )
    api.clock.advance(days=11)
    if qualify:
        for p in submitted:
            await api.committee.ok("POST", f"/proposals/{p['id']}/qualification", status=200, json={"qualified": True})
    return Review(task, orgs, submitted, evaluators)


async def score_all(review: Review, table: list[list[dict[str, Any] | None]]) -> None:
    """`table[i][j]` is panel member j's marks for proposal i (None: leave it, e.g. when recused)."""
    for i, row in enumerate(table):
        for j, given in enumerate(row):
            if given is not None:
                await review.panel[j].ok("PUT", f"/proposals/{review.pid(i)}/scores", status=200, json={"marks": given})


async def scored_review(api: Api, totals: list[list[str]], **kwargs: Any) -> Review:
    """A review whose panel has scored every proposal: `totals[i][j]` is member j's total for proposal i."""
    review = await task_in_review(api, proposals=len(totals), panel=len(totals[0]), **kwargs)
    await score_all(review, [[marks_for(t) for t in row] for row in totals])
    return review


async def awarded_review(api: Api, **kwargs: Any) -> tuple[Review, dict[str, Any]]:
    """A scored review (proposal 0 on top) with proposal 0 awarded; returns the review and the award notice."""
    review = await scored_review(api, [["90", "88", "86"], ["80", "78", "76"]], **kwargs)
    notice = await api.committee.ok(
        "POST", f"/tasks/{review.task_id}/award", status=200, json={"proposal_id": review.pid(0)}
    )
    return review, notice


async def project_under_way(api: Api, **kwargs: Any) -> tuple[Review, dict[str, Any]]:
    """An award whose notice period has passed and been ticked: returns the review and the new project."""
    review, _ = await awarded_review(api, **kwargs)
    api.clock.advance(days=api.settings.notice_days, seconds=1)
    await api.committee.ok("POST", "/tick", status=200)
    page = await api.anon.ok("GET", "/projects", params={"organization_id": review.orgs[0].user["org"]["id"]})
    project = await api.anon.ok("GET", f"/projects/{page['items'][0]['id']}")
    return review, project


async def audit_trail(api: Api, entity: str, entity_id: int) -> list[tuple[str, str, str]]:
    """(action, before, after) of every audit entry about one thing, oldest first, read straight from the database."""
    from sqlalchemy import select

    from market.models import AuditEntry

    async def read(engine: AsyncEngine) -> list[tuple[str, str, str]]:
        async with async_sessionmaker(engine, expire_on_commit=False)() as db:
            rows = await db.execute(
                select(AuditEntry.action, AuditEntry.before, AuditEntry.after)
                .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
                .order_by(AuditEntry.id)
            )
            return [(a, b, c) for a, b, c in rows]

    return await api.database(read)


async def claims_kept(api: Api, task_id: int) -> int:
    """The task's stored claim count, read straight from the database: no reader sees it while claims are open."""
    from sqlalchemy import select

    from market.models import Task

    async def read(engine: AsyncEngine) -> int:
        async with async_sessionmaker(engine)() as db:
            return int(await db.scalar(select(Task.submitted_count).where(Task.id == task_id)) or 0)

    return await api.database(read)


# Night classes (金融夜校) ------------------------------------------------------------------------------------------


async def finance_project(api: Api, category: str = "finance_education") -> tuple[As, dict[str, Any]]:
    """An in-progress project (finance education unless told), built through the award flow with one proposal and a
    one-member panel; returns a member of its organisation (the classes' organiser) and the project."""
    task = await posted_task(api, category=category)
    organiser = await api.org_member()
    proposal = await submitted_proposal(organiser, task["id"])
    evaluator = await api.user("evaluator")
    await api.committee.ok("PUT", f"/tasks/{task['id']}/panel", status=200, json={"user_ids": [evaluator.user["id"]]})
    api.clock.advance(days=11)
    await api.committee.ok("POST", f"/proposals/{proposal['id']}/qualification", status=200, json={"qualified": True})
    await evaluator.ok("PUT", f"/proposals/{proposal['id']}/scores", status=200, json={"marks": marks_for("90")})
    await api.committee.ok("POST", f"/tasks/{task['id']}/award", status=200, json={"proposal_id": proposal["id"]})
    api.clock.advance(days=api.settings.notice_days, seconds=1)
    await api.committee.ok("POST", "/tick", status=200)
    page = await api.anon.ok("GET", "/projects", params={"organization_id": organiser.user["org"]["id"]})
    project = await api.anon.ok("GET", f"/projects/{page['items'][0]['id']}")
    assert (project["category"], project["status"]) == (category, "in_progress")
    return organiser, project


def class_body(api: Api, community_id: int, **overrides: Any) -> dict[str, Any]:
    """A valid ClassCreate body: 30 seats, starting in a week."""
    n = api.seq()
    return {
        "topic": f"防范电信诈骗第{n}讲",
        "community_id": community_id,
        "venue": "社区党群服务中心二楼",
        "starts_at": api.later(days=7).isoformat(),
        "seats": 30,
    } | overrides


async def night_class(
    api: Api, organiser: As, project_id: int, community_id: int | None = None, **overrides: Any
) -> dict[str, Any]:
    """A session scheduled by the organiser (in a new community unless one is given)."""
    if community_id is None:
        community_id = (await api.community())["id"]
    body = class_body(api, community_id, **overrides)
    return await organiser.ok("POST", f"/projects/{project_id}/classes", status=201, json=body)


def mobile(n: int) -> str:
    """The n-th distinct valid mainland mobile number (139 0000 0000 + n)."""
    return f"139{n:08d}"


async def sign_up(api: Api, class_id: int, n: int, name: str | None = None) -> dict[str, Any]:
    """A resident signs up with the n-th number; returns the receipt (with the one-time token)."""
    body = {"name": name or f"居民{n}", "phone": mobile(n)}
    return await api.anon.ok("POST", f"/classes/{class_id}/signups", status=201, json=body)


# Needs, the resource list and ordering (点单) ---------------------------------------------------------------------


async def secretary(api: Api, community: dict[str, Any] | None = None) -> As:
    """A secretary of the community (a new one unless given); `.user["community"]` is it."""
    community = community or await api.community()
    who = await api.user("secretary", community_id=community["id"])
    who.user["community"] = community
    return who


def month_ahead(api: Api, months: int = 0) -> str:
    """The Asia/Shanghai calendar month `months` after the clock's, as "YYYY-MM"."""
    from market.kernel.clock import local

    today = local(api.clock.now()).date()
    index = today.year * 12 + today.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def need_body(api: Api, **overrides: Any) -> dict[str, Any]:
    """A valid NeedCreate body."""
    n = api.seq()
    return {
        "title": f"独居老人助餐需求{n}",
        "description": "辖区独居老人三十余名,午餐无人照应",
        "category": "elderly_care",
    } | overrides


async def raised_need(who: As, api: Api, **overrides: Any) -> dict[str, Any]:
    """A need raised by a secretary (for their community) or an organisation member (for their organisation)."""
    return await who.ok("POST", "/needs", status=201, json=need_body(api, **overrides))


def service_body(api: Api, **overrides: Any) -> dict[str, Any]:
    """A valid OfferingCreate body: capacity 5 a month."""
    n = api.seq()
    return {
        "title": f"社会组织能力培训{n}",
        "description": "面向社区社会组织骨干的项目设计与财务管理培训",
        "category": "capacity_training",
        "monthly_capacity": 5,
        "target_groups": ["社区社会组织骨干", "志愿者"],
    } | overrides


async def park_service(api: Api, **overrides: Any) -> dict[str, Any]:
    """A park service (创新园) published by the committee."""
    return await api.committee.ok("POST", "/services", status=201, json=service_body(api, **overrides))


async def org_service(member: As, api: Api, **overrides: Any) -> dict[str, Any]:
    """An offering of the member's organisation."""
    return await member.ok("POST", "/services", status=201, json=service_body(api, **overrides))


async def placed_order(api: Api, who: As, offering_id: int, **overrides: Any) -> dict[str, Any]:
    """A secretary's order for this month (unless `service_month` is given)."""
    body = {"service_month": month_ahead(api)} | overrides
    return await who.ok("POST", f"/services/{offering_id}/orders", status=201, json=body)


async def order_total(api: Api, **params: Any) -> int:
    """How many orders there are, as the committee counts them."""
    page = await api.committee.ok("GET", "/orders", params={"limit": 1} | params)
    return int(page["total"])
