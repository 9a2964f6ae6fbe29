"""The resource list (服务资源库), ordering (点单) and ordering meetings (点单会).

Capacity rule: accepted + delivered + rated orders of an offering in one calendar month (Asia/Shanghai) never
exceed its monthly capacity. Every accept locks the offering's row before counting, so concurrent accepts on
any number of workers queue on that lock (on SQLite, on the database's single write lock).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from msgspec import UNSET
from sqlalchemy import ColumnElement, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from alliances.models import OrgStatus
from market import notify
from market.audit import record
from market.kernel.clock import as_utc, local
from market.kernel.db import like_pattern, lock
from market.kernel.errors import Forbidden, InvalidInput, NotFound, StateConflict
from market.lists import refresh_needs
from market.models import (
    Need,
    Offering,
    OrderingMeeting,
    Organization,
    ResourceCategory,
    Role,
    ServiceOrder,
    User,
    meeting_offerings,
)
from market.schemas._resources import MeetingCreate, MeetingPhase, OfferingCreate, OfferingUpdate, OrderCreate
from market.states import CAPACITY_ORDER_STATES, ORDER_TRANSITIONS, NeedStatus, OrderStatus, check_transition
from market.transitions import move

PARK_NAME = "创新园"
# A secretary orders for this month or up to this many months ahead.
MONTHS_AHEAD = 12

NO_OFFERING = "服务不存在 (no such service)"
NO_ORDER = "点单不存在 (no such order)"
NO_MEETING = "点单会不存在 (no such ordering meeting)"

_HELD = [s.value for s in CAPACITY_ORDER_STATES]


# Months -----------------------------------------------------------------------------------------------------


def month_of(now: datetime) -> date:
    """The first day of the calendar month `now` falls in, in Asia/Shanghai."""
    return local(now).date().replace(day=1)


def add_months(month: date, n: int) -> date:
    """The first day of the month n months after `month`."""
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def parse_month(text: str) -> date:
    """ "YYYY-MM" (already pattern-checked) as the month's first day."""
    year, month = text.split("-")
    return date(int(year), int(month), 1)


def month_text(month: date) -> str:
    """A month as "YYYY-MM"."""
    return f"{month.year:04d}-{month.month:02d}"


def orderable_months(now: datetime) -> list[date]:
    """This month and the next twelve."""
    first = month_of(now)
    return [add_months(first, n) for n in range(MONTHS_AHEAD + 1)]


# Who provides what ------------------------------------------------------------------------------------------


def provider_name(offering: Offering) -> str:
    """The organisation's name, or the park's."""
    return offering.organization.name if offering.organization is not None else PARK_NAME


def provider_active(offering: Offering) -> bool:
    """The park always is; an organisation unless suspended."""
    return offering.organization is None or offering.organization.status == OrgStatus.ACTIVE


def orderable(offering: Offering) -> bool:
    """Secretaries may order it: active, from an active provider."""
    return offering.active and provider_active(offering)


def is_provider(actor: User | None, offering: Offering) -> bool:
    """The committee for the park's services; a member of the organisation for its offerings."""
    if actor is None:
        return False
    if offering.organization_id is None:
        return actor.role == Role.COMMITTEE
    return actor.role == Role.ORG and actor.organization_id == offering.organization_id


async def held_counts(
    db: AsyncSession, offering_ids: Iterable[int], months: Sequence[date]
) -> dict[tuple[int, date], int]:
    """Places held (accepted, delivered, rated orders) per offering and month, in one grouped query."""
    ids = sorted(set(offering_ids))
    if not ids or not months:
        return {}
    stmt = (
        select(ServiceOrder.offering_id, ServiceOrder.service_month, func.count())
        .where(
            ServiceOrder.offering_id.in_(ids),
            ServiceOrder.service_month.in_(list(months)),
            ServiceOrder.status.in_(_HELD),
        )
        .group_by(ServiceOrder.offering_id, ServiceOrder.service_month)
    )
    return {(oid, month): int(n) for oid, month, n in await db.execute(stmt)}


async def held_in_month(db: AsyncSession, offering_id: int, month: date) -> int:
    """Places held in one offering's month."""
    return (await held_counts(db, [offering_id], [month])).get((offering_id, month), 0)


# Offerings --------------------------------------------------------------------------------------------------


def _clean_groups(groups: Sequence[str]) -> list[str]:
    seen: list[str] = []
    for g in (g.strip() for g in groups):
        if g and g not in seen:
            seen.append(g)
    return seen


async def create_offering(db: AsyncSession, data: OfferingCreate, *, actor: User, now: datetime) -> Offering:
    """The committee adds a park service; an organisation member adds one of their (active) organisation's."""
    if actor.role == Role.COMMITTEE:
        if data.organization_id is not None:
            raise Forbidden("综合党委只发布园区自有服务 (the committee publishes the park's own services)")
        organization_id = None
    elif actor.role == Role.ORG and actor.organization_id is not None:
        if data.organization_id not in (None, actor.organization_id):
            raise Forbidden("只能为本组织发布服务 (you publish your own organisation's services only)")
        org = await db.get(Organization, actor.organization_id)
        if org is None or org.status != OrgStatus.ACTIVE:
            raise Forbidden("组织已暂停，不能发布服务 (a suspended organisation cannot publish services)")
        organization_id = org.id
    else:
        raise Forbidden("仅综合党委和社会组织成员可以发布服务 (only the committee and organisations publish services)")
    offering = Offering(
        title=data.title,
        description=data.description,
        category=data.category,
        target_groups=_clean_groups(data.target_groups),
        monthly_capacity=data.monthly_capacity,
        organization_id=organization_id,
        active=True,
        created_by_id=actor.id,
    )
    db.add(offering)
    await db.flush()
    await record(
        db,
        at=now,
        actor=actor,
        entity="offering",
        entity_id=offering.id,
        action="create",
        after="active",
        data={"organization": organization_id, "monthly_capacity": data.monthly_capacity},
    )
    await db.refresh(offering, ["organization"])
    return offering


async def update_offering(
    db: AsyncSession, offering_id: int, data: OfferingUpdate, *, actor: User, now: datetime
) -> Offering:
    """The owner edits; capacity may not drop below the places held in any month.

    There is one capacity for every month (no history), so a past month's orders are measured against it too.
    """
    offering = await lock(db, Offering, offering_id)
    if offering is None:
        raise NotFound(NO_OFFERING)
    if not is_provider(actor, offering):
        raise Forbidden("只有服务提供方可以修改 (only the provider may change this service)")
    before = "active" if offering.active else "inactive"
    changed: dict[str, object] = {}
    if data.monthly_capacity is not UNSET and data.monthly_capacity != offering.monthly_capacity:
        busiest = await db.scalar(
            select(func.count().label("n"))
            .where(
                ServiceOrder.offering_id == offering.id,
                ServiceOrder.status.in_(_HELD),
            )
            .group_by(ServiceOrder.service_month)
            .order_by(func.count().desc())
            .limit(1)
        )
        if busiest and data.monthly_capacity < busiest:
            raise StateConflict(
                f"已接受 {busiest} 单，容量不能低于此数 ({busiest} places are already accepted in a month; "
                "capacity cannot go below that)",
                field="monthly_capacity",
            )
        changed["monthly_capacity"] = {"before": offering.monthly_capacity, "after": data.monthly_capacity}
        offering.monthly_capacity = data.monthly_capacity
    for name in ("title", "description", "active"):
        value = getattr(data, name)
        if value is not UNSET and value != getattr(offering, name):
            changed[name] = {"before": getattr(offering, name), "after": value}
            setattr(offering, name, value)
    if data.target_groups is not UNSET:
        groups = _clean_groups(data.target_groups)
        if groups != offering.target_groups:
            changed["target_groups"] = {"before": offering.target_groups, "after": groups}
            offering.target_groups = groups
    await record(
        db,
        at=now,
        actor=actor,
        entity="offering",
        entity_id=offering.id,
        action="edit",
        before=before,
        after="active" if offering.active else "inactive",
        data={"changes": changed},
    )
    return offering


@dataclass(frozen=True, slots=True)
class OfferingFilter:
    """What the resource list may be narrowed by; by default only what may be ordered now."""

    category: ResourceCategory | None = None
    park: bool = False
    organization_id: int | None = None
    target_group: str | None = None
    q: str | None = None
    include_inactive: bool = False
    limit: int = 20
    offset: int = 0


def _has_target_group(db: AsyncSession, text: str) -> ColumnElement[bool]:
    """Some target group of the offering contains the text (JSON arrays are read differently by each database)."""
    pattern = like_pattern(text)
    if db.get_bind().dialect.name == "postgresql":
        items = func.json_array_elements_text(Offering.target_groups).table_valued("value").render_derived()
    else:
        items = func.json_each(Offering.target_groups).table_valued("value")
    return exists(select(1).select_from(items).where(items.c.value.ilike(pattern, escape="\\")))


def _offering_conditions(db: AsyncSession, f: OfferingFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.category is not None:
        conds.append(Offering.category == f.category.value)
    if f.park:
        conds.append(Offering.organization_id.is_(None))
    elif f.organization_id is not None:
        conds.append(Offering.organization_id == f.organization_id)
    if f.target_group:
        conds.append(_has_target_group(db, f.target_group))
    if f.q:
        pattern = like_pattern(f.q)
        conds.append(or_(Offering.title.ilike(pattern, escape="\\"), Offering.description.ilike(pattern, escape="\\")))
    if not f.include_inactive:
        suspended = select(Organization.id).where(Organization.status != OrgStatus.ACTIVE)
        conds.append(Offering.active.is_(True))
        conds.append(or_(Offering.organization_id.is_(None), Offering.organization_id.not_in(suspended)))
    return conds


async def list_offerings(
    db: AsyncSession, f: OfferingFilter, *, now: datetime
) -> tuple[int, list[Offering], dict[int, int]]:
    """A page of the resource list (park services first) and each one's places held this month."""
    conds = _offering_conditions(db, f)
    total = int(await db.scalar(select(func.count()).select_from(Offering).where(*conds)) or 0)
    stmt = (
        select(Offering)
        .where(*conds)
        .order_by(Offering.organization_id.is_not(None), Offering.organization_id, Offering.id)
        .limit(f.limit)
        .offset(f.offset)
    )
    rows = list((await db.scalars(stmt)).unique().all())
    this_month = month_of(now)
    held = await held_counts(db, [o.id for o in rows], [this_month])
    return total, rows, {o.id: held.get((o.id, this_month), 0) for o in rows}


async def get_offering(db: AsyncSession, offering_id: int) -> Offering:
    """One offering, whoever asks."""
    offering = (await db.scalars(select(Offering).where(Offering.id == offering_id))).unique().one_or_none()
    if offering is None:
        raise NotFound(NO_OFFERING)
    return offering


# Orders -----------------------------------------------------------------------------------------------------


def _visible_orders(viewer: User) -> ColumnElement[bool] | None:
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
        raise Forbidden("仅点单社区的书记可以操作 (only the ordering community's secretary may do this)")


def _require_provider(actor: User, order: ServiceOrder) -> None:
    if not is_provider(actor, order.offering):
        raise Forbidden("仅服务提供方可以操作 (only the service's provider may do this)")


async def _check_need(db: AsyncSession, need_id: int, community_id: int) -> None:
    # Locked, so that it cannot be declined between this check and the order that answers it.
    need = await lock(db, Need, need_id)
    if need is None or need.community_id != community_id:
        raise InvalidInput("需求不存在或不属于本社区 (no such need in your community)", field="need_id")
    if need.status not in (NeedStatus.OPEN, NeedStatus.MATCHED):
        raise InvalidInput("需求已结束或未被采纳 (the need is resolved or declined)", field="need_id")


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
        raise InvalidInput(
            "该服务未在本次点单会上推介 (the service is not presented at this meeting)", field="meeting_id"
        )
    if not as_utc(meeting.starts_at) <= now < as_utc(meeting.ends_at):
        raise StateConflict("点单会不在进行中 (the ordering meeting is not on now)", field="meeting_id")


async def place_order(
    db: AsyncSession, offering_id: int, data: OrderCreate, *, actor: User, now: datetime
) -> ServiceOrder:
    """A secretary orders a service for their own community, optionally answering a need or during a meeting."""
    if actor.role != Role.SECRETARY or actor.community_id is None:
        raise Forbidden("仅社区书记可以点单 (only community secretaries order services)")
    if data.community_id is not None and data.community_id != actor.community_id:
        raise Forbidden("只能为本社区点单 (you order for your own community only)")
    offering = await get_offering(db, offering_id)
    if not offering.active:
        raise StateConflict("该服务已下架 (the service is not offered at present)")
    if not provider_active(offering):
        raise StateConflict(f"{provider_name(offering)} 已暂停，不能点单 (the provider is suspended)")
    month = parse_month(data.service_month)
    if month not in orderable_months(now):
        raise InvalidInput(
            f"服务月份须为本月至 {MONTHS_AHEAD} 个月内 (the month must be this month or up to {MONTHS_AHEAD} ahead)",
            field="service_month",
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
        raise StateConflict(f"{provider_name(offering)} 已暂停，不能接单 (a suspended organisation cannot accept)")
    held = await held_in_month(db, offering.id, order.service_month)
    if held >= offering.monthly_capacity:
        raise StateConflict(
            f"{month_text(order.service_month)} 已满 {offering.monthly_capacity} 单 "
            f"(the month's capacity of {offering.monthly_capacity} is taken)",
            extra={"monthly_capacity": offering.monthly_capacity, "held": held},
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
        raise Forbidden("无权查看点单 (you may not see orders)")
    conds: list[ColumnElement[bool]] = []
    visible = _visible_orders(viewer)
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


# Ordering meetings ------------------------------------------------------------------------------------------


def meeting_phase(meeting: OrderingMeeting, now: datetime) -> MeetingPhase:
    """Upcoming, on, or ended, by the clock."""
    if now < as_utc(meeting.starts_at):
        return "upcoming"
    return "on" if now < as_utc(meeting.ends_at) else "ended"


async def create_meeting(db: AsyncSession, data: MeetingCreate, *, actor: User, now: datetime) -> OrderingMeeting:
    """The committee schedules a meeting and chooses the offerings presented (路演); they must be orderable."""
    if as_utc(data.ends_at) <= as_utc(data.starts_at):
        raise InvalidInput("结束时间须晚于开始时间 (the meeting must end after it starts)", field="ends_at")
    ids = sorted(set(data.offering_ids))
    offerings = list((await db.scalars(select(Offering).where(Offering.id.in_(ids)))).unique().all())
    if len(offerings) != len(ids):
        raise InvalidInput(NO_OFFERING, field="offering_ids")
    if not all(orderable(o) for o in offerings):
        raise InvalidInput(
            "推介的服务须在架且提供方未暂停 (presented services must be orderable)", field="offering_ids"
        )
    meeting = OrderingMeeting(
        title=data.title,
        place=data.place,
        starts_at=as_utc(data.starts_at),
        ends_at=as_utc(data.ends_at),
        created_by_id=actor.id,
    )
    db.add(meeting)
    await db.flush()
    await db.execute(meeting_offerings.insert(), [{"meeting_id": meeting.id, "offering_id": i} for i in ids])
    await record(
        db,
        at=now,
        actor=actor,
        entity="meeting",
        entity_id=meeting.id,
        action="create",
        after="scheduled",
        data={"offerings": ids, "starts_at": as_utc(data.starts_at).isoformat()},
    )
    await notify.to_role(
        db,
        Role.SECRETARY,
        "meeting_scheduled",
        {"meeting": meeting.title, "starts": f"{local(meeting.starts_at):%Y-%m-%d %H:%M}", "place": meeting.place},
        link=f"/meetings/{meeting.id}",
    )
    return meeting


@dataclass(frozen=True, slots=True)
class MeetingRow:
    """A meeting with how many offerings it presents and how many orders were placed during it."""

    meeting: OrderingMeeting
    offering_count: int
    order_count: int


async def list_meetings(db: AsyncSession, *, limit: int, offset: int) -> tuple[int, list[MeetingRow]]:
    """Meetings, latest first."""
    total = int(await db.scalar(select(func.count()).select_from(OrderingMeeting)) or 0)
    stmt = (
        select(OrderingMeeting)
        .order_by(OrderingMeeting.starts_at.desc(), OrderingMeeting.id.desc())
        .limit(limit)
        .offset(offset)
    )
    meetings = list((await db.scalars(stmt)).all())
    ids = [m.id for m in meetings]
    presented: dict[int, int] = {}
    placed: dict[int, int] = {}
    if ids:
        rows = await db.execute(
            select(meeting_offerings.c.meeting_id, func.count())
            .where(meeting_offerings.c.meeting_id.in_(ids))
            .group_by(meeting_offerings.c.meeting_id)
        )
        presented = {mid: int(n) for mid, n in rows}
        rows = await db.execute(
            select(ServiceOrder.meeting_id, func.count())
            .where(ServiceOrder.meeting_id.in_(ids))
            .group_by(ServiceOrder.meeting_id)
        )
        placed = {mid: int(n) for mid, n in rows}
    return total, [MeetingRow(m, presented.get(m.id, 0), placed.get(m.id, 0)) for m in meetings]


@dataclass(frozen=True, slots=True)
class MeetingDetail:
    """A meeting, its presented offerings with this month's held places, order counts, and the viewer's orders."""

    meeting: OrderingMeeting
    held_this_month: dict[int, int]
    counts: dict[int, dict[str, int]] = field(default_factory=dict)
    orders: list[ServiceOrder] = field(default_factory=list)


async def get_meeting(db: AsyncSession, meeting_id: int, *, viewer: User | None, now: datetime) -> MeetingDetail:
    """One meeting; everyone sees the counts, signed-in users the orders they may see anyway."""
    stmt = (
        select(OrderingMeeting).where(OrderingMeeting.id == meeting_id).options(selectinload(OrderingMeeting.offerings))
    )
    meeting = (await db.scalars(stmt)).unique().one_or_none()
    if meeting is None:
        raise NotFound(NO_MEETING)
    this_month = month_of(now)
    held = await held_counts(db, [o.id for o in meeting.offerings], [this_month])
    counts: dict[int, dict[str, int]] = {}
    rows = await db.execute(
        select(ServiceOrder.offering_id, ServiceOrder.status, func.count())
        .where(ServiceOrder.meeting_id == meeting_id)
        .group_by(ServiceOrder.offering_id, ServiceOrder.status)
    )
    for offering_id, status, n in rows:
        counts.setdefault(offering_id, {})[str(status)] = int(n)
    orders: list[ServiceOrder] = []
    if viewer is not None and viewer.role in (Role.COMMITTEE, Role.SECRETARY, Role.ORG):
        conds: list[ColumnElement[bool]] = [ServiceOrder.meeting_id == meeting_id]
        visible = _visible_orders(viewer)
        if visible is not None:
            conds.append(visible)
        order_stmt = select(ServiceOrder).where(*conds).order_by(ServiceOrder.ordered_at, ServiceOrder.id)
        orders = list((await db.scalars(order_stmt)).unique().all())
    return MeetingDetail(meeting, {o.id: held.get((o.id, this_month), 0) for o in meeting.offerings}, counts, orders)


# What a viewer may do with an order or at a meeting ---------------------------------------------------------


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


async def places_left(db: AsyncSession, offering: Offering, month: date) -> int:
    """Places still free in one month of an offering: its monthly capacity less the places held."""
    return max(offering.monthly_capacity - await held_in_month(db, offering.id, month), 0)


def may_order_at(viewer: User | None, meeting: OrderingMeeting, now: datetime) -> bool:
    """Whether the viewer may order at the meeting now: a secretary, while it is on."""
    return viewer is not None and viewer.role == Role.SECRETARY and meeting_phase(meeting, now) == "on"
