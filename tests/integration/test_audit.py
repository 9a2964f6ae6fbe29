"""The audit log is hash-chained: editing, removing or truncating entries is detected by `audit verify`."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from market.db import create_engine
from market.models import AuditEntry
from tests.factories import Api, posted_task


async def _tamper(api: Api, how: str) -> None:
    engine = create_engine(api.settings.database_url)
    try:
        async with async_sessionmaker(engine)() as db, db.begin():
            first, last = (await db.execute(select(func.min(AuditEntry.id), func.max(AuditEntry.id)))).one()
            middle = (first + last) // 2
            if how == "edit":
                await db.execute(update(AuditEntry).where(AuditEntry.id == middle).values(after="closed"))
            elif how == "delete":
                await db.execute(delete(AuditEntry).where(AuditEntry.id == middle))
            else:  # drop the newest entry: every remaining link is intact, only the head disagrees
                await db.execute(delete(AuditEntry).where(AuditEntry.id == last))
    finally:
        await engine.dispose()


async def test_an_untouched_chain_verifies(api: Api) -> None:
    await posted_task(api)
    result = await api.committee.ok("GET", "/audit/verify")
    assert result["ok"] is True and result["entries"] >= 3 and result["broken_at"] is None


@pytest.mark.parametrize("how", ["edit", "delete", "truncate"])
async def test_tampering_with_the_audit_log_is_detected(api: Api, how: str) -> None:
    for _ in range(3):
        await posted_task(api)
    await _tamper(api, how)
    result = await api.committee.ok("GET", "/audit/verify")
    assert result["ok"] is False
    assert result["broken_at"] is not None and result["reason"]


async def test_only_the_committee_reads_the_audit_log(api: Api) -> None:
    member = await api.org_member()
    await posted_task(api)
    assert (await member.get("/audit")).status_code == 403
    assert (await api.anon.get("/audit/verify")).status_code == 401
    entries = (await api.committee.ok("GET", "/audit", params={"entity": "task"}))["items"]
    assert entries and all(e["entity"] == "task" for e in entries)
