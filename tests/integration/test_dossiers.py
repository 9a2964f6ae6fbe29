"""The award dossier (评审档案) and debriefs, through the API and the pages, on both databases.

The dossier is frozen when an award enters its notice period: it must say exactly what the ranking said, name the
panel only when the committee chose to, and never change afterwards; what happens later is appended. A debrief shows
an organisation not awarded its own figures beside the winner's, and nobody else's.
"""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from market.models import AuditEntry
from tests.browser import signed_in
from tests.factories import (
    Api,
    Review,
    awarded_review,
    marks_for,
    posted_task,
    problem,
    score_all,
    task_in_review,
)
from tests.statements import statements

OBJECTION = {"name": "王女士", "contact": "13800000000", "grounds": "该组织去年同类项目未按期完成,请核实其履约能力"}
# Proposal i's marks from member j (None: recused). Five members, so each score drops one highest and one lowest
# total; proposal 2 is scored by four (member 4 belongs to its lead organisation), so nothing is dropped.
TABLE: list[list[tuple[str, str] | None]] = [
    [("90", "30"), ("88", "28.5"), ("86", "27"), ("84", "30"), ("70", "20")],
    [("80", "25"), ("85", "29"), ("75", "22.5"), ("79", "24"), ("95", "30")],
    [("70", "21"), ("72", "22"), ("74", "19.5"), ("76", "23"), None],
]


async def review_with_recusal(api: Api, **kwargs: Any) -> Review:
    review = await task_in_review(api, proposals=3, panel=5, member_of={4: 2}, **kwargs)
    return review


async def score_table(review: Review) -> None:
    await score_all(review, [[marks_for(*cell) if cell else None for cell in row] for row in TABLE])


async def chain_from(api: Api, number: int) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(entity, action, hash, data) of the audit entries from entry number `number` (1-based) on."""

    async def read(engine: AsyncEngine) -> list[tuple[str, str, str, dict[str, Any]]]:
        async with async_sessionmaker(engine)() as db:
            rows = await db.execute(
                select(AuditEntry.entity, AuditEntry.action, AuditEntry.hash, AuditEntry.data)
                .order_by(AuditEntry.id)
                .offset(number - 1)
            )
            return [(a, b, c, d) for a, b, c, d in rows]

    return await api.database(read)


def half_up(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


async def dossiers(api: Api, task_id: int) -> list[dict[str, Any]]:
    body = await api.anon.ok("GET", f"/tasks/{task_id}/dossier", status=200)
    assert body["task_id"] == task_id
    return list(body["dossiers"])


async def test_the_dossier_is_published_with_the_award_and_matches_the_ranking_exactly(api: Api) -> None:
    review = await review_with_recusal(api)
    await score_table(review)
    task_id = review.task_id
    problem(await api.anon.get(f"/tasks/{task_id}/dossier"), 404)
    assert (await api.client.get(f"/tasks/{task_id}/dossier")).status_code == 404
    ranking = await api.committee.ok("GET", f"/tasks/{task_id}/ranking")
    await api.committee.ok("POST", f"/tasks/{task_id}/award", status=200, json={"proposal_id": review.pid(0)})
    (dossier,) = await dossiers(api, task_id)
    doc = dossier["document"]

    # The ranking's order, scores, tie-break means and members' totals, exactly.
    rows = ranking["rows"]
    assert [s["proposal_id"] for s in doc["standings"]] == [r["proposal_id"] for r in rows]
    assert [s["rank"] for s in doc["standings"]] == [r["rank"] for r in rows] == [1, 2, 3]
    assert [s["score"] for s in doc["standings"]] == [r["score"] for r in rows] == ["86.00", "81.33", "73.00"]
    assert [s["first_criterion_mean"] for s in doc["standings"]] == [r["first_criterion_mean"] for r in rows]
    for s, r in zip(doc["standings"], rows, strict=True):
        assert sorted(m["total"] for m in s["marks"]) == sorted(t["total"] for t in r["member_totals"])
    assert [s["lead_org_name"] for s in doc["standings"]] == [r["lead_org_name"] for r in rows]
    assert doc["award"] | {"awarded_at": None, "notice_ends_at": None} == {
        "id": dossier["award_id"],
        "proposal_id": review.pid(0),
        "lead_org_name": rows[0]["lead_org_name"],
        "rank": 1,
        "score": "86.00",
        "off_rank": False,
        "reason": "",
        "awarded_at": None,
        "notice_ends_at": None,
    }
    assert [c["name"] for c in doc["rubric"]] == ["专业能力", "工作思路", "预期效果", "预算合理性"]

    # Each criterion's plain mean over the members who scored, half-up to two decimals.
    ids = [review.pid(i) for i in range(3)]
    for s in doc["standings"]:
        given = [marks_for(*cell) for cell in TABLE[ids.index(s["proposal_id"])] if cell]
        expected = {c: half_up(sum(Decimal(m[c]) for m in given) / len(given)) for c in given[0]}
        assert s["means"] == expected

    # Anonymous by default: letters in seat order, the same letter on every proposal; member E recused from #3.
    assert doc["panel"] == {"named": False, "members": [{"letter": x, "name": None} for x in "ABCDE"]}
    by_id = {s["proposal_id"]: s for s in doc["standings"]}
    assert [m["member"] for m in by_id[review.pid(0)]["marks"]] == list("ABCDE")
    assert [m["member"] for m in by_id[review.pid(2)]["marks"]] == list("ABCD")
    assert by_id[review.pid(2)]["recused"] == ["E"] and by_id[review.pid(0)]["recused"] == []
    # Five totals: the score left out the lowest and the highest; four: none.
    assert by_id[review.pid(0)]["dropped"] == ["70.0", "90.0"] and by_id[review.pid(2)]["dropped"] == []
    member_b = next(m for m in by_id[review.pid(1)]["marks"] if m["member"] == "B")
    marks_b = {"专业能力": "29.0", "工作思路": "30.0", "预期效果": "25.0", "预算合理性": "1.0"}
    assert member_b == {"member": "B", "marks": marks_b, "total": "85.0"}
    text = (await api.anon.get(f"/tasks/{task_id}/dossier")).text
    assert not [e.username for e in review.panel if e.username in text]

    assert [q["qualified"] for q in doc["qualification"]] == [True, True, True]
    # The head is the hash of the chain's entry number `length`: the award's own last entry; the next entry records
    # the dossier with its digest.
    chain = await chain_from(api, doc["audit"]["length"])
    assert chain[0][:3] == ("task", "award", doc["audit"]["head"])
    assert chain[1][:2] == ("award", "dossier") and chain[1][3]["sha256"] == dossier["sha256"]

    # The public task page links to it; the page shows it in both languages, the hash in full.
    browser = await signed_in(api, "committee")
    assert f'href="/tasks/{task_id}/dossier"' in await browser.page(f"/tasks/{task_id}")
    html = await browser.page(f"/tasks/{task_id}/dossier")
    assert "评审档案" in html and "评委A" in html and doc["audit"]["head"] in html and "回避：E" in html
    await browser.get("/lang/en?next=/")
    html = await browser.page(f"/tasks/{task_id}/dossier")
    assert "Award dossier" in html and "Member A" in html and "Recused: E" in html


async def test_a_named_panel_and_an_off_rank_award_are_in_the_dossier(api: Api) -> None:
    review = await review_with_recusal(api)
    seats = [e.user["id"] for e in review.panel]
    panel = await api.committee.ok("PUT", f"/tasks/{review.task_id}/panel", json={"user_ids": seats, "named": True})
    assert panel["named"] is True
    await score_table(review)
    reason = "排名第一的组织同期承接项目过多,服务力量不足"
    await api.committee.ok(
        "POST", f"/tasks/{review.task_id}/award", status=200, json={"proposal_id": review.pid(1), "reason": reason}
    )
    (dossier,) = await dossiers(api, review.task_id)
    doc = dossier["document"]
    assert (doc["award"]["rank"], doc["award"]["off_rank"], doc["award"]["reason"]) == (2, True, reason)
    assert doc["panel"]["named"] is True
    assert [m["name"] for m in doc["panel"]["members"]] == [e.username for e in review.panel]
    html = await (await signed_in(api, "committee")).page(f"/tasks/{review.task_id}/dossier")
    assert reason in html and review.panel[0].username in html


async def test_the_dossier_never_changes_after_publication(api: Api) -> None:
    review, notice = await awarded_review(api)
    url = f"/tasks/{review.task_id}/dossier"
    published = (await api.anon.get(url)).content
    # A member tries to change a score after the award: refused, and the dossier is the same to the byte.
    problem(await review.panel[0].put(f"/proposals/{review.pid(1)}/scores", json={"marks": marks_for("99")}), 409)
    assert (await api.anon.get(url)).content == published
    # An objection lodged, then dismissed: appended, the document untouched.
    objection = await api.anon.ok("POST", f"/awards/{notice['id']}/objections", status=201, json=OBJECTION)
    assert (await api.anon.get(url)).content == published
    resolution = "经核实,该组织履约记录良好"
    await api.committee.ok("POST", f"/objections/{objection['id']}/dismiss", json={"resolution": resolution})
    (before,) = (await api.anon.ok("GET", url))["dossiers"]
    # The notice ends, the project starts and reports progress: still the same document.
    api.clock.advance(days=api.settings.notice_days, seconds=1)
    await api.committee.ok("POST", "/tick", status=200)
    projects = await api.anon.ok("GET", "/projects", params={"organization_id": review.orgs[0].user["org"]["id"]})
    project_id = projects["items"][0]["id"]
    await review.orgs[0].ok(
        "POST",
        f"/projects/{project_id}/reports",
        status=201,
        json={"body": "第一周完成入户探访三十户", "percent_complete": 10},
    )
    (after,) = (await api.anon.ok("GET", url))["dossiers"]
    assert after == before
    assert after["additions"] == [
        {
            "number": 1,
            "kind": "objection_dismissed",
            "at": after["additions"][0]["at"],
            "document": {"objections": [objection["id"]], "resolution": resolution, "at": after["additions"][0]["at"]},
        }
    ]
    original = dict(after, additions=[])
    first = json.loads(published)["dossiers"][0]
    assert original == dict(first, additions=[])


async def test_an_upheld_objection_adds_a_revocation_and_the_next_award_gets_its_own_dossier(api: Api) -> None:
    review, notice = await awarded_review(api)
    url = f"/tasks/{review.task_id}/dossier"
    (first,) = (await api.anon.ok("GET", url))["dossiers"]
    objection = await api.anon.ok("POST", f"/awards/{notice['id']}/objections", status=201, json=OBJECTION)
    resolution = "经核实情况属实,撤销承榜"
    await api.committee.ok("POST", f"/objections/{objection['id']}/uphold", json={"resolution": resolution})
    (revoked,) = (await api.anon.ok("GET", url))["dossiers"]
    assert revoked["document"] == first["document"] and revoked["sha256"] == first["sha256"]
    assert [(a["number"], a["kind"], a["document"]["objections"]) for a in revoked["additions"]] == [
        (1, "revoked", [objection["id"]])
    ]
    # Back in review, the public task page still links the revoked award's dossier.
    assert f'href="{url}"' in await (await signed_in(api, review.orgs[1])).page(f"/tasks/{review.task_id}")
    await api.committee.ok("POST", f"/tasks/{review.task_id}/award", status=200, json={"proposal_id": review.pid(1)})
    newest, older = (await api.anon.ok("GET", url))["dossiers"]
    assert older == revoked
    assert newest["award_id"] != older["award_id"]
    assert newest["document"]["award"]["proposal_id"] == review.pid(1)
    assert newest["document"]["award"]["off_rank"] is False  # the revoked one is out of the running
    assert newest["additions"] == []
    assert newest["document"]["audit"]["length"] > older["document"]["audit"]["length"]
    committee = await signed_in(api, "committee")
    html = await committee.page(url)
    assert "异议成立，承榜撤销" in html and resolution in html
    # The committee's review page links each award, the revoked one too, to its dossier.
    review_page = await committee.page(f"/committee/tasks/{review.task_id}")
    for award_id in (newest["award_id"], older["award_id"]):
        assert f'href="{url}#award-{award_id}"' in review_page


async def test_a_debrief_shows_the_readers_own_figures_beside_the_winners_and_nobody_elses(api: Api) -> None:
    review = await review_with_recusal(api)
    await score_table(review)
    names = [o.user["org"]["name"] for o in review.orgs]
    second = await signed_in(api, review.orgs[1])
    page = f"/org/proposals/{review.pid(1)}"
    assert 'id="debrief"' not in await second.page(page)  # nothing before the award
    await api.committee.ok("POST", f"/tasks/{review.task_id}/award", status=200, json={"proposal_id": review.pid(0)})
    (dossier,) = await dossiers(api, review.task_id)
    by_id = {s["proposal_id"]: s for s in dossier["document"]["standings"]}
    html = await second.page(page)
    debrief = html[html.index('id="debrief"') : html.index("</section>", html.index('id="debrief"'))]
    assert "第 2 名（共 3 份合格意向书）" in debrief
    for criterion, mean in by_id[review.pid(1)]["means"].items():
        assert f"<td>{mean}</td>" in debrief, criterion
    for mean in by_id[review.pid(0)]["means"].values():
        assert f"<td>{mean}</td>" in debrief
    assert names[0] in debrief and by_id[review.pid(0)]["score"] in debrief
    assert names[2] not in html and by_id[review.pid(2)]["score"] not in debrief
    # The same in the JSON read, for the proposal's own organisations only.
    own = (await review.orgs[1].ok("GET", f"/proposals/{review.pid(1)}"))["debrief"]
    assert (own["award_id"], own["ranked"], own["disqualified_reason"]) == (dossier["award_id"], 3, None)
    assert own["own"] == {
        "proposal_id": review.pid(1),
        "lead_org_name": names[1],
        "rank": 2,
        "score": by_id[review.pid(1)]["score"],
        "means": by_id[review.pid(1)]["means"],
    }
    assert (own["winner"]["proposal_id"], own["winner"]["means"]) == (review.pid(0), by_id[review.pid(0)]["means"])
    assert (await api.committee.ok("GET", f"/proposals/{review.pid(1)}"))["debrief"] is None
    assert (await review.orgs[0].ok("GET", f"/proposals/{review.pid(0)}"))["debrief"] is None
    problem(await review.orgs[2].get(f"/proposals/{review.pid(1)}"), 404)
    # The winner has no debrief; the third sees its own rank.
    assert 'id="debrief"' not in await (await signed_in(api, review.orgs[0])).page(f"/org/proposals/{review.pid(0)}")
    third = await (await signed_in(api, review.orgs[2])).page(f"/org/proposals/{review.pid(2)}")
    assert "第 3 名（共 3 份合格意向书）" in third and names[1] not in third
    # Nobody else reads it: another organisation gets 404, a visitor is sent to sign in.
    stranger = await signed_in(api, await api.org_member())
    assert (await stranger.get(page)).status_code == 404
    visitor = await api.client.get(page, follow_redirects=False)
    assert visitor.status_code in (302, 303, 401) and names[0] not in visitor.text


async def test_a_disqualified_proposal_is_debriefed_with_its_reason(api: Api) -> None:
    review = await task_in_review(api, proposals=3, panel=2, qualify=False)
    for i in (0, 1):
        await api.committee.ok("POST", f"/proposals/{review.pid(i)}/qualification", json={"qualified": True})
    reason = "预算明细缺少人员费用测算"
    await api.committee.ok(
        "POST", f"/proposals/{review.pid(2)}/qualification", json={"qualified": False, "reason": reason}
    )
    await score_all(review, [[marks_for("90"), marks_for("88")], [marks_for("80"), marks_for("82")]])
    await api.committee.ok("POST", f"/tasks/{review.task_id}/award", status=200, json={"proposal_id": review.pid(0)})
    (dossier,) = await dossiers(api, review.task_id)
    decisions = {q["proposal_id"]: q for q in dossier["document"]["qualification"]}
    assert decisions[review.pid(2)]["qualified"] is False and decisions[review.pid(2)]["reason"] == reason
    assert review.pid(2) not in {s["proposal_id"] for s in dossier["document"]["standings"]}
    html = await (await signed_in(api, review.orgs[2])).page(f"/org/proposals/{review.pid(2)}")
    debrief = html[html.index('id="debrief"') : html.index("</section>", html.index('id="debrief"'))]
    assert reason in debrief and "名次" not in debrief and review.orgs[0].user["org"]["name"] not in debrief
    read = (await review.orgs[2].ok("GET", f"/proposals/{review.pid(2)}"))["debrief"]
    assert (read["own"], read["winner"], read["disqualified_reason"]) == (None, None, reason)


async def test_reading_the_dossiers_costs_the_same_statements_however_many_awards_and_additions(api: Api) -> None:
    review, notice = await awarded_review(api)
    engine = api.client.app.state.alchemy.get_engine()
    urls = (f"/api/v1/tasks/{review.task_id}/dossier", f"/tasks/{review.task_id}/dossier")

    async def counts() -> list[int]:
        out = []
        for url in urls:
            with statements(engine) as seen:
                assert (await api.client.get(url)).status_code == 200
            out.append(len(seen))
        return out

    one = await counts()
    objection = await api.anon.ok("POST", f"/awards/{notice['id']}/objections", status=201, json=OBJECTION)
    await api.committee.ok(
        "POST", f"/objections/{objection['id']}/uphold", json={"resolution": "经核实情况属实,撤销承榜"}
    )
    await api.committee.ok("POST", f"/tasks/{review.task_id}/award", status=200, json={"proposal_id": review.pid(1)})
    assert len((await api.anon.ok("GET", urls[0]))["dossiers"]) == 2
    assert await counts() == one


def ticked(html: str) -> bool:
    """Whether the panel form's box for naming the panel is ticked."""
    box = re.search(r'<input type="checkbox" name="named" value="on"( checked)?', html)
    assert box, "no box for naming the panel"
    return box.group(1) is not None


async def test_the_committee_chooses_on_the_panel_form_whether_the_dossier_names_the_panel(api: Api) -> None:
    task = await posted_task(api)
    evaluator = await api.user("evaluator")
    browser = await signed_in(api, "committee")
    form = f"/committee/tasks/{task['id']}/panel"
    assert ticked(await browser.page(form)) is False  # anonymous unless ticked
    r = await browser.submit(form, form, {"user_ids": str(evaluator.user["id"]), "named": "on"})
    assert r.status_code == 303, r.text[:500]
    assert (await api.committee.ok("GET", f"/tasks/{task['id']}/panel"))["named"] is True
    assert ticked(await browser.page(form)) is True
    r = await browser.submit(form, form, {"user_ids": str(evaluator.user["id"])})
    assert r.status_code == 303, r.text[:500]
    assert (await api.committee.ok("GET", f"/tasks/{task['id']}/panel"))["named"] is False
