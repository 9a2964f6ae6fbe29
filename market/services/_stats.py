"""Statistics for a period: the seed's "累计发榜22项,揭榜20项,确定承榜19项" is exactly this report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from market.clock import SHANGHAI
from market.models import Alliance, Task, task_alliances
from market.services._tasks import effective_status_sql
from market.states import TaskStatus

AWARDED_STATES = frozenset({TaskStatus.AWARDED, TaskStatus.IN_PROGRESS, TaskStatus.DELIVERED, TaskStatus.CLOSED})


@dataclass
class TaskCounts:
    """Tasks posted in the period, and how far they got."""

    posted: int = 0
    claimed: int = 0
    awarded: int = 0
    unclaimed: int = 0

    def add(self, status: str, claims: int) -> None:
        """Count one posted task."""
        self.posted += 1
        self.claimed += claims > 0
        self.awarded += status in AWARDED_STATES
        self.unclaimed += status == TaskStatus.UNCLAIMED


@dataclass
class TaskReport:
    """Totals and breakdowns."""

    total: TaskCounts = field(default_factory=TaskCounts)
    by_alliance: dict[str, TaskCounts] = field(default_factory=dict)
    by_category: dict[str, TaskCounts] = field(default_factory=dict)


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Inclusive local (Asia/Shanghai) dates as a half-open UTC interval."""
    lo = datetime.combine(start, time.min, SHANGHAI)
    hi = datetime.combine(end + timedelta(days=1), time.min, SHANGHAI)
    return lo, hi


def default_period(now: datetime) -> tuple[date, date]:
    """The 365 days ending today, local time."""
    today = now.astimezone(SHANGHAI).date()
    return today - timedelta(days=364), today


async def task_report(db: AsyncSession, start: date, end: date, *, now: datetime) -> TaskReport:
    """Tasks posted between the dates (inclusive), with what has become of them by now."""
    lo, hi = period_bounds(start, end)
    status = effective_status_sql(now).label("status")
    rows = (
        await db.execute(
            select(Task.id, Task.category, status, Task.submitted_count).where(
                Task.posted_at.is_not(None), Task.posted_at >= lo, Task.posted_at < hi
            )
        )
    ).all()
    alliances = (
        (
            await db.execute(
                select(task_alliances.c.task_id, Alliance.code)
                .join(Alliance, Alliance.id == task_alliances.c.alliance_id)
                .where(task_alliances.c.task_id.in_([r.id for r in rows]))
            )
        ).all()
        if rows
        else []
    )
    codes: dict[int, list[str]] = {}
    for task_id, code in alliances:
        codes.setdefault(task_id, []).append(code)
    report = TaskReport()
    all_codes = (await db.scalars(select(Alliance.code).order_by(Alliance.position))).all()
    report.by_alliance = {c: TaskCounts() for c in all_codes}
    for r in rows:
        report.total.add(r.status, r.submitted_count)
        report.by_category.setdefault(r.category, TaskCounts()).add(r.status, r.submitted_count)
        for code in codes.get(r.id, []):
            report.by_alliance[code].add(r.status, r.submitted_count)
    return report


async def count_tasks(db: AsyncSession) -> int:
    """All tasks, drafts included (used by the demo loader's idempotence check)."""
    return int(await db.scalar(select(func.count()).select_from(Task)) or 0)
