"""The invariant check (`jiebang lists check`): every record that breaks the SPEC's list rules.

It compares what is stored with what the rules derive at `now`, time included: a posted task past its
deadline, an award whose notice period has ended with nothing open, or a need still held by a task that has
gone unclaimed is a stored state behind the derived one, and so a violation. Every request stores such
transitions before it reads (`market.flows.catch_up`), so in a running service they never outlive a request;
the check itself never catches up, or it could not see them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from market.flows import due_awards, due_tasks
from market.kernel.clock import as_utc
from market.lists import link_states, need_state_from_links
from market.models import Award, ClassSession, Need, Offering, Project, Proposal, ServiceOrder, Signup, Task
from market.services._stats import rollup_out_of_step
from market.states import (
    CAPACITY_ORDER_STATES,
    AwardStatus,
    NeedStatus,
    ProjectStatus,
    ProposalStatus,
    SignupStatus,
    TaskStatus,
    effective_task_status,
)

COUNTED_PROPOSALS = (
    ProposalStatus.SUBMITTED,
    ProposalStatus.QUALIFIED,
    ProposalStatus.DISQUALIFIED,
    ProposalStatus.AWARDED,
    ProposalStatus.NOT_AWARDED,
)
PROJECT_TASK_STATES = {
    TaskStatus.IN_PROGRESS: ProjectStatus.IN_PROGRESS,
    TaskStatus.DELIVERED: ProjectStatus.DELIVERED,
    TaskStatus.CLOSED: ProjectStatus.CLOSED,
}


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule on one record."""

    rule: str
    entity: str
    entity_id: int
    detail: str


async def check(db: AsyncSession, now: datetime) -> list[Violation]:
    """Every violation at `now`, in a stable order."""
    found: list[Violation] = []
    found += await _behind_time(db, now)
    found += await _needs(db, now)
    found += await _tasks_and_projects(db)
    found += await _claims(db)
    found += await _capacity(db)
    found += await _seats(db)
    found += await _statistics(db)
    return found


async def _behind_time(db: AsyncSession, now: datetime) -> list[Violation]:
    tasks = (
        await db.execute(
            due_tasks(now).with_only_columns(Task.id, Task.claim_deadline, Task.submitted_count).order_by(Task.id)
        )
    ).all()
    out = [
        Violation(
            "task_behind_deadline",
            "task",
            task_id,
            f"task is posted, but its deadline passed at {as_utc(deadline).isoformat()}: it is "
            f"{effective_task_status(TaskStatus.POSTED, as_utc(deadline), now, submitted)}",
        )
        for task_id, deadline, submitted in tasks
    ]
    awards = (await db.execute(due_awards(now).add_columns(Award.notice_ends_at).order_by(Award.id))).all()
    out += [
        Violation(
            "award_behind_notice_end",
            "award",
            award_id,
            f"award is in notice, but its notice period ended at {as_utc(ends).isoformat()} with no open "
            "objection: it is confirmed",
        )
        for award_id, ends in awards
    ]
    return out


async def _needs(db: AsyncSession, now: datetime) -> list[Violation]:
    needs = (await db.execute(select(Need.id, Need.status))).all()
    if not needs:
        return []
    tasks, orders = await link_states(db, [n.id for n in needs], now)
    out = []
    for need_id, status in needs:
        if status == NeedStatus.DECLINED:
            if tasks.get(need_id) or orders.get(need_id):
                out.append(
                    Violation("declined_need_linked", "need", need_id, "a declined need is answered by something")
                )
            continue
        expected = need_state_from_links(tasks.get(need_id, []), orders.get(need_id, []))
        if status != expected:
            out.append(Violation("need_out_of_step", "need", need_id, f"need is {status}, its links say {expected}"))
    return out


async def _tasks_and_projects(db: AsyncSession) -> list[Violation]:
    out: list[Violation] = []
    rows = (
        await db.execute(
            select(Task.id, Task.status, Project.id, Project.status)
            .outerjoin(Project, Project.task_id == Task.id)
            .where(Task.status.in_([*PROJECT_TASK_STATES, TaskStatus.AWARDED]))
        )
    ).all()
    for task_id, task_status, project_id, project_status in rows:
        status = TaskStatus(task_status)
        if status is TaskStatus.AWARDED:
            if project_id is not None:
                out.append(
                    Violation("project_before_notice_ends", "task", task_id, "awarded task already has a project")
                )
            continue
        if project_id is None:
            out.append(
                Violation("awarded_task_without_project", "task", task_id, f"task is {status} but has no project")
            )
        elif project_status != PROJECT_TASK_STATES[status]:
            out.append(
                Violation(
                    "project_out_of_step", "project", project_id, f"project is {project_status}, task is {status}"
                )
            )
    standing = (
        await db.execute(
            select(Award.task_id, Award.status, Task.status)
            .join(Task, Task.id == Award.task_id)
            .where(Award.status.in_([AwardStatus.NOTICE, AwardStatus.CONFIRMED]))
        )
    ).all()
    expected_task = {AwardStatus.NOTICE: {TaskStatus.AWARDED}, AwardStatus.CONFIRMED: set(PROJECT_TASK_STATES)}
    with_award = set()
    for task_id, award_status, task_status in standing:
        with_award.add(task_id)
        if TaskStatus(task_status) not in expected_task[AwardStatus(award_status)]:
            out.append(
                Violation("award_out_of_step", "task", task_id, f"award is {award_status}, task is {task_status}")
            )
    for task_id, task_status, *_ in rows:
        if task_id not in with_award:
            out.append(Violation("awarded_task_without_award", "task", task_id, f"task is {task_status} with no award"))
    closed_ungraded = (
        await db.scalars(
            select(Project.id).where(Project.status == ProjectStatus.CLOSED, Project.final_score.is_(None))
        )
    ).all()
    out += [
        Violation("closed_project_ungraded", "project", pid, "closed without a final score") for pid in closed_ungraded
    ]
    return out


async def _claims(db: AsyncSession) -> list[Violation]:
    counted = (
        select(Proposal.task_id, func.count().label("n"))
        .where(Proposal.status.in_(COUNTED_PROPOSALS))
        .group_by(Proposal.task_id)
        .subquery()
    )
    rows = (
        await db.execute(
            select(Task.id, Task.submitted_count, func.coalesce(counted.c.n, 0)).outerjoin(
                counted, counted.c.task_id == Task.id
            )
        )
    ).all()
    return [
        Violation("claim_count_out_of_step", "task", tid, f"task counts {kept} claims, proposals say {actual}")
        for tid, kept, actual in rows
        if kept != actual
    ]


async def _capacity(db: AsyncSession) -> list[Violation]:
    held = (
        select(ServiceOrder.offering_id, ServiceOrder.service_month, func.count().label("n"))
        .where(ServiceOrder.status.in_(list(CAPACITY_ORDER_STATES)))
        .group_by(ServiceOrder.offering_id, ServiceOrder.service_month)
        .subquery()
    )
    rows = (
        await db.execute(
            select(Offering.id, held.c.service_month, held.c.n, Offering.monthly_capacity)
            .join(held, held.c.offering_id == Offering.id)
            .where(held.c.n > Offering.monthly_capacity)
        )
    ).all()
    return [
        Violation("orders_over_capacity", "offering", oid, f"{n} accepted orders in {month:%Y-%m}, capacity {cap}")
        for oid, month, n, cap in rows
    ]


async def _seats(db: AsyncSession) -> list[Violation]:
    tally = (
        select(
            Signup.session_id,
            func.sum(case((Signup.status == SignupStatus.CONFIRMED, 1), else_=0)).label("confirmed"),
            func.sum(case((Signup.status == SignupStatus.WAITLISTED, 1), else_=0)).label("waitlisted"),
            func.sum(
                case((and_(Signup.status == SignupStatus.CONFIRMED, Signup.attended == true()), 1), else_=0)
            ).label("attended"),
        )
        .group_by(Signup.session_id)
        .subquery()
    )
    rows = (
        await db.execute(
            select(
                ClassSession.id,
                ClassSession.seats,
                ClassSession.confirmed_count,
                ClassSession.waitlist_count,
                ClassSession.attended_count,
                func.coalesce(tally.c.confirmed, 0),
                func.coalesce(tally.c.waitlisted, 0),
                func.coalesce(tally.c.attended, 0),
            ).outerjoin(tally, tally.c.session_id == ClassSession.id)
        )
    ).all()
    out = []
    for sid, seats, kept_c, kept_w, kept_a, confirmed, waitlisted, attended in rows:
        if confirmed > seats:
            out.append(
                Violation("signups_over_seats", "class_session", sid, f"{confirmed} confirmed for {seats} seats")
            )
        if waitlisted and confirmed < seats:
            out.append(Violation("waitlist_not_promoted", "class_session", sid, f"{waitlisted} waiting, seats free"))
        if (kept_c, kept_w) != (confirmed, waitlisted):
            out.append(
                Violation(
                    "seat_counts_out_of_step",
                    "class_session",
                    sid,
                    f"counters {kept_c}/{kept_w}, sign-ups {confirmed}/{waitlisted}",
                )
            )
        if kept_a != attended:
            # The statistics sum sessions' attended counts, not their sign-ups.
            out.append(
                Violation("attended_count_out_of_step", "class_session", sid, f"counter {kept_a}, attended {attended}")
            )
    return out


async def _statistics(db: AsyncSession) -> list[Violation]:
    """The statistics' daily rollup counts what the rows count (entity id: the day's ordinal)."""
    return [
        Violation("statistics_out_of_step", kind, day.toordinal(), f"the {kind} of {day} differ from their rows")
        for kind, day in await rollup_out_of_step(db)
    ]


async def due_transitions(db: AsyncSession, now: datetime) -> int:
    """How many transitions time has made due without them being stored (each is also a violation)."""
    tasks = select(func.count()).select_from(due_tasks(now).subquery())
    awards = select(func.count()).select_from(due_awards(now).subquery())
    return int(await db.scalar(select(tasks.scalar_subquery() + awards.scalar_subquery())) or 0)
