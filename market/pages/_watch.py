"""The committee's watch list (活动异常名录) page for one organisation: what bars it from claiming now, every stay
on the list, and the form to place it on the list or lift it, each with a reason that is published on its record.

Distinct from suspension (the status buttons on /committee/organizations), which stops everything an organisation
does on the platform; the watch list stops its claims only, and says why in public.
"""

from __future__ import annotations

from litestar import get, post
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from alliances import services as alliance_services
from market.kernel.clock import Clock
from market.kernel.errors import ApplicationError
from market.models import User
from market.pages._base import (
    COMMITTEE,
    FormState,
    UserRequest,
    attempt,
    form_page,
    form_values,
    lang_of,
    parse_form,
    refused,
    say,
    see_other,
)
from market.params import Config, Db, Now, PathId
from market.schemas._bars import WatchListChange
from market.services import bars
from market.settings import Settings

FIELDS = ("reason",)


async def _watch_page(
    db: AsyncSession, viewer: User, clock: Clock, settings: Settings, org_id: int, form: FormState
) -> Template:
    org = await alliance_services.get_organization(db, org_id)
    in_force = await bars.claim_bars(db, [org_id], now=clock.now(), fail_bar_days=settings.fail_bar_days)
    history = await bars.watch_history(db, org_id)
    return form_page(
        "market/committee/watch_list.html.j2",
        viewer,
        form,
        org=org,
        claim_bars=in_force.get(org_id, []),
        watch_list=history,
        watched=next((e for e in history if e.lifted_at is None), None),
        fail_bar_days=settings.fail_bar_days,
    )


@get("/committee/organizations/{org_id:int}/watch-list", **COMMITTEE)
async def watch_list(request: UserRequest, db_session: Db, clock: Now, settings: Config, org_id: PathId) -> Template:
    """The organisation's bars on claiming and its watch-list history, with the form to place it there or lift it."""
    return await _watch_page(db_session, request.user, clock, settings, org_id, FormState())


async def _change(
    request: UserRequest, db: AsyncSession, clock: Clock, settings: Settings, org_id: int, *, lift: bool
) -> Template | Redirect:
    lang, viewer = lang_of(request), request.user
    values = await form_values(request)
    data = parse_form({"reason": values.get("reason", "")}, WatchListChange, lang)
    if isinstance(data, FormState):
        return await _watch_page(db, viewer, clock, settings, org_id, data)
    write = bars.lift if lift else bars.place
    done = await attempt(db, lambda: write(db, org_id, data.reason, actor=viewer, now=clock.now()))
    if isinstance(done, ApplicationError):
        return await _watch_page(db, viewer, clock, settings, org_id, refused(values, done, lang, FIELDS))
    say(request, "committee.watch.lifted" if lift else "committee.watch.placed")
    return see_other(f"/committee/organizations/{org_id}/watch-list")


@post("/committee/organizations/{org_id:int}/watch-list", **COMMITTEE)
async def place_on_watch_list(
    request: UserRequest, db_session: Db, clock: Now, settings: Config, org_id: PathId
) -> Template | Redirect:
    """Place the organisation on the watch list, with the reason its record will show."""
    return await _change(request, db_session, clock, settings, org_id, lift=False)


@post("/committee/organizations/{org_id:int}/watch-list/lift", **COMMITTEE)
async def lift_from_watch_list(
    request: UserRequest, db_session: Db, clock: Now, settings: Config, org_id: PathId
) -> Template | Redirect:
    """Lift the organisation off the watch list, with the reason its record will show."""
    return await _change(request, db_session, clock, settings, org_id, lift=True)


WATCH_PAGES: list[ControllerRouterHandler] = [watch_list, place_on_watch_list, lift_from_watch_list]
