"""The committee's task form: read in the committee's units and turned into the API's request structs.

The form speaks in yuan, a claim deadline as a date and a time in Asia/Shanghai, and the rubric as up to ten rows
(blank ones ignored); it becomes the API's `TaskCreate` / `TaskUpdate` / `TaskAmend`. Editing a draft and amending
a posted task send only the terms the form changed (`changed_terms`), so an untouched deadline or rubric is never
recorded as a change (a material one would send submitted proposals back to draft).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec
from litestar import Request
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from alliances import services as alliance_services
from alliances.models import ServiceCategory
from market.controllers import _needs as need_views
from market.i18n import label, t
from market.kernel.clock import SHANGHAI, Clock, local, local_date
from market.kernel.errors import NotFound
from market.models import FundingMode, User
from market.pages._base import FormState, S, UserRequest, field_errors, form_page, int_or_none, lang_of, yuan_figure
from market.schemas._needs import NeedSummary
from market.schemas._tasks import Task, TaskAmend, TaskUpdate
from market.scoring import DEFAULT_RUBRIC, MAX_CRITERIA
from market.services import needs
from market.states import NeedStatus

# Rubric rows the form shows (more when a task already has more criteria; at most MAX_CRITERIA are read).
RUBRIC_ROWS = 6
# Checkbox groups: several values under one name.
MULTI = ("alliances", "community_ids", "need_ids", "user_ids")
CHECKED = frozenset({"on", "true", "yes", "1"})
# Where a service's or msgspec's field lands on the form.
FIELD_ON_PAGE = {"budget_fen": "budget_yuan", "claim_deadline": "claim_deadline_date"}
TASK_FIELDS = frozenset(
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
AMENDABLE = frozenset(TaskAmend.__struct_fields__) - {"reason"}
EDITABLE = frozenset(TaskUpdate.__struct_fields__)


@dataclass
class TaskForm(FormState):
    """A task form: its text fields, and the boxes ticked in each checkbox group."""

    picked: dict[str, list[str]] = field(default_factory=dict)
    rubric_rows: int = RUBRIC_ROWS


async def read_task_form(request: Request[Any, Any, Any]) -> TaskForm:
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


def form_of_task(task: Task) -> TaskForm:
    """A task's terms as the form shows them."""
    deadline = local(task.claim_deadline)
    values = {
        "title": task.title,
        "description": task.description,
        "category": task.category.value,
        "posting_unit": task.posting_unit,
        "budget_yuan": yuan_figure(task.budget_fen),
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


def blank_task_form(need_id: int | None = None) -> TaskForm:
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


def task_terms(form: TaskForm, lang: str) -> tuple[dict[str, Any], list[int]]:
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
    return FIELD_ON_PAGE.get(name, name)


def convert_terms(data: dict[str, Any], schema: type[S], form: TaskForm, row_of: list[int], lang: str) -> S | None:
    """The API's request struct, or None with every refused field marked on the form (beside what the form's own
    reading already marked, which says more and is kept)."""
    present = {k: v for k, v in data.items() if v is not None}
    for key, message in field_errors(present, schema, lang).items():
        name = _form_field(key, row_of)
        if name in TASK_FIELDS or name.startswith("rubric_"):
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


def changed_terms(data: dict[str, Any], before: dict[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
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


async def task_form_page(
    request: UserRequest,
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
