"""The resource list (服务资源库), ordering (点单) and ordering meetings (点单会)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from market.kernel.text import LINE, TEXT
from market.models import ResourceCategory
from market.schemas._base import AwareDatetime, Id, Name, Reason, RequiredText, Schema, ShortName, Text
from market.schemas._needs import CommunityRef
from market.states import OrderStatus

# A calendar month as "YYYY-MM"; whether it may be ordered (this month up to 12 ahead) is a rule in the service.
Month = Annotated[str, Meta(pattern=r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$", examples=["2026-04"])]
Capacity = Annotated[int, Meta(ge=1, le=10_000)]
TargetGroups = Annotated[list[ShortName], Meta(max_length=20)]
Rating = Annotated[int, Meta(ge=1, le=5)]
Comment = Annotated[str, Meta(max_length=2_000, pattern=TEXT)]
Place = Annotated[str, Meta(max_length=100, pattern=LINE)]
OfferingIds = Annotated[list[Id], Meta(min_length=1, max_length=100)]


# Offerings --------------------------------------------------------------------------------------------------


class OfferingCreate(Schema):
    """A new service: the committee's are the park's own; an organisation member's are their organisation's."""

    title: Name
    description: RequiredText
    category: ResourceCategory
    monthly_capacity: Capacity
    target_groups: TargetGroups = msgspec.field(default_factory=list)
    # Optional and only a check: it must name the creator's own organisation (null for the committee's park services).
    organization_id: Id | None = None


class OfferingUpdate(Schema):
    """Changes by the offering's owner; anything left out stays as it is."""

    title: Name | UnsetType = UNSET
    description: RequiredText | UnsetType = UNSET
    target_groups: TargetGroups | UnsetType = UNSET
    monthly_capacity: Capacity | UnsetType = UNSET
    active: bool | UnsetType = UNSET


class Offering(Schema):
    """A service in the resource list, with what is left of this month's capacity (Asia/Shanghai months)."""

    id: int
    title: str
    description: str
    category: ResourceCategory
    target_groups: list[str]
    monthly_capacity: int
    active: bool
    provider: Literal["park", "organization"]
    organization_id: int | None
    provider_name: str
    # Active, and its organisation (if any) is not suspended: secretaries may order it.
    orderable: bool
    month: str
    accepted_this_month: int
    remaining_this_month: int


class MonthCapacity(Schema):
    """Places held (accepted, delivered or rated orders) and left in one month."""

    month: str
    held: int
    remaining: int


class OfferingDetail(Offering):
    """One service, with its capacity in every month that may be ordered now."""

    months: list[MonthCapacity]


class OfferingPage(Schema):
    """One page of the resource list."""

    total: int
    items: list[Offering]


# Orders -----------------------------------------------------------------------------------------------------


class OrderCreate(Schema):
    """A secretary's order (点单) for their own community; community_id, if sent, must be that community."""

    service_month: Month
    need_id: Id | None = None
    meeting_id: Id | None = None
    note: Text = ""
    community_id: Id | None = None


class OrderDecline(Schema):
    """Why the provider declines."""

    reason: Reason


class OrderRate(Schema):
    """The secretary's rating of a delivered service, 1 to 5."""

    rating: Rating
    comment: Comment = ""


class OfferingRef(Schema):
    """The service an order is for."""

    id: int
    title: str
    category: ResourceCategory
    organization_id: int | None
    provider_name: str


class Order(Schema):
    """A service order."""

    id: int
    status: OrderStatus
    service_month: str
    offering: OfferingRef
    community: CommunityRef
    ordered_by_id: int
    need_id: int | None
    meeting_id: int | None
    note: str
    decline_reason: str
    rating: int | None
    rating_comment: str
    ordered_at: datetime
    decided_at: datetime | None
    delivered_at: datetime | None


class OrderPage(Schema):
    """One page of orders."""

    total: int
    items: list[Order]


# Ordering meetings ------------------------------------------------------------------------------------------

MeetingPhase = Literal["upcoming", "on", "ended"]


class MeetingCreate(Schema):
    """A secretaries' ordering meeting (点单会) and the offerings presented at it (路演)."""

    title: Name
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    offering_ids: OfferingIds
    place: Place = ""


class MeetingSummary(Schema):
    """A meeting in the list."""

    id: int
    title: str
    place: str
    starts_at: datetime
    ends_at: datetime
    phase: MeetingPhase
    offering_count: int
    order_count: int


class MeetingOfferingOrders(Schema):
    """Orders placed during the meeting for one presented offering."""

    offering_id: int
    title: str
    total: int
    by_status: dict[str, int]


class Meeting(Schema):
    """A meeting: what was presented, orders placed during it by offering, and the orders this viewer may see."""

    id: int
    title: str
    place: str
    starts_at: datetime
    ends_at: datetime
    phase: MeetingPhase
    offerings: list[Offering]
    order_counts: list[MeetingOfferingOrders]
    orders: list[Order]


class MeetingPage(Schema):
    """One page of meetings."""

    total: int
    items: list[MeetingSummary]
