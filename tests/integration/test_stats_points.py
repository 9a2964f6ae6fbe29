"""The statistics count participation points (积分制): entries counted in the period, by the local day their notice
ended, by the kind of holder and, for organisations, by alliance; rolled up day by day and held to counting row by
row, on the JSON report, the /stats page in both languages and its export — through HTTP, on both databases."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from market.kernel.clock import local
from market.models import stats_days
from market.services import stats
from tests import stats_reference as reference
from tests.browser import Browser, lang_of
from tests.factories import Api, As, mobile, secretary
from tests.integration.test_exports import csv_rows, xlsx_rows


async def _proposed(by: As, rule: str, **holder: Any) -> int:
    body = {"rule": rule, "evidence": "签到表和现场照片", **holder}
    made = await by.ok("POST", "/points/entries", status=201, json=body)
    return int(made["id"])


def _tally(*points: int) -> dict[str, int]:
    return {
        "entries": len(points),
        "points": sum(points),
        "gained": sum(p for p in points if p > 0),
        "lost": sum(p for p in points if p < 0),
    }


NONE = _tally()


async def test_points_counted_are_reported_by_the_day_their_notice_ended_by_holder_and_alliance(api: Api) -> None:
    sec = await secretary(api)
    legal, media = await api.org_member("legal"), await api.org_member("media")
    legal_id, media_id = legal.user["org"]["id"], media.user["org"]["id"]
    on_time = await _proposed(sec, "report_on_time", organization_id=legal_id)
    cut = await _proposed(sec, "order_rated_well", organization_id=legal_id)
    attended = await _proposed(sec, "class_attended", phone=mobile(1), name="王小明")
    refused = await _proposed(sec, "report_on_time", organization_id=media_id)
    objected = await _proposed(sec, "order_rated_well", organization_id=media_id)
    later = await _proposed(sec, "project_good", organization_id=media_id)

    committee = api.committee
    first = [await committee.ok("POST", f"/points/entries/{e}/approve", status=200) for e in (on_time, attended)]
    amended = await committee.ok(
        "POST", f"/points/entries/{cut}/amend", status=200, json={"points": -20, "reason": "服务投诉属实，扣分"}
    )
    await committee.ok("POST", f"/points/entries/{refused}/reject", status=200, json={"reason": "证明材料不全"})
    await committee.ok("POST", f"/points/entries/{objected}/approve", status=200)
    lodged = await api.anon.ok(
        "POST", f"/points/entries/{objected}/objections", status=201, json={"name": "李四", "grounds": "并未上门服务"}
    )
    ruling = {"resolution": "经核实，服务未完成"}
    await committee.ok("POST", f"/points/objections/{lodged['id']}/uphold", status=200, json=ruling)
    first_day = local(api.clock.now()).date()
    api.clock.advance(days=2)
    last = await committee.ok("POST", f"/points/entries/{later}/approve", status=200)
    ends = datetime.fromisoformat(last["notice_ends_at"])
    # Past both notices, nothing ticked: the first three count on the day their notice ended (two days ago, read from
    # the rollup), the last on today (read live); the rejected and the reversed never count.
    api.clock.set(ends + timedelta(minutes=1))
    today = local(api.clock.now()).date()
    counted_on = local(datetime.fromisoformat(first[0]["notice_ends_at"])).date()
    assert counted_on == today - timedelta(days=2)
    org_first = (first[0]["points"], amended["points"])
    resident, media_points = first[1]["points"], last["points"]

    def period(start: date, end: date) -> dict[str, str]:
        return {"from": start.isoformat(), "to": end.isoformat()}

    whole = await api.anon.ok("GET", "/stats", params=period(first_day, today))
    assert whole["points"] == {"organization": _tally(*org_first, media_points), "resident": _tally(resident)}
    assert whole["points"]["organization"]["lost"] == -20
    by_alliance = whole["points_by_alliance"]
    assert list(by_alliance) == [code for code in whole["by_alliance"] if code != stats.PARK]
    assert by_alliance["legal"] == _tally(*org_first) and by_alliance["media"] == _tally(media_points)
    assert all(t == NONE for code, t in by_alliance.items() if code not in ("legal", "media"))
    day = await api.anon.ok("GET", "/stats", params=period(counted_on, counted_on))
    assert day["points"] == {"organization": _tally(*org_first), "resident": _tally(resident)}
    assert (await api.anon.ok("GET", "/stats", params=period(today, today)))["points"] == {
        "organization": _tally(media_points),
        "resident": NONE,
    }
    before = await api.anon.ok("GET", "/stats", params=period(first_day, counted_on - timedelta(days=1)))
    assert before["points"] == {"organization": NONE, "resident": NONE}

    async def held_to_the_rows(engine: AsyncEngine) -> None:
        now = api.clock.now()
        async with async_sessionmaker(engine)() as db:
            # The catch-up of the first read wrote the rollup of the day they counted on.
            kept = await db.execute(
                select(stats_days.c.dim, stats_days.c.key, stats_days.c.n0).where(
                    stats_days.c.kind == stats.POINTS, stats_days.c.day == counted_on
                )
            )
            got = sorted((dim, key if dim == stats.BY_HOLDER else "", n) for dim, key, n in kept)
            assert got == [("alliance_id", "", 2), ("holder", "organization", 2), ("holder", "resident", 1)]
            for start, end in (
                (first_day, today),
                (counted_on, counted_on),
                (today, today),
                (counted_on.replace(day=1), today),
                (today - timedelta(days=400), today - timedelta(days=1)),
            ):
                assert await stats.report(db, start, end, now=now) == await reference.report(db, start, end, now=now)
            assert not await stats.rollup_out_of_step(db)
            await db.execute(update(stats_days).where(stats_days.c.kind == stats.POINTS).values(n1=stats_days.c.n1 + 1))
            assert {kind for kind, _ in await stats.rollup_out_of_step(db)} == {"points", "points:m"}
            await db.rollback()

    await api.database(held_to_the_rows)

    # The page, in both languages: by holder, and organisations by alliance.
    browser = Browser(api.client)
    html = await browser.page(f"/stats?from={first_day}&to={today}")
    assert lang_of(html) == "zh-CN" and "data-points" in html and "积分计入" in html
    org_row = "".join(f'<td class="num">{v}</td>' for v in whole["points"]["organization"].values())
    assert re.search(r'<th scope="row">社会组织</th>' + org_row, html)
    legal_row = "".join(f'<td class="num">{v}</td>' for v in by_alliance["legal"].values())
    assert legal_row in html
    await browser.get("/lang/en")
    html = await browser.page(f"/stats?from={first_day}&to={today}")
    assert lang_of(html) == "en" and "Points counted" in html
    assert re.search(r'<th scope="row">Organisation</th>' + org_row, html)

    # The export: one row per slice, as the JSON; the total has both holders, an alliance its organisations'.
    rows = csv_rows(await api.anon.get("/stats.csv", params=period(first_day, today)))
    header, total = rows[0], rows[1]
    at = header.index("组织积分条数")
    assert header[at:] == [f"{who}{n}" for who in ("组织", "居民") for n in ("积分条数", "积分合计", "加分", "扣分")]
    holders = whole["points"]
    assert total[at:] == [str(v) for v in (*holders["organization"].values(), *holders["resident"].values())]
    legal_csv = next(r for r in rows if r[2] == "联盟" and r[3] == "法律工作者联盟")
    assert legal_csv[at:] == [*map(str, by_alliance["legal"].values()), "", "", "", ""]
    assert all(r[at:] == [""] * 8 for r in rows if r[2] in ("类别", "街道"))
    book = xlsx_rows(await api.anon.get("/stats.xlsx", params=period(first_day, today)))
    assert book[1][at : at + 4] == list(whole["points"]["organization"].values())
