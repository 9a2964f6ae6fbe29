"""The signed-in person's own account: changing their password (every role), and the rule that a temporary
password from a committee reset is changed before anything else."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.response import Redirect, Template

from market.i18n import safe_next, t
from market.kernel.errors import ApplicationError
from market.models import User
from market.pages._base import (
    SIGNED_IN,
    FormState,
    Next,
    UserRequest,
    attempt,
    form_page,
    form_values,
    lang_of,
    refused,
    say,
    see_other,
)
from market.params import Db, Now
from market.passwords import LONGEST_HELD, MAX_LENGTH, MIN_LENGTH, password_fault
from market.security import renew_session
from market.services import accounts

PASSWORD_PAGE = "/account/password"  # noqa: S105 - a path, not a password
FIELDS = ("current_password", "new_password", "new_password_again")
# What someone holding a temporary password may still open: this form, signing out, and the language switch.
_OPEN_WHILE_TEMPORARY = (PASSWORD_PAGE, "/logout", "/lang/")


def password_change_first(request: Request[Any, Any, Any]) -> Redirect | None:
    """Send someone whose password is a committee's temporary one to the change form, from any signed-in page.

    Public pages (no `user` in scope) and the JSON API are left alone: the API reports `must_change_password`
    in `/me` and at sign-in, and an API client changes it with `POST /api/v1/me/password`.
    """
    user = request.scope.get("user")
    path = request.url.path
    if not isinstance(user, User) or not user.must_change_password:
        return None
    if path.startswith(("/api/", "/static/", "/schema")) or path.startswith(_OPEN_WHILE_TEMPORARY):
        return None
    here = path + (f"?{request.url.query}" if request.url.query else "")
    return see_other(f"{PASSWORD_PAGE}?next={quote(here if request.method == 'GET' else '/')}")


def _page(viewer: User, form: FormState) -> Template:
    return form_page("market/account/password.html.j2", viewer, form, max_length=MAX_LENGTH)


@get(PASSWORD_PAGE, **SIGNED_IN)
async def password_form(request: UserRequest, next_: Next = None) -> Template:
    """The form to change one's own password (first of all, when it is a temporary one)."""
    return _page(request.user, FormState({"next": safe_next(next_)}))


@post(PASSWORD_PAGE, **SIGNED_IN)
async def change_password(request: UserRequest, db_session: Db, clock: Now) -> Template | Redirect:
    """Change one's own password; every rule it breaks is shown beside its field, and nothing is kept but `next`."""
    lang, viewer = lang_of(request), request.user
    values = await form_values(request)
    target = safe_next(values.get("next"))
    # Exactly as typed: never truncated (a long input must not match by its first characters).
    current = values.get("current_password", "")
    new = values.get("new_password", "")
    again = values.get("new_password_again", "")
    errors: dict[str, str] = {}
    if not current:
        errors["current_password"] = t("form.required", lang)
    elif len(current) > LONGEST_HELD:
        # As the API does: no account holds a password this long, so it is refused rather than hashed.
        errors["current_password"] = t("password.too_long", lang, max=LONGEST_HELD)
    if not new:
        errors["new_password"] = t("form.required", lang)
    elif fault := password_fault(new, viewer.username):
        errors["new_password"] = t(fault, lang, n=MIN_LENGTH, max=MAX_LENGTH)
    if new and again != new:
        errors["new_password_again"] = t("password.mismatch", lang)
    kept = {"next": target}
    if errors:
        return _page(viewer, FormState(kept, errors))
    done = await attempt(
        db_session,
        lambda: accounts.change_password(
            db_session, viewer.id, current, new, keep_session=request.get_session_id(), now=clock.now()
        ),
        raising=(),
    )
    if isinstance(done, ApplicationError):
        return _page(viewer, refused(kept, done, lang, FIELDS))
    renew_session(request)
    say(request, "account.password.changed")
    return see_other(target)


ACCOUNT_PAGES = [password_form, change_password]
