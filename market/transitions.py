"""The one function that applies a state-machine transition (STYLE point 3).

The tables of allowed transitions live in `market.states`; this is where a status actually changes.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from market.audit import Actor, record
from market.states import check_transition

S = TypeVar("S", bound=StrEnum)


async def move(
    db: AsyncSession,
    obj: Any,
    target: S,
    *,
    entity: str,
    action: str,
    actor: Actor,
    now: datetime,
    data: dict[str, Any] | None = None,
    what: str | None = None,
    again: bool = False,
) -> S:
    """Apply one state-machine transition: check it against the table, set it, write its audit entry.

    Returns the state before. `obj.status` is read as the target's enum; a transition the table does not allow
    raises StateConflict (labelled `what`, by default `entity`) before anything changes. Notifications stay with
    the caller, since what to say and to whom differs per transition; so do any other fields the transition sets
    (set them before calling, so they are written with the status). With `again`, a move to the state the object is
    already in (a decision taken again) is allowed and recorded like any other.
    """
    before = type(target)(obj.status)
    if not (again and before is target):
        check_transition(before, target, what=entity if what is None else what)
    obj.status = target
    await record(
        db,
        at=now,
        actor=actor,
        entity=entity,
        entity_id=obj.id,
        action=action,
        before=before,
        after=target,
        data=data,
    )
    return before
