"""What bars an organisation from claiming, as its public record shows it, and the committee's watch-list writes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from market.schemas._base import Reason, Schema


class WatchListChange(Schema):
    """Why the committee places an organisation on the watch list (活动异常), or lifts it: words, not blanks."""

    reason: Reason


class ClaimBar(Schema):
    """A bar on claiming in force now: a 不合格 grade (until `until`, a Beijing date: the first day the organisation
    may claim again) or the watch list (until the committee lifts it, `until` null)."""

    kind: Literal["grade", "watch_list"]
    since: datetime
    until: date | None
    reason: str
    project_id: int | None


class WatchEntry(Schema):
    """One stay on the watch list: placed with a reason, lifted with a reason (null while it holds)."""

    id: int
    organization_id: int
    reason: str
    placed_at: datetime
    lifted_at: datetime | None
    lift_reason: str | None
