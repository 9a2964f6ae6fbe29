"""The audit recorder both domains write with: who acted, the hash-chained entries and the one head.

Each entry's hash is an HMAC-SHA256, keyed with a secret kept outside the database, over the previous entry's hash
and the entry's canonical JSON (`market/audit.py` verifies the chain and publishes its anchors). A write takes the
head row for update, so the chain never forks, and appends inside the caller's transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from market.kernel.clock import as_utc
from market.kernel.db import Base, writing

GENESIS = "0" * 64
# Where a session carries the app's audit key (`Session.info`); a session without one uses the default key.
KEY_INFO = "jiebang_audit_key"


class AuditEntry(Base):
    """Who changed what, when, from which state to which; chained to the entry before it by hash."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_entity", "entity", "entity_id"),)

    at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(40))
    before: Mapped[str] = mapped_column(String(30), default="")
    after: Mapped[str] = mapped_column(String(30), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The single row that holds the chain's last hash; writers lock it so the chain never forks."""

    __tablename__ = "audit_head"

    last_hash: Mapped[str] = mapped_column(String(64))
    length: Mapped[int] = mapped_column(BigInteger, default=0)


# --- who acts --------------------------------------------------------------------------------------------------


class Actor(Protocol):
    """Whoever acts: a signed-in account, the system, or a member of the public (id None)."""

    @property
    def id(self) -> int | None: ...

    @property
    def username(self) -> str: ...


@dataclass(frozen=True, slots=True)
class SystemActor:
    """The service itself, for transitions nobody requested (deadlines, ends of notice periods)."""

    id: int | None = None
    username: str = "system"


@dataclass(frozen=True, slots=True)
class PublicActor:
    """Someone without an account: the applicant on the public application form."""

    id: int | None = None
    username: str = "public"


SYSTEM = SystemActor()
PUBLIC = PublicActor()


# --- the key ---------------------------------------------------------------------------------------------------


@dataclass
class _DefaultKey:
    provider: Callable[[], bytes] | None = None


_default_key = _DefaultKey()


def use_default_key(provider: Callable[[], bytes]) -> None:
    """Name where the key comes from for a session that carries none (the composition root's settings)."""
    _default_key.provider = provider


def key_of(session: AsyncSession) -> bytes:
    """The audit key for writes and checks made through this session."""
    key = session.info.get(KEY_INFO)
    if isinstance(key, bytes):
        return key
    if _default_key.provider is None:
        raise RuntimeError("no audit key: the session carries none and no default key was named")
    return _default_key.provider()


# --- the chain -------------------------------------------------------------------------------------------------


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
