"""/alliances, /streets, /communities, /organizations (+ /applications) and /chair.

Public reads opt out of auth; writes are the committee's, except the public application form. The app injects
`db_session`, `clock` (the kernel's `Clock`) and `viewer` (the signed-in account or None).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, Parameter, QueryParameter
from litestar.status_codes import HTTP_200_OK

from alliances import services
from alliances.models import ApplicationStatus, OrgStatus, ServiceCategory
from alliances.schemas import (
    Alliance,
    AllianceDetail,
    Application,
    ApplicationCreate,
    ApplicationReject,
    ChairActivity,
    ChairActivityCreate,
    ChairSchedule,
    ChairScheduleReplace,
    ChairTerm,
    Community,
    CommunityCreate,
    Organization,
    OrganizationCreate,
    OrganizationUpdate,
    Street,
    StreetCreate,
)
from market.kernel.clock import local_date
from market.kernel.db import writing
from market.kernel.errors import NotFound
from market.kernel.guards import Account, Role, has_role, requires_committee
from market.kernel.params import BatchLimit, Db, Limit, Now, Offset, PathId, QueryId, SearchText
from market.kernel.rules import bounded_day, day_parameter

Code = Annotated[str, Parameter(max_length=20)]
OptionalCode = Annotated[str | None, QueryParameter(max_length=20)]


class AllianceController(Controller):
    """The four alliances (联盟) and who is chairing."""

    path = "/alliances"
    tags = ["alliances"]

    @get("/", exclude_from_auth=True)
    async def list_alliances(self, db_session: Db, clock: Now) -> list[Alliance]:
        """The alliances in position order, with active member counts and whether each chairs today."""
        rows = await services.list_alliances(db_session, today=local_date(clock.now()))
        return [Alliance.of(r.alliance, organization_count=r.organization_count, chairing=r.chairing) for r in rows]

    @get("/{code:str}", exclude_from_auth=True)
    async def get_alliance(
        self,
        db_session: Db,
        clock: Now,
        viewer: NamedDependency[Account | None],
        code: Code,
    ) -> AllianceDetail:
        """One alliance by code, with its active organisations."""
        row, members = await services.get_alliance(db_session, code, today=local_date(clock.now()))
        reveal = has_role(viewer, Role.COMMITTEE)
        return AllianceDetail(
            id=row.alliance.id,
            code=row.alliance.code,
            name=row.alliance.name,
            leading_unit=row.alliance.leading_unit,
            position=row.alliance.position,
            organization_count=row.organization_count,
            chairing=row.chairing,
            organizations=[Organization.of(org, reveal_phone=reveal) for org in members],
        )


class StreetController(Controller):
    """Streets (街道) of the district."""

    path = "/streets"
    tags = ["alliances"]

    @get("/", exclude_from_auth=True)
    async def list_streets(self, db_session: Db) -> list[Street]:
        """Every street."""
        return [Street.of(s) for s in await services.list_streets(db_session)]

    @post("/", guards=[requires_committee])
    async def create_street(
        self,
        request: Request[Any, Any, Any],
        db_session: Db,
        clock: Now,
        data: JSONBody[StreetCreate],
    ) -> Street:
        """Add a street; a name already used is a 409."""
        async with writing(db_session):
            street = await services.create_street(db_session, data, actor=request.user, now=clock.now())
        return Street.of(street)


class CommunityController(Controller):
    """Communities (社区), each within a street."""

    path = "/communities"
    tags = ["alliances"]

    @get("/", exclude_from_auth=True)
    async def list_communities(self, db_session: Db, street_id: QueryId = None) -> list[Community]:
        """Every community with its street, or those of one street."""
        return [Community.of(c) for c in await services.list_communities(db_session, street_id=street_id)]

    @post("/", guards=[requires_committee])
    async def create_community(
        self,
        request: Request[Any, Any, Any],
        db_session: Db,
        clock: Now,
        data: JSONBody[CommunityCreate],
    ) -> Community:
        """Add a community to a street; a name the street already has is a 409."""
        async with writing(db_session):
            community = await services.create_community(db_session, data, actor=request.user, now=clock.now())
        return Community.of(community)


class OrganizationController(Controller):
    """The register of social organisations (社会组织); mobile numbers are shown in full to the committee only."""

    path = "/organizations"
    tags = ["organizations"]

    @get("/", exclude_from_auth=True)
    async def list_organizations(
        self,
        db_session: Db,
        viewer: NamedDependency[Account | None],
        alliance: OptionalCode = None,
        category: FromQuery[ServiceCategory | None] = None,
        resident: FromQuery[bool | None] = None,
        status: FromQuery[OrgStatus | None] = None,
        q: SearchText = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> list[Organization]:
        """Organisations by id, narrowed by alliance code, category, residency, status or a name substring."""
        where = services.OrganizationFilter(alliance=alliance, category=category, resident=resident, status=status, q=q)
        orgs = await services.list_organizations(db_session, where, limit=limit, offset=offset)
        reveal = has_role(viewer, Role.COMMITTEE)
        return [Organization.of(org, reveal_phone=reveal) for org in orgs]

    @get("/{org_id:int}", exclude_from_auth=True)
    async def get_organization(
        self, db_session: Db, viewer: NamedDependency[Account | None], org_id: PathId
    ) -> Organization:
        """One organisation."""
        org = await services.get_organization(db_session, org_id)
        return Organization.of(org, reveal_phone=has_role(viewer, Role.COMMITTEE))

    @post("/", guards=[requires_committee])
    async def create_organization(
        self,
        request: Request[Any, Any, Any],
        db_session: Db,
        clock: Now,
        data: JSONBody[OrganizationCreate],
    ) -> Organization:
        """Register an organisation; a bad credit code is a 422 naming the field, a taken name or code a 409."""
        async with writing(db_session):
            org = await services.create_organization(db_session, data, actor=request.user, now=clock.now())
        return Organization.of(org, reveal_phone=True)

    @patch("/{org_id:int}", guards=[requires_committee])
    async def update_organization(
        self,
        request: Request[Any, Any, Any],
        db_session: Db,
        clock: Now,
        org_id: PathId,
        data: JSONBody[OrganizationUpdate],
    ) -> Organization:
        """Change description, categories, residency, phone or status (suspend / reactivate, either with a reason)."""
        async with writing(db_session):
            org = await services.update_organization(db_session, org_id, data, actor=request.user, now=clock.now())
        return Organization.of(org, reveal_phone=True)


class ApplicationController(Controller):
    """Public applications to join the register (入驻申请), decided by the committee."""

    path = "/organizations/applications"
    tags = ["organizations"]

    @post("/", exclude_from_auth=True)
    async def submit(
        self,
        db_session: Db,
        clock: Now,
        data: JSONBody[ApplicationCreate],
    ) -> Application:
        """Apply without an account; the committee approves or rejects."""
        async with writing(db_session):
            application = await services.submit_application(db_session, data, now=clock.now())
        return Application.of(application)

    @get("/", guards=[requires_committee])
    async def list_applications(
        self,
        db_session: Db,
        status: FromQuery[ApplicationStatus | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> list[Application]:
        """Applications, oldest first, optionally of one status."""
        applications = await services.list_applications(db_session, status=status, limit=limit, offset=offset)
        return [Application.of(a) for a in applications]

    @post("/{application_id:int}/approve", guards=[requires_committee], status_code=HTTP_200_OK)
    async def approve(
        self,
        request: Request[Any, Any, Any],
        db_session: Db,
        clock: Now,
        application_id: PathId,
    ) -> Application:
        """Approve a pending application; its organisation is registered in the same step."""
        async with writing(db_session):
            application, _ = await services.approve_application(
                db_session, application_id, actor=request.user, now=clock.now()
            )
        return Application.of(application)

    @post("/{application_id:int}/reject", guards=[requires_committee], status_code=HTTP_200_OK)
    async def reject(
        self,
        request: Request[Any, Any, Any],
        db_session: Db,
        clock: Now,
        application_id: PathId,
        data: JSONBody[ApplicationReject],
    ) -> Application:
        """Reject a pending application with a reason."""
        async with writing(db_session):
            application = await services.reject_application(
                db_session, application_id, data.reason, actor=request.user, now=clock.now()
            )
        return Application.of(application)


class ChairController(Controller):
    """The rotating chair (轮值主席): the schedule, who chairs on a date, and the activity calendar."""

    path = "/chair"
    tags = ["alliances"]

    @get("/", exclude_from_auth=True)
    async def get_schedule(self, db_session: Db, clock: Now) -> ChairSchedule:
        """Every term in date order, and today's chair by the date in Asia/Shanghai."""
        today = local_date(clock.now())
        terms, current = await services.schedule(db_session, today=today)
        return ChairSchedule(
            local_date=today,
            today=ChairTerm.of(current) if current else None,
            terms=[ChairTerm.of(t) for t in terms],
        )

    @get("/on", exclude_from_auth=True, problems=[404])
    async def chair_on(
        self,
        db_session: Db,
        day: Annotated[date, day_parameter("date")],
    ) -> ChairTerm:
        """The term covering a date, or 404 when none does."""
        bounded_day(day, "date")
        term = await services.term_on(db_session, day)
        if term is None:
            raise NotFound("error.no_chair_on_day", day=day)
        return ChairTerm.of(term)

    @put("/", guards=[requires_committee])
    async def replace_schedule(
        self,
        request: Request[Any, Any, Any],
        db_session: Db,
        clock: Now,
        data: JSONBody[ChairScheduleReplace],
    ) -> list[ChairTerm]:
        """Replace the whole schedule with explicit terms or a generated rotation.

        Unchanged terms keep their activities; removing or changing a term that has activities is a 409.
        """
        async with writing(db_session):
            terms = await services.replace_schedule(db_session, data, actor=request.user, now=clock.now())
        return [ChairTerm.of(t) for t in terms]

    @get("/activities", exclude_from_auth=True)
    async def list_activities(
        self,
        db_session: Db,
        start: Annotated[date | None, day_parameter("from")] = None,
        end: Annotated[date | None, day_parameter("to")] = None,
        limit: BatchLimit = 200,
        offset: Offset = 0,
    ) -> list[ChairActivity]:
        """The public calendar: activities held from `from` to `to` (both inclusive), by date."""
        start, end = bounded_day(start, "from"), bounded_day(end, "to")
        activities = await services.list_activities(db_session, start=start, end=end, limit=limit, offset=offset)
        return [ChairActivity.of(a) for a in activities]

    @post("/activities", guards=[requires_committee])
    async def create_activity(
        self,
        request: Request[Any, Any, Any],
        db_session: Db,
        clock: Now,
        data: JSONBody[ChairActivityCreate],
    ) -> ChairActivity:
        """Put a joint activity on the calendar; it belongs to the term covering its date (422 if none)."""
        async with writing(db_session):
            activity = await services.create_activity(db_session, data, actor=request.user, now=clock.now())
        return ChairActivity.of(activity)


ALLIANCE_HANDLERS: list[type[Controller]] = [
    AllianceController,
    StreetController,
    CommunityController,
    OrganizationController,
    ApplicationController,
    ChairController,
]
