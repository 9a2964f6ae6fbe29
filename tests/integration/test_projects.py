"""Projects (项目清单): milestones, progress, residents' ratings, delivery, final evaluation, organisations' records."""

from __future__ import annotations

from typing import Any

from tests.factories import (
    Api,
    As,
    audit_trail,
    inbox_kinds,
    marks_for,
    posted_task,
    problem,
    project_under_way,
    proposal_body,
)

REPORT = {"body": "本周完成助餐配送 140 份,探访独居老人 12 户", "percent_complete": 30}
EVALUATION = {"comment": "服务覆盖面广,居民满意度高"}


async def deliver(lead: As, project_id: int) -> dict[str, Any]:
    return await lead.ok("POST", f"/projects/{project_id}/deliver", status=200)


async def test_lead_plans_milestones_and_reports_progress_marking_a_milestone_done(api: Api) -> None:
    review, project = await project_under_way(api)
    lead, pid = review.orgs[0], project["id"]
    m = await lead.ok(
        "POST", f"/projects/{pid}/milestones", status=201, json={"title": "完成需求摸底", "due_on": "2026-04-30"}
    )
    assert (m["title"], m["due_on"], m["done_on"]) == ("完成需求摸底", "2026-04-30", None)
    r = await lead.ok(
        "POST", f"/projects/{pid}/reports", status=201, json=REPORT | {"milestone_id": m["id"], "done": True}
    )
    assert r["milestone_id"] == m["id"]
    await lead.ok("POST", f"/projects/{pid}/reports", status=201, json=REPORT | {"percent_complete": 55})
    shown = await api.anon.ok("GET", f"/projects/{pid}")
    assert shown["percent_complete"] == 55
    assert [x["percent_complete"] for x in shown["reports"]] == [55, 30]
    assert shown["milestones"][0]["done_on"] is not None
    assert [a for a, _, _ in await audit_trail(api, "project", pid)] == ["start", "milestone", "report", "report"]


async def test_progress_report_rules(api: Api) -> None:
    review, project = await project_under_way(api)
    lead, url = review.orgs[0], f"/projects/{project['id']}/reports"
    problem(await lead.post(url, json=REPORT | {"percent_complete": 101}), 400)
    problem(await lead.post(url, json=REPORT | {"body": ""}), 400)
    problem(await lead.post(url, json=REPORT | {"milestone_id": 999_999}), 422, field="milestone_id")
    problem(await lead.post(url, json=REPORT | {"done": True}), 422, field="milestone_id")


async def test_only_the_organisations_doing_the_work_report_and_only_the_lead_delivers(api: Api) -> None:
    # A joint claim: the lead invites a partner, who accepts before submission.
    task = await posted_task(api, allow_joint=True)
    lead, partner, outsider = await api.org_member(), await api.org_member(), await api.org_member()
    p = await lead.ok(
        "POST",
        f"/tasks/{task['id']}/proposals",
        status=201,
        json=proposal_body(partner_ids=[partner.user["org"]["id"]]),
    )
    await partner.ok("POST", f"/proposals/{p['id']}/invitation", status=200, json={"accept": True})
    await lead.ok("POST", f"/proposals/{p['id']}/submit", status=200)
    judge = await api.user("evaluator")
    await api.committee.ok("PUT", f"/tasks/{task['id']}/panel", status=200, json={"user_ids": [judge.user["id"]]})
    api.clock.advance(days=11)
    await api.committee.ok("POST", f"/proposals/{p['id']}/qualification", status=200, json={"qualified": True})
    await judge.ok("PUT", f"/proposals/{p['id']}/scores", status=200, json={"marks": marks_for("88")})
    notice = await api.committee.ok("POST", f"/tasks/{task['id']}/award", status=200, json={"proposal_id": p["id"]})
    assert [o["role"] for o in notice["organizations"]] == ["lead", "partner"]
    api.clock.advance(days=api.settings.notice_days, seconds=1)
    await api.committee.ok("POST", "/tick", status=200)
    project = (await api.anon.ok("GET", "/projects"))["items"][0]
    pid = project["id"]
    shown = await api.anon.ok("GET", f"/projects/{pid}")
    assert [(o["id"], o["role"]) for o in shown["organizations"]] == [
        (lead.user["org"]["id"], "lead"),
        (partner.user["org"]["id"], "partner"),
    ]

    await partner.ok("POST", f"/projects/{pid}/reports", status=201, json=REPORT)
    problem(await outsider.post(f"/projects/{pid}/reports", json=REPORT), 403)
    problem(await partner.post(f"/projects/{pid}/milestones", json={"title": "阶段一", "due_on": "2026-05-01"}), 403)
    problem(await partner.post(f"/projects/{pid}/deliver"), 403)
    problem(await api.committee.post(f"/projects/{pid}/deliver"), 403)
    problem(await api.anon.post(f"/projects/{pid}/reports", json=REPORT), 401)
    delivered = await deliver(lead, pid)
    assert delivered["status"] == "delivered"
    problem(await lead.post(f"/projects/{pid}/deliver"), 409)
    problem(await lead.post(f"/projects/{pid}/reports", json=REPORT), 409)
    assert "project_delivered" in await inbox_kinds(api.committee)


async def test_residents_rate_the_work_1_to_5_without_an_account(api: Api) -> None:
    review, project = await project_under_way(api)
    url = f"/projects/{project['id']}/feedback"
    problem(await api.anon.post(url, json={"rating": 6}), 400)
    problem(await api.anon.post(url, json={"rating": 0}), 400)
    problem(await api.anon.post(url, json={"rating": "five"}), 400)
    problem(await api.anon.post(url, json={"rating": 4.5}), 400)
    given = await api.anon.ok("POST", url, status=201, json={"rating": 5, "comment": "送餐很准时", "name": "张阿姨"})
    assert (given["rating"], given["name"]) == (5, "张阿姨")
    await api.anon.ok("POST", url, status=201, json={"rating": 4})
    await review.orgs[1].ok("POST", url, status=201, json={"rating": 4})
    shown = await api.anon.ok("GET", f"/projects/{project['id']}")
    # (5 + 4 + 4) / 3 = 4.333… → 4.33
    assert shown["feedback"] == {"count": 3, "mean": "4.33"}
    assert [f["rating"] for f in shown["recent_feedback"]] == [4, 4, 5]
    problem(await api.anon.post("/projects/999999/feedback", json={"rating": 5}), 404)


async def test_evaluation_before_delivery_is_409(api: Api) -> None:
    _, project = await project_under_way(api)
    r = await api.committee.post(f"/projects/{project['id']}/evaluation", json=EVALUATION | {"score": 90})
    problem(r, 409)


async def test_evaluation_94_is_graded_good_and_95_excellent(api: Api) -> None:
    for score, grade, label in [(94, "good", "良好"), (95, "excellent", "优秀")]:
        review, project = await project_under_way(api)
        await deliver(review.orgs[0], project["id"])
        url = f"/projects/{project['id']}/evaluation"
        problem(await review.orgs[0].post(url, json=EVALUATION | {"score": score}), 403)
        problem(await api.committee.post(url, json=EVALUATION | {"score": 101}), 400)
        done = await api.committee.ok("POST", url, status=200, json=EVALUATION | {"score": score})
        assert (done["status"], done["final_score"], done["grade"], done["grade_label"]) == (
            "closed",
            score,
            grade,
            label,
        )
        assert done["evaluation"] == EVALUATION["comment"]
        problem(await api.committee.post(url, json=EVALUATION | {"score": score}), 409)
        assert (await api.anon.ok("GET", f"/tasks/{review.task_id}"))["status"] == "closed"
        assert "evaluation" in await inbox_kinds(review.orgs[0])


async def test_feedback_closes_with_the_project(api: Api) -> None:
    review, project = await project_under_way(api)
    url = f"/projects/{project['id']}/feedback"
    await deliver(review.orgs[0], project["id"])
    await api.anon.ok("POST", url, status=201, json={"rating": 3})
    await api.committee.ok("POST", f"/projects/{project['id']}/evaluation", status=200, json=EVALUATION | {"score": 80})
    problem(await api.anon.post(url, json={"rating": 5}), 409)


async def test_organisation_record_shows_projects_done_and_mean_final_score(api: Api) -> None:
    star = await api.org_member()
    for score in (80, 91):
        review, project = await project_under_way(api, orgs=[star])
        await deliver(review.orgs[0], project["id"])
        await api.committee.ok(
            "POST", f"/projects/{project['id']}/evaluation", status=200, json=EVALUATION | {"score": score}
        )
    await project_under_way(api, orgs=[star])  # still in progress: listed, not counted
    record = await api.anon.ok("GET", f"/organizations/{star.user['org']['id']}/record")
    assert record["organization_name"] == star.user["org"]["name"]
    assert record["projects_done"] == 2
    assert record["mean_final_score"] == "85.50"
    assert record["grades"] == {"excellent": 0, "good": 1, "pass": 1, "fail": 0}
    assert [p["status"] for p in record["projects"]] == ["in_progress", "closed", "closed"]
    nobody = await api.org_member()
    empty = await api.anon.ok("GET", f"/organizations/{nobody.user['org']['id']}/record")
    assert (empty["projects_done"], empty["mean_final_score"], empty["projects"]) == (0, None, [])
    problem(await api.anon.get("/organizations/999999/record"), 404)


async def test_project_list_filters_by_status_category_and_organisation(api: Api) -> None:
    first, p1 = await project_under_way(api)
    _, p2 = await project_under_way(api, category="legal_aid")
    await deliver(first.orgs[0], p1["id"])
    everything = await api.anon.ok("GET", "/projects")
    assert [p["id"] for p in everything["items"]] == [p2["id"], p1["id"]]
    assert (await api.anon.ok("GET", "/projects", params={"status": "delivered"}))["total"] == 1
    legal = await api.anon.ok("GET", "/projects", params={"category": "legal_aid"})
    assert [p["id"] for p in legal["items"]] == [p2["id"]]
    mine = await api.anon.ok("GET", "/projects", params={"organization_id": first.orgs[0].user["org"]["id"]})
    assert [p["id"] for p in mine["items"]] == [p1["id"]]
    page = await api.anon.ok("GET", "/projects", params={"limit": 1, "offset": 1})
    assert (page["total"], [p["id"] for p in page["items"]]) == (2, [p1["id"]])
    problem(await api.anon.get("/projects", params={"status": "nonsense"}), 400)
    problem(await api.anon.get("/projects/999999"), 404)


async def test_every_transition_from_posting_to_evaluation_left_an_audit_entry(api: Api) -> None:
    secretary = await api.user("secretary", community_id=(await api.community())["id"])
    need = await secretary.ok("POST", "/needs", status=201, json={"title": "独居老人助餐", "category": "elderly_care"})
    review, project = await project_under_way(api, need_ids=[need["id"]])
    assert project["need_ids"] == [need["id"]]
    assert (await api.anon.ok("GET", f"/needs/{need['id']}"))["status"] == "matched"
    lead, pid = review.orgs[0], project["id"]
    await lead.ok("POST", f"/projects/{pid}/reports", status=201, json=REPORT)
    await deliver(lead, pid)
    await api.committee.ok("POST", f"/projects/{pid}/evaluation", status=200, json=EVALUATION | {"score": 88})
    assert (await api.anon.ok("GET", f"/needs/{need['id']}"))["status"] == "resolved"

    task_trail = await audit_trail(api, "task", review.task_id)
    assert [(b, a) for _, b, a in task_trail if b != a] == [
        ("", "draft"),
        ("draft", "posted"),
        ("posted", "reviewing"),
        ("reviewing", "awarded"),
        ("awarded", "in_progress"),
        ("in_progress", "delivered"),
        ("delivered", "closed"),
    ]
    proposal_trail = [(b, a) for _, b, a in await audit_trail(api, "proposal", review.pid(0)) if b != a]
    assert proposal_trail == [
        ("", "draft"),
        ("draft", "submitted"),
        ("submitted", "qualified"),
        ("qualified", "awarded"),
    ]
    loser_trail = [(b, a) for _, b, a in await audit_trail(api, "proposal", review.pid(1)) if b != a]
    assert loser_trail[-1] == ("qualified", "not_awarded")
    # The award's own entries: its notice, the dossier published with it (its digest, no change of state), its end.
    assert [(action, b, a) for action, b, a in await audit_trail(api, "award", project["award_id"])] == [
        ("award", "", "notice"),
        ("dossier", "", ""),
        ("confirm", "notice", "confirmed"),
    ]
    assert [(b, a) for _, b, a in await audit_trail(api, "project", pid) if b != a] == [
        ("", "in_progress"),
        ("in_progress", "delivered"),
        ("delivered", "closed"),
    ]
    assert [(b, a) for _, b, a in await audit_trail(api, "need", need["id"]) if b != a][-2:] == [
        ("open", "matched"),
        ("matched", "resolved"),
    ]
    verified = await api.committee.ok("GET", "/audit/verify")
    assert verified["ok"] is True
