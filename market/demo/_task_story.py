"""The demo year's tasks, one by one: who claims what, how the panel scores, the award and its objections, and
what becomes of the work; and the drafts still on the committee's desk."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from market.demo import _data as data
from market.demo._class_story import schedule_classes
from market.demo._year import DAY, HOUR, Year, at_local, project_of
from market.scoring import DEFAULT_RUBRIC

CLAIM_DAYS = 10
# How an organisation introduces itself in a proposal; {org} and {communities} are filled in.
STRENGTHS = [
    "{org}长期扎根社区，熟悉{communities}的居民情况，有一支稳定的专职社工和志愿者队伍。",
    "{org}近三年承接同类项目五个，结项评估均为良好以上，与{communities}已有合作基础。",
    "{org}的骨干成员持有社会工作者、心理咨询师或法律职业资格证书，能保证服务的专业性。",
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


NEEDS_ANSWERED_BY_TASK = {0: [0], 1: [1], 2: [2], 3: [3], 6: [4], 7: [5], 8: [6], 20: [7], 11: [9]}


def _marks(quality: float, year: Year) -> dict[str, str]:
    """One member's marks: around the proposal's quality, one decimal each."""
    out = {}
    for c in DEFAULT_RUBRIC:
        raw = c.maximum * min(1.0, max(0.3, quality + year.rng.uniform(-0.08, 0.08)))
        out[c.name] = str(Decimal(round(raw * 2) / 2).quantize(Decimal("0.1")))
    return out


def schedule_task(year: Year, i: int, fate: str, posted: datetime, now: datetime) -> None:
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
        schedule_classes(year, st, fate, notice_end + 2 * HOUR, now, communities)


def _schedule_project(year: Year, st: dict[str, Any], fate: str, started: datetime, now: datetime) -> None:
    async def lead() -> Any:
        project = await project_of(year, st["task"])
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
        year.closed_projects_led[(await project_of(year, st["task"]))["organization_id"]] += 1

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


def schedule_drafts(year: Year, now: datetime) -> None:
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
