"""The demo year's plot: the district and its resources set up, residents' needs and orders through the year, and
each task's story scheduled (`_task_story`, with the night classes of `_class_story`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from alliances.credit_code import make_credit_code
from market.demo import _data as data
from market.demo._points_story import schedule_points
from market.demo._reviews_story import schedule_up_reviews
from market.demo._task_story import schedule_drafts, schedule_task
from market.demo._year import DAY, HOUR, MINUTE, Year, at_local
from market.kernel.clock import SHANGHAI
from market.models import Role

# Where each of the 22 posted tasks ends up, in posting order (9 + 3 + 6 + 1 awarded = 19 承榜;
# + 1 in review = 20 揭榜; + 1 unclaimed + 1 still open = 22 发榜).
FATES = ["closed"] * 9 + ["delivered"] * 3 + ["in_progress"] * 6 + ["awarded", "reviewing", "unclaimed", "open"]
# Days before "now" on which each task is posted.
POSTED_DAYS_AGO = [
    340,
    329,
    318,
    307,
    296,
    285,
    274,
    263,
    252,
    235,
    220,
    205,
    185,
    160,
    135,
    110,
    85,
    60,
    18,
    14,
    45,
    4,
]
ORDER_COMMENTS = [
    "服务及时，居民满意。",
    "老师讲得很实在，居民反映收获很大。",
    "准备充分，时间安排合理，下次还会预约。",
]


def people() -> list[tuple[str, str, str]]:
    """Every demo account: (role, username, who)."""
    rows = [("committee", "committee", "创新园综合党委")]
    rows += [("evaluator", u, name) for u, name, _ in data.EVALUATORS]
    n = 0
    for street, communities in data.STREETS.items():
        for community in communities:
            n += 1
            rows.append(("secretary", f"sec{n:02d}", f"{street}{community}书记"))
    rows += [("org", f"org{i:02d}", name) for i, (name, *_rest) in enumerate(data.ORGANIZATIONS, start=1)]
    return rows


async def play(year: Year, now: datetime) -> None:
    """Schedule the whole year, then run it in time order up to now."""
    # The park starts its year on a morning, not at whatever hour the loader happens to run.
    start = at_local(year.clock.now(), 9)
    year.clock.set(start)
    await _set_up_district(year, start)
    await _set_up_resources(year)
    _schedule_needs_and_orders(year, start, now)
    for i, fate in enumerate(FATES):
        schedule_task(year, i, fate, at_local(now - timedelta(days=POSTED_DAYS_AGO[i]), 9, 30), now)
    schedule_drafts(year, now)
    schedule_points(year, start, now)
    schedule_up_reviews(year, start, now, [u for role, u, _ in people() if role == "secretary"])
    await year.run(until=now)
    year.accounts = people()


async def _set_up_district(year: Year, start: datetime) -> None:
    committee = await year.login("committee")
    for street, communities in data.STREETS.items():
        s = await committee.call("POST", "/streets", {"name": street})
        for community in communities:
            c = await committee.call("POST", "/communities", {"name": community, "street_id": s["id"]})
            year.community_ids[community] = c["id"]
    alliances = {a["code"]: a["id"] for a in await year.anon.call("GET", "/alliances")}
    for i, (name, code, categories, body) in enumerate(data.ORGANIZATIONS, start=1):
        org = await committee.call(
            "POST",
            "/organizations",
            {
                "name": name,
                "credit_code": make_credit_code(body),
                "alliance_id": alliances[code],
                "categories": categories,
                "resident": True,
            },
        )
        year.org_ids[name] = org["id"]
        year.org_alliance[name] = code
        username = f"org{i:02d}"
        await year.account(username, Role.ORG, name, org=org["id"])
        year.org_member[org["id"]] = username
    for username, who, org_name in data.EVALUATORS:
        org = year.org_ids[org_name] if org_name else None
        year.evaluator_ids[username] = await year.account(username, Role.EVALUATOR, who, org=org)
    n = 0
    for street, communities in data.STREETS.items():
        for community in communities:
            n += 1
            await year.account(
                f"sec{n:02d}", Role.SECRETARY, f"{street}{community}书记", community=year.community_ids[community]
            )
    first = date(start.year, 1, 1)
    await committee.call(
        "PUT",
        "/chair",
        {
            "rotation": {
                "order": ["new-orgs", "volunteers", "legal", "media"],
                "first_day": first.isoformat(),
                "months_per_term": 3,
                "count": 8,
            }
        },
    )
    for month, title in [
        (3, "联合主题党日：学雷锋志愿服务"),
        (6, "联创梦想荟·社会组织路演"),
        (9, "联合主题党日：法治宣传进社区"),
        (11, "社会组织年度交流会"),
    ]:
        await committee.call(
            "POST",
            "/chair/activities",
            {
                "title": title,
                "held_on": date(start.year, month, 15).isoformat(),
                "place": "汇益港湾社会组织创新园",
                "description": "四大联盟轮值主席单位牵头组织。",
            },
        )


# Which of data.COMMUNITY_NEEDS (by index) each task (by index) answers. Task 20 goes unclaimed, so its need
# reopens; needs 8 and the organisations' needs are answered by orders instead.
SECRETARY_OF = {c: f"sec{n:02d}" for n, c in enumerate((c for cs in data.STREETS.values() for c in cs), start=1)}


async def _set_up_resources(year: Year) -> None:
    """The park's 16 services and the organisations' own offerings (服务资源库)."""
    committee = await year.login("committee")
    for title, category, groups, capacity, description in data.PARK_SERVICES:
        svc = await committee.call(
            "POST",
            "/services",
            {
                "title": title,
                "description": description,
                "category": category,
                "target_groups": groups,
                "monthly_capacity": capacity,
            },
        )
        year.service_ids[title] = svc["id"]
    for org_name, title, category, groups, capacity, description in data.ORG_OFFERINGS:
        member = await year.login(year.org_member[year.org_ids[org_name]])
        svc = await member.call(
            "POST",
            "/services",
            {
                "title": title,
                "description": description,
                "category": category,
                "target_groups": groups,
                "monthly_capacity": capacity,
            },
        )
        year.service_ids[title] = svc["id"]
        year.service_provider[title] = year.org_member[year.org_ids[org_name]]


def _schedule_needs_and_orders(year: Year, start: datetime, now: datetime) -> None:
    """Needs raised through the year, orders placed for some of them, and one ordering meeting (点单会)."""

    async def raise_need(k: int) -> None:
        community, title, category, description = data.COMMUNITY_NEEDS[k]
        secretary = await year.login(SECRETARY_OF[community])
        need = await secretary.call(
            "POST", "/needs", {"title": title, "description": description, "category": category}
        )
        year.need_ids[k] = need["id"]

    async def raise_org_need(k: int) -> None:
        org_name, title, category, description = data.ORG_NEEDS[k]
        member = await year.login(year.org_member[year.org_ids[org_name]])
        await member.call("POST", "/needs", {"title": title, "description": description, "category": category})

    for k in range(len(data.COMMUNITY_NEEDS)):
        year.at(start + HOUR + k * 30 * MINUTE, partial(raise_need, k))
    for k in range(len(data.ORG_NEEDS)):
        year.at(start + DAY + k * HOUR, partial(raise_org_need, k))

    # (days after start, community, service title, need index or None, what becomes of it)
    orders = [
        (20, "西流庄社区", "社区活动影像记录", 8, "rated"),
        (35, "虎山路社区", "政策法规信息推送", None, "rated"),
        (60, "九水路社区", "社区心理健康讲座", None, "rated"),
        (90, "沧口社区", "防诈骗金融知识课", None, "rated"),
        (120, "杭州路社区", "多功能会议室", None, "declined"),
        (150, "京口路社区", "助老上门服务", None, "cancelled"),
        (200, "永年路社区", "法律明白人培训", None, "delivered"),
        (250, "兴华路社区", "垃圾分类宣讲", None, "accepted"),
        (330, "书院路社区", "项目设计与申报辅导", None, "requested"),
    ]
    for days, community, service, need, fate in orders:
        when = at_local(start + days * DAY, 10)
        if when < now - DAY:
            year.at(when, partial(_order, year, community, service, need, fate, None))

    meeting_day = at_local(start + 180 * DAY, 14, 30)

    async def meeting() -> None:
        committee = await year.login("committee")
        presented = [
            "社区心理健康讲座",
            "法律明白人培训",
            "助老上门服务",
            "防诈骗金融知识课",
            "公益项目供需对接",
            "多功能会议室",
        ]
        m = await committee.call(
            "POST",
            "/meetings",
            {
                "title": "社区书记点单会（年中）",
                "place": "汇益港湾社会组织创新园路演厅",
                "starts_at": meeting_day.isoformat(),
                "ends_at": (meeting_day + 2 * HOUR).isoformat(),
                "offering_ids": [year.service_ids[t] for t in presented],
            },
        )
        year.meeting_id = m["id"]

    year.at(meeting_day - 7 * DAY, meeting)
    at_meeting = [
        ("东山社区", "防诈骗金融知识课", "rated"),
        ("苍台社区", "法律明白人培训", "rated"),
        ("李村河社区", "社区心理健康讲座", "delivered"),
        ("四流中路社区", "助老上门服务", "rated"),
        ("虎山路社区", "公益项目供需对接", "accepted"),
    ]
    for k, (community, service, fate) in enumerate(at_meeting):
        year.at(
            meeting_day + (k + 1) * 20 * MINUTE,
            partial(_order, year, community, service, None, fate, "meeting"),
        )


async def _order(year: Year, community: str, service: str, need: int | None, fate: str, meeting: str | None) -> None:
    """Place an order and take it as far as its fate, over the following days."""
    secretary = await year.login(SECRETARY_OF[community])
    month = (year.clock.now() + 10 * DAY).astimezone(SHANGHAI).strftime("%Y-%m")
    body: dict[str, Any] = {"service_month": month, "note": data.ORDER_NOTES[service]}
    if need is not None and need in year.need_ids:
        body["need_id"] = year.need_ids[need]
    if meeting:
        body["meeting_id"] = year.meeting_id
    order = await secretary.call("POST", f"/services/{year.service_ids[service]}/orders", body)
    if fate == "requested":
        return
    if fate == "cancelled":
        await secretary.call("POST", f"/orders/{order['id']}/cancel")
        return
    provider = await year.login(year.service_provider.get(service, "committee"))
    if fate == "declined":
        await provider.call("POST", f"/orders/{order['id']}/decline", {"reason": "本月会议室已约满，建议改约下月。"})
        return
    await provider.call("POST", f"/orders/{order['id']}/accept")
    if fate == "accepted":
        return

    async def deliver() -> None:
        await secretary.call("POST", f"/orders/{order['id']}/deliver")
        year.delivered_orders_seen.update([SECRETARY_OF[community], year.service_provider.get(service, "committee")])
        if fate == "rated":
            await secretary.call(
                "POST",
                f"/orders/{order['id']}/rate",
                {"rating": year.rng.choice([4, 5, 5]), "comment": year.rng.choice(ORDER_COMMENTS)},
            )

    year.at(year.clock.now() + 12 * DAY, deliver)
