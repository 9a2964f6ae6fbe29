"""The resource library search reads the offerings it shows, never the history of orders behind them.

Each statement the app really sends for `GET /api/v1/services?q=…` (caught on the app's engine) is run again under
EXPLAIN with sequential scans ruled out where the planner allows it (PostgreSQL's `enable_seqscan = off`): a scan
of the orders table that is left is one no index can serve, so a search would read every order ever placed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from market.kernel.db import create_engine
from tests.factories import Api, park_service, placed_order, secretary
from tests.statements import caught

SEARCH = {"q": "培训"}


async def _plans(api: Api, engine: AsyncEngine, seen: list[tuple[str, Any]]) -> list[str]:
    plans = []
    async with engine.connect() as conn:
        postgresql = engine.dialect.name == "postgresql"
        if postgresql:
            await conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in seen:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            explain = "EXPLAIN " if postgresql else "EXPLAIN QUERY PLAN "
            rows = (await conn.exec_driver_sql(explain + statement, parameters)).all()
            plans.append("\n".join(str(r[-1]) for r in rows))
    return plans


async def test_searching_the_resource_library_reads_no_order_history(api: Api) -> None:
    sec = await secretary(api)
    service = await park_service(api, title="社区工作者能力培训", monthly_capacity=50)
    await park_service(api, title="场地借用")
    for _ in range(3):
        await placed_order(api, sec, service["id"])
    with caught(api.client.app.state.alchemy.get_engine()) as seen:
        page = await api.anon.ok("GET", "/services", params=SEARCH)
    assert "社区工作者能力培训" in [s["title"] for s in page["items"]]
    assert any("service_orders" in s for s, _ in seen), "the search no longer counts this month's places"
    engine = create_engine(api.settings.database_url)
    try:
        plans = await _plans(api, engine, seen)
    finally:
        await engine.dispose()
    for plan in plans:
        assert "SCAN service_orders" not in plan, plan  # SQLite reading every order
        assert "Seq Scan on service_orders" not in plan, plan  # PostgreSQL, with every index it could use allowed
