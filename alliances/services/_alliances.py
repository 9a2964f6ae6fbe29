"""The four alliances (联盟): each with its count of active members and whether it chairs today."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from alliances.models import (
    Alliance,
    Organization,
    OrgStatus,
)
from alliances.services._chair import term_on
from market.kernel.errors import NotFound


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
        raise NotFound("error.no_such_alliance")
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
