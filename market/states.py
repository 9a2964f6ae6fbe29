"""The state machines: which transitions exist, and the states derived from time.

Every status change in the service goes through `check_transition`; nothing assigns a status elsewhere.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from market.kernel.errors import StateConflict


class TaskStatus(StrEnum):
    """榜单 states."""

    DRAFT = "draft"
    POSTED = "posted"
    REVIEWING = "reviewing"
    AWARDED = "awarded"
    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    UNCLAIMED = "unclaimed"


class ProposalStatus(StrEnum):
    """揭榜意向书 states."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    QUALIFIED = "qualified"
    DISQUALIFIED = "disqualified"
    AWARDED = "awarded"
    NOT_AWARDED = "not_awarded"


class AwardStatus(StrEnum):
    """承榜 states: in public notice, confirmed into a project, or revoked by an upheld objection."""

    NOTICE = "notice"
    CONFIRMED = "confirmed"
    REVOKED = "revoked"


class ObjectionStatus(StrEnum):
    """异议 states."""

    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class ProjectStatus(StrEnum):
    """项目 states, mirroring the task's tail."""

    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    CLOSED = "closed"


class NeedStatus(StrEnum):
    """需求清单 states."""

    OPEN = "open"
    MATCHED = "matched"
    RESOLVED = "resolved"
    DECLINED = "declined"


class InvitationStatus(StrEnum):
    """A partner organisation's answer to a joint-claim invitation."""

    LEAD = "lead"
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


T = TaskStatus
P = ProposalStatus

TASK_TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    T.DRAFT: frozenset({T.POSTED, T.CANCELLED}),
    T.POSTED: frozenset({T.REVIEWING, T.UNCLAIMED, T.CANCELLED}),
    T.REVIEWING: frozenset({T.AWARDED, T.UNCLAIMED, T.CANCELLED}),
    T.AWARDED: frozenset({T.IN_PROGRESS, T.REVIEWING}),
    T.IN_PROGRESS: frozenset({T.DELIVERED}),
    T.DELIVERED: frozenset({T.CLOSED}),
    T.CLOSED: frozenset(),
    T.CANCELLED: frozenset(),
    T.UNCLAIMED: frozenset(),
}

PROPOSAL_TRANSITIONS: dict[ProposalStatus, frozenset[ProposalStatus]] = {
    P.DRAFT: frozenset({P.SUBMITTED, P.WITHDRAWN}),
    P.SUBMITTED: frozenset({P.WITHDRAWN, P.DRAFT, P.QUALIFIED, P.DISQUALIFIED}),
    P.WITHDRAWN: frozenset(),
    P.QUALIFIED: frozenset({P.AWARDED, P.NOT_AWARDED, P.DISQUALIFIED}),
    P.DISQUALIFIED: frozenset({P.QUALIFIED}),
    # An upheld objection takes an award back; the proposal stays qualified but can't win again.
    P.AWARDED: frozenset({P.NOT_AWARDED}),
    P.NOT_AWARDED: frozenset({P.AWARDED}),
}

AWARD_TRANSITIONS: dict[AwardStatus, frozenset[AwardStatus]] = {
    AwardStatus.NOTICE: frozenset({AwardStatus.CONFIRMED, AwardStatus.REVOKED}),
    AwardStatus.CONFIRMED: frozenset(),
    AwardStatus.REVOKED: frozenset(),
}

OBJECTION_TRANSITIONS: dict[ObjectionStatus, frozenset[ObjectionStatus]] = {
    ObjectionStatus.OPEN: frozenset({ObjectionStatus.UPHELD, ObjectionStatus.DISMISSED}),
    ObjectionStatus.UPHELD: frozenset(),
    ObjectionStatus.DISMISSED: frozenset(),
}

PROJECT_TRANSITIONS: dict[ProjectStatus, frozenset[ProjectStatus]] = {
    ProjectStatus.IN_PROGRESS: frozenset({ProjectStatus.DELIVERED}),
    ProjectStatus.DELIVERED: frozenset({ProjectStatus.CLOSED}),
    ProjectStatus.CLOSED: frozenset(),
}

NEED_TRANSITIONS: dict[NeedStatus, frozenset[NeedStatus]] = {
    NeedStatus.OPEN: frozenset({NeedStatus.MATCHED, NeedStatus.DECLINED}),
    NeedStatus.MATCHED: frozenset({NeedStatus.OPEN, NeedStatus.RESOLVED}),
    NeedStatus.RESOLVED: frozenset(),
    NeedStatus.DECLINED: frozenset(),
}

_TABLES: dict[type[StrEnum], dict[Any, frozenset[Any]]] = {
    TaskStatus: TASK_TRANSITIONS,
    ProposalStatus: PROPOSAL_TRANSITIONS,
    AwardStatus: AWARD_TRANSITIONS,
    ObjectionStatus: OBJECTION_TRANSITIONS,
    ProjectStatus: PROJECT_TRANSITIONS,
    NeedStatus: NEED_TRANSITIONS,
}

LIVE_TASK_STATES = frozenset({T.POSTED, T.REVIEWING, T.AWARDED, T.IN_PROGRESS, T.DELIVERED})
LIVE_PROPOSAL_STATES = frozenset({P.DRAFT, P.SUBMITTED, P.QUALIFIED, P.AWARDED})


S = TypeVar("S", bound=StrEnum)


def can_transition(current: S, target: S) -> bool:
    """Whether `current → target` is in the state machine's table."""
    return target in _TABLES[type(current)][current]


def check_transition(current: S, target: S, *, what: str = "") -> None:
    """Raise StateConflict (409) unless `current → target` is in the state machine's table."""
    if not can_transition(current, target):
        label = what or type(current).__name__.removesuffix("Status").lower()
        raise StateConflict("error.cannot_become", label=label, current=current.value, target=target.value)


def effective_task_status(stored: TaskStatus, deadline: datetime | None, now: datetime, submitted: int) -> TaskStatus:
    """The status a task has now: a posted task passes into review (or goes unclaimed) at its deadline by itself."""
    if stored is T.POSTED and deadline is not None and now >= deadline:
        return T.REVIEWING if submitted > 0 else T.UNCLAIMED
    return stored


class OrderStatus(StrEnum):
    """点单 states."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    DELIVERED = "delivered"
    RATED = "rated"
    CANCELLED = "cancelled"


class SignupStatus(StrEnum):
    """A resident's place in a night class."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


ORDER_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.REQUESTED: frozenset({OrderStatus.ACCEPTED, OrderStatus.DECLINED, OrderStatus.CANCELLED}),
    OrderStatus.ACCEPTED: frozenset({OrderStatus.DELIVERED, OrderStatus.CANCELLED}),
    OrderStatus.DECLINED: frozenset(),
    OrderStatus.DELIVERED: frozenset({OrderStatus.RATED}),
    OrderStatus.RATED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}

SIGNUP_TRANSITIONS: dict[SignupStatus, frozenset[SignupStatus]] = {
    SignupStatus.CONFIRMED: frozenset({SignupStatus.CANCELLED}),
    SignupStatus.WAITLISTED: frozenset({SignupStatus.CONFIRMED, SignupStatus.CANCELLED}),
    SignupStatus.CANCELLED: frozenset(),
}

_TABLES[OrderStatus] = ORDER_TRANSITIONS
_TABLES[SignupStatus] = SIGNUP_TRANSITIONS

# Orders that hold a place in their month's capacity, and orders that answer a need while they last.
CAPACITY_ORDER_STATES = frozenset({OrderStatus.ACCEPTED, OrderStatus.DELIVERED, OrderStatus.RATED})
LIVE_ORDER_STATES = frozenset({OrderStatus.REQUESTED, OrderStatus.ACCEPTED})
DONE_ORDER_STATES = frozenset({OrderStatus.DELIVERED, OrderStatus.RATED})


class PointStatus(StrEnum):
    """A points entry (积分): proposed, then rejected or posted for public notice (公示), then counted or reversed."""

    PROPOSED = "proposed"
    REJECTED = "rejected"
    POSTED = "posted"
    COUNTED = "counted"
    REVERSED = "reversed"


# Approving (as proposed or amended) posts an entry for notice; the end of notice with no open objection counts it,
# an upheld objection reverses it. Only a counted entry adds to a balance.
POINT_TRANSITIONS: dict[PointStatus, frozenset[PointStatus]] = {
    PointStatus.PROPOSED: frozenset({PointStatus.POSTED, PointStatus.REJECTED}),
    PointStatus.POSTED: frozenset({PointStatus.COUNTED, PointStatus.REVERSED}),
    PointStatus.REJECTED: frozenset(),
    PointStatus.COUNTED: frozenset(),
    PointStatus.REVERSED: frozenset(),
}

_TABLES[PointStatus] = POINT_TRANSITIONS
