"""Reading entries: the committee's queue and the public notice board, one entry, its objections."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from market.kernel.errors import NotFound
from market.models import PointEntry, PointObjection, Role, User
from market.services._points._entries import NO_ENTRY, PUBLIC_STATES
from market.states import PointStatus


def _visible(viewer: User | None) -> frozenset[PointStatus] | None:
    """The states the viewer may see: the committee every one, everyone else the reviewed ones."""
    return None if viewer is not None and viewer.role == Role.COMMITTEE else PUBLIC_STATES


async def entries_page(
    db: AsyncSession,
    *,
    viewer: User | None,
    status: PointStatus | None,
    organization_id: int | None,
    limit: int,
    offset: int,
) -> tuple[int, list[PointEntry]]:
    """Entries the viewer may see, oldest first when proposed (the queue), else newest first: two statements."""
    conds: list[ColumnElement[bool]] = []
    visible = _visible(viewer)
    if visible is not None:
        conds.append(PointEntry.status.in_(visible))
    if status is not None:
        conds.append(PointEntry.status == status)
    if organization_id is not None:
        conds.append(PointEntry.organization_id == organization_id)
    order = PointEntry.id.asc() if status == PointStatus.PROPOSED else PointEntry.id.desc()
    total = await db.scalar(select(func.count(PointEntry.id)).where(*conds))
    rows = (await db.scalars(select(PointEntry).where(*conds).order_by(order).limit(limit).offset(offset))).all()
    return int(total or 0), list(rows)


async def get_entry(db: AsyncSession, entry_id: int, *, viewer: User | None) -> PointEntry:
    """One entry, if the viewer may see it (NotFound otherwise, as for one that does not exist)."""
    entry = await db.get(PointEntry, entry_id)
    visible = _visible(viewer)
    if entry is None or (visible is not None and PointStatus(entry.status) not in visible):
        raise NotFound(NO_ENTRY)
    return entry


async def objections_of(db: AsyncSession, entry_id: int) -> list[PointObjection]:
    """An entry's objections, oldest first (for the committee)."""
    stmt = select(PointObjection).where(PointObjection.entry_id == entry_id).order_by(PointObjection.id)
    return list((await db.scalars(stmt)).all())
