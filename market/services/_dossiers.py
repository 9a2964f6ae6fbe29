"""The award dossier (评审档案): the record that defends an award, and the debriefs drawn from it.

`publish` builds the document once, in the transaction that puts the award into notice (`market.flows.award`),
from the same board the award was checked against (`market.services._scoring`): the ranking's order, scores and
tie-break means exactly, each criterion's plain mean, every member's marks under a stable letter, recusals, the
qualification decisions, the off-rank reason, the Q&A and amendments, and the audit chain's head after the award's
own entries. It is stored as the text it is served as and never rewritten: what happens to the award afterwards (an
objection dismissed, or upheld and the award revoked) is appended (`add`). A later award gets a dossier of its own.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from market.audit import Actor, record
from market.kernel.errors import NotFound
from market.models import (
    AuditHead,
    Award,
    AwardDossier,
    DossierAddition,
    Objection,
    Organization,
    Proposal,
    Task,
    TaskAmendment,
    TaskQuestion,
    User,
)
from market.schemas._dossiers import (
    AdditionDocument,
    AdditionKind,
    Debrief,
    DebriefLine,
    Dossier,
    DossierAdditionView,
    DossierAmendment,
    DossierAudit,
    DossierAward,
    DossierCriterion,
    DossierDocument,
    DossierMember,
    DossierPanel,
    DossierQuestion,
    DossierStanding,
    DossierTask,
    MemberMarks,
    QualificationDecision,
    TaskDossiers,
)
from market.scoring import TRIM_FROM
from market.services._scoring import ON_PROPOSAL, Board, marks_text
from market.services._tasks import visible_task
from market.states import AwardStatus, ObjectionStatus, ProposalStatus

VERSION = 1
NO_DOSSIER = "error.no_dossier_yet"
# Proposals the committee has decided on: qualified (and later awarded or not), or disqualified with a reason.
DECIDED = (ProposalStatus.QUALIFIED, ProposalStatus.AWARDED, ProposalStatus.NOT_AWARDED, ProposalStatus.DISQUALIFIED)
# A proposal in one of these states may have a debrief: it was ranked or disqualified, and not (yet) awarded.
DEBRIEFED = (ProposalStatus.QUALIFIED, ProposalStatus.NOT_AWARDED, ProposalStatus.DISQUALIFIED)
# Proposals still in the running when an award is made: the top one of these needs no reason to be chosen.
ELIGIBLE = (ProposalStatus.QUALIFIED, ProposalStatus.AWARDED)


def letter(seat: int) -> str:
    """A panel seat's letter, 0 → A … 25 → Z, 26 → AA: stable across the proposals of one dossier."""
    out = ""
    n = seat
    while True:
        n, r = divmod(n, 26)
        out = chr(ord("A") + r) + out
        if n == 0:
            return out
        n -= 1


def _encode(doc: msgspec.Struct) -> str:
    return msgspec.json.encode(doc).decode()


# Building ---------------------------------------------------------------------------------------------------


def _dropped(totals: list[Decimal]) -> list[str]:
    """The lowest and highest total that `market.scoring.proposal_score` leaves out, when it leaves any out."""
    if len(totals) < TRIM_FROM:
        return []
    return [str(min(totals)), str(max(totals))]


def _standings(board: Board, letters: dict[int, str]) -> list[DossierStanding]:
    out: list[DossierStanding] = []
    for s in board.standings():
        expected = {m.id for m in board.expected(s.proposal)}
        marks = [
            MemberMarks(
                member=letters[m.user_id],
                marks=marks_text(m.every, board.rubric),
                total=str(s.totals[m.user_id]),
            )
            for m in board.scores_for(s.proposal)
        ]
        out.append(
            DossierStanding(
                proposal_id=s.proposal.id,
                lead_org_name=s.proposal.lead_org_name,
                rank=s.rank,
                score=f"{s.score:.2f}",
                first_criterion_mean=str(s.first_mean),
                means={name: f"{mean:.2f}" for name, mean in board.criterion_means(s.proposal).items()},
                marks=marks,
                recused=[letters[m.id] for m in board.members if m.id not in expected],
                dropped=_dropped(list(s.totals.values())),
            )
        )
    return out


async def _qualification(db: AsyncSession, task_id: int) -> list[QualificationDecision]:
    rows = await db.execute(
        select(Proposal.id, Organization.name, Proposal.status, Proposal.disqualify_reason)
        .join(Organization, Organization.id == Proposal.lead_org_id)
        .where(Proposal.task_id == task_id, Proposal.status.in_(DECIDED))
        .order_by(Proposal.submitted_at, Proposal.id)
    )
    return [
        QualificationDecision(
            proposal_id=pid,
            lead_org_name=name,
            qualified=status != ProposalStatus.DISQUALIFIED,
            reason=reason if status == ProposalStatus.DISQUALIFIED else "",
        )
        for pid, name, status, reason in rows
    ]


async def _questions(db: AsyncSession, task_id: int) -> list[DossierQuestion]:
    stmt = (
        select(TaskQuestion.question, TaskQuestion.answer, TaskQuestion.answered_at)
        .where(TaskQuestion.task_id == task_id, TaskQuestion.answered_at.is_not(None))
        .order_by(TaskQuestion.id)
    )
    return [DossierQuestion(q, a, at) for q, a, at in await db.execute(stmt)]


async def _amendments(db: AsyncSession, task_id: int) -> list[DossierAmendment]:
    stmt = select(TaskAmendment).where(TaskAmendment.task_id == task_id).order_by(TaskAmendment.number)
    return [
        DossierAmendment(a.number, a.reason, dict(a.changes), a.material, a.made_at)
        for a in (await db.scalars(stmt)).all()
    ]


async def publish(
    db: AsyncSession, task: Task, board: Board, award: Award, *, actor: Actor, now: datetime
) -> AwardDossier:
    """Freeze the award's dossier, inside the award's own transaction (the task locked, the award recorded), from
    the board the award was checked against (its rows read before the award moved any state)."""
    standings = board.standings()
    letters = {m.id: letter(seat) for seat, m in enumerate(board.members)}
    chosen = next(s for s in standings if s.proposal.id == award.proposal_id)
    top = next((s for s in standings if s.proposal.status in ELIGIBLE), chosen)
    length, head = (await db.execute(select(AuditHead.length, AuditHead.last_hash))).one()
    doc = DossierDocument(
        version=VERSION,
        task=DossierTask(task.id, task.title, task.posting_unit, task.budget_fen, task.claim_deadline),
        award=DossierAward(
            id=award.id,
            proposal_id=award.proposal_id,
            lead_org_name=chosen.proposal.lead_org_name,
            rank=chosen.rank,
            score=f"{chosen.score:.2f}",
            off_rank=top.proposal.id != chosen.proposal.id,
            reason=award.reason,
            awarded_at=award.awarded_at,
            notice_ends_at=award.notice_ends_at,
        ),
        rubric=[DossierCriterion(c.name, c.maximum) for c in board.rubric],
        panel=DossierPanel(
            named=task.panel_named,
            members=[
                DossierMember(letters[m.id], (m.display_name or m.username) if task.panel_named else None)
                for m in board.members
            ],
        ),
        standings=_standings(board, letters),
        qualification=await _qualification(db, task.id),
        questions=await _questions(db, task.id),
        amendments=await _amendments(db, task.id),
        audit=DossierAudit(length=int(length), head=head),
    )
    text = _encode(doc)
    digest = hashlib.sha256(text.encode()).hexdigest()
    dossier = AwardDossier(
        task_id=task.id,
        award_id=award.id,
        document=text,
        sha256=digest,
        audit_length=int(length),
        audit_head=head,
        published_at=now,
    )
    db.add(dossier)
    await db.flush()
    await record(
        db,
        at=now,
        actor=actor,
        entity="award",
        entity_id=award.id,
        action="dossier",
        data={"task": task.id, "dossier": dossier.id, "sha256": digest, "audit_length": int(length)},
    )
    return dossier


async def upheld_objections(db: AsyncSession, award_id: int) -> list[int]:
    """The objections upheld against an award: the one that revoked it and those closed with it."""
    stmt = select(Objection.id).where(Objection.award_id == award_id, Objection.status == ObjectionStatus.UPHELD)
    return list((await db.scalars(stmt.order_by(Objection.id))).all())


async def add(
    db: AsyncSession,
    award_id: int,
    kind: AdditionKind,
    objections: list[int],
    resolution: str,
    *,
    actor: Actor,
    now: datetime,
) -> DossierAddition | None:
    """Append what happened to an award to its dossier (the award's task locked by the caller); the original
    document is never touched. An award from before dossiers existed has none to add to."""
    dossier = await db.scalar(select(AwardDossier).where(AwardDossier.award_id == award_id))
    if dossier is None:
        return None
    number = int(await db.scalar(select(func.count()).where(DossierAddition.dossier_id == dossier.id)) or 0) + 1
    text = _encode(AdditionDocument(objections=objections, resolution=resolution, at=now))
    addition = DossierAddition(
        dossier_id=dossier.id, task_id=dossier.task_id, number=number, kind=kind, document=text, at=now
    )
    db.add(addition)
    await db.flush()
    await record(
        db,
        at=now,
        actor=actor,
        entity="award",
        entity_id=award_id,
        action="dossier_addition",
        data={"dossier": dossier.id, "number": number, "kind": kind},
    )
    return addition


# Reading ----------------------------------------------------------------------------------------------------


def _view(row: AwardDossier, additions: list[DossierAddition]) -> Dossier:
    return Dossier(
        award_id=row.award_id,
        published_at=row.published_at,
        sha256=row.sha256,
        document=msgspec.json.decode(row.document, type=DossierDocument),
        additions=[
            DossierAdditionView(
                number=a.number,
                kind=msgspec.convert(a.kind, AdditionKind),
                at=a.at,
                document=msgspec.json.decode(a.document, type=AdditionDocument),
            )
            for a in additions
        ],
    )


async def dossiers_of(db: AsyncSession, task_id: int, *, viewer: User | None) -> TaskDossiers:
    """Every dossier of a task, newest award first, each with its additions; 404 until the first award. Three
    statements, however long the task's history."""
    task = await visible_task(db, task_id, viewer)
    rows = list(
        (
            await db.scalars(
                select(AwardDossier).where(AwardDossier.task_id == task.id).order_by(AwardDossier.award_id.desc())
            )
        ).all()
    )
    if not rows:
        raise NotFound(NO_DOSSIER)
    additions = (
        await db.scalars(
            select(DossierAddition)
            .where(DossierAddition.task_id == task.id)
            .order_by(DossierAddition.dossier_id, DossierAddition.number)
        )
    ).all()
    by_dossier: dict[int, list[DossierAddition]] = {}
    for a in additions:
        by_dossier.setdefault(a.dossier_id, []).append(a)
    return TaskDossiers(task_id=task.id, dossiers=[_view(r, by_dossier.get(r.id, [])) for r in rows])


async def any_of(db: AsyncSession, task_id: int) -> bool:
    """Whether the task has any dossier (one statement)."""
    stmt = select(AwardDossier.id).where(AwardDossier.task_id == task_id).limit(1)
    return await db.scalar(stmt) is not None


# Debriefs ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Standing:
    award_id: int
    document: DossierDocument


async def _standing_dossier(db: AsyncSession, task_id: int) -> _Standing | None:
    """The dossier of the task's award in notice or confirmed, if there is one."""
    row = (
        await db.execute(
            select(AwardDossier.award_id, AwardDossier.document)
            .join(Award, Award.id == AwardDossier.award_id)
            .where(
                AwardDossier.task_id == task_id,
                Award.status.in_([AwardStatus.NOTICE, AwardStatus.CONFIRMED]),
            )
        )
    ).one_or_none()
    if row is None:
        return None
    return _Standing(row[0], msgspec.json.decode(row[1], type=DossierDocument))


def _line(s: DossierStanding) -> DebriefLine:
    return DebriefLine(s.proposal_id, s.lead_org_name, s.rank, s.score, s.means)


def debrief_from(doc: DossierDocument, award_id: int, proposal_id: int) -> Debrief | None:
    """The debrief of one proposal from a dossier: none for the winner or a proposal the dossier does not hold."""
    if proposal_id == doc.award.proposal_id:
        return None
    rubric = list(doc.rubric)
    winner = next((s for s in doc.standings if s.proposal_id == doc.award.proposal_id), None)
    own = next((s for s in doc.standings if s.proposal_id == proposal_id), None)
    if own is not None:
        return Debrief(award_id, len(doc.standings), rubric, _line(own), _line(winner) if winner else None, None)
    decision = next((q for q in doc.qualification if q.proposal_id == proposal_id and not q.qualified), None)
    if decision is None:
        return None
    return Debrief(award_id, len(doc.standings), rubric, None, None, decision.reason)


async def debrief(db: AsyncSession, proposal: Proposal, viewer: User | None) -> Debrief | None:
    """The proposal's debrief from the standing award's dossier, from the start of its notice period: for its own
    organisations (lead, or a partner that accepted) only, and only when it was ranked or disqualified, not awarded.

    A debrief shows the reader's own figures and the winner's, nobody else's.
    """
    org_id = viewer.organization_id if viewer is not None else None
    on = org_id is not None and any(
        m.organization_id == org_id and m.invitation in ON_PROPOSAL for m in proposal.members
    )
    if not on or proposal.status not in DEBRIEFED:
        return None
    standing = await _standing_dossier(db, proposal.task_id)
    if standing is None:
        return None
    return debrief_from(standing.document, standing.award_id, proposal.id)
