"""Night classes for residents: the class list and a class's page, signing up, and a resident's own sign-up
reached by its secret link (see it, cancel it, erase it, or have lost links sent by SMS).

No account is needed: the link is the resident's key. The organiser's side is in `_classes_org`.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.background_tasks import BackgroundTask
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from alliances import services as alliance_services
from market import phones, privacy, sms
from market.controllers import _classes as class_views
from market.i18n import t
from market.kernel.clock import Clock
from market.kernel.db import writing
from market.kernel.errors import ApplicationError, NotFound
from market.models import User
from market.pages._base import (
    PUBLIC,
    FormState,
    PageNo,
    Paging,
    Query,
    attempt,
    confirm_page,
    confirmed,
    date_or_none,
    form_page,
    form_values,
    int_or_none,
    lang_of,
    localtime,
    page,
    page_number,
    parse_form,
    public_url,
    refused,
    say,
    see_other,
)
from market.pages._linked_data import class_event, script_json
from market.params import Config, Db, Now, PathId, Viewer
from market.schemas._classes import SignupCreate
from market.services import classes
from market.settings import Settings
from market.throttle import admit, client_address

# Night classes -----------------------------------------------------------------------------------------------


@get("/classes", **PUBLIC)
async def class_list(
    db_session: Db,
    clock: Now,
    viewer: Viewer,
    community: Query = None,
    from_: Annotated[str | None, QueryParameter(name="from", max_length=10)] = None,
    to: Annotated[str | None, QueryParameter(name="to", max_length=10)] = None,
    page_: PageNo = None,
) -> Template:
    """Night classes by community and local dates (upcoming ones unless dates are given)."""
    number = page_number(page_)
    start, end = date_or_none(from_), date_or_none(to)
    if start and end and end < start:
        start, end = end, start
    f = classes.ClassFilter(
        community_id=int_or_none(community), date_from=start, date_to=end, limit=20, offset=(number - 1) * 20
    )
    found = await class_views.page(db_session, f, clock)
    return page(
        "market/classes/list.html.j2",
        viewer,
        classes=found.items,
        paging=Paging(number, found.total),
        communities=await alliance_services.list_communities(db_session),
        filters={
            "community": f.community_id or "",
            "from": start.isoformat() if start else "",
            "to": end.isoformat() if end else "",
        },
    )


async def _class_page(
    request: Request[Any, Any, Any],
    settings: Settings,
    db: AsyncSession,
    class_id: int,
    viewer: User | None,
    clock: Clock,
    form: FormState | None = None,
) -> Template:
    session = await class_views.one(db, class_id, clock)
    url = public_url(request, settings, f"/classes/{session.id}")
    organizer = public_url(request, settings, f"/organizations/{session.organization_id}")
    event = script_json(class_event(session, url, organizer))
    return form_page("market/classes/detail.html.j2", viewer, form or FormState(), session=session, event=event)


@get("/classes/{class_id:int}", **PUBLIC)
async def class_detail(
    request: Request[Any, Any, Any], db_session: Db, clock: Now, viewer: Viewer, settings: Config, class_id: PathId
) -> Template:
    """A class with its seats and the sign-up form, and the class as schema.org Event JSON-LD."""
    return await _class_page(request, settings, db_session, class_id, viewer, clock)


@post("/classes/{class_id:int}/signups", **PUBLIC)
async def sign_up(
    request: Request[Any, Any, Any],
    db_session: Db,
    clock: Now,
    viewer: Viewer,
    settings: Config,
    class_id: PathId,
) -> Template | Redirect:
    """Sign up with name and mobile number; the sign-up's own page (with its secret link) comes next."""
    lang = lang_of(request)
    values = await form_values(request)
    # The service's own rules on the name and the number, so that both are reported at once.
    data = parse_form(values, SignupCreate, lang, checks={"name": classes.clean_name, "phone": phones.validate})
    if isinstance(data, FormState):
        return await _class_page(request, settings, db_session, class_id, viewer, clock, data)
    made = await attempt(db_session, lambda: classes.sign_up(db_session, class_id, data, now=clock.now()))
    if isinstance(made, ApplicationError):
        state = refused(values, made, lang, ("name", "phone"))
        return await _class_page(request, settings, db_session, class_id, viewer, clock, state)
    return see_other(signup_path(made.signup.id, made.token) + "&new=1")


Token = Annotated[str, QueryParameter(max_length=200)]


def signup_path(signup_id: int, token: str) -> str:
    """Where a resident sees and cancels their sign-up: the secret link."""
    return f"/signups/{signup_id}?token={quote(token)}"


@get("/signups/{signup_id:int}", **PUBLIC)
async def signup_page(
    request: Request[Any, Any, Any],
    db_session: Db,
    settings: Config,
    viewer: Viewer,
    signup_id: PathId,
    token: Token,
    new: Query = None,
) -> Template:
    """A resident's own sign-up (reached by its secret link): class, time, venue, status, the full link to keep,
    the cancel form, and what to do if the link is lost."""
    s, position = await classes.view_signup(db_session, signup_id, token)
    project = (await classes.projects_of(db_session, [s.session]))[s.session.project_id]
    return page(
        "market/classes/signup.html.j2",
        viewer,
        signup=class_views.signup_view(s, position, privacy.of(db_session)),
        retention_days=privacy.of(db_session).retention_days,
        token=token,
        link=public_url(request, settings, signup_path(s.id, token)),
        organiser=project.organization.name,
        sms=settings.sms_enabled,
        just_made=bool(new),
    )


# A resident who lost their link: the organiser can help by phone; with an SMS gateway, the link goes to the number.


@get("/signups/lost", **PUBLIC)
async def lost_link_form(settings: Config, viewer: Viewer, sent: Query = None) -> Template:
    """What to do without the link; with SMS configured, a form to have it sent to the number signed up with."""
    return form_page("market/classes/lost.html.j2", viewer, FormState(), sms=settings.sms_enabled, sent=bool(sent))


async def _seconds_to_wait(
    db: AsyncSession, request: Request[Any, Any, Any], settings: Settings, phone: str, now: datetime
) -> int:
    """Count this request against the number's and the client address's hourly limits (market/throttle.py: one
    atomic count per key in the database, shared by every worker): 0, or the seconds until every reached one frees.
    Keys are keyed hashes: the counters hold no numbers."""
    secret = settings.effective_secret().encode()
    # The client as the sign-in throttle sees it: behind a configured proxy, each resident is not the proxy.
    address = client_address(request, settings)
    hour = timedelta(hours=1)
    limits = (
        (
            "sms-number:" + hmac.new(secret, phone.encode(), hashlib.sha256).hexdigest(),
            settings.sms_per_number_per_hour,
            hour,
        ),
        (
            "sms-address:" + hmac.new(secret, address.encode(), hashlib.sha256).hexdigest(),
            settings.sms_per_address_per_hour,
            hour,
        ),
    )
    return await admit(db, limits, now=now)


@post("/signups/lost", **PUBLIC)
async def send_lost_link(
    request: Request[Any, Any, Any], db_session: Db, clock: Now, settings: Config, viewer: Viewer
) -> Template | Redirect:
    """Send fresh links for the number's coming sign-ups to that number. The answer is the same whether or not the
    number has any (the message is sent after it, in the background), so nobody learns who signed up."""
    if not settings.sms_enabled:
        raise NotFound("error.sending_links_sms_not")
    lang = lang_of(request)
    values = await form_values(request)
    try:
        phone = phones.validate(values.get("phone", "")[:100])
    except ApplicationError as exc:
        state = refused(values, exc, lang, ("phone",))
        return form_page("market/classes/lost.html.j2", viewer, state, sms=True, sent=False)
    if wait := await _seconds_to_wait(db_session, request, settings, phone, clock.now()):
        state = FormState(values, {}, t("signup.lost_too_often", lang))
        throttled = page("market/classes/lost.html.j2", viewer, status_code=429, form=state, sms=True, sent=False)
        throttled.headers["Retry-After"] = str(wait)
        return throttled
    async with writing(db_session):
        links = await classes.links_for_number(db_session, phone, now=clock.now())
    texts = [
        t(
            "signup.sms_text",
            lang,
            topic=s.session.topic,
            at=localtime(s.session.starts_at),
            venue=s.session.venue,
            link=public_url(request, settings, signup_path(s.id, token)),
        )
        for s, token in links
    ]
    return Redirect(
        "/signups/lost?sent=1", status_code=303, background=BackgroundTask(sms.send_all, settings, phone, texts)
    )


@get("/signups/{signup_id:int}/cancel", **PUBLIC)
async def cancel_form(db_session: Db, viewer: Viewer, signup_id: PathId, token: Token) -> Template:
    """Confirm before giving the place up (it cannot be undone)."""
    s, position = await classes.view_signup(db_session, signup_id, token)
    signup = class_views.signup_view(s, position, privacy.of(db_session))
    return page("market/classes/cancel.html.j2", viewer, signup=signup, token=token)


@post("/signups/{signup_id:int}/cancel", **PUBLIC)
async def cancel_signup(request: Request[Any, Any, Any], db_session: Db, clock: Now, signup_id: PathId) -> Redirect:
    """Give the place up; a confirmed place passes to the head of the waitlist at once."""
    token = (await form_values(request)).get("token", "")[:200]
    async with writing(db_session):
        await classes.cancel(db_session, signup_id, token, now=clock.now())
    say(request, "signup.cancelled")
    return see_other(signup_path(signup_id, token))


async def _erase_confirm(db: AsyncSession, viewer: User | None, signup_id: int, token: str, lang: str) -> Template:
    s, _ = await classes.view_signup(db, signup_id, token)
    shown = class_views.signup_view(s, None, privacy.of(db))
    return confirm_page(
        viewer,
        title=t("signup.erase", lang),
        warning=t("signup.erase_warning", lang),
        action=f"/signups/{signup_id}/erase",
        values={"token": token},
        back=signup_path(signup_id, token),
        button=t("signup.erase_confirm", lang),
        facts=[
            (t("classes.title", lang), shown.class_topic),
            (t("class.name", lang), shown.name),
            (t("class.phone", lang), shown.phone),
        ],
    )


@get("/signups/{signup_id:int}/erase", **PUBLIC)
async def erase_form(
    request: Request[Any, Any, Any], db_session: Db, viewer: Viewer, signup_id: PathId, token: Token
) -> Template:
    """Confirm before deleting the sign-up and erasing the resident's name and number (it cannot be undone)."""
    return await _erase_confirm(db_session, viewer, signup_id, token, lang_of(request))


@post("/signups/{signup_id:int}/erase", **PUBLIC)
async def erase_signup(
    request: Request[Any, Any, Any], db_session: Db, clock: Now, viewer: Viewer, signup_id: PathId
) -> Template | Redirect:
    """Delete the sign-up (cancelled if the class is to come) and erase the name and number, once confirmed."""
    values = await form_values(request)
    token = values.get("token", "")[:200]
    if not confirmed(values):
        return await _erase_confirm(db_session, viewer, signup_id, token, lang_of(request))
    async with writing(db_session):
        await classes.erase(db_session, signup_id, token, now=clock.now())
    say(request, "signup.erase_done")
    return see_other(signup_path(signup_id, token))


CLASS_PAGES: list[ControllerRouterHandler] = [
    class_list,
    class_detail,
    sign_up,
    signup_page,
    lost_link_form,
    send_lost_link,
    cancel_form,
    cancel_signup,
    erase_form,
    erase_signup,
]
