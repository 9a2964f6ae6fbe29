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

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from market.kernel.errors import NotFound
from market.services._ocds._load import Histories, one, page_of
from market.services._ocds._merge import compile_releases
from market.services._ocds._releases import ocid_of, releases_of

Json = dict[str, Any]

API = "/api/v1/ocds"
VERSION = "1.1"
# The paged list's `links` (next, prev): the pagination extension, which patches the package schemas.
PAGINATION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_pagination_extension/"
    "a0df51b5214325561d4efde52f775ea75271c683/extension.json"
)
EXTENSIONS = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_enquiry_extension/v1.1.5/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_eu_extension/"
    "e9b3277f8bae8ce3d8a4041a971d2c5b85148405/extension.json",
)


@dataclass(frozen=True, slots=True)
class Publication:
    """Who publishes, under which ocid prefix, and where the public reaches the service (every URL starts there)."""

    prefix: str
    publisher: str
    site: str

    def releases_url(self, task_id: int) -> str:
        """Where one task's release package is served."""
        return f"{self.site}{API}/tasks/{task_id}/releases"

    def record_url(self, task_id: int) -> str:
        """Where one task's record package is served."""
        return f"{self.site}{API}/tasks/{task_id}/record"

    def records_url(self, limit: int, offset: int) -> str:
        """Where a page of records is served."""
        return f"{self.site}{API}/records?limit={limit}&offset={offset}"


def _package(uri: str, publisher: str, dated: list[Json]) -> Json:
    return {
        "uri": uri,
        "version": VERSION,
        "extensions": list(EXTENSIONS),
        # Made on demand: the date of the newest release it holds (the standard's rule for such packages).
        "publishedDate": max(r["date"] for r in dated),
        "publisher": {"name": publisher},
    }


def _releases(found: Histories, p: Publication) -> list[list[Json]]:
    names = found.alliance_names
    return [
        releases_of(h, prefix=p.prefix, publisher=p.publisher, alliance_names=names, site=p.site) for h in found.items
    ]


async def release_package(db: AsyncSession, task_id: int, *, now: datetime, publication: Publication) -> Json:
    """Every release of one published task; 404 for a task the public does not know."""
    (releases,) = _releases(await one(db, task_id, now=now), publication)
    uri = publication.releases_url(task_id)
    return _package(uri, publication.publisher, releases) | {"releases": releases}


def record(releases: list[Json], release_url: str) -> Json:
    """A contracting process's record: its releases (linked by URL) and the compiled release."""
    return {
        "ocid": releases[0]["ocid"],
        "releases": [{"url": f"{release_url}#{r['id']}", "date": r["date"], "tag": r["tag"]} for r in releases],
        "compiledRelease": compile_releases(releases),
    }


async def record_package(db: AsyncSession, task_id: int, *, now: datetime, publication: Publication) -> Json:
    """One published task's record; 404 for a task the public does not know."""
    (releases,) = _releases(await one(db, task_id, now=now), publication)
    records = [record(releases, publication.releases_url(task_id))]
    return _package(publication.record_url(task_id), publication.publisher, releases) | {"records": records}


async def records_page(db: AsyncSession, *, limit: int, offset: int, now: datetime, publication: Publication) -> Json:
    """One page of the published tasks' records in the order they were published, with `links` to the pages next
    to it (the pagination extension).

    A package holds at least one record (the schema's rule), so a page past the last is a 404.
    """
    found, more = await page_of(db, limit=limit, offset=offset, now=now)
    if not found.items:
        raise NotFound("error.no_such_ocds_page")
    links = {"next": publication.records_url(limit, offset + limit)} if more else {}
    if offset:
        links["prev"] = publication.records_url(limit, max(0, offset - limit))
    pairs = zip(found.items, _releases(found, publication), strict=True)
    records = [record(rs, publication.releases_url(h.task.id)) for h, rs in pairs]
    package = _package(
        publication.records_url(limit, offset), publication.publisher, [r["compiledRelease"] for r in records]
    )
    package["extensions"].append(PAGINATION)
    return package | {"records": records} | ({"links": links} if links else {})


__all__ = [
    "EXTENSIONS",
    "VERSION",
    "Publication",
    "ocid_of",
    "record",
    "record_package",
    "records_page",
    "release_package",
]
