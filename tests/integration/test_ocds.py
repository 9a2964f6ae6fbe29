"""Open data: each published task as OCDS 1.1 releases and a compiled record (/api/v1/ocds/…), valid against the
official schemas shipped in tests/data/ocds, with ocids that never change, nothing sealed, and each record's compiled
release equal to what the reference implementation (ocdsmerge) makes of its releases."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

from litestar.testing import AsyncTestClient

from market.app import create_app
from market.kernel.clock import ManualClock
from market.settings import Settings
from tests.conftest import database_independent
from tests.factories import (
    Api,
    As,
    draft_task,
    marks_for,
    posted_task,
    problem,
    project_under_way,
    proposal_body,
    score_all,
    submitted_proposal,
    task_in_review,
)
from tests.ocds import check_package, merged_by_reference

Json = dict[str, Any]
ANSWER = "可以，须在计划中写明。"
REPORT = {"body": "本月完成助餐配送 300 份，探访独居老人 24 户", "percent_complete": 40}


async def releases(api: Api, task_id: int) -> Json:
    """The task's release package, checked against the schema."""
    return check_package(await api.anon.ok("GET", f"/ocds/tasks/{task_id}/releases"), "release")


async def record(api: Api, task_id: int) -> Json:
    """The task's record, checked against the schema, and its compiled release checked against the reference merge."""
    package = check_package(await api.anon.ok("GET", f"/ocds/tasks/{task_id}/record"), "record")
    (rec,) = package["records"]
    full = (await releases(api, task_id))["releases"]
    assert [(r["url"].rsplit("#", 1)[1], r["date"], r["tag"]) for r in rec["releases"]] == [
        (r["id"], r["date"], r["tag"]) for r in full
    ]
    assert rec["compiledRelease"] == merged_by_reference(full)
    return rec


def local(url: str) -> str:
    """An absolute URL of the API as the test client asks for it."""
    return url.split("/api/v1", 1)[1]


def tags(package: Json) -> list[str]:
    return [t for r in package["releases"] for t in r["tag"]]


def party(compiled: Json, org: As) -> Json:
    (found,) = [p for p in compiled["parties"] if p["id"] == f"org-{org.user['org']['id']}"]
    return found


async def joint_review(api: Api) -> tuple[Json, list[As], list[Json]]:
    """A task past its deadline with two qualified claims, the first joint (a lead and one partner), scored."""
    task = await posted_task(api, allow_joint=True, alliances=["new-orgs", "volunteers"])
    lead, partner, rival = await api.org_member(), await api.org_member(), await api.org_member()
    joint = await lead.ok(
        "POST",
        f"/tasks/{task['id']}/proposals",
        status=201,
        json=proposal_body(partner_ids=[partner.user["org"]["id"]]),
    )
    await partner.ok("POST", f"/proposals/{joint['id']}/invitation", status=200, json={"accept": True})
    joint = await lead.ok("POST", f"/proposals/{joint['id']}/submit", status=200)
    api.clock.advance(minutes=1)
    alone = await submitted_proposal(rival, task["id"], requested_budget_fen=3_500_000)
    return task, [lead, partner, rival], [joint, alone]


async def test_sealed_claims_are_absent_before_the_deadline_and_bids_name_their_tenderers_after(api: Api) -> None:
    task, (lead, partner, rival), proposals = await joint_review(api)
    before = await releases(api, task["id"])
    text = json.dumps(before, ensure_ascii=False)
    # Before the deadline nothing says who claimed, or that anyone did: no bid, no name, no count.
    for org in (lead, partner, rival):
        assert org.user["org"]["name"] not in text
        assert org.user["org"]["credit_code"] not in text
    assert tags(before) == ["tender"]
    assert "bids" not in text and "numberOfTenderers" not in text and "tenderers" not in text

    api.clock.set(datetime.fromisoformat(task["claim_deadline"]))
    after = await releases(api, task["id"])
    assert after["releases"][0] == before["releases"][0]
    (bids,) = [r for r in after["releases"] if r["id"].endswith("-bids")]
    assert datetime.fromisoformat(bids["date"]) == datetime.fromisoformat(task["claim_deadline"])
    assert [(b["id"], b["status"]) for b in bids["bids"]["details"]] == [
        (str(proposals[0]["id"]), "pending"),
        (str(proposals[1]["id"]), "pending"),
    ]
    ids = [[t["id"] for t in b["tenderers"]] for b in bids["bids"]["details"]]
    assert ids == [
        [f"org-{lead.user['org']['id']}", f"org-{partner.user['org']['id']}"],
        [f"org-{rival.user['org']['id']}"],
    ]
    assert {s["measure"]: s["value"] for s in bids["bids"]["statistics"]} == {"bids": 2, "bidders": 3}
    compiled = (await record(api, task["id"]))["compiledRelease"]
    # The joint claim's lead is its lead tenderer; a partner and a claim made alone are tenderers only.
    assert party(compiled, lead)["roles"] == ["tenderer", "leadTenderer"]
    assert party(compiled, partner)["roles"] == ["tenderer"]
    assert party(compiled, rival)["roles"] == ["tenderer"]
    assert party(compiled, lead)["identifier"] == {
        "id": lead.user["org"]["credit_code"],
        "legalName": lead.user["org"]["name"],
    }
    # Only who bid: never what a proposal says, nor what it asks for.
    text = json.dumps(await releases(api, task["id"]), ensure_ascii=False)
    for field in ("strengths", "work_plan", "expected_results"):
        assert proposal_body()[field] not in text
    assert "3500000" not in text and "35000" not in text


async def test_an_awarded_task_in_its_notice_period_is_valid_and_its_ocid_stable(api: Api) -> None:
    task, (lead, partner, rival), proposals = await joint_review(api)
    q = await rival.ok("POST", f"/tasks/{task['id']}/questions", status=201, json={"question": "可否分期执行？"})
    await api.committee.ok(
        "POST", f"/tasks/{task['id']}/questions/{q['id']}/answer", status=200, json={"answer": ANSWER}
    )
    evaluators = [await api.user("evaluator") for _ in range(3)]
    await api.committee.ok(
        "PUT", f"/tasks/{task['id']}/panel", status=200, json={"user_ids": [e.user["id"] for e in evaluators]}
    )
    api.clock.set(datetime.fromisoformat(task["claim_deadline"]))
    for p in proposals:
        await api.committee.ok("POST", f"/proposals/{p['id']}/qualification", status=200, json={"qualified": True})
    for i, total in enumerate(("90", "80")):
        for e in evaluators:
            await e.ok("PUT", f"/proposals/{proposals[i]['id']}/scores", status=200, json={"marks": marks_for(total)})
    first = await releases(api, task["id"])
    # Qualified, but not yet public: the decisions are published with the award (and its dossier).
    (opened,) = [r for r in first["releases"] if r["id"].endswith("-bids")]
    assert [b["status"] for b in opened["bids"]["details"]] == ["pending", "pending"]
    notice = await api.committee.ok(
        "POST", f"/tasks/{task['id']}/award", status=200, json={"proposal_id": proposals[0]["id"]}
    )

    package = await releases(api, task["id"])
    ocid = f"{api.settings.ocid_prefix}-{task['id']}"
    assert {r["ocid"] for r in package["releases"]} == {ocid}
    # Published releases never change: everything the first read held is in the second, as it was.
    assert package["releases"][: len(first["releases"])] == first["releases"]
    assert tags(package) == ["tender", "tenderUpdate", "tenderUpdate", "award"]
    assert [r["id"] for r in package["releases"]] == [
        f"{ocid}-tender",
        f"{ocid}-enquiry-{q['id']}",
        f"{ocid}-bids",
        f"{ocid}-award-{notice['id']}",
    ]
    rec = await record(api, task["id"])
    assert rec["ocid"] == ocid
    compiled = rec["compiledRelease"]
    (award,) = compiled["awards"]
    assert (award["status"], award["relatedBid"]) == ("pending", str(proposals[0]["id"]))
    assert award["value"] == {"amount": 40000, "currency": "CNY"}
    assert [s["id"] for s in award["suppliers"]] == [
        f"org-{lead.user['org']['id']}",
        f"org-{partner.user['org']['id']}",
    ]
    assert party(compiled, lead)["roles"] == ["tenderer", "leadTenderer", "supplier"]
    # The award links the dossier (评审档案) published with it: the page and its JSON, both public.
    urls = [d["url"] for d in award["documents"]]
    assert [u.split("/", 3)[3] for u in urls] == [f"tasks/{task['id']}/dossier", f"api/v1/tasks/{task['id']}/dossier"]
    assert {d["documentType"] for d in award["documents"]} == {"evaluationReports"}
    for url in urls:
        assert (await api.anon.get("/" + url.split("/", 3)[3])).status_code == 200
    assert party(compiled, rival)["roles"] == ["tenderer"]
    assert [b["status"] for b in compiled["bids"]["details"]] == ["valid", "valid"]
    assert {s["measure"]: s["value"] for s in compiled["bids"]["statistics"]} == {
        "bids": 2,
        "validBids": 2,
        "bidders": 3,
    }
    assert compiled["tender"]["status"] == "complete"
    assert compiled["tender"]["value"] == {"amount": 50000, "currency": "CNY"}
    assert compiled["tender"]["procurementMethod"] == "selective"
    assert compiled["buyer"] == {"id": "buyer", "name": task["posting_unit"]}
    # The package names the extensions it uses.
    assert [u.split("/")[4] for u in package["extensions"]] == [
        "ocds_enquiry_extension",
        "ocds_bid_extension",
        "ocds_eu_extension",
    ]


async def test_a_revoked_award_is_cancelled_and_its_suppliers_lose_the_role(api: Api) -> None:
    review = await task_in_review(api)
    await score_all(review, [[marks_for("90")] * 3, [marks_for("80")] * 3])
    notice = await api.committee.ok(
        "POST", f"/tasks/{review.task_id}/award", status=200, json={"proposal_id": review.pid(0)}
    )
    objection = {"name": "王女士", "contact": "13800000000", "grounds": "该组织去年同类项目未按期完成,请核实其履约能力"}
    lodged = await api.anon.ok("POST", f"/awards/{notice['id']}/objections", status=201, json=objection)
    api.clock.advance(hours=1)
    await api.committee.ok(
        "POST", f"/objections/{lodged['id']}/uphold", status=200, json={"resolution": "经核实情况属实,撤销承榜"}
    )
    package = await releases(api, review.task_id)
    assert tags(package)[-2:] == ["award", "awardCancellation"]
    compiled = (await record(api, review.task_id))["compiledRelease"]
    assert [a["status"] for a in compiled["awards"]] == ["cancelled"]
    assert compiled["tender"]["status"] == "active"
    assert party(compiled, review.orgs[0])["roles"] == ["tenderer"]
    text = json.dumps(package, ensure_ascii=False)
    assert "王女士" not in text and "13800000000" not in text


async def test_a_closed_graded_project_carries_its_milestones_progress_and_final_grade(api: Api) -> None:
    review, project = await project_under_way(api)
    lead, pid = review.orgs[0], project["id"]
    under_way = await releases(api, review.task_id)
    m = await lead.ok(
        "POST", f"/projects/{pid}/milestones", status=201, json={"title": "完成需求摸底", "due_on": "2026-04-30"}
    )
    api.clock.advance(days=3)
    report = await lead.ok(
        "POST", f"/projects/{pid}/reports", status=201, json=REPORT | {"milestone_id": m["id"], "done": True}
    )
    api.clock.advance(days=30)
    await lead.ok("POST", f"/projects/{pid}/deliver", status=200)
    api.clock.advance(days=2)
    await api.committee.ok(
        "POST", f"/projects/{pid}/evaluation", status=200, json={"comment": "服务覆盖面广", "score": 96}
    )

    package = await releases(api, review.task_id)
    # Published releases never change: the project's later facts are releases of their own.
    assert package["releases"][: len(under_way["releases"])] == under_way["releases"]
    assert [r["id"].split("-", 2)[2] for r in package["releases"][len(under_way["releases"]) :]] == [
        f"milestone-{m['id']}",
        f"milestone-{m['id']}-met",
        f"report-{report['id']}",
        "delivered",
        "closed",
    ]
    assert tags(package)[-6:] == [
        "contract",
        "implementation",
        "implementationUpdate",
        "implementationUpdate",
        "implementationUpdate",
        "implementationUpdate",
    ]
    compiled = (await record(api, review.task_id))["compiledRelease"]
    (contract,) = compiled["contracts"]
    assert (contract["id"], contract["status"]) == (str(pid), "terminated")
    assert contract["awardID"] == str(compiled["awards"][0]["id"])
    assert compiled["awards"][0]["status"] == "active"
    (milestone,) = contract["implementation"]["milestones"]
    assert (milestone["title"], milestone["status"], milestone["dueDate"][:10]) == ("完成需求摸底", "met", "2026-04-29")
    documents = {d["documentType"]: d for d in contract["implementation"]["documents"]}
    assert documents["physicalProgressReport"]["description"] == REPORT["body"]
    assert documents["completionCertificate"]["title"] == "优秀 96"
    assert "endDate" in contract["period"]


async def test_a_cancelled_task_keeps_its_amendments_and_answers_and_never_unseals_its_claims(api: Api) -> None:
    task = await posted_task(api)
    claimant = await api.org_member()
    claim = await submitted_proposal(claimant, task["id"])
    asker = await api.org_member()
    q = await asker.ok("POST", f"/tasks/{task['id']}/questions", status=201, json={"question": "可否分期执行？"})
    api.clock.advance(hours=2)
    await api.committee.ok(
        "POST", f"/tasks/{task['id']}/questions/{q['id']}/answer", status=200, json={"answer": ANSWER}
    )
    api.clock.advance(hours=2)
    await api.committee.ok(
        "POST",
        f"/tasks/{task['id']}/amendments",
        status=201,
        json={"reason": "预算调整", "budget_fen": 6_000_000, "title": "助餐服务（调整）"},
    )
    # The budget's change sent the claim back to draft; submitted again, it is a claim when the task is cancelled.
    await claimant.ok("POST", f"/proposals/{claim['id']}/submit", status=200)
    api.clock.advance(hours=2)
    await api.committee.ok("POST", f"/tasks/{task['id']}/cancel", status=200, json={"reason": "需求已由街道自行解决"})

    package = await releases(api, task["id"])
    assert tags(package) == ["tender", "tenderUpdate", "tenderAmendment", "tenderCancellation"]
    tender, _, amended, _ = package["releases"]
    # Each release states the terms in force at its date: the posting's budget, then the amendment's.
    assert (tender["tender"]["title"], tender["tender"]["value"]["amount"]) == (task["title"], 50000)
    assert (amended["tender"]["title"], amended["tender"]["value"]["amount"]) == ("助餐服务（调整）", 60000)
    (amendment,) = amended["tender"]["amendments"]
    assert (amendment["rationale"], amendment["amendsReleaseID"]) == ("预算调整", tender["id"])
    compiled = (await record(api, task["id"]))["compiledRelease"]
    assert compiled["tender"]["status"] == "cancelled"
    (enquiry,) = compiled["tender"]["enquiries"]
    assert (enquiry["description"], enquiry["answer"]) == ("可否分期执行？", ANSWER)
    assert "author" not in enquiry
    documents = {d["id"]: d for d in compiled["tender"]["documents"]}
    assert documents["cancellation"]["description"] == "需求已由街道自行解决"
    # The tender links the task's public page.
    assert documents["notice"]["url"].endswith(f"/tasks/{task['id']}")
    assert (await api.anon.get(f"/tasks/{task['id']}")).status_code == 200
    # Cancelled before its deadline: the claim stays sealed for good.
    text = json.dumps(package, ensure_ascii=False)
    assert claimant.user["org"]["name"] not in text and asker.user["org"]["name"] not in text
    assert "bids" not in compiled


async def test_an_unclaimed_task_ends_unsuccessful(api: Api) -> None:
    task = await posted_task(api, alliances=["new-orgs", "volunteers", "legal", "media"])
    api.clock.set(datetime.fromisoformat(task["claim_deadline"]))
    package = await releases(api, task["id"])
    assert tags(package) == ["tender", "tenderUpdate"]
    compiled = (await record(api, task["id"]))["compiledRelease"]
    assert compiled["tender"]["status"] == "unsuccessful"
    assert compiled["tender"]["procurementMethod"] == "open"
    assert "bids" not in compiled and "awards" not in compiled


async def test_drafts_are_not_open_data_and_the_records_list_pages_by_task(api: Api) -> None:
    first = await posted_task(api)
    draft = await draft_task(api)
    second = await posted_task(api)
    for url in (f"/ocds/tasks/{draft['id']}/releases", f"/ocds/tasks/{draft['id']}/record"):
        problem(await api.anon.get(url), 404)
        problem(await api.committee.get(url), 404)
    # Posted later, the draft joins the end of the list: a page read before still names the same tasks.
    api.clock.advance(minutes=5)
    await api.committee.ok("POST", f"/tasks/{draft['id']}/post", status=200)
    page = check_package(await api.anon.ok("GET", "/ocds/records", params={"limit": 1}), "record")
    assert [r["ocid"] for r in page["records"]] == [f"{api.settings.ocid_prefix}-{first['id']}"]
    assert {k: local(v) for k, v in page["links"].items()} == {"next": "/ocds/records?limit=1&offset=1"}
    page = check_package(await api.anon.ok("GET", local(page["links"]["next"])), "record")
    assert [r["ocid"] for r in page["records"]] == [f"{api.settings.ocid_prefix}-{second['id']}"]
    assert set(page["links"]) == {"next", "prev"}
    page = check_package(await api.anon.ok("GET", local(page["links"]["next"])), "record")
    assert [r["ocid"] for r in page["records"]] == [f"{api.settings.ocid_prefix}-{draft['id']}"]
    assert {k: local(v) for k, v in page["links"].items()} == {"prev": "/ocds/records?limit=1&offset=1"}
    assert page["extensions"][-1].split("/")[4] == "ocds_pagination_extension"
    problem(await api.anon.get("/ocds/records", params={"offset": 3}), 404)
    problem(await api.anon.get("/ocds/records", params={"limit": 101}), 400)


@database_independent
async def test_the_ocid_prefix_and_the_public_address_are_settings(
    api: Api, settings: Settings, clock: ManualClock
) -> None:
    task = await posted_task(api)
    changed = dataclasses.replace(settings, ocid_prefix="ocds-zz9x1q", public_base_url="https://jiebang.example.cn")
    async with AsyncTestClient(app=create_app(changed, clock)) as client:
        package = check_package((await client.get(f"/api/v1/ocds/tasks/{task['id']}/record")).json(), "record")
    (rec,) = package["records"]
    assert rec["ocid"] == rec["compiledRelease"]["ocid"] == f"ocds-zz9x1q-{task['id']}"
    assert package["uri"] == f"https://jiebang.example.cn/api/v1/ocds/tasks/{task['id']}/record"
    assert rec["releases"][0]["url"] == (
        f"https://jiebang.example.cn/api/v1/ocds/tasks/{task['id']}/releases#ocds-zz9x1q-{task['id']}-tender"
    )
