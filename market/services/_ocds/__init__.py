"""Open data (开放数据): every published task as an OCDS 1.1 contracting process, in release and record packages.

Read-only and public: what a package holds is what the public may already read on the task's pages (see
`_releases`). The mapping is pure (`_releases`, `_merge`); `_load` reads a page of tasks in a fixed number of
statements. Extensions used, each listed in every package:

- Enquiries (ocds_enquiry_extension): the published questions and answers (答疑), `tender.enquiries`;
- Bid statistics and details (ocds_bid_extension): each claim as a bid at the deadline, the lead and its partners as
  the bid's `tenderers`, and the counts of bids, valid bids and bidders;
- European Union (ocds_eu_extension), for one code only: its `leadTenderer` party role marks the lead organisation of
  a joint claim (every member is also a `tenderer`, and a `supplier` of the award).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from market.kernel.errors import NotFound
from market.services._ocds._load import Histories, one, page_of
from market.services._ocds._merge import compile_releases
from market.services._ocds._releases import ocid_of, releases_of

Json = dict[str, Any]

VERSION = "1.1"
EXTENSIONS = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_enquiry_extension/v1.1.5/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_eu_extension/"
    "e9b3277f8bae8ce3d8a4041a971d2c5b85148405/extension.json",
)


def _package(uri: str, publisher: str, dated: list[Json]) -> Json:
    return {
        "uri": uri,
        "version": VERSION,
        "extensions": list(EXTENSIONS),
        # Made on demand: the date of the newest release it holds (the standard's rule for such packages).
        "publishedDate": max(r["date"] for r in dated),
        "publisher": {"name": publisher},
    }


def _releases(found: Histories, prefix: str, publisher: str) -> list[list[Json]]:
    return [
        releases_of(h, prefix=prefix, publisher=publisher, alliance_names=found.alliance_names) for h in found.items
    ]


async def release_package(
    db: AsyncSession, task_id: int, *, now: datetime, prefix: str, publisher: str, uri: str
) -> Json:
    """Every release of one published task; 404 for a task the public does not know."""
    (releases,) = _releases(await one(db, task_id, now=now), prefix, publisher)
    return _package(uri, publisher, releases) | {"releases": releases}


def record(releases: list[Json], release_url: str) -> Json:
    """A contracting process's record: its releases (linked by URL) and the compiled release."""
    return {
        "ocid": releases[0]["ocid"],
        "releases": [{"url": f"{release_url}#{r['id']}", "date": r["date"], "tag": r["tag"]} for r in releases],
        "compiledRelease": compile_releases(releases),
    }


async def record_package(
    db: AsyncSession,
    task_id: int,
    *,
    now: datetime,
    prefix: str,
    publisher: str,
    uri: str,
    release_url: Callable[[int], str],
) -> Json:
    """One published task's record; 404 for a task the public does not know."""
    (releases,) = _releases(await one(db, task_id, now=now), prefix, publisher)
    return _package(uri, publisher, releases) | {"records": [record(releases, release_url(task_id))]}


async def records_page(
    db: AsyncSession,
    *,
    limit: int,
    offset: int,
    now: datetime,
    prefix: str,
    publisher: str,
    uri: str,
    release_url: Callable[[int], str],
) -> Json:
    """One page of the published tasks' records, oldest task first.

    A package holds at least one record (the schema's rule), so a page past the last is a 404.
    """
    found = await page_of(db, limit=limit, offset=offset, now=now)
    if not found.items:
        raise NotFound("error.no_such_ocds_page")
    all_releases = _releases(found, prefix, publisher)
    records = [record(rs, release_url(h.task.id)) for h, rs in zip(found.items, all_releases, strict=True)]
    return _package(uri, publisher, [r["compiledRelease"] for r in records]) | {"records": records}


__all__ = ["EXTENSIONS", "VERSION", "ocid_of", "record", "record_package", "records_page", "release_package"]
