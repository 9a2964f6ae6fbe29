"""Two-way review (双向点评) upwards, through the HTTP API: who rates which unit when, once, and what is published."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from market.kernel.clock import local
from tests.concurrency import signed_in
from tests.factories import (
    Api,
    As,
    audit_trail,
    finance_project,
    inbox_kinds,
    org_service,
    park_service,
    placed_order,
    problem,
    secretary,
)

RATING = {"clarity": 4, "timeliness": 3, "fairness": 5, "comment": "任务说明清楚,拨付及时"}


def rating(unit: str, **changes: Any) -> dict[str, Any]:
    return RATING | {"unit": unit} | changes


async def closed_project(api: Api) -> tuple[As, dict[str, Any]]:
    """A finance project delivered and given its final evaluation; returns a member of its lead organisation."""
    lead, project = await finance_project(api)
    await lead.ok("POST", f"/projects/{project['id']}/deliver", status=200)
    await api.committee.ok(
        "POST", f"/projects/{project['id']}/evaluation", status=200, json={"score": 90, "comment": "完成良好"}
    )
    return lead, project


async def delivered_order(api: Api, who: As, offering_id: int, provider: As) -> dict[str, Any]:
    """An order placed by the secretary `who`, accepted by `provider` and confirmed delivered."""
    order = await placed_order(api, who, offering_id)
    await provider.ok("POST", f"/orders/{order['id']}/accept", status=200)
    return await who.ok("POST", f"/orders/{order['id']}/deliver", status=200)


async def test_a_closed_projects_lead_rates_the_posting_unit_and_the_committee_once_each(api: Api) -> None:
    lead, project = await finance_project(api)
    url = f"/projects/{project['id']}/up-reviews"
    assert (await lead.ok("GET", f"{url}/due")) == {"due": [], "given": []}
    problem(await lead.post(url, json=rating("committee")), 409)
    await lead.ok("POST", f"/projects/{project['id']}/deliver", status=200)
    problem(await lead.post(url, json=rating("committee")), 409)
    await api.committee.ok(
        "POST", f"/projects/{project['id']}/evaluation", status=200, json={"score": 90, "comment": "完成良好"}
    )
    assert "up_review" in await inbox_kinds(lead)
    assert (await lead.ok("GET", f"{url}/due")) == {"due": ["posting_unit", "committee"], "given": []}

    # Only the lead organisation rates, and only the posting unit and the committee.
    other = await api.org_member()
    sec = await secretary(api)
    for who in (other, sec, api.committee):
        problem(await who.post(url, json=rating("committee")), 403)
    problem(await lead.post(url, json=rating("community")), 403)
    problem(await api.anon.post(url, json=rating("committee")), 401)

    given = await lead.ok("POST", url, status=201, json=rating("posting_unit"))
    assert given == rating("posting_unit")
    problem(await lead.post(url, json=rating("posting_unit", clarity=1)), 409)
    await lead.ok("POST", url, status=201, json=rating("committee", comment=""))
    problem(await lead.post(url, json=rating("committee")), 409)
    assert (await lead.ok("GET", f"{url}/due")) == {"due": [], "given": ["posting_unit", "committee"]}

    entries = await audit_trail(api, "up_review", 1)
    assert entries == [("give", "", "posting_unit")]
    assert (await api.committee.ok("GET", "/audit/verify"))["ok"] is True


async def test_the_committees_audit_view_lists_no_up_review_only_their_count_per_day(api: Api) -> None:
    """Beside its author's own entries (the project's close, the author's sign-in) at its exact time, an up-review's
    entry would name its author whatever field is withheld: the committee's list, its filters and its paging never
    show one, only how many were given each day. The stored chain keeps them and verifies."""
    lead, project = await closed_project(api)
    await lead.ok("POST", f"/projects/{project['id']}/up-reviews", status=201, json=rating("committee"))
    api.clock.advance(hours=1)
    await lead.ok("POST", f"/projects/{project['id']}/up-reviews", status=201, json=rating("posting_unit"))
    assert len(await audit_trail(api, "up_review", 1)) == len(await audit_trail(api, "up_review", 2)) == 1
    today = local(api.clock.now()).date().isoformat()

    whole = await api.committee.ok("GET", "/audit", params={"limit": 500})
    assert whole["items"] and not [e for e in whole["items"] if e["entity"] == "up_review"]
    assert whole["up_reviews"] == [{"day": today, "given": 2}]
    # No filter brings one back: not by its entity, its id, or paging one entry at a time.
    for params in ({"entity": "up_review"}, {"entity": "up_review", "entity_id": 1}, {"entity_id": 2}):
        page = await api.committee.ok("GET", "/audit", params=params)
        assert not [e for e in page["items"] if e["entity"] == "up_review"], params
    assert (await api.committee.ok("GET", "/audit", params={"entity": "up_review"})) == {"items": [], "up_reviews": []}
    seen, before = [], None
    while True:
        params = {"limit": 1} | ({"before_id": before} if before else {})
        page = await api.committee.ok("GET", "/audit", params=params)
        if not page["items"]:
            break
        seen += page["items"]
        before = page["items"][-1]["id"]
    assert [e["id"] for e in seen] == [e["id"] for e in whole["items"]]
    # Asked for by someone, the list is the same: no entry of theirs and no count of theirs.
    by_lead = await api.committee.ok("GET", "/audit", params={"limit": 500, "actor": lead.username})
    assert by_lead == whole and lead.username not in str(whole["up_reviews"])
    # The task's own audit, which shows the project's close, has none either.
    history = await api.committee.ok("GET", f"/tasks/{project['task_id']}/audit", params={"limit": 500})
    assert any(e["entity"] == "project" for e in history["items"])
    assert not [e for e in history["items"] if e["entity"] == "up_review"]
    assert (await api.committee.ok("GET", "/audit/verify"))["ok"] is True


async def test_a_delivered_orders_secretary_rates_the_committee_and_its_provider_the_community(api: Api) -> None:
    sec = await secretary(api)
    provider = await api.org_member()
    service = await org_service(provider, api)
    order = await placed_order(api, sec, service["id"])
    url = f"/orders/{order['id']}/up-reviews"
    problem(await sec.post(url, json=rating("committee")), 409)
    await provider.ok("POST", f"/orders/{order['id']}/accept", status=200)
    problem(await provider.post(url, json=rating("community")), 409)
    await sec.ok("POST", f"/orders/{order['id']}/deliver", status=200)
    assert "up_review" in await inbox_kinds(sec)
    assert "up_review" in await inbox_kinds(provider)
    assert (await sec.ok("GET", f"{url}/due")) == {"due": ["committee"], "given": []}
    assert (await provider.ok("GET", f"{url}/due")) == {"due": ["community"], "given": []}

    # Each party rates its own unit only; a stranger to the order does not see it.
    problem(await sec.post(url, json=rating("community")), 403)
    problem(await provider.post(url, json=rating("committee")), 403)
    problem(await api.committee.post(url, json=rating("community")), 403)
    problem(await (await secretary(api)).post(url, json=rating("committee")), 404)

    await sec.ok("POST", url, status=201, json=rating("committee"))
    # Rated or not by the secretary afterwards, the order is still delivered work the provider may rate.
    await sec.ok("POST", f"/orders/{order['id']}/rate", status=200, json={"rating": 4})
    await provider.ok("POST", url, status=201, json=rating("community", fairness=2))
    problem(await provider.post(url, json=rating("community")), 409)
    problem(await sec.post(url, json=rating("committee")), 409)


async def test_the_parks_own_service_has_no_provider_to_rate_the_community(api: Api) -> None:
    sec = await secretary(api)
    order = await delivered_order(api, sec, (await park_service(api))["id"], api.committee)
    url = f"/orders/{order['id']}/up-reviews"
    assert (await api.committee.ok("GET", f"{url}/due")) == {"due": [], "given": []}
    problem(await api.committee.post(url, json=rating("community")), 403)
    assert "up_review" not in await inbox_kinds(api.committee)


async def test_simultaneous_submissions_of_one_review_store_one(api: Api) -> None:
    lead, project = await closed_project(api)
    url = f"/projects/{project['id']}/up-reviews"
    async with signed_in(api, lead.username, workers=2) as (sessions, gauges):
        responses = await asyncio.gather(
            *(sessions[n % 2].post(url, json=rating("committee", clarity=1 + n % 5)) for n in range(6))
        )
    assert all(g.peak >= 1 for g in gauges)
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 5}, [r.text for r in responses]
    assert len(await audit_trail(api, "up_review", 1)) == 1
    assert await audit_trail(api, "up_review", 2) == []


async def test_a_units_aggregate_appears_with_its_third_review_and_never_names_an_author(api: Api) -> None:
    service = await park_service(api)
    secretaries = [await secretary(api) for _ in range(3)]
    orders = [await delivered_order(api, s, service["id"], api.committee) for s in secretaries]
    comments = ["服务很周到", "", "A 希望再快一些"]
    for n, (s, o) in enumerate(zip(secretaries, orders, strict=True)):
        body = rating("committee", clarity=n + 3, timeliness=n + 1, fairness=5, comment=comments[n])
        await s.ok("POST", f"/orders/{o['id']}/up-reviews", status=201, json=body)
        published = await api.anon.ok("GET", "/up-reviews")
        if n < 2:
            assert published["units"] == [], published
    assert published["minimum"] == 3
    (committee,) = published["units"]
    assert committee == {
        "unit": "committee",
        "community_id": None,
        "community_name": "",
        "posting_unit": "",
        "year": published["year"],
        "count": 3,
        "clarity": "4.00",
        "timeliness": "2.00",
        "fairness": "5.00",
        "comments": ["A 希望再快一些", "服务很周到"],
    }
    text = str(published)
    for s, o in zip(secretaries, orders, strict=True):
        assert s.username not in text and s.user["community"]["name"] not in text
        assert f"'{o['id']}'" not in text
    # Another year has nothing.
    assert (await api.anon.ok("GET", "/up-reviews", params={"year": published["year"] - 1}))["units"] == []
    problem(await api.anon.get("/up-reviews", params={"year": 1999}), 400)


async def test_a_communitys_aggregate_counts_only_its_own_reviews(api: Api) -> None:
    sec = await secretary(api)
    providers = [await api.org_member() for _ in range(3)]
    for n, provider in enumerate(providers):
        service = await org_service(provider, api)
        order = await delivered_order(api, sec, service["id"], provider)
        await provider.ok(
            "POST", f"/orders/{order['id']}/up-reviews", status=201, json=rating("community", clarity=n + 1)
        )
        if n == 1:
            # A review of another community does not make up this one's three.
            other = await secretary(api)
            elsewhere = await delivered_order(api, other, service["id"], provider)
            await provider.ok("POST", f"/orders/{elsewhere['id']}/up-reviews", status=201, json=rating("community"))
            assert (await api.anon.ok("GET", "/up-reviews"))["units"] == []
    (unit,) = (await api.anon.ok("GET", "/up-reviews"))["units"]
    community = sec.user["community"]
    assert (unit["unit"], unit["community_id"]) == ("community", community["id"])
    assert unit["community_name"] == community["name"]
    assert (unit["count"], unit["clarity"]) == (3, "2.00")
    for provider in providers:
        assert provider.user["org"]["name"] not in str(unit)


async def test_the_statistics_count_up_reviews_by_day_given_rolled_up_and_live(api: Api) -> None:
    from datetime import timedelta

    from sqlalchemy import update
    from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

    from market.kernel.clock import local
    from market.models import stats_days
    from market.services import stats
    from tests import stats_reference as reference

    service = await park_service(api)
    provider = await api.org_member()
    offered = await org_service(provider, api)
    first_day = local(api.clock.now()).date()
    sec = await secretary(api)
    for clarity in (5, 2):
        who = await secretary(api)
        order = await delivered_order(api, who, service["id"], api.committee)
        await who.ok("POST", f"/orders/{order['id']}/up-reviews", status=201, json=rating("committee", clarity=clarity))
    api.clock.advance(days=2)
    order = await delivered_order(api, sec, offered["id"], provider)
    await provider.ok("POST", f"/orders/{order['id']}/up-reviews", status=201, json=rating("community"))
    api.clock.advance(days=1)
    # Given today: counted from the rows, not yet from the rollup.
    order = await delivered_order(api, sec, service["id"], api.committee)
    await sec.ok("POST", f"/orders/{order['id']}/up-reviews", status=201, json=rating("committee", fairness=1))
    today = local(api.clock.now()).date()

    whole = await api.anon.ok("GET", "/stats", params={"from": first_day.isoformat(), "to": today.isoformat()})
    year = today.year
    none = {"clarity": None, "timeliness": None, "fairness": None}
    assert whole["up_reviews"] == {
        "committee": {
            "given": 3,
            "year": year,
            "published_count": 3,
            "clarity": "3.67",
            "timeliness": "3.00",
            "fairness": "3.67",
        },
        "posting_unit": {"given": 0, "year": year, "published_count": 0, **none},
        # One review of a community: counted as given, its scores not published.
        "community": {"given": 1, "year": year, "published_count": 0, **none},
    }
    later = (first_day + timedelta(days=1)).isoformat()
    part = await api.anon.ok("GET", "/stats", params={"from": later, "to": today.isoformat()})
    assert (part["up_reviews"]["committee"]["given"], part["up_reviews"]["community"]["given"]) == (1, 1)
    assert part["up_reviews"]["committee"]["clarity"] == "3.67"
    html = (await api.client.get("/stats")).text
    assert "data-up-reviews" in html and "3.67" in html

    async def held_to_the_rows(engine: AsyncEngine) -> None:
        now = api.clock.now()
        async with async_sessionmaker(engine)() as db:
            for start, end in ((first_day, today), (first_day, first_day), (today - timedelta(days=1), today)):
                assert await stats.report(db, start, end, now=now) == await reference.report(db, start, end, now=now)
            assert not await stats.rollup_out_of_step(db)
            await db.execute(
                update(stats_days).where(stats_days.c.kind == stats.UP_REVIEWS).values(n1=stats_days.c.n1 + 1)
            )
            assert {kind for kind, _ in await stats.rollup_out_of_step(db)} == {"up_reviews", "up_reviews:m"}
            await db.rollback()

    await api.database(held_to_the_rows)


async def test_a_published_aggregate_moves_only_in_steps_of_three_reviews(api: Api) -> None:
    """Between two publications lie at least three reviews: the fourth and fifth wait for the sixth, scores and
    comments alike, so comparing the page before and after a review never tells that review."""
    # Two services: a park service takes at most five orders a month.
    services = [await park_service(api), await park_service(api)]
    sec = await secretary(api)
    clarity = [5, 5, 5, 1, 1, 2]
    comments = ["一号意见", "二号意见", "三号意见", "四号意见", "五号意见", "六号意见"]
    seen = []
    for n in range(6):
        order = await delivered_order(api, sec, services[n % 2]["id"], api.committee)
        body = rating("committee", clarity=clarity[n], comment=comments[n])
        await sec.ok("POST", f"/orders/{order['id']}/up-reviews", status=201, json=body)
        seen.append((await api.anon.ok("GET", "/up-reviews"))["units"])
    assert seen[0] == seen[1] == []
    first, fourth, fifth, sixth = (s[0] for s in (seen[2], seen[3], seen[4], seen[5]))
    assert (first["count"], first["clarity"], first["comments"]) == (3, "5.00", sorted(comments[:3]))
    assert fourth == first and fifth == first
    assert (sixth["count"], sixth["clarity"], sixth["comments"]) == (6, "3.17", sorted(comments))
    # The committee's desk reads the same aggregate.
    desk = await api.committee.ok("GET", "/up-reviews")
    assert desk["units"] == seen[5]


def combined(units: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """A kind's scores combined from the public year page's units: each unit's sums (count × its 2-decimal mean,
    exact for a few dozen reviews) added up, over all of the kind's counted reviews."""
    from decimal import ROUND_HALF_UP, Decimal

    mine = [u for u in units if u["unit"] == kind]
    count = sum(u["count"] for u in mine)
    out: dict[str, Any] = {"published_count": count}
    for aspect in ("clarity", "timeliness", "fairness"):
        total = sum(round(u["count"] * Decimal(u[aspect])) for u in mine)
        out[aspect] = str((Decimal(total) / count).quantize(Decimal("0.01"), ROUND_HALF_UP)) if count else None
    return out


async def test_the_statistics_show_up_review_scores_only_as_the_years_published_aggregate(api: Api) -> None:
    """A period's up-reviews are counted, but their scores are the year's published aggregate: a one-day range
    around the committee's one review must not show that review, nor two ranges one review apart differ."""
    services = [await park_service(api), await park_service(api)]
    sec = await secretary(api)
    days = []
    clarity = [5, 1, 3, 2]
    for n in range(4):
        order = await delivered_order(api, sec, services[n % 2]["id"], api.committee)
        body = rating("committee", clarity=clarity[n], timeliness=n + 1, fairness=5 - n)
        await sec.ok("POST", f"/orders/{order['id']}/up-reviews", status=201, json=body)
        days.append(local(api.clock.now()).date().isoformat())
        if n == 0:
            # The day of the committee's only review: its count, not its scores, in JSON and on the page.
            one = await api.anon.ok("GET", "/stats", params={"from": days[0], "to": days[0]})
            committee = one["up_reviews"]["committee"]
            assert (committee["given"], committee["published_count"], committee["clarity"]) == (1, 0, None)
            assert committee["timeliness"] is None and committee["fairness"] is None
            html = (await api.client.get("/stats", params={"from": days[0], "to": days[0]})).text
            section = html[html.index("data-up-reviews") :]
            section = section[: section.index("</section>")]
            assert "5.00" not in section and "1.00" not in section and "—" in section
            assert "data-reviews-published" in section
        api.clock.advance(days=1)
    # The provider rates one community three times (published), another community once (unpublished).
    provider = await api.org_member()
    offered = await org_service(provider, api)
    for n in range(3):
        order = await delivered_order(api, sec, offered["id"], provider)
        body = rating("community", clarity=n + 2, timeliness=5, fairness=n + 1)
        await provider.ok("POST", f"/orders/{order['id']}/up-reviews", status=201, json=body)
    elsewhere = await delivered_order(api, await secretary(api), offered["id"], provider)
    await provider.ok("POST", f"/orders/{elsewhere['id']}/up-reviews", status=201, json=rating("community"))
    today = local(api.clock.now()).date().isoformat()

    # Ranges one review apart (the fourth committee review, not yet published) show the same scores.
    before = await api.anon.ok("GET", "/stats", params={"from": days[0], "to": days[2]})
    after = await api.anon.ok("GET", "/stats", params={"from": days[0], "to": days[3]})
    last_day = await api.anon.ok("GET", "/stats", params={"from": days[3], "to": days[3]})
    assert [r["up_reviews"]["committee"]["given"] for r in (before, after, last_day)] == [3, 4, 1]
    scores = ("year", "published_count", "clarity", "timeliness", "fairness")
    shown = [{k: r["up_reviews"]["committee"][k] for k in scores} for r in (before, after, last_day)]
    assert shown[0] == shown[1] == shown[2], shown
    assert shown[0]["clarity"] == "3.00"  # the first three (5, 1, 3); the fourth (2) waits for the sixth

    # The scores are the public year page's units combined per kind.
    whole = await api.anon.ok("GET", "/stats", params={"from": days[0], "to": today})
    page = await api.anon.ok("GET", "/up-reviews", params={"year": whole["up_reviews"]["committee"]["year"]})
    for kind in ("committee", "posting_unit", "community"):
        got = whole["up_reviews"][kind]
        assert {k: got[k] for k in ("published_count", "clarity", "timeliness", "fairness")} == combined(
            page["units"], kind
        ), kind
    assert (whole["up_reviews"]["community"]["given"], whole["up_reviews"]["community"]["published_count"]) == (4, 3)
