"""Nothing about proposals, not even their number, is visible before the deadline but to their own organisations.

Checked as the committee and as a panel member, through the API and the pages: the scoring queue and the ranking,
the task's claim count, the statistics and the audit log.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from market.kernel.clock import as_utc
from tests.browser import signed_in
from tests.factories import Api, As, posted_task, submitted_proposal

WAITING_PANEL = "份意向书等待综合党委资格审查"
WAITING_COMMITTEE = "份意向书待资格审查"


async def open_task_with_claims(api: Api) -> tuple[dict[str, Any], As]:
    """A posted task with two submitted proposals and a one-member panel, before its deadline."""
    task = await posted_task(api)
    for _ in range(2):
        await submitted_proposal(await api.org_member(), task["id"])
    evaluator = await api.user("evaluator")
    await api.committee.ok("PUT", f"/tasks/{task['id']}/panel", json={"user_ids": [evaluator.user["id"]]})
    return task, evaluator


def past_deadline(task: dict[str, Any]) -> datetime:
    return as_utc(datetime.fromisoformat(task["claim_deadline"])) + timedelta(minutes=1)


async def claimed_in_stats(api: Api) -> int:
    report = await api.anon.ok("GET", "/stats")
    return int(report["total"]["tasks"]["claimed"])


async def proposal_entries(api: Api) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await api.committee.ok("GET", "/audit", params={"entity": "proposal"}))["items"]
    return items


async def test_before_the_deadline_scoring_and_ranking_do_not_count_sealed_proposals(api: Api) -> None:
    task, evaluator = await open_task_with_claims(api)
    queue = await evaluator.ok("GET", f"/tasks/{task['id']}/scoring")
    assert (queue["awaiting_qualification"], queue["items"]) == (None, [])
    ranking = await api.committee.ok("GET", f"/tasks/{task['id']}/ranking")
    assert (ranking["awaiting_qualification"], ranking["rows"]) == (None, [])
    assert WAITING_PANEL not in await (await signed_in(api, evaluator)).page(f"/panel/tasks/{task['id']}")
    committee_page = await (await signed_in(api)).page(f"/committee/tasks/{task['id']}")
    assert WAITING_COMMITTEE not in committee_page

    api.clock.set(past_deadline(task))
    assert (await evaluator.ok("GET", f"/tasks/{task['id']}/scoring"))["awaiting_qualification"] == 2
    assert (await api.committee.ok("GET", f"/tasks/{task['id']}/ranking"))["awaiting_qualification"] == 2
    assert f"2 {WAITING_PANEL}" in await (await signed_in(api, evaluator)).page(f"/panel/tasks/{task['id']}")
    assert f"2 {WAITING_COMMITTEE}" in await (await signed_in(api)).page(f"/committee/tasks/{task['id']}")


async def test_before_the_deadline_nobody_sees_the_claim_count_the_committee_included(api: Api) -> None:
    task, evaluator = await open_task_with_claims(api)
    for who in (api.committee, evaluator, api.anon):
        assert (await who.ok("GET", f"/tasks/{task['id']}"))["claims"] is None
        assert [t["claims"] for t in (await who.ok("GET", "/tasks"))["items"]] == [None]
    committee_page = await (await signed_in(api)).page(f"/committee/tasks/{task['id']}")
    assert "已揭榜" not in committee_page
    assert await claimed_in_stats(api) == 0

    api.clock.set(past_deadline(task))
    assert (await api.committee.ok("GET", f"/tasks/{task['id']}"))["claims"] == 2
    assert (await api.anon.ok("GET", f"/tasks/{task['id']}"))["claims"] == 2
    assert await claimed_in_stats(api) == 1


async def test_the_audit_log_withholds_sealed_proposals_from_the_committee_until_the_deadline(api: Api) -> None:
    task, _ = await open_task_with_claims(api)
    assert await proposal_entries(api) == []
    everything = (await api.committee.ok("GET", "/audit", params={"limit": 500}))["items"]
    assert not any(e["entity"] == "proposal" for e in everything)

    api.clock.set(past_deadline(task))
    entries = await proposal_entries(api)
    assert {e["action"] for e in entries} >= {"create", "submit"}


async def test_a_task_cancelled_before_its_deadline_keeps_its_claims_sealed_for_good(api: Api) -> None:
    task, _ = await open_task_with_claims(api)
    await api.committee.ok("POST", f"/tasks/{task['id']}/cancel", status=200, json={"reason": "街道调整计划"})
    api.clock.set(past_deadline(task) + timedelta(days=30))
    assert (await api.committee.ok("GET", f"/tasks/{task['id']}"))["claims"] is None
    assert (await api.committee.ok("GET", f"/tasks/{task['id']}/ranking"))["awaiting_qualification"] is None
    assert await claimed_in_stats(api) == 0
    assert await proposal_entries(api) == []
