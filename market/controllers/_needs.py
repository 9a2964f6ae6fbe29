"""/needs: the need list (需求清单)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from alliances.models import ServiceCategory
from market.kernel.db import writing
from market.models import User
from market.params import Db, Limit, Now, Offset, PathId, QueryId, SearchText, Viewer
from market.schemas._needs import (
    CommunityRef,
    Need,
    NeedCreate,
    NeedDecline,
    NeedOrder,
    NeedPage,
    NeedSummary,
    NeedTask,
    OrganizationRef,
)
from market.security import requires_committee
from market.services import needs
from market.states import NeedStatus, OrderStatus


def _refs(row: needs.NeedRow) -> tuple[CommunityRef | None, OrganizationRef | None]:
    c, o = row.community, row.organization
    community = CommunityRef(c.id, c.name, c.street_id, c.street.name) if c is not None else None
    return community, (OrganizationRef(o.id, o.name) if o is not None else None)


def summary(row: needs.NeedRow) -> NeedSummary:
    """A row of the need list."""
    n = row.need
    community, organization = _refs(row)
    return NeedSummary(
        id=n.id,
        title=n.title,
        category=ServiceCategory(n.category),
        status=NeedStatus(n.status),
        community=community,
        organization=organization,
        raised_at=n.raised_at,
        decline_reason=n.decline_reason,
    )


def detail(d: needs.NeedDetail) -> Need:
    """A need with the tasks and orders answering it."""
    n = d.row.need
    community, organization = _refs(d.row)
    return Need(
        id=n.id,
        title=n.title,
        description=n.description,
        category=ServiceCategory(n.category),
        status=NeedStatus(n.status),
        community=community,
        organization=organization,
        raised_at=n.raised_at,
        decline_reason=n.decline_reason,
        tasks=[NeedTask(t.id, t.title, status) for t, status in d.tasks],
        orders=[NeedOrder(o.id, o.offering_id, o.offering.title, OrderStatus(o.status)) for o in d.orders],
    )


class NeedController(Controller):
    """The need list is public; secretaries and organisations raise needs, the committee declines them."""

    path = "/needs"
    tags = ["needs"]

    @get("/", exclude_from_auth=True)
    async def list_needs(
        self,
        db_session: Db,
        status: FromQuery[NeedStatus | None] = None,
        category: FromQuery[ServiceCategory | None] = None,
        community_id: QueryId = None,
        organization_id: QueryId = None,
        street_id: QueryId = None,
        q: SearchText = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> NeedPage:
        """The need list (需求清单), newest first."""
        f = needs.NeedFilter(status, category, community_id, organization_id, street_id, q, limit, offset)
        total, rows = await needs.list_needs(db_session, f)
        return NeedPage(total=total, items=[summary(r) for r in rows])

    @get("/{need_id:int}", exclude_from_auth=True)
    async def get_need(self, db_session: Db, clock: Now, viewer: Viewer, need_id: PathId) -> Need:
        """One need with the tasks and service orders answering it."""
        return detail(await needs.get_need(db_session, need_id, viewer=viewer, now=clock.now()))

    @post("/")
    async def raise_need(
        self, request: Request[User, Any, Any], db_session: Db, clock: Now, data: JSONBody[NeedCreate]
    ) -> Need:
        """Raise a need: a secretary for their community, an organisation member for their organisation."""
        now = clock.now()
        async with writing(db_session):
            need = await needs.raise_need(db_session, data, actor=request.user, now=now)
        return detail(await needs.get_need(db_session, need.id, viewer=request.user, now=now))

    @post("/{need_id:int}/decline", guards=[requires_committee], status_code=HTTP_200_OK)
    async def decline(
        self, request: Request[User, Any, Any], db_session: Db, clock: Now, need_id: PathId, data: JSONBody[NeedDecline]
    ) -> Need:
        """Decline an open need, with a reason."""
        now = clock.now()
        async with writing(db_session):
            await needs.decline_need(db_session, need_id, data.reason, actor=request.user, now=now)
        return detail(await needs.get_need(db_session, need_id, viewer=request.user, now=now))
