"""Append-only audit entries, hash-chained so that any edit or deletion is detectable."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from market.clock import as_utc
from market.models import AuditEntry, AuditHead

GENESIS = "0" * 64


class Actor(Protocol):
    """Whoever acts: a user, or the system (id None)."""

    @property
    def id(self) -> int | None: ...

    @property
    def username(self) -> str: ...


@dataclass(frozen=True, slots=True)
class SystemActor:
    """The service itself, for transitions nobody requested (deadlines, ends of notice periods)."""

    id: int | None = None
    username: str = "system"


SYSTEM = SystemActor()


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the entry's canonical JSON."""
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _fields(
    at: datetime,
    actor_id: int | None,
    actor_label: str,
    entity: str,
    entity_id: int,
    action: str,
    before: str,
    after: str,
    data: dict[str, Any],
) -> dict[str, Any]:
    return {
        "at": as_utc(at).isoformat(),
        "actor_id": actor_id,
        "actor": actor_label,
        "entity": entity,
        "entity_id": entity_id,
        "action": action,
        "before": before,
        "after": after,
        "data": data,
    }


async def record(
    session: AsyncSession,
    *,
    at: datetime,
    actor: Actor,
    entity: str,
    entity_id: int,
    action: str,
    before: str = "",
    after: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the chain inside the caller's transaction."""
    data = json.loads(json.dumps(data or {}, ensure_ascii=False, default=str))
    head = (await session.execute(select(AuditHead).with_for_update())).scalar_one_or_none()
    if head is None:
        head = AuditHead(last_hash=GENESIS, length=0)
        session.add(head)
    fields = _fields(at, actor.id, actor.username, entity, entity_id, action, before, after, data)
    digest = entry_hash(head.last_hash, fields)
    entry = AuditEntry(
        at=at,
        actor_id=actor.id,
        actor_label=actor.username,
        entity=entity,
        entity_id=entity_id,
        action=action,
        before=before,
        after=after,
        data=data,
        prev_hash=head.last_hash,
        hash=digest,
    )
    session.add(entry)
    head.last_hash = digest
    head.length += 1
    return entry


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """What `jiebang audit verify` found."""

    entries: int
    broken_at: int | None
    reason: str = ""

    @property
    def ok(self) -> bool:
        """Whether the whole chain checks out."""
        return self.broken_at is None


async def verify(session: AsyncSession) -> VerifyResult:
    """Walk the chain in order and recompute every hash."""
    prev = GENESIS
    count = 0
    result = await session.stream_scalars(select(AuditEntry).order_by(AuditEntry.id))
    async for entry in result:
        count += 1
        if entry.prev_hash != prev:
            return VerifyResult(count, entry.id, "prev_hash does not match the entry before (deleted or reordered)")
        fields = _fields(
            entry.at,
            entry.actor_id,
            entry.actor_label,
            entry.entity,
            entry.entity_id,
            entry.action,
            entry.before,
            entry.after,
            entry.data,
        )
        if entry_hash(prev, fields) != entry.hash:
            return VerifyResult(count, entry.id, "contents changed after they were written")
        prev = entry.hash
    head = (await session.execute(select(AuditHead))).scalar_one_or_none()
    if head is not None and (head.last_hash != prev or head.length != count):
        return VerifyResult(count, -1, "the newest entries were removed")
    return VerifyResult(count, None)
