"""Audit entries as the committee reads them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from market.models import UP_REVIEW, AuditEntry
from market.schemas._base import Schema

# Shown instead of an up-review's author: up-reviews are anonymous to the committee they may rate (SPEC, Two-way
# review). The stored entry keeps the author, so the chain verifies as ever.
WITHHELD = "—"


class AuditItem(Schema):
    """One entry."""

    id: int
    at: datetime
    actor: str
    entity: str
    entity_id: int
    action: str
    before: str
    after: str
    data: dict[str, Any]
    hash: str

    @classmethod
    def of(cls, e: AuditEntry) -> AuditItem:
        """From the model; an up-review's author, and what would name it (its project or order), withheld."""
        if e.entity == UP_REVIEW:
            shown = {"unit": e.data.get("unit", "")}
            return cls(e.id, e.at, WITHHELD, e.entity, e.entity_id, e.action, e.before, e.after, shown, e.hash)
        return cls(e.id, e.at, e.actor_label, e.entity, e.entity_id, e.action, e.before, e.after, e.data, e.hash)


class UpReviewsOnDay(Schema):
    """How many up-reviews were given on a local day (Asia/Shanghai): all the audit view says of them."""

    day: date
    given: int


class AuditPage(Schema):
    """Entries, newest first; up-reviews are not among them (beside their author's own entries they would name
    the author), only their count on each day the entries span."""

    items: list[AuditItem]
    up_reviews: list[UpReviewsOnDay] = []


class AuditVerification(Schema):
    """The result of recomputing the chain."""

    ok: bool
    entries: int
    broken_at: int | None
    reason: str
    # How many published anchors (`jiebang audit anchor`) the chain was held to.
    anchors: int


class ListViolation(Schema):
    """One record that breaks a list rule."""

    rule: str
    entity: str
    entity_id: int
    detail: str


class ListsCheck(Schema):
    """The invariant check's result."""

    ok: bool
    violations: list[ListViolation]
    # Transitions time has made due that are not stored yet (each is also among the violations).
    due_transitions: int
