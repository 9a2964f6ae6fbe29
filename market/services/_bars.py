"""What bars an organisation from claiming (揭榜): a 不合格 grade for a while, the committee's watch list (活动异常).

Both are distinct from suspension (`alliances`' organisation status), which takes an organisation out of the
marketplace altogether (no offerings, no orders, no needs, no claims) and says nothing in public about why. A bar
stops claims only, is public with its reason on the organisation's record, and each has its own end:
- a project the organisation led graded 不合格 bars it from the grading moment until the start (Beijing time) of the
  day `fail_bar_days` after the grading day. It is read from the project's grade and closing time, so it ends by
  itself, at the same instant on every read; nothing is stored or ticked.
- the committee places an organisation on the watch list with a reason and lifts it with a reason; it bars until
  lifted. One open stay per organisation, held by a partial unique index as well as by the lock taken here.

`claim_bars` is what the claim form shows and `check_may_claim` is what every door into a claim (leading, being
invited, accepting, submitting) asks, so the page and the writes say the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from market import notify
from market.audit import record
from market.grading import Grade
from market.kernel.clock import SHANGHAI, as_utc, local_date
from market.kernel.db import lock
from market.kernel.errors import Forbidden, NotFound, StateConflict
from market.models import Organization, Project, User, WatchEntry
from market.states import ProjectStatus


class BarKind(StrEnum):
    """Why an organisation may not claim for now."""

    GRADE = "grade"
    WATCH_LIST = "watch_list"


@dataclass(frozen=True, slots=True)
class ClaimBar:
    """One bar in force: its kind, why, since when and (for a grade) the day the organisation may claim again."""

    organization_id: int
    kind: BarKind
    since: datetime
    reason: str  # the committee's words (watch list); for a grade, the project's title
    until: date | None  # the first day it may claim again (Beijing), None while the watch list holds it
    project_id: int | None = None


def grade_bar_ends(graded_at: datetime, fail_bar_days: int) -> date:
    """The first day (Beijing time) on which an organisation graded 不合格 at `graded_at` may claim again."""
    return local_date(graded_at) + timedelta(days=fail_bar_days)


def _start_of(day: date) -> datetime:
    """The UTC instant at which a Beijing day begins."""
    return as_utc(datetime.combine(day, time(), tzinfo=SHANGHAI))


def _watch_bar(entry: WatchEntry) -> ClaimBar:
    return ClaimBar(entry.organization_id, BarKind.WATCH_LIST, as_utc(entry.placed_at), entry.reason, None)


def _grade_bar(
    org_id: int, project_id: int, title: str, graded_at: datetime, *, now: datetime, fail_bar_days: int
) -> ClaimBar | None:
    """The bar a 不合格 grade given at `graded_at` puts on its lead organisation, if it is still in force at `now`."""
    graded = as_utc(graded_at)
    until = grade_bar_ends(graded, fail_bar_days)
    if until <= local_date(now):
        return None
    return ClaimBar(org_id, BarKind.GRADE, graded, title, until, project_id)


async def claim_bars(
    db: AsyncSession, org_ids: Iterable[int], *, now: datetime, fail_bar_days: int
) -> dict[int, list[ClaimBar]]:
    """The bars in force at `now` on each of the organisations (those with none are absent): two queries."""
    ids = sorted(set(org_ids))
    if not ids:
        return {}
    # Graded on or after this instant (the start of the Beijing day `fail_bar_days - 1` days before today) still bars:
    # the SQL twin of `_grade_bar`'s test, so that only grades that may bar are read.
    cutoff = _start_of(local_date(now) - timedelta(days=fail_bar_days - 1))
    failed = await db.execute(
        select(Project.organization_id, Project.id, Project.title, Project.closed_at)
        .where(
            Project.organization_id.in_(ids),
            Project.status == ProjectStatus.CLOSED,
            Project.grade == Grade.FAIL.value,
            Project.closed_at >= cutoff,
        )
        .order_by(Project.closed_at.desc(), Project.id.desc())
    )
    watched = await db.scalars(
        select(WatchEntry).where(WatchEntry.organization_id.in_(ids), WatchEntry.lifted_at.is_(None))
    )
    found: dict[int, list[ClaimBar]] = {}
    for entry in watched:
        found.setdefault(entry.organization_id, []).append(_watch_bar(entry))
    for org_id, project_id, title, closed_at in failed:
        # closed_at is never null here: the query asked for closed_at >= cutoff.
        bar = _grade_bar(org_id, project_id, title, cast(datetime, closed_at), now=now, fail_bar_days=fail_bar_days)
        if bar is not None:
            found.setdefault(org_id, []).append(bar)
    return found


def record_bars(
    org_id: int, led: Iterable[Project], history: Iterable[WatchEntry], *, now: datetime, fail_bar_days: int
) -> list[ClaimBar]:
    """The bars in force at `now`, worked out from what an organisation's record has already read (the projects it
    led, its watch-list history) rather than asked of the database again: the same rule as `claim_bars`."""
    found = [_watch_bar(e) for e in history if e.lifted_at is None]
    for p in led:
        if p.status == ProjectStatus.CLOSED and p.grade == Grade.FAIL.value and p.closed_at is not None:
            bar = _grade_bar(org_id, p.id, p.title, p.closed_at, now=now, fail_bar_days=fail_bar_days)
            if bar is not None:
                found.append(bar)
    return found


def refusal(bar: ClaimBar, org_name: str, *, field: str | None = None) -> Forbidden:
    """The answer to a claim a bar stops: which organisation, why, and since or until when."""
    if bar.kind is BarKind.WATCH_LIST:
        return Forbidden(
            "error.claim_barred_watch_list",
            field=field,
            extra={"bar": bar.kind.value, "organization_id": bar.organization_id},
            org_name=org_name,
            why=bar.reason,
            since=local_date(bar.since).isoformat(),
        )
    until = bar.until.isoformat() if bar.until else ""
    return Forbidden(
        "error.claim_barred_grade",
        field=field,
        extra={"bar": bar.kind.value, "organization_id": bar.organization_id, "until": until},
        org_name=org_name,
        project=bar.reason,
        until=until,
    )


def first_bar(bars: Sequence[ClaimBar]) -> ClaimBar | None:
    """The bar to name when several hold: the watch list (no end), else the grade that bars longest."""
    if not bars:
        return None
    return max(bars, key=lambda b: (b.kind is BarKind.WATCH_LIST, b.until or date.min))


async def bar_on(db: AsyncSession, org: Organization, *, now: datetime, fail_bar_days: int) -> ClaimBar | None:
    """The bar to tell the organisation about, if it may not claim at `now` (what `check_may_claim` refuses with)."""
    bars = await claim_bars(db, [org.id], now=now, fail_bar_days=fail_bar_days)
    return first_bar(bars.get(org.id, []))


async def check_may_claim(
    db: AsyncSession, orgs: Sequence[Organization], *, now: datetime, fail_bar_days: int, field: str
) -> None:
    """Refuse (403, with the reason) if any of the organisations is barred from claiming at `now`."""
    bars = await claim_bars(db, [o.id for o in orgs], now=now, fail_bar_days=fail_bar_days)
    for org in sorted(orgs, key=lambda o: o.id):
        bar = first_bar(bars.get(org.id, []))
        if bar is not None:
            raise refusal(bar, org.name, field=field)


# The watch list -------------------------------------------------------------------------------------------------


async def watch_history(db: AsyncSession, org_id: int) -> list[WatchEntry]:
    """Every stay of the organisation on the watch list, newest first."""
    stmt = (
        select(WatchEntry)
        .where(WatchEntry.organization_id == org_id)
        .order_by(WatchEntry.placed_at.desc(), WatchEntry.id.desc())
    )
    return list((await db.scalars(stmt)).all())


async def watched(db: AsyncSession, org_ids: Iterable[int]) -> set[int]:
    """Which of the organisations are on the watch list now: one query, for a list of them."""
    ids = sorted(set(org_ids))
    if not ids:
        return set()
    stmt = select(WatchEntry.organization_id).where(WatchEntry.organization_id.in_(ids), WatchEntry.lifted_at.is_(None))
    return set((await db.scalars(stmt)).all())


async def open_entry(db: AsyncSession, org_id: int) -> WatchEntry | None:
    """The organisation's stay on the watch list that has not been lifted, if any."""
    stmt = select(WatchEntry).where(WatchEntry.organization_id == org_id, WatchEntry.lifted_at.is_(None))
    return (await db.scalars(stmt)).first()


async def _locked_org(db: AsyncSession, org_id: int) -> Organization:
    org = await lock(db, Organization, org_id)
    if org is None:
        raise NotFound("error.no_such_organisation")
    return org


async def _told(db: AsyncSession, entry: WatchEntry, *, placed: bool, actor: User, now: datetime) -> None:
    """Audit a placing or a lifting with its reason, and tell the organisation's members."""
    await db.flush()
    words = entry.reason if placed else entry.lift_reason
    before, after = ("clear", "watch_list") if placed else ("watch_list", "clear")
    org_id = entry.organization_id
    await record(
        db,
        at=now,
        actor=actor,
        entity="organization",
        entity_id=org_id,
        action="watch_list_place" if placed else "watch_list_lift",
        before=before,
        after=after,
        data={"entry": entry.id, "reason": words},
    )
    key = "watch_list.placed" if placed else "watch_list.lifted"
    await notify.to_orgs(db, [org_id], key, {"reason": words}, link=f"/organizations/{org_id}")


async def place(db: AsyncSession, org_id: int, reason: str, *, actor: User, now: datetime) -> WatchEntry:
    """Put the organisation on the watch list (409 if it is on it already); audited, and its members told."""
    org = await _locked_org(db, org_id)
    words = reason.strip()
    if await open_entry(db, org.id) is not None:
        raise StateConflict("error.already_on_watch_list", org_name=org.name)
    entry = WatchEntry(organization_id=org.id, reason=words, placed_at=now, placed_by_id=actor.id, lift_reason="")
    db.add(entry)
    # The organisation's row lock (SQLite's write lock) serialises placements, so a second one finds this entry; the
    # partial unique index would refuse it anyway (an IntegrityError, which answers 409).
    await _told(db, entry, placed=True, actor=actor, now=now)
    return entry


async def lift(db: AsyncSession, org_id: int, reason: str, *, actor: User, now: datetime) -> WatchEntry:
    """Take the organisation off the watch list (409 if it is not on it); audited, and its members told."""
    org = await _locked_org(db, org_id)
    words = reason.strip()
    entry = await open_entry(db, org.id)
    if entry is None:
        raise StateConflict("error.not_on_watch_list", org_name=org.name)
    entry.lifted_at, entry.lifted_by_id, entry.lift_reason = now, actor.id, words
    await _told(db, entry, placed=False, actor=actor, now=now)
    return entry
