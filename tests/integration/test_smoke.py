"""The service starts, serves its OpenAPI schema and speaks problem details."""

from __future__ import annotations

from tests.conftest import database_independent
from tests.factories import Api


async def test_login_me_and_logout_round_trip(api: Api) -> None:
    me = await api.committee.ok("GET", "/me")
    assert me["username"] == "committee"
    assert me["role"] == "committee"
    await api.committee.ok("POST", "/auth/logout", status=204)
    r = await api.committee.get("/me")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_wrong_password_is_401_problem(api: Api) -> None:
    r = await api.anon.post("/auth/login", json={"username": "committee", "password": "nope nope"})
    assert r.status_code == 401
    assert r.json()["type"] == "/problems/not-authenticated"


@database_independent
async def test_openapi_schema_is_served(api: Api) -> None:
    r = await api.anon.get("/schema/openapi.json")
    assert r.status_code == 200
    assert "/api/v1/auth/login" in r.json()["paths"]


# SPEC "Interfaces → Minimum resources", as OpenAPI paths under /api/v1.
SPEC_RESOURCES = [
    "/auth/login",
    "/auth/logout",
    "/me",
    "/alliances",
    "/organizations",
    "/communities",
    "/needs",
    "/services",
    "/services/{offering_id}/orders",
    "/tasks",
    "/tasks/{task_id}/post",
    "/tasks/{task_id}/cancel",
    "/tasks/{task_id}/proposals",
    "/tasks/{task_id}/panel",
    "/tasks/{task_id}/ranking",
    "/tasks/{task_id}/award",
    "/proposals/{proposal_id}",
    "/proposals/{proposal_id}/submit",
    "/proposals/{proposal_id}/withdraw",
    "/proposals/{proposal_id}/scores",
    "/awards/{award_id}/objections",
    "/projects",
    "/projects/{project_id}/reports",
    "/projects/{project_id}/feedback",
    "/projects/{project_id}/evaluation",
    "/classes",
    "/classes/{class_id}/signups",
    "/stats",
    "/audit",
    "/users",
]


@database_independent
async def test_every_resource_the_spec_names_is_in_the_openapi_schema(api: Api) -> None:
    paths = (await api.anon.ok("GET", "/schema/openapi.json"))["paths"]
    missing = [p for p in SPEC_RESOURCES if "/api/v1" + p not in paths]
    assert missing == []
