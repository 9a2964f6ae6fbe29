"""The need list (需求清单): raising and declining needs, and how they are shown with what answers them."""

from __future__ import annotations

from datetime import datetime

from alliances.models import ServiceCategory
from market.schemas._base import Name, Reason, Schema, Text
from market.states import NeedStatus, OrderStatus, TaskStatus


class NeedCreate(Schema):
    """A need raised by a secretary (for their community) or an organisation member (for their organisation)."""

    title: Name
    category: ServiceCategory
    description: Text = ""


class NeedDecline(Schema):
    """Why the committee declines a need."""

    reason: Reason


class CommunityRef(Schema):
    """The community a need is raised for."""

    id: int
    name: str
    street_id: int
    street: str


class OrganizationRef(Schema):
    """The organisation a need is raised for."""

    id: int
    name: str


class NeedTask(Schema):
    """A task answering the need."""

    id: int
    title: str
    status: TaskStatus


class NeedOrder(Schema):
    """A service order answering the need."""

    id: int
    offering_id: int
    offering_title: str
    status: OrderStatus


class NeedSummary(Schema):
    """A need in the list."""

    id: int
    title: str
    category: ServiceCategory
    status: NeedStatus
    community: CommunityRef | None
    organization: OrganizationRef | None
    raised_at: datetime
    decline_reason: str


class Need(Schema):
    """A need in full, with the tasks and orders answering it."""

    id: int
    title: str
    description: str
    category: ServiceCategory
    status: NeedStatus
    community: CommunityRef | None
    organization: OrganizationRef | None
    raised_at: datetime
    decline_reason: str
    tasks: list[NeedTask]
    orders: list[NeedOrder]


class NeedPage(Schema):
    """One page of needs."""

    total: int
    items: list[NeedSummary]
