"""Security headers on every kind of response, and no-store on every signed-in and personal page."""

from __future__ import annotations

import httpx

from market.headers import SECURITY_HEADERS
from tests.browser import Browser, signed_in
from tests.factories import Api, finance_project, mobile, night_class, posted_task, sign_up

NO_STORE = "private, no-store"


def _secured(r: httpx.Response, what: str) -> None:
    for name, value in SECURITY_HEADERS:
        assert r.headers.get(name) == value, f"{what} ({r.status_code}): {name} is {r.headers.get(name)!r}"


async def test_every_kind_of_response_carries_the_security_headers(api: Api) -> None:
    task = await posted_task(api)
    anon = Browser(api.client)
    await anon.get("/tasks")  # the first visit sets the CSRF cookie, which the tag covers
    page = await anon.get("/tasks")
    answers = {
        "a public page": page,
        "a tagged page asked again (304)": await anon.request(
            "GET", "/tasks", headers={"If-None-Match": page.headers["etag"]}
        ),
        "a signed-in page": await api.committee.get(f"/committee/tasks/{task['id']}"),
        "the JSON API": await api.anon.get(f"/api/v1/tasks/{task['id']}"),
        "an API problem (404)": await api.anon.get("/api/v1/tasks/999999"),
        "an API problem (422)": await api.committee.post("/api/v1/tasks", json={"title": ""}),
        "an API problem (401)": await api.anon.get("/api/v1/me"),
        "an HTML error page (404)": await anon.get("/no/such/page"),
        "a redirect": await anon.get("/lang/en?next=/tasks"),
        "a static file": await anon.get("/static/site.css"),
        "the icon": await anon.get("/favicon.ico"),
        "the OpenAPI JSON": await anon.get("/schema/openapi.json"),
        "the OpenAPI YAML": await anon.get("/schema/openapi.yaml"),
        "a health probe": await anon.get("/healthz"),
    }
    assert answers["a tagged page asked again (304)"].status_code == 304
    assert answers["an HTML error page (404)"].status_code == 404
    assert answers["an API problem (422)"].headers["content-type"].startswith("application/problem+json")
    # The API's description is still served whole, whatever the headers.
    assert answers["the OpenAPI JSON"].json()["openapi"].startswith("3.")
    assert answers["the OpenAPI YAML"].status_code == 200
    for what, r in answers.items():
        _secured(r, what)


async def test_the_content_policy_allows_no_script_and_no_framing() -> None:
    policy = dict(SECURITY_HEADERS)["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    assert directives["default-src"] == ["'none'"]
    assert "script-src" not in directives  # falls back to default-src 'none'
    assert directives["frame-ancestors"] == ["'none'"]
    assert all("unsafe" not in v for values in directives.values() for v in values)


async def test_a_residents_link_and_the_roster_with_full_numbers_are_never_stored(api: Api) -> None:
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"])
    receipt = await sign_up(api, session["id"], 1)
    link = f"/signups/{receipt['id']}?token={receipt['token']}"
    for url in (link, f"/signups/{receipt['id']}/cancel?token={receipt['token']}"):
        r = await Browser(api.client).get(url)
        assert (r.status_code, r.headers["cache-control"]) == (200, NO_STORE), url
        assert "etag" not in r.headers
    org = await signed_in(api, organiser)
    roster = await org.get(f"/org/classes/{session['id']}/roster")
    assert roster.status_code == 200 and mobile(1) in roster.text
    assert roster.headers["cache-control"] == NO_STORE
    own = await org.get("/account/password")
    assert (own.status_code, own.headers["cache-control"]) == (200, NO_STORE)
