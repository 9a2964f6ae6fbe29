"""The errors alliances raise on purpose.

`alliances` may not import `market`, so these subclass Litestar's own HTTP exceptions; the app's
problem-details mapping (`market.problems.from_http_exception`) renders them as RFC 9457 problems with
their status, and with `field` in the body when the error is about one input field.
"""

from __future__ import annotations

from litestar.exceptions import ClientException, HTTPException, NotFoundException

__all__ = ["Conflict", "InvalidField", "NotFound"]


class InvalidField(HTTPException):
    """Input that parses but breaks a rule, about one named field (422)."""

    status_code = 422

    def __init__(self, detail: str, *, field: str) -> None:
        super().__init__(detail=detail, extra={"field": field})
        self.field = field


class Conflict(ClientException):
    """The request conflicts with what is already stored (409): a taken name, a decided application."""

    status_code = 409

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail=detail, extra={"field": field} if field else None)
        self.field = field


class NotFound(NotFoundException):
    """No such alliance, organisation, application or chair term (404)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail=detail)
