"""/points (积分制): the rules and their versions, entries and their review, objections, balances, the year's
table, statements and their verification; /organizations/{id}/points and /signups/{id}/points."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from alliances import services as alliance_services
from alliances.phones import mask_name
from market.kernel.clock import local_date
from market.kernel.db import writing
from market.kernel.errors import NotFound
from market.models import PointEntry, Role, Signup, User
from market.params import Config, Db, Limit, Now, Offset, PathId, Viewer
from market.schemas._points import (
    Amendment,
    BatchApproval,
    BatchRejection,
    Entry,
    EntryCreate,
    EntryPage,
    Holding,
    ObjectionCreate,
    ObjectionReceipt,
    Rejection,
    RuleLine,
    RulesEdit,
    RulesVersion,
    Ruling,
    Statement,
    Verification,
    YearLine,
    YearTable,
)
from market.security import requires, requires_committee
from market.services import classes, points
from market.settings import Settings
from market.states import ObjectionStatus, PointStatus

Year = Annotated[int | None, QueryParameter(ge=2000, le=2100)]
Code = Annotated[str, QueryParameter(min_length=1, max_length=100)]
Token = Annotated[str, QueryParameter(max_length=200)]


def rules_view(r: points.Rules) -> RulesVersion:
    """One version of the rules."""
    lines = [RuleLine(code, points.HOLDER_OF[code], r.worth(code)) for code in points.RuleCode]
    return RulesVersion(version=r.version, rules=lines, reason=r.reason, made_at=r.made_at)


def entry_view(e: PointEntry, versions: dict[int, int]) -> Entry:
    """An entry as the API shows it: a resident only by their masked name."""
    return Entry(
        id=e.id,
        holder=points.HolderKind.ORGANIZATION if e.organization_id is not None else points.HolderKind.RESIDENT,
        organization_id=e.organization_id,
        holder_name=e.holder_name,
        rule=points.RuleCode(e.rule_code),
        rule_version=versions.get(e.rule_version_id, 0),
        proposed_points=e.proposed_points,
        points=e.points,
        status=PointStatus(e.status),
        source=e.source,
        evidence=e.evidence,
        proposed_at=e.proposed_at,
        review_reason=e.review_reason,
        reviewed_at=e.reviewed_at,
        notice_ends_at=e.notice_ends_at,
        decided_at=e.decided_at,
    )


async def entry_views(db: Db, entries: list[PointEntry]) -> list[Entry]:
    """Entries with the version number each cites: one statement for them all."""
    versions = await points.versions_by_id(db, {e.rule_version_id for e in entries})
    return [entry_view(e, versions) for e in entries]


async def _reviewed(
    db: AsyncSession,
    entry_id: int,
    decision: points.Decision,
    amount: int | None,
    reason: str,
    actor: User,
    now: datetime,
    settings: Settings,
) -> Entry:
    """One committee decision on one proposed entry, in its own transaction, as the API shows the entry after."""
    async with writing(db):
        e = await points.review(
            db,
            entry_id,
            decision,
            points=amount,
            reason=reason,
            actor=actor,
            now=now,
            notice_days=settings.points_notice_days,
        )
    return (await entry_views(db, [e]))[0]


class PointsController(Controller):
    """The rules are public and edited by the committee; entries are proposed by events or by hand, reviewed by the
    committee, posted for notice and counted."""

    path = "/points"
    tags = ["points"]

    @get("/rules", exclude_from_auth=True)
    async def rules(self, db_session: Db) -> RulesVersion:
        """The rules in force (积分规则): what earns or costs how many points, for organisations and residents."""
        return rules_view(await points.current_rules(db_session))

    @get("/rules/versions", exclude_from_auth=True)
    async def versions(self, db_session: Db) -> list[RulesVersion]:
        """Every version of the rules, newest first."""
        return [rules_view(r) for r in await points.rule_history(db_session)]

    @post("/rules", guards=[requires_committee], status_code=HTTP_201_CREATED)
    async def edit(
        self, request: Request[User, Any, Any], db_session: Db, clock: Now, data: JSONBody[RulesEdit]
    ) -> RulesVersion:
        """Publish a new version of the rules; entries already made keep the version that valued them."""
        async with writing(db_session):
            await points.edit_rules(
                db_session, msgspec.structs.asdict(data.points), data.reason, actor=request.user, now=clock.now()
            )
        return rules_view(await points.current_rules(db_session))

    @get("/entries", exclude_from_auth=True)
    async def entries(
        self,
        db_session: Db,
        viewer: Viewer,
        status: FromQuery[PointStatus | None] = None,
        organization_id: Annotated[int | None, QueryParameter(ge=1, le=2**53)] = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> EntryPage:
        """Entries: the public sees those reviewed and posted (公示) and what came of them; the committee every one,
        its queue being `status=proposed` (oldest first)."""
        total, rows = await points.entries_page(
            db_session, viewer=viewer, status=status, organization_id=organization_id, limit=limit, offset=offset
        )
        return EntryPage(total=total, items=await entry_views(db_session, rows))

    @get("/entries/{entry_id:int}", exclude_from_auth=True)
    async def entry(self, db_session: Db, viewer: Viewer, entry_id: PathId) -> Entry:
        """One entry (404 for one not yet posted, to all but the committee)."""
        e = await points.get_entry(db_session, entry_id, viewer=viewer)
        return (await entry_views(db_session, [e]))[0]

    @post("/entries", guards=[requires(Role.SECRETARY, Role.ORG)], status_code=HTTP_201_CREATED)
    async def propose(
        self, request: Request[User, Any, Any], db_session: Db, clock: Now, data: JSONBody[EntryCreate]
    ) -> Entry:
        """A secretary or organiser proposes an entry with evidence, for review by the committee."""
        async with writing(db_session):
            e = await points.propose_by_hand(db_session, data, actor=request.user, now=clock.now())
        return (await entry_views(db_session, [e]))[0]

    @post("/entries/{entry_id:int}/approve", guards=[requires_committee], status_code=HTTP_200_OK)
    async def approve(
        self, request: Request[User, Any, Any], db_session: Db, clock: Now, settings: Config, entry_id: PathId
    ) -> Entry:
        """Approve a proposed entry as it stands: it is posted for the notice period (公示)."""
        return await _reviewed(db_session, entry_id, "approve", None, "", request.user, clock.now(), settings)

    @post("/entries/{entry_id:int}/amend", guards=[requires_committee], status_code=HTTP_200_OK)
    async def amend(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        settings: Config,
        entry_id: PathId,
        data: JSONBody[Amendment],
    ) -> Entry:
        """Approve a proposed entry with other points, for a stated reason: it is posted for the notice period."""
        return await _reviewed(
            db_session, entry_id, "amend", data.points, data.reason, request.user, clock.now(), settings
        )

    @post("/entries/{entry_id:int}/reject", guards=[requires_committee], status_code=HTTP_200_OK)
    async def reject(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        settings: Config,
        entry_id: PathId,
        data: JSONBody[Rejection],
    ) -> Entry:
        """Reject a proposed entry, for a stated reason: it never counts."""
        return await _reviewed(db_session, entry_id, "reject", None, data.reason, request.user, clock.now(), settings)

    @post("/entries/approve", guards=[requires_committee], status_code=HTTP_200_OK, problems=[404])
    async def approve_many(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        settings: Config,
        data: JSONBody[BatchApproval],
    ) -> list[Entry]:
        """Approve several proposed entries at once: all of them, or none if any cannot be (404 if one does not
        exist, 409 if one is no longer proposed)."""
        async with writing(db_session):
            rows = await points.review_many(
                db_session,
                data.entry_ids,
                "approve",
                reason="",
                actor=request.user,
                now=clock.now(),
                notice_days=settings.points_notice_days,
            )
        return await entry_views(db_session, rows)

    @post("/entries/reject", guards=[requires_committee], status_code=HTTP_200_OK, problems=[404])
    async def reject_many(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        settings: Config,
        data: JSONBody[BatchRejection],
    ) -> list[Entry]:
        """Reject several proposed entries with one reason: all of them, or none if any cannot be."""
        async with writing(db_session):
            rows = await points.review_many(
                db_session,
                data.entry_ids,
                "reject",
                reason=data.reason,
                actor=request.user,
                now=clock.now(),
                notice_days=settings.points_notice_days,
            )
        return await entry_views(db_session, rows)

    @post("/entries/{entry_id:int}/objections", exclude_from_auth=True, status_code=HTTP_201_CREATED)
    async def lodge(
        self, db_session: Db, clock: Now, viewer: Viewer, entry_id: PathId, data: JSONBody[ObjectionCreate]
    ) -> ObjectionReceipt:
        """Object (异议) to a posted entry during its notice period; anyone may, its holder included."""
        async with writing(db_session):
            o = await points.lodge(db_session, entry_id, data.name, data.grounds, viewer=viewer, now=clock.now())
        return ObjectionReceipt(o.id, o.entry_id, ObjectionStatus(o.status))

    @post("/objections/{objection_id:int}/uphold", guards=[requires_committee], status_code=HTTP_200_OK)
    async def uphold(
        self, request: Request[User, Any, Any], db_session: Db, clock: Now, objection_id: PathId, data: JSONBody[Ruling]
    ) -> ObjectionReceipt:
        """Uphold an objection: the entry is reversed and never counts."""
        async with writing(db_session):
            o = await points.resolve(
                db_session, objection_id, True, data.resolution, actor=request.user, now=clock.now()
            )
        return ObjectionReceipt(o.id, o.entry_id, ObjectionStatus(o.status))

    @post("/objections/{objection_id:int}/dismiss", guards=[requires_committee], status_code=HTTP_200_OK)
    async def dismiss(
        self, request: Request[User, Any, Any], db_session: Db, clock: Now, objection_id: PathId, data: JSONBody[Ruling]
    ) -> ObjectionReceipt:
        """Dismiss an objection: the entry counts once its notice is over and no other objection is open."""
        async with writing(db_session):
            o = await points.resolve(
                db_session, objection_id, False, data.resolution, actor=request.user, now=clock.now()
            )
        return ObjectionReceipt(o.id, o.entry_id, ObjectionStatus(o.status))

    @get("/table", exclude_from_auth=True)
    async def table(
        self, db_session: Db, clock: Now, year: Year = None, limit: Limit = 20, offset: Offset = 0
    ) -> YearTable:
        """Organisations by the points counted in a year (this year by default, Asia/Shanghai), most first."""
        chosen = year or local_date(clock.now()).year
        total, rows = await points.year_table(db_session, chosen, limit=limit, offset=offset)
        return YearTable(
            year=chosen, total=total, items=[YearLine(r.organization_id, r.name, r.points, r.entries) for r in rows]
        )

    @get("/statement", guards=[requires(Role.ORG)])
    async def statement(
        self, request: Request[User, Any, Any], db_session: Db, clock: Now, settings: Config
    ) -> Statement:
        """Your organisation's points statement for today, with its verification code."""
        org_id = request.user.organization_id
        assert org_id is not None  # noqa: S101 - an organisation's account always names it
        return await org_statement(db_session, org_id, clock.now(), settings)

    @get("/verify", exclude_from_auth=True, problems=[404])
    async def verify(self, db_session: Db, settings: Config, code: Code) -> Verification:
        """Check a statement's code: the holder's masked name, the balance and the date, and nothing else; 404 for a
        code this service did not issue."""
        v = await points.verify(db_session, settings.effective_points_key(), code)
        return Verification(v.holder, v.points, v.day)


def statement_of(holder_name: str, ref: str, counted: int, now: datetime, settings: Settings) -> Statement:
    """A statement of a counted balance as of today (Asia/Shanghai), its code keyed with the settings' points key."""
    day = local_date(now)
    code = points.statement_code(settings.effective_points_key(), ref, counted, day)
    return Statement(points.mask_holder(holder_name), counted, day, code, settings.points_partner_rule)


async def org_statement(db: AsyncSession, org_id: int, now: datetime, settings: Settings) -> Statement:
    """An organisation's statement as of today."""
    org = await alliance_services.get_organization(db, org_id)
    held = await points.balance(db, organization_id=org.id)
    return statement_of(org.name, f"O{org.id}", held.counted, now, settings)


async def resident_statement(db: AsyncSession, signup: Signup, now: datetime, settings: Settings) -> Statement:
    """A resident's statement as of today, named by their newest reviewed entry; 404 if they have none."""
    ref = await points.resident_ref(db, signup.phone_hash) if signup.phone_hash else None
    if ref is None or ref.resident_hash is None:
        raise NotFound("error.points_nothing_to_state")
    held = await points.balance(db, resident_hash=ref.resident_hash)
    return statement_of(ref.holder_name, f"R{ref.id}", held.counted, now, settings)


async def holding(
    db: AsyncSession, *, organization_id: int | None = None, resident_hash: str | None = None, name: str
) -> Holding:
    """A holder's balance with their newest reviewed entries."""
    if organization_id is None and resident_hash is None:
        return Holding(holder_name=name, counted=0, pending=0, entries=[])
    held = await points.balance(db, organization_id=organization_id, resident_hash=resident_hash)
    rows = await points.history(db, organization_id=organization_id, resident_hash=resident_hash)
    return Holding(holder_name=name, counted=held.counted, pending=held.pending, entries=await entry_views(db, rows))


class OrganizationPointsController(Controller):
    """An organisation's points on its public record."""

    path = "/organizations/{org_id:int}/points"
    tags = ["points"]

    @get("/", exclude_from_auth=True)
    async def get_points(self, db_session: Db, org_id: PathId) -> Holding:
        """Counted points, points in notice, and the newest reviewed entries."""
        org = await alliance_services.get_organization(db_session, org_id)
        return await holding(db_session, organization_id=org.id, name=org.name)


class SignupPointsController(Controller):
    """A resident's points, through their own sign-up link (keyed to their number's keyed hash)."""

    path = "/signups/{signup_id:int}/points"
    tags = ["points"]

    @get("/", exclude_from_auth=True)
    async def get_points(self, db_session: Db, signup_id: PathId, token: Token) -> Holding:
        """The resident's counted and pending points and newest entries (a wrong token answers 404)."""
        s, _ = await classes.view_signup(db_session, signup_id, token)
        return await holding(db_session, resident_hash=s.phone_hash, name=mask_name(s.name))

    @get("/statement", exclude_from_auth=True)
    async def statement(
        self, db_session: Db, clock: Now, settings: Config, signup_id: PathId, token: Token
    ) -> Statement:
        """The resident's points statement for today, with its verification code."""
        s, _ = await classes.view_signup(db_session, signup_id, token)
        return await resident_statement(db_session, s, clock.now(), settings)
