"""The demo year's points (积分制): the entries the year's events propose (attendance, grades, on-time reports,
well-rated orders) reviewed by the committee every Friday, a few rejected or amended with a reason, one objection
upheld and one dismissed, and the rules raised once for night classes in the spring."""

from __future__ import annotations

from datetime import datetime, timedelta

from market.demo._year import DAY, Year, at_local
from market.services import points

REJECT = {"reason": "签到记录与现场照片不符，不予计分"}
AMEND = {"reason": "仅参加半场，按一半计分"}
# Version 1's points (the built-in rules), but night classes' attendance raised.
RULES_V2 = {
    "points": {code.value: worth for code, worth in points.DEFAULT_POINTS.items()} | {"class_attended": 12},
    "reason": "春季起鼓励居民参加金融夜校，每次出勤由 10 分调为 12 分",
}


def schedule_points(year: Year, start: datetime, now: datetime) -> None:
    """Weekly reviews from the first Friday on, and the rules' spring edit."""
    first = start + timedelta(days=(4 - start.weekday()) % 7)
    reviewed = [0]
    objections_due = [True]

    def review_on(day: datetime) -> None:
        async def review() -> None:
            committee = await year.login("committee")
            page = await committee.call("GET", "/points/entries?status=proposed&limit=100")
            approve = []
            for entry in page["items"]:
                reviewed[0] += 1
                if reviewed[0] % 17 == 0:
                    await committee.call("POST", f"/points/entries/{entry['id']}/reject", REJECT)
                elif reviewed[0] % 13 == 0 and entry["points"] > 1:
                    body = AMEND | {"points": entry["points"] // 2}
                    await committee.call("POST", f"/points/entries/{entry['id']}/amend", body)
                else:
                    approve.append(entry["id"])
            if approve:
                await committee.call("POST", "/points/entries/approve", {"entry_ids": approve})
            # Once, past the year's middle, when a review posts at least two entries: two of them are objected to.
            if objections_due[0] and day >= objection_day and len(approve) >= 2:
                objections_due[0] = False
                await _objections(year, approve[:2])

        year.at(at_local(day, 16), review)

    objection_day = first + 7 * DAY * 20
    day = first
    while day < now:
        review_on(day)
        day += 7 * DAY
    spring = at_local(start + 60 * DAY, 10)
    if spring < now:

        async def edit() -> None:
            await (await year.login("committee")).call("POST", "/points/rules", RULES_V2)

        year.at(spring, edit)


async def _objections(year: Year, entry_ids: list[int]) -> None:
    """Objections to two entries just posted for notice: the first upheld, the second dismissed."""
    committee = await year.login("committee")
    for n, entry_id in enumerate(entry_ids):
        body = {"name": "居民代表", "grounds": "该次活动本人在场，未见此人参加" if n == 0 else "分值似乎偏高"}
        made = await year.anon.call("POST", f"/points/entries/{entry_id}/objections", body)
        ruling = "经核实签到表，异议成立" if n == 0 else "分值符合现行规则，异议不成立"
        await committee.call(
            "POST", f"/points/objections/{made['id']}/{'uphold' if n == 0 else 'dismiss'}", {"resolution": ruling}
        )
