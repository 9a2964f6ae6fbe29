"""Points pages (积分制): the public rules, notices and the year's table; an entry with its objections; the check of
a statement's code; a resident's points and statement through their sign-up link; an organisation's statement; the
committee's queue (singly or in batches), objections and the rules' editor.

Each handler asks the points service (and shapes through `market.controllers._points`) what the API asks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from alliances.phones import mask_name
from market.controllers import _points as views
from market.i18n import t
from market.kernel.clock import local_date
from market.kernel.errors import ApplicationError
from market.kernel.params import MAX_BATCH
from market.models import Role, User
from market.pages._base import (
    COMMITTEE,
    ORG,
    PUBLIC,
    FormState,
    PageNo,
    Paging,
    Query,
    UserRequest,
    attempt,
    form_values,
    int_or_none,
    lang_of,
    page,
    page_number,
    parse_form,
    refused,
    say,
    see_other,
    told_elsewhere,
)
from market.params import Config, Db, Now, PathId, Viewer
from market.schemas._points import (
    Amendment,
    BatchApproval,
    BatchRejection,
    EntryCreate,
    ObjectionCreate,
    RulesEdit,
    Ruling,
)
from market.security import requires
from market.services import classes, points
from market.states import PointStatus

Token = Annotated[str, QueryParameter(max_length=200)]
YearText = Annotated[str | None, QueryParameter(name="year", max_length=4, required=False)]
PAGE = 20


def _rule_groups(rules: points.Rules) -> dict[str, list[tuple[str, int]]]:
    groups: dict[str, list[tuple[str, int]]] = {kind.value: [] for kind in points.HolderKind}
    for code in points.RuleCode:
        groups[points.HOLDER_OF[code].value].append((code.value, rules.worth(code)))
    return groups


@get("/points", **PUBLIC)
async def rules_page(db_session: Db, viewer: Viewer, page_: PageNo = None) -> Template:
    """The rules in force and their versions, and the entries posted for notice (公示) now."""
    number = page_number(page_)
    history = await points.rule_history(db_session)
    total, rows = await points.entries_page(
        db_session, viewer=None, status=PointStatus.POSTED, organization_id=None, limit=PAGE, offset=(number - 1) * PAGE
    )
    return page(
        "market/points/rules.html.j2",
        viewer,
        rules=history[0],
        groups=_rule_groups(history[0]),
        history=history,
        notices=await views.entry_views(db_session, rows),
        paging=Paging(number, total, PAGE),
    )


@get("/points/table", **PUBLIC)
async def table_page(
    db_session: Db, clock: Now, viewer: Viewer, year: YearText = None, page_: PageNo = None
) -> Template:
    """Organisations by the points counted in a year, most first."""
    this_year = local_date(clock.now()).year
    chosen = int_or_none(year, low=2000, high=2100) or this_year
    number = page_number(page_)
    total, rows = await points.year_table(db_session, chosen, limit=PAGE, offset=(number - 1) * PAGE)
    return page(
        "market/points/table.html.j2",
        viewer,
        year=chosen,
        years=list(range(this_year, this_year - 5, -1)),
        rows=rows,
        first=(number - 1) * PAGE,
        paging=Paging(number, total, PAGE),
    )


async def _entry_page(
    db: AsyncSession,
    entry_id: int,
    viewer: User | None,
    now: datetime,
    *,
    form: FormState | None = None,
    rulings: dict[int, FormState] | None = None,
) -> Template:
    entry = await points.get_entry(db, entry_id, viewer=viewer)
    committee = viewer is not None and viewer.role == Role.COMMITTEE
    return page(
        "market/points/entry.html.j2",
        viewer,
        status_code=422 if form is not None or rulings else 200,
        entry=(await views.entry_views(db, [entry]))[0],
        open_for_objections=points.in_notice(entry, now),
        objections=await points.objections_of(db, entry.id) if committee else [],
        committee=committee,
        form=form or FormState(),
        rulings=rulings or {},
        blank=FormState(),
    )


@get("/points/entries/{entry_id:int}", **PUBLIC)
async def entry_page(db_session: Db, clock: Now, viewer: Viewer, entry_id: PathId) -> Template:
    """One entry: its holder, rule, points and evidence, and how its notice stands; objections for the committee."""
    return await _entry_page(db_session, entry_id, viewer, clock.now())


@post("/points/entries/{entry_id:int}/objections", **PUBLIC)
async def lodge(
    request: Request[Any, Any, Any], db_session: Db, clock: Now, viewer: Viewer, entry_id: PathId
) -> Template | Redirect:
    """Anyone objects to a posted entry during its notice."""
    lang, now = lang_of(request), clock.now()
    values = await form_values(request)
    data = parse_form(values, ObjectionCreate, lang)
    if isinstance(data, FormState):
        return await _entry_page(db_session, entry_id, viewer, now, form=data)
    done = await attempt(
        db_session, lambda: points.lodge(db_session, entry_id, data.name, data.grounds, viewer=viewer, now=now)
    )
    if isinstance(done, ApplicationError):
        if told := told_elsewhere(request, done, ("name", "grounds"), f"/points/entries/{entry_id}"):
            return told
        return await _entry_page(
            db_session, entry_id, viewer, now, form=refused(values, done, lang, ("name", "grounds"))
        )
    say(request, "points.objection_lodged")
    return see_other(f"/points/entries/{entry_id}")


@get("/points/verify", **PUBLIC)
async def verify_page(db_session: Db, settings: Config, viewer: Viewer, code: Query = None) -> Template:
    """A partner checks a statement's code: the masked name, the balance and the date, or that it is not valid."""
    found, invalid = None, False
    if code:
        try:
            found = await points.verify(db_session, settings.effective_points_key(), code)
        except ApplicationError:
            invalid = True
    return page("market/points/verify.html.j2", viewer, code=code or "", found=found, invalid=invalid)


@get("/signups/{signup_id:int}/points", **PUBLIC)
async def resident_points(db_session: Db, viewer: Viewer, signup_id: PathId, token: Token) -> Template:
    """A resident's points through their sign-up link: counted, in notice, and the newest entries."""
    s, _ = await classes.view_signup(db_session, signup_id, token)
    held = await views.holding(db_session, resident_hash=s.phone_hash, name=mask_name(s.name))
    return page("market/points/holding.html.j2", viewer, held=held, signup_id=s.id, token=token)


@get("/signups/{signup_id:int}/points/statement", **PUBLIC)
async def resident_statement(
    db_session: Db, clock: Now, settings: Config, viewer: Viewer, signup_id: PathId, token: Token
) -> Template:
    """A resident's printable points statement with its verification code."""
    s, _ = await classes.view_signup(db_session, signup_id, token)
    statement = await views.resident_statement(db_session, s, clock.now(), settings)
    return page("market/points/statement.html.j2", viewer, statement=statement)


@get("/org/points/statement", **ORG)
async def org_statement(request: UserRequest, db_session: Db, clock: Now, settings: Config) -> Template:
    """The organisation's printable points statement with its verification code."""
    org_id = request.user.organization_id
    assert org_id is not None  # noqa: S101 - an organisation's account always names it
    statement = await views.org_statement(db_session, org_id, clock.now(), settings)
    return page("market/points/statement.html.j2", request.user, statement=statement)


# The committee ---------------------------------------------------------------------------------------------------


async def _queue_page(
    db: AsyncSession,
    viewer: User,
    page_no: int,
    *,
    batch: FormState | None = None,
    amend: dict[int, FormState] | None = None,
) -> Template:
    total, rows = await points.entries_page(
        db, viewer=viewer, status=PointStatus.PROPOSED, organization_id=None, limit=PAGE, offset=(page_no - 1) * PAGE
    )
    return page(
        "market/points/queue.html.j2",
        viewer,
        status_code=422 if batch is not None or amend else 200,
        entries=await views.entry_views(db, rows),
        paging=Paging(page_no, total, PAGE),
        batch=batch or FormState(),
        amend=amend or {},
        blank=FormState(),
    )


@get("/committee/points", **COMMITTEE)
async def queue(request: UserRequest, db_session: Db, page_: PageNo = None) -> Template:
    """Proposed entries, oldest first: approve or reject several at once, or amend one with a reason."""
    return await _queue_page(db_session, request.user, page_number(page_))


@post("/committee/points/review", **COMMITTEE)
async def review_batch(request: UserRequest, db_session: Db, clock: Now, settings: Config) -> Template | Redirect:
    """Approve or reject the ticked entries (a rejection needs a reason): all of them, or none."""
    lang, now, user = lang_of(request), clock.now(), request.user
    form = await request.form()
    values = await form_values(request)
    ids = [n for n in (int_or_none(str(v)) for v in form.getall("entry_ids", [])[: MAX_BATCH + 1]) if n]
    decision: Literal["approve", "reject"] = "reject" if values.get("decision") == "reject" else "approve"
    data: BatchApproval | BatchRejection | FormState
    if decision == "reject":
        data = parse_form({"reason": values.get("reason", "")}, BatchRejection, lang, extra={"entry_ids": ids})
    else:
        data = parse_form({}, BatchApproval, lang, extra={"entry_ids": ids})
    if isinstance(data, FormState):
        return await _queue_page(db_session, user, 1, batch=FormState(values, data.errors, data.general))
    reason = data.reason if isinstance(data, BatchRejection) else ""
    done = await attempt(
        db_session,
        lambda: points.review_many(
            db_session,
            data.entry_ids,
            decision,
            reason=reason,
            actor=user,
            now=now,
            notice_days=settings.points_notice_days,
        ),
    )
    if isinstance(done, ApplicationError):
        if told := told_elsewhere(request, done, ("reason", "entry_ids"), "/committee/points"):
            return told
        return await _queue_page(db_session, user, 1, batch=refused(values, done, lang, ("reason", "entry_ids")))
    say(request, "points.approved" if decision == "approve" else "points.rejected", n=len(done))
    return see_other("/committee/points")


@post("/committee/points/entries/{entry_id:int}/amend", **COMMITTEE)
async def amend(
    request: UserRequest, db_session: Db, clock: Now, settings: Config, entry_id: PathId
) -> Template | Redirect:
    """Approve one entry with other points, for a reason."""
    lang, now, user = lang_of(request), clock.now(), request.user
    values = await form_values(request)
    data = parse_form(values, Amendment, lang, ints=("points",))
    if isinstance(data, FormState):
        return await _queue_page(db_session, user, 1, amend={entry_id: data})
    done = await attempt(
        db_session,
        lambda: points.review(
            db_session,
            entry_id,
            "amend",
            points=data.points,
            reason=data.reason,
            actor=user,
            now=now,
            notice_days=settings.points_notice_days,
        ),
    )
    if isinstance(done, ApplicationError):
        if told := told_elsewhere(request, done, ("points", "reason"), "/committee/points"):
            return told
        return await _queue_page(
            db_session, user, 1, amend={entry_id: refused(values, done, lang, ("points", "reason"))}
        )
    say(request, "points.amended")
    return see_other("/committee/points")


async def _rule_on(
    request: UserRequest, db: AsyncSession, clock: Any, objection_id: int, *, uphold: bool
) -> Template | Redirect:
    lang, now, user = lang_of(request), clock.now(), request.user
    values = await form_values(request)
    entry_id = int_or_none(values.get("entry_id")) or 0
    data = parse_form({"resolution": values.get("resolution", "")}, Ruling, lang)
    if isinstance(data, FormState):
        return await _entry_page(db, entry_id, user, now, rulings={objection_id: data})
    done = await attempt(db, lambda: points.resolve(db, objection_id, uphold, data.resolution, actor=user, now=now))
    if isinstance(done, ApplicationError):
        if told := told_elsewhere(request, done, ("resolution",), f"/points/entries/{entry_id}"):
            return told
        return await _entry_page(
            db, entry_id, user, now, rulings={objection_id: refused(values, done, lang, ("resolution",))}
        )
    say(request, "points.upheld" if uphold else "points.dismissed")
    return see_other(f"/points/entries/{done.entry_id}")


@post("/committee/points/objections/{objection_id:int}/uphold", **COMMITTEE)
async def uphold(request: UserRequest, db_session: Db, clock: Now, objection_id: PathId) -> Template | Redirect:
    """Uphold an objection: the entry is reversed and never counts."""
    return await _rule_on(request, db_session, clock, objection_id, uphold=True)


@post("/committee/points/objections/{objection_id:int}/dismiss", **COMMITTEE)
async def dismiss(request: UserRequest, db_session: Db, clock: Now, objection_id: PathId) -> Template | Redirect:
    """Dismiss an objection: the entry counts once its notice has ended."""
    return await _rule_on(request, db_session, clock, objection_id, uphold=False)


async def _rules_form(db: AsyncSession, viewer: User, form: FormState | None = None) -> Template:
    current = await points.current_rules(db)
    fresh = FormState({code.value: str(current.worth(code)) for code in points.RuleCode})
    return page(
        "market/points/rules_form.html.j2",
        viewer,
        status_code=422 if form is not None else 200,
        rules=current,
        codes=[(code.value, points.HOLDER_OF[code].value) for code in points.RuleCode],
        form=form or fresh,
    )


@get("/committee/points/rules", **COMMITTEE)
async def rules_form(request: UserRequest, db_session: Db) -> Template:
    """The rules' editor: a new version, with the reason for the change."""
    return await _rules_form(db_session, request.user)


@post("/committee/points/rules", **COMMITTEE)
async def edit_rules(request: UserRequest, db_session: Db, clock: Now) -> Template | Redirect:
    """Publish a new version of the rules."""
    lang, now, user = lang_of(request), clock.now(), request.user
    values = await form_values(request)
    found: dict[str, str] = {}
    table: dict[str, int] = {}
    for code in points.RuleCode:
        n = int_or_none(values.get(code.value), low=-points.MOST_POINTS, high=points.MOST_POINTS)
        if n is None:
            found[code.value] = t("error.points_out_of_range", lang, code=code.value, most=points.MOST_POINTS)
        table[code.value] = n or 0
    data = parse_form({"reason": values.get("reason", "")}, RulesEdit, lang, extra={"points": table}, found=found)
    if isinstance(data, FormState):
        return await _rules_form(db_session, user, FormState(values, data.errors, data.general))
    done = await attempt(
        db_session,
        lambda: points.edit_rules(db_session, msgspec.structs.asdict(data.points), data.reason, actor=user, now=now),
    )
    if isinstance(done, ApplicationError):
        return await _rules_form(db_session, user, refused(values, done, lang, ("reason",)))
    say(request, "points.rules_published", version=done.version)
    return see_other("/points")


POINTS_PAGES: list[ControllerRouterHandler] = [
    rules_page,
    table_page,
    entry_page,
    lodge,
    verify_page,
    resident_points,
    resident_statement,
    org_statement,
    queue,
    review_batch,
    amend,
    uphold,
    dismiss,
    rules_form,
    edit_rules,
]


# A secretary's or organiser's proposal with evidence -------------------------------------------------------------

PROPOSERS: dict[str, Any] = {"guards": [requires(Role.SECRETARY, Role.ORG)], "include_in_schema": False}


def _propose_page(viewer: User, form: FormState | None = None) -> Template:
    rules = [(code.value, points.HOLDER_OF[code].value) for code in points.RuleCode]
    return page(
        "market/points/propose.html.j2", viewer, status_code=422 if form else 200, rules=rules, form=form or FormState()
    )


@get("/points/propose", **PROPOSERS)
async def propose_form(request: UserRequest) -> Template:
    """A secretary or organiser proposes an entry with evidence: for an organisation, or for a resident by number."""
    return _propose_page(request.user)


@post("/points/propose", **PROPOSERS)
async def propose(request: UserRequest, db_session: Db, clock: Now) -> Template | Redirect:
    """Send the proposal to the committee's queue."""
    lang, now, user = lang_of(request), clock.now(), request.user
    values = await form_values(request)
    org_text = values.get("organization_id", "").strip()
    org_id = int_or_none(org_text)
    fields = {k: v for k, v in values.items() if k in ("rule", "evidence", "phone", "name") and v.strip()}
    found = {"organization_id": t("form.number", lang)} if org_text and org_id is None else {}
    data = parse_form(fields, EntryCreate, lang, extra={"organization_id": org_id} if org_id else {}, found=found)
    if isinstance(data, FormState):
        return _propose_page(user, FormState(values, data.errors, data.general))
    done = await attempt(
        db_session,
        lambda: points.propose_by_hand(db_session, data, actor=user, now=now),
        raising=(),
    )
    if isinstance(done, ApplicationError):
        fields_shown = ("rule", "evidence", "organization_id", "phone", "name")
        return _propose_page(user, refused(values, done, lang, fields_shown))
    say(request, "points.proposed")
    return see_other("/points/propose")


POINTS_PAGES += [propose_form, propose]
