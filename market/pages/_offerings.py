"""Service offerings and ordering meetings: an organisation publishes and edits what it offers (the orders for
them are answered on the order page); the committee holds ordering meetings (点单会), which anyone may see and
at which secretaries order."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from market.controllers import _resources as resource_views
from market.i18n import t
from market.kernel.clock import SHANGHAI, Clock
from market.kernel.errors import ApplicationError, Forbidden
from market.models import ResourceCategory, User
from market.pages._base import (
    COMMITTEE,
    ORG,
    PUBLIC,
    FormState,
    PageNo,
    Paging,
    Query,
    attempt,
    enum_or_none,
    form_page,
    form_values,
    int_or_none,
    lang_of,
    own_organization,
    page,
    page_number,
    parse_form,
    refused,
    say,
    see_other,
)
from market.pages._community import LIST_SIZE, late_orders, select_options
from market.params import Db, Now, PathId, Viewer
from market.schemas._resources import (
    MeetingCreate,
    OfferingCreate,
    OfferingUpdate,
)
from market.services import resources
from market.states import OrderStatus

UserRequest = Request[User, Any, Any]

OFFERING_FIELDS = ("title", "category", "monthly_capacity", "target_groups", "description", "active")
MEETING_FIELDS = ("title", "place", "starts_at", "ends_at", "offering_ids")
# Target groups are typed one a line, or separated by commas or the Chinese enumeration comma.
_GROUP_SEPARATORS = re.compile(r"[\n,,、;;]+")


def _groups(text: str) -> list[str]:
    return [g.strip() for g in _GROUP_SEPARATORS.split(text) if g.strip()]


def _local_time(raw: str) -> str | None:
    """A `datetime-local` value (Shanghai wall time) as an RFC 3339 string, or None if it is not one."""
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    return value.isoformat(timespec="seconds")


# An organisation's offerings ----------------------------------------------------------------------------------


@get("/org/offerings", **ORG)
async def org_offerings(
    request: UserRequest, db_session: Db, clock: Now, status: Query = None, page_: PageNo = None
) -> Template:
    """The organisation's services (taken off ones too) and the orders for them."""
    user = request.user
    org_id = own_organization(user)
    now = clock.now()
    f = resources.OfferingFilter(organization_id=org_id, include_inactive=True, limit=LIST_SIZE)
    _, rows, held = await resources.list_offerings(db_session, f, now=now)
    month = resources.month_text(resources.month_of(now))
    _, waiting = await resources.list_orders(
        db_session, resources.OrderFilter(status=OrderStatus.REQUESTED, limit=LIST_SIZE), viewer=user
    )
    number = page_number(page_)
    chosen = enum_or_none(OrderStatus, status)
    total, orders = await resources.list_orders(
        db_session, resources.OrderFilter(status=chosen, limit=20, offset=(number - 1) * 20), viewer=user
    )
    # The orders waiting for an answer, longest-waiting first: the overdue ones lead.
    waiting_views = sorted((resource_views.order_view(o) for o in waiting), key=lambda o: (o.ordered_at, o.id))
    order_views = [resource_views.order_view(o) for o in orders]
    return page(
        "market/community/offerings.html.j2",
        user,
        offerings=[resource_views.offering_view(o, held[o.id], month) for o in rows],
        waiting=waiting_views,
        orders=order_views,
        late=late_orders([*waiting_views, *order_views], now),
        paging=Paging(number, total),
        status=chosen.value if chosen else "",
        statuses=list(OrderStatus),
    )


def _offering_form(request: UserRequest, form: FormState, offering_id: int | None = None) -> Template:
    return form_page(
        "market/community/offering_form.html.j2",
        request.user,
        form,
        offering_id=offering_id,
        categories=select_options("resource_category", list(ResourceCategory), lang_of(request)),
    )


@get("/org/offerings/new", **ORG)
async def new_offering_form(request: UserRequest) -> Template:
    """Publish a service of the organisation's in the resource library."""
    own_organization(request.user)
    return _offering_form(request, FormState())


@post("/org/offerings/new", **ORG)
async def create_offering(request: UserRequest, db_session: Db, clock: Now) -> Template | Redirect:
    """Publish it; secretaries may order it at once."""
    lang = lang_of(request)
    values = await form_values(request)
    groups = _groups(values.get("target_groups", ""))
    data = parse_form(values, OfferingCreate, lang, ints=("monthly_capacity",), extra={"target_groups": groups})
    if isinstance(data, FormState):
        return _offering_form(request, data)
    done = await attempt(
        db_session,
        lambda: resources.create_offering(db_session, data, actor=request.user, now=clock.now()),
        raising=(403, 404),
    )
    if isinstance(done, ApplicationError):
        return _offering_form(request, refused(values, done, lang, OFFERING_FIELDS))
    say(request, "community.offering.created", title=data.title)
    return see_other("/org/offerings")


async def _own_offering(db: AsyncSession, user: User, offering_id: int) -> Any:
    offering = await resources.get_offering(db, offering_id)
    if not resources.is_provider(user, offering):
        raise Forbidden("error.only_provider_change_service")
    return offering


@get("/org/offerings/{offering_id:int}/edit", **ORG)
async def edit_offering_form(request: UserRequest, db_session: Db, offering_id: PathId) -> Template:
    """Change a service: description, target groups, monthly capacity, or take it off the library."""
    o = await _own_offering(db_session, request.user, offering_id)
    values = {
        "title": o.title,
        "description": o.description,
        "monthly_capacity": str(o.monthly_capacity),
        "target_groups": "\n".join(o.target_groups),
        "active": "yes" if o.active else "",
    }
    return _offering_form(request, FormState(values), offering_id)


@post("/org/offerings/{offering_id:int}/edit", **ORG)
async def edit_offering(request: UserRequest, db_session: Db, clock: Now, offering_id: PathId) -> Template | Redirect:
    """Save the changes; capacity may not drop below the places already held in a month."""
    lang = lang_of(request)
    await _own_offering(db_session, request.user, offering_id)
    values = await form_values(request)
    scalars = {k: values.get(k, "") for k in ("title", "description", "monthly_capacity")}
    extra = {"target_groups": _groups(values.get("target_groups", "")), "active": values.get("active") == "yes"}
    data = parse_form(scalars, OfferingUpdate, lang, ints=("monthly_capacity",), extra=extra)
    if isinstance(data, FormState):
        return _offering_form(request, FormState(values, data.errors, data.general), offering_id)
    done = await attempt(
        db_session,
        lambda: resources.update_offering(db_session, offering_id, data, actor=request.user, now=clock.now()),
        raising=(403, 404),
    )
    if isinstance(done, ApplicationError):
        return _offering_form(request, refused(values, done, lang, OFFERING_FIELDS), offering_id)
    say(request, "community.offering.saved")
    return see_other("/org/offerings")


# Ordering meetings (点单会) ---------------------------------------------------------------------------------------


@get("/meetings", **PUBLIC)
async def meeting_list(db_session: Db, clock: Now, viewer: Viewer, page_: PageNo = None) -> Template:
    """Ordering meetings, latest first."""
    number = page_number(page_)
    now = clock.now()
    total, rows = await resources.list_meetings(db_session, limit=20, offset=(number - 1) * 20)
    return page(
        "market/community/meetings.html.j2",
        viewer,
        meetings=[(r, resources.meeting_phase(r.meeting, now)) for r in rows],
        paging=Paging(number, total),
    )


@get("/meetings/{meeting_id:int}", **PUBLIC)
async def meeting_page(db_session: Db, clock: Now, viewer: Viewer, meeting_id: PathId) -> Template:
    """A meeting: the services presented, orders placed during it, and (while it is on) ordering at it."""
    now = clock.now()
    found = await resources.get_meeting(db_session, meeting_id, viewer=viewer, now=now)
    month = resources.month_text(resources.month_of(now))
    phase = resources.meeting_phase(found.meeting, now)
    presented = found.meeting.offerings
    return page(
        "market/community/meeting.html.j2",
        viewer,
        meeting=found.meeting,
        phase=phase,
        offerings=[
            resource_views.offering_view(o, found.held_this_month[o.id], month) for o in found.meeting.offerings
        ],
        counts={o.id: sum(found.counts.get(o.id, {}).values()) for o in presented},
        orders=[resource_views.order_view(o) for o in found.orders],
        can_order=resources.may_order_at(viewer, found.meeting, now),
    )


async def _meeting_form(db: AsyncSession, user: User, clock: Clock, form: FormState, chosen: set[int]) -> Template:
    _, rows, _ = await resources.list_offerings(db, resources.OfferingFilter(limit=LIST_SIZE), now=clock.now())
    return form_page("market/community/meeting_form.html.j2", user, form, offerings=rows, chosen=chosen)


@get("/committee/meetings/new", **COMMITTEE)
async def new_meeting_form(request: UserRequest, db_session: Db, clock: Now) -> Template:
    """Schedule an ordering meeting and choose the services presented at it (路演)."""
    return await _meeting_form(db_session, request.user, clock, FormState(), set())


@post("/committee/meetings/new", **COMMITTEE)
async def create_meeting(request: UserRequest, db_session: Db, clock: Now) -> Template | Redirect:
    """Schedule it; every secretary is told."""
    lang = lang_of(request)
    values = await form_values(request)
    raw_ids = (await request.form()).getall("offering_ids", [])
    ids = [int_or_none(x if isinstance(x, str) else None) for x in raw_ids]
    chosen = {i for i in ids if i is not None}
    data_values: dict[str, Any] = {k: v for k, v in values.items() if k != "offering_ids"}
    found: dict[str, str] = {}
    for name in ("starts_at", "ends_at"):
        when = _local_time(values.get(name, ""))
        if when is None:
            found[name] = t("form.required" if not values.get(name, "").strip() else "form.invalid", lang)
        else:
            data_values[name] = when
    if None in ids:
        found["offering_ids"] = t("form.invalid", lang)
    data = parse_form(data_values, MeetingCreate, lang, extra={"offering_ids": sorted(chosen)}, found=found)
    if isinstance(data, FormState):
        state = FormState(values, data.errors, data.general)
        return await _meeting_form(db_session, request.user, clock, state, chosen)
    meeting = await attempt(
        db_session,
        lambda: resources.create_meeting(db_session, data, actor=request.user, now=clock.now()),
        raising=(403, 404),
    )
    if isinstance(meeting, ApplicationError):
        state = refused(values, meeting, lang, MEETING_FIELDS)
        return await _meeting_form(db_session, request.user, clock, state, chosen)
    say(request, "community.meeting.created")
    return see_other(f"/meetings/{meeting.id}")


OFFERING_PAGES: list[ControllerRouterHandler] = [
    org_offerings,
    new_offering_form,
    create_offering,
    edit_offering_form,
    edit_offering,
    meeting_list,
    meeting_page,
    new_meeting_form,
    create_meeting,
]
