"""No input, however malformed, produces a 5xx: every bad request to the task and proposal endpoints gets a 4xx
problem-details answer and writes nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from market.kernel.db import create_engine
from market.models import (
    Attachment,
    AuditEntry,
    Notification,
    Proposal,
    ProposalMember,
    Task,
    TaskAmendment,
    TaskQuestion,
)
from tests.factories import PROBLEM_JSON, Api, As, draft_proposal, draft_task, posted_task, task_body

HUGE = 10**30
NUL = "a\x00b"


@dataclass
class Case:
    """One malformed request: who sends it, where, and what."""

    name: str
    method: str
    url: str
    who: str = "committee"
    kw: dict[str, Any] = field(default_factory=dict)
    # Undecodable bytes in a query string are read with replacement characters: a search for them is not an error.
    tolerated: bool = False


def raw(body: str | bytes, content_type: str = "application/json") -> dict[str, Any]:
    """Send the bytes as they are, with the given content type."""
    return {"content": body.encode() if isinstance(body, str) else body, "headers": {"content-type": content_type}}


async def row_counts(api: Api) -> dict[str, int]:
    """How many rows each table that these endpoints write to holds."""
    engine = create_engine(api.settings.database_url)
    try:
        async with async_sessionmaker(engine)() as db:
            return {
                model.__tablename__: int(await db.scalar(select(func.count()).select_from(model)) or 0)
                for model in (
                    Task,
                    TaskQuestion,
                    TaskAmendment,
                    Proposal,
                    ProposalMember,
                    Attachment,
                    AuditEntry,
                    Notification,
                )
            }
    finally:
        await engine.dispose()


async def assert_all_refused(api: Api, cases: list[Case], actors: dict[str, As], ids: dict[str, int]) -> None:
    """Send every case; each must be a 4xx problem; together they must write nothing."""
    before = await row_counts(api)
    failures: list[str] = []
    for case in cases:
        r = await actors[case.who].request(case.method, case.url.format(**ids), **case.kw)
        why = ""
        if case.tolerated and r.status_code < 400:
            continue
        if not 400 <= r.status_code < 500:
            why = f"status {r.status_code}"
        elif not r.headers.get("content-type", "").startswith(PROBLEM_JSON):
            why = f"content-type {r.headers.get('content-type')}"
        else:
            body = r.json()
            if body.get("status") != r.status_code or not all(body.get(k) for k in ("type", "title", "detail")):
                why = "not a problem-details body"
        if why:
            failures.append(f"{case.name}: {case.method} {case.url} -> {why}: {r.text[:300]}")
    assert not failures, "\n".join(failures)
    assert await row_counts(api) == before


def task_cases(api: Api) -> list[Case]:
    good = task_body(api)

    def create(name: str, **changes: Any) -> Case:
        return Case(name, "POST", "/tasks", kw={"json": good | changes})

    return [
        Case("invalid json", "POST", "/tasks", kw=raw('{"title": "老年助餐",')),
        Case("json array", "POST", "/tasks", kw=raw("[]")),
        Case("json null", "POST", "/tasks", kw=raw("null")),
        Case("empty body", "POST", "/tasks", kw=raw("")),
        Case("not json at all", "POST", "/tasks", kw=raw(b"\xff\xfe\x00garbage")),
        Case("form instead of json", "POST", "/tasks", kw=raw("title=x", "application/x-www-form-urlencoded")),
        Case("empty object", "POST", "/tasks", kw={"json": {}}),
        create("unknown field", is_admin=True),
        create("budget as text", budget_fen="五万元"),
        create("budget as float", budget_fen=1.5),
        create("budget huge", budget_fen=HUGE),
        create("budget negative", budget_fen=-100),
        create("budget zero", budget_fen=0),
        create("budget as bool", budget_fen=True),
        create("allow_joint as text", allow_joint="yes"),
        create("alliances as string", alliances="new-orgs"),
        create("alliances empty", alliances=[]),
        create("alliances unknown", alliances=["mars"]),
        create("alliances too many", alliances=["new-orgs", "volunteers", "legal", "media", "new-orgs"]),
        create("category unknown", category="space"),
        create("funding mode unknown", funding_mode="gift"),
        create("deadline naive", claim_deadline="2026-04-01T10:00:00"),
        create("deadline not a date", claim_deadline="next tuesday"),
        create("deadline year 1 east of utc", claim_deadline="0001-01-01T00:00:00+08:00"),
        create("deadline year 9999 west of utc", claim_deadline="9999-12-31T23:59:59-08:00"),
        create("title with NUL", title=NUL),
        create("description with NUL", description=NUL),
        create("title with newline", title="第一行\n第二行"),
        create("title too long", title="长" * 101),
        create("title empty", title=""),
        Case("title lone surrogate", "POST", "/tasks", kw=raw(json.dumps(good)[:-1] + ', "title": "\\ud800"}')),
        create("posting unit as list", posting_unit=["虎山路街道"]),
        create("community id huge", community_ids=[HUGE]),
        create("community id negative", community_ids=[-1]),
        create("community id unknown", community_ids=[99_999]),
        create("need id huge", need_ids=[HUGE]),
        create("need id unknown", need_ids=[99_999]),
        create("rubric maximum huge", rubric=[{"name": "专业能力", "maximum": HUGE}]),
        create("rubric maximum zero", rubric=[{"name": "专业能力", "maximum": 0}, {"name": "其他", "maximum": 100}]),
        create("rubric name NUL", rubric=[{"name": NUL, "maximum": 100}]),
        create("rubric name blank", rubric=[{"name": "   ", "maximum": 100}]),
        create("rubric duplicate names", rubric=[{"name": "专业", "maximum": 50}, {"name": "专业", "maximum": 50}]),
        create("rubric empty", rubric=[]),
        create("rubric not a list", rubric={"专业能力": 100}),
        create("rubric too long", rubric=[{"name": f"项{i}", "maximum": 10} for i in range(11)]),
        create("rubric extra key", rubric=[{"name": "专业能力", "maximum": 100, "weight": 1}]),
        Case("patch invalid json", "PATCH", "/tasks/{draft}", kw=raw("{")),
        Case("patch unknown field", "PATCH", "/tasks/{draft}", kw={"json": {"status": "posted"}}),
        Case("patch budget huge", "PATCH", "/tasks/{draft}", kw={"json": {"budget_fen": HUGE}}),
        Case("patch title NUL", "PATCH", "/tasks/{draft}", kw={"json": {"title": NUL}}),
        Case("patch title null", "PATCH", "/tasks/{draft}", kw={"json": {"title": None}}),
        Case(
            "patch deadline overflow",
            "PATCH",
            "/tasks/{draft}",
            kw={"json": {"claim_deadline": "0001-01-01T00:00+01:00"}},
        ),
        Case("patch missing task", "PATCH", "/tasks/99999999", kw={"json": {"title": "新"}}),
        Case("cancel no body", "POST", "/tasks/{posted}/cancel"),
        Case("cancel reason null", "POST", "/tasks/{posted}/cancel", kw={"json": {"reason": None}}),
        Case("cancel reason number", "POST", "/tasks/{posted}/cancel", kw={"json": {"reason": 42}}),
        Case("cancel reason NUL", "POST", "/tasks/{posted}/cancel", kw={"json": {"reason": NUL + "原因"}}),
        Case("cancel reason too long", "POST", "/tasks/{posted}/cancel", kw={"json": {"reason": "因" * 2001}}),
        Case("amend without reason", "POST", "/tasks/{posted}/amendments", kw={"json": {"title": "新标题"}}),
        Case(
            "amend category (not amendable)",
            "POST",
            "/tasks/{posted}/amendments",
            kw={"json": {"reason": "改类别", "category": "culture"}},
        ),
        Case(
            "amend budget huge",
            "POST",
            "/tasks/{posted}/amendments",
            kw={"json": {"reason": "调整预算", "budget_fen": HUGE}},
        ),
        Case(
            "amend deadline overflow",
            "POST",
            "/tasks/{posted}/amendments",
            kw={"json": {"reason": "调整截止", "claim_deadline": "9999-12-31T23:59:59-12:00"}},
        ),
        Case("amend changes nothing", "POST", "/tasks/{posted}/amendments", kw={"json": {"reason": "无变化"}}),
        Case("question NUL", "POST", "/tasks/{posted}/questions", who="org", kw={"json": {"question": "\x00\x00"}}),
        Case("question empty", "POST", "/tasks/{posted}/questions", who="org", kw={"json": {"question": ""}}),
        Case("question number", "POST", "/tasks/{posted}/questions", who="org", kw={"json": {"question": 5}}),
        Case("question invalid json", "POST", "/tasks/{posted}/questions", who="org", kw=raw("{'q': 1}")),
        Case(
            "answer huge question id",
            "POST",
            "/tasks/{posted}/questions/99999999999999999999/answer",
            kw={"json": {"answer": "答"}},
        ),
        Case(
            "answer unknown question", "POST", "/tasks/{posted}/questions/99999/answer", kw={"json": {"answer": "答"}}
        ),
        Case("answer NUL", "POST", "/tasks/{posted}/questions/1/answer", kw={"json": {"answer": NUL}}),
        Case("post huge id", "POST", "/tasks/99999999999999999999/post"),
        Case("post negative id", "POST", "/tasks/-1/post"),
        Case("post missing task", "POST", "/tasks/99999999/post"),
        Case("repost a draft", "POST", "/tasks/{draft}/repost"),
    ]


def read_cases() -> list[Case]:
    paths = [
        "/tasks/99999999999999999999",
        "/tasks/-1",
        "/tasks/0",
        "/tasks/abc",
        "/tasks/1.5",
        "/tasks/%00",
        "/tasks/1e3",
        "/tasks/9007199254740993",
        "/tasks/99999999999999999999/questions",
        "/tasks/99999999999999999999/proposals",
        "/tasks/-5/proposals",
        "/proposals/99999999999999999999",
        "/proposals/-1",
        "/proposals/0",
        "/proposals/mine",  # anonymous
        "/proposals/{proposal}/attachments/99999999999999999999",
        "/proposals/{proposal}/attachments/-1",
        "/proposals/99999999999999999999/attachments/1",
    ]
    queries: list[dict[str, Any]] = [
        {"limit": 0},
        {"limit": 101},
        {"limit": HUGE},
        {"limit": "ten"},
        {"offset": -1},
        {"offset": HUGE},
        {"status": "bogus"},
        {"status": ""},
        {"category": "space"},
        {"community_id": HUGE},
        {"community_id": -3},
        {"community_id": "x"},
        {"q": "长" * 101},
        {"q": NUL},
        {"alliance": "x" * 21},
        {"alliance": NUL},
        {"status": "draft"},  # drafts are the committee's
    ]
    cases = [Case(f"GET {p}", "GET", p, who="anon") for p in paths]
    cases += [Case(f"list {q}", "GET", "/tasks", who="anon", kw={"params": q}) for q in queries]
    cases.append(Case("invalid utf-8 in query", "GET", "/tasks?q=%ff%fe", who="anon", tolerated=True))
    cases.append(Case("invalid utf-8 in path", "GET", "/tasks/%ff", who="anon"))
    return cases


def proposal_cases() -> list[Case]:
    def claim(name: str, body: Any) -> Case:
        return Case(name, "POST", "/tasks/{open}/proposals", who="org", kw={"json": body})

    def edit(name: str, body: Any) -> Case:
        return Case(name, "PATCH", "/proposals/{proposal}", who="org", kw={"json": body})

    good = {"requested_budget_fen": 100, "strengths": "强", "work_plan": "计划", "expected_results": "效果"}
    garbage_multipart = raw(
        b"--xyz\r\nContent-Disposition: form-data\r\n\r\nnonsense", "multipart/form-data; boundary=xyz"
    )
    return [
        Case("claim invalid json", "POST", "/tasks/{open}/proposals", who="org", kw=raw("{")),
        Case("claim empty body", "POST", "/tasks/{open}/proposals", who="org", kw=raw("")),
        claim("claim empty object", {}),
        claim("claim budget huge", good | {"requested_budget_fen": HUGE}),
        claim("claim budget negative", good | {"requested_budget_fen": -5}),
        claim("claim budget as text", good | {"requested_budget_fen": "一百"}),
        claim("claim budget above task", good | {"requested_budget_fen": 10**12}),
        claim("claim partner id huge", good | {"partner_ids": [HUGE]}),
        claim("claim partner id zero", good | {"partner_ids": [0]}),
        claim("claim partner unknown", good | {"partner_ids": [99_999]}),
        claim("claim too many partners", good | {"partner_ids": list(range(1, 12))}),
        claim("claim partners as string", good | {"partner_ids": "1,2"}),
        claim("claim strengths NUL", good | {"strengths": NUL}),
        claim("claim work plan too long", good | {"work_plan": "长" * 20_001}),
        claim("claim unknown field", good | {"status": "submitted"}),
        claim("claim lead as partner field", good | {"lead_org_id": 1}),
        Case("claim on missing task", "POST", "/tasks/99999999/proposals", who="org", kw={"json": good}),
        Case("claim on huge task id", "POST", "/tasks/99999999999999999999/proposals", who="org", kw={"json": good}),
        Case("claim on a draft", "POST", "/tasks/{draft}/proposals", who="org", kw={"json": good}),
        edit("edit invalid types", {"requested_budget_fen": [1]}),
        edit("edit budget huge", {"requested_budget_fen": HUGE}),
        edit("edit NUL", {"expected_results": NUL}),
        edit("edit unknown field", {"task_id": 2}),
        edit("edit partners when joint is off", {"partner_ids": [1]}),
        Case("edit invalid json", "PATCH", "/proposals/{proposal}", who="org", kw=raw("[")),
        Case("edit huge id", "PATCH", "/proposals/99999999999999999999", who="org", kw={"json": {}}),
        Case(
            "invitation answer as text",
            "POST",
            "/proposals/{proposal}/invitation",
            who="org",
            kw={"json": {"accept": "yes"}},
        ),
        Case("invitation empty", "POST", "/proposals/{proposal}/invitation", who="org", kw={"json": {}}),
        Case(
            "lead answers own invitation",
            "POST",
            "/proposals/{proposal}/invitation",
            who="org",
            kw={"json": {"accept": True}},
        ),
        Case("submit huge id", "POST", "/proposals/99999999999999999999/submit", who="org"),
        Case("withdraw negative id", "POST", "/proposals/-1/withdraw", who="org"),
        Case(
            "qualification as text",
            "POST",
            "/proposals/{proposal}/qualification",
            kw={"json": {"qualified": "no", "reason": "不合格"}},
        ),
        Case(
            "qualification before deadline",
            "POST",
            "/proposals/{proposal}/qualification",
            kw={"json": {"qualified": True}},
        ),
        Case("attach garbage multipart", "POST", "/proposals/{proposal}/attachments", who="org", kw=garbage_multipart),
        Case(
            "attach multipart without boundary",
            "POST",
            "/proposals/{proposal}/attachments",
            who="org",
            kw=raw(b"garbage", "multipart/form-data"),
        ),
        Case(
            "attach truncated multipart",
            "POST",
            "/proposals/{proposal}/attachments",
            who="org",
            kw=raw(
                b'--b\r\nContent-Disposition: form-data; name="data"; filename="a.pdf"\r\n\r\n%PDF-1.4',
                "multipart/form-data; boundary=b",
            ),
        ),
        Case(
            "attach a text field instead of a file",
            "POST",
            "/proposals/{proposal}/attachments",
            who="org",
            kw={"data": {"data": "%PDF-1.4 not a file"}},
        ),
        Case(
            "attach under another field name",
            "POST",
            "/proposals/{proposal}/attachments",
            who="org",
            kw={"files": {"file": ("a.pdf", b"%PDF-1.4\n", "application/pdf")}},
        ),
        Case(
            "attach with thousands of parts",
            "POST",
            "/proposals/{proposal}/attachments",
            who="org",
            kw=raw(
                b"".join(b'--b\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nx\r\n' % i for i in range(2000))
                + b"--b--\r\n",
                "multipart/form-data; boundary=b",
            ),
        ),
        Case("attach json", "POST", "/proposals/{proposal}/attachments", who="org", kw={"json": {"data": "x"}}),
        Case(
            "attach without a file name",
            "POST",
            "/proposals/{proposal}/attachments",
            who="org",
            kw={"files": {"data": ("", b"%PDF-1.4\n", "application/pdf")}},
        ),
        Case(
            "attach a name of dots",
            "POST",
            "/proposals/{proposal}/attachments",
            who="org",
            kw={"files": {"data": ("../..", b"%PDF-1.4\n", "application/pdf")}},
        ),
        Case(
            "attach to huge id",
            "POST",
            "/proposals/99999999999999999999/attachments",
            who="org",
            kw={"files": {"data": ("a.pdf", b"%PDF-1.4\n", "application/pdf")}},
        ),
        Case("detach huge id", "DELETE", "/proposals/{proposal}/attachments/99999999999999999999", who="org"),
        Case("detach missing", "DELETE", "/proposals/{proposal}/attachments/99999", who="org"),
    ]


async def _fixtures(api: Api) -> tuple[dict[str, As], dict[str, int]]:
    org = await api.org_member()
    draft = await draft_task(api)
    posted = await posted_task(api, budget_fen=1_000_000)
    p = await draft_proposal(org, posted["id"], requested_budget_fen=100)
    # Open to joint claims, and the organisation has no proposal on it yet: claims get past the first checks.
    open_task = await posted_task(api, budget_fen=1_000_000, allow_joint=True)
    actors = {"committee": api.committee, "org": org, "anon": api.anon}
    return actors, {"draft": draft["id"], "posted": posted["id"], "proposal": p["id"], "open": open_task["id"]}


async def test_malformed_task_requests_get_a_4xx_problem_and_write_nothing(api: Api) -> None:
    actors, ids = await _fixtures(api)
    await assert_all_refused(api, task_cases(api), actors, ids)


async def test_malformed_reads_get_a_4xx_problem(api: Api) -> None:
    actors, ids = await _fixtures(api)
    await assert_all_refused(api, read_cases(), actors, ids)


async def test_malformed_proposal_requests_get_a_4xx_problem_and_write_nothing(api: Api) -> None:
    actors, ids = await _fixtures(api)
    await assert_all_refused(api, proposal_cases(), actors, ids)


async def test_a_lone_surrogate_in_raw_json_is_refused(api: Api) -> None:
    actors, ids = await _fixtures(api)
    body = '{"requested_budget_fen": 100, "strengths": "x", "work_plan": "\\udc00"}'
    cases = [
        Case("claim lone surrogate", "POST", "/tasks/{open}/proposals", who="org", kw=raw(body)),
        Case(
            "question lone surrogate",
            "POST",
            "/tasks/{posted}/questions",
            who="org",
            kw=raw('{"question": "\\ud83d?"}'),
        ),
    ]
    await assert_all_refused(api, cases, actors, ids)


async def test_deeply_nested_json_is_refused_not_a_server_error(api: Api) -> None:
    actors, ids = await _fixtures(api)
    deep = "[" * 1000 + "]" * 1000
    cases = [
        Case("nested task", "POST", "/tasks", kw=raw('{"title": ' + deep + "}")),
        Case("nested claim", "POST", "/tasks/{open}/proposals", who="org", kw=raw('{"strengths": ' + deep + "}")),
    ]
    await assert_all_refused(api, cases, actors, ids)
