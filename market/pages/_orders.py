"""Ordering from the resource library (点单) and one order's page, with the moves on it that are the viewer's:
the provider (the committee for the park's services, the organisation for its own) accepts or declines; the
ordering secretary cancels, confirms delivery and rates."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from market.controllers import _resources as resource_views
from market.i18n import label, t
from market.kernel.clock import Clock
from market.kernel.errors import ApplicationError, Forbidden, StateConflict
from market.models import ServiceOrder, User
from market.pages._base import (
    SECRETARY,
    SIGNED_IN,
    FormState,
    Query,
    attempt,
    confirm_page,
    confirmed,
    form_page,
    form_values,
    int_or_none,
    lang_of,
    own_community,
    parse_form,
    refused,
    say,
    see_other,
)
from market.pages._community import LIST_SIZE
from market.params import Db, Now, PathId
from market.schemas._resources import (
    OrderCreate,
    OrderDecline,
    OrderRate,
)
from market.services import needs, resources, reviews

UserRequest = Request[User, Any, Any]

ORDER_FIELDS = ("service_month", "need_id", "meeting_id", "note")


def _without_blanks(values: Mapping[str, str], names: tuple[str, ...]) -> dict[str, str]:
    """The form with empty optional fields dropped, so the struct's defaults apply."""
    return {k: v for k, v in values.items() if not (k in names and not v.strip())}


# Ordering (点单) ------------------------------------------------------------------------------------------------


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
    meetings = await resources.meetings_presenting(db, offering_id, clock.now())
    return form_page(
        "market/community/order_form.html.j2",
        user,
        form,
        offering=offering,
        months=_month_options(offering, lang),
        needs=[(str(r.need.id), r.need.title) for r in rows if r.need.status in needs.ORDERABLE_NEED_STATES],
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
    if not await resources.places_left(db, offering, resources.parse_month(month)):
        raise StateConflict(
            "error.fully_booked_please_choose",
            field="service_month",
            month=month,
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

    async def order_it() -> ServiceOrder:
        await _check_place_left(db_session, offering_id, data.service_month)
        return await resources.place_order(db_session, offering_id, data, actor=request.user, now=clock.now())

    order = await attempt(db_session, order_it, raising=(403, 404))
    if isinstance(order, ApplicationError):
        state = refused(values, order, lang, ORDER_FIELDS)
        return await _order_form(db_session, request.user, clock, offering_id, state, lang)
    say(request, "community.order.placed")
    return see_other(f"/orders/{order.id}")


# One order and the moves on it ---------------------------------------------------------------------------------


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
        moves=resources.order_moves(user, order),
        up_reviews=await reviews.due_on_order(db, user, order),
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
    moved = await attempt(db, act, raising=(403, 404))
    if isinstance(moved, ApplicationError):
        state = refused(values or {}, moved, lang_of(request), fields)
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
        if "cancel" not in resources.order_moves(request.user, order):
            if not resources.is_orderer(request.user, order):
                raise Forbidden("error.only_ordering_community_secretary")
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
        if "deliver" in resources.order_moves(request.user, order):
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


ORDER_PAGES: list[ControllerRouterHandler] = [
    order_form,
    place_order,
    order_page,
    accept_order,
    decline_order,
    cancel_order,
    deliver_order,
    rate_order,
]
