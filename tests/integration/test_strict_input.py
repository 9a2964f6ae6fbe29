"""Input the SPEC's "rules that hold everywhere" refuse, on the API and on the pages:

- a field called a reason must contain words (blank or whitespace-only is missing): 422 naming the field;
- the JSON API is strict: a string is not an integer or a boolean, unknown fields are refused;
- every date and time given is within 2000-01-01 … 2100-12-31: 422 on the API, never a 500 on a page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.browser import field_error, signed_in, value_of
from tests.conftest import database_independent
from tests.factories import (
    PROBLEM_JSON,
    Api,
    As,
    audit_trail,
    awarded_review,
    class_body,
    finance_project,
    need_body,
    park_service,
    placed_order,
    posted_task,
    problem,
    proposal_body,
    raised_need,
    scored_review,
    secretary,
    service_body,
    task_body,
    task_in_review,
)
from tests.integration.test_malformed_input import row_counts

BLANKS = ["", "   \n ", "\t\t", "\u3000\u3000"]
"""Empty, ASCII whitespace with a newline, tabs, and full-width (ideographic) spaces."""


# Reasons ---------------------------------------------------------------------------------------------------------


@dataclass
class ReasonCase:
    """An endpoint that takes a reason: how to reach it, what to send besides, and what must be unchanged after."""

    name: str
    # Builds what the endpoint needs; returns (who sends, method, url, other body fields, a read of the state).
    setup: Callable[[Api], Awaitable[tuple[As, str, str, dict[str, Any], Callable[[], Awaitable[Any]]]]]
    field: str = "reason"


async def _cancel_task(api: Api) -> Any:
    task = await posted_task(api)
    return api.committee, "POST", f"/tasks/{task['id']}/cancel", {}, _read(api, f"/tasks/{task['id']}", "status")


async def _amend_task(api: Api) -> Any:
    task = await posted_task(api)
    url = f"/tasks/{task['id']}"
    return api.committee, "POST", f"{url}/amendments", {"posting_unit": "区民政局"}, _read(api, url, "posting_unit")


async def _decline_need(api: Api) -> Any:
    need = await raised_need(await secretary(api), api)
    return api.committee, "POST", f"/needs/{need['id']}/decline", {}, _read(api, f"/needs/{need['id']}", "status")


async def _decline_order(api: Api) -> Any:
    sec = await secretary(api)
    order = await placed_order(api, sec, (await park_service(api))["id"])
    url = f"/orders/{order['id']}"
    return api.committee, "POST", f"{url}/decline", {}, _read(api, url, "status", sec)


async def _disqualify(api: Api) -> Any:
    review = await task_in_review(api, proposals=1, qualify=False)
    url = f"/proposals/{review.pid(0)}"
    return api.committee, "POST", f"{url}/qualification", {"qualified": False}, _read(api, url, "status")


async def _off_rank_award(api: Api) -> Any:
    review = await scored_review(api, [["90", "88", "86"], ["80", "78", "76"]])
    url = f"/tasks/{review.task_id}"
    return api.committee, "POST", f"{url}/award", {"proposal_id": review.pid(1)}, _read(api, url, "status")


async def _rule_on_objection(api: Api) -> Any:
    _, notice = await awarded_review(api)
    lodged = {"name": "王女士", "contact": "13800000000", "grounds": "该组织去年同类项目未按期完成，请核实"}
    objection = await api.anon.ok("POST", f"/awards/{notice['id']}/objections", status=201, json=lodged)

    async def state() -> Any:
        return (await api.committee.ok("GET", f"/awards/{notice['id']}/objections"))[0]["status"]

    return api.committee, "POST", f"/objections/{objection['id']}/uphold", {}, state


async def _reject_application(api: Api) -> Any:
    from tests.integration.test_alliances import application_body

    body = application_body(await api.alliance_id("media"))
    application = await api.anon.ok("POST", "/organizations/applications", json=body)

    async def state() -> Any:
        rows = await api.committee.ok("GET", "/organizations/applications", params={"status": "pending"})
        return [a["id"] for a in rows]

    return api.committee, "POST", f"/organizations/applications/{application['id']}/reject", {}, state


async def _suspend(api: Api) -> Any:
    org = await api.org("legal")
    url = f"/organizations/{org['id']}"
    return api.committee, "PATCH", url, {"status": "suspended"}, _read(api, url, "status")


def _read(api: Api, url: str, key: str, who: As | None = None) -> Callable[[], Awaitable[Any]]:
    async def read() -> Any:
        return (await (who or api.committee).ok("GET", url))[key]

    return read


REASON_CASES = [
    ReasonCase("cancel a task", _cancel_task),
    ReasonCase("amend a task", _amend_task),
    ReasonCase("decline a need", _decline_need),
    ReasonCase("decline an order", _decline_order),
    ReasonCase("disqualify a proposal", _disqualify),
    ReasonCase("award off rank", _off_rank_award),
    ReasonCase("rule on an objection", _rule_on_objection, field="resolution"),
    ReasonCase("reject an application", _reject_application),
    ReasonCase("suspend an organisation", _suspend),
]


@pytest.mark.parametrize("case", REASON_CASES, ids=[c.name for c in REASON_CASES])
async def test_a_blank_reason_is_refused_naming_the_field_and_changes_nothing(api: Api, case: ReasonCase) -> None:
    who, method, url, body, state = await case.setup(api)
    before, rows = await state(), await row_counts(api)
    for blank in BLANKS:
        r = await who.request(method, url, json=body | {case.field: blank})
        problem(r, 422, field=case.field)
    # Counted before the state is read again: a read of a sealed proposal is itself audited.
    assert await row_counts(api) == rows
    assert await state() == before
    # The same request with words in the reason goes through, and the reason is kept without its padding.
    await who.ok(method, url, json=body | {case.field: "  经核实，情况属实  "}, status=(200, 201))
    assert await state() != before


async def test_a_suspension_records_its_reason_in_the_audit_log(api: Api) -> None:
    org = await api.org("legal")
    await api.committee.ok(
        "PATCH", f"/organizations/{org['id']}", json={"status": "suspended", "reason": " 年检未通过 "}
    )
    r = await api.committee.ok("GET", "/audit", params={"entity": "organization", "entity_id": org["id"]})
    suspended = [e for e in r["items"] if e["action"] == "suspend"]
    assert [e["data"].get("reason") for e in suspended] == ["年检未通过"]
    assert await audit_trail(api, "organization", org["id"]) == [
        ("create", "", "active"),
        ("suspend", "active", "suspended"),
    ]


async def test_the_cancel_page_refuses_a_whitespace_reason_beside_the_field_and_keeps_it(api: Api) -> None:
    task = await posted_task(api)
    url = f"/committee/tasks/{task['id']}/cancel"
    browser = await signed_in(api, "committee")
    for blank in BLANKS[1:]:
        r = await browser.submit(url, url, {"reason": blank})
        assert r.status_code == 422 and field_error(r.text, "reason") == "此项必填", r.text[:500]
        assert value_of(r.text, "reason") is not None
        # The confirmation step cannot be skipped with a blank reason either.
        r = await browser.submit(url, url, {"reason": blank, "confirm": "yes"})
        assert r.status_code == 422 and field_error(r.text, "reason")
    assert (await api.anon.ok("GET", f"/tasks/{task['id']}"))["status"] == "posted"


async def test_the_decline_pages_refuse_a_whitespace_reason_beside_the_field(api: Api) -> None:
    sec = await secretary(api)
    need = await raised_need(sec, api)
    order = await placed_order(api, sec, (await park_service(api))["id"])
    browser = await signed_in(api, "committee")
    for url, state in ((f"/needs/{need['id']}", "open"), (f"/orders/{order['id']}", "requested")):
        for blank in BLANKS[1:]:
            for confirm in ({}, {"confirm": "yes"}):
                r = await browser.submit(url, f"{url}/decline", {"reason": blank} | confirm)
                assert r.status_code == 422 and field_error(r.text, "reason"), (url, r.status_code, r.text[:500])
        assert (await sec.ok("GET", url))["status"] == state


async def test_the_english_page_says_a_blank_reason_is_missing_in_english(api: Api) -> None:
    task = await posted_task(api)
    url = f"/committee/tasks/{task['id']}/cancel"
    browser = await signed_in(api, "committee")
    browser.jar["lang"] = "en"
    r = await browser.submit(url, url, {"reason": " \n "})
    message = field_error(r.text, "reason")
    assert r.status_code == 422 and message and not any("\u4e00" <= c <= "\u9fff" for c in message)


# Strict JSON -----------------------------------------------------------------------------------------------------


@dataclass
class StrictCase:
    """A JSON body that is valid except for one value of the wrong JSON type (or one field too many)."""

    name: str
    setup: Callable[[Api], Awaitable[tuple[As, str, str, dict[str, Any]]]]
    changes: dict[str, Any]


async def _new_task(api: Api) -> Any:
    return api.committee, "POST", "/tasks", task_body(api)


async def _edit_task(api: Api) -> Any:
    task = await api.committee.ok("POST", "/tasks", status=201, json=task_body(api))
    return api.committee, "PATCH", f"/tasks/{task['id']}", {"title": "改后的标题"}


async def _new_proposal(api: Api) -> Any:
    task = await posted_task(api, allow_joint=True)
    member = await api.org_member()
    return member, "POST", f"/tasks/{task['id']}/proposals", proposal_body()


async def _qualification(api: Api) -> Any:
    review = await task_in_review(api, proposals=1, qualify=False)
    return api.committee, "POST", f"/proposals/{review.pid(0)}/qualification", {"qualified": True}


async def _new_need(api: Api) -> Any:
    return await secretary(api), "POST", "/needs", need_body(api)


async def _new_service(api: Api) -> Any:
    return api.committee, "POST", "/services", service_body(api)


async def _new_class(api: Api) -> Any:
    member, project = await finance_project(api)
    community = await api.community()
    return member, "POST", f"/projects/{project['id']}/classes", class_body(api, community["id"])


async def _edit_organization(api: Api) -> Any:
    org = await api.org("legal")
    return api.committee, "PATCH", f"/organizations/{org['id']}", {"resident": False}


STRICT_CASES = [
    StrictCase("task budget as a string", _new_task, {"budget_fen": "100"}),
    StrictCase("task allow_joint as a string", _new_task, {"allow_joint": "true"}),
    StrictCase("task community id as a string", _new_task, {"community_ids": ["1"]}),
    StrictCase("task unknown field", _new_task, {"is_admin": True}),
    StrictCase("task update budget as a string", _edit_task, {"budget_fen": "5000000"}),
    StrictCase("task update allow_joint as 1", _edit_task, {"allow_joint": 1}),
    StrictCase("proposal budget as a string", _new_proposal, {"requested_budget_fen": "1000"}),
    StrictCase("proposal unknown field", _new_proposal, {"score": 100}),
    StrictCase("qualified as a string", _qualification, {"qualified": "true"}),
    StrictCase("need unknown field", _new_need, {"status": "resolved"}),
    StrictCase("service capacity as a string", _new_service, {"monthly_capacity": "5"}),
    StrictCase("class seats as a string", _new_class, {"seats": "30"}),
    StrictCase("class seats with a fraction", _new_class, {"seats": 30.5}),
    StrictCase("task budget with a fraction", _new_task, {"budget_fen": 100.5}),
    StrictCase("organisation resident as a string", _edit_organization, {"resident": "false"}),
]


@pytest.mark.parametrize("case", STRICT_CASES, ids=[c.name for c in STRICT_CASES])
async def test_the_json_api_is_strict_and_writes_nothing_it_refuses(api: Api, case: StrictCase) -> None:
    who, method, url, body = await case.setup(api)
    rows = await row_counts(api)
    r = await who.request(method, url, json=body | case.changes)
    assert r.status_code in (400, 422), r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    shown = r.json()
    assert shown["status"] == r.status_code and shown["type"] and shown["detail"]
    # The refusal names the key that was wrong.
    named = {e.get("key") for e in shown.get("errors", [])} | {shown.get("field")}
    assert named & (set(case.changes) | {f"{k}[0]" for k in case.changes}), shown
    assert await row_counts(api) == rows
    # The body as it should be is accepted: only the wrong value was refused.
    await who.ok(method, url, json=body, status=(200, 201))


WHOLE_NUMBER_CASES = [
    StrictCase("class seats written 30.0", _new_class, {"seats": 30.0}),
    StrictCase("task budget written 5e6", _new_task, {"budget_fen": 5e6}),
    StrictCase("task update budget written 4000000.0", _edit_task, {"budget_fen": 4_000_000.0}),
]


@pytest.mark.parametrize("case", WHOLE_NUMBER_CASES, ids=[c.name for c in WHOLE_NUMBER_CASES])
async def test_a_whole_number_written_with_a_zero_fraction_is_an_integer(api: Api, case: StrictCase) -> None:
    """JSON Schema counts 4.0 as an integer, so the document allows it where an integer is due; the service agrees."""
    who, method, url, body = await case.setup(api)
    shown = await who.ok(method, url, json=body | case.changes, status=(200, 201))
    for key, value in case.changes.items():
        assert shown[key] == value and isinstance(shown[key], int), key


async def test_dates_and_times_still_decode_from_iso_strings(api: Api) -> None:
    body = task_body(api)
    assert isinstance(body["claim_deadline"], str)
    task = await api.committee.ok("POST", "/tasks", status=201, json=body)
    assert task["claim_deadline"]
    await api.committee.ok(
        "PUT",
        "/chair",
        json={"terms": [{"alliance_code": "legal", "starts_on": "2026-01-01", "ends_on": "2026-12-31"}]},
        status=200,
    )
    # A number is not a date, however it is read leniently elsewhere.
    problem(await api.committee.post("/tasks", json=body | {"claim_deadline": 1_900_000_000}), 400)


# Dates -----------------------------------------------------------------------------------------------------------

EXTREME_DAYS = ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"]


@database_independent
@pytest.mark.parametrize("day", EXTREME_DAYS)
@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/classes", "from"),
        ("/classes", "to"),
        ("/stats", "from"),
        ("/stats", "to"),
        ("/chair/on", "date"),
        ("/chair/activities", "from"),
        ("/chair/activities", "to"),
    ],
)
async def test_a_date_query_outside_the_range_is_a_422_naming_it(api: Api, url: str, name: str, day: str) -> None:
    problem(await api.anon.get(url, params={name: day}), 422, field=name)


async def test_the_range_edges_are_accepted(api: Api) -> None:
    for url in ("/classes", "/chair/activities"):
        await api.anon.ok("GET", url, params={"from": "2000-01-01", "to": "2100-12-31"})
    # A report spans at most ten years.
    await api.anon.ok("GET", "/stats", params={"from": "2000-01-01", "to": "2009-12-31"})
    await api.anon.ok("GET", "/stats", params={"from": "2091-01-01", "to": "2100-12-31"})
    problem(await api.anon.get("/chair/on", params={"date": "2100-12-31"}), 404)


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59+08:00", "2101-01-01T00:00:00Z"])
async def test_a_time_in_a_body_outside_the_range_is_a_422_naming_it(api: Api, when: str) -> None:
    rows = await row_counts(api)
    problem(await api.committee.post("/tasks", json=task_body(api, claim_deadline=when)), 422, field="claim_deadline")
    task = await api.committee.ok("POST", "/tasks", status=201, json=task_body(api))
    problem(
        await api.committee.patch(f"/tasks/{task['id']}", json={"claim_deadline": when}), 422, field="claim_deadline"
    )
    member, project = await finance_project(api)
    community = await api.community()
    url = f"/projects/{project['id']}/classes"
    problem(await member.post(url, json=class_body(api, community["id"], starts_at=when)), 422, field="starts_at")
    assert (await row_counts(api))["tasks"] == rows["tasks"] + 2


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
async def test_a_date_in_a_body_outside_the_range_is_a_422_naming_it(api: Api, day: str) -> None:
    lead, project = await finance_project(api)
    problem(
        await lead.post(f"/projects/{project['id']}/milestones", json={"title": "结项", "due_on": day}),
        422,
        field="due_on",
    )
    terms = [{"alliance_code": "legal", "starts_on": day, "ends_on": "2026-12-31"}]
    problem(await api.committee.put("/chair", json={"terms": terms}), 422, field="starts_on")
    activity = {"title": "联合主题党日", "held_on": day}
    problem(await api.committee.post("/chair/activities", json=activity), 422, field="held_on")


@pytest.mark.parametrize("day", EXTREME_DAYS)
async def test_date_filters_on_pages_never_fail(api: Api, day: str) -> None:
    browser = await signed_in(api, "committee")
    for url in (f"/classes?from={day}", f"/classes?to={day}", f"/classes?from={day}&to={day}"):
        r = await browser.get(url)
        assert r.status_code == 200, (url, r.status_code)
    for name in ("from", "to"):
        r = await browser.get(f"/stats?{name}={day}")
        assert r.status_code in (200, 422) and field_error(r.text, name), (name, r.status_code)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
async def test_a_task_form_with_a_deadline_outside_the_range_comes_back_with_the_error(api: Api, day: str) -> None:
    browser = await signed_in(api, "committee")
    form = {
        "title": "老年助餐服务",
        "description": "为辖区老人提供助餐",
        "category": "elderly_care",
        "posting_unit": "虎山路街道",
        "budget_yuan": "30000",
        "funding_mode": "government_purchase",
        "claim_deadline_date": day,
        "claim_deadline_time": "17:00",
        "alliances": "new-orgs",
    }
    r = await browser.submit("/committee/tasks/new", "/committee/tasks/new", form)
    assert r.status_code == 422 and field_error(r.text, "claim_deadline_date"), r.text[:500]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
async def test_every_page_form_taking_a_date_refuses_one_outside_the_range_beside_the_field(api: Api, day: str) -> None:
    organiser, project = await finance_project(api)
    community = await api.community()
    service = await park_service(api)
    committee = await signed_in(api, "committee")
    org = await signed_in(api, organiser)
    at = f"{day}T14:00"
    forms: list[tuple[Any, str, str, dict[str, Any], str]] = [
        (
            org,
            f"/org/projects/{project['id']}",
            f"/org/projects/{project['id']}/milestones",
            {"title": "结项", "due_on": day},
            "due_on",
        ),
        (
            org,
            "/org/classes/new",
            "/org/classes/new",
            {
                "project_id": str(project["id"]),
                "topic": "识别养老诈骗",
                "community_id": str(community["id"]),
                "venue": "社区活动室",
                "starts_at": at,
                "seats": "20",
            },
            "starts_at",
        ),
        (
            committee,
            "/committee/meetings/new",
            "/committee/meetings/new",
            {
                "title": "春季点单会",
                "place": "路演厅",
                "starts_at": at,
                "ends_at": f"{day}T16:00",
                "offering_ids": str(service["id"]),
            },
            "starts_at",
        ),
        (
            committee,
            "/committee/chair",
            "/committee/chair/rotation",
            {
                "order_1": "media",
                "order_2": "new-orgs",
                "order_3": "",
                "order_4": "",
                "first_day": day,
                "months_per_term": "2",
                "count": "3",
            },
            "first_day",
        ),
        (
            committee,
            "/committee/chair",
            "/committee/chair/activities",
            {"title": "联合主题党日", "held_on": day},
            "held_on",
        ),
    ]
    rows = await row_counts(api)
    for browser, page_url, action, data, name in forms:
        r = await browser.submit(page_url, action, data)
        assert r.status_code == 422, (action, r.status_code, r.text[:300])
        assert field_error(r.text, name) and value_of(r.text, name) == data[name], (action, r.text[:2000])
    assert await row_counts(api) == rows
    assert (await api.anon.ok("GET", "/chair"))["terms"] == []
