"""An evaluator's pages: the review queue (scored / waiting) and the scoring form.

The queue and the marks come from the same scoring service as `/api/v1/tasks/{id}/scoring` and
`/api/v1/proposals/{id}/scores`, so sealing holds here too: before the deadline a member sees only that proposals
are sealed; others' marks stay hidden until every non-recused member has scored every qualified proposal.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from litestar import get, post
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from market.controllers._scoring import _queue, _ranking
from market.i18n import error_text, t
from market.kernel.clock import Clock
from market.kernel.errors import ApplicationError, NotFound
from market.models import User
from market.pages._base import (
    EVALUATOR,
    FormState,
    UserRequest,
    attempt,
    form_page,
    form_values,
    lang_of,
    page,
    say,
    see_other,
)
from market.params import Db, Now, PathId
from market.schemas._proposals import Proposal
from market.schemas._scoring import QueueItem, Ranking, ScoringQueue
from market.services import proposals, scoring
from market.services._tasks import visible_task
from market.states import TaskStatus

# A mark is at most "100.0"; anything much longer is a typo, not a number worth parsing.
_MARK_LENGTH = 10


def mark_field(index: int) -> str:
    """The form field of the rubric's `index`-th criterion (criterion names may hold spaces, so not the name)."""
    return f"mark_{index}"


@dataclass(frozen=True, slots=True)
class Seat:
    """One task on the evaluator's panel list, with their own queue for it."""

    task_id: int
    title: str
    claim_deadline: datetime
    queue: ScoringQueue


async def _seats(db: AsyncSession, viewer: User, clock: Clock) -> list[Seat]:
    now = clock.now()
    seats = []
    for task in await scoring.seats_of(db, viewer=viewer):
        q = await scoring.queue(db, task.id, viewer=viewer, now=now)
        seats.append(Seat(task.id, task.title, task.claim_deadline, _queue(q)))
    return seats


@get("/panel", **EVALUATOR)
async def review_queue(request: UserRequest, db_session: Db, clock: Now) -> Template:
    """Every task whose panel I sit on: sealed until the deadline, then what I have scored and what still waits."""
    seats = await _seats(db_session, request.user, clock)
    active = (TaskStatus.POSTED, TaskStatus.REVIEWING)
    # Proposals waiting for my marks first, the longest-waiting (earliest deadline) first; sealed tasks after them.
    open_seats = sorted(
        (s for s in seats if s.queue.task_status in active),
        key=lambda s: (not (s.queue.task_status == TaskStatus.REVIEWING and s.queue.waiting), s.claim_deadline),
    )
    return page(
        "market/panel/queue.html.j2",
        request.user,
        open_seats=open_seats,
        past_seats=[s for s in seats if s.queue.task_status not in active],
    )


async def _task_queue(db: AsyncSession, task_id: int, viewer: User, clock: Clock) -> tuple[Seat, Ranking | None]:
    task = await visible_task(db, task_id, viewer)
    q = _queue(await scoring.queue(db, task_id, viewer=viewer, now=clock.now()))
    ranking = None
    if q.complete:
        board, standings = await scoring.ranking(db, task_id, viewer=viewer)
        ranking = _ranking(board, standings)
    return Seat(task.id, task.title, task.claim_deadline, q), ranking


@get("/panel/tasks/{task_id:int}", **EVALUATOR)
async def task_queue(request: UserRequest, db_session: Db, clock: Now, task_id: PathId) -> Template:
    """One task's queue: my marks per proposal; once the panel is complete, everyone's marks and the ranking."""
    seat, ranking = await _task_queue(db_session, task_id, request.user, clock)
    return page("market/panel/task.html.j2", request.user, seat=seat, ranking=ranking)


@get("/tasks/{task_id:int}/scoring", **EVALUATOR)
async def scoring_link(task_id: PathId) -> Redirect:
    """Where the panel-seat notification points: this task's queue."""
    return see_other(f"/panel/tasks/{task_id}")


async def _score_page(
    db: AsyncSession,
    task_id: int,
    proposal_id: int,
    viewer: User,
    clock: Clock,
    form: FormState | None = None,
) -> Template:
    seat, _ = await _task_queue(db, task_id, viewer, clock)
    item = _item(seat.queue, proposal_id)
    shown = await proposals.visible(db, proposal_id, viewer=viewer, now=clock.now())
    # The panel reading a proposal is a recorded read (docs/design.md, "Audit").
    await proposals.record_reads(db, [shown], viewer=viewer, now=clock.now())
    proposal = Proposal.of(shown)
    if form is None:
        form = FormState({mark_field(i): (item.marks or {}).get(c.name, "") for i, c in enumerate(seat.queue.rubric)})
    scoring_open = seat.queue.task_status == TaskStatus.REVIEWING and not seat.queue.complete
    return form_page(
        "market/panel/score.html.j2",
        viewer,
        form,
        seat=seat,
        item=item,
        proposal=proposal,
        partners=[m for m in proposal.members if m.role == "partner"],
        can_score=scoring_open and item.state != "recused" and item.status == "qualified",
        mark_fields=[mark_field(i) for i in range(len(seat.queue.rubric))],
    )


def _item(q: ScoringQueue, proposal_id: int) -> QueueItem:
    """The proposal as it stands in my queue; one that is not there (sealed, unqualified) does not exist for me."""
    item = next((i for i in q.items if i.proposal_id == proposal_id), None)
    if item is None:
        raise NotFound("error.no_such_proposal")
    return item


@get("/panel/tasks/{task_id:int}/proposals/{proposal_id:int}", **EVALUATOR)
async def score_form(
    request: UserRequest, db_session: Db, clock: Now, task_id: PathId, proposal_id: PathId
) -> Template:
    """The proposal in full (terms, plan, partners, attachments) and one mark per rubric criterion."""
    return await _score_page(db_session, task_id, proposal_id, request.user, clock)


def _read_marks(values: dict[str, str], rubric: list[Any], lang: str) -> dict[str, Decimal] | FormState:
    """The marks as exact decimals, or a FormState naming each criterion that is blank or not a number."""
    marks: dict[str, Decimal] = {}
    errors: dict[str, str] = {}
    for i, criterion in enumerate(rubric):
        name = mark_field(i)
        # NFKC turns full-width digits and points (２８．５), which Chinese input methods produce, into ASCII.
        raw = unicodedata.normalize("NFKC", values.get(name, "")).strip()
        values[name] = raw
        if not raw:
            errors[name] = t("form.required", lang)
            continue
        try:
            if len(raw) > _MARK_LENGTH:
                raise InvalidOperation
            marks[criterion.name] = Decimal(raw)
        except InvalidOperation:
            errors[name] = t("panel.mark_number", lang, maximum=criterion.maximum)
    return FormState(values, errors) if errors else marks


@post("/panel/tasks/{task_id:int}/proposals/{proposal_id:int}", **EVALUATOR)
async def score(
    request: UserRequest, db_session: Db, clock: Now, task_id: PathId, proposal_id: PathId
) -> Template | Redirect:
    """Score or re-score (until the panel is complete); a refused mark comes back beside its criterion."""
    lang = lang_of(request)
    viewer = request.user
    seat, _ = await _task_queue(db_session, task_id, viewer, clock)
    item = _item(seat.queue, proposal_id)
    rubric = seat.queue.rubric
    values = await form_values(request)
    marks = _read_marks(values, rubric, lang)
    if isinstance(marks, FormState):
        return await _score_page(db_session, task_id, proposal_id, viewer, clock, marks)
    result = await attempt(
        db_session,
        lambda: scoring.score(db_session, proposal_id, marks, actor=viewer, now=clock.now()),
        raising=(403, 404),
    )
    if isinstance(result, ApplicationError):
        message = error_text(result, lang)
        criterion = result.extra.get("criterion")
        names = [c.name for c in rubric]
        if result.field == "marks" and criterion in names:
            state = FormState(values, {mark_field(names.index(criterion)): message})
        else:
            state = FormState(values, {}, message)
        return await _score_page(db_session, task_id, proposal_id, viewer, clock, state)
    say(request, "panel.scored", org=item.lead_org_name, total=str(result.total))
    if result.panel_complete:
        say(request, "panel.now_complete")
    return see_other(f"/panel#task-{task_id}")


PANEL_PAGES: list[ControllerRouterHandler] = [review_queue, task_queue, scoring_link, score_form, score]
