"""Proposals (揭榜意向书) through the HTTP API: who may claim, joint claims, sealing, the deadline, qualification."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.factories import (
    Api,
    As,
    claims_kept,
    draft_proposal,
    inbox_kinds,
    posted_task,
    problem,
    proposal_body,
    submitted_proposal,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def deadline_of(task: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(task["claim_deadline"])


async def mine(member: As) -> list[dict[str, Any]]:
    return list(await member.ok("GET", "/proposals/mine"))


async def live_on(member: As, task_id: int) -> list[dict[str, Any]]:
    """The member's organisation's proposals on the task that still count as claims on it."""
    return [p for p in await mine(member) if p["task_id"] == task_id and p["status"] in ("draft", "submitted")]


async def joint_proposal(lead: As, partner: As, task_id: int, *, accept: bool | None = None) -> dict[str, Any]:
    """A draft by `lead` inviting `partner`, answered if `accept` is given."""
    p = await draft_proposal(lead, task_id, partner_ids=[partner.user["org"]["id"]])
    if accept is not None:
        await partner.ok("POST", f"/proposals/{p['id']}/invitation", status=200, json={"accept": accept})
    return p


async def attach_pdf(member: As, proposal_id: int) -> dict[str, Any]:
    files = {"data": ("方案.pdf", PDF, "application/pdf")}
    return await member.ok("POST", f"/proposals/{proposal_id}/attachments", status=201, files=files)


# Who may claim ------------------------------------------------------------------------------------------------


async def test_an_organisation_outside_the_target_alliances_cannot_claim(api: Api) -> None:
    outsider = await api.org_member("legal")
    task = await posted_task(api, alliances=["new-orgs", "volunteers"])
    problem(await outsider.post(f"/tasks/{task['id']}/proposals", json=proposal_body()), 403)
    assert await mine(outsider) == []
    assert await claims_kept(api, task["id"]) == 0


async def test_only_organisation_members_claim(api: Api) -> None:
    task = await posted_task(api)
    evaluator = await api.user("evaluator")
    for who, status in ((api.anon, 401), (api.committee, 403), (evaluator, 403)):
        problem(await who.post(f"/tasks/{task['id']}/proposals", json=proposal_body()), status)


async def test_a_suspended_organisation_cannot_claim(api: Api) -> None:
    member = await api.org_member()
    org_id = member.user["org"]["id"]
    task = await posted_task(api)
    early = await draft_proposal(member, task["id"])
    suspended = await api.committee.ok(
        "PATCH", f"/organizations/{org_id}", json={"status": "suspended", "reason": "年检未通过"}
    )
    assert suspended["status"] == "suspended"

    problem(await member.post(f"/proposals/{early['id']}/submit"), 403)
    assert (await member.ok("GET", f"/proposals/{early['id']}"))["status"] == "draft"
    await member.ok("POST", f"/proposals/{early['id']}/withdraw", status=200)
    problem(await member.post(f"/tasks/{task['id']}/proposals", json=proposal_body()), 403)
    assert await live_on(member, task["id"]) == []

    await api.committee.ok("PATCH", f"/organizations/{org_id}", json={"status": "active", "reason": "整改完成"})
    await submitted_proposal(member, task["id"])
    assert len(await live_on(member, task["id"])) == 1


async def test_a_suspended_partner_cannot_be_invited(api: Api) -> None:
    lead = await api.org_member()
    partner = await api.org_member()
    await api.committee.ok(
        "PATCH", f"/organizations/{partner.user['org']['id']}", json={"status": "suspended", "reason": "年检未通过"}
    )
    task = await posted_task(api, allow_joint=True)
    r = await lead.post(f"/tasks/{task['id']}/proposals", json=proposal_body(partner_ids=[partner.user["org"]["id"]]))
    problem(r, 403)
    assert await mine(lead) == []


# One live proposal per organisation per task -------------------------------------------------------------------


async def test_a_second_live_proposal_from_the_same_organisation_conflicts(api: Api) -> None:
    member = await api.org_member()
    task = await posted_task(api)
    first = await draft_proposal(member, task["id"])
    problem(await member.post(f"/tasks/{task['id']}/proposals", json=proposal_body()), 409)
    await member.ok("POST", f"/proposals/{first['id']}/submit", status=200)
    problem(await member.post(f"/tasks/{task['id']}/proposals", json=proposal_body()), 409)
    assert [p["id"] for p in await live_on(member, task["id"])] == [first["id"]]
    # Another task is another matter.
    other = await posted_task(api)
    await draft_proposal(member, other["id"])


async def test_a_partner_on_one_proposal_cannot_lead_another_on_the_same_task(api: Api) -> None:
    lead = await api.org_member()
    partner = await api.org_member()
    task = await posted_task(api, allow_joint=True)
    joint = await joint_proposal(lead, partner, task["id"])  # pending: the invitation already holds the partner
    problem(await partner.post(f"/tasks/{task['id']}/proposals", json=proposal_body()), 409)
    await partner.ok("POST", f"/proposals/{joint['id']}/invitation", status=200, json={"accept": True})
    problem(await partner.post(f"/tasks/{task['id']}/proposals", json=proposal_body()), 409)
    assert [p["id"] for p in await mine(partner)] == [joint["id"]]


async def test_an_organisation_with_its_own_proposal_cannot_be_invited_as_a_partner(api: Api) -> None:
    lead = await api.org_member()
    busy = await api.org_member()
    task = await posted_task(api, allow_joint=True)
    own = await draft_proposal(busy, task["id"])
    r = await lead.post(f"/tasks/{task['id']}/proposals", json=proposal_body(partner_ids=[busy.user["org"]["id"]]))
    assert busy.user["org"]["name"] in problem(r, 409, field="partner_ids")["detail"]
    assert await mine(lead) == []
    solo = await draft_proposal(lead, task["id"])
    r = await lead.patch(f"/proposals/{solo['id']}", json={"partner_ids": [busy.user["org"]["id"]]})
    problem(r, 409, field="partner_ids")
    assert (await lead.ok("GET", f"/proposals/{solo['id']}"))["members"] == [
        {
            "organization_id": lead.user["org"]["id"],
            "organization_name": lead.user["org"]["name"],
            "role": "lead",
            "invitation": "lead",
        }
    ]
    assert [p["id"] for p in await mine(busy)] == [own["id"]]


async def test_after_withdrawing_an_organisation_may_claim_again(api: Api) -> None:
    lead = await api.org_member()
    partner = await api.org_member()
    task = await posted_task(api, allow_joint=True)
    first = await joint_proposal(lead, partner, task["id"], accept=True)
    await lead.ok("POST", f"/proposals/{first['id']}/submit", status=200)
    withdrawn = await lead.ok("POST", f"/proposals/{first['id']}/withdraw", status=200)
    assert withdrawn["status"] == "withdrawn"
    assert (await lead.ok("GET", f"/proposals/{first['id']}"))["status"] == "withdrawn"
    assert await claims_kept(api, task["id"]) == 0
    problem(await lead.post(f"/proposals/{first['id']}/withdraw"), 409)
    assert "proposal_withdrawn" in await inbox_kinds(partner)

    again = await submitted_proposal(lead, task["id"])
    alone = await submitted_proposal(partner, task["id"])  # the partner was released too
    assert {p["id"] for p in await live_on(lead, task["id"])} == {again["id"]}
    assert {p["id"] for p in await live_on(partner, task["id"])} == {alone["id"]}
    assert await claims_kept(api, task["id"]) == 2


# What a proposal may ask for ----------------------------------------------------------------------------------


async def test_a_requested_budget_above_the_task_budget_is_invalid(api: Api) -> None:
    member = await api.org_member()
    task = await posted_task(api, budget_fen=1_000_000)
    r = await member.post(f"/tasks/{task['id']}/proposals", json=proposal_body(requested_budget_fen=1_000_001))
    problem(r, 422, field="requested_budget_fen")
    assert await mine(member) == []
    p = await draft_proposal(member, task["id"], requested_budget_fen=1_000_000)
    problem(await member.patch(f"/proposals/{p['id']}", json={"requested_budget_fen": 2_000_000}), 422)
    assert (await member.ok("GET", f"/proposals/{p['id']}"))["requested_budget_fen"] == 1_000_000


async def test_partners_are_refused_when_the_task_does_not_allow_joint_claims(api: Api) -> None:
    lead = await api.org_member()
    partner = await api.org_member()
    task = await posted_task(api, allow_joint=False)
    body = proposal_body(partner_ids=[partner.user["org"]["id"]])
    problem(await lead.post(f"/tasks/{task['id']}/proposals", json=body), 422, field="partner_ids")
    assert await mine(lead) == []
    assert await mine(partner) == []
    assert "invitation" not in await inbox_kinds(partner)


async def test_a_lead_cannot_be_its_own_partner(api: Api) -> None:
    lead = await api.org_member()
    task = await posted_task(api, allow_joint=True)
    body = proposal_body(partner_ids=[lead.user["org"]["id"]])
    problem(await lead.post(f"/tasks/{task['id']}/proposals", json=body), 422, field="partner_ids")
    assert await mine(lead) == []


async def test_submission_needs_strengths_work_plan_and_expected_results(api: Api) -> None:
    member = await api.org_member()
    task = await posted_task(api)
    p = await draft_proposal(member, task["id"], strengths="", work_plan="  ")
    problem(await member.post(f"/proposals/{p['id']}/submit"), 422, field="strengths")
    assert (await member.ok("GET", f"/proposals/{p['id']}"))["status"] == "draft"
    await member.ok("PATCH", f"/proposals/{p['id']}", json={"strengths": "专业", "work_plan": "分三阶段"})
    assert (await member.ok("POST", f"/proposals/{p['id']}/submit", status=200))["status"] == "submitted"


# Joint claims -------------------------------------------------------------------------------------------------


async def test_a_partner_that_has_not_accepted_blocks_submission(api: Api) -> None:
    lead = await api.org_member()
    partner = await api.org_member()
    task = await posted_task(api, allow_joint=True)
    p = await joint_proposal(lead, partner, task["id"])
    assert "invitation" in await inbox_kinds(partner)

    body = problem(await lead.post(f"/proposals/{p['id']}/submit"), 409)
    assert partner.user["org"]["name"] in body["detail"]
    assert body["partners_not_accepted"] == [partner.user["org"]["name"]]
    shown = await lead.ok("GET", f"/proposals/{p['id']}")
    assert (shown["status"], shown["submitted_at"]) == ("draft", None)

    # The partner sees the invitation, but only the lead submits.
    assert (await partner.ok("GET", f"/proposals/{p['id']}"))["members"][1]["invitation"] == "pending"
    problem(await partner.post(f"/proposals/{p['id']}/submit"), 403)
    await partner.ok("POST", f"/proposals/{p['id']}/invitation", status=200, json={"accept": True})
    assert "invitation_answer" in await inbox_kinds(lead)
    submitted = await lead.ok("POST", f"/proposals/{p['id']}/submit", status=200)
    assert submitted["status"] == "submitted"
    assert [m["invitation"] for m in submitted["members"]] == ["lead", "accepted"]
    assert (await partner.ok("GET", f"/proposals/{p['id']}"))["status"] == "submitted"


async def test_a_declined_partner_is_freed_to_claim_on_its_own(api: Api) -> None:
    lead = await api.org_member()
    partner = await api.org_member()
    task = await posted_task(api, allow_joint=True)
    p = await joint_proposal(lead, partner, task["id"], accept=False)
    problem(await partner.get(f"/proposals/{p['id']}"), 404)  # it is no longer on it
    own = await submitted_proposal(partner, task["id"])
    assert own["lead_org_id"] == partner.user["org"]["id"]

    # The lead cannot submit with a declined partner on the list; dropping it clears the way.
    body = problem(await lead.post(f"/proposals/{p['id']}/submit"), 409)
    assert partner.user["org"]["name"] in body["detail"]
    await lead.ok("PATCH", f"/proposals/{p['id']}", json={"partner_ids": []})
    assert (await lead.ok("POST", f"/proposals/{p['id']}/submit", status=200))["status"] == "submitted"
    assert await claims_kept(api, task["id"]) == 2


async def test_a_partner_that_declined_may_be_invited_again(api: Api) -> None:
    lead = await api.org_member()
    partner = await api.org_member()
    partner_id = partner.user["org"]["id"]
    task = await posted_task(api, allow_joint=True)
    p = await joint_proposal(lead, partner, task["id"], accept=False)
    again = await lead.ok("PATCH", f"/proposals/{p['id']}", json={"partner_ids": [partner_id]})
    assert [m["invitation"] for m in again["members"]] == ["lead", "pending"]
    assert (await inbox_kinds(partner)).count("invitation") == 2
    await partner.ok("POST", f"/proposals/{p['id']}/invitation", status=200, json={"accept": True})
    assert (await lead.ok("POST", f"/proposals/{p['id']}/submit", status=200))["status"] == "submitted"
    # Having accepted, the partner is held by this proposal again.
    problem(await partner.post(f"/tasks/{task['id']}/proposals", json=proposal_body()), 409)


async def test_a_declined_partner_with_its_own_claim_cannot_be_invited_again(api: Api) -> None:
    lead = await api.org_member()
    partner = await api.org_member()
    task = await posted_task(api, allow_joint=True)
    p = await joint_proposal(lead, partner, task["id"], accept=False)
    own = await draft_proposal(partner, task["id"])
    r = await lead.patch(f"/proposals/{p['id']}", json={"partner_ids": [partner.user["org"]["id"]]})
    assert partner.user["org"]["name"] in problem(r, 409, field="partner_ids")["detail"]
    assert [m["invitation"] for m in (await lead.ok("GET", f"/proposals/{p['id']}"))["members"]] == [
        "lead",
        "declined",
    ]
    assert [x["id"] for x in await live_on(partner, task["id"])] == [own["id"]]


# Sealing ------------------------------------------------------------------------------------------------------


async def test_another_organisation_cannot_see_or_guess_a_sealed_proposal(api: Api) -> None:
    owner = await api.org_member()
    rival = await api.org_member()
    task = await posted_task(api)
    p = await submitted_proposal(owner, task["id"])
    draft = await api.org_member()
    d = await draft_proposal(draft, task["id"])
    nowhere = problem(await owner.get("/proposals/99999999"), 404)

    for who in (rival, api.anon, api.committee):
        for sealed in (p, d):
            assert problem(await who.get(f"/proposals/{sealed['id']}"), 404) == nowhere
        assert await who.ok("GET", f"/tasks/{task['id']}/proposals") == []
    assert await mine(rival) == []
    assert [x["id"] for x in await owner.ok("GET", f"/tasks/{task['id']}/proposals")] == [p["id"]]


async def test_sealed_attachments_are_not_found_for_anyone_else(api: Api) -> None:
    owner = await api.org_member()
    rival = await api.org_member()
    task = await posted_task(api)
    p = await draft_proposal(owner, task["id"])
    a = await attach_pdf(owner, p["id"])
    await owner.ok("POST", f"/proposals/{p['id']}/submit", status=200)
    url = f"/proposals/{p['id']}/attachments/{a['id']}"
    nowhere = problem(await rival.get("/proposals/99999999/attachments/1"), 404)
    for who in (rival, api.anon, api.committee):
        assert problem(await who.get(url), 404) == nowhere
    assert (await owner.get(url)).content == PDF


async def test_after_the_deadline_the_committee_and_panel_see_submitted_proposals_but_not_drafts(api: Api) -> None:
    submitter = await api.org_member()
    drafter = await api.org_member()
    withdrawer = await api.org_member()
    evaluator = await api.user("evaluator")
    panellist = await api.user("evaluator")
    task = await posted_task(api)
    await api.committee.ok("PUT", f"/tasks/{task['id']}/panel", json={"user_ids": [panellist.user["id"]]})
    p = await submitted_proposal(submitter, task["id"])
    d = await draft_proposal(drafter, task["id"])
    w = await submitted_proposal(withdrawer, task["id"])
    await withdrawer.ok("POST", f"/proposals/{w['id']}/withdraw", status=200)
    # Before the deadline not even the panel sees it.
    assert await panellist.ok("GET", f"/tasks/{task['id']}/proposals") == []
    problem(await panellist.get(f"/proposals/{p['id']}"), 404)
    api.clock.set(deadline_of(task))

    nowhere = problem(await api.committee.get("/proposals/99999999"), 404)
    for reader in (api.committee, panellist):
        assert [x["id"] for x in await reader.ok("GET", f"/tasks/{task['id']}/proposals")] == [p["id"]]
        assert (await reader.ok("GET", f"/proposals/{p['id']}"))["status"] == "submitted"
        for hidden in (d, w):
            assert problem(await reader.get(f"/proposals/{hidden['id']}"), 404) == nowhere
    # An evaluator who is not on this task's panel, other organisations and the public still see nothing.
    for who in (evaluator, api.anon, await api.org_member()):
        assert await who.ok("GET", f"/tasks/{task['id']}/proposals") == []
        assert problem(await who.get(f"/proposals/{p['id']}"), 404) == nowhere
    # The owners still see their own.
    assert (await drafter.ok("GET", f"/proposals/{d['id']}"))["status"] == "draft"


async def test_cancelling_a_task_before_its_deadline_does_not_unseal_its_proposals(api: Api) -> None:
    owner = await api.org_member()
    task = await posted_task(api)
    p = await submitted_proposal(owner, task["id"])
    await api.committee.ok("POST", f"/tasks/{task['id']}/cancel", status=200, json={"reason": "情况有变"})
    nowhere = problem(await api.committee.get("/proposals/99999999"), 404)
    assert problem(await api.committee.get(f"/proposals/{p['id']}"), 404) == nowhere
    assert await api.committee.ok("GET", f"/tasks/{task['id']}/proposals") == []
    assert "task_cancelled" in await inbox_kinds(owner)
    # Cancelling released the organisation: the task is gone, but nothing holds it.
    other = await posted_task(api)
    await draft_proposal(owner, other["id"])


# The deadline -------------------------------------------------------------------------------------------------


async def test_a_submission_one_second_before_the_deadline_succeeds(api: Api) -> None:
    member = await api.org_member()
    task = await posted_task(api)
    p = await draft_proposal(member, task["id"])
    api.clock.set(deadline_of(task) - timedelta(seconds=1))
    done = await member.ok("POST", f"/proposals/{p['id']}/submit", status=200)
    assert done["status"] == "submitted"
    api.clock.set(deadline_of(task))
    assert (await api.anon.ok("GET", f"/tasks/{task['id']}"))["status"] == "reviewing"


async def test_a_submission_one_second_after_the_deadline_is_refused(api: Api) -> None:
    member = await api.org_member()
    task = await posted_task(api)
    p = await draft_proposal(member, task["id"])
    api.clock.set(deadline_of(task) + timedelta(seconds=1))
    problem(await member.post(f"/proposals/{p['id']}/submit"), 409)
    shown = await member.ok("GET", f"/proposals/{p['id']}")
    assert (shown["status"], shown["submitted_at"]) == ("draft", None)
    assert (await api.anon.ok("GET", f"/tasks/{task['id']}"))["status"] == "unclaimed"
    problem(await (await api.org_member()).post(f"/tasks/{task['id']}/proposals", json=proposal_body()), 409)


async def test_nothing_in_a_proposal_changes_after_the_deadline(api: Api) -> None:
    lead = await api.org_member()
    partner = await api.org_member()
    drafter = await api.org_member()
    invited = await api.org_member()
    task = await posted_task(api, allow_joint=True)
    p = await joint_proposal(lead, partner, task["id"], accept=True)
    a = await attach_pdf(lead, p["id"])
    await lead.ok("POST", f"/proposals/{p['id']}/submit", status=200)
    d = await joint_proposal(drafter, invited, task["id"])
    api.clock.set(deadline_of(task) + timedelta(seconds=1))
    before = await lead.ok("GET", f"/proposals/{p['id']}")
    draft_before = await drafter.ok("GET", f"/proposals/{d['id']}")
    pdf = {"data": ("补充.pdf", PDF, "application/pdf")}

    problem(await lead.patch(f"/proposals/{p['id']}", json={"strengths": "补充"}), 409)
    problem(await lead.post(f"/proposals/{p['id']}/withdraw"), 409)
    problem(await lead.post(f"/proposals/{p['id']}/attachments", files=pdf), 409)
    problem(await lead.delete(f"/proposals/{p['id']}/attachments/{a['id']}"), 409)
    problem(await drafter.patch(f"/proposals/{d['id']}", json={"work_plan": "改"}), 409)
    problem(await drafter.post(f"/proposals/{d['id']}/attachments", files=pdf), 409)
    problem(await drafter.post(f"/proposals/{d['id']}/withdraw"), 409)
    problem(await invited.post(f"/proposals/{d['id']}/invitation", json={"accept": True}), 409)

    assert await lead.ok("GET", f"/proposals/{p['id']}") == before
    assert await drafter.ok("GET", f"/proposals/{d['id']}") == draft_before


# Qualification ------------------------------------------------------------------------------------------------


async def test_the_committee_qualifies_and_disqualifies_only_after_the_deadline(api: Api) -> None:
    good = await api.org_member()
    bad = await api.org_member()
    task = await posted_task(api)
    p = await submitted_proposal(good, task["id"])
    q = await submitted_proposal(bad, task["id"])

    problem(await api.committee.post(f"/proposals/{p['id']}/qualification", json={"qualified": True}), 409)
    assert (await good.ok("GET", f"/proposals/{p['id']}"))["status"] == "submitted"

    api.clock.set(deadline_of(task))
    problem(await good.post(f"/proposals/{p['id']}/qualification", json={"qualified": True}), 403)
    ok = await api.committee.ok("POST", f"/proposals/{p['id']}/qualification", status=200, json={"qualified": True})
    assert ok["status"] == "qualified"
    r = await api.committee.post(f"/proposals/{q['id']}/qualification", json={"qualified": False})
    problem(r, 422, field="reason")
    assert (await bad.ok("GET", f"/proposals/{q['id']}"))["status"] == "submitted"
    out = await api.committee.ok(
        "POST", f"/proposals/{q['id']}/qualification", status=200, json={"qualified": False, "reason": "资质不符"}
    )
    assert (out["status"], out["disqualify_reason"]) == ("disqualified", "资质不符")

    assert (await good.ok("GET", f"/proposals/{p['id']}"))["status"] == "qualified"
    shown = await bad.ok("GET", f"/proposals/{q['id']}")
    assert (shown["status"], shown["disqualify_reason"]) == ("disqualified", "资质不符")
    assert "qualification" in await inbox_kinds(good)
    assert "qualification" in await inbox_kinds(bad)
    assert (await api.anon.ok("GET", f"/tasks/{task['id']}"))["status"] == "reviewing"


async def test_disqualifying_every_proposal_makes_the_task_unclaimed(api: Api) -> None:
    members = [await api.org_member() for _ in range(2)]
    task = await posted_task(api)
    proposals = [await submitted_proposal(m, task["id"]) for m in members]
    api.clock.set(deadline_of(task))
    first, last = proposals
    await api.committee.ok(
        "POST", f"/proposals/{first['id']}/qualification", status=200, json={"qualified": False, "reason": "材料不全"}
    )
    assert (await api.anon.ok("GET", f"/tasks/{task['id']}"))["status"] == "reviewing"
    await api.committee.ok(
        "POST", f"/proposals/{last['id']}/qualification", status=200, json={"qualified": False, "reason": "超出范围"}
    )
    shown = await api.anon.ok("GET", f"/tasks/{task['id']}")
    assert shown["status"] == "unclaimed"
    assert shown["closed_at"] is not None
    unclaimed = await api.anon.ok("GET", "/tasks", params={"status": "unclaimed"})
    assert [t["id"] for t in unclaimed["items"]] == [task["id"]]
    # The review is over: no more qualification decisions.
    r = await api.committee.post(f"/proposals/{first['id']}/qualification", json={"qualified": True})
    problem(r, 409)


async def test_a_partner_is_told_of_its_invitation(api: Api) -> None:
    lead = await api.org_member()
    partner = await api.org_member()
    colleague = await api.user("org", organization_id=partner.user["org"]["id"])
    task = await posted_task(api, allow_joint=True)
    p = await joint_proposal(lead, partner, task["id"])
    for who in (partner, colleague):
        inbox = await who.ok("GET", "/inbox")
        [invitation] = [n for n in inbox["items"] if n["kind"] == "invitation"]
        assert invitation["link"] == f"/proposals/{p['id']}"
        assert task["title"] in invitation["title"]
        assert inbox["unread"] >= 1
    assert "invitation" not in await inbox_kinds(lead)
