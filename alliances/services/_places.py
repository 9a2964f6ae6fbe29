"""Streets (街道) and their communities (社区), where secretaries, needs and classes belong."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from alliances import schemas
from alliances.models import (
    Community,
    Street,
)
from alliances.services._checks import clean_name
from market.kernel.audit import Actor, record
from market.kernel.errors import InvalidInput, StateConflict


async def list_streets(db: AsyncSession) -> list[Street]:
    """Every street, in the order they were added."""
    return list((await db.execute(select(Street).order_by(Street.id))).scalars())


async def create_street(db: AsyncSession, data: schemas.StreetCreate, *, actor: Actor, now: datetime) -> Street:
    """A new street; names are unique (409)."""
    name = clean_name(data.name)
    if await db.scalar(select(func.count()).where(Street.name == name)):
        raise StateConflict("error.street_name_exists", field="name")
    street = Street(name=name)
    db.add(street)
    await db.flush()
    await record(db, at=now, actor=actor, entity="street", entity_id=street.id, action="create", data={"name": name})
    return street


async def list_communities(db: AsyncSession, *, street_id: int | None = None) -> list[Community]:
    """Communities (each with its street, in the same query), optionally of one street."""
    stmt = select(Community).order_by(Community.id)
    if street_id is not None:
        stmt = stmt.where(Community.street_id == street_id)
    return list((await db.execute(stmt)).unique().scalars())


async def create_community(
    db: AsyncSession, data: schemas.CommunityCreate, *, actor: Actor, now: datetime
) -> Community:
    """A new community in an existing street; names are unique within a street (409)."""
    name = clean_name(data.name)
    street = await db.get(Street, data.street_id)
    if street is None:
        raise InvalidInput("error.no_such_street", field="street_id")
    taken = await db.scalar(select(func.count()).where(Community.street_id == street.id, Community.name == name))
    if taken:
        raise StateConflict("error.street_already_community_name", field="name")
    community = Community(name=name, street_id=street.id, street=street)
    db.add(community)
    await db.flush()
    await record(
        db,
        at=now,
        actor=actor,
        entity="community",
        entity_id=community.id,
        action="create",
        data={"name": name, "street_id": street.id},
    )
    return community
