"""Append-only audit entries, in a chain that cannot be rewritten unnoticed.

Each entry's hash is an HMAC-SHA256, keyed with a secret kept outside the database (`JIEBANG_AUDIT_KEY`, or
var/audit_key), over the previous entry's hash and the entry's canonical JSON: editing or deleting an entry breaks
the chain, and re-hashing it after an edit needs the key. The head (length and last hash) is published outside
the database by `jiebang audit anchor`; `verify` checks the chain against every published anchor, so dropping the
newest entries and rolling the head back is caught as soon as an anchor covers what was dropped.

The recorder, the actors and the two tables live in the shared kernel (`market.kernel.audit`), so that `alliances`
writes with it too; this module verifies and anchors the chain and names the key a session without one uses.
"""

from __future__ import annotations

import hmac
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from market.kernel.audit import (
    GENESIS,
    KEY_INFO,
    PUBLIC,
    SYSTEM,
    Actor,
    AuditEntry,
    AuditHead,
    PublicActor,
    SystemActor,
    canonical,
    entry_hash,
    fields_of,
    key_of,
    record,
    record_many,
    record_read,
    use_default_key,
)
from market.kernel.clock import as_utc
from market.settings import get_settings

__all__ = [
    "GENESIS",
    "KEY_INFO",
    "PUBLIC",
    "SYSTEM",
    "Actor",
    "Anchor",
    "AnchorFileUnreadable",
    "PublicActor",
    "SystemActor",
    "VerifyResult",
    "anchor",
    "canonical",
    "entry_hash",
    "fields_of",
    "key_of",
    "publish",
    "read_anchors",
    "record",
    "record_many",
    "record_read",
    "verify",
    "verify_published",
]

# A session the app did not open (the command line, the demo loader, tests) signs with the process settings' key.
use_default_key(lambda: get_settings().effective_audit_key())


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
