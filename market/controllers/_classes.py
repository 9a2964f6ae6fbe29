"""/projects/{id}/classes, /classes and /signups: night classes (金融夜校) and residents' sign-ups."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.params import FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from market import phones, privacy
from market.kernel.clock import Clock
from market.kernel.db import writing
from market.kernel.rules import bounded_day, day_parameter
from market.models import ClassSession as ClassSessionModel
from market.models import Project, User
from market.models import Signup as SignupModel
from market.params import Db, Limit, Now, Offset, PathId, QueryId, Viewer
from market.schemas._classes import (
    AttendanceSet,
    ClassCommunity,
    ClassCreate,
    ClassPage,
    ClassSession,
    ClassUpdate,
    SignupCancel,
    SignupCreate,
    SignupErase,
    SignupList,
    SignupReceipt,
    SignupRow,
    SignupView,
)
from market.security import requires_org
from market.services import classes
from market.states import SignupStatus


def session_view(s: ClassSessionModel, project: Project, clock: Clock) -> ClassSession:
    """A session with its seat counts."""
    c = s.community
    return ClassSession(
        id=s.id,
        project_id=project.id,
        project_title=project.title,
        organization_id=project.organization_id,
        organization_name=project.organization.name,
        topic=s.topic,
        community=ClassCommunity(c.id, c.name, c.street_id, c.street.name),
        venue=s.venue,
        starts_at=s.starts_at,
        seats=s.seats,
        confirmed=s.confirmed_count,
        waitlisted=s.waitlist_count,
        remaining=max(s.seats - s.confirmed_count, 0),
        signups_open=classes.signups_open(s, clock.now()),
    )


async def one(db: AsyncSession, class_id: int, clock: Clock) -> ClassSession:
    """One session as anyone sees it, read fresh."""
    s = await classes.get_class(db, class_id)
    await db.refresh(s)
    projects = await classes.projects_of(db, [s])
    return session_view(s, projects[s.project_id], clock)


async def page(db: AsyncSession, f: classes.ClassFilter, clock: Clock) -> ClassPage:
    """A page of sessions."""
    total, rows = await classes.list_classes(db, f, now=clock.now())
    return ClassPage(total=total, items=await _views(db, rows, clock))


async def items(db: AsyncSession, f: classes.ClassFilter, clock: Clock) -> list[ClassSession]:
    """A page of sessions without their total (where nothing shows it)."""
    return await _views(db, await classes.classes_page(db, f, now=clock.now()), clock)


async def _views(db: AsyncSession, rows: list[ClassSessionModel], clock: Clock) -> list[ClassSession]:
    projects = await classes.projects_of(db, rows)
    return [session_view(s, projects[s.project_id], clock) for s in rows]


def signup_row(s: SignupModel, position: int | None, *, masked: bool, keys: privacy.PhoneKeys) -> SignupRow:
    """A sign-up in a list: masked (name 张**, phone 138****0000) for everyone but the organiser."""
    number = keys.open(s.phone_sealed) if s.phone_sealed else ""
    return SignupRow(
        id=s.id,
        name=phones.mask_name(s.name) if masked else s.name,
        phone=phones.mask(number) if masked and number else number,
        status=SignupStatus(s.status),
        waitlist_position=position,
        signed_up_at=s.signed_up_at,
        promoted_at=s.promoted_at,
        cancelled_at=s.cancelled_at,
        attended=s.attended,
        erased_at=s.erased_at,
    )


def signup_view(s: SignupModel, position: int | None, settings: privacy.Privacy) -> SignupView:
    """The holder's view of their own sign-up (the number masked: the link may be shared or logged)."""
    c = s.session.community
    number = settings.keys.open(s.phone_sealed) if s.phone_sealed else ""
    return SignupView(
        id=s.id,
        class_id=s.session_id,
        class_topic=s.session.topic,
        starts_at=s.session.starts_at,
        venue=s.session.venue,
        community=ClassCommunity(c.id, c.name, c.street_id, c.street.name),
        name=s.name,
        phone=phones.mask(number) if number else "",
        status=SignupStatus(s.status),
        waitlist_position=position,
        signed_up_at=s.signed_up_at,
        promoted_at=s.promoted_at,
        cancelled_at=s.cancelled_at,
        erase_after=settings.erase_after(s.session.starts_at),
        erased_at=s.erased_at,
    )


class ProjectClassController(Controller):
    """A finance-education project's sessions: the organiser schedules them, anyone reads them."""

    path = "/projects/{project_id:int}/classes"
    tags = ["classes"]

    @get("/", exclude_from_auth=True)
    async def list_for_project(
        self,
        db_session: Db,
        clock: Now,
        project_id: PathId,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> ClassPage:
        """Every session of the project, past ones included, soonest first."""
        await classes.get_project(db_session, project_id)
        f = classes.ClassFilter(project_id=project_id, upcoming=False, limit=limit, offset=offset)
        return await page(db_session, f, clock)

    @post("/", guards=[requires_org])
    async def create(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        project_id: PathId,
        data: JSONBody[ClassCreate],
    ) -> ClassSession:
        """Schedule a session (the project's organisation; the project must be finance education, in progress)."""
        async with writing(db_session):
            s = await classes.create_class(db_session, project_id, data, actor=request.user, now=clock.now())
        return await one(db_session, s.id, clock)


class ClassController(Controller):
    """Residents find classes and sign up without an account; the organiser edits sessions and takes attendance."""

    path = "/classes"
    tags = ["classes"]

    @get("/", exclude_from_auth=True)
    async def list_classes(
        self,
        db_session: Db,
        clock: Now,
        community_id: QueryId = None,
        street_id: QueryId = None,
        project_id: QueryId = None,
        date_from: Annotated[date | None, day_parameter("from")] = None,
        date_to: Annotated[date | None, day_parameter("to")] = None,
        upcoming: FromQuery[bool | None] = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> ClassPage:
        """Find classes by community, street and local (Asia/Shanghai) dates `from`..`to`, inclusive.

        Only classes yet to start are listed unless a date range is given or `upcoming=false`.
        """
        date_from, date_to = bounded_day(date_from, "from"), bounded_day(date_to, "to")
        f = classes.ClassFilter(community_id, street_id, project_id, date_from, date_to, upcoming, limit, offset)
        return await page(db_session, f, clock)

    @get("/{class_id:int}", exclude_from_auth=True)
    async def get_one(self, db_session: Db, clock: Now, class_id: PathId) -> ClassSession:
        """One session with seats, confirmed, waitlisted and remaining."""
        return await one(db_session, class_id, clock)

    @patch("/{class_id:int}", guards=[requires_org])
    async def update(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        class_id: PathId,
        data: JSONBody[ClassUpdate],
    ) -> ClassSession:
        """Change topic, venue, start or seats before the class starts; extra seats promote the waitlist."""
        async with writing(db_session):
            await classes.update_class(db_session, class_id, data, actor=request.user, now=clock.now())
        return await one(db_session, class_id, clock)

    @post("/{class_id:int}/signups", exclude_from_auth=True)
    async def sign_up(
        self, db_session: Db, clock: Now, class_id: PathId, data: JSONBody[SignupCreate]
    ) -> SignupReceipt:
        """Sign up with a name and a mainland mobile number; the token in the answer is shown only this once."""
        async with writing(db_session):
            made = await classes.sign_up(db_session, class_id, data, now=clock.now())
        s = made.signup
        return SignupReceipt(s.id, s.session_id, SignupStatus(s.status), made.waitlist_position, made.token)

    @get("/{class_id:int}/signups", exclude_from_auth=True)
    async def signups(
        self,
        db_session: Db,
        clock: Now,
        viewer: Viewer,
        class_id: PathId,
        status: FromQuery[SignupStatus | None] = None,
    ) -> SignupList:
        """Sign-ups in arrival order; names and numbers are masked for everyone but the organiser, whose reading of
        the full numbers is audited."""
        s, masked, rows = await classes.signups_of(db_session, class_id, viewer=viewer, status=status)
        keys = privacy.of(db_session).keys
        if not masked and viewer is not None and rows:
            await classes.record_numbers_shown(
                db_session, class_id, viewer=viewer, numbers=len(rows), via="api", now=clock.now()
            )
        return SignupList(
            class_id=s.id,
            masked=masked,
            seats=s.seats,
            confirmed=s.confirmed_count,
            waitlisted=s.waitlist_count,
            items=[signup_row(row, position, masked=masked, keys=keys) for row, position in rows],
        )

    @post("/{class_id:int}/attendance", guards=[requires_org], status_code=HTTP_200_OK)
    async def attendance(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        class_id: PathId,
        data: JSONBody[AttendanceSet],
    ) -> SignupRow:
        """Record whether a confirmed resident came (the organiser, once the class has started)."""
        async with writing(db_session):
            s = await classes.set_attendance(db_session, class_id, data, actor=request.user, now=clock.now())
        return signup_row(s, None, masked=False, keys=privacy.of(db_session).keys)


class SignupController(Controller):
    """A resident's own sign-up, reached with the secret token from the sign-up answer."""

    path = "/signups"
    tags = ["classes"]

    @get("/{signup_id:int}", exclude_from_auth=True)
    async def get_one(
        self, db_session: Db, signup_id: PathId, token: Annotated[str, QueryParameter(max_length=200)]
    ) -> SignupView:
        """Status and waitlist position (a wrong token answers 404, like a missing sign-up)."""
        s, position = await classes.view_signup(db_session, signup_id, token)
        return signup_view(s, position, privacy.of(db_session))

    @post("/{signup_id:int}/cancel", exclude_from_auth=True, status_code=HTTP_200_OK)
    async def cancel(self, db_session: Db, clock: Now, signup_id: PathId, data: JSONBody[SignupCancel]) -> SignupView:
        """Give the place up; a confirmed place passes to the head of the waitlist at once."""
        async with writing(db_session):
            s = await classes.cancel(db_session, signup_id, data.token, now=clock.now())
        return signup_view(s, None, privacy.of(db_session))

    @post("/{signup_id:int}/erase", exclude_from_auth=True, status_code=HTTP_200_OK)
    async def erase(self, db_session: Db, clock: Now, signup_id: PathId, data: JSONBody[SignupErase]) -> SignupView:
        """Delete the sign-up: cancel it if the class is still to come, and erase the holder's name and number now.

        A place at a class already held keeps its status and attendance (the class's counts stay right)."""
        async with writing(db_session):
            s = await classes.erase(db_session, signup_id, data.token, now=clock.now())
        return signup_view(s, None, privacy.of(db_session))
