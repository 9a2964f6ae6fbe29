"""Projects (项目清单): the awarded work from start to the committee's final evaluation, and organisations' records.

Every write locks the project's task first, so project changes are serialised with everything else on the task.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from market import notify
from market.audit import SYSTEM, record
from market.grading import Grade, grade_for
from market.kernel.clock import local
from market.kernel.errors import Forbidden, InvalidInput, NotFound, StateConflict
from market.lists import refresh_needs
from market.models import (
    Alliance,
    Award,
    Feedback,
    Milestone,
    Organization,
    ProgressReport,
    Project,
    Proposal,
    ProposalMember,
    Role,
    Task,
    User,
    task_needs,
)
from market.schemas._projects import EvaluationCreate, FeedbackCreate, MilestoneCreate, ReportCreate
from market.services._points._hooks import on_grade, on_report
from market.services._review_prompts import up_reviews_due_on_project
from market.services._tasks import lock_task, need_ids_of
from market.states import InvitationStatus, ProjectStatus, TaskStatus, check_transition
from market.transitions import move

NO_PROJECT = "error.no_such_project"
RECENT_FEEDBACK = 20
# Residents rate the work while it is being done and once it is delivered, not after it is closed.
FEEDBACK_STATES = (ProjectStatus.IN_PROGRESS, ProjectStatus.DELIVERED)


def mean_2dp(total: int, count: int) -> Decimal | None:
    """The mean of non-negative integers, rounded half-up to 2 decimals, exactly (no float, no context rounding)."""
    if count <= 0:
        return None
    hundredths = (200 * total + count) // (2 * count)
    return Decimal(hundredths).scaleb(-2)


async def start(db: AsyncSession, task: Task, award: Award, proposal: Proposal, *, now: datetime) -> Project:
    """The project for a confirmed award: the task's title and category, the proposal's budget, led by its lead."""
    project = Project(
        task_id=task.id,
        award_id=award.id,
        proposal_id=proposal.id,
        organization_id=proposal.lead_org_id,
        title=task.title,
        category=task.category,
        budget_fen=proposal.requested_budget_fen,
        status=ProjectStatus.IN_PROGRESS,
        started_at=now,
    )
    db.add(project)
    await db.flush()
    await record(
        db,
        at=now,
        actor=SYSTEM,
        entity="project",
        entity_id=project.id,
        action="start",
        after=ProjectStatus.IN_PROGRESS,
        data={"task": task.id, "award": award.id, "proposal": proposal.id},
    )
    return project


async def _lock(db: AsyncSession, project_id: int, now: datetime) -> tuple[Project, Task]:
    found = await db.get(Project, project_id)
    if found is None:
        raise NotFound(NO_PROJECT)
    task = await lock_task(db, found.task_id, now)
    project = (
        await db.scalars(select(Project).where(Project.id == project_id).execution_options(populate_existing=True))
    ).one()
    return project, task


async def _partner_org_ids(db: AsyncSession, project: Project) -> list[int]:
    stmt = select(ProposalMember.organization_id).where(
        ProposalMember.proposal_id == project.proposal_id, ProposalMember.invitation == InvitationStatus.ACCEPTED
    )
    return sorted(set((await db.scalars(stmt)).all()))


def require_lead(actor: User, project: Project) -> None:
    """Only the lead organisation's members act for the project (pages ask before a confirmation step too)."""
    if actor.role != Role.ORG or actor.organization_id != project.organization_id:
        raise Forbidden("error.only_award_lead_may")


async def _require_worker(db: AsyncSession, actor: User, project: Project) -> None:
    if actor.role == Role.ORG and actor.organization_id is not None:
        if actor.organization_id == project.organization_id:
            return
        if actor.organization_id in await _partner_org_ids(db, project):
            return
    raise Forbidden("error.only_organisations_doing_work_report")


def _in_progress(project: Project) -> None:
    if project.status != ProjectStatus.IN_PROGRESS:
        raise StateConflict("error.project_not_in_progress")


async def add_milestone(
    db: AsyncSession, project_id: int, data: MilestoneCreate, *, actor: User, now: datetime
) -> Milestone:
    """The lead organisation plans a step."""
    project, _ = await _lock(db, project_id, now)
    require_lead(actor, project)
    _in_progress(project)
    m = Milestone(project_id=project.id, title=data.title, due_on=data.due_on)
    db.add(m)
    await db.flush()
    await record(
        db,
        at=now,
        actor=actor,
        entity="project",
        entity_id=project.id,
        action="milestone",
        before=project.status,
        after=project.status,
        data={"milestone": m.id, "title": m.title, "due_on": m.due_on.isoformat()},
    )
    return m


async def report(
    db: AsyncSession, project_id: int, data: ReportCreate, *, actor: User, now: datetime
) -> ProgressReport:
    """The lead or an accepted partner reports progress, optionally marking a milestone reached."""
    project, _ = await _lock(db, project_id, now)
    await _require_worker(db, actor, project)
    _in_progress(project)
    milestone: Milestone | None = None
    if data.milestone_id is not None:
        milestone = await db.get(Milestone, data.milestone_id)
        if milestone is None or milestone.project_id != project.id:
            raise InvalidInput("error.no_such_milestone_project", field="milestone_id")
    if data.done and milestone is None:
        raise InvalidInput("error.marking_done_needs_milestone", field="milestone_id")
    r = ProgressReport(
        project_id=project.id,
        author_id=actor.id,
        milestone_id=milestone.id if milestone else None,
        body=data.body,
        percent_complete=data.percent_complete,
        reported_at=now,
    )
    db.add(r)
    reached = milestone is not None and data.done and milestone.done_on is None
    if reached and milestone is not None:
        milestone.done_on = local(now).date()
    await db.flush()
    await record(
        db,
        at=now,
        actor=actor,
        entity="project",
        entity_id=project.id,
        action="report",
        before=project.status,
        after=project.status,
        data={
            "report": r.id,
            "percent": data.percent_complete,
            "milestone_done": milestone.id if reached and milestone else None,
        },
    )
    await on_report(
        db, project, r, milestone, milestone.done_on if reached and milestone else None, actor=actor, now=now
    )
    return r


async def deliver(db: AsyncSession, project_id: int, *, actor: User, now: datetime) -> Project:
    """The lead organisation declares the work delivered; the committee is asked to evaluate it."""
    project, task = await _lock(db, project_id, now)
    require_lead(actor, project)
    # Both checks before either write.
    check_transition(ProjectStatus(project.status), ProjectStatus.DELIVERED, what="project")
    check_transition(TaskStatus(task.status), TaskStatus.DELIVERED, what="task")
    project.delivered_at = now
    await move(db, project, ProjectStatus.DELIVERED, entity="project", action="deliver", actor=actor, now=now)
    await move(
        db,
        task,
        TaskStatus.DELIVERED,
        entity="task",
        action="deliver",
        actor=actor,
        now=now,
        data={"project": project.id},
    )
    await notify.to_role(
        db, Role.COMMITTEE, "project_delivered", {"project": project.title}, link=f"/projects/{project.id}"
    )
    return project


async def give_feedback(db: AsyncSession, project_id: int, data: FeedbackCreate, *, now: datetime) -> Feedback:
    """A resident (signed in or not) rates the work while it is in progress or delivered."""
    project, _ = await _lock(db, project_id, now)
    if project.status not in FEEDBACK_STATES:
        raise StateConflict("error.project_closed_feedback")
    f = Feedback(project_id=project.id, rating=data.rating, comment=data.comment, name=data.name.strip(), given_at=now)
    db.add(f)
    await db.flush()
    return f


async def evaluate(db: AsyncSession, project_id: int, data: EvaluationCreate, *, actor: User, now: datetime) -> Project:
    """The committee's final evaluation of delivered work: graded, closed, and the needs it answers resolved."""
    project, task = await _lock(db, project_id, now)
    # Both checks before either write.
    check_transition(ProjectStatus(project.status), ProjectStatus.CLOSED, what="project")
    check_transition(TaskStatus(task.status), TaskStatus.CLOSED, what="task")
    grade = grade_for(data.score)
    project.final_score = data.score
    project.grade = grade.value
    project.evaluation = data.comment
    project.evaluated_by_id = actor.id
    project.closed_at = now
    task.closed_at = now
    await move(
        db,
        project,
        ProjectStatus.CLOSED,
        entity="project",
        action="evaluate",
        actor=actor,
        now=now,
        data={"score": data.score, "grade": grade.value},
    )
    await move(
        db, task, TaskStatus.CLOSED, entity="task", action="close", actor=actor, now=now, data={"project": project.id}
    )
    await refresh_needs(db, await need_ids_of(db, task.id), now=now, actor=actor)
    await on_grade(db, project, actor=actor, now=now)
    await notify.to_orgs(
        db,
        [project.organization_id, *await _partner_org_ids(db, project)],
        "evaluation",
        {"project": project.title, "score": data.score, "grade": grade.value, "comment": data.comment},
        link=f"/projects/{project.id}",
    )
    await up_reviews_due_on_project(db, project)
    return project


# Reads -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProjectFilter:
    """What the project list may be narrowed by."""

    status: ProjectStatus | None = None
    category: str | None = None
    organization_id: int | None = None
    limit: int = 20
    offset: int = 0
    alliance: str | None = None


async def needs_by_task(db: AsyncSession, task_ids: Sequence[int]) -> dict[int, list[int]]:
    """The needs each task answers, in one query."""
    out: dict[int, list[int]] = {t: [] for t in task_ids}
    if not task_ids:
        return out
    rows = await db.execute(
        select(task_needs.c.task_id, task_needs.c.need_id)
        .where(task_needs.c.task_id.in_(list(task_ids)))
        .order_by(task_needs.c.need_id)
    )
    for task_id, need_id in rows:
        out[task_id].append(need_id)
    return out


async def projects_of_tasks(db: AsyncSession, task_ids: Sequence[int]) -> list[Project]:
    """The projects that some of these tasks became (a task has at most one), in one query."""
    if not task_ids:
        return []
    stmt = select(Project).where(Project.task_id.in_(list(task_ids))).order_by(Project.id)
    return list((await db.scalars(stmt)).unique().all())


async def list_projects(db: AsyncSession, f: ProjectFilter) -> tuple[int, list[Project], dict[int, list[int]]]:
    """A page of the project list, with the needs each project answers."""
    conds: list[ColumnElement[bool]] = []
    if f.status is not None:
        conds.append(Project.status == f.status.value)
    if f.category:
        conds.append(Project.category == f.category)
    if f.organization_id is not None:
        conds.append(Project.organization_id == f.organization_id)
    if f.alliance:
        conds.append(Project.organization.has(Organization.alliance.has(Alliance.code == f.alliance)))
    total = int(await db.scalar(select(func.count()).select_from(Project).where(*conds)) or 0)
    stmt = (
        select(Project)
        .where(*conds)
        .order_by(Project.started_at.desc(), Project.id.desc())
        .limit(f.limit)
        .offset(f.offset)
    )
    rows = list((await db.scalars(stmt)).unique().all())
    return total, rows, await needs_by_task(db, [p.task_id for p in rows])


REPORTS_SHOWN = 100


async def latest_reports(db: AsyncSession, project_ids: Sequence[int]) -> dict[int, ProgressReport]:
    """Each project's newest progress report, in one query."""
    if not project_ids:
        return {}
    newest = (
        select(func.max(ProgressReport.id))
        .where(ProgressReport.project_id.in_(project_ids))
        .group_by(ProgressReport.project_id)
    )
    rows = await db.scalars(select(ProgressReport).where(ProgressReport.id.in_(newest)))
    return {r.project_id: r for r in rows}


@dataclass(frozen=True, slots=True)
class ProjectDetail:
    """A project with everything its public page shows."""

    project: Project
    partners: list[Organization]
    reports: list[ProgressReport]
    feedback_count: int
    feedback_mean: Decimal | None
    recent_feedback: list[Feedback]
    need_ids: list[int]


async def get_project(db: AsyncSession, project_id: int) -> Project:
    """One project's own row, for a question about it alone (who leads it, its state); 404 when there is none."""
    project = await db.get(Project, project_id)
    if project is None:
        raise NotFound(NO_PROJECT)
    return project


async def detail(db: AsyncSession, project_id: int) -> ProjectDetail:
    """One project: milestones, reports, resident feedback summary, grade."""
    project = (
        (await db.scalars(select(Project).where(Project.id == project_id).execution_options(populate_existing=True)))
        .unique()
        .one_or_none()
    )
    if project is None:
        raise NotFound(NO_PROJECT)
    partner_ids = await _partner_org_ids(db, project)
    partners = (
        list((await db.scalars(select(Organization).where(Organization.id.in_(partner_ids)))).unique().all())
        if partner_ids
        else []
    )
    reports = list(
        (
            await db.scalars(
                select(ProgressReport)
                .where(ProgressReport.project_id == project.id)
                .order_by(ProgressReport.reported_at.desc(), ProgressReport.id.desc())
                # A public page: the newest reports are what readers want, and it must stay bounded.
                .limit(REPORTS_SHOWN)
            )
        ).all()
    )
    count, total = (
        await db.execute(
            select(func.count(Feedback.id), func.coalesce(func.sum(Feedback.rating), 0)).where(
                Feedback.project_id == project.id
            )
        )
    ).one()
    recent = list(
        (
            await db.scalars(
                select(Feedback)
                .where(Feedback.project_id == project.id)
                .order_by(Feedback.id.desc())
                .limit(RECENT_FEEDBACK)
            )
        ).all()
    )
    return ProjectDetail(
        project=project,
        partners=sorted(partners, key=lambda o: o.id),
        reports=reports,
        feedback_count=int(count),
        feedback_mean=mean_2dp(int(total), int(count)),
        recent_feedback=recent,
        need_ids=await need_ids_of(db, project.task_id),
    )


@dataclass(frozen=True, slots=True)
class OrgRecord:
    """An organisation's public record."""

    organization: Organization
    projects: list[Project]
    need_ids: dict[int, list[int]]
    done: int
    mean_final_score: Decimal | None
    grades: dict[str, int]


async def org_record(db: AsyncSession, org_id: int) -> OrgRecord:
    """Projects the organisation led, how many are done (closed), and its mean final score."""
    org = await db.get(Organization, org_id)
    if org is None:
        raise NotFound("error.no_such_organisation")
    projects = list(
        (
            await db.scalars(
                select(Project)
                .where(Project.organization_id == org.id)
                .order_by(Project.started_at.desc(), Project.id.desc())
            )
        )
        .unique()
        .all()
    )
    closed = [p for p in projects if p.status == ProjectStatus.CLOSED and p.final_score is not None]
    grades = {g.value: 0 for g in Grade}
    for p in closed:
        if p.grade in grades:
            grades[p.grade] += 1
    return OrgRecord(
        organization=org,
        projects=projects,
        need_ids=await needs_by_task(db, [p.task_id for p in projects]),
        done=len(closed),
        mean_final_score=mean_2dp(sum(p.final_score or 0 for p in closed), len(closed)),
        grades=grades,
    )
