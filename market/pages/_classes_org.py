"""Night classes (金融夜校) for their organiser: the organisation running a finance-education project.

Its sessions, a form to schedule one and one to change it (the API's `ClassCreate` / `ClassUpdate` fields), and
the roster: every sign-up with the full mobile number (the organiser is the only one who sees them unmasked),
the waitlist in order, and attendance taken with checkboxes once the class has started.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from alliances import services as alliance_services
from alliances.models import ServiceCategory
from market import privacy
from market.controllers import _classes as class_views
from market.i18n import t
from market.kernel.clock import SHANGHAI, Clock, local
from market.kernel.db import writing
from market.kernel.errors import ApplicationError, Forbidden, NotFound
from market.models import Project, Signup, User
from market.pages._base import (
    ORG,
    FormState,
    attempt,
    confirm_page,
    confirmed,
    form_page,
    form_values,
    int_or_none,
    lang_of,
    page,
    parse_form,
    public_url,
    refused,
    say,
    see_other,
)
from market.pages._classes import signup_path
from market.params import Config, Db, Now, PathId, Viewer
from market.schemas._classes import AttendanceSet, ClassCreate, ClassSession, ClassUpdate
from market.services import classes, projects
from market.states import SignupStatus

CLASS_FIELDS = ("project_id", "topic", "community_id", "venue", "starts_at", "seats")
MOST_ROWS = 2000  # a roster never holds more (seats ≤ 1000, waitlist ≤ ten per seat is less); bounds the form


def _user(request: Request[Any, Any, Any]) -> User:
    user: User = request.user
    return user


async def finance_projects(db: AsyncSession, user: User) -> list[Project]:
    """The finance-education projects the user's organisation leads (the ones whose classes it runs)."""
    if user.organization_id is None:
        return []
    f = projects.ProjectFilter(
        category=ServiceCategory.FINANCE_EDUCATION.value, organization_id=user.organization_id, limit=100
    )
    _, rows, _ = await projects.list_projects(db, f)
    return rows


def local_input(value: datetime) -> str:
    """An instant as a `datetime-local` input shows it, in Asia/Shanghai."""
    return local(value).strftime("%Y-%m-%dT%H:%M")


def with_aware_start(values: dict[str, str], lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """The form with `starts_at` (a local `datetime-local` value) as an aware ISO time, and the field's error if any."""
    raw = values.get("starts_at", "").strip()
    if not raw:
        return values, {"starts_at": t("form.required", lang)}
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        return values, {"starts_at": t("orgclass.bad_time", lang)}
    if when.tzinfo is None:
        when = when.replace(tzinfo=SHANGHAI)
    return {**values, "starts_at": when.isoformat()}, {}


async def own_session(db: AsyncSession, class_id: int, user: User, clock: Clock) -> ClassSession:
    """A session of the user's organisation (403 for anyone else's; 404 if there is none)."""
    session = await class_views.one(db, class_id, clock)
    if user.organization_id is None or session.organization_id != user.organization_id:
        raise Forbidden("error.only_project_organisation_runs")
    return session


# Sessions ---------------------------------------------------------------------------------------------------------


@get("/org/classes", **ORG)
async def my_classes(request: Request[Any, Any, Any], db_session: Db, clock: Now, viewer: Viewer) -> Template:
    """The organisation's sessions: coming ones soonest first, then those held, newest first."""
    mine = await finance_projects(db_session, _user(request))
    sessions: list[ClassSession] = []
    for p in mine:
        found = await class_views.page(
            db_session, classes.ClassFilter(project_id=p.id, upcoming=False, limit=100), clock
        )
        sessions.extend(found.items)
    now = clock.now()
    return page(
        "market/orgclasses/list.html.j2",
        viewer,
        projects=mine,
        can_schedule=any(classes.may_schedule(p) for p in mine),
        upcoming=sorted((s for s in sessions if s.starts_at > now), key=lambda s: s.starts_at),
        held=sorted((s for s in sessions if s.starts_at <= now), key=lambda s: s.starts_at, reverse=True),
    )


async def _new_form(db: AsyncSession, user: User, viewer: User | None, form: FormState) -> Template:
    running = [p for p in await finance_projects(db, user) if classes.may_schedule(p)]
    if len(running) == 1 and not form.values.get("project_id"):
        form.values["project_id"] = str(running[0].id)
    return form_page(
        "market/orgclasses/form.html.j2",
        viewer,
        form,
        project_options=[(p.id, p.title) for p in running],
        community_options=[(c.id, f"{c.street.name} · {c.name}") for c in await alliance_services.list_communities(db)],
        session=None,
    )


@get("/org/classes/new", **ORG)
async def new_class_form(request: Request[Any, Any, Any], db_session: Db, viewer: Viewer) -> Template:
    """Schedule a session of one of the organisation's finance-education projects in progress."""
    return await _new_form(db_session, _user(request), viewer, FormState({"seats": "30"}))


@post("/org/classes/new", **ORG)
async def create_class(
    request: Request[Any, Any, Any], db_session: Db, clock: Now, viewer: Viewer
) -> Template | Redirect:
    """Schedule it as `POST /projects/{id}/classes` does; refused input comes back beside its field."""
    lang, user = lang_of(request), _user(request)
    values = await form_values(request)
    running = [p for p in await finance_projects(db_session, user) if classes.may_schedule(p)]
    project = next((p for p in running if str(p.id) == values.get("project_id", "").strip()), None)
    aware, found = with_aware_start(values, lang)
    if project is None:
        found["project_id"] = t("orgclass.pick", lang)
    body = {k: v for k, v in aware.items() if k != "project_id"}
    data = parse_form(body, ClassCreate, lang, ints=("community_id", "seats"), found=found)
    if isinstance(data, FormState):
        return await _new_form(db_session, user, viewer, FormState(values, data.errors, data.general))
    assert project is not None  # noqa: S101 - a missing project is a found error: parse_form refused the form
    project_id = project.id
    made = await attempt(
        db_session,
        lambda: classes.create_class(db_session, project_id, data, actor=user, now=clock.now()),
        raising=(403, 404),
    )
    if isinstance(made, ApplicationError):
        return await _new_form(db_session, user, viewer, refused(values, made, lang, CLASS_FIELDS))
    say(request, "orgclass.created", topic=made.topic)
    return see_other("/org/classes")


async def _edit_form(viewer: User | None, session: ClassSession, form: FormState) -> Template:
    return form_page(
        "market/orgclasses/form.html.j2",
        viewer,
        form,
        project_options=[],
        community_options=[],
        session=session,
        started=not session.signups_open,
    )


@get("/org/classes/{class_id:int}/edit", **ORG)
async def edit_class_form(
    request: Request[Any, Any, Any], db_session: Db, clock: Now, viewer: Viewer, class_id: PathId
) -> Template:
    """Change topic, venue, start or seats before the class starts."""
    session = await own_session(db_session, class_id, _user(request), clock)
    values = {
        "topic": session.topic,
        "venue": session.venue,
        "starts_at": local_input(session.starts_at),
        "seats": str(session.seats),
    }
    return await _edit_form(viewer, session, FormState(values))


@post("/org/classes/{class_id:int}/edit", **ORG)
async def edit_class(
    request: Request[Any, Any, Any], db_session: Db, clock: Now, viewer: Viewer, class_id: PathId
) -> Template | Redirect:
    """Change it as `PATCH /classes/{id}` does; more seats promote the waitlist in order."""
    lang, user = lang_of(request), _user(request)
    session = await own_session(db_session, class_id, user, clock)
    values = {k: v for k, v in (await form_values(request)).items() if k in ("topic", "venue", "starts_at", "seats")}
    aware, found = with_aware_start(values, lang)
    data = parse_form(aware, ClassUpdate, lang, ints=("seats",), found=found)
    if isinstance(data, FormState):
        return await _edit_form(viewer, session, FormState(values, data.errors, data.general))
    done = await attempt(
        db_session,
        lambda: classes.update_class(db_session, class_id, data, actor=user, now=clock.now()),
        raising=(403, 404),
    )
    if isinstance(done, ApplicationError):
        return await _edit_form(viewer, session, refused(values, done, lang, CLASS_FIELDS))
    say(request, "orgclass.updated", topic=data.topic or session.topic)
    return see_other("/org/classes")


# The roster and attendance --------------------------------------------------------------------------------------


async def _roster(
    db: AsyncSession, class_id: int, user: User, viewer: User | None, clock: Clock, form: FormState
) -> Template:
    session = await own_session(db, class_id, user, clock)
    _, masked, rows = await classes.signups_of(db, class_id, viewer=user, status=None)
    if masked:
        raise Forbidden("error.only_organiser_sees_roster")
    keys = privacy.of(db).keys
    items = [class_views.signup_row(s, position, masked=False, keys=keys) for s, position in rows]
    # Full numbers on screen: a recorded read (docs/design.md, "Audit").
    if items:
        await classes.record_numbers_shown(db, class_id, viewer=user, numbers=len(items), via="roster", now=clock.now())
    confirmed = [i for i in items if i.status == SignupStatus.CONFIRMED]
    return form_page(
        "market/orgclasses/roster.html.j2",
        viewer,
        form,
        session=session,
        confirmed=confirmed,
        waitlisted=[i for i in items if i.status == SignupStatus.WAITLISTED],
        cancelled=[i for i in items if i.status == SignupStatus.CANCELLED],
        attended=sum(1 for i in confirmed if i.attended),
        started=not session.signups_open,
    )


@get("/org/classes/{class_id:int}/roster", **ORG)
async def roster(
    request: Request[Any, Any, Any], db_session: Db, clock: Now, viewer: Viewer, class_id: PathId
) -> Template:
    """Sign-ups in arrival order with full names and numbers, the waitlist in order, and the attendance form."""
    return await _roster(db_session, class_id, _user(request), viewer, clock, FormState())


@post("/org/classes/{class_id:int}/roster", **ORG)
async def take_attendance(
    request: Request[Any, Any, Any], db_session: Db, clock: Now, viewer: Viewer, class_id: PathId
) -> Template | Redirect:
    """Record who came: each listed confirmed place is ticked (came) or not (did not), in one transaction.

    The form lists every confirmed place as `signup_id` and ticks `attended` (the API's AttendanceSet fields);
    a place cancelled since the page was drawn is left alone.
    """
    lang, user = lang_of(request), _user(request)
    await own_session(db_session, class_id, user, clock)
    form = await request.form()
    listed = {n for n in (int_or_none(str(v)) for v in form.getall("signup_id", [])[:MOST_ROWS]) if n}
    ticked = {n for n in (int_or_none(str(v)) for v in form.getall("attended", [])[:MOST_ROWS]) if n}
    _, _, rows = await classes.signups_of(db_session, class_id, viewer=user, status=SignupStatus.CONFIRMED)
    changes = [
        AttendanceSet(signup_id=s.id, attended=s.id in ticked)
        for s, _ in rows
        if s.id in listed and s.attended != (s.id in ticked)
    ]

    async def record_attendance() -> None:
        for change in changes:
            await classes.set_attendance(db_session, class_id, change, actor=user, now=clock.now())

    done = await attempt(db_session, record_attendance, raising=(403, 404))
    if isinstance(done, ApplicationError):
        return await _roster(db_session, class_id, user, viewer, clock, refused({}, done, lang, ()))
    came = sum(1 for s, _ in rows if s.id in ticked)
    say(request, "orgclass.attendance_saved", came=came, places=len(rows))
    return see_other(f"/org/classes/{class_id}/roster")


# Acting for a resident who lost their link: the organiser, who sees full numbers, checks who is on the phone. -----


@post("/org/classes/{class_id:int}/signups/{signup_id:int}/link", **ORG)
async def reissue_link(
    request: Request[Any, Any, Any],
    db_session: Db,
    clock: Now,
    settings: Config,
    viewer: Viewer,
    class_id: PathId,
    signup_id: PathId,
) -> Template:
    """Make a new link for a resident (the old one stops working) and show it once, to read out or send them."""
    user = _user(request)
    session = await own_session(db_session, class_id, user, clock)
    async with writing(db_session):
        token = await classes.reissue_link(db_session, class_id, signup_id, actor=user, now=clock.now())
    signup = await db_session.get(Signup, signup_id)
    assert signup is not None  # noqa: S101 - just updated
    return page(
        "market/orgclasses/new_link.html.j2",
        viewer,
        session=session,
        name=signup.name,
        phone=classes.number_of(db_session, signup) or "",
        link=public_url(request, settings, signup_path(signup_id, token)),
    )


@post("/org/classes/{class_id:int}/signups/{signup_id:int}/cancel", **ORG)
async def cancel_for_resident(
    request: Request[Any, Any, Any], db_session: Db, clock: Now, viewer: Viewer, class_id: PathId, signup_id: PathId
) -> Template | Redirect:
    """Cancel a resident's sign-up at their request, after an "are you sure?" step; audited under the organiser."""
    user, lang = _user(request), lang_of(request)
    session = await own_session(db_session, class_id, user, clock)
    values = await form_values(request)
    roster_url = f"/org/classes/{class_id}/roster"
    if not confirmed(values):
        signup = await db_session.get(Signup, signup_id)
        if signup is None or signup.session_id != class_id:
            raise NotFound(classes.NO_SIGNUP)
        return confirm_page(
            viewer,
            title=t("orgclass.cancel_for_title", lang),
            warning=t("orgclass.cancel_for_warning", lang),
            action=f"/org/classes/{class_id}/signups/{signup_id}/cancel",
            values=values,
            back=roster_url,
            button=t("orgclass.cancel_for_confirm", lang),
            facts=[
                (t("class.name", lang), signup.name),
                (t("class.phone", lang), classes.number_of(db_session, signup) or ""),
            ],
        )
    done = await attempt(
        db_session,
        lambda: classes.cancel_for_resident(db_session, class_id, signup_id, actor=user, now=clock.now()),
        raising=(403, 404),
    )
    if isinstance(done, ApplicationError):
        return await _roster(db_session, class_id, user, viewer, clock, refused({}, done, lang, ()))
    say(request, "orgclass.cancelled_for", topic=session.topic)
    return see_other(roster_url)


ORG_CLASS_PAGES: list[ControllerRouterHandler] = [
    my_classes,
    new_class_form,
    create_class,
    edit_class_form,
    edit_class,
    roster,
    take_attendance,
    reissue_link,
    cancel_for_resident,
]
