"""Ordering meetings (点单会): the committee schedules them, everyone reads them, secretaries order while one is on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from market import notify
from market.audit import record
from market.kernel.clock import as_utc, local
from market.kernel.errors import InvalidInput, NotFound
from market.models import (
    Offering,
    OrderingMeeting,
    Role,
    ServiceOrder,
    User,
    meeting_offerings,
)
from market.schemas._resources import MeetingCreate, MeetingPhase
from market.services._resources._offerings import NO_MEETING, NO_OFFERING, held_counts, month_of, orderable
from market.services._resources._orders import visible_orders


def meeting_phase(meeting: OrderingMeeting, now: datetime) -> MeetingPhase:
    """Upcoming, on, or ended, by the clock."""
    if now < as_utc(meeting.starts_at):
        return "upcoming"
    return "on" if now < as_utc(meeting.ends_at) else "ended"


async def create_meeting(db: AsyncSession, data: MeetingCreate, *, actor: User, now: datetime) -> OrderingMeeting:
    """The committee schedules a meeting and chooses the offerings presented (路演); they must be orderable."""
    if as_utc(data.ends_at) <= as_utc(data.starts_at):
        raise InvalidInput("error.meeting_must_end_after", field="ends_at")
    ids = sorted(set(data.offering_ids))
    offerings = list((await db.scalars(select(Offering).where(Offering.id.in_(ids)))).unique().all())
    if len(offerings) != len(ids):
        raise InvalidInput(NO_OFFERING, field="offering_ids")
    if not all(orderable(o) for o in offerings):
        raise InvalidInput("error.presented_services_must_orderable", field="offering_ids")
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
        visible = visible_orders(viewer)
        if visible is not None:
            conds.append(visible)
        order_stmt = select(ServiceOrder).where(*conds).order_by(ServiceOrder.ordered_at, ServiceOrder.id)
        orders = list((await db.scalars(order_stmt)).unique().all())
    return MeetingDetail(meeting, {o.id: held.get((o.id, this_month), 0) for o in meeting.offerings}, counts, orders)


def may_order_at(viewer: User | None, meeting: OrderingMeeting, now: datetime) -> bool:
    """Whether the viewer may order at the meeting now: a secretary, while it is on."""
    return viewer is not None and viewer.role == Role.SECRETARY and meeting_phase(meeting, now) == "on"


async def coming_meetings(db: AsyncSession, now: datetime, *, limit: int) -> list[tuple[MeetingRow, MeetingPhase]]:
    """The meetings not yet over among the latest `limit`, soonest first, with their phase (upcoming or on)."""
    _, rows = await list_meetings(db, limit=limit, offset=0)
    live = [(r, meeting_phase(r.meeting, now)) for r in rows]
    return sorted(((r, p) for r, p in live if p != "ended"), key=lambda rp: rp[0].meeting.starts_at)


async def meetings_presenting(db: AsyncSession, offering_id: int, now: datetime) -> list[OrderingMeeting]:
    """The meetings on now that present the offering, soonest first: an order may be placed at one of them."""
    stmt = (
        select(OrderingMeeting)
        .join(meeting_offerings, meeting_offerings.c.meeting_id == OrderingMeeting.id)
        .where(
            meeting_offerings.c.offering_id == offering_id,
            OrderingMeeting.starts_at <= now,
            OrderingMeeting.ends_at > now,
        )
        .order_by(OrderingMeeting.starts_at, OrderingMeeting.id)
    )
    return list((await db.scalars(stmt)).all())
