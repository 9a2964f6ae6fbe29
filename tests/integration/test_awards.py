"""Awards (承榜), the public notice (公示), objections (异议) and the tick, through the API on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.factories import (
    Api,
    audit_trail,
    awarded_review,
    inbox_kinds,
    marks_for,
    posted_task,
    problem,
    score_all,
    scored_review,
    submitted_proposal,
    task_in_review,
)

OBJECTION = {"name": "王女士", "contact": "13800000000", "grounds": "该组织去年同类项目未按期完成,请核实其履约能力"}


def ends(notice: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(notice["notice_ends_at"].replace("Z", "+00:00"))


async def task_status(api: Api, task_id: int) -> str:
    return str((await api.anon.ok("GET", f"/tasks/{task_id}"))["status"])


async def proposal_status(api: Api, proposal_id: int) -> str:
    return str((await api.committee.ok("GET", f"/proposals/{proposal_id}"))["status"])


async def test_award_before_the_panel_is_complete_is_409(api: Api) -> None:
    review = await task_in_review(api, proposals=2, panel=2)
    await score_all(review, [[marks_for("80"), marks_for("80")], [marks_for("70"), None]])
    r = await api.committee.post(f"/tasks/{review.task_id}/award", json={"proposal_id": review.pid(0)})
    problem(r, 409)
    assert await task_status(api, review.task_id) == "reviewing"


async def test_awarding_the_top_ranked_proposal_needs_no_reason_and_opens_the_notice(api: Api) -> None:
    review = await scored_review(api, [["90", "88", "86"], ["80", "78", "76"]])
    now = api.clock.now()
    notice = await api.committee.ok(
        "POST", f"/tasks/{review.task_id}/award", status=200, json={"proposal_id": review.pid(0)}
    )
    assert notice["status"] == "notice"
    assert notice["rank"] == 1
    assert notice["score"] == "88.00"
    assert notice["reason"] == ""
    assert [o["role"] for o in notice["organizations"]] == ["lead"]
    assert notice["organizations"][0]["id"] == review.orgs[0].user["org"]["id"]
    assert ends(notice) == now + timedelta(days=api.settings.notice_days)
    assert await task_status(api, review.task_id) == "awarded"
    assert await proposal_status(api, review.pid(0)) == "awarded"
    assert await api.anon.ok("GET", f"/tasks/{review.task_id}/award") == notice
    assert await api.anon.ok("GET", f"/awards/{notice['id']}") == notice
    assert "award" in await inbox_kinds(review.orgs[0])
    assert "award" in await inbox_kinds(review.orgs[1])
    assert ("award", "", "notice") in await audit_trail(api, "award", notice["id"])
    assert ("award", "reviewing", "awarded") in await audit_trail(api, "task", review.task_id)
    assert ("award", "qualified", "awarded") in await audit_trail(api, "proposal", review.pid(0))


async def test_a_second_award_for_the_same_task_is_409(api: Api) -> None:
    review, _ = await awarded_review(api)
    r = await api.committee.post(
        f"/tasks/{review.task_id}/award", json={"proposal_id": review.pid(1), "reason": "换一个"}
    )
    problem(r, 409)


async def test_awarding_a_lower_ranked_proposal_needs_a_written_reason(api: Api) -> None:
    review = await scored_review(api, [["90", "88", "86"], ["80", "78", "76"]])
    url = f"/tasks/{review.task_id}/award"
    problem(await api.committee.post(url, json={"proposal_id": review.pid(1)}), 422, field="reason")
    problem(await api.committee.post(url, json={"proposal_id": review.pid(1), "reason": "   "}), 422, field="reason")
    reason = "排名第一的组织同期承接项目过多,服务力量不足"
    notice = await api.committee.ok("POST", url, status=200, json={"proposal_id": review.pid(1), "reason": reason})
    assert (notice["rank"], notice["reason"], notice["score"]) == (2, reason, "78.00")


async def test_only_a_qualified_proposal_of_this_task_can_be_awarded(api: Api) -> None:
    review = await scored_review(api, [["90", "88"]])
    other = await task_in_review(api, proposals=1, panel=1)
    r = await api.committee.post(f"/tasks/{review.task_id}/award", json={"proposal_id": other.pid(0)})
    problem(r, 422, field="proposal_id")
    problem(await api.committee.post("/tasks/999999/award", json={"proposal_id": review.pid(0)}), 404)
    problem(await review.orgs[0].post(f"/tasks/{review.task_id}/award", json={"proposal_id": review.pid(0)}), 403)
    problem(await api.committee.post(f"/tasks/{review.task_id}/award", json={"proposal_id": 0}), 400)


async def test_an_open_task_cannot_be_awarded(api: Api) -> None:
    task = await posted_task(api)
    p = await submitted_proposal(await api.org_member(), task["id"])
    problem(await api.committee.post(f"/tasks/{task['id']}/award", json={"proposal_id": p["id"]}), 409)


async def test_upheld_objection_revokes_the_award_and_the_next_ranked_can_be_awarded(api: Api) -> None:
    review, notice = await awarded_review(api)
    first = await api.anon.ok("POST", f"/awards/{notice['id']}/objections", status=201, json=OBJECTION)
    assert first["status"] == "open"
    resident = await api.user("secretary", community_id=(await api.community())["id"])
    second = await resident.ok(
        "POST", f"/awards/{notice['id']}/objections", status=201, json=OBJECTION | {"name": "李书记"}
    )

    public = await api.anon.ok("GET", f"/awards/{notice['id']}")
    assert (public["objections"], public["open_objections"]) == (2, 2)
    assert "王女士" not in str(public) and "13800000000" not in str(public)
    problem(await api.anon.get(f"/awards/{notice['id']}/objections"), 401)
    problem(await review.orgs[0].get(f"/awards/{notice['id']}/objections"), 403)
    listed = await api.committee.ok("GET", f"/awards/{notice['id']}/objections")
    assert [(o["name"], o["contact"], o["lodged_by_id"]) for o in listed] == [
        ("王女士", "13800000000", None),
        ("李书记", "13800000000", resident.user["id"]),
    ]
    assert "objection" in await inbox_kinds(api.committee)
    assert "objection" in await inbox_kinds(review.orgs[0])

    upheld = await api.committee.ok(
        "POST", f"/objections/{first['id']}/uphold", status=200, json={"resolution": "经核实情况属实,撤销承榜"}
    )
    assert upheld["status"] == "upheld"
    revoked = await api.anon.ok("GET", f"/awards/{notice['id']}")
    assert (revoked["status"], revoked["open_objections"]) == ("revoked", 0)
    others = await api.committee.ok("GET", f"/awards/{notice['id']}/objections")
    assert [o["status"] for o in others] == ["upheld", "upheld"]
    assert f"#{first['id']}" in others[1]["resolution"]
    assert await task_status(api, review.task_id) == "reviewing"
    assert await proposal_status(api, review.pid(0)) == "not_awarded"
    problem(await api.anon.get(f"/tasks/{review.task_id}/award"), 404)
    assert "award_revoked" in await inbox_kinds(review.orgs[0])
    assert "objection" in await inbox_kinds(resident)
    problem(await api.committee.post(f"/objections/{second['id']}/dismiss", json={"resolution": "重复"}), 409)

    # The revoked proposal can never win again; the next-ranked is now the top eligible and needs no reason.
    url = f"/tasks/{review.task_id}/award"
    problem(await api.committee.post(url, json={"proposal_id": review.pid(0), "reason": "再次选择"}), 409)
    again = await api.committee.ok("POST", url, status=200, json={"proposal_id": review.pid(1)})
    assert (again["status"], again["rank"], again["reason"]) == ("notice", 2, "")
    history = await api.anon.ok("GET", f"/tasks/{review.task_id}/awards")
    assert [(a["id"], a["status"]) for a in history] == [(again["id"], "notice"), (notice["id"], "revoked")]
    ranking = await api.committee.ok("GET", f"/tasks/{review.task_id}/ranking")
    assert [(r["rank"], r["status"]) for r in ranking["rows"]] == [(1, "not_awarded"), (2, "awarded")]

    assert ("revoke", "notice", "revoked") in await audit_trail(api, "award", notice["id"])
    assert ("award_revoked", "awarded", "reviewing") in await audit_trail(api, "task", review.task_id)
    assert ("award_revoked", "awarded", "not_awarded") in await audit_trail(api, "proposal", review.pid(0))
    assert ("upheld", "open", "upheld") in await audit_trail(api, "objection", second["id"])


async def test_objection_after_the_notice_period_is_409(api: Api) -> None:
    _, notice = await awarded_review(api)
    api.clock.set(ends(notice))
    problem(await api.anon.post(f"/awards/{notice['id']}/objections", json=OBJECTION), 409)
    problem(await api.anon.post("/awards/999999/objections", json=OBJECTION), 404)


async def test_objection_needs_name_contact_and_grounds(api: Api) -> None:
    _, notice = await awarded_review(api)
    url = f"/awards/{notice['id']}/objections"
    problem(await api.anon.post(url, json=OBJECTION | {"name": ""}), 400)
    problem(await api.anon.post(url, json={k: v for k, v in OBJECTION.items() if k != "grounds"}), 400)
    problem(await api.anon.post(url, json=OBJECTION | {"contact": "x" * 101}), 400)


async def test_dismissing_the_last_objection_after_the_notice_period_confirms_the_award(api: Api) -> None:
    review, notice = await awarded_review(api)
    o = await api.anon.ok("POST", f"/awards/{notice['id']}/objections", status=201, json=OBJECTION)
    api.clock.set(ends(notice) + timedelta(hours=1))
    # The period is over, but an objection is open: the award is still in notice and the tick leaves it alone.
    assert (await api.anon.ok("GET", f"/awards/{notice['id']}"))["status"] == "notice"
    assert (await api.committee.ok("POST", "/tick"))["confirmed"] == 0
    await api.committee.ok(
        "POST", f"/objections/{o['id']}/dismiss", status=200, json={"resolution": "经核实,该组织履约记录良好"}
    )
    assert (await api.anon.ok("GET", f"/awards/{notice['id']}"))["status"] == "confirmed"
    assert await task_status(api, review.task_id) == "in_progress"
    projects = await api.anon.ok("GET", "/projects", params={"organization_id": review.orgs[0].user["org"]["id"]})
    assert projects["total"] == 1


async def test_dismissing_an_objection_during_the_notice_period_keeps_the_notice(api: Api) -> None:
    review, notice = await awarded_review(api)
    o = await api.anon.ok("POST", f"/awards/{notice['id']}/objections", status=201, json=OBJECTION)
    done = await api.committee.ok("POST", f"/objections/{o['id']}/dismiss", status=200, json={"resolution": "不成立"})
    assert done["status"] == "dismissed"
    assert (await api.anon.ok("GET", f"/awards/{notice['id']}"))["status"] == "notice"
    assert await task_status(api, review.task_id) == "awarded"
    problem(await api.committee.post(f"/objections/{o['id']}/uphold", json={"resolution": "改判"}), 409)
    problem(await review.orgs[1].post(f"/objections/{o['id']}/uphold", json={"resolution": "改判"}), 403)
    problem(await api.committee.post("/objections/999999/uphold", json={"resolution": "改判"}), 404)


async def test_when_the_notice_period_passes_the_tick_confirms_the_award_and_starts_the_project(api: Api) -> None:
    review, notice = await awarded_review(api)
    assert (await api.committee.ok("POST", "/tick", status=200)) == {"reviewing": 0, "unclaimed": 0, "confirmed": 0}
    api.clock.set(ends(notice))
    report = await api.committee.ok("POST", "/tick", status=200)
    assert report == {"reviewing": 0, "unclaimed": 0, "confirmed": 1}
    assert (await api.committee.ok("POST", "/tick"))["confirmed"] == 0
    assert (await api.anon.ok("GET", f"/tasks/{review.task_id}/award"))["status"] == "confirmed"
    assert await task_status(api, review.task_id) == "in_progress"
    assert await proposal_status(api, review.pid(0)) == "awarded"
    assert await proposal_status(api, review.pid(1)) == "not_awarded"
    award = await api.anon.ok("GET", f"/awards/{notice['id']}")
    assert award["status"] == "confirmed"
    assert award["decided_at"] is not None
    page = await api.anon.ok("GET", "/projects")
    assert page["total"] == 1
    project = page["items"][0]
    assert (project["task_id"], project["status"], project["organization_id"]) == (
        review.task_id,
        "in_progress",
        review.orgs[0].user["org"]["id"],
    )
    assert project["budget_fen"] == 4_000_000
    assert project["title"] == review.task["title"]
    assert ("confirm", "notice", "confirmed") in await audit_trail(api, "award", notice["id"])
    assert ("confirm", "awarded", "in_progress") in await audit_trail(api, "task", review.task_id)
    assert ("not_awarded", "qualified", "not_awarded") in await audit_trail(api, "proposal", review.pid(1))
    assert ("start", "", "in_progress") in await audit_trail(api, "project", project["id"])
    problem(await api.anon.post(f"/awards/{notice['id']}/objections", json=OBJECTION), 409)


async def test_tick_moves_tasks_past_their_claim_deadline(api: Api) -> None:
    claimed = await posted_task(api)
    await submitted_proposal(await api.org_member(), claimed["id"])
    nobody = await posted_task(api)
    api.clock.advance(days=11)
    report = await api.committee.ok("POST", "/tick", status=200)
    assert report == {"reviewing": 1, "unclaimed": 1, "confirmed": 0}
    assert ("deadline", "posted", "reviewing") in await audit_trail(api, "task", claimed["id"])
    assert ("deadline", "posted", "unclaimed") in await audit_trail(api, "task", nobody["id"])
    assert (await api.committee.ok("POST", "/tick")) == {"reviewing": 0, "unclaimed": 0, "confirmed": 0}
    problem(await (await api.org_member()).post("/tick"), 403)


async def test_award_notice_never_names_objectors_and_unknown_awards_are_404(api: Api) -> None:
    _, notice = await awarded_review(api)
    await api.anon.ok("POST", f"/awards/{notice['id']}/objections", status=201, json=OBJECTION)
    body = await api.anon.ok("GET", f"/awards/{notice['id']}")
    assert set(body) >= {"task_title", "organizations", "score", "rank", "reason", "notice_ends_at", "objections"}
    assert "王女士" not in str(body)
    problem(await api.anon.get("/awards/999999"), 404)
