"""What points add up to: a holder's balance and history, the year's table of organisations, and a holder's
statement with a verification code a partner can check.

Only counted entries make a balance; entries in notice are shown beside it as pending. Every read here is a fixed
number of statements, whatever the history holds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Final

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from alliances.models import Organization
from market.kernel.clock import SHANGHAI
from market.kernel.errors import NotFound
from market.models import PointEntry
from market.services._points._entries import PUBLIC_STATES
from market.states import PointStatus

HISTORY: Final = 50
CODE_MAC_CHARS: Final = 20  # 100 bits of HMAC-SHA256: not guessable
CODE: Final = re.compile(r"^([OR])([1-9][0-9]{0,15})\.(-?[0-9]{1,9})\.([0-9]{8})\.([A-Z2-7]{20})$")


@dataclass(frozen=True, slots=True)
class Balance:
    """Counted points, and points posted and still in notice (not yet counted)."""

    counted: int
    pending: int


@dataclass(frozen=True, slots=True)
class YearRow:
    """One organisation's counted points in a year."""

    organization_id: int
    name: str
    points: int
    entries: int


def _holder(organization_id: int | None, resident_hash: str | None) -> ColumnElement[bool]:
    if organization_id is not None:
        return PointEntry.organization_id == organization_id
    return PointEntry.resident_hash == resident_hash


async def balance(db: AsyncSession, *, organization_id: int | None = None, resident_hash: str | None = None) -> Balance:
    """A holder's counted and pending points: one statement."""
    counted = func.coalesce(func.sum(case((PointEntry.status == PointStatus.COUNTED, PointEntry.points), else_=0)), 0)
    pending = func.coalesce(func.sum(case((PointEntry.status == PointStatus.POSTED, PointEntry.points), else_=0)), 0)
    stmt = select(counted, pending).where(
        _holder(organization_id, resident_hash),
        PointEntry.status.in_([PointStatus.COUNTED, PointStatus.POSTED]),
    )
    row = (await db.execute(stmt)).one()
    return Balance(int(row[0]), int(row[1]))


async def history(
    db: AsyncSession, *, organization_id: int | None = None, resident_hash: str | None = None, limit: int = HISTORY
) -> list[PointEntry]:
    """A holder's reviewed entries, newest first (posted, counted or reversed): one statement."""
    stmt = (
        select(PointEntry)
        .where(_holder(organization_id, resident_hash), PointEntry.status.in_(PUBLIC_STATES))
        .order_by(PointEntry.id.desc())
        .limit(limit)
    )
    return list((await db.scalars(stmt)).all())


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The year's first and next year's first instant, in Shanghai time."""
    return (
        datetime.combine(date(year, 1, 1), time(0), tzinfo=SHANGHAI),
        datetime.combine(date(year + 1, 1, 1), time(0), tzinfo=SHANGHAI),
    )


async def year_table(db: AsyncSession, year: int, *, limit: int, offset: int) -> tuple[int, list[YearRow]]:
    """Organisations by the points counted in a year (Shanghai time), most first: two statements."""
    start, end = year_bounds(year)
    conds = (
        PointEntry.status == PointStatus.COUNTED,
        PointEntry.decided_at >= start,
        PointEntry.decided_at < end,
        PointEntry.organization_id.is_not(None),
    )
    total_points = func.sum(PointEntry.points)
    stmt = (
        select(PointEntry.organization_id, Organization.name, total_points, func.count(PointEntry.id))
        .join(Organization, Organization.id == PointEntry.organization_id)
        .where(*conds)
        .group_by(PointEntry.organization_id, Organization.name)
        .order_by(total_points.desc(), PointEntry.organization_id)
        .limit(limit)
        .offset(offset)
    )
    total = await db.scalar(select(func.count(func.distinct(PointEntry.organization_id))).where(*conds))
    rows = [YearRow(int(o or 0), n, int(p), int(c)) for o, n, p, c in (await db.execute(stmt)).all()]
    return int(total or 0), rows


async def resident_ref(db: AsyncSession, resident_hash: str) -> PointEntry | None:
    """The resident's newest reviewed entry: it names them (masked) on a statement."""
    stmt = (
        select(PointEntry)
        .where(PointEntry.resident_hash == resident_hash, PointEntry.status.in_(PUBLIC_STATES))
        .order_by(PointEntry.id.desc())
        .limit(1)
    )
    return (await db.scalars(stmt)).one_or_none()


# Statements ---------------------------------------------------------------------------------------------------


def mask_holder(name: str) -> str:
    """A holder's name as a statement's checker sees it: the first two and the last two characters (a resident's
    name is already masked, 张**, and stays so)."""
    if "*" in name:
        return name
    if len(name) <= 4:
        return name[:1] + "*" * max(len(name) - 1, 1)
    return name[:2] + "*" * (len(name) - 4) + name[-2:]


def _mac(key: bytes, ref: str, points: int, day: date) -> str:
    message = f"jiebang points statement|{ref}|{points}|{day.isoformat()}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:CODE_MAC_CHARS]


def statement_code(key: bytes, ref: str, points: int, day: date) -> str:
    """The verification code of a statement: the holder's reference, the balance and the date, and an HMAC over
    them keyed by a secret outside the database, so nobody without the key can make or alter one."""
    return f"{ref}.{points}.{day.strftime('%Y%m%d')}.{_mac(key, ref, points, day)}"


@dataclass(frozen=True, slots=True)
class Verified:
    """What a valid code confirms, and nothing else."""

    holder: str
    points: int
    day: date


async def verify(db: AsyncSession, key: bytes, code: str) -> Verified:
    """Check a statement's code; NotFound for anything not made with the key (or naming nobody)."""
    m = CODE.match(code.strip().upper())
    if m is None:
        raise NotFound("error.points_statement_not_valid")
    kind, ref_id, points_text, day_text, mac = m.groups()
    try:
        day = date(int(day_text[:4]), int(day_text[4:6]), int(day_text[6:]))
    except ValueError:
        raise NotFound("error.points_statement_not_valid") from None
    ref, points = f"{kind}{ref_id}", int(points_text)
    if not hmac.compare_digest(_mac(key, ref, points, day), mac):
        raise NotFound("error.points_statement_not_valid")
    if kind == "O":
        name = await db.scalar(select(Organization.name).where(Organization.id == int(ref_id)))
    else:
        name = await db.scalar(select(PointEntry.holder_name).where(PointEntry.id == int(ref_id)))
    if name is None:
        raise NotFound("error.points_statement_not_valid")
    return Verified(mask_holder(name), points, day)
