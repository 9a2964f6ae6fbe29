"""The committee drafting tasks: new, edit, post, amend, cancel, repost, the panel, answering questions.

Every form posts here and calls the same task and scoring services as `/api/v1/tasks`. The task form speaks the
committee's units — budget in yuan, the claim deadline as a date and a time in Asia/Shanghai, the rubric as up to
ten rows (blank ones ignored) — and is turned into the API's `TaskCreate` / `TaskUpdate` / `TaskAmend`. Editing a
draft and amending a posted task send only the terms the form changed, so an untouched deadline or rubric is never
recorded as a change (a material one would send submitted proposals back to draft).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from alliances import services as alliance_services
from alliances.models import ServiceCategory
from alliances.services import local_date
from market.controllers import _needs as need_views
from market.controllers import _tasks as task_views
from market.controllers._base import PathId
from market.i18n import label, localize_detail, t
from market.kernel.clock import SHANGHAI, Clock, local
from market.kernel.db import writing
from market.kernel.errors import ApplicationError, NotFound, StateConflict
from market.models import FundingMode, User
from market.pages._base import (
    COMMITTEE,
    Db,
    FormState,
    Now,
    S,
    confirm_page,
    confirmed,
    field_errors,
    form_page,
    form_values,
    int_or_none,
    lang_of,
    parse_form,
    refused,
    say,
    see_other,
)
from market.schemas._needs import NeedSummary
from market.schemas._scoring import MAX_PANEL, PanelSet
from market.schemas._tasks import AnswerCreate, CancelRequest, Task, TaskAmend, TaskCreate, TaskUpdate
from market.scoring import DEFAULT_RUBRIC, MAX_CRITERIA
from market.services import _needs as needs
from market.services import _scoring as scoring
from market.services import _tasks as tasks
from market.states import NeedStatus, TaskStatus

# Rubric rows the form shows (more when a task already has more criteria; at most MAX_CRITERIA are read).
RUBRIC_ROWS = 6
# Checkbox groups: several values under one name.
MULTI = ("alliances", "community_ids", "need_ids", "user_ids")
CHECKED = frozenset({"on", "true", "yes", "1"})
# Where a service's or msgspec's field lands on the form.
_FORM_FIELD = {"budget_fen": "budget_yuan", "claim_deadline": "claim_deadline_date"}
_FIELDS = frozenset(
    {
        "title",
        "description",
        "category",
        "posting_unit",
        "budget_yuan",
        "funding_mode",
        "claim_deadline_date",
        "claim_deadline_time",
        "alliances",
        "allow_joint",
        "community_ids",
        "need_ids",
        "rubric",
        "reason",
    }
)
_AT_KEY = re.compile(r"([a-z_]+)(?:\[(\d+)\](?:\.([a-z_]+))?)?")
# The fields of TaskCreate each kind of form may send.
_AMENDABLE = frozenset(TaskAmend.__struct_fields__) - {"reason"}
_EDITABLE = frozenset(TaskUpdate.__struct_fields__)


@dataclass
class TaskForm(FormState):
    """A task form: its text fields, and the boxes ticked in each checkbox group."""

    picked: dict[str, list[str]] = field(default_factory=dict)
    rubric_rows: int = RUBRIC_ROWS


async def _read(request: Request[Any, Any, Any]) -> TaskForm:
    """The submitted form; textarea line ends normalised so an untouched text compares equal to what is stored."""
    data = await request.form()
    values = {
        k: v.replace("\r\n", "\n")
        for k, v in data.items()
        if isinstance(v, str) and k != "_csrf_token" and k not in MULTI
    }
    picked = {name: [v for v in data.getall(name, []) if isinstance(v, str)][:200] for name in MULTI}
    return TaskForm(values, picked=picked, rubric_rows=_rows_needed(values))


def _rows_needed(values: dict[str, str]) -> int:
    filled = [i for i in range(MAX_CRITERIA) if values.get(f"rubric_{i}_name") or values.get(f"rubric_{i}_maximum")]
    return max(RUBRIC_ROWS, (filled[-1] + 1) if filled else 0)


def yuan(fen: int) -> str:
    """Fen as a plain yuan amount for a form field: 5000000 → "50000", 123456 → "1234.56"."""
    return str(fen // 100) if fen % 100 == 0 else f"{fen // 100}.{fen % 100:02d}"


def _form_of(task: Task) -> TaskForm:
    """A task's terms as the form shows them."""
    deadline = local(task.claim_deadline)
    values = {
        "title": task.title,
        "description": task.description,
        "category": task.category.value,
        "posting_unit": task.posting_unit,
        "budget_yuan": yuan(task.budget_fen),
        "funding_mode": str(task.funding_mode),
        "claim_deadline_date": deadline.strftime("%Y-%m-%d"),
        "claim_deadline_time": deadline.strftime("%H:%M"),
        "allow_joint": "on" if task.allow_joint else "",
    }
    for i, c in enumerate(task.rubric):
        values[f"rubric_{i}_name"] = c.name
        values[f"rubric_{i}_maximum"] = str(c.maximum)
    picked = {
        "alliances": [a.code for a in task.alliances],
        "community_ids": [str(c.id) for c in task.communities],
        "need_ids": [str(n) for n in task.need_ids],
    }
    return TaskForm(values, picked=picked, rubric_rows=_rows_needed(values))


def _blank_form(need_id: int | None = None) -> TaskForm:
    """A new task: the default rubric filled in, the usual funding mode and a 17:00 deadline."""
    values = {"funding_mode": FundingMode.SERVICE_PURCHASE.value, "claim_deadline_time": "17:00"}
    for i, c in enumerate(DEFAULT_RUBRIC):
        values[f"rubric_{i}_name"] = c.name
        values[f"rubric_{i}_maximum"] = str(c.maximum)
    return TaskForm(values, picked={"need_ids": [str(need_id)] if need_id else []})


# Reading the task form -----------------------------------------------------------------------------------------


def _plain(raw: str) -> str:
    # NFKC turns full-width digits, points and colons (Chinese input methods type them) into ASCII.
    return unicodedata.normalize("NFKC", raw).strip()


def _fen(raw: str) -> int | None:
    """A yuan amount ("50000", "5,000.5", "5000元") in fen, or None when it is not one."""
    text = _plain(raw).replace(",", "").replace(" ", "").removesuffix("元")
    if not text or len(text) > 16:
        return None
    try:
        value = Decimal(text) * 100
    except InvalidOperation:
        return None
    if not value.is_finite() or value != value.to_integral_value():
        return None
    return int(value)


def _deadline(form: TaskForm, lang: str) -> datetime | None:
    """The claim deadline's date and time, read as Asia/Shanghai."""
    day, at = _plain(form.values.get("claim_deadline_date", "")), _plain(form.values.get("claim_deadline_time", ""))
    if not day:
        form.errors["claim_deadline_date"] = t("form.required", lang)
    if not at:
        form.errors["claim_deadline_time"] = t("form.required", lang)
    if not day or not at:
        return None
    try:
        parsed_day = date.fromisoformat(day)
    except ValueError:
        form.errors["claim_deadline_date"] = t("drafting.bad_date", lang)
        return None
    try:
        parsed_time = time.fromisoformat(at)
    except ValueError:
        form.errors["claim_deadline_time"] = t("drafting.bad_time", lang)
        return None
    return datetime.combine(parsed_day, parsed_time.replace(second=0, microsecond=0), tzinfo=SHANGHAI)


def _ids(form: TaskForm, name: str, lang: str) -> list[int]:
    ids = [int_or_none(v, high=2**53) for v in form.picked.get(name, [])]
    if any(i is None for i in ids):
        form.errors[name] = t("form.invalid", lang)
    return sorted({i for i in ids if i is not None})


def _rubric(form: TaskForm, lang: str) -> tuple[list[dict[str, Any]], list[int]]:
    """The rubric rows that are filled in, and the form row each came from."""
    rows: list[dict[str, Any]] = []
    row_of: list[int] = []
    for i in range(MAX_CRITERIA):
        name = form.values.get(f"rubric_{i}_name", "").strip()
        raw = _plain(form.values.get(f"rubric_{i}_maximum", ""))
        if not name and not raw:
            continue
        if not name:
            form.errors[f"rubric_{i}_name"] = t("form.required", lang)
            continue
        maximum = int_or_none(raw, high=100)
        if maximum is None:
            form.errors[f"rubric_{i}_maximum"] = t("drafting.rubric_maximum", lang)
            continue
        rows.append({"name": name, "maximum": maximum})
        row_of.append(i)
    if not rows and not any(k.startswith("rubric_") for k in form.errors):
        form.errors["rubric"] = t("drafting.rubric_empty", lang)
    return rows, row_of


def _terms(form: TaskForm, lang: str) -> tuple[dict[str, Any], list[int]]:
    """Every term the form holds, as the API's field names and values; what is refused goes into form.errors."""
    v = form.values
    out: dict[str, Any] = {}
    for name in ("title", "description", "posting_unit"):
        out[name] = v.get(name, "").strip()
        if not out[name]:
            form.errors[name] = t("form.required", lang)
    for name, kind in (("category", ServiceCategory), ("funding_mode", FundingMode)):
        out[name] = v.get(name, "")
        if out[name] not in {m.value for m in kind}:
            form.errors[name] = t("form.required", lang)
    raw_budget = v.get("budget_yuan", "")
    out["budget_fen"] = _fen(raw_budget)
    if out["budget_fen"] is None:
        form.errors["budget_yuan"] = t("form.required" if not raw_budget.strip() else "drafting.bad_budget", lang)
    elif out["budget_fen"] <= 0:
        form.errors["budget_yuan"] = t("drafting.bad_budget", lang)
    out["claim_deadline"] = _deadline(form, lang)
    out["alliances"] = sorted(set(form.picked.get("alliances", [])))
    if not out["alliances"]:
        form.errors["alliances"] = t("drafting.alliances_required", lang)
    out["allow_joint"] = v.get("allow_joint", "") in CHECKED
    out["community_ids"] = _ids(form, "community_ids", lang)
    out["need_ids"] = _ids(form, "need_ids", lang)
    out["rubric"], row_of = _rubric(form, lang)
    return out, row_of


def _form_field(key: str, row_of: list[int]) -> str:
    """Where a struct field's fault shows on the form: `rubric[1].maximum` is the rubric row it came from."""
    m = _AT_KEY.match(key)
    if m is None:
        return key
    name, index, inner = m.group(1), m.group(2), m.group(3)
    if name == "rubric" and index is not None and inner:
        return f"rubric_{row_of[int(index)]}_{inner}" if int(index) < len(row_of) else "rubric"
    return _FORM_FIELD.get(name, name)


def _convert(data: dict[str, Any], schema: type[S], form: TaskForm, row_of: list[int], lang: str) -> S | None:
    """The API's request struct, or None with every refused field marked on the form (beside what the form's own
    reading already marked, which says more and is kept)."""
    present = {k: v for k, v in data.items() if v is not None}
    for key, message in field_errors(present, schema, lang).items():
        name = _form_field(key, row_of)
        if name in _FIELDS or name.startswith("rubric_"):
            form.errors.setdefault(name, message)
        else:
            form.general = form.general or message
    if form.invalid:
        return None
    try:
        return msgspec.convert(data, schema, strict=False)
    except msgspec.ValidationError:
        # What no single field shows (a rule across fields): above the form.
        form.general = t("form.invalid", lang)
        return None


def _refused(form: TaskForm, exc: ApplicationError, lang: str) -> TaskForm:
    """A service's refusal beside the field it names, else above the form."""
    message = localize_detail(exc.detail, lang)
    name = _FORM_FIELD.get(exc.field or "", exc.field or "")
    if name in _FIELDS:
        form.errors[name] = message
    else:
        form.general = message
    return form


def _changes(data: dict[str, Any], before: dict[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    """Only the terms the form changed (and the form may change)."""
    return {k: value for k, value in data.items() if k in allowed and value != before.get(k)}


# Pages ---------------------------------------------------------------------------------------------------------


async def _choices(db: AsyncSession, clock: Clock, viewer: User, form: TaskForm, lang: str) -> dict[str, Any]:
    """What the task form offers, as (value, text) pairs: categories, funding modes, alliances, the needs still open
    (plus any the task already answers); and the communities, which the template groups by street."""
    now = clock.now()
    alliances = [row.alliance for row in await alliance_services.list_alliances(db, today=local_date(now))]
    _, rows = await needs.list_needs(db, needs.NeedFilter(status=NeedStatus.OPEN, limit=200))
    shown = [need_views.summary(r) for r in rows]
    known = {n.id for n in shown}
    for raw in form.picked.get("need_ids", []):
        need_id = int_or_none(raw, high=2**53)
        if need_id is not None and need_id not in known:
            try:
                shown.append(need_views.summary((await needs.get_need(db, need_id, viewer=viewer, now=now)).row))
            except NotFound:
                continue
            known.add(need_id)
    return {
        "category_options": [(c.value, label("category", c, lang)) for c in ServiceCategory],
        "funding_options": [(m.value, label("funding_mode", m, lang)) for m in FundingMode],
        "alliance_options": [(a.code, label("alliance", a.code, lang)) for a in alliances],
        "need_options": [(n.id, _need_text(n, lang)) for n in shown],
        "communities": await alliance_services.list_communities(db),
    }


def _need_text(n: NeedSummary, lang: str) -> str:
    """A need as a checkbox says it: title · who raised it · its state."""
    who = n.community.name if n.community else n.organization.name if n.organization else ""
    return " · ".join(part for part in (n.title, who, label("need_status", n.status, lang)) if part)


async def _task_form(
    request: Request[User, Any, Any],
    db: AsyncSession,
    clock: Clock,
    form: TaskForm,
    *,
    mode: str,
    action: str,
    task: Task | None = None,
) -> Template:
    """The task form in one of its modes: "new", "edit" (a draft) or "amend" (a posted task)."""
    viewer, lang = request.user, lang_of(request)
    return form_page(
        "market/drafting/task_form.html.j2",
        viewer,
        form,
        mode=mode,
        action=action,
        task=task,
        **await _choices(db, clock, viewer, form, lang),
    )


NeedId = Annotated[str | None, QueryParameter(name="need_id", max_length=20, required=False)]


@get("/committee/tasks/new", **COMMITTEE)
async def new_task_form(
    request: Request[User, Any, Any], db_session: Db, clock: Now, need_id: NeedId = None
) -> Template:
    """A blank draft (the default rubric filled in); `?need_id=` ticks the need it is to answer."""
    form = _blank_form(int_or_none(need_id, high=2**53))
    return await _task_form(request, db_session, clock, form, mode="new", action="/committee/tasks/new")


@post("/committee/tasks/new", **COMMITTEE)
async def create_task(request: Request[User, Any, Any], db_session: Db, clock: Now) -> Template | Redirect:
    """Save a new draft; it is published from its page."""
    lang = lang_of(request)
    form = await _read(request)
    data, row_of = _terms(form, lang)
    made = _convert(data, TaskCreate, form, row_of, lang)
    if made is None:
        return await _task_form(request, db_session, clock, form, mode="new", action="/committee/tasks/new")
    try:
        async with writing(db_session):
            task = await tasks.create_task(db_session, made, actor=request.user, now=clock.now())
    except ApplicationError as exc:
        _refused(form, exc, lang)
        return await _task_form(request, db_session, clock, form, mode="new", action="/committee/tasks/new")
    say(request, "drafting.created", title=task.title)
    return see_other(f"/tasks/{task.id}")


async def _task_in(db: AsyncSession, task_id: int, viewer: User, clock: Clock, status: TaskStatus) -> Task:
    """The task, if it is in the state this form is for (the service checks again when the form is saved)."""
    task = await task_views.detail(db, task_id, viewer, clock)
    if task.status != status:
        raise StateConflict(_WRONG_STATE[status])
    return task


_WRONG_STATE = {
    TaskStatus.DRAFT: "只有草稿可以直接修改，已发布的榜单请用变更 (only drafts are edited; amend posted tasks)",
    TaskStatus.POSTED: "只有揭榜期内的榜单可以变更 (only a task open for claims can be amended)",
}


@get("/committee/tasks/{task_id:int}/edit", **COMMITTEE)
async def edit_form(request: Request[User, Any, Any], db_session: Db, clock: Now, task_id: PathId) -> Template:
    """A draft's terms, every one editable."""
    task = await _task_in(db_session, task_id, request.user, clock, TaskStatus.DRAFT)
    action = f"/committee/tasks/{task_id}/edit"
    return await _task_form(request, db_session, clock, _form_of(task), mode="edit", action=action, task=task)


@post("/committee/tasks/{task_id:int}/edit", **COMMITTEE)
async def edit_task(
    request: Request[User, Any, Any], db_session: Db, clock: Now, task_id: PathId
) -> Template | Redirect:
    """Save the terms the form changed."""
    lang = lang_of(request)
    task = await _task_in(db_session, task_id, request.user, clock, TaskStatus.DRAFT)
    action = f"/committee/tasks/{task_id}/edit"
    form = await _read(request)
    data, row_of = _terms(form, lang)
    before, _ = _terms(_form_of(task), lang)
    update = _convert(_changes(data, before, _EDITABLE), TaskUpdate, form, row_of, lang)
    if update is None:
        return await _task_form(request, db_session, clock, form, mode="edit", action=action, task=task)
    try:
        async with writing(db_session):
            await tasks.update_draft(db_session, task_id, update, actor=request.user, now=clock.now())
    except ApplicationError as exc:
        if exc.status_code in (403, 404, 409):
            raise
        _refused(form, exc, lang)
        return await _task_form(request, db_session, clock, form, mode="edit", action=action, task=task)
    say(request, "drafting.saved")
    return see_other(f"/tasks/{task_id}")


@post("/committee/tasks/{task_id:int}/post", **COMMITTEE)
async def post_task(
    request: Request[User, Any, Any], db_session: Db, clock: Now, task_id: PathId
) -> Template | Redirect:
    """Publish a draft (发榜). A deadline already passed or a need no longer open comes back on the edit form."""
    lang = lang_of(request)
    try:
        async with writing(db_session):
            task = await tasks.post_task(db_session, task_id, actor=request.user, now=clock.now())
    except ApplicationError as exc:
        if exc.status_code != 422:
            raise
        draft = await _task_in(db_session, task_id, request.user, clock, TaskStatus.DRAFT)
        form = _refused(_form_of(draft), exc, lang)
        action = f"/committee/tasks/{task_id}/edit"
        return await _task_form(request, db_session, clock, form, mode="edit", action=action, task=draft)
    say(request, "drafting.posted", title=task.title)
    return see_other(f"/tasks/{task_id}")


@get("/committee/tasks/{task_id:int}/amendments", **COMMITTEE)
async def amend_form(request: Request[User, Any, Any], db_session: Db, clock: Now, task_id: PathId) -> Template:
    """A posted task's terms, to change by a recorded amendment (变更公告) with a reason."""
    task = await _task_in(db_session, task_id, request.user, clock, TaskStatus.POSTED)
    action = f"/committee/tasks/{task_id}/amendments"
    return await _task_form(request, db_session, clock, _form_of(task), mode="amend", action=action, task=task)


@post("/committee/tasks/{task_id:int}/amendments", **COMMITTEE)
async def amend_task(
    request: Request[User, Any, Any], db_session: Db, clock: Now, task_id: PathId
) -> Template | Redirect:
    """Record the amendment; if it touches budget, rubric, alliances or deadline, submitted proposals go back to
    draft and their organisations are told (the service does both)."""
    lang = lang_of(request)
    task = await _task_in(db_session, task_id, request.user, clock, TaskStatus.POSTED)
    action = f"/committee/tasks/{task_id}/amendments"
    form = await _read(request)
    initial = _form_of(task)
    # Category and needs are not amended: the form does not show them, so they stay as they are.
    form.values["category"] = initial.values["category"]
    form.picked["need_ids"] = initial.picked["need_ids"]
    data, row_of = _terms(form, lang)
    before, _ = _terms(initial, lang)
    changes = _changes(data, before, _AMENDABLE)
    reason = form.values.get("reason", "").strip()
    if not reason:
        form.errors["reason"] = t("form.required", lang)
    elif not form.invalid and not changes:
        form.general = t("drafting.nothing_changed", lang)
    amendment = _convert({"reason": reason, **changes}, TaskAmend, form, row_of, lang)
    if amendment is None:
        return await _task_form(request, db_session, clock, form, mode="amend", action=action, task=task)
    try:
        async with writing(db_session):
            made = await tasks.amend_task(db_session, task_id, amendment, actor=request.user, now=clock.now())
    except ApplicationError as exc:
        if exc.status_code in (403, 404):
            raise
        _refused(form, exc, lang)
        return await _task_form(request, db_session, clock, form, mode="amend", action=action, task=task)
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
async def cancel_form(request: Request[User, Any, Any], db_session: Db, clock: Now, task_id: PathId) -> Template:
    """Why the task is withdrawn; the next step asks for confirmation."""
    return await _cancel_page(db_session, task_id, request.user, clock)


@post("/committee/tasks/{task_id:int}/cancel", **COMMITTEE)
async def cancel_task(
    request: Request[User, Any, Any], db_session: Db, clock: Now, task_id: PathId
) -> Template | Redirect:
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
    try:
        async with writing(db_session):
            await tasks.cancel_task(db_session, task_id, data.reason, actor=viewer, now=clock.now())
    except ApplicationError as exc:
        if exc.status_code in (403, 404):
            raise
        return await _cancel_page(db_session, task_id, viewer, clock, refused(values, exc, lang, ("reason",)))
    say(request, "drafting.cancelled", title=task.title)
    return see_other(f"/tasks/{task_id}")


# Repost (流榜 → a new draft) -----------------------------------------------------------------------------------


@post("/committee/tasks/{task_id:int}/repost", **COMMITTEE)
async def repost_task(request: Request[User, Any, Any], db_session: Db, clock: Now, task_id: PathId) -> Redirect:
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
    members, started = await scoring.panel_of(db, task_id, viewer=viewer)
    if form is None:
        form = TaskForm(picked={"user_ids": [str(m.id) for m in members]})
    return form_page(
        "market/drafting/panel.html.j2",
        viewer,
        form,
        task=task,
        members=members,
        started=started,
        evaluator_options=[(u.id, _evaluator_text(u)) for u in await scoring.evaluators(db)],
        open_for_panel=task.status in scoring.PANEL_STATES,
    )


def _evaluator_text(user: User) -> str:
    """An evaluator as the panel form lists them: name, account, and the organisation that recuses them."""
    name = f"{user.display_name} ({user.username})" if user.display_name else user.username
    return f"{name} · {user.organization.name}" if user.organization else name


@get("/committee/tasks/{task_id:int}/panel", **COMMITTEE)
async def panel_form(request: Request[User, Any, Any], db_session: Db, clock: Now, task_id: PathId) -> Template:
    """Choose the evaluator accounts on the task's panel (those belonging to an organisation are recused from its
    proposals automatically)."""
    return await _panel_page(db_session, task_id, request.user, clock)


@post("/committee/tasks/{task_id:int}/panel", **COMMITTEE)
async def set_panel(
    request: Request[User, Any, Any], db_session: Db, clock: Now, task_id: PathId
) -> Template | Redirect:
    """Seat the panel; new members are told in their inbox."""
    lang = lang_of(request)
    form = await _read(request)
    ids = [int_or_none(v, high=2**53) for v in form.picked.get("user_ids", [])]
    if not ids or any(i is None for i in ids):
        form.errors["user_ids"] = t("drafting.panel_required", lang)
        return await _panel_page(db_session, task_id, request.user, clock, form)
    data = msgspec.convert({"user_ids": ids}, PanelSet) if len(ids) <= MAX_PANEL else None
    if data is None:
        form.errors["user_ids"] = t("drafting.panel_too_many", lang, n=MAX_PANEL)
        return await _panel_page(db_session, task_id, request.user, clock, form)
    try:
        async with writing(db_session):
            await scoring.set_panel(db_session, task_id, data.user_ids, actor=request.user, now=clock.now())
    except ApplicationError as exc:
        if exc.status_code in (403, 404):
            raise
        message = localize_detail(exc.detail, lang)
        if exc.field == "user_ids":
            form.errors["user_ids"] = message
        else:
            form.general = message
        return await _panel_page(db_session, task_id, request.user, clock, form)
    say(request, "drafting.panel_saved", n=len(data.user_ids))
    return see_other(f"/tasks/{task_id}")


# Answering questions (答疑) -------------------------------------------------------------------------------------


async def _answer_page(
    db: AsyncSession, task_id: int, question_id: int, viewer: User, clock: Clock, form: FormState | None = None
) -> Template:
    task = await task_views.detail(db, task_id, viewer, clock)
    question = next((q for q in task.questions if q.id == question_id), None)
    if question is None:
        raise NotFound("问题不存在 (no such question)")
    form = form or FormState({"answer": question.answer})
    return form_page("market/drafting/answer.html.j2", viewer, form, task=task, question=question)


@get("/committee/tasks/{task_id:int}/questions/{question_id:int}/answer", **COMMITTEE)
async def answer_form(
    request: Request[User, Any, Any], db_session: Db, clock: Now, task_id: PathId, question_id: PathId
) -> Template:
    """One question and the answer to publish with the task (the asker is never named)."""
    return await _answer_page(db_session, task_id, question_id, request.user, clock)


@post("/committee/tasks/{task_id:int}/questions/{question_id:int}/answer", **COMMITTEE)
async def answer_question(
    request: Request[User, Any, Any], db_session: Db, clock: Now, task_id: PathId, question_id: PathId
) -> Template | Redirect:
    """Publish the answer; the asker is told."""
    lang = lang_of(request)
    values = await form_values(request)
    data = parse_form({"answer": values.get("answer", "")}, AnswerCreate, lang)
    if isinstance(data, FormState):
        return await _answer_page(db_session, task_id, question_id, request.user, clock, data)
    try:
        async with writing(db_session):
            await tasks.answer(db_session, task_id, question_id, data.answer, actor=request.user, now=clock.now())
    except ApplicationError as exc:
        if exc.status_code in (403, 404):
            raise
        state = refused(values, exc, lang, ("answer",))
        return await _answer_page(db_session, task_id, question_id, request.user, clock, state)
    say(request, "drafting.answered")
    return see_other(f"/tasks/{task_id}#qa-h")


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
    answer_form,
    answer_question,
]
