"""Community work: needs, ordering from the resource library (点单), providers' answers (offerings and ordering
meetings are in `_offerings`).

A secretary works from `/community`: the community's needs, its orders and the coming ordering meetings (点单会).
An order's page (`/orders/{id}`) shows each viewer the moves that are theirs: the provider (the committee for the
park's services, the organisation for its own) accepts or declines; the ordering secretary cancels, confirms
delivery and rates. Organisations raise their own needs; the committee declines needs and answers park-service
orders. A need's page is public.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from alliances.models import Community, ServiceCategory
from market.controllers import _needs as need_views
from market.controllers import _resources as resource_views
from market.controllers._base import PathId
from market.i18n import label, t
from market.kernel.clock import Clock
from market.kernel.db import writing
from market.kernel.errors import ApplicationError, Forbidden, StateConflict
from market.models import Role, ServiceOrder, User
from market.overdue import order_lateness
from market.pages._base import (
    COMMITTEE,
    CONFIRM_FIELD,
    ORG,
    PUBLIC,
    SECRETARY,
    SIGNED_IN,
    Db,
    FormState,
    Now,
    PageNo,
    Paging,
    Query,
    Viewer,
    confirm_page,
    confirmed,
    enum_or_none,
    form_page,
    form_values,
    int_or_none,
    lang_of,
    own_community,
    own_organization,
    page,
    page_number,
    parse_form,
    refused,
    say,
    see_other,
)
from market.schemas._needs import NeedCreate, NeedDecline
from market.schemas._resources import (
    Order,
    OrderCreate,
    OrderDecline,
    OrderRate,
)
from market.services import _needs as needs
from market.services import _projects as projects
from market.services import _resources as resources
from market.states import ORDER_TRANSITIONS, NeedStatus, OrderStatus

UserRequest = Request[User, Any, Any]


NEED_FIELDS = ("title", "category", "description")
ORDER_FIELDS = ("service_month", "need_id", "meeting_id", "note")


LIST_SIZE = 100


def _t(request: Request[Any, Any, Any], key: str, **kw: object) -> str:
    return t(key, lang_of(request), **kw)


# Form helpers -------------------------------------------------------------------------------------------------

_AT_FIELD = re.compile(r"at `\$\.([A-Za-z_][A-Za-z0-9_]*)")


def _without_blanks(values: Mapping[str, str], names: tuple[str, ...]) -> dict[str, str]:
    """The form with empty optional fields dropped, so the struct's defaults apply."""
    return {k: v for k, v in values.items() if not (k in names and not v.strip())}


# Needs --------------------------------------------------------------------------------------------------------


def _options(kind: str, members: list[Any], lang: str) -> list[tuple[str, str]]:
    """An enum's members as (value, label) pairs for a select."""
    return [(m.value, label(kind, m, lang)) for m in members]


def _need_form(request: UserRequest, form: FormState, action: str) -> Template:
    options = _options("category", list(ServiceCategory), lang_of(request))
    return form_page("market/community/need_form.html.j2", request.user, form, action=action, categories=options)


async def _raise_need(request: UserRequest, db: AsyncSession, clock: Clock, action: str) -> Template | Redirect:
    lang = lang_of(request)
    values = await form_values(request)
    data = parse_form(values, NeedCreate, lang)
    if isinstance(data, FormState):
        return _need_form(request, data, action)
    try:
        async with writing(db):
            need = await needs.raise_need(db, data, actor=request.user, now=clock.now())
    except ApplicationError as exc:
        if exc.status_code in (403, 404):
            raise
        return _need_form(request, refused(values, exc, lang, NEED_FIELDS), action)
    say(request, "community.need.raised")
    return see_other(f"/needs/{need.id}")


@get("/community/needs/new", **SECRETARY)
async def community_need_form(request: UserRequest) -> Template:
    """A secretary raises a need for their community."""
    own_community(request.user)
    return _need_form(request, FormState(), "/community/needs/new")


@post("/community/needs/new", **SECRETARY)
async def community_raise_need(request: UserRequest, db_session: Db, clock: Now) -> Template | Redirect:
    """Raise it; the committee is told, and it appears on the need list."""
    return await _raise_need(request, db_session, clock, "/community/needs/new")


@get("/org/needs/new", **ORG)
async def org_need_form(request: UserRequest) -> Template:
    """An organisation member raises a need of their organisation's own."""
    own_organization(request.user)
    return _need_form(request, FormState(), "/org/needs/new")


@post("/org/needs/new", **ORG)
async def org_raise_need(request: UserRequest, db_session: Db, clock: Now) -> Template | Redirect:
    """Raise it for the organisation."""
    return await _raise_need(request, db_session, clock, "/org/needs/new")


async def _need_page(
    db: AsyncSession, need_id: int, viewer: User | None, clock: Clock, form: FormState | None = None
) -> Template:
    found = await needs.get_need(db, need_id, viewer=viewer, now=clock.now())
    need = need_views.detail(found)
    answering = await projects.projects_of_tasks(db, [task.id for task in need.tasks])
    is_committee = viewer is not None and viewer.role == Role.COMMITTEE
    own_community = (
        viewer is not None
        and viewer.role == Role.SECRETARY
        and need.community is not None
        and viewer.community_id == need.community.id
    )
    return form_page(
        "market/community/need.html.j2",
        viewer,
        form or FormState(),
        need=need,
        projects=answering,
        # Only those who may open an order get a link to it.
        order_links={o.id for o in found.orders if resources.can_see(viewer, o)},
        can_decline=is_committee and need.status == NeedStatus.OPEN,
        can_order=own_community and need.status in (NeedStatus.OPEN, NeedStatus.MATCHED),
    )


@get("/needs/{need_id:int}", **PUBLIC)
async def need_page(db_session: Db, clock: Now, viewer: Viewer, need_id: PathId) -> Template:
    """A need, with what answers it: tasks, the projects they became, service orders."""
    return await _need_page(db_session, need_id, viewer, clock)


@post("/needs/{need_id:int}/decline", **COMMITTEE)
async def decline_need(request: UserRequest, db_session: Db, clock: Now, need_id: PathId) -> Template | Redirect:
    """The committee declines an open need with a reason, after a confirmation step."""
    lang = lang_of(request)
    values = await form_values(request)
    data = parse_form({k: v for k, v in values.items() if k != CONFIRM_FIELD}, NeedDecline, lang)
    if isinstance(data, FormState):
        return await _need_page(db_session, need_id, request.user, clock, data)
    if not confirmed(values):
        found = await needs.get_need(db_session, need_id, viewer=request.user, now=clock.now())
        return confirm_page(
            request.user,
            title=t("community.need.decline_title", lang),
            warning=t("community.need.decline_warning", lang),
            action=f"/needs/{need_id}/decline",
            values=values,
            back=f"/needs/{need_id}",
            button=t("community.need.decline_confirm", lang),
            facts=[
                (t("community.need.title", lang), found.row.need.title),
                (t("community.need.reason", lang), data.reason),
            ],
        )
    try:
        async with writing(db_session):
            await needs.decline_need(db_session, need_id, data.reason, actor=request.user, now=clock.now())
    except ApplicationError as exc:
        if exc.status_code in (403, 404):
            raise
        return await _need_page(db_session, need_id, request.user, clock, refused(values, exc, lang, ("reason",)))
    say(request, "community.need.declined")
    return see_other(f"/needs/{need_id}")


# Overdue orders (market/overdue.py holds the thresholds) ------------------------------------------------------


def late_orders(orders: Iterable[Order], now: datetime) -> dict[int, str]:
    """Order id → why it is overdue, for the order cards' flags (orders not overdue are left out)."""
    late: dict[int, str] = {}
    for o in orders:
        why = order_lateness(o.status, o.ordered_at, resources.parse_month(o.service_month), now)
        if why is not None:
            late[o.id] = why.value
    return late


# What the secretary's desk lists under "recent": orders with nothing left to do (the others have sections).
SETTLED_ORDER_STATES = (OrderStatus.RATED, OrderStatus.DECLINED, OrderStatus.CANCELLED)


def _oldest_first(orders: list[Order]) -> list[Order]:
    return sorted(orders, key=lambda o: (o.service_month, o.id))


# The secretary's desk ----------------------------------------------------------------------------------------


async def _upcoming_meetings(db: AsyncSession, now: datetime) -> list[tuple[resources.MeetingRow, str]]:
    """Meetings not yet over, soonest first, with their phase."""
    _, rows = await resources.list_meetings(db, limit=LIST_SIZE, offset=0)
    live = [(r, resources.meeting_phase(r.meeting, now)) for r in rows]
    return sorted(((r, p) for r, p in live if p != "ended"), key=lambda rp: rp[0].meeting.starts_at)


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
        meetings=await _upcoming_meetings(db_session, now),
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


# Ordering (点单) ------------------------------------------------------------------------------------------------


async def _meetings_presenting(db: AsyncSession, offering_id: int, viewer: User, now: datetime) -> list[Any]:
    """Meetings on now that present the service: an order may be placed "at" one of them."""
    out = []
    for row, phase in await _upcoming_meetings(db, now):
        if phase != "on":
            continue
        found = await resources.get_meeting(db, row.meeting.id, viewer=viewer, now=now)
        if any(o.id == offering_id for o in found.meeting.offerings):
            out.append(row.meeting)
    return out


def _month_options(offering: Any, lang: str) -> list[tuple[str, str]]:
    """Every month that may be ordered, with the places left in it (a full one says so)."""
    cap = offering.monthly_capacity
    return [
        (
            m.month,
            t("community.order.month_option", lang, month=m.month, n=m.remaining, cap=cap)
            if m.remaining
            else t("community.order.month_full", lang, month=m.month),
        )
        for m in offering.months
    ]


async def _order_form(
    db: AsyncSession, user: User, clock: Clock, offering_id: int, form: FormState, lang: str
) -> Template:
    offering = await resource_views.offering_detail(db, offering_id, clock)
    _, rows = await needs.list_needs(db, needs.NeedFilter(community_id=own_community(user), limit=LIST_SIZE))
    live = (NeedStatus.OPEN, NeedStatus.MATCHED)
    meetings = await _meetings_presenting(db, offering_id, user, clock.now())
    return form_page(
        "market/community/order_form.html.j2",
        user,
        form,
        offering=offering,
        months=_month_options(offering, lang),
        needs=[(str(r.need.id), r.need.title) for r in rows if r.need.status in live],
        meetings=[(str(m.id), m.title) for m in meetings],
    )


@get("/services/{offering_id:int}/order", **SECRETARY)
async def order_form(
    request: UserRequest,
    db_session: Db,
    clock: Now,
    offering_id: PathId,
    need_id: Query = None,
    meeting_id: Query = None,
) -> Template:
    """The order form: month (with the places left in each), the need it answers, a meeting, a note."""
    values = {
        "service_month": resources.month_text(resources.month_of(clock.now())),
        "need_id": str(int_or_none(need_id) or ""),
        "meeting_id": str(int_or_none(meeting_id) or ""),
    }
    return await _order_form(db_session, request.user, clock, offering_id, FormState(values), lang_of(request))


async def _check_place_left(db: AsyncSession, offering_id: int, month: str) -> None:
    """Ordering a month whose places are all taken is refused here, beside the month (the API would only
    refuse it later, when the provider accepts)."""
    offering = await resources.get_offering(db, offering_id)
    if await resources.held_in_month(db, offering.id, resources.parse_month(month)) >= offering.monthly_capacity:
        raise StateConflict(
            f"{month} 的名额已满，请选择其他月份 ({month} is fully booked; please choose another month)",
            field="service_month",
        )


@post("/services/{offering_id:int}/order", **SECRETARY)
async def place_order(request: UserRequest, db_session: Db, clock: Now, offering_id: PathId) -> Template | Redirect:
    """Order the service for the secretary's community; the provider is told."""
    lang = lang_of(request)
    values = await form_values(request)
    data = parse_form(_without_blanks(values, ("need_id", "meeting_id")), OrderCreate, lang)
    if isinstance(data, FormState):
        state = FormState(values, data.errors, data.general)
        return await _order_form(db_session, request.user, clock, offering_id, state, lang)
    try:
        async with writing(db_session):
            await _check_place_left(db_session, offering_id, data.service_month)
            order = await resources.place_order(db_session, offering_id, data, actor=request.user, now=clock.now())
    except ApplicationError as exc:
        if exc.status_code in (403, 404):
            raise
        state = refused(values, exc, lang, ORDER_FIELDS)
        return await _order_form(db_session, request.user, clock, offering_id, state, lang)
    say(request, "community.order.placed")
    return see_other(f"/orders/{order.id}")


# One order and the moves on it ---------------------------------------------------------------------------------


def _is_orderer(user: User, order: ServiceOrder) -> bool:
    """Whether the viewer is the secretary of the community that placed the order."""
    return user.role == Role.SECRETARY and user.community_id == order.community_id


def _moves(user: User, order: ServiceOrder) -> set[str]:
    """The moves on this order that are the viewer's to make now (the service checks them again)."""
    allowed = ORDER_TRANSITIONS[OrderStatus(order.status)]
    moves: set[str] = set()
    if resources.is_provider(user, order.offering):
        moves |= {
            name for name, to in (("accept", OrderStatus.ACCEPTED), ("decline", OrderStatus.DECLINED)) if to in allowed
        }
    if _is_orderer(user, order):
        mine = (("cancel", OrderStatus.CANCELLED), ("deliver", OrderStatus.DELIVERED), ("rate", OrderStatus.RATED))
        moves |= {name for name, to in mine if to in allowed}
    return moves


async def _order_page(
    db: AsyncSession, user: User, clock: Clock, order_id: int, form: FormState | None = None
) -> Template:
    now = clock.now()
    order = await resources.get_order(db, order_id, viewer=user)
    need = await needs.get_need(db, order.need_id, viewer=user, now=now) if order.need_id else None
    meeting = await resources.get_meeting(db, order.meeting_id, viewer=user, now=now) if order.meeting_id else None
    return form_page(
        "market/community/order.html.j2",
        user,
        form or FormState(),
        order=resource_views.order_view(order),
        moves=_moves(user, order),
        held=await resources.held_in_month(db, order.offering_id, order.service_month),
        capacity=order.offering.monthly_capacity,
        need=need.row.need if need else None,
        meeting=meeting.meeting if meeting else None,
    )


@get("/orders/{order_id:int}", **SIGNED_IN)
async def order_page(request: UserRequest, db_session: Db, clock: Now, order_id: PathId) -> Template:
    """An order, with the moves that are the viewer's to make (its community, its provider, the committee)."""
    return await _order_page(db_session, request.user, clock, order_id)


async def _move_order(
    request: UserRequest,
    db: AsyncSession,
    clock: Clock,
    order_id: int,
    act: Callable[[], Awaitable[object]],
    done: str,
    values: dict[str, str] | None = None,
    fields: tuple[str, ...] = (),
) -> Template | Redirect:
    """Make one move in its own transaction; a refusal comes back on the order's page."""
    try:
        async with writing(db):
            await act()
    except ApplicationError as exc:
        if exc.status_code in (403, 404):
            raise
        state = refused(values or {}, exc, lang_of(request), fields)
        return await _order_page(db, request.user, clock, order_id, state)
    say(request, done)
    return see_other(f"/orders/{order_id}")


@post("/orders/{order_id:int}/accept", **SIGNED_IN)
async def accept_order(request: UserRequest, db_session: Db, clock: Now, order_id: PathId) -> Template | Redirect:
    """The provider accepts, if the month still has a place."""
    return await _move_order(
        request,
        db_session,
        clock,
        order_id,
        lambda: resources.accept_order(db_session, order_id, actor=request.user, now=clock.now()),
        "community.order.accepted",
    )


@post("/orders/{order_id:int}/decline", **SIGNED_IN)
async def decline_order(request: UserRequest, db_session: Db, clock: Now, order_id: PathId) -> Template | Redirect:
    """The provider declines, with a reason the secretary will read."""
    lang = lang_of(request)
    values = await form_values(request)
    data = parse_form(values, OrderDecline, lang)
    if isinstance(data, FormState):
        return await _order_page(db_session, request.user, clock, order_id, data)
    return await _move_order(
        request,
        db_session,
        clock,
        order_id,
        lambda: resources.decline_order(db_session, order_id, data.reason, actor=request.user, now=clock.now()),
        "community.order.declined",
        values,
        ("reason",),
    )


@post("/orders/{order_id:int}/cancel", **SIGNED_IN)
async def cancel_order(request: UserRequest, db_session: Db, clock: Now, order_id: PathId) -> Template | Redirect:
    """The ordering secretary withdraws the order, after a confirmation step."""
    lang = lang_of(request)
    values = await form_values(request)
    if not confirmed(values):
        order = await resources.get_order(db_session, order_id, viewer=request.user)
        if "cancel" not in _moves(request.user, order):
            if not _is_orderer(request.user, order):
                raise Forbidden("仅点单社区的书记可以撤销 (only the ordering community's secretary may cancel)")
            state = FormState({}, {}, t("community.order.cannot_cancel", lang))
            return await _order_page(db_session, request.user, clock, order_id, state)
        view = resource_views.order_view(order)
        return confirm_page(
            request.user,
            title=t("community.order.cancel_title", lang),
            warning=t("community.order.cancel_warning", lang),
            action=f"/orders/{order_id}/cancel",
            values=values,
            back=f"/orders/{order_id}",
            button=t("community.order.cancel_confirm", lang),
            facts=[
                (t("community.order.service", lang), view.offering.title),
                (t("community.order.month", lang), view.service_month),
                (t("common.status", lang), label("order_status", view.status, lang)),
            ],
        )
    return await _move_order(
        request,
        db_session,
        clock,
        order_id,
        lambda: resources.cancel_order(db_session, order_id, actor=request.user, now=clock.now()),
        "community.order.cancelled",
    )


@post("/orders/{order_id:int}/deliver", **SIGNED_IN)
async def deliver_order(request: UserRequest, db_session: Db, clock: Now, order_id: PathId) -> Template | Redirect:
    """The ordering secretary confirms the service was delivered (a need it answers is resolved), after a
    confirmation step: delivery cannot be taken back."""
    lang = lang_of(request)
    values = await form_values(request)
    if not confirmed(values):
        order = await resources.get_order(db_session, order_id, viewer=request.user)
        if "deliver" in _moves(request.user, order):
            view = resource_views.order_view(order)
            return confirm_page(
                request.user,
                title=t("community.order.deliver_title", lang),
                warning=t("community.order.deliver_warning", lang),
                action=f"/orders/{order_id}/deliver",
                values=values,
                back=f"/orders/{order_id}",
                button=t("community.order.deliver_confirm", lang),
                facts=[
                    (t("community.order.service", lang), view.offering.title),
                    (t("community.order.month", lang), view.service_month),
                    (t("common.community", lang), f"{view.community.street} · {view.community.name}"),
                ],
            )
        # Not a move of this viewer's now: the service says why (403, or 409 on the order's page).
    return await _move_order(
        request,
        db_session,
        clock,
        order_id,
        lambda: resources.deliver_order(db_session, order_id, actor=request.user, now=clock.now()),
        "community.order.delivered",
    )


@post("/orders/{order_id:int}/rate", **SIGNED_IN)
async def rate_order(request: UserRequest, db_session: Db, clock: Now, order_id: PathId) -> Template | Redirect:
    """The ordering secretary rates a delivered service, 1 to 5, once."""
    lang = lang_of(request)
    values = await form_values(request)
    data = parse_form(values, OrderRate, lang, ints=("rating",))
    if isinstance(data, FormState):
        return await _order_page(db_session, request.user, clock, order_id, data)
    return await _move_order(
        request,
        db_session,
        clock,
        order_id,
        lambda: resources.rate_order(
            db_session, order_id, data.rating, data.comment, actor=request.user, now=clock.now()
        ),
        "community.order.rated",
        values,
        ("rating", "comment"),
    )


COMMUNITY_PAGES: list[ControllerRouterHandler] = [
    desk,
    community_orders,
    community_need_form,
    community_raise_need,
    org_need_form,
    org_raise_need,
    need_page,
    decline_need,
    order_form,
    place_order,
    order_page,
    accept_order,
    decline_order,
    cancel_order,
    deliver_order,
    rate_order,
    committee_orders,
]
