"""/tasks/{id}/award, /tasks/{id}/dossier, /awards, /objections (承榜, 评审档案 and 公示), and /tick."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from market import flows
from market.kernel.db import writing
from market.models import Objection as ObjectionModel
from market.models import User
from market.params import Config, Db, Now, PathId, Viewer
from market.schemas._awards import (
    AwardCreate,
    AwardedOrg,
    AwardNotice,
    Objection,
    ObjectionCreate,
    ObjectionReceipt,
    Resolution,
    TickReport,
)
from market.schemas._dossiers import TaskDossiers
from market.security import requires_committee
from market.services import awards, dossiers, scoring
from market.states import InvitationStatus, ObjectionStatus


def notice(v: awards.AwardView) -> AwardNotice:
    """The public notice of an award; objectors are never named."""
    a = v.award
    return AwardNotice(
        id=a.id,
        task_id=a.task_id,
        task_title=v.task.title,
        proposal_id=a.proposal_id,
        status=v.status,
        organizations=[
            AwardedOrg(
                m.organization_id,
                m.organization.name,
                "lead" if m.invitation == InvitationStatus.LEAD else "partner",
            )
            for m in v.proposal.members
            if m.invitation in scoring.ON_PROPOSAL
        ],
        requested_budget_fen=v.proposal.requested_budget_fen,
        score=f"{v.score:.2f}" if v.score is not None else None,
        rank=a.rank_at_award,
        reason=a.reason,
        awarded_at=a.awarded_at,
        notice_ends_at=a.notice_ends_at,
        decided_at=a.decided_at,
        objections=v.objections,
        open_objections=v.open_objections,
    )


def _objection(o: ObjectionModel) -> Objection:
    return Objection(
        id=o.id,
        award_id=o.award_id,
        task_id=o.task_id,
        name=o.name,
        contact=o.contact,
        grounds=o.grounds,
        lodged_by_id=o.lodged_by_id,
        lodged_at=o.created_at,
        status=ObjectionStatus(o.status),
        resolution=o.resolution,
        resolved_by_id=o.resolved_by_id,
        resolved_at=o.resolved_at,
    )


class TaskAwardController(Controller):
    """Awarding a task, and its public notice."""

    path = "/tasks/{task_id:int}"
    tags = ["awards"]

    @post("/award", guards=[requires_committee], status_code=HTTP_200_OK)
    async def award(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        settings: Config,
        task_id: PathId,
        data: JSONBody[AwardCreate],
    ) -> AwardNotice:
        """Award (承榜) a qualified proposal once the panel is complete; the public notice period begins."""
        now = clock.now()
        async with writing(db_session):
            a = await flows.award(
                db_session,
                task_id,
                data.proposal_id,
                data.reason,
                actor=request.user,
                now=now,
                notice_days=settings.notice_days,
            )
        return notice(await awards.notice(db_session, a.id, now=now))

    @get("/award", exclude_from_auth=True)
    async def standing(self, db_session: Db, clock: Now, viewer: Viewer, task_id: PathId) -> AwardNotice:
        """The award standing for the task (in notice or confirmed); 404 if none."""
        return notice(await awards.standing_notice(db_session, task_id, viewer=viewer, now=clock.now()))

    @get("/awards", exclude_from_auth=True)
    async def history(self, db_session: Db, clock: Now, viewer: Viewer, task_id: PathId) -> list[AwardNotice]:
        """Every award the task has had, newest first, revoked ones included."""
        return [notice(v) for v in await awards.awards_of(db_session, task_id, viewer=viewer, now=clock.now())]

    @get("/dossier", exclude_from_auth=True)
    async def dossier(self, db_session: Db, viewer: Viewer, task_id: PathId) -> TaskDossiers:
        """The award dossiers (评审档案), newest award first: each as published when its notice period began, with
        what was appended since (a dismissed objection, a revocation); 404 until the first award."""
        return await dossiers.dossiers_of(db_session, task_id, viewer=viewer)


class AwardController(Controller):
    """An award's notice and the objections to it."""

    path = "/awards"
    tags = ["awards"]

    @get("/{award_id:int}", exclude_from_auth=True)
    async def get_one(self, db_session: Db, clock: Now, award_id: PathId) -> AwardNotice:
        """The public notice (公示)."""
        return notice(await awards.notice(db_session, award_id, now=clock.now()))

    @post("/{award_id:int}/objections", exclude_from_auth=True)
    async def lodge(
        self, db_session: Db, clock: Now, viewer: Viewer, award_id: PathId, data: JSONBody[ObjectionCreate]
    ) -> ObjectionReceipt:
        """Object (异议) during the notice period; anyone may, signed in or not."""
        async with writing(db_session):
            o = await flows.lodge(db_session, award_id, data, viewer=viewer, now=clock.now())
        return ObjectionReceipt(o.id, o.award_id, ObjectionStatus(o.status), o.created_at)

    @get("/{award_id:int}/objections", guards=[requires_committee])
    async def list_objections(self, db_session: Db, award_id: PathId) -> list[Objection]:
        """Every objection with who lodged it (the committee only)."""
        return [_objection(o) for o in await awards.objections_of(db_session, award_id)]


class ObjectionController(Controller):
    """The committee resolves objections."""

    path = "/objections"
    tags = ["awards"]
    guards = [requires_committee]

    @post("/{objection_id:int}/uphold", status_code=HTTP_200_OK)
    async def uphold(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        objection_id: PathId,
        data: JSONBody[Resolution],
    ) -> Objection:
        """Uphold: the award is revoked and the task returns to review."""
        async with writing(db_session):
            o = await flows.resolve(
                db_session, objection_id, True, data.resolution, actor=request.user, now=clock.now()
            )
        return _objection(o)

    @post("/{objection_id:int}/dismiss", status_code=HTTP_200_OK)
    async def dismiss(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        objection_id: PathId,
        data: JSONBody[Resolution],
    ) -> Objection:
        """Dismiss; once the notice period is over and nothing is open, the award is confirmed at once."""
        async with writing(db_session):
            o = await flows.resolve(
                db_session, objection_id, False, data.resolution, actor=request.user, now=clock.now()
            )
        return _objection(o)


class TickController(Controller):
    """Apply what time has made due, now (the CLI's `jiebang tick` does the same)."""

    path = "/tick"
    tags = ["awards"]

    @post("/", guards=[requires_committee], status_code=HTTP_200_OK)
    async def tick(self, db_session_as_stored: Db, clock: Now) -> TickReport:
        """Deadlines and ends of notice periods, in one transaction (reads store them too; this reports the rest)."""
        # The stored session: with the catch-up every other request gets, there would be nothing left to report.
        async with writing(db_session_as_stored):
            report = await flows.tick(db_session_as_stored, clock.now())
        return TickReport(report.reviewing, report.unclaimed, report.confirmed)
