"""Applications to join the register (入驻申请): the public form at `/apply`, the committee's list and decisions.

The form checks every field at once and says which check character a credit code should end with; what the
service refuses (a registered name, a pending application) comes back beside its field through `refused`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.params import QueryParameter
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from alliances import phones
from alliances import services as alliance_services
from alliances.credit_code import InvalidCreditCode, check_character, normalize_credit_code
from alliances.models import ApplicationStatus, ServiceCategory
from alliances.schemas import ApplicationCreate, ApplicationReject
from market.i18n import error_text, label, t
from market.kernel.clock import Clock, local_date
from market.kernel.db import writing
from market.kernel.errors import InvalidInput, StateConflict
from market.models import User
from market.pages._base import (
    COMMITTEE,
    PUBLIC,
    FormState,
    enum_or_none,
    form_page,
    form_values,
    int_or_none,
    lang_of,
    page,
    parse_form,
    refused,
    say,
    see_other,
)
from market.params import Db, Now, PathId, Viewer

Query = Annotated[str | None, QueryParameter(max_length=20, required=False)]

APPLY_FIELDS = ("name", "credit_code", "alliance_id", "categories", "contact_name", "contact_phone", "description")


def credit_code_problem(raw: str, lang: str) -> str | None:
    """What is wrong with a credit code, naming the check character it should end with; None when it is right."""
    if not raw.strip():
        return t("form.required", lang)
    try:
        normalize_credit_code(raw)
    except InvalidCreditCode as exc:
        if exc.reason == "check":
            code = raw.strip().upper()
            return t("apply.check_wrong", lang, given=code[-1], expected=check_character(code[:17]))
        return error_text(exc, lang)
    return None


def application_request(
    values: dict[str, str], categories: list[str], alliance_ids: list[int], lang: str
) -> ApplicationCreate | FormState:
    """The application form as the API's `ApplicationCreate`, or every refused field marked at once."""
    errors: dict[str, str] = {}
    for name, longest in (("name", 100), ("contact_name", 50)):
        text = values.get(name, "").strip()
        if not text or len(text) > longest:
            errors[name] = t("form.required" if not text else "apply.too_long", lang, n=longest)
    problem = credit_code_problem(values.get("credit_code", ""), lang)
    if problem:
        errors["credit_code"] = problem
    alliance_id = int_or_none(values.get("alliance_id"))
    if alliance_id not in alliance_ids:
        errors["alliance_id"] = t("apply.pick_alliance", lang)
    chosen = [c for c in (enum_or_none(ServiceCategory, c) for c in categories) if c is not None]
    if not chosen or len(chosen) != len(categories):
        errors["categories"] = t("apply.pick_categories", lang)
    phone = phones.normalise(values.get("contact_phone", ""))
    if phone is None:
        errors["contact_phone"] = t("form.required" if not values.get("contact_phone") else "apply.bad_phone", lang)
    if errors:
        return FormState(values, errors)
    data = {
        "name": values["name"].strip(),
        "credit_code": values["credit_code"].strip().upper(),
        "alliance_id": alliance_id,
        "categories": list(dict.fromkeys(chosen)),
        "contact_name": values["contact_name"].strip(),
        "contact_phone": phone,
        "resident": values.get("resident") == "yes",
        "description": values.get("description", ""),
    }
    try:
        return msgspec.convert(data, ApplicationCreate)
    except msgspec.ValidationError as exc:
        m = re.search(r"at `\$\.([A-Za-z_]+)", str(exc))
        name = m.group(1) if m else ""
        return FormState(
            values, {name: t("form.invalid", lang)} if name in APPLY_FIELDS else {}, t("form.invalid", lang)
        )


async def _apply_page(
    db: AsyncSession, viewer: User | None, clock: Clock, form: FormState, categories: list[str], lang: str
) -> Template:
    code = form.values.get("credit_code", "")
    rows = await alliance_services.list_alliances(db, today=local_date(clock.now()))
    return form_page(
        "market/apply/form.html.j2",
        viewer,
        form,
        alliance_options=[(r.alliance.id, label("alliance", r.alliance.code, lang)) for r in rows],
        category_options=[c.value for c in ServiceCategory],
        checked=set(categories),
        credit_ok=bool(code.strip()) and "credit_code" not in form.errors and form.invalid,
    )


@get("/apply", **PUBLIC)
async def apply_form(request: Request[Any, Any, Any], db_session: Db, clock: Now, viewer: Viewer) -> Template:
    """The public application form (入驻申请): no account needed."""
    return await _apply_page(db_session, viewer, clock, FormState(), [], lang_of(request))


@post("/apply", **PUBLIC)
async def apply(request: Request[Any, Any, Any], db_session: Db, clock: Now, viewer: Viewer) -> Template | Redirect:
    """Submit it as `POST /organizations/applications` does; refused input comes back beside its field."""
    lang = lang_of(request)
    form = await request.form()
    values = {k: v for k, v in (await form_values(request)).items() if k != "categories"}
    categories = [str(c) for c in form.getall("categories", [])[: len(ServiceCategory) + 1]]
    rows = await alliance_services.list_alliances(db_session, today=local_date(clock.now()))
    alliance_ids = [r.alliance.id for r in rows]
    data = application_request(values, categories, alliance_ids, lang)
    if isinstance(data, FormState):
        return await _apply_page(db_session, viewer, clock, data, categories, lang)
    try:
        async with writing(db_session):
            await alliance_services.submit_application(db_session, data, now=clock.now())
    except (InvalidInput, StateConflict) as exc:
        state = refused(values, exc, lang, APPLY_FIELDS)
        return await _apply_page(db_session, viewer, clock, state, categories, lang)
    say(request, "apply.received", name=data.name)
    return see_other("/apply/thanks")


@get("/apply/thanks", **PUBLIC)
async def apply_thanks(viewer: Viewer) -> Template:
    """What happens next, once the application is in."""
    return page("market/apply/thanks.html.j2", viewer)


@get("/committee/applications", **COMMITTEE)
async def applications(db_session: Db, clock: Now, viewer: Viewer, status: Query = None) -> Template:
    """Applications of one status (pending unless asked), oldest first, each with approve and reject."""
    chosen = enum_or_none(ApplicationStatus, status) if status != "all" else None
    if status is None or (chosen is None and status != "all"):
        chosen = ApplicationStatus.PENDING
    rows = await alliance_services.list_applications(db_session, status=chosen, limit=200, offset=0)
    alliances = await alliance_services.list_alliances(db_session, today=local_date(clock.now()))
    return page(
        "market/apply/list.html.j2",
        viewer,
        applications=rows,
        alliance_codes={r.alliance.id: r.alliance.code for r in alliances},
        status=chosen.value if chosen else "all",
        statuses=[s.value for s in ApplicationStatus],
    )


@post("/committee/applications/{application_id:int}/approve", **COMMITTEE)
async def approve(request: Request[Any, Any, Any], db_session: Db, clock: Now, application_id: PathId) -> Redirect:
    """Approve: the organisation is registered in the same step."""
    try:
        async with writing(db_session):
            done, _ = await alliance_services.approve_application(
                db_session, application_id, actor=request.user, now=clock.now()
            )
    except (InvalidInput, StateConflict) as exc:
        flash(request, error_text(exc, lang_of(request)), "error")
        return see_other("/committee/applications")
    say(request, "apply.approved", name=done.name)
    return see_other("/committee/applications")


@get("/committee/applications/{application_id:int}/reject", **COMMITTEE)
async def reject_form(db_session: Db, viewer: Viewer, application_id: PathId) -> Template:
    """Say why the application is turned down (the applicant is told)."""
    found = await alliance_services.get_application(db_session, application_id)
    return form_page("market/apply/reject.html.j2", viewer, FormState(), application=found)


@post("/committee/applications/{application_id:int}/reject", **COMMITTEE)
async def reject(
    request: Request[Any, Any, Any], db_session: Db, clock: Now, viewer: Viewer, application_id: PathId
) -> Template | Redirect:
    """Reject with a reason (`POST /organizations/applications/{id}/reject`)."""
    lang = lang_of(request)
    found = await alliance_services.get_application(db_session, application_id)
    values = {k: v for k, v in (await form_values(request)).items() if k == "reason"}
    data = parse_form(values, ApplicationReject, lang)
    if isinstance(data, FormState):
        if "reason" in data.errors and values.get("reason", "").strip():
            data.errors["reason"] = t("apply.reason_short", lang)
        return form_page("market/apply/reject.html.j2", viewer, data, application=found)
    try:
        async with writing(db_session):
            done = await alliance_services.reject_application(
                db_session, application_id, data.reason, actor=request.user, now=clock.now()
            )
    except (InvalidInput, StateConflict) as exc:
        state = refused(values, exc, lang, ("reason",))
        return form_page("market/apply/reject.html.j2", viewer, state, application=found)
    say(request, "apply.rejected", name=done.name)
    return see_other("/committee/applications")


APPLICATION_PAGES: list[ControllerRouterHandler] = [
    apply_form,
    apply,
    apply_thanks,
    applications,
    approve,
    reject_form,
    reject,
]
