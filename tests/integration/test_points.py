"""Participation points (积分制): rules and versions, the review cycle, notice and objections, balances and
statements — through HTTP, on both databases."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest

from market.kernel.clock import local
from tests.concurrency import signed_in
from tests.factories import (
    Api,
    As,
    audit_trail,
    finance_project,
    mobile,
    night_class,
    org_service,
    placed_order,
    problem,
    project_under_way,
    secretary,
    sign_up,
)

RULES = {
    "project_excellent": 100,
    "project_good": 60,
    "project_pass": 30,
    "project_fail": -50,
    "report_on_time": 5,
    "order_rated_well": 10,
    "class_attended": 10,
    "feedback_given": 2,
}


@pytest.fixture
async def running(api: Api) -> tuple[As, dict[str, Any]]:
    """The organiser and an in-progress finance-education project."""
    return await finance_project(api)


async def attended(api: Api, organiser: As, project_id: int, n: int, name: str | None = None) -> dict[str, Any]:
    """A resident (the n-th number) signs up for a new class and is marked as attended once it has started."""
    made = await night_class(api, organiser, project_id)
    receipt = await sign_up(api, made["id"], n, name)
    api.clock.set(datetime.fromisoformat(made["starts_at"]) + timedelta(minutes=5))
    url = f"/classes/{made['id']}/attendance"
    await organiser.ok("POST", url, status=200, json={"signup_id": receipt["id"], "attended": True})
    return receipt


async def held(api: Api, receipt: dict[str, Any]) -> dict[str, Any]:
    """The resident's points through their own link."""
    return await api.anon.ok("GET", f"/signups/{receipt['id']}/points", params={"token": receipt["token"]})


async def queue(api: Api) -> list[dict[str, Any]]:
    return (await api.committee.ok("GET", "/points/entries", params={"status": "proposed"}))["items"]


async def test_attendance_is_proposed_approved_noticed_and_then_counted(
    api: Api, running: tuple[As, dict[str, Any]]
) -> None:
    organiser, project = running
    receipt = await attended(api, organiser, project["id"], 1, "王小明")
    [entry] = await queue(api)
    assert (entry["rule"], entry["points"], entry["status"], entry["holder"]) == (
        "class_attended",
        10,
        "proposed",
        "resident",
    )
    assert entry["holder_name"] == "王**" and entry["rule_version"] == 1
    # Proposed is not public, and not yet anything on the resident's link.
    problem(await api.anon.get(f"/points/entries/{entry['id']}"), 404)
    assert (await held(api, receipt))["counted"] == 0

    posted = await api.committee.ok("POST", f"/points/entries/{entry['id']}/approve", status=200)
    assert posted["status"] == "posted"
    ends = datetime.fromisoformat(posted["notice_ends_at"])
    assert ends == api.clock.now() + timedelta(days=api.settings.points_notice_days)
    mine = await held(api, receipt)
    assert (mine["counted"], mine["pending"], mine["holder_name"]) == (0, 10, "王**")
    assert mobile(1) not in str(mine)

    api.clock.set(ends - timedelta(seconds=1))
    assert (await api.anon.ok("GET", f"/points/entries/{entry['id']}"))["status"] == "posted"
    # The end of notice is what every read shows at once: no tick is run here.
    api.clock.set(ends)
    assert (await api.anon.ok("GET", f"/points/entries/{entry['id']}"))["status"] == "counted"
    mine = await held(api, receipt)
    assert (mine["counted"], mine["pending"]) == (10, 0)
    trail = await audit_trail(api, "point_entry", entry["id"])
    assert [a for a, _, _ in trail] == ["propose", "approve", "count"]
    # Marking the same attendance again proposes nothing new.
    assert await queue(api) == []


async def test_rejected_and_upheld_entries_never_count(api: Api, running: tuple[As, dict[str, Any]]) -> None:
    organiser, project = running
    first = await attended(api, organiser, project["id"], 1)
    second = await attended(api, organiser, project["id"], 2)
    third = await attended(api, organiser, project["id"], 3)
    a, b, c = (e["id"] for e in await queue(api))

    problem(await api.committee.post(f"/points/entries/{a}/reject", json={"reason": "  "}), 422, field="reason")
    rejected = await api.committee.ok(
        "POST", f"/points/entries/{a}/reject", status=200, json={"reason": "出勤记录有误"}
    )
    assert rejected["status"] == "rejected"
    amended = await api.committee.ok(
        "POST", f"/points/entries/{b}/amend", status=200, json={"points": 4, "reason": "只参加了半场"}
    )
    assert (amended["points"], amended["proposed_points"], amended["status"]) == (4, 10, "posted")
    await api.committee.ok("POST", f"/points/entries/{c}/approve", status=200)

    # An objection to b (anyone, no account), upheld; an objection to c, dismissed.
    url = f"/points/entries/{b}/objections"
    made = await api.anon.ok("POST", url, status=201, json={"name": "李四", "grounds": "当晚并未到场"})
    problem(await api.anon.post(f"/points/entries/{a}/objections", json={"name": "李四", "grounds": "不应给分"}), 404)
    ruling = {"resolution": "经核实，当晚签到表无此人"}
    upheld = await api.committee.ok("POST", f"/points/objections/{made['id']}/uphold", status=200, json=ruling)
    assert upheld["status"] == "upheld"
    other = await api.anon.ok(
        "POST", f"/points/entries/{c}/objections", status=201, json={"name": "张三", "grounds": "分值偏高"}
    )
    # The notice ends while c's objection is open: it waits, and counts as soon as the objection is dismissed.
    api.clock.advance(days=api.settings.points_notice_days, seconds=1)
    assert (await api.anon.ok("GET", f"/points/entries/{c}"))["status"] == "posted"
    problem(await api.anon.post(f"/points/entries/{c}/objections", json={"name": "王五", "grounds": "迟到"}), 409)
    await api.committee.ok(
        "POST", f"/points/objections/{other['id']}/dismiss", status=200, json={"resolution": "分值符合规则"}
    )
    assert (await api.anon.ok("GET", f"/points/entries/{c}"))["status"] == "counted"

    assert (await held(api, first))["counted"] == 0
    assert (await held(api, second))["counted"] == 0
    assert (await api.anon.ok("GET", f"/points/entries/{b}"))["status"] == "reversed"
    assert (await held(api, third))["counted"] == 10
    problem(await api.committee.post(f"/points/entries/{a}/approve"), 409)


async def test_a_rules_edit_changes_only_what_comes_after(api: Api, running: tuple[As, dict[str, Any]]) -> None:
    organiser, project = running
    before = await api.anon.ok("GET", "/points/rules")
    assert before["version"] == 1 and before["made_at"] is None
    assert {r["code"]: r["points"] for r in before["rules"]} == RULES
    await attended(api, organiser, project["id"], 1)

    body = {"points": RULES | {"class_attended": 20}, "reason": "鼓励居民参加夜校"}
    problem(await (await api.org_member()).post("/points/rules", json=body), 403)
    problem(await api.committee.post("/points/rules", json={"points": RULES, "reason": "无变化"}), 409)
    problem(await api.committee.post("/points/rules", json={"points": RULES | {"x": 1}, "reason": "多一条"}), 400)
    made = await api.committee.ok("POST", "/points/rules", status=201, json=body)
    assert made["version"] == 2
    await attended(api, organiser, project["id"], 2)

    old, new = await queue(api)
    assert (old["points"], old["rule_version"]) == (10, 1)
    assert (new["points"], new["rule_version"]) == (20, 2)
    versions = await api.anon.ok("GET", "/points/rules/versions")
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[0]["reason"] == "鼓励居民参加夜校"
    assert [a for a, _, _ in await audit_trail(api, "point_rules", 1)] == ["default"]


async def test_a_statements_code_verifies_and_a_forged_one_does_not(
    api: Api, running: tuple[As, dict[str, Any]]
) -> None:
    organiser, project = running
    receipt = await attended(api, organiser, project["id"], 1, "赵六一")
    [entry] = await queue(api)
    await api.committee.ok("POST", f"/points/entries/{entry['id']}/approve", status=200)
    api.clock.advance(days=api.settings.points_notice_days)

    link = {"token": receipt["token"]}
    statement = await api.anon.ok("GET", f"/signups/{receipt['id']}/points/statement", params=link)
    assert (statement["holder_name"], statement["points"]) == ("赵**", 10)
    assert "积分贷" in statement["partner_rule"]
    problem(await api.anon.get(f"/signups/{receipt['id']}/points/statement", params={"token": "x" * 40}), 404)

    checked = await api.anon.ok("GET", "/points/verify", params={"code": statement["code"]})
    assert checked == {"holder_name": "赵**", "points": 10, "date": statement["date"]}
    ref, points, day, mac = statement["code"].split(".")
    forged = [
        f"{ref}.{points}0.{day}.{mac}",  # a bigger balance
        f"{ref}.{points}.{int(day) + 1}.{mac}",  # another date
        f"{ref}.{points}.{day}.{'A' * len(mac)}",  # a made-up code
        "nonsense",
    ]
    for code in forged:
        problem(await api.anon.get("/points/verify", params={"code": code}), 404)


async def test_concurrent_reviews_of_one_entry_give_one_outcome(api: Api, running: tuple[As, dict[str, Any]]) -> None:
    organiser, project = running
    await attended(api, organiser, project["id"], 1)
    await attended(api, organiser, project["id"], 2)
    first, second = (e["id"] for e in await queue(api))
    url = f"/points/entries/{first}"
    # Two app instances (as two workers would be), each request in flight together with the others.
    async with signed_in(api, "committee", workers=2) as (sessions, gauges):
        answers = await asyncio.gather(
            sessions[0].post(f"{url}/approve"),
            sessions[1].post(f"{url}/reject", json={"reason": "重复申报"}),
            sessions[0].post(f"{url}/amend", json={"points": 3, "reason": "只参加了半场"}),
            sessions[1].post("/points/entries/approve", json={"entry_ids": [first, second]}),
        )
    assert all(g.peak >= 1 for g in gauges)
    assert sorted(r.status_code for r in answers) == [200, 409, 409, 409], [r.text for r in answers]
    decided = [a for a, _, _ in await audit_trail(api, "point_entry", first)]
    assert decided[0] == "propose" and len(decided) == 2
    # A batch is all or nothing: if it lost the race for the first entry, the second is still proposed.
    batch_won = answers[3].status_code == 200
    assert (await api.committee.ok("GET", f"/points/entries/{second}"))["status"] == (
        "posted" if batch_won else "proposed"
    )


async def test_an_organisation_earns_by_grade_on_time_reports_and_well_rated_orders(api: Api) -> None:
    review, project = await project_under_way(api)
    lead, pid = review.orgs[0], project["id"]
    today = local(api.clock.now()).date()
    milestones = [
        await lead.ok("POST", f"/projects/{pid}/milestones", status=201, json={"title": title, "due_on": str(day)})
        for title, day in (("需求摸底", today + timedelta(days=10)), ("中期总结", today - timedelta(days=1)))
    ]
    for m in milestones:  # the first reached on time, the second a day late
        body = {"body": "完成阶段工作", "percent_complete": 50, "milestone_id": m["id"], "done": True}
        await lead.ok("POST", f"/projects/{pid}/reports", status=201, json=body)
    await lead.ok("POST", f"/projects/{pid}/deliver", status=200)
    evaluation = {"score": 96, "comment": "服务覆盖面广,居民满意度高"}
    await api.committee.ok("POST", f"/projects/{pid}/evaluation", status=200, json=evaluation)
    service = await org_service(lead, api)
    sec = await secretary(api)
    for rating in (4, 3):  # rated well, and not
        order = await placed_order(api, sec, service["id"])
        await lead.ok("POST", f"/orders/{order['id']}/accept", status=200)
        await sec.ok("POST", f"/orders/{order['id']}/deliver", status=200)
        await sec.ok("POST", f"/orders/{order['id']}/rate", status=200, json={"rating": rating, "comment": "服务到位"})

    proposed = await queue(api)
    assert sorted((e["rule"], e["points"]) for e in proposed) == [
        ("order_rated_well", 10),
        ("project_excellent", 100),
        ("report_on_time", 5),
    ]
    org_id = lead.user["org"]["id"]
    assert {e["organization_id"] for e in proposed} == {org_id}
    ids = [e["id"] for e in proposed]
    await api.committee.ok("POST", "/points/entries/approve", status=200, json={"entry_ids": ids})
    record = await api.anon.ok("GET", f"/organizations/{org_id}/record")
    assert record["points"] == 0
    api.clock.advance(days=api.settings.points_notice_days)
    record = await api.anon.ok("GET", f"/organizations/{org_id}/record")
    assert record["points"] == 115
    held = await api.anon.ok("GET", f"/organizations/{org_id}/points")
    assert (held["counted"], held["pending"], len(held["entries"])) == (115, 0, 3)
    table = await api.anon.ok("GET", "/points/table")
    assert table["items"][0] == {
        "organization_id": org_id,
        "name": lead.user["org"]["name"],
        "points": 115,
        "entries": 3,
    }

    statement = await lead.ok("GET", "/points/statement")
    assert statement["points"] == 115 and statement["holder_name"] != lead.user["org"]["name"]
    checked = await api.anon.ok("GET", "/points/verify", params={"code": statement["code"]})
    assert checked == {"holder_name": statement["holder_name"], "points": 115, "date": statement["date"]}
    problem(await api.committee.get("/points/statement"), 403)
