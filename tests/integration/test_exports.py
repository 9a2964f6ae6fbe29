"""The lists and the report as CSV and XLSX: the same rows as the JSON lists under the same filters, the same access,
Excel-readable Chinese, inert formulas, and reads in batches however long the list."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import anyio
import httpx
import openpyxl
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from market.controllers._exports import BATCH
from market.i18n import label
from market.kernel.clock import local
from market.kernel.db import writing
from market.models import Need
from market.states import NeedStatus
from tests.concurrency import get_scope
from tests.factories import (
    COOKIE,
    Api,
    As,
    finance_project,
    mobile,
    night_class,
    park_service,
    placed_order,
    posted_task,
    project_under_way,
    raised_need,
    secretary,
    sign_up,
)
from tests.statements import statements

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SUFFIXES = ("csv", "xlsx")
EVALUATION = {"comment": "服务覆盖面广,居民满意度高"}


def csv_rows(r: httpx.Response) -> list[list[str]]:
    """The CSV's records (header first), checked for the byte-order mark, UTF-8 and CRLF line ends."""
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.content.startswith(b"\xef\xbb\xbf"), "a byte-order mark, so that Excel reads UTF-8"
    text = r.content[3:].decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text, newline="")))


def xlsx_rows(r: httpx.Response) -> list[list[Any]]:
    """The workbook's one sheet as rows of cell values (empty cells as None)."""
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert len(book.worksheets) == 1
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def shown(value: datetime | str | None) -> str:
    """A JSON time as the CSV shows it: Asia/Shanghai, to the minute."""
    if value is None:
        return ""
    at = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return local(at).strftime("%Y-%m-%d %H:%M")


async def every(who: As, url: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a JSON list, page by page."""
    items: list[dict[str, Any]] = []
    while True:
        page = await who.ok("GET", url, params=params | {"limit": 100, "offset": len(items)})
        items += page["items"]
        if len(items) >= page["total"]:
            return items


# The need list ------------------------------------------------------------------------------------------------


async def _needs(api: Api) -> tuple[As, As]:
    first, second = await secretary(api), await secretary(api)
    member = await api.org_member()
    formulas = ('=HYPERLINK("http://x","点我")', "+86 热线", "-独居老人", "@某人 助餐")
    for title in (*formulas, "普通需求，含逗号", '带"引号"的需求'):
        await raised_need(first, api, title=title)
    await raised_need(second, api, title="另一社区的文化需求", category="culture")
    await raised_need(member, api, title="组织自身的能力建设需求")
    declined = await raised_need(first, api, title="不予受理的需求")
    await api.committee.ok("POST", f"/needs/{declined['id']}/decline", status=200, json={"reason": "不属于本平台范围"})
    return first, second


def need_row(n: dict[str, Any]) -> list[str]:
    c, o = n["community"], n["organization"]
    title = n["title"]
    return [
        str(n["id"]),
        "'" + title if title[0] in "=+-@" else title,
        label("category", n["category"]),
        label("need_status", n["status"]),
        c["street"] if c else "",
        c["name"] if c else "",
        o["name"] if o else "",
        shown(n["raised_at"]),
        n["decline_reason"],
    ]


async def test_need_csv_has_the_rows_of_the_json_list_under_each_filter(api: Api) -> None:
    first, _ = await _needs(api)
    community = first.user["community"]
    for filters in (
        {},
        {"status": "open", "category": "elderly_care"},
        {"community_id": community["id"]},
        {"street_id": community["street_id"], "q": "需求"},
        {"status": "declined"},
        {"q": "没有这样的需求"},
    ):
        expected = [need_row(n) for n in await every(api.anon, "/needs", **filters)]
        rows = csv_rows(await api.anon.get("/needs.csv", params=filters))
        assert rows[0] == ["编号", "名称", "类别", "状态", "街道", "社区", "组织", "提出时间", "不予受理/婉拒理由"]
        assert rows[1:] == expected, filters
    assert len(expected) == 0 and len(csv_rows(await api.anon.get("/needs.csv"))) == 1 + 9


async def test_need_xlsx_has_the_rows_of_the_json_list_with_times_as_dates(api: Api) -> None:
    await _needs(api)
    filters = {"category": "elderly_care"}
    items = await every(api.anon, "/needs", **filters)
    rows = xlsx_rows(await api.anon.get("/needs.xlsx", params=filters))
    assert rows[0][:2] == ["编号", "名称"]
    assert [r[0] for r in rows[1:]] == [n["id"] for n in items]
    assert [r[1] for r in rows[1:]] == [n["title"] for n in items]
    # A time is a date cell, in Shanghai's wall time.
    assert [r[7] for r in rows[1:]] == [
        local(datetime.fromisoformat(n["raised_at"])).replace(tzinfo=None, second=0, microsecond=0) for n in items
    ]


async def test_formula_cells_are_inert_in_csv_and_xlsx(api: Api) -> None:
    await _needs(api)
    titles = {row[1] for row in csv_rows(await api.anon.get("/needs.csv"))[1:]}
    assert {'\'=HYPERLINK("http://x","点我")', "'+86 热线", "'-独居老人", "'@某人 助餐"} <= titles
    assert not {t for t in titles if t[0] in "=+-@"}
    # Quoting per RFC 4180: a comma or a quote inside a cell keeps the cell whole.
    assert {"普通需求，含逗号", '带"引号"的需求'} <= titles
    book = openpyxl.load_workbook(io.BytesIO((await api.anon.get("/needs.xlsx")).content))
    cells = {c.value: c for c in book.worksheets[0]["B"][1:]}
    formula = cells['=HYPERLINK("http://x","点我")']
    # A string cell (never evaluated), marked with Excel's quote prefix so that editing it keeps it text.
    assert formula.data_type == "s" and formula.quotePrefix
    assert all(c.data_type == "s" for c in cells.values())
    assert not cells["普通需求，含逗号"].quotePrefix


async def test_headers_and_file_name_follow_the_readers_language(api: Api) -> None:
    await _needs(api)
    r = await api.anon.get("/needs.csv")
    day = local(api.clock.now()).date().isoformat()
    assert r.headers["content-disposition"] == (
        f"attachment; filename=\"needs-{day}.csv\"; filename*=UTF-8''{quote(f'需求清单-{day}.csv')}"
    )
    english = await api.anon.get("/needs.csv", headers={"Accept-Language": "en-GB,en;q=0.9"})
    header, *rows = csv_rows(english)
    assert header[:3] == ["ID", "Title", "Category"]
    assert "filename*=UTF-8''need-list-" in english.headers["content-disposition"]
    assert {r[2] for r in rows} == {label("category", c, "en") for c in ("elderly_care", "culture")}
    # A page's language choice (the lang cookie) wins over the browser's header.
    chosen = await api.anon.get("/needs.xlsx", headers={"Accept-Language": "zh-CN", "Cookie": "lang=en"})
    assert xlsx_rows(chosen)[0][:2] == ["ID", "Title"]


async def test_an_export_shows_what_time_has_made_of_a_need_at_once(api: Api) -> None:
    sec = await secretary(api)
    need = await raised_need(sec, api)
    await posted_task(api, need_ids=[need["id"]])
    assert [r[3] for r in csv_rows(await api.anon.get("/needs.csv"))[1:]] == [label("need_status", "matched")]
    # The task's deadline passes unclaimed and nothing ticks: the first read, an export, already shows the need open.
    api.clock.advance(days=10, seconds=1)
    rows = csv_rows(await api.anon.get("/needs.csv"))
    assert [r[3] for r in rows[1:]] == [label("need_status", "open")]
    assert (await api.anon.ok("GET", f"/needs/{need['id']}"))["status"] == "open"


async def test_export_refuses_malformed_filters_as_the_list_does(api: Api) -> None:
    for url in ("/needs", "/needs.csv", "/needs.xlsx"):
        r = await api.anon.get(url, params={"status": "nonsense"})
        assert r.status_code == 400, (url, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")


# The resource list and its orders -----------------------------------------------------------------------------


async def test_services_and_orders_export_the_rows_and_access_of_their_lists(api: Api) -> None:
    mine, other = await secretary(api), await secretary(api)
    training = await park_service(api, title="=社会组织能力培训")
    venue = await park_service(api, title="场地支持", category="venue", target_groups=["社区"])
    for who, service in ((mine, training), (mine, venue), (other, training)):
        await placed_order(api, who, service["id"], note="请安排周末")
    for filters in ({}, {"category": "venue"}, {"provider": "park", "q": "培训"}):
        items = await every(api.anon, "/services", **filters)
        rows = csv_rows(await api.anon.get("/services.csv", params=filters))
        assert [(int(r[0]), r[1], int(r[5]), int(r[7]), int(r[8])) for r in rows[1:]] == [
            (
                s["id"],
                "'" + s["title"] if s["title"].startswith("=") else s["title"],
                s["monthly_capacity"],
                s["accepted_this_month"],
                s["remaining_this_month"],
            )
            for s in items
        ], filters
        assert [r[0] for r in xlsx_rows(await api.anon.get("/services.xlsx", params=filters))[1:]] == [
            s["id"] for s in items
        ]
    # Orders: what each role may see in the JSON list, no more, and 401/403 exactly where the list answers them.
    evaluator = await api.user("evaluator")
    for suffix in ("", ".csv", ".xlsx"):
        assert (await api.anon.get(f"/orders{suffix}")).status_code == 401
        assert (await evaluator.get(f"/orders{suffix}")).status_code == 403
    for who in (mine, other, api.committee):
        for filters in ({}, {"offering_id": training["id"]}, {"status": "requested"}):
            items = await every(who, "/orders", **filters)
            rows = csv_rows(await who.get("/orders.csv", params=filters))
            assert [(int(r[0]), r[4], r[7]) for r in rows[1:]] == [
                (o["id"], o["offering"]["title"].replace("=", "'=", 1), o["community"]["name"]) for o in items
            ]
            assert [r[0] for r in xlsx_rows(await who.get("/orders.xlsx", params=filters))[1:]] == [
                o["id"] for o in items
            ]
    assert len(await every(mine, "/orders")) == 2


async def test_no_export_holds_a_residents_number(api: Api) -> None:
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"], seats=1)
    for n in (1, 2):  # one confirmed, one waitlisted
        await sign_up(api, session["id"], n)
    sec = await secretary(api)
    await placed_order(api, sec, (await park_service(api))["id"])
    await raised_need(sec, api)
    urls = [
        (api.anon, f"/{name}.{suffix}") for name in ("needs", "services", "projects", "stats") for suffix in SUFFIXES
    ]
    urls += [(who, f"/orders.{suffix}") for who in (api.committee, sec, organiser) for suffix in SUFFIXES]
    for who, url in urls:
        r = await who.get(url)
        text = str(csv_rows(r)) if url.endswith(".csv") else str(xlsx_rows(r))
        for n in (1, 2):
            number = mobile(n)
            assert number not in text and f"{number[:3]}****{number[-4:]}" not in text and number[-8:] not in text


# The project list ---------------------------------------------------------------------------------------------


async def test_project_export_has_the_rows_grades_money_and_dates_of_the_json_list(api: Api) -> None:
    review, graded = await project_under_way(api)
    await review.orgs[0].ok("POST", f"/projects/{graded['id']}/deliver", status=200)
    await api.committee.ok("POST", f"/projects/{graded['id']}/evaluation", status=200, json=EVALUATION | {"score": 95})
    await project_under_way(api)
    items = await every(api.anon, "/projects")
    assert len(items) == 2
    rows = csv_rows(await api.anon.get("/projects.csv"))
    assert rows[0][7:9] == ["预算（元）", "开始时间"]
    for row, p in zip(rows[1:], items, strict=True):
        assert row[0] == str(p["id"]) and row[2] == p["title"]
        assert Decimal(row[7]) == Decimal(p["budget_fen"]) / 100 and len(row[7].split(".")[1]) == 2
        assert row[8] == shown(p["started_at"]) and row[10] == shown(p["closed_at"])
        assert row[11] == (f"{Decimal(p['final_score']):.2f}" if p["final_score"] is not None else "")
        assert row[12] == (label("grade", p["grade"]) if p["grade"] else "")
    assert "优秀" in {r[12] for r in rows[1:]}
    closed = xlsx_rows(await api.anon.get("/projects.xlsx", params={"status": "closed"}))
    assert [r[0] for r in closed[1:]] == [graded["id"]]
    budget, started, score = closed[1][7], closed[1][8], closed[1][11]
    assert budget == graded["budget_fen"] / 100 and isinstance(started, datetime) and score == 95
    book = openpyxl.load_workbook(io.BytesIO((await api.anon.get("/projects.xlsx")).content))
    assert book.worksheets[0]["H2"].number_format == "#,##0.00"
    assert book.worksheets[0]["I2"].number_format == "yyyy-mm-dd hh:mm"


# The statistics report ----------------------------------------------------------------------------------------


async def test_stats_export_has_a_row_per_slice_of_the_json_report(api: Api) -> None:
    await _needs(api)
    await project_under_way(api)
    period = {"from": "2025-01-01", "to": local(api.clock.now()).date().isoformat()}
    report = await api.anon.ok("GET", "/stats", params=period)
    rows = csv_rows(await api.anon.get("/stats.csv", params=period))
    slices = 1 + len(report["by_alliance"]) + len(report["by_category"]) + len(report["by_street"])
    assert len(rows) == 1 + slices
    header, total = rows[0], rows[1]
    assert header[:8] == ["起始日期", "截止日期", "维度", "名称", "发榜", "揭榜", "承榜", "流榜"]
    t, n = report["total"]["tasks"], report["total"]["needs"]
    assert total[:9] == [period["from"], period["to"], "合计", "", *map(str, t.values()), str(n["raised"])]
    by_category = {r[3]: r for r in rows if r[2] == "类别"}
    for code, b in report["by_category"].items():
        assert by_category[label("category", code)][8] == str(b["needs"]["raised"])
    book = xlsx_rows(await api.anon.get("/stats.xlsx", params=period))
    assert book[1][4:8] == list(t.values())
    backwards = {"from": "2026-02-01", "to": "2026-01-01"}
    refused = await api.anon.get("/stats", params=backwards)
    for url in ("/stats.csv", "/stats.xlsx"):
        r = await api.anon.get(url, params=backwards)
        assert (r.status_code, r.json()["code"]) == (refused.status_code, "error.from_after_to")


# A long list ---------------------------------------------------------------------------------------------------


async def _many_needs(api: Api, sec: As, count: int) -> None:
    """`count` needs of the secretary's community straight into the database (in one transaction, as the API would
    store them one by one: the statistics listener counts them into their day)."""

    async def add(engine: AsyncEngine) -> None:
        async with async_sessionmaker(engine, expire_on_commit=False)() as db, writing(db):
            now = api.clock.now()
            db.add_all(
                Need(
                    title=f"=批量需求{i}" if i % 7 == 0 else f"批量需求{i}",
                    description="",
                    category="elderly_care",
                    community_id=sec.user["community"]["id"],
                    raised_by_id=sec.user["id"],
                    status=NeedStatus.OPEN,
                    raised_at=now - timedelta(minutes=i),
                )
                for i in range(count)
            )
            # Flushed inside the transaction, so the statistics listener sees the rows before the commit.
            await db.flush()

    await api.database(add)


def sent(api: Api, path: str) -> tuple[int, int]:
    """(bytes sent, peak memory traced) for a GET of `path`, each chunk of the answer dropped once it is sent: the app
    is called as a server would call it, on the loop that serves it (the test client would keep the whole body)."""
    return api.client.blocking_portal.call(_sent, api.client.app, path)


async def _sent(app: Any, path: str) -> tuple[int, int]:
    size = 0
    asked = False
    done = anyio.Event()

    async def receive() -> dict[str, Any]:
        # As a server does: the request (no body), then, once the answer is complete, the end of the connection.
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal size
        if message["type"] == "http.response.start":
            assert message["status"] == 200
        elif message["type"] == "http.response.body":
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                done.set()

    scope = get_scope(path)
    tracemalloc.start()
    try:
        await app(scope, receive, send)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return size, peak


async def test_a_long_export_reads_in_batches_with_bounded_memory(api: Api) -> None:
    sec = await secretary(api)
    engine: AsyncEngine = api.client.app.state.alchemy.get_engine()
    await _many_needs(api, sec, 10)
    counts: dict[str, int] = {}
    for suffix in ("csv", "xlsx"):
        with statements(engine) as seen:
            assert (await api.anon.get(f"/needs.{suffix}")).status_code == 200
        counts[suffix] = len(seen)
    await _many_needs(api, sec, 2 * BATCH + 190)  # 1200 needs: three batches
    for suffix in ("csv", "xlsx"):
        with statements(engine) as seen:
            r = await api.anon.get(f"/needs.{suffix}")
        rows = csv_rows(r) if suffix == "csv" else xlsx_rows(r)
        assert len(rows) == 1 + 2 * BATCH + 200
        assert len({row[0] for row in rows[1:]}) == 2 * BATCH + 200
        # Two more batches, two statements each (the list's count and its rows), whatever the number of rows.
        assert len(seen) == counts[suffix] + 2 * 2, (suffix, seen)
    # Memory: the answer is sent as it is made, so what is held at once is a batch, not the list. Four times the
    # rows (and bytes) cost well under twice the peak.
    small = sent(api, "/api/v1/needs.csv")
    await _many_needs(api, sec, 3 * 1200)
    large = sent(api, "/api/v1/needs.csv")
    assert large[0] > 3.5 * small[0]
    assert large[1] < 1.5 * small[1], (small, large)
    print("MEMORY csv", small, large)


# Linked from the pages they mirror ------------------------------------------------------------------------------


async def test_list_pages_link_their_exports_under_their_filters(api: Api) -> None:
    sec, _ = await _needs(api)
    page = await api.client.get("/needs", params={"status": "open", "category": "elderly_care", "page": "1"})
    for suffix in ("csv", "xlsx"):
        assert f'href="/api/v1/needs.{suffix}?category=elderly_care&amp;status=open"' in page.text
    # The link gives every row the page's filters select, not only the page shown.
    rows = csv_rows(await api.anon.get("/needs.csv?category=elderly_care&status=open"))
    assert [r[0] for r in rows[1:]] == [
        str(n["id"]) for n in await every(api.anon, "/needs", status="open", category="elderly_care")
    ]
    english = await api.client.get("/needs", headers={"Cookie": "lang=en"})
    assert "Every record under the current filters" in english.text
    assert 'href="/api/v1/projects.csv"' in (await api.client.get("/projects")).text
    services = await api.client.get("/services", params={"q": "培训"})
    assert 'href="/api/v1/services.csv?q=%E5%9F%B9%E8%AE%AD"' in services.text
    # The orders' link is offered to those who may read orders, and to nobody else.
    assert 'href="/api/v1/orders.csv"' not in services.text
    mine = await api.client.get("/services", headers={"Cookie": f"{COOKIE}={sec.cookie}"})
    assert 'href="/api/v1/orders.csv"' in mine.text
    stats_page = await api.client.get("/stats", params={"from": "2026-01-01", "to": "2026-03-31"})
    assert 'href="/api/v1/stats.xlsx?from=2026-01-01&amp;to=2026-03-31"' in stats_page.text
