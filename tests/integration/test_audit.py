"""The audit log is a keyed hash chain held to published anchors: editing, removing, re-hashing or truncating
entries is detected by `audit verify`."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import hmac
import io
import json
from collections.abc import Callable

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from market import cli
from market.audit import GENESIS, canonical, fields_of
from market.kernel.db import create_engine
from market.models import AuditEntry, AuditHead
from market.settings import get_settings
from tests.browser import signed_in
from tests.factories import Api, audit_trail, posted_task, submitted_proposal

TASK_POSTED = ["create", "post"]


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


async def _stored(api: Api) -> tuple[int, int]:
    """How many entries the database holds, and the length its head records."""
    engine = create_engine(api.settings.database_url)
    try:
        async with async_sessionmaker(engine)() as db:
            count = await db.scalar(select(func.count()).select_from(AuditEntry))
            length = await db.scalar(select(AuditHead.length))
            return int(count or 0), int(length or 0)
    finally:
        await engine.dispose()


async def test_an_untouched_chain_verifies_every_entry_in_it(api: Api) -> None:
    task = await posted_task(api)
    result = await api.committee.ok("GET", "/audit/verify")
    assert result["ok"] is True and result["broken_at"] is None
    # Each write left its entry (the task drafted, then posted), and the walk checked every one the database holds.
    assert [action for action, _, _ in await audit_trail(api, "task", task["id"])] == TASK_POSTED
    assert (result["entries"], result["entries"]) == await _stored(api)
    assert result["entries"] >= len(TASK_POSTED) + 1  # and the committee's account before them


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


async def _rewrite(api: Api, digest: Callable[[str, str], str]) -> None:
    """Edit the middle entry, then recompute every hash after it and the head with `digest(prev, canonical)`."""
    engine = create_engine(api.settings.database_url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as db, db.begin():
            rows = (await db.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
            rows[len(rows) // 2].after = "cancelled"
            prev = GENESIS
            for row in rows:
                row.prev_hash = prev
                row.hash = prev = digest(prev, canonical(fields_of(row)))
            head = (await db.scalars(select(AuditHead))).one()
            head.last_hash, head.length = prev, len(rows)
    finally:
        await engine.dispose()


def _unkeyed(prev: str, text: str) -> str:
    return hashlib.sha256((prev + text).encode()).hexdigest()


def _guessed_key(prev: str, text: str) -> str:
    return hmac.new(b"a key the attacker guessed", (prev + text).encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize("digest", [_unkeyed, _guessed_key], ids=["unkeyed", "guessed-key"])
async def test_an_edit_with_the_whole_chain_rehashed_without_the_key_is_detected(
    api: Api, digest: Callable[[str, str], str]
) -> None:
    for _ in range(3):
        await posted_task(api)
    await _rewrite(api, digest)
    result = await api.committee.ok("GET", "/audit/verify")
    assert result["ok"] is False
    assert "key" in result["reason"]


async def _drop_newest_and_roll_head_back(api: Api) -> None:
    engine = create_engine(api.settings.database_url)
    try:
        async with async_sessionmaker(engine)() as db, db.begin():
            newest = (await db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))).one()
            await db.execute(delete(AuditEntry).where(AuditEntry.id == newest.id))
            await db.execute(update(AuditHead).values(last_hash=newest.prev_hash, length=AuditHead.length - 1))
    finally:
        await engine.dispose()


async def _cli(api: Api, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    """Run `jiebang …` against the test's database and var/ (in a thread: the command runs its own event loop)."""
    monkeypatch.setenv("JIEBANG_DATABASE_URL", api.settings.database_url)
    monkeypatch.setenv("JIEBANG_VAR_DIR", str(api.settings.var_dir))
    get_settings.cache_clear()
    try:
        return await asyncio.to_thread(cli.main, list(argv))
    finally:
        get_settings.cache_clear()


async def test_truncation_with_the_head_rolled_back_is_detected_by_an_anchor(
    api: Api, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(3):
        await posted_task(api)
    assert await _cli(api, monkeypatch, "audit", "anchor") == 0
    published = json.loads(capsys.readouterr().out)
    lines = api.settings.anchor_path.read_text().splitlines()
    assert [json.loads(line) for line in lines] == [published]
    before = await api.committee.ok("GET", "/audit/verify")
    assert before["ok"] is True and before["anchors"] == 1 and published["length"] == before["entries"]

    await _drop_newest_and_roll_head_back(api)

    result = await api.committee.ok("GET", "/audit/verify")
    assert result["ok"] is False and "truncated" in result["reason"]
    assert await _cli(api, monkeypatch, "audit", "verify") == 1
    assert "truncated" in capsys.readouterr().err


async def test_an_anchor_covers_what_it_saw_and_later_entries_still_verify(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    await posted_task(api)
    assert await _cli(api, monkeypatch, "audit", "anchor") == 0
    await posted_task(api)
    assert await _cli(api, monkeypatch, "audit", "anchor") == 0
    await posted_task(api)
    result = await api.committee.ok("GET", "/audit/verify")
    assert result["ok"] is True and result["anchors"] == 2
    assert await _cli(api, monkeypatch, "audit", "verify") == 0


async def test_a_broken_chain_is_not_anchored(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(2):
        await posted_task(api)
    await _tamper(api, "edit")
    assert await _cli(api, monkeypatch, "audit", "anchor") == 1
    assert not api.settings.anchor_path.exists()


async def test_an_edited_anchor_file_fails_verification(api: Api) -> None:
    await posted_task(api)
    api.settings.anchor_path.parent.mkdir(parents=True, exist_ok=True)
    api.settings.anchor_path.write_text('{"length": 1, "hash": "not a hash"}\n')
    result = await api.committee.ok("GET", "/audit/verify")
    assert result["ok"] is False and "not an anchor" in result["reason"]


async def test_the_committee_reads_a_tasks_audit_and_entries_about_sealed_proposals_wait_for_the_deadline(
    api: Api,
) -> None:
    task = await posted_task(api)
    other = await posted_task(api)
    member = await api.org_member()
    proposal = await submitted_proposal(member, task["id"])

    before = (await api.committee.ok("GET", f"/tasks/{task['id']}/audit"))["items"]
    assert {(e["entity"], e["entity_id"]) for e in before} == {("task", task["id"])}
    assert [e["action"] for e in before][:2] == ["create", "post"]

    api.clock.advance(days=11)
    after = (await api.committee.ok("GET", f"/tasks/{task['id']}/audit"))["items"]
    about_proposal = [e["action"] for e in after if e["entity"] == "proposal"]
    assert about_proposal[:2] == ["create", "submit"]
    assert all(e["entity_id"] == proposal["id"] for e in after if e["entity"] == "proposal")
    assert not any(e["entity"] == "task" and e["entity_id"] == other["id"] for e in after)
    ids = [e["id"] for e in after]
    assert ids == sorted(ids)

    # Paging forward from the last id seen.
    page = await api.committee.ok("GET", f"/tasks/{task['id']}/audit", params={"after_id": ids[0], "limit": 1})
    assert [e["id"] for e in page["items"]] == ids[1:2]


async def test_only_the_committee_reads_a_tasks_audit(api: Api) -> None:
    task = await posted_task(api)
    member = await api.org_member()
    assert (await member.get(f"/tasks/{task['id']}/audit")).status_code == 403
    assert (await api.anon.get(f"/tasks/{task['id']}/audit")).status_code == 401
    assert (await api.committee.get("/tasks/999999/audit")).status_code == 404
    browser = await signed_in(api, member)
    assert (await browser.get(f"/committee/tasks/{task['id']}/audit.csv")).status_code == 403


async def test_the_task_audit_page_and_its_csv_export_show_the_same_entries(api: Api) -> None:
    task = await posted_task(api)
    member = await api.org_member()
    await submitted_proposal(member, task["id"])
    committee = await signed_in(api, "committee")

    html = await committee.page(f"/committee/tasks/{task['id']}/audit")
    listed = (await api.committee.ok("GET", f"/tasks/{task['id']}/audit"))["items"]
    assert all(f'id="entry-{e["id"]}"' in html for e in listed)
    assert f'href="/committee/tasks/{task["id"]}/audit.csv"' in html
    assert f'href="/committee/tasks/{task["id"]}/audit"' in await committee.page(f"/committee/tasks/{task['id']}")

    r = await committee.get(f"/committee/tasks/{task['id']}/audit.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [int(row["id"]) for row in rows] == [e["id"] for e in listed]
    assert [row["hash"] for row in rows] == [e["hash"] for e in listed]
    # Still sealed: the proposal's entries are in neither.
    assert not any(row["entity"] == "proposal" for row in rows)
