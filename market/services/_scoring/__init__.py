"""Evaluation panels (评审组), members' marks and the ranking (综合评分).

The arithmetic is `market.scoring`'s; `_board` reads the ranking board and how far the panel has got, `_panel` decides
who may score what and when, and what each viewer sees. Builds on proposals and tasks; nothing here writes them.
"""

from __future__ import annotations

from market.services._scoring._board import (
    ON_PROPOSAL,
    PANEL_STATES,
    RANKED_STATES,
    Board,
    Mark,
    Progress,
    QueueState,
    Ranked,
    Standing,
    is_recused,
    load_board,
    marks_text,
    panel_complete,
)
from market.services._scoring._panel import (
    Queue,
    QueueEntry,
    ScoreResult,
    evaluators,
    panel_of,
    queue,
    ranking,
    score,
    seats_of,
    set_panel,
)

__all__ = [
    "ON_PROPOSAL",
    "PANEL_STATES",
    "RANKED_STATES",
    "Board",
    "Mark",
    "Progress",
    "Queue",
    "QueueEntry",
    "QueueState",
    "Ranked",
    "ScoreResult",
    "Standing",
    "evaluators",
    "is_recused",
    "load_board",
    "marks_text",
    "panel_complete",
    "panel_of",
    "queue",
    "ranking",
    "score",
    "seats_of",
    "set_panel",
]
