"""The OpenAPI document tells the truth: Schemathesis drives every operation, anonymously and as each role.

Schemathesis 4 (its engine, the same one `schemathesis run` uses) reads /schema/openapi.json from the app in-process
and sends what the document allows and what it forbids; every default check must pass: no 5xx, only declared
statuses, declared content types and bodies, forbidden input refused and allowed input accepted, and guarded
operations refusing anonymous callers. The run is bounded in examples per operation so the suite stays fast; set
JIEBANG_CONTRACT_EXAMPLES to search harder. It runs on SQLite only: the contract is the app's, not the database's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from schemathesis.engine import events
from schemathesis.engine import from_schema as engine_for

from market.app import create_app
from market.clock import ManualClock
from market.settings import Settings
from tests.factories import (
    Api,
    As,
    awarded_review,
    draft_proposal,
    finance_project,
    night_class,
    park_service,
    placed_order,
    posted_task,
    raised_need,
    secretary,
    sign_up,
)

EXAMPLES = int(os.environ.get("JIEBANG_CONTRACT_EXAMPLES", "6"))
# Schema-valid input these operations answer with 422, because the rule it breaks is one JSON Schema cannot state:
# it relates two fields or compares with now or with stored data. `positive_data_acceptance` accepts their 422 (and
# only theirs); every other operation's rules are in the document.
RULES_BEYOND_THE_SCHEMA = {
    "/api/v1/stats": "a period of at most ten years, 'to' not before 'from'",
    "/api/v1/classes": "'to' not before 'from'",
    "/api/v1/organizations": "the credit code's check character",
    "/api/v1/organizations/{org_id}": "the credit code's check character",
    "/api/v1/organizations/applications": "the credit code's check character",
    "/api/v1/projects/{project_id}/classes": "a class starts in the future",
    "/api/v1/classes/{class_id}": "a class starts in the future and keeps its confirmed seats",
    "/api/v1/users": "the organisation or community an account needs depends on its role",
    "/api/v1/chair": "either terms or a rotation",
    "/api/v1/chair/activities": "the day falls in a chair term",
    "/api/v1/proposals/{proposal_id}/attachments": "the file's contents match an allowed type",
}
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
# Set to see, beside each finding, the request that found it and the answer it got.
EXPLAIN = bool(os.environ.get("JIEBANG_CONTRACT_EXPLAIN"))
ROLES = ("anonymous", "committee", "evaluator", "secretary", "org")


@pytest.fixture
def database_url(sqlite_database: str) -> str:
    """SQLite only (see the module's docstring), emptied like every other test's."""
    import asyncio

    from tests.conftest import _empty

    asyncio.run(_empty(sqlite_database))
    return sqlite_database


@dataclass
class World:
    """Signed-in users of each role and the ids of things they can act on."""

    users: dict[str, As]
    ids: dict[str, list[int]]


async def seed(api: Api) -> World:
    """A little of everything, so that operations with path ids reach their 2xx answers as well as their 4xx."""
    organiser, project = await finance_project(api)
    review, notice = await awarded_review(api)
    sec = await secretary(api)
    task = await posted_task(api)
    proposal = await draft_proposal(organiser, task["id"])
    klass = await night_class(api, organiser, project["id"], community_id=sec.user["community"]["id"])
    receipt = await sign_up(api, klass["id"], 1)
    need = await raised_need(sec, api)
    service = await park_service(api)
    order = await placed_order(api, sec, service["id"])
    evaluator = review.panel[0]
    ids = {
        "task_id": [task["id"], review.task_id, project["task_id"]],
        "proposal_id": [proposal["id"], review.pid(0), review.pid(1)],
        "award_id": [notice["id"]],
        "project_id": [project["id"]],
        "class_id": [klass["id"]],
        "signup_id": [receipt["id"]],
        "need_id": [need["id"]],
        "offering_id": [service["id"]],
        "order_id": [order["id"]],
        "org_id": [organiser.user["org"]["id"]],
    }
    users = {"committee": api.committee, "evaluator": evaluator, "secretary": sec, "org": organiser}
    return World(users=users, ids=ids)


@dataclass
class Finding:
    role: str
    operation: str
    check: str
    message: str

    def __str__(self) -> str:
        message = " / ".join(line.strip() for line in self.message.splitlines() if line.strip())
        return f"[{self.role}] {self.operation}: {self.check}: {message}"


def run_contract(settings: Settings, clock: ManualClock, world: World, role: str) -> list[Finding]:
    """One Schemathesis run against a fresh app on the same database; every failed check, deduplicated."""
    app = create_app(settings, clock)
    config: dict[str, Any] = {
        "seed": 8,
        "generation": {"max-examples": EXAMPLES, "mode": "all", "no-shrink": True, "deterministic": True},
        "phases": {"stateful": {"enabled": False}},
        "dictionaries": {name: {"values": values} for name, values in world.ids.items()},
        "parameters": {f"path.{name}": {"dictionary": name, "probability": 0.6} for name in world.ids},
    }
    operations: list[dict[str, Any]] = [
        {"include-path": path, "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}}}
        for path in RULES_BEYOND_THE_SCHEMA
    ]
    if role == "anonymous":
        # Anonymous calls are cheap (most end at 401): they also get the coverage phase's boundary cases.
        config["phases"]["coverage"] = {"enabled": True}
    else:
        config["phases"]["coverage"] = {"enabled": False}
        config["auth"] = {"openapi": {"sessionCookie": {"api_key": world.users[role].cookie}}}
        # Signing out would end the session the rest of this run signs in with; the anonymous run covers it.
        operations.append({"include-path": "/api/v1/auth/logout", "enabled": False})
    config["operations"] = operations
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app, config=schemathesis.Config.from_dict(config))
    findings: dict[tuple[str, str, str], Finding] = {}
    for event in engine_for(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for case_id, checks in event.recorder.checks.items():
                for node in checks:
                    if node.failure_info is None:
                        continue
                    failure = node.failure_info.failure
                    case = event.recorder.cases[case_id].value
                    label = case.operation.label
                    key = (label, node.name, failure.title)
                    message = f"{failure.title}: {failure.message}"
                    if EXPLAIN and (interaction := event.recorder.interactions.get(case_id)) is not None:
                        answer = interaction.response
                        sent = f"{interaction.request.method} {interaction.request.uri} {interaction.request.body!r}"
                        got = f"{answer.status_code} {answer.content[:300]!r}" if answer is not None else "no answer"
                        message += f" -- sent {sent[:300]} -- got {got}"
                    findings.setdefault(key, Finding(role, label, node.name, message))
        elif isinstance(event, events.NonFatalError | events.FatalError):
            findings.setdefault(("", "error", str(event)), Finding(role, "", "error", repr(event)))
    return list(findings.values())


@pytest.mark.parametrize("role", ROLES)
async def test_openapi_document_matches_the_service(
    api: Api, settings: Settings, clock: ManualClock, role: str
) -> None:
    world = await seed(api)
    findings = run_contract(settings, clock, world, role)
    if findings:
        pytest.fail(
            f"{len(findings)} mismatches between the document and the service:\n" + "\n".join(map(str, findings))
        )


async def test_document_declares_problems_security_and_refusal_of_unknown_fields(api: Api) -> None:
    """The document itself: problem+json errors per operation, public reads not cookie-secured, strict bodies."""
    doc = await api.anon.ok("GET", "/schema/openapi.json")
    paths, schemas = doc["paths"], doc["components"]["schemas"]
    guarded = paths["/api/v1/tasks"]["post"]
    assert "security" not in guarded and doc["security"] == [{"sessionCookie": []}]
    for status in ("400", "401", "403", "409", "422"):
        assert list(guarded["responses"][status]["content"]) == ["application/problem+json"], status
    assert paths["/api/v1/alliances"]["get"]["security"] == [{}]
    assert paths["/api/v1/tasks/{task_id}"]["get"]["security"] == [{}, {"sessionCookie": []}]
    assert {"400", "404"} <= set(paths["/api/v1/tasks/{task_id}"]["get"]["responses"])
    assert "401" not in paths["/api/v1/tasks/{task_id}"]["get"]["responses"]
    assert {"401", "429"} <= set(paths["/api/v1/auth/login"]["post"]["responses"])
    assert schemas["TaskCreate"]["additionalProperties"] is False
    phone = schemas["SignupCreate"]["properties"]["phone"]
    assert phone["maxLength"] == 32 and phone["pattern"].startswith("^")
    assert {"minimum": 1, "maximum": 1000}.items() <= schemas["ClassCreate"]["properties"]["seats"].items()
    assert schemas["OrganizationCreate"]["properties"]["credit_code"]["pattern"] == "^[0-9A-HJ-NP-RTUW-Y]{18}$"


async def test_options_and_405_name_every_method_of_the_path(api: Api) -> None:
    r = await api.anon.request("OPTIONS", "/tasks")
    assert set(r.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST", "OPTIONS"}
    r = await api.anon.request("DELETE", "/tasks")
    assert r.status_code == 405 and "GET" in r.headers["allow"]
