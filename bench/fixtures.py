"""What `bench/run` needs on top of the generated district, made through jiebang's own API (in process, on a
manual clock, as the demo loader plays its year) so every rule holds:

- a task with 200 qualified proposals scored by a 7-member panel (the committee's ranking; most marks are written
  as rows, as bench.generate writes them, the last of each member's through the API);
- a second task with 200 qualified proposals and the same panel, nobody scored yet (an evaluator's scoring submit:
  re-scoring is allowed until the panel is complete, so the benchmark can submit again and again);
- a finance-education project with 20 night classes of 1,000 seats a month ahead (the sign-up burst).

Usage: .venv/bin/python bench/fixtures.py OUT.json  (database from JIEBANG_DATABASE_URL, like `jiebang`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import random
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from alliances.credit_code import make_credit_code
from market.demo._year import Year
from market.kernel.clock import ManualClock, SystemClock
from market.kernel.db import create_engine, writing
from market.models import Project, Role, Score
from market.scoring import DEFAULT_RUBRIC
from market.services._accounts import ensure_account
from market.settings import get_settings

PASSWORD = "bench-password-2026"  # noqa: S105 - bench accounts on a scratch database
ORGS = 200
PANEL = 7
CLASSES = 20
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


@asynccontextmanager
async def _session(year: Year) -> AsyncIterator[AsyncSession]:
    engine = create_engine(year.settings.database_url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as db:
            yield db
    finally:
        await engine.dispose()


def _marks(rng: random.Random, quality: float) -> dict[str, str]:
    return {c.name: f"{round(c.maximum * min(1.0, quality + rng.uniform(-0.1, 0.1)), 1):.1f}" for c in DEFAULT_RUBRIC}


async def _make(year: Year, stamp: str) -> dict[str, Any]:
    clock, rng = year.clock, year.rng
    start = clock.now()
    committee_name = f"bench-committee-{stamp}"
    await year.account(committee_name, Role.COMMITTEE, "基准测试综合党委")  # before anyone can sign in
    committee = await year.login(committee_name)
    street = await committee.call("POST", "/streets", {"name": f"基准测试街道{stamp}"})
    community = await committee.call("POST", "/communities", {"name": "基准测试社区", "street_id": street["id"]})
    legal = next(a["id"] for a in await year.anon.call("GET", "/alliances") if a["code"] == "legal")
    org_ids: list[tuple[str, int, str]] = []
    for n in range(ORGS):
        org = await committee.call(
            "POST",
            "/organizations",
            {
                "name": f"基准测试社会组织{stamp}-{n:03d}",
                "credit_code": make_credit_code(f"52{stamp}BEN{n:06d}"),
                "alliance_id": legal,
                "categories": ["legal_aid", "finance_education"],
                "resident": True,
            },
        )
        org_ids.append((f"bench-org-{stamp}-{n:03d}", int(org["id"]), org["name"]))
    orgs = [username for username, _, _ in org_ids]
    evaluators = [f"bench-eval-{stamp}-{k}" for k in range(PANEL)]
    async with _session(year) as db, writing(db):
        for username, org_id, name in org_ids:
            await ensure_account(
                db, username=username, password=PASSWORD, role=Role.ORG, display_name=name, organization_id=org_id
            )
        evaluator_users = [
            await ensure_account(
                db, username=u, password=PASSWORD, role=Role.EVALUATOR, display_name=f"基准测试评委{k + 1}"
            )
            for k, u in enumerate(evaluators)
        ]
    evaluator_ids = [u.id for u in evaluator_users]

    deadline = start + 2 * DAY

    async def task(title: str, category: str) -> int:
        t = await committee.call(
            "POST",
            "/tasks",
            {
                "title": title,
                "description": "基准测试用榜单：检验排名、评分与夜校报名在城市规模下的速度。",
                "category": category,
                "posting_unit": "基准测试发榜单位",
                "budget_fen": 20_000_000,
                "funding_mode": "service_purchase",
                "claim_deadline": deadline.isoformat(),
                "alliances": ["legal"],
                "allow_joint": False,
                "community_ids": [community["id"]],
                "need_ids": [],
            },
        )
        await committee.call("POST", f"/tasks/{t['id']}/post")
        return int(t["id"])

    ranked, scoring, finance = (
        await task("基准测试：二百份意向书的排名", "legal_aid"),
        await task("基准测试：评委打分", "legal_aid"),
        await task("基准测试：金融夜校", "finance_education"),
    )
    await committee.call("PUT", f"/tasks/{ranked}/panel", {"user_ids": evaluator_ids})
    await committee.call("PUT", f"/tasks/{scoring}/panel", {"user_ids": evaluator_ids})
    await committee.call("PUT", f"/tasks/{finance}/panel", {"user_ids": evaluator_ids[:1]})

    clock.set(start + DAY)
    proposals: dict[int, list[tuple[int, float]]] = {ranked: [], scoring: [], finance: []}
    for n, username in enumerate(orgs):
        member = await year.login(username)
        for task_id in (ranked, scoring, finance) if n == 0 else (ranked, scoring):
            p = await member.call(
                "POST",
                f"/tasks/{task_id}/proposals",
                {
                    "requested_budget_fen": 18_000_000,
                    "strengths": "长期扎根社区，专职社工团队稳定。",
                    "work_plan": "分三期开展，每期有明确的服务对象与成果。",
                    "expected_results": "覆盖居民五百人次以上。",
                    "partner_ids": [],
                },
            )
            await member.call("POST", f"/proposals/{p['id']}/submit")
            proposals[task_id].append((int(p["id"]), 0.55 + 0.4 * rng.random()))

    clock.set(deadline + HOUR)
    for task_proposals in proposals.values():
        for pid, _ in task_proposals:
            await committee.call("POST", f"/proposals/{pid}/qualification", {"qualified": True})
    # 1,393 of the 1,400 marks are written as rows, as bench.generate writes scores (they have no audit entries of
    # their own); each member's last one goes through PUT /scores, so whatever completing the panel sets off happens.
    async with _session(year) as db, writing(db):
        for user in evaluator_users:
            for pid, quality in proposals[ranked][:-1]:
                tenths = {name: int(Decimal(value) * 10) for name, value in _marks(rng, quality).items()}
                db.add(
                    Score(
                        task_id=ranked,
                        proposal_id=pid,
                        user_id=user.id,
                        marks_tenths=tenths,
                        total_tenths=sum(tenths.values()),
                    )
                )
    last, quality = proposals[ranked][-1]
    for username in evaluators:
        judge = await year.login(username)
        await judge.call("PUT", f"/proposals/{last}/scores", {"marks": _marks(rng, quality)})
    first = await year.login(evaluators[0])
    await first.call("PUT", f"/proposals/{proposals[finance][0][0]}/scores", {"marks": _marks(rng, 0.9)})
    await committee.call("POST", f"/tasks/{finance}/award", {"proposal_id": proposals[finance][0][0]})

    # The notice period ends with no objection: the next request stores the project.
    clock.set(deadline + (year.settings.notice_days + 1) * DAY)
    await year.anon.call("GET", f"/tasks/{finance}")
    async with _session(year) as db:
        # Looked up, not listed: at city scale a hundred newer projects can push it off the first page.
        project_id = await db.scalar(select(Project.id).where(Project.task_id == finance))
    organiser = await year.login(orgs[0])
    classes = []
    for k in range(CLASSES):
        c = await organiser.call(
            "POST",
            f"/projects/{project_id}/classes",
            {
                "topic": f"基准测试夜校第{k + 1}讲",
                "community_id": community["id"],
                "venue": "基准测试社区党群服务中心",
                "starts_at": (start + 40 * DAY).isoformat(),
                "seats": 1000,
            },
        )
        classes.append(int(c["id"]))
    return {
        "password": PASSWORD,
        "committee": committee_name,
        "evaluator": evaluators[0],
        "ranking_task": ranked,
        "scoring_task": scoring,
        "scoring_proposals": [pid for pid, _ in proposals[scoring]],
        "classes": classes,
    }


async def main() -> dict[str, Any]:
    """Make the bench fixtures on the configured database; answer their ids."""
    from market.app import create_app

    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = dataclasses.replace(get_settings(), tick_seconds=0, login_rate_per_minute=100_000)
    now = SystemClock().now()
    clock = ManualClock(now - 12 * DAY)
    began = time.monotonic()
    async with AsyncTestClient(app=create_app(settings, clock), base_url="http://127.0.0.1") as http:
        year = Year(http, clock, settings, PASSWORD, random.Random(9))
        # Six digits from the clock keep names and credit codes apart if fixtures are made twice on one database.
        made = await _make(year, f"{int(now.timestamp()) % 1_000_000:06d}")
    print(f"bench fixtures: {year.counter[0]} requests in {time.monotonic() - began:.0f} s", file=sys.stderr)
    return made


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(asyncio.run(main())))
