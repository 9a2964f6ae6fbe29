"""The board's browse query is an index walk, not a scan and sort of every task, on both databases.

The statement checked is the one the app really sends for a browse request (caught on the app's engine), run
again under EXPLAIN once the database holds enough tasks, and statistics about them, for the planner's choice
to mean something.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from market.kernel.db import create_engine
from market.models import Alliance, Task
from market.models._tasks import task_alliances
from market.services._stats import rebuild
from tests.factories import Api
from tests.statements import caught

TASKS = 20_000
CATEGORIES = (
    "elderly_care",
    "mental_health",
    "legal_aid",
    "finance_education",
    "culture",
    "children",
    "environment",
    "other",
)


async def _fill(api: Api, engine: AsyncEngine) -> None:
    """Tasks posted over two years, in every category, most of them long finished; then fresh statistics."""
    now = api.clock.now()
    creator = int(api.committee.user["id"])
    rubric = [{"name": "专业能力", "maximum": 100}]
    rows = []
    for i in range(TASKS):
        posted = now - timedelta(minutes=TASKS - i)
        kind = i % 3
        rows.append(
            {
                "title": f"社区服务项目{i}",
                "description": "为辖区居民提供服务",
                "category": CATEGORIES[i % len(CATEGORIES)],
                "posting_unit": "虎山路街道",
                "budget_fen": 1_000_000,
                "funding_mode": "service_purchase",
                # Open ones close in a month; the rest went unclaimed or were cancelled long ago.
                "claim_deadline": now + timedelta(days=30) if kind == 0 else posted + timedelta(days=10),
                "allow_joint": False,
                "rubric": rubric,
                "status": ("posted", "unclaimed", "cancelled")[kind],
                "posted_at": posted,
                "closed_at": None if kind == 0 else posted + timedelta(days=1),
                "cancel_reason": "需求已由街道自行解决" if kind == 2 else "",
                "created_by_id": creator,
                "submitted_count": 0,
                "created_at": posted,
                "updated_at": posted,
            }
        )
    async with engine.begin() as conn:
        await conn.execute(insert(Task), rows)
        alliance_ids = list((await conn.scalars(select(Alliance.id).order_by(Alliance.position))).all())
        task_ids = list((await conn.scalars(select(Task.id).order_by(Task.id))).all())
        # Each task is open to one alliance, every fifth to a second one as well.
        links = [{"task_id": t, "alliance_id": alliance_ids[(t // 8) % 4]} for t in task_ids]
        links += [{"task_id": t, "alliance_id": alliance_ids[(t // 8 + 1) % 4]} for t in task_ids if t % 5 == 0]
        await conn.execute(insert(task_alliances), links)
        # Written around the service, so the statistics' rollup is counted from the rows, as the generator does.
        await conn.run_sync(rebuild)
    async with engine.connect() as conn:
        await conn.exec_driver_sql("ANALYZE")
        await conn.commit()


async def _plan_of_page(api: Api, engine: AsyncEngine, params: dict[str, Any]) -> str:
    """How the database finds the page's ids for this browse request (the LIMIT/OFFSET subquery's plan)."""
    with caught(api.client.app.state.alchemy.get_engine()) as seen:
        page = await api.anon.ok("GET", "/tasks", params=params)
    assert len(page["items"]) == params["limit"], page["total"]
    statement, parameters = next((s, p) for s, p in seen if "OFFSET" in s and "tasks.posted_at DESC" in s)
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            plan = (await conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)).scalar_one()
            plan = json.loads(plan) if isinstance(plan, str) else plan
            # The 20 rows of the page are joined back and put in order afterwards; what must not grow is the walk.
            return _outline(_first(plan, "Limit"))
        rows = (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)).all()
        lines = [str(r[-1]) for r in rows]
        # SQLite lists the page subquery (MATERIALIZE) first, then the join back and the sort of its 20 rows.
        return "\n".join(lines[: next(i for i, line in enumerate(lines) if line.startswith("SCAN anon_1"))])


def _outline(node: dict[str, Any], depth: int = 0) -> str:
    """A PostgreSQL JSON plan as indented lines: node type, relation, index, estimated rows."""
    line = " ".join(str(node[k]) for k in ("Node Type", "Relation Name", "Index Name", "Plan Rows") if k in node)
    return "\n".join(["  " * depth + line, *(_outline(c, depth + 1) for c in node.get("Plans", []))])


def _first(node: Any, kind: str) -> Any:
    """The first node of this type in a PostgreSQL JSON plan, depth first."""
    if isinstance(node, dict):
        if node.get("Node Type") == kind:
            return node
        children = list(node.values())
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _first(child, kind)
        if found is not None:
            return found
    return None


async def test_browsing_the_board_walks_an_index_at_city_scale(api: Api) -> None:
    # The test's own engine on its own loop; the app's runs on the test client's.
    engine = create_engine(api.settings.database_url)
    try:
        await _fill(api, engine)
        filtered = {"status": "posted", "category": "elderly_care", "alliance": "new-orgs", "limit": 20, "offset": 80}
        plans = {
            "filtered, page 5": await _plan_of_page(api, engine, filtered),
            "everything, page 500": await _plan_of_page(api, engine, {"limit": 20, "offset": 20 * 499}),
        }
    finally:
        await engine.dispose()
    # Filtered, the matches are found through an index on what is filtered (the planner may then sort the few
    # hundred found rather than walk in order: both are small); unfiltered, page 500 is a walk along the order.
    for name, plan in plans.items():
        assert "ix_tasks_" in plan, f"{name}: no index of tasks in\n{plan}"
        if engine.dialect.name == "postgresql":
            # (The four alliances are read whole; they are four.)
            assert "Seq Scan task" not in plan, f"{name}: a scan of every row\n{plan}"
        else:
            assert "SCAN tasks" not in plan, f"{name}: a scan of every row\n{plan}"
    deep = plans["everything, page 500"]
    assert "ix_tasks_browse" in deep, deep
    assert "Sort" not in deep and "TEMP B-TREE" not in deep, f"page 500 sorts every row:\n{deep}"
