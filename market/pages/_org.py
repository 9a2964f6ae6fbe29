"""An organisation's pages: its desk, the claim form (partners, attachments), proposals, invitations, questions
(its project pages are in `_org_projects`).

Forms post here, not to /api/: they carry CSRF tokens and use the API's field names, except that money is typed in
yuan (`requested_budget_yuan`) and stored as the API's integer fen. Every state change is one `writing` transaction
through the same service the API calls; the services do the object-level checks (is this my organisation's
proposal?), so a page never shows another organisation's sealed proposal.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.plugins.flash import flash
from litestar.response import File, Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alliances import services as alliance_services
from alliances.models import OrgStatus
from market import attachments as files
from market.controllers import _tasks as task_views
from market.controllers._base import PathId
from market.i18n import label, localize_detail, t
from market.kernel.clock import Clock, as_utc
from market.kernel.db import writing
from market.kernel.errors import ApplicationError, NotFound
from market.models import Organization, Project, Proposal, Task, User
from market.pages._base import (
    ORG,
    SIGNED_IN,
    Db,
    FormState,
    Now,
    Query,
    confirm_page,
    confirmed,
    enum_or_none,
    form_values,
    int_or_none,
    lang_of,
    own_organization,
    page,
    parse_form,
    refused,
    say,
    see_other,
)
from market.pages._public import _task_page
from market.schemas._proposals import InvitationAnswer, ProposalCreate, ProposalUpdate
from market.schemas._proposals import Proposal as ProposalView
from market.schemas._tasks import QuestionCreate
from market.services import _proposals as proposals
from market.services import _tasks as tasks
from market.settings import Settings
from market.states import InvitationStatus, ProposalStatus, TaskStatus

OrgRequest = Request[User, Any, Any]

# Role pages: a visitor is sent to sign in (401 → /login?next=…), any other role gets 403.

# The order proposals are listed in: what still needs work first, the outcome after.
STATE_ORDER = (
    ProposalStatus.DRAFT,
    ProposalStatus.SUBMITTED,
    ProposalStatus.QUALIFIED,
    ProposalStatus.AWARDED,
    ProposalStatus.NOT_AWARDED,
    ProposalStatus.DISQUALIFIED,
    ProposalStatus.WITHDRAWN,
)
LIVE_STATES = (ProposalStatus.DRAFT, ProposalStatus.SUBMITTED, ProposalStatus.QUALIFIED)
TEXT_FIELDS = ("strengths", "work_plan", "expected_results")
YUAN_FIELD = "requested_budget_yuan"
PARTNERS_FIELD = "partner_ids"
PROPOSAL_FIELDS = (*TEXT_FIELDS, YUAN_FIELD, PARTNERS_FIELD)
MAX_PARTNERS = 10
# Services name some fields as the API does; the page's inputs for them are called otherwise.
FIELD_ON_PAGE = {"requested_budget_fen": YUAN_FIELD, "file": "data"}


def _refused(values: dict[str, str], exc: ApplicationError, lang: str, fields: tuple[str, ...]) -> FormState:
    """A domain error beside its field, with the service's field names mapped to the page's."""
    name = FIELD_ON_PAGE.get(exc.field or "", exc.field)
    message = localize_detail(exc.detail, lang)
    if name and name in fields:
        return FormState(values, {name: message})
    return FormState(values, {}, message)


def _t(request: Request[Any, Any, Any], key: str, **kw: object) -> str:
    return t(key, lang_of(request), **kw)


# Money typed in yuan ------------------------------------------------------------------------------------------

_YUAN = re.compile(r"^\d{1,10}(\.\d{1,2})?$")


def yuan_to_fen(raw: str) -> int | None:
    """ "40000", "40,000.5", "¥40000元" → fen; None for anything else (or for nothing)."""
    cleaned = raw.strip().replace(",", "").replace("\uff0c", "").lstrip("¥\uffe5").removesuffix("元").strip()
    if not _YUAN.match(cleaned):
        return None
    fen = int(Decimal(cleaned) * 100)
    return fen if fen >= 1 else None


def fen_to_yuan(fen: int) -> str:
    """Fen as the plain yuan figure a form field holds: 4000000 → "40000", 4000050 → "40000.50"."""
    return f"{fen // 100}" if fen % 100 == 0 else f"{fen // 100}.{fen % 100:02d}"


# Reads the services do not offer as such ----------------------------------------------------------------------


async def _tasks_by_id(db: AsyncSession, ids: Iterable[int]) -> dict[int, Task]:
    """The tasks the organisation's proposals are on (titles, deadlines, states), in one query."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {task.id: task for task in (await db.scalars(select(Task).where(Task.id.in_(wanted)))).unique().all()}


async def _projects_of(db: AsyncSession, org_id: int, awarded_proposal_ids: Sequence[int]) -> list[Project]:
    """Projects the organisation leads, and those it works on as an accepted partner."""
    found = (
        Project.organization_id == org_id
        if not awarded_proposal_ids
        else (Project.organization_id == org_id) | Project.proposal_id.in_(awarded_proposal_ids)
    )
    stmt = select(Project).where(found).order_by(Project.started_at.desc(), Project.id.desc())
    return list((await db.scalars(stmt)).unique().all())


async def _project_for_task(db: AsyncSession, task_id: int) -> int | None:
    """The project an awarded task became, if the notice period has ended."""
    return await db.scalar(select(Project.id).where(Project.task_id == task_id))


async def _partner_choices(
    db: AsyncSession, task: Task, lead_org_id: int, current: Sequence[Organization] = ()
) -> list[Organization]:
    """Organisations that may be invited: active, in one of the task's alliances, not the lead; current partners
    stay listed even if no longer eligible, so that saving the form never drops one silently."""
    if not task.allow_joint:
        return []
    found: dict[int, Organization] = {}
    for alliance in task.alliances:
        where = alliance_services.OrganizationFilter(alliance=alliance.code, status=OrgStatus.ACTIVE)
        for org in await alliance_services.list_organizations(db, where, limit=500, offset=0):
            found[org.id] = org
    for org in current:
        found[org.id] = org
    found.pop(lead_org_id, None)
    return sorted(found.values(), key=lambda o: (o.alliance.code, o.name))


# The proposal form (claim and edit) ---------------------------------------------------------------------------


async def _proposal_values(request: Request[Any, Any, Any]) -> tuple[dict[str, str], list[str]]:
    """The form's single values (text with browser line ends made plain) and the chosen partners."""
    values = await form_values(request)
    for name in TEXT_FIELDS:
        if name in values:
            values[name] = values[name].replace("\r\n", "\n")
    chosen = [v for v in (await request.form()).getall(PARTNERS_FIELD, []) if isinstance(v, str)]
    values.pop(PARTNERS_FIELD, None)
    return values, chosen


def _parse_proposal(values: dict[str, str], chosen: list[str], lang: str) -> ProposalCreate | FormState:
    """The form as the API's ProposalCreate (budget converted from yuan to fen), or every field that was refused."""
    errors: dict[str, str] = {}
    raw_yuan = values.get(YUAN_FIELD, "")
    fen = yuan_to_fen(raw_yuan)
    if fen is None:
        errors[YUAN_FIELD] = t("form.required" if not raw_yuan.strip() else "org.claim.yuan_invalid", lang)
    partner_ids: list[int] = []
    for raw in chosen:
        org_id = int_or_none(raw)
        if org_id is None:
            errors[PARTNERS_FIELD] = t("form.invalid", lang)
            break
        partner_ids.append(org_id)
    partner_ids = list(dict.fromkeys(partner_ids))
    if len(partner_ids) > MAX_PARTNERS:
        errors[PARTNERS_FIELD] = t("org.claim.too_many_partners", lang, n=MAX_PARTNERS)
    fields = {name: values.get(name, "") for name in TEXT_FIELDS} | {"requested_budget_fen": str(fen or "")}
    parsed = parse_form(fields, ProposalCreate, lang, ints=("requested_budget_fen",))
    if isinstance(parsed, FormState):
        # The page's own reading of the yuan figure and the partners says more than the struct's.
        errors = {FIELD_ON_PAGE.get(k, k): v for k, v in parsed.errors.items()} | errors
        return FormState(values, errors, parsed.general)
    if errors:
        return FormState(values, errors)
    parsed.partner_ids = partner_ids
    return parsed


def _proposal_form_values(view: ProposalView) -> dict[str, str]:
    """A saved proposal as the edit form shows it."""
    return {
        "strengths": view.strengths,
        "work_plan": view.work_plan,
        "expected_results": view.expected_results,
        YUAN_FIELD: fen_to_yuan(view.requested_budget_fen),
    }


# The organisation's desk ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProposalRow:
    """A proposal in the organisation's lists: the task it is on and the organisation's part in it."""

    id: int
    task_id: int
    task_title: str
    task_status: TaskStatus
    claim_deadline: datetime
    status: ProposalStatus
    lead_org_name: str
    is_lead: bool
    invitation: InvitationStatus
    partners: int


def _rows(mine: Sequence[Proposal], task_rows: dict[int, Task], org_id: int, now: datetime) -> list[ProposalRow]:
    rows = []
    for p in mine:
        task = task_rows[p.task_id]
        membership = next(m for m in p.members if m.organization_id == org_id)
        rows.append(
            ProposalRow(
                id=p.id,
                task_id=task.id,
                task_title=task.title,
                task_status=tasks.status_of(task, now),
                claim_deadline=task.claim_deadline,
                status=ProposalStatus(p.status),
                lead_org_name=p.lead_org.name,
                is_lead=p.lead_org_id == org_id,
                invitation=InvitationStatus(membership.invitation),
                partners=sum(1 for m in p.members if m.invitation != InvitationStatus.LEAD),
            )
        )
    return rows


def _is_open_invitation(row: ProposalRow) -> bool:
    return (
        row.invitation == InvitationStatus.PENDING
        and row.status == ProposalStatus.DRAFT
        and row.task_status == TaskStatus.POSTED
    )


def _due_first(rows: Sequence[ProposalRow], now: datetime) -> list[ProposalRow]:
    """What is due first on top: deadlines still ahead, nearest first (drafts before submitted ones on the same
    deadline), then those whose deadline has passed, latest first."""

    def key(row: ProposalRow) -> tuple[bool, float, bool]:
        deadline = as_utc(row.claim_deadline)
        ahead = deadline > as_utc(now)
        when = deadline.timestamp()
        return (not ahead, when if ahead else -when, row.status != ProposalStatus.DRAFT)

    return sorted(rows, key=key)


def _grouped(rows: Sequence[ProposalRow]) -> list[tuple[ProposalStatus, list[ProposalRow]]]:
    by_state: dict[ProposalStatus, list[ProposalRow]] = defaultdict(list)
    for row in rows:
        by_state[row.status].append(row)
    return [(state, by_state[state]) for state in STATE_ORDER if by_state[state]]


async def _my_rows(db: AsyncSession, user: User, now: datetime) -> tuple[list[Proposal], list[ProposalRow]]:
    mine = await proposals.mine(db, viewer=user)
    task_rows = await _tasks_by_id(db, (p.task_id for p in mine))
    return mine, _rows(mine, task_rows, own_organization(user), now)


@get("/org", **ORG)
async def desk(request: OrgRequest, db_session: Db, clock: Now) -> Template:
    """The organisation's desk: who it is, invitations waiting for an answer, its proposals and its projects."""
    user = request.user
    org_id = own_organization(user)
    org = await alliance_services.get_organization(db_session, org_id)
    now = clock.now()
    mine, rows = await _my_rows(db_session, user, now)
    invitations = _due_first([row for row in rows if _is_open_invitation(row)], now)
    answered = [row for row in rows if not _is_open_invitation(row)]
    awarded = [p.id for p in mine if p.status == ProposalStatus.AWARDED]
    work = await _projects_of(db_session, org_id, awarded)
    return page(
        "market/org/desk.html.j2",
        user,
        org=org,
        invitations=invitations,
        live=_due_first([row for row in answered if row.status in LIVE_STATES], now),
        counts=[(state, len(group)) for state, group in _grouped(answered)],
        projects=work,
    )


@get("/org/proposals", **ORG)
async def proposal_list(request: OrgRequest, db_session: Db, clock: Now, status: Query = None) -> Template:
    """Every proposal the organisation is on, as lead or partner, grouped by state (optionally one state)."""
    _, rows = await _my_rows(db_session, request.user, clock.now())
    only = enum_or_none(ProposalStatus, status)
    groups = [(state, group) for state, group in _grouped(rows) if only is None or state == only]
    return page(
        "market/org/proposals.html.j2",
        request.user,
        groups=groups,
        states=STATE_ORDER,
        only=only.value if only else "",
        invitations=[row for row in rows if _is_open_invitation(row)],
    )


# Claiming a task (揭榜) ----------------------------------------------------------------------------------------


async def _live_proposal_on(db: AsyncSession, user: User, task_id: int) -> int | None:
    """The organisation's live proposal on the task (as lead or partner), if it has one."""
    org_id = own_organization(user)
    for p in await proposals.mine(db, viewer=user):
        if p.task_id == task_id and any(m.organization_id == org_id and m.live for m in p.members):
            return p.id
    return None


async def _claim_page(
    db: AsyncSession, user: User, clock: Clock, task_id: int, form: FormState, chosen: Iterable[str] = ()
) -> Template:
    task = await tasks.get_task(db, task_id, viewer=user)
    status = tasks.status_of(task, clock.now())
    # A task the organisation cannot claim still shows, with the reason and the matching status instead of a form.
    code = 200
    blocked: str | None = None
    org = user.organization
    if status != TaskStatus.POSTED:
        blocked, code = "org.claim.closed", 409
    elif org is None or org.alliance_id not in {a.id for a in task.alliances}:
        blocked, code = "org.claim.not_your_alliance", 403
    elif org.status != OrgStatus.ACTIVE:
        blocked, code = "org.claim.suspended", 403
    partners = [] if blocked else await _partner_choices(db, task, own_organization(user))
    return page(
        "market/org/claim.html.j2",
        user,
        status_code=422 if form.invalid else code,
        form=form,
        task=task_views.summary(task, status, user),
        blocked=blocked,
        partners=partners,
        chosen={str(c) for c in chosen},
    )


@get("/tasks/{task_id:int}/claim", **ORG)
async def claim_form(request: OrgRequest, db_session: Db, clock: Now, task_id: PathId) -> Template | Redirect:
    """The claim form; an organisation that already has a live proposal on the task is taken to it."""
    existing = await _live_proposal_on(db_session, request.user, task_id)
    if existing is not None:
        return see_other(f"/org/proposals/{existing}")
    return await _claim_page(db_session, request.user, clock, task_id, FormState())


@post("/tasks/{task_id:int}/claim", **ORG)
async def claim(request: OrgRequest, db_session: Db, clock: Now, task_id: PathId) -> Template | Redirect:
    """Claim the task with a draft proposal (partners are invited at once); the draft's page comes next."""
    user, lang = request.user, lang_of(request)
    values, chosen = await _proposal_values(request)
    data = _parse_proposal(values, chosen, lang)
    if isinstance(data, FormState):
        return await _claim_page(db_session, user, clock, task_id, data, chosen)
    try:
        async with writing(db_session):
            made = await proposals.create(db_session, task_id, data, actor=user, now=clock.now())
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise
        existing = await _live_proposal_on(db_session, user, task_id)
        if existing is not None:
            say(request, "org.claim.already", "error")
            return see_other(f"/org/proposals/{existing}")
        state = _refused(values, exc, lang, PROPOSAL_FIELDS)
        return await _claim_page(db_session, user, clock, task_id, state, chosen)
    say(request, "org.claim.saved")
    return see_other(f"/org/proposals/{made.id}")


# One proposal ---------------------------------------------------------------------------------------------------


async def _refused_on_proposal(
    db: AsyncSession, user: User, clock: Clock, proposal_id: int, exc: ApplicationError, lang: str
) -> Template:
    """A move the service refused, said above the proposal as it now stands (a 404 stays a 404)."""
    if exc.status_code == 404:
        raise exc
    return await _proposal_page(
        db, user, clock, proposal_id, problem=localize_detail(exc.detail, lang), status_code=exc.status_code
    )


async def _proposal_page(
    db: AsyncSession,
    user: User,
    clock: Clock,
    proposal_id: int,
    *,
    form: FormState | None = None,
    chosen: Iterable[str] | None = None,
    upload: FormState | None = None,
    problem: str | None = None,
    status_code: int | None = None,
) -> Template:
    """A proposal as its organisations see it, with what the viewer's organisation may do with it now."""
    now = clock.now()
    found = await proposals.visible(db, proposal_id, viewer=user, now=now)
    view = ProposalView.of(found)
    task = await tasks.get_task(db, view.task_id, viewer=user)
    task_status = tasks.status_of(task, now)
    org_id = own_organization(user)
    mine = next((m for m in view.members if m.organization_id == org_id), None)
    if mine is None:  # `visible` lets an organisation see only proposals it is on; this is for safety's sake
        raise NotFound(proposals.SEALED)
    is_lead = view.lead_org_id == org_id
    open_ = task_status == TaskStatus.POSTED
    editable = is_lead and open_ and view.status == ProposalStatus.DRAFT
    waiting = [m for m in view.members if m.role == "partner" and m.invitation != InvitationStatus.ACCEPTED]
    partners: list[Organization] = []
    if editable:
        current = [m.organization for m in found.members if m.invitation != InvitationStatus.LEAD]
        partners = await _partner_choices(db, task, view.lead_org_id, current)
    if chosen is None:
        chosen = [
            str(m.organization_id)
            for m in view.members
            if m.invitation in (InvitationStatus.PENDING, InvitationStatus.ACCEPTED)
        ]
    project_id = await _project_for_task(db, task.id) if view.status == ProposalStatus.AWARDED else None
    edit = form or FormState(_proposal_form_values(view))
    attach = upload or FormState()
    invalid = edit.invalid or attach.invalid
    return page(
        "market/org/proposal.html.j2",
        user,
        status_code=status_code or (422 if invalid else 200),
        proposal=view,
        task=task_views.summary(task, task_status, user),
        is_lead=is_lead,
        membership=mine,
        open=open_,
        editable=editable,
        waiting=waiting,
        can_submit=editable and not waiting,
        can_withdraw=is_lead and open_ and view.status in (ProposalStatus.DRAFT, ProposalStatus.SUBMITTED),
        can_answer=(not is_lead)
        and open_
        and view.status == ProposalStatus.DRAFT
        and mine.invitation == InvitationStatus.PENDING,
        partners=partners,
        chosen={str(c) for c in chosen},
        form=edit,
        upload=attach,
        problem=problem,
        project_id=project_id,
        joint=task.allow_joint,
    )


@get("/org/proposals/{proposal_id:int}", **ORG)
async def proposal_detail(request: OrgRequest, db_session: Db, clock: Now, proposal_id: PathId) -> Template:
    """A proposal: partners and their answers, attachments, the edit form while a draft, submit and withdraw,
    and after the deadline its qualification and award outcome. Partners see it read-only and answer there."""
    return await _proposal_page(db_session, request.user, clock, proposal_id)


@post("/org/proposals/{proposal_id:int}", **ORG)
async def proposal_edit(request: OrgRequest, db_session: Db, clock: Now, proposal_id: PathId) -> Template | Redirect:
    """Save changes to a draft (the lead organisation); changed partners are invited afresh."""
    user, lang = request.user, lang_of(request)
    values, chosen = await _proposal_values(request)
    data = _parse_proposal(values, chosen, lang)
    if isinstance(data, FormState):
        return await _proposal_page(db_session, user, clock, proposal_id, form=data, chosen=chosen)
    changes = ProposalUpdate(
        requested_budget_fen=data.requested_budget_fen,
        strengths=data.strengths,
        work_plan=data.work_plan,
        expected_results=data.expected_results,
        partner_ids=data.partner_ids,
    )
    try:
        async with writing(db_session):
            await proposals.update_draft(db_session, proposal_id, changes, actor=user, now=clock.now())
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise
        state = _refused(values, exc, lang, PROPOSAL_FIELDS)
        return await _proposal_page(db_session, user, clock, proposal_id, form=state, chosen=chosen)
    say(request, "org.proposal.saved")
    return see_other(f"/org/proposals/{proposal_id}")


@post("/org/proposals/{proposal_id:int}/submit", **ORG)
async def proposal_submit(request: OrgRequest, db_session: Db, clock: Now, proposal_id: PathId) -> Template | Redirect:
    """Submit the draft before the deadline; refused while a partner has not accepted, or a text is empty."""
    user, lang = request.user, lang_of(request)
    try:
        async with writing(db_session):
            await proposals.submit(db_session, proposal_id, actor=user, now=clock.now())
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise
        message = localize_detail(exc.detail, lang)
        if exc.field in TEXT_FIELDS:
            # Say it beside the empty text in the edit form, which shows the saved draft.
            saved = await proposals.visible(db_session, proposal_id, viewer=user, now=clock.now())
            state = FormState(_proposal_form_values(ProposalView.of(saved)), {exc.field or "": message})
            return await _proposal_page(db_session, user, clock, proposal_id, form=state)
        return await _proposal_page(db_session, user, clock, proposal_id, problem=message, status_code=exc.status_code)
    say(request, "org.proposal.submitted")
    return see_other(f"/org/proposals/{proposal_id}")


@post("/org/proposals/{proposal_id:int}/withdraw", **ORG)
async def proposal_withdraw(
    request: OrgRequest, db_session: Db, clock: Now, proposal_id: PathId
) -> Template | Redirect:
    """Withdraw before the deadline, after a confirmation step (it cannot be undone)."""
    user, lang = request.user, lang_of(request)
    values = await form_values(request)
    if not confirmed(values):
        found = await proposals.visible(db_session, proposal_id, viewer=user, now=clock.now())
        task = await tasks.get_task(db_session, found.task_id, viewer=user)
        return confirm_page(
            user,
            title=t("org.withdraw.title", lang),
            warning=t("org.withdraw.warning", lang),
            action=f"/org/proposals/{proposal_id}/withdraw",
            values=values,
            back=f"/org/proposals/{proposal_id}",
            button=t("org.withdraw.confirm", lang),
            facts=[
                (t("org.proposal.task", lang), task.title),
                (t("common.status", lang), label("proposal_status", found.status, lang)),
            ],
        )
    try:
        async with writing(db_session):
            await proposals.withdraw(db_session, proposal_id, actor=user, now=clock.now())
    except ApplicationError as exc:
        return await _refused_on_proposal(db_session, user, clock, proposal_id, exc, lang)
    say(request, "org.withdraw.done")
    return see_other(f"/org/proposals/{proposal_id}")


@post("/org/proposals/{proposal_id:int}/invitation", **ORG)
async def answer_invitation(
    request: OrgRequest, db_session: Db, clock: Now, proposal_id: PathId
) -> Template | Redirect:
    """A partner accepts (`accept=true`) or declines (`accept=false`) the invitation to a joint claim."""
    user, lang = request.user, lang_of(request)
    values = await form_values(request)
    answer = parse_form({"accept": values.get("accept", "")}, InvitationAnswer, lang)
    if isinstance(answer, FormState):
        return await _proposal_page(
            db_session, user, clock, proposal_id, problem=t("org.invite.choose", lang), status_code=422
        )
    try:
        async with writing(db_session):
            await proposals.answer_invitation(db_session, proposal_id, answer.accept, actor=user, now=clock.now())
    except ApplicationError as exc:
        return await _refused_on_proposal(db_session, user, clock, proposal_id, exc, lang)
    if answer.accept:
        say(request, "org.invite.accepted")
        return see_other(f"/org/proposals/{proposal_id}")
    # A declined proposal is no longer the organisation's to see.
    say(request, "org.invite.declined")
    return see_other("/org")


# Attachments ----------------------------------------------------------------------------------------------------


@post("/org/proposals/{proposal_id:int}/attachments", **ORG)
async def attach(
    request: OrgRequest,
    db_session: Db,
    clock: Now,
    settings: NamedDependency[Settings],
    proposal_id: PathId,
) -> Template | Redirect:
    """Attach a PDF, image or office file to the draft (multipart field `data`, as in the API)."""
    user, lang = request.user, lang_of(request)
    upload = (await request.form()).get("data")
    if not isinstance(upload, UploadFile) or not upload.filename:
        state = FormState({}, {"data": t("org.attach.choose", lang)})
        return await _proposal_page(db_session, user, clock, proposal_id, upload=state)
    content = await upload.read()
    try:
        async with writing(db_session):
            added = await proposals.attach(
                db_session,
                proposal_id,
                upload.filename,
                content,
                actor=user,
                now=clock.now(),
                settings=settings,
            )
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise
        state = _refused({}, exc, lang, ("data",))
        return await _proposal_page(db_session, user, clock, proposal_id, upload=state)
    say(request, "org.attach.added", name=added.filename)
    return see_other(f"/org/proposals/{proposal_id}#attachments")


@get("/org/proposals/{proposal_id:int}/attachments/{attachment_id:int}", **ORG)
async def download(
    request: OrgRequest,
    db_session: Db,
    clock: Now,
    settings: NamedDependency[Settings],
    proposal_id: PathId,
    attachment_id: PathId,
) -> File:
    """Download an attachment (sealed exactly like its proposal)."""
    found = await proposals.attachment_for(db_session, proposal_id, attachment_id, viewer=request.user, now=clock.now())
    return File(
        path=files.path_for(settings.attachments_dir, found.sha256),
        filename=found.filename,
        media_type=found.content_type,
        content_disposition_type="attachment",
    )


@post("/org/proposals/{proposal_id:int}/attachments/{attachment_id:int}/remove", **ORG)
async def detach(
    request: OrgRequest, db_session: Db, clock: Now, proposal_id: PathId, attachment_id: PathId
) -> Template | Redirect:
    """Remove an attachment from the draft."""
    user, lang = request.user, lang_of(request)
    try:
        async with writing(db_session):
            await proposals.detach(db_session, proposal_id, attachment_id, actor=user, now=clock.now())
    except ApplicationError as exc:
        return await _refused_on_proposal(db_session, user, clock, proposal_id, exc, lang)
    say(request, "org.attach.removed")
    return see_other(f"/org/proposals/{proposal_id}#attachments")


# Questions (答疑) ------------------------------------------------------------------------------------------------


@post("/tasks/{task_id:int}/questions", **SIGNED_IN)
async def ask_question(request: OrgRequest, db_session: Db, clock: Now, task_id: PathId) -> Template | Redirect:
    """Ask a public question while the task is open (any signed-in user; the asker is never shown)."""
    user, lang = request.user, lang_of(request)
    values = await form_values(request)
    values["question"] = values.get("question", "").replace("\r\n", "\n")
    data = parse_form({"question": values["question"]}, QuestionCreate, lang)
    if isinstance(data, FormState):
        return await _task_page(db_session, task_id, user, clock, FormState(values, data.errors, data.general))
    try:
        async with writing(db_session):
            await tasks.ask(db_session, task_id, data.question, actor=user, now=clock.now())
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise
        if exc.field == "question":
            return await _task_page(db_session, task_id, user, clock, refused(values, exc, lang, ("question",)))
        # Typically the task closed meanwhile: its page no longer holds the form, so say why at the top.
        flash(request, localize_detail(exc.detail, lang), "error")
        return see_other(f"/tasks/{task_id}")
    say(request, "org.ask.sent")
    return see_other(f"/tasks/{task_id}#qa-h")


ORG_PAGES: list[ControllerRouterHandler] = [
    desk,
    proposal_list,
    claim_form,
    claim,
    proposal_detail,
    proposal_edit,
    proposal_submit,
    proposal_withdraw,
    answer_invitation,
    attach,
    download,
    detach,
    ask_question,
]
