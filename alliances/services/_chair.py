"""The rotating chair (轮值主席): the schedule of terms, who chairs on a date, and the activity calendar."""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from msgspec import UnsetType
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alliances import schemas
from alliances.models import (
    Alliance,
    ChairActivity,
    ChairTerm,
)
from alliances.rotation import ScheduleError, Term, rotate, validate_schedule
from alliances.services._checks import clean_name
from market.kernel.audit import Actor, record
from market.kernel.errors import InvalidInput, StateConflict

# The chair schedule is one thing with no row of its own; its audit entries use this id.
SCHEDULE_ENTITY_ID: Final = 0


async def schedule(db: AsyncSession, *, today: date) -> tuple[list[ChairTerm], ChairTerm | None]:
    """Every term in date order, each with its alliance (same query), and the one covering `today`."""
    terms = list((await db.execute(select(ChairTerm).order_by(ChairTerm.starts_on))).unique().scalars())
    return terms, next((t for t in terms if t.starts_on <= today <= t.ends_on), None)


async def term_on(db: AsyncSession, day: date) -> ChairTerm | None:
    """The term covering a date, if any (on a valid schedule there is at most one)."""
    stmt = (
        select(ChairTerm)
        .where(ChairTerm.starts_on <= day, ChairTerm.ends_on >= day)
        .order_by(ChairTerm.starts_on)
        .limit(1)
    )
    return (await db.execute(stmt)).unique().scalar_one_or_none()


def requested_terms(data: schemas.ChairScheduleReplace) -> tuple[list[Term], str]:
    """The terms a replacement asks for, checked for overlaps, gaps and reversed dates; and the field they came from."""
    rotation, explicit = data.rotation, data.terms
    if isinstance(rotation, UnsetType) == isinstance(explicit, UnsetType):
        raise InvalidInput("error.give_either_terms_rotation", field="terms")
    field = "terms" if isinstance(rotation, UnsetType) else "rotation"
    try:
        if not isinstance(rotation, UnsetType):
            terms = rotate(rotation.order, rotation.first_day, rotation.months_per_term, rotation.count)
        else:
            terms = [Term(t.alliance_code, t.starts_on, t.ends_on) for t in explicit or ()]
        validate_schedule(terms)
    except ScheduleError as exc:
        raise InvalidInput(exc.key, field=field, **exc.params) from exc
    except (OverflowError, ValueError) as exc:
        # A generated date past year 9999.
        raise InvalidInput("error.date_out_range", field=field) from exc
    return terms, field


async def replace_schedule(
    db: AsyncSession, data: schemas.ChairScheduleReplace, *, actor: Actor, now: datetime
) -> list[ChairTerm]:
    """Replace the whole schedule.

    A term identical to an existing one (same alliance and dates) is kept, with its activities. Any other
    existing term is removed, which is refused (409) if an activity is attached to it: activities belong to
    the alliance that chaired when they were held, and silently moving them would rewrite that record.
    """
    terms, field = requested_terms(data)
    codes = {term.alliance_code for term in terms}
    alliances = {a.code: a for a in (await db.execute(select(Alliance).where(Alliance.code.in_(codes)))).scalars()}
    unknown = sorted(codes - alliances.keys())
    if unknown:
        raise InvalidInput("error.no_such_alliances", field=field, unknown=", ".join(unknown))

    existing = list(
        (await db.execute(select(ChairTerm).order_by(ChairTerm.starts_on).with_for_update(of=ChairTerm)))
        .unique()
        .scalars()
    )
    wanted = {(alliances[t.alliance_code].id, t.starts_on, t.ends_on) for t in terms}
    kept = {
        (t.alliance_id, t.starts_on, t.ends_on): t
        for t in existing
        if (t.alliance_id, t.starts_on, t.ends_on) in wanted
    }
    removed = [t for t in existing if (t.alliance_id, t.starts_on, t.ends_on) not in kept]
    if removed:
        busy = (
            await db.execute(
                select(ChairTerm.starts_on, ChairTerm.ends_on)
                .join(ChairActivity, ChairActivity.term_id == ChairTerm.id)
                .where(ChairTerm.id.in_([old.id for old in removed]))
                .distinct()
                .order_by(ChairTerm.starts_on)
            )
        ).all()
        if busy:
            spans = ", ".join(f"{starts}~{ends}" for starts, ends in busy)
            raise StateConflict(
                "error.terms_activities_cannot_removed",
                field=field,
                spans=spans,
            )
        for old in removed:
            await db.delete(old)
        # Deletions must reach the database before inserts reuse their (unique) start and end dates.
        await db.flush()

    result: list[ChairTerm] = []
    for term in terms:
        alliance = alliances[term.alliance_code]
        row = kept.get((alliance.id, term.starts_on, term.ends_on))
        if row is None:
            row = ChairTerm(alliance_id=alliance.id, alliance=alliance, starts_on=term.starts_on, ends_on=term.ends_on)
            db.add(row)
        result.append(row)
    await db.flush()
    result.sort(key=lambda t: t.starts_on)
    await record(
        db,
        at=now,
        actor=actor,
        entity="chair_schedule",
        entity_id=SCHEDULE_ENTITY_ID,
        action="replace",
        before=f"{len(existing)} terms",
        after=f"{len(result)} terms",
        data={
            "terms": [{"alliance": t.alliance.code, "starts_on": t.starts_on, "ends_on": t.ends_on} for t in result],
            "kept": len(kept),
            "removed": len(removed),
        },
    )
    return result


async def list_activities(
    db: AsyncSession, *, start: date | None, end: date | None, limit: int, offset: int
) -> list[ChairActivity]:
    """The calendar: activities held between two dates (inclusive), by date."""
    if start is not None and end is not None and end < start:
        raise InvalidInput("error.to_before_from", field="to")
    stmt = select(ChairActivity).order_by(ChairActivity.held_on, ChairActivity.id).limit(limit).offset(offset)
    if start is not None:
        stmt = stmt.where(ChairActivity.held_on >= start)
    if end is not None:
        stmt = stmt.where(ChairActivity.held_on <= end)
    return list((await db.execute(stmt)).unique().scalars())


async def create_activity(
    db: AsyncSession, data: schemas.ChairActivityCreate, *, actor: Actor, now: datetime
) -> ChairActivity:
    """An activity on the calendar, attached to the term that covers its date (422 if none does)."""
    title = clean_name(data.title, field="title")
    term = await term_on(db, data.held_on)
    if term is None:
        raise InvalidInput("error.no_chair_term_covers_date", field="held_on", held_on=data.held_on)
    activity = ChairActivity(
        term_id=term.id,
        term=term,
        title=title,
        held_on=data.held_on,
        place=data.place.strip(),
        description=data.description,
    )
    db.add(activity)
    await db.flush()
    await record(
        db,
        at=now,
        actor=actor,
        entity="chair_activity",
        entity_id=activity.id,
        action="create",
        data={"title": title, "held_on": data.held_on, "term_id": term.id, "alliance": term.alliance.code},
    )
    return activity
