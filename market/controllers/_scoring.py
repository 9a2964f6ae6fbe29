"""/tasks/{id}/panel, /tasks/{id}/scoring, /tasks/{id}/ranking and /proposals/{id}/scores: the panel's work."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, put
from litestar.params import JSONBody

from market.kernel.db import writing
from market.models import User
from market.params import Db, Now, PathId
from market.schemas._scoring import (
    Criterion,
    MemberScore,
    MemberTotal,
    MyScore,
    Panel,
    PanelSeat,
    PanelSet,
    QueueItem,
    Ranking,
    RankingRow,
    ScoreSet,
    ScoringQueue,
)
from market.scoring import from_tenths
from market.security import requires_committee, requires_evaluator
from market.services import scoring
from market.states import ProposalStatus


def _panel(task_id: int, members: list[User], started: bool, named: bool) -> Panel:
    return Panel(
        task_id=task_id,
        members=[
            PanelSeat(
                user_id=u.id,
                username=u.username,
                display_name=u.display_name,
                organization_id=u.organization_id,
                organization_name=u.organization.name if u.organization else None,
            )
            for u in members
        ],
        scoring_started=started,
        named=named,
    )


def _queue(q: scoring.Queue) -> ScoringQueue:
    rubric = q.board.rubric
    items = [
        QueueItem(
            proposal_id=e.proposal.id,
            lead_org_name=e.proposal.lead_org_name,
            status=ProposalStatus(e.proposal.status),
            state=e.state,
            marks=scoring.marks_text(e.own.marks_tenths, rubric) if e.own else None,
            total=str(from_tenths(e.own.total_tenths)) if e.own else None,
            panel_scores=None
            if e.others is None
            else [
                MemberScore(
                    user_id=m.id,
                    username=m.username,
                    display_name=m.display_name,
                    marks=scoring.marks_text(s.marks_tenths, rubric),
                    total=str(from_tenths(s.total_tenths)),
                )
                for m, s in e.others
            ],
        )
        for e in q.entries
    ]
    return ScoringQueue(
        task_id=q.board.task.id,
        task_status=q.status,
        rubric=[Criterion(c.name, c.maximum) for c in rubric],
        complete=q.board.complete,
        awaiting_qualification=q.board.undecided,
        scored=sum(1 for i in items if i.state == "scored"),
        waiting=sum(1 for i in items if i.state == "waiting"),
        recused=sum(1 for i in items if i.state == "recused"),
        items=items,
    )


def _ranking(board: scoring.Board, standings: list[scoring.Standing] | None) -> Ranking:
    names = {m.id: m.username for m in board.members}
    by_id = {s.proposal.id: s for s in standings or []}
    rows: list[RankingRow] = []
    for p in board.proposals:
        s = by_id.get(p.id)
        rows.append(
            RankingRow(
                proposal_id=p.id,
                lead_org_id=p.lead_org_id,
                lead_org_name=p.lead_org_name,
                status=ProposalStatus(p.status),
                submitted_at=p.submitted_at,
                scores_in=len(board.scores_for(p)),
                scores_expected=len(board.expected(p)),
                score=f"{s.score:.2f}" if s else None,
                first_criterion_mean=str(s.first_mean) if s else None,
                member_totals=[MemberTotal(uid, names.get(uid, ""), str(t)) for uid, t in s.totals.items()]
                if s
                else None,
                rank=s.rank if s else None,
            )
        )
    if standings is not None:
        rows.sort(key=lambda r: (r.rank is None, r.rank or 0))
    return Ranking(
        task_id=board.task.id, complete=standings is not None, awaiting_qualification=board.undecided, rows=rows
    )


class PanelController(Controller):
    """Forming the panel; a member's queue; the ranking."""

    path = "/tasks/{task_id:int}"
    tags = ["scoring"]

    @put("/panel", guards=[requires_committee])
    async def set_panel(
        self, request: Request[User, Any, Any], db_session: Db, clock: Now, task_id: PathId, data: JSONBody[PanelSet]
    ) -> Panel:
        """Form the panel (评审组) from evaluator accounts, until the first score is in."""
        async with writing(db_session):
            await scoring.set_panel(
                db_session, task_id, data.user_ids, named=data.named, actor=request.user, now=clock.now()
            )
        members, started, named = await scoring.panel_of(db_session, task_id, viewer=request.user)
        return _panel(task_id, members, started, named)

    # Only the committee and the task's own panel may look (403 for anyone else signed in).
    @get("/panel", problems=[403])
    async def get_panel(self, request: Request[User, Any, Any], db_session: Db, task_id: PathId) -> Panel:
        """The panel (the committee, or a member of it)."""
        members, started, named = await scoring.panel_of(db_session, task_id, viewer=request.user)
        return _panel(task_id, members, started, named)

    @get("/scoring", guards=[requires_evaluator])
    async def my_queue(
        self, request: Request[User, Any, Any], db_session: Db, clock: Now, task_id: PathId
    ) -> ScoringQueue:
        """My queue: what I have scored, what waits for me, what I am recused from; others' marks once complete."""
        return _queue(await scoring.queue(db_session, task_id, viewer=request.user, now=clock.now()))

    @get("/ranking", problems=[403])
    async def ranking(self, request: Request[User, Any, Any], db_session: Db, task_id: PathId) -> Ranking:
        """The ranking; before the panel is complete the committee sees only progress and members see nothing."""
        board, standings = await scoring.ranking(db_session, task_id, viewer=request.user)
        return _ranking(board, standings)


class ScoreController(Controller):
    """A panel member's marks for one proposal."""

    path = "/proposals/{proposal_id:int}"
    tags = ["scoring"]

    @put("/scores", guards=[requires_evaluator])
    async def set_scores(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        proposal_id: PathId,
        data: JSONBody[ScoreSet],
    ) -> MyScore:
        """Score (or re-score, until the panel is complete) a qualified proposal: every criterion, one decimal."""
        async with writing(db_session):
            result = await scoring.score(db_session, proposal_id, data.marks, actor=request.user, now=clock.now())
        return MyScore(result.proposal_id, result.marks, str(result.total), result.panel_complete)
