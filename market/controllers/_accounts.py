"""/auth, /me, /users, /inbox."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import HeaderParameter, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from market.i18n import choose_accept_language
from market.kernel.db import writing
from market.kernel.errors import NotAuthenticated
from market.models import User as UserModel
from market.params import BatchLimit, Db, Now, PathId
from market.schemas._accounts import Inbox, LoginRequest, Notification, PasswordChange, PasswordReset, User, UserCreate
from market.security import begin_session, renew_session, requires_committee
from market.services import accounts
from market.settings import Settings
from market.throttle import admit_login, client_address, login_succeeded


class AuthController(Controller):
    """Signing in and out; the session cookie serves pages and the JSON API alike."""

    path = "/auth"
    tags = ["accounts"]

    # A wrong password is 401 and sign-in is rate limited (429); signing in never conflicts with anything.
    @post("/login", exclude_from_auth=True, status_code=HTTP_200_OK, problems=[401, 429], no_problems=[409])
    async def login(
        self,
        request: Request[Any, Any, Any],
        db_session: Db,
        clock: Now,
        data: JSONBody[LoginRequest],
    ) -> User:
        """Sign in; a wrong username or password gets the same 401. Every attempt is audited.

        Attempts are limited per account name and per client address (429 beyond them, whether or not the name
        exists); a correct password clears the account's count.
        """
        settings: Settings = request.app.state["settings"]
        await admit_login(db_session, data.username, client_address(request, settings), settings, now=clock.now())
        user = await accounts.authenticate(db_session, data.username, data.password, now=clock.now())
        if user is None:
            raise NotAuthenticated("error.wrong_username_password")
        await login_succeeded(db_session, data.username)
        begin_session(request, user.id)
        return User.of(user)

    @post("/logout", exclude_from_auth=True, status_code=HTTP_204_NO_CONTENT, no_problems=[409])
    async def logout(self, request: Request[Any, Any, Any]) -> None:
        """Sign out; the server-side session is deleted."""
        request.clear_session()


class MeController(Controller):
    """The signed-in user and their inbox."""

    tags = ["accounts"]

    @get("/me")
    async def me(self, request: Request[UserModel, Any, Any]) -> User:
        """Who am I."""
        return User.of(request.user)

    @post("/me/password", status_code=HTTP_204_NO_CONTENT, no_problems=[409])
    async def change_password(
        self,
        request: Request[UserModel, Any, Any],
        db_session: Db,
        clock: Now,
        data: JSONBody[PasswordChange],
    ) -> None:
        """Change my password: give the current one and a new one.

        The new password must have 8 to 128 characters, not be one of the most common passwords (a list of about
        20,000 shipped with the service), not be the username, and differ from the current one (422 naming
        `current_password` or `new_password` otherwise). Every other session of the account ends; this one stays
        signed in under a new session id (a new cookie in the answer). A temporary password from a committee reset
        is replaced and `must_change_password` clears.
        """
        async with writing(db_session):
            await accounts.change_password(
                db_session,
                request.user.id,
                data.current_password,
                data.new_password,
                keep_session=request.get_session_id(),
                now=clock.now(),
            )
        # This device stays signed in, under a new session id (its Set-Cookie comes with this answer).
        renew_session(request)

    @get("/inbox")
    async def get_inbox(
        self,
        request: Request[UserModel, Any, Any],
        db_session: Db,
        limit: BatchLimit = 50,
        accept_language: Annotated[
            str | None,
            HeaderParameter(
                name="Accept-Language",
                description="Language of `title` and `body`: `zh-CN` (the default) or `en`, by the usual q-values.",
            ),
        ] = None,
    ) -> Inbox:
        """My notifications, newest first.

        Each item carries its message `key` and `params` (what the notification says, in no language) and its
        `title` and `body` rendered in the language the request's `Accept-Language` header prefers among zh-CN
        and en — zh-CN when it names neither (the pages choose by the `lang` cookie instead; an API client says
        what it reads in each request). `lang` in the answer is the language chosen.
        """
        lang = choose_accept_language(accept_language)
        unread, items = await accounts.inbox(db_session, request.user.id, limit=limit)
        return Inbox(unread=unread, lang=lang, items=[Notification.of(n, lang) for n in items])

    @post("/inbox/{notification_id:int}/read", status_code=HTTP_204_NO_CONTENT)
    async def read(
        self,
        request: Request[UserModel, Any, Any],
        db_session: Db,
        clock: Now,
        notification_id: PathId,
    ) -> None:
        """Mark a notification read."""
        async with writing(db_session):
            await accounts.mark_read(db_session, request.user.id, notification_id, clock.now())


class UserController(Controller):
    """Accounts are created by the committee."""

    path = "/users"
    tags = ["accounts"]
    guards = [requires_committee]

    @post("/")
    async def create(
        self,
        request: Request[UserModel, Any, Any],
        db_session: Db,
        clock: Now,
        data: JSONBody[UserCreate],
    ) -> User:
        """Create an account for a committee member, evaluator, secretary or organisation member.

        The password follows the same rules as a changed one (8 to 128 characters, not a common password, not the
        username): 422 naming `password` otherwise.
        """
        async with writing(db_session):
            user = await accounts.create_user(db_session, data, actor=request.user, now=clock.now())
        return User.of(user)

    @post("/{user_id:int}/password", status_code=HTTP_204_NO_CONTENT, no_problems=[409])
    async def reset_password(
        self,
        request: Request[UserModel, Any, Any],
        db_session: Db,
        clock: Now,
        user_id: PathId,
        data: JSONBody[PasswordReset],
    ) -> None:
        """Give an account a temporary password (the committee hands it over in person).

        The password follows the usual rules (422 naming `password`). Every session of the account ends, and its
        owner must choose their own password before using the pages (`must_change_password` is set until then).
        A committee member changes their own password with `POST /me/password` instead (403 here).
        """
        async with writing(db_session):
            await accounts.reset_password(db_session, user_id, data.password, actor=request.user, now=clock.now())
