"""The OpenAPI document tells the truth: Schemathesis drives every operation, anonymously and as each role.

Schemathesis 4 (its engine, the same one `schemathesis run` uses) reads /schema/openapi.json from the app in-process
and sends what the document allows and what it forbids; every default check must pass: no 5xx, only declared
statuses, declared content types and bodies, forbidden input refused and allowed input accepted, and guarded
operations refusing anonymous callers. Each role's run is a test of its own, on a database seeded for it, and is bounded
in examples per operation so the suite stays fast (55-75 CPU seconds for all five, measured; printed with -s): an
operation that refuses the caller before reading input (sign-in, a role guard) gets one example per mode. Set
JIEBANG_CONTRACT_EXAMPLES to search harder, JIEBANG_CONTRACT_ROLES to run some roles only, and
JIEBANG_CONTRACT_EXPLAIN to see each finding's request and where the time went. It runs on SQLite only: the
contract is the app's, not the database's.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
import yaml
from litestar import Litestar
from litestar.routes import HTTPRoute
from schemathesis.core import jsonschema as schemathesis_jsonschema
from schemathesis.engine import events
from schemathesis.engine import from_schema as engine_for
from schemathesis.generation import hypothesis as schemathesis_generation

from market.app import create_app
from market.kernel.clock import ManualClock
from market.kernel.rules import Reason, rule_failure
from market.security import requires_committee, requires_evaluator, requires_org, requires_secretary
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

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
EXAMPLES = int(os.environ.get("JIEBANG_CONTRACT_EXAMPLES", "3"))
# Schema-valid input these operations answer with 422, because the rule it breaks is one JSON Schema cannot state:
# it relates two fields, or compares with now or with stored data (an id in a body names a row that exists).
# `positive_data_acceptance` accepts their 422 (and only theirs); every other operation's rules are in the document.
RULES_BEYOND_THE_SCHEMA = {
    "/api/v1/stats": "a period of at most ten years, 'to' not before 'from'",
    "/api/v1/stats.csv": "a period of at most ten years, 'to' not before 'from'",
    "/api/v1/stats.xlsx": "a period of at most ten years, 'to' not before 'from'",
    "/api/v1/classes": "'to' not before 'from'",
    "/api/v1/organizations": "the credit code's check character",
    "/api/v1/organizations/{org_id}": "the credit code's check character",
    "/api/v1/organizations/applications": "the credit code's check character",
    "/api/v1/projects/{project_id}/classes": "a class starts in the future",
    "/api/v1/classes/{class_id}": "a class starts in the future and keeps its confirmed seats",
    "/api/v1/users": "the organisation or community an account needs depends on its role; the password is not a "
    "common one nor the username",
    "/api/v1/users/{user_id}/password": "the password is not a common one nor the username",
    "/api/v1/me/password": "the current password matches; the new one is not common, the username or the current one",
    "/api/v1/chair": "either terms or a rotation",
    "/api/v1/chair/activities": "the day falls in a chair term",
    "/api/v1/proposals/{proposal_id}/attachments": "the file's contents match an allowed type",
    "/api/v1/proposals/{proposal_id}/scores": "the marks name the task's own criteria, each within its maximum",
    "/api/v1/communities": "the street it names exists",
    "/api/v1/meetings": "it ends after it starts, and the services it names exist",
    "/api/v1/services/{offering_id}/orders": "the meeting, need and community it names exist",
    "/api/v1/tasks": "the communities it names exist and the needs it answers are open",
    "/api/v1/tasks/{task_id}": "the communities it names exist and the needs it answers are open",
    "/api/v1/tasks/{task_id}/post": "the draft's stored claim deadline is still in the future",
    "/api/v1/tasks/{task_id}/amendments": "an amendment changes at least one term, to communities that exist",
    "/api/v1/points/entries": "the holder it names (an organisation that exists, or a resident's number and name) "
    "is the one the rule's points go to",
    "/api/v1/points/entries/{entry_id}/amend": "the amended points differ from the entry's",
}
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
# Set to see, beside each finding, the request that found it and the answer it got.
EXPLAIN = bool(os.environ.get("JIEBANG_CONTRACT_EXPLAIN"))
ROLES = ("anonymous", "evaluator", "secretary", "org", "committee")
# Set (e.g. "org,committee") to run only some roles while looking into a finding.
ONLY = [role for role in os.environ.get("JIEBANG_CONTRACT_ROLES", "").split(",") if role]


# Schemathesis memoises what it builds from a JSON Schema (canonical forms, value strategies, validators) in
# process-wide LRU caches of 16 to 1024 entries, keyed by the schema's contents. This document has more bodies and
# parameters than that: one role's run evicted entries it needed again (1,158 strategy builds for 463 distinct ones
# over the five runs): each role's run in the same worker rebuilt them. With room for every entry (about 2,500 small
# objects) a worker builds each once: the five runs in one process took 54-61 CPU s instead of 72 (a role's run alone
# costs the same as before), sending the very same requests. `_maxsize` is the library's own attribute; should a
# release rename it, the caches keep their sizes and only this saving is lost.
GENERATION_CACHES = (
    schemathesis_generation.canonical_strategy_cache,
    schemathesis_generation.canonical_form_cache,
    schemathesis_jsonschema.validator_cache,
    schemathesis_jsonschema._seeded_validator_cache,
    schemathesis_jsonschema._bundle_registry_cache,
)
GENERATION_CACHE_SIZE = 8192


def keep_what_generation_builds() -> None:
    """Let Schemathesis's generation caches hold every schema of this document, across the roles' runs."""
    for cache in GENERATION_CACHES:
        if getattr(cache, "_maxsize", GENERATION_CACHE_SIZE) < GENERATION_CACHE_SIZE:
            cache._maxsize = GENERATION_CACHE_SIZE


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
    attachment = await organiser.ok(
        "POST", f"/proposals/{proposal['id']}/attachments", files={"data": ("plan.pdf", PDF)}, status=201
    )
    ids = {
        "task_id": [task["id"], review.task_id, project["task_id"]],
        "proposal_id": [proposal["id"], review.pid(0), review.pid(1)],
        "attachment_id": [attachment["id"]],
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


GUARDS = {
    requires_committee: "committee",
    requires_evaluator: "evaluator",
    requires_secretary: "secretary",
    requires_org: "org",
}


def refused_by_guards(app: Litestar, role: str) -> list[str]:
    """The operations (as Schemathesis labels them) whose role guard lets another role in, not this one."""
    refused = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api/"):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            guards = [getattr(guard, "func", guard) for guard in handler.resolve_guards()]  # unwrapped
            admitted = {GUARDS[guard] for guard in guards if guard in GUARDS}
            if admitted and role not in admitted:
                refused.append(f"{method} {route.path_format}")
    return sorted(refused)


def run_contract(app: Litestar, world: World, role: str) -> list[Finding]:
    """One Schemathesis run as one role; every failed check, deduplicated."""
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
        # The coverage phase's boundary cases, and the examples asked for, go where an anonymous caller gets past
        # sign-in (public operations, whose security lists `{}`). A guarded operation answers an anonymous caller 401
        # before it reads any input, so one valid and one invalid request each show that it does; the signed-in
        # runs give it its examples.
        config["phases"]["coverage"] = {"enabled": True}
        operations.append(
            {
                "include-by": "/security/0 != {}",
                "phases": {"coverage": {"enabled": False}},
                "generation": {"max-examples": 1},
            }
        )
    else:
        config["phases"]["coverage"] = {"enabled": False}
        config["auth"] = {"openapi": {"sessionCookie": {"api_key": world.users[role].cookie}}}
        # Signing out would end the session the rest of this run signs in with; the anonymous run covers it.
        operations.append({"include-path": "/api/v1/auth/logout", "enabled": False})
        # An operation guarded for another role answers this one 403 before it reads any input (guards run first):
        # one valid and one invalid request each show that it does; its own role's run gives it its examples.
        if refused := refused_by_guards(app, role):
            operations.append({"include-name": refused, "generation": {"max-examples": 1}})
    config["operations"] = operations
    keep_what_generation_builds()
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app, config=schemathesis.Config.from_dict(config))
    findings: dict[tuple[str, str, str], Finding] = {}
    spent: dict[tuple[str, str], float] = {}
    requests_by_phase: dict[str, int] = {}
    for event in engine_for(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            where = (event.phase.value, event.recorder.label)
            spent[where] = spent.get(where, 0.0) + event.elapsed_time
            phase = event.phase.value
            requests_by_phase[phase] = requests_by_phase.get(phase, 0) + len(event.recorder.interactions)
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
    if EXPLAIN:
        phases = {phase: round(sum(t for (p, _), t in spent.items() if p == phase), 1) for phase, _ in spent}
        slowest = sorted(spent.items(), key=lambda item: -item[1])[:8]
        print(f"[{role}] requests by phase {requests_by_phase}")
        print(f"[{role}] seconds by phase {phases}; slowest {[(k[1], round(t, 1)) for k, t in slowest]}")
    return list(findings.values())


@pytest.mark.parametrize("role", ONLY or ROLES)
async def test_openapi_document_matches_the_service_anonymously_and_for_every_role(
    role: str, api: Api, settings: Settings, clock: ManualClock
) -> None:
    """One run per role, each on a database seeded for it and an app of its own: five tests that pytest-xdist spreads
    over the workers, where one test of all five held a worker for two minutes at the end of the suite."""
    world = await seed(api)
    app = create_app(settings, clock)
    started, cpu = time.monotonic(), time.process_time()
    findings = run_contract(app, world, role)
    # Wall-clock and CPU seconds: on a busy machine the first grows, the second is what the run costs.
    took = (round(time.monotonic() - started, 1), round(time.process_time() - cpu, 1))
    print(f"contract run as {role} (wall s, CPU s): {took}")
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
    # Posting compares the draft's stored deadline with now: a 422 no schema of its (empty) input could state.
    assert "422" in paths["/api/v1/tasks/{task_id}/post"]["post"]["responses"]
    assert schemas["TaskCreate"]["additionalProperties"] is False
    phone = schemas["SignupCreate"]["properties"]["phone"]
    assert phone["maxLength"] == 32 and phone["pattern"].startswith("^")
    assert {"minimum": 1, "maximum": 1000}.items() <= schemas["ClassCreate"]["properties"]["seats"].items()
    assert schemas["OrganizationCreate"]["properties"]["credit_code"]["pattern"] == "^[0-9A-HJ-NP-RTUW-Y]{18}$"


async def test_the_yaml_document_is_the_json_one_every_time(api: Api) -> None:
    """/schema/openapi.yaml is rendered once per app and kept: what it keeps is the document, asked for twice."""
    doc = await api.anon.ok("GET", "/schema/openapi.json")
    for _ in range(2):
        r = await api.anon.get("/schema/openapi.yaml")
        assert r.status_code == 200
        assert yaml.safe_load(r.text) == doc


async def test_document_states_the_rules_of_list_items_reasons_and_dates(api: Api) -> None:
    """Limits Litestar leaves out (a list's items) and rules the service checks itself (a reason's words, a date's
    range) are in the document, and the document's reason pattern refuses exactly what the service refuses."""
    schemas = (await api.anon.ok("GET", "/schema/openapi.json"))["components"]["schemas"]
    assert schemas["PanelSet"]["properties"]["user_ids"]["items"]["minimum"] == 1
    for update in (schemas["TaskUpdate"], schemas["TaskAmend"]):
        (listed,) = update["properties"]["community_ids"]["oneOf"]
        assert listed["items"]["minimum"] == 1 and listed["items"]["maximum"] == 2**53
    assert schemas["OfferingCreate"]["properties"]["target_groups"]["items"]["pattern"] == "^[^\\x00-\\x1f\\x7f]*$"
    day = re.compile(schemas["MilestoneCreate"]["properties"]["due_on"]["pattern"])
    assert day.search("2000-01-01") and day.search("2100-12-31")
    assert not day.search("1999-12-31") and not day.search("2101-01-01") and not day.search("0624-12-02")
    moment = re.compile(schemas["ClassCreate"]["properties"]["starts_at"]["pattern"])
    assert moment.search("2100-12-31T23:59:59.5+08:00") and moment.search("2000-01-01T00:00:00Z")
    assert not moment.search("1999-12-31T23:59:59Z") and not moment.search("2026-03-01T19:00:00")
    marks = schemas["ScoreSet"]["properties"]["marks"]
    assert marks["minProperties"] == 1 and marks["propertyNames"]["minLength"] == 1
    assert {"number", "string"} == {kind["type"] for kind in marks["additionalProperties"]["oneOf"]}
    reason = re.compile(schemas["CancelRequest"]["properties"]["reason"]["pattern"])
    blank_or_short = ["", "   \n ", "\t\t", "\u3000\u3000", "õ", " 好 ", "\ufeff好\u00a0", "\x85a\u2028"]
    for text in [*blank_or_short, "好的", "a b", " 理由 \n", "\u2003ok"]:
        service_accepts = rule_failure(Reason, text, "reason") is None
        assert bool(reason.search(text)) == service_accepts, repr(text)
    assert not reason.search("ab\x00") and not reason.search("a\x1fb")


async def test_an_attachment_download_is_what_the_document_says(api: Api) -> None:
    """Its content type is one the document lists, its Last-Modified an HTTP-date as documented."""
    organiser = await api.org_member()
    task = await posted_task(api)
    proposal = await draft_proposal(organiser, task["id"])
    url = f"/proposals/{proposal['id']}/attachments"
    attachment = await organiser.ok("POST", url, files={"data": ("plan.pdf", PDF)}, status=201)
    doc = await api.anon.ok("GET", "/schema/openapi.json")
    ok = doc["paths"]["/api/v1/proposals/{proposal_id}/attachments/{attachment_id}"]["get"]["responses"]["200"]
    r = await organiser.request("GET", f"{url}/{attachment['id']}")
    assert r.status_code == 200 and r.content == PDF
    assert r.headers["content-type"].split(";")[0] in ok["content"]
    assert {"application/pdf", "image/png", "image/jpeg"} <= set(ok["content"])
    assert re.fullmatch(ok["headers"]["last-modified"]["schema"]["pattern"], r.headers["last-modified"])


async def test_options_and_405_name_every_method_of_the_path(api: Api) -> None:
    r = await api.anon.request("OPTIONS", "/tasks")
    assert set(r.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST", "OPTIONS"}
    r = await api.anon.request("DELETE", "/tasks")
    assert r.status_code == 405 and "GET" in r.headers["allow"]
