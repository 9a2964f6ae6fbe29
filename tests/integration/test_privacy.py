"""Residents' mobile numbers (docs/privacy.md): sealed at rest, found by a keyed hash, shown in full only to the
organiser, erased a set time after the class, and deleted at once by the resident who asks."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from market import privacy
from market.app import create_app
from market.kernel.db import create_engine
from market.models import AuditEntry, ClassSession, Signup
from tests.browser import Browser, signed_in
from tests.factories import Api, As, finance_project, mobile, night_class, problem, sign_up

START_OFFSET_DAYS = 7  # night_class starts a week after the clock
YEAR = {"from": "2026-01-01", "to": "2026-12-31"}


async def _rows(api: Api, table: Any, *where: Any) -> list[dict[str, Any]]:
    engine = create_engine(api.settings.database_url)
    try:
        async with engine.connect() as conn:
            return [dict(r._mapping) for r in await conn.execute(sa.select(table).where(*where))]
    finally:
        await engine.dispose()


async def _signup_row(api: Api, signup_id: int) -> dict[str, Any]:
    (row,) = await _rows(api, Signup.__table__, Signup.__table__.c.id == signup_id)
    return row


async def _audit(api: Api, *where: Any) -> list[dict[str, Any]]:
    return await _rows(api, AuditEntry.__table__, *where)


async def _a_class(api: Api, **overrides: Any) -> tuple[As, dict[str, Any]]:
    organiser, project = await finance_project(api)
    return organiser, await night_class(api, organiser, project["id"], **overrides)


def _keys(api: Api) -> privacy.PhoneKeys:
    return privacy.of_settings(api.settings).keys


async def test_a_stored_sign_up_holds_no_clear_number_only_its_sealed_form_and_keyed_hash(api: Api) -> None:
    _, cls = await _a_class(api)
    receipt = await sign_up(api, cls["id"], 1)
    row = await _signup_row(api, receipt["id"])
    number = mobile(1)
    assert number not in json.dumps(row, default=str)  # no column holds it, in any form
    assert "phone" not in row
    assert _keys(api).open(row["phone_sealed"]) == number
    assert row["phone_hash"] == _keys(api).digest(number)
    # Neither does the audit log (it names the number masked).
    assert number not in json.dumps(await _audit(api), default=str)


async def test_one_live_sign_up_per_number_holds_on_the_hash_however_the_number_is_written(api: Api) -> None:
    _, cls = await _a_class(api)
    first = await sign_up(api, cls["id"], 2)
    again = {"name": "另一人", "phone": "+86 " + mobile(2)[:3] + "-" + mobile(2)[3:]}
    r = await api.anon.post(f"/classes/{cls['id']}/signups", json=again)
    problem(r, 409, field="phone")
    await api.anon.ok("POST", f"/signups/{first['id']}/cancel", status=200, json={"token": first["token"]})
    await api.anon.ok("POST", f"/classes/{cls['id']}/signups", status=201, json=again)


async def test_the_organiser_sees_full_numbers_on_the_list_and_roster_everyone_else_masked(api: Api) -> None:
    organiser, cls = await _a_class(api)
    await sign_up(api, cls["id"], 3, name="王小明")
    number = mobile(3)
    public = await api.anon.ok("GET", f"/classes/{cls['id']}/signups")
    assert public["masked"] and public["items"][0]["phone"] == number[:3] + "****" + number[-4:]
    assert public["items"][0]["name"] == "王**"
    full = await organiser.ok("GET", f"/classes/{cls['id']}/signups")
    assert not full["masked"] and (full["items"][0]["phone"], full["items"][0]["name"]) == (number, "王小明")
    browser = await signed_in(api, organiser)
    assert number in await browser.page(f"/org/classes/{cls['id']}/roster")
    shown = await _audit(api, AuditEntry.__table__.c.action == "numbers_shown")
    assert [e["data"]["via"] for e in shown] == ["api", "roster"]


async def test_numbers_are_erased_by_the_tick_once_the_class_is_past_its_retention_period(api: Api) -> None:
    organiser, cls = await _a_class(api, seats=1)
    held = await sign_up(api, cls["id"], 4, name="李四")
    waiting = await sign_up(api, cls["id"], 5, name="张三丰")
    api.clock.advance(days=START_OFFSET_DAYS, hours=1)
    await organiser.ok(
        "POST", f"/classes/{cls['id']}/attendance", status=200, json={"signup_id": held["id"], "attended": True}
    )
    stats = await api.anon.ok("GET", "/stats", params=YEAR)
    retention = api.settings.phone_retention_days
    api.clock.advance(days=retention - 1)
    await api.committee.ok("POST", "/tick", status=200)
    assert (await _signup_row(api, held["id"]))["phone_sealed"] is not None  # not yet

    api.clock.advance(days=1)
    await api.committee.ok("POST", "/tick", status=200)
    for receipt, masked in ((held, "李*"), (waiting, "张**")):
        row = await _signup_row(api, receipt["id"])
        assert (row["phone_sealed"], row["phone_hash"], row["name"]) == (None, None, masked)
        assert row["erased_at"] is not None
    assert (await _signup_row(api, held["id"]))["attended"] is True
    (session,) = await _rows(api, ClassSession.__table__, ClassSession.__table__.c.id == cls["id"])
    assert session["numbers_erased_at"] is not None
    # What the statistics count does not depend on the number.
    assert await api.anon.ok("GET", "/stats", params=YEAR) == stats
    # One audit entry per batch, naming no number; a second tick finds nothing left to erase.
    await api.committee.ok("POST", "/tick", status=200)
    purges = await _audit(api, AuditEntry.__table__.c.entity == "privacy")
    assert [(p["action"], p["data"]["classes"], p["data"]["signups"]) for p in purges] == [("purge", [cls["id"]], 2)]
    # The organiser's list still reads, with nothing left to show in full.
    full = await organiser.ok("GET", f"/classes/{cls['id']}/signups")
    assert [(i["name"], i["phone"], i["attended"]) for i in full["items"]] == [("李*", "", True), ("张**", "", None)]
    # The holder's own page says so.
    page = await Browser(api.client).page(f"/signups/{held['id']}?token={held['token']}")
    assert "您的个人信息已于" in page and mobile(4)[-4:] not in page and "李四" not in page


async def test_the_resident_deletes_their_sign_up_on_the_page_after_confirming(api: Api) -> None:
    organiser, cls = await _a_class(api, seats=1)
    mine = await sign_up(api, cls["id"], 6, name="赵六")
    waiting = await sign_up(api, cls["id"], 7)
    link = f"/signups/{mine['id']}?token={mine['token']}"
    resident = Browser(api.client)
    page = await resident.page(link)
    number = mobile(6)
    assert number[:3] + "****" + number[-4:] in page and number not in page
    assert "赵六" in page and f"/signups/{mine['id']}/erase?token=" in page
    erase = f"/signups/{mine['id']}/erase?token={mine['token']}"
    # The first post only asks again; nothing is erased until confirmed.
    r = await resident.submit(erase, f"/signups/{mine['id']}/erase", {"token": mine["token"]})
    assert r.status_code == 200 and (await _signup_row(api, mine["id"]))["phone_sealed"] is not None
    r = await resident.submit(erase, f"/signups/{mine['id']}/erase", {"token": mine["token"], "confirm": "yes"})
    assert r.status_code == 303, r.text[:300]
    row = await _signup_row(api, mine["id"])
    assert (row["name"], row["phone_sealed"], row["phone_hash"], row["status"]) == ("", None, None, "cancelled")
    # The place passed on, as a cancellation does.
    assert (await _signup_row(api, waiting["id"]))["status"] == "confirmed"
    after = await resident.page(link)
    assert "赵六" not in after and number[-4:] not in after
    entries = await _audit(
        api, AuditEntry.__table__.c.entity == "signup", AuditEntry.__table__.c.entity_id == mine["id"]
    )
    assert [e["action"] for e in entries][-2:] == ["cancel", "erase"]
    assert "phone" not in entries[-1]["data"]
    # The organiser's roster shows the place as erased, and the number may sign up again.
    assert "赵六" not in await (await signed_in(api, organiser)).page(f"/org/classes/{cls['id']}/roster")
    await sign_up(api, cls["id"], 6)


async def test_the_api_twin_erases_and_a_held_place_keeps_its_attendance(api: Api) -> None:
    organiser, cls = await _a_class(api)
    mine = await sign_up(api, cls["id"], 8)
    r = await api.anon.post(f"/signups/{mine['id']}/erase", json={"token": "not-the-token"})
    problem(r, 404)
    api.clock.advance(days=START_OFFSET_DAYS, hours=1)
    await organiser.ok(
        "POST", f"/classes/{cls['id']}/attendance", status=200, json={"signup_id": mine["id"], "attended": True}
    )
    stats = await api.anon.ok("GET", "/stats", params=YEAR)
    view = await api.anon.ok("POST", f"/signups/{mine['id']}/erase", status=200, json={"token": mine["token"]})
    assert (view["name"], view["phone"], view["status"]) == ("", "", "confirmed") and view["erased_at"]
    assert await api.anon.ok("GET", "/stats", params=YEAR) == stats
    problem(await api.anon.post(f"/signups/{mine['id']}/erase", json={"token": mine["token"]}), 409)


async def test_after_a_key_rotation_old_numbers_still_open_and_still_count_as_taken(api: Api) -> None:
    _, cls = await _a_class(api)
    old = await sign_up(api, cls["id"], 9)
    rotated = dataclasses.replace(
        api.settings, phone_key="the-new-phone-key", phone_previous_keys=api.settings.effective_phone_key()
    )
    async with AsyncTestClient(app=create_app(rotated, api.clock), base_url="http://127.0.0.1") as client:
        taken = await client.post(f"/api/v1/classes/{cls['id']}/signups", json={"name": "重复", "phone": mobile(9)})
        assert taken.status_code == 409, taken.text
        view = await client.get(f"/api/v1/signups/{old['id']}", params={"token": old["token"]})
        assert view.json()["phone"] == mobile(9)[:3] + "****" + mobile(9)[-4:]
        fresh = await client.post(f"/api/v1/classes/{cls['id']}/signups", json={"name": "新人", "phone": mobile(10)})
        assert fresh.status_code == 201, fresh.text
    row = await _signup_row(api, fresh.json()["id"])
    assert row["phone_sealed"].startswith(f"v1:{privacy.PhoneKey.of('the-new-phone-key').id}:")
