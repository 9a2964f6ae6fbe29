"""Proposals (揭榜意向书): claims on tasks, sealed until the deadline.

`_sealing` says who may see a proposal; `_claims` drafts, submits and withdraws them and says what an organisation
may do with one now (`moves`); `_attachments` holds their files; `_qualification` the committee's decision after the
deadline. They build on tasks only; what follows for the task or the awards is `market.flows`'.
"""

from __future__ import annotations

from market.services._proposals._attachments import attach, attachment_for, detach
from market.services._proposals._claims import (
    Moves,
    answer_invitation,
    check_amendment_fits,
    create,
    end_live_proposals,
    lock_own,
    lock_with_task,
    moves,
    return_submitted_to_draft,
    submit,
    takes_claims,
    update_draft,
    waiting_partners,
    withdraw,
)
from market.services._proposals._qualification import none_qualified, qualify
from market.services._proposals._sealing import (
    SEALED,
    UNSEALED_STATES,
    for_task,
    is_panel_member,
    mine,
    on_it,
    record_reads,
    visible,
)

__all__ = [
    "SEALED",
    "UNSEALED_STATES",
    "Moves",
    "answer_invitation",
    "attach",
    "attachment_for",
    "check_amendment_fits",
    "create",
    "detach",
    "end_live_proposals",
    "for_task",
    "is_panel_member",
    "lock_own",
    "lock_with_task",
    "mine",
    "moves",
    "none_qualified",
    "on_it",
    "qualify",
    "record_reads",
    "return_submitted_to_draft",
    "submit",
    "takes_claims",
    "update_draft",
    "visible",
    "waiting_partners",
    "withdraw",
]
