"""One error tree for the domain, mapped once to HTTP statuses and RFC 9457 problem details."""

from __future__ import annotations

from typing import Any, ClassVar


class ApplicationError(Exception):
    """Base of every error the domain raises on purpose.

    An error carries a message key (`error.username_taken`) and the parameters its text needs, never text: the
    edge renders it in the reader's language (`market.i18n.error_text` for pages, `market.problems` for the API),
    and every key is in both catalogs of `market/i18n/_errors.py` (tests/unit/test_i18n.py holds that).
    """

    status_code: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"
    type_slug: ClassVar[str] = "bad-request"

    def __init__(
        self,
        key: str,
        *,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        **params: object,
    ) -> None:
        super().__init__(key)
        self.key = key
        # What the message's placeholders are filled with, e.g. {"name": "…"} for "{name} is suspended".
        self.params = params
        self.field = field
        # Machine-readable members the problem details carry besides `field` (which partners have not accepted).
        self.extra = extra or {}
        # Response headers the answer must carry (a 429's Retry-After, for instance).
        self.headers = headers or {}


class InvalidInput(ApplicationError):
    """Input that parses but breaks a rule (422)."""

    status_code = 422
    title = "Invalid input"
    type_slug = "invalid-input"


class NotAuthenticated(ApplicationError):
    """No signed-in user where one is needed (401)."""

    status_code = 401
    title = "Not signed in"
    type_slug = "not-authenticated"


class Forbidden(ApplicationError):
    """Signed in, but this role or organisation may not do this (403)."""

    status_code = 403
    title = "Forbidden"
    type_slug = "forbidden"


class NotFound(ApplicationError):
    """No such thing, or nothing this user may know exists (404)."""

    status_code = 404
    title = "Not found"
    type_slug = "not-found"


class StateConflict(ApplicationError):
    """The request conflicts with the current state (409)."""

    status_code = 409
    title = "Conflict"
    type_slug = "conflict"


class TooLarge(ApplicationError):
    """An upload beyond the limits (413)."""

    status_code = 413
    title = "Too large"
    type_slug = "too-large"
