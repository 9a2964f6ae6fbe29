"""/organizations/{id}/watch-list: the committee places an organisation on the watch list (活动异常) and lifts it.

What bars an organisation from claiming is public on its record (`GET /organizations/{id}/record`), shaped here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from market.kernel.db import writing
from market.models import User
from market.models import WatchEntry as WatchEntryModel
from market.params import Db, Now, PathId
from market.schemas._bars import ClaimBar, WatchEntry, WatchListChange
from market.security import requires_committee
from market.services import bars


def bar_view(bar: bars.ClaimBar) -> ClaimBar:
    """A bar in force, as the record shows it."""
    return ClaimBar(
        kind="grade" if bar.kind is bars.BarKind.GRADE else "watch_list",
        since=bar.since,
        until=bar.until,
        reason=bar.reason,
        project_id=bar.project_id,
    )


def entry_view(e: WatchEntryModel) -> WatchEntry:
    """One stay on the watch list."""
    lifted: datetime | None = e.lifted_at
    return WatchEntry(
        id=e.id,
        organization_id=e.organization_id,
        reason=e.reason,
        placed_at=e.placed_at,
        lifted_at=lifted,
        lift_reason=e.lift_reason if lifted is not None else None,
    )


class WatchListController(Controller):
    """The committee's watch list: placing and lifting, each with a reason, audited, the organisation told."""

    path = "/organizations/{org_id:int}/watch-list"
    tags = ["organizations"]

    @post("/", guards=[requires_committee])
    async def place(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        org_id: PathId,
        data: JSONBody[WatchListChange],
    ) -> WatchEntry:
        """Place the organisation on the watch list: it may not lead or join a claim until lifted (409 if on it)."""
        async with writing(db_session):
            entry = await bars.place(db_session, org_id, data.reason, actor=request.user, now=clock.now())
        return entry_view(entry)

    @post("/lift", guards=[requires_committee], status_code=HTTP_200_OK)
    async def lift(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        org_id: PathId,
        data: JSONBody[WatchListChange],
    ) -> WatchEntry:
        """Lift the organisation off the watch list, with the reason (409 if it is not on it)."""
        async with writing(db_session):
            entry = await bars.lift(db_session, org_id, data.reason, actor=request.user, now=clock.now())
        return entry_view(entry)
