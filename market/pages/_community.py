"""Community work: the secretary's desk (`/community`) with the community's needs, its orders by what they wait
for and the coming ordering meetings (点单会); the order lists of a community and of the committee.

Needs are in `_needs`, ordering and one order's moves in `_orders`, offerings and ordering meetings in `_offerings`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from litestar import Request, get
from litestar.response import Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from alliances.models import Community
from market.controllers import _needs as need_views
from market.controllers import _resources as resource_views
from market.i18n import label
from market.models import User
from market.overdue import order_lateness
from market.pages._base import (
    COMMITTEE,
    SECRETARY,
    PageNo,
    Paging,
    Query,
    enum_or_none,
    own_community,
    page,
    page_number,
)
from market.params import Db, Now
from market.schemas._resources import (
    Order,
)
from market.services import needs, resources
from market.states import ORDER_TRANSITIONS, OrderStatus

UserRequest = Request[User, Any, Any]


LIST_SIZE = 100


def select_options(kind: str, members: list[Any], lang: str) -> list[tuple[str, str]]:
    """An enum's members as (value, label) pairs for a select."""
    return [(m.value, label(kind, m, lang)) for m in members]


# Overdue orders (market/overdue.py holds the thresholds) ------------------------------------------------------


def late_orders(orders: Iterable[Order], now: datetime) -> dict[int, str]:
    """Order id → why it is overdue, for the order cards' flags (orders not overdue are left out)."""
    late: dict[int, str] = {}
    for o in orders:
        why = order_lateness(o.status, o.ordered_at, resources.parse_month(o.service_month), now)
        if why is not None:
            late[o.id] = why.value
    return late


# What the secretary's desk lists under "recent": orders with nothing left to do, the states the order's table
# leads nowhere from (the others have sections).
SETTLED_ORDER_STATES = tuple(status for status, onward in ORDER_TRANSITIONS.items() if not onward)


def _oldest_first(orders: list[Order]) -> list[Order]:
    return sorted(orders, key=lambda o: (o.service_month, o.id))


# The secretary's desk ----------------------------------------------------------------------------------------


@get("/community", **SECRETARY)
async def desk(request: UserRequest, db_session: Db, clock: Now) -> Template:
    """The community's needs, its orders by what they wait for, and the coming ordering meetings."""
    user = request.user
    community_id = own_community(user)
    now = clock.now()
    community = await db_session.get(Community, community_id)
    _, need_rows = await needs.list_needs(db_session, needs.NeedFilter(community_id=community_id, limit=LIST_SIZE))

    async def orders_in(*statuses: OrderStatus, limit: int = LIST_SIZE) -> list[Order]:
        _, rows = await resources.list_orders(
            db_session, resources.OrderFilter(statuses=statuses, limit=limit), viewer=user
        )
        return [resource_views.order_view(o) for o in rows]

    # Each order once, in the section of what it waits for; the oldest month first, so what is overdue leads.
    to_confirm = _oldest_first(await orders_in(OrderStatus.ACCEPTED))
    to_rate = _oldest_first(await orders_in(OrderStatus.DELIVERED))
    waiting = _oldest_first(await orders_in(OrderStatus.REQUESTED))
    settled = await orders_in(*SETTLED_ORDER_STATES, limit=10)
    return page(
        "market/community/desk.html.j2",
        user,
        community=community,
        needs=[need_views.summary(r) for r in need_rows],
        to_rate=to_rate,
        to_confirm=to_confirm,
        waiting=waiting,
        recent=settled,
        late=late_orders([*to_confirm, *waiting], now),
        meetings=await resources.coming_meetings(db_session, now, limit=LIST_SIZE),
    )


@get("/community/orders", **SECRETARY)
async def community_orders(
    request: UserRequest, db_session: Db, clock: Now, status: Query = None, page_: PageNo = None
) -> Template:
    """Every order of the community, newest first, by status."""
    own_community(request.user)
    return await _order_list(
        request.user, db_session, clock.now(), "community", enum_or_none(OrderStatus, status), page_number(page_)
    )


@get("/committee/orders", **COMMITTEE)
async def committee_orders(
    request: UserRequest, db_session: Db, clock: Now, status: Query = None, page_: PageNo = None
) -> Template:
    """Orders for the park's own services: by default those waiting for the committee's answer."""
    chosen = enum_or_none(OrderStatus, status) if status != "all" else None
    if status is None:
        chosen = OrderStatus.REQUESTED
    return await _order_list(request.user, db_session, clock.now(), "committee", chosen, page_number(page_), park=True)


async def _order_list(
    user: User,
    db: AsyncSession,
    now: datetime,
    who: str,
    status: OrderStatus | None,
    number: int,
    *,
    park: bool = False,
) -> Template:
    paging_size = 20
    f = resources.OrderFilter(status=status, limit=paging_size, offset=(number - 1) * paging_size, park=park)
    total, rows = await resources.list_orders(db, f, viewer=user)
    orders = [resource_views.order_view(o) for o in rows]
    return page(
        "market/community/orders.html.j2",
        user,
        who=who,
        orders=orders,
        late=late_orders(orders, now),
        paging=Paging(number, total, paging_size),
        status=status.value if status else ("all" if who == "committee" else ""),
        statuses=list(OrderStatus),
    )


COMMUNITY_PAGES: list[ControllerRouterHandler] = [desk, community_orders, committee_orders]
