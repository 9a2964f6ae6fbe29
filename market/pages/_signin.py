"""Language and signing in: the language cookie, the sign-in form (throttled as the API's is) and signing out."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.datastructures import Cookie
from litestar.params import Parameter
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from market.i18n import LANG_COOKIE, LANGUAGES, safe_next, t
from market.pages._base import (
    PUBLIC,
    FormState,
    Next,
    form_page,
    form_values,
    lang_of,
    say,
    see_other,
)
from market.params import Db, Now, Viewer
from market.passwords import LONGEST_HELD
from market.security import begin_session
from market.services import accounts
from market.settings import Settings
from market.throttle import TooManyAttempts, admit_login, client_address, login_succeeded

# Language, sign-in -------------------------------------------------------------------------------------------


@get("/lang/{code:str}", **PUBLIC)
async def switch_language(code: Annotated[str, Parameter(max_length=10)], next_: Next = None) -> Redirect:
    """Remember the language in a cookie and go back where the visitor was (only ever to a local path)."""
    target = safe_next(next_)
    if code not in LANGUAGES:
        return see_other(target)
    # A year, so a phone remembers the choice.
    cookie = Cookie(key=LANG_COOKIE, value=code, max_age=365 * 24 * 3600, path="/", samesite="lax", httponly=True)
    return Redirect(target, status_code=303, cookies=[cookie])


@get("/login", **PUBLIC)
async def login_form(viewer: Viewer, next_: Next = None) -> Template:
    """The sign-in form."""
    return form_page("market/login.html.j2", viewer, FormState({"next": safe_next(next_)}))


@post("/login", **PUBLIC)
async def login(request: Request[Any, Any, Any], db_session: Db, clock: Now) -> Template | Redirect:
    """Sign in exactly as the API does, then go to `next`."""
    values = await form_values(request)
    target = safe_next(values.get("next"))
    values["next"] = target
    username, password = values.get("username", "")[:100], values.get("password", "")
    if len(password) > LONGEST_HELD:
        # Refused as it is, never cut and compared: no account holds a password this long (ASVS 6.2.8).
        values.pop("password")
        state = FormState(values, {"password": _t(request, "password.too_long", max=LONGEST_HELD)})
        return form_page("market/login.html.j2", None, state)
    settings: Settings = request.app.state["settings"]
    try:
        await admit_login(db_session, username, client_address(request, settings), settings, now=clock.now())
    except TooManyAttempts as exc:
        values.pop("password", None)
        state = FormState(values, {}, None)
        state.general = _t(request, "login.throttled")
        throttled = form_page("market/login.html.j2", None, state)
        throttled.status_code = 429
        throttled.headers.update(exc.headers)
        return throttled
    user = await accounts.authenticate(db_session, username, password, now=clock.now())
    if user is None:
        values.pop("password", None)
        state = FormState(values, {}, None)
        state.general = _t(request, "login.failed")
        return form_page("market/login.html.j2", None, state)
    await login_succeeded(db_session, username)
    begin_session(request, user.id)
    say(request, "login.welcome", name=user.username)
    if user.must_change_password:
        # A temporary password from a committee reset: the owner chooses their own before going on.
        return see_other(f"/account/password?next={quote(target)}")
    return see_other(target)


@post("/logout", **PUBLIC)
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    """Sign out; the server-side session is deleted."""
    request.clear_session()
    # A fresh, empty session carries the goodbye; it holds no user.
    request.set_session({})
    say(request, "logout.done")
    return see_other("/")


def _t(request: Request[Any, Any, Any], key: str, **kw: object) -> str:
    return t(key, lang_of(request), **kw)


SIGNIN_PAGES: list[ControllerRouterHandler] = [switch_language, login_form, login, logout]
