"""The resource list (服务资源库): calendar months, who provides what, the offerings and their places held."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from msgspec import UNSET
from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from alliances.models import OrgStatus
from market.audit import record
from market.kernel.clock import local
from market.kernel.db import like_pattern, lock
from market.kernel.errors import Forbidden, NotFound, StateConflict
from market.models import (
    Availability,
    Offering,
    Organization,
    ResourceCategory,
    Role,
    ServiceOrder,
    User,
)
from market.schemas._resources import OfferingCreate, OfferingUpdate
from market.states import CAPACITY_ORDER_STATES

PARK_NAME = "创新园"
# A secretary orders for this month or up to this many months ahead.
MONTHS_AHEAD = 12

NO_OFFERING = "error.no_such_service"
NO_ORDER = "error.no_such_order"
NO_MEETING = "error.no_such_ordering_meeting"

_HELD = [s.value for s in CAPACITY_ORDER_STATES]


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
            raise Forbidden("error.committee_publishes_park_own")
        organization_id = None
    elif actor.role == Role.ORG and actor.organization_id is not None:
        if data.organization_id not in (None, actor.organization_id):
            raise Forbidden("error.publish_own_organisation_services")
        org = await db.get(Organization, actor.organization_id)
        if org is None or org.status != OrgStatus.ACTIVE:
            raise Forbidden("error.suspended_organisation_cannot_publish")
        organization_id = org.id
    else:
        raise Forbidden("error.only_committee_organisations_publish")
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
        after=Availability.ACTIVE,
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
        raise Forbidden("error.only_provider_change_service")
    before = Availability.of(offering.active)
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
                "error.places_already_accepted_month",
                field="monthly_capacity",
                busiest=busiest,
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
        after=Availability.of(offering.active),
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


async def places_left(db: AsyncSession, offering: Offering, month: date) -> int:
    """Places still free in one month of an offering: its monthly capacity less the places held."""
    return max(offering.monthly_capacity - await held_in_month(db, offering.id, month), 0)
