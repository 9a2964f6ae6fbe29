"""Reads that matter are audited: sign-ins (success and failure, never the password), proposal content read by
anyone not on the proposal, attachment downloads, and the organiser's view of full mobile numbers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from market.kernel.db import create_engine
from market.models import AuditEntry
from tests.browser import Browser, signed_in
from tests.factories import (
    PASSWORD,
    Api,
    draft_proposal,
    finance_project,
    night_class,
    posted_task,
    sign_up,
    task_in_review,
)

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


async def entries(api: Api, **where: Any) -> list[AuditEntry]:
    """Audit entries matching column values, oldest first, read straight from the database."""
    engine = create_engine(api.settings.database_url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as db:
            stmt = select(AuditEntry).order_by(AuditEntry.id)
            for column, value in where.items():
                stmt = stmt.where(getattr(AuditEntry, column) == value)
            return list((await db.scalars(stmt)).all())
    finally:
        await engine.dispose()


async def test_a_sign_in_is_audited_under_the_account_without_the_password(api: Api) -> None:
    member = await api.org_member()
    logins = await entries(api, entity="user", entity_id=member.user["id"], action="login")
    assert [e.actor_label for e in logins] == [member.username]
    assert all(PASSWORD not in str(e.data) for e in await entries(api))


async def test_failed_sign_ins_are_audited_and_an_unknown_name_answers_exactly_like_a_wrong_password(api: Api) -> None:
    member = await api.org_member()
    wrong = await api.anon.post("/auth/login", json={"username": member.username, "password": "not the password"})
    unknown = await api.anon.post("/auth/login", json={"username": "nobody-here", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()

    failed = await entries(api, action="login_failed")
    assert [(e.entity, e.entity_id, e.data["why"]) for e in failed] == [
        ("user", member.user["id"], "password"),
        ("login", 0, "unknown_name"),
    ]
    # The name that matched nobody is kept only as a fingerprint, and no password is ever kept.
    assert "nobody-here" not in str(failed[1].data) and failed[1].data["name_fingerprint"]
    assert all("not the password" not in str(e.data) for e in failed)


async def test_the_sign_in_page_audits_a_failure_too(api: Api) -> None:
    member = await api.org_member()
    browser = Browser(api.client)
    r = await browser.submit("/login", "/login", {"username": member.username, "password": "wrong password here"})
    assert r.status_code == 422
    failed = await entries(api, entity="user", entity_id=member.user["id"], action="login_failed")
    assert [e.data["why"] for e in failed] == ["password"]


async def test_committee_and_panel_reads_of_proposals_are_audited_and_the_organisations_own_are_not(api: Api) -> None:
    review = await task_in_review(api, proposals=2, panel=1)
    first, second = review.pid(0), review.pid(1)
    await api.committee.ok("GET", f"/proposals/{first}")
    await review.panel[0].ok("GET", f"/tasks/{review.task_id}/proposals")
    await review.orgs[0].ok("GET", f"/proposals/{first}")
    await review.orgs[0].ok("GET", f"/tasks/{review.task_id}/proposals")

    reads = [(e.entity_id, e.actor_label) for e in await entries(api, entity="proposal", action="read")]
    evaluator = review.panel[0].username
    assert reads == [(first, "committee"), (first, evaluator), (second, evaluator)]

    # The pages that show a proposal's content record their reads as well.
    committee = await signed_in(api, "committee")
    await committee.page(f"/committee/tasks/{review.task_id}")
    panel = await signed_in(api, review.panel[0])
    await panel.page(f"/panel/tasks/{review.task_id}/proposals/{second}")
    reads = [(e.entity_id, e.actor_label) for e in await entries(api, entity="proposal", action="read")]
    assert reads[3:] == [(first, "committee"), (second, "committee"), (second, evaluator)]


async def test_every_attachment_download_is_audited(api: Api) -> None:
    task = await posted_task(api)
    member = await api.org_member()
    p = await draft_proposal(member, task["id"])
    added = await member.ok("POST", f"/proposals/{p['id']}/attachments", files={"data": ("plan.pdf", PDF)})
    r = await member.get(f"/proposals/{p['id']}/attachments/{added['id']}")
    assert r.status_code == 200 and r.content == PDF
    org = await signed_in(api, member)
    assert (await org.get(f"/org/proposals/{p['id']}/attachments/{added['id']}")).status_code == 200

    downloads = await entries(api, entity="proposal", entity_id=p["id"], action="download")
    assert [(e.actor_label, e.data["attachment"]) for e in downloads] == [(member.username, added["id"])] * 2


async def test_the_organisers_views_of_full_numbers_are_audited_and_masked_views_are_not(api: Api) -> None:
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"])
    await sign_up(api, session["id"], 1)
    await sign_up(api, session["id"], 2)

    masked = await api.anon.ok("GET", f"/classes/{session['id']}/signups")
    assert masked["masked"] is True
    assert await entries(api, entity="class_session", action="numbers_shown") == []

    full = await organiser.ok("GET", f"/classes/{session['id']}/signups")
    assert full["masked"] is False
    org = await signed_in(api, organiser)
    await org.page(f"/org/classes/{session['id']}/roster")

    shown = await entries(api, entity="class_session", entity_id=session["id"], action="numbers_shown")
    assert [(e.actor_label, e.data) for e in shown] == [
        (organiser.username, {"numbers": 2, "via": "api"}),
        (organiser.username, {"numbers": 2, "via": "roster"}),
    ]
