"""Panels (评审组) and comprehensive scoring (综合评分) through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.factories import (
    Api,
    audit_trail,
    inbox_kinds,
    marks,
    marks_for,
    posted_task,
    problem,
    score_all,
    scored_review,
    submitted_proposal,
    task_in_review,
)


async def test_committee_seats_a_panel_of_evaluators_who_are_told_of_their_seat(api: Api) -> None:
    task = await posted_task(api)
    a, b = await api.user("evaluator"), await api.user("evaluator")
    panel = await api.committee.ok(
        "PUT", f"/tasks/{task['id']}/panel", status=200, json={"user_ids": [a.user["id"], b.user["id"]]}
    )
    assert [m["user_id"] for m in panel["members"]] == [a.user["id"], b.user["id"]]
    assert panel["scoring_started"] is False
    assert "panel_seat" in await inbox_kinds(a)
    seen = await a.ok("GET", f"/tasks/{task['id']}/panel", status=200)
    assert [m["username"] for m in seen["members"]] == [a.username, b.username]
    assert ("panel", "posted", "posted") in await audit_trail(api, "task", task["id"])


async def test_only_active_evaluators_can_sit_on_a_panel(api: Api) -> None:
    task = await posted_task(api)
    org = await api.org_member()
    r = await api.committee.put(f"/tasks/{task['id']}/panel", json={"user_ids": [org.user["id"]]})
    problem(r, 422, field="user_ids")
    r = await api.committee.put(f"/tasks/{task['id']}/panel", json={"user_ids": [10_000]})
    problem(r, 422, field="user_ids")
    r = await api.committee.put(f"/tasks/{task['id']}/panel", json={"user_ids": []})
    problem(r, 400)


async def test_only_the_committee_and_the_panel_see_the_panel(api: Api) -> None:
    review = await task_in_review(api, proposals=1, panel=1)
    outsider = await api.user("evaluator")
    problem(await outsider.get(f"/tasks/{review.task_id}/panel"), 403)
    problem(await review.orgs[0].get(f"/tasks/{review.task_id}/panel"), 403)
    problem(await api.anon.get(f"/tasks/{review.task_id}/panel"), 401)
    problem(await review.orgs[0].put(f"/tasks/{review.task_id}/panel", json={"user_ids": [1]}), 403)


async def test_members_who_have_scored_cannot_be_removed_from_the_panel(api: Api) -> None:
    review = await task_in_review(api, proposals=1, panel=2)
    await review.panel[0].ok("PUT", f"/proposals/{review.pid(0)}/scores", status=200, json={"marks": marks_for("80")})
    spare = await api.user("evaluator")
    r = await api.committee.put(f"/tasks/{review.task_id}/panel", json={"user_ids": [spare.user["id"]]})
    problem(r, 409)
    panel = await api.committee.ok("GET", f"/tasks/{review.task_id}/panel")
    assert panel["scoring_started"] is True
    assert sorted(m["user_id"] for m in panel["members"]) == sorted(e.user["id"] for e in review.panel)


async def test_a_member_can_be_added_when_everyone_on_the_panel_is_recused_from_a_proposal(api: Api) -> None:
    # Both members work for the lead of proposal 0: without a third member it could never be scored.
    review = await task_in_review(api, proposals=2, panel=2, member_of={0: 0, 1: 0})
    await score_all(review, [[None, None], [marks_for("80"), marks_for("82")]])
    ranking = await api.committee.ok("GET", f"/tasks/{review.task_id}/ranking")
    assert ranking["complete"] is False
    third = await api.user("evaluator")
    everyone = [e.user["id"] for e in review.panel] + [third.user["id"]]
    await api.committee.ok("PUT", f"/tasks/{review.task_id}/panel", status=200, json={"user_ids": everyone})
    for pid in (review.pid(0), review.pid(1)):
        await third.ok("PUT", f"/proposals/{pid}/scores", status=200, json={"marks": marks_for("85")})
    assert (await api.committee.ok("GET", f"/tasks/{review.task_id}/ranking"))["complete"] is True
    problem(await api.committee.put(f"/tasks/{review.task_id}/panel", json={"user_ids": everyone[:2]}), 409)


async def test_qualification_decisions_stand_once_scoring_has_begun(api: Api) -> None:
    review = await task_in_review(api, proposals=2, panel=2)
    await review.panel[0].ok("PUT", f"/proposals/{review.pid(0)}/scores", status=200, json={"marks": marks_for("80")})
    r = await api.committee.post(
        f"/proposals/{review.pid(1)}/qualification", json={"qualified": False, "reason": "材料不全"}
    )
    problem(r, 409)
    assert (await api.committee.ok("GET", f"/proposals/{review.pid(1)}"))["status"] == "qualified"


async def test_panel_cannot_be_formed_for_a_draft_or_closed_task(api: Api) -> None:
    draft = await api.committee.ok(
        "POST",
        "/tasks",
        status=201,
        json={
            "title": "心理疏导",
            "description": "为青少年提供心理疏导",
            "category": "mental_health",
            "posting_unit": "九水街道",
            "budget_fen": 1_000_000,
            "funding_mode": "project_fund",
            "claim_deadline": api.later(days=5).isoformat(),
            "alliances": ["new-orgs"],
        },
    )
    e = await api.user("evaluator")
    problem(await api.committee.put(f"/tasks/{draft['id']}/panel", json={"user_ids": [e.user["id"]]}), 409)


async def test_scoring_before_the_deadline_is_409(api: Api) -> None:
    task = await posted_task(api)
    org = await api.org_member()
    p = await submitted_proposal(org, task["id"])
    e = await api.user("evaluator")
    await api.committee.ok("PUT", f"/tasks/{task['id']}/panel", status=200, json={"user_ids": [e.user["id"]]})
    r = await e.put(f"/proposals/{p['id']}/scores", json={"marks": marks_for("80")})
    problem(r, 409)


async def test_recused_evaluator_cannot_score_the_proposal_of_their_own_organisation(api: Api) -> None:
    # Panel member 0 belongs to the lead organisation of proposal 0.
    review = await task_in_review(api, proposals=2, panel=2, member_of={0: 0})
    r = await review.panel[0].put(f"/proposals/{review.pid(0)}/scores", json={"marks": marks_for("99")})
    problem(r, 403)
    await review.panel[0].ok("PUT", f"/proposals/{review.pid(1)}/scores", status=200, json={"marks": marks_for("70")})
    queue = await review.panel[0].ok("GET", f"/tasks/{review.task_id}/scoring")
    states = {i["proposal_id"]: i["state"] for i in queue["items"]}
    assert states == {review.pid(0): "recused", review.pid(1): "scored"}
    assert (queue["scored"], queue["waiting"], queue["recused"]) == (1, 0, 1)
    # The recused member is not waited for: the other member's scores complete the panel.
    await score_all(review, [[None, marks_for("85")], [None, marks_for("75")]])
    ranking = await api.committee.ok("GET", f"/tasks/{review.task_id}/ranking")
    assert ranking["complete"] is True
    rows = {r["proposal_id"]: r for r in ranking["rows"]}
    assert rows[review.pid(0)]["score"] == "85.00"
    assert rows[review.pid(0)]["scores_expected"] == 1
    assert rows[review.pid(1)]["score"] == "72.50"


async def test_member_sees_no_other_scores_until_the_panel_is_complete_then_sees_them(api: Api) -> None:
    review = await task_in_review(api, proposals=2, panel=2)
    first, second = review.panel
    await first.ok("PUT", f"/proposals/{review.pid(0)}/scores", status=200, json={"marks": marks(28, 27, 20, 10)})
    await second.ok("PUT", f"/proposals/{review.pid(0)}/scores", status=200, json={"marks": marks_for("70")})

    queue = await first.ok("GET", f"/tasks/{review.task_id}/scoring")
    assert queue["complete"] is False
    assert (queue["scored"], queue["waiting"]) == (1, 1)
    mine = next(i for i in queue["items"] if i["proposal_id"] == review.pid(0))
    assert mine["marks"] == {"专业能力": "28.0", "工作思路": "27.0", "预期效果": "20.0", "预算合理性": "10.0"}
    assert mine["total"] == "85.0"
    assert all(i["panel_scores"] is None for i in queue["items"])
    problem(await first.get(f"/tasks/{review.task_id}/ranking"), 403)
    # Even the committee sees only progress, not marks or totals, before the panel is complete.
    progress = await api.committee.ok("GET", f"/tasks/{review.task_id}/ranking")
    assert progress["complete"] is False
    assert [(r["scores_in"], r["scores_expected"], r["score"], r["member_totals"]) for r in progress["rows"]] == [
        (2, 2, None, None),
        (0, 2, None, None),
    ]

    await score_all(review, [[None, None], [marks_for("60"), marks_for("62")]])
    queue = await first.ok("GET", f"/tasks/{review.task_id}/scoring")
    assert queue["complete"] is True
    shown = next(i for i in queue["items"] if i["proposal_id"] == review.pid(0))["panel_scores"]
    assert [(s["username"], s["total"]) for s in shown] == [(first.username, "85.0"), (second.username, "70.0")]
    ranking = await second.ok("GET", f"/tasks/{review.task_id}/ranking")
    assert ranking["complete"] is True
    assert [r["score"] for r in ranking["rows"]] == ["77.50", "61.00"]
    assert "scoring_complete" in await inbox_kinds(first)
    assert ("scores_complete", "reviewing", "reviewing") in await audit_trail(api, "task", review.task_id)


async def test_five_member_panel_drops_one_highest_and_one_lowest_total(api: Api) -> None:
    review = await task_in_review(api, proposals=1, panel=5)
    given = [marks(20, 20, 20, 10), marks(25, 25, 20, 10), marks(25, 25, 20, "12.5"), marks(28, 27, 22, 13)]
    given.append(marks(30, 30, 24, 15))
    await score_all(review, [given])
    ranking = await api.committee.ok("GET", f"/tasks/{review.task_id}/ranking")
    row = ranking["rows"][0]
    assert [t["total"] for t in row["member_totals"]] == ["70.0", "80.0", "82.5", "90.0", "99.0"]
    # (80 + 82.5 + 90) / 3 = 84.1666… → 84.17
    assert row["score"] == "84.17"
    assert row["rank"] == 1
    assert row["first_criterion_mean"] == "25.6000"


async def test_three_member_panel_takes_the_plain_mean_without_trimming(api: Api) -> None:
    review = await scored_review(api, [["70", "80.5", "90.3"]])
    ranking = await api.committee.ok("GET", f"/tasks/{review.task_id}/ranking")
    # (70 + 80.5 + 90.3) / 3 = 80.2666… → 80.27
    assert ranking["rows"][0]["score"] == "80.27"


async def test_equal_scores_are_ranked_by_first_criterion_mean(api: Api) -> None:
    review = await task_in_review(api, proposals=3, panel=2)
    await score_all(
        review,
        [
            [marks_for("80", first="20"), marks_for("80", first="20")],  # submitted first, weaker first criterion
            [marks_for("80", first="25"), marks_for("80", first="24")],
            [marks_for("81", first="12"), marks_for("81", first="12")],
        ],
    )
    ranking = await api.committee.ok("GET", f"/tasks/{review.task_id}/ranking")
    assert [(r["proposal_id"], r["score"], r["rank"]) for r in ranking["rows"]] == [
        (review.pid(2), "81.00", 1),
        (review.pid(1), "80.00", 2),
        (review.pid(0), "80.00", 3),
    ]
    assert ranking["rows"][1]["first_criterion_mean"] == "24.5000"


async def test_equal_scores_and_first_criterion_rank_the_earlier_submission_first(api: Api) -> None:
    review = await scored_review(api, [["80", "80"], ["80", "80"]])
    ranking = await api.committee.ok("GET", f"/tasks/{review.task_id}/ranking")
    assert [r["proposal_id"] for r in ranking["rows"]] == [review.pid(0), review.pid(1)]


async def test_marks_out_of_range_too_precise_or_incomplete_are_422(api: Api) -> None:
    review = await task_in_review(api, proposals=1, panel=1)
    member, url = review.panel[0], f"/proposals/{review.pid(0)}/scores"
    cases = [
        marks(31, 20, 20, 10),  # above the maximum
        marks(-1, 20, 20, 10),  # below zero
        marks("12.25", 20, 20, 10),  # two decimals
        marks(12.25, 20, 20, 10),  # two decimals as a JSON number
        {"专业能力": 20, "工作思路": 20, "预期效果": 20},  # missing 预算合理性
        marks(20, 20, 20, 10) | {"创新性": 5},  # unknown criterion
    ]
    for given in cases:
        body = problem(await member.put(url, json={"marks": given}), 422, field="marks")
        assert body["criterion"] in {*given, "预算合理性"}
    body = problem(await member.put(url, json={"marks": marks(20, 20, 26, 10)}), 422, field="marks")
    assert body["criterion"] == "预期效果"
    assert "预期效果" in body["detail"]
    problem(await member.put(url, json={"marks": marks("abc", 20, 20, 10)}), 400)
    problem(await member.put(url, json={"marks": marks(True, 20, 20, 10)}), 400)
    problem(await member.put(url, json={"marks": marks(20, 20, 20, 10), "extra": 1}), 400)
    problem(await member.put(url, json={"marks": "eighty"}), 400)
    problem(await member.put(url, json={"marks": {"x" * 60: 1}}), 400)
    # One decimal, as a number or a string, is fine; trailing zeros are not extra precision.
    done = await member.ok("PUT", url, status=200, json={"marks": marks("29.50", 0.5, 25, "0")})
    assert done["marks"] == {"专业能力": "29.5", "工作思路": "0.5", "预期效果": "25.0", "预算合理性": "0.0"}
    assert done["total"] == "55.0"


async def test_rescoring_is_allowed_until_the_panel_is_complete_then_scores_are_frozen(api: Api) -> None:
    review = await task_in_review(api, proposals=1, panel=2)
    first, second = review.panel
    url = f"/proposals/{review.pid(0)}/scores"
    await first.ok("PUT", url, status=200, json={"marks": marks_for("60")})
    again = await first.ok("PUT", url, status=200, json={"marks": marks_for("65")})
    assert again["total"] == "65.0"
    assert again["panel_complete"] is False
    last = await second.ok("PUT", url, status=200, json={"marks": marks_for("75")})
    assert last["panel_complete"] is True
    problem(await first.put(url, json={"marks": marks_for("99")}), 409)
    ranking = await api.committee.ok("GET", f"/tasks/{review.task_id}/ranking")
    assert ranking["rows"][0]["score"] == "70.00"
    assert [a for a, _, _ in await audit_trail(api, "proposal", review.pid(0))][-3:] == ["score", "rescore", "score"]


async def test_a_panel_is_not_complete_while_a_proposal_awaits_qualification(api: Api) -> None:
    review = await task_in_review(api, proposals=2, panel=1, qualify=False)
    await api.committee.ok("POST", f"/proposals/{review.pid(0)}/qualification", status=200, json={"qualified": True})
    done = await review.panel[0].ok(
        "PUT", f"/proposals/{review.pid(0)}/scores", status=200, json={"marks": marks_for("80")}
    )
    assert done["panel_complete"] is False
    queue = await review.panel[0].ok("GET", f"/tasks/{review.task_id}/scoring")
    assert queue["awaiting_qualification"] == 1
    # Submitted but not yet qualified: not up for scoring.
    problem(await review.panel[0].put(f"/proposals/{review.pid(1)}/scores", json={"marks": marks_for("80")}), 409)
    await api.committee.ok(
        "POST", f"/proposals/{review.pid(1)}/qualification", status=200, json={"qualified": False, "reason": "材料不全"}
    )
    ranking = await api.committee.ok("GET", f"/tasks/{review.task_id}/ranking")
    assert ranking["complete"] is True
    assert [r["proposal_id"] for r in ranking["rows"]] == [review.pid(0)]


async def test_evaluator_off_the_panel_cannot_score_or_see_the_queue(api: Api) -> None:
    review = await task_in_review(api, proposals=1, panel=1)
    outsider = await api.user("evaluator")
    problem(await outsider.put(f"/proposals/{review.pid(0)}/scores", json={"marks": marks_for("80")}), 404)
    problem(await outsider.get(f"/tasks/{review.task_id}/scoring"), 403)
    problem(await outsider.get(f"/tasks/{review.task_id}/ranking"), 403)
    problem(await review.orgs[0].put(f"/proposals/{review.pid(0)}/scores", json={"marks": marks_for("80")}), 403)
    problem(await api.committee.put(f"/proposals/{review.pid(0)}/scores", json={"marks": marks_for("80")}), 403)
    problem(await api.anon.get(f"/tasks/{review.task_id}/ranking"), 401)
    problem(await review.orgs[0].get(f"/tasks/{review.task_id}/ranking"), 403)
    problem(await api.committee.get("/tasks/999999/ranking"), 404)
