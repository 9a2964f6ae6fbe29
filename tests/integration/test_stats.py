"""/stats counts each thing in the period by its own start, with what became of it, by alliance, category, street."""

from __future__ import annotations

from tests.factories import (
    Api,
    park_service,
    placed_order,
    posted_task,
    problem,
    raised_need,
    secretary,
    submitted_proposal,
)


async def test_stats_count_tasks_needs_and_orders_by_alliance_category_and_street(api: Api) -> None:
    # Outside the period: posted on the first day, the period starts the next (local) day.
    await posted_task(api)
    api.clock.advance(days=1)
    sec = await secretary(api)
    street = sec.user["community"]["street_name"]
    need = await raised_need(sec, api, category="legal_aid")
    claimed = await posted_task(
        api,
        category="legal_aid",
        alliances=["legal", "media"],
        community_ids=[sec.user["community"]["id"]],
        need_ids=[need["id"]],
    )
    await posted_task(api, category="culture", alliances=["volunteers"])
    await submitted_proposal(await api.org_member("legal"), claimed["id"])
    service = await park_service(api, category="venue", monthly_capacity=3)
    order = await placed_order(api, sec, service["id"])
    await api.committee.ok("POST", f"/orders/{order['id']}/accept", status=200)
    api.clock.advance(days=11)  # both tasks past their deadlines: one in review, one unclaimed

    day = _days_before(api, 0)
    stats = await api.anon.ok("GET", "/stats", params={"from": _days_before(api, 11), "to": day})
    total = stats["total"]
    assert total["tasks"] == {"posted": 2, "claimed": 1, "awarded": 0, "unclaimed": 1}
    assert stats["by_alliance"]["legal"]["tasks"]["posted"] == 1
    assert stats["by_alliance"]["media"]["tasks"]["claimed"] == 1
    assert stats["by_alliance"]["volunteers"]["tasks"]["unclaimed"] == 1
    assert stats["by_alliance"]["new-orgs"]["tasks"]["posted"] == 0
    assert stats["by_category"]["legal_aid"]["tasks"]["claimed"] == 1
    assert stats["by_category"]["culture"]["tasks"]["unclaimed"] == 1
    assert stats["by_street"][street]["tasks"]["posted"] == 1
    assert total["needs"]["raised"] == 1 and total["needs"]["matched"] == 1
    assert stats["by_street"][street]["needs"]["raised"] == 1
    assert total["orders"]["accepted"] == 1
    assert stats["by_alliance"]["park"]["orders"]["accepted"] == 1
    assert stats["by_category"]["venue"]["orders"]["accepted"] == 1

    wider = await api.anon.ok("GET", "/stats", params={"from": _days_before(api, 12), "to": day})
    assert wider["total"]["tasks"]["posted"] == 3


async def test_stats_refuse_a_period_that_ends_before_it_starts(api: Api) -> None:
    problem(await api.anon.get("/stats", params={"from": "2026-03-10", "to": "2026-03-01"}), 422, field="from")


def _days_before(api: Api, days: int) -> str:
    from datetime import timedelta

    from market.kernel.clock import local

    return (local(api.clock.now()).date() - timedelta(days=days)).isoformat()
