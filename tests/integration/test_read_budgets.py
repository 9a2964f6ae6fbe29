"""Every public read asks the database a fixed number of statements, however much history is stored.

One table names every public GET route (API and pages) with the statements it may run; the test fills a small
district, counts each route's statements, grows every kind of row severalfold (more tasks, proposals, projects,
classes, sign-ups, needs, services, orders, meetings, questions on the same task, sign-ups on the same class),
counts again, and asserts the two counts are equal and within the budget. A count that grows with the rows is an
N+1; a public route missing from the table fails the test, so a new read cannot escape the rule.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar
from litestar.routes import HTTPRoute
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import (
    COOKIE,
    Api,
    As,
    finance_project,
    mobile,
    night_class,
    org_service,
    park_service,
    placed_order,
    posted_task,
    raised_need,
    secretary,
    sign_up,
    submitted_proposal,
)
from tests.statements import statements


@dataclass
class District:
    """The rows the table's URLs point at: the first of each kind, which the growth adds around and onto."""

    committee: As
    secretary: As
    ids: dict[str, Any] = field(default_factory=dict)
    phone_seq: int = 0


async def _one_of_everything(api: Api, d: District) -> None:
    """A round of rows of every kind a public read shows; the first round's ids are the ones the table reads."""
    community_id = d.secretary.user["community"]["id"]
    need = await raised_need(d.secretary, api)
    # Far off, so that the first task takes questions in every round.
    deadline = api.later(days=300).isoformat()
    task = await posted_task(api, need_ids=[need["id"]], community_ids=[community_id], claim_deadline=deadline)
    asker = await api.org_member()
    await submitted_proposal(asker, task["id"])
    first_task = d.ids.setdefault("task", task["id"])
    question = await asker.ok("POST", f"/tasks/{first_task}/questions", status=201, json={"question": "可否分期执行？"})
    await api.committee.ok(
        "POST", f"/tasks/{first_task}/questions/{question['id']}/answer", status=200, json={"answer": "可以。"}
    )
    organiser, project = await finance_project(api)
    d.ids.setdefault("project", project["id"])
    d.ids.setdefault("project_task", project["task_id"])
    d.ids.setdefault("org", organiser.user["org"]["id"])
    d.ids.setdefault("need", need["id"])
    award = await api.anon.ok("GET", f"/tasks/{project['task_id']}/award")
    d.ids.setdefault("award", award["id"])
    proposals = await api.committee.ok("GET", f"/tasks/{project['task_id']}/proposals")
    d.ids.setdefault("proposal", proposals[0]["id"])
    # Far off too, so that the first class takes sign-ups in every round.
    session = await night_class(
        api, organiser, project["id"], community_id=community_id, starts_at=api.later(days=200).isoformat()
    )
    first_class = d.ids.setdefault("class", session["id"])
    for cls in {session["id"], first_class}:
        for _ in range(2):
            d.phone_seq += 1
            receipt = await sign_up(api, cls, d.phone_seq)
            d.ids.setdefault("signup", receipt["id"])
            d.ids.setdefault("token", receipt["token"])
    s1 = await park_service(api)
    s2 = await org_service(organiser, api)
    d.ids.setdefault("service", s1["id"])
    await placed_order(api, d.secretary, s1["id"])
    await placed_order(api, d.secretary, s2["id"])
    meeting = await api.committee.ok(
        "POST",
        "/meetings",
        status=201,
        json={
            "title": f"社区书记点单会{api.seq()}",
            "starts_at": api.later(hours=1).isoformat(),
            "ends_at": api.later(hours=3).isoformat(),
            "offering_ids": [s1["id"], s2["id"]],
        },
    )
    d.ids.setdefault("meeting", meeting["id"])
    await api.committee.ok(
        "POST", "/chair/activities", status=201, json={"title": f"联合主题党日{api.seq()}", "held_on": "2026-03-05"}
    )
    # Points: the first resident's and the first organisation's histories grow by an approved entry each round.
    for holder in ({"phone": mobile(1), "name": "居民甲"}, {"organization_id": d.ids["org"]}):
        rule = "class_attended" if "phone" in holder else "order_rated_well"
        body = {"rule": rule, "evidence": "签到表与评价记录"} | holder
        entry = await d.secretary.ok("POST", "/points/entries", status=201, json=body)
        await api.committee.ok("POST", f"/points/entries/{entry['id']}/approve", status=200)
        d.ids.setdefault("point_entry", entry["id"])
    d.ids.setdefault("points_code", (await organiser.ok("GET", "/points/statement"))["code"])
    # The watch list: the first organisation's stays on it grow by one each round, the newest still open.
    watch = f"/organizations/{d.ids['org']}/watch-list"
    await api.committee.ok("POST", f"{watch}/lift", status=(200, 409), json={"reason": "核查完毕"})
    await api.committee.ok("POST", watch, status=201, json={"reason": "按期核查"})
    # Up-reviews: three more of the committee a round, so that its aggregate (and its comments) shows from the first.
    for n in range(3):
        order = await placed_order(api, d.secretary, s1["id"])
        await api.committee.ok("POST", f"/orders/{order['id']}/accept", status=200)
        await d.secretary.ok("POST", f"/orders/{order['id']}/deliver", status=200)
        rating = {"unit": "committee", "clarity": 4, "timeliness": 3, "fairness": 5, "comment": f"意见{api.seq()}"}
        await d.secretary.ok("POST", f"/orders/{order['id']}/up-reviews", status=201, json=rating | {"clarity": n + 3})


@dataclass(frozen=True)
class Read:
    """One public read: its URL in the district, its statement budget, who asks and the status it answers."""

    url: Callable[[dict[str, Any]], str]
    budget: int
    # A visitor, or the committee for the reads that show a visitor nothing (sealed proposals); signed in, the
    # session and the account are looked up too.
    who: str = "anon"
    status: int = 200


# Every public GET route. The budgets are what each runs today, the per-request check for time-due transitions
# (market.flows.anything_due) and SQLite's BEGIN included; lower one when a read gets leaner.
BUDGETS: dict[str, Read] = {
    "/": Read(lambda _: "/", 8),
    "/lang/{code:str}": Read(lambda _: "/lang/en?next=/tasks", 0, status=303),
    "/login": Read(lambda _: "/login", 0),
    "/favicon.ico": Read(lambda _: "/favicon.ico", 0),
    "/healthz": Read(lambda _: "/healthz", 0),
    "/readyz": Read(lambda _: "/readyz", 2),
    "/tasks": Read(lambda _: "/tasks?status=posted&category=elderly_care&alliance=new-orgs&q=%E8%80%81&page=1", 5),
    "/tasks/{task_id:int}": Read(lambda d: f"/tasks/{d['task']}", 7),
    "/tasks/{task_id:int}/dossier": Read(lambda d: f"/tasks/{d['project_task']}/dossier", 5),
    "/projects": Read(lambda _: "/projects", 6),
    "/projects/{project_id:int}": Read(lambda d: f"/projects/{d['project']}", 13),
    "/classes": Read(lambda _: "/classes", 7),
    "/classes/{class_id:int}": Read(lambda d: f"/classes/{d['class']}", 6),
    "/signups/{signup_id:int}": Read(lambda d: f"/signups/{d['signup']}?token={d['token']}", 5),
    "/signups/lost": Read(lambda _: "/signups/lost", 0),
    "/signups/{signup_id:int}/cancel": Read(lambda d: f"/signups/{d['signup']}/cancel?token={d['token']}", 3),
    "/signups/{signup_id:int}/erase": Read(lambda d: f"/signups/{d['signup']}/erase?token={d['token']}", 3),
    "/alliances": Read(lambda _: "/alliances", 7),
    "/alliances/calendar": Read(lambda _: "/alliances/calendar", 4),
    # An organisation's record: one more statement for its watch-list history (its bars are read from what it has).
    "/organizations/{org_id:int}": Read(lambda d: f"/organizations/{d['org']}", 10),
    "/needs": Read(lambda _: "/needs", 4),
    "/needs/{need_id:int}": Read(lambda d: f"/needs/{d['need']}", 6),
    "/services": Read(lambda _: "/services?q=%E5%9F%B9%E8%AE%AD", 5),
    "/meetings": Read(lambda _: "/meetings", 6),
    "/meetings/{meeting_id:int}": Read(lambda d: f"/meetings/{d['meeting']}", 6),
    "/stats": Read(lambda _: "/stats", 15),
    # Up-reviews: each unit's yearly sums, then the published units' comments.
    "/up-reviews": Read(lambda _: "/up-reviews", 4),
    "/apply": Read(lambda _: "/apply", 4),
    "/apply/thanks": Read(lambda _: "/apply/thanks", 0),
    "/api-docs": Read(lambda _: "/api-docs", 0),
    "/api/v1/tasks": Read(
        lambda _: "/api/v1/tasks?status=posted&category=elderly_care&alliance=new-orgs&q=%E8%80%81&limit=20", 4
    ),
    "/api/v1/tasks/{task_id:int}": Read(lambda d: f"/api/v1/tasks/{d['task']}", 5),
    "/api/v1/tasks/{task_id:int}/questions": Read(lambda d: f"/api/v1/tasks/{d['task']}/questions", 4),
    # The committee reading proposals is an audited read: +4 (end the read, lock the audit head, insert every
    # entry in one statement, move the head), however many proposals it reads.
    "/api/v1/tasks/{task_id:int}/proposals": Read(
        lambda d: f"/api/v1/tasks/{d['project_task']}/proposals", 14, who="committee"
    ),
    "/api/v1/proposals/{proposal_id:int}": Read(lambda d: f"/api/v1/proposals/{d['proposal']}", 14, who="committee"),
    "/api/v1/proposals/{proposal_id:int}/attachments/{attachment_id:int}": Read(
        lambda d: f"/api/v1/proposals/{d['proposal']}/attachments/1", 10, who="committee", status=404
    ),
    "/api/v1/tasks/{task_id:int}/award": Read(lambda d: f"/api/v1/tasks/{d['project_task']}/award", 14),
    "/api/v1/tasks/{task_id:int}/awards": Read(lambda d: f"/api/v1/tasks/{d['project_task']}/awards", 14),
    "/api/v1/tasks/{task_id:int}/dossier": Read(lambda d: f"/api/v1/tasks/{d['project_task']}/dossier", 5),
    "/api/v1/awards/{award_id:int}": Read(lambda d: f"/api/v1/awards/{d['award']}", 14),
    "/api/v1/projects": Read(lambda _: "/api/v1/projects", 7),
    "/api/v1/projects/{project_id:int}": Read(lambda d: f"/api/v1/projects/{d['project']}", 9),
    "/api/v1/projects/{project_id:int}/classes": Read(lambda d: f"/api/v1/projects/{d['project']}/classes", 8),
    "/api/v1/organizations/{org_id:int}/record": Read(lambda d: f"/api/v1/organizations/{d['org']}/record", 8),
    "/api/v1/classes": Read(lambda _: "/api/v1/classes", 6),
    "/api/v1/classes/{class_id:int}": Read(lambda d: f"/api/v1/classes/{d['class']}", 6),
    "/api/v1/classes/{class_id:int}/signups": Read(lambda d: f"/api/v1/classes/{d['class']}/signups", 6),
    "/api/v1/signups/{signup_id:int}": Read(lambda d: f"/api/v1/signups/{d['signup']}?token={d['token']}", 3),
    "/api/v1/needs": Read(lambda _: "/api/v1/needs", 4),
    "/api/v1/needs/{need_id:int}": Read(lambda d: f"/api/v1/needs/{d['need']}", 5),
    "/api/v1/services": Read(lambda _: "/api/v1/services?q=%E5%9F%B9%E8%AE%AD", 5),
    "/api/v1/services/{offering_id:int}": Read(lambda d: f"/api/v1/services/{d['service']}", 4),
    "/api/v1/meetings": Read(lambda _: "/api/v1/meetings", 6),
    "/api/v1/meetings/{meeting_id:int}": Read(lambda d: f"/api/v1/meetings/{d['meeting']}", 6),
    "/api/v1/stats": Read(lambda _: "/api/v1/stats", 12),
    "/api/v1/up-reviews": Read(lambda _: "/api/v1/up-reviews", 4),
    "/points": Read(lambda _: "/points", 6),
    "/points/table": Read(lambda _: "/points/table", 4),
    "/points/verify": Read(lambda d: f"/points/verify?code={d['points_code']}", 3),
    "/points/entries/{entry_id:int}": Read(lambda d: f"/points/entries/{d['point_entry']}", 4),
    "/signups/{signup_id:int}/points": Read(lambda d: f"/signups/{d['signup']}/points?token={d['token']}", 6),
    "/signups/{signup_id:int}/points/statement": Read(
        lambda d: f"/signups/{d['signup']}/points/statement?token={d['token']}", 5
    ),
    "/api/v1/points/rules": Read(lambda _: "/api/v1/points/rules", 3),
    "/api/v1/points/rules/versions": Read(lambda _: "/api/v1/points/rules/versions", 3),
    "/api/v1/points/entries": Read(lambda _: "/api/v1/points/entries?status=posted", 5),
    "/api/v1/points/entries/{entry_id:int}": Read(lambda d: f"/api/v1/points/entries/{d['point_entry']}", 4),
    "/api/v1/points/table": Read(lambda _: "/api/v1/points/table", 4),
    "/api/v1/points/verify": Read(lambda d: f"/api/v1/points/verify?code={d['points_code']}", 3),
    "/api/v1/organizations/{org_id:int}/points": Read(lambda d: f"/api/v1/organizations/{d['org']}/points", 6),
    "/api/v1/signups/{signup_id:int}/points": Read(
        lambda d: f"/api/v1/signups/{d['signup']}/points?token={d['token']}", 6
    ),
    "/api/v1/signups/{signup_id:int}/points/statement": Read(
        lambda d: f"/api/v1/signups/{d['signup']}/points/statement?token={d['token']}", 5
    ),
    # Open data: a task's releases and record, and a page of every task's records (the whole history of each).
    "/api/v1/ocds/tasks/{task_id:int}/releases": Read(lambda d: f"/api/v1/ocds/tasks/{d['project_task']}/releases", 16),
    "/api/v1/ocds/tasks/{task_id:int}/record": Read(lambda d: f"/api/v1/ocds/tasks/{d['project_task']}/record", 16),
    "/api/v1/ocds/records": Read(lambda _: "/api/v1/ocds/records?limit=100", 17),
    # The exports read from a session of their own, in batches of 500 (one batch here; a long list is held to its
    # batch count in tests/integration/test_exports.py).
    "/api/v1/needs.csv": Read(lambda _: "/api/v1/needs.csv?status=open", 5),
    "/api/v1/needs.xlsx": Read(lambda _: "/api/v1/needs.xlsx?status=open", 5),
    "/api/v1/services.csv": Read(lambda _: "/api/v1/services.csv?q=%E5%9F%B9%E8%AE%AD", 6),
    "/api/v1/services.xlsx": Read(lambda _: "/api/v1/services.xlsx", 6),
    "/api/v1/projects.csv": Read(lambda _: "/api/v1/projects.csv", 8),
    "/api/v1/projects.xlsx": Read(lambda _: "/api/v1/projects.xlsx", 8),
    "/api/v1/stats.csv": Read(lambda _: "/api/v1/stats.csv", 4),
    "/api/v1/stats.xlsx": Read(lambda _: "/api/v1/stats.xlsx", 4),
    "/api/v1/alliances": Read(lambda _: "/api/v1/alliances", 4),
    "/api/v1/alliances/{code:str}": Read(lambda _: "/api/v1/alliances/new-orgs", 5),
    "/api/v1/streets": Read(lambda _: "/api/v1/streets", 3),
    "/api/v1/communities": Read(lambda _: "/api/v1/communities", 3),
    "/api/v1/organizations": Read(lambda _: "/api/v1/organizations", 3),
    "/api/v1/organizations/{org_id:int}": Read(lambda d: f"/api/v1/organizations/{d['org']}", 3),
    "/api/v1/chair": Read(lambda _: "/api/v1/chair", 3),
    "/api/v1/chair/on": Read(lambda _: "/api/v1/chair/on?date=2026-03-05", 3),
    "/api/v1/chair/activities": Read(lambda _: "/api/v1/chair/activities", 3),
}


def public_reads(app: Litestar) -> set[str]:
    """Every GET route a visitor may call: excluded from sign-in and not a static file or the schema."""
    return {
        r.path
        for r in app.routes
        if isinstance(r, HTTPRoute)
        for h in r.route_handlers
        if "GET" in h.http_methods and h.opt.get("exclude_from_auth") and not r.path.startswith(("/static", "/schema"))
    }


async def _count_all(api: Api, d: District) -> dict[str, tuple[int, int]]:
    """Each route's (status, statement count), after one untimed request lets any due catch-up happen."""
    engine: AsyncEngine = api.client.app.state.alchemy.get_engine()
    await api.anon.get("/api/v1/tasks")
    counts: dict[str, tuple[int, int]] = {}
    for route, read in BUDGETS.items():
        headers = {"Cookie": f"{COOKIE}={d.committee.cookie}"} if read.who == "committee" else {}
        api.client.cookies.clear()
        with statements(engine) as seen:
            r = await api.client.get(read.url(d.ids), headers=headers, follow_redirects=False)
        if os.environ.get("SHOW_SQL"):
            print(route, r.status_code, *seen, sep="\n  ")
        counts[route] = (r.status_code, len(seen))
    return counts


async def test_every_public_read_has_a_statement_budget(api: Api) -> None:
    assert public_reads(api.client.app) == set(BUDGETS)


async def test_public_reads_run_a_fixed_number_of_statements_however_many_rows(api: Api) -> None:
    d = District(committee=api.committee, secretary=await secretary(api))
    terms = [{"alliance_code": "new-orgs", "starts_on": "2026-01-01", "ends_on": "2026-12-31"}]
    await api.committee.ok("PUT", "/chair", json={"terms": terms})
    await _one_of_everything(api, d)
    few = await _count_all(api, d)
    for _ in range(2):
        await _one_of_everything(api, d)
    many = await _count_all(api, d)
    for route, read in BUDGETS.items():
        assert few[route][0] == many[route][0] == read.status, (route, few[route], many[route])
        assert few[route][1] == many[route][1], (
            f"{route}: {few[route][1]} statements with few rows, {many[route][1]} with many"
        )
        assert few[route][1] <= read.budget, f"{route}: {few[route][1]} statements, budget {read.budget}"
