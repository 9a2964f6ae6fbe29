"""The generated district, planned row by row: the same rows for the same seed, and every rule holding at `now`.

Nothing here touches a database. `Plan.rows()` yields `(table name, values)` in an order that respects every
foreign key (reference data, needs, orders, tasks with everything that hangs off them, then the audit chain), so a
loader can write them in batches as they come. Time-driven states are stored as they stand at `now`: a task whose
deadline has passed is in review or unclaimed, an award whose notice period is over is confirmed, and the need
list agrees with what answers each need (`market.lists.need_state_from_links`, the rule the service itself uses).
"""

from __future__ import annotations

import hashlib
import inspect
import random
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import product
from typing import Any, cast

from alliances.credit_code import make_credit_code
from alliances.models import ServiceCategory
from alliances.phones import mask_name
from market import audit
from market.audit import GENESIS
from market.demo import _data as demo
from market.grading import grade_for
from market.kernel.audit import _fields as audit_fields  # the chain's exact canonical form, so `audit verify` agrees
from market.lists import need_state_from_links
from market.models import FundingMode, ResourceCategory, Role
from market.scoring import DEFAULT_RUBRIC, RankEntry, first_criterion_mean, from_tenths, proposal_score, rank
from market.states import (
    AwardStatus,
    InvitationStatus,
    NeedStatus,
    ObjectionStatus,
    OrderStatus,
    ProjectStatus,
    ProposalStatus,
    SignupStatus,
    TaskStatus,
)

Row = tuple[str, dict[str, Any]]

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
NOTICE = timedelta(days=5)
RUBRIC = [{"name": c.name, "maximum": c.maximum} for c in DEFAULT_RUBRIC]
FIRST_CRITERION = DEFAULT_RUBRIC[0].name
MAX_PROPOSALS_PER_TASK = 12
# Residents' numbers are kept this long after their class (the default of JIEBANG_PHONE_RETENTION_DAYS).
RETENTION_DAYS = 90
# Finance education is weighted up: its projects carry the night classes, and so the sign-ups.
CATEGORY_WEIGHTS = {c.value: (3 if c is ServiceCategory.FINANCE_EDUCATION else 1) for c in ServiceCategory}


@dataclass(frozen=True, slots=True)
class Scale:
    """How much to generate: the issue's sizes, plus the proportionate rest."""

    name: str
    tasks: int
    proposals: int
    signups: int
    needs: int
    organizations: int
    communities: int
    orders: int
    evaluators: int
    years: int


SCALES = {
    s.name: s
    for s in (
        # A few seconds' worth, for the test suite: every kind of record and state, checked by the rules.
        Scale("smoke", 60, 200, 400, 120, 24, 8, 40, 8, 2),
        Scale("district", 5_000, 20_000, 50_000, 10_000, 150, 25, 2_500, 30, 5),
        Scale("city", 100_000, 500_000, 1_000_000, 200_000, 3_000, 500, 50_000, 200, 5),
    )
}

_WORDS = (  # noqa: SIM905 - a word list reads best as words
    "立德 乐为 晨光 同心 启明 和美 向阳 益友 善行 春晖 阳光 暖心 携手 众合 博爱 仁和 睦邻 安康 彩虹 明德 "
    "恒信 新苗 海韵 青松 绿洲 和光 聚力 齐心 长青 惠民 致远 正源 德润 馨语 朝阳 百合 嘉禾 星火 晴川 畅和 "
    "书院 东山 九水 苍台 永年 沧口 杭州 京口 兴华 西流 虎山 枣山 浮山 金水 湘潭 黑龙江 振华 楼山 汉川 文昌"
).split()
_STREET_SUFFIXES = ("路街道", "街道")
_COMMUNITY_SUFFIXES = ("路", "里", "园", "苑", "花园", "新村")
_ORG_DISTRICTS = ("李沧区", "崂山区", "市北区", "青岛市")
_ORG_FIELDS = (
    "养老服务",
    "心理咨询",
    "法律服务",
    "金融知识",
    "文化艺术",
    "青少年成长",
    "环保公益",
    "社会工作",
)
_ORG_KINDS = ("服务中心", "服务社", "协会", "工作室", "志愿服务队")
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
_GIVEN = "建华秀梅立新芳晓东丽娟志强桂英明军玉兰海燕国庆红霞文静伟俊子涵雨萱浩然欣怡佳琪思远"
_RESIDENTS = [s + g1 + g2 for s in _SURNAMES[:20] for g1 in _GIVEN[:12] for g2 in _GIVEN[12:24]]
_UNITS = ("区民政局", "街道党工委", "高校社工系", "律师事务所", "区财政局", "区司法局", "社区卫生服务中心", "团区委")
_DISQUALIFY = "意向书缺少服务人员资质证明，不符合发榜要求。"
_OFF_RANK = "排名第一的组织本年度已承接同类项目三项，服务力量不足，经集体研究选择排名第二的意向书。"
_DECLINE_NEED = "该需求已由街道统一安排解决，不再列入需求清单。"
_DECLINE_ORDER = "本月服务日程已排满，请改约下月。"
_CANCEL_TASK = "街道已整合相关项目统一实施，本榜单取消。"
_OBJECTION = (
    "居民",
    "电话联系",
    "承接组织的服务人员数量与意向书所写不符，请核实。",
    "经核实服务人员配备符合要求，异议不成立。",
)
_MILESTONES = (("需求调研与建档", 30), ("中期服务与评估", 90))
_TOPICS = ("防范电信网络诈骗", "家庭理财入门", "识别非法集资", "养老金融与防骗", "手机支付安全")
_EVALUATION = ("服务按计划完成，居民反馈良好，台账规范。", "服务基本完成，部分环节记录不全，需改进。")


def _shanghai_hour(moment: datetime, hour_local: int) -> datetime:
    """The same UTC day at a given Shanghai hour (UTC+8, no daylight saving), whole seconds."""
    return moment.replace(hour=(hour_local - 8) % 24, minute=0, second=0, microsecond=0)


def _between(rng: random.Random, lo: datetime, hi: datetime) -> datetime:
    """A whole-second moment in [lo, hi] (lo when the window is empty)."""
    span = int((hi - lo).total_seconds())
    return lo + timedelta(seconds=int(rng.random() * (span + 1))) if span > 0 else lo


def _month_start(moment: datetime) -> date:
    return date(moment.year, moment.month, 1)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def allocate(rng: random.Random, total: int, base: list[int], caps: list[int], what: str) -> list[int]:
    """Exactly `total` spread over the items: each starts at its base, the rest land at random without passing a cap."""
    counts = list(base)
    remaining = total - sum(counts)
    room = [i for i, (n, cap) in enumerate(zip(counts, caps, strict=True)) if n < cap]
    if remaining < 0 or remaining > sum(caps) - sum(counts):
        raise ValueError(f"cannot place {total} {what} in {len(counts)} places (room for {sum(caps)})")
    for _ in range(remaining):
        k = rng.randrange(len(room))
        i = room[k]
        counts[i] += 1
        if counts[i] >= caps[i]:
            room[k] = room[-1]
            room.pop()
    return counts


@dataclass(slots=True)
class SessionPlan:
    """A night class planned for a finance-education project."""

    starts_at: datetime
    created_at: datetime
    seats: int
    community_id: int
    signups: int = 0


@dataclass(slots=True)
class TaskPlan:
    """One task's timeline; its state is where that timeline stands at `now`."""

    id: int
    category: str
    fate: str  # draft | cancelled | unclaimed | claimed
    created_at: datetime
    posted_at: datetime | None
    deadline: datetime
    alliance_ids: list[int]
    community_ids: list[int]
    status: TaskStatus = TaskStatus.DRAFT
    proposals: int = 0
    need_ids: list[int] = field(default_factory=list)
    cancelled_at: datetime | None = None
    awarded_at: datetime | None = None
    delivered_at: datetime | None = None
    closed_at: datetime | None = None
    sessions: list[SessionPlan] = field(default_factory=list)
    joint: bool = False

    @property
    def notice_ends_at(self) -> datetime:
        assert self.awarded_at is not None
        return self.awarded_at + NOTICE

    @property
    def qualified_at(self) -> datetime:
        return self.deadline + DAY


_STAGES = (
    TaskStatus.POSTED,
    TaskStatus.REVIEWING,
    TaskStatus.AWARDED,
    TaskStatus.IN_PROGRESS,
    TaskStatus.DELIVERED,
    TaskStatus.CLOSED,
)


def _reached(status: TaskStatus, stage: TaskStatus) -> bool:
    return status in _STAGES and _STAGES.index(status) >= _STAGES.index(stage)


class Plan:
    """Everything to generate for one scale, seed and moment."""

    def __init__(self, scale: Scale, *, now: datetime, seed: int, alliance_ids: list[int]) -> None:
        self.scale, self.now, self.seed = scale, now.replace(microsecond=0), seed
        self.start = self.now - timedelta(days=365 * scale.years)
        self.alliance_ids = alliance_ids
        self.audit: list[tuple[datetime, int, int | None, str, str, int, str, str, str, dict[str, Any]]] = []
        self.audit_head: tuple[str, int] = (GENESIS, 0)
        self._made: dict[str, int] = {}
        self._reference()
        self._plan_needs()
        self._plan_tasks()
        self._link_needs_to_tasks()
        self._plan_orders()
        self._plan_need_states()
        self._plan_classes()

    def _rng(self, phase: str) -> random.Random:
        # One stream per phase, so changing how one thing is generated leaves the others as they were.
        return random.Random(f"{self.seed}:{self.scale.name}:{phase}")

    def _id(self, table: str) -> int:
        self._made[table] = self._made.get(table, 0) + 1
        return self._made[table]

    def _event(
        self, at: datetime, actor: int | None, label: str, entity: str, entity_id: int, action: str, *moves: str
    ) -> None:
        before, after = (str(m) for m in moves)
        self.audit.append((at, len(self.audit), actor, label, entity, entity_id, action, before, after, {}))

    # Reference data -----------------------------------------------------------------------------------------

    def _reference(self) -> None:
        rng, s = self._rng("reference"), self.scale
        self.joined = self.start - timedelta(days=60)
        streets = -(-s.communities // 10)
        street_names = [w + sfx for sfx in _STREET_SUFFIXES for w in _WORDS][:streets]
        if len(street_names) < streets:
            raise ValueError(f"too many streets for the name list: {streets}")
        self.streets = list(enumerate(street_names, start=1))
        places = [w + sfx for w, sfx in product(_WORDS, _COMMUNITY_SUFFIXES)]
        rng.shuffle(places)
        ordinal = ["", "二", "三", "四", "五"]
        self.communities = [
            (i, f"{places[(i - 1) % len(places)]}{ordinal[(i - 1) // len(places)]}社区", (i - 1) % streets + 1)
            for i in range(1, s.communities + 1)
        ]
        names = [d + w + f + k for d, w, f, k in product(_ORG_DISTRICTS, _WORDS, _ORG_FIELDS, _ORG_KINDS)]
        rng.shuffle(names)
        categories = list(CATEGORY_WEIGHTS)
        self.orgs: list[tuple[int, str, int, list[str], bool, bool]] = []
        for i in range(1, s.organizations + 1):
            alliance = self.alliance_ids[(i - 1) % len(self.alliance_ids)]
            cats = rng.sample(categories, rng.choice((1, 1, 2)))
            suspended = rng.random() < 0.01
            self.orgs.append((i, names[i - 1], alliance, cats, rng.random() < 0.2, suspended))
        self.eligible: dict[int, list[int]] = {a: [] for a in self.alliance_ids}
        for oid, _, alliance, _, _, suspended in self.orgs:
            if not suspended:
                self.eligible[alliance].append(oid)
        # Users: the committee, evaluators (none works for an organisation: no recusals to plan), a secretary per
        # community, a member per organisation.
        self.committee_id = 1
        self.evaluator_ids = list(range(2, 2 + s.evaluators))
        first_secretary = 2 + s.evaluators
        self.secretary_of = {cid: first_secretary + cid - 1 for cid, _, _ in self.communities}
        first_member = first_secretary + s.communities
        self.member_of = {oid: first_member + oid - 1 for oid, *_ in self.orgs}
        park: list[tuple[str, str, list[str], int, str, int | None]] = [
            (t, c, g, cap, d, None) for t, c, g, cap, d in demo.PARK_SERVICES
        ]
        org_templates = [(t, c, g, cap, d) for _, t, c, g, cap, d in demo.ORG_OFFERINGS]
        offered: list[tuple[str, str, list[str], int, str, int | None]] = [
            (*org_templates[(oid - 1) % len(org_templates)], oid)
            for oid, *_ in self.orgs[: max(1, s.organizations // 2)]
        ]
        self.offerings = [(i, *o) for i, o in enumerate(park + offered, start=1)]

    def _reference_rows(self) -> Iterator[Row]:
        at = {"created_at": self.joined, "updated_at": self.joined}
        for sid, name in self.streets:
            yield "streets", {"id": sid, "name": name, **at}
        for cid, name, street in self.communities:
            yield "communities", {"id": cid, "name": name, "street_id": street, **at}
        for oid, name, alliance, cats, resident, suspended in self.orgs:
            yield (
                "organizations",
                {
                    "id": oid,
                    "name": name,
                    "credit_code": make_credit_code(f"52370213MJE{oid:06d}"),
                    "alliance_id": alliance,
                    "categories": cats,
                    "resident": resident,
                    "status": "suspended" if suspended else "active",
                    "description": f"{name}扎根社区，提供{'、'.join(cats)}方面的专业服务。",
                    "contact_phone": f"0532-8{oid:07d}",
                    **at,
                },
            )
        rng = self._rng("people")
        yield from self._users(rng)
        for oid_, title, category, groups, capacity, description, org in self.offerings:
            yield (
                "offerings",
                {
                    "id": oid_,
                    "title": title,
                    "description": description,
                    "category": ResourceCategory(category).value,
                    "target_groups": groups,
                    "monthly_capacity": capacity if org is None else max(capacity, 2),
                    "organization_id": org,
                    "active": True,
                    "created_by_id": self.committee_id if org is None else self.member_of[org],
                    **at,
                },
            )

    def _users(self, rng: random.Random) -> Iterator[Row]:
        people: list[tuple[int, str, Role, str, int | None, int | None]] = [
            (self.committee_id, "committee", Role.COMMITTEE, "创新园综合党委", None, None)
        ]
        for n, uid in enumerate(self.evaluator_ids, start=1):
            who = f"{rng.choice(_SURNAMES)}{rng.choice(_GIVEN)}{rng.choice(_GIVEN)}（{rng.choice(_UNITS)}）"
            people.append((uid, f"eval-{n:04d}", Role.EVALUATOR, who, None, None))
        for cid, name, _ in self.communities:
            people.append((self.secretary_of[cid], f"sec-{cid:04d}", Role.SECRETARY, f"{name}书记", None, cid))
        for oid, name, *_ in self.orgs:
            people.append((self.member_of[oid], f"org-{oid:04d}", Role.ORG, name[:50], oid, None))
        for uid, username, role, who, org, community in people:
            yield (
                "users",
                {
                    "id": uid,
                    "username": username,
                    "password_hash": "",  # filled in by the loader: one argon2id hash for every bench account
                    "role": role.value,
                    "display_name": who,
                    "email": "",
                    "organization_id": org,
                    "community_id": community,
                    "is_active": True,
                    "created_at": self.joined,
                    "updated_at": self.joined,
                },
            )
            self._event(self.joined, None, "system", "user", uid, "create", "", "active")

    # Needs ----------------------------------------------------------------------------------------------------

    def _plan_needs(self) -> None:
        rng, n = self._rng("needs"), self.scale.needs
        raised = sorted(_between(rng, self.start - 30 * DAY, self.now - HOUR) for _ in range(n))
        cats = rng.choices(list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()), k=n)
        self.need_time = raised
        self.need_category = cats
        self.need_community: list[int | None] = []
        self.need_org: list[int | None] = []
        for _ in range(n):
            if rng.random() < 0.85:
                self.need_community.append(rng.randint(1, self.scale.communities))
                self.need_org.append(None)
            else:
                self.need_community.append(None)
                self.need_org.append(rng.randint(1, self.scale.organizations))
        # Declined by the committee three days after it was raised (still open if that is after now).
        self.need_declined = [rng.random() < 0.04 for _ in range(n)]
        self.need_task: list[TaskPlan | None] = [None] * n
        self.need_order: list[OrderStatus | None] = [None] * n

    def _link_needs_to_tasks(self) -> None:
        rng = self._rng("need-links")
        pools: dict[str, deque[int]] = {c: deque() for c in CATEGORY_WEIGHTS}
        j, n = 0, self.scale.needs
        for t in self.tasks:
            if t.posted_at is None:
                continue
            while j < n and self.need_time[j] <= t.posted_at:
                if not self.need_declined[j]:
                    pools[self.need_category[j]].append(j)
                j += 1
            pool = pools[t.category]
            for _ in range(rng.choices((0, 1, 2), weights=(25, 55, 20))[0]):
                if pool:
                    k = pool.popleft()
                    self.need_task[k] = t
                    t.need_ids.append(k + 1)

    def _plan_need_states(self) -> None:
        self.need_status: list[NeedStatus] = []
        for k in range(self.scale.needs):
            if self.need_declined[k] and self.need_time[k] + 3 * DAY <= self.now:
                self.need_status.append(NeedStatus.DECLINED)
                continue
            task, order = self.need_task[k], self.need_order[k]
            self.need_status.append(
                need_state_from_links([task.status] if task else [], [order] if order is not None else [])
            )

    def _need_rows(self) -> Iterator[Row]:
        community_needs: dict[str, list[tuple[str, str]]] = {}
        for _, title, category, description in demo.COMMUNITY_NEEDS:
            community_needs.setdefault(category, []).append((title, description))
        org_needs = [(title, description) for _, title, _, description in demo.ORG_NEEDS]
        any_community_need = [need for needs in community_needs.values() for need in needs]
        for k in range(self.scale.needs):
            community, org, category = self.need_community[k], self.need_org[k], self.need_category[k]
            choices = (community_needs.get(category) or any_community_need) if community else org_needs
            title, description = choices[k % len(choices)]
            status = self.need_status[k]
            raised = self.need_time[k]
            yield (
                "needs",
                {
                    "id": k + 1,
                    "title": title,
                    "description": description,
                    "category": category,
                    "community_id": community,
                    "organization_id": org,
                    "raised_by_id": self.secretary_of[community] if community else self.member_of[org or 0],
                    "status": status.value,
                    "decline_reason": _DECLINE_NEED if status is NeedStatus.DECLINED else "",
                    "raised_at": raised,
                    "created_at": raised,
                    "updated_at": raised,
                },
            )

    # Service orders -------------------------------------------------------------------------------------------

    def _plan_orders(self) -> None:
        rng, n = self._rng("orders"), self.scale.orders
        waiting: dict[int, deque[int]] = {}
        for k in range(self.scale.needs):
            community = self.need_community[k]
            if community and self.need_task[k] is None and not self.need_declined[k]:
                waiting.setdefault(community, deque()).append(k)
        held: dict[tuple[int, date], int] = {}
        capacity = {o[0]: (o[4] if o[6] is None else max(o[4], 2)) for o in self.offerings}
        self.orders: list[dict[str, Any]] = []
        for ordered_at in sorted(_between(rng, self.start, self.now - HOUR) for _ in range(n)):
            community = rng.randint(1, self.scale.communities)
            offering = rng.randint(1, len(self.offerings))
            month = _month_start(ordered_at)
            if rng.random() < 0.5:
                month = _next_month(month)
            need = None
            queue = waiting.get(community)
            if queue and rng.random() < 0.4 and self.need_time[queue[0]] <= ordered_at:
                need = queue.popleft()
            decided = ordered_at + timedelta(hours=rng.randint(4, 120))
            status, reason, decided_at, delivered_at, rating = OrderStatus.REQUESTED, "", None, None, None
            fate = rng.random()
            if decided <= self.now:
                decided_at = decided
                if fate < 0.05:
                    status = OrderStatus.CANCELLED
                elif fate < 0.12 or held.get((offering, month), 0) >= capacity[offering]:
                    status, reason = OrderStatus.DECLINED, _DECLINE_ORDER
                else:
                    status = OrderStatus.ACCEPTED
                    held[(offering, month)] = held.get((offering, month), 0) + 1
                    delivery = max(decided + DAY, _shanghai_hour(datetime.combine(month, ordered_at.timetz()), 15))
                    delivery += timedelta(days=rng.randint(3, 25))
                    if delivery <= self.now:
                        status, delivered_at = OrderStatus.DELIVERED, delivery
                        if rng.random() < 0.7 and delivery + 2 * DAY <= self.now:
                            status, rating = OrderStatus.RATED, rng.choice((3, 4, 4, 5, 5, 5))
            if need is not None:
                self.need_order[need] = status
            self.orders.append(
                {
                    "offering_id": offering,
                    "community_id": community,
                    "ordered_by_id": self.secretary_of[community],
                    "need_id": None if need is None else need + 1,
                    "meeting_id": None,
                    "service_month": month,
                    "note": "",
                    "status": status.value,
                    "decline_reason": reason,
                    "rating": rating,
                    "rating_comment": "服务认真，居民满意。" if rating else "",
                    "ordered_at": ordered_at,
                    "decided_at": None if status is OrderStatus.REQUESTED else decided_at,
                    "delivered_at": delivered_at,
                    "created_at": ordered_at,
                    "updated_at": max(x for x in (ordered_at, decided_at, delivered_at) if x is not None),
                }
            )

    def _order_rows(self) -> Iterator[Row]:
        for i, order in enumerate(self.orders, start=1):
            yield "service_orders", {"id": i, **order}

    # Tasks ----------------------------------------------------------------------------------------------------

    def _plan_tasks(self) -> None:
        rng, s, now = self._rng("tasks"), self.scale, self.now
        fates = rng.choices(("draft", "cancelled", "unclaimed", "claimed"), weights=(1, 3, 6, 90), k=s.tasks)
        timed: list[tuple[datetime, str]] = []
        for fate in fates:
            if fate == "draft":
                timed.append((_between(rng, now - 60 * DAY, now - HOUR), fate))
            elif rng.random() < 0.85:
                timed.append((_between(rng, self.start, now - DAY), fate))
            else:
                # A share of recent posting, so that open, in-review and in-notice tasks are there at every scale.
                timed.append((_between(rng, now - 45 * DAY, now - HOUR), fate))
        # Ids follow posting order, as they would have been handed out; drafts, never posted, by creation.
        timed.sort()
        self.tasks: list[TaskPlan] = []
        for i, (when, fate) in enumerate(timed, start=1):
            category = rng.choices(list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()))[0]
            alliances = rng.sample(self.alliance_ids, rng.choices((1, 2, 3, 4), weights=(50, 35, 10, 5))[0])
            communities = rng.sample(range(1, s.communities + 1), min(s.communities, rng.choice((1, 1, 2))))
            posted = None if fate == "draft" else when
            created = when if fate == "draft" else when - timedelta(hours=rng.randint(24, 240))
            deadline = _shanghai_hour(when + timedelta(days=rng.randint(10, 30)), 17)
            t = TaskPlan(i, category, fate, created, posted, deadline, sorted(alliances), sorted(communities))
            self._timeline(t, rng)
            self.tasks.append(t)
        claimed = [t for t in self.tasks if t.fate == "claimed"]
        caps = [min(MAX_PROPOSALS_PER_TASK, len(self._eligible(t))) for t in claimed]
        counts = allocate(rng, s.proposals, [1] * len(claimed), caps, "proposals")
        for t, c in zip(claimed, counts, strict=True):
            t.proposals = c

    def _timeline(self, t: TaskPlan, rng: random.Random) -> None:
        now = self.now
        if t.posted_at is None:
            return
        t.status = TaskStatus.POSTED
        if t.fate == "cancelled":
            window = (t.deadline - t.posted_at).total_seconds()
            cancel = t.posted_at + timedelta(seconds=int(window * rng.uniform(0.1, 0.9)))
            if cancel <= now:
                t.status, t.cancelled_at, t.closed_at = TaskStatus.CANCELLED, cancel, cancel
            return
        if t.deadline > now:
            return
        if t.fate == "unclaimed":
            t.status, t.closed_at = TaskStatus.UNCLAIMED, t.deadline
            return
        t.status = TaskStatus.REVIEWING
        t.awarded_at = _shanghai_hour(t.deadline + timedelta(days=rng.randint(4, 15)), 10)
        delivered = t.notice_ends_at + timedelta(days=rng.randint(60, 240))
        closed = delivered + timedelta(days=rng.randint(5, 30))
        if t.awarded_at > now:
            t.awarded_at = None
            return
        t.status = TaskStatus.AWARDED
        if t.notice_ends_at > now:
            return
        t.status = TaskStatus.IN_PROGRESS
        if delivered > now:
            return
        t.status, t.delivered_at = TaskStatus.DELIVERED, delivered
        if closed <= now:
            t.status, t.closed_at = TaskStatus.CLOSED, closed

    def _eligible(self, t: TaskPlan) -> list[int]:
        return [o for a in t.alliance_ids for o in self.eligible[a]]

    def _plan_classes(self) -> None:
        rng = self._rng("classes")
        sessions: list[SessionPlan] = []
        for t in self.tasks:
            if t.category != ServiceCategory.FINANCE_EDUCATION or not _reached(t.status, TaskStatus.IN_PROGRESS):
                continue
            started = t.notice_ends_at
            until = t.delivered_at or started + 150 * DAY
            for _ in range(rng.randint(2, 6)):
                starts = _shanghai_hour(_between(rng, started + 7 * DAY, until), 19)
                created = min(started + timedelta(hours=rng.randint(2, 72)), self.now)
                s = SessionPlan(starts, created, rng.randint(20, 60), rng.choice(t.community_ids))
                t.sessions.append(s)
                sessions.append(s)
        counts = allocate(rng, self.scale.signups, [0] * len(sessions), [2 * s.seats for s in sessions], "sign-ups")
        for s, c in zip(sessions, counts, strict=True):
            s.signups = c

    def _task_rows(self) -> Iterator[Row]:
        rng = self._rng("task-rows")
        descriptions = list(demo.TASK_DESCRIPTIONS.values())
        titles: dict[str, list[str]] = {}
        for title, category, *_ in demo.TASKS:
            titles.setdefault(category, []).append(title)
        community_name = {cid: name for cid, name, _ in self.communities}
        street_name = dict(self.streets)
        street_of = {cid: street for cid, _, street in self.communities}
        for t in self.tasks:
            options = titles.get(t.category) or titles["other"]
            place = community_name[t.community_ids[0]]
            budget = rng.randint(20, 200) * 1000 * 100
            updated = max(x for x in (t.created_at, t.posted_at, t.closed_at, t.delivered_at) if x is not None)
            proposals = list(self._proposals(t, rng, budget))
            yield (
                "tasks",
                {
                    "id": t.id,
                    "title": f"{place.removesuffix('社区')}{options[t.id % len(options)]}",
                    "description": descriptions[t.id % len(descriptions)],
                    "category": t.category,
                    "posting_unit": street_name[street_of[t.community_ids[0]]],
                    "budget_fen": budget,
                    "funding_mode": rng.choice(list(FundingMode)).value,
                    "claim_deadline": t.deadline,
                    "allow_joint": t.joint,
                    "rubric": RUBRIC,
                    "status": t.status.value,
                    "posted_at": t.posted_at,
                    "closed_at": t.closed_at,
                    "cancel_reason": _CANCEL_TASK if t.status is TaskStatus.CANCELLED else "",
                    "created_by_id": self.committee_id,
                    "reposted_from_id": None,
                    "submitted_count": sum(1 for p in proposals if p.counted),
                    "created_at": t.created_at,
                    "updated_at": updated,
                },
            )
            for a in t.alliance_ids:
                yield "task_alliances", {"task_id": t.id, "alliance_id": a}
            for c in t.community_ids:
                yield "task_communities", {"task_id": t.id, "community_id": c}
            for n in t.need_ids:
                yield "task_needs", {"task_id": t.id, "need_id": n}
            yield from self._claim_rows(t, proposals, rng)
            self._task_events(t)

    def _task_events(self, t: TaskPlan) -> None:
        committee, T = self.committee_id, TaskStatus
        if t.posted_at is None:
            return
        self._event(t.posted_at, committee, "committee", "task", t.id, "post", T.DRAFT, T.POSTED)
        if t.cancelled_at:
            self._event(t.cancelled_at, committee, "committee", "task", t.id, "cancel", T.POSTED, T.CANCELLED)
        if t.status is T.UNCLAIMED:
            self._event(t.deadline, None, "system", "task", t.id, "deadline", T.POSTED, T.UNCLAIMED)
        if not _reached(t.status, T.REVIEWING):
            return
        self._event(t.deadline, None, "system", "task", t.id, "deadline", T.POSTED, T.REVIEWING)
        if t.awarded_at:
            self._event(t.awarded_at, committee, "committee", "task", t.id, "award", T.REVIEWING, T.AWARDED)
        if _reached(t.status, T.IN_PROGRESS):
            self._event(t.notice_ends_at, None, "system", "task", t.id, "confirm", T.AWARDED, T.IN_PROGRESS)
        if t.delivered_at:
            self._event(t.delivered_at, None, "system", "task", t.id, "deliver", T.IN_PROGRESS, T.DELIVERED)
        if t.status is T.CLOSED and t.closed_at:
            self._event(t.closed_at, committee, "committee", "task", t.id, "close", T.DELIVERED, T.CLOSED)

    # Proposals, the panel, the award and the project -----------------------------------------------------------

    def _proposals(self, t: TaskPlan, rng: random.Random, budget: int) -> Iterator[_Proposal]:
        t.joint = rng.random() < 0.3
        if not t.proposals:
            return
        orgs = rng.sample(self._eligible(t), len(self._eligible(t)))
        open_until = min(t.deadline, self.now)
        decided = t.status is not TaskStatus.POSTED and self.now >= t.qualified_at
        for n in range(t.proposals):
            lead = orgs.pop()
            partner = orgs.pop() if t.joint and len(orgs) > t.proposals - n and rng.random() < 0.4 else None
            kind = "submitted" if n == 0 else rng.choices(("submitted", "draft", "withdrawn"), weights=(85, 7, 8))[0]
            created = _between(rng, t.posted_at or t.created_at, open_until)
            acted = _between(rng, created, open_until)
            status = {"draft": ProposalStatus.DRAFT, "withdrawn": ProposalStatus.WITHDRAWN}.get(
                kind, ProposalStatus.SUBMITTED
            )
            if kind == "submitted" and decided:
                status = ProposalStatus.QUALIFIED if n == 0 or rng.random() < 0.88 else ProposalStatus.DISQUALIFIED
            yield _Proposal(
                id=self._id("proposals"),
                lead=lead,
                partner=partner,
                status=status,
                created_at=created,
                acted_at=acted,
                budget=min(budget, rng.randint(70, 100) * budget // 100 // 10000 * 10000 or budget),
                quality=rng.uniform(0.5, 0.95),
                counted=kind == "submitted",
            )

    def _claim_rows(self, t: TaskPlan, proposals: list[_Proposal], rng: random.Random) -> Iterator[Row]:
        plan_text = demo.PROPOSAL_PLANS.get(t.category) or next(iter(demo.PROPOSAL_PLANS.values()))
        scored = t.status is not TaskStatus.POSTED and self.now >= t.qualified_at
        panel = rng.sample(self.evaluator_ids, rng.choices((3, 5, 7), weights=(70, 25, 5))[0]) if scored else []
        qualified = [p for p in proposals if p.status is ProposalStatus.QUALIFIED]
        complete = _reached(t.status, TaskStatus.AWARDED)
        scores: dict[tuple[int, int], dict[str, int]] = {}
        for p in qualified:
            for member in panel:
                if complete or rng.random() < 0.6:
                    scores[(p.id, member)] = self._marks(rng, p.quality)
        award_rows: list[Row] = []
        if complete:
            award_rows = self._award(t, qualified, panel, scores, rng)
        for p in proposals:
            submitted = p.acted_at if p.counted else None
            yield (
                "proposals",
                {
                    "id": p.id,
                    "task_id": t.id,
                    "lead_org_id": p.lead,
                    "status": p.status.value,
                    "strengths": "团队有五年以上社区服务经验，骨干成员均持有社会工作者证书。",
                    "work_plan": plan_text[0],
                    "expected_results": plan_text[1],
                    "requested_budget_fen": p.budget,
                    "submitted_at": submitted,
                    "withdrawn_at": p.acted_at if p.status is ProposalStatus.WITHDRAWN else None,
                    "disqualify_reason": _DISQUALIFY if p.status is ProposalStatus.DISQUALIFIED else "",
                    "created_by_id": self.member_of[p.lead],
                    "created_at": p.created_at,
                    "updated_at": p.acted_at,
                },
            )
            # A cancelled task releases its organisations; a withdrawn proposal releases its own.
            live = p.status is not ProposalStatus.WITHDRAWN and t.status is not TaskStatus.CANCELLED
            yield (
                "proposal_members",
                {
                    "id": self._id("proposal_members"),
                    "proposal_id": p.id,
                    "task_id": t.id,
                    "organization_id": p.lead,
                    "invitation": InvitationStatus.LEAD.value,
                    "live": live,
                    "answered_at": None,
                    "created_at": p.created_at,
                    "updated_at": p.created_at,
                },
            )
            if p.partner is not None:
                yield (
                    "proposal_members",
                    {
                        "id": self._id("proposal_members"),
                        "proposal_id": p.id,
                        "task_id": t.id,
                        "organization_id": p.partner,
                        "invitation": InvitationStatus.ACCEPTED.value,
                        "live": live,
                        "answered_at": p.created_at,
                        "created_at": p.created_at,
                        "updated_at": p.created_at,
                    },
                )
        formed = t.qualified_at
        for member in panel:
            yield (
                "panel_members",
                {
                    "id": self._id("panel_members"),
                    "task_id": t.id,
                    "user_id": member,
                    "created_at": formed,
                    "updated_at": formed,
                },
            )
        scoring_ends = min(t.awarded_at or self.now, self.now)
        for (proposal_id, member), marks in scores.items():
            at = _between(rng, formed, scoring_ends)
            yield (
                "scores",
                {
                    "id": self._id("scores"),
                    "task_id": t.id,
                    "proposal_id": proposal_id,
                    "user_id": member,
                    "marks_tenths": marks,
                    "total_tenths": sum(marks.values()),
                    "created_at": at,
                    "updated_at": at,
                },
            )
        yield from award_rows

    def _marks(self, rng: random.Random, quality: float) -> dict[str, int]:
        return {
            c.name: round(c.maximum * 10 * min(1.0, max(0.0, quality + rng.uniform(-0.08, 0.08))))
            for c in DEFAULT_RUBRIC
        }

    def _award(
        self,
        t: TaskPlan,
        qualified: list[_Proposal],
        panel: list[int],
        scores: dict[tuple[int, int], dict[str, int]],
        rng: random.Random,
    ) -> list[Row]:
        """The award the committee made from the complete ranking, and what followed it up to now."""
        assert t.awarded_at is not None
        entries = [
            RankEntry(
                p.id,
                proposal_score([from_tenths(sum(scores[(p.id, m)].values())) for m in panel]) or Decimal(0),
                first_criterion_mean([from_tenths(scores[(p.id, m)][FIRST_CRITERION]) for m in panel]),
                p.acted_at,
            )
            for p in qualified
        ]
        ranked = rank(entries)
        position = 1 if len(ranked) < 2 or rng.random() >= 0.05 else 2
        winner = next(p for p in qualified if p.id == ranked[position - 1].proposal_id)
        confirmed = _reached(t.status, TaskStatus.IN_PROGRESS)
        for p in qualified:
            if p is winner:
                p.status = ProposalStatus.AWARDED
            elif confirmed:
                p.status = ProposalStatus.NOT_AWARDED
        award_id = self._id("awards")
        rows: list[Row] = [
            (
                "awards",
                {
                    "id": award_id,
                    "task_id": t.id,
                    "proposal_id": winner.id,
                    "status": (AwardStatus.CONFIRMED if confirmed else AwardStatus.NOTICE).value,
                    "rank_at_award": position,
                    "reason": _OFF_RANK if position > 1 else "",
                    "awarded_by_id": self.committee_id,
                    "awarded_at": t.awarded_at,
                    "notice_ends_at": t.notice_ends_at,
                    "decided_at": t.notice_ends_at if confirmed else None,
                    "created_at": t.awarded_at,
                    "updated_at": t.notice_ends_at if confirmed else t.awarded_at,
                },
            )
        ]
        if rng.random() < 0.03:
            # An objection lodged in the notice period and dismissed before it ended (open if that is still ahead).
            lodged = t.awarded_at + timedelta(hours=rng.randint(2, 72))
            resolved = lodged + DAY
            if lodged <= self.now:
                name, contact, grounds, resolution = _OBJECTION
                done = resolved <= self.now
                rows.append(
                    (
                        "objections",
                        {
                            "id": self._id("objections"),
                            "award_id": award_id,
                            "task_id": t.id,
                            "lodged_by_id": None,
                            "name": name,
                            "contact": contact,
                            "grounds": grounds,
                            "status": (ObjectionStatus.DISMISSED if done else ObjectionStatus.OPEN).value,
                            "resolution": resolution if done else "",
                            "resolved_by_id": self.committee_id if done else None,
                            "resolved_at": resolved if done else None,
                            "created_at": lodged,
                            "updated_at": resolved if done else lodged,
                        },
                    )
                )
        if confirmed:
            rows += self._project(t, award_id, winner, rng)
        return rows

    def _project(self, t: TaskPlan, award_id: int, winner: _Proposal, rng: random.Random) -> list[Row]:
        started = t.notice_ends_at
        project_id = self._id("projects")
        status = {
            TaskStatus.IN_PROGRESS: ProjectStatus.IN_PROGRESS,
            TaskStatus.DELIVERED: ProjectStatus.DELIVERED,
            TaskStatus.CLOSED: ProjectStatus.CLOSED,
        }[t.status]
        score = rng.choice((98, 96, 92, 90, 88, 86, 82, 80, 78, 76, 70)) if status is ProjectStatus.CLOSED else None
        rows: list[Row] = [
            (
                "projects",
                {
                    "id": project_id,
                    "task_id": t.id,
                    "award_id": award_id,
                    "proposal_id": winner.id,
                    "organization_id": winner.lead,
                    "title": "",  # the task's title, filled in below from the task row
                    "category": t.category,
                    "budget_fen": winner.budget,
                    "status": status.value,
                    "started_at": started,
                    "delivered_at": t.delivered_at,
                    "closed_at": t.closed_at if status is ProjectStatus.CLOSED else None,
                    "final_score": score,
                    "grade": grade_for(score).value if score is not None else None,
                    "evaluation": _EVALUATION[0 if (score or 0) >= 85 else 1] if score is not None else "",
                    "evaluated_by_id": self.committee_id if score is not None else None,
                    "created_at": started,
                    "updated_at": t.closed_at or t.delivered_at or started,
                },
            )
        ]
        today = self.now.date()
        for title, days in _MILESTONES:
            due = (started + timedelta(days=days)).date()
            rows.append(
                (
                    "milestones",
                    {
                        "id": self._id("milestones"),
                        "project_id": project_id,
                        "title": title,
                        "due_on": due,
                        "done_on": due if due <= today else None,
                        "created_at": started,
                        "updated_at": started,
                    },
                )
            )
        for s in t.sessions:
            rows += self._class_rows(project_id, winner.lead, s, rng)
        return rows

    def _class_rows(self, project_id: int, org: int, s: SessionPlan, rng: random.Random) -> list[Row]:
        session_id = self._id("class_sessions")
        window_end = min(s.starts_at, self.now)
        arrivals = sorted(_between(rng, s.created_at, window_end) for _ in range(s.signups))
        statuses: list[SignupStatus] = []
        waiting: deque[int] = deque()
        for k in range(s.signups):
            if k < s.seats:
                statuses.append(SignupStatus.CONFIRMED)
            else:
                statuses.append(SignupStatus.WAITLISTED)
                waiting.append(k)
        promoted: dict[int, datetime] = {}
        cancelled: dict[int, datetime] = {}
        # Cancellations come after the last arrival, each promoting the head of the waitlist if it frees a seat.
        last = arrivals[-1] if arrivals else s.created_at
        for k in sorted(k for k in range(s.signups) if rng.random() < 0.05):
            at = _between(rng, last, window_end)
            if statuses[k] is SignupStatus.CONFIRMED and waiting:
                head = waiting.popleft()
                statuses[head], promoted[head] = SignupStatus.CONFIRMED, at
            elif statuses[k] is SignupStatus.WAITLISTED:
                waiting.remove(k)
            statuses[k], cancelled[k] = SignupStatus.CANCELLED, at
        confirmed = statuses.count(SignupStatus.CONFIRMED)
        # A class past the retention period has had its residents' numbers erased by the tick (market/privacy.py).
        erased_at = s.starts_at + timedelta(days=RETENTION_DAYS)
        if erased_at > self.now:
            erased_at = None
        rows: list[Row] = [
            (
                "class_sessions",
                {
                    "id": session_id,
                    "project_id": project_id,
                    "topic": rng.choice(_TOPICS),
                    "community_id": s.community_id,
                    "venue": "社区党群服务中心多功能厅",
                    "starts_at": s.starts_at,
                    "seats": s.seats,
                    "created_by_id": self.member_of[org],
                    "confirmed_count": confirmed,
                    "waitlist_count": len(waiting),
                    "attended_count": 0,
                    "numbers_erased_at": erased_at,
                    "created_at": s.created_at,
                    "updated_at": max([s.created_at, *arrivals, *cancelled.values()]),
                },
            )
        ]
        held = s.starts_at <= self.now
        # Distinct numbers within a session (step coprime to the range); residents recur across sessions.
        base = rng.randrange(10**9)
        for k in range(s.signups):
            signup_id = self._id("signups")
            status = statuses[k]
            at = arrivals[k]
            resident = _RESIDENTS[int(rng.random() * len(_RESIDENTS))]
            attended = (rng.random() < 0.85) if held and status is SignupStatus.CONFIRMED else None
            # Kept on the session as the service keeps it with each attendance it records.
            rows[0][1]["attended_count"] += int(attended is True)
            rows.append(
                (
                    "signups",
                    {
                        "id": signup_id,
                        "session_id": session_id,
                        "name": mask_name(resident) if erased_at else resident,
                        # In clear here, as residents type it; the writer seals and hashes it as the service does.
                        "phone": None if erased_at else f"13{(base + k * 104_729) % 10**9:09d}",
                        "erased_at": erased_at,
                        "status": status.value,
                        "token_hash": hashlib.sha256(f"bench:{self.seed}:{signup_id}".encode()).hexdigest(),
                        "signed_up_at": at,
                        "promoted_at": promoted.get(k),
                        "cancelled_at": cancelled.get(k),
                        "attended": attended,
                        "created_at": at,
                        "updated_at": cancelled.get(k) or promoted.get(k) or at,
                    },
                )
            )
        return rows

    # Everything, in foreign-key order -----------------------------------------------------------------------------

    def rows(self) -> Iterator[Row]:
        """Every row to load, parents before children, the audit chain last."""
        yield from self._reference_rows()
        yield from self._need_rows()
        yield from self._order_rows()
        titles: dict[int, str] = {}
        for table, row in self._task_rows():
            if table == "tasks":
                titles[row["id"]] = row["title"]
            elif table == "projects":
                row["title"] = titles[row["task_id"]]
            yield table, row
        yield from self._audit_rows()

    def _audit_rows(self) -> Iterator[Row]:
        entry_hash = chain_hash()
        prev = GENESIS
        self.audit.sort(key=lambda e: (e[0], e[1]))
        for n, (at, _, actor, label, entity, entity_id, action, before, after, data) in enumerate(self.audit, 1):
            digest = entry_hash(prev, audit_fields(at, actor, label, entity, entity_id, action, before, after, data))
            yield (
                "audit_entries",
                {
                    "id": n,
                    "at": at,
                    "actor_id": actor,
                    "actor_label": label,
                    "entity": entity,
                    "entity_id": entity_id,
                    "action": action,
                    "before": before,
                    "after": after,
                    "data": data,
                    "prev_hash": prev,
                    "hash": digest,
                    "created_at": at,
                    "updated_at": at,
                },
            )
            prev = digest
        self.audit_head = (prev, len(self.audit))


def chain_hash() -> Callable[[str, dict[str, Any]], str]:
    """The audit chain's hash of (previous hash, fields), as `market.audit.verify` recomputes it.

    The chain is keyed (HMAC with the audit key from the settings, as `jiebang audit verify` uses) where
    `market.audit.entry_hash` takes a key, and a plain hash where it does not.
    """
    hash_of: Any = audit.entry_hash
    if "key" not in inspect.signature(hash_of).parameters:
        return cast(Callable[[str, dict[str, Any]], str], hash_of)
    from market.settings import get_settings

    key = get_settings().effective_audit_key()  # type: ignore[attr-defined,unused-ignore]
    return lambda prev, fields: cast(str, hash_of(key, prev, fields))


@dataclass(slots=True)
class _Proposal:
    id: int
    lead: int
    partner: int | None
    status: ProposalStatus
    created_at: datetime
    acted_at: datetime
    budget: int
    quality: float
    counted: bool
