"""/ocds: open data (开放数据), every published task as an OCDS 1.1 contracting process. Public and read-only.

The packages are the standard's own JSON (release-package and record-package schemas, OCDS 1.1, with the extensions
each package lists), so they are documented as free-form objects here rather than restated field by field.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get

from market.params import Config, Db, Limit, Now, Offset, PathId
from market.services import ocds
from market.settings import Settings

Json = dict[str, Any]


def _publication(request: Request[Any, Any, Any], settings: Settings) -> ocds.Publication:
    site = settings.public_base_url or str(request.base_url).rstrip("/")
    return ocds.Publication(settings.ocid_prefix, settings.ocds_publisher, site)


class OcdsController(Controller):
    """Release and record packages; a task's ocid is the configured prefix, "-" and its id."""

    path = "/ocds"
    tags = ["open data"]

    @get(
        "/tasks/{task_id:int}/releases",
        exclude_from_auth=True,
        response_description="An OCDS 1.1 release package (the standard's release-package-schema.json)",
    )
    async def releases(
        self, request: Request[Any, Any, Any], db_session: Db, clock: Now, settings: Config, task_id: PathId
    ) -> Json:
        """An OCDS 1.1 release package: every release of one published task's contracting process, oldest first."""
        publication = _publication(request, settings)
        return await ocds.release_package(db_session, task_id, now=clock.now(), publication=publication)

    @get(
        "/tasks/{task_id:int}/record",
        exclude_from_auth=True,
        response_description="An OCDS 1.1 record package (the standard's record-package-schema.json)",
    )
    async def record(
        self, request: Request[Any, Any, Any], db_session: Db, clock: Now, settings: Config, task_id: PathId
    ) -> Json:
        """An OCDS 1.1 record package: one published task's record, its releases linked and compiled."""
        publication = _publication(request, settings)
        return await ocds.record_package(db_session, task_id, now=clock.now(), publication=publication)

    @get(
        "/records",
        exclude_from_auth=True,
        problems=[404],
        response_description="An OCDS 1.1 record package (the standard's record-package-schema.json)",
    )
    async def records(
        self,
        request: Request[Any, Any, Any],
        db_session: Db,
        clock: Now,
        settings: Config,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> Json:
        """An OCDS 1.1 record package of a page of published tasks, in the order they were published, with links to
        the next and previous pages; 404 past the last one."""
        publication = _publication(request, settings)
        return await ocds.records_page(db_session, limit=limit, offset=offset, now=clock.now(), publication=publication)
