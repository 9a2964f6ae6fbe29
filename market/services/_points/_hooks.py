"""The earning events, each proposing its entry in its own service's write (one call line there): attendance
recorded, a project graded, a progress report that reaches a milestone on time, a delivered order rated well.

Each takes what its caller already holds, so none reads more than the rules and a check that the event has not
proposed already.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from market import phones
from market.audit import Actor
from market.models import ClassSession, Milestone, PointEntry, ProgressReport, Project, ServiceOrder, Signup
from market.services._points._entries import propose_for_event
from market.services._points._rules import RATED_WELL, RuleCode

GRADE_RULES = {
    "excellent": RuleCode.PROJECT_EXCELLENT,
    "good": RuleCode.PROJECT_GOOD,
    "pass": RuleCode.PROJECT_PASS,
    "fail": RuleCode.PROJECT_FAIL,
}


async def on_attendance(
    db: AsyncSession, signup: Signup, session: ClassSession, *, actor: Actor, now: datetime
) -> PointEntry | None:
    """A resident marked as attended earns the class rule's points (once per sign-up)."""
    if signup.attended is not True or not signup.phone_hash:
        return None
    return await propose_for_event(
        db,
        RuleCode.CLASS_ATTENDED,
        source="signup",
        source_id=signup.id,
        resident_hash=signup.phone_hash,
        holder_name=phones.mask_name(signup.name),
        evidence=f"class:{session.id} {session.topic}",
        actor=actor,
        now=now,
    )


async def on_grade(db: AsyncSession, project: Project, *, actor: Actor, now: datetime) -> PointEntry | None:
    """A project's final grade earns (or costs) its lead organisation the grade's points."""
    code = GRADE_RULES.get(project.grade or "")
    if code is None:
        return None
    return await propose_for_event(
        db,
        code,
        source="project",
        source_id=project.id,
        organization_id=project.organization_id,
        holder_name=project.organization.name,
        evidence=f"project:{project.id} {project.title} ({project.final_score})",
        actor=actor,
        now=now,
    )


async def on_report(
    db: AsyncSession,
    project: Project,
    report: ProgressReport,
    milestone: Milestone | None,
    reached_on: date | None,
    *,
    actor: Actor,
    now: datetime,
) -> PointEntry | None:
    """A progress report that marks a milestone reached on or before its due date earns the lead organisation the
    on-time rule's points (once per milestone)."""
    if milestone is None or reached_on is None or reached_on > milestone.due_on:
        return None
    return await propose_for_event(
        db,
        RuleCode.REPORT_ON_TIME,
        source="report",
        source_id=milestone.id,
        organization_id=project.organization_id,
        holder_name=project.organization.name,
        evidence=f"project:{project.id} report:{report.id} {milestone.title} ≤ {milestone.due_on.isoformat()}",
        actor=actor,
        now=now,
    )


async def on_order_rated(db: AsyncSession, order: ServiceOrder, *, actor: Actor, now: datetime) -> PointEntry | None:
    """A delivered order rated well (4 or 5) earns the providing organisation the rule's points; the park's own
    services earn nobody anything."""
    offering = order.offering
    if order.rating is None or order.rating < RATED_WELL or offering.organization_id is None:
        return None
    return await propose_for_event(
        db,
        RuleCode.ORDER_RATED_WELL,
        source="order",
        source_id=order.id,
        organization_id=offering.organization_id,
        holder_name=offering.organization.name if offering.organization else "",
        evidence=f"order:{order.id} {offering.title} ({order.rating}/5)",
        actor=actor,
        now=now,
    )
