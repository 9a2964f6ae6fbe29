"""An organisation's proposals: claiming a task (揭榜), one proposal with its edit form, submit, withdraw and the
partners' answers, and its attachments.

Every state change is one `writing` transaction through the same service the API calls; the services do the
object-level checks (is this my organisation's proposal?), so a page never shows another organisation's sealed
proposal.
"""

from __future__ import annotations

from collections.abc import Iterable

from litestar import get, post
from litestar.datastructures import UploadFile
from litestar.response import File, Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from alliances.models import OrgStatus
from market import attachments as files
from market.controllers import _tasks as task_views
from market.i18n import error_text, label, t
from market.kernel.clock import Clock
from market.kernel.errors import ApplicationError, NotFound
from market.models import Organization, Project, User
from market.pages._base import (
    ORG,
    FormState,
    UserRequest,
    attempt,
    confirm_page,
    confirmed,
    form_values,
    lang_of,
    own_organization,
    page,
    parse_form,
    refused,
    say,
    see_other,
)
from market.pages._proposal_form import (
    FIELD_ON_PAGE,
    PROPOSAL_FIELDS,
    TEXT_FIELDS,
    parse_proposal,
    partner_choices,
    proposal_form_values,
    read_proposal_form,
)
from market.params import Config, Db, Now, PathId
from market.schemas._proposals import InvitationAnswer, ProposalUpdate
from market.schemas._proposals import Proposal as ProposalView
from market.services import bars, dossiers, proposals, tasks
from market.settings import Settings
from market.states import InvitationStatus, ProposalStatus, TaskStatus


async def _project_for_task(db: AsyncSession, task_id: int) -> int | None:
    """The project an awarded task became, if the notice period has ended."""
    return await db.scalar(select(Project.id).where(Project.task_id == task_id))


# Claiming a task (揭榜) ----------------------------------------------------------------------------------------


async def _live_proposal_on(db: AsyncSession, user: User, task_id: int) -> int | None:
    """The organisation's live proposal on the task (as lead or partner), if it has one."""
    org_id = own_organization(user)
    for p in await proposals.mine(db, viewer=user):
        if p.task_id == task_id and any(m.organization_id == org_id and m.live for m in p.members):
            return p.id
    return None


async def _claim_page(
    db: AsyncSession,
    user: User,
    clock: Clock,
    settings: Settings,
    task_id: int,
    form: FormState,
    chosen: Iterable[str] = (),
) -> Template:
    task = await tasks.get_task(db, task_id, viewer=user)
    status = tasks.status_of(task, clock.now())
    # A task the organisation cannot claim still shows, with the reason and the matching status instead of a form.
    code = 200
    blocked: str | None = None
    barred: ApplicationError | None = None
    org = user.organization
    if status != TaskStatus.POSTED:
        blocked, code = "org.claim.closed", 409
    elif org is None or org.alliance_id not in {a.id for a in task.alliances}:
        blocked, code = "org.claim.not_your_alliance", 403
    elif org.status != OrgStatus.ACTIVE:
        blocked, code = "org.claim.suspended", 403
    else:
        # The same question, and the same words, as the claim itself gets from the service.
        bar = await bars.bar_on(db, org, now=clock.now(), fail_bar_days=settings.fail_bar_days)
        if bar is not None:
            blocked, code = "org.claim.barred", 403
            barred = bars.refusal(bar, org.name)
    partners = [] if blocked else await partner_choices(db, task, own_organization(user))
    return page(
        "market/org/claim.html.j2",
        user,
        status_code=422 if form.invalid else code,
        form=form,
        task=task_views.summary(task, status, user),
        blocked=blocked,
        barred=barred,
        partners=partners,
        chosen={str(c) for c in chosen},
    )


@get("/tasks/{task_id:int}/claim", **ORG)
async def claim_form(
    request: UserRequest, db_session: Db, clock: Now, settings: Config, task_id: PathId
) -> Template | Redirect:
    """The claim form; an organisation that already has a live proposal on the task is taken to it."""
    existing = await _live_proposal_on(db_session, request.user, task_id)
    if existing is not None:
        return see_other(f"/org/proposals/{existing}")
    return await _claim_page(db_session, request.user, clock, settings, task_id, FormState())


@post("/tasks/{task_id:int}/claim", **ORG)
async def claim(
    request: UserRequest, db_session: Db, clock: Now, settings: Config, task_id: PathId
) -> Template | Redirect:
    """Claim the task with a draft proposal (partners are invited at once); the draft's page comes next."""
    user, lang = request.user, lang_of(request)
    values, chosen = await read_proposal_form(request)
    data = parse_proposal(values, chosen, lang)
    if isinstance(data, FormState):
        return await _claim_page(db_session, user, clock, settings, task_id, data, chosen)
    made = await attempt(
        db_session,
        lambda: proposals.create(
            db_session, task_id, data, actor=user, now=clock.now(), fail_bar_days=settings.fail_bar_days
        ),
    )
    if isinstance(made, ApplicationError):
        existing = await _live_proposal_on(db_session, user, task_id)
        if existing is not None:
            say(request, "org.claim.already", "error")
            return see_other(f"/org/proposals/{existing}")
        state = refused(values, made, lang, PROPOSAL_FIELDS, renamed=FIELD_ON_PAGE)
        return await _claim_page(db_session, user, clock, settings, task_id, state, chosen)
    say(request, "org.claim.saved")
    return see_other(f"/org/proposals/{made.id}")


# One proposal ---------------------------------------------------------------------------------------------------


async def _refused_on_proposal(
    db: AsyncSession, user: User, clock: Clock, proposal_id: int, exc: ApplicationError, lang: str
) -> Template:
    """A move the service refused, said above the proposal as it now stands."""
    return await _proposal_page(
        db, user, clock, proposal_id, problem=error_text(exc, lang), status_code=exc.status_code
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
    may = proposals.moves(found, task_status, org_id)  # the service's rule, which its writes enforce
    waiting = [m for m in view.members if m.organization_id in may.waiting]
    partners: list[Organization] = []
    if may.edit:
        current = [m.organization for m in found.members if m.invitation != InvitationStatus.LEAD]
        partners = await partner_choices(db, task, view.lead_org_id, current)
    if chosen is None:
        chosen = [
            str(m.organization_id)
            for m in view.members
            if m.invitation in (InvitationStatus.PENDING, InvitationStatus.ACCEPTED)
        ]
    project_id = await _project_for_task(db, task.id) if view.status == ProposalStatus.AWARDED else None
    # From the start of the notice period, a proposal not awarded is debriefed from the award's dossier.
    debrief = await dossiers.debrief(db, found, user)
    edit = form or FormState(proposal_form_values(view))
    attach = upload or FormState()
    invalid = edit.invalid or attach.invalid
    return page(
        "market/org/proposal.html.j2",
        user,
        status_code=status_code or (422 if invalid else 200),
        proposal=view,
        task=task_views.summary(task, task_status, user),
        is_lead=may.lead,
        membership=mine,
        open=may.open,
        editable=may.edit,
        waiting=waiting,
        can_submit=may.submit,
        can_withdraw=may.withdraw,
        can_answer=may.answer,
        partners=partners,
        chosen={str(c) for c in chosen},
        form=edit,
        upload=attach,
        problem=problem,
        project_id=project_id,
        debrief=debrief,
        joint=task.allow_joint,
    )


@get("/org/proposals/{proposal_id:int}", **ORG)
async def proposal_detail(request: UserRequest, db_session: Db, clock: Now, proposal_id: PathId) -> Template:
    """A proposal: partners and their answers, attachments, the edit form while a draft, submit and withdraw,
    and after the deadline its qualification and award outcome. Partners see it read-only and answer there."""
    return await _proposal_page(db_session, request.user, clock, proposal_id)


@post("/org/proposals/{proposal_id:int}", **ORG)
async def proposal_edit(
    request: UserRequest, db_session: Db, clock: Now, settings: Config, proposal_id: PathId
) -> Template | Redirect:
    """Save changes to a draft (the lead organisation); changed partners are invited afresh."""
    user, lang = request.user, lang_of(request)
    values, chosen = await read_proposal_form(request)
    data = parse_proposal(values, chosen, lang)
    if isinstance(data, FormState):
        return await _proposal_page(db_session, user, clock, proposal_id, form=data, chosen=chosen)
    changes = ProposalUpdate(
        requested_budget_fen=data.requested_budget_fen,
        strengths=data.strengths,
        work_plan=data.work_plan,
        expected_results=data.expected_results,
        partner_ids=data.partner_ids,
    )
    done = await attempt(
        db_session,
        lambda: proposals.update_draft(
            db_session, proposal_id, changes, actor=user, now=clock.now(), fail_bar_days=settings.fail_bar_days
        ),
    )
    if isinstance(done, ApplicationError):
        state = refused(values, done, lang, PROPOSAL_FIELDS, renamed=FIELD_ON_PAGE)
        return await _proposal_page(db_session, user, clock, proposal_id, form=state, chosen=chosen)
    say(request, "org.proposal.saved")
    return see_other(f"/org/proposals/{proposal_id}")


@post("/org/proposals/{proposal_id:int}/submit", **ORG)
async def proposal_submit(
    request: UserRequest, db_session: Db, clock: Now, settings: Config, proposal_id: PathId
) -> Template | Redirect:
    """Submit the draft before the deadline; refused while a partner has not accepted, or a text is empty."""
    user, lang = request.user, lang_of(request)
    done = await attempt(
        db_session,
        lambda: proposals.submit(
            db_session, proposal_id, actor=user, now=clock.now(), fail_bar_days=settings.fail_bar_days
        ),
    )
    if isinstance(done, ApplicationError):
        if done.field in TEXT_FIELDS:
            # Say it beside the empty text in the edit form, which shows the saved draft.
            saved = await proposals.visible(db_session, proposal_id, viewer=user, now=clock.now())
            state = refused(proposal_form_values(ProposalView.of(saved)), done, lang, TEXT_FIELDS)
            return await _proposal_page(db_session, user, clock, proposal_id, form=state)
        return await _refused_on_proposal(db_session, user, clock, proposal_id, done, lang)
    say(request, "org.proposal.submitted")
    return see_other(f"/org/proposals/{proposal_id}")


@post("/org/proposals/{proposal_id:int}/withdraw", **ORG)
async def proposal_withdraw(
    request: UserRequest, db_session: Db, clock: Now, proposal_id: PathId
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
    done = await attempt(db_session, lambda: proposals.withdraw(db_session, proposal_id, actor=user, now=clock.now()))
    if isinstance(done, ApplicationError):
        return await _refused_on_proposal(db_session, user, clock, proposal_id, done, lang)
    say(request, "org.withdraw.done")
    return see_other(f"/org/proposals/{proposal_id}")


@post("/org/proposals/{proposal_id:int}/invitation", **ORG)
async def answer_invitation(
    request: UserRequest, db_session: Db, clock: Now, settings: Config, proposal_id: PathId
) -> Template | Redirect:
    """A partner accepts (`accept=true`) or declines (`accept=false`) the invitation to a joint claim."""
    user, lang = request.user, lang_of(request)
    values = await form_values(request)
    answer = parse_form({"accept": values.get("accept", "")}, InvitationAnswer, lang)
    if isinstance(answer, FormState):
        return await _proposal_page(
            db_session, user, clock, proposal_id, problem=t("org.invite.choose", lang), status_code=422
        )
    done = await attempt(
        db_session,
        lambda: proposals.answer_invitation(
            db_session, proposal_id, answer.accept, actor=user, now=clock.now(), fail_bar_days=settings.fail_bar_days
        ),
    )
    if isinstance(done, ApplicationError):
        return await _refused_on_proposal(db_session, user, clock, proposal_id, done, lang)
    if answer.accept:
        say(request, "org.invite.accepted")
        return see_other(f"/org/proposals/{proposal_id}")
    # A declined proposal is no longer the organisation's to see.
    say(request, "org.invite.declined")
    return see_other("/org")


# Attachments ----------------------------------------------------------------------------------------------------


@post("/org/proposals/{proposal_id:int}/attachments", **ORG)
async def attach(
    request: UserRequest,
    db_session: Db,
    clock: Now,
    settings: Config,
    proposal_id: PathId,
) -> Template | Redirect:
    """Attach a PDF, image or office file to the draft (multipart field `data`, as in the API)."""
    user, lang = request.user, lang_of(request)
    upload = (await request.form()).get("data")
    if not isinstance(upload, UploadFile) or not upload.filename:
        state = FormState({}, {"data": t("org.attach.choose", lang)})
        return await _proposal_page(db_session, user, clock, proposal_id, upload=state)
    content = await upload.read()
    filename = upload.filename
    added = await attempt(
        db_session,
        lambda: proposals.attach(
            db_session, proposal_id, filename, content, actor=user, now=clock.now(), settings=settings
        ),
    )
    if isinstance(added, ApplicationError):
        state = refused({}, added, lang, ("data",), renamed=FIELD_ON_PAGE)
        return await _proposal_page(db_session, user, clock, proposal_id, upload=state)
    say(request, "org.attach.added", name=added.filename)
    return see_other(f"/org/proposals/{proposal_id}#attachments")


@get("/org/proposals/{proposal_id:int}/attachments/{attachment_id:int}", **ORG)
async def download(
    request: UserRequest,
    db_session: Db,
    clock: Now,
    settings: Config,
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
    request: UserRequest, db_session: Db, clock: Now, proposal_id: PathId, attachment_id: PathId
) -> Template | Redirect:
    """Remove an attachment from the draft."""
    user, lang = request.user, lang_of(request)
    done = await attempt(
        db_session, lambda: proposals.detach(db_session, proposal_id, attachment_id, actor=user, now=clock.now())
    )
    if isinstance(done, ApplicationError):
        return await _refused_on_proposal(db_session, user, clock, proposal_id, done, lang)
    say(request, "org.attach.removed")
    return see_other(f"/org/proposals/{proposal_id}#attachments")


ORG_PROPOSAL_PAGES: list[ControllerRouterHandler] = [
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
]
