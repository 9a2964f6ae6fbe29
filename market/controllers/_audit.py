"""/audit, /tasks/{id}/audit and /lists/check: the committee's reading of the log and of the lists' invariants."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import QueryParameter

from market.audit import verify_published
from market.invariants import check, due_transitions
from market.kernel.clock import local
from market.models import User
from market.params import BatchLimit, Config, Db, Now, PathId, QueryId
from market.schemas._audit import AuditItem, AuditPage, AuditVerification, ListsCheck, ListViolation, UpReviewsOnDay
from market.security import requires_committee
from market.services import audit, reviews, tasks


class AuditController(Controller):
    """The committee reads the audit log and checks its chain."""

    path = "/audit"
    tags = ["audit"]
    guards = [requires_committee]

    @get("/")
    async def entries(
        self,
        db_session: Db,
        clock: Now,
        entity: Annotated[str | None, QueryParameter(max_length=30)] = None,
        entity_id: QueryId = None,
        before_id: QueryId = None,
        limit: BatchLimit = 100,
    ) -> AuditPage:
        """Newest entries first; filter by entity and page backwards with before_id.

        Entries about proposals still sealed (before their task's deadline) are withheld: they would tell who
        claimed, and how many. Up-reviews are never listed (beside their author's own entries, at their exact time,
        they would name the author): `up_reviews` counts those given on each day the page spans instead, from its
        earliest entry's day to its latest's (to today on the first page), whatever the filter.
        """
        rows = await audit.entries(db_session, entity=entity, entity_id=entity_id, before_id=before_id, limit=limit)
        items = [AuditItem.of(e) for e in rows]
        if not rows:
            return AuditPage(items=items)
        spanned = [local(e.at).date() for e in rows] + ([local(clock.now()).date()] if before_id is None else [])
        days = await reviews.given_by_day(db_session, min(spanned), max(spanned))
        return AuditPage(items=items, up_reviews=[UpReviewsOnDay(day, n) for day, n in days])

    @get("/verify")
    async def check(self, db_session: Db, settings: Config) -> AuditVerification:
        """Recompute the keyed hash chain and hold it to every anchor published to the anchor file."""
        result = await verify_published(db_session, settings.anchor_path)
        return AuditVerification(
            ok=result.ok,
            entries=result.entries,
            broken_at=result.broken_at,
            reason=result.reason,
            anchors=result.anchors,
        )


class TaskAuditController(Controller):
    """The committee reads one task's audit: the task, its proposals, questions, awards, objections and project."""

    path = "/tasks/{task_id:int}/audit"
    tags = ["audit"]
    guards = [requires_committee]

    @get("/")
    async def task_entries(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        task_id: PathId,
        after_id: QueryId = None,
        limit: BatchLimit = 100,
    ) -> AuditPage:
        """Oldest first; page forward with after_id (the last id seen).

        Entries about proposals still sealed (before the deadline) are withheld, as in /audit.
        """
        await tasks.get_task(db_session, task_id, viewer=request.user)
        rows = await audit.task_history(db_session, task_id, after_id=after_id, limit=limit)
        return AuditPage(items=[AuditItem.of(e) for e in rows])


class ListsController(Controller):
    """The committee's view of the invariant check."""

    path = "/lists"
    tags = ["lists"]
    guards = [requires_committee]

    @get("/check")
    async def lists_check(self, db_session_as_stored: Db, clock: Now) -> ListsCheck:
        """Every record that breaks the rules of the three lists (empty when all is in step).

        A state stored behind the one time has made (a deadline passed, a notice period ended) is a violation.
        """
        # The store as it is: the catch-up other requests get first would hide exactly what this must find.
        db, now = db_session_as_stored, clock.now()
        violations = await check(db, now)
        return ListsCheck(
            ok=not violations,
            violations=[ListViolation(v.rule, v.entity, v.entity_id, v.detail) for v in violations],
            due_transitions=await due_transitions(db, now),
        )
