"""/proposals and /tasks/{id}/proposals: claims (揭榜), sealed until the deadline."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, JSONBody
from litestar.response import File
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from market import attachments as files
from market import flows
from market.kernel.db import writing
from market.models import User
from market.params import Config, Db, Now, PathId, Viewer
from market.schemas._proposals import (
    AttachmentInfo,
    AttachmentUpload,
    InvitationAnswer,
    Proposal,
    ProposalCreate,
    ProposalUpdate,
    QualificationDecision,
)
from market.security import requires_committee, requires_org
from market.services import dossiers, proposals


class TaskProposalController(Controller):
    """Claiming a task."""

    path = "/tasks/{task_id:int}/proposals"
    tags = ["proposals"]

    @get("/", exclude_from_auth=True)
    async def list_for_task(self, db_session: Db, clock: Now, viewer: Viewer, task_id: PathId) -> list[Proposal]:
        """Before the deadline an organisation sees only its own; after it the committee and the panel see all.

        A read of proposals by anyone not on them is audited, one entry per proposal.
        """
        rows = await proposals.for_task(db_session, task_id, viewer=viewer, now=clock.now())
        await proposals.record_reads(db_session, rows, viewer=viewer, now=clock.now())
        return [Proposal.of(p) for p in rows]

    @post("/", guards=[requires_org])
    async def create(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        settings: Config,
        task_id: PathId,
        data: JSONBody[ProposalCreate],
    ) -> Proposal:
        """Claim the task with a draft proposal, alone or inviting partners (an organisation barred from claiming by
        a 不合格 grade or the watch list is refused, 403, with the reason)."""
        async with writing(db_session):
            p = await proposals.create(
                db_session, task_id, data, actor=request.user, now=clock.now(), fail_bar_days=settings.fail_bar_days
            )
        return Proposal.of(p)


class ProposalController(Controller):
    """One proposal: edit, invite, submit, withdraw, attach; qualification by the committee."""

    path = "/proposals"
    tags = ["proposals"]

    @get("/mine", guards=[requires_org])
    async def mine(self, request: Request[User, Any, Any], db_session: Db) -> list[Proposal]:
        """Every proposal my organisation is on, as lead or partner."""
        return [Proposal.of(p) for p in await proposals.mine(db_session, viewer=request.user)]

    @get("/{proposal_id:int}", exclude_from_auth=True)
    async def get_one(self, db_session: Db, clock: Now, viewer: Viewer, proposal_id: PathId) -> Proposal:
        """A proposal, if you may see it; otherwise 404, as if it did not exist.

        A read by anyone not on it is audited.
        """
        p = await proposals.visible(db_session, proposal_id, viewer=viewer, now=clock.now())
        await proposals.record_reads(db_session, [p], viewer=viewer, now=clock.now())
        view = Proposal.of(p)
        debrief = await dossiers.debrief(db_session, p, viewer)
        return view if debrief is None else msgspec.structs.replace(view, debrief=debrief)

    @patch("/{proposal_id:int}", guards=[requires_org])
    async def update(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        settings: Config,
        proposal_id: PathId,
        data: JSONBody[ProposalUpdate],
    ) -> Proposal:
        """Edit a draft (lead organisation only)."""
        async with writing(db_session):
            p = await proposals.update_draft(
                db_session, proposal_id, data, actor=request.user, now=clock.now(), fail_bar_days=settings.fail_bar_days
            )
        return Proposal.of(p)

    @post("/{proposal_id:int}/invitation", guards=[requires_org], status_code=HTTP_200_OK)
    async def answer_invitation(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        settings: Config,
        proposal_id: PathId,
        data: JSONBody[InvitationAnswer],
    ) -> Proposal:
        """A partner accepts or declines the invitation to a joint claim."""
        async with writing(db_session):
            p = await proposals.answer_invitation(
                db_session,
                proposal_id,
                data.accept,
                actor=request.user,
                now=clock.now(),
                fail_bar_days=settings.fail_bar_days,
            )
        return Proposal.of(p)

    @post("/{proposal_id:int}/submit", guards=[requires_org], status_code=HTTP_200_OK)
    async def submit(
        self, request: Request[User, Any, Any], db_session: Db, clock: Now, settings: Config, proposal_id: PathId
    ) -> Proposal:
        """Submit before the deadline (every partner must have accepted, and none be barred from claiming)."""
        async with writing(db_session):
            p = await proposals.submit(
                db_session, proposal_id, actor=request.user, now=clock.now(), fail_bar_days=settings.fail_bar_days
            )
        return Proposal.of(p)

    @post("/{proposal_id:int}/withdraw", guards=[requires_org], status_code=HTTP_200_OK)
    async def withdraw(
        self, request: Request[User, Any, Any], db_session: Db, clock: Now, proposal_id: PathId
    ) -> Proposal:
        """Withdraw before the deadline."""
        async with writing(db_session):
            p = await proposals.withdraw(db_session, proposal_id, actor=request.user, now=clock.now())
        return Proposal.of(p)

    @post("/{proposal_id:int}/qualification", guards=[requires_committee], status_code=HTTP_200_OK)
    async def qualify(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        proposal_id: PathId,
        data: JSONBody[QualificationDecision],
    ) -> Proposal:
        """Qualify, or disqualify with a reason, after the deadline."""
        async with writing(db_session):
            p = await flows.qualify(
                db_session, proposal_id, data.qualified, data.reason, actor=request.user, now=clock.now()
            )
        return Proposal.of(p)

    @post("/{proposal_id:int}/attachments", guards=[requires_org])
    async def attach(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        settings: Config,
        proposal_id: PathId,
        # A model rather than a bare UploadFile: Litestar answers a multipart body without a file part with a 500
        # for the bare type, and a 400 naming the field for the model.
        data: Annotated[AttachmentUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> AttachmentInfo:
        """Attach a PDF, image or office file to a draft (multipart field `data`)."""
        content = await data.data.read()
        async with writing(db_session):
            a = await proposals.attach(
                db_session,
                proposal_id,
                data.data.filename or "",
                content,
                actor=request.user,
                now=clock.now(),
                settings=settings,
            )
        return AttachmentInfo(a.id, a.filename, a.content_type, a.size_bytes, a.sha256)

    @get(
        "/{proposal_id:int}/attachments/{attachment_id:int}",
        exclude_from_auth=True,
        file_types={content_type for content_type, _ in files.ALLOWED.values()},
    )
    async def download(
        self,
        db_session: Db,
        clock: Now,
        viewer: Viewer,
        settings: Config,
        proposal_id: PathId,
        attachment_id: PathId,
    ) -> File:
        """Download an attachment (sealed exactly like its proposal)."""
        a = await proposals.attachment_for(db_session, proposal_id, attachment_id, viewer=viewer, now=clock.now())
        return File(
            path=files.path_for(settings.attachments_dir, a.sha256),
            filename=a.filename,
            media_type=a.content_type,
            content_disposition_type="attachment",
        )

    @delete(
        "/{proposal_id:int}/attachments/{attachment_id:int}", guards=[requires_org], status_code=HTTP_204_NO_CONTENT
    )
    async def detach(
        self, request: Request[User, Any, Any], db_session: Db, clock: Now, proposal_id: PathId, attachment_id: PathId
    ) -> None:
        """Remove an attachment from a draft."""
        async with writing(db_session):
            await proposals.detach(db_session, proposal_id, attachment_id, actor=request.user, now=clock.now())
