"""The points rules (积分规则): what earns or costs how many points, kept as immutable, audited versions.

The rule codes and whom each applies to are fixed here, because the earning events name them; the committee sets
how many points each is worth. The current rules are the newest stored version; until one is stored, the built-in
default below (version 1) is what the public page shows, and the first entry or edit that needs a stored version
writes exactly that default first (audited as the system's), so every entry cites a row and the default is reviewed
with the code rather than hidden in a migration that the suite's empty databases would not keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from market.audit import SYSTEM, record
from market.kernel.errors import InvalidInput, StateConflict
from market.models import PointRuleVersion, User
from market.models._points import MOST_POINTS, HolderKind, RuleCode

HOLDER_OF: Final[dict[RuleCode, HolderKind]] = {
    RuleCode.PROJECT_EXCELLENT: HolderKind.ORGANIZATION,
    RuleCode.PROJECT_GOOD: HolderKind.ORGANIZATION,
    RuleCode.PROJECT_PASS: HolderKind.ORGANIZATION,
    RuleCode.PROJECT_FAIL: HolderKind.ORGANIZATION,
    RuleCode.REPORT_ON_TIME: HolderKind.ORGANIZATION,
    RuleCode.ORDER_RATED_WELL: HolderKind.ORGANIZATION,
    RuleCode.CLASS_ATTENDED: HolderKind.RESIDENT,
    RuleCode.FEEDBACK_GIVEN: HolderKind.RESIDENT,
}

# The built-in first version: a project's grade weighs most (a failed one costs), steady reporting and services
# communities rate well earn a little each time; a resident earns for coming to a class, less for saying how a
# project went. Each 100 points is what a partner's rule (e.g. 积分贷) may count, so a good year's work for an
# organisation is a few hundred points, a resident's a few dozen.
DEFAULT_POINTS: Final[dict[RuleCode, int]] = {
    RuleCode.PROJECT_EXCELLENT: 100,
    RuleCode.PROJECT_GOOD: 60,
    RuleCode.PROJECT_PASS: 30,
    RuleCode.PROJECT_FAIL: -50,
    RuleCode.REPORT_ON_TIME: 5,
    RuleCode.ORDER_RATED_WELL: 10,
    RuleCode.CLASS_ATTENDED: 10,
    RuleCode.FEEDBACK_GIVEN: 2,
}
DEFAULT_REASON: Final = "default"
# A delivered order "rated well": 4 or 5 of 5.
RATED_WELL: Final = 4


@dataclass(frozen=True, slots=True)
class Rules:
    """One version of the rules as read: stored (with its row) or the built-in default not stored yet."""

    version: int
    points: dict[RuleCode, int]
    reason: str
    made_at: datetime | None
    made_by_id: int | None

    def worth(self, code: RuleCode) -> int:
        """Points the rule `code` gives (negative: costs)."""
        return self.points[code]


DEFAULT_RULES: Final = Rules(1, dict(DEFAULT_POINTS), DEFAULT_REASON, None, None)


def _rules_of(row: PointRuleVersion) -> Rules:
    points = {code: int(row.points.get(code.value, 0)) for code in RuleCode}
    return Rules(row.version, points, row.reason, row.made_at, row.made_by_id)


async def _newest(db: AsyncSession) -> PointRuleVersion | None:
    stmt = select(PointRuleVersion).order_by(PointRuleVersion.version.desc()).limit(1)
    return (await db.scalars(stmt)).one_or_none()


async def current_rules(db: AsyncSession) -> Rules:
    """The rules in force: the newest stored version, else the built-in default. One statement."""
    row = await _newest(db)
    return DEFAULT_RULES if row is None else _rules_of(row)


async def rule_history(db: AsyncSession) -> list[Rules]:
    """Every version, newest first (the default alone while none is stored). One statement."""
    rows = (await db.scalars(select(PointRuleVersion).order_by(PointRuleVersion.version.desc()))).all()
    return [_rules_of(r) for r in rows] or [DEFAULT_RULES]


async def versions_by_id(db: AsyncSession, ids: set[int]) -> dict[int, int]:
    """The version number of each stored rules row, by id."""
    if not ids:
        return {}
    rows = await db.execute(select(PointRuleVersion.id, PointRuleVersion.version).where(PointRuleVersion.id.in_(ids)))
    return {int(i): int(v) for i, v in rows}


async def _store_default(db: AsyncSession, now: datetime) -> None:
    """Write the built-in default as version 1 unless a version exists; concurrent first writers store it once."""
    values = {
        "version": 1,
        "points": {c.value: p for c, p in DEFAULT_POINTS.items()},
        "reason": DEFAULT_REASON,
        "made_by_id": None,
        "made_at": now,
        "created_at": now,
        "updated_at": now,
    }
    dialect = db.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(PointRuleVersion).values(**values).on_conflict_do_nothing(index_elements=["version"])
    result = await db.execute(stmt.returning(PointRuleVersion.id))
    new_id = result.scalar_one_or_none()
    if new_id is not None:
        await record(
            db,
            at=now,
            actor=SYSTEM,
            entity="point_rules",
            entity_id=new_id,
            action="default",
            after="1",
            data={"points": values["points"]},
        )


async def stored_current(db: AsyncSession, now: datetime) -> PointRuleVersion:
    """The current version's row, storing the built-in default first if no version is stored (inside a write)."""
    row = await _newest(db)
    if row is None:
        await _store_default(db, now)
        row = await _newest(db)
    assert row is not None  # noqa: S101 - stored just above, in this transaction
    return row


def check_points(points: dict[str, int]) -> dict[RuleCode, int]:
    """A whole table of points: every rule once, each within ±MOST_POINTS; InvalidInput naming the field if not."""
    unknown = sorted(set(points) - {c.value for c in RuleCode})
    if unknown:
        raise InvalidInput("error.points_rule_unknown", field="points", code=unknown[0])
    missing = [c.value for c in RuleCode if c.value not in points]
    if missing:
        raise InvalidInput("error.points_rule_missing", field="points", code=missing[0])
    for code, value in points.items():
        if not -MOST_POINTS <= value <= MOST_POINTS:
            raise InvalidInput("error.points_out_of_range", field="points", code=code, most=MOST_POINTS)
    return {RuleCode(c): v for c, v in points.items()}


async def edit_rules(
    db: AsyncSession, points: dict[str, int], reason: str, *, actor: User, now: datetime
) -> PointRuleVersion:
    """The committee publishes a new version of the rules; entries already made keep citing theirs."""
    table = check_points(points)
    current = await stored_current(db, now)
    if {RuleCode(c): int(v) for c, v in current.points.items()} == table:
        raise StateConflict("error.points_rules_unchanged")
    row = PointRuleVersion(
        version=current.version + 1,
        points={c.value: v for c, v in table.items()},
        reason=reason.strip(),
        made_by_id=actor.id,
        made_at=now,
    )
    db.add(row)
    await db.flush()
    await record(
        db,
        at=now,
        actor=actor,
        entity="point_rules",
        entity_id=row.id,
        action="edit",
        before=str(current.version),
        after=str(row.version),
        data={"points": row.points, "was": current.points, "reason": row.reason},
    )
    return row
