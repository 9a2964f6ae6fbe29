"""The resource list (服务资源库), ordering (点单) and ordering meetings (点单会).

Capacity rule: accepted + delivered + rated orders of an offering in one calendar month (Asia/Shanghai) never
exceed its monthly capacity. Every accept locks the offering's row before counting, so concurrent accepts on
any number of workers queue on that lock (on SQLite, on the database's single write lock).

The package: `_offerings` (calendar months, providers, the offerings and their places), `_orders` (placing an order
and every move on it, who sees which) and `_meetings` (ordering meetings and who may order at one).
"""

from __future__ import annotations

from market.services._resources._meetings import (
    MeetingDetail,
    MeetingRow,
    coming_meetings,
    create_meeting,
    get_meeting,
    list_meetings,
    may_order_at,
    meeting_phase,
    meetings_presenting,
)
from market.services._resources._offerings import (
    MONTHS_AHEAD,
    NO_MEETING,
    NO_OFFERING,
    NO_ORDER,
    PARK_NAME,
    OfferingFilter,
    add_months,
    create_offering,
    get_offering,
    held_counts,
    held_in_month,
    is_provider,
    list_offerings,
    month_of,
    month_text,
    orderable,
    orderable_months,
    parse_month,
    places_left,
    provider_active,
    provider_name,
    update_offering,
)
from market.services._resources._orders import (
    OrderFilter,
    accept_order,
    can_see,
    cancel_order,
    decline_order,
    deliver_order,
    get_order,
    is_orderer,
    list_orders,
    order_moves,
    place_order,
    rate_order,
)

__all__ = [
    "MONTHS_AHEAD",
    "NO_MEETING",
    "NO_OFFERING",
    "NO_ORDER",
    "PARK_NAME",
    "MeetingDetail",
    "MeetingRow",
    "OfferingFilter",
    "OrderFilter",
    "accept_order",
    "add_months",
    "can_see",
    "cancel_order",
    "coming_meetings",
    "create_meeting",
    "create_offering",
    "decline_order",
    "deliver_order",
    "get_meeting",
    "get_offering",
    "get_order",
    "held_counts",
    "held_in_month",
    "is_orderer",
    "is_provider",
    "list_meetings",
    "list_offerings",
    "list_orders",
    "may_order_at",
    "meeting_phase",
    "meetings_presenting",
    "month_of",
    "month_text",
    "order_moves",
    "orderable",
    "orderable_months",
    "parse_month",
    "place_order",
    "places_left",
    "provider_active",
    "provider_name",
    "rate_order",
    "update_offering",
]
