"""Public pages: home, tasks, projects, alliances and organisations, the need list and the resource library.

Each handler calls the services the JSON API calls (through the controllers' shaping functions where they
exist) and hands the result to a template. Forms post here, not to /api/: they carry CSRF tokens, and a refused
form comes back (422) with the input kept and the message beside its field. Signing in is in `_signin`, night
classes and residents' sign-ups in `_classes`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.response import File, Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from alliances import services as alliance_services
from alliances.models import OrgStatus, ServiceCategory
from market import flows
from market.controllers import _awards as award_views
from market.controllers import _classes as class_views
from market.controllers import _needs as need_views
from market.controllers import _points as point_views
from market.controllers import _projects as project_views
from market.controllers import _resources as resource_views
from market.controllers import _tasks as task_views
from market.kernel.clock import Clock, local_date
from market.kernel.errors import ApplicationError, NotFound
from market.models import ResourceCategory, User
from market.pages._base import (
    PUBLIC,
    FormState,
    PageNo,
    Paging,
    Query,
    attempt,
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
    text_or_none,
)
from market.params import Config, Db, Now, PathId, Viewer
from market.schemas._awards import ObjectionCreate
from market.schemas._projects import FeedbackCreate
from market.services import awards, bars, classes, dossiers, needs, projects, resources, stats, tasks
from market.states import NeedStatus, ProjectStatus, TaskStatus

# The site's icon ---------------------------------------------------------------------------------------------

ICON = Path(__file__).resolve().parents[2] / "static" / "favicon.ico"


@get("/favicon.ico", **PUBLIC, cache_control=CacheControlHeader(max_age=7 * 24 * 3600, public=True))
async def favicon() -> File:
    """The board mark browsers ask for at /favicon.ico on every first visit (pages also link static/favicon.svg)."""
    return File(ICON, media_type="image/x-icon", content_disposition_type="inline")


# Home --------------------------------------------------------------------------------------------------------


@get("/", **PUBLIC)
async def home(db_session: Db, clock: Now, viewer: Viewer) -> Template:
    """The chairing alliance, new tasks, upcoming night classes and the year's headline numbers (发榜/揭榜/承榜)."""
    now = clock.now()
    term = await alliance_services.term_on(db_session, local_date(now))
    new_tasks = await tasks.newest(
        db_session, tasks.TaskFilter(status=TaskStatus.POSTED, limit=5), now=now, viewer=viewer
    )
    upcoming = await class_views.items(db_session, classes.ClassFilter(upcoming=True, limit=5), clock)
    start, end = stats.default_period(now)
    return page(
        "market/home.html.j2",
        viewer,
        chair=term.alliance if term else None,
        tasks=new_tasks,
        classes=upcoming,
        headline=await stats.headline(db_session, start, end, now=now),
    )


# Tasks -------------------------------------------------------------------------------------------------------


@get("/tasks", **PUBLIC)
async def task_list(
    db_session: Db,
    clock: Now,
    viewer: Viewer,
    status: Query = None,
    category: Query = None,
    alliance: Query = None,
    q: Query = None,
    page_: PageNo = None,
) -> Template:
    """The board, filtered by status, category, alliance and a search text; 20 a page."""
    now = clock.now()
    number = page_number(page_)
    codes = await tasks.alliance_codes(db_session)
    cat = enum_or_none(ServiceCategory, category)
    f = tasks.TaskFilter(
        status=enum_or_none(TaskStatus, status),
        category=cat.value if cat else None,
        alliance=alliance if alliance in codes else None,
        q=text_or_none(q),
        limit=20,
        offset=(number - 1) * 20,
    )
    # The cards show neither alliances nor communities: they are not read.
    total, rows = await tasks.browse(db_session, f, now=now, viewer=viewer, refs=False)
    return page(
        "market/tasks/list.html.j2",
        viewer,
        tasks=rows,
        paging=Paging(number, total),
        filters={"status": f.status or "", "category": f.category or "", "alliance": f.alliance or "", "q": f.q or ""},
        statuses=[s for s in TaskStatus if s != TaskStatus.DRAFT],
        categories=list(ServiceCategory),
        alliance_codes=codes,
    )


async def _task_page(
    db: AsyncSession, task_id: int, viewer: User | None, clock: Clock, objection: FormState | None = None
) -> Template:
    task = await task_views.detail(db, task_id, viewer, clock)
    now = clock.now()
    try:
        standing = await awards.standing_notice(db, task_id, viewer=viewer, now=now)
    except NotFound:
        standing = None
    notice = award_views.notice(standing) if standing is not None else None
    objections_open = standing is not None and awards.objections_open(standing.award, now)
    # Back in review after a revocation, the revoked award's dossier is still public.
    revoked_dossier = standing is None and task.status == TaskStatus.REVIEWING and await dossiers.any_of(db, task_id)
    form = objection or FormState()
    return form_page(
        "market/tasks/detail.html.j2",
        viewer,
        form,
        task=task,
        notice=notice,
        objections_open=objections_open,
        revoked_dossier=revoked_dossier,
    )


@get("/tasks/{task_id:int}", **PUBLIC)
async def task_detail(db_session: Db, clock: Now, viewer: Viewer, task_id: PathId) -> Template:
    """A task: terms, rubric, answered questions, amendments; after award the notice and the objection form."""
    return await _task_page(db_session, task_id, viewer, clock)


@post("/awards/{award_id:int}/objections", **PUBLIC)
async def lodge_objection(
    request: Request[Any, Any, Any], db_session: Db, clock: Now, viewer: Viewer, award_id: PathId
) -> Template | Redirect:
    """Object to an award in notice (anyone); refused input comes back beside its field."""
    lang = lang_of(request)
    view = await awards.notice(db_session, award_id, now=clock.now())
    task_id = view.award.task_id
    values = await form_values(request)
    data = parse_form(values, ObjectionCreate, lang)
    if isinstance(data, FormState):
        return await _task_page(db_session, task_id, viewer, clock, data)
    done = await attempt(db_session, lambda: flows.lodge(db_session, award_id, data, viewer=viewer, now=clock.now()))
    if isinstance(done, ApplicationError):
        state = refused(values, done, lang, ("name", "contact", "grounds"))
        return await _task_page(db_session, task_id, viewer, clock, state)
    say(request, "objection.lodged")
    return see_other(f"/tasks/{task_id}#award")


# Projects ----------------------------------------------------------------------------------------------------


@get("/projects", **PUBLIC)
async def project_list(
    db_session: Db,
    viewer: Viewer,
    status: Query = None,
    category: Query = None,
    page_: PageNo = None,
) -> Template:
    """The project list (项目清单), newest first."""
    number = page_number(page_)
    cat = enum_or_none(ServiceCategory, category)
    f = projects.ProjectFilter(
        enum_or_none(ProjectStatus, status), cat.value if cat else None, None, 20, (number - 1) * 20
    )
    total, rows, need_ids = await projects.list_projects(db_session, f)
    return page(
        "market/projects/list.html.j2",
        viewer,
        projects=[project_views.summary(p, need_ids[p.task_id]) for p in rows],
        paging=Paging(number, total),
        filters={"status": f.status or "", "category": f.category or ""},
        statuses=list(ProjectStatus),
        categories=list(ServiceCategory),
    )


async def _project_page(
    db: AsyncSession, project_id: int, viewer: User | None, clock: Clock, feedback: FormState | None = None
) -> Template:
    project = project_views.detail(await projects.detail(db, project_id))
    sessions = await class_views.page(db, classes.ClassFilter(project_id=project_id, upcoming=False, limit=50), clock)
    return form_page(
        "market/projects/detail.html.j2",
        viewer,
        feedback or FormState(),
        project=project,
        classes=sessions.items,
        feedback_open=project.status in projects.FEEDBACK_STATES,
    )


@get("/projects/{project_id:int}", **PUBLIC)
async def project_detail(db_session: Db, clock: Now, viewer: Viewer, project_id: PathId) -> Template:
    """A project: progress, milestones, reports, residents' ratings and the final grade."""
    return await _project_page(db_session, project_id, viewer, clock)


@post("/projects/{project_id:int}/feedback", **PUBLIC)
async def give_feedback(
    request: Request[Any, Any, Any], db_session: Db, clock: Now, viewer: Viewer, project_id: PathId
) -> Template | Redirect:
    """A resident rates the work 1–5."""
    lang = lang_of(request)
    values = await form_values(request)
    data = parse_form(values, FeedbackCreate, lang, ints=("rating",))
    if isinstance(data, FormState):
        return await _project_page(db_session, project_id, viewer, clock, data)
    done = await attempt(db_session, lambda: projects.give_feedback(db_session, project_id, data, now=clock.now()))
    if isinstance(done, ApplicationError):
        state = refused(values, done, lang, ("rating", "comment", "name"))
        return await _project_page(db_session, project_id, viewer, clock, state)
    say(request, "project.feedback_thanks")
    return see_other(f"/projects/{project_id}#feedback")


# Alliances and organisations ---------------------------------------------------------------------------------


@get("/alliances", **PUBLIC)
async def alliance_list(db_session: Db, clock: Now, viewer: Viewer) -> Template:
    """The four alliances with their members, the chair rotation and the coming joint activities."""
    today = local_date(clock.now())
    rows = await alliance_services.list_alliances(db_session, today=today)
    members = await alliance_services.list_organizations(
        db_session, alliance_services.OrganizationFilter(status=OrgStatus.ACTIVE), limit=500, offset=0
    )
    by_alliance: dict[int, list[Any]] = defaultdict(list)
    for org in members:
        by_alliance[org.alliance_id].append(org)
    terms, current = await alliance_services.schedule(db_session, today=today)
    activities = await alliance_services.list_activities(
        db_session, start=today, end=today + timedelta(days=366), limit=50, offset=0
    )
    return page(
        "alliances/list.html.j2",
        viewer,
        alliances=rows,
        members=by_alliance,
        terms=[term for term in terms if term.ends_on >= today],
        current=current,
        activities=activities,
    )


@get("/organizations/{org_id:int}", **PUBLIC)
async def organization(db_session: Db, viewer: Viewer, clock: Now, settings: Config, org_id: PathId) -> Template:
    """An organisation and its public record (projects, mean final score, grades), what bars it from claiming now
    (a 不合格 grade until a date, the watch list until lifted) and its stays on the watch list."""
    org = await alliance_services.get_organization(db_session, org_id)
    record = await projects.org_record(db_session, org_id)
    history = await bars.watch_history(db_session, org_id)
    return page(
        "alliances/organization.html.j2",
        viewer,
        org=org,
        record=record,
        projects=[project_views.summary(p, record.need_ids[p.task_id]) for p in record.projects],
        claim_bars=bars.record_bars(
            org_id, record.projects, history, now=clock.now(), fail_bar_days=settings.fail_bar_days
        ),
        watch_list=history,
        fail_bar_days=settings.fail_bar_days,
        org_points=await point_views.holding(db_session, organization_id=org.id, name=org.name),
    )


# The need list and the resource list ------------------------------------------------------------------------


@get("/needs", **PUBLIC)
async def need_list(
    db_session: Db,
    viewer: Viewer,
    status: Query = None,
    category: Query = None,
    q: Query = None,
    page_: PageNo = None,
) -> Template:
    """The need list (需求清单), newest first."""
    number = page_number(page_)
    cat = enum_or_none(ServiceCategory, category)
    f = needs.NeedFilter(
        status=enum_or_none(NeedStatus, status),
        category=cat.value if cat else None,
        q=text_or_none(q),
        limit=20,
        offset=(number - 1) * 20,
    )
    total, rows = await needs.list_needs(db_session, f)
    return page(
        "market/needs/list.html.j2",
        viewer,
        needs=[need_views.summary(r) for r in rows],
        paging=Paging(number, total),
        filters={"status": f.status or "", "category": f.category or "", "q": f.q or ""},
        statuses=list(NeedStatus),
        categories=list(ServiceCategory),
    )


@get("/services", **PUBLIC)
async def service_list(
    db_session: Db,
    clock: Now,
    viewer: Viewer,
    category: Query = None,
    q: Query = None,
    page_: PageNo = None,
) -> Template:
    """The resource library (服务资源库): what may be ordered, with this month's places left."""
    now = clock.now()
    number = page_number(page_)
    f = resources.OfferingFilter(
        category=enum_or_none(ResourceCategory, category), q=text_or_none(q), limit=20, offset=(number - 1) * 20
    )
    total, rows, held = await resources.list_offerings(db_session, f, now=now)
    month = resources.month_text(resources.month_of(now))
    return page(
        "market/services/list.html.j2",
        viewer,
        services=[resource_views.offering_view(o, held[o.id], month) for o in rows],
        paging=Paging(number, total),
        filters={"category": f.category or "", "q": f.q or ""},
        categories=list(ResourceCategory),
    )


PUBLIC_PAGES: list[ControllerRouterHandler] = [
    favicon,
    home,
    task_list,
    task_detail,
    lodge_objection,
    project_list,
    project_detail,
    give_feedback,
    alliance_list,
    organization,
    need_list,
    service_list,
]
