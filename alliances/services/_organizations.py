"""The register of social organisations (社会组织): listing, registering, editing, suspending."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from msgspec import UnsetType
from sqlalchemy import Text, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from alliances import schemas
from alliances.models import (
    Alliance,
    Organization,
    OrgStatus,
    ServiceCategory,
)
from alliances.services._checks import (
    alliance_by_id,
    checked_categories,
    checked_credit_code,
    clean_name,
    ensure_unregistered,
)
from market.kernel.audit import Actor, record
from market.kernel.db import lock
from market.kernel.errors import InvalidInput, NotFound, StateConflict

ORG_TRANSITIONS: Final[dict[OrgStatus, frozenset[OrgStatus]]] = {
    OrgStatus.ACTIVE: frozenset({OrgStatus.SUSPENDED}),
    OrgStatus.SUSPENDED: frozenset({OrgStatus.ACTIVE}),
}
"""An organisation's status machine: the committee suspends and reactivates."""


def _move(org: Organization, to: OrgStatus) -> None:
    """The one place an organisation's status changes: 409 unless the machine allows the step."""
    before = OrgStatus(org.status)
    if to not in ORG_TRANSITIONS[before]:
        raise StateConflict("error.org_status_cannot_change", before=before, status=to)
    org.status = to


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
        raise NotFound("error.no_such_organisation")
    return org


async def create_organization(
    db: AsyncSession, data: schemas.OrganizationCreate, *, actor: Actor, now: datetime
) -> Organization:
    """Register an organisation; the credit code must pass GB 32100-2015 and nothing may be registered twice."""
    name = clean_name(data.name)
    code = checked_credit_code(data.credit_code)
    categories = checked_categories(data.categories)
    alliance = await alliance_by_id(db, data.alliance_id)
    await ensure_unregistered(db, name, code)
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
    await record(
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
) -> Organization:
    """Change the fields sent; a status change (suspend / reactivate) needs a reason and is audited with before,
    after and that reason."""
    org: Organization | None = await lock(db, Organization, org_id)
    if org is None:
        raise NotFound("error.no_such_organisation")
    moving = None if isinstance(data.status, UnsetType) or data.status == org.status else data.status
    reason = None if isinstance(data.reason, UnsetType) else data.reason.strip()
    # Refused before anything changes. Both ways need words, as the watch list's placing and lifting do: the
    # committee answers in public for taking an organisation off the platform and for putting it back. (A blank
    # reason never gets here: its type's rule refuses it when the body is built.)
    if moving is not None and reason is None:
        raise InvalidInput("error.reason_must_contain_words", field="reason")
    changed: dict[str, Any] = {}
    if not isinstance(data.description, UnsetType) and data.description != org.description:
        org.description = changed["description"] = data.description
    if not isinstance(data.categories, UnsetType):
        categories = checked_categories(data.categories)
        if categories != list(org.categories):
            org.categories = changed["categories"] = categories
    if not isinstance(data.resident, UnsetType) and data.resident != org.resident:
        org.resident = changed["resident"] = data.resident
    if not isinstance(data.contact_phone, UnsetType) and data.contact_phone != org.contact_phone:
        org.contact_phone = changed["contact_phone"] = data.contact_phone
    before = OrgStatus(org.status)
    after = before
    if moving is not None:
        _move(org, moving)
        after = moving
        changed["reason"] = reason
    if not changed and after == before:
        return org
    action = "update" if after == before else ("suspend" if after is OrgStatus.SUSPENDED else "reactivate")
    await db.flush()
    await record(
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
