"""The award dossier (评审档案) as a public, printable page: /tasks/{id}/dossier.

It shows what `GET /api/v1/tasks/{id}/dossier` serves, from the same stored documents; the page header that only
print shows (task, date) and the print stylesheet (`static/site.css`, `@media print`) make it a clean A4 document.
"""

from __future__ import annotations

from litestar import get
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from market.pages._base import PUBLIC, page
from market.params import Db, PathId, Viewer
from market.services import dossiers


@get("/tasks/{task_id:int}/dossier", **PUBLIC)
async def dossier_page(db_session: Db, viewer: Viewer, task_id: PathId) -> Template:
    """Every award dossier of the task, newest award first, each with what was appended since; 404 until the
    first award."""
    found = await dossiers.dossiers_of(db_session, task_id, viewer=viewer)
    task = found.dossiers[0].document.task
    return page("market/tasks/dossier.html.j2", viewer, task=task, dossiers=found.dossiers)


DOSSIER_PAGES: list[ControllerRouterHandler] = [dossier_page]
