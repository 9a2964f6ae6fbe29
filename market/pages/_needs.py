"""Needs (需求清单) on pages: a secretary raises one for their community, an organisation member for their
organisation; a need's page is public and shows what answers it; the committee declines an open need."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from alliances.models import ServiceCategory
from market.controllers import _needs as need_views
from market.i18n import t
from market.kernel.clock import Clock
from market.kernel.errors import ApplicationError
from market.models import User
from market.pages._base import (
    COMMITTEE,
    CONFIRM_FIELD,
    ORG,
    PUBLIC,
    SECRETARY,
    FormState,
    attempt,
    confirm_page,
    confirmed,
    form_page,
    form_values,
    lang_of,
    own_community,
    own_organization,
    parse_form,
    refused,
    say,
    see_other,
)
from market.pages._community import select_options
from market.params import Db, Now, PathId, Viewer
from market.schemas._needs import NeedCreate, NeedDecline
from market.services import needs, projects, resources

UserRequest = Request[User, Any, Any]

NEED_FIELDS = ("title", "category", "description")


def _need_form(request: UserRequest, form: FormState, action: str) -> Template:
    options = select_options("category", list(ServiceCategory), lang_of(request))
    return form_page("market/community/need_form.html.j2", request.user, form, action=action, categories=options)


async def _raise_need(request: UserRequest, db: AsyncSession, clock: Clock, action: str) -> Template | Redirect:
    lang = lang_of(request)
    values = await form_values(request)
    data = parse_form(values, NeedCreate, lang)
    if isinstance(data, FormState):
        return _need_form(request, data, action)
    need = await attempt(
        db, lambda: needs.raise_need(db, data, actor=request.user, now=clock.now()), raising=(403, 404)
    )
    if isinstance(need, ApplicationError):
        return _need_form(request, refused(values, need, lang, NEED_FIELDS), action)
    say(request, "community.need.raised")
    return see_other(f"/needs/{need.id}")


@get("/community/needs/new", **SECRETARY)
async def community_need_form(request: UserRequest) -> Template:
    """A secretary raises a need for their community."""
    own_community(request.user)
    return _need_form(request, FormState(), "/community/needs/new")


@post("/community/needs/new", **SECRETARY)
async def community_raise_need(request: UserRequest, db_session: Db, clock: Now) -> Template | Redirect:
    """Raise it; the committee is told, and it appears on the need list."""
    return await _raise_need(request, db_session, clock, "/community/needs/new")


@get("/org/needs/new", **ORG)
async def org_need_form(request: UserRequest) -> Template:
    """An organisation member raises a need of their organisation's own."""
    own_organization(request.user)
    return _need_form(request, FormState(), "/org/needs/new")


@post("/org/needs/new", **ORG)
async def org_raise_need(request: UserRequest, db_session: Db, clock: Now) -> Template | Redirect:
    """Raise it for the organisation."""
    return await _raise_need(request, db_session, clock, "/org/needs/new")


async def _need_page(
    db: AsyncSession, need_id: int, viewer: User | None, clock: Clock, form: FormState | None = None
) -> Template:
    found = await needs.get_need(db, need_id, viewer=viewer, now=clock.now())
    need = need_views.detail(found)
    answering = await projects.projects_of_tasks(db, [task.id for task in need.tasks])
    return form_page(
        "market/community/need.html.j2",
        viewer,
        form or FormState(),
        need=need,
        projects=answering,
        # Only those who may open an order get a link to it.
        order_links={o.id for o in found.orders if resources.can_see(viewer, o)},
        can_decline=needs.may_decline(viewer, found.row.need),
        can_order=needs.may_order_for(viewer, found.row.need),
    )


@get("/needs/{need_id:int}", **PUBLIC)
async def need_page(db_session: Db, clock: Now, viewer: Viewer, need_id: PathId) -> Template:
    """A need, with what answers it: tasks, the projects they became, service orders."""
    return await _need_page(db_session, need_id, viewer, clock)


@post("/needs/{need_id:int}/decline", **COMMITTEE)
async def decline_need(request: UserRequest, db_session: Db, clock: Now, need_id: PathId) -> Template | Redirect:
    """The committee declines an open need with a reason, after a confirmation step."""
    lang = lang_of(request)
    values = await form_values(request)
    data = parse_form({k: v for k, v in values.items() if k != CONFIRM_FIELD}, NeedDecline, lang)
    if isinstance(data, FormState):
        return await _need_page(db_session, need_id, request.user, clock, data)
    if not confirmed(values):
        found = await needs.get_need(db_session, need_id, viewer=request.user, now=clock.now())
        return confirm_page(
            request.user,
            title=t("community.need.decline_title", lang),
            warning=t("community.need.decline_warning", lang),
            action=f"/needs/{need_id}/decline",
            values=values,
            back=f"/needs/{need_id}",
            button=t("community.need.decline_confirm", lang),
            facts=[
                (t("community.need.title", lang), found.row.need.title),
                (t("community.need.reason", lang), data.reason),
            ],
        )
    done = await attempt(
        db_session,
        lambda: needs.decline_need(db_session, need_id, data.reason, actor=request.user, now=clock.now()),
        raising=(403, 404),
    )
    if isinstance(done, ApplicationError):
        return await _need_page(db_session, need_id, request.user, clock, refused(values, done, lang, ("reason",)))
    say(request, "community.need.declined")
    return see_other(f"/needs/{need_id}")


NEED_PAGES: list[ControllerRouterHandler] = [
    community_need_form,
    community_raise_need,
    org_need_form,
    org_raise_need,
    need_page,
    decline_need,
]
