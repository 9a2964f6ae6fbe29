"""The committee drafting tasks: new, edit, post, amend, cancel, repost, and seating the evaluation panel.

Every form posts here and calls the same task and scoring services as `/api/v1/tasks`; the task form itself (the
committee's units, turned into the API's structs) is in `_task_form`.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from market import flows
from market.controllers import _tasks as task_views
from market.i18n import label, t
from market.kernel.clock import Clock
from market.kernel.db import writing
from market.kernel.errors import ApplicationError, StateConflict
from market.models import User
from market.pages._base import (
    COMMITTEE,
    FormState,
    UserRequest,
    attempt,
    confirm_page,
    confirmed,
    form_page,
    form_values,
    int_or_none,
    lang_of,
    parse_form,
    refused,
    say,
    see_other,
)
from market.pages._task_form import (
    AMENDABLE,
    EDITABLE,
    FIELD_ON_PAGE,
    TASK_FIELDS,
    TaskForm,
    blank_task_form,
    changed_terms,
    convert_terms,
    form_of_task,
    read_task_form,
    task_form_page,
    task_terms,
)
from market.params import Db, Now, PathId
from market.schemas._scoring import MAX_PANEL, PanelSet
from market.schemas._tasks import CancelRequest, Task, TaskAmend, TaskCreate, TaskUpdate
from market.services import scoring, tasks
from market.states import TaskStatus

NeedId = Annotated[str | None, QueryParameter(name="need_id", max_length=20, required=False)]


@get("/committee/tasks/new", **COMMITTEE)
async def new_task_form(request: UserRequest, db_session: Db, clock: Now, need_id: NeedId = None) -> Template:
    """A blank draft (the default rubric filled in); `?need_id=` ticks the need it is to answer."""
    form = blank_task_form(int_or_none(need_id, high=2**53))
    return await task_form_page(request, db_session, clock, form, mode="new", action="/committee/tasks/new")


@post("/committee/tasks/new", **COMMITTEE)
async def create_task(request: UserRequest, db_session: Db, clock: Now) -> Template | Redirect:
    """Save a new draft; it is published from its page."""
    lang = lang_of(request)
    form = await read_task_form(request)
    data, row_of = task_terms(form, lang)
    made = convert_terms(data, TaskCreate, form, row_of, lang)
    if made is None:
        return await task_form_page(request, db_session, clock, form, mode="new", action="/committee/tasks/new")
    task = await attempt(
        db_session, lambda: tasks.create_task(db_session, made, actor=request.user, now=clock.now()), raising=()
    )
    if isinstance(task, ApplicationError):
        form.refuse(task, lang, TASK_FIELDS, renamed=FIELD_ON_PAGE)
        return await task_form_page(request, db_session, clock, form, mode="new", action="/committee/tasks/new")
    say(request, "drafting.created", title=task.title)
    return see_other(f"/tasks/{task.id}")


async def _task_in(db: AsyncSession, task_id: int, viewer: User, clock: Clock, status: TaskStatus) -> Task:
    """The task, if it is in the state this form is for (the service checks again when the form is saved)."""
    task = await task_views.detail(db, task_id, viewer, clock)
    if task.status != status:
        raise StateConflict(_WRONG_STATE[status])
    return task


_WRONG_STATE = {
    TaskStatus.DRAFT: "error.only_drafts_edited_amend",
    TaskStatus.POSTED: "error.only_task_open_claims",
}


@get("/committee/tasks/{task_id:int}/edit", **COMMITTEE)
async def edit_form(request: UserRequest, db_session: Db, clock: Now, task_id: PathId) -> Template:
    """A draft's terms, every one editable."""
    task = await _task_in(db_session, task_id, request.user, clock, TaskStatus.DRAFT)
    action = f"/committee/tasks/{task_id}/edit"
    return await task_form_page(request, db_session, clock, form_of_task(task), mode="edit", action=action, task=task)


@post("/committee/tasks/{task_id:int}/edit", **COMMITTEE)
async def edit_task(request: UserRequest, db_session: Db, clock: Now, task_id: PathId) -> Template | Redirect:
    """Save the terms the form changed."""
    lang = lang_of(request)
    task = await _task_in(db_session, task_id, request.user, clock, TaskStatus.DRAFT)
    action = f"/committee/tasks/{task_id}/edit"
    form = await read_task_form(request)
    data, row_of = task_terms(form, lang)
    before, _ = task_terms(form_of_task(task), lang)
    update = convert_terms(changed_terms(data, before, EDITABLE), TaskUpdate, form, row_of, lang)
    if update is None:
        return await task_form_page(request, db_session, clock, form, mode="edit", action=action, task=task)
    done = await attempt(
        db_session,
        lambda: tasks.update_draft(db_session, task_id, update, actor=request.user, now=clock.now()),
        raising=(403, 404, 409),
    )
    if isinstance(done, ApplicationError):
        form.refuse(done, lang, TASK_FIELDS, renamed=FIELD_ON_PAGE)
        return await task_form_page(request, db_session, clock, form, mode="edit", action=action, task=task)
    say(request, "drafting.saved")
    return see_other(f"/tasks/{task_id}")


@post("/committee/tasks/{task_id:int}/post", **COMMITTEE)
async def post_task(request: UserRequest, db_session: Db, clock: Now, task_id: PathId) -> Template | Redirect:
    """Publish a draft (发榜). A deadline already passed or a need no longer open comes back on the edit form."""
    lang = lang_of(request)
    posted = await attempt(
        db_session, lambda: tasks.post_task(db_session, task_id, actor=request.user, now=clock.now()), raising=()
    )
    if isinstance(posted, ApplicationError):
        if posted.status_code != 422:  # only a term to correct comes back on the form
            raise posted
        draft = await _task_in(db_session, task_id, request.user, clock, TaskStatus.DRAFT)
        form = form_of_task(draft).refuse(posted, lang, TASK_FIELDS, renamed=FIELD_ON_PAGE)
        action = f"/committee/tasks/{task_id}/edit"
        return await task_form_page(request, db_session, clock, form, mode="edit", action=action, task=draft)
    say(request, "drafting.posted", title=posted.title)
    return see_other(f"/tasks/{task_id}")


@get("/committee/tasks/{task_id:int}/amendments", **COMMITTEE)
async def amend_form(request: UserRequest, db_session: Db, clock: Now, task_id: PathId) -> Template:
    """A posted task's terms, to change by a recorded amendment (变更公告) with a reason."""
    task = await _task_in(db_session, task_id, request.user, clock, TaskStatus.POSTED)
    action = f"/committee/tasks/{task_id}/amendments"
    return await task_form_page(request, db_session, clock, form_of_task(task), mode="amend", action=action, task=task)


@post("/committee/tasks/{task_id:int}/amendments", **COMMITTEE)
async def amend_task(request: UserRequest, db_session: Db, clock: Now, task_id: PathId) -> Template | Redirect:
    """Record the amendment; if it touches budget, rubric, alliances or deadline, submitted proposals go back to
    draft and their organisations are told (the service does both)."""
    lang = lang_of(request)
    task = await _task_in(db_session, task_id, request.user, clock, TaskStatus.POSTED)
    action = f"/committee/tasks/{task_id}/amendments"
    form = await read_task_form(request)
    initial = form_of_task(task)
    # Category and needs are not amended: the form does not show them, so they stay as they are.
    form.values["category"] = initial.values["category"]
    form.picked["need_ids"] = initial.picked["need_ids"]
    data, row_of = task_terms(form, lang)
    before, _ = task_terms(initial, lang)
    changes = changed_terms(data, before, AMENDABLE)
    reason = form.values.get("reason", "").strip()
    if not reason:
        form.errors["reason"] = t("form.required", lang)
    elif not form.invalid and not changes:
        form.general = t("drafting.nothing_changed", lang)
    amendment = convert_terms({"reason": reason, **changes}, TaskAmend, form, row_of, lang)
    if amendment is None:
        return await task_form_page(request, db_session, clock, form, mode="amend", action=action, task=task)
    made = await attempt(
        db_session,
        lambda: flows.amend_task(db_session, task_id, amendment, actor=request.user, now=clock.now()),
        raising=(403, 404),
    )
    if isinstance(made, ApplicationError):
        form.refuse(made, lang, TASK_FIELDS, renamed=FIELD_ON_PAGE)
        return await task_form_page(request, db_session, clock, form, mode="amend", action=action, task=task)
    say(request, "drafting.amended_material" if made.material else "drafting.amended", n=made.number)
    return see_other(f"/tasks/{task_id}#amend-h")


# Cancel (撤榜): a reason, then a confirmation step ---------------------------------------------------------------


async def _cancel_page(
    db: AsyncSession, task_id: int, viewer: User, clock: Clock, form: FormState | None = None
) -> Template:
    task = await task_views.detail(db, task_id, viewer, clock)
    cancellable = task.status in (TaskStatus.DRAFT, TaskStatus.POSTED, TaskStatus.REVIEWING)
    return form_page("market/drafting/cancel.html.j2", viewer, form or FormState(), task=task, cancellable=cancellable)


@get("/committee/tasks/{task_id:int}/cancel", **COMMITTEE)
async def cancel_form(request: UserRequest, db_session: Db, clock: Now, task_id: PathId) -> Template:
    """Why the task is withdrawn; the next step asks for confirmation."""
    return await _cancel_page(db_session, task_id, request.user, clock)


@post("/committee/tasks/{task_id:int}/cancel", **COMMITTEE)
async def cancel_task(request: UserRequest, db_session: Db, clock: Now, task_id: PathId) -> Template | Redirect:
    """First post: check the reason and ask "are you sure?"; only the confirmed post cancels."""
    lang = lang_of(request)
    viewer = request.user
    values = await form_values(request)
    # Only the reason: the confirmation step's own field is not part of the API's request.
    data = parse_form({"reason": values.get("reason", "")}, CancelRequest, lang)
    if isinstance(data, FormState):
        if "reason" in data.errors and values.get("reason", "").strip():
            data.errors["reason"] = t("drafting.reason_short", lang)
        return await _cancel_page(db_session, task_id, viewer, clock, data)
    task = await task_views.detail(db_session, task_id, viewer, clock)
    url = f"/committee/tasks/{task_id}/cancel"
    if not confirmed(values):
        return confirm_page(
            viewer,
            title=t("drafting.cancel_confirm_title", lang, title=task.title),
            warning=t("drafting.cancel_warning", lang),
            action=url,
            values={"reason": data.reason},
            back=url,
            button=t("drafting.cancel_confirm", lang),
            facts=[
                (t("drafting.task", lang), task.title),
                (t("common.status", lang), label("task_status", task.status, lang)),
                (t("drafting.reason", lang), data.reason),
            ],
        )
    done = await attempt(
        db_session,
        lambda: flows.cancel_task(db_session, task_id, data.reason, actor=viewer, now=clock.now()),
        raising=(403, 404),
    )
    if isinstance(done, ApplicationError):
        return await _cancel_page(db_session, task_id, viewer, clock, refused(values, done, lang, ("reason",)))
    say(request, "drafting.cancelled", title=task.title)
    return see_other(f"/tasks/{task_id}")


# Repost (流榜 → a new draft) -----------------------------------------------------------------------------------


@post("/committee/tasks/{task_id:int}/repost", **COMMITTEE)
async def repost_task(request: UserRequest, db_session: Db, clock: Now, task_id: PathId) -> Redirect:
    """A new draft copied from an unclaimed or cancelled task; set a new deadline before publishing it."""
    async with writing(db_session):
        task = await tasks.repost(db_session, task_id, actor=request.user, now=clock.now())
    say(request, "drafting.reposted")
    return see_other(f"/committee/tasks/{task.id}/edit")


# The evaluation panel (评审组) ----------------------------------------------------------------------------------


async def _panel_page(
    db: AsyncSession, task_id: int, viewer: User, clock: Clock, form: TaskForm | None = None
) -> Template:
    task = await task_views.detail(db, task_id, viewer, clock)
    members, started, named = await scoring.panel_of(db, task_id, viewer=viewer)
    if form is None:
        form = TaskForm({"named": "on"} if named else {}, picked={"user_ids": [str(m.id) for m in members]})
    return form_page(
        "market/drafting/panel.html.j2",
        viewer,
        form,
        task=task,
        members=members,
        started=started,
        named=named,
        evaluator_options=[(u.id, _evaluator_text(u)) for u in await scoring.evaluators(db)],
        open_for_panel=task.status in scoring.PANEL_STATES,
    )


def _evaluator_text(user: User) -> str:
    """An evaluator as the panel form lists them: name, account, and the organisation that recuses them."""
    name = f"{user.display_name} ({user.username})" if user.display_name else user.username
    return f"{name} · {user.organization.name}" if user.organization else name


@get("/committee/tasks/{task_id:int}/panel", **COMMITTEE)
async def panel_form(request: UserRequest, db_session: Db, clock: Now, task_id: PathId) -> Template:
    """Choose the evaluator accounts on the task's panel (those belonging to an organisation are recused from its
    proposals automatically)."""
    return await _panel_page(db_session, task_id, request.user, clock)


@post("/committee/tasks/{task_id:int}/panel", **COMMITTEE)
async def set_panel(request: UserRequest, db_session: Db, clock: Now, task_id: PathId) -> Template | Redirect:
    """Seat the panel; new members are told in their inbox."""
    lang = lang_of(request)
    form = await read_task_form(request)
    ids = [int_or_none(v, high=2**53) for v in form.picked.get("user_ids", [])]
    if not ids or any(i is None for i in ids):
        form.errors["user_ids"] = t("drafting.panel_required", lang)
        return await _panel_page(db_session, task_id, request.user, clock, form)
    named = form.values.get("named") == "on"
    data = msgspec.convert({"user_ids": ids, "named": named}, PanelSet) if len(ids) <= MAX_PANEL else None
    if data is None:
        form.errors["user_ids"] = t("drafting.panel_too_many", lang, n=MAX_PANEL)
        return await _panel_page(db_session, task_id, request.user, clock, form)
    done = await attempt(
        db_session,
        lambda: scoring.set_panel(
            db_session, task_id, data.user_ids, named=data.named, actor=request.user, now=clock.now()
        ),
        raising=(403, 404),
    )
    if isinstance(done, ApplicationError):
        form.refuse(done, lang, ("user_ids",))
        return await _panel_page(db_session, task_id, request.user, clock, form)
    say(request, "drafting.panel_saved", n=len(data.user_ids))
    return see_other(f"/tasks/{task_id}")


DRAFTING_PAGES: list[ControllerRouterHandler] = [
    new_task_form,
    create_task,
    edit_form,
    edit_task,
    post_task,
    amend_form,
    amend_task,
    cancel_form,
    cancel_task,
    repost_task,
    panel_form,
    set_panel,
]
