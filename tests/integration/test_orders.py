"""Ordering (点单) and ordering meetings (点单会) through the HTTP API; every order move keeps its need in step."""

from __future__ import annotations

from typing import Any

from tests.factories import (
    Api,
    As,
    audit_trail,
    inbox_kinds,
    month_ahead,
    order_total,
    org_service,
    park_service,
    placed_order,
    problem,
    raised_need,
    secretary,
)


async def status_of(api: Api, order_id: int) -> str:
    return str((await api.committee.ok("GET", f"/orders/{order_id}"))["status"])


async def need_status(api: Api, need_id: int) -> str:
    return str((await api.anon.ok("GET", f"/needs/{need_id}"))["status"])


async def remaining(api: Api, offering_id: int, month: str = "2026-03") -> int:
    detail = await api.anon.ok("GET", f"/services/{offering_id}")
    (row,) = [m for m in detail["months"] if m["month"] == month]
    return int(row["remaining"])


# Orders move their needs ------------------------------------------------------------------------------------


async def test_placing_an_order_for_a_need_matches_the_need(api: Api) -> None:
    member = await api.org_member()
    sec = await secretary(api)
    service = await org_service(member, api, title="心理健康讲座")
    need = await raised_need(sec, api)
    order = await placed_order(api, sec, service["id"], need_id=need["id"], note="周六上午为宜")
    assert order["status"] == "requested"
    assert order["service_month"] == "2026-03"
    assert (order["need_id"], order["meeting_id"], order["note"]) == (need["id"], None, "周六上午为宜")
    assert order["community"]["id"] == sec.user["community"]["id"]
    assert order["offering"] == {
        "id": service["id"],
        "title": "心理健康讲座",
        "category": "capacity_training",
        "organization_id": member.user["org"]["id"],
        "provider_name": member.user["org"]["name"],
    }
    assert await need_status(api, need["id"]) == "matched"
    assert "order_placed" in await inbox_kinds(member)
    assert await audit_trail(api, "order", order["id"]) == [("place", "", "requested")]


async def test_a_declined_order_reopens_its_need(api: Api) -> None:
    sec = await secretary(api)
    service = await park_service(api)
    need = await raised_need(sec, api)
    order = await placed_order(api, sec, service["id"], need_id=need["id"])
    problem(await api.committee.post(f"/orders/{order['id']}/decline", json={}), 400)
    declined = await api.committee.ok("POST", f"/orders/{order['id']}/decline", json={"reason": "本月档期已满"})
    assert (declined["status"], declined["decline_reason"]) == ("declined", "本月档期已满")
    assert await need_status(api, need["id"]) == "open"
    assert "order_declined" in await inbox_kinds(sec)


async def test_a_cancelled_order_reopens_its_need_whether_requested_or_accepted(api: Api) -> None:
    sec = await secretary(api)
    service = await park_service(api)
    need = await raised_need(sec, api)
    first = await placed_order(api, sec, service["id"], need_id=need["id"])
    await sec.ok("POST", f"/orders/{first['id']}/cancel")
    assert (await status_of(api, first["id"]), await need_status(api, need["id"])) == ("cancelled", "open")

    second = await placed_order(api, sec, service["id"], need_id=need["id"])
    assert await need_status(api, need["id"]) == "matched"
    await api.committee.ok("POST", f"/orders/{second['id']}/accept")
    await sec.ok("POST", f"/orders/{second['id']}/cancel")
    assert (await status_of(api, second["id"]), await need_status(api, need["id"])) == ("cancelled", "open")


async def test_a_delivered_order_resolves_its_need_and_rating_keeps_it_resolved(api: Api) -> None:
    sec = await secretary(api)
    service = await park_service(api)
    need = await raised_need(sec, api)
    order = await placed_order(api, sec, service["id"], need_id=need["id"])
    accepted = await api.committee.ok("POST", f"/orders/{order['id']}/accept")
    assert accepted["status"] == "accepted" and accepted["decided_at"]
    assert "order_accepted" in await inbox_kinds(sec)
    assert await need_status(api, need["id"]) == "matched"

    delivered = await sec.ok("POST", f"/orders/{order['id']}/deliver")
    assert delivered["status"] == "delivered" and delivered["delivered_at"]
    assert await need_status(api, need["id"]) == "resolved"

    rated = await sec.ok("POST", f"/orders/{order['id']}/rate", json={"rating": 5, "comment": "老人们很满意"})
    assert (rated["status"], rated["rating"], rated["rating_comment"]) == ("rated", 5, "老人们很满意")
    assert await need_status(api, need["id"]) == "resolved"
    assert await audit_trail(api, "order", order["id"]) == [
        ("place", "", "requested"),
        ("accept", "requested", "accepted"),
        ("deliver", "accepted", "delivered"),
        ("rate", "delivered", "rated"),
    ]
    assert {"order_placed", "order_delivered", "order_rated"} <= set(await inbox_kinds(api.committee))


async def test_an_order_answering_nothing_moves_no_need(api: Api) -> None:
    sec = await secretary(api)
    service = await park_service(api)
    need = await raised_need(sec, api)
    order = await placed_order(api, sec, service["id"])
    await api.committee.ok("POST", f"/orders/{order['id']}/accept")
    await sec.ok("POST", f"/orders/{order['id']}/deliver")
    assert await need_status(api, need["id"]) == "open"


# Who may order, and what ------------------------------------------------------------------------------------


async def test_a_secretary_cannot_order_for_another_community(api: Api) -> None:
    sec = await secretary(api)
    elsewhere = await api.community()
    service = await park_service(api)
    need = await raised_need(sec, api)
    body = {"service_month": "2026-03", "community_id": elsewhere["id"], "need_id": need["id"]}
    problem(await sec.post(f"/services/{service['id']}/orders", json=body), 403)
    assert await order_total(api) == 0
    assert await need_status(api, need["id"]) == "open"
    assert "order_placed" not in await inbox_kinds(api.committee)
    # Naming one's own community is allowed (and changes nothing).
    own = await placed_order(api, sec, service["id"], community_id=sec.user["community"]["id"])
    assert own["community"]["id"] == sec.user["community"]["id"]


async def test_only_secretaries_order(api: Api) -> None:
    member = await api.org_member()
    evaluator = await api.user("evaluator")
    service = await park_service(api)
    body = {"service_month": "2026-03"}
    for who in (api.committee, member, evaluator):
        problem(await who.post(f"/services/{service['id']}/orders", json=body), 403)
    problem(await api.anon.post(f"/services/{service['id']}/orders", json=body), 401)
    sec = await secretary(api)
    problem(await sec.post("/services/99999999/orders", json=body), 404)
    assert await order_total(api) == 0


async def test_ordering_a_suspended_organisations_offering_is_refused(api: Api) -> None:
    member = await api.org_member()
    sec = await secretary(api)
    service = await org_service(member, api)
    need = await raised_need(sec, api)
    await api.committee.ok(
        "PATCH", f"/organizations/{member.user['org']['id']}", json={"status": "suspended", "reason": "年检未通过"}
    )
    body = {"service_month": "2026-03", "need_id": need["id"]}
    problem(await sec.post(f"/services/{service['id']}/orders", json=body), 409)
    assert await order_total(api) == 0
    assert await need_status(api, need["id"]) == "open"
    assert "order_placed" not in await inbox_kinds(member)


async def test_a_suspended_organisation_cannot_accept_but_may_decline(api: Api) -> None:
    member = await api.org_member()
    sec = await secretary(api)
    service = await org_service(member, api)
    first = await placed_order(api, sec, service["id"])
    second = await placed_order(api, sec, service["id"])
    await api.committee.ok(
        "PATCH", f"/organizations/{member.user['org']['id']}", json={"status": "suspended", "reason": "年检未通过"}
    )
    problem(await member.post(f"/orders/{first['id']}/accept"), 409)
    assert await status_of(api, first["id"]) == "requested"
    await member.ok("POST", f"/orders/{second['id']}/decline", json={"reason": "组织暂停服务"})


async def test_ordering_an_inactive_offering_is_refused(api: Api) -> None:
    sec = await secretary(api)
    service = await park_service(api)
    await api.committee.ok("PATCH", f"/services/{service['id']}", json={"active": False})
    problem(await sec.post(f"/services/{service['id']}/orders", json={"service_month": "2026-03"}), 409)
    assert await order_total(api) == 0


async def test_the_need_must_be_an_open_or_matched_need_of_the_secretarys_community(api: Api) -> None:
    sec = await secretary(api)
    neighbour = await secretary(api)
    member = await api.org_member()
    service = await park_service(api)
    theirs = await raised_need(neighbour, api)
    org_need = await raised_need(member, api)
    for need_id in (theirs["id"], org_need["id"], 99999999):
        body = {"service_month": "2026-03", "need_id": need_id}
        problem(await sec.post(f"/services/{service['id']}/orders", json=body), 422, field="need_id")
    assert await order_total(api) == 0
    assert await need_status(api, theirs["id"]) == "open"

    mine = await raised_need(sec, api)
    await placed_order(api, sec, service["id"], need_id=mine["id"])
    again = await placed_order(api, sec, service["id"], need_id=mine["id"])  # a matched need may be answered twice
    assert again["need_id"] == mine["id"]


async def test_malformed_or_out_of_range_months_are_refused(api: Api) -> None:
    sec = await secretary(api)
    service = await park_service(api)
    url = f"/services/{service['id']}/orders"
    for bad in ("2026-3", "2026-13", "2026-00", "0000-01", "March", "2026-03-01", "", 202603, None):
        problem(await sec.post(url, json={"service_month": bad}), 400)
    problem(await sec.post(url, json={}), 400)
    problem(await sec.post(url, json={"service_month": "2026-03", "note": "x" * 20_001}), 400)
    for out_of_range in (month_ahead(api, -1), month_ahead(api, 13), "2099-01", "1999-12"):
        problem(await sec.post(url, json={"service_month": out_of_range}), 422, field="service_month")
    assert await order_total(api) == 0
    latest = await placed_order(api, sec, service["id"], service_month=month_ahead(api, 12))
    assert latest["service_month"] == "2027-03"


async def test_malformed_ratings_are_refused(api: Api) -> None:
    sec = await secretary(api)
    service = await park_service(api)
    order = await placed_order(api, sec, service["id"])
    problem(await sec.post(f"/orders/{order['id']}/rate", json={"rating": 4}), 409)  # not delivered yet
    await api.committee.ok("POST", f"/orders/{order['id']}/accept")
    await sec.ok("POST", f"/orders/{order['id']}/deliver")
    for bad in (
        {"rating": 0},
        {"rating": 6},
        {"rating": -1},
        {"rating": 4.5},
        {"rating": None},
        {},
        {"rating": 10**30},
    ):
        problem(await sec.post(f"/orders/{order['id']}/rate", json=bad), 400)
    problem(await sec.post(f"/orders/{order['id']}/rate", json={"rating": 3, "comment": "x" * 2001}), 400)
    assert await status_of(api, order["id"]) == "delivered"
    await sec.ok("POST", f"/orders/{order['id']}/rate", json={"rating": 1})
    problem(await sec.post(f"/orders/{order['id']}/rate", json={"rating": 5}), 409)  # once only


# Capacity ---------------------------------------------------------------------------------------------------


async def test_accepting_beyond_the_months_capacity_is_409(api: Api) -> None:
    sec = await secretary(api)
    service = await park_service(api, monthly_capacity=2)
    orders = [await placed_order(api, sec, service["id"]) for _ in range(3)]
    for o in orders[:2]:
        await api.committee.ok("POST", f"/orders/{o['id']}/accept")
    body = problem(await api.committee.post(f"/orders/{orders[2]['id']}/accept"), 409)
    assert (body["monthly_capacity"], body["held"]) == (2, 2)
    assert await status_of(api, orders[2]["id"]) == "requested"
    assert await remaining(api, service["id"]) == 0


async def test_cancelling_an_accepted_order_frees_its_place(api: Api) -> None:
    sec = await secretary(api)
    service = await park_service(api, monthly_capacity=1)
    first = await placed_order(api, sec, service["id"])
    second = await placed_order(api, sec, service["id"])
    await api.committee.ok("POST", f"/orders/{first['id']}/accept")
    problem(await api.committee.post(f"/orders/{second['id']}/accept"), 409)
    await sec.ok("POST", f"/orders/{first['id']}/cancel")
    assert await remaining(api, service["id"]) == 1
    await api.committee.ok("POST", f"/orders/{second['id']}/accept")
    assert await remaining(api, service["id"]) == 0


async def test_delivered_and_rated_orders_keep_holding_their_place(api: Api) -> None:
    sec = await secretary(api)
    service = await park_service(api, monthly_capacity=2)
    a, b, c = [await placed_order(api, sec, service["id"]) for _ in range(3)]
    for o in (a, b):
        await api.committee.ok("POST", f"/orders/{o['id']}/accept")
        await sec.ok("POST", f"/orders/{o['id']}/deliver")
    await sec.ok("POST", f"/orders/{a['id']}/rate", json={"rating": 4})
    problem(await api.committee.post(f"/orders/{c['id']}/accept"), 409)


async def test_months_are_counted_separately(api: Api) -> None:
    sec = await secretary(api)
    service = await park_service(api, monthly_capacity=1)
    march = await placed_order(api, sec, service["id"])
    april = await placed_order(api, sec, service["id"], service_month=month_ahead(api, 1))
    march_again = await placed_order(api, sec, service["id"])
    await api.committee.ok("POST", f"/orders/{march['id']}/accept")
    await api.committee.ok("POST", f"/orders/{april['id']}/accept")
    problem(await api.committee.post(f"/orders/{march_again['id']}/accept"), 409)
    assert (await remaining(api, service["id"], "2026-03"), await remaining(api, service["id"], "2026-04")) == (0, 0)
    assert await remaining(api, service["id"], "2026-05") == 1


# Whose turn it is -------------------------------------------------------------------------------------------


async def test_only_the_provider_accepts_or_declines(api: Api) -> None:
    member = await api.org_member()
    colleague = await api.user("org", organization_id=member.user["org"]["id"])
    other = await api.org_member()
    sec = await secretary(api)
    org_offer = await org_service(member, api)
    park_offer = await park_service(api)
    org_order = await placed_order(api, sec, org_offer["id"])
    park_order = await placed_order(api, sec, park_offer["id"])

    for who, order, status in (
        (other, org_order, 404),  # another organisation cannot even see it
        (member, park_order, 404),
        (api.committee, org_order, 403),  # the committee sees every order but provides only the park's services
        (sec, org_order, 403),
        (sec, park_order, 403),
    ):
        problem(await who.post(f"/orders/{order['id']}/accept"), status)
        problem(await who.post(f"/orders/{order['id']}/decline", json={"reason": "不是我们的"}), status)
    problem(await api.anon.post(f"/orders/{org_order['id']}/accept"), 401)
    problem(await api.committee.post("/orders/99999999/accept"), 404)
    assert (await status_of(api, org_order["id"]), await status_of(api, park_order["id"])) == ("requested", "requested")

    await colleague.ok("POST", f"/orders/{org_order['id']}/accept")  # any member of the providing organisation
    await api.committee.ok("POST", f"/orders/{park_order['id']}/decline", json={"reason": "场地维修"})


async def test_only_the_ordering_community_cancels_delivers_and_rates(api: Api) -> None:
    sec = await secretary(api)
    colleague = await secretary(api, sec.user["community"])
    neighbour = await secretary(api)
    member = await api.org_member()
    service = await org_service(member, api)
    order = await placed_order(api, sec, service["id"])
    await member.ok("POST", f"/orders/{order['id']}/accept")

    for who, status in ((neighbour, 404), (member, 403), (api.committee, 403)):
        problem(await who.post(f"/orders/{order['id']}/deliver"), status)
        problem(await who.post(f"/orders/{order['id']}/cancel"), status)
    assert await status_of(api, order["id"]) == "accepted"
    await colleague.ok("POST", f"/orders/{order['id']}/deliver")  # any secretary of the ordering community
    for who, status in ((neighbour, 404), (member, 403), (api.committee, 403)):
        problem(await who.post(f"/orders/{order['id']}/rate", json={"rating": 5}), status)
    await sec.ok("POST", f"/orders/{order['id']}/rate", json={"rating": 5})


async def test_moves_out_of_turn_are_409(api: Api) -> None:
    sec = await secretary(api)
    service = await park_service(api)
    order = await placed_order(api, sec, service["id"])
    url = f"/orders/{order['id']}"
    problem(await sec.post(f"{url}/deliver"), 409)  # not accepted yet
    await api.committee.ok("POST", f"{url}/accept")
    problem(await api.committee.post(f"{url}/accept"), 409)
    problem(await api.committee.post(f"{url}/decline", json={"reason": "改主意了"}), 409)
    await sec.ok("POST", f"{url}/deliver")
    problem(await sec.post(f"{url}/cancel"), 409)
    problem(await sec.post(f"{url}/deliver"), 409)

    declined = await placed_order(api, sec, service["id"])
    await api.committee.ok("POST", f"/orders/{declined['id']}/decline", json={"reason": "档期冲突"})
    for action in ("accept", "cancel", "deliver"):
        who = api.committee if action == "accept" else sec
        problem(await who.post(f"/orders/{declined['id']}/{action}"), 409)
    assert await status_of(api, declined["id"]) == "declined"


# Reading orders ---------------------------------------------------------------------------------------------


async def test_orders_are_seen_by_their_community_their_provider_and_the_committee(api: Api) -> None:
    sec = await secretary(api)
    neighbour = await secretary(api)
    member = await api.org_member()
    other = await api.org_member()
    evaluator = await api.user("evaluator")
    mine = await org_service(member, api)
    park = await park_service(api)
    o1 = await placed_order(api, sec, mine["id"])
    o2 = await placed_order(api, neighbour, park["id"])

    async def ids(who: As, **params: Any) -> list[int]:
        page = await who.ok("GET", "/orders", params={"limit": 100} | params)
        assert page["total"] == len(page["items"])
        return [o["id"] for o in page["items"]]

    assert await ids(sec) == [o1["id"]]
    assert await ids(neighbour) == [o2["id"]]
    assert await ids(member) == [o1["id"]]
    assert await ids(other) == []
    assert await ids(api.committee) == [o2["id"], o1["id"]]
    problem(await evaluator.get("/orders"), 403)
    problem(await api.anon.get("/orders"), 401)

    assert (await sec.ok("GET", f"/orders/{o1['id']}"))["id"] == o1["id"]
    assert (await member.ok("GET", f"/orders/{o1['id']}"))["id"] == o1["id"]
    for who in (neighbour, other, evaluator):
        problem(await who.get(f"/orders/{o1['id']}"), 404)
    problem(await api.anon.get(f"/orders/{o1['id']}"), 401)


async def test_order_list_filters(api: Api) -> None:
    sec = await secretary(api)
    a = await park_service(api)
    b = await park_service(api)
    need = await raised_need(sec, api)
    march = await placed_order(api, sec, a["id"], need_id=need["id"])
    april = await placed_order(api, sec, a["id"], service_month=month_ahead(api, 1))
    other = await placed_order(api, sec, b["id"])
    await api.committee.ok("POST", f"/orders/{march['id']}/accept")

    async def ids(**params: Any) -> list[int]:
        page = await sec.ok("GET", "/orders", params={"limit": 100} | params)
        return sorted(o["id"] for o in page["items"])

    assert await ids(status="accepted") == [march["id"]]
    assert await ids(status="requested") == sorted([april["id"], other["id"]])
    assert await ids(offering_id=a["id"]) == sorted([march["id"], april["id"]])
    assert await ids(month="2026-04") == [april["id"]]
    assert await ids(need_id=need["id"]) == [march["id"]]
    assert await ids(offering_id=a["id"], month="2026-03") == [march["id"]]
    for bad in ({"month": "2026-4"}, {"status": "lost"}, {"offering_id": "x"}, {"limit": 0}):
        problem(await sec.get("/orders", params=bad), 400)


# Ordering meetings (点单会) ----------------------------------------------------------------------------------


def meeting_body(api: Api, offering_ids: list[int], **overrides: Any) -> dict[str, Any]:
    return {
        "title": "2026年春季社区书记点单会",
        "place": "创新园一楼路演厅",
        "starts_at": api.later(hours=1).isoformat(),
        "ends_at": api.later(hours=3).isoformat(),
        "offering_ids": offering_ids,
    } | overrides


async def test_the_committee_schedules_a_meeting_and_chooses_what_is_presented(api: Api) -> None:
    member = await api.org_member()
    sec = await secretary(api)
    a = await park_service(api)
    b = await org_service(member, api)
    body = meeting_body(api, [b["id"], a["id"], a["id"]])
    for who in (sec, member):
        problem(await who.post("/meetings", json=body), 403)
    problem(await api.anon.post("/meetings", json=body), 401)

    meeting = await api.committee.ok("POST", "/meetings", status=201, json=body)
    assert meeting["phase"] == "upcoming"
    assert [o["id"] for o in meeting["offerings"]] == [a["id"], b["id"]]
    assert meeting["order_counts"] == [
        {"offering_id": a["id"], "title": a["title"], "total": 0, "by_status": {}},
        {"offering_id": b["id"], "title": b["title"], "total": 0, "by_status": {}},
    ]
    assert "meeting_scheduled" in await inbox_kinds(sec)
    page = await api.anon.ok("GET", "/meetings")
    assert page["total"] == 1
    assert (page["items"][0]["offering_count"], page["items"][0]["order_count"]) == (2, 0)
    assert await audit_trail(api, "meeting", meeting["id"]) == [("create", "", "scheduled")]


async def test_a_meeting_needs_a_sound_window_and_orderable_offerings(api: Api) -> None:
    a = await park_service(api)
    off = await park_service(api)
    await api.committee.ok("PATCH", f"/services/{off['id']}", json={"active": False})
    start = api.later(hours=1).isoformat()
    problem(
        await api.committee.post("/meetings", json=meeting_body(api, [a["id"]], starts_at=start, ends_at=start)),
        422,
        field="ends_at",
    )
    for ids in ([99999999], [a["id"], off["id"]]):
        problem(await api.committee.post("/meetings", json=meeting_body(api, ids)), 422, field="offering_ids")
    for bad in ({"offering_ids": []}, {"starts_at": "2026-03-02T10:00:00"}, {"title": ""}, {"offering_ids": [0]}):
        problem(await api.committee.post("/meetings", json=meeting_body(api, [a["id"]]) | bad), 400)
    assert (await api.anon.ok("GET", "/meetings"))["total"] == 0
    problem(await api.anon.get("/meetings/99999999"), 404)


async def test_orders_placed_during_a_meeting_are_grouped_under_it(api: Api) -> None:
    member = await api.org_member()
    sec = await secretary(api)
    neighbour = await secretary(api)
    a = await park_service(api)
    b = await org_service(member, api)
    meeting = await api.committee.ok("POST", "/meetings", status=201, json=meeting_body(api, [a["id"], b["id"]]))
    api.clock.advance(hours=1)
    need = await raised_need(sec, api)
    o1 = await placed_order(api, sec, a["id"], meeting_id=meeting["id"], need_id=need["id"])
    o2 = await placed_order(api, neighbour, a["id"], meeting_id=meeting["id"])
    o3 = await placed_order(api, sec, b["id"], meeting_id=meeting["id"])
    await placed_order(api, sec, b["id"])  # ordered outside the meeting
    await api.committee.ok("POST", f"/orders/{o2['id']}/accept")
    assert await need_status(api, need["id"]) == "matched"

    public = await api.anon.ok("GET", f"/meetings/{meeting['id']}")
    assert public["phase"] == "on"
    assert public["order_counts"] == [
        {"offering_id": a["id"], "title": a["title"], "total": 2, "by_status": {"requested": 1, "accepted": 1}},
        {"offering_id": b["id"], "title": b["title"], "total": 1, "by_status": {"requested": 1}},
    ]
    assert public["orders"] == []
    assert [o["remaining_this_month"] for o in public["offerings"]] == [4, 5]
    committee_view = await api.committee.ok("GET", f"/meetings/{meeting['id']}")
    assert [o["id"] for o in committee_view["orders"]] == [o1["id"], o2["id"], o3["id"]]
    assert [o["id"] for o in (await sec.ok("GET", f"/meetings/{meeting['id']}"))["orders"]] == [o1["id"], o3["id"]]
    assert [o["id"] for o in (await member.ok("GET", f"/meetings/{meeting['id']}"))["orders"]] == [o3["id"]]
    page = await sec.ok("GET", "/orders", params={"meeting_id": meeting["id"]})
    assert sorted(o["id"] for o in page["items"]) == sorted([o1["id"], o3["id"]])
    assert (await api.anon.ok("GET", "/meetings"))["items"][0]["order_count"] == 3


async def test_meeting_orders_only_while_it_is_on(api: Api) -> None:
    sec = await secretary(api)
    a = await park_service(api)
    meeting = await api.committee.ok("POST", "/meetings", status=201, json=meeting_body(api, [a["id"]]))
    body = {"service_month": "2026-03", "meeting_id": meeting["id"]}
    url = f"/services/{a['id']}/orders"
    problem(await sec.post(url, json=body), 409, field="meeting_id")  # not started
    api.clock.advance(hours=1)
    await placed_order(api, sec, a["id"], meeting_id=meeting["id"])  # starts_at itself is inside
    api.clock.advance(hours=2)
    problem(await sec.post(url, json=body), 409, field="meeting_id")  # ends_at itself is outside
    assert (await api.anon.ok("GET", f"/meetings/{meeting['id']}"))["phase"] == "ended"
    assert await order_total(api) == 1


async def test_meeting_orders_only_for_presented_offerings(api: Api) -> None:
    sec = await secretary(api)
    shown = await park_service(api)
    not_shown = await park_service(api)
    meeting = await api.committee.ok("POST", "/meetings", status=201, json=meeting_body(api, [shown["id"]]))
    api.clock.advance(hours=1)
    for meeting_id in (meeting["id"], 99999999):
        body = {"service_month": "2026-03", "meeting_id": meeting_id}
        problem(await sec.post(f"/services/{not_shown['id']}/orders", json=body), 422, field="meeting_id")
    assert await order_total(api) == 0
