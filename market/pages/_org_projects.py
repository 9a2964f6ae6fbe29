"""The projects an organisation works on: milestones, progress reports and declaring delivery (after a
confirmation step). The public project page is `/projects/{id}`."""

from __future__ import annotations

from litestar import get, post
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from market.controllers import _projects as project_views
from market.i18n import error_text, t
from market.kernel.errors import ApplicationError, Forbidden
from market.models import User
from market.pages._base import (
    ORG,
    FormState,
    UserRequest,
    attempt,
    confirm_page,
    confirmed,
    form_values,
    lang_of,
    own_organization,
    page,
    parse_form,
    refused,
    say,
    see_other,
)
from market.params import Db, Now, PathId
from market.schemas._projects import MilestoneCreate, ReportCreate
from market.services import projects, reviews
from market.states import ProjectStatus

# Projects the organisation works on ---------------------------------------------------------------------------


async def _project_page(
    db: AsyncSession,
    user: User,
    project_id: int,
    *,
    milestone: FormState | None = None,
    report: FormState | None = None,
    problem: str | None = None,
    status_code: int | None = None,
) -> Template:
    found = await projects.detail(db, project_id)
    view = project_views.detail(found)
    org_id = own_organization(user)
    if org_id not in {o.id for o in view.organizations}:
        raise Forbidden("error.only_organisations_doing_work")
    is_lead = any(o.id == org_id and o.role == "lead" for o in view.organizations)
    milestone_form = milestone or FormState()
    report_form = report or FormState()
    invalid = milestone_form.invalid or report_form.invalid
    return page(
        "market/org/project.html.j2",
        user,
        status_code=status_code or (422 if invalid else 200),
        project=view,
        is_lead=is_lead,
        working=view.status == ProjectStatus.IN_PROGRESS,
        # A report may mark one milestone not yet reached as done.
        milestone_options=[(m.id, f"{m.title} · {m.due_on.isoformat()}") for m in view.milestones if m.done_on is None],
        milestone_form=milestone_form,
        report_form=report_form,
        problem=problem,
        up_reviews=await reviews.due_on_project(db, user, found.project),
    )


@get("/org/projects/{project_id:int}", **ORG)
async def project_desk(request: UserRequest, db_session: Db, project_id: PathId) -> Template:
    """A project the organisation works on: plan milestones, report progress, declare it delivered."""
    return await _project_page(db_session, request.user, project_id)


@post("/org/projects/{project_id:int}/milestones", **ORG)
async def add_milestone(request: UserRequest, db_session: Db, clock: Now, project_id: PathId) -> Template | Redirect:
    """Plan a milestone (the lead organisation): `title`, `due_on` (YYYY-MM-DD)."""
    user, lang = request.user, lang_of(request)
    values = await form_values(request)
    data = parse_form({k: values.get(k, "") for k in ("title", "due_on")}, MilestoneCreate, lang)
    if isinstance(data, FormState):
        state = FormState(values, data.errors, data.general)
        return await _project_page(db_session, user, project_id, milestone=state)
    done = await attempt(
        db_session,
        lambda: projects.add_milestone(db_session, project_id, data, actor=user, now=clock.now()),
        raising=(403, 404),
    )
    if isinstance(done, ApplicationError):
        state = refused(values, done, lang, ("title", "due_on"))
        return await _project_page(db_session, user, project_id, milestone=state)
    say(request, "org.project.milestone_added")
    return see_other(f"/org/projects/{project_id}")


@post("/org/projects/{project_id:int}/reports", **ORG)
async def add_report(request: UserRequest, db_session: Db, clock: Now, project_id: PathId) -> Template | Redirect:
    """Report progress: `body`, `percent_complete`, optionally `milestone_id` and `done` (that milestone reached)."""
    user, lang = request.user, lang_of(request)
    values = await form_values(request)
    values["body"] = values.get("body", "").replace("\r\n", "\n")
    fields = {k: values.get(k, "") for k in ("body", "percent_complete")}
    if values.get("milestone_id"):
        fields["milestone_id"] = values["milestone_id"]
    if values.get("done"):
        fields["done"] = "true"
    data = parse_form(fields, ReportCreate, lang, ints=("percent_complete",))
    if isinstance(data, FormState):
        state = FormState(values, data.errors, data.general)
        return await _project_page(db_session, user, project_id, report=state)
    done = await attempt(
        db_session,
        lambda: projects.report(db_session, project_id, data, actor=user, now=clock.now()),
        raising=(403, 404),
    )
    if isinstance(done, ApplicationError):
        state = refused(values, done, lang, ("body", "percent_complete", "milestone_id", "done"))
        return await _project_page(db_session, user, project_id, report=state)
    say(request, "org.project.reported")
    return see_other(f"/org/projects/{project_id}")


@post("/org/projects/{project_id:int}/deliver", **ORG)
async def deliver(request: UserRequest, db_session: Db, clock: Now, project_id: PathId) -> Template | Redirect:
    """Declare the work delivered (the lead organisation), after a confirmation step; the committee then grades."""
    user, lang = request.user, lang_of(request)
    values = await form_values(request)
    if not confirmed(values):
        found = await projects.detail(db_session, project_id)
        # Only the lead may confirm, so only the lead is asked to.
        projects.require_lead(user, found.project)
        view = project_views.detail(found)
        return confirm_page(
            user,
            title=t("org.deliver.title", lang),
            warning=t("org.deliver.warning", lang),
            action=f"/org/projects/{project_id}/deliver",
            values=values,
            back=f"/org/projects/{project_id}",
            button=t("org.deliver.confirm", lang),
            facts=[
                (t("org.project.name", lang), view.title),
                (t("project.progress", lang), t("project.percent", lang, n=view.percent_complete)),
            ],
        )
    done = await attempt(
        db_session, lambda: projects.deliver(db_session, project_id, actor=user, now=clock.now()), raising=(403, 404)
    )
    if isinstance(done, ApplicationError):
        return await _project_page(
            db_session, user, project_id, problem=error_text(done, lang), status_code=done.status_code
        )
    say(request, "org.deliver.done")
    return see_other(f"/org/projects/{project_id}")


ORG_PROJECT_PAGES: list[ControllerRouterHandler] = [
    project_desk,
    add_milestone,
    add_report,
    deliver,
]
