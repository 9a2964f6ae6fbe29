"""The inbox: notifications written in the same transaction as the change they announce."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from market.models import Notification, Organization, User


async def to_users(
    session: AsyncSession, user_ids: Iterable[int], *, kind: str, title: str, body: str = "", link: str = ""
) -> None:
    """One inbox item for each user (duplicates collapsed)."""
    session.add_all(
        Notification(user_id=uid, kind=kind, title=title, body=body, link=link) for uid in sorted(set(user_ids))
    )


async def org_member_ids(session: AsyncSession, org_ids: Iterable[int]) -> list[int]:
    """Active accounts of the given organisations."""
    ids = list(set(org_ids))
    if not ids:
        return []
    stmt = select(User.id).where(User.organization_id.in_(ids), User.is_active.is_(True), User.role == "org")
    return list((await session.scalars(stmt)).all())


async def to_orgs(
    session: AsyncSession, org_ids: Iterable[int], *, kind: str, title: str, body: str = "", link: str = ""
) -> None:
    """One inbox item for each member of the given organisations."""
    await to_users(session, await org_member_ids(session, org_ids), kind=kind, title=title, body=body, link=link)


async def to_alliances(
    session: AsyncSession, alliance_ids: Iterable[int], *, kind: str, title: str, body: str = "", link: str = ""
) -> None:
    """One inbox item for each member of every active organisation in the given alliances."""
    stmt = select(Organization.id).where(
        Organization.alliance_id.in_(list(alliance_ids)), Organization.status == "active"
    )
    await to_orgs(session, (await session.scalars(stmt)).all(), kind=kind, title=title, body=body, link=link)


async def to_role(session: AsyncSession, role: str, *, kind: str, title: str, body: str = "", link: str = "") -> None:
    """One inbox item for every active account with the role (e.g. the committee)."""
    ids = (await session.scalars(select(User.id).where(User.role == role, User.is_active.is_(True)))).all()
    await to_users(session, ids, kind=kind, title=title, body=body, link=link)
