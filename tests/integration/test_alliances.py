"""Alliances, organisations, applications, streets, communities and the rotating chair, over HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from market.audit import verify
from market.kernel import db as market_db
from market.models import AuditEntry
from tests.conftest import database_independent
from tests.factories import Api, credit_code, problem
from tests.statements import statements

# An API client that reads English: problem details follow the request's Accept-Language (zh-CN otherwise).
READS_ENGLISH = {"Accept-Language": "en"}


def assert_problem(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    body = problem(r, status, field=field)
    assert body["type"].startswith("/problems/"), body
    return body


async def audit_entries(api: Api, entity: str | None = None) -> list[AuditEntry]:
    """The audit log straight from the database, oldest first (and the chain must verify)."""
    engine = market_db.create_engine(api.settings.database_url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as db:
            stmt = select(AuditEntry).order_by(AuditEntry.id)
            if entity is not None:
                stmt = stmt.where(AuditEntry.entity == entity)
            entries = list((await db.execute(stmt)).scalars())
            assert (await verify(db)).ok
            return entries
    finally:
        await engine.dispose()


def a_bad_check_character(code: str) -> str:
    """The same code with a different (wrong) check character."""
    wrong = "1" if code[-1] != "1" else "2"
    return code[:-1] + wrong


def application_body(api_alliance_id: int, **fields: Any) -> dict[str, Any]:
    return {
        "name": "青岛李沧区阳光助老服务中心",
        "credit_code": credit_code(),
        "alliance_id": api_alliance_id,
        "categories": ["elderly_care", "culture"],
        "resident": False,
        "description": "为辖区老人提供助餐、陪伴服务",
        "contact_name": "王芳",
        "contact_phone": "13812345678",
    } | fields


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time as aware UTC (Shanghai is UTC+8 with no DST)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


QUARTERS_2026 = [
    {"alliance_code": "new-orgs", "starts_on": "2026-01-01", "ends_on": "2026-03-31"},
    {"alliance_code": "volunteers", "starts_on": "2026-04-01", "ends_on": "2026-06-30"},
    {"alliance_code": "legal", "starts_on": "2026-07-01", "ends_on": "2026-09-30"},
    {"alliance_code": "media", "starts_on": "2026-10-01", "ends_on": "2026-12-31"},
]


# --- plumbing --------------------------------------------------------------------------------------------------


# --- alliances -------------------------------------------------------------------------------------------------


async def test_alliances_are_listed_in_position_order_with_active_member_counts(api: Api) -> None:
    await api.org("legal")
    await api.org("legal")
    suspended = await api.org("legal")
    await api.committee.ok(
        "PATCH", f"/organizations/{suspended['id']}", json={"status": "suspended", "reason": "年检未通过"}
    )
    await api.org("media")
    alliances = await api.anon.ok("GET", "/alliances")
    assert [a["code"] for a in alliances] == ["new-orgs", "volunteers", "legal", "media"]
    assert [a["organization_count"] for a in alliances] == [0, 0, 2, 1]
    assert alliances[0]["name"] == "新型社会组织联盟"
    assert alliances[0]["leading_unit"] == "民政局"
    assert not any(a["chairing"] for a in alliances)


async def test_alliance_detail_lists_only_active_organizations(api: Api) -> None:
    active = await api.org("volunteers")
    suspended = await api.org("volunteers")
    await api.committee.ok(
        "PATCH", f"/organizations/{suspended['id']}", json={"status": "suspended", "reason": "年检未通过"}
    )
    detail = await api.anon.ok("GET", "/alliances/volunteers")
    assert detail["code"] == "volunteers"
    assert detail["leading_unit"] == "团区委"
    assert [o["id"] for o in detail["organizations"]] == [active["id"]]
    assert detail["organization_count"] == 1


async def test_unknown_alliance_code_is_404(api: Api) -> None:
    assert_problem(await api.anon.get("/alliances/nope"), 404)


async def test_alliance_chairing_flag_follows_the_clock_in_shanghai(api: Api) -> None:
    await api.committee.ok("PUT", "/chair", json={"terms": QUARTERS_2026})
    # 23:30 on 31 March in Shanghai: still new-orgs; at 00:30 on 1 April (16:30 UTC on 31 March) volunteers.
    api.clock.set(shanghai(2026, 3, 31, 23, 30))
    chairing = [a["code"] for a in await api.anon.ok("GET", "/alliances") if a["chairing"]]
    assert chairing == ["new-orgs"]
    api.clock.set(shanghai(2026, 4, 1, 0, 30))
    assert api.clock.now().date() == date(2026, 3, 31)
    chairing = [a["code"] for a in await api.anon.ok("GET", "/alliances") if a["chairing"]]
    assert chairing == ["volunteers"]
    assert (await api.anon.ok("GET", "/alliances/volunteers"))["chairing"] is True


# --- streets and communities -----------------------------------------------------------------------------------


async def test_street_and_community_are_created_and_listed_with_street_name(api: Api) -> None:
    street = await api.committee.ok("POST", "/streets", json={"name": "虎山路街道"}, status=201)
    community = await api.committee.ok(
        "POST", "/communities", json={"name": "虎山路社区", "street_id": street["id"]}, status=201
    )
    assert community == {
        "id": community["id"],
        "name": "虎山路社区",
        "street_id": street["id"],
        "street_name": "虎山路街道",
    }
    assert await api.anon.ok("GET", "/streets") == [{"id": street["id"], "name": "虎山路街道"}]
    assert await api.anon.ok("GET", "/communities") == [community]


async def test_communities_filter_by_street(api: Api) -> None:
    first = await api.community()
    second = await api.community()
    listed = await api.anon.ok("GET", "/communities", params={"street_id": second["street_id"]})
    assert [c["id"] for c in listed] == [second["id"]]
    assert {c["id"] for c in await api.anon.ok("GET", "/communities")} == {first["id"], second["id"]}


async def test_duplicate_street_name_is_409(api: Api) -> None:
    await api.committee.ok("POST", "/streets", json={"name": "九水街道"})
    assert_problem(await api.committee.post("/streets", json={"name": "九水街道"}), 409, "name")


async def test_duplicate_community_name_in_one_street_is_409_but_another_street_may_reuse_it(api: Api) -> None:
    one = await api.committee.ok("POST", "/streets", json={"name": "沧口街道"})
    two = await api.committee.ok("POST", "/streets", json={"name": "兴华路街道"})
    await api.committee.ok("POST", "/communities", json={"name": "书院路社区", "street_id": one["id"]})
    r = await api.committee.post("/communities", json={"name": "书院路社区", "street_id": one["id"]})
    assert_problem(r, 409, "name")
    await api.committee.ok("POST", "/communities", json={"name": "书院路社区", "street_id": two["id"]})


async def test_community_in_unknown_street_is_422_naming_the_field(api: Api) -> None:
    r = await api.committee.post("/communities", json={"name": "无名社区", "street_id": 999_999})
    assert_problem(r, 422, "street_id")


async def test_non_committee_cannot_create_streets_or_communities(api: Api) -> None:
    member = await api.org_member()
    assert_problem(await api.anon.post("/streets", json={"name": "街道A"}), 401)
    assert_problem(await api.anon.post("/communities", json={"name": "社区A", "street_id": 1}), 401)
    assert_problem(await member.post("/streets", json={"name": "街道A"}), 403)
    assert_problem(await member.post("/communities", json={"name": "社区A", "street_id": 1}), 403)


# --- organisations ---------------------------------------------------------------------------------------------


async def test_committee_creates_organization_with_normalised_credit_code(api: Api) -> None:
    code = credit_code()
    org = await api.org(
        "legal",
        name="李沧区法律援助服务社",
        credit_code=f"  {code.lower()} ",
        categories=["legal_aid", "mental_health"],
        description="公益法律咨询",
        contact_phone="0532-87654321",
    )
    assert org["credit_code"] == code
    assert org["alliance_code"] == "legal"
    assert org["alliance_name"] == "法律工作者联盟"
    assert org["categories"] == ["legal_aid", "mental_health"]
    assert org["status"] == "active"
    assert org["resident"] is True
    assert await api.anon.ok("GET", f"/organizations/{org['id']}") == org


async def test_wrong_credit_code_check_character_is_422_naming_the_field(api: Api) -> None:
    r = await api.committee.post(
        "/organizations",
        json={
            "name": "校验位错误的组织",
            "credit_code": a_bad_check_character(credit_code()),
            "alliance_id": await api.alliance_id("new-orgs"),
            "categories": ["other"],
            "resident": False,
        },
        headers=READS_ENGLISH,
    )
    body = assert_problem(r, 422, "credit_code")
    assert body["code"] == "error.credit_code_check_character"
    assert "check character" in body["detail"]
    assert await api.anon.ok("GET", "/organizations") == []


@pytest.mark.parametrize(
    ("code", "says"),
    [("91370213MA3CXXXXX", "18 characters"), ("91370213MA3CIIIII0", "invalid character"), ("", None)],
)
async def test_malformed_credit_code_is_rejected_saying_what_is_wrong(api: Api, code: str, says: str | None) -> None:
    body = {
        "name": "代码有误的组织",
        "credit_code": code,
        "alliance_id": await api.alliance_id("new-orgs"),
        "categories": ["other"],
    }
    r = await api.committee.post("/organizations", json=body, headers=READS_ENGLISH)
    if says is None:
        assert_problem(r, 400)  # empty: refused by the schema
    else:
        assert says in assert_problem(r, 422, "credit_code")["detail"]


async def test_duplicate_organization_name_or_credit_code_is_409(api: Api) -> None:
    org = await api.org()
    r = await api.committee.post(
        "/organizations",
        json={
            "name": org["name"],
            "credit_code": credit_code(),
            "alliance_id": org["alliance_id"],
            "categories": ["other"],
        },
    )
    assert_problem(r, 409, "name")
    r = await api.committee.post(
        "/organizations",
        json={
            "name": "另一个名字",
            "credit_code": org["credit_code"],
            "alliance_id": org["alliance_id"],
            "categories": ["other"],
        },
    )
    assert_problem(r, 409, "credit_code")


async def test_unknown_alliance_is_422_naming_alliance_id(api: Api) -> None:
    r = await api.committee.post(
        "/organizations",
        json={"name": "无盟组织", "credit_code": credit_code(), "alliance_id": 999, "categories": ["other"]},
    )
    assert_problem(r, 422, "alliance_id")


async def test_categories_must_be_known_unique_and_at_least_one(api: Api) -> None:
    alliance_id = await api.alliance_id("media")

    async def create(categories: list[str]) -> Any:
        return await api.committee.post(
            "/organizations",
            json={
                "name": "类别测试",
                "credit_code": credit_code(),
                "alliance_id": alliance_id,
                "categories": categories,
            },
        )

    assert_problem(await create([]), 400)
    assert_problem(await create(["astrology"]), 400)
    assert_problem(await create(["culture", "culture"]), 422, "categories")


async def test_non_committee_cannot_create_organization(api: Api) -> None:
    member = await api.org_member()
    evaluator = await api.user("evaluator")
    body = {
        "name": "越权创建的组织",
        "credit_code": credit_code(),
        "alliance_id": await api.alliance_id("new-orgs"),
        "categories": ["other"],
    }
    assert_problem(await api.anon.post("/organizations", json=body), 401)
    assert_problem(await member.post("/organizations", json=body), 403)
    assert_problem(await evaluator.post("/organizations", json=body), 403)


async def test_non_committee_cannot_update_organization(api: Api) -> None:
    member = await api.org_member()
    org_id = member.user["org"]["id"]
    assert_problem(
        await api.anon.patch(f"/organizations/{org_id}", json={"status": "suspended", "reason": "年检未通过"}), 401
    )
    assert_problem(
        await member.patch(f"/organizations/{org_id}", json={"status": "suspended", "reason": "年检未通过"}), 403
    )
    assert (await api.anon.ok("GET", f"/organizations/{org_id}"))["status"] == "active"


async def test_organization_list_filters_by_alliance_category_residency_and_name(api: Api) -> None:
    a = await api.org("new-orgs", name="阳光助老中心", categories=["elderly_care"], resident=True)
    b = await api.org("legal", name="阳光法律服务社", categories=["legal_aid", "elderly_care"], resident=False)
    c = await api.org("legal", name="晨曦心理咨询中心", categories=["mental_health"], resident=True)

    async def ids(**params: Any) -> list[int]:
        return [o["id"] for o in await api.anon.ok("GET", "/organizations", params=params)]

    assert await ids() == [a["id"], b["id"], c["id"]]
    assert await ids(alliance="legal") == [b["id"], c["id"]]
    assert await ids(alliance="nobody") == []
    assert await ids(category="elderly_care") == [a["id"], b["id"]]
    assert await ids(resident="true") == [a["id"], c["id"]]
    assert await ids(resident="false") == [b["id"]]
    assert await ids(q="阳光") == [a["id"], b["id"]]
    assert await ids(q="阳光", alliance="legal", category="elderly_care") == [b["id"]]
    assert await ids(q="100%_") == []
    assert await ids(limit=1, offset=1) == [b["id"]]
    await api.committee.ok("PATCH", f"/organizations/{a['id']}", json={"status": "suspended", "reason": "年检未通过"})
    assert await ids(status="suspended") == [a["id"]]


async def test_organization_list_does_not_query_per_row(api: Api, app: Litestar) -> None:
    engine = app.state["alchemy"].get_engine()
    await api.org("legal")
    with statements(engine) as few:
        assert len(await api.anon.ok("GET", "/organizations")) == 1
        await api.anon.ok("GET", "/alliances")
        await api.anon.ok("GET", "/alliances/legal")
    for n in range(8):
        await api.org(["new-orgs", "volunteers", "legal", "media"][n % 4])
    with statements(engine) as many:
        assert len(await api.anon.ok("GET", "/organizations")) == 9
        await api.anon.ok("GET", "/alliances")
        await api.anon.ok("GET", "/alliances/legal")
    assert len(many) == len(few), many


async def test_unknown_organization_is_404(api: Api) -> None:
    assert_problem(await api.anon.get("/organizations/424242"), 404)
    assert_problem(await api.committee.patch("/organizations/424242", json={"resident": True}), 404)


async def test_partial_update_changes_only_the_fields_sent(api: Api) -> None:
    org = await api.org(description="原简介", contact_phone="0532-1234567", categories=["culture"])
    updated = await api.committee.ok("PATCH", f"/organizations/{org['id']}", json={"description": "新简介"})
    assert updated == org | {"description": "新简介"}
    updated = await api.committee.ok(
        "PATCH", f"/organizations/{org['id']}", json={"categories": ["culture", "children"], "resident": False}
    )
    assert updated == org | {"description": "新简介", "categories": ["culture", "children"], "resident": False}
    assert_problem(
        await api.committee.patch(f"/organizations/{org['id']}", json={"categories": ["culture", "culture"]}),
        422,
        "categories",
    )
    assert_problem(await api.committee.patch(f"/organizations/{org['id']}", json={"name": "改名"}), 400)
    assert_problem(await api.committee.patch(f"/organizations/{org['id']}", json={"description": None}), 400)


async def test_status_change_is_audited(api: Api) -> None:
    org = await api.org()
    suspended = await api.committee.ok(
        "PATCH", f"/organizations/{org['id']}", json={"status": "suspended", "reason": "年检未通过"}
    )
    assert suspended["status"] == "suspended"
    await api.committee.ok("PATCH", f"/organizations/{org['id']}", json={"status": "active", "reason": "整改完成"})
    entries = [e for e in await audit_entries(api, "organization") if e.entity_id == org["id"]]
    assert [(e.action, e.before, e.after) for e in entries] == [
        ("create", "", "active"),
        ("suspend", "active", "suspended"),
        ("reactivate", "suspended", "active"),
    ]
    assert [e.data.get("reason") for e in entries] == [None, "年检未通过", "整改完成"]
    assert all(e.actor_label == "committee" and e.actor_id == api.committee.user["id"] for e in entries)


async def test_a_change_of_status_without_a_reason_is_refused_and_writes_nothing(api: Api) -> None:
    org = await api.org(resident=False)
    url = f"/organizations/{org['id']}"
    # Missing, blank and whitespace-only (full-width spaces too) are all no reason; the other fields sent with it
    # are not written either.
    for reason in ({}, {"reason": ""}, {"reason": " \n\t"}, {"reason": "\u3000\u3000"}):
        body = {"status": "suspended", "resident": True} | reason
        refusal = assert_problem(await api.committee.patch(url, json=body), 422, "reason")
        assert refusal["code"] == "error.reason_must_contain_words"
    after = await api.committee.ok("GET", url)
    assert (after["status"], after["resident"]) == ("active", False)
    assert [e.action for e in await audit_entries(api, "organization") if e.entity_id == org["id"]] == ["create"]

    await api.committee.ok("PATCH", url, json={"status": "suspended", "reason": " 年检未通过 "})
    # Putting it back needs words as well, as lifting a watch-list entry does.
    assert_problem(await api.committee.patch(url, json={"status": "active"}), 422, "reason")
    assert (await api.committee.ok("GET", url))["status"] == "suspended"
    entries = [e for e in await audit_entries(api, "organization") if e.entity_id == org["id"]]
    assert [(e.action, e.data.get("reason")) for e in entries] == [("create", None), ("suspend", "年检未通过")]
    # A change that moves no status needs no reason.
    await api.committee.ok("PATCH", url, json={"status": "suspended", "description": "暂停期间整改"})


async def test_update_that_changes_nothing_writes_no_audit_entry(api: Api) -> None:
    org = await api.org(resident=True)
    await api.committee.ok("PATCH", f"/organizations/{org['id']}", json={"resident": True, "status": "active"})
    await api.committee.ok("PATCH", f"/organizations/{org['id']}", json={})
    entries = [e for e in await audit_entries(api, "organization") if e.entity_id == org["id"]]
    assert [e.action for e in entries] == ["create"]


async def test_mobile_numbers_are_masked_for_everyone_but_the_committee(api: Api) -> None:
    org = await api.org(contact_phone="13912345678")
    assert org["contact_phone"] == "13912345678"
    public = await api.anon.ok("GET", f"/organizations/{org['id']}")
    assert public["contact_phone"] == "139****5678"
    assert (await api.anon.ok("GET", "/organizations"))[0]["contact_phone"] == "139****5678"
    member = await api.org_member()
    assert (await member.ok("GET", f"/organizations/{org['id']}"))["contact_phone"] == "139****5678"
    assert (await api.committee.ok("GET", f"/organizations/{org['id']}"))["contact_phone"] == "13912345678"
    landline = await api.org(contact_phone="0532-87654321")
    assert (await api.anon.ok("GET", f"/organizations/{landline['id']}"))["contact_phone"] == "0532-87654321"


# --- applications (入驻申请) --------------------------------------------------------------------------------------


async def test_anyone_can_apply_without_an_account(api: Api) -> None:
    body = application_body(await api.alliance_id("volunteers"))
    application = await api.anon.ok("POST", "/organizations/applications", json=body, status=201)
    assert application["status"] == "pending"
    assert application["organization_id"] is None
    listed = await api.committee.ok("GET", "/organizations/applications")
    assert [a["id"] for a in listed] == [application["id"]]
    [entry] = await audit_entries(api, "application")
    assert (entry.action, entry.after, entry.actor_id, entry.actor_label) == ("submit", "pending", None, "public")


@pytest.mark.parametrize("phone", ["12812345678", "1381234567", "138123456789", "0532-8765432", "+8613812345678"])
async def test_application_phone_must_be_a_mainland_mobile(api: Api, phone: str) -> None:
    body = application_body(await api.alliance_id("volunteers"), contact_phone=phone)
    assert_problem(await api.anon.post("/organizations/applications", json=body), 400)


async def test_application_with_bad_credit_code_is_422_naming_the_field(api: Api) -> None:
    body = application_body(await api.alliance_id("media"), credit_code=a_bad_check_character(credit_code()))
    assert_problem(await api.anon.post("/organizations/applications", json=body), 422, "credit_code")


async def test_application_for_a_registered_or_pending_organization_is_409(api: Api) -> None:
    org = await api.org()
    body = application_body(org["alliance_id"], credit_code=org["credit_code"])
    assert_problem(await api.anon.post("/organizations/applications", json=body), 409, "credit_code")
    first = application_body(org["alliance_id"])
    await api.anon.ok("POST", "/organizations/applications", json=first)
    assert_problem(await api.anon.post("/organizations/applications", json=first), 409, "credit_code")


async def test_approving_application_creates_organization(api: Api) -> None:
    body = application_body(await api.alliance_id("legal"), credit_code=credit_code().lower())
    application = await api.anon.ok("POST", "/organizations/applications", json=body)
    approved = await api.committee.ok("POST", f"/organizations/applications/{application['id']}/approve", status=200)
    assert approved["status"] == "approved"
    org = await api.anon.ok("GET", f"/organizations/{approved['organization_id']}")
    assert org["name"] == body["name"]
    assert org["credit_code"] == body["credit_code"].upper()
    assert org["alliance_code"] == "legal"
    assert org["categories"] == ["elderly_care", "culture"]
    assert org["status"] == "active"
    assert [(e.action, e.before, e.after) for e in await audit_entries(api, "application")] == [
        ("submit", "", "pending"),
        ("approve", "pending", "approved"),
    ]
    [created] = [e for e in await audit_entries(api, "organization") if e.entity_id == org["id"]]
    assert created.action == "create"
    assert created.data["application"] == application["id"]


async def test_rejecting_an_application_records_the_reason(api: Api) -> None:
    application = await api.anon.ok(
        "POST", "/organizations/applications", json=application_body(await api.alliance_id("media"))
    )
    url = f"/organizations/applications/{application['id']}/reject"
    assert_problem(await api.committee.post(url, json={}), 400)
    assert_problem(await api.committee.post(url, json={"reason": ""}), 422, "reason")
    assert_problem(await api.committee.post(url, json={"reason": "   "}), 422, "reason")
    rejected = await api.committee.ok("POST", url, json={"reason": "材料不全,请补充登记证书"}, status=200)
    assert rejected["status"] == "rejected"
    assert rejected["decision_reason"] == "材料不全,请补充登记证书"
    assert rejected["organization_id"] is None
    assert await api.anon.ok("GET", "/organizations") == []
    assert [(e.action, e.after) for e in await audit_entries(api, "application")][-1] == ("reject", "rejected")


async def test_deciding_an_application_twice_is_409(api: Api) -> None:
    alliance_id = await api.alliance_id("media")
    application = await api.anon.ok("POST", "/organizations/applications", json=application_body(alliance_id))
    base = f"/organizations/applications/{application['id']}"
    await api.committee.ok("POST", f"{base}/approve")
    assert_problem(await api.committee.post(f"{base}/approve"), 409)
    assert_problem(await api.committee.post(f"{base}/reject", json={"reason": "重复处理"}), 409)
    assert len(await api.anon.ok("GET", "/organizations")) == 1


async def test_approval_is_409_when_the_name_or_code_was_registered_meanwhile(api: Api) -> None:
    alliance_id = await api.alliance_id("volunteers")
    body = application_body(alliance_id)
    application = await api.anon.ok("POST", "/organizations/applications", json=body)
    await api.org("volunteers", credit_code=body["credit_code"])
    r = await api.committee.post(f"/organizations/applications/{application['id']}/approve")
    assert_problem(r, 409, "credit_code")
    [still] = await api.committee.ok("GET", "/organizations/applications", params={"status": "pending"})
    assert still["id"] == application["id"]
    assert len(await api.anon.ok("GET", "/organizations")) == 1


async def test_applications_are_for_the_committee_and_filter_by_status(api: Api) -> None:
    alliance_id = await api.alliance_id("volunteers")
    first = await api.anon.ok("POST", "/organizations/applications", json=application_body(alliance_id, name="甲"))
    second = await api.anon.ok("POST", "/organizations/applications", json=application_body(alliance_id, name="乙"))
    await api.committee.ok("POST", f"/organizations/applications/{first['id']}/reject", json={"reason": "不符合条件"})
    pending = await api.committee.ok("GET", "/organizations/applications", params={"status": "pending"})
    assert [a["id"] for a in pending] == [second["id"]]
    rejected = await api.committee.ok("GET", "/organizations/applications", params={"status": "rejected"})
    assert [a["id"] for a in rejected] == [first["id"]]
    assert_problem(await api.committee.get("/organizations/applications", params={"status": "maybe"}), 400)
    member = await api.org_member()
    assert_problem(await api.anon.get("/organizations/applications"), 401)
    assert_problem(await member.get("/organizations/applications"), 403)
    assert_problem(await member.post(f"/organizations/applications/{second['id']}/approve"), 403)
    assert_problem(await api.committee.post("/organizations/applications/999999/approve"), 404)


# --- the rotating chair (轮值主席) -------------------------------------------------------------------------------


async def test_exactly_one_alliance_chairs_on_any_date_of_the_schedule(api: Api) -> None:
    terms = await api.committee.ok("PUT", "/chair", json={"terms": QUARTERS_2026}, status=200)
    assert [t["alliance_code"] for t in terms] == ["new-orgs", "volunteers", "legal", "media"]
    day = date(2026, 1, 1)
    seen: dict[str, int] = {}
    while day <= date(2026, 12, 31):
        if day.day in (1, 15, 28) or day.month in (3, 4) or (day + timedelta(days=1)).day == 1:
            term = await api.anon.ok("GET", "/chair/on", params={"date": day.isoformat()})
            assert term["starts_on"] <= day.isoformat() <= term["ends_on"]
            covering = [t for t in terms if t["starts_on"] <= day.isoformat() <= t["ends_on"]]
            assert [t["id"] for t in covering] == [term["id"]]
            seen[term["alliance_code"]] = seen.get(term["alliance_code"], 0) + 1
        day += timedelta(days=1)
    assert set(seen) == {"new-orgs", "volunteers", "legal", "media"}
    assert (await api.anon.ok("GET", "/chair/on", params={"date": "2026-03-31"}))["alliance_code"] == "new-orgs"
    assert (await api.anon.ok("GET", "/chair/on", params={"date": "2026-04-01"}))["alliance_code"] == "volunteers"


async def test_date_outside_the_schedule_has_no_chair(api: Api) -> None:
    assert_problem(await api.anon.get("/chair/on", params={"date": "2026-05-01"}), 404)
    await api.committee.ok("PUT", "/chair", json={"terms": QUARTERS_2026})
    assert_problem(await api.anon.get("/chair/on", params={"date": "2025-12-31"}), 404)
    assert_problem(await api.anon.get("/chair/on", params={"date": "2027-01-01"}), 404)
    schedule = await api.anon.ok("GET", "/chair")
    assert len(schedule["terms"]) == 4


async def test_todays_chair_follows_the_clock_in_shanghai(api: Api) -> None:
    empty = await api.anon.ok("GET", "/chair")
    assert empty["today"] is None
    assert empty["terms"] == []
    await api.committee.ok("PUT", "/chair", json={"terms": QUARTERS_2026})
    api.clock.set(shanghai(2026, 6, 30, 23, 59))
    schedule = await api.anon.ok("GET", "/chair")
    assert schedule["local_date"] == "2026-06-30"
    assert schedule["today"]["alliance_code"] == "volunteers"
    api.clock.set(shanghai(2026, 7, 1, 0, 1))  # still 30 June in UTC
    schedule = await api.anon.ok("GET", "/chair")
    assert schedule["local_date"] == "2026-07-01"
    assert schedule["today"]["alliance_code"] == "legal"
    assert schedule["today"]["alliance_name"] == "法律工作者联盟"
    assert [t["starts_on"] for t in schedule["terms"]] == [t["starts_on"] for t in QUARTERS_2026]


@pytest.mark.parametrize(
    ("terms", "says"),
    [
        (
            [
                {"alliance_code": "new-orgs", "starts_on": "2026-01-01", "ends_on": "2026-03-31"},
                {"alliance_code": "legal", "starts_on": "2026-04-02", "ends_on": "2026-06-30"},
            ],
            "no chair from",
        ),
        (
            [
                {"alliance_code": "new-orgs", "starts_on": "2026-01-01", "ends_on": "2026-03-31"},
                {"alliance_code": "legal", "starts_on": "2026-03-31", "ends_on": "2026-06-30"},
            ],
            "overlap",
        ),
        ([{"alliance_code": "media", "starts_on": "2026-03-01", "ends_on": "2026-02-28"}], "before it starts"),
    ],
    ids=["gap", "overlap", "reversed"],
)
async def test_schedule_with_gap_overlap_or_reversed_term_is_rejected(
    api: Api, terms: list[dict[str, str]], says: str
) -> None:
    await api.committee.ok("PUT", "/chair", json={"terms": QUARTERS_2026})
    body = assert_problem(await api.committee.put("/chair", json={"terms": terms}, headers=READS_ENGLISH), 422, "terms")
    assert says in body["detail"]
    # Nothing changed.
    assert [t["alliance_code"] for t in (await api.anon.ok("GET", "/chair"))["terms"]] == [
        "new-orgs",
        "volunteers",
        "legal",
        "media",
    ]


async def test_schedule_with_gap_is_rejected(api: Api) -> None:
    gap = [QUARTERS_2026[0], QUARTERS_2026[2]]
    body = assert_problem(await api.committee.put("/chair", json={"terms": gap}), 422, "terms")
    assert body["code"] == "error.chair_gap"
    assert "2026-04-01 至 2026-06-30 无轮值主席" in body["detail"]  # Chinese when the request names no language
    assert (await api.anon.ok("GET", "/chair"))["terms"] == []


async def test_rotation_generates_a_contiguous_schedule(api: Api) -> None:
    rotation = {
        "order": ["legal", "media", "new-orgs", "volunteers"],
        "first_day": "2026-01-31",
        "months_per_term": 1,
        "count": 6,
    }
    terms = await api.committee.ok("PUT", "/chair", json={"rotation": rotation})
    assert [(t["alliance_code"], t["starts_on"], t["ends_on"]) for t in terms] == [
        ("legal", "2026-01-31", "2026-02-27"),
        ("media", "2026-02-28", "2026-03-30"),
        ("new-orgs", "2026-03-31", "2026-04-29"),
        ("volunteers", "2026-04-30", "2026-05-30"),
        ("legal", "2026-05-31", "2026-06-29"),
        ("media", "2026-06-30", "2026-07-30"),
    ]
    [entry] = await audit_entries(api, "chair_schedule")
    assert (entry.action, entry.before, entry.after) == ("replace", "0 terms", "6 terms")
    assert entry.data["terms"][0] == {"alliance": "legal", "starts_on": "2026-01-31", "ends_on": "2026-02-27"}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 422, "terms"),
        (
            {
                "terms": QUARTERS_2026,
                "rotation": {"order": ["legal"], "first_day": "2026-01-01", "months_per_term": 3, "count": 4},
            },
            422,
            "terms",
        ),
        (
            {"terms": [{"alliance_code": "chess-club", "starts_on": "2026-01-01", "ends_on": "2026-12-31"}]},
            422,
            "terms",
        ),
        (
            {
                "rotation": {
                    "order": ["legal", "chess-club"],
                    "first_day": "2026-01-01",
                    "months_per_term": 3,
                    "count": 4,
                }
            },
            422,
            "rotation",
        ),
        (
            {"rotation": {"order": ["legal"], "first_day": "9999-01-01", "months_per_term": 12, "count": 3}},
            422,
            "first_day",
        ),
        ({"rotation": {"order": ["legal"], "first_day": "2026-01-01", "months_per_term": 0, "count": 3}}, 400, None),
        ({"rotation": {"order": [], "first_day": "2026-01-01", "months_per_term": 1, "count": 3}}, 400, None),
        ({"terms": []}, 400, None),
        (
            {
                "terms": [
                    {"alliance_code": "legal", "starts_on": "9999-12-31", "ends_on": "9999-12-31"},
                    {"alliance_code": "media", "starts_on": "9999-12-31", "ends_on": "9999-12-31"},
                ]
            },
            422,
            "starts_on",
        ),
    ],
    ids=[
        "neither",
        "both",
        "unknown-alliance",
        "unknown-in-rotation",
        "past-9999",
        "zero-months",
        "empty-order",
        "no-terms",
        "end-of-time",
    ],
)
async def test_bad_schedule_requests_are_refused_without_5xx(
    api: Api, body: dict[str, Any], status: int, field: str | None
) -> None:
    assert_problem(await api.committee.put("/chair", json=body), status, field)


async def test_non_committee_cannot_replace_the_schedule_or_add_activities(api: Api) -> None:
    member = await api.org_member()
    assert_problem(await api.anon.put("/chair", json={"terms": QUARTERS_2026}), 401)
    assert_problem(await member.put("/chair", json={"terms": QUARTERS_2026}), 403)
    activity = {"title": "联合主题党日", "held_on": "2026-03-05"}
    assert_problem(await api.anon.post("/chair/activities", json=activity), 401)
    assert_problem(await member.post("/chair/activities", json=activity), 403)


async def test_activity_is_attached_to_the_term_covering_its_date(api: Api) -> None:
    await api.committee.ok("PUT", "/chair", json={"terms": QUARTERS_2026})
    activity = await api.committee.ok(
        "POST",
        "/chair/activities",
        json={
            "title": "联合主题党日",
            "held_on": "2026-04-01",
            "place": "创新园党群服务中心",
            "description": "四联盟共建",
        },
        status=201,
    )
    assert activity["alliance_code"] == "volunteers"
    assert activity["held_on"] == "2026-04-01"
    [entry] = await audit_entries(api, "chair_activity")
    assert (entry.entity_id, entry.action, entry.data["alliance"]) == (activity["id"], "create", "volunteers")


async def test_activity_outside_every_term_is_422(api: Api) -> None:
    await api.committee.ok("PUT", "/chair", json={"terms": QUARTERS_2026})
    r = await api.committee.post("/chair/activities", json={"title": "跨年活动", "held_on": "2027-01-01"})
    assert_problem(r, 422, "held_on")


async def test_activity_calendar_is_filtered_by_inclusive_dates_and_ordered_by_date(api: Api) -> None:
    await api.committee.ok("PUT", "/chair", json={"terms": QUARTERS_2026})
    for title, day in [
        ("七月", "2026-07-01"),
        ("三月", "2026-03-31"),
        ("四月", "2026-04-01"),
        ("十二月", "2026-12-31"),
    ]:
        await api.committee.ok("POST", "/chair/activities", json={"title": title, "held_on": day})
    everything = await api.anon.ok("GET", "/chair/activities")
    assert [a["title"] for a in everything] == ["三月", "四月", "七月", "十二月"]
    window = await api.anon.ok("GET", "/chair/activities", params={"from": "2026-04-01", "to": "2026-07-01"})
    assert [a["title"] for a in window] == ["四月", "七月"]
    assert [a["alliance_code"] for a in window] == ["volunteers", "legal"]
    tail = await api.anon.ok("GET", "/chair/activities", params={"from": "2026-12-31"})
    assert [a["title"] for a in tail] == ["十二月"]
    assert_problem(
        await api.anon.get("/chair/activities", params={"from": "2026-05-01", "to": "2026-04-01"}), 422, "to"
    )
    assert_problem(await api.anon.get("/chair/activities", params={"from": "yesterday"}), 400)


async def test_term_with_activities_cannot_be_removed_but_unchanged_terms_keep_them(api: Api) -> None:
    before = await api.committee.ok("PUT", "/chair", json={"terms": QUARTERS_2026})
    activity = await api.committee.ok(
        "POST", "/chair/activities", json={"title": "联合主题党日", "held_on": "2026-02-10"}
    )
    # Changing the first quarter (which has the activity) is refused and changes nothing.
    changed = [{"alliance_code": "media", "starts_on": "2026-01-01", "ends_on": "2026-03-31"}, *QUARTERS_2026[1:]]
    body = assert_problem(await api.committee.put("/chair", json={"terms": changed}), 409, "terms")
    assert "2026-01-01" in body["detail"]
    assert await api.anon.ok("GET", "/chair/activities") == [activity]
    # Changing the other quarters and adding a year is fine; the first term keeps its id and its activity.
    rest = [
        {"alliance_code": "legal", "starts_on": "2026-04-01", "ends_on": "2026-12-31"},
        {"alliance_code": "volunteers", "starts_on": "2027-01-01", "ends_on": "2027-12-31"},
    ]
    after = await api.committee.ok("PUT", "/chair", json={"terms": [QUARTERS_2026[0], *rest]})
    assert after[0]["id"] == before[0]["id"]
    assert [t["alliance_code"] for t in after] == ["new-orgs", "legal", "volunteers"]
    assert await api.anon.ok("GET", "/chair/activities") == [activity]
    assert (await api.anon.ok("GET", "/chair/on", params={"date": "2026-06-01"}))["alliance_code"] == "legal"
    # Reusing a removed term's dates in the same replacement works (the unique dates are freed first).
    again = await api.committee.ok("PUT", "/chair", json={"terms": QUARTERS_2026})
    assert [t["alliance_code"] for t in again] == ["new-orgs", "volunteers", "legal", "media"]
    entries = await audit_entries(api, "chair_schedule")
    assert [(e.before, e.after) for e in entries] == [
        ("0 terms", "4 terms"),
        ("4 terms", "3 terms"),
        ("3 terms", "4 terms"),
    ]


# --- malformed input and the audit trail -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "kwargs"),
    [
        ("POST", "/organizations", {"content": b"{not json"}),
        ("POST", "/organizations", {"json": ["a", "list"]}),
        ("POST", "/organizations", {"json": {"name": 5}}),
        (
            "POST",
            "/organizations",
            {"json": {"name": "A", "credit_code": "x", "alliance_id": 1, "categories": ["other"], "rogue": 1}},
        ),
        (
            "POST",
            "/organizations",
            {"json": {"name": "A\x00B", "credit_code": "x", "alliance_id": 1, "categories": ["other"]}},
        ),
        (
            "POST",
            "/organizations",
            {"json": {"name": "A", "credit_code": "x", "alliance_id": 2**70, "categories": ["other"]}},
        ),
        (
            "POST",
            "/organizations",
            {"json": {"name": "x" * 101, "credit_code": "x", "alliance_id": 1, "categories": ["other"]}},
        ),
        ("PATCH", "/organizations/1", {"json": {"status": "deleted"}}),
        ("PATCH", "/organizations/1", {"json": {"resident": "yes"}}),
        ("POST", "/streets", {"json": {}}),
        ("POST", "/streets", {"json": {"name": ""}}),
        ("POST", "/communities", {"json": {"name": "社区", "street_id": -1}}),
        (
            "PUT",
            "/chair",
            {"json": {"terms": [{"alliance_code": "legal", "starts_on": "2026-02-30", "ends_on": "2026-03-01"}]}},
        ),
        ("PUT", "/chair", {"json": {"terms": "all of them"}}),
        ("POST", "/chair/activities", {"json": {"title": "活动", "held_on": "not a date"}}),
        ("POST", "/organizations/applications/1/reject", {"content": b"\xff\xfe"}),
    ],
)
async def test_malformed_bodies_are_400_problems(api: Api, method: str, url: str, kwargs: dict[str, Any]) -> None:
    await api.org()  # so that /organizations/1 exists
    headers = {"content-type": "application/json"} if "content" in kwargs else {}
    r = await api.committee.request(method, url, headers=headers, **kwargs)
    assert_problem(r, 400)


@database_independent
@pytest.mark.parametrize(
    "url",
    [
        "/organizations/0",
        "/organizations/99999999999999999999999",
        "/organizations/abc",
        "/organizations?limit=0",
        "/organizations?limit=100000",
        "/organizations?offset=-1",
        "/organizations?resident=perhaps",
        "/organizations?category=astrology",
        "/organizations?q=%00",
        "/communities?street_id=0",
        "/communities?street_id=x",
        "/chair/on",
        "/chair/on?date=2026-13-01",
        "/chair/activities?to=31/12/2026",
    ],
)
async def test_malformed_query_and_path_parameters_are_4xx_problems(api: Api, url: str) -> None:
    r = await api.anon.get(url)
    assert 400 <= r.status_code < 500, r.text
    assert_problem(r, r.status_code)


async def test_every_write_is_audited_under_its_entity_name(api: Api) -> None:
    community = await api.community()
    org = await api.org()
    await api.committee.ok("PATCH", f"/organizations/{org['id']}", json={"description": "更新"})
    application = await api.anon.ok(
        "POST", "/organizations/applications", json=application_body(await api.alliance_id("legal"))
    )
    await api.committee.ok("POST", f"/organizations/applications/{application['id']}/approve")
    await api.committee.ok("PUT", "/chair", json={"terms": QUARTERS_2026})
    await api.committee.ok("POST", "/chair/activities", json={"title": "联合主题党日", "held_on": "2026-05-04"})
    entries = [(e.entity, e.action) for e in await audit_entries(api) if e.entity != "user"]
    assert entries == [
        ("street", "create"),
        ("community", "create"),
        ("organization", "create"),
        ("organization", "update"),
        ("application", "submit"),
        ("application", "approve"),
        ("organization", "create"),
        ("chair_schedule", "replace"),
        ("chair_activity", "create"),
    ]
    assert community["street_name"].startswith("街道")


async def test_failed_write_leaves_no_audit_entry_and_no_row(api: Api) -> None:
    org = await api.org()
    r = await api.committee.post(
        "/organizations",
        json={
            "name": "新组织",
            "credit_code": org["credit_code"],
            "alliance_id": org["alliance_id"],
            "categories": ["other"],
        },
    )
    assert_problem(r, 409)
    assert len(await api.anon.ok("GET", "/organizations")) == 1
    assert len(await audit_entries(api, "organization")) == 1


async def test_alliance_endpoints_are_in_the_openapi_schema(api: Api) -> None:
    paths = (await api.anon.ok("GET", "/schema/openapi.json"))["paths"]
    for path in [
        "/api/v1/alliances",
        "/api/v1/alliances/{code}",
        "/api/v1/streets",
        "/api/v1/communities",
        "/api/v1/organizations",
        "/api/v1/organizations/{org_id}",
        "/api/v1/organizations/applications",
        "/api/v1/organizations/applications/{application_id}/approve",
        "/api/v1/chair",
        "/api/v1/chair/on",
        "/api/v1/chair/activities",
    ]:
        assert path in paths, sorted(paths)


@pytest.mark.parametrize("written", ["+86 138 0013 8000", "138-0013-8000", "13800138000"])
async def test_an_organisations_mobile_is_masked_for_the_public_however_it_was_written(api: Api, written: str) -> None:
    org = await api.org("legal", contact_phone=written)
    shown = (await api.anon.ok("GET", f"/organizations/{org['id']}"))["contact_phone"]
    assert shown == "138****8000"
    assert (await api.committee.ok("GET", f"/organizations/{org['id']}"))["contact_phone"] == written
