"""The service starts, serves its OpenAPI schema and speaks problem details."""

from __future__ import annotations

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


async def test_openapi_schema_is_served(api: Api) -> None:
    r = await api.anon.get("/schema/openapi.json")
    assert r.status_code == 200
    assert "/api/v1/auth/login" in r.json()["paths"]
