"""The permission matrix: every route of the app, and which actors it lets through (tests/integration/
test_permission_matrix.py reads this table; a route without a row fails there).

Actors: `anon` (nobody signed in); `resident` (no account, holding a sign-up's secret link); `committee`;
`ev_on` / `ev_off` (an evaluator on the panel of the task addressed / on no panel of it); `sec_this` / `sec_other`
(the secretary of the community the need, order or class belongs to / of another community); `org_this` /
`org_other` (a member of the organisation that owns the proposal, project, offering or class / of another one,
which also claims the same tasks).

Path parameters are filled from the test's world by name (`DEFAULTS`), or by the row's `params` where the row
needs another object (often a `spare_*` one, so that a destructive write does not change what later rows read).
Rows run in this order: reads, then writes, then the writes that end a session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ACTORS = ("anon", "resident", "committee", "ev_on", "ev_off", "sec_this", "sec_other", "org_this", "org_other")

ALL = frozenset(ACTORS)
SIGNED_IN = ALL - {"anon", "resident"}
COMMITTEE = frozenset({"committee"})
ORGS = frozenset({"org_this", "org_other"})
ORG_THIS = frozenset({"org_this"})
SECRETARIES = frozenset({"sec_this", "sec_other"})
SEC_THIS = frozenset({"sec_this"})
EVALUATORS = frozenset({"ev_on", "ev_off"})
EV_ON = frozenset({"ev_on"})
RESIDENT = frozenset({"resident"})
NOBODY: frozenset[str] = frozenset()
PASSWORD = "correct horse battery"  # tests.factories.PASSWORD, every account's

Body = Callable[[dict[str, Any], str], dict[str, Any]]

# Which world object a path parameter names, unless the row says otherwise.
DEFAULTS = {
    "task_id": "task_review",
    "proposal_id": "proposal_review",
    "award_id": "award",
    "objection_id": "objection",
    "project_id": "project",
    "class_id": "class",
    "signup_id": "signup",
    "org_id": "org",
    "need_id": "need",
    "offering_id": "offering",
    "order_id": "order",
    "meeting_id": "meeting",
    "notification_id": "notification",
    "user_id": "spare_user",
    "application_id": "application",
    "question_id": "question",
    "attachment_id": "attachment",
    "code": "alliance",
    "path": "schema_page",
}


@dataclass(frozen=True)
class Row:
    """One route: who it lets through, how to address it, what to send."""

    method: str
    path: str
    allowed: frozenset[str]
    params: dict[str, str] = field(default_factory=dict)
    body: Body | None = None
    query: Callable[[dict[str, Any], str], str] | None = None
    # Whether the route takes a sign-up's secret link; elsewhere the resident is simply anonymous and not sent.
    resident_link: bool = False
    # Actors let through who must see an empty list: the route filters what it shows rather than refusing.
    hidden_from: frozenset[str] = NOBODY
    # 0 reads, 1 writes, 2 writes that change what other rows address, 3 writes to the actor's own account, 4 signing
    # in and out (a sign-in starts a new session, so the actors' sessions end there).
    stage: int = 0

    def __post_init__(self) -> None:
        if self.stage == 0 and self.method != "GET":
            object.__setattr__(self, "stage", 1)
        merged = DEFAULTS | self.params
        object.__setattr__(self, "params", merged)


def as_json(make: Callable[[dict[str, Any]], dict[str, Any]]) -> Body:
    """The same JSON body for every actor."""
    return lambda ids, _actor: {"json": make(ids)}


def form(make: Callable[[dict[str, Any]], dict[str, str]]) -> Body:
    """The same form for every actor (without `confirm=yes`, a form with a confirmation step only shows it)."""
    return lambda ids, _actor: {"data": make(ids)}


def token(key: str) -> Callable[[dict[str, Any], str], str]:
    """The sign-up's secret token for the resident who holds it; a wrong one for everyone else."""
    return lambda ids, actor: "token=" + (ids[key] if actor == "resident" else "not-the-token-" + "0" * 20)


def token_body(key: str, as_form: bool = False) -> Body:
    def make(ids: dict[str, Any], actor: str) -> dict[str, Any]:
        value = ids[key] if actor == "resident" else "not-the-token-" + "0" * 20
        return {"data": {"token": value}} if as_form else {"json": {"token": value}}

    return make


def phone_of(actor: str, base: int) -> str:
    return f"139{base + ACTORS.index(actor):08d}"


def signup_body(as_form: bool) -> Body:
    def make(_ids: dict[str, Any], actor: str) -> dict[str, Any]:
        body = {"name": "居民丙", "phone": phone_of(actor, 100 if as_form else 200)}
        return {"data": body} if as_form else {"json": body}

    return make


def file_body(_ids: dict[str, Any], _actor: str) -> dict[str, Any]:
    return {"files": {"data": ("budget.pdf", b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n%%EOF\n")}}


REASON = {"reason": "经核实不符合条件"}
UP_REVIEW = {"unit": "committee", "clarity": 4, "timeliness": 4, "fairness": 5, "comment": "沟通顺畅"}
CHAIR = {"terms": [{"alliance_code": "new-orgs", "starts_on": "2026-01-01", "ends_on": "2026-12-31"}]}
RESOLUTION = {"resolution": "经复核,评分过程符合规定"}
OBJECTION = {"name": "赵六", "contact": "13900000000", "grounds": "评分过程未公开说明"}
POINTS_RULES = {
    "points": {
        "project_excellent": 100,
        "project_good": 60,
        "project_pass": 30,
        "project_fail": -50,
        "report_on_time": 5,
        "order_rated_well": 10,
        "class_attended": 12,
        "feedback_given": 2,
    },
    "reason": "鼓励居民参加夜校",
}


def points_proposal(actor: str) -> dict[str, Any]:
    """A resident's attendance proposed by hand, a number of the actor's own (so nobody's is refused as a repeat)."""
    return {"rule": "class_attended", "evidence": "夜校签到表", "phone": phone_of(actor, 300), "name": "居民丁"}


PROPOSAL = {
    "requested_budget_fen": "4000000",
    "strengths": "十年助老服务经验",
    "work_plan": "每日两餐上门配送",
    "expected_results": "覆盖独居老人120名",
}
MARKS = {"专业能力": "27", "工作思路": "27", "预期效果": "22", "预算合理性": "14"}
NEED = {"title": "楼道照明需求", "description": "老旧楼道无照明", "category": "elderly_care"}
SERVICE = {
    "title": "财务管理培训",
    "description": "面向社区社会组织骨干的财务管理培训",
    "category": "capacity_training",
    "monthly_capacity": 5,
    "target_groups": ["志愿者"],
}


def task_json(ids: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": "长者助餐服务",
        "description": "为辖区独居老人提供助餐与探访服务",
        "category": "elderly_care",
        "posting_unit": "虎山路街道",
        "budget_fen": 5_000_000,
        "funding_mode": "service_purchase",
        "claim_deadline": ids["deadline"],
        "alliances": ["new-orgs"],
    }


def class_json(ids: dict[str, Any]) -> dict[str, Any]:
    return {
        "topic": "防范电信诈骗",
        "community_id": ids["community"],
        "venue": "社区党群服务中心",
        "starts_at": ids["class_start"],
        "seats": 30,
    }


def organization_json(ids: dict[str, Any]) -> dict[str, Any]:
    fields = ("name", "credit_code", "alliance_id", "categories", "resident", "description")
    return {k: v for k, v in ids["application_body"].items() if k in fields} | {"credit_code": ids["org_credit_code"]}


def application_json(ids: dict[str, Any]) -> dict[str, Any]:
    return dict(ids["application_body"])


def stringify(body: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in body.items() if not isinstance(v, list)}


R = Row
ROWS: list[Row] = [
    # Public pages ---------------------------------------------------------------------------------------------
    R("GET", "/", ALL),
    R("GET", "/favicon.ico", ALL),
    R("GET", "/lang/{code:str}", ALL, params={"code": "lang"}),
    R("GET", "/login", ALL),
    R("GET", "/tasks", ALL),
    R("GET", "/tasks/{task_id:int}", ALL),
    R("GET", "/tasks/{task_id:int}/dossier", ALL, params={"task_id": "task_award"}),
    R("GET", "/projects", ALL),
    R("GET", "/projects/{project_id:int}", ALL),
    R("GET", "/classes", ALL),
    R("GET", "/classes/{class_id:int}", ALL),
    R("GET", "/signups/{signup_id:int}", RESIDENT, query=token("token"), resident_link=True),
    R("GET", "/signups/lost", ALL),
    R("GET", "/signups/{signup_id:int}/cancel", RESIDENT, query=token("token"), resident_link=True),
    R("GET", "/signups/{signup_id:int}/erase", RESIDENT, query=token("token"), resident_link=True),
    R("GET", "/alliances", ALL),
    R("GET", "/alliances/calendar", ALL),
    R("GET", "/organizations/{org_id:int}", ALL),
    R("GET", "/needs", ALL),
    R("GET", "/needs/{need_id:int}", ALL),
    R("GET", "/services", ALL),
    R("GET", "/meetings", ALL),
    R("GET", "/meetings/{meeting_id:int}", ALL),
    R("GET", "/stats", ALL),
    R("GET", "/apply", ALL),
    R("GET", "/apply/thanks", ALL),
    R("GET", "/api-docs", ALL),
    # Signed-in pages ----------------------------------------------------------------------------------------------
    R("GET", "/inbox", SIGNED_IN),
    R("GET", "/account/password", SIGNED_IN),
    # Organisation pages
    R("GET", "/org", ORGS),
    R("GET", "/org/proposals", ORGS),
    R("GET", "/tasks/{task_id:int}/claim", ORGS, params={"task_id": "task_posted"}),
    R("GET", "/org/proposals/{proposal_id:int}", ORG_THIS, params={"proposal_id": "proposal_draft"}),
    R(
        "GET",
        "/org/proposals/{proposal_id:int}/attachments/{attachment_id:int}",
        ORG_THIS,
        params={"proposal_id": "proposal_draft"},
    ),
    R("GET", "/org/projects/{project_id:int}", ORG_THIS),
    R("GET", "/org/needs/new", ORGS),
    R("GET", "/org/offerings", ORGS),
    R("GET", "/org/offerings/new", ORGS),
    R("GET", "/org/offerings/{offering_id:int}/edit", ORG_THIS),
    R("GET", "/org/classes", ORGS),
    R("GET", "/org/classes/new", ORGS),
    R("GET", "/org/classes/{class_id:int}/edit", ORG_THIS),
    R("GET", "/org/classes/{class_id:int}/roster", ORG_THIS),
    # Panel pages
    R("GET", "/panel", EVALUATORS),
    R("GET", "/panel/tasks/{task_id:int}", EV_ON),
    # The panel-seat notification's link: it sends any evaluator on to the queue, which checks the seat.
    R("GET", "/tasks/{task_id:int}/scoring", EVALUATORS),
    R("GET", "/panel/tasks/{task_id:int}/proposals/{proposal_id:int}", EV_ON),
    # Community pages
    R("GET", "/community", SECRETARIES),
    R("GET", "/community/orders", SECRETARIES),
    R("GET", "/community/needs/new", SECRETARIES),
    R("GET", "/services/{offering_id:int}/order", SECRETARIES),
    R("GET", "/orders/{order_id:int}", COMMITTEE | SEC_THIS | ORG_THIS),
    R("GET", "/up-reviews", ALL),
    R("GET", "/org/projects/{project_id:int}/up-reviews", ORG_THIS),
    R("GET", "/orders/{order_id:int}/up-reviews", COMMITTEE | SEC_THIS | ORG_THIS),
    # Committee pages
    R("GET", "/committee", COMMITTEE),
    R("GET", "/committee/tasks/new", COMMITTEE),
    R("GET", "/committee/tasks/{task_id:int}", COMMITTEE),
    R("GET", "/committee/tasks/{task_id:int}/edit", COMMITTEE, params={"task_id": "task_draft"}),
    R("GET", "/committee/tasks/{task_id:int}/amendments", COMMITTEE, params={"task_id": "task_posted"}),
    R("GET", "/committee/tasks/{task_id:int}/cancel", COMMITTEE, params={"task_id": "task_posted"}),
    R("GET", "/committee/tasks/{task_id:int}/panel", COMMITTEE),
    R(
        "GET",
        "/committee/tasks/{task_id:int}/questions/{question_id:int}/answer",
        COMMITTEE,
        params={"task_id": "task_posted"},
    ),
    R("GET", "/committee/tasks/{task_id:int}/audit", COMMITTEE),
    R("GET", "/committee/tasks/{task_id:int}/audit.csv", COMMITTEE),
    R("GET", "/committee/projects", COMMITTEE),
    R("GET", "/committee/projects/{project_id:int}/evaluation", COMMITTEE),
    R("GET", "/committee/accounts", COMMITTEE),
    R("GET", "/committee/accounts/{user_id:int}/password", COMMITTEE),
    R("GET", "/committee/organizations", COMMITTEE),
    R("GET", "/committee/organizations/{org_id:int}/watch-list", COMMITTEE),
    R("GET", "/committee/orders", COMMITTEE),
    R("GET", "/committee/meetings/new", COMMITTEE),
    R("GET", "/committee/chair", COMMITTEE),
    R("GET", "/committee/applications", COMMITTEE),
    R("GET", "/committee/applications/{application_id:int}/reject", COMMITTEE),
    # Probes and the schema
    R("GET", "/healthz", ALL),
    R("GET", "/readyz", ALL),
    R("GET", "/schema", ALL),
    R("GET", "/schema/openapi.json", ALL),
    R("GET", "/schema/openapi.yaml", ALL),
    R("GET", "/schema/{path:str}", ALL),
    # API reads ------------------------------------------------------------------------------------------------------
    R("GET", "/api/v1/me", SIGNED_IN),
    R("GET", "/api/v1/inbox", SIGNED_IN),
    R("GET", "/api/v1/tasks", ALL),
    R("GET", "/api/v1/tasks/{task_id:int}", ALL),
    R("GET", "/api/v1/tasks/{task_id:int}/questions", ALL, params={"task_id": "task_posted"}),
    R("GET", "/api/v1/tasks/{task_id:int}/proposals", ALL, hidden_from=ALL - COMMITTEE - EV_ON - ORGS),
    R("GET", "/api/v1/proposals/{proposal_id:int}", COMMITTEE | EV_ON | ORG_THIS),
    R(
        "GET",
        "/api/v1/proposals/{proposal_id:int}/attachments/{attachment_id:int}",
        ORG_THIS,
        params={"proposal_id": "proposal_draft"},
    ),
    R("GET", "/api/v1/proposals/mine", ORGS),
    R("GET", "/api/v1/tasks/{task_id:int}/panel", COMMITTEE | EV_ON),
    R("GET", "/api/v1/tasks/{task_id:int}/scoring", EV_ON),
    R("GET", "/api/v1/tasks/{task_id:int}/ranking", COMMITTEE),
    R("GET", "/api/v1/tasks/{task_id:int}/award", ALL, params={"task_id": "task_award"}),
    R("GET", "/api/v1/tasks/{task_id:int}/awards", ALL, params={"task_id": "task_award"}),
    R("GET", "/api/v1/tasks/{task_id:int}/dossier", ALL, params={"task_id": "task_award"}),
    R("GET", "/api/v1/awards/{award_id:int}", ALL),
    # Objections name the objector and how to reach them: the committee's alone.
    R("GET", "/api/v1/awards/{award_id:int}/objections", COMMITTEE),
    R("GET", "/api/v1/projects", ALL),
    R("GET", "/api/v1/projects/{project_id:int}", ALL),
    R("GET", "/api/v1/organizations/{org_id:int}/record", ALL),
    R("GET", "/api/v1/projects/{project_id:int}/classes", ALL),
    R("GET", "/api/v1/classes", ALL),
    R("GET", "/api/v1/classes/{class_id:int}", ALL),
    R("GET", "/api/v1/classes/{class_id:int}/signups", ALL),
    R("GET", "/api/v1/signups/{signup_id:int}", RESIDENT, query=token("token"), resident_link=True),
    R("GET", "/api/v1/needs", ALL),
    R("GET", "/api/v1/needs/{need_id:int}", ALL),
    R("GET", "/api/v1/services", ALL),
    R("GET", "/api/v1/services/{offering_id:int}", ALL),
    R("GET", "/api/v1/orders", COMMITTEE | SECRETARIES | ORGS),
    R("GET", "/api/v1/orders/{order_id:int}", COMMITTEE | SEC_THIS | ORG_THIS),
    # Up-reviews (双向点评): what is due asks the project or order, the yearly aggregates are public.
    R("GET", "/api/v1/projects/{project_id:int}/up-reviews/due", SIGNED_IN),
    R("GET", "/api/v1/orders/{order_id:int}/up-reviews/due", COMMITTEE | SEC_THIS | ORG_THIS),
    R("GET", "/api/v1/up-reviews", ALL),
    R("GET", "/api/v1/meetings", ALL),
    R("GET", "/api/v1/meetings/{meeting_id:int}", ALL),
    R("GET", "/api/v1/stats", ALL),
    # Open data (OCDS): every published task, for everyone alike (a draft is a 404 for all: test_ocds.py).
    R("GET", "/api/v1/ocds/tasks/{task_id:int}/releases", ALL),
    R("GET", "/api/v1/ocds/tasks/{task_id:int}/record", ALL),
    R("GET", "/api/v1/ocds/records", ALL),
    # The lists and the report as spreadsheets: exactly who may read the JSON list each mirrors.
    R("GET", "/api/v1/needs.csv", ALL),
    R("GET", "/api/v1/needs.xlsx", ALL),
    R("GET", "/api/v1/services.csv", ALL),
    R("GET", "/api/v1/services.xlsx", ALL),
    R("GET", "/api/v1/orders.csv", COMMITTEE | SECRETARIES | ORGS),
    R("GET", "/api/v1/orders.xlsx", COMMITTEE | SECRETARIES | ORGS),
    R("GET", "/api/v1/projects.csv", ALL),
    R("GET", "/api/v1/projects.xlsx", ALL),
    R("GET", "/api/v1/stats.csv", ALL),
    R("GET", "/api/v1/stats.xlsx", ALL),
    R("GET", "/api/v1/audit", COMMITTEE),
    R("GET", "/api/v1/audit/verify", COMMITTEE),
    R("GET", "/api/v1/tasks/{task_id:int}/audit", COMMITTEE),
    R("GET", "/api/v1/lists/check", COMMITTEE),
    R("GET", "/api/v1/alliances", ALL),
    R("GET", "/api/v1/alliances/{code:str}", ALL),
    R("GET", "/api/v1/streets", ALL),
    R("GET", "/api/v1/communities", ALL),
    R("GET", "/api/v1/organizations", ALL),
    R("GET", "/api/v1/organizations/{org_id:int}", ALL),
    R("GET", "/api/v1/organizations/applications", COMMITTEE),
    R("GET", "/api/v1/chair", ALL),
    R("GET", "/api/v1/chair/on", ALL, query=lambda ids, actor: "date=2026-03-05"),
    R("GET", "/api/v1/chair/activities", ALL),
    # Page writes ----------------------------------------------------------------------------------------------------
    R("POST", "/login", ALL, body=form(lambda ids: {"username": ids["username"], "password": PASSWORD}), stage=4),
    R("POST", "/awards/{award_id:int}/objections", ALL, body=form(lambda ids: OBJECTION)),
    R("POST", "/projects/{project_id:int}/feedback", ALL, body=form(lambda ids: {"rating": "5", "comment": "很好"})),
    R("POST", "/classes/{class_id:int}/signups", ALL, body=signup_body(as_form=True)),
    # Sending a lost link needs SMS settings, which the tests have not: the form answers 404 to everyone.
    R("POST", "/signups/lost", NOBODY, body=form(lambda ids: {"phone": "13900000001"})),
    R(
        "POST",
        "/signups/{signup_id:int}/cancel",
        RESIDENT,
        params={"signup_id": "spare_signup"},
        body=token_body("spare_token", as_form=True),
        resident_link=True,
        query=token("spare_token"),
        stage=2,
    ),
    R(
        "POST",
        "/signups/{signup_id:int}/erase",
        RESIDENT,
        params={"signup_id": "spare_signup5"},
        body=token_body("spare_token5", as_form=True),
        resident_link=True,
        stage=2,
    ),
    R("POST", "/tasks/{task_id:int}/claim", ORGS, params={"task_id": "task_posted"}, body=form(lambda ids: PROPOSAL)),
    R(
        "POST",
        "/org/proposals/{proposal_id:int}",
        ORG_THIS,
        params={"proposal_id": "proposal_draft"},
        body=form(lambda ids: PROPOSAL),
    ),
    R("POST", "/org/proposals/{proposal_id:int}/submit", ORG_THIS, params={"proposal_id": "proposal_draft"}),
    R("POST", "/org/proposals/{proposal_id:int}/withdraw", ORG_THIS, params={"proposal_id": "proposal_spare"}),
    R(
        "POST",
        "/org/proposals/{proposal_id:int}/invitation",
        ORG_THIS,
        params={"proposal_id": "proposal_draft"},
        body=form(lambda ids: {"accept": "true"}),
    ),
    R(
        "POST",
        "/org/proposals/{proposal_id:int}/attachments",
        ORG_THIS,
        params={"proposal_id": "proposal_draft"},
        body=file_body,
    ),
    R(
        "POST",
        "/org/proposals/{proposal_id:int}/attachments/{attachment_id:int}/remove",
        ORG_THIS,
        params={"proposal_id": "proposal_draft", "attachment_id": "spare_attachment"},
        stage=2,
    ),
    R(
        "POST",
        "/tasks/{task_id:int}/questions",
        SIGNED_IN,
        params={"task_id": "task_posted"},
        body=form(lambda ids: {"question": "服务时段是否包含周末?"}),
    ),
    R(
        "POST",
        "/org/projects/{project_id:int}/milestones",
        ORG_THIS,
        body=form(lambda ids: {"title": "入户走访", "due_on": "2026-07-31"}),
    ),
    R(
        "POST",
        "/org/projects/{project_id:int}/reports",
        ORG_THIS,
        body=form(lambda ids: {"body": "已完成第一轮入户走访", "percent_complete": "30"}),
    ),
    # Up-reviews: refused to all but the rating's own party (who meets 409 on the form: nothing is due yet).
    R("POST", "/org/projects/{project_id:int}/up-reviews", ORG_THIS, body=form(lambda ids: stringify(UP_REVIEW))),
    R("POST", "/orders/{order_id:int}/up-reviews", SEC_THIS, body=form(lambda ids: stringify(UP_REVIEW))),
    R("POST", "/org/projects/{project_id:int}/deliver", ORG_THIS, stage=2),
    R("POST", "/inbox/{notification_id:int}/read", ORG_THIS),
    R("POST", "/panel/tasks/{task_id:int}/proposals/{proposal_id:int}", EV_ON, body=form(lambda ids: MARKS)),
    R("POST", "/committee/tasks/new", COMMITTEE, body=form(lambda ids: stringify(task_json(ids)))),
    R(
        "POST",
        "/committee/tasks/{task_id:int}/edit",
        COMMITTEE,
        params={"task_id": "task_draft"},
        body=form(lambda ids: stringify(task_json(ids))),
    ),
    R("POST", "/committee/tasks/{task_id:int}/post", COMMITTEE, params={"task_id": "task_draft"}, stage=2),
    R(
        "POST",
        "/committee/tasks/{task_id:int}/amendments",
        COMMITTEE,
        params={"task_id": "task_posted"},
        body=form(lambda ids: {"reason": "标题更准确", "title": "长者助餐(修订)"}),
    ),
    R(
        "POST",
        "/committee/tasks/{task_id:int}/cancel",
        COMMITTEE,
        params={"task_id": "task_posted"},
        body=form(lambda ids: {"reason": "不再需要"}),
    ),
    R("POST", "/committee/tasks/{task_id:int}/repost", COMMITTEE),
    R(
        "POST",
        "/committee/tasks/{task_id:int}/panel",
        COMMITTEE,
        body=form(lambda ids: {"user_ids": str(ids["ev_on_id"])}),
    ),
    R(
        "POST",
        "/committee/tasks/{task_id:int}/questions/{question_id:int}/answer",
        COMMITTEE,
        params={"task_id": "task_posted"},
        body=form(lambda ids: {"answer": "包含。"}),
    ),
    R(
        "POST",
        "/committee/proposals/{proposal_id:int}/qualification",
        COMMITTEE,
        body=form(lambda ids: {"qualified": "true"}),
    ),
    R(
        "POST",
        "/committee/tasks/{task_id:int}/award",
        COMMITTEE,
        body=form(lambda ids: {"proposal_id": str(ids["proposal_review"])}),
    ),
    R(
        "POST",
        "/committee/awards/{award_id:int}/objections/{objection_id:int}/uphold",
        COMMITTEE,
        params={"award_id": "spare_award", "objection_id": "spare_objection"},
        body=form(lambda ids: REASON),
    ),
    R(
        "POST",
        "/committee/awards/{award_id:int}/objections/{objection_id:int}/dismiss",
        COMMITTEE,
        body=form(lambda ids: REASON),
    ),
    R(
        "POST",
        "/committee/projects/{project_id:int}/evaluation",
        COMMITTEE,
        body=form(lambda ids: {"score": "90", "comment": "完成良好"}),
    ),
    R(
        "POST",
        "/committee/accounts",
        COMMITTEE,
        body=form(lambda ids: {"username": "newuser1", "password": "correct horse battery", "role": "evaluator"}),
    ),
    R(
        "POST",
        "/committee/accounts/{user_id:int}/password",
        COMMITTEE,
        body=form(lambda ids: {"password": "another good password"}),
    ),
    R("POST", "/committee/organizations", COMMITTEE, body=form(lambda ids: {"name": "新组织"})),
    R(
        "POST",
        "/committee/organizations/{org_id:int}/status",
        COMMITTEE,
        params={"org_id": "org_other"},
        body=form(lambda ids: {"status": "suspended", "reason": "年检未通过"}),
    ),
    R(
        "POST",
        "/committee/organizations/{org_id:int}/watch-list",
        COMMITTEE,
        params={"org_id": "spare_org"},
        body=form(lambda ids: {"reason": "多次未按约定开展活动"}),
    ),
    R(
        "POST",
        "/committee/organizations/{org_id:int}/watch-list/lift",
        COMMITTEE,
        params={"org_id": "spare_org"},
        body=form(lambda ids: {"reason": "已整改到位"}),
    ),
    R("POST", "/community/needs/new", SECRETARIES, body=form(lambda ids: NEED)),
    R("POST", "/org/needs/new", ORGS, body=form(lambda ids: NEED)),
    R(
        "POST",
        "/needs/{need_id:int}/decline",
        COMMITTEE,
        params={"need_id": "spare_need"},
        body=form(lambda ids: REASON),
    ),
    R("POST", "/services/{offering_id:int}/order", SECRETARIES, body=form(lambda ids: {"service_month": ids["month"]})),
    R("POST", "/orders/{order_id:int}/accept", ORG_THIS),
    R("POST", "/orders/{order_id:int}/decline", ORG_THIS, body=form(lambda ids: REASON)),
    R("POST", "/orders/{order_id:int}/cancel", SEC_THIS, params={"order_id": "spare_order"}, stage=2),
    # The ordering community's secretary confirms delivery (SPEC: secretaries confirm delivery and rate it).
    R("POST", "/orders/{order_id:int}/deliver", SEC_THIS, params={"order_id": "order_to_deliver"}),
    R(
        "POST",
        "/orders/{order_id:int}/rate",
        SEC_THIS,
        params={"order_id": "order_to_deliver"},
        body=form(lambda ids: {"rating": "5"}),
    ),
    R("POST", "/org/offerings/new", ORGS, body=form(lambda ids: stringify(SERVICE))),
    R("POST", "/org/offerings/{offering_id:int}/edit", ORG_THIS, body=form(lambda ids: stringify(SERVICE))),
    R(
        "POST",
        "/committee/meetings/new",
        COMMITTEE,
        body=form(lambda ids: {"title": "点单会", "starts_at": ids["meeting_start"], "ends_at": ids["meeting_end"]}),
    ),
    # The form offers only the member's own running projects: another's project is an unknown choice (422, nothing
    # written), not a refusal; the API row for POST /projects/{id}/classes holds the ownership rule.
    R(
        "POST",
        "/org/classes/new",
        ORGS,
        body=form(lambda ids: stringify(class_json(ids)) | {"project_id": str(ids["project"])}),
    ),
    R("POST", "/org/classes/{class_id:int}/edit", ORG_THIS, body=form(lambda ids: stringify(class_json(ids)))),
    R("POST", "/org/classes/{class_id:int}/roster", ORG_THIS, body=form(lambda ids: {})),
    R("POST", "/org/classes/{class_id:int}/signups/{signup_id:int}/link", ORG_THIS),
    R(
        "POST",
        "/org/classes/{class_id:int}/signups/{signup_id:int}/cancel",
        ORG_THIS,
        params={"signup_id": "spare_signup3"},
        stage=2,
    ),
    R("POST", "/committee/chair/rotation", COMMITTEE, body=form(lambda ids: {"first_day": "2026-01-01"})),
    R(
        "POST",
        "/committee/chair/terms",
        COMMITTEE,
        body=form(lambda ids: {"alliance_code": "legal", "starts_on": "2026-09-01", "ends_on": "2026-09-30"}),
    ),
    R(
        "POST",
        "/committee/chair/activities",
        COMMITTEE,
        body=form(lambda ids: {"title": "联合主题党日", "held_on": "2026-03-05"}),
    ),
    R("POST", "/apply", ALL, body=form(lambda ids: stringify(application_json(ids)))),
    R("POST", "/committee/applications/{application_id:int}/approve", COMMITTEE),
    R(
        "POST",
        "/committee/applications/{application_id:int}/reject",
        COMMITTEE,
        params={"application_id": "spare_application"},
        body=form(lambda ids: REASON),
    ),
    # API writes -----------------------------------------------------------------------------------------------------
    R(
        "POST",
        "/api/v1/auth/login",
        ALL,
        body=as_json(lambda ids: {"username": ids["username"], "password": PASSWORD}),
        stage=4,
    ),
    R("POST", "/api/v1/inbox/{notification_id:int}/read", ORG_THIS),
    R(
        "POST",
        "/api/v1/users",
        COMMITTEE,
        body=as_json(lambda ids: {"username": "newuser2", "password": PASSWORD, "role": "evaluator"}),
    ),
    R(
        "POST",
        "/api/v1/users/{user_id:int}/password",
        COMMITTEE,
        body=as_json(lambda ids: {"password": "a new password!"}),
    ),
    R("POST", "/api/v1/tasks", COMMITTEE, body=as_json(task_json)),
    R(
        "PATCH",
        "/api/v1/tasks/{task_id:int}",
        COMMITTEE,
        params={"task_id": "task_draft"},
        body=as_json(lambda ids: {"title": "新标题"}),
    ),
    R("POST", "/api/v1/tasks/{task_id:int}/post", COMMITTEE, params={"task_id": "task_draft"}, stage=2),
    R(
        "POST",
        "/api/v1/tasks/{task_id:int}/amendments",
        COMMITTEE,
        params={"task_id": "task_posted"},
        body=as_json(lambda ids: {"reason": "标题更准确", "title": "长者助餐(修订)"}),
    ),
    R(
        "POST",
        "/api/v1/tasks/{task_id:int}/questions",
        SIGNED_IN,
        params={"task_id": "task_posted"},
        body=as_json(lambda ids: {"question": "是否需要自备场地?"}),
    ),
    R(
        "POST",
        "/api/v1/tasks/{task_id:int}/questions/{question_id:int}/answer",
        COMMITTEE,
        params={"task_id": "task_posted"},
        body=as_json(lambda ids: {"answer": "不需要。"}),
    ),
    R(
        "POST",
        "/api/v1/tasks/{task_id:int}/cancel",
        COMMITTEE,
        params={"task_id": "task_spare_cancel"},
        body=as_json(lambda ids: {"reason": "不再需要"}),
        stage=2,
    ),
    R("POST", "/api/v1/tasks/{task_id:int}/repost", COMMITTEE),
    R(
        "POST",
        "/api/v1/tasks/{task_id:int}/proposals",
        ORGS,
        params={"task_id": "task_posted"},
        body=as_json(lambda ids: PROPOSAL | {"requested_budget_fen": 4_000_000}),
    ),
    R(
        "PATCH",
        "/api/v1/proposals/{proposal_id:int}",
        ORG_THIS,
        params={"proposal_id": "proposal_draft"},
        body=as_json(lambda ids: {"strengths": "十二年助老服务经验"}),
    ),
    R(
        "POST",
        "/api/v1/proposals/{proposal_id:int}/invitation",
        ORG_THIS,
        params={"proposal_id": "proposal_draft"},
        body=as_json(lambda ids: {"accept": True}),
    ),
    R(
        "POST",
        "/api/v1/proposals/{proposal_id:int}/attachments",
        ORG_THIS,
        params={"proposal_id": "proposal_draft"},
        body=file_body,
    ),
    R(
        "DELETE",
        "/api/v1/proposals/{proposal_id:int}/attachments/{attachment_id:int}",
        ORG_THIS,
        params={"proposal_id": "proposal_draft", "attachment_id": "spare_attachment2"},
        stage=2,
    ),
    R(
        "POST",
        "/api/v1/proposals/{proposal_id:int}/qualification",
        COMMITTEE,
        body=as_json(lambda ids: {"qualified": True}),
    ),
    R(
        "POST",
        "/api/v1/proposals/{proposal_id:int}/submit",
        ORG_THIS,
        params={"proposal_id": "proposal_draft"},
        stage=2,
    ),
    R(
        "POST",
        "/api/v1/proposals/{proposal_id:int}/withdraw",
        ORG_THIS,
        params={"proposal_id": "proposal_spare2"},
        stage=2,
    ),
    R("PUT", "/api/v1/tasks/{task_id:int}/panel", COMMITTEE, body=as_json(lambda ids: {"user_ids": [ids["ev_on_id"]]})),
    R("PUT", "/api/v1/proposals/{proposal_id:int}/scores", EV_ON, body=as_json(lambda ids: {"marks": MARKS})),
    R(
        "POST",
        "/api/v1/tasks/{task_id:int}/award",
        COMMITTEE,
        body=as_json(lambda ids: {"proposal_id": ids["proposal_review"]}),
        stage=2,
    ),
    R("POST", "/api/v1/awards/{award_id:int}/objections", ALL, body=as_json(lambda ids: OBJECTION)),
    R(
        "POST",
        "/api/v1/objections/{objection_id:int}/dismiss",
        COMMITTEE,
        params={"objection_id": "objection"},
        body=as_json(lambda ids: RESOLUTION),
        stage=2,
    ),
    R(
        "POST",
        "/api/v1/objections/{objection_id:int}/uphold",
        COMMITTEE,
        params={"objection_id": "spare_objection2"},
        body=as_json(lambda ids: RESOLUTION),
        stage=2,
    ),
    R("POST", "/api/v1/tick", COMMITTEE),
    R(
        "POST",
        "/api/v1/projects/{project_id:int}/milestones",
        ORG_THIS,
        body=as_json(lambda ids: {"title": "入户走访", "due_on": "2026-07-31"}),
    ),
    R(
        "POST",
        "/api/v1/projects/{project_id:int}/reports",
        ORG_THIS,
        body=as_json(lambda ids: {"body": "已完成第一轮入户走访", "percent_complete": 30}),
    ),
    R("POST", "/api/v1/projects/{project_id:int}/deliver", ORG_THIS, stage=2),
    R(
        "POST",
        "/api/v1/projects/{project_id:int}/evaluation",
        COMMITTEE,
        body=as_json(lambda ids: {"score": "90", "comment": "完成良好"}),
        stage=2,
    ),
    R(
        "POST",
        "/api/v1/projects/{project_id:int}/feedback",
        ALL,
        body=as_json(lambda ids: {"rating": 5, "comment": "好"}),
    ),
    R("POST", "/api/v1/projects/{project_id:int}/classes", ORG_THIS, body=as_json(class_json)),
    R(
        "POST",
        "/api/v1/classes/{class_id:int}/attendance",
        ORG_THIS,
        body=as_json(lambda ids: {"signup_id": ids["signup"], "attended": True}),
    ),
    R("PATCH", "/api/v1/classes/{class_id:int}", ORG_THIS, body=as_json(lambda ids: {"venue": "社区活动室"})),
    R("POST", "/api/v1/classes/{class_id:int}/signups", ALL, body=signup_body(as_form=False)),
    R(
        "POST",
        "/api/v1/signups/{signup_id:int}/cancel",
        RESIDENT,
        params={"signup_id": "spare_signup2"},
        body=token_body("spare_token2"),
        resident_link=True,
        stage=2,
    ),
    R(
        "POST",
        "/api/v1/signups/{signup_id:int}/erase",
        RESIDENT,
        params={"signup_id": "spare_signup4"},
        body=token_body("spare_token4"),
        resident_link=True,
        stage=2,
    ),
    R("POST", "/api/v1/needs", SECRETARIES | ORGS, body=as_json(lambda ids: NEED)),
    R(
        "POST",
        "/api/v1/needs/{need_id:int}/decline",
        COMMITTEE,
        params={"need_id": "spare_need2"},
        body=as_json(lambda ids: REASON),
        stage=2,
    ),
    R("POST", "/api/v1/services", COMMITTEE | ORGS, body=as_json(lambda ids: SERVICE)),
    R("PATCH", "/api/v1/services/{offering_id:int}", ORG_THIS, body=as_json(lambda ids: {"monthly_capacity": 6})),
    R(
        "POST",
        "/api/v1/services/{offering_id:int}/orders",
        SECRETARIES,
        body=as_json(lambda ids: {"service_month": ids["month"]}),
    ),
    # Only the rating's own party gets past the refusal (the project is in progress and the order not delivered: 409).
    R("POST", "/api/v1/projects/{project_id:int}/up-reviews", ORG_THIS, body=as_json(lambda ids: UP_REVIEW)),
    R("POST", "/api/v1/orders/{order_id:int}/up-reviews", SEC_THIS, body=as_json(lambda ids: UP_REVIEW)),
    R("POST", "/api/v1/orders/{order_id:int}/accept", ORG_THIS, stage=2),
    R("POST", "/api/v1/orders/{order_id:int}/decline", ORG_THIS, body=as_json(lambda ids: REASON), stage=2),
    R("POST", "/api/v1/orders/{order_id:int}/cancel", SEC_THIS, params={"order_id": "spare_order2"}, stage=2),
    R("POST", "/api/v1/orders/{order_id:int}/deliver", SEC_THIS, params={"order_id": "order_to_deliver"}, stage=2),
    R(
        "POST",
        "/api/v1/orders/{order_id:int}/rate",
        SEC_THIS,
        params={"order_id": "order_to_deliver"},
        body=as_json(lambda ids: {"rating": 5}),
        stage=2,
    ),
    R(
        "POST",
        "/api/v1/meetings",
        COMMITTEE,
        body=as_json(
            lambda ids: {
                "title": "点单会",
                "starts_at": ids["meeting_start"],
                "ends_at": ids["meeting_end"],
                "offering_ids": [ids["park_offering"]],
            }
        ),
    ),
    R("POST", "/api/v1/streets", COMMITTEE, body=as_json(lambda ids: {"name": "新街道"})),
    R(
        "POST",
        "/api/v1/communities",
        COMMITTEE,
        body=as_json(lambda ids: {"name": "新社区", "street_id": ids["street"]}),
    ),
    R("POST", "/api/v1/organizations", COMMITTEE, body=as_json(organization_json)),
    R(
        "POST",
        "/api/v1/organizations/{org_id:int}/watch-list",
        COMMITTEE,
        params={"org_id": "spare_org"},
        body=as_json(lambda ids: {"reason": "多次未按约定开展活动"}),
    ),
    R(
        "POST",
        "/api/v1/organizations/{org_id:int}/watch-list/lift",
        COMMITTEE,
        params={"org_id": "spare_org"},
        body=as_json(lambda ids: {"reason": "已整改到位"}),
    ),
    R(
        "PATCH",
        "/api/v1/organizations/{org_id:int}",
        COMMITTEE,
        body=as_json(lambda ids: {"description": "专注社区助老服务"}),
    ),
    R("POST", "/api/v1/organizations/applications", ALL, body=as_json(application_json)),
    R("POST", "/api/v1/organizations/applications/{application_id:int}/approve", COMMITTEE, stage=2),
    R(
        "POST",
        "/api/v1/organizations/applications/{application_id:int}/reject",
        COMMITTEE,
        params={"application_id": "spare_application2"},
        body=as_json(lambda ids: REASON),
        stage=2,
    ),
    R(
        "POST",
        "/api/v1/chair/activities",
        COMMITTEE,
        body=as_json(lambda ids: {"title": "联合主题党日", "held_on": "2026-03-05"}),
    ),
    R(
        "PUT",
        "/api/v1/chair",
        COMMITTEE,
        body=as_json(lambda ids: CHAIR),
    ),
    # Points (积分制): rules, entries, balances and statements are public or the holder's; review is the committee's.
    R("GET", "/api/v1/points/rules", ALL),
    R("GET", "/api/v1/points/rules/versions", ALL),
    R("GET", "/api/v1/points/entries", ALL),
    R("GET", "/api/v1/points/entries/{entry_id:int}", ALL, params={"entry_id": "point_entry"}),
    R("GET", "/api/v1/points/table", ALL),
    R("GET", "/api/v1/points/verify", ALL, query=lambda ids, _actor: "code=" + ids["points_code"]),
    R("GET", "/api/v1/points/statement", ORGS),
    R("GET", "/api/v1/organizations/{org_id:int}/points", ALL),
    R("GET", "/api/v1/signups/{signup_id:int}/points", RESIDENT, query=token("token"), resident_link=True),
    R("GET", "/api/v1/signups/{signup_id:int}/points/statement", RESIDENT, query=token("token"), resident_link=True),
    R("POST", "/api/v1/points/rules", COMMITTEE, body=as_json(lambda ids: POINTS_RULES)),
    R("POST", "/api/v1/points/entries", SECRETARIES | ORGS, body=lambda ids, actor: {"json": points_proposal(actor)}),
    R("POST", "/api/v1/points/entries/{entry_id:int}/approve", COMMITTEE, params={"entry_id": "spare_point_entry"}),
    R(
        "POST",
        "/api/v1/points/entries/{entry_id:int}/amend",
        COMMITTEE,
        params={"entry_id": "spare_point_entry2"},
        body=as_json(lambda ids: {"points": 3, "reason": "只参加了半场"}),
    ),
    R(
        "POST",
        "/api/v1/points/entries/{entry_id:int}/reject",
        COMMITTEE,
        params={"entry_id": "spare_point_entry3"},
        body=as_json(lambda ids: REASON),
    ),
    R(
        "POST",
        "/api/v1/points/entries/approve",
        COMMITTEE,
        body=as_json(lambda ids: {"entry_ids": [ids["spare_point_entry4"]]}),
    ),
    R(
        "POST",
        "/api/v1/points/entries/reject",
        COMMITTEE,
        body=as_json(lambda ids: {"entry_ids": [ids["spare_point_entry5"]]} | REASON),
    ),
    R(
        "POST",
        "/api/v1/points/entries/{entry_id:int}/objections",
        ALL,
        params={"entry_id": "point_entry"},
        body=as_json(lambda ids: {"name": "李四", "grounds": "当晚并未到场"}),
    ),
    R(
        "POST",
        "/api/v1/points/objections/{objection_id:int}/dismiss",
        COMMITTEE,
        params={"objection_id": "spare_point_objection"},
        body=as_json(lambda ids: RESOLUTION),
        stage=2,
    ),
    R(
        "POST",
        "/api/v1/points/objections/{objection_id:int}/uphold",
        COMMITTEE,
        params={"objection_id": "point_objection"},
        body=as_json(lambda ids: RESOLUTION),
        stage=2,
    ),
    R("GET", "/points", ALL),
    R("GET", "/points/table", ALL),
    R("GET", "/points/verify", ALL),
    R("GET", "/points/entries/{entry_id:int}", ALL, params={"entry_id": "point_entry2"}),
    R("GET", "/signups/{signup_id:int}/points", RESIDENT, query=token("token"), resident_link=True),
    R("GET", "/signups/{signup_id:int}/points/statement", RESIDENT, query=token("token"), resident_link=True),
    R("GET", "/org/points/statement", ORGS),
    R("GET", "/committee/points", COMMITTEE),
    R("GET", "/committee/points/rules", COMMITTEE),
    R("GET", "/points/propose", SECRETARIES | ORGS),
    R(
        "POST",
        "/points/propose",
        SECRETARIES | ORGS,
        body=lambda ids, actor: {"data": points_proposal(actor) | {"phone": phone_of(actor, 400)}},
    ),
    R(
        "POST",
        "/points/entries/{entry_id:int}/objections",
        ALL,
        params={"entry_id": "point_entry2"},
        body=form(lambda ids: {"name": "李四", "grounds": "当晚并未到场"}),
    ),
    R(
        "POST",
        "/committee/points/review",
        COMMITTEE,
        body=form(lambda ids: {"entry_ids": str(ids["spare_point_entry6"]), "decision": "approve"}),
    ),
    R(
        "POST",
        "/committee/points/entries/{entry_id:int}/amend",
        COMMITTEE,
        params={"entry_id": "spare_point_entry7"},
        body=form(lambda ids: {"points": "3", "reason": "只参加了半场"}),
    ),
    R(
        "POST",
        "/committee/points/objections/{objection_id:int}/dismiss",
        COMMITTEE,
        params={"objection_id": "spare_point_objection3"},
        body=form(lambda ids: {"entry_id": str(ids["point_entry2"])} | RESOLUTION),
        stage=2,
    ),
    R(
        "POST",
        "/committee/points/objections/{objection_id:int}/uphold",
        COMMITTEE,
        params={"objection_id": "spare_point_objection4"},
        body=form(lambda ids: {"entry_id": str(ids["point_entry2"])} | RESOLUTION),
        stage=2,
    ),
    R(
        "POST",
        "/committee/points/rules",
        COMMITTEE,
        body=form(
            lambda ids: {k: str(v) for k, v in POINTS_RULES["points"].items()} | {"class_attended": "13"} | REASON
        ),
    ),
    # Writes that end or change the actor's own session: last ----------------------------------------------------------
    R(
        "POST",
        "/account/password",
        SIGNED_IN,
        body=form(lambda ids: {"current_password": "wrong password", "new_password": "a new good password"}),
        stage=3,
    ),
    R(
        "POST",
        "/api/v1/me/password",
        SIGNED_IN,
        body=as_json(lambda ids: {"current_password": "wrong password", "new_password": "a new good password"}),
        stage=3,
    ),
    R("POST", "/logout", ALL, stage=4),
    R("POST", "/api/v1/auth/logout", ALL, stage=4),
]

ROWS.sort(key=lambda row: row.stage)
