"""Applications to join the register (入驻申请): submitted by the public, decided by the committee."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from alliances import schemas
from alliances.models import (
    ApplicationStatus,
    Organization,
    OrganizationApplication,
    OrgStatus,
)
from alliances.services._checks import (
    alliance_by_id,
    checked_categories,
    checked_credit_code,
    clean_name,
    ensure_unregistered,
)
from market.kernel.audit import PUBLIC, Actor, record
from market.kernel.db import lock
from market.kernel.errors import InvalidInput, NotFound, StateConflict

APPLICATION_TRANSITIONS: Final[dict[ApplicationStatus, frozenset[ApplicationStatus]]] = {
    ApplicationStatus.PENDING: frozenset({ApplicationStatus.APPROVED, ApplicationStatus.REJECTED}),
    ApplicationStatus.APPROVED: frozenset(),
    ApplicationStatus.REJECTED: frozenset(),
}
"""An application's status machine: the committee decides a pending one, once."""


def _decide(application: OrganizationApplication, to: ApplicationStatus) -> None:
    """The one place an application's status changes: 409 unless the machine allows the step."""
    current = ApplicationStatus(application.status)
    if to not in APPLICATION_TRANSITIONS[current]:
        raise StateConflict("error.application_already_decided", field="status", current=current)
    application.status = to


async def submit_application(
    db: AsyncSession, data: schemas.ApplicationCreate, *, now: datetime
) -> OrganizationApplication:
    """A public application; refused at once if the organisation is registered or already has one pending."""
    name = clean_name(data.name)
    code = checked_credit_code(data.credit_code)
    categories = checked_categories(data.categories)
    alliance = await alliance_by_id(db, data.alliance_id)
    contact_name = clean_name(data.contact_name, field="contact_name")
    await ensure_unregistered(db, name, code)
    for field, value in (("credit_code", code), ("name", name)):
        pending = await db.scalar(
            select(func.count()).where(
                OrganizationApplication.status == ApplicationStatus.PENDING,
                getattr(OrganizationApplication, field) == value,
            )
        )
        if pending:
            raise StateConflict("error.application_organisation_pending", field=field)
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
    await record(
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


async def _decided(db: AsyncSession, application_id: int, to: ApplicationStatus) -> OrganizationApplication:
    application: OrganizationApplication | None = await lock(db, OrganizationApplication, application_id)
    if application is None:
        raise NotFound("error.no_such_application")
    _decide(application, to)
    return application


async def approve_application(
    db: AsyncSession, application_id: int, *, actor: Actor, now: datetime
) -> tuple[OrganizationApplication, Organization]:
    """Approve a pending application and register its organisation in the same transaction."""
    application = await _decided(db, application_id, ApplicationStatus.APPROVED)
    alliance = await alliance_by_id(db, application.alliance_id)
    await ensure_unregistered(db, application.name, application.credit_code)
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
    application.organization_id = org.id
    await db.flush()
    await record(
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
    await record(
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
    db: AsyncSession, application_id: int, reason: str, *, actor: Actor, now: datetime
) -> OrganizationApplication:
    """Reject a pending application, saying why."""
    reason = reason.strip()
    if len(reason) < 2:
        raise InvalidInput("error.rejection_needs_reason", field="reason")
    application = await _decided(db, application_id, ApplicationStatus.REJECTED)
    application.decision_reason = reason
    await db.flush()
    await record(
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


async def get_application(db: AsyncSession, application_id: int) -> OrganizationApplication:
    """One application, or 404."""
    found = await db.get(OrganizationApplication, application_id)
    if found is None:
        raise NotFound("error.no_such_application")
    return found
