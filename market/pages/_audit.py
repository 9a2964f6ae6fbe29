"""The committee's view of one task's audit, and its CSV export."""

from __future__ import annotations

import csv
import io
import json

from litestar import Response, get
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from market.models import AuditEntry
from market.pages._base import COMMITTEE, UserRequest, localtime, page
from market.params import Db, PathId, Viewer
from market.services import tasks
from market.services._audit import task_history
from market.spreadsheets import BOM, inert

COLUMNS = ("id", "at", "actor", "entity", "entity_id", "action", "before", "after", "data", "prev_hash", "hash")


def _cell(value: object) -> str:
    """A value as CSV text that a spreadsheet shows as it is (an exported reason must stay text, never a formula)."""
    return inert("" if value is None else str(value))


def _data(entry: AuditEntry) -> str:
    return json.dumps(entry.data, ensure_ascii=False, sort_keys=True) if entry.data else ""


@get("/committee/tasks/{task_id:int}/audit", **COMMITTEE)
async def task_audit(request: UserRequest, db_session: Db, viewer: Viewer, task_id: PathId) -> Template:
    """Every audit entry about the task, oldest first (entries about sealed proposals withheld until the deadline)."""
    task = await tasks.get_task(db_session, task_id, viewer=request.user)
    rows = await task_history(db_session, task_id)
    return page("market/committee/audit.html.j2", viewer, task=task, items=[(e, _data(e)) for e in rows])


@get("/committee/tasks/{task_id:int}/audit.csv", **COMMITTEE)
async def task_audit_csv(request: UserRequest, db_session: Db, task_id: PathId) -> Response[bytes]:
    """The same entries as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese)."""
    await tasks.get_task(db_session, task_id, viewer=request.user)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for e in await task_history(db_session, task_id):
        at = localtime(e.at, "%Y-%m-%d %H:%M:%S")
        row = (e.id, at, e.actor_label, e.entity, e.entity_id, e.action, e.before, e.after, _data(e))
        writer.writerow([_cell(v) for v in (*row, e.prev_hash, e.hash)])
    return Response(
        content=(BOM + out.getvalue()).encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="task-{task_id}-audit.csv"'},
    )


AUDIT_PAGES: list[ControllerRouterHandler] = [task_audit, task_audit_csv]
