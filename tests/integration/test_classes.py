"""Night classes (金融夜校): sessions, sign-ups, the waitlist, masking, attendance — through HTTP, on both databases."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest

from market.kernel.clock import SHANGHAI, local
from tests.factories import (
    Api,
    As,
    audit_trail,
    class_body,
    finance_project,
    inbox_kinds,
    mobile,
    night_class,
    problem,
    sign_up,
)


@pytest.fixture
async def running(api: Api) -> tuple[As, dict[str, Any]]:
    """The organiser and an in-progress finance-education project."""
    return await finance_project(api)


async def counts(api: Api, class_id: int) -> tuple[int, int, int]:
    c = await api.anon.ok("GET", f"/classes/{class_id}")
    return c["confirmed"], c["waitlisted"], c["remaining"]


async def rows(organiser: As, class_id: int, status: str | None = None) -> list[dict[str, Any]]:
    params = {"status": status} if status else {}
    return (await organiser.ok("GET", f"/classes/{class_id}/signups", params=params))["items"]


async def check_lists(api: Api) -> None:
    report = await api.committee.ok("GET", "/lists/check")
    assert report["ok"], report["violations"]


# Sessions -----------------------------------------------------------------------------------------------------


async def test_organiser_schedules_a_class_that_anyone_can_read(api: Api, running: tuple[As, dict[str, Any]]) -> None:
    organiser, project = running
    community = await api.community("金水路社区")
    made = await night_class(api, organiser, project["id"], community["id"], seats=25, venue="金水路社区活动室")
    assert made["project_id"] == project["id"]
    assert made["organization_id"] == organiser.user["organization_id"]
    assert made["project_title"] == project["title"]
    assert made["community"] == {
        "id": community["id"],
        "name": "金水路社区",
        "street_id": community["street_id"],
        "street": community["street_name"],
    }
    assert (made["seats"], made["confirmed"], made["waitlisted"], made["remaining"]) == (25, 0, 0, 25)
    assert made["signups_open"] is True
    assert await api.anon.ok("GET", f"/classes/{made['id']}") == made
    listed = await api.anon.ok("GET", f"/projects/{project['id']}/classes")
    assert [c["id"] for c in listed["items"]] == [made["id"]]
    assert [a for a, _, _ in await audit_trail(api, "class_session", made["id"])] == ["create"]
    problem(await api.anon.get("/projects/999999/classes"), 404)

    # An edit that changes nothing records nothing; a real one is audited.
    assert await organiser.ok("PATCH", f"/classes/{made['id']}", json={}) == made
    changed = await organiser.ok("PATCH", f"/classes/{made['id']}", json={"topic": "识别养老诈骗"})
    assert changed["topic"] == "识别养老诈骗"
    assert [a for a, _, _ in await audit_trail(api, "class_session", made["id"])] == ["create", "edit"]


async def test_only_finance_education_projects_in_progress_get_classes(api: Api) -> None:
    organiser, elderly = await finance_project(api, "elderly_care")
    community = await api.community()
    body = {
        "topic": "养老金融知识",
        "community_id": community["id"],
        "venue": "活动室",
        "starts_at": api.later(days=3).isoformat(),
        "seats": 20,
    }
    problem(await organiser.post(f"/projects/{elderly['id']}/classes", json=body), 409)

    finance_org, finance = await finance_project(api)
    body["starts_at"] = api.later(days=3).isoformat()
    await finance_org.ok("POST", f"/projects/{finance['id']}/classes", status=201, json=body)
    await finance_org.ok("POST", f"/projects/{finance['id']}/deliver", status=200)
    problem(await finance_org.post(f"/projects/{finance['id']}/classes", json=body), 409)
    problem(await finance_org.post("/projects/999999/classes", json=body), 404)


async def test_only_the_projects_organisation_schedules_classes(api: Api, running: tuple[As, dict[str, Any]]) -> None:
    _, project = running
    community = await api.community()
    body = {
        "topic": "识别非法集资",
        "community_id": community["id"],
        "venue": "活动室",
        "starts_at": api.later(days=3).isoformat(),
        "seats": 20,
    }
    stranger = await api.org_member()
    problem(await stranger.post(f"/projects/{project['id']}/classes", json=body), 403)
    problem(await api.committee.post(f"/projects/{project['id']}/classes", json=body), 403)
    problem(await api.anon.post(f"/projects/{project['id']}/classes", json=body), 401)
    assert (await api.anon.ok("GET", f"/projects/{project['id']}/classes"))["total"] == 0


async def test_absurd_seat_counts_are_rejected_with_field_seats_and_nothing_written(
    api: Api, running: tuple[As, dict[str, Any]]
) -> None:
    organiser, project = running
    community = await api.community()
    made = await night_class(api, organiser, project["id"], community["id"], seats=10)
    for seats in (0, -1, 1001, 100000):
        body = {
            "topic": "识别非法集资",
            "community_id": community["id"],
            "venue": "活动室",
            "starts_at": api.later(days=3).isoformat(),
            "seats": seats,
        }
        problem(await organiser.post(f"/projects/{project['id']}/classes", json=body), 422, field="seats")
        problem(await organiser.patch(f"/classes/{made['id']}", json={"seats": seats}), 422, field="seats")
    assert (await api.anon.ok("GET", f"/projects/{project['id']}/classes"))["total"] == 1
    assert (await api.anon.ok("GET", f"/classes/{made['id']}"))["seats"] == 10
    assert [a for a, _, _ in await audit_trail(api, "class_session", made["id"])] == ["create"]


async def test_unstorable_seat_counts_are_malformed_requests_naming_the_field(
    api: Api, running: tuple[As, dict[str, Any]]
) -> None:
    organiser, project = running
    community = await api.community()
    for seats in (10**12, 10**40, 2.5, None, [30]):
        body = {
            "topic": "识别非法集资",
            "community_id": community["id"],
            "venue": "活动室",
            "starts_at": api.later(days=3).isoformat(),
            "seats": seats,
        }
        body_problem = problem(await organiser.post(f"/projects/{project['id']}/classes", json=body), 400)
        assert [e["key"] for e in body_problem["errors"]] == ["seats"]
    assert (await api.anon.ok("GET", f"/projects/{project['id']}/classes"))["total"] == 0


async def test_a_class_must_start_in_the_future_in_a_known_community(
    api: Api, running: tuple[As, dict[str, Any]]
) -> None:
    organiser, project = running
    community = await api.community()
    base = {"topic": "识别非法集资", "community_id": community["id"], "venue": "活动室", "seats": 20}
    url = f"/projects/{project['id']}/classes"
    past = base | {"starts_at": api.later(minutes=-1).isoformat()}
    problem(await organiser.post(url, json=past), 422, field="starts_at")
    nowhere = base | {"starts_at": api.later(days=1).isoformat(), "community_id": 999999}
    problem(await organiser.post(url, json=nowhere), 422, field="community_id")
    naive = base | {"starts_at": "2030-01-01T19:00:00"}
    problem(await organiser.post(url, json=naive), 400)
    assert (await api.anon.ok("GET", url))["total"] == 0


async def test_seats_grow_promoting_the_waitlist_in_order_but_never_shrink_below_confirmed(
    api: Api, running: tuple[As, dict[str, Any]]
) -> None:
    organiser, project = running
    made = await night_class(api, organiser, project["id"], seats=2)
    receipts = [await sign_up(api, made["id"], n) for n in range(5)]
    assert [r["status"] for r in receipts] == ["confirmed"] * 2 + ["waitlisted"] * 3

    problem(await organiser.patch(f"/classes/{made['id']}", json={"seats": 1}), 409, field="seats")
    stranger = await api.org_member()
    problem(await stranger.patch(f"/classes/{made['id']}", json={"seats": 10}), 403)

    updated = await organiser.ok("PATCH", f"/classes/{made['id']}", json={"seats": 4, "venue": "新会议室"})
    assert (updated["seats"], updated["confirmed"], updated["waitlisted"], updated["remaining"]) == (4, 4, 1, 0)
    assert updated["venue"] == "新会议室"
    listed = await rows(organiser, made["id"])
    assert [(r["id"], r["status"], r["waitlist_position"]) for r in listed] == [
        (receipts[0]["id"], "confirmed", None),
        (receipts[1]["id"], "confirmed", None),
        (receipts[2]["id"], "confirmed", None),
        (receipts[3]["id"], "confirmed", None),
        (receipts[4]["id"], "waitlisted", 1),
    ]
    assert listed[2]["promoted_at"] and listed[3]["promoted_at"] and not listed[4]["promoted_at"]
    assert "waitlist_promoted" in await inbox_kinds(organiser)
    # Shrinking to exactly the confirmed count is allowed; the waitlist stays.
    await organiser.ok("PATCH", f"/classes/{made['id']}", json={"seats": 4})
    problem(await organiser.patch(f"/classes/{made['id']}", json={"starts_at": api.later(days=-1).isoformat()}), 422)
    await check_lists(api)


async def test_a_class_cannot_be_changed_once_it_has_started(api: Api, running: tuple[As, dict[str, Any]]) -> None:
    organiser, project = running
    made = await night_class(api, organiser, project["id"], seats=5)
    api.clock.set(datetime.fromisoformat(made["starts_at"]))
    problem(await organiser.patch(f"/classes/{made['id']}", json={"topic": "改题"}), 409)


# Sign-ups -----------------------------------------------------------------------------------------------------


async def test_the_31st_signup_on_a_30_seat_class_is_waitlisted(api: Api, running: tuple[As, dict[str, Any]]) -> None:
    organiser, project = running
    made = await night_class(api, organiser, project["id"], seats=30)
    receipts = [await sign_up(api, made["id"], n) for n in range(31)]
    assert all(r["status"] == "confirmed" and r["waitlist_position"] is None for r in receipts[:30])
    assert receipts[30]["status"] == "waitlisted"
    assert receipts[30]["waitlist_position"] == 1
    assert all(isinstance(r["token"], str) and len(r["token"]) >= 32 for r in receipts)
    assert len({r["token"] for r in receipts}) == 31
    assert await counts(api, made["id"]) == (30, 1, 0)
    second = await sign_up(api, made["id"], 31)
    assert (second["status"], second["waitlist_position"]) == ("waitlisted", 2)
    await check_lists(api)


async def test_the_same_number_twice_is_a_conflict_however_it_is_written(
    api: Api, running: tuple[As, dict[str, Any]]
) -> None:
    organiser, project = running
    made = await night_class(api, organiser, project["id"], seats=30)
    await sign_up(api, made["id"], 7)
    for variant in (mobile(7), "+86 139 0000 0007", "139-0000-0007", "8613900000007", " +86-139-0000-0007 "):
        again = await api.anon.post(f"/classes/{made['id']}/signups", json={"name": "另一人", "phone": variant})
        problem(again, 409, field="phone")
    assert await counts(api, made["id"]) == (1, 0, 29)
    assert [r["phone"] for r in await rows(organiser, made["id"])] == [mobile(7)]


async def test_a_number_may_sign_up_again_after_cancelling_and_for_another_class(
    api: Api, running: tuple[As, dict[str, Any]]
) -> None:
    organiser, project = running
    first = await night_class(api, organiser, project["id"], seats=30)
    other = await night_class(api, organiser, project["id"], seats=30)
    receipt = await sign_up(api, first["id"], 1)
    await sign_up(api, other["id"], 1)
    await api.anon.ok("POST", f"/signups/{receipt['id']}/cancel", status=200, json={"token": receipt["token"]})
    again = await sign_up(api, first["id"], 1)
    assert again["status"] == "confirmed"
    assert await counts(api, first["id"]) == (1, 0, 29)


MALFORMED_PHONES = [
    "1390000000",  # 10 digits
    "139000000000",  # 12 digits
    "12900000000",  # starts with 12
    "1390000000a",
    "abcdefghijk",
    "",
    "   ",
    "+1 139 0000 0000",
    "139 0000 0000 0000 0000 0000 0000 0000 0000",
]


async def test_malformed_numbers_are_422_with_field_phone_and_nothing_written(
    api: Api, running: tuple[As, dict[str, Any]]
) -> None:
    organiser, project = running
    made = await night_class(api, organiser, project["id"], seats=30)
    audit_before = await api.committee.ok("GET", "/audit", params={"entity": "signup"})
    for phone in MALFORMED_PHONES:
        r = await api.anon.post(f"/classes/{made['id']}/signups", json={"name": "王芳", "phone": phone})
        body = problem(r, 422, field="phone")
        assert body["code"] == "error.enter_valid_mobile_number" and "手机号" in body["detail"]
    english = {"Accept-Language": "en"}
    r = await api.anon.post(f"/classes/{made['id']}/signups", json={"name": "王芳", "phone": "123"}, headers=english)
    assert "mobile number" in problem(r, 422, field="phone")["detail"]
    assert await counts(api, made["id"]) == (0, 0, 30)
    assert await rows(organiser, made["id"]) == []
    assert await api.committee.ok("GET", "/audit", params={"entity": "signup"}) == audit_before


async def test_bad_names_are_422_with_field_name_and_nothing_written(
    api: Api, running: tuple[As, dict[str, Any]]
) -> None:
    organiser, project = running
    made = await night_class(api, organiser, project["id"], seats=30)
    for name in ("", "   ", "王" * 51, "王\x00芳", "王\n芳", "王\x7f"):
        r = await api.anon.post(f"/classes/{made['id']}/signups", json={"name": name, "phone": mobile(1)})
        problem(r, 422, field="name")
    assert await counts(api, made["id"]) == (0, 0, 30)
    assert await rows(organiser, made["id"]) == []


async def test_malformed_signup_bodies_are_client_errors(api: Api, running: tuple[As, dict[str, Any]]) -> None:
    organiser, project = running
    made = await night_class(api, organiser, project["id"], seats=30)
    url = f"/classes/{made['id']}/signups"
    for body in ({}, {"name": "王芳"}, {"phone": mobile(1)}, {"name": 1, "phone": 13900000001}, [], "x"):
        problem(await api.anon.post(url, json=body), 400)
    problem(await api.anon.post(url, json={"name": "王芳", "phone": mobile(1), "extra": 1}), 400)
    problem(await api.anon.post(url, content=b"{not json", headers={"content-type": "application/json"}), 400)
    problem(await api.anon.post("/classes/999999/signups", json={"name": "王芳", "phone": mobile(1)}), 404)
    assert await counts(api, made["id"]) == (0, 0, 30)


async def test_signups_close_when_the_class_starts(api: Api, running: tuple[As, dict[str, Any]]) -> None:
    organiser, project = running
    made = await night_class(api, organiser, project["id"], seats=30)
    api.clock.set(datetime.fromisoformat(made["starts_at"]))
    problem(await api.anon.post(f"/classes/{made['id']}/signups", json={"name": "王芳", "phone": mobile(1)}), 409)
    assert (await api.anon.ok("GET", f"/classes/{made['id']}"))["signups_open"] is False


# Cancelling and the waitlist ----------------------------------------------------------------------------------


async def test_cancel_with_the_right_token_promotes_the_head_of_the_waitlist_in_arrival_order(
    api: Api, running: tuple[As, dict[str, Any]]
) -> None:
    organiser, project = running
    made = await night_class(api, organiser, project["id"], seats=2)
    a, b, c, d = [await sign_up(api, made["id"], n) for n in range(4)]
    assert [x["status"] for x in (a, b, c, d)] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert (c["waitlist_position"], d["waitlist_position"]) == (1, 2)
    api.clock.advance(hours=1)

    cancelled = await api.anon.ok("POST", f"/signups/{b['id']}/cancel", status=200, json={"token": b["token"]})
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancelled_at"]

    head = await api.anon.ok("GET", f"/signups/{c['id']}", params={"token": c["token"]})
    assert head["status"] == "confirmed"
    assert head["waitlist_position"] is None
    assert head["promoted_at"] == api.clock.now().isoformat().replace("+00:00", "Z")
    assert head["phone"] == "139****0002"
    second = await api.anon.ok("GET", f"/signups/{d['id']}", params={"token": d["token"]})
    assert (second["status"], second["waitlist_position"], second["promoted_at"]) == ("waitlisted", 1, None)
    assert await counts(api, made["id"]) == (2, 1, 0)

    assert [(a_, b_, c_) for a_, b_, c_ in await audit_trail(api, "signup", c["id"])] == [
        ("sign_up", "", "waitlisted"),
        ("promote", "waitlisted", "confirmed"),
    ]
    assert ("cancel", "confirmed", "cancelled") in await audit_trail(api, "signup", b["id"])
    assert "waitlist_promoted" in await inbox_kinds(organiser)
    await check_lists(api)


async def test_cancelling_a_waitlisted_signup_just_removes_it(api: Api, running: tuple[As, dict[str, Any]]) -> None:
    organiser, project = running
    made = await night_class(api, organiser, project["id"], seats=1)
    a, b, c = [await sign_up(api, made["id"], n) for n in range(3)]
    await api.anon.ok("POST", f"/signups/{b['id']}/cancel", status=200, json={"token": b["token"]})
    assert await counts(api, made["id"]) == (1, 1, 0)
    still = await api.anon.ok("GET", f"/signups/{c['id']}", params={"token": c["token"]})
    assert (still["status"], still["waitlist_position"]) == ("waitlisted", 1)
    first = await api.anon.ok("GET", f"/signups/{a['id']}", params={"token": a["token"]})
    assert first["status"] == "confirmed" and first["promoted_at"] is None
    assert "waitlist_promoted" not in await inbox_kinds(organiser)
    await check_lists(api)


async def test_a_wrong_token_is_404_like_a_missing_signup(api: Api, running: tuple[As, dict[str, Any]]) -> None:
    organiser, project = running
    made = await night_class(api, organiser, project["id"], seats=1)
    a, b = [await sign_up(api, made["id"], n) for n in range(2)]
    missing = problem(await api.anon.post("/signups/999999/cancel", json={"token": a["token"]}), 404)
    wrong = problem(await api.anon.post(f"/signups/{a['id']}/cancel", json={"token": b["token"]}), 404)
    assert wrong["detail"] == missing["detail"]
    problem(await api.anon.post(f"/signups/{a['id']}/cancel", json={"token": ""}), 404)
    problem(await api.anon.post(f"/signups/{a['id']}/cancel", json={"token": a["token"] + "x"}), 404)
    problem(await api.anon.get(f"/signups/{a['id']}", params={"token": b["token"]}), 404)
    problem(await api.anon.get("/signups/999999", params={"token": a["token"]}), 404)
    # Signing in changes nothing: the token is the only key, even for the organiser.
    problem(await organiser.post(f"/signups/{a['id']}/cancel", json={"token": "guess"}), 404)
    assert await counts(api, made["id"]) == (1, 1, 0)

    await api.anon.ok("POST", f"/signups/{a['id']}/cancel", status=200, json={"token": a["token"]})
    problem(await api.anon.post(f"/signups/{a['id']}/cancel", json={"token": a["token"]}), 409)
    assert await counts(api, made["id"]) == (1, 0, 0)


async def test_a_signup_cannot_be_cancelled_once_the_class_has_started(
    api: Api, running: tuple[As, dict[str, Any]]
) -> None:
    organiser, project = running
    made = await night_class(api, organiser, project["id"], seats=1)
    a = await sign_up(api, made["id"], 1)
    api.clock.set(datetime.fromisoformat(made["starts_at"]))
    problem(await api.anon.post(f"/signups/{a['id']}/cancel", json={"token": a["token"]}), 409)
    assert await counts(api, made["id"]) == (1, 0, 0)


# Who sees what ------------------------------------------------------------------------------------------------


async def test_numbers_are_masked_for_the_public_and_the_committee_and_shown_to_the_organiser(
    api: Api, running: tuple[As, dict[str, Any]]
) -> None:
    organiser, project = running
    made = await night_class(api, organiser, project["id"], seats=1)
    await api.anon.ok(
        "POST", f"/classes/{made['id']}/signups", status=201, json={"name": "张三", "phone": "+86 138-1234-5678"}
    )
    await api.anon.ok(
        "POST", f"/classes/{made['id']}/signups", status=201, json={"name": "李四", "phone": "13900000000"}
    )

    full = await organiser.ok("GET", f"/classes/{made['id']}/signups")
    assert full["masked"] is False
    assert [(r["name"], r["phone"], r["waitlist_position"]) for r in full["items"]] == [
        ("张三", "13812345678", None),
        ("李四", "13900000000", 1),
    ]
    colleague = await api.user("org", organization_id=organiser.user["organization_id"])
    assert (await colleague.ok("GET", f"/classes/{made['id']}/signups"))["masked"] is False

    outsiders = [api.anon, api.committee, await api.org_member(), await api.user("evaluator")]
    for who in outsiders:
        seen = await who.ok("GET", f"/classes/{made['id']}/signups")
        assert seen["masked"] is True
        assert [(r["name"], r["phone"]) for r in seen["items"]] == [("张*", "138****5678"), ("李*", "139****0000")]
        assert "13812345678" not in str(seen) and "12345678" not in str(seen)


async def test_cancelled_signups_are_listed_for_the_organiser_only(
    api: Api, running: tuple[As, dict[str, Any]]
) -> None:
    organiser, project = running
    made = await night_class(api, organiser, project["id"], seats=5)
    a = await sign_up(api, made["id"], 1)
    await sign_up(api, made["id"], 2)
    await api.anon.ok("POST", f"/signups/{a['id']}/cancel", status=200, json={"token": a["token"]})
    assert [r["status"] for r in await rows(organiser, made["id"])] == ["cancelled", "confirmed"]
    assert [r["id"] for r in await rows(organiser, made["id"], "cancelled")] == [a["id"]]
    public = await api.anon.ok("GET", f"/classes/{made['id']}/signups")
    assert [r["status"] for r in public["items"]] == ["confirmed"]
    assert (await api.anon.ok("GET", f"/classes/{made['id']}/signups", params={"status": "cancelled"}))["items"] == []


# Attendance ---------------------------------------------------------------------------------------------------


async def test_attendance_is_taken_only_by_the_organiser_once_the_class_has_started(
    api: Api, running: tuple[As, dict[str, Any]]
) -> None:
    organiser, project = running
    made = await night_class(api, organiser, project["id"], seats=1)
    other = await night_class(api, organiser, project["id"], seats=1)
    came, waiting = [await sign_up(api, made["id"], n) for n in range(2)]
    elsewhere = await sign_up(api, other["id"], 5)
    url = f"/classes/{made['id']}/attendance"

    problem(await organiser.post(url, json={"signup_id": came["id"], "attended": True}), 409)
    api.clock.set(datetime.fromisoformat(made["starts_at"]) + timedelta(minutes=5))

    problem(await api.anon.post(url, json={"signup_id": came["id"], "attended": True}), 401)
    problem(await api.committee.post(url, json={"signup_id": came["id"], "attended": True}), 403)
    problem(await (await api.org_member()).post(url, json={"signup_id": came["id"], "attended": True}), 403)
    problem(await organiser.post(url, json={"signup_id": waiting["id"], "attended": True}), 409)
    problem(await organiser.post(url, json={"signup_id": elsewhere["id"], "attended": True}), 404)
    problem(await organiser.post(url, json={"signup_id": came["id"], "attended": "yes"}), 400)

    marked = await organiser.ok("POST", url, status=200, json={"signup_id": came["id"], "attended": True})
    assert (marked["id"], marked["attended"], marked["phone"]) == (came["id"], True, mobile(0))
    assert (await rows(organiser, made["id"]))[0]["attended"] is True
    # The session keeps its attended count, and the statistics sum it: marking twice counts the resident once.
    await organiser.ok("POST", url, status=200, json={"signup_id": came["id"], "attended": True})
    assert await attended_in_statistics(api) == 1
    await check_lists(api)
    await organiser.ok("POST", url, status=200, json={"signup_id": came["id"], "attended": False})
    assert (await rows(organiser, made["id"]))[0]["attended"] is False
    assert await attended_in_statistics(api) == 0
    await check_lists(api)
    trail = await audit_trail(api, "signup", came["id"])
    assert [a for a, _, _ in trail] == ["sign_up", "attendance", "attendance", "attendance"]


async def attended_in_statistics(api: Api) -> int:
    day = local(api.clock.now()).date()
    report = await api.anon.ok("GET", "/stats", params={"from": str(day - timedelta(days=30)), "to": str(day)})
    return int(report["total"]["classes"]["attended"])


# Finding classes ----------------------------------------------------------------------------------------------


def at_local(day: Any, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI).isoformat()


async def test_classes_are_found_by_community_street_and_local_date(
    api: Api, running: tuple[As, dict[str, Any]]
) -> None:
    organiser, project = running
    hushan = await api.community("虎山路社区")
    jiushui = await api.community("九水社区")
    day = local(api.clock.now()).date() + timedelta(days=10)
    late = await night_class(api, organiser, project["id"], hushan["id"], starts_at=at_local(day, 23, 30))
    # 00:30 in Shanghai on the next day is still the same UTC date as `late`: dates are local.
    after_midnight = await night_class(
        api, organiser, project["id"], hushan["id"], starts_at=at_local(day + timedelta(days=1), 0, 30)
    )
    elsewhere = await night_class(api, organiser, project["id"], jiushui["id"], starts_at=at_local(day, 19))
    soon = await night_class(api, organiser, project["id"], jiushui["id"], starts_at=api.later(hours=2).isoformat())

    async def found(**params: Any) -> list[int]:
        return [c["id"] for c in (await api.anon.ok("GET", "/classes", params=params))["items"]]

    assert await found() == [soon["id"], elsewhere["id"], late["id"], after_midnight["id"]]
    assert await found(community_id=hushan["id"]) == [late["id"], after_midnight["id"]]
    assert await found(street_id=jiushui["street_id"]) == [soon["id"], elsewhere["id"]]
    assert await found(**{"from": day.isoformat(), "to": day.isoformat()}) == [elsewhere["id"], late["id"]]
    next_day = (day + timedelta(days=1)).isoformat()
    assert await found(**{"from": next_day}) == [after_midnight["id"]]
    assert await found(community_id=hushan["id"], **{"to": day.isoformat()}) == [late["id"]]
    assert await found(project_id=project["id"], limit=1, offset=1) == [elsewhere["id"]]
    assert (await api.anon.ok("GET", "/classes", params={"limit": 1}))["total"] == 4

    # Upcoming only by default: once `soon` has started it drops out, unless asked for.
    api.clock.advance(hours=3)
    assert soon["id"] not in await found()
    assert soon["id"] in await found(upcoming="false")
    today = local(api.clock.now()).date().isoformat()
    assert await found(**{"from": today, "to": today}) == [soon["id"]]
    problem(await api.anon.get("/classes", params={"from": next_day, "to": day.isoformat()}), 422, field="to")
    problem(await api.anon.get("/classes", params={"from": "not-a-date"}), 400)
    problem(await api.anon.get("/classes", params={"community_id": 0}), 400)
    problem(await api.anon.get("/classes/999999"), 404)


async def test_the_waitlist_is_capped_at_ten_people_per_seat(api: Api) -> None:
    organiser, project = await finance_project(api)
    community = await api.community()
    c = await organiser.ok(
        "POST", f"/projects/{project['id']}/classes", status=201, json=class_body(api, community["id"], seats=2)
    )
    for n in range(22):  # 2 confirmed + 20 waiting
        await sign_up(api, c["id"], n)
    r = await api.anon.post(f"/classes/{c['id']}/signups", json={"name": "迟到居民", "phone": mobile(99)})
    problem(r, 409)
    shown = await api.anon.ok("GET", f"/classes/{c['id']}")
    assert (shown["confirmed"], shown["waitlisted"]) == (2, 20)
