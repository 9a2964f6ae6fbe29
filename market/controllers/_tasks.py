"""/tasks: the board (榜单), its questions and amendments."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.params import FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from alliances.models import ServiceCategory
from market import flows
from market.kernel.clock import Clock
from market.kernel.db import writing
from market.kernel.text import LINE
from market.models import Task as TaskModel
from market.models import TaskQuestion, User
from market.params import Db, Limit, Now, Offset, PathId, QueryId, SearchText, Viewer
from market.schemas._tasks import (
    AllianceRef,
    Amendment,
    AnswerCreate,
    CancelRequest,
    CommunityRef,
    Criterion,
    Question,
    QuestionCreate,
    Task,
    TaskAmend,
    TaskCreate,
    TaskPage,
    TaskSummary,
    TaskUpdate,
)
from market.security import requires_committee
from market.services import tasks
from market.states import TaskStatus

# No control characters in query strings: PostgreSQL refuses NUL outright (a 500 before this pattern).


def summary(task: TaskModel, status: TaskStatus, viewer: User | None = None) -> TaskSummary:
    """A list row (the claim count stays hidden while claims are open)."""
    return TaskSummary(
        id=task.id,
        title=task.title,
        category=ServiceCategory(task.category),
        status=status,
        posting_unit=task.posting_unit,
        budget_fen=task.budget_fen,
        claim_deadline=task.claim_deadline,
        allow_joint=task.allow_joint,
        alliances=[AllianceRef(a.code, a.name) for a in task.alliances],
        communities=[CommunityRef(c.id, c.name, c.street.name) for c in task.communities],
        posted_at=task.posted_at,
        claims=tasks.claims_shown(task, status),
    )


def _question(q: TaskQuestion) -> Question:
    return Question(q.id, q.question, q.answer, q.created_at, q.answered_at)


async def detail(db: AsyncSession, task_id: int, viewer: User | None, clock: Clock) -> Task:
    """A task in full, as this viewer may see it (read as columns: three statements)."""
    t = await tasks.task_row(db, task_id, now=clock.now(), viewer=viewer)
    return Task(
        id=t.id,
        title=t.title,
        description=t.description,
        category=ServiceCategory(t.category),
        status=TaskStatus(t.status),
        posting_unit=t.posting_unit,
        budget_fen=t.budget_fen,
        funding_mode=t.funding_mode,
        claim_deadline=t.claim_deadline,
        allow_joint=t.allow_joint,
        alliances=tasks.alliance_refs(t.alliances),
        communities=tasks.community_refs(t.communities),
        need_ids=sorted(n for (n,) in t.need_ids or ()),
        rubric=[Criterion(c["name"], c["maximum"]) for c in t.rubric],
        posted_at=t.posted_at,
        closed_at=t.closed_at,
        cancel_reason=t.cancel_reason,
        reposted_from_id=t.reposted_from_id,
        claims=t.claims,
        questions=[_question(q) for q in await tasks.questions_of(db, t.id, viewer=viewer)],
        amendments=[
            Amendment(a.number, a.reason, a.changes, a.material, a.made_at) for a in await tasks.amendments_of(db, t.id)
        ],
    )


class TaskController(Controller):
    """Public reads; the committee drafts, posts, amends and cancels."""

    path = "/tasks"
    tags = ["tasks"]

    # Asking for drafts is the committee's alone (403).
    @get("/", exclude_from_auth=True, problems=[403])
    async def list_tasks(
        self,
        db_session: Db,
        clock: Now,
        viewer: Viewer,
        status: FromQuery[TaskStatus | None] = None,
        category: FromQuery[ServiceCategory | None] = None,
        alliance: Annotated[str | None, QueryParameter(max_length=20, pattern=LINE)] = None,
        community_id: QueryId = None,
        q: SearchText = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> TaskPage:
        """Browse tasks (drafts only for the committee); status is what it is now, deadlines included."""
        now = clock.now()
        f = tasks.TaskFilter(status, category, alliance, community_id, q, limit, offset)
        total, rows = await tasks.browse(db_session, f, now=now, viewer=viewer)
        return TaskPage(total=total, items=rows)

    @get("/{task_id:int}", exclude_from_auth=True)
    async def get_task(self, db_session: Db, clock: Now, viewer: Viewer, task_id: PathId) -> Task:
        """One task with its answered questions and amendments."""
        return await detail(db_session, task_id, viewer, clock)

    @post("/", guards=[requires_committee])
    async def create(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        data: JSONBody[TaskCreate],
    ) -> Task:
        """Draft a task."""
        async with writing(db_session):
            task = await tasks.create_task(db_session, data, actor=request.user, now=clock.now())
        return await detail(db_session, task.id, request.user, clock)

    @patch("/{task_id:int}", guards=[requires_committee])
    async def update(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        task_id: PathId,
        data: JSONBody[TaskUpdate],
    ) -> Task:
        """Edit a draft."""
        async with writing(db_session):
            await tasks.update_draft(db_session, task_id, data, actor=request.user, now=clock.now())
        return await detail(db_session, task_id, request.user, clock)

    @post("/{task_id:int}/post", guards=[requires_committee], status_code=HTTP_200_OK, problems=[422])
    async def post_task(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        task_id: PathId,
    ) -> Task:
        """Publish (发榜)."""
        async with writing(db_session):
            await tasks.post_task(db_session, task_id, actor=request.user, now=clock.now())
        return await detail(db_session, task_id, request.user, clock)

    @post("/{task_id:int}/cancel", guards=[requires_committee], status_code=HTTP_200_OK)
    async def cancel(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        task_id: PathId,
        data: JSONBody[CancelRequest],
    ) -> Task:
        """Cancel with a reason (from draft, posted or reviewing)."""
        async with writing(db_session):
            await flows.cancel_task(db_session, task_id, data.reason, actor=request.user, now=clock.now())
        return await detail(db_session, task_id, request.user, clock)

    @post("/{task_id:int}/amendments", guards=[requires_committee])
    async def amend(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        task_id: PathId,
        data: JSONBody[TaskAmend],
    ) -> Task:
        """Amend a posted task's terms by a recorded amendment."""
        async with writing(db_session):
            await flows.amend_task(db_session, task_id, data, actor=request.user, now=clock.now())
        return await detail(db_session, task_id, request.user, clock)

    @post("/{task_id:int}/repost", guards=[requires_committee])
    async def repost(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        task_id: PathId,
    ) -> Task:
        """A new draft from an unclaimed (流榜) or cancelled task."""
        async with writing(db_session):
            task = await tasks.repost(db_session, task_id, actor=request.user, now=clock.now())
        return await detail(db_session, task.id, request.user, clock)

    @get("/{task_id:int}/questions", exclude_from_auth=True)
    async def questions(self, db_session: Db, viewer: Viewer, task_id: PathId) -> list[Question]:
        """Answered questions (the committee also sees unanswered ones); askers are never named."""
        await tasks.visible_task(db_session, task_id, viewer)
        return [_question(q) for q in await tasks.questions_of(db_session, task_id, viewer=viewer)]

    @post("/{task_id:int}/questions")
    async def ask(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        task_id: PathId,
        data: JSONBody[QuestionCreate],
    ) -> Question:
        """Ask a public question (答疑) while the task is open."""
        async with writing(db_session):
            q = await tasks.ask(db_session, task_id, data.question, actor=request.user, now=clock.now())
        return _question(q)

    @post("/{task_id:int}/questions/{question_id:int}/answer", guards=[requires_committee], status_code=HTTP_200_OK)
    async def answer(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        task_id: PathId,
        question_id: PathId,
        data: JSONBody[AnswerCreate],
    ) -> Question:
        """Publish the committee's answer."""
        async with writing(db_session):
            q = await tasks.answer(db_session, task_id, question_id, data.answer, actor=request.user, now=clock.now())
        return _question(q)
