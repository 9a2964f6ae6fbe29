"""Awards (承榜), the public notice period, objections."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from market.models import Award
from market.states import AwardStatus


async def standing_award(db: AsyncSession, task_id: int) -> Award | None:
    """The task's award in notice or confirmed, if any."""
    stmt = select(Award).where(Award.task_id == task_id, Award.status.in_([AwardStatus.NOTICE, AwardStatus.CONFIRMED]))
    return (await db.scalars(stmt)).one_or_none()
