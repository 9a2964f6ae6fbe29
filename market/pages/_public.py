"""Public pages: home, tasks, projects, night classes, alliances and organisations, needs, services, sign-in.

Each handler calls the services the JSON API calls (through the controllers' shaping functions where they
exist) and hands the result to a template. Forms post here, not to /api/: they carry CSRF tokens, and a refused
form comes back (422) with the input kept and the message beside its field.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import CacheControlHeader, Cookie
from litestar.params import Parameter, QueryParameter
from litestar.response import File, Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from alliances import services as alliance_services
from alliances.models import OrgStatus, ServiceCategory
from alliances.services import local_date
from market import phones, privacy, sms
from market.controllers import _awards as award_views
from market.controllers import _classes as class_views
from market.controllers import _needs as need_views
from market.controllers import _projects as project_views
from market.controllers import _resources as resource_views
from market.controllers import _tasks as task_views
from market.controllers._base import PathId
from market.i18n import LANG_COOKIE, LANGUAGES, safe_next, t
from market.kernel.clock import Clock
from market.kernel.db import writing
from market.kernel.errors import ApplicationError, NotFound
from market.models import ResourceCategory, User
from market.pages._base import (
    PUBLIC,
    Config,
    Db,
    FormState,
    Next,
    Now,
    PageNo,
    Paging,
    Query,
    Viewer,
    confirm_page,
    confirmed,
    date_or_none,
    enum_or_none,
    form_page,
    form_values,
    int_or_none,
    lang_of,
    localtime,
    page,
    page_number,
    parse_form,
    public_url,
    refused,
    say,
    see_other,
    text_or_none,
)
from market.passwords import LONGEST_HELD
from market.schemas._awards import ObjectionCreate
from market.schemas._classes import SignupCreate
from market.schemas._projects import FeedbackCreate
from market.security import begin_session
from market.services import _accounts as accounts
from market.services import _awards as awards
from market.services import _classes as classes
from market.services import _needs as needs
from market.services import _projects as projects
from market.services import _resources as resources
from market.services import _stats as stats
from market.services import _tasks as tasks
from market.settings import Settings
from market.states import AwardStatus, NeedStatus, ProjectStatus, TaskStatus
from market.throttle import TooManyAttempts, admit, admit_login, client_address, login_succeeded

# Language, sign-in -------------------------------------------------------------------------------------------


@get("/lang/{code:str}", **PUBLIC)
async def switch_language(code: Annotated[str, Parameter(max_length=10)], next_: Next = None) -> Redirect:
    """Remember the language in a cookie and go back where the visitor was (only ever to a local path)."""
    target = safe_next(next_)
    if code not in LANGUAGES:
        return see_other(target)
    # A year, so a phone remembers the choice.
    cookie = Cookie(key=LANG_COOKIE, value=code, max_age=365 * 24 * 3600, path="/", samesite="lax", httponly=True)
    return Redirect(target, status_code=303, cookies=[cookie])


@get("/login", **PUBLIC)
async def login_form(viewer: Viewer, next_: Next = None) -> Template:
    """The sign-in form."""
    return form_page("market/login.html.j2", viewer, FormState({"next": safe_next(next_)}))


@post("/login", **PUBLIC)
async def login(request: Request[Any, Any, Any], db_session: Db, clock: Now) -> Template | Redirect:
    """Sign in exactly as the API does, then go to `next`."""
    values = await form_values(request)
    target = safe_next(values.get("next"))
    values["next"] = target
    username, password = values.get("username", "")[:100], values.get("password", "")
    if len(password) > LONGEST_HELD:
        # Refused as it is, never cut and compared: no account holds a password this long (ASVS 6.2.8).
        values.pop("password")
        state = FormState(values, {"password": _t(request, "password.too_long", max=LONGEST_HELD)})
        return form_page("market/login.html.j2", None, state)
    settings: Settings = request.app.state["settings"]
    try:
        await admit_login(db_session, username, client_address(request, settings), settings, now=clock.now())
    except TooManyAttempts as exc:
        values.pop("password", None)
        state = FormState(values, {}, None)
        state.general = _t(request, "login.throttled")
        throttled = form_page("market/login.html.j2", None, state)
        throttled.status_code = 429
        throttled.headers.update(exc.headers)
        return throttled
    user = await accounts.authenticate(db_session, username, password, now=clock.now())
    if user is None:
        values.pop("password", None)
        state = FormState(values, {}, None)
        state.general = _t(request, "login.failed")
        return form_page("market/login.html.j2", None, state)
    await login_succeeded(db_session, username)
    begin_session(request, user.id)
    say(request, "login.welcome", name=user.username)
    if user.must_change_password:
        # A temporary password from a committee reset: the owner chooses their own before going on.
        return see_other(f"/account/password?next={quote(target)}")
    return see_other(target)


@post("/logout", **PUBLIC)
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    """Sign out; the server-side session is deleted."""
    request.clear_session()
    # A fresh, empty session carries the goodbye; it holds no user.
    request.set_session({})
    say(request, "logout.done")
    return see_other("/")


def _t(request: Request[Any, Any, Any], key: str, **kw: object) -> str:
    return t(key, lang_of(request), **kw)


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
        notice = award_views.notice(await awards.standing_notice(db, task_id, viewer=viewer, now=now))
    except NotFound:
        notice = None
    objections_open = notice is not None and notice.status == AwardStatus.NOTICE and now < notice.notice_ends_at
    form = objection or FormState()
    return form_page(
        "market/tasks/detail.html.j2", viewer, form, task=task, notice=notice, objections_open=objections_open
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
    try:
        async with writing(db_session):
            await awards.lodge(db_session, award_id, data, viewer=viewer, now=clock.now())
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise
        state = refused(values, exc, lang, ("name", "contact", "grounds"))
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
        feedback_open=project.status in (ProjectStatus.IN_PROGRESS, ProjectStatus.DELIVERED),
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
    try:
        async with writing(db_session):
            await projects.give_feedback(db_session, project_id, data, now=clock.now())
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise
        return await _project_page(
            db_session, project_id, viewer, clock, refused(values, exc, lang, ("rating", "comment", "name"))
        )
    say(request, "project.feedback_thanks")
    return see_other(f"/projects/{project_id}#feedback")


# Night classes -----------------------------------------------------------------------------------------------


@get("/classes", **PUBLIC)
async def class_list(
    db_session: Db,
    clock: Now,
    viewer: Viewer,
    community: Query = None,
    from_: Annotated[str | None, QueryParameter(name="from", max_length=10)] = None,
    to: Annotated[str | None, QueryParameter(name="to", max_length=10)] = None,
    page_: PageNo = None,
) -> Template:
    """Night classes by community and local dates (upcoming ones unless dates are given)."""
    number = page_number(page_)
    start, end = date_or_none(from_), date_or_none(to)
    if start and end and end < start:
        start, end = end, start
    f = classes.ClassFilter(
        community_id=int_or_none(community), date_from=start, date_to=end, limit=20, offset=(number - 1) * 20
    )
    found = await class_views.page(db_session, f, clock)
    return page(
        "market/classes/list.html.j2",
        viewer,
        classes=found.items,
        paging=Paging(number, found.total),
        communities=await alliance_services.list_communities(db_session),
        filters={
            "community": f.community_id or "",
            "from": start.isoformat() if start else "",
            "to": end.isoformat() if end else "",
        },
    )


async def _class_page(
    db: AsyncSession, class_id: int, viewer: User | None, clock: Clock, form: FormState | None = None
) -> Template:
    session = await class_views.one(db, class_id, clock)
    return form_page("market/classes/detail.html.j2", viewer, form or FormState(), session=session)


@get("/classes/{class_id:int}", **PUBLIC)
async def class_detail(db_session: Db, clock: Now, viewer: Viewer, class_id: PathId) -> Template:
    """A class with its seats and the sign-up form."""
    return await _class_page(db_session, class_id, viewer, clock)


@post("/classes/{class_id:int}/signups", **PUBLIC)
async def sign_up(
    request: Request[Any, Any, Any], db_session: Db, clock: Now, viewer: Viewer, class_id: PathId
) -> Template | Redirect:
    """Sign up with name and mobile number; the sign-up's own page (with its secret link) comes next."""
    lang = lang_of(request)
    values = await form_values(request)
    # The service's own rules on the name and the number, so that both are reported at once.
    data = parse_form(values, SignupCreate, lang, checks={"name": classes.clean_name, "phone": phones.validate})
    if isinstance(data, FormState):
        return await _class_page(db_session, class_id, viewer, clock, data)
    try:
        async with writing(db_session):
            made = await classes.sign_up(db_session, class_id, data, now=clock.now())
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise
        return await _class_page(db_session, class_id, viewer, clock, refused(values, exc, lang, ("name", "phone")))
    return see_other(signup_path(made.signup.id, made.token) + "&new=1")


Token = Annotated[str, QueryParameter(max_length=200)]


def signup_path(signup_id: int, token: str) -> str:
    """Where a resident sees and cancels their sign-up: the secret link."""
    return f"/signups/{signup_id}?token={quote(token)}"


@get("/signups/{signup_id:int}", **PUBLIC)
async def signup_page(
    request: Request[Any, Any, Any],
    db_session: Db,
    settings: Config,
    viewer: Viewer,
    signup_id: PathId,
    token: Token,
    new: Query = None,
) -> Template:
    """A resident's own sign-up (reached by its secret link): class, time, venue, status, the full link to keep,
    the cancel form, and what to do if the link is lost."""
    s, position = await classes.view_signup(db_session, signup_id, token)
    project = (await classes.projects_of(db_session, [s.session]))[s.session.project_id]
    return page(
        "market/classes/signup.html.j2",
        viewer,
        signup=class_views.signup_view(s, position, privacy.of(db_session)),
        retention_days=privacy.of(db_session).retention_days,
        token=token,
        link=public_url(request, settings, signup_path(s.id, token)),
        organiser=project.organization.name,
        sms=settings.sms_enabled,
        just_made=bool(new),
    )


# A resident who lost their link: the organiser can help by phone; with an SMS gateway, the link goes to the number.


@get("/signups/lost", **PUBLIC)
async def lost_link_form(settings: Config, viewer: Viewer, sent: Query = None) -> Template:
    """What to do without the link; with SMS configured, a form to have it sent to the number signed up with."""
    return form_page("market/classes/lost.html.j2", viewer, FormState(), sms=settings.sms_enabled, sent=bool(sent))


async def _seconds_to_wait(
    db: AsyncSession, request: Request[Any, Any, Any], settings: Settings, phone: str, now: datetime
) -> int:
    """Count this request against the number's and the client address's hourly limits (market/throttle.py: one
    atomic count per key in the database, shared by every worker): 0, or the seconds until every reached one frees.
    Keys are keyed hashes: the counters hold no numbers."""
    secret = settings.effective_secret().encode()
    # The client as the sign-in throttle sees it: behind a configured proxy, each resident is not the proxy.
    address = client_address(request, settings)
    hour = timedelta(hours=1)
    limits = (
        (
            "sms-number:" + hmac.new(secret, phone.encode(), hashlib.sha256).hexdigest(),
            settings.sms_per_number_per_hour,
            hour,
        ),
        (
            "sms-address:" + hmac.new(secret, address.encode(), hashlib.sha256).hexdigest(),
            settings.sms_per_address_per_hour,
            hour,
        ),
    )
    return await admit(db, limits, now=now)


@post("/signups/lost", **PUBLIC)
async def send_lost_link(
    request: Request[Any, Any, Any], db_session: Db, clock: Now, settings: Config, viewer: Viewer
) -> Template | Redirect:
    """Send fresh links for the number's coming sign-ups to that number. The answer is the same whether or not the
    number has any (the message is sent after it, in the background), so nobody learns who signed up."""
    if not settings.sms_enabled:
        raise NotFound("未开通短信找回 (sending links by SMS is not configured)")
    lang = lang_of(request)
    values = await form_values(request)
    try:
        phone = phones.validate(values.get("phone", "")[:100])
    except ApplicationError as exc:
        state = refused(values, exc, lang, ("phone",))
        return form_page("market/classes/lost.html.j2", viewer, state, sms=True, sent=False)
    if wait := await _seconds_to_wait(db_session, request, settings, phone, clock.now()):
        state = FormState(values, {}, t("signup.lost_too_often", lang))
        throttled = page("market/classes/lost.html.j2", viewer, status_code=429, form=state, sms=True, sent=False)
        throttled.headers["Retry-After"] = str(wait)
        return throttled
    async with writing(db_session):
        links = await classes.links_for_number(db_session, phone, now=clock.now())
    texts = [
        t(
            "signup.sms_text",
            lang,
            topic=s.session.topic,
            at=localtime(s.session.starts_at),
            venue=s.session.venue,
            link=public_url(request, settings, signup_path(s.id, token)),
        )
        for s, token in links
    ]
    return Redirect(
        "/signups/lost?sent=1", status_code=303, background=BackgroundTask(sms.send_all, settings, phone, texts)
    )


@get("/signups/{signup_id:int}/cancel", **PUBLIC)
async def cancel_form(db_session: Db, viewer: Viewer, signup_id: PathId, token: Token) -> Template:
    """Confirm before giving the place up (it cannot be undone)."""
    s, position = await classes.view_signup(db_session, signup_id, token)
    signup = class_views.signup_view(s, position, privacy.of(db_session))
    return page("market/classes/cancel.html.j2", viewer, signup=signup, token=token)


@post("/signups/{signup_id:int}/cancel", **PUBLIC)
async def cancel_signup(request: Request[Any, Any, Any], db_session: Db, clock: Now, signup_id: PathId) -> Redirect:
    """Give the place up; a confirmed place passes to the head of the waitlist at once."""
    token = (await form_values(request)).get("token", "")[:200]
    async with writing(db_session):
        await classes.cancel(db_session, signup_id, token, now=clock.now())
    say(request, "signup.cancelled")
    return see_other(signup_path(signup_id, token))


async def _erase_confirm(db: AsyncSession, viewer: User | None, signup_id: int, token: str, lang: str) -> Template:
    s, _ = await classes.view_signup(db, signup_id, token)
    shown = class_views.signup_view(s, None, privacy.of(db))
    return confirm_page(
        viewer,
        title=t("signup.erase", lang),
        warning=t("signup.erase_warning", lang),
        action=f"/signups/{signup_id}/erase",
        values={"token": token},
        back=signup_path(signup_id, token),
        button=t("signup.erase_confirm", lang),
        facts=[
            (t("classes.title", lang), shown.class_topic),
            (t("class.name", lang), shown.name),
            (t("class.phone", lang), shown.phone),
        ],
    )


@get("/signups/{signup_id:int}/erase", **PUBLIC)
async def erase_form(
    request: Request[Any, Any, Any], db_session: Db, viewer: Viewer, signup_id: PathId, token: Token
) -> Template:
    """Confirm before deleting the sign-up and erasing the resident's name and number (it cannot be undone)."""
    return await _erase_confirm(db_session, viewer, signup_id, token, lang_of(request))


@post("/signups/{signup_id:int}/erase", **PUBLIC)
async def erase_signup(
    request: Request[Any, Any, Any], db_session: Db, clock: Now, viewer: Viewer, signup_id: PathId
) -> Template | Redirect:
    """Delete the sign-up (cancelled if the class is to come) and erase the name and number, once confirmed."""
    values = await form_values(request)
    token = values.get("token", "")[:200]
    if not confirmed(values):
        return await _erase_confirm(db_session, viewer, signup_id, token, lang_of(request))
    async with writing(db_session):
        await classes.erase(db_session, signup_id, token, now=clock.now())
    say(request, "signup.erase_done")
    return see_other(signup_path(signup_id, token))


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
async def organization(db_session: Db, viewer: Viewer, org_id: PathId) -> Template:
    """An organisation and its public record (projects, mean final score, grades)."""
    org = await alliance_services.get_organization(db_session, org_id)
    record = await projects.org_record(db_session, org_id)
    return page(
        "alliances/organization.html.j2",
        viewer,
        org=org,
        record=record,
        projects=[project_views.summary(p, record.need_ids[p.task_id]) for p in record.projects],
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
    switch_language,
    login_form,
    login,
    logout,
    favicon,
    home,
    task_list,
    task_detail,
    lodge_objection,
    project_list,
    project_detail,
    give_feedback,
    class_list,
    class_detail,
    sign_up,
    signup_page,
    lost_link_form,
    send_lost_link,
    cancel_form,
    cancel_signup,
    erase_form,
    erase_signup,
    alliance_list,
    organization,
    need_list,
    service_list,
]
