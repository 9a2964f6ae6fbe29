"""The review and award of one task: qualification, the panel's progress, the ranking, the award (承榜) after a
confirmation step, its public notice and the objections to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from litestar import get, post
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from market import flows
from market.controllers import _awards as award_views
from market.controllers import _tasks as task_views
from market.i18n import t
from market.kernel.clock import Clock
from market.kernel.errors import ApplicationError, NotFound
from market.models import Objection, User
from market.pages._base import (
    COMMITTEE,
    FormState,
    UserRequest,
    attempt,
    confirm_page,
    confirmed,
    form_values,
    lang_of,
    localtime,
    money,
    page,
    parse_form,
    refused,
    say,
    see_other,
    told_elsewhere,
)
from market.params import Config, Db, Now, PathId
from market.schemas._awards import AwardCreate, Resolution
from market.schemas._proposals import Proposal, QualificationDecision
from market.scoring import TRIM_FROM
from market.services import awards, proposals, tasks
from market.services._scoring import Board, Standing, load_board
from market.settings import Settings
from market.states import AwardStatus, ProposalStatus, TaskStatus

# Review and award of one task --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RankRow:
    """A ranked (or still being scored) proposal as the committee sees it."""

    proposal: Proposal
    scores_in: int
    scores_expected: int
    score: str | None = None
    first_mean: str | None = None
    rank: int | None = None
    totals: list[tuple[str, str]] = field(default_factory=list)
    tie: str = ""


@dataclass(frozen=True, slots=True)
class MemberProgress:
    """How far one panel member has got (counts only: marks stay sealed until the panel is complete)."""

    name: str
    organization: str | None
    scored: int
    expected: int


@dataclass
class Forms:
    """The forms of the review page that may come back with errors: one award form, one per proposal/objection."""

    award: FormState = field(default_factory=FormState)
    qualify: dict[int, FormState] = field(default_factory=dict)
    objection: dict[int, FormState] = field(default_factory=dict)

    @property
    def invalid(self) -> bool:
        """Whether any of them was refused."""
        return self.award.invalid or any(f.invalid for f in (*self.qualify.values(), *self.objection.values()))


def _plain(mean: Decimal) -> str:
    """A mean kept to four places for ranking, shown without trailing zeros: 27.0000 → 27, 27.2500 → 27.25."""
    text = f"{mean:.4f}".rstrip("0").rstrip(".")
    return text or "0"


def _tie_notes(standings: list[Standing], criterion: str, lang: str) -> dict[int, str]:
    """Why a proposal ranks below another with the same score, as the ranking rule decides it."""
    notes: dict[int, str] = {}
    for above, below in pairwise(standings):
        if below.score != above.score:
            continue
        if below.first_mean != above.first_mean:
            notes[below.proposal.id] = t(
                "committee.rank.tie_first",
                lang,
                rank=above.rank,
                criterion=criterion,
                mean=_plain(below.first_mean),
                above=_plain(above.first_mean),
            )
        else:
            notes[below.proposal.id] = t("committee.rank.tie_time", lang, rank=above.rank, criterion=criterion)
    return notes


def _rank_rows(board: Board, shown: dict[int, Proposal], lang: str) -> list[RankRow]:
    names = {m.id: m.display_name or m.username for m in board.members}
    standings = board.standings() if board.complete else []
    by_id = {s.proposal.id: s for s in standings}
    ties = _tie_notes(standings, board.rubric[0].name, lang) if standings else {}
    rows: list[RankRow] = []
    for p in board.proposals:
        if p.id not in shown:
            continue
        s = by_id.get(p.id)
        rows.append(
            RankRow(
                proposal=shown[p.id],
                scores_in=len(board.scores_for(p)),
                scores_expected=len(board.expected(p)),
                score=f"{s.score:.2f}" if s else None,
                first_mean=_plain(s.first_mean) if s else None,
                rank=s.rank if s else None,
                totals=[(names.get(uid, str(uid)), str(total)) for uid, total in s.totals.items()] if s else [],
                tie=ties.get(p.id, ""),
            )
        )
    if standings:
        rows.sort(key=lambda r: r.rank or 0)
    return rows


def _member_progress(board: Board) -> list[MemberProgress]:
    out = []
    for m in board.members:
        expected = [p for p in board.proposals if m in board.expected(p)]
        scored = sum(1 for p in expected if (p.id, m.id) in board.scores)
        out.append(
            MemberProgress(
                m.display_name or m.username, m.organization.name if m.organization else None, scored, len(expected)
            )
        )
    return out


async def _review_page(
    db: AsyncSession,
    task_id: int,
    viewer: User,
    clock: Clock,
    settings: Settings,
    lang: str,
    forms: Forms | None = None,
) -> Template:
    now = clock.now()
    forms = forms or Forms()
    task = await task_views.detail(db, task_id, viewer, clock)
    model = await tasks.get_task(db, task_id, viewer=viewer)
    shown = await proposals.for_task(db, task_id, viewer=viewer, now=now)
    # The committee reading the proposals is a recorded read (docs/design.md, "Audit").
    await proposals.record_reads(db, shown, viewer=viewer, now=now)
    views = {p.id: Proposal.of(p) for p in shown}
    board = await load_board(db, model)
    history = await awards.awards_of(db, task_id, viewer=viewer, now=now)
    standing = next((v for v in history if v.status != AwardStatus.REVOKED), None)
    objections: dict[int, list[Objection]] = {v.award.id: await awards.objections_of(db, v.award.id) for v in history}
    reviewing = task.status == TaskStatus.REVIEWING and standing is None
    scoring_started = bool(board.scores)
    qualifiable = {
        p.id
        for p in views.values()
        if reviewing
        and (
            p.status == ProposalStatus.SUBMITTED
            or (p.status in (ProposalStatus.QUALIFIED, ProposalStatus.DISQUALIFIED) and not scoring_started)
        )
    }
    standings = board.standings() if board.complete else []
    eligible = [s for s in standings if s.proposal.status == ProposalStatus.QUALIFIED]
    award_form = forms.award
    if not award_form.values and eligible:
        award_form = FormState({"proposal_id": str(eligible[0].proposal.id)})
    return page(
        "market/committee/task.html.j2",
        viewer,
        status_code=422 if forms.invalid else 200,
        task=task,
        proposals=list(views.values()),
        qualifiable=qualifiable,
        qualify_forms=forms.qualify,
        board_complete=board.complete,
        undecided=board.undecided,
        members=_member_progress(board),
        rows=_rank_rows(board, views, lang),
        trimmed=any(len(board.scores_for(p)) >= TRIM_FROM for p in board.proposals),
        first_criterion=board.rubric[0].name,
        notice=award_views.notice(standing) if standing else None,
        revoked=[award_views.notice(v) for v in history if v.status == AwardStatus.REVOKED],
        objections=objections,
        objection_forms=forms.objection,
        can_award=reviewing and bool(eligible),
        eligible=[(s, views[s.proposal.id]) for s in eligible if s.proposal.id in views],
        top_id=eligible[0].proposal.id if eligible else None,
        award_form=award_form,
        notice_days=settings.notice_days,
        now=now,
    )


@get("/committee/tasks/{task_id:int}", **COMMITTEE)
async def review(request: UserRequest, db_session: Db, clock: Now, settings: Config, task_id: PathId) -> Template:
    """Review and award: qualification, the panel's progress, the ranking, the award, its notice and objections."""
    return await _review_page(db_session, task_id, request.user, clock, settings, lang_of(request))


@post("/committee/proposals/{proposal_id:int}/qualification", **COMMITTEE)
async def qualify(
    request: UserRequest, db_session: Db, clock: Now, settings: Config, proposal_id: PathId
) -> Template | Redirect:
    """Qualify a proposal, or disqualify it with a reason (beside the proposal's own reason field if missing)."""
    lang, viewer, now = lang_of(request), request.user, clock.now()
    task_id = (await proposals.visible(db_session, proposal_id, viewer=viewer, now=now)).task_id
    values = await form_values(request)
    # A blank reason is no reason: the service, not the length limit, says a disqualification needs one.
    data = parse_form({k: v for k, v in values.items() if k != "reason" or v.strip()}, QualificationDecision, lang)
    if isinstance(data, FormState):
        data.values = values
        if set(data.errors) - {"reason"}:
            data.general = t("form.invalid", lang)
        return await _review_page(
            db_session, task_id, viewer, clock, settings, lang, Forms(qualify={proposal_id: data})
        )
    done = await attempt(
        db_session,
        lambda: flows.qualify(db_session, proposal_id, data.qualified, data.reason, actor=viewer, now=now),
    )
    if isinstance(done, ApplicationError):
        if told := told_elsewhere(request, done, ("reason",), f"/committee/tasks/{task_id}#proposal-{proposal_id}"):
            return told
        state = refused(values, done, lang, ("reason",))
        return await _review_page(
            db_session, task_id, viewer, clock, settings, lang, Forms(qualify={proposal_id: state})
        )
    say(request, "committee.qualify.done" if data.qualified else "committee.qualify.disqualified")
    return see_other(f"/committee/tasks/{task_id}#proposal-{proposal_id}")


def _check_award(values: dict[str, str], board: Board, data: AwardCreate, lang: str) -> Standing | FormState:
    """The first post asks the service's own check (`check_award`, which `award` enforces), so that what bars the
    award is said beside the form before the confirmation step."""
    chosen = awards.check_award(board, data.proposal_id, data.reason)
    if chosen is awards.AwardBar.PANEL_UNFINISHED:
        return FormState(values, {}, t("committee.award.not_ready", lang))
    if chosen is awards.AwardBar.REASON_NEEDED:
        return FormState(values, {"reason": t("committee.award.reason_required", lang)})
    if isinstance(chosen, awards.AwardBar):  # not ranked, or no longer qualified
        return FormState(values, {"proposal_id": t("committee.award.not_eligible", lang)})
    return chosen


@post("/committee/tasks/{task_id:int}/award", **COMMITTEE)
async def award(
    request: UserRequest, db_session: Db, clock: Now, settings: Config, task_id: PathId
) -> Template | Redirect:
    """Award a proposal (承榜) after the confirmation step; the public notice period begins."""
    lang, viewer, now = lang_of(request), request.user, clock.now()
    values = await form_values(request)
    data = parse_form(values, AwardCreate, lang, ints=("proposal_id",))
    if isinstance(data, FormState):
        return await _review_page(db_session, task_id, viewer, clock, settings, lang, Forms(award=data))
    task = await tasks.get_task(db_session, task_id, viewer=viewer)
    board = await load_board(db_session, task)
    chosen = _check_award(values, board, data, lang)
    if isinstance(chosen, FormState):
        return await _review_page(db_session, task_id, viewer, clock, settings, lang, Forms(award=chosen))
    if not confirmed(values):
        view = Proposal.of(await proposals.visible(db_session, chosen.proposal.id, viewer=viewer, now=now))
        ends = now + timedelta(days=settings.notice_days)
        facts = [
            (t("committee.task", lang), task.title),
            (t("award.organizations", lang), _organizations(view, lang)),
            (t("award.score", lang), f"{chosen.score:.2f}"),
            (t("award.rank", lang), t("committee.rank.of", lang, rank=chosen.rank, total=len(board.standings()))),
            (t("award.requested_budget", lang), money(view.requested_budget_fen)),
            (t("common.budget", lang), money(task.budget_fen)),
            (
                t("committee.award.notice_period", lang),
                t("committee.award.notice_until", lang, days=settings.notice_days, until=localtime(ends)),
            ),
        ]
        if (data.reason or "").strip():
            facts.append((t("award.reason", lang), (data.reason or "").strip()))
        return confirm_page(
            viewer,
            title=t("committee.award.confirm_title", lang),
            warning=t("committee.award.confirm_warning", lang),
            action=f"/committee/tasks/{task_id}/award",
            values=values,
            back=f"/committee/tasks/{task_id}#award",
            button=t("committee.award.confirm_button", lang),
            facts=facts,
        )
    done = await attempt(
        db_session,
        lambda: flows.award(
            db_session, task_id, data.proposal_id, data.reason, actor=viewer, now=now, notice_days=settings.notice_days
        ),
    )
    if isinstance(done, ApplicationError):
        if told := told_elsewhere(request, done, ("proposal_id", "reason"), f"/committee/tasks/{task_id}#award"):
            return told
        state = refused(values, done, lang, ("proposal_id", "reason"))
        return await _review_page(db_session, task_id, viewer, clock, settings, lang, Forms(award=state))
    say(request, "committee.award.done")
    return see_other(f"/committee/tasks/{task_id}#award")


def _organizations(p: Proposal, lang: str) -> str:
    """The lead and accepted partners, as the notice names them."""
    names = [t("committee.named_role", lang, name=p.lead_org_name, role=t("award.lead", lang))]
    names += [
        t("committee.named_role", lang, name=m.organization_name, role=t("award.partner", lang))
        for m in p.members
        if m.role == "partner" and m.invitation == "accepted"
    ]
    return "、".join(names)


async def _objection(
    db: AsyncSession, award_id: int, objection_id: int, now: datetime
) -> tuple[awards.AwardView, Objection]:
    """The award and one of its objections; 404 unless the objection is the award's."""
    view = await awards.notice(db, award_id, now=now)
    found = next((o for o in await awards.objections_of(db, award_id) if o.id == objection_id), None)
    if found is None:
        raise NotFound("error.no_such_objection")
    return view, found


async def _resolve(
    request: UserRequest,
    db: AsyncSession,
    clock: Clock,
    settings: Settings,
    award_id: int,
    objection_id: int,
    *,
    uphold: bool,
) -> Template | Redirect:
    lang, viewer, now = lang_of(request), request.user, clock.now()
    view, objection = await _objection(db, award_id, objection_id, now)
    task_id = view.award.task_id
    values = await form_values(request)
    data = parse_form(values, Resolution, lang)
    if isinstance(data, FormState):
        return await _review_page(db, task_id, viewer, clock, settings, lang, Forms(objection={objection_id: data}))
    if uphold and not confirmed(values):
        notice = award_views.notice(view)
        return confirm_page(
            viewer,
            title=t("committee.objection.confirm_title", lang),
            warning=t("committee.objection.confirm_warning", lang),
            action=f"/committee/awards/{award_id}/objections/{objection_id}/uphold",
            values=values,
            back=f"/committee/tasks/{task_id}#objection-{objection_id}",
            button=t("committee.objection.confirm_button", lang),
            facts=[
                (t("committee.task", lang), notice.task_title),
                (t("award.organizations", lang), "、".join(o.name for o in notice.organizations)),
                (t("objection.grounds", lang), objection.grounds),
                (t("committee.objection.resolution", lang), data.resolution),
            ],
        )
    done = await attempt(db, lambda: flows.resolve(db, objection_id, uphold, data.resolution, actor=viewer, now=now))
    if isinstance(done, ApplicationError):
        if told := told_elsewhere(request, done, ("resolution",), f"/committee/tasks/{task_id}#award"):
            return told
        state = refused(values, done, lang, ("resolution",))
        return await _review_page(db, task_id, viewer, clock, settings, lang, Forms(objection={objection_id: state}))
    say(request, "committee.objection.upheld" if uphold else "committee.objection.dismissed")
    return see_other(f"/committee/tasks/{task_id}#award")


@post("/committee/awards/{award_id:int}/objections/{objection_id:int}/uphold", **COMMITTEE)
async def uphold_objection(
    request: UserRequest, db_session: Db, clock: Now, settings: Config, award_id: PathId, objection_id: PathId
) -> Template | Redirect:
    """Uphold an objection after the confirmation step: the award is revoked and the task returns to review."""
    return await _resolve(request, db_session, clock, settings, award_id, objection_id, uphold=True)


@post("/committee/awards/{award_id:int}/objections/{objection_id:int}/dismiss", **COMMITTEE)
async def dismiss_objection(
    request: UserRequest, db_session: Db, clock: Now, settings: Config, award_id: PathId, objection_id: PathId
) -> Template | Redirect:
    """Dismiss an objection with a written resolution; the award stands."""
    return await _resolve(request, db_session, clock, settings, award_id, objection_id, uphold=False)


REVIEW_PAGES: list[ControllerRouterHandler] = [review, qualify, award, uphold_objection, dismiss_objection]
