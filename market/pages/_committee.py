"""The committee's desk: what needs the committee now (reviews, objections, grading, needs, orders, applications,
the lists check).

Every committee page needs the `committee` role and calls the service the JSON API calls; the review and award of
one task are in `_review`, projects and grading in `_committee_projects`. Irreversible steps go through the
confirmation page: the first post is checked and answered with what will happen; only the post carrying
`confirm=yes` acts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import get
from litestar.response import Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from alliances import services as alliance_services
from alliances.models import ApplicationStatus
from market import invariants
from market.controllers import _awards as award_views
from market.controllers import _projects as project_views
from market.controllers import _tasks as task_views
from market.kernel.clock import local
from market.kernel.errors import NotFound
from market.models import ReviewedUnit
from market.overdue import order_lateness
from market.pages._base import (
    COMMITTEE,
    UserRequest,
    page,
)
from market.params import Db, Now
from market.schemas._awards import AwardNotice
from market.schemas._tasks import TaskSummary
from market.services import awards, needs, projects, resources, reviews, tasks
from market.services._scoring import Board, load_board
from market.states import NeedStatus, OrderStatus, ProjectStatus, TaskStatus

# How many rows of each kind the desk lists (it is a to-do list, not an archive).
DESK_ROWS = 50


# The desk ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReviewProgress:
    """Where one task's review stands: proposals to qualify, the panel's scoring, whether it can be awarded."""

    task: TaskSummary
    to_qualify: int
    ranked: int
    panel: int
    scores_in: int
    scores_expected: int
    complete: bool


def _progress(summary: TaskSummary, board: Board) -> ReviewProgress:
    return ReviewProgress(
        task=summary,
        to_qualify=board.undecided or 0,
        ranked=len(board.proposals),
        panel=len(board.members),
        scores_in=sum(len(board.scores_for(p)) for p in board.proposals),
        scores_expected=sum(len(board.expected(p)) for p in board.proposals),
        complete=board.complete,
    )


def _waits_on_committee(r: ReviewProgress) -> bool:
    """Whether the next step of a review is the committee's: qualify, form the panel, or award."""
    return r.complete or bool(r.to_qualify) or not r.panel


@get("/committee", **COMMITTEE)
async def desk(request: UserRequest, db_session: Db, clock: Now) -> Template:
    """What needs the committee now: reviews, objections, grading, needs, orders, applications, the lists check."""
    viewer, now = request.user, clock.now()
    _, reviewing = await tasks.list_tasks(
        db_session, tasks.TaskFilter(status=TaskStatus.REVIEWING, limit=DESK_ROWS), now=now, viewer=viewer
    )
    reviews = [
        _progress(task_views.summary(task, TaskStatus.REVIEWING, viewer), await load_board(db_session, task))
        for task in reviewing
    ]
    # What waits for the committee's decision first, the longest-waiting (earliest deadline) first.
    reviews.sort(key=lambda r: (not _waits_on_committee(r), r.task.claim_deadline))
    _, awarded = await tasks.list_tasks(
        db_session, tasks.TaskFilter(status=TaskStatus.AWARDED, limit=DESK_ROWS), now=now, viewer=viewer
    )
    notices: list[AwardNotice] = []
    for task in awarded:
        try:
            notices.append(
                award_views.notice(await awards.standing_notice(db_session, task.id, viewer=viewer, now=now))
            )
        except NotFound:
            continue
    notices.sort(key=lambda n: (-n.open_objections, n.notice_ends_at))
    _, delivered, need_ids = await projects.list_projects(
        db_session, projects.ProjectFilter(status=ProjectStatus.DELIVERED, limit=DESK_ROWS)
    )
    open_needs, _ = await needs.list_needs(db_session, needs.NeedFilter(status=NeedStatus.OPEN, limit=1))
    _, requested = await resources.list_orders(
        db_session, resources.OrderFilter(status=OrderStatus.REQUESTED, limit=200), viewer=viewer
    )
    park = [o for o in requested if o.offering.organization_id is None]
    pending = await alliance_services.list_applications(
        db_session, status=ApplicationStatus.PENDING, limit=500, offset=0
    )
    return page(
        "market/committee/desk.html.j2",
        viewer,
        reviews=reviews,
        notices=notices,
        delivered=sorted(
            (project_views.summary(p, need_ids[p.task_id]) for p in delivered),
            key=lambda p: (p.delivered_at is None, p.delivered_at or now),
        ),
        open_needs=open_needs,
        park_orders=len(park),
        late_park_orders=sum(1 for o in park if order_lateness(o.status, o.ordered_at, o.service_month, now)),
        applications=len(pending),
        violations=await invariants.check(db_session, now),
        due=await invariants.due_transitions(db_session, now),
        **await _two_way(db_session, local(now).year),
    )


async def _two_way(db: AsyncSession, year: int) -> dict[str, Any]:
    """Two-way review (双向点评) on the desk: how the committee was rated this year (once published), beside the
    grades and order ratings given downwards."""
    rated = await reviews.aggregates(db, year, unit=ReviewedUnit.COMMITTEE)
    return {
        "review_year": year,
        "rated_up": rated[0] if rated else None,
        "given_down": await reviews.down_reviews(db, year),
        "review_minimum": reviews.MINIMUM,
    }


COMMITTEE_PAGES: list[ControllerRouterHandler] = [desk]
