"""The points cycle (积分): an entry is proposed by the event that earns it or by a secretary or organiser with
evidence, reviewed by the committee (approve, amend with a reason, reject with a reason), posted for public notice
(公示) in which its holder or anyone may object, and counted when the notice ends with no objection upheld.

Every status change goes through `market.transitions.move` against `market.states.POINT_TRANSITIONS`. The end of
notice is stored before any read by the tick (`count_due`, asked through `due_entries` by `market.flows.due_now`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final, Literal

from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from market import phones, privacy
from market.audit import SYSTEM, Actor, record
from market.kernel.clock import as_utc
from market.kernel.db import lock
from market.kernel.errors import Forbidden, InvalidInput, NotFound, StateConflict
from market.models import Organization, PointEntry, PointObjection, Role, User
from market.schemas._points import EntryCreate
from market.services._points._rules import HOLDER_OF, MOST_POINTS, HolderKind, RuleCode, stored_current
from market.states import ObjectionStatus, PointStatus
from market.transitions import move

# Where an entry came from; `manual` is a secretary's or organiser's proposal with evidence.
SOURCES: Final = ("signup", "project", "report", "order", "feedback", "manual")
NO_ENTRY: Final = "error.no_such_points_entry"
# Entries the public may see: reviewed and posted, whatever came of them since.
PUBLIC_STATES: Final = frozenset({PointStatus.POSTED, PointStatus.COUNTED, PointStatus.REVERSED})

Decision = Literal["approve", "amend", "reject"]


async def _exists_for(db: AsyncSession, source: str, source_id: int, code: RuleCode) -> bool:
    stmt = select(PointEntry.id).where(
        PointEntry.source == source, PointEntry.source_id == source_id, PointEntry.rule_code == code.value
    )
    return (await db.scalar(stmt.limit(1))) is not None


async def _propose(
    db: AsyncSession,
    code: RuleCode,
    *,
    organization_id: int | None,
    resident_hash: str | None,
    holder_name: str,
    source: str,
    source_id: int | None,
    evidence: str,
    actor: Actor,
    proposer_id: int | None,
    now: datetime,
) -> PointEntry | None:
    rules = await stored_current(db, now)
    worth = int(rules.points.get(code.value, 0))
    if worth == 0:
        return None  # the committee has set this rule to nothing: no entry to review
    entry = PointEntry(
        organization_id=organization_id,
        resident_hash=resident_hash,
        holder_name=holder_name,
        rule_code=code.value,
        rule_version_id=rules.id,
        proposed_points=worth,
        points=worth,
        status=PointStatus.PROPOSED,
        source=source,
        source_id=source_id,
        evidence=evidence,
        proposed_by_id=proposer_id,
        proposed_at=now,
    )
    db.add(entry)
    await db.flush()
    await record(
        db,
        at=now,
        actor=actor,
        entity="point_entry",
        entity_id=entry.id,
        action="propose",
        after=PointStatus.PROPOSED,
        data={"rule": code.value, "version": rules.version, "points": worth, "source": source, "source_id": source_id},
    )
    return entry


async def propose_for_event(
    db: AsyncSession,
    code: RuleCode,
    *,
    source: str,
    source_id: int,
    organization_id: int | None = None,
    resident_hash: str | None = None,
    holder_name: str,
    evidence: str,
    actor: Actor,
    now: datetime,
) -> PointEntry | None:
    """Propose the entry an earning event makes, in the event's own transaction (the caller holds its lock).

    Idempotent per event and rule: an attendance ticked again proposes nothing new. A resident whose number is
    already erased (no keyed hash) earns nothing, since nobody could ever see or claim the points.
    """
    if organization_id is None and resident_hash is None:
        return None
    if await _exists_for(db, source, source_id, code):
        return None
    return await _propose(
        db,
        code,
        organization_id=organization_id,
        resident_hash=resident_hash,
        holder_name=holder_name,
        source=source,
        source_id=source_id,
        evidence=evidence,
        actor=actor,
        proposer_id=None,
        now=now,
    )


async def propose_by_hand(db: AsyncSession, data: EntryCreate, *, actor: User, now: datetime) -> PointEntry:
    """A secretary or an organiser proposes an entry with evidence: for an organisation (not their own) or for a
    resident named by mobile number (kept only as its keyed hash) and name (kept only masked)."""
    if actor.role not in (Role.SECRETARY, Role.ORG):
        raise Forbidden("error.points_proposed_by_secretary_or_organiser")
    code, organization_id = data.rule, data.organization_id
    kind = HOLDER_OF[code]
    if kind is HolderKind.ORGANIZATION:
        if organization_id is None:
            raise InvalidInput("error.points_rule_needs_organisation", field="organization_id")
        if organization_id == actor.organization_id:
            raise Forbidden("error.points_not_for_own_organisation")
        org = await db.get(Organization, organization_id)
        if org is None:
            raise InvalidInput("error.no_such_organisation", field="organization_id")
        org_id, resident_hash, holder_name = org.id, None, org.name
    else:
        number = phones.normalise(data.phone or "")
        if number is None:
            raise InvalidInput("error.points_rule_needs_resident", field="phone")
        clean = (data.name or "").strip()
        if not clean:
            raise InvalidInput("error.points_rule_needs_resident", field="name")
        keys = privacy.of(db).keys
        org_id, resident_hash, holder_name = None, keys.digest(number), phones.mask_name(clean)
    entry = await _propose(
        db,
        code,
        organization_id=org_id,
        resident_hash=resident_hash,
        holder_name=holder_name,
        source="manual",
        source_id=None,
        evidence=data.evidence.strip(),
        actor=actor,
        proposer_id=actor.id,
        now=now,
    )
    if entry is None:
        raise StateConflict("error.points_rule_worth_nothing", code=code.value)
    return entry


# Review ------------------------------------------------------------------------------------------------------


async def _locked(db: AsyncSession, entry_id: int) -> PointEntry:
    entry = await lock(db, PointEntry, entry_id)
    if entry is None:
        raise NotFound(NO_ENTRY)
    return entry


async def _decide(
    db: AsyncSession,
    entry: PointEntry,
    decision: Decision,
    points: int | None,
    reason: str,
    *,
    actor: User,
    now: datetime,
    notice_days: int,
) -> PointEntry:
    reason = reason.strip()
    before_points = entry.points
    if decision == "amend":
        if points is None:
            raise InvalidInput("error.points_amend_needs_points", field="points")
        if not -MOST_POINTS <= points <= MOST_POINTS:
            raise InvalidInput("error.points_out_of_range", field="points", code=entry.rule_code, most=MOST_POINTS)
        if points == entry.points:
            raise InvalidInput("error.points_amend_changes_nothing", field="points")
    if decision in ("amend", "reject") and not reason:
        raise InvalidInput("error.reason_must_contain_words", field="reason")
    target = PointStatus.REJECTED if decision == "reject" else PointStatus.POSTED
    if decision == "amend" and points is not None:
        entry.points = points
    entry.review_reason = reason
    entry.reviewed_by_id = actor.id
    entry.reviewed_at = now
    if target is PointStatus.POSTED:
        entry.notice_ends_at = now + timedelta(days=notice_days)
    else:
        entry.decided_at = now
    await move(
        db,
        entry,
        target,
        entity="point_entry",
        action=decision,
        actor=actor,
        now=now,
        data={"points": entry.points, "was": before_points, "reason": reason, "notice_days": notice_days},
        what="points_entry",
    )
    return entry


async def review(
    db: AsyncSession,
    entry_id: int,
    decision: Decision,
    *,
    points: int | None,
    reason: str,
    actor: User,
    now: datetime,
    notice_days: int,
) -> PointEntry:
    """The committee approves, amends (with a reason) or rejects (with a reason) one proposed entry."""
    entry = await _locked(db, entry_id)
    return await _decide(db, entry, decision, points, reason, actor=actor, now=now, notice_days=notice_days)


async def review_many(
    db: AsyncSession,
    entry_ids: Sequence[int],
    decision: Literal["approve", "reject"],
    *,
    reason: str,
    actor: User,
    now: datetime,
    notice_days: int,
) -> list[PointEntry]:
    """The committee approves or rejects a batch of proposed entries at once: all of them, or (on any refusal)
    none. Locked in id order, so two batches that overlap never deadlock."""
    ids = sorted(set(entry_ids))  # an id ticked twice is reviewed once
    stmt = (
        select(PointEntry)
        .where(PointEntry.id.in_(ids))
        .order_by(PointEntry.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found = list((await db.scalars(stmt)).all())
    if len(found) != len(ids):
        raise NotFound(NO_ENTRY)
    return [await _decide(db, e, decision, None, reason, actor=actor, now=now, notice_days=notice_days) for e in found]


# Notice and objections --------------------------------------------------------------------------------------


def in_notice(entry: PointEntry, now: datetime) -> bool:
    """Whether the entry is posted and its notice period still running."""
    return (
        entry.status == PointStatus.POSTED and entry.notice_ends_at is not None and now < as_utc(entry.notice_ends_at)
    )


async def lodge(
    db: AsyncSession, entry_id: int, name: str, grounds: str, *, viewer: User | None, now: datetime
) -> PointObjection:
    """Anyone, the holder included, objects to a posted entry during its notice period."""
    entry = await _locked(db, entry_id)
    if entry.status not in PUBLIC_STATES:
        raise NotFound(NO_ENTRY)
    if not in_notice(entry, now):
        raise StateConflict("error.points_notice_over")
    o = PointObjection(entry_id=entry.id, lodged_by_id=viewer.id if viewer else None, name=name, grounds=grounds)
    db.add(o)
    await db.flush()
    await record(
        db,
        at=now,
        actor=viewer or SYSTEM,
        entity="point_entry",
        entity_id=entry.id,
        action="object",
        before=entry.status,
        after=entry.status,
        data={"objection": o.id},
    )
    return o


async def resolve(
    db: AsyncSession, objection_id: int, uphold: bool, resolution: str, *, actor: User, now: datetime
) -> PointObjection:
    """The committee upholds an open objection (the entry is reversed and never counts) or dismisses it (the entry
    counts at once if its notice is over and no other objection is open)."""
    found = await db.get(PointObjection, objection_id)
    if found is None:
        raise NotFound("error.no_such_objection")
    entry = await _locked(db, found.entry_id)
    o = await lock(db, PointObjection, objection_id)
    assert o is not None  # noqa: S101 - found above; objections are never deleted
    o.resolution = resolution.strip()
    o.resolved_by_id = actor.id
    o.resolved_at = now
    target = ObjectionStatus.UPHELD if uphold else ObjectionStatus.DISMISSED
    await move(
        db,
        o,
        target,
        entity="point_objection",
        action=target.value,
        actor=actor,
        now=now,
        data={"entry": entry.id, "resolution": o.resolution},
        what="objection",
    )
    if uphold:
        entry.decided_at = now
        await move(
            db,
            entry,
            PointStatus.REVERSED,
            entity="point_entry",
            action="reverse",
            actor=actor,
            now=now,
            data={"objection": o.id},
            what="points_entry",
        )
    else:
        await _count_if_due(db, entry, now, at=now)
    return o


def _no_open_objection() -> ColumnElement[bool]:
    return ~exists().where(PointObjection.entry_id == PointEntry.id, PointObjection.status == ObjectionStatus.OPEN)


def due_entries(now: datetime) -> Select[int]:
    """Posted entries whose notice has ended with no objection open: due to count. An index probe on
    ix_point_entries_status_notice_ends."""
    return select(PointEntry.id).where(
        PointEntry.status == PointStatus.POSTED, PointEntry.notice_ends_at <= now, _no_open_objection()
    )


async def _count_if_due(db: AsyncSession, entry: PointEntry, now: datetime, *, at: datetime) -> bool:
    if entry.status != PointStatus.POSTED or entry.notice_ends_at is None or now < as_utc(entry.notice_ends_at):
        return False
    pending = await db.scalar(
        select(PointObjection.id)
        .where(PointObjection.entry_id == entry.id, PointObjection.status == ObjectionStatus.OPEN)
        .limit(1)
    )
    if pending is not None:
        return False
    entry.decided_at = at
    await move(
        db,
        entry,
        PointStatus.COUNTED,
        entity="point_entry",
        action="count",
        actor=SYSTEM,
        now=now,
        data={"notice_ended": as_utc(entry.notice_ends_at).isoformat()},
        what="points_entry",
    )
    return True


async def count_due(db: AsyncSession, now: datetime) -> int:
    """Count every entry whose notice has ended with no objection open (the tick, inside its write). Each counts as
    of the end of its notice; locked in id order and idempotent, so racing ticks count each once."""
    ids = list((await db.scalars(due_entries(now).order_by(PointEntry.id))).all())
    if not ids:
        return 0
    stmt = (
        select(PointEntry)
        .where(PointEntry.id.in_(ids))
        .order_by(PointEntry.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    counted = 0
    for entry in (await db.scalars(stmt)).all():
        if entry.notice_ends_at is not None and await _count_if_due(db, entry, now, at=as_utc(entry.notice_ends_at)):
            counted += 1
    return counted
