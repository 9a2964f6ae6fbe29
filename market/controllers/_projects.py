"""/projects (项目清单) and /organizations/{id}/record."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from alliances.models import ServiceCategory
from market.controllers._bars import bar_view, entry_view
from market.grading import Grade
from market.kernel.db import writing
from market.models import Feedback as FeedbackModel
from market.models import ProgressReport as ProgressReportModel
from market.models import Project as ProjectModel
from market.models import User
from market.params import Config, Db, Limit, Now, Offset, PathId, QueryId
from market.schemas._projects import (
    EvaluationCreate,
    Feedback,
    FeedbackCreate,
    FeedbackSummary,
    Milestone,
    MilestoneCreate,
    OrganizationRecord,
    OrgRef,
    Project,
    ProjectPage,
    ProjectSummary,
    Report,
    ReportCreate,
)
from market.security import requires_committee, requires_org
from market.services import bars, points, projects
from market.states import ProjectStatus


def _grade(p: ProjectModel) -> tuple[Grade | None, str | None]:
    if not p.grade:
        return None, None
    grade = Grade(p.grade)
    return grade, grade.label_zh


def summary(p: ProjectModel, need_ids: list[int], latest: ProgressReportModel | None = None) -> ProjectSummary:
    """A row of the project list: with its alliance and its latest progress."""
    grade, label = _grade(p)
    alliance = p.organization.alliance
    return ProjectSummary(
        id=p.id,
        task_id=p.task_id,
        title=p.title,
        category=ServiceCategory(p.category),
        status=ProjectStatus(p.status),
        organization_id=p.organization_id,
        organization_name=p.organization.name,
        budget_fen=p.budget_fen,
        started_at=p.started_at,
        delivered_at=p.delivered_at,
        closed_at=p.closed_at,
        final_score=p.final_score,
        grade=grade,
        grade_label=label,
        need_ids=need_ids,
        alliance=alliance.code,
        alliance_name=alliance.name,
        latest_percent=latest.percent_complete if latest else None,
        latest_report=latest.body if latest else None,
        latest_report_at=latest.reported_at if latest else None,
    )


def _feedback(f: FeedbackModel) -> Feedback:
    return Feedback(f.id, f.rating, f.comment, f.name, f.given_at)


def detail(d: projects.ProjectDetail) -> Project:
    """A project in full."""
    p = d.project
    grade, label = _grade(p)
    return Project(
        id=p.id,
        task_id=p.task_id,
        award_id=p.award_id,
        proposal_id=p.proposal_id,
        title=p.title,
        category=ServiceCategory(p.category),
        status=ProjectStatus(p.status),
        organizations=[OrgRef(p.organization_id, p.organization.name, "lead")]
        + [OrgRef(o.id, o.name, "partner") for o in d.partners],
        budget_fen=p.budget_fen,
        started_at=p.started_at,
        delivered_at=p.delivered_at,
        closed_at=p.closed_at,
        percent_complete=d.reports[0].percent_complete if d.reports else 0,
        milestones=[Milestone(m.id, m.title, m.due_on, m.done_on) for m in p.milestones],
        reports=[Report(r.id, r.body, r.percent_complete, r.milestone_id, r.reported_at) for r in d.reports],
        feedback=FeedbackSummary(d.feedback_count, f"{d.feedback_mean:.2f}" if d.feedback_mean is not None else None),
        recent_feedback=[_feedback(f) for f in d.recent_feedback],
        final_score=p.final_score,
        grade=grade,
        grade_label=label,
        evaluation=p.evaluation,
        need_ids=d.need_ids,
    )


class ProjectController(Controller):
    """The project list is public; the organisations report, residents rate, the committee evaluates."""

    path = "/projects"
    tags = ["projects"]

    @get("/", exclude_from_auth=True)
    async def list_projects(
        self,
        db_session: Db,
        status: FromQuery[ProjectStatus | None] = None,
        category: FromQuery[ServiceCategory | None] = None,
        organization_id: QueryId = None,
        alliance: Annotated[str | None, QueryParameter(max_length=20, pattern=r"^[a-z-]+$")] = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> ProjectPage:
        """The project list (项目清单), newest first: needs, organisation, alliance, budget, state, latest progress."""
        f = projects.ProjectFilter(status, category, organization_id, limit, offset, alliance)
        total, rows, needs = await projects.list_projects(db_session, f)
        latest = await projects.latest_reports(db_session, [p.id for p in rows])
        return ProjectPage(total=total, items=[summary(p, needs[p.task_id], latest.get(p.id)) for p in rows])

    @get("/{project_id:int}", exclude_from_auth=True)
    async def get_one(self, db_session: Db, project_id: PathId) -> Project:
        """A project: milestones, progress reports, residents' ratings, the final grade."""
        return detail(await projects.detail(db_session, project_id))

    @post("/{project_id:int}/milestones", guards=[requires_org])
    async def add_milestone(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        project_id: PathId,
        data: JSONBody[MilestoneCreate],
    ) -> Milestone:
        """Plan a step (the lead organisation)."""
        async with writing(db_session):
            m = await projects.add_milestone(db_session, project_id, data, actor=request.user, now=clock.now())
        return Milestone(m.id, m.title, m.due_on, m.done_on)

    @post("/{project_id:int}/reports", guards=[requires_org])
    async def add_report(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        project_id: PathId,
        data: JSONBody[ReportCreate],
    ) -> Report:
        """Report progress (the lead or an accepted partner)."""
        async with writing(db_session):
            r = await projects.report(db_session, project_id, data, actor=request.user, now=clock.now())
        return Report(r.id, r.body, r.percent_complete, r.milestone_id, r.reported_at)

    @post("/{project_id:int}/deliver", guards=[requires_org], status_code=HTTP_200_OK)
    async def deliver(
        self, request: Request[User, Any, Any], db_session: Db, clock: Now, project_id: PathId
    ) -> Project:
        """Declare the work delivered (the lead organisation)."""
        async with writing(db_session):
            await projects.deliver(db_session, project_id, actor=request.user, now=clock.now())
        return detail(await projects.detail(db_session, project_id))

    @post("/{project_id:int}/feedback", exclude_from_auth=True)
    async def feedback(
        self, db_session: Db, clock: Now, project_id: PathId, data: JSONBody[FeedbackCreate]
    ) -> Feedback:
        """Rate the work 1–5 (anyone, no account needed) while it is in progress or delivered."""
        async with writing(db_session):
            f = await projects.give_feedback(db_session, project_id, data, now=clock.now())
        return _feedback(f)

    @post("/{project_id:int}/evaluation", guards=[requires_committee], status_code=HTTP_200_OK)
    async def evaluate(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        project_id: PathId,
        data: JSONBody[EvaluationCreate],
    ) -> Project:
        """The final evaluation (结项评价) of delivered work: 优秀 ≥ 95, 良好 ≥ 85, 合格 ≥ 75, else 不合格."""
        async with writing(db_session):
            await projects.evaluate(db_session, project_id, data, actor=request.user, now=clock.now())
        return detail(await projects.detail(db_session, project_id))


class OrganizationRecordController(Controller):
    """An organisation's public record."""

    path = "/organizations/{org_id:int}/record"
    tags = ["projects"]

    @get("/", exclude_from_auth=True)
    async def record(self, db_session: Db, clock: Now, settings: Config, org_id: PathId) -> OrganizationRecord:
        """Projects led, projects done (closed), mean final score and grades; what bars it from claiming now (a 不合格
        grade until a date, the watch list until lifted) and its stays on the watch list."""
        r = await projects.org_record(db_session, org_id)
        history = await bars.watch_history(db_session, org_id)
        in_force = bars.record_bars(org_id, r.projects, history, now=clock.now(), fail_bar_days=settings.fail_bar_days)
        return OrganizationRecord(
            organization_id=r.organization.id,
            organization_name=r.organization.name,
            projects_done=r.done,
            mean_final_score=f"{r.mean_final_score:.2f}" if r.mean_final_score is not None else None,
            grades=r.grades,
            projects=[summary(p, r.need_ids[p.task_id]) for p in r.projects],
            claim_bars=[bar_view(b) for b in in_force],
            watch_list=[entry_view(e) for e in history],
            points=(await points.balance(db_session, organization_id=org_id)).counted,
        )
