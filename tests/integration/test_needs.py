"""The need list (需求清单) through the HTTP API: who raises and declines needs, and how they follow their links."""

from __future__ import annotations

from typing import Any

from tests.factories import (
    Api,
    As,
    audit_trail,
    draft_task,
    inbox_kinds,
    need_body,
    park_service,
    placed_order,
    posted_task,
    problem,
    raised_need,
    secretary,
    task_body,
)


async def need_total(api: Api) -> int:
    page = await api.anon.ok("GET", "/needs", params={"limit": 1})
    return int(page["total"])


async def listed_ids(who: As, **params: Any) -> list[int]:
    page = await who.ok("GET", "/needs", params={"limit": 100} | params)
    return [n["id"] for n in page["items"]]


async def need_status(api: Api, need_id: int) -> str:
    return str((await api.anon.ok("GET", f"/needs/{need_id}"))["status"])


# Raising ----------------------------------------------------------------------------------------------------


async def test_secretary_raises_a_need_for_their_own_community(api: Api) -> None:
    sec = await secretary(api)
    need = await raised_need(sec, api, title="老旧小区加装电梯议事", category="other")
    community = sec.user["community"]
    assert need["status"] == "open"
    assert need["community"] == {
        "id": community["id"],
        "name": community["name"],
        "street_id": community["street_id"],
        "street": community["street_name"],
    }
    assert need["organization"] is None
    assert (need["tasks"], need["orders"], need["decline_reason"]) == ([], [], "")
    assert await api.anon.ok("GET", f"/needs/{need['id']}") == need
    assert "need_raised" in await inbox_kinds(api.committee)
    assert await audit_trail(api, "need", need["id"]) == [("raise", "", "open")]


async def test_org_member_raises_a_need_for_their_own_organisation(api: Api) -> None:
    member = await api.org_member()
    need = await raised_need(member, api, category="mental_health")
    assert need["organization"] == {"id": member.user["org"]["id"], "name": member.user["org"]["name"]}
    assert need["community"] is None
    assert need["status"] == "open"


async def test_nobody_else_raises_needs(api: Api) -> None:
    evaluator = await api.user("evaluator")
    suspended = await api.org_member()
    await api.committee.ok(
        "PATCH", f"/organizations/{suspended.user['org']['id']}", json={"status": "suspended", "reason": "年检未通过"}
    )
    before = await need_total(api)
    for who in (api.committee, evaluator, suspended):
        problem(await who.post("/needs", json=need_body(api)), 403)
    problem(await api.anon.post("/needs", json=need_body(api)), 401)
    assert await need_total(api) == before


async def test_malformed_needs_are_refused(api: Api) -> None:
    sec = await secretary(api)
    before = await need_total(api)
    for bad in (
        {"title": ""},
        {"title": "x" * 101},
        {"category": "capacity_training"},  # a resource category, not a service one
        {"category": None},
        {"description": "bad\x00byte"},
        {"community_id": 1},
    ):
        problem(await sec.post("/needs", json=need_body(api, **bad)), 400)
    problem(await sec.post("/needs", content=b"{not json", headers={"content-type": "application/json"}), 400)
    assert await need_total(api) == before
    problem(await api.anon.get("/needs/99999999"), 404)
    problem(await api.anon.get("/needs/0"), 400)


# The list ---------------------------------------------------------------------------------------------------


async def test_need_list_is_public_filterable_and_paginated(api: Api) -> None:
    street = await api.committee.ok("POST", "/streets", json={"name": "虎山路街道"})
    c1 = await api.committee.ok("POST", "/communities", json={"name": "书院路社区", "street_id": street["id"]})
    c2 = await api.committee.ok("POST", "/communities", json={"name": "虎山路社区", "street_id": street["id"]})
    s1, s2, s3 = await secretary(api, c1), await secretary(api, c2), await secretary(api)
    member = await api.org_member()
    meals = await raised_need(s1, api, title="独居老人助餐", category="elderly_care")
    homework = await raised_need(
        s2, api, title="课后托管", description="双职工家庭 after-school care", category="children"
    )
    counselling = await raised_need(s3, api, title="心理疏导", category="mental_health")
    own = await raised_need(member, api, title="办公场地", category="other")
    await api.committee.ok("POST", f"/needs/{counselling['id']}/decline", json={"reason": "已由街道统一安排"})

    assert await listed_ids(api.anon) == [own["id"], counselling["id"], homework["id"], meals["id"]]  # newest first
    assert await listed_ids(api.anon, status="declined") == [counselling["id"]]
    assert await listed_ids(api.anon, status="open", category="children") == [homework["id"]]
    assert await listed_ids(api.anon, community_id=c1["id"]) == [meals["id"]]
    assert await listed_ids(api.anon, street_id=street["id"]) == [homework["id"], meals["id"]]
    assert await listed_ids(api.anon, organization_id=member.user["org"]["id"]) == [own["id"]]
    assert await listed_ids(api.anon, q="AFTER-SCHOOL") == [homework["id"]]
    assert await listed_ids(api.anon, q="助餐") == [meals["id"]]
    assert await listed_ids(api.anon, q="_") == []

    page = await api.anon.ok("GET", "/needs", params={"limit": 3, "offset": 3})
    assert page["total"] == 4 and [n["id"] for n in page["items"]] == [meals["id"]]
    row = page["items"][0]
    assert row["community"]["street"] == "虎山路街道" and row["community"]["name"] == "书院路社区"

    for bad in ({"status": "closed"}, {"street_id": 0}, {"limit": 500}, {"q": "x" * 101}):
        problem(await api.anon.get("/needs", params=bad), 400)


# Declining --------------------------------------------------------------------------------------------------


async def test_committee_declines_an_open_need_with_a_reason(api: Api) -> None:
    sec = await secretary(api)
    need = await raised_need(sec, api)
    problem(await api.committee.post(f"/needs/{need['id']}/decline", json={}), 400)
    # A blank reason is a missing one: refused as bad input naming the field (see test_reasons.py for the rest).
    problem(await api.committee.post(f"/needs/{need['id']}/decline", json={"reason": ""}), 422, field="reason")
    problem(await sec.post(f"/needs/{need['id']}/decline", json={"reason": "不需要了"}), 403)
    problem(await api.anon.post(f"/needs/{need['id']}/decline", json={"reason": "不需要了"}), 401)
    problem(await api.committee.post("/needs/99999999/decline", json={"reason": "不需要了"}), 404)
    assert await need_status(api, need["id"]) == "open"

    declined = await api.committee.ok("POST", f"/needs/{need['id']}/decline", json={"reason": "已纳入区级民生实事项目"})
    assert (declined["status"], declined["decline_reason"]) == ("declined", "已纳入区级民生实事项目")
    assert "need_declined" in await inbox_kinds(sec)
    assert await audit_trail(api, "need", need["id"]) == [("raise", "", "open"), ("decline", "open", "declined")]


async def test_only_open_needs_are_declined(api: Api) -> None:
    sec = await secretary(api)
    service = await park_service(api)
    matched = await raised_need(sec, api)
    await placed_order(api, sec, service["id"], need_id=matched["id"])
    resolved = await raised_need(sec, api)
    order = await placed_order(api, sec, service["id"], need_id=resolved["id"])
    await api.committee.ok("POST", f"/orders/{order['id']}/accept")
    await sec.ok("POST", f"/orders/{order['id']}/deliver")
    declined = await raised_need(sec, api)
    await api.committee.ok("POST", f"/needs/{declined['id']}/decline", json={"reason": "重复提出"})

    for need, status in ((matched, "matched"), (resolved, "resolved"), (declined, "declined")):
        problem(await api.committee.post(f"/needs/{need['id']}/decline", json={"reason": "不再需要"}), 409)
        assert await need_status(api, need["id"]) == status


async def test_a_need_a_draft_task_answers_is_not_declined(api: Api) -> None:
    sec = await secretary(api)
    need = await raised_need(sec, api)
    draft = await draft_task(api, need_ids=[need["id"]])
    problem(await api.committee.post(f"/needs/{need['id']}/decline", json={"reason": "不再需要"}), 409)
    assert await need_status(api, need["id"]) == "open"
    await api.committee.ok("PATCH", f"/tasks/{draft['id']}", json={"need_ids": []})
    declined = await api.committee.ok("POST", f"/needs/{need['id']}/decline", json={"reason": "不再需要"})
    assert declined["status"] == "declined"


async def test_a_declined_need_cannot_be_answered(api: Api) -> None:
    sec = await secretary(api)
    service = await park_service(api)
    need = await raised_need(sec, api)
    await api.committee.ok("POST", f"/needs/{need['id']}/decline", json={"reason": "重复提出"})
    body = {"service_month": "2026-03", "need_id": need["id"]}
    problem(await sec.post(f"/services/{service['id']}/orders", json=body), 422, field="need_id")
    problem(await api.committee.post("/tasks", json=task_body(api, need_ids=[need["id"]])), 422, field="need_ids")
    assert await need_status(api, need["id"]) == "declined"


# Following what answers the need ------------------------------------------------------------------------------


async def test_a_task_answering_a_need_matches_it_and_cancelling_the_task_reopens_it(api: Api) -> None:
    sec = await secretary(api)
    need = await raised_need(sec, api)
    draft = await draft_task(api, need_ids=[need["id"]])
    assert await need_status(api, need["id"]) == "open"  # a draft answers nothing yet
    public = await api.anon.ok("GET", f"/needs/{need['id']}")
    assert public["tasks"] == []  # nor is it shown to anyone but the committee
    seen = await api.committee.ok("GET", f"/needs/{need['id']}")
    assert seen["tasks"] == [{"id": draft["id"], "title": draft["title"], "status": "draft"}]

    await api.committee.ok("POST", f"/tasks/{draft['id']}/post")
    shown = await api.anon.ok("GET", f"/needs/{need['id']}")
    assert shown["status"] == "matched"
    assert shown["tasks"] == [{"id": draft["id"], "title": draft["title"], "status": "posted"}]

    await api.committee.ok("POST", f"/tasks/{draft['id']}/cancel", json={"reason": "预算调整"})
    shown = await api.anon.ok("GET", f"/needs/{need['id']}")
    assert shown["status"] == "open"
    assert shown["tasks"] == [{"id": draft["id"], "title": draft["title"], "status": "cancelled"}]


async def test_a_need_answered_by_an_order_and_a_task_stays_matched_until_both_end(api: Api) -> None:
    sec = await secretary(api)
    service = await park_service(api, title="长者助餐服务")
    need = await raised_need(sec, api)
    order = await placed_order(api, sec, service["id"], need_id=need["id"])
    await api.committee.ok("POST", f"/orders/{order['id']}/accept")
    task = await posted_task(api, need_ids=[need["id"]])
    shown = await api.anon.ok("GET", f"/needs/{need['id']}")
    assert shown["status"] == "matched"
    assert shown["orders"] == [
        {"id": order["id"], "offering_id": service["id"], "offering_title": "长者助餐服务", "status": "accepted"}
    ]
    assert [t["id"] for t in shown["tasks"]] == [task["id"]]

    await api.committee.ok("POST", f"/tasks/{task['id']}/cancel", json={"reason": "改由点单解决"})
    assert await need_status(api, need["id"]) == "matched"  # the order still answers it

    delivered = await sec.ok("POST", f"/orders/{order['id']}/deliver")
    assert delivered["status"] == "delivered"
    shown = await api.anon.ok("GET", f"/needs/{need['id']}")
    assert shown["status"] == "resolved"
    assert [(o["id"], o["status"]) for o in shown["orders"]] == [(order["id"], "delivered")]
    assert [(t["id"], t["status"]) for t in shown["tasks"]] == [(task["id"], "cancelled")]
    assert [a[1:] for a in await audit_trail(api, "need", need["id"])] == [
        ("", "open"),
        ("open", "matched"),
        ("matched", "resolved"),
    ]


async def test_a_delivered_order_does_not_resolve_a_need_while_a_task_still_answers_it(api: Api) -> None:
    sec = await secretary(api)
    service = await park_service(api)
    need = await raised_need(sec, api)
    task = await posted_task(api, need_ids=[need["id"]])
    order = await placed_order(api, sec, service["id"], need_id=need["id"])
    await api.committee.ok("POST", f"/orders/{order['id']}/accept")
    await sec.ok("POST", f"/orders/{order['id']}/deliver")
    assert await need_status(api, need["id"]) == "matched"
    await api.committee.ok("POST", f"/tasks/{task['id']}/cancel", json={"reason": "已由点单解决"})
    assert await need_status(api, need["id"]) == "resolved"
