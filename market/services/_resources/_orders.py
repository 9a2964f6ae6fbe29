"""Orders (点单): placing one, the provider's and the orderer's moves on it, and who sees which.

Capacity rule: accepted + delivered + rated orders of an offering in one calendar month (Asia/Shanghai) never
exceed its monthly capacity. Every accept locks the offering's row before counting, so concurrent accepts on
any number of workers queue on that lock (on SQLite, on the database's single write lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from market import notify
from market.audit import record
from market.kernel.clock import as_utc
from market.kernel.db import lock
from market.kernel.errors import Forbidden, InvalidInput, NotFound, StateConflict
from market.lists import refresh_needs
from market.models import (
    Need,
    Offering,
    OrderingMeeting,
    Role,
    ServiceOrder,
    User,
    meeting_offerings,
)
from market.schemas._resources import OrderCreate
from market.services._points._hooks import on_order_rated
from market.services._resources._offerings import (
    MONTHS_AHEAD,
    NO_MEETING,
    NO_OFFERING,
    NO_ORDER,
    get_offering,
    held_in_month,
    is_provider,
    month_text,
    orderable_months,
    parse_month,
    provider_active,
    provider_name,
)
from market.services._review_prompts import up_reviews_due_on_order
from market.states import ORDER_TRANSITIONS, NeedStatus, OrderStatus, check_transition
from market.transitions import move


def visible_orders(viewer: User) -> ColumnElement[bool] | None:
    """Which orders the viewer may see: None for all (the committee)."""
    if viewer.role == Role.COMMITTEE:
        return None
    if viewer.role == Role.SECRETARY and viewer.community_id is not None:
        return ServiceOrder.community_id == viewer.community_id
    if viewer.role == Role.ORG and viewer.organization_id is not None:
        own = select(Offering.id).where(Offering.organization_id == viewer.organization_id)
        return ServiceOrder.offering_id.in_(own)
    return false()


def can_see(viewer: User | None, order: ServiceOrder) -> bool:
    """The committee, the ordering community's secretaries and the provider see an order."""
    if viewer is None:
        return False
    if viewer.role == Role.COMMITTEE:
        return True
    if viewer.role == Role.SECRETARY:
        return viewer.community_id == order.community_id
    return is_provider(viewer, order.offering)


def _require_orderer(actor: User, order: ServiceOrder) -> None:
    if not (actor.role == Role.SECRETARY and actor.community_id == order.community_id):
        raise Forbidden("error.only_ordering_community_secretary_do")


def _require_provider(actor: User, order: ServiceOrder) -> None:
    if not is_provider(actor, order.offering):
        raise Forbidden("error.only_service_provider_do")


async def _check_need(db: AsyncSession, need_id: int, community_id: int) -> None:
    # Locked, so that it cannot be declined between this check and the order that answers it.
    need = await lock(db, Need, need_id)
    if need is None or need.community_id != community_id:
        raise InvalidInput("error.no_such_need_community", field="need_id")
    if need.status not in (NeedStatus.OPEN, NeedStatus.MATCHED):
        raise InvalidInput("error.need_resolved_declined", field="need_id")


async def _check_meeting(db: AsyncSession, meeting_id: int, offering_id: int, now: datetime) -> None:
    meeting = await db.get(OrderingMeeting, meeting_id)
    if meeting is None:
        raise InvalidInput(NO_MEETING, field="meeting_id")
    presented = await db.scalar(
        select(func.count()).where(
            meeting_offerings.c.meeting_id == meeting_id, meeting_offerings.c.offering_id == offering_id
        )
    )
    if not presented:
        raise InvalidInput("error.service_not_presented_meeting", field="meeting_id")
    if not as_utc(meeting.starts_at) <= now < as_utc(meeting.ends_at):
        raise StateConflict("error.ordering_meeting_not_now", field="meeting_id")


async def place_order(
    db: AsyncSession, offering_id: int, data: OrderCreate, *, actor: User, now: datetime
) -> ServiceOrder:
    """A secretary orders a service for their own community, optionally answering a need or during a meeting."""
    if actor.role != Role.SECRETARY or actor.community_id is None:
        raise Forbidden("error.only_community_secretaries_order")
    if data.community_id is not None and data.community_id != actor.community_id:
        raise Forbidden("error.order_own_community_only")
    offering = await get_offering(db, offering_id)
    if not offering.active:
        raise StateConflict("error.service_not_offered_present")
    if not provider_active(offering):
        raise StateConflict("error.provider_suspended", provider_name=provider_name(offering))
    month = parse_month(data.service_month)
    if month not in orderable_months(now):
        raise InvalidInput(
            "error.service_month_out_of_range",
            field="service_month",
            months_ahead=MONTHS_AHEAD,
        )
    if data.need_id is not None:
        await _check_need(db, data.need_id, actor.community_id)
    if data.meeting_id is not None:
        await _check_meeting(db, data.meeting_id, offering.id, now)
    order = ServiceOrder(
        offering_id=offering.id,
        community_id=actor.community_id,
        ordered_by_id=actor.id,
        need_id=data.need_id,
        meeting_id=data.meeting_id,
        service_month=month,
        note=data.note,
        status=OrderStatus.REQUESTED,
        ordered_at=now,
    )
    db.add(order)
    await db.flush()
    await record(
        db,
        at=now,
        actor=actor,
        entity="order",
        entity_id=order.id,
        action="place",
        after=OrderStatus.REQUESTED,
        data={"offering": offering.id, "month": data.service_month, "need": data.need_id, "meeting": data.meeting_id},
    )
    await _tell_provider(db, offering, "order_placed", {"service": offering.title}, order=order)
    if order.need_id is not None:
        await refresh_needs(db, [order.need_id], now=now, actor=actor)
    await db.refresh(order, ["offering", "community"])
    return order


async def _tell_provider(
    db: AsyncSession, offering: Offering, key: str, params: notify.Params, *, order: ServiceOrder
) -> None:
    link = f"/orders/{order.id}"
    if offering.organization_id is None:
        await notify.to_role(db, Role.COMMITTEE, key, params, link=link)
    else:
        await notify.to_orgs(db, [offering.organization_id], key, params, link=link)


async def _lock_order(db: AsyncSession, order_id: int, actor: User) -> ServiceOrder:
    order = await lock(db, ServiceOrder, order_id)
    if order is None or not can_see(actor, order):
        raise NotFound(NO_ORDER)
    return order


async def _move(
    db: AsyncSession,
    order: ServiceOrder,
    target: OrderStatus,
    *,
    actor: User,
    now: datetime,
    action: str,
    data: dict[str, object] | None = None,
) -> None:
    """The one place an order's status changes: the table's check, the audit entry, and its need kept in step."""
    await move(db, order, target, entity="order", action=action, actor=actor, now=now, data=data)
    if order.need_id is not None:
        await db.flush()
        await refresh_needs(db, [order.need_id], now=now, actor=actor)


async def accept_order(db: AsyncSession, order_id: int, *, actor: User, now: datetime) -> ServiceOrder:
    """The provider accepts, if the month still has a place; the ordering secretary is told."""
    order = await _lock_order(db, order_id, actor)
    _require_provider(actor, order)
    check_transition(OrderStatus(order.status), OrderStatus.ACCEPTED, what="order")
    # Lock the offering before counting: concurrent accepts for it queue here, so none sees a stale count.
    offering = await lock(db, Offering, order.offering_id)
    if offering is None:  # pragma: no cover - foreign key
        raise NotFound(NO_OFFERING)
    if not provider_active(offering):
        raise StateConflict("error.suspended_organisation_cannot_accept", provider_name=provider_name(offering))
    held = await held_in_month(db, offering.id, order.service_month)
    if held >= offering.monthly_capacity:
        raise StateConflict(
            "error.month_capacity_taken",
            extra={"monthly_capacity": offering.monthly_capacity, "held": held},
            month=month_text(order.service_month),
            monthly_capacity=offering.monthly_capacity,
        )
    order.decided_at = now
    await _move(db, order, OrderStatus.ACCEPTED, actor=actor, now=now, action="accept")
    await notify.to_users(
        db, [order.ordered_by_id], "order_accepted", {"service": offering.title}, link=f"/orders/{order.id}"
    )
    return order


async def decline_order(db: AsyncSession, order_id: int, reason: str, *, actor: User, now: datetime) -> ServiceOrder:
    """The provider declines with a reason; the ordering secretary is told."""
    order = await _lock_order(db, order_id, actor)
    _require_provider(actor, order)
    check_transition(OrderStatus(order.status), OrderStatus.DECLINED, what="order")
    order.decided_at = now
    order.decline_reason = reason
    await _move(db, order, OrderStatus.DECLINED, actor=actor, now=now, action="decline", data={"reason": reason})
    await notify.to_users(
        db,
        [order.ordered_by_id],
        "order_declined",
        {"service": order.offering.title, "reason": reason},
        link=f"/orders/{order.id}",
    )
    return order


async def cancel_order(db: AsyncSession, order_id: int, *, actor: User, now: datetime) -> ServiceOrder:
    """The ordering community withdraws a requested or accepted order; an accepted one frees its place."""
    order = await _lock_order(db, order_id, actor)
    _require_orderer(actor, order)
    await _move(db, order, OrderStatus.CANCELLED, actor=actor, now=now, action="cancel")
    await _tell_provider(db, order.offering, "order_cancelled", {"service": order.offering.title}, order=order)
    return order


async def deliver_order(db: AsyncSession, order_id: int, *, actor: User, now: datetime) -> ServiceOrder:
    """The ordering community confirms the service was delivered; a need it answers is resolved."""
    order = await _lock_order(db, order_id, actor)
    _require_orderer(actor, order)
    check_transition(OrderStatus(order.status), OrderStatus.DELIVERED, what="order")
    order.delivered_at = now
    await _move(db, order, OrderStatus.DELIVERED, actor=actor, now=now, action="deliver")
    await _tell_provider(db, order.offering, "order_delivered", {"service": order.offering.title}, order=order)
    await up_reviews_due_on_order(db, order)
    return order


async def rate_order(
    db: AsyncSession, order_id: int, rating: int, comment: str, *, actor: User, now: datetime
) -> ServiceOrder:
    """The ordering community rates a delivered service, once."""
    order = await _lock_order(db, order_id, actor)
    _require_orderer(actor, order)
    check_transition(OrderStatus(order.status), OrderStatus.RATED, what="order")
    order.rating = rating
    order.rating_comment = comment
    await _move(db, order, OrderStatus.RATED, actor=actor, now=now, action="rate", data={"rating": rating})
    await on_order_rated(db, order, actor=actor, now=now)
    await _tell_provider(
        db, order.offering, "order_rated", {"service": order.offering.title, "rating": rating}, order=order
    )
    return order


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """What an order list may be narrowed by."""

    status: OrderStatus | None = None
    offering_id: int | None = None
    meeting_id: int | None = None
    month: date | None = None
    community_id: int | None = None
    need_id: int | None = None
    limit: int = 20
    offset: int = 0
    # Only orders for the park's own services (those the committee answers).
    park: bool = False
    # Any of these states (with `status`, both must hold).
    statuses: tuple[OrderStatus, ...] = ()


async def list_orders(db: AsyncSession, f: OrderFilter, *, viewer: User) -> tuple[int, list[ServiceOrder]]:
    """The orders the viewer may see, newest first."""
    if viewer.role not in (Role.COMMITTEE, Role.SECRETARY, Role.ORG):
        raise Forbidden("error.may_not_see_orders")
    conds: list[ColumnElement[bool]] = []
    visible = visible_orders(viewer)
    if visible is not None:
        conds.append(visible)
    if f.status is not None:
        conds.append(ServiceOrder.status == f.status.value)
    if f.statuses:
        conds.append(ServiceOrder.status.in_([s.value for s in f.statuses]))
    if f.offering_id is not None:
        conds.append(ServiceOrder.offering_id == f.offering_id)
    if f.meeting_id is not None:
        conds.append(ServiceOrder.meeting_id == f.meeting_id)
    if f.month is not None:
        conds.append(ServiceOrder.service_month == f.month)
    if f.community_id is not None:
        conds.append(ServiceOrder.community_id == f.community_id)
    if f.need_id is not None:
        conds.append(ServiceOrder.need_id == f.need_id)
    if f.park:
        conds.append(ServiceOrder.offering_id.in_(select(Offering.id).where(Offering.organization_id.is_(None))))
    total = int(await db.scalar(select(func.count()).select_from(ServiceOrder).where(*conds)) or 0)
    stmt = (
        select(ServiceOrder)
        .where(*conds)
        .order_by(ServiceOrder.ordered_at.desc(), ServiceOrder.id.desc())
        .limit(f.limit)
        .offset(f.offset)
    )
    return total, list((await db.scalars(stmt)).unique().all())


async def get_order(db: AsyncSession, order_id: int, *, viewer: User) -> ServiceOrder:
    """One order, if the viewer may see it (else it does not exist for them)."""
    order = (await db.scalars(select(ServiceOrder).where(ServiceOrder.id == order_id))).unique().one_or_none()
    if order is None or not can_see(viewer, order):
        raise NotFound(NO_ORDER)
    return order


def is_orderer(viewer: User | None, order: ServiceOrder) -> bool:
    """Whether the viewer is a secretary of the community that placed the order."""
    return viewer is not None and viewer.role == Role.SECRETARY and viewer.community_id == order.community_id


_PROVIDER_MOVES = (("accept", OrderStatus.ACCEPTED), ("decline", OrderStatus.DECLINED))
_ORDERER_MOVES = (("cancel", OrderStatus.CANCELLED), ("deliver", OrderStatus.DELIVERED), ("rate", OrderStatus.RATED))


def order_moves(viewer: User | None, order: ServiceOrder) -> set[str]:
    """The moves on the order that are the viewer's to make now (each write checks again): the provider accepts
    or declines, the ordering secretary cancels, confirms delivery and rates, as the order's state allows."""
    allowed = ORDER_TRANSITIONS[OrderStatus(order.status)]
    moves: set[str] = set()
    if is_provider(viewer, order.offering):
        moves |= {name for name, to in _PROVIDER_MOVES if to in allowed}
    if is_orderer(viewer, order):
        moves |= {name for name, to in _ORDERER_MOVES if to in allowed}
    return moves
