"""Questions on a task (答疑): any signed-in user asks while the task is open (the asker is never shown); the
committee answers, and the answer is published with the task.
"""

from __future__ import annotations

from litestar import get, post
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from market.controllers import _tasks as task_views
from market.i18n import error_text
from market.kernel.clock import Clock
from market.kernel.errors import ApplicationError, NotFound
from market.models import User
from market.pages._base import (
    COMMITTEE,
    SIGNED_IN,
    FormState,
    UserRequest,
    attempt,
    form_page,
    form_values,
    lang_of,
    parse_form,
    refused,
    say,
    see_other,
)
from market.pages._public import _task_page
from market.params import Db, Now, PathId
from market.schemas._tasks import AnswerCreate, QuestionCreate
from market.services import tasks

# Asking ---------------------------------------------------------------------------------------------------------------


@post("/tasks/{task_id:int}/questions", **SIGNED_IN)
async def ask_question(request: UserRequest, db_session: Db, clock: Now, task_id: PathId) -> Template | Redirect:
    """Ask a public question while the task is open (any signed-in user; the asker is never shown)."""
    user, lang = request.user, lang_of(request)
    values = await form_values(request)
    values["question"] = values.get("question", "").replace("\r\n", "\n")
    data = parse_form({"question": values["question"]}, QuestionCreate, lang)
    if isinstance(data, FormState):
        return await _task_page(db_session, task_id, user, clock, FormState(values, data.errors, data.general))
    done = await attempt(db_session, lambda: tasks.ask(db_session, task_id, data.question, actor=user, now=clock.now()))
    if isinstance(done, ApplicationError):
        if done.field == "question":
            return await _task_page(db_session, task_id, user, clock, refused(values, done, lang, ("question",)))
        # Typically the task closed meanwhile: its page no longer holds the form, so say why at the top.
        flash(request, error_text(done, lang), "error")
        return see_other(f"/tasks/{task_id}")
    say(request, "org.ask.sent")
    return see_other(f"/tasks/{task_id}#qa-h")


# Answering ------------------------------------------------------------------------------------------------------------


async def _answer_page(
    db: AsyncSession, task_id: int, question_id: int, viewer: User, clock: Clock, form: FormState | None = None
) -> Template:
    task = await task_views.detail(db, task_id, viewer, clock)
    question = next((q for q in task.questions if q.id == question_id), None)
    if question is None:
        raise NotFound("error.no_such_question")
    form = form or FormState({"answer": question.answer})
    return form_page("market/drafting/answer.html.j2", viewer, form, task=task, question=question)


@get("/committee/tasks/{task_id:int}/questions/{question_id:int}/answer", **COMMITTEE)
async def answer_form(
    request: UserRequest, db_session: Db, clock: Now, task_id: PathId, question_id: PathId
) -> Template:
    """One question and the answer to publish with the task (the asker is never named)."""
    return await _answer_page(db_session, task_id, question_id, request.user, clock)


@post("/committee/tasks/{task_id:int}/questions/{question_id:int}/answer", **COMMITTEE)
async def answer_question(
    request: UserRequest, db_session: Db, clock: Now, task_id: PathId, question_id: PathId
) -> Template | Redirect:
    """Publish the answer; the asker is told."""
    lang = lang_of(request)
    values = await form_values(request)
    data = parse_form({"answer": values.get("answer", "")}, AnswerCreate, lang)
    if isinstance(data, FormState):
        return await _answer_page(db_session, task_id, question_id, request.user, clock, data)
    done = await attempt(
        db_session,
        lambda: tasks.answer(db_session, task_id, question_id, data.answer, actor=request.user, now=clock.now()),
        raising=(403, 404),
    )
    if isinstance(done, ApplicationError):
        state = refused(values, done, lang, ("answer",))
        return await _answer_page(db_session, task_id, question_id, request.user, clock, state)
    say(request, "drafting.answered")
    return see_other(f"/tasks/{task_id}#qa-h")


QUESTION_PAGES: list[ControllerRouterHandler] = [ask_question, answer_form, answer_question]
