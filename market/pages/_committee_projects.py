"""The committee's projects: every project with what should catch its eye (milestones past due, weeks without
a report), and the final evaluation of delivered work after a confirmation step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from litestar import get, post
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from market.controllers import _projects as project_views
from market.grading import Grade, grade_for
from market.i18n import label, t
from market.kernel.clock import local
from market.kernel.errors import ApplicationError
from market.models import ProgressReport, Project, User
from market.pages._base import (
    COMMITTEE,
    PAGE_SIZE,
    FormState,
    PageNo,
    Paging,
    Query,
    UserRequest,
    attempt,
    confirm_page,
    confirmed,
    enum_or_none,
    form_page,
    form_values,
    lang_of,
    page,
    page_number,
    parse_form,
    refused,
    say,
    see_other,
    told_elsewhere,
)
from market.params import Config, Db, Now, PathId
from market.schemas._projects import EvaluationCreate, ProjectSummary
from market.services import bars, projects
from market.states import ProjectStatus

# A project under way with no progress report for this long is flagged as silent.
SILENT_AFTER = timedelta(days=30)


# Projects and grading ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProjectRow:
    """A project with what should catch the committee's eye: milestones past due, weeks without a report."""

    project: ProjectSummary
    overdue: list[tuple[str, date]]
    silent_days: int | None


def _project_row(p: Project, summary: ProjectSummary, latest: ProgressReport | None, now: datetime) -> ProjectRow:
    """Only work under way can be late or silent."""
    if summary.status != ProjectStatus.IN_PROGRESS:
        return ProjectRow(summary, [], None)
    today = local(now).date()
    overdue = [(m.title, m.due_on) for m in p.milestones if m.done_on is None and m.due_on < today]
    quiet = now - (latest.reported_at if latest is not None else summary.started_at)
    return ProjectRow(summary, overdue, quiet.days if quiet >= SILENT_AFTER else None)


@get("/committee/projects", **COMMITTEE)
async def project_list(
    request: UserRequest, db_session: Db, clock: Now, status: Query = None, page_: PageNo = None
) -> Template:
    """Every project with its state; overdue and silent ones flagged; delivered ones link to grading."""
    number = page_number(page_)
    f = projects.ProjectFilter(enum_or_none(ProjectStatus, status), None, None, PAGE_SIZE, (number - 1) * PAGE_SIZE)
    total, rows, need_ids = await projects.list_projects(db_session, f)
    latest = await projects.latest_reports(db_session, [p.id for p in rows])
    now = clock.now()
    return page(
        "market/committee/projects.html.j2",
        request.user,
        rows=[
            _project_row(p, project_views.summary(p, need_ids[p.task_id], latest.get(p.id)), latest.get(p.id), now)
            for p in rows
        ],
        paging=Paging(number, total),
        filters={"status": f.status or ""},
        statuses=list(ProjectStatus),
        silent_days=SILENT_AFTER.days,
    )


async def _grading_page(db: AsyncSession, project_id: int, viewer: User, form: FormState | None = None) -> Template:
    project = project_views.detail(await projects.detail(db, project_id))
    return form_page(
        "market/committee/grade.html.j2",
        viewer,
        form or FormState(),
        project=project,
        gradable=project.status == ProjectStatus.DELIVERED,
    )


@get("/committee/projects/{project_id:int}/evaluation", **COMMITTEE)
async def grading_form(request: UserRequest, db_session: Db, project_id: PathId) -> Template:
    """The final evaluation form for a delivered project: score 0–100 and comments."""
    return await _grading_page(db_session, project_id, request.user)


def _bar_fact(score: int, now: datetime, fail_bar_days: int, lang: str) -> list[tuple[str, str]]:
    """What a 不合格 grade given now will mean for the lead organisation: no claims until the day it ends."""
    if grade_for(score) is not Grade.FAIL:
        return []
    until = bars.grade_bar_ends(now, fail_bar_days).isoformat()
    return [(t("committee.grade.bar", lang), t("committee.grade.bar_until", lang, days=fail_bar_days, until=until))]


@post("/committee/projects/{project_id:int}/evaluation", **COMMITTEE)
async def grade(
    request: UserRequest, db_session: Db, clock: Now, settings: Config, project_id: PathId
) -> Template | Redirect:
    """Grade delivered work after the confirmation step, which shows the grade the score gives (and, for 不合格, how
    long it will bar the lead organisation from claiming)."""
    lang, viewer = lang_of(request), request.user
    values = await form_values(request)
    data = parse_form(values, EvaluationCreate, lang, ints=("score",))
    if isinstance(data, FormState):
        if data.errors.get("score") == t("form.invalid", lang):
            data.errors["score"] = t("committee.grade.score_range", lang)
        return await _grading_page(db_session, project_id, viewer, data)
    if not confirmed(values):
        project = project_views.detail(await projects.detail(db_session, project_id))
        return confirm_page(
            viewer,
            title=t("committee.grade.confirm_title", lang),
            warning=t("committee.grade.confirm_warning", lang),
            action=f"/committee/projects/{project_id}/evaluation",
            values=values,
            back=f"/committee/projects/{project_id}/evaluation",
            button=t("committee.grade.confirm_button", lang),
            facts=[
                (t("committee.project", lang), project.title),
                (t("projects.organization", lang), "、".join(o.name for o in project.organizations)),
                (t("project.final_score", lang), str(data.score)),
                (t("projects.grade", lang), label("grade", grade_for(data.score), lang)),
                (t("committee.grade.comment", lang), data.comment),
                *_bar_fact(data.score, clock.now(), settings.fail_bar_days, lang),
            ],
        )
    done = await attempt(
        db_session, lambda: projects.evaluate(db_session, project_id, data, actor=viewer, now=clock.now())
    )
    if isinstance(done, ApplicationError):
        if told := told_elsewhere(request, done, ("score", "comment"), f"/committee/projects/{project_id}/evaluation"):
            return told
        return await _grading_page(db_session, project_id, viewer, refused(values, done, lang, ("score", "comment")))
    say(request, "committee.grade.done", grade=label("grade", grade_for(data.score), lang))
    return see_other(f"/projects/{project_id}#grade-h")


COMMITTEE_PROJECT_PAGES: list[ControllerRouterHandler] = [project_list, grading_form, grade]
