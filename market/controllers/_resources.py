"""/services (服务资源库), /orders (点单) and /meetings (社区书记点单会)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from market.kernel.clock import Clock
from market.kernel.db import writing
from market.models import Offering as OfferingModel
from market.models import ResourceCategory, User
from market.models import ServiceOrder as OrderModel
from market.params import Db, Limit, Now, Offset, PathId, QueryId, SearchText, Viewer
from market.schemas._needs import CommunityRef
from market.schemas._resources import (
    Meeting,
    MeetingCreate,
    MeetingOfferingOrders,
    MeetingPage,
    MeetingSummary,
    MonthCapacity,
    Offering,
    OfferingCreate,
    OfferingDetail,
    OfferingPage,
    OfferingRef,
    OfferingUpdate,
    Order,
    OrderCreate,
    OrderDecline,
    OrderPage,
    OrderRate,
)
from market.security import requires_committee, requires_secretary
from market.services import resources
from market.states import OrderStatus

QueryMonth = Annotated[str | None, QueryParameter(pattern=r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$")]


def offering_view(o: OfferingModel, held: int, now_month: str) -> Offering:
    """A service as the resource list shows it, with this month's held and remaining places."""
    return Offering(
        id=o.id,
        title=o.title,
        description=o.description,
        category=ResourceCategory(o.category),
        target_groups=list(o.target_groups),
        monthly_capacity=o.monthly_capacity,
        active=o.active,
        provider="park" if o.organization_id is None else "organization",
        organization_id=o.organization_id,
        provider_name=resources.provider_name(o),
        orderable=resources.orderable(o),
        month=now_month,
        accepted_this_month=held,
        remaining_this_month=max(o.monthly_capacity - held, 0),
    )


async def offering_detail(db: AsyncSession, offering_id: int, clock: Clock) -> OfferingDetail:
    """A service with its capacity in every month that may be ordered now."""
    o = await resources.get_offering(db, offering_id)
    now = clock.now()
    months = resources.orderable_months(now)
    held = await resources.held_counts(db, [o.id], months)
    base = offering_view(o, held.get((o.id, months[0]), 0), resources.month_text(months[0]))
    per_month = [
        MonthCapacity(
            resources.month_text(m), held.get((o.id, m), 0), max(o.monthly_capacity - held.get((o.id, m), 0), 0)
        )
        for m in months
    ]
    return OfferingDetail(**msgspec.structs.asdict(base), months=per_month)


def order_view(o: OrderModel) -> Order:
    """An order as its community, its provider and the committee see it."""
    offering, community = o.offering, o.community
    return Order(
        id=o.id,
        status=OrderStatus(o.status),
        service_month=resources.month_text(o.service_month),
        offering=OfferingRef(
            offering.id,
            offering.title,
            ResourceCategory(offering.category),
            offering.organization_id,
            resources.provider_name(offering),
        ),
        community=CommunityRef(community.id, community.name, community.street_id, community.street.name),
        ordered_by_id=o.ordered_by_id,
        need_id=o.need_id,
        meeting_id=o.meeting_id,
        note=o.note,
        decline_reason=o.decline_reason,
        rating=o.rating,
        rating_comment=o.rating_comment,
        ordered_at=o.ordered_at,
        decided_at=o.decided_at,
        delivered_at=o.delivered_at,
    )


class OfferingController(Controller):
    """The resource list is public; the committee and organisations publish services; secretaries order them."""

    path = "/services"
    tags = ["services"]

    @get("/", exclude_from_auth=True)
    async def list_services(
        self,
        db_session: Db,
        clock: Now,
        category: FromQuery[ResourceCategory | None] = None,
        provider: Annotated[str | None, QueryParameter(pattern=r"^(park|[1-9][0-9]{0,15})$")] = None,
        target_group: SearchText = None,
        q: SearchText = None,
        include_inactive: FromQuery[bool] = False,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> OfferingPage:
        """Browse services: `provider` is `park` or an organisation id; by default only what may be ordered now."""
        now = clock.now()
        park = provider == "park"
        org_id = int(provider) if provider is not None and not park else None
        f = resources.OfferingFilter(category, park, org_id, target_group, q, include_inactive, limit, offset)
        total, rows, held = await resources.list_offerings(db_session, f, now=now)
        month = resources.month_text(resources.month_of(now))
        return OfferingPage(total=total, items=[offering_view(o, held[o.id], month) for o in rows])

    @get("/{offering_id:int}", exclude_from_auth=True)
    async def get_service(self, db_session: Db, clock: Now, offering_id: PathId) -> OfferingDetail:
        """One service with its held and remaining places per month."""
        return await offering_detail(db_session, offering_id, clock)

    @post("/")
    async def create(
        self, request: Request[User, Any, Any], db_session: Db, clock: Now, data: JSONBody[OfferingCreate]
    ) -> OfferingDetail:
        """Publish a service: the committee's are the park's, an organisation member's their organisation's."""
        async with writing(db_session):
            offering = await resources.create_offering(db_session, data, actor=request.user, now=clock.now())
        return await offering_detail(db_session, offering.id, clock)

    @patch("/{offering_id:int}")
    async def update(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        offering_id: PathId,
        data: JSONBody[OfferingUpdate],
    ) -> OfferingDetail:
        """The provider edits description, target groups, capacity, or takes the service off (active false)."""
        async with writing(db_session):
            await resources.update_offering(db_session, offering_id, data, actor=request.user, now=clock.now())
        return await offering_detail(db_session, offering_id, clock)

    @post("/{offering_id:int}/orders", guards=[requires_secretary])
    async def order(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        offering_id: PathId,
        data: JSONBody[OrderCreate],
    ) -> Order:
        """Order the service (点单) for your community in a month (this one up to 12 ahead)."""
        async with writing(db_session):
            order = await resources.place_order(db_session, offering_id, data, actor=request.user, now=clock.now())
        return order_view(order)


class OrderController(Controller):
    """Orders: seen by their community, their provider and the committee; moved by whoever's turn it is."""

    path = "/orders"
    tags = ["services"]

    # An evaluator has no orders to see: 403, not an empty list.
    @get("/", problems=[403])
    async def list_orders(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        status: FromQuery[OrderStatus | None] = None,
        offering_id: QueryId = None,
        meeting_id: QueryId = None,
        community_id: QueryId = None,
        need_id: QueryId = None,
        month: QueryMonth = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> OrderPage:
        """Orders I may see: my community's, my organisation's services', or (the committee) all."""
        f = resources.OrderFilter(
            status,
            offering_id,
            meeting_id,
            resources.parse_month(month) if month else None,
            community_id,
            need_id,
            limit,
            offset,
        )
        total, rows = await resources.list_orders(db_session, f, viewer=request.user)
        return OrderPage(total=total, items=[order_view(o) for o in rows])

    @get("/{order_id:int}")
    async def get_order(self, request: Request[User, Any, Any], db_session: Db, order_id: PathId) -> Order:
        """One order."""
        return order_view(await resources.get_order(db_session, order_id, viewer=request.user))

    @post("/{order_id:int}/accept", status_code=HTTP_200_OK)
    async def accept(self, request: Request[User, Any, Any], db_session: Db, clock: Now, order_id: PathId) -> Order:
        """The provider accepts, within the month's capacity."""
        async with writing(db_session):
            order = await resources.accept_order(db_session, order_id, actor=request.user, now=clock.now())
        return order_view(order)

    @post("/{order_id:int}/decline", status_code=HTTP_200_OK)
    async def decline(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        order_id: PathId,
        data: JSONBody[OrderDecline],
    ) -> Order:
        """The provider declines, with a reason."""
        async with writing(db_session):
            order = await resources.decline_order(
                db_session, order_id, data.reason, actor=request.user, now=clock.now()
            )
        return order_view(order)

    @post("/{order_id:int}/cancel", status_code=HTTP_200_OK)
    async def cancel(self, request: Request[User, Any, Any], db_session: Db, clock: Now, order_id: PathId) -> Order:
        """The ordering community withdraws a requested or accepted order."""
        async with writing(db_session):
            order = await resources.cancel_order(db_session, order_id, actor=request.user, now=clock.now())
        return order_view(order)

    @post("/{order_id:int}/deliver", status_code=HTTP_200_OK)
    async def deliver(self, request: Request[User, Any, Any], db_session: Db, clock: Now, order_id: PathId) -> Order:
        """The ordering community confirms delivery."""
        async with writing(db_session):
            order = await resources.deliver_order(db_session, order_id, actor=request.user, now=clock.now())
        return order_view(order)

    @post("/{order_id:int}/rate", status_code=HTTP_200_OK)
    async def rate(
        self, request: Request[User, Any, Any], db_session: Db, clock: Now, order_id: PathId, data: JSONBody[OrderRate]
    ) -> Order:
        """The ordering community rates a delivered service, 1 to 5."""
        async with writing(db_session):
            order = await resources.rate_order(
                db_session, order_id, data.rating, data.comment, actor=request.user, now=clock.now()
            )
        return order_view(order)


class MeetingController(Controller):
    """Ordering meetings: scheduled by the committee, public to read."""

    path = "/meetings"
    tags = ["services"]

    @get("/", exclude_from_auth=True)
    async def list_meetings(self, db_session: Db, clock: Now, limit: Limit = 20, offset: Offset = 0) -> MeetingPage:
        """Meetings, latest first."""
        now = clock.now()
        total, rows = await resources.list_meetings(db_session, limit=limit, offset=offset)
        return MeetingPage(
            total=total,
            items=[
                MeetingSummary(
                    id=r.meeting.id,
                    title=r.meeting.title,
                    place=r.meeting.place,
                    starts_at=r.meeting.starts_at,
                    ends_at=r.meeting.ends_at,
                    phase=resources.meeting_phase(r.meeting, now),
                    offering_count=r.offering_count,
                    order_count=r.order_count,
                )
                for r in rows
            ],
        )

    @get("/{meeting_id:int}", exclude_from_auth=True)
    async def get_meeting(self, db_session: Db, clock: Now, viewer: Viewer, meeting_id: PathId) -> Meeting:
        """A meeting: presented services, orders placed during it per service, and the orders you may see."""
        return await _meeting(db_session, meeting_id, viewer, clock)

    @post("/", guards=[requires_committee])
    async def create(
        self, request: Request[User, Any, Any], db_session: Db, clock: Now, data: JSONBody[MeetingCreate]
    ) -> Meeting:
        """Schedule a meeting and choose the services presented (路演)."""
        async with writing(db_session):
            meeting = await resources.create_meeting(db_session, data, actor=request.user, now=clock.now())
        return await _meeting(db_session, meeting.id, request.user, clock)


async def _meeting(db: AsyncSession, meeting_id: int, viewer: User | None, clock: Clock) -> Meeting:
    now = clock.now()
    d = await resources.get_meeting(db, meeting_id, viewer=viewer, now=now)
    m = d.meeting
    month = resources.month_text(resources.month_of(now))
    return Meeting(
        id=m.id,
        title=m.title,
        place=m.place,
        starts_at=m.starts_at,
        ends_at=m.ends_at,
        phase=resources.meeting_phase(m, now),
        offerings=[offering_view(o, d.held_this_month[o.id], month) for o in m.offerings],
        order_counts=[
            MeetingOfferingOrders(o.id, o.title, sum(d.counts.get(o.id, {}).values()), d.counts.get(o.id, {}))
            for o in m.offerings
        ],
        orders=[order_view(o) for o in d.orders],
    )
