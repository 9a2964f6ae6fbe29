"""The demo year, task by task: who claims what, how the panel scores, what becomes of the work."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from alliances.credit_code import make_credit_code
from market.demo import _data as data
from market.kernel.clock import SHANGHAI
from market.models import Role
from market.scoring import DEFAULT_RUBRIC

if TYPE_CHECKING:
    from market.demo._loader import Year

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)

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
CLAIM_DAYS = 10
# How an organisation introduces itself in a proposal; {org} and {communities} are filled in.
STRENGTHS = [
    "{org}长期扎根社区，熟悉{communities}的居民情况，有一支稳定的专职社工和志愿者队伍。",
    "{org}近三年承接同类项目五个，结项评估均为良好以上，与{communities}已有合作基础。",
    "{org}的骨干成员持有社会工作者、心理咨询师或法律职业资格证书，能保证服务的专业性。",
]
ORDER_COMMENTS = [
    "服务及时，居民满意。",
    "老师讲得很实在，居民反映收获很大。",
    "准备充分，时间安排合理，下次还会预约。",
]
RESIDENT_COMMENTS = [
    "服务很贴心，希望继续开展。",
    "工作人员很耐心，老人们都说好。",
    "活动安排得很好，就是名额有点少。",
    "孩子很喜欢，希望能多办几期。",
]
OBJECTION_DISMISSED = 2  # a task whose award survives an objection
OBJECTION_UPHELD = 6  # a task whose first award is revoked and the next-ranked proposal wins
AWARD_SECOND_WITH_REASON = 4  # the committee passes over the top proposal, in writing


def at_local(day: datetime, hour: int, minute: int = 0) -> datetime:
    """The instant at hour:minute Shanghai time on `day`'s Shanghai date, so events land in office hours or evenings."""
    return day.astimezone(SHANGHAI).replace(hour=hour, minute=minute, second=0, microsecond=0).astimezone(UTC)


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
        _schedule_task(year, i, fate, at_local(now - timedelta(days=POSTED_DAYS_AGO[i]), 9, 30), now)
    _schedule_drafts(year, now)
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
NEEDS_ANSWERED_BY_TASK = {0: [0], 1: [1], 2: [2], 3: [3], 6: [4], 7: [5], 8: [6], 20: [7], 11: [9]}
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
        if fate == "rated":
            await secretary.call(
                "POST",
                f"/orders/{order['id']}/rate",
                {"rating": year.rng.choice([4, 5, 5]), "comment": year.rng.choice(ORDER_COMMENTS)},
            )

    year.at(year.clock.now() + 12 * DAY, deliver)


def _marks(quality: float, year: Year) -> dict[str, str]:
    """One member's marks: around the proposal's quality, one decimal each."""
    out = {}
    for c in DEFAULT_RUBRIC:
        raw = c.maximum * min(1.0, max(0.3, quality + year.rng.uniform(-0.08, 0.08)))
        out[c.name] = str(Decimal(round(raw * 2) / 2).quantize(Decimal("0.1")))
    return out


def _schedule_task(year: Year, i: int, fate: str, posted: datetime, now: datetime) -> None:
    title, category, unit, budget_yuan, alliances, communities, joint = data.TASKS[i]
    # Claims close at the end of an office day; the committee's own steps fall in office hours after it.
    deadline = at_local(posted + CLAIM_DAYS * DAY, 17)
    next_morning = deadline + 17 * HOUR  # 10:00 the next day
    st: dict[str, Any] = {"proposals": [], "members": {}}

    async def create() -> None:
        committee = await year.login("committee")
        t = await committee.call(
            "POST",
            "/tasks",
            {
                "title": title,
                "description": data.TASK_DESCRIPTIONS[title],
                "category": category,
                "posting_unit": unit,
                "budget_fen": budget_yuan * 100,
                "funding_mode": ["service_purchase", "project_fund", "activity_subsidy"][i % 3],
                "claim_deadline": deadline.isoformat(),
                "alliances": alliances,
                "allow_joint": joint,
                "community_ids": [year.community_ids[c] for c in communities],
                "need_ids": [year.need_ids[n] for n in NEEDS_ANSWERED_BY_TASK.get(i, []) if n in year.need_ids],
            },
        )
        st["task"] = t["id"]

    async def post() -> None:
        committee = await year.login("committee")
        await committee.call("POST", f"/tasks/{st['task']}/post")

    year.at(posted - DAY, create)
    year.at(posted, post)
    if fate == "unclaimed":
        year.at(deadline + HOUR, _tick(year))
        return

    async def question() -> None:
        asker = await year.login(year.org_member[year.org_ids[_eligible(year, alliances)[0]]])
        asked, answer = data.QUESTIONS[i % len(data.QUESTIONS)]
        q = await asker.call("POST", f"/tasks/{st['task']}/questions", {"question": asked})
        committee = await year.login("committee")
        await committee.call("POST", f"/tasks/{st['task']}/questions/{q['id']}/answer", {"answer": answer})

    year.at(posted + 2 * DAY, question)

    n_claims = 1 if fate == "open" else 2 + (i % 2)

    async def claim(k: int) -> None:
        orgs = _eligible(year, alliances)
        lead = orgs[(i + k) % len(orgs)]
        if any(lead in names for names in st["members"].values()):
            return
        lead_user = await year.login(year.org_member[year.org_ids[lead]])
        partners: list[str] = []
        if joint and k == 0:
            partners = [o for o in orgs if o != lead and not any(o in m for m in st["members"].values())][:1]
        quality = 0.62 + 0.3 * year.rng.random()
        # Organisations ask for a round sum a little under the budget: whole hundreds of yuan.
        requested_yuan = round(budget_yuan * (0.85 + 0.15 * year.rng.random()) / 100) * 100
        work_plan, expected = data.PROPOSAL_PLANS[category]
        p = await lead_user.call(
            "POST",
            f"/tasks/{st['task']}/proposals",
            {
                "requested_budget_fen": requested_yuan * 100,
                "strengths": STRENGTHS[(i + k) % len(STRENGTHS)].format(org=lead, communities="、".join(communities)),
                "work_plan": work_plan,
                "expected_results": expected,
                "partner_ids": [year.org_ids[o] for o in partners],
            },
        )
        st["members"][p["id"]] = [lead, *partners]
        for partner in partners:
            partner_user = await year.login(year.org_member[year.org_ids[partner]])
            await partner_user.call("POST", f"/proposals/{p['id']}/invitation", {"accept": True})
        if fate != "open":
            await lead_user.call("POST", f"/proposals/{p['id']}/submit")
        st["proposals"].append((p["id"], quality))

    for k in range(n_claims):
        year.at(posted + (3 + 2 * k) * DAY, partial(claim, k))
    if fate == "open":
        return

    panel = [u for u, _, _ in data.EVALUATORS] if i % 3 == 0 else ["eval-wang", "eval-li", "eval-zhang"]

    async def form_panel() -> None:
        committee = await year.login("committee")
        await committee.call("PUT", f"/tasks/{st['task']}/panel", {"user_ids": [year.evaluator_ids[u] for u in panel]})

    year.at(posted + 1 * DAY, form_panel)

    async def qualify() -> None:
        committee = await year.login("committee")
        for pid, _ in st["proposals"]:
            await committee.call("POST", f"/proposals/{pid}/qualification", {"qualified": True})

    year.at(next_morning, qualify)

    recused_org = {u: org for u, _, org in data.EVALUATORS if org}

    async def score(member: str) -> None:
        evaluator = await year.login(member)
        for pid, quality in st["proposals"]:
            if recused_org.get(member) in st["members"][pid]:
                continue
            await evaluator.call("PUT", f"/proposals/{pid}/scores", {"marks": _marks(quality, year)})

    scorers = panel if fate != "reviewing" else panel[:1]
    for m, member in enumerate(scorers):
        year.at(next_morning + DAY + m * HOUR, partial(score, member))
    if fate == "reviewing":
        return

    async def award(pick: int = 0, reason: str | None = None) -> None:
        committee = await year.login("committee")
        ranking = await committee.call("GET", f"/tasks/{st['task']}/ranking")
        rows = [r for r in ranking["rows"] if r["status"] == "qualified"]
        body: dict[str, Any] = {"proposal_id": rows[pick]["proposal_id"]}
        if reason:
            body["reason"] = reason
        a = await committee.call("POST", f"/tasks/{st['task']}/award", body)
        st["award"] = a["id"]

    awarded_at = next_morning + 4 * DAY
    if i == AWARD_SECOND_WITH_REASON:
        year.at(
            awarded_at,
            partial(award, 1, "排名第一的组织同期承接项目较多，综合考虑服务力量与属地经验，确定排名第二的组织承榜。"),
        )
    else:
        year.at(awarded_at, award)
    notice_end = awarded_at + 5 * DAY
    if i in (OBJECTION_DISMISSED, OBJECTION_UPHELD):
        upheld = i == OBJECTION_UPHELD

        async def object_and_decide() -> None:
            o = await year.anon.call(
                "POST",
                f"/awards/{st['award']}/objections",
                {
                    "name": "居民张先生",
                    "contact": "13953287416",
                    "grounds": "承榜组织在本社区的服务人员不足，担心影响服务质量。",
                },
            )
            committee = await year.login("committee")
            verdict = "uphold" if upheld else "dismiss"
            resolution = (
                "经核实，承榜组织人员配置确有不足，异议成立，撤销本次承榜。"
                if upheld
                else "经核实，承榜组织已补充服务人员，异议不成立。"
            )
            await committee.call("POST", f"/objections/{o['id']}/{verdict}", {"resolution": resolution})

        year.at(awarded_at + 2 * DAY, object_and_decide)
        if upheld:
            year.at(awarded_at + 3 * DAY, award)
            notice_end = awarded_at + 8 * DAY
    if fate == "awarded":
        return
    year.at(notice_end + HOUR, _tick(year))
    _schedule_project(year, st, fate, notice_end + 2 * HOUR, now)
    if category == "finance_education":
        _schedule_classes(year, st, fate, notice_end + 2 * HOUR, now, communities)


def _schedule_project(year: Year, st: dict[str, Any], fate: str, started: datetime, now: datetime) -> None:
    async def lead() -> Any:
        project = await _project_of(year, st["task"])
        st["project"] = project["id"]
        return await year.login(year.org_member[project["organization_id"]])

    async def milestones() -> None:
        member = await lead()
        for k, title in enumerate(["需求调研", "集中服务", "总结评估"]):
            due = (started + (20 + 35 * k) * DAY).date()
            await member.call(
                "POST", f"/projects/{st['project']}/milestones", {"title": title, "due_on": due.isoformat()}
            )

    async def report(k: int) -> None:
        member = await lead()
        await member.call(
            "POST",
            f"/projects/{st['project']}/reports",
            {"body": data.PROGRESS_NOTES[k], "percent_complete": 25 * (k + 1)},
        )

    async def feedback() -> None:
        await year.anon.call(
            "POST",
            f"/projects/{st['project']}/feedback",
            {"rating": year.rng.choice([4, 5, 5]), "comment": year.rng.choice(RESIDENT_COMMENTS), "name": "居民"},
        )

    async def deliver() -> None:
        member = await lead()
        await member.call("POST", f"/projects/{st['project']}/deliver")

    async def evaluate() -> None:
        committee = await year.login("committee")
        await committee.call(
            "POST",
            f"/projects/{st['project']}/evaluation",
            {"score": year.rng.choice([78, 86, 88, 91, 95, 96]), "comment": "按计划完成服务内容，台账规范。"},
        )

    year.at(at_local(started + DAY, 10), milestones)
    for k in range(4 if fate in ("closed", "delivered") else 2):
        when = at_local(started + (15 + 20 * k) * DAY, 16)
        if when < now:
            year.at(when, partial(report, k))
    year.at(at_local(started + 40 * DAY, 20, 15), feedback)
    if fate in ("closed", "delivered"):
        year.at(at_local(started + 90 * DAY, 11), deliver)
    if fate == "closed":
        year.at(at_local(started + 100 * DAY, 15), evaluate)


SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
MOBILE_PREFIXES = ["135", "136", "137", "138", "139", "150", "151", "152", "155", "158", "159", "186", "187", "188"]
GIVEN = ["秀英", "桂兰", "建国", "玉梅", "志强", "海燕", "淑珍", "德明", "丽华", "国庆", "春梅", "永红"]
CLASS_TOPICS = ["识别电信网络诈骗", "养老理财防骗指南", "手机支付安全", "家庭理财入门", "小额信贷与征信"]


def _resident(year: Year, taken: set[str]) -> dict[str, str]:
    """A resident with a mobile number that looks like a real one and is not yet signed up for the class."""
    name = year.rng.choice(SURNAMES) + year.rng.choice(GIVEN)
    phone = ""
    while not phone or phone in taken:
        phone = year.rng.choice(MOBILE_PREFIXES) + f"{year.rng.randrange(10**8):08d}"
    taken.add(phone)
    return {"name": name, "phone": phone}


def _schedule_classes(
    year: Year, st: dict[str, Any], fate: str, started: datetime, now: datetime, communities: list[str]
) -> None:
    """Night classes (金融夜校) of a finance-education project: sessions, sign-ups, a waitlist, attendance."""
    # Classes are held while the project is in progress: before delivery for finished ones, around now otherwise.
    # The organiser schedules each in office hours a week ahead; it runs in the evening, 19:00 Shanghai time.
    first = at_local(started + 10 * DAY if fate in ("closed", "delivered") else now - 20 * DAY, 10)
    for k in range(3):
        created = first + k * 14 * DAY
        starts = at_local(created + 7 * DAY, 19)
        seats = 20 if k == 0 else 30
        crowd = seats + 4 if k == 0 else seats - 8
        _schedule_one_class(year, st, k, created, starts, seats, crowd, communities[k % len(communities)], now)


def _schedule_one_class(
    year: Year,
    st: dict[str, Any],
    k: int,
    created: datetime,
    starts: datetime,
    seats: int,
    crowd: int,
    community: str,
    now: datetime,
) -> None:
    cls: dict[str, Any] = {"tokens": [], "phones": set()}

    async def create() -> None:
        project = await _project_of(year, st["task"])
        organiser = await year.login(year.org_member[project["organization_id"]])
        c = await organiser.call(
            "POST",
            f"/projects/{project['id']}/classes",
            {
                "topic": CLASS_TOPICS[(st["task"] + k) % len(CLASS_TOPICS)],
                "community_id": year.community_ids[community],
                "venue": f"{community}党群服务中心",
                "starts_at": starts.isoformat(),
                "seats": seats,
            },
        )
        cls["id"], cls["organiser"] = c["id"], organiser

    async def sign_up(n: int) -> None:
        receipt = await year.anon.call("POST", f"/classes/{cls['id']}/signups", _resident(year, cls["phones"]))
        cls["tokens"].append((receipt["id"], receipt["token"], receipt["status"]))

    async def cancel_two() -> None:
        confirmed = [(i, t) for i, t, status in cls["tokens"] if status == "confirmed"]
        for signup_id, token in confirmed[:2]:
            await year.anon.call("POST", f"/signups/{signup_id}/cancel", {"token": token})

    async def attendance() -> None:
        page = await cls["organiser"].call("GET", f"/classes/{cls['id']}/signups?status=confirmed")
        for row in page["items"]:
            await cls["organiser"].call(
                "POST",
                f"/classes/{cls['id']}/attendance",
                {"signup_id": row["id"], "attended": year.rng.random() < 0.85},
            )

    year.at(created, create)
    for n in range(crowd):
        when = created + DAY + n * (5 * DAY / crowd)
        if when < now:
            year.at(when, partial(sign_up, n))
    if crowd > seats and created + 6 * DAY < now:
        year.at(created + 6 * DAY, cancel_two)
    # Attendance is taken once the class is over (it runs about an hour and a half).
    if starts + 2 * HOUR < now:
        year.at(starts + 2 * HOUR, attendance)


def _schedule_drafts(year: Year, now: datetime) -> None:
    async def draft(spec: tuple[str, str, str, int, list[str], list[str], bool], cancel: bool) -> None:
        title, category, unit, budget_yuan, alliances, communities, joint = spec
        committee = await year.login("committee")
        t = await committee.call(
            "POST",
            "/tasks",
            {
                "title": title,
                "description": data.TASK_DESCRIPTIONS[title],
                "category": category,
                "posting_unit": unit,
                "budget_fen": budget_yuan * 100,
                "funding_mode": "activity_subsidy",
                "claim_deadline": (year.clock.now() + 30 * DAY).isoformat(),
                "alliances": alliances,
                "allow_joint": joint,
                "community_ids": [year.community_ids[c] for c in communities],
            },
        )
        if cancel:
            await committee.call("POST", f"/tasks/{t['id']}/cancel", {"reason": "与街道已有项目重复，暂不发榜。"})

    year.at(at_local(now - 30 * DAY, 10), partial(draft, data.DROPPED_TASK, True))
    year.at(at_local(now - DAY, 10), partial(draft, data.DRAFT_TASK, False))


def _eligible(year: Year, alliances: list[str]) -> list[str]:
    return [n for n, code, *_ in data.ORGANIZATIONS if code in alliances]


def _tick(year: Year) -> Any:
    async def run() -> None:
        committee = await year.login("committee")
        await committee.call("POST", "/tick")

    return run


async def _project_of(year: Year, task_id: int) -> dict[str, Any]:
    page = await year.anon.call("GET", "/projects?limit=100")
    items = page["items"] if isinstance(page, dict) else page
    for p in items:
        if p["task_id"] == task_id:
            return dict(p)
    raise LookupError(f"no project for task {task_id}")
