"""The permission matrix (issue 10, item 10): every route of the app, each actor, the expected outcome.

How a status is read. A request is *refused* when it answers 401, 403 or 404 (a sealed or someone else's record
is hidden as missing), or when a page sends the visitor to /login. Anything else below 500 is *let through*: 200,
201, 204 and 303 are, and so are 409 (the actor may do this, just not in the object's present state) and 400/422
(the actor reached the rules about the input). Refused or let through is what the table states for each actor;
exact success codes belong to each feature's own tests. No actor gets a 5xx anywhere.

Why that split, and how the world survives the writes. Every write is sent with a body the operation would accept,
so a refusal reflects who asks, not what was sent. The refused actors of a row go first and must change nothing;
the allowed ones go last and may really do it (cancel, withdraw, award…). The table is ordered so that reads come
before the writes and each destructive write aims at an object no later row needs in its earlier state (see the
world's `spare_*` objects). Rebuilding or rolling back per row would cost seconds a row; this costs none.

A route with no row fails the test, and so does a row for a route that no longer exists.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from tests.conftest import database_independent
from tests.factories import (
    Api,
    class_body,
    credit_code,
    draft_proposal,
    draft_task,
    marks_for,
    mobile,
    month_ahead,
    need_body,
    org_service,
    park_service,
    posted_task,
    secretary,
    submitted_proposal,
)
from tests.permission_matrix import ACTORS, CHAIR, ROWS, Row

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
# Litestar's CSRF middleware reads the token from this header when a form does not carry it.
CSRF_HEADER = "x-csrftoken"
SKIPPED_PREFIXES = ("/static/",)


class Actor:
    """One visitor with a cookie jar of their own: the session (unless anonymous) and a CSRF token for forms."""

    def __init__(self, name: str, client: AsyncTestClient[Litestar], session: str | None) -> None:
        self.name = name
        self.client = client
        self.jar: dict[str, str] = {"jiebang_session": session} if session else {}

    async def prepare(self) -> None:
        """Open the home page once, as a browser would, for the CSRF cookie the forms need."""
        r = await self.request("GET", "/")
        assert r.status_code == 200, r.text[:300]
        self.jar.update({c.name: c.value for c in r.cookies.jar if c.name.endswith("csrf")})

    async def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        headers = dict(kw.pop("headers", {}) or {})
        csrf = next((v for k, v in self.jar.items() if k.endswith("csrf")), None)
        if csrf and not url.startswith("/api/"):
            headers[CSRF_HEADER] = csrf
        # The jar goes in the Cookie header, which takes precedence over the shared client's own jar: actors'
        # requests may then run side by side. An anonymous visitor sends an empty one, so nobody's cookies leak in.
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        return await self.client.request(method, url, headers=headers, follow_redirects=False, **kw)


@dataclass
class World:
    """The objects every row addresses, by name, and the actors."""

    ids: dict[str, Any] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)
    # Requests side by side at most: a few keep the machine busy, and stay well inside the app's connection pool.
    in_flight: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(4))


async def build_world(api: Api) -> World:
    """One district with every kind of object a route can address, built through the API."""
    w = World()
    ids = w.ids
    c = api.committee
    this_community = await api.community()
    other_community = await api.community()
    sec_this = await secretary(api, this_community)
    sec_other = await secretary(api, other_community)
    org_this = await api.org_member()
    org_other = await api.org_member()
    ev_on = await api.user("evaluator")
    ev_off = await api.user("evaluator")
    spare_user = await api.user("org", organization_id=org_other.user["org"]["id"])
    ids |= {
        "community": this_community["id"],
        "org": org_this.user["org"]["id"],
        "org_other": org_other.user["org"]["id"],
        "spare_user": spare_user.user["id"],
        # Placed on the watch list and lifted by the rows that do so, touching no organisation another row claims with.
        "spare_org": (await api.org())["id"],
        "alliance": "new-orgs",
        "username": org_this.username,
    }

    async def claimed_task(**fields: Any) -> tuple[int, int, int]:
        task = await posted_task(api, **fields)
        mine = await submitted_proposal(org_this, task["id"])
        theirs = await submitted_proposal(org_other, task["id"])
        await c.ok("PUT", f"/tasks/{task['id']}/panel", json={"user_ids": [ev_on.user["id"]]})
        return task["id"], mine["id"], theirs["id"]

    # Before the deadline: tasks that will be in review, awarded, and become projects.
    ids["task_review"], ids["proposal_review"], ids["proposal_review_other"] = await claimed_task()
    ids["task_award"], award_mine, _ = await claimed_task()
    ids["task_spare_award"], spare_mine, _ = await claimed_task()
    ids["task_project"], project_mine, _ = await claimed_task(category="finance_education")
    api.clock.advance(days=11)
    for task in ("task_review", "task_award", "task_spare_award", "task_project"):
        for p in await c.ok("GET", f"/tasks/{ids[task]}/proposals"):
            await c.ok("POST", f"/proposals/{p['id']}/qualification", json={"qualified": True})
    for task in ("task_award", "task_spare_award", "task_project"):
        for p in await c.ok("GET", f"/tasks/{ids[task]}/proposals"):
            top = p["id"] in (award_mine, spare_mine, project_mine)
            await ev_on.ok("PUT", f"/proposals/{p['id']}/scores", json={"marks": marks_for("90" if top else "80")})
    await c.ok("POST", f"/tasks/{ids['task_project']}/award", json={"proposal_id": project_mine})
    api.clock.advance(days=api.settings.notice_days, seconds=1)
    await c.ok("POST", "/tick")
    projects = await api.anon.ok("GET", "/projects", params={"organization_id": ids["org"]})
    ids["project"] = projects["items"][0]["id"]
    award = await c.ok("POST", f"/tasks/{ids['task_award']}/award", json={"proposal_id": award_mine})
    ids["award"] = award["id"]
    objection = {"name": "赵六", "contact": "13900000000", "grounds": "评分过程未公开说明"}
    ids["objection"] = (await api.anon.ok("POST", f"/awards/{ids['award']}/objections", json=objection))["id"]
    spare_award = await c.ok("POST", f"/tasks/{ids['task_spare_award']}/award", json={"proposal_id": spare_mine})
    ids["spare_award"] = spare_award["id"]
    for name in ("spare_objection", "spare_objection2"):
        ids[name] = (await api.anon.ok("POST", f"/awards/{spare_award['id']}/objections", json=objection))["id"]

    # The project's work: a milestone, a night class in this community with a resident's sign-up.
    pid = ids["project"]
    ids["milestone"] = (
        await org_this.ok("POST", f"/projects/{pid}/milestones", json={"title": "需求摸底", "due_on": "2026-06-30"})
    )["id"]
    night = await org_this.ok("POST", f"/projects/{pid}/classes", json=class_body(api, this_community["id"]))
    ids["class"] = night["id"]
    receipt = await api.anon.ok("POST", f"/classes/{night['id']}/signups", json={"name": "居民甲", "phone": mobile(1)})
    ids["signup"], ids["token"] = receipt["id"], receipt["token"]
    for n, suffix in enumerate(("", "2", "3", "4", "5"), start=2):
        body = {"name": "居民乙", "phone": mobile(n)}
        spare = await api.anon.ok("POST", f"/classes/{night['id']}/signups", json=body)
        ids["spare_signup" + suffix], ids["spare_token" + suffix] = spare["id"], spare["token"]

    # Claims open now: a posted task with this organisation's draft (with an attachment) and a question; a draft task.
    posted = await posted_task(api, allow_joint=True)
    ids["task_posted"] = posted["id"]
    ids["proposal_draft"] = (await draft_proposal(org_this, posted["id"]))["id"]
    attachment = await org_this.ok(
        "POST", f"/proposals/{ids['proposal_draft']}/attachments", files={"data": ("plan.pdf", PDF)}
    )
    ids["attachment"] = attachment["id"]
    for name in ("spare_attachment", "spare_attachment2"):
        spare_attachment = await org_this.ok(
            "POST", f"/proposals/{ids['proposal_draft']}/attachments", files={"data": (f"{name}.pdf", PDF)}
        )
        ids[name] = spare_attachment["id"]
    ids["question"] = (
        await org_other.ok("POST", f"/tasks/{posted['id']}/questions", json={"question": "是否包含节假日?"})
    )["id"]
    ids["task_draft"] = (await draft_task(api))["id"]
    ids["task_spare_cancel"] = (await posted_task(api))["id"]
    for name in ("proposal_spare", "proposal_spare2"):
        spare_task = await posted_task(api)
        ids[name] = (await submitted_proposal(org_this, spare_task["id"]))["id"]

    # Needs, services, an order of this community on this organisation's service, an ordering meeting.
    ids["need"] = (await sec_this.ok("POST", "/needs", json=need_body(api)))["id"]
    for name in ("spare_need", "spare_need2"):
        ids[name] = (await sec_this.ok("POST", "/needs", json=need_body(api)))["id"]
    ids["org_need"] = (await org_this.ok("POST", "/needs", json=need_body(api)))["id"]
    ids["offering"] = (await org_service(org_this, api))["id"]
    ids["park_offering"] = (await park_service(api))["id"]
    month = month_ahead(api)
    ids["month"] = month
    for name in ("order", "spare_order", "spare_order2", "order_to_deliver"):
        order = await sec_this.ok("POST", f"/services/{ids['offering']}/orders", json={"service_month": month})
        ids[name] = order["id"]
    await org_this.ok("POST", f"/orders/{ids['order_to_deliver']}/accept")
    meeting = {
        "title": "五月点单会",
        "starts_at": api.later(days=3).isoformat(),
        "ends_at": api.later(days=3, hours=2).isoformat(),
        "offering_ids": [ids["park_offering"]],
    }
    ids["meeting"] = (await c.ok("POST", "/meetings", json=meeting))["id"]
    application = {
        "name": "青岛李沧区阳光助老服务中心",
        "alliance_id": await api.alliance_id("volunteers"),
        "categories": ["elderly_care"],
        "resident": False,
        "description": "为辖区老人提供助餐、陪伴服务",
        "contact_name": "王芳",
        "contact_phone": "13812345678",
    }
    for name in ("application", "spare_application", "spare_application2"):
        body = application | {"credit_code": credit_code(), "name": f"阳光助老服务中心{name}"}
        ids[name] = (await api.anon.ok("POST", "/organizations/applications", json=body))["id"]
    ids["application_body"] = application | {"credit_code": credit_code()}
    ids["org_credit_code"] = credit_code()
    # A chair rotation, so that the chair's reads and activities have terms to answer from.
    await c.ok("PUT", "/chair", json=CHAIR)

    # Points (积分): entries the secretary proposed for the signed-up resident: one approved and posted, with two
    # objections; spares still proposed, for the review writes. And the organisation's statement code.
    async def proposed() -> int:
        body = {"rule": "class_attended", "evidence": "夜校签到表", "phone": mobile(1), "name": "居民甲"}
        return int((await sec_this.ok("POST", "/points/entries", json=body))["id"])

    lodged = {"name": "李四", "grounds": "当晚并未到场"}
    for entry, objections in (("point_entry", "point_objection spare_point_objection"), ("point_entry2", "3 4")):
        ids[entry] = await proposed()
        await c.ok("POST", f"/points/entries/{ids[entry]}/approve")
        for name in objections.split():
            made = await api.anon.ok("POST", f"/points/entries/{ids[entry]}/objections", json=lodged)
            ids[name if "point" in name else "spare_point_objection" + name] = made["id"]
    for n in ("", "2", "3", "4", "5", "6", "7"):
        ids["spare_point_entry" + n] = await proposed()
    ids["points_code"] = (await org_this.ok("GET", "/points/statement"))["code"]
    ids |= {
        "lang": "en",
        "schema_page": "openapi.json",
        "ev_on_id": ev_on.user["id"],
        "deadline": api.later(days=10).isoformat(),
        "class_start": api.later(days=7).isoformat(),
        "meeting_start": api.later(days=4).isoformat(),
        "meeting_end": api.later(days=4, hours=2).isoformat(),
        "street": this_community["street_id"],
    }
    inbox = await org_this.ok("GET", "/inbox")
    ids["notification"] = inbox["items"][0]["id"]

    cookies = {
        "anon": None,
        "resident": None,
        "committee": c.cookie,
        "ev_on": ev_on.cookie,
        "ev_off": ev_off.cookie,
        "sec_this": sec_this.cookie,
        "sec_other": sec_other.cookie,
        "org_this": org_this.cookie,
        "org_other": org_other.cookie,
    }
    assert set(cookies) == set(ACTORS)
    for name, cookie in cookies.items():
        w.actors[name] = Actor(name, api.client, cookie)
        await w.actors[name].prepare()
    return w


def app_routes(app: Litestar) -> set[tuple[str, str]]:
    """Every (method, path) the app answers, static files and automatic OPTIONS/HEAD left out."""
    out = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(SKIPPED_PREFIXES):
            continue
        out |= {(m, route.path) for m in route.methods if m not in {"OPTIONS", "HEAD"}}
    return out


def refused(r: httpx.Response) -> bool:
    """401/403/404, or a page sending the visitor to sign in."""
    if r.status_code in {401, 403, 404}:
        return True
    return r.status_code in {302, 303, 307} and r.headers.get("location", "").startswith("/login")


PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def url_of(row: Row, ids: dict[str, Any], actor: str) -> str:
    def fill(m: re.Match[str]) -> str:
        return str(ids[row.params.get(m.group(1), m.group(1))])

    url = PARAM.sub(fill, row.path)
    if row.query is not None:
        url += "?" + row.query(ids, actor)
    return url


async def run_cell(row: Row, w: World, name: str) -> str | None:
    """Send the row's request as one actor; say what did not match the table, if anything."""
    kw = row.body(w.ids, name) if row.body else {}
    expect_allowed = name in row.allowed
    if not expect_allowed and row.method == "POST" and not row.path.startswith("/api/"):
        # A form with a confirmation step only shows it until `confirm=yes`: the refused must be refused the act.
        kw["data"] = dict(kw.get("data") or {}) | {"confirm": "yes"}
    async with w.in_flight:
        r = await w.actors[name].request(row.method, url_of(row, w.ids, name), **kw)
    where = f"{row.method} {row.path} as {name}: {r.status_code}"
    if r.status_code >= 500:
        return f"{where} {r.text[:200]}"
    if refused(r) == expect_allowed:
        return f"{where}, expected {'let through' if expect_allowed else 'refused'}: {r.text[:160]}"
    if name in row.hidden_from and _listed(r):
        return f"{where}, expected an empty list: {r.text[:160]}"
    return None


async def run_row(row: Row, w: World) -> list[str]:
    """Send the row's request as every actor; return what did not match the table.

    The refused go first and side by side (they must change nothing); then the allowed, one after another for a
    write (the second may meet what the first did), side by side for a read.
    """
    actors = [a for a in ACTORS if row.resident_link or a != "resident"]
    refused_ones = [a for a in actors if a not in row.allowed]
    allowed = [a for a in actors if a in row.allowed]
    outcomes = list(await asyncio.gather(*(run_cell(row, w, a) for a in refused_ones)))
    if row.stage == 0:
        outcomes += await asyncio.gather(*(run_cell(row, w, a) for a in allowed))
    else:
        outcomes += [await run_cell(row, w, a) for a in allowed]
    return [o for o in outcomes if o]


async def run_matrix(w: World) -> list[str]:
    """Every row: the reads side by side (they change nothing), then the writes in the table's order."""
    reads = await asyncio.gather(*(run_row(r, w) for r in ROWS if r.stage == 0))
    problems = [p for found in reads for p in found]
    for row in ROWS:
        if row.stage > 0:
            problems += await run_row(row, w)
    return problems


def _listed(r: httpx.Response) -> bool:
    """Whether a list answer shows anything (a bare list or a page with `items`)."""
    body = r.json()
    items = body.get("items") if isinstance(body, dict) else body
    return bool(items)


@database_independent
def test_every_route_has_a_row_and_every_row_a_route(app: Litestar) -> None:
    """The app's routes are the same whichever database serves it: one app (SQLite's) says what they are."""
    routes = app_routes(app)
    rows = {(r.method, r.path) for r in ROWS}
    assert len(rows) == len(ROWS), "a route has two rows"
    missing = sorted(routes - rows, key=lambda mp: (mp[1], mp[0]))
    gone = sorted(rows - routes, key=lambda mp: (mp[1], mp[0]))
    assert not missing, "routes without a row in tests/permission_matrix.py:\n" + "\n".join(map(str, missing))
    assert not gone, "rows for routes that no longer exist:\n" + "\n".join(map(str, gone))


def test_a_resident_without_their_link_is_anonymous() -> None:
    """The matrix sends the resident only where a sign-up link counts; everywhere else they must fare as anon."""
    differ = [r.path for r in ROWS if not r.resident_link and ("resident" in r.allowed) != ("anon" in r.allowed)]
    assert not differ, differ


async def test_each_actor_is_refused_or_let_through_as_the_matrix_says_and_nothing_fails(api: Api) -> None:
    w = await build_world(api)
    problems = await run_matrix(w)
    assert not problems, f"{len(problems)} cells differ from the matrix:\n" + "\n".join(problems)
    # The matrix's writes leave the lists in step (the autouse check runs after this); its last rows signed out.
    await (await api.login("committee")).ok("POST", "/tick")
