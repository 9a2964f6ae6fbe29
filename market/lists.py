"""Keeping the need list in step with what answers it (三张清单), inside the caller's transaction.

A need's state is derived from its live links rather than pushed around by each caller, so that a need
answered by two things stays matched until both have ended.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from market.audit import Actor
from market.models import Need, ServiceOrder, Task, task_needs
from market.models._tasks import effective_status_sql
from market.states import (
    DONE_ORDER_STATES,
    LIVE_ORDER_STATES,
    LIVE_TASK_STATES,
    NeedStatus,
    OrderStatus,
    TaskStatus,
)
from market.transitions import move


def need_state_from_links(task_states: Iterable[TaskStatus], order_states: Iterable[OrderStatus] = ()) -> NeedStatus:
    """Matched while anything live answers the need; resolved once something answering it has finished.

    A task is live from posting until it closes (its project closes with it); an order while requested or
    accepted. A closed task or a delivered order resolves the need, but only once nothing live remains.
    """
    tasks, orders = set(task_states), set(order_states)
    if tasks & LIVE_TASK_STATES or orders & LIVE_ORDER_STATES:
        return NeedStatus.MATCHED
    if TaskStatus.CLOSED in tasks or orders & DONE_ORDER_STATES:
        return NeedStatus.RESOLVED
    return NeedStatus.OPEN


async def link_states(
    session: AsyncSession, need_ids: list[int], now: datetime
) -> tuple[dict[int, list[TaskStatus]], dict[int, list[OrderStatus]]]:
    """The states of every task and order linked to each need, as they are at `now`.

    A task's state is its effective one: a posted task past its deadline with no claim is unclaimed and no
    longer holds its needs, whether or not the transition has been stored.
    """
    tasks: dict[int, list[TaskStatus]] = {}
    orders: dict[int, list[OrderStatus]] = {}
    task_rows = await session.execute(
        select(task_needs.c.need_id, effective_status_sql(now))
        .join(Task, Task.id == task_needs.c.task_id)
        .where(task_needs.c.need_id.in_(need_ids))
    )
    for need_id, status in task_rows:
        tasks.setdefault(need_id, []).append(TaskStatus(status))
    order_rows = await session.execute(
        select(ServiceOrder.need_id, ServiceOrder.status).where(ServiceOrder.need_id.in_(need_ids))
    )
    for order_need_id, status in order_rows:
        if order_need_id is not None:
            orders.setdefault(order_need_id, []).append(OrderStatus(status))
    return tasks, orders


async def refresh_needs(session: AsyncSession, need_ids: Iterable[int], *, now: datetime, actor: Actor) -> None:
    """Move each need to the state its links call for, with an audit entry per move."""
    ids = sorted(set(need_ids))
    if not ids:
        return
    needs = (await session.scalars(select(Need).where(Need.id.in_(ids)).with_for_update())).all()
    tasks, orders = await link_states(session, ids, now)
    for need in needs:
        if need.status in (NeedStatus.DECLINED, NeedStatus.RESOLVED):
            continue
        target = need_state_from_links(tasks.get(need.id, []), orders.get(need.id, []))
        if target == need.status:
            continue
        await move(session, need, target, entity="need", action="sync", actor=actor, now=now)
