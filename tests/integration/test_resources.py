"""The resource list (服务资源库) through the HTTP API: who publishes and edits services, search, remaining capacity."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.factories import (
    Api,
    As,
    audit_trail,
    month_ahead,
    order_total,
    org_service,
    park_service,
    placed_order,
    problem,
    secretary,
    service_body,
)
from tests.statements import statements


async def listed(who: As, **params: Any) -> list[dict[str, Any]]:
    page = await who.ok("GET", "/services", params={"limit": 100} | params)
    assert page["total"] == len(page["items"])
    return list(page["items"])


async def listed_ids(who: As, **params: Any) -> list[int]:
    return [s["id"] for s in await listed(who, **params)]


async def service_total(api: Api) -> int:
    page = await api.anon.ok("GET", "/services", params={"limit": 1, "include_inactive": True})
    return int(page["total"])


# Publishing -------------------------------------------------------------------------------------------------


async def test_committee_publishes_park_services_in_the_parks_name(api: Api) -> None:
    s = await park_service(api, title="公益创投能力培训", monthly_capacity=8, target_groups=["社区书记", "社区书记"])
    assert s["provider"] == "park"
    assert s["organization_id"] is None
    assert s["provider_name"] == "创新园"
    assert (s["monthly_capacity"], s["remaining_this_month"], s["accepted_this_month"]) == (8, 8, 0)
    assert s["month"] == "2026-03"
    assert s["target_groups"] == ["社区书记"]
    assert s["active"] and s["orderable"]
    assert len(s["months"]) == 13 and s["months"][0] == {"month": "2026-03", "held": 0, "remaining": 8}
    assert s["months"][-1]["month"] == "2027-03"
    assert await api.anon.ok("GET", f"/services/{s['id']}") == s
    assert await audit_trail(api, "offering", s["id"]) == [("create", "", "active")]


async def test_org_member_publishes_own_organisations_offerings_only(api: Api) -> None:
    member = await api.org_member()
    other = await api.org_member()
    s = await org_service(member, api)
    assert (s["provider"], s["organization_id"], s["provider_name"]) == (
        "organization",
        member.user["org"]["id"],
        member.user["org"]["name"],
    )
    before = await service_total(api)
    problem(await member.post("/services", json=service_body(api, organization_id=other.user["org"]["id"])), 403)
    problem(
        await api.committee.post("/services", json=service_body(api, organization_id=member.user["org"]["id"])), 403
    )
    assert await service_total(api) == before


async def test_only_the_committee_and_active_organisations_publish(api: Api) -> None:
    sec = await secretary(api)
    evaluator = await api.user("evaluator")
    member = await api.org_member()
    await api.committee.ok(
        "PATCH", f"/organizations/{member.user['org']['id']}", json={"status": "suspended", "reason": "年检未通过"}
    )
    before = await service_total(api)
    for who in (sec, evaluator, member):
        problem(await who.post("/services", json=service_body(api)), 403)
    problem(await api.anon.post("/services", json=service_body(api)), 401)
    assert await service_total(api) == before


async def test_capacity_and_fields_are_bounded(api: Api) -> None:
    before = await service_total(api)
    for bad in (
        {"monthly_capacity": 0},
        {"monthly_capacity": 10_001},
        {"category": "karaoke"},
        {"title": ""},
        {"description": ""},
        {"target_groups": ["x" * 51]},
        {"target_groups": [f"组{i}" for i in range(21)]},
        {"unknown": 1},
    ):
        problem(await api.committee.post("/services", json=service_body(api, **bad)), 400)
    assert await service_total(api) == before
    edge = await park_service(api, monthly_capacity=10_000)
    assert edge["remaining_this_month"] == 10_000


# Editing ----------------------------------------------------------------------------------------------------


async def test_only_the_owner_edits_a_service(api: Api) -> None:
    member = await api.org_member()
    other = await api.org_member()
    sec = await secretary(api)
    park = await park_service(api)
    own = await org_service(member, api)
    for who, target in ((member, park), (other, own), (api.committee, own), (sec, park), (sec, own)):
        problem(await who.patch(f"/services/{target['id']}", json={"description": "改过的说明"}), 403)
    problem(await api.anon.patch(f"/services/{park['id']}", json={"description": "改过的说明"}), 401)
    problem(await api.committee.patch("/services/99999999", json={"description": "改过的说明"}), 404)

    changed = await member.ok(
        "PATCH",
        f"/services/{own['id']}",
        json={"description": "新的说明", "target_groups": ["困境儿童"], "monthly_capacity": 9},
    )
    assert (changed["description"], changed["target_groups"], changed["monthly_capacity"]) == (
        "新的说明",
        ["困境儿童"],
        9,
    )
    off = await api.committee.ok("PATCH", f"/services/{park['id']}", json={"active": False})
    assert (off["active"], off["orderable"]) == (False, False)
    assert await audit_trail(api, "offering", park["id"]) == [("create", "", "active"), ("edit", "active", "inactive")]
    assert (await api.anon.ok("GET", f"/services/{own['id']}"))["description"] == "新的说明"


async def test_capacity_cannot_drop_below_places_already_accepted(api: Api) -> None:
    s = await park_service(api, monthly_capacity=5)
    sec = await secretary(api)
    for _ in range(3):
        o = await placed_order(api, sec, s["id"])
        await api.committee.ok("POST", f"/orders/{o['id']}/accept")
    body = problem(await api.committee.patch(f"/services/{s['id']}", json={"monthly_capacity": 2}), 409)
    assert body["field"] == "monthly_capacity"
    assert (await api.anon.ok("GET", f"/services/{s['id']}"))["monthly_capacity"] == 5
    lowered = await api.committee.ok("PATCH", f"/services/{s['id']}", json={"monthly_capacity": 3})
    assert (lowered["monthly_capacity"], lowered["remaining_this_month"]) == (3, 0)
    for bad in (0, 10_001, -1, 2.5):
        problem(await api.committee.patch(f"/services/{s['id']}", json={"monthly_capacity": bad}), 400)


# Search and filters -----------------------------------------------------------------------------------------


async def test_services_are_searchable_and_filterable(api: Api) -> None:
    member = await api.org_member()
    training = await park_service(api, title="Capacity Training 能力提升营", category="capacity_training")
    venue = await park_service(
        api, title="共享会议室", description="园区三楼多功能厅,可容纳80人", category="venue", target_groups=["社区书记"]
    )
    legal = await org_service(
        member, api, title="法律咨询进社区", category="legal_aid", target_groups=["独居老人", "困境儿童家庭"]
    )
    everyone = await listed_ids(api.anon)
    assert set(everyone) == {training["id"], venue["id"], legal["id"]}
    assert everyone[:2] == sorted([training["id"], venue["id"]])  # the park's own services come first

    assert await listed_ids(api.anon, category="venue") == [venue["id"]]
    assert await listed_ids(api.anon, provider="park") == sorted([training["id"], venue["id"]])
    assert await listed_ids(api.anon, provider=str(member.user["org"]["id"])) == [legal["id"]]
    assert await listed_ids(api.anon, target_group="老人") == [legal["id"]]
    assert await listed_ids(api.anon, target_group="社区书记") == [venue["id"]]
    assert await listed_ids(api.anon, target_group="无此人群") == []
    assert await listed_ids(api.anon, q="capacity training") == [training["id"]]  # either case, on both databases
    assert await listed_ids(api.anon, q="多功能厅") == [venue["id"]]  # descriptions too
    assert await listed_ids(api.anon, q="100%") == []  # LIKE wildcards are literal

    page = await api.anon.ok("GET", "/services", params={"limit": 2, "offset": 2})
    assert page["total"] == 3 and len(page["items"]) == 1

    for bad in ({"provider": "someone"}, {"provider": "0"}, {"category": "karaoke"}, {"limit": 0}, {"limit": 101}):
        problem(await api.anon.get("/services", params=bad), 400)


async def test_inactive_and_suspended_providers_services_are_hidden_by_default(api: Api) -> None:
    member = await api.org_member()
    shown = await park_service(api)
    off = await park_service(api)
    suspended = await org_service(member, api)
    await api.committee.ok("PATCH", f"/services/{off['id']}", json={"active": False})
    await api.committee.ok(
        "PATCH", f"/organizations/{member.user['org']['id']}", json={"status": "suspended", "reason": "年检未通过"}
    )

    assert await listed_ids(api.anon) == [shown["id"]]
    everything = {s["id"]: s for s in await listed(api.anon, include_inactive=True)}
    assert set(everything) == {shown["id"], off["id"], suspended["id"]}
    assert not everything[off["id"]]["orderable"]
    assert everything[suspended["id"]]["active"] and not everything[suspended["id"]]["orderable"]
    assert (await api.anon.ok("GET", f"/services/{suspended['id']}"))["orderable"] is False


# Remaining capacity -----------------------------------------------------------------------------------------


async def test_remaining_this_month_counts_places_held_in_the_shanghai_month(api: Api) -> None:
    s = await park_service(api, monthly_capacity=4)
    sec = await secretary(api)
    march = [await placed_order(api, sec, s["id"]) for _ in range(3)]
    april = await placed_order(api, sec, s["id"], service_month=month_ahead(api, 1))
    for o in (*march, april):
        await api.committee.ok("POST", f"/orders/{o['id']}/accept")
    await sec.ok("POST", f"/orders/{march[0]['id']}/deliver")
    await sec.ok("POST", f"/orders/{march[1]['id']}/cancel")
    await placed_order(api, sec, s["id"])  # requested orders hold nothing

    (row,) = await listed(api.anon)
    assert (row["month"], row["accepted_this_month"], row["remaining_this_month"]) == ("2026-03", 2, 2)
    detail = await api.anon.ok("GET", f"/services/{s['id']}")
    assert detail["months"][:2] == [
        {"month": "2026-03", "held": 2, "remaining": 2},
        {"month": "2026-04", "held": 1, "remaining": 3},
    ]

    # 16:30 UTC on 31 March is already 1 April in Shanghai.
    api.clock.set(datetime(2026, 3, 31, 16, 30, tzinfo=UTC))
    (row,) = await listed(api.anon)
    assert (row["month"], row["accepted_this_month"], row["remaining_this_month"]) == ("2026-04", 1, 3)


async def test_the_resource_list_costs_the_same_queries_however_long_it_is(api: Api) -> None:
    sec = await secretary(api)

    async def queries_for_list() -> int:
        with statements() as seen:
            await api.anon.ok("GET", "/services", params={"limit": 100})
        return len(seen)

    for _ in range(2):
        s = await park_service(api)
        o = await placed_order(api, sec, s["id"])
        await api.committee.ok("POST", f"/orders/{o['id']}/accept")
    few = await queries_for_list()
    assert 0 < few <= 5  # one of them asks whether time has made anything due (market.flows.anything_due)
    for _ in range(6):
        member = await api.org_member()
        s = await org_service(member, api)
        o = await placed_order(api, sec, s["id"])
        await member.ok("POST", f"/orders/{o['id']}/accept")
    assert await queries_for_list() == few


async def test_malformed_queries_paths_and_bodies_are_400_problems_naming_what_is_wrong(api: Api) -> None:
    sec = await secretary(api)
    await park_service(api)
    # (url, query, the parameter the problem names); None: well-formed after all, an empty page.
    reads: tuple[tuple[str, dict[str, str], str | None], ...] = (
        ("/services", {"q": "\x00"}, "q"),
        ("/services", {"target_group": "\x00'\""}, "target_group"),
        ("/services", {"provider": "9" * 16}, None),  # the longest id a provider may have, of nobody
        ("/services", {"provider": "9" * 17}, "provider"),
        ("/needs", {"q": "\x00"}, "q"),
        ("/needs", {"community_id": str(2**63)}, "community_id"),
        ("/orders", {"month": "9999-12"}, None),
        ("/orders", {"offering_id": str(2**64)}, "offering_id"),
        ("/services/18446744073709551616", {}, "offering_id"),
        ("/orders/-1", {}, "order_id"),
    )
    for url, params, named in reads:
        r = await sec.get(url, params=params)
        if named is None:
            assert r.status_code == 200 and r.json() == {"total": 0, "items": []}, (url, params, r.text)
        else:
            assert named in {e.get("key") for e in problem(r, 400)["errors"]}, (url, params, r.text)
    problem(await sec.get("/meetings/abc"), 404)  # no route has a meeting called abc
    writes: tuple[tuple[str, Any, str | None], ...] = (
        ("/services/1/orders", {"service_month": "2026-03", "note": "\x00"}, "note"),
        ("/services/1/orders", {"service_month": "2026-03", "need_id": 2**63}, "need_id"),
        ("/services/1/orders", {"service_month": "2026-03", "meeting_id": -5}, "meeting_id"),
        ("/services/1/orders", [1, 2, 3], None),  # not an object: nothing to name
        ("/needs", {"title": "t", "category": "other", "description": "\x00"}, "description"),
    )
    for url, body, named in writes:
        found = problem(await sec.post(url, json=body), 400)
        if named is not None:
            assert named in {e.get("key") for e in found["errors"]}, (url, body, found)
    assert await order_total(api) == 0
