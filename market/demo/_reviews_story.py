"""The demo year's up-reviews (双向点评): once a month, whoever has a rating due gives it. Lead organisations rate a
closed project's posting unit and the committee, secretaries the committee's service on a delivered order, providers
the ordering community's cooperation; mostly good, now and then a complaint, half of them with a comment."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from market.demo._year import DAY, Client, Year, at_local

COMMENTS = {
    "committee": ["评审公开透明，结果有说服力", "资金拨付比约定晚了两周", "答疑回复及时", "流程清楚，材料要求明确"],
    "posting_unit": ["任务说明很具体，验收标准清楚", "需求描述偏笼统，前期沟通花了不少时间", "街道配合积极"],
    "community": ["社区提前通知居民，场地准备到位", "居民动员还可以再加强", "书记全程协助，配合很好"],
}
DELIVERED = ("delivered", "rated")
# (reviewer, "projects" or "orders", id): what a reviewer has rated, or had nothing of theirs to rate.
Done = set[tuple[str, str, int]]


def schedule_up_reviews(year: Year, start: datetime, now: datetime, secretaries: list[str]) -> None:
    """A sweep on a Wednesday evening every four weeks, from the start of the year to now."""
    rng = random.Random(20200101)  # its own, so that the rest of the year plays as it always has
    done: Done = set()
    day = start + timedelta(days=(2 - start.weekday()) % 7 + 21)
    while day < now:

        async def sweep() -> None:
            await _sweep(year, rng, done, secretaries)

        year.at(at_local(day, 19), sweep)
        day += 28 * DAY


def _rating(rng: random.Random, unit: str) -> dict[str, Any]:
    score = [5, 5, 4, 4, 4, 3, 2]
    comment = rng.choice(COMMENTS[unit]) if rng.random() < 0.5 else ""
    return {
        "unit": unit,
        "clarity": rng.choice(score),
        "timeliness": rng.choice(score),
        "fairness": rng.choice(score[:6]),
        "comment": comment,
    }


async def _rate(who: Client, username: str, rng: random.Random, done: Done, kind: str, item: int) -> None:
    if (username, kind, item) in done:
        return
    due = await who.call("GET", f"/{kind}/{item}/up-reviews/due")
    for unit in due["due"]:
        await who.call("POST", f"/{kind}/{item}/up-reviews", _rating(rng, unit))
    # A delivered order or a closed project stays so: whatever was due to this reviewer is given now, once.
    done.add((username, kind, item))


def _all_done(done: Done, username: str, kind: str, there: int) -> bool:
    """Whether the reviewer has dealt with all `there` items of the kind the story says they see: their list would
    hold nothing new, so it need not be read (every item on it would be skipped as done)."""
    return sum(1 for who, k, _ in done if who == username and k == kind) >= there


async def _sweep(year: Year, rng: random.Random, done: Done, secretaries: list[str]) -> None:
    # Everyone signs in, as they always have; only those with something new to look at read their lists, except the
    # sweep's first reader: the app applies what time has made due (deadlines, erasures) on a request, and the sweep's
    # hour must see that happen as it always has, not at whatever request comes next.
    for username in secretaries:
        who = await year.login(username)
        await _rate_orders(who, username, year, rng, done, always=username == secretaries[0])
    for org_id, username in sorted(year.org_member.items()):
        who = await year.login(username)
        if not _all_done(done, username, "projects", year.closed_projects_led[org_id]):
            closed = await year.anon.call("GET", f"/projects?organization_id={org_id}&status=closed&limit=100")
            for project in closed["items"]:
                await _rate(who, username, rng, done, "projects", project["id"])
        await _rate_orders(who, username, year, rng, done)


async def _rate_orders(
    who: Client, username: str, year: Year, rng: random.Random, done: Done, *, always: bool = False
) -> None:
    if not always and _all_done(done, username, "orders", year.delivered_orders_seen[username]):
        return
    for status in DELIVERED:
        for order in (await who.call("GET", f"/orders?status={status}&limit=100"))["items"]:
            await _rate(who, username, rng, done, "orders", order["id"])
