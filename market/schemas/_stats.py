"""The statistics report."""

from __future__ import annotations

from datetime import date

from market.schemas._base import Schema


class TaskCounts(Schema):
    """发榜 / 揭榜 / 承榜 / 流榜 counts."""

    posted: int
    claimed: int
    awarded: int
    unclaimed: int


class Stats(Schema):
    """A period's report, by alliance and by category."""

    period_from: date
    period_to: date
    tasks: TaskCounts
    tasks_by_alliance: dict[str, TaskCounts]
    tasks_by_category: dict[str, TaskCounts]
