"""Queries and rules for alliances, organisations, applications, streets, communities and the rotating chair.

`alliances` may not import `market`, so what it needs from the app arrives as protocols: the audit recorder
(`market.audit.record` satisfies `Recorder`) and the acting user (anything with `id` and `username`).
Every function that changes state expects to run inside `writing(session)` and writes its audit entry there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, NamedTuple, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from msgspec import UnsetType
from sqlalchemy import Text, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from alliances import schemas
from alliances.credit_code import InvalidCreditCode, normalize_credit_code
from alliances.errors import Conflict, InvalidField, NotFound
from alliances.models import (
    Alliance,
    ApplicationStatus,
    ChairActivity,
    ChairTerm,
    Community,
    Organization,
    OrganizationApplication,
    OrgStatus,
    ServiceCategory,
    Street,
)
from alliances.rotation import Term, rotate, validate_schedule

SHANGHAI: Final = ZoneInfo("Asia/Shanghai")
# The chair schedule is one thing with no row of its own; its audit entries use this id.
SCHEDULE_ENTITY_ID: Final = 0

# --- what the app provides -------------------------------------------------------------------------------------


class Actor(Protocol):
    """Whoever acts: a signed-in user, or a member of the public (id None)."""

    @property
    def id(self) -> int | None: ...

    @property
    def username(self) -> str: ...


@runtime_checkable
class Recorder(Protocol):
    """Appends one audit entry inside the caller's transaction (the app injects `market.audit.record`).

    Runtime-checkable because Litestar checks injected values against the annotation with `isinstance`.
    """

    async def __call__(
        self,
        session: AsyncSession,
        *,
        at: datetime,
        actor: Actor,
        entity: str,
        entity_id: int,
        action: str,
        before: str = "",
        after: str = "",
        data: dict[str, Any] | None = None,
    ) -> Any: ...


@dataclass(frozen=True, slots=True)
class PublicActor:
    """Someone without an account: the applicant on the public form."""

    id: int | None = None
    username: str = "public"


PUBLIC = PublicActor()


def local_date(now: datetime) -> date:
    """The calendar date in Asia/Shanghai at an aware instant (the chair changes at local midnight)."""
    return now.astimezone(SHANGHAI).date()


# --- state machines --------------------------------------------------------------------------------------------

ORG_TRANSITIONS: Final[dict[OrgStatus, frozenset[OrgStatus]]] = {
    OrgStatus.ACTIVE: frozenset({OrgStatus.SUSPENDED}),
    OrgStatus.SUSPENDED: frozenset({OrgStatus.ACTIVE}),
}
APPLICATION_TRANSITIONS: Final[dict[ApplicationStatus, frozenset[ApplicationStatus]]] = {
    ApplicationStatus.PENDING: frozenset({ApplicationStatus.APPROVED, ApplicationStatus.REJECTED}),
    ApplicationStatus.APPROVED: frozenset(),
    ApplicationStatus.REJECTED: frozenset(),
}


def _check_application_transition(application: OrganizationApplication, to: ApplicationStatus) -> None:
    current = ApplicationStatus(application.status)
    if to not in APPLICATION_TRANSITIONS[current]:
        raise Conflict(f"申请已处理，当前状态为 {current} (the application is already {current})", field="status")


# --- shared checks ---------------------------------------------------------------------------------------------


def _clean_name(raw: str, field: str = "name") -> str:
    name = raw.strip()
    if not name:
        raise InvalidField("名称不能为空 (the name is blank)", field=field)
    return name


def _credit_code(raw: str) -> str:
    try:
        return normalize_credit_code(raw)
    except InvalidCreditCode as exc:
        raise InvalidField(str(exc), field="credit_code") from exc


def _categories(values: Sequence[ServiceCategory]) -> list[str]:
    if len(set(values)) != len(values):
        raise InvalidField("服务类别不能重复 (categories must not repeat)", field="categories")
    return [str(value) for value in values]


async def _alliance(db: AsyncSession, alliance_id: int) -> Alliance:
    alliance = await db.get(Alliance, alliance_id)
    if alliance is None:
        raise InvalidField("联盟不存在 (no such alliance)", field="alliance_id")
    return alliance


async def _ensure_unregistered(db: AsyncSession, name: str, credit_code: str) -> None:
    """409 if an organisation already has this name or credit code (the database enforces it too)."""
    if await db.scalar(select(func.count()).where(Organization.name == name)):
        raise Conflict("组织名称已被登记 (an organisation with this name is registered)", field="name")
    if await db.scalar(select(func.count()).where(Organization.credit_code == credit_code)):
        raise Conflict(
            "统一社会信用代码已被登记 (an organisation with this credit code is registered)", field="credit_code"
        )


async def _for_update(db: AsyncSession, model: Any, ident: int) -> Any:
    """One row locked for the rest of the transaction (FOR UPDATE on PostgreSQL; SQLite's write lock covers it)."""
    # `of=` keeps the lock off eagerly joined tables (PostgreSQL refuses FOR UPDATE on an outer join's nullable side).
    stmt = select(model).where(model.id == ident).with_for_update(of=model).execution_options(populate_existing=True)
    return (await db.execute(stmt)).unique().scalar_one_or_none()


# --- alliances -------------------------------------------------------------------------------------------------


class AllianceRow(NamedTuple):
    """An alliance with what the list shows beside it."""

    alliance: Alliance
    organization_count: int
    chairing: bool


async def _chairing_alliance_id(db: AsyncSession, day: date) -> int | None:
    term = await term_on(db, day)
    return term.alliance_id if term else None


async def list_alliances(db: AsyncSession, *, today: date) -> list[AllianceRow]:
    """The four alliances in position order, with active member counts (one grouped query) and today's chair."""
    counts = (
        select(Organization.alliance_id, func.count().label("n"))
        .where(Organization.status == OrgStatus.ACTIVE)
        .group_by(Organization.alliance_id)
        .subquery()
    )
    rows = await db.execute(
        select(Alliance, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.alliance_id == Alliance.id)
        .order_by(Alliance.position, Alliance.id)
    )
    chair_id = await _chairing_alliance_id(db, today)
    return [AllianceRow(alliance, int(n), alliance.id == chair_id) for alliance, n in rows.all()]


async def get_alliance(db: AsyncSession, code: str, *, today: date) -> tuple[AllianceRow, list[Organization]]:
    """One alliance by code with its active organisations, or 404."""
    alliance = (await db.execute(select(Alliance).where(Alliance.code == code))).scalar_one_or_none()
    if alliance is None:
        raise NotFound("联盟不存在 (no such alliance)")
    members = list(
        (
            await db.execute(
                select(Organization)
                .where(Organization.alliance_id == alliance.id, Organization.status == OrgStatus.ACTIVE)
                .order_by(Organization.id)
            )
        )
        .unique()
        .scalars()
    )
    chair_id = await _chairing_alliance_id(db, today)
    return AllianceRow(alliance, len(members), alliance.id == chair_id), members


# --- streets and communities -----------------------------------------------------------------------------------


async def list_streets(db: AsyncSession) -> list[Street]:
    """Every street, in the order they were added."""
    return list((await db.execute(select(Street).order_by(Street.id))).scalars())


async def create_street(
    db: AsyncSession, data: schemas.StreetCreate, *, actor: Actor, now: datetime, audit: Recorder
) -> Street:
    """A new street; names are unique (409)."""
    name = _clean_name(data.name)
    if await db.scalar(select(func.count()).where(Street.name == name)):
        raise Conflict("街道已存在 (a street with this name exists)", field="name")
    street = Street(name=name)
    db.add(street)
    await db.flush()
    await audit(db, at=now, actor=actor, entity="street", entity_id=street.id, action="create", data={"name": name})
    return street


async def list_communities(db: AsyncSession, *, street_id: int | None = None) -> list[Community]:
    """Communities (each with its street, in the same query), optionally of one street."""
    stmt = select(Community).order_by(Community.id)
    if street_id is not None:
        stmt = stmt.where(Community.street_id == street_id)
    return list((await db.execute(stmt)).unique().scalars())


async def create_community(
    db: AsyncSession, data: schemas.CommunityCreate, *, actor: Actor, now: datetime, audit: Recorder
) -> Community:
    """A new community in an existing street; names are unique within a street (409)."""
    name = _clean_name(data.name)
    street = await db.get(Street, data.street_id)
    if street is None:
        raise InvalidField("街道不存在 (no such street)", field="street_id")
    taken = await db.scalar(select(func.count()).where(Community.street_id == street.id, Community.name == name))
    if taken:
        raise Conflict("该街道已有同名社区 (this street already has a community with this name)", field="name")
    community = Community(name=name, street_id=street.id, street=street)
    db.add(community)
    await db.flush()
    await audit(
        db,
        at=now,
        actor=actor,
        entity="community",
        entity_id=community.id,
        action="create",
        data={"name": name, "street_id": street.id},
    )
    return community


# --- organisations ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrganizationFilter:
    """What the public organisation list may be narrowed by."""

    alliance: str | None = None
    category: ServiceCategory | None = None
    resident: bool | None = None
    status: OrgStatus | None = None
    q: str | None = None


async def list_organizations(
    db: AsyncSession, where: OrganizationFilter, *, limit: int, offset: int
) -> list[Organization]:
    """Organisations (each with its alliance, in the same query), ordered by id."""
    stmt = select(Organization).order_by(Organization.id).limit(limit).offset(offset)
    if where.alliance is not None:
        stmt = stmt.where(Organization.alliance_id.in_(select(Alliance.id).where(Alliance.code == where.alliance)))
    if where.category is not None:
        # Categories are a JSON list of fixed identifiers, so its text holds `"<value>"` exactly when the list
        # does; this reads the same on SQLite and PostgreSQL, which share no JSON containment operator.
        stmt = stmt.where(cast(Organization.categories, Text).contains(f'"{where.category.value}"'))
    if where.resident is not None:
        stmt = stmt.where(Organization.resident.is_(where.resident))
    if where.status is not None:
        stmt = stmt.where(Organization.status == where.status)
    if where.q:
        stmt = stmt.where(Organization.name.icontains(where.q.strip(), autoescape=True))
    return list((await db.execute(stmt)).unique().scalars())


async def get_organization(db: AsyncSession, org_id: int) -> Organization:
    """One organisation, or 404."""
    org = await db.get(Organization, org_id)
    if org is None:
        raise NotFound("组织不存在 (no such organisation)")
    return org


async def create_organization(
    db: AsyncSession, data: schemas.OrganizationCreate, *, actor: Actor, now: datetime, audit: Recorder
) -> Organization:
    """Register an organisation; the credit code must pass GB 32100-2015 and nothing may be registered twice."""
    name = _clean_name(data.name)
    code = _credit_code(data.credit_code)
    categories = _categories(data.categories)
    alliance = await _alliance(db, data.alliance_id)
    await _ensure_unregistered(db, name, code)
    org = Organization(
        name=name,
        credit_code=code,
        alliance_id=alliance.id,
        alliance=alliance,
        categories=categories,
        resident=data.resident,
        status=OrgStatus.ACTIVE,
        description=data.description,
        contact_phone=data.contact_phone,
    )
    db.add(org)
    await db.flush()
    await audit(
        db,
        at=now,
        actor=actor,
        entity="organization",
        entity_id=org.id,
        action="create",
        after=OrgStatus.ACTIVE.value,
        data={"name": name, "credit_code": code, "alliance": alliance.code},
    )
    return org


async def update_organization(
    db: AsyncSession,
    org_id: int,
    data: schemas.OrganizationUpdate,
    *,
    actor: Actor,
    now: datetime,
    audit: Recorder,
) -> Organization:
    """Change the fields sent; a status change (suspend / reactivate) is audited with before and after."""
    org: Organization | None = await _for_update(db, Organization, org_id)
    if org is None:
        raise NotFound("组织不存在 (no such organisation)")
    changed: dict[str, Any] = {}
    if not isinstance(data.description, UnsetType) and data.description != org.description:
        org.description = changed["description"] = data.description
    if not isinstance(data.categories, UnsetType):
        categories = _categories(data.categories)
        if categories != list(org.categories):
            org.categories = changed["categories"] = categories
    if not isinstance(data.resident, UnsetType) and data.resident != org.resident:
        org.resident = changed["resident"] = data.resident
    if not isinstance(data.contact_phone, UnsetType) and data.contact_phone != org.contact_phone:
        org.contact_phone = changed["contact_phone"] = data.contact_phone
    before = OrgStatus(org.status)
    after = before
    if not isinstance(data.status, UnsetType) and data.status != before:
        if data.status not in ORG_TRANSITIONS[before]:
            raise Conflict(f"不能从 {before} 变为 {data.status} (cannot go from {before} to {data.status})")
        after = data.status
        org.status = after
        if not isinstance(data.reason, UnsetType):
            changed["reason"] = data.reason.strip()
    if not changed and after == before:
        return org
    action = "update" if after == before else ("suspend" if after is OrgStatus.SUSPENDED else "reactivate")
    await db.flush()
    await audit(
        db,
        at=now,
        actor=actor,
        entity="organization",
        entity_id=org.id,
        action=action,
        before=before.value,
        after=after.value,
        data=changed,
    )
    return org


# --- applications (入驻申请) --------------------------------------------------------------------------------------


async def submit_application(
    db: AsyncSession, data: schemas.ApplicationCreate, *, now: datetime, audit: Recorder
) -> OrganizationApplication:
    """A public application; refused at once if the organisation is registered or already has one pending."""
    name = _clean_name(data.name)
    code = _credit_code(data.credit_code)
    categories = _categories(data.categories)
    alliance = await _alliance(db, data.alliance_id)
    contact_name = _clean_name(data.contact_name, field="contact_name")
    await _ensure_unregistered(db, name, code)
    for field, value in (("credit_code", code), ("name", name)):
        pending = await db.scalar(
            select(func.count()).where(
                OrganizationApplication.status == ApplicationStatus.PENDING,
                getattr(OrganizationApplication, field) == value,
            )
        )
        if pending:
            raise Conflict("该组织已有待审核的申请 (an application for this organisation is pending)", field=field)
    application = OrganizationApplication(
        name=name,
        credit_code=code,
        alliance_id=alliance.id,
        categories=categories,
        resident=data.resident,
        description=data.description,
        contact_name=contact_name,
        contact_phone=data.contact_phone,
        status=ApplicationStatus.PENDING,
    )
    db.add(application)
    await db.flush()
    await audit(
        db,
        at=now,
        actor=PUBLIC,
        entity="application",
        entity_id=application.id,
        action="submit",
        after=ApplicationStatus.PENDING.value,
        data={"name": name, "credit_code": code, "alliance": alliance.code},
    )
    return application


async def list_applications(
    db: AsyncSession, *, status: ApplicationStatus | None, limit: int, offset: int
) -> list[OrganizationApplication]:
    """Applications, oldest first, optionally of one status."""
    stmt = select(OrganizationApplication).order_by(OrganizationApplication.id).limit(limit).offset(offset)
    if status is not None:
        stmt = stmt.where(OrganizationApplication.status == status)
    return list((await db.execute(stmt)).scalars())


async def _pending_application(db: AsyncSession, application_id: int, to: ApplicationStatus) -> OrganizationApplication:
    application: OrganizationApplication | None = await _for_update(db, OrganizationApplication, application_id)
    if application is None:
        raise NotFound("申请不存在 (no such application)")
    _check_application_transition(application, to)
    return application


async def approve_application(
    db: AsyncSession, application_id: int, *, actor: Actor, now: datetime, audit: Recorder
) -> tuple[OrganizationApplication, Organization]:
    """Approve a pending application and register its organisation in the same transaction."""
    application = await _pending_application(db, application_id, ApplicationStatus.APPROVED)
    alliance = await _alliance(db, application.alliance_id)
    await _ensure_unregistered(db, application.name, application.credit_code)
    org = Organization(
        name=application.name,
        credit_code=application.credit_code,
        alliance_id=alliance.id,
        alliance=alliance,
        categories=list(application.categories),
        resident=application.resident,
        status=OrgStatus.ACTIVE,
        description=application.description,
        contact_phone=application.contact_phone,
    )
    db.add(org)
    await db.flush()
    application.status = ApplicationStatus.APPROVED
    application.organization_id = org.id
    await db.flush()
    await audit(
        db,
        at=now,
        actor=actor,
        entity="application",
        entity_id=application.id,
        action="approve",
        before=ApplicationStatus.PENDING.value,
        after=ApplicationStatus.APPROVED.value,
        data={"organization_id": org.id},
    )
    await audit(
        db,
        at=now,
        actor=actor,
        entity="organization",
        entity_id=org.id,
        action="create",
        after=OrgStatus.ACTIVE.value,
        data={
            "name": org.name,
            "credit_code": org.credit_code,
            "alliance": alliance.code,
            "application": application.id,
        },
    )
    return application, org


async def reject_application(
    db: AsyncSession, application_id: int, reason: str, *, actor: Actor, now: datetime, audit: Recorder
) -> OrganizationApplication:
    """Reject a pending application, saying why."""
    reason = reason.strip()
    if len(reason) < 2:
        raise InvalidField("请说明驳回理由 (give a reason)", field="reason")
    application = await _pending_application(db, application_id, ApplicationStatus.REJECTED)
    application.status = ApplicationStatus.REJECTED
    application.decision_reason = reason
    await db.flush()
    await audit(
        db,
        at=now,
        actor=actor,
        entity="application",
        entity_id=application.id,
        action="reject",
        before=ApplicationStatus.PENDING.value,
        after=ApplicationStatus.REJECTED.value,
        data={"reason": reason},
    )
    return application


# --- the rotating chair (轮值主席) -------------------------------------------------------------------------------


async def schedule(db: AsyncSession, *, today: date) -> tuple[list[ChairTerm], ChairTerm | None]:
    """Every term in date order, each with its alliance (same query), and the one covering `today`."""
    terms = list((await db.execute(select(ChairTerm).order_by(ChairTerm.starts_on))).unique().scalars())
    return terms, next((t for t in terms if t.starts_on <= today <= t.ends_on), None)


async def term_on(db: AsyncSession, day: date) -> ChairTerm | None:
    """The term covering a date, if any (on a valid schedule there is at most one)."""
    stmt = (
        select(ChairTerm)
        .where(ChairTerm.starts_on <= day, ChairTerm.ends_on >= day)
        .order_by(ChairTerm.starts_on)
        .limit(1)
    )
    return (await db.execute(stmt)).unique().scalar_one_or_none()


def requested_terms(data: schemas.ChairScheduleReplace) -> tuple[list[Term], str]:
    """The terms a replacement asks for, checked for overlaps, gaps and reversed dates; and the field they came from."""
    rotation, explicit = data.rotation, data.terms
    if isinstance(rotation, UnsetType) == isinstance(explicit, UnsetType):
        raise InvalidField("请给出 terms 或 rotation 之一 (give either terms or rotation)", field="terms")
    field = "terms" if isinstance(rotation, UnsetType) else "rotation"
    try:
        if not isinstance(rotation, UnsetType):
            terms = rotate(rotation.order, rotation.first_day, rotation.months_per_term, rotation.count)
        else:
            terms = [Term(t.alliance_code, t.starts_on, t.ends_on) for t in explicit or ()]
        validate_schedule(terms)
    except OverflowError as exc:
        raise InvalidField("日期超出范围 (a date is out of range)", field=field) from exc
    except ValueError as exc:
        # ScheduleError is a ValueError; so is a generated date past year 9999.
        raise InvalidField(str(exc), field=field) from exc
    return terms, field


async def replace_schedule(
    db: AsyncSession, data: schemas.ChairScheduleReplace, *, actor: Actor, now: datetime, audit: Recorder
) -> list[ChairTerm]:
    """Replace the whole schedule.

    A term identical to an existing one (same alliance and dates) is kept, with its activities. Any other
    existing term is removed, which is refused (409) if an activity is attached to it: activities belong to
    the alliance that chaired when they were held, and silently moving them would rewrite that record.
    """
    terms, field = requested_terms(data)
    codes = {term.alliance_code for term in terms}
    alliances = {a.code: a for a in (await db.execute(select(Alliance).where(Alliance.code.in_(codes)))).scalars()}
    unknown = sorted(codes - alliances.keys())
    if unknown:
        raise InvalidField(f"联盟不存在：{', '.join(unknown)} (no such alliance)", field=field)

    existing = list(
        (await db.execute(select(ChairTerm).order_by(ChairTerm.starts_on).with_for_update(of=ChairTerm)))
        .unique()
        .scalars()
    )
    wanted = {(alliances[t.alliance_code].id, t.starts_on, t.ends_on) for t in terms}
    kept = {
        (t.alliance_id, t.starts_on, t.ends_on): t
        for t in existing
        if (t.alliance_id, t.starts_on, t.ends_on) in wanted
    }
    removed = [t for t in existing if (t.alliance_id, t.starts_on, t.ends_on) not in kept]
    if removed:
        busy = (
            await db.execute(
                select(ChairTerm.starts_on, ChairTerm.ends_on)
                .join(ChairActivity, ChairActivity.term_id == ChairTerm.id)
                .where(ChairTerm.id.in_([old.id for old in removed]))
                .distinct()
                .order_by(ChairTerm.starts_on)
            )
        ).all()
        if busy:
            spans = ", ".join(f"{starts}~{ends}" for starts, ends in busy)
            raise Conflict(
                f"以下任期已有活动，不能删除或改动：{spans} (terms with activities cannot be removed or changed)",
                field=field,
            )
        for old in removed:
            await db.delete(old)
        # Deletions must reach the database before inserts reuse their (unique) start and end dates.
        await db.flush()

    result: list[ChairTerm] = []
    for term in terms:
        alliance = alliances[term.alliance_code]
        row = kept.get((alliance.id, term.starts_on, term.ends_on))
        if row is None:
            row = ChairTerm(alliance_id=alliance.id, alliance=alliance, starts_on=term.starts_on, ends_on=term.ends_on)
            db.add(row)
        result.append(row)
    await db.flush()
    result.sort(key=lambda t: t.starts_on)
    await audit(
        db,
        at=now,
        actor=actor,
        entity="chair_schedule",
        entity_id=SCHEDULE_ENTITY_ID,
        action="replace",
        before=f"{len(existing)} terms",
        after=f"{len(result)} terms",
        data={
            "terms": [{"alliance": t.alliance.code, "starts_on": t.starts_on, "ends_on": t.ends_on} for t in result],
            "kept": len(kept),
            "removed": len(removed),
        },
    )
    return result


async def list_activities(
    db: AsyncSession, *, start: date | None, end: date | None, limit: int, offset: int
) -> list[ChairActivity]:
    """The calendar: activities held between two dates (inclusive), by date."""
    if start is not None and end is not None and end < start:
        raise InvalidField("结束日期早于开始日期 (`to` is before `from`)", field="to")
    stmt = select(ChairActivity).order_by(ChairActivity.held_on, ChairActivity.id).limit(limit).offset(offset)
    if start is not None:
        stmt = stmt.where(ChairActivity.held_on >= start)
    if end is not None:
        stmt = stmt.where(ChairActivity.held_on <= end)
    return list((await db.execute(stmt)).unique().scalars())


async def create_activity(
    db: AsyncSession, data: schemas.ChairActivityCreate, *, actor: Actor, now: datetime, audit: Recorder
) -> ChairActivity:
    """An activity on the calendar, attached to the term that covers its date (422 if none does)."""
    title = _clean_name(data.title, field="title")
    term = await term_on(db, data.held_on)
    if term is None:
        raise InvalidField(f"{data.held_on} 不在任何轮值任期内 (no chair term covers that date)", field="held_on")
    activity = ChairActivity(
        term_id=term.id,
        term=term,
        title=title,
        held_on=data.held_on,
        place=data.place.strip(),
        description=data.description,
    )
    db.add(activity)
    await db.flush()
    await audit(
        db,
        at=now,
        actor=actor,
        entity="chair_activity",
        entity_id=activity.id,
        action="create",
        data={"title": title, "held_on": data.held_on, "term_id": term.id, "alliance": term.alliance.code},
    )
    return activity
