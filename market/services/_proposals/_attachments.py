"""Proposals' attachments: added to and removed from drafts, downloaded as their proposal is seen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from market import attachments as files
from market.audit import record, record_read
from market.kernel.errors import NotFound, StateConflict
from market.models import Attachment, User
from market.services._proposals._claims import lock_own, open_for_claims
from market.services._proposals._sealing import visible
from market.settings import Settings
from market.states import ProposalStatus

# Attachments -----------------------------------------------------------------------------------------------


async def attach(
    db: AsyncSession, proposal_id: int, filename: str, content: bytes, *, actor: User, now: datetime, settings: Settings
) -> Attachment:
    """Attach a checked file to a draft (the file is sealed with the proposal)."""
    p, task = await lock_own(db, proposal_id, actor, now)
    open_for_claims(task)
    if p.status != ProposalStatus.DRAFT:
        raise StateConflict("error.attachments_added_drafts_only")
    if len(p.attachments) >= settings.max_attachments_per_proposal:
        raise StateConflict(
            "error.too_many_attachments", max_attachments_per_proposal=settings.max_attachments_per_proposal
        )
    checked = files.check(filename, content, max_bytes=settings.max_attachment_bytes)
    files.store(settings.attachments_dir, checked, content)
    attachment = Attachment(
        proposal_id=p.id,
        filename=checked.filename,
        content_type=checked.content_type,
        size_bytes=checked.size,
        sha256=checked.sha256,
        uploaded_by_id=actor.id,
    )
    db.add(attachment)
    await db.flush()
    await record(
        db,
        at=now,
        actor=actor,
        entity="proposal",
        entity_id=p.id,
        action="attach",
        before=p.status,
        after=p.status,
        data={"attachment": attachment.id, "sha256": checked.sha256, "name": checked.filename},
    )
    return attachment


async def detach(db: AsyncSession, proposal_id: int, attachment_id: int, *, actor: User, now: datetime) -> None:
    """Remove an attachment from a draft."""
    p, task = await lock_own(db, proposal_id, actor, now)
    open_for_claims(task)
    if p.status != ProposalStatus.DRAFT:
        raise StateConflict("error.attachments_removed_from_drafts")
    attachment = next((a for a in p.attachments if a.id == attachment_id), None)
    if attachment is None:
        raise NotFound("error.no_such_attachment")
    await db.delete(attachment)
    await record(
        db,
        at=now,
        actor=actor,
        entity="proposal",
        entity_id=p.id,
        action="detach",
        before=p.status,
        after=p.status,
        data={"attachment": attachment_id},
    )


async def attachment_for(
    db: AsyncSession, proposal_id: int, attachment_id: int, *, viewer: User | None, now: datetime
) -> Attachment:
    """An attachment to download, visible exactly when its proposal is; every download is audited, by anyone."""
    p = await visible(db, proposal_id, viewer=viewer, now=now)
    attachment = next((a for a in p.attachments if a.id == attachment_id), None)
    if attachment is None or viewer is None:
        raise NotFound("error.no_such_attachment")
    data = {"attachment": attachment.id, "sha256": attachment.sha256}
    await record_read(db, at=now, actor=viewer, entity="proposal", entity_id=p.id, action="download", data=data)
    return attachment
