"""The statistics' daily rollup: per local day, each kind's counts by category, alliance and street."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, String, Table

from market.kernel.db import metadata

# One row per (kind, day, dim, key) that has something to count. `key` is the category's value, or the alliance's or
# street's id as text ('' for none: the park's services, an organisation's own need). The counts n0… are those of
# `market.services._stats` (a task's posted, claimed, awarded, unclaimed; a need's raised and each state; an order's
# each state; a closed project's count and score sum), from each row's stored state. It is rewritten for every day a
# transaction touched, in that transaction, from the rows themselves (`market.services._stats.refresh_days`), and so
# is the day's month: a row of kind `<kind>:m` dated the month's first day, the sum of its days.
STATS_WIDTH = 6

stats_days = Table(
    "stats_days",
    metadata,
    Column("kind", String(12), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("dim", String(12), primary_key=True),
    Column("key", String(40), primary_key=True),
    *(Column(f"n{i}", BigInteger, nullable=False, default=0) for i in range(STATS_WIDTH)),
)
