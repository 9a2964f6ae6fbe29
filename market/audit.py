"""Append-only audit entries, in a chain that cannot be rewritten unnoticed.

Each entry's hash is an HMAC-SHA256, keyed with a secret kept outside the database (`JIEBANG_AUDIT_KEY`, or
var/audit_key), over the previous entry's hash and the entry's canonical JSON: editing or deleting an entry breaks
the chain, and re-hashing it after an edit needs the key. The head (length and last hash) is published outside
the database by `jiebang audit anchor`; `verify` checks the chain against every published anchor, so dropping the
newest entries and rolling the head back is caught as soon as an anchor covers what was dropped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from market.kernel.clock import as_utc
from market.kernel.db import writing
from market.models import AuditEntry, AuditHead
from market.settings import get_settings

GENESIS = "0" * 64
# Where a session carries the app's audit key (`Session.info`); a session without one uses the process settings'.
KEY_INFO = "jiebang_audit_key"


def key_of(session: AsyncSession) -> bytes:
    """The audit key for writes and checks made through this session."""
    key = session.info.get(KEY_INFO)
    return key if isinstance(key, bytes) else get_settings().effective_audit_key()


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


def canonical(fields: dict[str, Any]) -> str:
    """An entry's fields as the one JSON text its hash covers."""
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(key: bytes, prev_hash: str, fields: dict[str, Any]) -> str:
    """HMAC-SHA256, keyed with the audit key, over the previous hash and the entry's canonical JSON."""
    return hmac.new(key, (prev_hash + canonical(fields)).encode(), hashlib.sha256).hexdigest()


def fields_of(entry: AuditEntry | Any) -> dict[str, Any]:
    """What an entry's hash covers, read back from a stored entry (or a row with the same columns)."""
    return _fields(
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


async def _head(session: AsyncSession) -> AuditHead:
    head = (await session.execute(select(AuditHead).with_for_update())).scalar_one_or_none()
    if head is None:
        head = AuditHead(last_hash=GENESIS, length=0)
        session.add(head)
    return head


def _append(
    session: AsyncSession,
    head: AuditHead,
    *,
    at: datetime,
    actor: Actor,
    entity: str,
    entity_id: int,
    action: str,
    before: str,
    after: str,
    data: dict[str, Any],
) -> AuditEntry:
    fields = _fields(at, actor.id, actor.username, entity, entity_id, action, before, after, data)
    digest = entry_hash(key_of(session), head.last_hash, fields)
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


def _plain(data: dict[str, Any] | None) -> dict[str, Any]:
    # Exactly what the JSON column gives back, so the hash computed now is the one recomputed later.
    plain: dict[str, Any] = json.loads(json.dumps(data or {}, ensure_ascii=False, default=str))
    return plain


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
    head = await _head(session)
    return _append(
        session,
        head,
        at=at,
        actor=actor,
        entity=entity,
        entity_id=entity_id,
        action=action,
        before=before,
        after=after,
        data=_plain(data),
    )


async def record_many(
    session: AsyncSession,
    *,
    at: datetime,
    actor: Actor,
    entity: str,
    entity_ids: Sequence[int],
    action: str,
    data: dict[str, Any] | None = None,
) -> None:
    """Append one entry per thing, taking the head once: the same statements however many there are."""
    head = await _head(session)
    plain = _plain(data)
    for entity_id in entity_ids:
        _append(
            session,
            head,
            at=at,
            actor=actor,
            entity=entity,
            entity_id=entity_id,
            action=action,
            before="",
            after="",
            data=dict(plain),
        )


async def record_read(
    session: AsyncSession,
    *,
    at: datetime,
    actor: Actor,
    entity: str,
    entity_id: int,
    action: str,
    data: dict[str, Any] | None = None,
) -> None:
    """Record that someone read something sensitive, in a write transaction of its own.

    Only the reads named in docs/design.md ("Audit") come here: on SQLite each is a write that queues behind others.
    """
    async with writing(session):
        await record(session, at=at, actor=actor, entity=entity, entity_id=entity_id, action=action, data=data)


@dataclass(frozen=True, slots=True)
class Anchor:
    """The chain's head as published outside the database: how many entries, the last one's hash, and when."""

    length: int
    hash: str
    at: str

    def line(self) -> str:
        """One JSON line, as appended to the anchor file."""
        return json.dumps({"length": self.length, "hash": self.hash, "at": self.at}, separators=(",", ":")) + "\n"


class AnchorFileUnreadable(ValueError):
    """A line of the anchor file is not an anchor: the file was damaged or edited."""


def read_anchors(path: Path) -> list[Anchor]:
    """Every anchor published to the file, oldest first (none if it does not exist yet)."""
    if not path.exists():
        return []
    anchors = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            found = Anchor(int(raw["length"]), str(raw["hash"]), str(raw["at"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise AnchorFileUnreadable(f"{path.name} line {number} is not an anchor") from exc
        if found.length < 0 or len(found.hash) != len(GENESIS):
            raise AnchorFileUnreadable(f"{path.name} line {number} is not an anchor")
        anchors.append(found)
    return anchors


def publish(path: Path, anchor: Anchor) -> None:
    """Append one anchor to the file (created with its folder if missing) and make it durable before returning."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, anchor.line().encode())
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """What `jiebang audit verify` found."""

    entries: int
    broken_at: int | None
    reason: str = ""
    # How many published anchors the chain was checked against.
    anchors: int = 0
    # The head as it stands (what `audit anchor` publishes when the chain is intact).
    head_hash: str = GENESIS

    @property
    def ok(self) -> bool:
        """Whether the whole chain checks out."""
        return self.broken_at is None


async def verify(session: AsyncSession, *, anchors: Sequence[Anchor] = (), key: bytes | None = None) -> VerifyResult:
    """Walk the chain in order, recompute every keyed hash, and hold it to every published anchor."""
    key = key if key is not None else key_of(session)
    expected: dict[int, list[Anchor]] = {}
    for anchor in anchors:
        expected.setdefault(anchor.length, []).append(anchor)
    for anchor in expected.get(0, []):
        if anchor.hash != GENESIS:
            return VerifyResult(0, -1, f"the anchor of {anchor.at} is not of this chain", len(anchors))
    prev = GENESIS
    count = 0
    result = await session.stream_scalars(select(AuditEntry).order_by(AuditEntry.id))
    async for entry in result:
        count += 1
        if entry.prev_hash != prev:
            return VerifyResult(
                count, entry.id, "prev_hash does not match the entry before (deleted or reordered)", len(anchors)
            )
        if not hmac.compare_digest(entry_hash(key, prev, fields_of(entry)), entry.hash):
            return VerifyResult(
                count, entry.id, "contents changed after they were written (or re-hashed without the key)", len(anchors)
            )
        for anchor in expected.get(count, []):
            if anchor.hash != entry.hash:
                reason = f"entry {count} differs from the anchor published at {anchor.at} (the chain was rewritten)"
                return VerifyResult(count, entry.id, reason, len(anchors))
        prev = entry.hash
    longest = max(expected, default=0)
    if longest > count:
        at = expected[longest][-1].at
        reason = f"the anchor published at {at} covers {longest} entries but the chain has {count} (truncated)"
        return VerifyResult(count, -1, reason, len(anchors), prev)
    head = (await session.execute(select(AuditHead))).scalar_one_or_none()
    if head is not None and (head.last_hash != prev or head.length != count):
        return VerifyResult(count, -1, "the newest entries were removed", len(anchors), prev)
    return VerifyResult(count, None, anchors=len(anchors), head_hash=prev)


async def verify_published(session: AsyncSession, path: Path) -> VerifyResult:
    """`verify` against every anchor in the anchor file; a damaged anchor file is itself a failure."""
    try:
        anchors = read_anchors(path)
    except AnchorFileUnreadable as exc:
        return VerifyResult(0, -1, str(exc))
    return await verify(session, anchors=anchors)


async def anchor(session: AsyncSession, path: Path, *, now: datetime) -> tuple[VerifyResult, Anchor | None]:
    """Publish the head to the anchor file, once the chain checks out against the key and every earlier anchor.

    A broken chain is not anchored: an anchor vouches for what it covers.
    """
    checked = await verify_published(session, path)
    if not checked.ok:
        return checked, None
    published = Anchor(checked.entries, checked.head_hash, as_utc(now).isoformat())
    publish(path, published)
    return checked, published
