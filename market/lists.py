"""Keeping the need list in step with what answers it (三张清单), inside the caller's transaction.

A need's state is derived from its live links rather than pushed around by each caller, so that a need
answered by two things stays matched until both have ended.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from market.audit import Actor, record
from market.models import Need, Task, task_needs
from market.states import LIVE_TASK_STATES, NeedStatus, TaskStatus, check_transition


def need_state_from_links(task_states: Iterable[TaskStatus]) -> NeedStatus:
    """Matched while anything live answers the need; resolved once something answering it has closed."""
    states = set(task_states)
    if states & LIVE_TASK_STATES:
        return NeedStatus.MATCHED
    if TaskStatus.CLOSED in states:
        return NeedStatus.RESOLVED
    return NeedStatus.OPEN


async def refresh_needs(session: AsyncSession, need_ids: Iterable[int], *, now: datetime, actor: Actor) -> None:
    """Move each need to the state its links call for, with an audit entry per move."""
    ids = sorted(set(need_ids))
    if not ids:
        return
    needs = (await session.scalars(select(Need).where(Need.id.in_(ids)).with_for_update())).all()
    links = (
        await session.execute(
            select(task_needs.c.need_id, Task.status)
            .join(Task, Task.id == task_needs.c.task_id)
            .where(task_needs.c.need_id.in_(ids))
        )
    ).all()
    by_need: dict[int, list[TaskStatus]] = {}
    for need_id, status in links:
        by_need.setdefault(need_id, []).append(TaskStatus(status))
    for need in needs:
        if need.status in (NeedStatus.DECLINED, NeedStatus.RESOLVED):
            continue
        target = need_state_from_links(by_need.get(need.id, []))
        if target == need.status:
            continue
        check_transition(NeedStatus(need.status), target, what="need")
        before = need.status
        need.status = target
        await record(
            session, at=now, actor=actor, entity="need", entity_id=need.id, action="sync", before=before, after=target
        )
