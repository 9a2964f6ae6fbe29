"""Retention: residents' numbers are erased a set time after their class (market/privacy.py, docs/privacy.md).

Its own module so the tick (market/flows.py) can call it without depending on the sign-up service, which
depends on the task service.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from market import phones, privacy
from market.audit import SYSTEM, record
from market.models import ClassSession, Signup

# Classes per purge: bounded so one tick stays short (a class holds at most 11,000 sign-ups, usually a few dozen).
PURGE_CLASSES = 20


async def purge_numbers(db: AsyncSession, now: datetime, *, classes: int = PURGE_CLASSES) -> int:
    """Erase the numbers of sign-ups to classes that started more than the retention period ago; names keep only
    their masked form (张**), so an old roster still reads as a list of people. Statuses and attendance stay, so
    statistics do not change. One audit entry per batch; returns how many sign-ups were erased.

    Runs in the caller's write transaction (the tick). The classes are taken on the partial index of those still
    holding numbers and locked, so two workers ticking together erase and record each class once.
    """
    cutoff = now - timedelta(days=privacy.of(db).retention_days)
    due = (
        select(ClassSession.id)
        .where(ClassSession.numbers_erased_at.is_(None), ClassSession.starts_at <= cutoff)
        .order_by(ClassSession.starts_at, ClassSession.id)
        .limit(classes)
        .with_for_update()
    )
    class_ids = list((await db.scalars(due)).all())
    if not class_ids:
        return 0
    held = select(Signup.id, Signup.name).where(Signup.session_id.in_(class_ids), Signup.phone_sealed.is_not(None))
    rows = (await db.execute(held)).all()
    if rows:
        erased = [
            {
                "id": r.id,
                "name": phones.mask_name(r.name),
                "phone_sealed": None,
                "phone_hash": None,
                "erased_at": now,
                "updated_at": now,
            }
            for r in rows
        ]
        await db.execute(update(Signup), erased)
    await db.execute(
        update(ClassSession).where(ClassSession.id.in_(class_ids)).values(numbers_erased_at=now, updated_at=now)
    )
    await record(
        db,
        at=now,
        actor=SYSTEM,
        entity="privacy",
        entity_id=0,
        action="purge",
        data={"classes": class_ids, "signups": len(rows), "started_before": cutoff.isoformat()},
    )
    return len(rows)
