"""The lists and the report as CSV and XLSX: /needs.csv, /services.xlsx, /orders.csv, /projects.xlsx, /stats.csv…

Each export is its own path beside the JSON list it mirrors, with the same query filters (no paging: all of it) and
the same access, because it asks the same service with the same filter and shapes rows from the same summaries. A
path per format, rather than `?format=`, gives each operation one response type in the OpenAPI document, a URL that
names the file, and leaves the JSON lists' contracts untouched.

Rows are read in batches of `BATCH` in one read-only session of their own, on one snapshot (SQLite's deferred read
transaction under WAL, PostgreSQL's REPEATABLE READ), so paging by offset neither loses nor repeats a row that
changes meanwhile. CSV goes out batch by batch as it is read; that session outlives the handler (the request's own
is closed as the answer starts), so it is closed when the last batch is read or the download is abandoned. XLSX is
written in constant memory to an anonymous temporary file, which is then streamed and deleted on close.

Each handler takes the request's own session (`db_session`) too, though it reads nothing with it: asking for it stores
what time has made due before the export's snapshot is taken, as for every read (docs/design.md, "Time").

Headers, labels and file names are in the reader's language: the `lang` cookie a page set, else `Accept-Language`,
else zh-CN.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import date
from typing import IO, Annotated, Any, Final

import anyio.to_thread
from litestar import Request, get
from litestar.datastructures import ResponseHeader
from litestar.params import FromQuery, QueryParameter
from litestar.response import Stream
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from alliances.models import ServiceCategory
from market.controllers import _export_sheets as sheets
from market.controllers._needs import summary as need_summary
from market.controllers._projects import summary as project_summary
from market.controllers._resources import QueryMonth, offering_view, order_view
from market.controllers._stats import period
from market.i18n import CATALOGS, LANG_COOKIE, choose_accept_language, t
from market.kernel.clock import Clock, local_date
from market.kernel.rules import day_parameter
from market.models import ResourceCategory, User
from market.params import Db, Now, QueryId, SearchText
from market.services import needs, projects, resources, stats
from market.spreadsheets import CSV_TYPE, XLSX_TYPE, Row, XlsxSheet, content_disposition, csv_chunks
from market.states import NeedStatus, OrderStatus, ProjectStatus

# Rows per statement: large enough that a big list costs few round trips, small enough that a batch's objects are
# a few hundred kilobytes.
BATCH = 500
CHUNK = 64 * 1024

# What each export's decorator says besides its path: its one content type and the headers that name the file.
DOCUMENTED = [
    ResponseHeader(
        name="Content-Disposition",
        documentation_only=True,
        value="attachment",  # documentation only: gives the header its type, a string
        required=True,
        description="attachment, with an ASCII filename and the filename in the reader's language (RFC 6266, 8187)",
    ),
    ResponseHeader(
        name="Content-Language",
        documentation_only=True,
        value="zh-CN",
        required=True,
        description="The language of the headers and labels: zh-CN or en",
    ),
]
CSV: Final[dict[str, Any]] = {"file_types": [CSV_TYPE], "response_headers": DOCUMENTED}
XLSX: Final[dict[str, Any]] = {"file_types": [XLSX_TYPE], "response_headers": DOCUMENTED}

# (session, offset, limit, lang) -> (how many rows the whole list has, this batch's rows)
Fetch = Callable[[AsyncSession, int, int, str], Awaitable[tuple[int, list[Row]]]]


def reader_lang(request: Request[Any, Any, Any]) -> str:
    """The language the page the reader came from is in (the `lang` cookie), else their `Accept-Language`'s."""
    cookie = request.cookies.get(LANG_COOKIE)
    return cookie if cookie in CATALOGS else choose_accept_language(request.headers.get("accept-language"))


async def _snapshot_session(request: Request[Any, Any, Any]) -> AsyncSession:
    """A session of the app's own for the export's reads, all on one snapshot of the database."""
    session: AsyncSession = request.app.state.alchemy.create_session_maker()()
    if session.get_bind().dialect.name == "postgresql":
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    return session


async def _batches(db: AsyncSession, fetch: Fetch, lang: str, total: int, first: list[Row]) -> AsyncIterator[list[Row]]:
    """The first batch (already read), then the rest, and the session closed however the reading ends."""
    try:
        yield first
        offset = len(first)
        while first and offset < total:
            _, batch = await fetch(db, offset, BATCH, lang)
            if not batch:
                break
            # Nothing is written: the batch's objects need not stay in the session's identity map.
            db.expunge_all()
            offset += len(batch)
            yield batch
    finally:
        await db.close()


async def _file_chunks(file: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while chunk := await anyio.to_thread.run_sync(file.read, CHUNK):
            yield chunk
    finally:
        file.close()


async def _xlsx(sheet: sheets.Sheet, lang: str, batches: AsyncIterator[list[Row]]) -> IO[bytes]:
    """The whole sheet written to a temporary file in constant memory, rewound for reading."""
    file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by _file_chunks once streamed, or below on failure)
    try:
        book = XlsxSheet(file, t(sheet.title, lang), sheet.columns, sheet.headers(lang))
        async for batch in batches:
            await anyio.to_thread.run_sync(book.write, batch)
        await anyio.to_thread.run_sync(book.close)
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return file


async def export(
    request: Request[Any, Any, Any], sheet: sheets.Sheet, suffix: str, fetch: Fetch, clock: Clock, tail: str = ""
) -> Stream:
    """The whole list as `suffix` (csv or xlsx), its file named with `tail` (else today's date); refused before any
    byte is sent if the first read is refused."""
    lang = reader_lang(request)
    db = await _snapshot_session(request)
    try:
        total, first = await fetch(db, 0, BATCH, lang)
    except BaseException:
        await db.close()
        raise
    batches = _batches(db, fetch, lang, total, first)
    tail = tail or local_date(clock.now()).isoformat()
    disposition = content_disposition(f"{sheet.stem}-{tail}.{suffix}", f"{t(sheet.title, lang)}-{tail}.{suffix}")
    headers = {"Content-Disposition": disposition, "Content-Language": lang}
    if suffix == "csv":
        return Stream(csv_chunks(sheet.columns, sheet.headers(lang), batches), media_type=CSV_TYPE, headers=headers)
    file = await _xlsx(sheet, lang, batches)
    return Stream(_file_chunks(file), media_type=XLSX_TYPE, headers=headers)


# The need list ------------------------------------------------------------------------------------------------


async def _needs(request: Request[Any, Any, Any], clock: Clock, suffix: str, *filters: Any) -> Stream:
    status, category, community_id, organization_id, street_id, q = filters
    base = needs.NeedFilter(status, category, community_id, organization_id, street_id, q)

    async def fetch(db: AsyncSession, offset: int, limit: int, lang: str) -> tuple[int, list[Row]]:
        total, rows = await needs.list_needs(db, dataclasses.replace(base, limit=limit, offset=offset))
        return total, [sheets.need_row(need_summary(r), lang) for r in rows]

    return await export(request, sheets.NEEDS, suffix, fetch, clock)


@get("/needs.csv", exclude_from_auth=True, tags=["needs"], **CSV)
async def needs_csv(
    request: Request[Any, Any, Any],
    db_session: Db,
    clock: Now,
    status: FromQuery[NeedStatus | None] = None,
    category: FromQuery[ServiceCategory | None] = None,
    community_id: QueryId = None,
    organization_id: QueryId = None,
    street_id: QueryId = None,
    q: SearchText = None,
) -> Stream:
    """The need list (需求清单) as CSV: every need under the list's filters, newest first."""
    return await _needs(request, clock, "csv", status, category, community_id, organization_id, street_id, q)


@get("/needs.xlsx", exclude_from_auth=True, tags=["needs"], **XLSX)
async def needs_xlsx(
    request: Request[Any, Any, Any],
    db_session: Db,
    clock: Now,
    status: FromQuery[NeedStatus | None] = None,
    category: FromQuery[ServiceCategory | None] = None,
    community_id: QueryId = None,
    organization_id: QueryId = None,
    street_id: QueryId = None,
    q: SearchText = None,
) -> Stream:
    """The need list (需求清单) as an Excel workbook."""
    return await _needs(request, clock, "xlsx", status, category, community_id, organization_id, street_id, q)


# The resource list and its orders -----------------------------------------------------------------------------

Provider = Annotated[str | None, QueryParameter(pattern=r"^(park|[1-9][0-9]{0,15})$")]


async def _services(request: Request[Any, Any, Any], clock: Clock, suffix: str, *filters: Any) -> Stream:
    category, provider, target_group, q, include_inactive = filters
    park = provider == "park"
    org_id = int(provider) if provider is not None and not park else None
    base = resources.OfferingFilter(category, park, org_id, target_group, q, include_inactive)
    now = clock.now()
    month = resources.month_text(resources.month_of(now))

    async def fetch(db: AsyncSession, offset: int, limit: int, lang: str) -> tuple[int, list[Row]]:
        f = dataclasses.replace(base, limit=limit, offset=offset)
        total, rows, held = await resources.list_offerings(db, f, now=now)
        return total, [sheets.service_row(offering_view(o, held[o.id], month), lang) for o in rows]

    return await export(request, sheets.SERVICES, suffix, fetch, clock)


@get("/services.csv", exclude_from_auth=True, tags=["services"], **CSV)
async def services_csv(
    request: Request[Any, Any, Any],
    db_session: Db,
    clock: Now,
    category: FromQuery[ResourceCategory | None] = None,
    provider: Provider = None,
    target_group: SearchText = None,
    q: SearchText = None,
    include_inactive: FromQuery[bool] = False,
) -> Stream:
    """The resource list (资源清单) as CSV, with this month's places: what may be ordered now unless asked for all."""
    return await _services(request, clock, "csv", category, provider, target_group, q, include_inactive)


@get("/services.xlsx", exclude_from_auth=True, tags=["services"], **XLSX)
async def services_xlsx(
    request: Request[Any, Any, Any],
    db_session: Db,
    clock: Now,
    category: FromQuery[ResourceCategory | None] = None,
    provider: Provider = None,
    target_group: SearchText = None,
    q: SearchText = None,
    include_inactive: FromQuery[bool] = False,
) -> Stream:
    """The resource list (资源清单) as an Excel workbook."""
    return await _services(request, clock, "xlsx", category, provider, target_group, q, include_inactive)


async def _orders(request: Request[User, Any, Any], clock: Clock, suffix: str, *filters: Any) -> Stream:
    status, offering_id, meeting_id, community_id, need_id, month = filters
    viewer = request.user
    parsed = resources.parse_month(month) if month else None

    async def fetch(db: AsyncSession, offset: int, limit: int, lang: str) -> tuple[int, list[Row]]:
        f = resources.OrderFilter(status, offering_id, meeting_id, parsed, community_id, need_id, limit, offset)
        total, rows = await resources.list_orders(db, f, viewer=viewer)
        return total, [sheets.order_row(order_view(o), lang) for o in rows]

    return await export(request, sheets.ORDERS, suffix, fetch, clock)


# An evaluator has no orders to see: 403, as from the JSON list.
@get("/orders.csv", tags=["services"], **CSV, problems=[403])
async def orders_csv(
    request: Request[User, Any, Any],
    db_session: Db,
    clock: Now,
    status: FromQuery[OrderStatus | None] = None,
    offering_id: QueryId = None,
    meeting_id: QueryId = None,
    community_id: QueryId = None,
    need_id: QueryId = None,
    month: QueryMonth = None,
) -> Stream:
    """The orders I may see, as CSV: my community's, my organisation's services', or (the committee) all."""
    return await _orders(request, clock, "csv", status, offering_id, meeting_id, community_id, need_id, month)


@get("/orders.xlsx", tags=["services"], **XLSX, problems=[403])
async def orders_xlsx(
    request: Request[User, Any, Any],
    db_session: Db,
    clock: Now,
    status: FromQuery[OrderStatus | None] = None,
    offering_id: QueryId = None,
    meeting_id: QueryId = None,
    community_id: QueryId = None,
    need_id: QueryId = None,
    month: QueryMonth = None,
) -> Stream:
    """The orders I may see, as an Excel workbook."""
    return await _orders(request, clock, "xlsx", status, offering_id, meeting_id, community_id, need_id, month)


# The project list ---------------------------------------------------------------------------------------------

Alliance = Annotated[str | None, QueryParameter(max_length=20, pattern=r"^[a-z-]+$")]


async def _projects(request: Request[Any, Any, Any], clock: Clock, suffix: str, *filters: Any) -> Stream:
    status, category, organization_id, alliance = filters

    async def fetch(db: AsyncSession, offset: int, limit: int, lang: str) -> tuple[int, list[Row]]:
        f = projects.ProjectFilter(status, category, organization_id, limit, offset, alliance)
        total, rows, need_ids = await projects.list_projects(db, f)
        latest = await projects.latest_reports(db, [p.id for p in rows])
        return total, [
            sheets.project_row(project_summary(p, need_ids[p.task_id], latest.get(p.id)), lang) for p in rows
        ]

    return await export(request, sheets.PROJECTS, suffix, fetch, clock)


@get("/projects.csv", exclude_from_auth=True, tags=["projects"], **CSV)
async def projects_csv(
    request: Request[Any, Any, Any],
    db_session: Db,
    clock: Now,
    status: FromQuery[ProjectStatus | None] = None,
    category: FromQuery[ServiceCategory | None] = None,
    organization_id: QueryId = None,
    alliance: Alliance = None,
) -> Stream:
    """The project list (项目清单) as CSV: organisation, alliance, budget, state, progress, final score, grade."""
    return await _projects(request, clock, "csv", status, category, organization_id, alliance)


@get("/projects.xlsx", exclude_from_auth=True, tags=["projects"], **XLSX)
async def projects_xlsx(
    request: Request[Any, Any, Any],
    db_session: Db,
    clock: Now,
    status: FromQuery[ProjectStatus | None] = None,
    category: FromQuery[ServiceCategory | None] = None,
    organization_id: QueryId = None,
    alliance: Alliance = None,
) -> Stream:
    """The project list (项目清单) as an Excel workbook."""
    return await _projects(request, clock, "xlsx", status, category, organization_id, alliance)


# The statistics report ----------------------------------------------------------------------------------------

From = Annotated[date | None, day_parameter("from")]
To = Annotated[date | None, day_parameter("to")]


async def _stats(
    request: Request[Any, Any, Any], clock: Clock, suffix: str, period_from: date | None, period_to: date | None
) -> Stream:
    now = clock.now()
    start, end = period(period_from, period_to, now)

    async def fetch(db: AsyncSession, offset: int, limit: int, lang: str) -> tuple[int, list[Row]]:
        # A report has a row per slice (alliances, categories, streets): one batch, however long the period. The sheet
        # has no up-review columns, so the published review scores are not read.
        rows = sheets.stats_rows(await stats.report(db, start, end, now=now, scores=False), lang)
        return len(rows), rows

    return await export(request, sheets.STATS, suffix, fetch, clock, tail=f"{start}_{end}")


@get("/stats.csv", exclude_from_auth=True, tags=["stats"], **CSV)
async def stats_csv(
    request: Request[Any, Any, Any], db_session: Db, clock: Now, period_from: From = None, period_to: To = None
) -> Stream:
    """The statistics report as CSV: a row for the total and for each alliance, category and street."""
    return await _stats(request, clock, "csv", period_from, period_to)


@get("/stats.xlsx", exclude_from_auth=True, tags=["stats"], **XLSX)
async def stats_xlsx(
    request: Request[Any, Any, Any], db_session: Db, clock: Now, period_from: From = None, period_to: To = None
) -> Stream:
    """The statistics report as an Excel workbook."""
    return await _stats(request, clock, "xlsx", period_from, period_to)


EXPORT_HANDLERS: Sequence[ControllerRouterHandler] = [
    needs_csv,
    needs_xlsx,
    services_csv,
    services_xlsx,
    orders_csv,
    orders_xlsx,
    projects_csv,
    projects_xlsx,
    stats_csv,
    stats_xlsx,
]
